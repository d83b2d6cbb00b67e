/*
 * issue.c: one issuance, recorded before it is signed.
 *   draw serial -> build TBS -> record pending (committed) -> HSM signs
 *   -> verify -> mark issued + audit (one transaction) -> hand out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "audit.h"
#include "issue.h"
#include "issuer.h"
#include "lint.h"
#include "log.h"
#include "metrics.h"
#include "serial.h"

void
issue_result_clear(struct issue_result *r)
{
	if (r == NULL)
		return;
	OPENSSL_free(r->der);
	memset(r, 0, sizeof(*r));
}

/* issue_check() with the ca read lock held. */
static enum eseal_rc
check_locked(struct ca *ca, const struct issue_request *req, int64_t now)
{
	enum eseal_rc rc;
	int r;

	if ((rc = policy_check_subscriber_key(ca->policy, csr_pubkey(req->csr),
	    (time_t)now)) != ESEAL_OK)
		return rc;
	if ((r = issuer_key_in_use(ca, csr_pubkey(req->csr))) != 0)
		return r < 0 ? ESEAL_ESTORE : eseal_err(ESEAL_EPOLICY, "csr: "
		    "the request's key is an issuer key of this CA");
	r = store_cert_key_conflict(ca->store, csr_pubkey_sha256(req->csr),
	    req->org->identifier);
	if (r < 0)
		return eseal_err(ESEAL_ESTORE, "store: cannot check the key");
	if (r == KEY_OTHER_ORG)
		return eseal_err(ESEAL_EPOLICY, "csr: the request's key is "
		    "already certified for another organisation");
	if (r == KEY_COMPROMISED)
		return eseal_err(ESEAL_EPOLICY, "csr: RFC 5280 5.3.1: a "
		    "certificate for the request's key was revoked for "
		    "keyCompromise");
	return ca_fips_allow(ca, FIPS_USE_ISSUE, (time_t)now, req->actor);
}

enum eseal_rc
issue_check(struct ca *ca, const struct issue_request *req, int64_t now)
{
	enum eseal_rc rc;

	ca_rdlock(ca);
	rc = check_locked(ca, req, now);
	ca_unlock(ca);
	return rc;
}

enum eseal_rc
issue_record_pending(struct ca *ca, const struct issuer *is,
    const struct store_cert *tmpl, issue_build_fn build, void *arg,
    issue_hook_fn also, void *also_arg, int64_t now,
    char serial[STORE_SERIAL_HEX_MAX], unsigned char **tbs, size_t *tbs_len)
{
	struct store_cert row;
	unsigned char *der = NULL;
	BIGNUM *bn = NULL;
	X509 *x = NULL;
	char *subj = NULL;
	enum eseal_rc rc = ESEAL_EINTERNAL;
	int len, shard;

	for (int tries = 0; tries < ISSUE_SERIAL_TRIES; tries++) {
		BN_free(bn);
		X509_free(x);
		OPENSSL_free(der);
		OPENSSL_free(subj);
		bn = NULL, x = NULL, der = NULL, subj = NULL;
		/* Step 3: a serial; step 4: the TBS, built and linted. */
		if ((rc = serial_new(&bn, serial)) != ESEAL_OK)
			break;
		shard = serial_shard(serial, is->rec.crl_shards);
		if ((rc = build(bn, shard, &x, arg)) != ESEAL_OK)
			break;
		if ((len = i2d_re_X509_tbs(x, &der)) <= 0 ||
		    (subj = X509_NAME_oneline(X509_get_subject_name(x), NULL,
		    0)) == NULL) {
			rc = eseal_err(ESEAL_EINTERNAL, "issue: cannot encode "
			    "the TBS");
			break;
		}
		row = *tmpl;
		memcpy(row.serial, serial, sizeof(row.serial));
		row.issuer_id = is->rec.id;
		row.tbs = der;
		row.tbs_len = (size_t)len;
		row.subject = subj;
		row.shard = shard;
		/* Step 5: durable (WAL, synchronous=FULL) before the HSM signs. */
		if (also == NULL) {
			rc = store_cert_insert_pending(ca->store, &row, now);
			if (rc != ESEAL_EEXIST)
				break;
		} else if ((rc = store_begin(ca->store)) != ESEAL_OK) {
			break;
		} else if ((rc = store_cert_insert_pending(ca->store, &row,
		    now)) != ESEAL_OK) {
			store_rollback(ca->store);
			if (rc != ESEAL_EEXIST)
				break;
		} else {
			/* The caller's failure ends it, whatever its code. */
			if ((rc = also(ca->store, serial, now, also_arg)) !=
			    ESEAL_OK)
				store_rollback(ca->store);
			else
				rc = store_commit(ca->store);
			break;
		}
		log_warn("msg=\"serial collision, drawing again\" serial=%s",
		    serial);
	}
	if (rc == ESEAL_OK && tbs != NULL) {
		*tbs = der;
		*tbs_len = (size_t)len;
		der = NULL;
	}
	BN_free(bn);
	X509_free(x);
	OPENSSL_free(der);
	OPENSSL_free(subj);
	return rc;
}

enum eseal_rc
issue_fail(struct ca *ca, const char *serial, enum eseal_rc rc,
    const char *actor, int64_t now)
{
	char why[ISSUE_WHY_MAX];

	snprintf(why, sizeof(why), "%s", eseal_errmsg());
	if (store_begin(ca->store) == ESEAL_OK) {
		if (store_cert_mark_failed(ca->store, serial, why, now)
		    == ESEAL_OK && audit_append(ca->store, now, actor,
		    "cert.fail", serial, "%s", why) == ESEAL_OK)
			(void)store_commit(ca->store);
		else
			store_rollback(ca->store);	/* stays pending */
	}
	return eseal_err(rc, "%s", why);
}

/* What step 4 of issue_cert builds from. */
struct build_arg {
	struct ca			*ca;
	const struct issue_request	*req;
	const struct issuer		*is;
	int64_t				 now, not_after;
};

/* Step 4: the certificate from the profile and the vetted organisation. */
static enum eseal_rc
build_ee(const BIGNUM *bn, int shard, X509 **out, void *arg)
{
	struct build_arg *b = arg;
	const struct issue_request *req = b->req;
	struct profile_input in;
	struct lint_input li;
	enum eseal_rc rc;

	memset(&in, 0, sizeof(in));
	in.profile = req->profile;
	in.org = req->org;
	in.issuer = b->is->cert;
	in.issuer_name = b->is->rec.name;
	in.base_url = b->ca->conf->publish_base_url;
	in.delta_crl = b->ca->conf->publish_delta_crl;
	in.shard = shard;
	in.subject_key = csr_pubkey(req->csr);
	in.subject_spki = csr_spki(req->csr);
	in.serial = bn;
	in.not_before = b->now;
	in.not_after = b->not_after;
	in.qscd = req->qscd;
	if ((rc = profile_build(&in, out)) != ESEAL_OK ||
	    (rc = issuer_set_sigalg(b->is->pub, *out)) != ESEAL_OK)
		return rc;
	if (req->test_tamper != NULL) {
		req->test_tamper(*out);
		(void)issuer_set_sigalg(b->is->pub, *out);
	}
	/* Lint: a failure never reaches the HSM. */
	memset(&li, 0, sizeof(li));
	li.profile = req->profile;
	li.issuer = b->is->cert;
	li.policy = b->ca->policy;
	li.now = b->now;
	li.qscd = req->qscd;
	li.org = req->org;
	li.subject_key = csr_pubkey(req->csr);
	li.subject_spki = csr_spki(req->csr);
	return lint_cert(&li, *out);
}

/* Steps 3-5: returns the issuer used; the row is pending when this returns. */
static enum eseal_rc
prepare(struct ca *ca, const struct issue_request *req, int64_t now,
    struct issuer **isp, char serial[STORE_SERIAL_HEX_MAX])
{
	struct build_arg b;
	struct store_cert tmpl;
	struct issuer *is = NULL;
	enum eseal_rc rc;
	int days;

	*isp = NULL;
	if ((rc = check_locked(ca, req, now)) != ESEAL_OK)
		return rc;
	if ((rc = issuer_current(ca, &is)) != ESEAL_OK)
		return rc;
	days = req->validity_days > 0 &&
	    req->validity_days < req->profile->max_validity_days ?
	    req->validity_days : req->profile->max_validity_days;
	memset(&b, 0, sizeof(b));
	b.ca = ca;
	b.req = req;
	b.is = is;
	b.now = now;
	b.not_after = now + (int64_t)days * 86400;
	if (b.not_after > is->rec.not_after) {
		b.not_after = is->rec.not_after;	/* never outlive the CA */
		log_warn("msg=\"validity capped at the CA certificate's "
		    "notAfter (RFC 5280 6.1.3: no certificate outlives its "
		    "issuer)\" issuer=%s days_asked=%d not_after=%lld",
		    is->rec.name, days, (long long)b.not_after);
	}
	memset(&tmpl, 0, sizeof(tmpl));
	memcpy(tmpl.spki_sha256, csr_pubkey_sha256(req->csr), 32);
	tmpl.not_before = now;
	tmpl.not_after = b.not_after;
	snprintf(tmpl.org_identifier, sizeof(tmpl.org_identifier), "%s",
	    req->org->identifier);
	if ((rc = issue_record_pending(ca, is, &tmpl, build_ee, &b,
	    req->on_pending, req->hook_arg, now, serial, NULL, NULL)) !=
	    ESEAL_OK) {
		issuer_free(is);
		return rc;
	}
	*isp = is;
	return ESEAL_OK;
}

/*
 * Step 6 for a pending row: the HSM signs its TBS and the signature is
 * verified.  The HSM unreachable: the row stays pending, to be finished at
 * the next open.  Anything else (a signature that does not verify, a TBS
 * that does not parse) is final: the row is failed.
 */
static enum eseal_rc
sign_row(struct ca *ca, const struct issuer *is, const char *serial,
    const unsigned char *tbs, size_t tbs_len, const char *actor, int64_t now,
    unsigned char **der, size_t *der_len)
{
	enum eseal_rc rc;

	rc = issuer_sign(ca, is->rec.key_id, is->rec.key_id_len, is->pub, tbs,
	    tbs_len, der, der_len);
	if (rc == ESEAL_OK || rc == ESEAL_EHSM)
		return rc;
	return issue_fail(ca, serial, rc, actor, now);
}

/*
 * Step 7: the row issued with der and its audit record, with req's (NULL
 * when a pending row is finished on its own) on_issued records, in one
 * transaction (or in the caller's).  On failure der is freed: nobody may
 * see a certificate not recorded as issued, and the row stays pending (or
 * is failed by on_issued's refusal).
 */
static enum eseal_rc
record_issued(struct ca *ca, const struct issuer *is, const char *serial,
    const char *actor, int64_t now, const struct issue_request *req,
    unsigned char **der, size_t *der_len)
{
	enum eseal_rc rc, rc2;

	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		goto fail;
	if ((rc = store_cert_mark_issued(ca->store, serial, *der, *der_len,
	    now)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, now, actor, "cert.issue", serial,
	    "issuer=%s", is->rec.name)) != ESEAL_OK) {
		store_rollback(ca->store);
		goto fail;
	}
	if (req != NULL && req->on_issued != NULL &&
	    (rc = req->on_issued(ca->store, serial, now, req->hook_arg))
	    != ESEAL_OK) {
		store_rollback(ca->store);
		if (rc != ESEAL_ESTORE)
			rc = issue_fail(ca, serial, rc, actor, now);
		goto fail;
	}
	if ((rc2 = store_commit(ca->store)) != ESEAL_OK) {
		rc = rc2;
		goto fail;
	}
	return ESEAL_OK;
fail:
	OPENSSL_free(*der);
	*der = NULL;
	*der_len = 0;
	return rc;
}

/* Steps 6-7 for a pending row (req as for record_issued). */
static enum eseal_rc
finish(struct ca *ca, const struct issuer *is, const char *serial,
    const unsigned char *tbs, size_t tbs_len, const char *actor, int64_t now,
    const struct issue_request *req, unsigned char **der, size_t *der_len)
{
	enum eseal_rc rc;

	if ((rc = sign_row(ca, is, serial, tbs, tbs_len, actor, now, der,
	    der_len)) != ESEAL_OK)
		return rc;
	return record_issued(ca, is, serial, actor, now, req, der, der_len);
}

enum eseal_rc
issue_prepare(struct ca *ca, const struct issue_request *req, int64_t now,
    char serial[STORE_SERIAL_HEX_MAX])
{
	struct issuer *is = NULL;
	enum eseal_rc rc;

	ca_rdlock(ca);
	rc = prepare(ca, req, now, &is, serial);
	ca_unlock(ca);
	issuer_free(is);
	return rc;
}

/* The metrics and the log line of one issuance's outcome rc. */
static void
outcome(const struct issuer *is, const struct issue_request *req,
    const char *serial, enum eseal_rc rc)
{
	char lab[METRICS_LABELS_MAX];

	if (rc != ESEAL_OK) {
		metrics_inc(M_ISSUE_FAIL, metrics_labels(lab, sizeof(lab),
		    "reason", eseal_rcname(rc), NULL));
		return;
	}
	metrics_inc(M_ISSUED, metrics_labels(lab, sizeof(lab), "issuer",
	    is->rec.name, "profile", req->profile->name, NULL));
	log_info("msg=\"certificate issued\" serial=%s actor=%s", serial,
	    req->actor);
}

/* Step 6 for the row prepare() recorded: its stored TBS signed. */
static enum eseal_rc
sign_recorded(struct ca *ca, const struct issuer *is,
    const struct issue_request *req, int64_t now, struct issue_result *res)
{
	struct store_cert row;
	enum eseal_rc rc;

	if ((rc = store_cert_get(ca->store, res->serial, &row)) != ESEAL_OK)
		return rc;
	rc = sign_row(ca, is, res->serial, row.tbs, row.tbs_len, req->actor,
	    now, &res->der, &res->der_len);
	store_cert_clear(&row);
	return rc;
}

enum eseal_rc
issue_cert(struct ca *ca, const struct issue_request *req, int64_t now,
    struct issue_result *res)
{
	struct issuer *is = NULL;
	enum eseal_rc rc;

	memset(res, 0, sizeof(*res));
	ca_rdlock(ca);
	rc = prepare(ca, req, now, &is, res->serial);
	ca_unlock(ca);
	if (rc == ESEAL_OK &&
	    (rc = sign_recorded(ca, is, req, now, res)) == ESEAL_OK)
		rc = record_issued(ca, is, res->serial, req->actor, now, req,
		    &res->der, &res->der_len);
	outcome(is, req, res->serial, rc);
	issuer_free(is);
	return rc;
}

/* Request i of a batch ends with rc (and the thread's message, if not ok). */
static enum eseal_rc
batch_note(struct issue_result *res, enum eseal_rc rc)
{
	if (rc != ESEAL_OK)
		snprintf(res->why, sizeof(res->why), "%s", eseal_errmsg());
	return rc;
}

/* issue_certs() steps 3-5: every pending row in one transaction. */
static enum eseal_rc
batch_prepare(struct ca *ca, const struct issue_request *reqs, size_t n,
    int64_t now, struct issuer **is, struct issue_result *res,
    enum eseal_rc *rcs)
{
	enum eseal_rc rc;

	ca_rdlock(ca);
	if ((rc = store_begin(ca->store)) == ESEAL_OK) {
		for (size_t i = 0; i < n; i++)
			if (reqs[i].on_pending != NULL ||
			    reqs[i].on_issued != NULL)
				rcs[i] = batch_note(&res[i], eseal_err(
				    ESEAL_EINVAL, "issue: a request of a batch "
				    "has no hooks"));
			else
				rcs[i] = batch_note(&res[i], prepare(ca,
				    &reqs[i], now, &is[i], res[i].serial));
		rc = store_commit(ca->store);
	}
	ca_unlock(ca);
	for (size_t i = 0; rc != ESEAL_OK && i < n; i++)
		if (rcs[i] == ESEAL_OK)		/* none recorded */
			rcs[i] = batch_note(&res[i], rc);
	return rc;
}

enum eseal_rc
issue_certs(struct ca *ca, const struct issue_request *reqs, size_t n,
    int64_t now, struct issue_result *res, enum eseal_rc *rcs)
{
	struct issuer **is;
	enum eseal_rc rc;
	size_t i;

	if (n == 0 || n > ISSUE_BATCH_MAX)
		return eseal_err(ESEAL_EINVAL, "issue: a batch is 1 to %d "
		    "requests, not %zu", ISSUE_BATCH_MAX, n);
	if ((is = calloc(n, sizeof(*is))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "issue: out of memory");
	for (i = 0; i < n; i++)
		memset(&res[i], 0, sizeof(res[i]));
	rc = batch_prepare(ca, reqs, n, now, is, res, rcs);
	/* Step 6 outside any transaction: the HSM signs, we verify. */
	for (i = 0; rc == ESEAL_OK && i < n; i++)
		if (rcs[i] == ESEAL_OK)
			rcs[i] = batch_note(&res[i], sign_recorded(ca, is[i],
			    &reqs[i], now, &res[i]));
	/* Step 7: every signed row issued in one transaction. */
	if (rc == ESEAL_OK && (rc = store_begin(ca->store)) == ESEAL_OK) {
		for (i = 0; i < n; i++)
			if (rcs[i] == ESEAL_OK)
				rcs[i] = batch_note(&res[i], record_issued(ca,
				    is[i], res[i].serial, reqs[i].actor, now,
				    NULL, &res[i].der, &res[i].der_len));
		rc = store_commit(ca->store);
		for (i = 0; rc != ESEAL_OK && i < n; i++)
			if (rcs[i] == ESEAL_OK) {	/* stays pending */
				OPENSSL_free(res[i].der);
				res[i].der = NULL;
				res[i].der_len = 0;
				rcs[i] = batch_note(&res[i], rc);
			}
	}
	for (i = 0; i < n; i++) {
		outcome(is[i], &reqs[i], res[i].serial, rcs[i]);
		issuer_free(is[i]);
	}
	free(is);
	return rc;
}

/* Steps 6-7 for a stored pending row, with its own issuer. */
static enum eseal_rc
finish_row(struct ca *ca, const struct store_cert *row, const char *actor,
    int64_t now)
{
	struct issuer *is;
	unsigned char *der = NULL;
	char lab[METRICS_LABELS_MAX];
	size_t der_len;
	enum eseal_rc rc;

	if ((rc = issuer_by_id(ca, row->issuer_id, &is)) == ESEAL_OK) {
		rc = finish(ca, is, row->serial, row->tbs, row->tbs_len, actor,
		    now, NULL, &der, &der_len);
		/* The profile of a resumed row is not kept with it. */
		if (rc == ESEAL_OK)
			metrics_inc(M_ISSUED, metrics_labels(lab, sizeof(lab),
			    "issuer", is->rec.name, "profile", "(resumed)",
			    NULL));
		issuer_free(is);
		OPENSSL_free(der);
	} else if (rc != ESEAL_ESTORE)
		rc = issue_fail(ca, row->serial, rc, actor, now);
	return rc;
}

enum eseal_rc
issue_finish_pending(struct ca *ca, const char *serial, const char *actor,
    int64_t now)
{
	struct store_cert row;
	enum eseal_rc rc;

	if ((rc = store_cert_get(ca->store, serial, &row)) != ESEAL_OK)
		return rc;
	if (row.status != CERT_PENDING)
		rc = eseal_err(ESEAL_EEXIST, "issue: %s is %s, not pending",
		    serial, cert_status_name(row.status));
	else if ((rc = finish_row(ca, &row, actor, now)) == ESEAL_OK)
		log_info("msg=\"pending certificate finished\" serial=%s "
		    "actor=%s", serial, actor);
	store_cert_clear(&row);
	return rc;
}

enum eseal_rc
issue_recover_before(struct ca *ca, int64_t now, int64_t before,
    int *finished, int *failed)
{
	struct store_cert *rows = NULL;
	size_t n = 0;
	enum eseal_rc rc;

	*finished = *failed = 0;
	if ((rc = store_cert_pending_before(ca->store, before, &rows, &n))
	    != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = finish_row(ca, &rows[i], "recovery", now))
		    == ESEAL_OK) {
			(*finished)++;
			log_info("msg=\"pending certificate finished\" "
			    "serial=%s", rows[i].serial);
			continue;
		}
		if (rc == ESEAL_EHSM || rc == ESEAL_ESTORE)
			break;	/* try again at the next round */
		(*failed)++;
		log_warn("msg=\"pending certificate failed\" serial=%s "
		    "reason=\"%s\"", rows[i].serial, eseal_errmsg());
		rc = ESEAL_OK;
	}
	store_cert_list_free(rows, n);
	return rc;
}

enum eseal_rc
issue_recover(struct ca *ca, int64_t now, int *finished, int *failed)
{
	return issue_recover_before(ca, now, INT64_MAX, finished, failed);
}
