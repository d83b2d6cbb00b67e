/*
 * fuzz_conf.c: libFuzzer harness for conf_load(), the reader of
 * the daemon's configuration (eseal.conf).  Beyond "does not crash" it aborts when a
 * refusal leaves an object behind, or its message does not start with the
 * file's name or lets a control byte through to the operator's terminal.
 */
#include "conf.h"
#include "err.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *out = (struct conf *)1;
	const char *path = fuzz_file("in.conf", data, size);
	enum eseal_rc rc;

	eseal_errclear();
	rc = conf_load(path, &out);
	if (rc == ESEAL_OK) {
		if (out == NULL)
			abort();
	} else {
		if (out != NULL && out != (struct conf *)1)
			abort();
		out = NULL;
		fuzz_check_msg(eseal_errmsg(), path);
	}
	conf_free(out);
	return 0;
}
