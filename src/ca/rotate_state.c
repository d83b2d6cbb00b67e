/*
 * rotate_state.c: the issuer states after a rotation (rotate.h): a pending
 * issuer made active by the certificate its parent signed (import-cert),
 * a retiring issuer retired (by hand or once its certificates expired,
 * after a final CRL), and the warnings operators get ahead of trouble.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "date.h"
#include "log.h"
#include "rotate_int.h"

/*
 * DER: one certificate and nothing after it; else PEM (text before it, as
 * `openssl ca` writes, is skipped): the first certificate.
 */
static X509 *
parse_cert(const unsigned char *b, size_t len)
{
	const unsigned char *p = b;
	X509 *x;
	BIO *bio;

	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		if (p == b + len)
			return x;
		X509_free(x);
		return NULL;
	}
	x = NULL;
	if ((bio = BIO_new_mem_buf(b, (int)len)) != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return x;
}

/*
 * Every certificate of PEM text from bio (freed) into sk, appended; -1 if
 * none parse.
 */
static int
pem_certs(BIO *bio, STACK_OF(X509) *sk)
{
	X509 *x;
	int n = 0;

	while (bio != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))
	    != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();
	return n > 0 ? n : -1;
}

/* The certificates above x, up to the root, as PEM (malloc'd). */
static char *
chain_pem(STACK_OF(X509) *chain)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long n;

	for (int i = 1; b != NULL && i < sk_X509_num(chain); i++)
		if (PEM_write_bio_X509(b, sk_X509_value(chain, i)) != 1)
			goto out;
	if (b != NULL && (n = BIO_get_mem_data(b, &data)) >= 0 &&
	    (pem = malloc((size_t)n + 1)) != NULL) {
		memcpy(pem, data, (size_t)n);
		pem[n] = '\0';
	}
out:
	BIO_free(b);
	return pem;
}

/*
 * x chains to [ca] root_cert through the certificates of chain_pem, at
 * now: *pem gets the certificates above x, up to the root.
 */
static enum eseal_rc
check_chain(struct ca *ca, X509 *x, const char *chain, time_t now, char **pem)
{
	const char *root = ca->conf->ca_root_cert;
	STACK_OF(X509) *roots = sk_X509_new_null(), *mid = sk_X509_new_null();
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	enum eseal_rc rc = ESEAL_OK;

	*pem = NULL;
	if (roots == NULL || mid == NULL || st == NULL || ctx == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "rotate: out of memory");
		goto out;
	}
	if (root[0] == '\0') {
		rc = eseal_err(ESEAL_ECONF, "rotate: [ca] root_cert is not set: "
		    "the external-root shape needs the root the certificate "
		    "must chain to (docs/key-rotation.md)");
		goto out;
	}
	if (pem_certs(BIO_new_file(root, "r"), roots) < 0) {
		rc = eseal_err(ESEAL_ECONF, "rotate: [ca] root_cert %s: no PEM "
		    "certificate in it", root);
		goto out;
	}
	for (int i = 0; i < sk_X509_num(roots); i++)
		X509_STORE_add_cert(st, sk_X509_value(roots, i));
	if (chain != NULL && pem_certs(BIO_new_mem_buf(chain,
	    (int)strlen(chain)), mid) < 0) {
		rc = eseal_err(ESEAL_EINVAL, "rotate: --chain: no PEM "
		    "certificate in it");
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, st, x, mid)) {
		rc = eseal_err(ESEAL_ENOMEM, "rotate: out of memory");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, now);
	if (X509_verify_cert(ctx) != 1)
		rc = eseal_err(ESEAL_EPOLICY, "rotate: RFC 5280 6.1: the "
		    "certificate does not chain to [ca] root_cert %s: %s", root,
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	else if ((*pem = chain_pem(X509_STORE_CTX_get0_chain(ctx))) == NULL)
		rc = eseal_err(ESEAL_ENOMEM, "rotate: out of memory");
out:
	sk_X509_pop_free(roots, X509_free);
	sk_X509_pop_free(mid, X509_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ERR_clear_error();
	return rc;
}

/* The certificate is for the key made for rec and fit to be a CA. */
static enum eseal_rc
check_import(struct ca *ca, const struct store_issuer *rec, X509 *x,
    time_t now)
{
	struct p11_token *tok;
	EVP_PKEY *pub = NULL;
	uint32_t ku;
	enum eseal_rc rc;

	if ((rc = ca_token(ca, rec->token, &tok)) != ESEAL_OK ||
	    (rc = p11_public_key(tok, rec->key_id, rec->key_id_len, &pub))
	    != ESEAL_OK)
		return rc;
	if (EVP_PKEY_eq(X509_get0_pubkey(x), pub) != 1)
		rc = eseal_err(ESEAL_EPOLICY, "rotate: RFC 5280 4.1.2.7: the "
		    "certificate is for another key, not the one made for %s "
		    "(its CSR)", rec->name);
	else if (X509_check_ca(x) != 1 ||
	    (X509_get_extension_flags(x) & EXFLAG_BCONS) == 0)
		rc = eseal_err(ESEAL_EPOLICY, "rotate: RFC 5280 4.2.1.9: the "
		    "certificate is not a CA certificate (basicConstraints cA "
		    "is not set)");
	else if (((ku = X509_get_key_usage(x)) & (KU_KEY_CERT_SIGN |
	    KU_CRL_SIGN)) != (KU_KEY_CERT_SIGN | KU_CRL_SIGN))
		rc = eseal_err(ESEAL_EPOLICY, "rotate: RFC 5280 4.2.1.3: the "
		    "certificate's keyUsage must allow keyCertSign and cRLSign");
	else if (X509_cmp_time(X509_get0_notAfter(x), &now) <= 0 ||
	    X509_cmp_time(X509_get0_notBefore(x), &now) > 0)
		rc = eseal_err(ESEAL_EPOLICY, "rotate: RFC 5280 4.1.2.5: the "
		    "certificate is not valid now");
	EVP_PKEY_free(pub);
	return rc;
}

static int64_t
asn1_secs(const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

enum eseal_rc
rotate_import_cert(struct ca *ca, const char *name, const unsigned char *cert,
    size_t cert_len, const char *chain, const char *actor, time_t now)
{
	struct store_issuer rec, with;
	struct issuer *cur = NULL;
	unsigned char *der = NULL;
	char *pem = NULL;
	X509 *x = NULL;
	enum eseal_rc rc;
	int len;

	if (cert_len > ROTATE_CERT_MAX || (chain != NULL &&
	    strlen(chain) > ROTATE_CERT_MAX))
		return eseal_err(ESEAL_ETOOLARGE, "rotate: a certificate or "
		    "chain larger than %d bytes", ROTATE_CERT_MAX);
	if ((rc = store_issuer_by_name(ca->store, name, &rec)) != ESEAL_OK)
		return rc == ESEAL_ENOTFOUND ? eseal_err(rc, "rotate: no issuer "
		    "named \"%s\"", name) : rc;
	if (strcmp(rec.status, "pending") != 0) {
		rc = eseal_err(ESEAL_EINVAL, "rotate: issuer %s is %s, not "
		    "pending: only a key made by `issuer rotate --csr-out` takes "
		    "a certificate", name, rec.status);
		goto out;
	}
	if ((x = parse_cert(cert, cert_len)) == NULL) {
		rc = eseal_err(ESEAL_EINVAL, "rotate: RFC 5280 4.1: the file is "
		    "not one PEM or DER certificate");
		goto out;
	}
	if ((rc = check_import(ca, &rec, x, now)) != ESEAL_OK ||
	    (rc = check_chain(ca, x, chain, now, &pem)) != ESEAL_OK)
		goto out;
	if ((len = i2d_X509(x, &der)) <= 0) {
		rc = eseal_err(ESEAL_EINTERNAL, "rotate: cannot encode");
		goto out;
	}
	memset(&with, 0, sizeof(with));
	with.cert = der;
	with.cert_len = (size_t)len;
	with.chain = pem;
	with.not_before = asn1_secs(X509_get0_notBefore(x));
	with.not_after = asn1_secs(X509_get0_notAfter(x));
	(void)issuer_current(ca, &cur);
	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		goto out;
	if ((cur != NULL && (rc = store_issuer_set_status(ca->store,
	    cur->rec.id, "active", "retiring", now, NULL)) != ESEAL_OK) ||
	    (rc = store_issuer_set_status(ca->store, rec.id, "pending",
	    "active", now, &with)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, now, actor, "issuer.import-cert",
	    name, "replaces=%s not_after=%lld chain_to=%s", cur ?
	    cur->rec.name : "-", (long long)with.not_after,
	    ca->conf->ca_root_cert)) != ESEAL_OK) {
		store_rollback(ca->store);
		goto out;
	}
	if ((rc = store_commit(ca->store)) == ESEAL_OK)
		log_info("msg=\"issuer certificate imported\" issuer=%s "
		    "replaces=%s", name, cur ? cur->rec.name : "-");
out:
	issuer_free(cur);
	OPENSSL_free(der);
	free(pem);
	X509_free(x);
	store_issuer_clear(&rec);
	return rc;
}

/* The final CRLs and the retired state, for an issuer that may retire. */
static enum eseal_rc
retire_one(struct ca *ca, const struct issuer *is, int forced,
    const struct store_issuer_cover *cov, const char *why,
    const struct crl_params *p, const char *actor, time_t now)
{
	unsigned char *der;
	size_t len;
	int64_t number = 0;
	enum eseal_rc rc = ESEAL_OK;

	for (int s = 0; s < is->rec.crl_shards && rc == ESEAL_OK; s++) {
		rc = crl_generate(ca, is, s, now, p, &der, &len, &number);
		if (rc == ESEAL_OK)
			OPENSSL_free(der);
	}
	if (rc != ESEAL_OK)
		return rc;
	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		return rc;
	if ((rc = store_issuer_set_status(ca->store, is->rec.id, "retiring",
	    "retired", now, NULL)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, now, actor, "issuer.retire",
	    is->rec.name, "forced=%d unexpired_unrevoked=%lld final_crl=%lld "
	    "reason=\"%s\"", forced, (long long)cov->unexpired_unrevoked,
	    (long long)number, why ? why : "")) != ESEAL_OK) {
		store_rollback(ca->store);
		return rc;
	}
	if ((rc = store_commit(ca->store)) == ESEAL_OK)
		log_info("msg=\"issuer retired\" issuer=%s forced=%d "
		    "final_crl=%lld", is->rec.name, forced, (long long)number);
	return rc;
}

enum eseal_rc
rotate_retire(struct ca *ca, const char *name, int force, const char *why,
    const struct crl_params *p, const char *actor, time_t now)
{
	struct store_issuer_cover cov;
	struct issuer *is = NULL;
	char day[16];
	enum eseal_rc rc;

	if ((rc = issuer_by_name(ca, name, &is)) != ESEAL_OK)
		return rc;
	if (strcmp(is->rec.status, "retiring") != 0)
		rc = eseal_err(ESEAL_EINVAL, "retire: issuer %s is %s; only a "
		    "retiring issuer retires (%s)", name, is->rec.status,
		    strcmp(is->rec.status, "active") == 0 ? "rotate to a new "
		    "issuer first" : "nothing to do");
	else if ((rc = store_issuer_covers(ca->store, is->rec.id, now, &cov))
	    == ESEAL_OK && cov.unexpired_unrevoked > 0 && !force) {
		date_format_ymd((time_t)cov.last_not_after, day, sizeof(day));
		rc = eseal_err(ESEAL_EPOLICY, "retire: issuer %s still covers "
		    "%lld unexpired, unrevoked certificate(s), the last until "
		    "%s: its key must keep signing their status "
		    "(docs/key-rotation.md); revoke them, wait, or --force "
		    "--reason TEXT", name, (long long)cov.unexpired_unrevoked,
		    day);
	} else if (rc == ESEAL_OK && force && (why == NULL || why[0] == '\0'))
		rc = eseal_err(ESEAL_EINVAL, "retire: --force needs --reason "
		    "TEXT, kept in the audit record");
	else if (rc == ESEAL_OK)
		rc = retire_one(ca, is, force && cov.unexpired_unrevoked > 0,
		    &cov, why, p, actor, now);
	issuer_free(is);
	return rc;
}

enum eseal_rc
rotate_retire_expired(struct ca *ca, const struct crl_params *p, time_t now,
    int *n)
{
	struct store_issuer *v = NULL;
	struct store_issuer_cover cov;
	struct issuer *is;
	size_t nv = 0;
	enum eseal_rc rc;

	if (n != NULL)
		*n = 0;
	if ((rc = store_issuer_list(ca->store, &v, &nv)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < nv && rc == ESEAL_OK; i++) {
		if (strcmp(v[i].status, "retiring") != 0)
			continue;
		if ((rc = store_issuer_covers(ca->store, v[i].id, now, &cov))
		    != ESEAL_OK || cov.unexpired > 0)
			continue;
		if ((rc = issuer_by_id(ca, v[i].id, &is)) != ESEAL_OK)
			break;
		rc = retire_one(ca, is, 0, &cov, "its last certificate "
		    "expired", p, "eseald", now);
		issuer_free(is);
		if (rc == ESEAL_OK && n != NULL)
			(*n)++;
	}
	store_issuer_list_free(v, nv);
	return rc;
}

int
rotate_warnings(struct ca *ca, time_t now, char out[][ROTATE_WARN_LEN])
{
	struct fips_verdict v;
	struct p11_token *tok;
	struct issuer *is = NULL;
	int64_t margin;
	char day[16];
	int n = 0;

	if (issuer_current(ca, &is) != ESEAL_OK)
		return 0;
	ca_rdlock(ca);
	margin = (int64_t)ca->conf->ca_expiry_warn_days * 86400;
	if (is->rec.not_after - (int64_t)now < margin) {
		date_format_ymd((time_t)is->rec.not_after, day, sizeof(day));
		snprintf(out[n++], ROTATE_WARN_LEN, "issuer %s: its CA "
		    "certificate expires %s (in %lld days; [ca] "
		    "expiry_warn_days = %d): rotate (esealctl issuer rotate)",
		    is->rec.name, day, (long long)((is->rec.not_after -
		    (int64_t)now) / 86400), ca->conf->ca_expiry_warn_days);
	}
	if (ca_token(ca, is->rec.token, &tok) == ESEAL_OK &&
	    ca_fips_verdict_on(ca, tok, now, &v) == ESEAL_OK) {
		if (v.status == FIPS_HISTORICAL || v.status == FIPS_REVOKED)
			snprintf(out[n++], ROTATE_WARN_LEN, "issuer %s: its "
			    "token %s is on module %s, %s (%s): rotate to an "
			    "Active module (esealctl issuer rotate --token)",
			    is->rec.name, ca_token_label(is->rec.token),
			    v.module, fips_status_name(v.status), v.reason);
		else if (v.historical_from > now &&
		    v.historical_from - now < margin) {
			date_format_ymd(v.historical_from, day, sizeof(day));
			snprintf(out[n++], ROTATE_WARN_LEN, "issuer %s: its "
			    "token %s is on module %s, Historical from %s "
			    "(sunset): rotate to an Active module before then",
			    is->rec.name, ca_token_label(is->rec.token),
			    v.module, day);
		}
	}
	ca_unlock(ca);
	issuer_free(is);
	return n;
}

void
rotate_log_warnings(struct ca *ca, time_t now)
{
	char w[ROTATE_WARN_MAX][ROTATE_WARN_LEN];
	int n = rotate_warnings(ca, now, w);

	for (int i = 0; i < n; i++)
		log_warn("msg=\"%s\"", w[i]);
}
