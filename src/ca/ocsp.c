/*
 * ocsp.c: the RFC 6960 responder.  A request is parsed and checked first
 * (no store, no HSM: ocsp_request_parse in ocsp_req.c, fuzzed on its own);
 * a nonce-less question about one certificate may be answered from the
 * cache, once the store confirms the status; otherwise its CertIDs are
 * matched against our issuers (the issuer cache) by the hashes of their
 * name and key with the request's own hash algorithm; each serial's status
 * is read from the store; the issuer key, or its delegated OCSP signer,
 * signs on the HSM through the one signing path (sign.h), and the response
 * is parsed back and its signature verified before it is handed out.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "issuer.h"
#include "log.h"
#include "metrics.h"
#include "ocsp.h"
#include "ocsp_cache.h"
#include "ocsp_int.h"
#include "ocsp_presign.h"
#include "ocsp_signer.h"
#include "sign.h"
#include "store_backup.h"
#include "store_revoke.h"

/* Which of our issuers each CertID of a request names. */
struct match {
	const struct ocsp_req	*r;
	int64_t			 ids[OCSP_CERTIDS_MAX];	/* 0: none yet */
	struct issuer		*first;	/* a copy of the one CertID 0 names */
	enum eseal_rc		 rc;
};

/* Inside issuer_each: the CertIDs this issuer's name and key hash to. */
static int
match_issuer(const struct issuer *is, void *arg)
{
	struct match *m = arg;
	OCSP_CERTID *ours[2] = { NULL, NULL };	/* SHA-1, SHA-256 */
	int k;

	for (int i = 0; i < m->r->n; i++) {
		if (m->ids[i] != 0)
			continue;
		k = m->r->ids[i].md == EVP_sha1() ? 0 : 1;
		if (ours[k] == NULL && (ours[k] = OCSP_cert_to_id(
		    m->r->ids[i].md, NULL, is->cert)) == NULL) {
			m->rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
			break;
		}
		if (OCSP_id_issuer_cmp(ours[k], m->r->ids[i].cid) != 0)
			continue;
		m->ids[i] = is->rec.id;
		/* Taken in the same look: no second one by id. */
		if (i == 0 && (m->rc = issuer_dup(is, &m->first)) != ESEAL_OK)
			break;
	}
	OCSP_CERTID_free(ours[0]);
	OCSP_CERTID_free(ours[1]);
	return m->rc != ESEAL_OK;
}

/*
 * The one issuer of ours that every CertID names, matched against the
 * cached CA certificates (issuer_each) by the hashes of their name and
 * key, and copied in the same look at the cache.  ESEAL_ENOTFOUND (to be
 * answered unauthorized) if a CertID names none, or they name several.
 */
static enum eseal_rc
find_issuer(struct ca *ca, const struct ocsp_req *r, struct issuer **out)
{
	struct match m;
	enum eseal_rc rc;

	*out = NULL;
	memset(&m, 0, sizeof(m));
	m.r = r;
	if ((rc = issuer_each(ca, match_issuer, &m)) == ESEAL_OK)
		rc = m.rc;
	for (int i = 0; rc == ESEAL_OK && i < r->n; i++) {
		if (m.ids[i] == 0)
			rc = eseal_err(ESEAL_ENOTFOUND, "ocsp: RFC 6960 2.3: "
			    "CertID %d names an issuer this responder does not "
			    "serve", i);
		else if (m.ids[i] != m.ids[0])
			rc = eseal_err(ESEAL_ENOTFOUND, "ocsp: RFC 6960 "
			    "4.2.2.2: the CertIDs name more than one of our "
			    "issuers, and a response is signed by one issuer "
			    "key: ask for each separately");
	}
	if (rc != ESEAL_OK || m.first == NULL) {
		issuer_free(m.first);
		return rc != ESEAL_OK ? rc : eseal_err(ESEAL_ENOTFOUND,
		    "ocsp: RFC 6960 2.3: the request names no issuer");
	}
	*out = m.first;
	return ESEAL_OK;
}

/* Good or revoked, for a serial the issuer issued. */
static enum eseal_rc
revocation(struct ca *ca, const char *serial, struct ocsp_status *st)
{
	struct store_revocation rv;
	enum eseal_rc rc;

	memset(st, 0, sizeof(*st));
	st->status = V_OCSP_CERTSTATUS_GOOD;
	st->reason = OCSP_REVOKED_STATUS_NOSTATUS;
	rc = store_revocation_get(ca->store, serial, &rv);
	if (rc == ESEAL_ENOTFOUND)
		return ESEAL_OK;
	if (rc != ESEAL_OK)
		return rc;
	st->status = V_OCSP_CERTSTATUS_REVOKED;
	/* As on the CRL: no reason rather than unspecified (0). */
	if (rv.reason != 0)
		st->reason = rv.reason;
	st->revoked_at = rv.revoked_at;
	st->invalidity_date = rv.invalidity_date;
	return ESEAL_OK;
}

/*
 * A serial this store never saw that a published CRL of this issuer
 * listed (a restore reconciled it, backup.h): revoked, as on the CRL.
 */
static enum eseal_rc
unknown_revoked(struct ca *ca, const struct issuer *is, const char *serial,
    struct ocsp_status *st)
{
	struct store_revocation rv;
	int64_t issuer_id;
	enum eseal_rc rc;

	rc = store_revoked_unknown_get(ca->store, serial, &issuer_id, &rv);
	if (rc == ESEAL_ENOTFOUND || (rc == ESEAL_OK &&
	    issuer_id != is->rec.id))
		return ESEAL_OK;	/* unknown */
	if (rc != ESEAL_OK)
		return rc;
	st->status = V_OCSP_CERTSTATUS_REVOKED;
	if (rv.reason != 0)
		st->reason = rv.reason;
	st->revoked_at = rv.revoked_at;
	st->invalidity_date = rv.invalidity_date;
	return ESEAL_OK;
}

enum eseal_rc
ocsp_status_of(struct ca *ca, const struct issuer *is, const char *serial,
    struct ocsp_status *st)
{
	enum cert_status cs;
	enum eseal_rc rc;
	int64_t issuer_id;
	int ours;

	memset(st, 0, sizeof(*st));
	st->status = V_OCSP_CERTSTATUS_UNKNOWN;
	st->reason = OCSP_REVOKED_STATUS_NOSTATUS;
	if (serial[0] == '\0')
		return ESEAL_OK;
	if ((rc = store_cert_owner(ca->store, serial, &cs, &issuer_id)) ==
	    ESEAL_ENOTFOUND)
		return unknown_revoked(ca, is, serial, st);
	if (rc != ESEAL_OK)
		return rc;
	ours = cs == CERT_ISSUED && issuer_id == is->rec.id;
	if (!ours)
		return ESEAL_OK;	/* pending, failed, or another issuer's */
	return revocation(ca, serial, st);
}

/* RFC 6960 4.4.4 archiveCutoff, "YYYYMMDDHHMMSSZ" as OpenSSL takes it. */
static X509_EXTENSION *
archive_cutoff(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[32];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm) == 0)
		return NULL;
	return OCSP_archive_cutoff_new(buf);
}

/*
 * The SingleResponses and the nonce; producedAt now.  *first gets the
 * status of the first CertID.
 */
static enum eseal_rc
fill(struct ca *ca, const struct ocsp_req *r, const struct issuer *is,
    int64_t now, int64_t validity, OCSP_BASICRESP *bs, struct ocsp_status *first)
{
	ASN1_TIME *thisupd = NULL, *nextupd = NULL, *revtime = NULL;
	ASN1_GENERALIZEDTIME *inv = NULL;
	X509_EXTENSION *cutoff = NULL;
	OCSP_SINGLERESP *single;
	struct ocsp_status st;
	enum eseal_rc rc = ESEAL_OK;

	if ((thisupd = ASN1_GENERALIZEDTIME_set(NULL, (time_t)now)) == NULL ||
	    (nextupd = ASN1_GENERALIZEDTIME_set(NULL, (time_t)(now +
	    validity))) == NULL ||
	    (cutoff = archive_cutoff(is->rec.not_before)) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
		goto out;
	}
	for (int i = 0; i < r->n; i++) {
		if ((rc = ocsp_status_of(ca, is, r->ids[i].serial, &st)) !=
		    ESEAL_OK)
			goto out;
		if (i == 0)
			*first = st;
		ASN1_TIME_free(revtime);
		ASN1_GENERALIZEDTIME_free(inv);
		revtime = NULL;
		inv = NULL;
		if (st.status == V_OCSP_CERTSTATUS_REVOKED &&
		    (revtime = ASN1_GENERALIZEDTIME_set(NULL,
		    (time_t)st.revoked_at)) == NULL) {
			rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
			goto out;
		}
		if ((single = OCSP_basic_add1_status(bs, r->ids[i].cid,
		    st.status, st.reason, revtime, thisupd, nextupd)) == NULL ||
		    !OCSP_SINGLERESP_add_ext(single, cutoff, -1) ||
		    (st.invalidity_date != 0 &&
		    ((inv = ASN1_GENERALIZEDTIME_set(NULL,
		    (time_t)st.invalidity_date)) == NULL ||
		    !OCSP_SINGLERESP_add1_ext_i2d(single, NID_invalidity_date,
		    inv, 0, 0)))) {
			rc = eseal_err(ESEAL_ENOMEM, "ocsp: cannot add the "
			    "status of CertID %d", i);
			goto out;
		}
	}
	/* RFC 8954 / RFC 6960 4.4.1: echo the nonce (none: nothing to do). */
	if (OCSP_copy_nonce(bs, r->req) <= 0 ||
	    ASN1_GENERALIZEDTIME_set((ASN1_GENERALIZEDTIME *)
	    OCSP_resp_get0_produced_at(bs), (time_t)now) == NULL)
		rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
out:
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	ASN1_TIME_free(revtime);
	ASN1_GENERALIZEDTIME_free(inv);
	X509_EXTENSION_free(cutoff);
	return rc;
}

/* A response being signed, and its DER once checked. */
struct resp_sign {
	OCSP_BASICRESP	*bs;
	X509		*signer;	/* names the responder by its key */
	int		 attach;	/* 1: put signer in the certs */
	unsigned char	*der;		/* OPENSSL_malloc */
	int		 len;
};

/*
 * producedAt is set by fill() (OCSP_NOTIME), the responder is named by key
 * hash.  The CA answering for itself attaches no certificate (RFC 6960
 * 4.2.2.2, first case); a delegated signer attaches its own (second case),
 * so that a client holding only the CA certificate can check it.  The
 * certs are outside what is signed: attached once, however often this
 * runs.
 */
static int
resp_sign(EVP_MD_CTX *mctx, void *arg)
{
	struct resp_sign *a = arg;

	if (a->attach) {
		if (!OCSP_basic_add1_cert(a->bs, a->signer))
			return 0;
		a->attach = 0;
	}
	return OCSP_basic_sign_ctx(a->bs, a->signer, mctx, NULL,
	    OCSP_RESPID_KEY | OCSP_NOTIME | OCSP_NOCERTS) == 1;
}

/*
 * What the client will parse: one DER OCSPResponse whose BasicOCSPResponse
 * signature verifies with pub.
 */
static int
resp_verify(EVP_PKEY *pub, void *arg)
{
	struct resp_sign *a = arg;
	OCSP_RESPONSE *resp = NULL, *back = NULL;
	OCSP_BASICRESP *bs2 = NULL;
	const unsigned char *p;
	int v = -1;

	OPENSSL_free(a->der);
	a->der = NULL;
	if ((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    a->bs)) == NULL || (a->len = i2d_OCSP_RESPONSE(resp, &a->der)) <= 0) {
		eseal_err(ESEAL_ENOMEM, "ocsp: cannot encode the response");
		goto out;
	}
	p = a->der;
	if ((back = d2i_OCSP_RESPONSE(NULL, &p, a->len)) == NULL ||
	    p != a->der + a->len ||
	    (bs2 = OCSP_response_get1_basic(back)) == NULL) {
		eseal_err(ESEAL_EINTERNAL, "ocsp: RFC 6960 4.2.1: the signed "
		    "response is not one DER OCSPResponse");
		goto out;
	}
	v = ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA),
	    OCSP_resp_get0_tbs_sigalg(bs2), OCSP_resp_get0_signature(bs2),
	    OCSP_resp_get0_respdata(bs2), pub) == 1;
out:
	OCSP_BASICRESP_free(bs2);
	OCSP_RESPONSE_free(back);
	OCSP_RESPONSE_free(resp);
	return v;
}

/*
 * The DER response of a successful answer, signed by the issuer key (sg
 * NULL) or by the delegated signer sg, and checked as a client would.
 */
static enum eseal_rc
sign(struct ca *ca, const struct issuer *is, const struct ocsp_signer *sg,
    OCSP_BASICRESP *bs, unsigned char **der, size_t *len)
{
	struct resp_sign a = { bs, sg != NULL ? sg->cert : is->cert,
	    sg != NULL, NULL, 0 };
	struct sign_op op = { resp_sign, resp_verify, &a, "ocsp",
	    "RFC 6960 3.2", sg != NULL ? "OCSP signer's" : "issuer" };
	enum eseal_rc rc;

	if ((rc = sign_verified(ca, sg != NULL ? sg->rec.key_id :
	    is->rec.key_id, sg != NULL ? sg->rec.key_id_len :
	    is->rec.key_id_len, sg != NULL ? sg->pub : is->pub, &op))
	    != ESEAL_OK) {
		OPENSSL_free(a.der);
		return rc;
	}
	*der = a.der;
	*len = (size_t)a.len;
	return ESEAL_OK;
}

/* RFC 6960 2.3: the HSM or the store away is temporary. */
static int
error_status(enum eseal_rc rc)
{
	return rc == ESEAL_EHSM || rc == ESEAL_ESTORE ?
	    OCSP_RESPONSE_STATUS_TRYLATER : OCSP_RESPONSE_STATUS_INTERNALERROR;
}

/* "Delegated, but the issuer key signs": said at most so often. */
static void
say_fallback(const struct issuer *is, int64_t now, const char *why)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static int64_t last;
	static int said;
	int say;

	pthread_mutex_lock(&mu);
	say = !said || now < last || now - last >= OCSP_FALLBACK_LOG_SECS;
	if (say) {
		said = 1;
		last = now;
	}
	pthread_mutex_unlock(&mu);
	if (say)
		log_warn("msg=\"[ocsp] signer = delegated, but the issuer key "
		    "signs\" issuer=%s reason=\"%s\" action=\"esealctl ocsp "
		    "signer create\"", is->rec.name, why);
}

/*
 * Who signs is's answers at now: its delegated signer when asked for and
 * valid (*out), the issuer key otherwise (*out NULL).  Only a store
 * failure is an error.
 */
static enum eseal_rc
choose_signer(struct ca *ca, const struct issuer *is, int delegated,
    int64_t now, struct ocsp_signer **out)
{
	enum eseal_rc rc;

	*out = NULL;
	if (!delegated)
		return ESEAL_OK;
	rc = ocsp_signer_current(ca, is->rec.id, now, out);
	if (rc == ESEAL_ENOTFOUND) {
		say_fallback(is, now, eseal_errmsg());
		return ESEAL_OK;
	}
	return rc;
}

/*
 * The cache key of a request: the options, then its one CertID in DER
 * (issuer name and key hashes, hash algorithm, serial: exactly the CertID
 * the answer repeats).  0 if the request may not be answered from the
 * cache: a nonce, or more than one CertID.
 */
static size_t
cache_key(const struct ocsp_req *r, int delegated, int64_t validity,
    unsigned char key[OCSP_CACHE_KEY_MAX])
{
	unsigned char *p;
	int n;

	if (r->nonce || r->n != 1 || r->ids[0].serial[0] == '\0')
		return 0;
	n = i2d_OCSP_CERTID(r->ids[0].cid, NULL);
	if (n <= 0 || (size_t)n > OCSP_CACHE_KEY_MAX - 9)
		return 0;
	key[0] = delegated ? 1 : 0;
	for (int i = 0; i < 8; i++)
		key[1 + i] = (unsigned char)((uint64_t)validity >>
		    (56 - 8 * i));
	p = key + 9;
	if (i2d_OCSP_CERTID(r->ids[0].cid, &p) != n)
		return 0;
	return 9 + (size_t)n;
}

/*
 * An earlier answer to the same question, if the store still says what it
 * said: a revocation shows at once, whoever made it.  1 with *der (and
 * *next_update) set, 0 for none, -1 when out of memory.
 */
static int
from_cache(struct ca *ca, const unsigned char *key, size_t klen, int64_t now,
    int any_valid, unsigned char **der, size_t *len, int64_t *next_update)
{
	struct ocsp_cache_meta m;
	struct ocsp_status st;
	int hit;

	if ((hit = (any_valid ? ocsp_cache_get_valid : ocsp_cache_get)(key,
	    klen, now, der, len, &m)) <= 0)
		return hit;
	if (revocation(ca, m.serial, &st) != ESEAL_OK ||
	    st.status != m.status || st.reason != m.reason ||
	    st.revoked_at != m.revoked_at ||
	    st.invalidity_date != m.invalidity_date) {
		OPENSSL_free(*der);
		*der = NULL;
		*len = 0;
		ocsp_cache_invalidate(m.serial);
		return 0;
	}
	*next_update = m.next_update;
	return 1;
}

/* Keeps a good or revoked answer (unknown ones: a client can ask forever). */
static void
keep(const unsigned char *key, size_t klen, const struct ocsp_req *r,
    const struct ocsp_status *st, int64_t now, int64_t next_update,
    const unsigned char *der, size_t len)
{
	struct ocsp_cache_meta m;

	if (klen == 0 || (st->status != V_OCSP_CERTSTATUS_GOOD &&
	    st->status != V_OCSP_CERTSTATUS_REVOKED))
		return;
	memset(&m, 0, sizeof(m));
	memcpy(m.serial, r->ids[0].serial, sizeof(m.serial));
	m.this_update = now;
	m.next_update = next_update;
	m.status = st->status;
	m.reason = st->reason;
	m.revoked_at = st->revoked_at;
	m.invalidity_date = st->invalidity_date;
	ocsp_cache_put(key, klen, der, len, &m);
}

/*
 * Signs with the delegated signer sg if there is one, falling back to the
 * issuer key if sg's key is gone from the token.
 */
static enum eseal_rc
sign_any(struct ca *ca, const struct issuer *is, const struct ocsp_signer *sg,
    OCSP_BASICRESP *bs, unsigned char **der, size_t *len, int64_t now)
{
	enum eseal_rc rc;
	char why[128];

	rc = sign(ca, is, sg, bs, der, len);
	if (rc != ESEAL_ENOTFOUND || sg == NULL)
		return rc;
	snprintf(why, sizeof(why), "the key of OCSP signer %s is not on the "
	    "token", sg->rec.serial);
	say_fallback(is, now, why);
	return sign(ca, is, NULL, bs, der, len);
}

/*
 * eseal_ocsp_responses_total; hit 1: from the cache, 2: a stale fallback,
 * 3: presigned, 4: presigned to a request with a nonce (HSM away).
 */
static void
count_response(int st, int hit)
{
	static const char *const names[] = { "miss", "hit", "stale-fallback",
	    "presigned", "presigned-fallback" };
	char lab[METRICS_LABELS_MAX];

	metrics_inc(M_OCSP, metrics_labels(lab, sizeof(lab), "status",
	    OCSP_response_status_str(st), "cache", hit >= 0 && hit <= 4 ?
	    names[hit] : "miss", NULL));
}

enum eseal_rc
ocsp_sign_answer(struct ca *ca, const struct issuer *is,
    const struct ocsp_req *r, int delegated, int64_t now, int64_t validity,
    unsigned char **der, size_t *len, struct ocsp_status *first,
    int64_t *next_update)
{
	struct ocsp_signer *sg = NULL;
	OCSP_BASICRESP *bs = NULL;
	enum eseal_rc rc;

	*der = NULL;
	*len = 0;
	*next_update = 0;
	if ((rc = choose_signer(ca, is, delegated, now, &sg)) != ESEAL_OK)
		return rc;
	/* A delegated answer must not outlive its signer's certificate. */
	if (sg != NULL && sg->rec.not_after - now < validity)
		validity = sg->rec.not_after - now;
	if ((bs = OCSP_BASICRESP_new()) == NULL)
		rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
	else if ((rc = fill(ca, r, is, now, validity, bs, first)) == ESEAL_OK &&
	    (rc = sign_any(ca, is, sg, bs, der, len, now)) == ESEAL_OK)
		*next_update = now + validity;
	OCSP_BASICRESP_free(bs);
	ocsp_signer_free(sg);
	return rc;
}

/* The answer for a request the responder could not parse or sign. */
static enum eseal_rc
error_response(int st, unsigned char **resp, size_t *resp_len)
{
	OCSP_RESPONSE *er;
	unsigned char *out = NULL;
	enum eseal_rc rc = ESEAL_OK;
	int n;

	/* An error response has no body (RFC 6960 4.2.1). */
	if ((er = OCSP_response_create(st, NULL)) == NULL ||
	    (n = i2d_OCSP_RESPONSE(er, &out)) <= 0)
		rc = eseal_err(ESEAL_ENOMEM, "ocsp: cannot encode an error "
		    "response");
	else {
		*resp = out;
		*resp_len = (size_t)n;
	}
	OCSP_RESPONSE_free(er);
	return rc;
}

enum eseal_rc
ocsp_respond_opts(struct ca *ca, const unsigned char *req, size_t len,
    int64_t now, const struct ocsp_options *opts, unsigned char **resp,
    size_t *resp_len, int *status, int64_t *next_update)
{
	struct ocsp_req *r = NULL;
	struct issuer *is = NULL;
	struct ocsp_status first;
	unsigned char key[OCSP_CACHE_KEY_MAX];
	enum eseal_rc rc;
	int64_t validity = opts->validity_secs, nu = 0;
	size_t klen = 0;
	int st = OCSP_RESPONSE_STATUS_SUCCESSFUL, hit = 0;

	*resp = NULL;
	*resp_len = 0;
	memset(&first, 0, sizeof(first));
	if (validity == 0)
		validity = OCSP_VALIDITY_DEFAULT;
	if (validity < 0 || validity > OCSP_VALIDITY_MAX) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: CA/B Forum BR 4.9.10 "
		    "([ocsp] validity_secs): nextUpdate must be 1 s to %d days "
		    "after thisUpdate", OCSP_VALIDITY_MAX / 86400);
		st = OCSP_RESPONSE_STATUS_INTERNALERROR;
		goto answer;
	}
	if ((rc = ocsp_request_parse(req, len, &r)) != ESEAL_OK) {
		st = rc == ESEAL_EINVAL ? OCSP_RESPONSE_STATUS_MALFORMEDREQUEST :
		    OCSP_RESPONSE_STATUS_INTERNALERROR;
		goto answer;
	}
	if (opts->cache)
		klen = cache_key(r, opts->delegated, validity, key);
	if (klen > 0 && (hit = from_cache(ca, key, klen, now, 0, resp, resp_len,
	    &nu)) != 0) {
		if (hit < 0) {
			rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
			st = OCSP_RESPONSE_STATUS_INTERNALERROR;
		}
		goto answer;
	}
	/* Presigned: served instead of a signature, to nonce-less requests. */
	if (opts->presign && !r->nonce && ocsp_presigned_get(ca, r, now, resp,
	    resp_len, &nu) == 1) {
		hit = 3;
		goto answer;
	}
	if ((rc = find_issuer(ca, r, &is)) != ESEAL_OK) {
		st = rc == ESEAL_ENOTFOUND ? OCSP_RESPONSE_STATUS_UNAUTHORIZED :
		    error_status(rc);
		goto answer;
	}
	if ((rc = ocsp_sign_answer(ca, is, r, opts->delegated, now, validity,
	    resp, resp_len, &first, &nu)) != ESEAL_OK)
		st = error_status(rc);
	else
		keep(key, klen, r, &first, now, nu, *resp, *resp_len);
	/* HSM away: an answer signed before, if still valid and still true. */
	if (st == OCSP_RESPONSE_STATUS_TRYLATER && klen > 0 && from_cache(ca,
	    key, klen, now, 1, resp, resp_len, &nu) == 1)
		hit = 2;
	else if (st == OCSP_RESPONSE_STATUS_TRYLATER && opts->presign &&
	    ocsp_presigned_get(ca, r, now, resp, resp_len, &nu) == 1)
		hit = 4;	/* a nonce asked for, none can be signed now */
	if (hit != 0) {
		st = OCSP_RESPONSE_STATUS_SUCCESSFUL;
		rc = ESEAL_OK;
	}

answer:
	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		nu = 0;
		OPENSSL_free(*resp);
		*resp = NULL;
		*resp_len = 0;
		rc = error_response(st, resp, resp_len);
	}
	if (status != NULL)
		*status = st;
	count_response(st, hit);
	if (next_update != NULL)
		*next_update = nu;
	issuer_free(is);
	ocsp_req_free(r);
	ERR_clear_error();
	return rc;
}

enum eseal_rc
ocsp_respond(struct ca *ca, const unsigned char *req, size_t len, int64_t now,
    int64_t validity_secs, unsigned char **resp, size_t *resp_len,
    int *status)
{
	struct ocsp_options o;

	memset(&o, 0, sizeof(o));
	o.validity_secs = validity_secs;
	return ocsp_respond_opts(ca, req, len, now, &o, resp, resp_len, status,
	    NULL);
}
