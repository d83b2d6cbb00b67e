/*
 * fuzz_profile.c: libFuzzer harness for profile_load(), the reader of
 * certificate profiles (conf/profiles/NAME.conf).  Beyond "does not
 * crash" it aborts when a refusal leaves a profile behind, or its message
 * does not start with the file's name or lets a control byte through.
 */
#include "profile.h"
#include "err.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p = (struct profile *)1;
	const char *path = fuzz_file("fz.conf", data, size);
	enum eseal_rc rc;

	eseal_errclear();
	rc = profile_load(fuzz_dir, "fz", &p);
	if (rc == ESEAL_OK) {
		if (p == NULL)
			abort();
	} else {
		if (p != NULL && p != (struct profile *)1)
			abort();
		p = NULL;
		fuzz_check_msg(eseal_errmsg(), path);
	}
	profile_free(p);
	return 0;
}
