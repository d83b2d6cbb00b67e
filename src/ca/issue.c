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

/* Frees what issue_draw() put in row. */
static void
draft_clear(struct store_cert *row)
{
	OPENSSL_free(row->tbs);
	OPENSSL_free(row->subject);
	row->tbs = NULL;
	row->subject = NULL;
}

/*
 * Steps 3-4: a fresh serial and the TBS built with it by build, into *row
 * (tmpl's fields, the serial, the issuer, the TBS, the subject, the
 * shard); row's TBS and subject are the caller's (draft_clear).
 */
static enum eseal_rc
issue_draw(const struct issuer *is, const struct store_cert *tmpl,
    issue_build_fn build, void *arg, struct store_cert *row)
{
	unsigned char *der = NULL;
	BIGNUM *bn = NULL;
	X509 *x = NULL;
	enum eseal_rc rc;
	int len;

	*row = *tmpl;
	row->tbs = NULL;
	row->subject = NULL;
	if ((rc = serial_new(&bn, row->serial)) != ESEAL_OK)
		goto out;
	row->shard = serial_shard(row->serial, is->rec.crl_shards);
	if ((rc = build(bn, row->shard, &x, arg)) != ESEAL_OK)
		goto out;
	if ((len = i2d_re_X509_tbs(x, &der)) <= 0 ||
	    (row->subject = X509_NAME_oneline(X509_get_subject_name(x), NULL,
	    0)) == NULL) {
		rc = eseal_err(ESEAL_EINTERNAL, "issue: cannot encode the TBS");
		goto out;
	}
	row->issuer_id = is->rec.id;
	row->tbs = der;
	row->tbs_len = (size_t)len;
	der = NULL;
out:
	if (rc != ESEAL_OK)
		draft_clear(row);
	BN_free(bn);
	X509_free(x);
	OPENSSL_free(der);
	return rc;
}

/*
 * Step 5 for a drawn row (with also, if not NULL, in its transaction);
 * *collision set if its serial is taken (ESEAL_EEXIST): draw again.
 */
static enum eseal_rc
insert_drawn(struct ca *ca, const struct store_cert *row, issue_hook_fn also,
    void *also_arg, int64_t now, int *collision)
{
	enum eseal_rc rc;

	*collision = 0;
	/* Durable (WAL, synchronous=FULL) before the HSM signs. */
	if (also != NULL && (rc = store_begin(ca->store)) != ESEAL_OK)
		return rc;
	if ((rc = store_cert_insert_pending(ca->store, row, now)) != ESEAL_OK)
		*collision = rc == ESEAL_EEXIST;
	else if (also != NULL)	/* its failure ends it, whatever its code */
		rc = also(ca->store, row->serial, now, also_arg);
	if (also == NULL)
		return rc;
	if (rc != ESEAL_OK) {
		store_rollback(ca->store);
		return rc;
	}
	return store_commit(ca->store);
}

/*
 * Step 5 for row, drawn by issue_draw() from tmpl with build: inserted
 * (with also in its transaction), drawn again on a serial collision, up to
 * ISSUE_SERIAL_TRIES draws in all.
 */
static enum eseal_rc
insert_pending(struct ca *ca, const struct issuer *is,
    const struct store_cert *tmpl, issue_build_fn build, void *arg,
    issue_hook_fn also, void *also_arg, int64_t now, struct store_cert *row)
{
	enum eseal_rc rc;
	int collision;

	for (int tries = 1;; tries++) {
		rc = insert_drawn(ca, row, also, also_arg, now, &collision);
		if (!collision || tries == ISSUE_SERIAL_TRIES)
			return rc;
		log_warn("msg=\"serial collision, drawing again\" serial=%s",
		    row->serial);
		draft_clear(row);
		if ((rc = issue_draw(is, tmpl, build, arg, row)) != ESEAL_OK)
			return rc;
	}
}

enum eseal_rc
issue_record_pending(struct ca *ca, const struct issuer *is,
    const struct store_cert *tmpl, issue_build_fn build, void *arg,
    issue_hook_fn also, void *also_arg, int64_t now,
    char serial[STORE_SERIAL_HEX_MAX], unsigned char **tbs, size_t *tbs_len)
{
	struct store_cert row;
	enum eseal_rc rc;

	serial[0] = '\0';
	if ((rc = issue_draw(is, tmpl, build, arg, &row)) != ESEAL_OK)
		return rc;
	rc = insert_pending(ca, is, tmpl, build, arg, also, also_arg, now,
	    &row);
	memcpy(serial, row.serial, STORE_SERIAL_HEX_MAX);
	if (rc == ESEAL_OK && tbs != NULL) {
		*tbs = row.tbs;
		*tbs_len = row.tbs_len;
		row.tbs = NULL;
	}
	draft_clear(&row);
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

/* An end-entity certificate on its way to its pending row. */
struct ee_draft {
	struct build_arg	 b;
	struct store_cert	 tmpl;
	struct issuer		*is;	/* the issuer, the caller's */
};

/*
 * Before step 3: the checks of the request, the current issuer and what
 * its certificate will hold, into *d.
 */
static enum eseal_rc
draft_init(struct ca *ca, const struct issue_request *req, int64_t now,
    struct ee_draft *d)
{
	enum eseal_rc rc;
	int days;

	memset(d, 0, sizeof(*d));
	if ((rc = check_locked(ca, req, now)) != ESEAL_OK)
		return rc;
	if ((rc = issuer_current(ca, &d->is)) != ESEAL_OK)
		return rc;
	days = req->validity_days > 0 &&
	    req->validity_days < req->profile->max_validity_days ?
	    req->validity_days : req->profile->max_validity_days;
	d->b.ca = ca;
	d->b.req = req;
	d->b.is = d->is;
	d->b.now = now;
	d->b.not_after = now + (int64_t)days * 86400;
	if (d->b.not_after > d->is->rec.not_after) {
		d->b.not_after = d->is->rec.not_after;	/* never outlive the CA */
		log_warn("msg=\"validity capped at the CA certificate's "
		    "notAfter (RFC 5280 6.1.3: no certificate outlives its "
		    "issuer)\" issuer=%s days_asked=%d not_after=%lld",
		    d->is->rec.name, days, (long long)d->b.not_after);
	}
	memcpy(d->tmpl.spki_sha256, csr_pubkey_sha256(req->csr), 32);
	d->tmpl.not_before = now;
	d->tmpl.not_after = d->b.not_after;
	snprintf(d->tmpl.org_identifier, sizeof(d->tmpl.org_identifier), "%s",
	    req->org->identifier);
	return ESEAL_OK;
}

/*
 * Steps 3-5: returns the issuer used, and (if tbs is not NULL) the TBS
 * recorded (OPENSSL_free); the row is pending when this returns.
 */
static enum eseal_rc
prepare(struct ca *ca, const struct issue_request *req, int64_t now,
    struct issuer **isp, char serial[STORE_SERIAL_HEX_MAX],
    unsigned char **tbs, size_t *tbs_len)
{
	struct ee_draft d;
	enum eseal_rc rc;

	*isp = NULL;
	if ((rc = draft_init(ca, req, now, &d)) == ESEAL_OK)
		rc = issue_record_pending(ca, d.is, &d.tmpl, build_ee, &d.b,
		    req->on_pending, req->hook_arg, now, serial, tbs, tbs_len);
	if (rc != ESEAL_OK) {
		issuer_free(d.is);
		return rc;
	}
	*isp = d.is;
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
	rc = prepare(ca, req, now, &is, serial, NULL, NULL);
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

enum eseal_rc
issue_cert(struct ca *ca, const struct issue_request *req, int64_t now,
    struct issue_result *res)
{
	struct issuer *is = NULL;
	unsigned char *tbs = NULL;
	size_t tbs_len = 0;
	enum eseal_rc rc;

	memset(res, 0, sizeof(*res));
	ca_rdlock(ca);
	rc = prepare(ca, req, now, &is, res->serial, &tbs, &tbs_len);
	ca_unlock(ca);
	/* The bytes just committed as the pending row's TBS. */
	if (rc == ESEAL_OK)
		rc = finish(ca, is, res->serial, tbs, tbs_len, req->actor, now,
		    req, &res->der, &res->der_len);
	OPENSSL_free(tbs);
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

/*
 * issue_certs() steps 3-5: every certificate drawn and linted first, then
 * every pending row in one transaction.  is[i] gets request i's issuer,
 * rows[i] its row as recorded (its TBS and subject the caller's).
 */
static enum eseal_rc
batch_prepare(struct ca *ca, const struct issue_request *reqs, size_t n,
    int64_t now, struct issuer **is, struct store_cert *rows,
    struct issue_result *res, enum eseal_rc *rcs)
{
	struct ee_draft *d;
	enum eseal_rc rc;
	size_t i;

	if ((d = calloc(n, sizeof(*d))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "issue: out of memory");
	ca_rdlock(ca);
	for (i = 0; i < n; i++) {
		if (reqs[i].on_pending != NULL || reqs[i].on_issued != NULL)
			rcs[i] = batch_note(&res[i], eseal_err(ESEAL_EINVAL,
			    "issue: a request of a batch has no hooks"));
		else if ((rcs[i] = batch_note(&res[i], draft_init(ca, &reqs[i],
		    now, &d[i]))) == ESEAL_OK)
			rcs[i] = batch_note(&res[i], issue_draw(d[i].is,
			    &d[i].tmpl, build_ee, &d[i].b, &rows[i]));
	}
	if ((rc = store_begin(ca->store)) == ESEAL_OK) {
		for (i = 0; i < n; i++)
			if (rcs[i] == ESEAL_OK)
				rcs[i] = batch_note(&res[i], insert_pending(ca,
				    d[i].is, &d[i].tmpl, build_ee, &d[i].b,
				    NULL, NULL, now, &rows[i]));
		rc = store_commit(ca->store);
	}
	ca_unlock(ca);
	for (i = 0; i < n; i++) {
		if (rc != ESEAL_OK && rcs[i] == ESEAL_OK)
			rcs[i] = batch_note(&res[i], rc);	/* not recorded */
		if (rcs[i] == ESEAL_OK)
			memcpy(res[i].serial, rows[i].serial,
			    sizeof(res[i].serial));
		is[i] = d[i].is;
	}
	free(d);
	return rc;
}

enum eseal_rc
issue_certs(struct ca *ca, const struct issue_request *reqs, size_t n,
    int64_t now, struct issue_result *res, enum eseal_rc *rcs)
{
	struct issuer **is;
	struct store_cert *rows;
	enum eseal_rc rc;
	size_t i;

	if (n == 0 || n > ISSUE_BATCH_MAX)
		return eseal_err(ESEAL_EINVAL, "issue: a batch is 1 to %d "
		    "requests, not %zu", ISSUE_BATCH_MAX, n);
	is = calloc(n, sizeof(*is));
	rows = calloc(n, sizeof(*rows));
	if (is == NULL || rows == NULL) {
		free(is);
		free(rows);
		return eseal_err(ESEAL_ENOMEM, "issue: out of memory");
	}
	for (i = 0; i < n; i++)
		memset(&res[i], 0, sizeof(res[i]));
	rc = batch_prepare(ca, reqs, n, now, is, rows, res, rcs);
	/*
	 * Step 6 outside any transaction: the HSM signs the TBS just
	 * recorded, we verify.
	 */
	for (i = 0; rc == ESEAL_OK && i < n; i++)
		if (rcs[i] == ESEAL_OK)
			rcs[i] = batch_note(&res[i], sign_row(ca, is[i],
			    res[i].serial, rows[i].tbs, rows[i].tbs_len,
			    reqs[i].actor, now, &res[i].der, &res[i].der_len));
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
		draft_clear(&rows[i]);
	}
	free(rows);
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
