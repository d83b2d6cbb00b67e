/*
 * fuzz_crlnum.c: libFuzzer harness for backup_crl_number(), the start
 * check's walk of a published CRL (eseald reads the cRLNumber of every
 * CRL in the publication directory, a file anybody who can write there
 * may have replaced).  The issuer is an EC P-256 key and a self-signed CA
 * certificate made in memory at the first call (no key is ever written).
 * The input is walked as it is; and if OpenSSL parses it as a CRL
 * (d2i_X509_CRL), it is re-signed with that key (X509_CRL_sign, SHA-256)
 * and the re-signed DER walked too, so the signature-checked part is
 * reached.  Beyond "does not crash" (ASan: the walk reads only its buf of
 * len bytes, a heap copy of exactly that size) it aborts when
 *  - a refusal is not ESEAL_EINVAL with a one-line message naming the
 *    file and an RFC 5280 rule, or "undecided" comes with ESEAL_OK;
 *  - an accepted walk's number is not > 0, or the same bytes less the
 *    last or with one more are accepted;
 *  - an accepted re-signed CRL's number is not X509_CRL_get_ext_d2i's;
 *  - a re-signed v2 CRL with one cRLNumber in 1..INT64_MAX, encoded with
 *    definite minimal lengths throughout (X.690 10.1), is refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/backup_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PATH	"fuzz.crl"
#define ISSUER	"fuzz-ca"

static EVP_PKEY *key;
static unsigned char *ca_der;
static size_t ca_len;

/* The issuer: an EC P-256 key and its self-signed CA certificate. */
static void
issuer_once(void)
{
	X509_EXTENSION *ext;
	X509_NAME *name;
	X509 *x;
	int n;

	if (key != NULL)
		return;
	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    (name = X509_NAME_new()) == NULL ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)ISSUER, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    !X509_set_pubkey(x, key) ||
	    (ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
	    "critical,CA:TRUE")) == NULL || !X509_add_ext(x, ext, -1) ||
	    !X509_sign(x, key, EVP_sha256()) ||
	    (n = i2d_X509(x, &ca_der)) <= 0)
		abort();
	ca_len = (size_t)n;
	X509_EXTENSION_free(ext);
	X509_NAME_free(name);
	X509_free(x);
}

/* A refusal's message: the file, a rule, one line. */
static void
check_msg(const char *msg)
{
	static const char want[] = "reconcile: " PATH ": RFC 5280 ";

	if (strncmp(msg, want, sizeof(want) - 1) != 0)
		abort();
	for (; *msg != '\0'; msg++)
		if ((unsigned char)*msg < ' ' || *msg == 0x7f)
			abort();
}

/* The walk over a heap copy of exactly len bytes of b. */
static enum eseal_rc
walk(const unsigned char *b, size_t len, int64_t *number, int *undecided)
{
	unsigned char *copy = malloc(len == 0 ? 1 : len);
	enum eseal_rc rc;

	if (copy == NULL)
		abort();
	memcpy(copy, b, len);
	rc = backup_crl_number(copy, len, ca_der, ca_len, PATH, ISSUER, number,
	    undecided);
	free(copy);
	if (rc != ESEAL_OK && rc != ESEAL_EINVAL)
		abort();
	if (rc == ESEAL_OK && (*undecided || *number <= 0))
		abort();
	if (rc != ESEAL_OK)
		check_msg(eseal_errmsg());
	return rc;
}

/* Walks b; if accepted, its number, and b a byte shorter or longer not. */
static enum eseal_rc
walk_all(const unsigned char *b, size_t len, int64_t *number)
{
	unsigned char *more;
	int64_t n;
	int u;
	enum eseal_rc rc;

	if ((rc = walk(b, len, number, &u)) != ESEAL_OK)
		return rc;
	if (walk(b, len - 1, &n, &u) == ESEAL_OK)
		abort();
	if ((more = malloc(len + 1)) == NULL)
		abort();
	memcpy(more, b, len);
	more[len] = 0;
	if (walk(more, len + 1, &n, &u) == ESEAL_OK)
		abort();
	free(more);
	return ESEAL_OK;
}

/* 1 if every TLV in [p, end) has a low tag and a definite minimal length. */
static int
strict_der(const unsigned char *p, const unsigned char *end, int depth)
{
	size_t n, k;
	int cons;

	while (p < end) {
		if (depth > 64 || (*p & 0x1f) == 0x1f || end - p < 2)
			return 0;
		cons = *p++ & 0x20;
		if (*p < 0x80) {
			n = *p++;
		} else {
			k = *p++ & 0x7f;
			if (k == 0 || k > sizeof(size_t) || (size_t)(end - p) < k ||
			    *p == 0 || (k == 1 && *p < 0x80))
				return 0;
			for (n = 0; k > 0; k--)
				n = n << 8 | *p++;
		}
		if (n > (size_t)(end - p) ||
		    (cons && !strict_der(p, p + n, depth + 1)))
			return 0;
		p += n;
	}
	return 1;
}

/* The input parsed by OpenSSL, re-signed by the issuer, walked again. */
static void
resigned(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	unsigned char *der = NULL;
	ASN1_INTEGER *num;
	X509_CRL *crl;
	int64_t want = 0, got;
	int len, crit;
	enum eseal_rc rc;

	if ((crl = d2i_X509_CRL(NULL, &p, (long)size)) == NULL)
		goto out;
	if (!X509_CRL_sign(crl, key, EVP_sha256()) ||
	    (len = i2d_X509_CRL(crl, &der)) <= 0)
		goto out;
	if ((num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL)) !=
	    NULL) {
		want = (int64_t)ASN1_INTEGER_get(num);
		ASN1_INTEGER_free(num);
	}
	rc = walk_all(der, (size_t)len, &got);
	if (rc == ESEAL_OK && (want <= 0 || got != want))
		abort();
	if (rc != ESEAL_OK && want > 0 &&
	    X509_CRL_get_version(crl) == X509_CRL_VERSION_2 &&
	    strict_der(der, der + len, 0))
		abort();
out:
	OPENSSL_free(der);
	X509_CRL_free(crl);
	ERR_clear_error();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t n;

	issuer_once();
	walk_all(data, size, &n);
	resigned(data, size);
	return 0;
}
