/*
 * fuzz_ocsp.c: libFuzzer harness for ocsp_request_parse(), the part of the
 * OCSP responder that reads outside input and needs neither store nor HSM.
 * Beyond "does not crash" it aborts when an accepted request breaks the
 * limits the parser promises, or when a prefix of it, or it with one byte
 * more, is also accepted (the exact-length rule).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocsp_req *r = NULL, *r2 = NULL;
	unsigned char *more;
	int n;

	if (ocsp_request_parse(data, size, &r) != ESEAL_OK) {
		if (r != NULL)
			abort();	/* refused, yet something handed out */
		return 0;
	}
	n = ocsp_req_count(r);
	if (size == 0 || size > OCSP_REQUEST_MAX || n < 1 ||
	    n > OCSP_CERTIDS_MAX)
		abort();
	/* One DER value and nothing after it: no prefix parses too ... */
	if (ocsp_request_parse(data, size - 1, &r2) == ESEAL_OK)
		abort();
	ocsp_req_free(r2);
	r2 = NULL;
	/* ... and neither does it with one byte more. */
	if ((more = malloc(size + 1)) == NULL)
		abort();
	memcpy(more, data, size);
	more[size] = 0;
	if (ocsp_request_parse(more, size + 1, &r2) == ESEAL_OK ||
	    r2 != NULL)
		abort();
	free(more);
	ocsp_req_free(r);
	return 0;
}
