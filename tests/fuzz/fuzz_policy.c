/*
 * fuzz_policy.c: libFuzzer harness for policy_load(), the reader of
 * the crypto policy (crypto-policy.conf).  Beyond "does not crash" it aborts when a
 * refusal leaves an object behind, or its message does not start with the
 * file's name or lets a control byte through to the operator's terminal.
 */
#include "policy.h"
#include "err.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *out = (struct policy *)1;
	const char *path = fuzz_file("in.conf", data, size);
	enum eseal_rc rc;

	eseal_errclear();
	rc = policy_load(path, &out);
	if (rc == ESEAL_OK) {
		if (out == NULL)
			abort();
	} else {
		if (out != NULL && out != (struct policy *)1)
			abort();
		out = NULL;
		fuzz_check_msg(eseal_errmsg(), path);
	}
	policy_free(out);
	return 0;
}
