/*
 * csr.c: PKCS#10 requests from outside.  Nothing here trusts the input:
 * size first, then the exact encoding (one PEM block with the right label,
 * or DER with no trailing bytes), then the signature (proof of possession).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "csr.h"

struct csr {
	X509_REQ	*req;		/* owned */
	EVP_PKEY	*pub;		/* borrowed from req */
	unsigned char	 spki_sha256[CSR_SPKI_SHA256_LEN]; /* of the DER SPKI */
};

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
csr_spki_sha256(EVP_PKEY *key, unsigned char out[CSR_SPKI_SHA256_LEN])
{
	unsigned char *der = NULL;
	int len, ok;

	if ((len = i2d_PUBKEY(key, &der)) <= 0)
		return 0;
	ok = EVP_Digest(der, (size_t)len, out, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return ok;
}

/*
 * Decodes one PEM block into *der.  The block must be the whole input but
 * for surrounding white space.
 */
static enum eseal_rc
pem_decode(const unsigned char *buf, size_t len, unsigned char **der,
    long *derlen)
{
	char *name = NULL, *header = NULL;
	BIO *bio;
	enum eseal_rc rc = ESEAL_OK;
	char rest;

	*der = NULL;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "csr: out of memory");
	if (PEM_read_bio(bio, &name, &header, der, derlen) != 1) {
		rc = eseal_err(ESEAL_EINVAL, "csr: RFC 7468: not a valid PEM "
		    "block");
		goto out;
	}
	if (strcmp(name, "CERTIFICATE REQUEST") != 0 &&
	    strcmp(name, "NEW CERTIFICATE REQUEST") != 0) {
		rc = eseal_err(ESEAL_EINVAL, "csr: RFC 7468 7: PEM label is "
		    "\"%.40s\", expected \"CERTIFICATE REQUEST\"", name);
		goto out;
	}
	if (header != NULL && header[0] != '\0') {
		rc = eseal_err(ESEAL_EINVAL, "csr: RFC 7468 2: PEM headers are "
		    "not allowed");
		goto out;
	}
	while (BIO_read(bio, &rest, 1) == 1) {
		if (!is_space((unsigned char)rest)) {
			rc = eseal_err(ESEAL_EINVAL, "csr: RFC 7468: data after "
			    "the PEM block");
			goto out;
		}
	}
out:
	if (rc != ESEAL_OK) {
		OPENSSL_free(*der);
		*der = NULL;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

enum eseal_rc
csr_parse(const unsigned char *buf, size_t len, struct csr **out)
{
	unsigned char *pemder = NULL;
	const unsigned char *der, *p;
	long derlen;
	struct csr *c = NULL;
	enum eseal_rc rc;
	size_t i = 0;

	*out = NULL;
	if (len == 0)
		return eseal_err(ESEAL_EINVAL, "csr: empty request");
	if (len > MAX_CSR_BYTES)
		return eseal_err(ESEAL_EINVAL, "csr: request is %zu bytes, "
		    "more than the limit of %d", len, MAX_CSR_BYTES);
	while (i < len && is_space(buf[i]))
		i++;
	if (len - i >= 11 && memcmp(buf + i, "-----BEGIN ", 11) == 0) {
		if ((rc = pem_decode(buf, len, &pemder, &derlen)) != ESEAL_OK)
			return rc;
		der = pemder;
	} else {
		der = buf;
		derlen = (long)len;
	}

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "csr: out of memory");
		goto out;
	}
	p = der;
	if ((c->req = d2i_X509_REQ(NULL, &p, derlen)) == NULL) {
		rc = eseal_err(ESEAL_EINVAL, "csr: RFC 2986 4.2: not a DER "
		    "CertificationRequest");
		goto out;
	}
	if (p != der + derlen) {
		rc = eseal_err(ESEAL_EINVAL, "csr: X.690 8.1.1: %ld trailing "
		    "bytes after the CertificationRequest",
		    (long)(der + derlen - p));
		goto out;
	}
	if (X509_REQ_get_version(c->req) != X509_REQ_VERSION_1) {
		rc = eseal_err(ESEAL_EINVAL, "csr: RFC 2986 4.1: version must "
		    "be 0 (v1)");
		goto out;
	}
	if ((c->pub = X509_REQ_get0_pubkey(c->req)) == NULL) {
		rc = eseal_err(ESEAL_EINVAL, "csr: RFC 2986 4.1: the subject "
		    "public key cannot be decoded");
		goto out;
	}
	if (X509_REQ_verify(c->req, c->pub) != 1) {
		rc = eseal_err(ESEAL_EINVAL, "csr: RFC 2986 4.2: signature "
		    "does not verify (no proof of possession)");
		goto out;
	}
	if (!csr_spki_sha256(c->pub, c->spki_sha256)) {
		rc = eseal_err(ESEAL_EINTERNAL, "csr: cannot hash the key");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = ESEAL_OK;
out:
	csr_free(c);
	OPENSSL_free(pemder);
	ERR_clear_error();
	return rc;
}

void
csr_free(struct csr *c)
{
	if (c == NULL)
		return;
	X509_REQ_free(c->req);
	free(c);
}

EVP_PKEY *
csr_pubkey(const struct csr *c)
{
	return c->pub;
}

const X509_PUBKEY *
csr_spki(const struct csr *c)
{
	return X509_REQ_get_X509_PUBKEY(c->req);
}

const unsigned char *
csr_pubkey_sha256(const struct csr *c)
{
	return c->spki_sha256;
}

enum eseal_rc
csr_der(const struct csr *c, unsigned char **der, size_t *len)
{
	int n;

	*der = NULL;
	*len = 0;
	if ((n = i2d_X509_REQ(c->req, der)) <= 0) {
		*der = NULL;
		ERR_clear_error();
		return eseal_err(ESEAL_EINTERNAL, "csr: cannot encode the "
		    "certification request");
	}
	*len = (size_t)n;
	return ESEAL_OK;
}

void
csr_key_describe(const struct csr *c, char *buf, size_t len)
{
	EVP_PKEY *k = csr_pubkey(c);
	char group[64];
	const char *g;
	int nid;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(buf, len, "%s-%d", EVP_PKEY_get_base_id(k) ==
		    EVP_PKEY_RSA ? "rsa" : "rsa-pss", EVP_PKEY_get_bits(k));
		return;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_group_name(k, group, sizeof(group), NULL)) {
			ERR_clear_error();
			snprintf(buf, len, "ec-explicit");
			return;
		}
		if ((nid = EC_curve_nist2nid(group)) == NID_undef)
			nid = OBJ_sn2nid(group);
		g = nid != NID_undef && EC_curve_nid2nist(nid) != NULL ?
		    EC_curve_nid2nist(nid) : group;
		snprintf(buf, len, "ec-");
		for (size_t i = 3; *g != '\0' && i + 1 < len; g++)
			if (*g != '-') {
				buf[i++] = (char)(*g >= 'A' && *g <= 'Z' ?
				    *g - 'A' + 'a' : *g);
				buf[i] = '\0';
			}
		return;
	default:
		snprintf(buf, len, "%s", EVP_PKEY_get0_type_name(k) ?
		    EVP_PKEY_get0_type_name(k) : "unknown");
	}
}
