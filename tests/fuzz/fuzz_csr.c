/*
 * fuzz_csr.c: csr_parse on arbitrary bytes must refuse or accept, never
 * crash; and what it accepts must survive the store: the DER that
 * enrolment keeps (csr_der) parses again to the same key, as issuance
 * parses it again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "csr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csr *c = NULL, *again = NULL;
	unsigned char *der = NULL;
	size_t len;

	if (csr_parse(data, size, &c) != ESEAL_OK)
		return 0;
	if (csr_der(c, &der, &len) != ESEAL_OK ||
	    csr_parse(der, len, &again) != ESEAL_OK ||
	    memcmp(csr_pubkey_sha256(c), csr_pubkey_sha256(again),
	    CSR_SPKI_SHA256_LEN) != 0)
		abort();
	OPENSSL_free(der);
	csr_free(again);
	csr_free(c);
	return 0;
}
