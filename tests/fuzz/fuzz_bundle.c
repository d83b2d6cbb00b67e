/*
 * fuzz_bundle.c: libFuzzer harness for the off-site audit bundle
 * (audit_bundle_verify, which reads the JSON, the base64 and hex fields,
 * the certificates and the checkpoint messages) and for the checkpoint
 * message parser (audit_cp_parse) alone.  Beyond "does not crash" it
 * aborts when an accepted bundle reports a record range that is empty or
 * backwards or no checkpoint, when an accepted bundle also verifies with
 * its last byte dropped (the final newline is required), and when an
 * accepted message does not format back to exactly its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_bundle_report r;
	struct audit_cp_msg m;
	char again[AUDIT_CP_MSG_MAX];

	if (audit_bundle_verify(data, size, &r) == ESEAL_OK) {
		if (r.first < 1 || r.last < r.first || r.checkpoints < 1 ||
		    r.certificates < 1)
			abort();
		if (audit_bundle_verify(data, size - 1, &r) == ESEAL_OK)
			abort();
	}
	if (audit_cp_parse((const char *)data, size, &m) == ESEAL_OK) {
		if (!audit_cp_format(&m, again, sizeof(again)) ||
		    strlen(again) != size || memcmp(again, data, size) != 0)
			abort();
	}
	return 0;
}
