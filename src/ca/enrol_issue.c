/*
 * enrol_issue.c: where enrolment meets the CA: the CA's check of a
 * submission, approval, and from an approved enrolment request to a
 * certificate.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "enrol_issue.h"
#include "log.h"

#define INFLIGHT_MAX	256	/* requests this process issues at once */

/*
 * The requests being issued by this process now: an approval retried
 * while the resume round (or another officer) issues the same request
 * waits for the next round instead of certifying the key twice.
 */
static pthread_mutex_t inflight_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t inflight[INFLIGHT_MAX];	/* 0: a free slot */

/* Claims id: 1, or 0 if it is being issued (or too many are). */
static int
claim(int64_t id)
{
	int free_slot = -1, i;

	pthread_mutex_lock(&inflight_mu);
	for (i = 0; i < INFLIGHT_MAX; i++) {
		if (inflight[i] == id)
			break;
		if (inflight[i] == 0 && free_slot < 0)
			free_slot = i;
	}
	if (i == INFLIGHT_MAX && free_slot >= 0)
		inflight[free_slot] = id;
	pthread_mutex_unlock(&inflight_mu);
	return i == INFLIGHT_MAX && free_slot >= 0;
}

static void
release(int64_t id)
{
	pthread_mutex_lock(&inflight_mu);
	for (int i = 0; i < INFLIGHT_MAX; i++)
		if (inflight[i] == id)
			inflight[i] = 0;
	pthread_mutex_unlock(&inflight_mu);
}

static void
request_init(struct issue_request *r, const struct profile *p,
    const struct org *o, const struct csr *c, enum key_holder h, int qscd,
    int days, const char *actor)
{
	memset(r, 0, sizeof(*r));
	r->profile = p;
	r->org = o;
	r->csr = c;
	r->holder = h;
	/* A remote sealing service's HSM counts as a QSCD (panel point 8). */
	r->qscd = qscd || h == HOLDER_REMOTE_SERVICE;
	r->validity_days = days;
	r->actor = actor;
}

enum eseal_rc
enrol_issue_check(struct ca *ca, const struct org_rec *rec,
    const struct csr *csr, const char *pname, enum key_holder h, int qscd,
    int64_t now)
{
	struct issue_request req;
	struct profile *p = NULL;
	struct org o;
	enum eseal_rc rc;

	ca_rdlock(ca);
	rc = profile_load(ca->conf->issue_profiles_dir, pname, &p);
	ca_unlock(ca);
	if (rc != ESEAL_OK)
		return rc == ESEAL_ENOTFOUND ? eseal_err(ESEAL_EINVAL,
		    "profile \"%.64s\" does not exist", pname) : rc;
	org_to_subject(rec, &o);
	request_init(&req, p, &o, csr, h, qscd, 0, "enrolment");
	if ((rc = issue_check(ca, &req, now)) == ESEAL_OK &&
	    p->etsi_policy == ETSI_POLICY_QCP_L_QSCD && !req.qscd)
		rc = eseal_err(ESEAL_EPOLICY, "profile %s: EN 319 411-2: needs "
		    "a key in a QSCD, which the request does not declare",
		    p->name);
	profile_free(p);
	return rc;
}

/*
 * The certificate already signed, or recorded to be signed, for a request
 * decided at since with this key for this organisation: an issued one, or
 * a pending one finished now (its stored TBS signed, never a new serial).
 * ESEAL_OK with serial, ESEAL_ENOTFOUND if there is none to reuse (or the
 * pending one failed for good), or the HSM's or store's trouble.
 */
static enum eseal_rc
reuse_signed(struct ca *ca, const struct csr *csr, const char *org,
    int64_t since, const char *actor, int64_t now,
    char serial[STORE_SERIAL_HEX_MAX])
{
	const unsigned char *spki = csr_pubkey_sha256(csr);
	enum eseal_rc rc;

	if (store_cert_find_issued(ca->store, spki, org, since, serial) ==
	    ESEAL_OK)
		return ESEAL_OK;
	if (store_cert_find_pending(ca->store, spki, org, since, serial) !=
	    ESEAL_OK)
		return ESEAL_ENOTFOUND;
	rc = issue_finish_pending(ca, serial, actor, now);
	if (rc == ESEAL_EEXIST)	/* finished meanwhile, by someone else */
		return store_cert_find_issued(ca->store, spki, org, since,
		    serial) == ESEAL_OK ? ESEAL_OK : ESEAL_ENOTFOUND;
	if (rc == ESEAL_EHSM || rc == ESEAL_ESTORE || rc == ESEAL_OK)
		return rc;
	return ESEAL_ENOTFOUND;	/* failed for good: a new one may be issued */
}

/* What the hooks of an enrolment's issuance (issue_request) record. */
struct hook_arg {
	int64_t		 id;
	const char	*actor;
};

/* on_pending of a fresh approval: the request approved with its row. */
static enum eseal_rc
approve_request(struct store *s, const char *serial, int64_t now, void *arg)
{
	const struct hook_arg *h = arg;

	(void)serial;
	return enrol_request_decide(s, h->id, 1, h->actor, NULL, now);
}

/* on_issued: the request finished with its certificate. */
static enum eseal_rc
finish_request(struct store *s, const char *serial, int64_t now, void *arg)
{
	const struct hook_arg *h = arg;

	return enrol_request_finish(s, h->id, serial, NULL, now);
}

/*
 * After a fresh approval's issuance failed (rc): if the request was not
 * approved with a pending row (the failure came first), it is approved now
 * on its own, so that it ends as it would have: failed with the reason when
 * rc is final, left approved for the resume rounds on HSM or store trouble.
 * Not if someone else decided it meanwhile.
 */
static void
approve_after_failure(struct ca *ca, int64_t id, const char *actor,
    int64_t now, enum eseal_rc rc)
{
	struct enrol_request er;
	char why[512];
	int pending;

	snprintf(why, sizeof(why), "%s", eseal_errmsg());
	if (enrol_request_get(ca->store, id, &er) != ESEAL_OK)
		goto out;
	pending = strcmp(er.status, enrol_status_name(ENROL_PENDING)) == 0;
	enrol_request_clear(&er);
	if (pending && enrol_request_decide(ca->store, id, 1, actor, NULL, now)
	    == ESEAL_OK && rc != ESEAL_EHSM && rc != ESEAL_ESTORE)
		(void)enrol_request_finish(ca->store, id, NULL, why, now);
out:
	eseal_err(rc, "%s", why);
}

/*
 * enrol_issue() with id claimed.  With may_approve (an approval), a pending
 * request is approved by actor in the pending row's transaction ("fresh");
 * an approved one (left so by HSM or store trouble) is issued again.
 */
static enum eseal_rc
issue_claimed(struct ca *ca, int64_t id, const char *actor, int64_t now,
    int may_approve, char serial[STORE_SERIAL_HEX_MAX])
{
	struct enrol_request er;
	struct issue_request req;
	struct issue_result res;
	struct hook_arg h = { id, actor };
	struct org_rec rec;
	struct profile *p = NULL;
	struct csr *csr = NULL;
	struct org o;
	char why[512];
	enum eseal_rc rc;
	int days, fresh;

	serial[0] = '\0';
	memset(&res, 0, sizeof(res));
	if ((rc = enrol_request_get(ca->store, id, &er)) != ESEAL_OK)
		return rc;
	fresh = may_approve &&
	    strcmp(er.status, enrol_status_name(ENROL_PENDING)) == 0;
	if (!fresh && strcmp(er.status, enrol_status_name(ENROL_APPROVED))
	    != 0) {
		enrol_request_clear(&er);
		if (may_approve)	/* decide's own error: decided once */
			return enrol_request_decide(ca->store, id, 1, actor,
			    NULL, now);
		return eseal_err(ESEAL_EEXIST, "enrolment %lld is %s, not "
		    "approved", (long long)id, er.status);
	}
	ca_rdlock(ca);
	days = ca->conf->issue_validity_days;
	rc = profile_load(ca->conf->issue_profiles_dir, er.profile, &p);
	ca_unlock(ca);
	if (rc == ESEAL_OK)
		rc = org_get(ca->store, er.org_id, &rec);
	if (rc == ESEAL_OK)
		rc = csr_parse(er.csr, er.csr_len, &csr);
	if (rc == ESEAL_OK) {
		org_to_subject(&rec, &o);
		/*
		 * A crash (or the HSM) left it approved with its certificate
		 * already issued, or recorded pending: finish it with that one
		 * rather than certify the key twice.  (Nothing is signed yet
		 * for a request approved only now.)
		 */
		rc = fresh ? ESEAL_ENOTFOUND : reuse_signed(ca, csr,
		    o.identifier, er.decided_at, actor, now, res.serial);
		if (rc == ESEAL_OK) {
			snprintf(serial, STORE_SERIAL_HEX_MAX, "%s", res.serial);
			rc = enrol_request_finish(ca->store, id, res.serial, NULL,
			    now);
			goto out;
		}
		if (rc != ESEAL_ENOTFOUND)
			goto out;	/* HSM or store trouble: retry later */
		request_init(&req, p, &o, csr, er.holder, er.qscd, days, actor);
		/*
		 * The approval goes with the pending row, the request's end
		 * with the issued one: two durable flushes, not four.
		 */
		req.on_pending = fresh ? approve_request : NULL;
		req.on_issued = finish_request;
		req.hook_arg = &h;
		rc = issue_cert(ca, &req, now, &res);
	}
	if (rc == ESEAL_OK)
		snprintf(serial, STORE_SERIAL_HEX_MAX, "%s", res.serial);
	else if (fresh)
		approve_after_failure(ca, id, actor, now, rc);
	else if (rc != ESEAL_EHSM && rc != ESEAL_ESTORE) {
		/* Final: the request fails.  HSM or store trouble: retry. */
		snprintf(why, sizeof(why), "%s", eseal_errmsg());
		(void)enrol_request_finish(ca->store, id, NULL, why, now);
		eseal_err(rc, "%s", why);
	}
out:
	issue_result_clear(&res);
	csr_free(csr);
	profile_free(p);
	enrol_request_clear(&er);
	return rc;
}

/* enrol_issue() and enrol_issue_approve() (may_approve): claims id first. */
static enum eseal_rc
issue_one(struct ca *ca, int64_t id, const char *actor, int64_t now,
    int may_approve, char serial[STORE_SERIAL_HEX_MAX])
{
	enum eseal_rc rc;

	serial[0] = '\0';
	if (!claim(id))
		return eseal_err(ESEAL_ETOOMANY, "enrolment %lld is being "
		    "issued now: ask again shortly", (long long)id);
	rc = issue_claimed(ca, id, actor, now, may_approve, serial);
	release(id);
	return rc;
}

enum eseal_rc
enrol_issue(struct ca *ca, int64_t id, const char *actor, int64_t now,
    char serial[STORE_SERIAL_HEX_MAX])
{
	return issue_one(ca, id, actor, now, 0, serial);
}

int
enrol_profile_auto(struct ca *ca, const char *pname)
{
	struct profile *p = NULL;
	int yes;

	ca_rdlock(ca);
	yes = profile_load(ca->conf->issue_profiles_dir, pname, &p) == ESEAL_OK &&
	    p->auto_approve;
	ca_unlock(ca);
	profile_free(p);
	return yes;
}

enum eseal_rc
enrol_issue_approve(struct ca *ca, int64_t id, const char *actor, int64_t now,
    char serial[STORE_SERIAL_HEX_MAX])
{
	return issue_one(ca, id, actor, now, 1, serial);
}

/* enrol_check_fn for enrol_request_create(): the CA's judgement. */
static enum eseal_rc
submit_check(void *arg, const struct org_rec *rec, const struct csr *csr,
    const struct enrol_submission *sub, int64_t now)
{
	return enrol_issue_check(arg, rec, csr, sub->profile, sub->holder,
	    sub->qscd, now);
}

enum eseal_rc
enrol_issue_submit(struct ca *ca, const struct enrol_submission *sub,
    int64_t now, struct enrol_outcome *out)
{
	struct enrol_request er;
	enum eseal_rc rc;
	int st;

	memset(out, 0, sizeof(*out));
	out->status = ENROL_PENDING;
	if ((rc = enrol_request_create(ca->store, sub, submit_check, ca, now,
	    &out->id, out->token)) != ESEAL_OK)
		return rc;
	if (!enrol_profile_auto(ca, sub->profile))
		return ESEAL_OK;
	/* The profile lets it through without an RA. */
	if ((rc = enrol_issue_approve(ca, out->id, ENROL_AUTO_ACTOR, now,
	    out->serial)) != ESEAL_OK)
		log_warn("msg=\"auto-approval: enrolment %lld not issued\" "
		    "why=\"%s\"", (long long)out->id, eseal_errmsg());
	if (enrol_request_get(ca->store, out->id, &er) == ESEAL_OK) {
		if ((st = enrol_status_parse(er.status)) >= 0)
			out->status = (enum enrol_status)st;
		enrol_request_clear(&er);
	} else if (rc == ESEAL_OK)
		out->status = ENROL_ISSUED;
	if (out->status != ENROL_ISSUED)
		out->serial[0] = '\0';
	eseal_errclear();
	return ESEAL_OK;
}

enum eseal_rc
enrol_issue_resume(struct ca *ca, int64_t now, int64_t grace,
    struct enrol_resume *out)
{
	struct enrol_request *v = NULL;
	char serial[STORE_SERIAL_HEX_MAX];
	size_t n = 0;
	enum eseal_rc rc;

	memset(out, 0, sizeof(*out));
	if ((rc = issue_recover_before(ca, now, now - grace, &out->finished,
	    &out->failed)) != ESEAL_OK)
		return rc;
	if ((rc = enrol_request_list(ca->store,
	    enrol_status_name(ENROL_APPROVED), &v, &n)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (v[i].decided_at > now - grace)
			continue;	/* its approval may still be issuing */
		rc = enrol_issue(ca, v[i].id, ENROL_RESUME_ACTOR, now, serial);
		if (rc == ESEAL_OK) {
			out->issued++;
			log_info("msg=\"approved enrolment resumed\" id=%lld "
			    "serial=%s", (long long)v[i].id, serial);
			continue;
		}
		if (rc == ESEAL_ETOOMANY)
			continue;	/* being issued by another thread */
		if (rc == ESEAL_EHSM || rc == ESEAL_ESTORE)
			break;		/* the next round tries again */
		out->refused++;
		log_warn("msg=\"approved enrolment failed on resume\" "
		    "id=%lld why=\"%s\"", (long long)v[i].id, eseal_errmsg());
		rc = ESEAL_OK;
	}
	enrol_request_list_free(v, n);
	return rc;
}
