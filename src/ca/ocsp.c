/*
 * ocsp.c: the RFC 6960 responder.  A request is parsed and checked first
 * (no store, no HSM: ocsp_request_parse, fuzzed on its own); a nonce-less
 * question about one certificate may be answered from the cache, once the
 * store confirms the status; otherwise its CertIDs are matched against our
 * issuers by the hashes of their name and key with the request's own hash
 * algorithm; each serial's status is read from the store; the issuer key,
 * or its delegated OCSP signer, signs on the HSM; the response is parsed
 * back and its signature verified before it is handed out.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "issuer.h"
#include "log.h"
#include "ocsp.h"
#include "ocsp_cache.h"
#include "ocsp_signer.h"
#include "serial.h"
#include "store_revoke.h"

#define OCSP_SERIAL_OCTETS_MAX	20	/* RFC 5280 4.1.2.2 */

struct ocsp_id {
	OCSP_CERTID	*cid;		/* borrowed from the request */
	const EVP_MD	*md;		/* its hash algorithm */
	char		 serial[STORE_SERIAL_HEX_MAX];	/* "" if not positive */
};

struct ocsp_req {
	OCSP_REQUEST	*req;
	int		 n;
	int		 nonce;		/* 1 if it has a nonce */
	struct ocsp_id	 ids[OCSP_CERTIDS_MAX];
};

/* --- parsing ---------------------------------------------------------- */

/* RFC 8954 2.1: 1 to 32 octets (in an OCTET STRING, or bare as sent). */
static enum eseal_rc
check_nonce(const ASN1_OCTET_STRING *v)
{
	const unsigned char *d = ASN1_STRING_get0_data(v), *p = d;
	ASN1_OCTET_STRING *inner;
	int len = ASN1_STRING_length(v), n = len;

	if ((inner = d2i_ASN1_OCTET_STRING(NULL, &p, len)) != NULL &&
	    p == d + len)
		n = ASN1_STRING_length(inner);
	ASN1_OCTET_STRING_free(inner);
	if (n < 1 || n > OCSP_NONCE_MAX)
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 8954 2.1: the nonce "
		    "must be 1 to %d octets, not %d", OCSP_NONCE_MAX, n);
	return ESEAL_OK;
}

/*
 * RFC 6960 4.4: a critical extension we do not understand is refused.
 * *nonce gets 1 if there is a nonce.
 */
static enum eseal_rc
check_request_exts(OCSP_REQUEST *req, int *nonce)
{
	X509_EXTENSION *ext;
	enum eseal_rc rc;
	int n = OCSP_REQUEST_get_ext_count(req), nonces = 0, nid;

	for (int i = 0; i < n; i++) {
		ext = OCSP_REQUEST_get_ext(req, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (nid == NID_id_pkix_OCSP_Nonce) {
			if (++nonces > 1)
				return eseal_err(ESEAL_EINVAL, "ocsp: RFC 5280 "
				    "4.2: the nonce extension appears twice");
			if ((rc = check_nonce(X509_EXTENSION_get_data(ext)))
			    != ESEAL_OK)
				return rc;
		} else if (nid != NID_id_pkix_OCSP_acceptableResponses &&
		    X509_EXTENSION_get_critical(ext))
			return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.4: "
			    "critical request extension not understood");
	}
	*nonce = nonces > 0;
	return ESEAL_OK;
}

/* One Request: its CertID and its singleRequestExtensions. */
static enum eseal_rc
parse_one(OCSP_ONEREQ *one, int i, struct ocsp_id *id)
{
	ASN1_OCTET_STRING *name_hash, *key_hash;
	ASN1_OBJECT *alg;
	ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	int nid, ok;

	for (int e = 0; e < OCSP_ONEREQ_get_ext_count(one); e++)
		if (X509_EXTENSION_get_critical(OCSP_ONEREQ_get_ext(one, e)))
			return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.4: "
			    "CertID %d: critical singleRequestExtension not "
			    "understood", i);
	id->cid = OCSP_onereq_get0_id(one);
	if (id->cid == NULL || !OCSP_id_get0_info(&name_hash, &alg, &key_hash,
	    &sn, id->cid))
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: CertID %d "
		    "is incomplete", i);
	nid = OBJ_obj2nid(alg);
	if (nid == NID_sha1)
		id->md = EVP_sha1();
	else if (nid == NID_sha256)
		id->md = EVP_sha256();
	else
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.3: CertID %d: "
		    "hash algorithm %s is not supported (SHA-1, SHA-256)", i,
		    nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown OID)");
	if (ASN1_STRING_length(name_hash) != EVP_MD_get_size(id->md) ||
	    ASN1_STRING_length(key_hash) != EVP_MD_get_size(id->md))
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: CertID %d: "
		    "issuerNameHash and issuerKeyHash must be %s hashes", i,
		    OBJ_nid2sn(nid));
	if (ASN1_STRING_length(sn) > OCSP_SERIAL_OCTETS_MAX)
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 5280 4.1.2.2: CertID "
		    "%d: a serial is at most %d octets", i,
		    OCSP_SERIAL_OCTETS_MAX);
	id->serial[0] = '\0';
	if (ASN1_STRING_type(sn) != V_ASN1_INTEGER)
		return ESEAL_OK;	/* negative: not ours, unknown */
	ok = (bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL;
	if (ok && !BN_is_zero(bn))
		ok = serial_hex(bn, id->serial);
	BN_free(bn);
	return ok ? ESEAL_OK : eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
}

enum eseal_rc
ocsp_request_parse(const unsigned char *der, size_t len, struct ocsp_req **out)
{
	struct ocsp_req *r;
	const unsigned char *p = der;
	enum eseal_rc rc = ESEAL_OK;
	int n;

	*out = NULL;
	if (len == 0)
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: empty "
		    "request");
	if (len > OCSP_REQUEST_MAX)
		return eseal_err(ESEAL_EINVAL, "ocsp: the request has %zu bytes, "
		    "more than the limit of %d", len, OCSP_REQUEST_MAX);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
	if ((r->req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: not a DER "
		    "OCSPRequest");
		goto out;
	}
	if (p != der + len) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: %zu trailing "
		    "bytes after the OCSPRequest", (size_t)(der + len - p));
		goto out;
	}
	n = OCSP_request_onereq_count(r->req);
	if (n < 1) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: the "
		    "requestList is empty");
		goto out;
	}
	if (n > OCSP_CERTIDS_MAX) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: %d CertIDs in one request, "
		    "more than the limit of %d", n, OCSP_CERTIDS_MAX);
		goto out;
	}
	if ((rc = check_request_exts(r->req, &r->nonce)) != ESEAL_OK)
		goto out;
	for (int i = 0; i < n; i++)
		if ((rc = parse_one(OCSP_request_onereq_get0(r->req, i), i,
		    &r->ids[i])) != ESEAL_OK)
			goto out;
	r->n = n;
	*out = r;
	r = NULL;
out:
	ocsp_req_free(r);
	ERR_clear_error();
	return rc;
}

int
ocsp_req_count(const struct ocsp_req *r)
{
	return r->n;
}

void
ocsp_req_free(struct ocsp_req *r)
{
	if (r == NULL)
		return;
	OCSP_REQUEST_free(r->req);
	free(r);
}

/* --- answering -------------------------------------------------------- */

/*
 * The CA certificates, parsed once and kept until an issuer is added or
 * changed (store_issuer_generation): parsing them on every request cost
 * more than signing the response.  One cache per process, for the store it
 * was filled from.
 */
#define ISSUER_GEN_MAX	128

static struct {
	pthread_mutex_t	 mu;
	struct store	*store;
	char		 gen[ISSUER_GEN_MAX];
	size_t		 n;
	int64_t		*ids;
	X509		**certs;
} icache = { PTHREAD_MUTEX_INITIALIZER, NULL, "", 0, NULL, NULL };

/* Refreshes icache if needed.  Caller holds icache.mu. */
static enum eseal_rc
icache_load(struct ca *ca)
{
	struct store_issuer *recs = NULL;
	const unsigned char *p;
	char gen[ISSUER_GEN_MAX];
	enum eseal_rc rc;
	size_t n = 0, nrecs = 0;
	int64_t *ids = NULL;
	X509 **certs = NULL;

	if ((rc = store_issuer_generation(ca->store, gen, sizeof(gen))) !=
	    ESEAL_OK)
		return rc;
	if (icache.store == ca->store && strcmp(icache.gen, gen) == 0)
		return ESEAL_OK;
	if ((rc = store_issuer_list(ca->store, &recs, &nrecs)) != ESEAL_OK)
		return rc;
	n = nrecs;
	if (n > 0 && ((certs = calloc(n, sizeof(*certs))) == NULL ||
	    (ids = calloc(n, sizeof(*ids))) == NULL)) {
		rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
		goto out;
	}
	for (size_t j = 0; j < n; j++) {
		ids[j] = recs[j].id;
		p = recs[j].cert;
		if ((certs[j] = d2i_X509(NULL, &p, (long)recs[j].cert_len))
		    == NULL) {
			rc = eseal_err(ESEAL_ESTORE, "ocsp: the stored CA "
			    "certificate of \"%s\" does not parse",
			    recs[j].name);
			goto out;
		}
	}
	for (size_t j = 0; j < icache.n; j++)
		X509_free(icache.certs[j]);
	free(icache.certs);
	free(icache.ids);
	icache.store = ca->store;
	snprintf(icache.gen, sizeof(icache.gen), "%s", gen);
	icache.n = n;
	icache.ids = ids;
	icache.certs = certs;
	ids = NULL;
	certs = NULL;
	n = 0;
out:
	for (size_t j = 0; certs != NULL && j < n; j++)
		X509_free(certs[j]);
	free(certs);
	free(ids);
	store_issuer_list_free(recs, nrecs);
	return rc;
}

/*
 * The one issuer of ours that every CertID names.  ESEAL_ENOTFOUND (to be
 * answered unauthorized) if a CertID names none, or they name several.
 */
static enum eseal_rc
find_issuer(struct ca *ca, const struct ocsp_req *r, struct issuer **out)
{
	OCSP_CERTID *ours;
	int64_t found = 0, match;
	enum eseal_rc rc;

	*out = NULL;
	pthread_mutex_lock(&icache.mu);
	if ((rc = icache_load(ca)) != ESEAL_OK)
		goto out;
	for (int i = 0; i < r->n; i++) {
		match = 0;
		for (size_t j = 0; j < icache.n && match == 0; j++) {
			if ((ours = OCSP_cert_to_id(r->ids[i].md, NULL,
			    icache.certs[j])) == NULL) {
				rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of "
				    "memory");
				goto out;
			}
			if (OCSP_id_issuer_cmp(ours, r->ids[i].cid) == 0)
				match = icache.ids[j];
			OCSP_CERTID_free(ours);
		}
		if (match == 0) {
			rc = eseal_err(ESEAL_ENOTFOUND, "ocsp: RFC 6960 2.3: "
			    "CertID %d names an issuer this responder does not "
			    "serve", i);
			goto out;
		}
		if (found != 0 && match != found) {
			rc = eseal_err(ESEAL_ENOTFOUND, "ocsp: RFC 6960 4.2.2.2: "
			    "the CertIDs name more than one of our issuers, and "
			    "a response is signed by one issuer key: ask for "
			    "each separately");
			goto out;
		}
		found = match;
	}
out:
	pthread_mutex_unlock(&icache.mu);
	if (rc != ESEAL_OK)
		return rc;
	return issuer_by_id(ca, found, out);
}

struct status {
	int	 status;	/* V_OCSP_CERTSTATUS_* */
	int	 reason;	/* CRLReason, or OCSP_REVOKED_STATUS_NOSTATUS */
	int64_t	 revoked_at;
	int64_t	 invalidity_date;	/* 0: none */
};

/* Good or revoked, for a serial the issuer issued. */
static enum eseal_rc
revocation(struct ca *ca, const char *serial, struct status *st)
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

/* Good only for a certificate this issuer issued and did not revoke. */
static enum eseal_rc
lookup(struct ca *ca, const struct issuer *is, const char *serial,
    struct status *st)
{
	struct store_cert c;
	enum eseal_rc rc;
	int ours;

	memset(st, 0, sizeof(*st));
	st->status = V_OCSP_CERTSTATUS_UNKNOWN;
	st->reason = OCSP_REVOKED_STATUS_NOSTATUS;
	if (serial[0] == '\0')
		return ESEAL_OK;
	if ((rc = store_cert_get(ca->store, serial, &c)) != ESEAL_OK)
		return rc == ESEAL_ENOTFOUND ? ESEAL_OK : rc;
	ours = c.status == CERT_ISSUED && c.issuer_id == is->rec.id;
	store_cert_clear(&c);
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
    int64_t now, int64_t validity, OCSP_BASICRESP *bs, struct status *first)
{
	ASN1_TIME *thisupd = NULL, *nextupd = NULL, *revtime = NULL;
	ASN1_GENERALIZEDTIME *inv = NULL;
	X509_EXTENSION *cutoff = NULL;
	OCSP_SINGLERESP *single;
	struct status st;
	enum eseal_rc rc = ESEAL_OK;

	if ((thisupd = ASN1_GENERALIZEDTIME_set(NULL, (time_t)now)) == NULL ||
	    (nextupd = ASN1_GENERALIZEDTIME_set(NULL, (time_t)(now +
	    validity))) == NULL ||
	    (cutoff = archive_cutoff(is->rec.not_before)) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
		goto out;
	}
	for (int i = 0; i < r->n; i++) {
		if ((rc = lookup(ca, is, r->ids[i].serial, &st)) != ESEAL_OK)
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

struct sign_arg {
	OCSP_BASICRESP	*bs;
	X509		*signer;	/* names the responder by its key */
	const EVP_MD	*md;
	unsigned long	 flags;		/* OCSP_basic_sign_ctx() */
};

/*
 * Inside p11_with_key.  producedAt is set by fill() (OCSP_NOTIME), the
 * responder is named by key hash.  The CA answering for itself attaches no
 * certificate (RFC 6960 4.2.2.2, first case); a delegated signer attaches
 * its own (second case), so that a client holding only the CA
 * certificate can check it.
 */
static int
sign_cb(EVP_PKEY *key, void *arg)
{
	struct sign_arg *a = arg;
	EVP_MD_CTX *mctx;
	int ok;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestSignInit(mctx, NULL, a->md, NULL, key) == 1 &&
	    OCSP_basic_sign_ctx(a->bs, a->signer, mctx, NULL, a->flags) == 1;
	EVP_MD_CTX_free(mctx);
	return ok;
}

/*
 * The DER response of a successful answer, signed by the issuer key (sg
 * NULL) or by the delegated signer sg, and checked as a client would.
 */
static enum eseal_rc
sign(struct ca *ca, const struct issuer *is, const struct ocsp_signer *sg,
    OCSP_BASICRESP *bs, unsigned char **der, size_t *len)
{
	X509 *cert = sg != NULL ? sg->cert : is->cert;
	EVP_PKEY *pub = sg != NULL ? sg->pub : is->pub;
	struct sign_arg a = { bs, cert, issuer_md(pub), OCSP_RESPID_KEY |
	    OCSP_NOTIME | (sg != NULL ? 0 : OCSP_NOCERTS) };
	OCSP_RESPONSE *resp = NULL, *back = NULL;
	OCSP_BASICRESP *bs2 = NULL;
	STACK_OF(X509) *signer = NULL;
	const unsigned char *p;
	unsigned char *out = NULL;
	enum eseal_rc rc;
	int n;

	if (ca->token == NULL)
		return eseal_err(ESEAL_EHSM, "ocsp: no token is open to sign");
	if ((rc = p11_with_key(ca->token, sg != NULL ? sg->rec.key_id :
	    is->rec.key_id, sg != NULL ? sg->rec.key_id_len :
	    is->rec.key_id_len, sign_cb, &a)) != ESEAL_OK)
		return rc;
	if ((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs))
	    == NULL || (n = i2d_OCSP_RESPONSE(resp, &out)) <= 0) {
		rc = eseal_err(ESEAL_ENOMEM, "ocsp: cannot encode the response");
		goto out;
	}
	p = out;
	if ((back = d2i_OCSP_RESPONSE(NULL, &p, n)) == NULL || p != out + n ||
	    (bs2 = OCSP_response_get1_basic(back)) == NULL ||
	    (signer = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(signer, cert) ||
	    OCSP_basic_verify(bs2, signer, NULL, OCSP_NOVERIFY) != 1) {
		rc = eseal_err(ESEAL_EINTERNAL, "ocsp: RFC 6960 3.2: the HSM's "
		    "signature does not verify with the %s public key",
		    sg != NULL ? "OCSP signer's" : "issuer");
		goto out;
	}
	*der = out;
	*len = (size_t)n;
	out = NULL;
out:
	sk_X509_free(signer);
	OCSP_BASICRESP_free(bs2);
	OCSP_RESPONSE_free(back);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(out);
	return rc;
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
	struct status st;
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
    const struct status *st, int64_t now, int64_t next_update,
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

enum eseal_rc
ocsp_respond_opts(struct ca *ca, const unsigned char *req, size_t len,
    int64_t now, const struct ocsp_options *opts, unsigned char **resp,
    size_t *resp_len, int *status, int64_t *next_update)
{
	struct ocsp_req *r = NULL;
	struct issuer *is = NULL;
	struct ocsp_signer *sg = NULL;
	struct status first;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *er = NULL;
	unsigned char *out = NULL, key[OCSP_CACHE_KEY_MAX];
	enum eseal_rc rc;
	int64_t validity = opts->validity_secs, nu = 0;
	size_t klen = 0;
	int st = OCSP_RESPONSE_STATUS_SUCCESSFUL, n, hit = 0;

	*resp = NULL;
	*resp_len = 0;
	memset(&first, 0, sizeof(first));
	if (validity == 0)
		validity = OCSP_VALIDITY_DEFAULT;
	if (validity < 0 || validity > OCSP_VALIDITY_MAX) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: CA/B Forum BR 4.9.10: "
		    "nextUpdate must be 1 s to %d days after thisUpdate",
		    OCSP_VALIDITY_MAX / 86400);
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
	if ((rc = find_issuer(ca, r, &is)) != ESEAL_OK) {
		st = rc == ESEAL_ENOTFOUND ? OCSP_RESPONSE_STATUS_UNAUTHORIZED :
		    error_status(rc);
		goto answer;
	}
	if ((rc = choose_signer(ca, is, opts->delegated, now, &sg))
	    != ESEAL_OK) {
		st = error_status(rc);
		goto answer;
	}
	/* A delegated answer must not outlive its signer's certificate. */
	if (sg != NULL && sg->rec.not_after - now < validity)
		validity = sg->rec.not_after - now;
	if ((bs = OCSP_BASICRESP_new()) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
		st = OCSP_RESPONSE_STATUS_INTERNALERROR;
	} else if ((rc = fill(ca, r, is, now, validity, bs, &first))
	    != ESEAL_OK ||
	    (rc = sign_any(ca, is, sg, bs, resp, resp_len, now)) != ESEAL_OK)
		st = error_status(rc);
	else {
		nu = now + validity;
		keep(key, klen, r, &first, now, nu, *resp, *resp_len);
	}
	/* HSM away: an answer signed before, if still valid and still true. */
	if (st == OCSP_RESPONSE_STATUS_TRYLATER && klen > 0 && from_cache(ca,
	    key, klen, now, 1, resp, resp_len, &nu) == 1) {
		st = OCSP_RESPONSE_STATUS_SUCCESSFUL;
		rc = ESEAL_OK;
	}

answer:
	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		/* An error response has no body (RFC 6960 4.2.1). */
		nu = 0;
		if ((er = OCSP_response_create(st, NULL)) == NULL ||
		    (n = i2d_OCSP_RESPONSE(er, &out)) <= 0)
			rc = eseal_err(ESEAL_ENOMEM, "ocsp: cannot encode an "
			    "error response");
		else {
			*resp = out;
			*resp_len = (size_t)n;
			rc = ESEAL_OK;
		}
	}
	if (status != NULL)
		*status = st;
	if (next_update != NULL)
		*next_update = nu;
	OCSP_RESPONSE_free(er);
	OCSP_BASICRESP_free(bs);
	ocsp_signer_free(sg);
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
