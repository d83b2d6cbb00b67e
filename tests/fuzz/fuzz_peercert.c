/*
 * fuzz_peercert.c: libFuzzer harness for http_peer_der_cn(), which turns
 * an mTLS client certificate (after GnuTLS verified it) into the operator
 * name it logs in as.  Beyond "does not crash" it aborts when an answer is
 * neither VERIFIED nor UNTRUSTED, when VERIFIED comes with an empty name,
 * a name with a control byte or an unterminated one, when a name is
 * left behind by a refusal, and when the input is not exactly one DER
 * certificate with one CN yet is accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What an accepted input must be: one certificate, all bytes, one CN. */
static int
one_cert_one_cn(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	const X509_NAME *name;
	int ok, i;
	X509 *x;

	if ((x = d2i_X509(NULL, &p, (long)size)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	name = X509_get_subject_name(x);
	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	ok = p == data + size && i >= 0 &&
	    X509_NAME_get_index_by_NID(name, NID_commonName, i) < 0;
	X509_free(x);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cn[HTTP_CN_MAX];
	enum http_peer peer;
	uint8_t *copy;
	size_t n;

	/* A heap copy of exactly size bytes, so overreads are caught. */
	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	memset(cn, 'x', sizeof(cn));
	peer = http_peer_der_cn(copy, size, cn, sizeof(cn));
	n = strnlen(cn, sizeof(cn));
	if (n == sizeof(cn))
		abort();	/* not terminated */
	if (peer == HTTP_PEER_VERIFIED) {
		if (n == 0)
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)cn[i] < ' ' || cn[i] == 0x7f)
				abort();
		if (!one_cert_one_cn(copy, size))
			abort();
	} else if (peer != HTTP_PEER_UNTRUSTED || n != 0)
		abort();
	free(copy);
	return 0;
}
