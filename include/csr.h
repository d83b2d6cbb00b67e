/*
 * csr.h: parsing and checking PKCS#10 certification requests (RFC 2986)
 * from outside: DER or PEM, exact length, size limit, proof of possession.
 * Only the public key of a CSR is ever used; its subject is ignored.
 */
#ifndef ESEAL_CSR_H
#define ESEAL_CSR_H

#include <stddef.h>

#include <openssl/x509.h>

#include "err.h"

#define MAX_CSR_BYTES	(64 * 1024)	/* larger than any sane RSA-4096 CSR */

struct csr {
	X509_REQ	*req;		/* owned */
	EVP_PKEY	*pub;		/* borrowed from req */
	unsigned char	 spki_sha256[32];	/* SHA-256 of the DER SPKI */
};

/*
 * Parses buf (DER, or one PEM block labelled CERTIFICATE REQUEST or NEW
 * CERTIFICATE REQUEST) and checks its signature with its own key.  On
 * success *out is a new struct csr to free with csr_free().  Refusals are
 * ESEAL_EINVAL with a message naming the rule.
 */
enum eseal_rc	csr_parse(const unsigned char *buf, size_t len,
		    struct csr **out);
void		csr_free(struct csr *);

/* SHA-256 of the DER SubjectPublicKeyInfo of key. */
int		csr_spki_sha256(EVP_PKEY *key, unsigned char out[32]);

#endif
