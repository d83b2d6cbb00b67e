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
#define CSR_SPKI_SHA256_LEN	32	/* SHA-256 of the DER SPKI */

/* A parsed, self-signed request; its fields live in csr.c. */
struct csr;

/*
 * Parses buf (DER, or one PEM block labelled CERTIFICATE REQUEST or NEW
 * CERTIFICATE REQUEST) and checks its signature with its own key.  On
 * success *out is a new struct csr to free with csr_free().  Refusals are
 * ESEAL_EINVAL with a message naming the rule.
 */
enum eseal_rc	csr_parse(const unsigned char *buf, size_t len,
		    struct csr **out);
/* Frees c and everything borrowed from it; accepts NULL. */
void		csr_free(struct csr *c);

/* The subject public key, the only part of a CSR ever used.  Borrowed
 * from c: valid until csr_free(c), not to be freed. */
EVP_PKEY	*csr_pubkey(const struct csr *c);
/* The request's SubjectPublicKeyInfo as it was encoded (borrowed). */
const X509_PUBKEY *csr_spki(const struct csr *c);

/* SHA-256 of its DER SubjectPublicKeyInfo, CSR_SPKI_SHA256_LEN bytes.
 * Borrowed from c. */
const unsigned char *csr_pubkey_sha256(const struct csr *c);

/*
 * The request as DER, for storing it: *der is new (OPENSSL_free) and *len
 * its length.  ESEAL_EINTERNAL if OpenSSL cannot encode it.
 */
enum eseal_rc	csr_der(const struct csr *c, unsigned char **der,
		    size_t *len);

/*
 * Names its key the way the configuration names key types: "ec-p256",
 * "ec-p384", "rsa-3072", "rsa-pss-3072", else OpenSSL's type name, into
 * buf (CSR_KEY_DESC_MAX bytes is enough).
 */
#define CSR_KEY_DESC_MAX	32
void		csr_key_describe(const struct csr *c, char *buf, size_t len);

/* SHA-256 of the DER SubjectPublicKeyInfo of key; 0 on failure. */
int		csr_spki_sha256(EVP_PKEY *key,
		    unsigned char out[CSR_SPKI_SHA256_LEN]);

#endif
