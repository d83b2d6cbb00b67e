/*
 * ocsp_signer.c: delegated OCSP signers.  A key is generated on the token,
 * its certificate is built with OpenSSL, recorded pending, signed by the
 * issuer key through issuer_sign() and only then recorded issued, with the
 * signer row and the audit records in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "csr.h"
#include "issue.h"
#include "log.h"
#include "ocsp_signer.h"
#include "serial.h"

#define CN_CHARS_MAX	64	/* RFC 5280 A.1 ub-common-name, characters */

void
ocsp_signer_free(struct ocsp_signer *s)
{
	if (s == NULL)
		return;
	store_ocsp_signer_clear(&s->rec);
	X509_free(s->cert);
	EVP_PKEY_free(s->pub);
	free(s);
}

/* Takes rec (its contents are the signer's now, or freed on error). */
static enum eseal_rc
signer_from_rec(struct store_ocsp_signer *rec, struct ocsp_signer **out)
{
	struct ocsp_signer *s;
	const unsigned char *p;
	enum eseal_rc rc = ESEAL_OK;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		store_ocsp_signer_clear(rec);
		return eseal_err(ESEAL_ENOMEM, "ocsp_signer: out of memory");
	}
	s->rec = *rec;
	p = s->rec.cert;
	if ((s->cert = d2i_X509(NULL, &p, (long)s->rec.cert_len)) == NULL ||
	    (s->pub = X509_get_pubkey(s->cert)) == NULL)
		rc = eseal_err(ESEAL_ESTORE, "ocsp_signer: RFC 5280 4.1: the "
		    "stored certificate of OCSP signer %s does not parse",
		    s->rec.serial);
	else if (p != s->rec.cert + s->rec.cert_len)
		rc = eseal_err(ESEAL_ESTORE, "ocsp_signer: RFC 5280 4.1: the "
		    "stored certificate of OCSP signer %s has %zu trailing "
		    "bytes", s->rec.serial,
		    (size_t)(s->rec.cert + s->rec.cert_len - p));
	if (rc != ESEAL_OK) {
		ocsp_signer_free(s);
		ERR_clear_error();
		return rc;
	}
	*out = s;
	return ESEAL_OK;
}

enum eseal_rc
ocsp_signer_current(struct ca *ca, int64_t issuer_id, int64_t now,
    struct ocsp_signer **out)
{
	struct store_ocsp_signer rec;
	enum eseal_rc rc;

	*out = NULL;
	if ((rc = store_ocsp_signer_current(ca->store, issuer_id, now, &rec))
	    != ESEAL_OK)
		return rc;
	return signer_from_rec(&rec, out);
}

/*
 * "<the issuer's CN> OCSP responder", the CA's name cut (on a UTF-8
 * character boundary) so that the whole fits ub-common-name.
 */
static enum eseal_rc
signer_cn(const struct issuer *is, char *buf, size_t bufsz)
{
	X509_NAME *n = X509_get_subject_name(is->cert);
	unsigned char *utf8 = NULL;
	const char *base = is->rec.name;
	size_t keep = 0, chars = 0, room;
	int i, len = -1;

	room = CN_CHARS_MAX - (sizeof(OCSP_SIGNER_CN_SUFFIX) - 1);
	if ((i = X509_NAME_get_index_by_NID(n, NID_commonName, -1)) >= 0 &&
	    (len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(n, i)))) > 0)
		base = (const char *)utf8;
	for (; base[keep] != '\0'; keep++) {
		/* A character starts at every byte that is not a continuation byte (top bits 10). */
		if (((unsigned char)base[keep] & 0xc0) != 0x80 &&
		    ++chars > room)
			break;
	}
	if (snprintf(buf, bufsz, "%.*s%s", (int)keep, base,
	    OCSP_SIGNER_CN_SUFFIX) >= (int)bufsz) {
		OPENSSL_free(utf8);
		return eseal_err(ESEAL_EINTERNAL, "ocsp_signer: CN too long");
	}
	OPENSSL_free(utf8);
	return ESEAL_OK;
}

/* C and O of the issuer, then the CN. */
static enum eseal_rc
signer_subject(const struct issuer *is, X509_NAME **out)
{
	static const int copy[] = { NID_countryName, NID_organizationName };
	X509_NAME *in = X509_get_subject_name(is->cert), *n;
	char cn[4 * CN_CHARS_MAX + 1];
	enum eseal_rc rc;
	int i;

	*out = NULL;
	if ((rc = signer_cn(is, cn, sizeof(cn))) != ESEAL_OK)
		return rc;
	if ((n = X509_NAME_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "ocsp_signer: out of memory");
	for (size_t k = 0; k < sizeof(copy) / sizeof(copy[0]); k++) {
		if ((i = X509_NAME_get_index_by_NID(in, copy[k], -1)) < 0)
			continue;
		if (!X509_NAME_add_entry(n, X509_NAME_get_entry(in, i), -1, 0))
			goto nomem;
	}
	if (!X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0))
		goto nomem;
	*out = n;
	return ESEAL_OK;
nomem:
	X509_NAME_free(n);
	return eseal_err(ESEAL_ENOMEM, "ocsp_signer: out of memory");
}

/*
 * The unsigned certificate: RFC 6960 4.2.2.2 (issued directly by the CA
 * that issued the certificates in question, id-kp-OCSPSigning) and
 * 4.2.2.2.1 (id-pkix-ocsp-nocheck, a NULL).
 */
static enum eseal_rc
build_cert(const struct issuer *is, EVP_PKEY *pub, const BIGNUM *bn,
    int64_t now, int64_t not_after, X509 **out)
{
	X509_NAME *subj = NULL;
	ASN1_INTEGER *sn = NULL;
	X509 *x;
	enum eseal_rc rc;

	*out = NULL;
	if ((x = X509_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "ocsp_signer: out of memory");
	if ((rc = signer_subject(is, &subj)) != ESEAL_OK)
		goto out;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    !X509_set_serialNumber(x, sn) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(is->cert)) ||
	    !X509_set_subject_name(x, subj) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) == NULL ||
	    !X509_set_pubkey(x, pub)) {
		rc = eseal_err(ESEAL_ENOMEM, "ocsp_signer: out of memory");
		goto out;
	}
	if ((rc = profile_add_ext(x, is->cert, NID_key_usage,
	    "critical,digitalSignature")) != ESEAL_OK ||
	    (rc = profile_add_ext(x, is->cert, NID_ext_key_usage,
	    "OCSPSigning")) != ESEAL_OK ||
	    /* The value is ignored: the extension's content is a NULL. */
	    (rc = profile_add_ext(x, is->cert, NID_id_pkix_OCSP_noCheck,
	    "ignored")) != ESEAL_OK ||
	    (rc = profile_add_ext(x, is->cert, NID_subject_key_identifier,
	    "hash")) != ESEAL_OK ||
	    (rc = profile_add_ext(x, is->cert, NID_authority_key_identifier,
	    "keyid:always")) != ESEAL_OK ||
	    (rc = issuer_set_sigalg(is->pub, x)) != ESEAL_OK)
		goto out;
	*out = x;
	x = NULL;
out:
	X509_free(x);
	X509_NAME_free(subj);
	ASN1_INTEGER_free(sn);
	return rc;
}

/* What build_cert needs besides the serial. */
struct signer_build {
	const struct issuer	*is;
	EVP_PKEY		*pub;
	int64_t			 now, not_after;
};

static enum eseal_rc
build_cb(const BIGNUM *bn, int shard, X509 **x, void *arg)
{
	struct signer_build *b = arg;

	(void)shard;		/* no distribution point: ocsp-nocheck */
	return build_cert(b->is, b->pub, bn, b->now, b->not_after, x);
}

/*
 * Issuance steps 3 to 5 (issue_record_pending): draws a serial, builds the
 * TBS and records it pending (committed) before anything is signed.  *tbs
 * is the recorded TBS (OPENSSL_free).
 */
static enum eseal_rc
record_pending(struct ca *ca, const struct issuer *is, EVP_PKEY *pub,
    int64_t now, int64_t not_after, char serial[STORE_SERIAL_HEX_MAX],
    unsigned char **tbs, size_t *tbs_len)
{
	struct signer_build b = { is, pub, now, not_after };
	struct store_cert tmpl;

	*tbs = NULL;
	*tbs_len = 0;
	memset(&tmpl, 0, sizeof(tmpl));
	if (!csr_spki_sha256(pub, tmpl.spki_sha256))
		return eseal_err(ESEAL_EINTERNAL, "ocsp_signer: cannot hash "
		    "the public key");
	tmpl.not_before = now;
	tmpl.not_after = not_after;
	return issue_record_pending(ca, is, &tmpl, build_cb, &b, NULL, NULL,
	    now, serial, tbs, tbs_len);
}

static void
hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/*
 * The validity of a new signer of is at now: validity_days (0: the
 * default) cut to end with the CA's.  The refusals name their rule.
 */
static enum eseal_rc
signer_validity(const struct issuer *is, enum key_type type,
    int validity_days, int64_t now, int64_t *not_after)
{
	if (validity_days == 0)
		validity_days = OCSP_SIGNER_DAYS_DEFAULT;
	if (validity_days < 1 || validity_days > OCSP_SIGNER_DAYS_MAX)
		return eseal_err(ESEAL_EINVAL, "ocsp_signer: RFC 6960 "
		    "4.2.2.2.1: an ocsp-nocheck certificate lives short: "
		    "validity must be 1 to %d days, not %d",
		    OCSP_SIGNER_DAYS_MAX, validity_days);
	if ((int)type < 0 || type >= KEY_TYPE_MAX)
		return eseal_err(ESEAL_EINVAL, "ocsp_signer: unknown key type");
	*not_after = now + (int64_t)validity_days * 86400;
	if (*not_after > is->rec.not_after)
		*not_after = is->rec.not_after;	/* never outlive the CA */
	if (now < is->rec.not_before || *not_after <= now)
		return eseal_err(ESEAL_EPOLICY, "ocsp_signer: RFC 5280 6.1.3: "
		    "the CA certificate of \"%s\" is not valid now",
		    is->rec.name);
	return ESEAL_OK;
}

/*
 * Step 7 for a signer: in one transaction the certificate becomes issued,
 * the signer rec is recorded active (rec->id set), the issuer's older
 * signers retire, and the audit records are written.
 */
static enum eseal_rc
record_signer(struct ca *ca, const struct issuer *is,
    struct store_ocsp_signer *rec, const char *idhex, const char *actor,
    int64_t now, int *retired)
{
	enum eseal_rc rc;
	int64_t id = 0;

	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		return rc;
	if ((rc = store_cert_mark_issued(ca->store, rec->serial, rec->cert,
	    rec->cert_len, now)) != ESEAL_OK ||
	    (rc = store_ocsp_signer_insert(ca->store, rec, now, &id))
	    != ESEAL_OK ||
	    (rc = store_ocsp_signer_retire(ca->store, is->rec.id, id, now,
	    retired)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, now, actor, "cert.issue",
	    rec->serial, "issuer=%s ocsp-signer", is->rec.name)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, now, actor, "ocsp.signer.create",
	    is->rec.name, "serial=%s key_id=%s key_type=%s not_after=%lld "
	    "retired=%d", rec->serial, idhex, rec->key_type,
	    (long long)rec->not_after, *retired)) != ESEAL_OK) {
		store_rollback(ca->store);
		return rc;	/* the row stays pending; nobody saw the cert */
	}
	if ((rc = store_commit(ca->store)) == ESEAL_OK)
		rec->id = id;
	return rc;
}

enum eseal_rc
ocsp_signer_create(struct ca *ca, const struct issuer *is, enum key_type type,
    int validity_days, int64_t now, const char *actor,
    struct ocsp_signer **out)
{
	struct store_ocsp_signer rec;
	unsigned char key_id[OCSP_SIGNER_KEY_ID_BYTES];
	unsigned char *tbs = NULL, *der = NULL;
	char label[80], idhex[2 * OCSP_SIGNER_KEY_ID_BYTES + 1];
	char serial[STORE_SERIAL_HEX_MAX];
	EVP_PKEY *pub = NULL;
	size_t tbs_len = 0, der_len = 0;
	int64_t not_after = 0;
	enum eseal_rc rc;
	int retired = 0;

	if (out != NULL)
		*out = NULL;
	if ((rc = signer_validity(is, type, validity_days, now, &not_after))
	    != ESEAL_OK)
		return rc;
	if (ca->token == NULL)
		return eseal_err(ESEAL_EHSM, "ocsp_signer: no token is open");
	/* The module may generate keys now; the policy allows the type. */
	if ((rc = issuer_may_generate(ca, type, now, actor)) != ESEAL_OK)
		return rc;
	if (RAND_bytes(key_id, sizeof(key_id)) != 1)
		return eseal_err(ESEAL_EINTERNAL, "ocsp_signer: the CSPRNG "
		    "failed");
	hex(key_id, sizeof(key_id), idhex);
	snprintf(label, sizeof(label), "eseal-ocsp-%s", is->rec.name);
	if ((rc = p11_generate(ca->token, type, key_id, sizeof(key_id), label))
	    != ESEAL_OK)
		return rc;
	if ((rc = p11_public_key(ca->token, key_id, sizeof(key_id), &pub))
	    != ESEAL_OK)
		goto out;
	if ((rc = record_pending(ca, is, pub, now, not_after, serial, &tbs,
	    &tbs_len)) != ESEAL_OK)
		goto out;
	log_info("msg=\"OCSP signer certificate recorded\" issuer=%s "
	    "serial=%s key_id=%s", is->rec.name, serial, idhex);

	rc = issuer_sign(ca, is->rec.key_id, is->rec.key_id_len, is->pub, tbs,
	    tbs_len, &der, &der_len);
	if (rc == ESEAL_EHSM)
		goto out;	/* stays pending: issue_recover() finishes it */
	if (rc != ESEAL_OK) {
		/* Final (a signature that does not verify): fail the row. */
		rc = issue_fail(ca, serial, rc, actor, now);
		goto out;
	}

	memset(&rec, 0, sizeof(rec));
	rec.issuer_id = is->rec.id;
	memcpy(rec.key_id, key_id, sizeof(key_id));
	rec.key_id_len = sizeof(key_id);
	snprintf(rec.key_type, sizeof(rec.key_type), "%s", key_type_name(type));
	memcpy(rec.serial, serial, sizeof(rec.serial));
	rec.cert = der;
	rec.cert_len = der_len;
	rec.not_before = now;
	rec.not_after = not_after;
	rec.created = now;
	snprintf(rec.status, sizeof(rec.status), "active");
	if ((rc = record_signer(ca, is, &rec, idhex, actor, now, &retired))
	    != ESEAL_OK)
		goto out;
	log_info("msg=\"OCSP signer created\" issuer=%s serial=%s key_type=%s "
	    "not_after=%lld retired=%d actor=%s", is->rec.name, serial,
	    rec.key_type, (long long)not_after, retired, actor);
	if (out != NULL) {
		/* der is OPENSSL_malloc'd; the record's is malloc'd. */
		if ((rec.cert = malloc(der_len)) == NULL) {
			rc = eseal_err(ESEAL_ENOMEM, "ocsp_signer: out of "
			    "memory");
			goto out;
		}
		memcpy(rec.cert, der, der_len);
		rc = signer_from_rec(&rec, out);
	}
out:
	OPENSSL_free(tbs);
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	return rc;
}
