/*
 * crl.c: one CRL for one issuer key and shard.  Its extensions are made
 * with OpenSSL's X509V3 API (and its ASN.1 for the one extension OpenSSL
 * does not know, expiredCertsOnCRL); the entries are streamed from the
 * store into the DER by crl_stream.c, which has the HSM sign it and checks
 * the signature with the issuer's public key before it is recorded with
 * its number.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "crl.h"
#include "crl_splice.h"
#include "crl_stream.h"
#include "log.h"
#include "profile.h"
#include "revoke.h"
#include "serial.h"
#include "sign.h"
#include "store_crlkeep.h"
#include "store_publish.h"

/* Characters a URL may carry into a CRL and a certificate unchanged. */
#define URL_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789-._~:/?#[]@!$&'()*+,;=%"

enum eseal_rc
crl_url(const char *tmpl, const char *base, const char *issuer, int shard,
    char *buf, size_t len)
{
	size_t n;

	if (len == 0)
		return eseal_err(ESEAL_EINVAL, "crl: no room for the URL");
	buf[0] = '\0';
	if (tmpl == NULL || tmpl[0] == '\0')
		return eseal_err(ESEAL_EINVAL, "crl: RFC 5280 5.2.5: no CRL URL "
		    "template (the profile's crl_url)");
	if (issuer == NULL || issuer[0] == '\0' || strspn(issuer,
	    "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(issuer))
		return eseal_err(ESEAL_EINVAL, "crl: RFC 3986 2.3: the issuer "
		    "name must be [a-z0-9-] to go into a URL");
	if (shard < 0)
		return eseal_err(ESEAL_EINVAL, "crl: [ca] crl_shards: shard %d "
		    "is negative", shard);
	/* The very expansion the certificates' distribution points got. */
	if (!profile_url(tmpl, base != NULL ? base : "", issuer, shard, buf,
	    len)) {
		buf[0] = '\0';
		return eseal_err(ESEAL_EINVAL, "crl: CRL_URL_MAX: the URL is "
		    "longer than %zu bytes", len - 1);
	}
	n = strlen(buf);
	if (strncmp(buf, "http://", 7) != 0 || n == 7 ||
	    strspn(buf, URL_CHARS) != n) {
		buf[0] = '\0';
		return eseal_err(ESEAL_EINVAL, "crl: RFC 5280 4.2.1.13: the "
		    "distribution point must be a plain http:// URI, with "
		    "every {placeholder} known and {base} given");
	}
	return ESEAL_OK;
}

enum eseal_rc
crl_delta_url(const char *tmpl, const char *base, const char *issuer,
    int shard, char *buf, size_t len)
{
	char url[CRL_URL_MAX];
	enum eseal_rc rc;

	buf[0] = '\0';
	if ((rc = crl_url(tmpl, base, issuer, shard, url, sizeof(url)))
	    != ESEAL_OK)
		return rc;
	if (!profile_delta_url(url, buf, len)) {
		buf[0] = '\0';
		return eseal_err(ESEAL_EINVAL, "crl: RFC 5280 5.2.4: [publish] "
		    "delta_crl = on needs a CRL URL ending in .crl (the delta "
		    "is published beside it), not %s", url);
	}
	return ESEAL_OK;
}

/* RFC 5280 5.2.1: authorityKeyIdentifier = the CA certificate's SKI. */
static enum eseal_rc
add_aki(X509_CRL *crl, const struct issuer *is)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(is->cert);
	AUTHORITY_KEYID *aki;
	int ok;

	if (ski == NULL)
		return eseal_err(ESEAL_EINTERNAL, "crl: RFC 5280 5.2.1: the CA "
		    "certificate of %s has no subjectKeyIdentifier",
		    is->rec.name);
	if ((aki = AUTHORITY_KEYID_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "crl: out of memory");
	ok = (aki->keyid = ASN1_OCTET_STRING_dup(ski)) != NULL &&
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0,
	    0) == 1;
	AUTHORITY_KEYID_free(aki);
	return ok ? ESEAL_OK : eseal_err(ESEAL_ENOMEM, "crl: out of memory");
}

/*
 * RFC 5280 5.2.3: cRLNumber, non-critical; with nid NID_delta_crl, 5.2.4:
 * the deltaCRLIndicator (the base CRL's number), critical.
 */
static enum eseal_rc
add_number(X509_CRL *crl, int nid, int64_t number)
{
	ASN1_INTEGER *n;
	int ok;

	if ((n = ASN1_INTEGER_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "crl: out of memory");
	ok = ASN1_INTEGER_set_int64(n, number) &&
	    X509_CRL_add1_ext_i2d(crl, nid, n, nid == NID_delta_crl, 0) == 1;
	ASN1_INTEGER_free(n);
	return ok ? ESEAL_OK : eseal_err(ESEAL_ENOMEM, "crl: out of memory");
}

/*
 * RFC 5280 5.2.5: issuingDistributionPoint, critical: the shard's URL as
 * the distributionPoint fullName, onlyContainsUserCerts TRUE.
 */
static enum eseal_rc
add_idp(X509_CRL *crl, const char *url)
{
	ISSUING_DIST_POINT *idp;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *uri = NULL;
	int ok;

	if ((idp = ISSUING_DIST_POINT_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "crl: out of memory");
	ok = (idp->distpoint = DIST_POINT_NAME_new()) != NULL &&
	    (idp->distpoint->name.fullname = GENERAL_NAMES_new()) != NULL &&
	    (uri = ASN1_IA5STRING_new()) != NULL &&
	    ASN1_STRING_set(uri, url, -1) &&
	    (gn = GENERAL_NAME_new()) != NULL;
	if (ok) {
		idp->distpoint->type = 0;	/* fullName */
		GENERAL_NAME_set0_value(gn, GEN_URI, uri);
		uri = NULL;
		ok = sk_GENERAL_NAME_push(idp->distpoint->name.fullname, gn)
		    > 0;
		if (ok)
			gn = NULL;
	}
	if (ok) {
		idp->onlyuser = 0xff;	/* DER TRUE */
		ok = X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point,
		    idp, 1, 0) == 1;
	}
	GENERAL_NAME_free(gn);
	ASN1_IA5STRING_free(uri);
	ISSUING_DIST_POINT_free(idp);
	return ok ? ESEAL_OK : eseal_err(ESEAL_ENOMEM, "crl: cannot encode "
	    "the issuingDistributionPoint");
}

/*
 * ITU-T X.509 expiredCertsOnCRL ::= GeneralizedTime, non-critical: revoked
 * certificates that expired since then are still listed.  OpenSSL does not
 * know the extension: its value is a GeneralizedTime encoded by OpenSSL.
 */
static enum eseal_rc
add_expired_on_crl(X509_CRL *crl, int64_t since)
{
	ASN1_OBJECT *obj = NULL;
	ASN1_GENERALIZEDTIME *gt = NULL;
	ASN1_OCTET_STRING *os = NULL;
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	int len, ok;

	ok = (obj = OBJ_txt2obj(CRL_OID_EXPIRED_CERTS_ON_CRL, 1)) != NULL &&
	    (gt = ASN1_GENERALIZEDTIME_set(NULL, (time_t)since)) != NULL &&
	    (len = i2d_ASN1_GENERALIZEDTIME(gt, &der)) > 0 &&
	    (os = ASN1_OCTET_STRING_new()) != NULL &&
	    ASN1_OCTET_STRING_set(os, der, len) &&
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) != NULL &&
	    X509_CRL_add_ext(crl, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	OPENSSL_free(der);
	ASN1_GENERALIZEDTIME_free(gt);
	ASN1_OBJECT_free(obj);
	return ok ? ESEAL_OK : eseal_err(ESEAL_ENOMEM, "crl: cannot encode "
	    "expiredCertsOnCRL");
}

/* RFC 5280 5.2.6: freshestCRL, non-critical: where the delta CRL is. */
static enum eseal_rc
add_freshest(X509_CRL *crl, const char *url)
{
	X509_EXTENSION *ext;
	char v[CRL_URL_MAX + 8];
	int ok;

	snprintf(v, sizeof(v), "URI:%s", url);
	ok = (ext = X509V3_EXT_nconf_nid(NULL, NULL, NID_freshest_crl, v))
	    != NULL && X509_CRL_add_ext(crl, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok ? ESEAL_OK : eseal_err(ESEAL_EINTERNAL, "crl: cannot "
	    "encode freshestCRL for %s", url);
}

/* What the crlExtensions of one CRL say. */
struct crl_exts {
	int64_t		 number;	/* cRLNumber */
	const char	*idp;		/* issuingDistributionPoint; NULL none */
	int		 drop_expired;	/* no expiredCertsOnCRL */
	int64_t		 delta_base;	/* a delta CRL: its base's number */
	const char	*freshest;	/* a base CRL: its delta's URL; NULL */
};

/*
 * The crlExtensions of a CRL, in the order they are encoded, on an
 * X509_CRL that carries nothing else: its extension list is handed to the
 * streaming writer (crl_stream.h).
 */
static enum eseal_rc
extensions(const struct issuer *is, const struct crl_exts *e, X509_CRL **out)
{
	X509_CRL *crl;
	enum eseal_rc rc;

	*out = NULL;
	if ((crl = X509_CRL_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "crl: out of memory");
	if ((rc = add_aki(crl, is)) != ESEAL_OK ||
	    (rc = add_number(crl, NID_crl_number, e->number)) != ESEAL_OK ||
	    (e->delta_base > 0 && (rc = add_number(crl, NID_delta_crl,
	    e->delta_base)) != ESEAL_OK) ||
	    (e->idp != NULL && (rc = add_idp(crl, e->idp)) != ESEAL_OK) ||
	    (!e->drop_expired &&
	    (rc = add_expired_on_crl(crl, is->rec.not_before)) != ESEAL_OK) ||
	    (e->freshest != NULL && (rc = add_freshest(crl, e->freshest))
	    != ESEAL_OK)) {
		X509_CRL_free(crl);
		return rc;
	}
	*out = crl;
	return ESEAL_OK;
}

/*
 * The CRL with extensions e whose entries sp (shard, dates, filters)
 * chooses, signed into c: spliced from the previous CRL where that is
 * exact (crl_splice.h; only if spliced is not NULL, with *spliced set to
 * say which), else streamed from the store.
 */
static enum eseal_rc
build_signed(struct ca *ca, const struct issuer *is,
    struct crl_stream_params *sp, const struct crl_exts *e,
    const struct crl_params *p, struct store_crl *c, int *spliced)
{
	X509_CRL *ext = NULL;
	enum eseal_rc rc;

	if ((rc = extensions(is, e, &ext)) != ESEAL_OK)
		return rc;
	sp->drop_expired = e->drop_expired;
	sp->exts = X509_CRL_get0_extensions(ext);
	rc = ESEAL_ENOTFOUND;
	if (spliced != NULL) {
		rc = crl_splice_next(ca, is, sp, c->number, p->base_der,
		    p->base_len, p->base_number, &c->der, &c->der_len, NULL);
		*spliced = rc == ESEAL_OK;
		if (rc == ESEAL_ENOTFOUND)
			log_debug("msg=\"CRL built in full\" issuer=%s "
			    "shard=%d why=\"%s\"", is->rec.name, sp->shard,
			    eseal_errmsg());
	}
	if (rc == ESEAL_ENOTFOUND)
		rc = crl_stream_write(ca, is, sp, &c->der, &c->der_len, NULL);
	sp->exts = NULL;
	X509_CRL_free(ext);
	return rc;
}

/*
 * The next number of (is, shard), base or delta (RFC 5280 5.2.3); *last
 * (if not NULL) the newest base CRL's number (or a restore's floor).
 */
static enum eseal_rc
next_number(struct ca *ca, const struct issuer *is, int shard,
    int64_t *number, int64_t *last)
{
	int64_t delta = 0;
	enum eseal_rc rc;

	if ((rc = store_crl_next_number(ca->store, is->rec.id, shard, number))
	    != ESEAL_OK ||
	    (rc = store_crl_delta_max(ca->store, is->rec.id, shard, &delta))
	    != ESEAL_OK)
		return rc;
	if (last != NULL)
		*last = *number - 1;
	if (delta >= *number)
		*number = delta + 1;
	return ESEAL_OK;
}

/* Records the CRL and its audit record in one transaction. */
static enum eseal_rc
record(struct ca *ca, const struct issuer *is, const struct store_crl *c,
    const char *actor, int64_t owed)
{
	char object[STORE_NAME_MAX + 16];
	enum eseal_rc rc;

	snprintf(object, sizeof(object), "%s/%d", is->rec.name, c->shard);
	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		return rc;
	if ((rc = store_crl_insert(ca->store, c)) != ESEAL_OK ||
	    (rc = store_crl_owed_clear(ca->store, c->issuer_id, c->shard,
	    owed)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, c->this_update, actor,
	    "crl.generate", object, "number=%lld next_update=%lld bytes=%zu",
	    (long long)c->number, (long long)c->next_update, c->der_len))
	    != ESEAL_OK) {
		store_rollback(ca->store);
		return rc;
	}
	return store_commit(ca->store);
}

/*
 * What crl_generate() and crl_generate_delta() check first: the shard,
 * the validity (*validity, defaulted), the actor, and for a sharded issuer
 * its URL (into url, else url is "").
 */
static enum eseal_rc
check_params(const struct issuer *is, int shard, const struct crl_params *p,
    int64_t *validity, char url[CRL_URL_MAX])
{
	url[0] = '\0';
	*validity = p->validity_secs != 0 ? p->validity_secs :
	    CRL_VALIDITY_DEFAULT;
	if (shard < 0 || shard >= is->rec.crl_shards)
		return eseal_err(ESEAL_EINVAL, "crl: [ca] crl_shards (fixed when "
		    "the issuer was created): issuer %s has shards 0 to %d, not "
		    "%d", is->rec.name, is->rec.crl_shards - 1, shard);
	if (*validity < 0 || *validity > CRL_VALIDITY_MAX)
		return eseal_err(ESEAL_EINVAL, "crl: CA/B Forum BR 4.9.7 "
		    "([publish] crl_validity_hours): nextUpdate must be 1 s to "
		    "%d days after thisUpdate", CRL_VALIDITY_MAX / 86400);
	if (p->actor == NULL || p->actor[0] == '\0')
		return eseal_err(ESEAL_EINVAL, "crl: every action leaves an "
		    "audit record: who generates the CRL must be named");
	if (is->rec.crl_shards <= 1)
		return ESEAL_OK;
	if (p->url_template == NULL || strstr(p->url_template, "{shard}") ==
	    NULL)
		return eseal_err(ESEAL_EINVAL, "crl: RFC 5280 5.2.5: each shard "
		    "needs its own URL: the template must contain {shard}");
	return crl_url(p->url_template, p->base_url, is->rec.name, shard, url,
	    CRL_URL_MAX);
}

enum eseal_rc
crl_generate(struct ca *ca, const struct issuer *is, int shard, int64_t now,
    const struct crl_params *p, unsigned char **der, size_t *len,
    int64_t *number)
{
	struct store_crl c;
	struct crl_stream_params sp;
	struct crl_exts e;
	char url[CRL_URL_MAX], durl[CRL_URL_MAX];
	enum eseal_rc rc;
	int64_t validity_secs, owed = 0;
	int spliced = 0;

	*der = NULL;
	*len = 0;
	*number = 0;
	memset(&c, 0, sizeof(c));
	if ((rc = check_params(is, shard, p, &validity_secs, url)) != ESEAL_OK ||
	    (p->delta && (rc = crl_delta_url(p->url_template, p->base_url,
	    is->rec.name, shard, durl, sizeof(durl))) != ESEAL_OK))
		return rc;
	memset(&e, 0, sizeof(e));
	e.idp = url[0] != '\0' ? url : NULL;
	e.drop_expired = p->drop_expired;
	e.freshest = p->delta ? durl : NULL;

	/* A concurrent CRL may take the number: rebuild with the next one. */
	for (int tries = 0; tries < CRL_NUMBER_TRIES; tries++) {
		OPENSSL_free(c.der);
		c.der = NULL;
		memset(&sp, 0, sizeof(sp));
		sp.shard = shard;
		sp.this_update = now;
		sp.next_update = now + validity_secs;
		/* The owed marks first: the list then has their revocations. */
		if ((rc = next_number(ca, is, shard, &c.number, NULL)) !=
		    ESEAL_OK ||
		    (rc = store_crl_owed_upto(ca->store, is->rec.id, shard,
		    &owed)) != ESEAL_OK ||
		    (e.number = c.number, rc = build_signed(ca, is, &sp, &e,
		    p, &c, &spliced)) != ESEAL_OK)
			break;
		c.issuer_id = is->rec.id;
		c.shard = shard;
		c.this_update = now;
		c.next_update = now + validity_secs;
		if ((rc = record(ca, is, &c, p->actor, owed)) != ESEAL_EEXIST)
			break;
	}
	if (rc == ESEAL_OK) {
		log_info("msg=\"CRL generated\" issuer=%s shard=%d number=%lld "
		    "bytes=%zu how=%s", is->rec.name, shard,
		    (long long)c.number, c.der_len, spliced ? "spliced" :
		    "full");
		*der = c.der;
		*len = c.der_len;
		*number = c.number;
		c.der = NULL;
		/* Bounded storage: a failure leaves bodies, never the CRL. */
		if (crl_prune(ca, is, shard, now, p->keep_secs,
		    p->keep_count, NULL) != ESEAL_OK)
			log_warn("msg=\"CRL pruning failed\" issuer=%s "
			    "shard=%d error=\"%s\"", is->rec.name, shard,
			    eseal_errmsg());
	}
	OPENSSL_free(c.der);
	ERR_clear_error();
	return rc;
}

/* Records the delta CRL, clears the owed marks, audits: one transaction. */
static enum eseal_rc
record_delta(struct ca *ca, const struct issuer *is,
    const struct store_crl_delta *d, const char *actor, int64_t owed)
{
	char object[STORE_NAME_MAX + 16];
	enum eseal_rc rc;

	snprintf(object, sizeof(object), "%s/%d", is->rec.name, d->c.shard);
	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		return rc;
	if ((rc = store_crl_delta_insert(ca->store, d)) != ESEAL_OK ||
	    (rc = store_crl_owed_clear(ca->store, d->c.issuer_id, d->c.shard,
	    owed)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, d->c.this_update, actor,
	    "crl.delta", object, "number=%lld base=%lld next_update=%lld "
	    "bytes=%zu", (long long)d->c.number, (long long)d->base_number,
	    (long long)d->c.next_update, d->c.der_len)) != ESEAL_OK) {
		store_rollback(ca->store);
		return rc;
	}
	return store_commit(ca->store);
}

enum eseal_rc
crl_generate_delta(struct ca *ca, const struct issuer *is, int shard,
    int64_t now, const struct crl_params *p, const struct store_crl *base,
    struct store_crl_delta *out)
{
	struct store_crl_delta d;
	struct crl_stream_params sp;
	struct crl_exts e;
	char url[CRL_URL_MAX];
	enum eseal_rc rc;
	int64_t validity_secs, owed = 0, last = 0;

	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	if ((rc = check_params(is, shard, p, &validity_secs, url)) != ESEAL_OK)
		return rc;
	if (base->number <= 0 || base->next_update <= now)
		return eseal_err(ESEAL_EINVAL, "crl: RFC 5280 5.2.4: a delta "
		    "CRL needs a base CRL that is still valid (issuer %s shard "
		    "%d): make a new base CRL", is->rec.name, shard);
	memset(&e, 0, sizeof(e));
	e.idp = url[0] != '\0' ? url : NULL;	/* 5.2.4: the base's IDP */
	e.drop_expired = p->drop_expired;
	e.delta_base = base->number;
	for (int tries = 0; tries < CRL_NUMBER_TRIES; tries++) {
		store_crl_delta_clear(&d);
		memset(&sp, 0, sizeof(sp));
		sp.shard = shard;
		sp.this_update = now;
		sp.next_update = base->next_update;
		sp.revoked_since = base->this_update - CRL_DELTA_OVERLAP_SECS;
		if ((rc = next_number(ca, is, shard, &d.c.number, &last)) !=
		    ESEAL_OK)
			break;
		if (last > base->number) {
			rc = eseal_err(ESEAL_EEXIST, "crl: RFC 5280 5.2.4: "
			    "base CRL %lld of %s shard %d is not the newest "
			    "(%lld is): its delta would be of no use",
			    (long long)base->number, is->rec.name, shard,
			    (long long)last);
			break;
		}
		if ((rc = store_crl_owed_upto(ca->store, is->rec.id, shard,
		    &owed)) != ESEAL_OK ||
		    (e.number = d.c.number, rc = build_signed(ca, is, &sp, &e,
		    p, &d.c, NULL)) != ESEAL_OK)
			break;
		d.c.issuer_id = is->rec.id;
		d.c.shard = shard;
		d.c.this_update = now;
		d.c.next_update = base->next_update;
		d.base_number = base->number;
		if ((rc = record_delta(ca, is, &d, p->actor, owed)) !=
		    ESEAL_EEXIST)
			break;
	}
	if (rc == ESEAL_OK) {
		log_info("msg=\"delta CRL generated\" issuer=%s shard=%d "
		    "number=%lld base=%lld bytes=%zu", is->rec.name, shard,
		    (long long)d.c.number, (long long)d.base_number,
		    d.c.der_len);
		*out = d;
		memset(&d, 0, sizeof(d));
		/* Bounded storage: older delta bodies go, as base ones do. */
		if ((p->keep_secs > 0 || p->keep_count > 0) &&
		    store_crl_delta_prune(ca->store, is->rec.id, shard,
		    p->keep_secs > 0 ? now - p->keep_secs : INT64_MIN,
		    p->keep_count, NULL) != ESEAL_OK)
			log_warn("msg=\"delta CRL pruning failed\" issuer=%s "
			    "shard=%d error=\"%s\"", is->rec.name, shard,
			    eseal_errmsg());
	}
	store_crl_delta_clear(&d);
	ERR_clear_error();
	return rc;
}

enum eseal_rc
crl_generate_all(struct ca *ca, int64_t now, const struct crl_params *p,
    int *made)
{
	struct store_issuer *recs = NULL;
	struct issuer *is = NULL;
	unsigned char *der;
	size_t n = 0, len;
	enum eseal_rc rc;
	int64_t number;

	if (made != NULL)
		*made = 0;
	if ((rc = store_issuer_list(ca->store, &recs, &n)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < n && rc == ESEAL_OK; i++) {
		if (recs[i].not_after <= now)
			continue;
		if ((rc = issuer_by_id(ca, recs[i].id, &is)) != ESEAL_OK)
			break;
		for (int s = 0; s < is->rec.crl_shards; s++) {
			if ((rc = crl_generate(ca, is, s, now, p, &der, &len,
			    &number)) != ESEAL_OK)
				break;
			OPENSSL_free(der);
			if (made != NULL)
				(*made)++;
		}
		issuer_free(is);
		is = NULL;
	}
	store_issuer_list_free(recs, n);
	return rc;
}

enum eseal_rc
crl_generate_for(struct ca *ca, const char *serial, int64_t now,
    const struct crl_params *p, int64_t *number)
{
	struct store_cert c;
	struct store_crl base;
	struct store_crl_delta d;
	struct issuer *is = NULL;
	unsigned char *der = NULL;
	size_t len;
	int64_t n = 0;
	enum eseal_rc rc;
	int shard, delta = 0;

	if (number != NULL)
		*number = 0;
	memset(&d, 0, sizeof(d));
	if ((rc = store_cert_get(ca->store, serial, &c)) != ESEAL_OK)
		return rc;
	rc = issuer_by_id(ca, c.issuer_id, &is);
	store_cert_clear(&c);
	if (rc != ESEAL_OK)
		return rc;
	shard = serial_shard(serial, is->rec.crl_shards);
	/* RFC 5280 5.2.4: with deltas, a revocation goes into a delta. */
	if (p->delta && store_crl_delta_base(ca->store, is->rec.id, shard,
	    &base) == ESEAL_OK) {
		if (base.next_update > now && crl_generate_delta(ca, is, shard,
		    now, p, &base, &d) == ESEAL_OK) {
			n = d.c.number;
			delta = 1;
		}
		store_crl_delta_clear(&d);
	}
	rc = delta ? ESEAL_OK : crl_generate(ca, is, shard, now, p, &der, &len,
	    &n);
	OPENSSL_free(der);
	issuer_free(is);
	if (rc == ESEAL_OK && number != NULL)
		*number = n;
	return rc;
}

enum eseal_rc
crl_prune(struct ca *ca, const struct issuer *is, int shard, int64_t now,
    int64_t keep_secs, int64_t keep_count, size_t *pruned)
{
	return crl_prune_n(ca, is, shard, now, keep_secs, keep_count,
	    CRL_PRUNE_MAX, pruned);
}

enum eseal_rc
crl_prune_n(struct ca *ca, const struct issuer *is, int shard, int64_t now,
    int64_t keep_secs, int64_t keep_count, size_t max, size_t *pruned)
{
	struct store_crl c;
	unsigned char digest[32];
	int64_t entries;
	enum eseal_rc rc = ESEAL_OK;
	size_t k = 0;

	if (pruned != NULL)
		*pruned = 0;
	if (keep_secs <= 0 && keep_count <= 0)
		return ESEAL_OK;
	if (max > CRL_PRUNE_MAX)
		max = CRL_PRUNE_MAX;
	while (k < max) {
		if ((rc = store_crl_prunable(ca->store, is->rec.id, shard,
		    keep_secs > 0 ? now - keep_secs : INT64_MIN, keep_count,
		    &c)) == ESEAL_ENOTFOUND) {
			rc = ESEAL_OK;
			break;
		}
		if (rc != ESEAL_OK)
			break;
		if (crl_stream_count(c.der, c.der_len, &entries) != ESEAL_OK)
			entries = -1;	/* what was stored is kept as known */
		SHA256(c.der, c.der_len, digest);
		rc = store_crl_prune(ca->store, is->rec.id, shard, c.number,
		    digest, entries, now);
		store_crl_clear(&c);
		if (rc != ESEAL_OK)
			break;
		k++;
	}
	if (k > 0)
		log_info("msg=\"CRL bodies pruned\" issuer=%s shard=%d "
		    "count=%zu keep_days=%lld keep_count=%lld", is->rec.name,
		    shard, k, (long long)(keep_secs / 86400),
		    (long long)keep_count);
	if (pruned != NULL)
		*pruned = k;
	return rc;
}

enum eseal_rc
crl_latest(struct ca *ca, int64_t issuer_id, int shard, struct store_crl *out)
{
	return store_crl_latest(ca->store, issuer_id, shard, out);
}
