/*
 * ocsp_presign.c: presigned OCSP answers (ocsp_presign.h).  The batch
 * takes its work from the store (answers due, then certificates the walk
 * finds without one), signs each through the responder's own signing
 * path (ocsp_sign_answer: the same bytes a live answer would have, minus
 * the nonce) and records the batch in one transaction that keeps only
 * answers whose status is still true.  The responder's side,
 * ocsp_presigned_get, checks an answer against the store and against the
 * request's CertID before it serves it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "log.h"
#include "ocsp_int.h"
#include "ocsp_presign.h"
#include "store_revoke.h"

static pthread_mutex_t		stats_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ocsp_presign_stats stats;

/* 1 if the store's revocation of serial is what row states. */
static int
still_true(struct ca *ca, const struct store_ocsppre *row)
{
	struct store_revocation rv;
	enum eseal_rc rc;

	rc = store_revocation_get(ca->store, row->serial, &rv);
	if (rc == ESEAL_ENOTFOUND)
		return row->status == 0;
	return rc == ESEAL_OK && row->status == 1 &&
	    rv.reason == row->reason && rv.revoked_at == row->revoked_at &&
	    rv.invalidity_date == row->invalidity_date;
}

/*
 * 1 if the DER OCSPResponse of row answers exactly the CertID cid, with
 * the status row states (the bytes are checked, not only the row).
 */
static int
answers(const struct store_ocsppre *row, OCSP_CERTID *cid)
{
	const unsigned char *p = row->der;
	ASN1_GENERALIZEDTIME *rev = NULL;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs = NULL;
	int ok = 0, st, reason = OCSP_REVOKED_STATUS_NOSTATUS;

	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)row->der_len)) == NULL ||
	    p != row->der + row->der_len || OCSP_response_status(resp) !=
	    OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL ||
	    OCSP_resp_count(bs) != 1 || OCSP_resp_find(bs, cid, -1) != 0)
		goto out;
	st = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), &reason, &rev,
	    NULL, NULL);
	if (row->status == 0)
		ok = st == V_OCSP_CERTSTATUS_GOOD;
	else
		ok = st == V_OCSP_CERTSTATUS_REVOKED && rev != NULL &&
		    (reason == OCSP_REVOKED_STATUS_NOSTATUS ? 0 : reason) ==
		    row->reason && ASN1_TIME_cmp_time_t(rev,
		    (time_t)row->revoked_at) == 0;
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return ok;
}

int
ocsp_presigned_get(struct ca *ca, const struct ocsp_req *r, int64_t now,
    unsigned char **der, size_t *len, int64_t *next_update)
{
	struct store_ocsppre row;
	int ok;

	if (r->n != 1 || r->ids[0].md != EVP_sha1() ||
	    r->ids[0].serial[0] == '\0' ||
	    store_ocsppre_get(ca->store, r->ids[0].serial, OCSP_PRESIGN_HASH,
	    &row) != ESEAL_OK)
		return 0;
	ok = row.this_update <= now && now < row.next_update &&
	    still_true(ca, &row) && answers(&row, r->ids[0].cid) && (*der = OPENSSL_malloc(row.der_len)) != NULL;
	if (ok) {
		memcpy(*der, row.der, row.der_len);
		*len = row.der_len;
		*next_update = row.next_update;
	}
	store_ocsppre_clear(&row);
	ERR_clear_error();
	return ok;
}

/* The nonce-less request for one certificate of is, by SHA-1 CertID. */
static enum eseal_rc
request_for(const struct issuer *is, const char *serial, struct ocsp_req *r)
{
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	enum eseal_rc rc = ESEAL_OK;

	memset(r, 0, sizeof(*r));
	if (BN_hex2bn(&bn, serial) <= 0 ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (r->req = OCSP_REQUEST_new()) == NULL ||
	    (r->ids[0].cid = OCSP_cert_id_new(EVP_sha1(),
	    X509_get_subject_name(is->cert), X509_get0_pubkey_bitstr(is->cert),
	    sn)) == NULL)
		rc = eseal_err(ESEAL_ENOMEM, "ocsp: presign: cannot make the "
		    "CertID of %s", serial);
	r->n = 1;
	r->ids[0].md = EVP_sha1();
	snprintf(r->ids[0].serial, sizeof(r->ids[0].serial), "%s", serial);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return rc;
}

/* Frees what request_for made (the CertID is ours here, not borrowed). */
static void
request_clear(struct ocsp_req *r)
{
	OCSP_CERTID_free(r->ids[0].cid);
	OCSP_REQUEST_free(r->req);
	memset(r, 0, sizeof(*r));
}

/* Logs a failure to presign, at most every OCSP_PRESIGN_LOG_SECS. */
static void
say_failed(const char *serial, int64_t now)
{
	static int64_t last;
	static int said;
	int say;

	pthread_mutex_lock(&stats_mu);
	stats.failed++;
	say = !said || now < last || now - last >= OCSP_PRESIGN_LOG_SECS;
	if (say) {
		said = 1;
		last = now;
	}
	pthread_mutex_unlock(&stats_mu);
	if (say)
		log_warn("msg=\"OCSP answer not presigned\" serial=%s "
		    "error=\"%s\"", serial, eseal_errmsg());
}

/* When to sign again an answer valid from now to nu. */
static int64_t
refresh_at(const struct ocsp_presign_params *p, int64_t validity, int64_t now,
    int64_t nu)
{
	int64_t m = p->margin_secs > 0 ? p->margin_secs : validity / 2;

	if (m >= nu - now)	/* cut short by a delegated signer's expiry */
		m = (nu - now) / 2;
	return nu - m;
}

/*
 * Signs the answer for t at now into *row.  0: signed; 1: nothing to sign
 * (unknown to the issuer); an enum eseal_rc error otherwise.
 */
static int
sign_one(struct ca *ca, const struct ocsp_presign_params *p,
    const struct store_ocsppre_due *t, int64_t now, struct store_ocsppre *row)
{
	struct issuer *is = NULL;
	struct ocsp_req r;
	struct ocsp_status st;
	int64_t validity = p->validity_secs ? p->validity_secs :
	    OCSP_VALIDITY_DEFAULT, nu;
	enum eseal_rc rc;

	memset(row, 0, sizeof(*row));
	if ((rc = issuer_by_id(ca, t->issuer_id, &is)) != ESEAL_OK)
		return rc;
	if ((rc = request_for(is, t->serial, &r)) == ESEAL_OK)
		rc = ocsp_sign_answer(ca, is, &r, p->delegated, now, validity,
		    &row->der, &row->der_len, &st, &nu);
	request_clear(&r);
	issuer_free(is);
	if (rc != ESEAL_OK)
		return rc;
	if (st.status != V_OCSP_CERTSTATUS_GOOD &&
	    st.status != V_OCSP_CERTSTATUS_REVOKED) {
		OPENSSL_free(row->der);
		row->der = NULL;
		return 1;
	}
	snprintf(row->serial, sizeof(row->serial), "%s", t->serial);
	snprintf(row->hash, sizeof(row->hash), "%s", OCSP_PRESIGN_HASH);
	row->issuer_id = t->issuer_id;
	/* As stored in revocations: the responder's NOSTATUS is reason 0. */
	row->status = st.status == V_OCSP_CERTSTATUS_REVOKED;
	row->reason = row->status && st.reason != OCSP_REVOKED_STATUS_NOSTATUS ?
	    st.reason : 0;
	row->revoked_at = row->status ? st.revoked_at : 0;
	row->invalidity_date = row->status ? st.invalidity_date : 0;
	row->this_update = now;
	row->next_update = nu;
	row->refresh_at = refresh_at(p, validity, now, nu);
	return 0;
}

/* Appends the certificates of add (freed) to *v, at most max in all. */
static void
take(struct store_ocsppre_due *v, size_t *n, size_t max,
    struct store_ocsppre_due *add, size_t nadd)
{
	for (size_t i = 0; i < nadd && *n < max; i++)
		v[(*n)++] = add[i];
	free(add);
}

/*
 * The walk reached the last certificate: its counts go to the stats and
 * it goes on from OCSP_PRESIGN_LAG_SECS before where it stopped (or, every
 * OCSP_PRESIGN_SWEEP_SECS, from the first certificate).
 */
static void
walk_end(struct ocsp_presign_state *s, int64_t now)
{
	if (s->sweeping) {
		pthread_mutex_lock(&stats_mu);
		stats.last_sweep = now;
		stats.covered = s->swept_covered;
		stats.missing = s->swept_missing;
		pthread_mutex_unlock(&stats_mu);
		s->sweeping = 0;
	}
	if (now - s->sweep_started >= OCSP_PRESIGN_SWEEP_SECS ||
	    now < s->sweep_started) {
		memset(&s->cur, 0, sizeof(s->cur));
		s->sweep_started = now;
		s->sweeping = 1;
		s->swept_covered = s->swept_missing = 0;
		return;
	}
	s->cur.updated = s->cur.updated > OCSP_PRESIGN_LAG_SECS ?
	    s->cur.updated - OCSP_PRESIGN_LAG_SECS : 0;
	s->cur.serial[0] = '\0';
}

/*
 * The walk's share of a batch: certificates without an answer, into v
 * after *n, at most max.  *end is 1 when it reached the last certificate
 * (the batch then calls walk_end once it has signed them).
 */
static enum eseal_rc
walk(struct ca *ca, struct ocsp_presign_state *s, int64_t now,
    struct store_ocsppre_due *v, size_t *n, size_t max, int *end)
{
	struct store_ocsppre_due *add;
	size_t nadd, covered;
	enum eseal_rc rc;

	*end = 0;
	if (s->sweep_started == 0) {
		s->sweep_started = now;
		s->sweeping = 1;
	}
	for (int i = 0; i < OCSP_PRESIGN_WALK_STEPS && *n < max && !*end;
	    i++) {
		if ((rc = store_ocsppre_unseen(ca->store, OCSP_PRESIGN_HASH,
		    now, &s->cur, OCSP_PRESIGN_SCAN_ROWS, max - *n, &add,
		    &nadd, &covered, end)) != ESEAL_OK)
			return rc;
		if (s->sweeping) {
			s->swept_covered += covered;
			s->swept_missing += nadd;
		}
		take(v, n, max, add, nadd);
	}
	return ESEAL_OK;
}

/*
 * Signs the answers for the n certificates of v into rows; counts in rep,
 * and in *from_walk those signed of v[first_walk..] (found by the walk).
 */
static size_t
sign_all(struct ca *ca, const struct ocsp_presign_params *p,
    const struct store_ocsppre_due *v, size_t n, size_t first_walk,
    int64_t now, struct store_ocsppre *rows, struct ocsp_presign_report *rep,
    size_t *from_walk)
{
	size_t k = 0;
	int rc;

	*from_walk = 0;
	for (size_t i = 0; i < n && !rep->hsm_down; i++) {
		if (!v[i].issued || v[i].not_after <= now) {
			if (store_ocsppre_delete(ca->store, v[i].serial) ==
			    ESEAL_OK)
				rep->dropped++;
			continue;
		}
		rc = sign_one(ca, p, &v[i], now, &rows[k]);
		if (rc == 0) {
			k++;
			*from_walk += i >= first_walk;
		}
		else if (rc == ESEAL_EHSM)
			rep->hsm_down = 1;
		else if (rc != 1) {
			rep->failed++;
			say_failed(v[i].serial, now);
		}
	}
	return k;
}

enum eseal_rc
ocsp_presign_batch(struct ca *ca, const struct ocsp_presign_params *p,
    struct ocsp_presign_state *s, int64_t now, struct ocsp_presign_report *rep)
{
	struct store_ocsppre_due *v, *due = NULL;
	struct ocsp_presign_state before = *s;
	struct store_ocsppre *rows;
	size_t max = p->batch ? p->batch : CONF_PRESIGN_BATCH, n = 0, ndue;
	size_t k = 0, kept = 0, first_walk = 0, from_walk = 0;
	enum eseal_rc rc;
	int end = 0;

	memset(rep, 0, sizeof(*rep));
	if ((v = calloc(max, sizeof(*v))) == NULL ||
	    (rows = calloc(max, sizeof(*rows))) == NULL) {
		free(v);
		return eseal_err(ESEAL_ENOMEM, "ocsp: presign: out of memory");
	}
	/* A quarter of the batch is kept for certificates without one. */
	if ((rc = store_ocsppre_due(ca->store, OCSP_PRESIGN_HASH, now,
	    max - max / 4, &due, &ndue)) == ESEAL_OK) {
		take(v, &n, max, due, ndue);
		first_walk = n;
		rc = walk(ca, s, now, v, &n, max, &end);
	}
	if (rc == ESEAL_OK) {
		k = sign_all(ca, p, v, n, first_walk, now, rows, rep,
		    &from_walk);
		rc = store_ocsppre_put_batch(ca->store, rows, k, &kept);
	}
	/* Not signed for: the walk finds them again next time. */
	if (rc != ESEAL_OK || rep->hsm_down)
		*s = before;
	else {
		/* Found without an answer, and now with one. */
		if (s->sweeping && from_walk <= s->swept_missing) {
			s->swept_missing -= from_walk;
			s->swept_covered += from_walk;
		}
		if (end)
			walk_end(s, now);
	}
	if (rc == ESEAL_OK) {
		rep->signed_n = kept;
		rep->raced = k - kept;
		pthread_mutex_lock(&stats_mu);
		stats.signed_n += kept;
		pthread_mutex_unlock(&stats_mu);
	}
	for (size_t i = 0; i < k; i++)
		store_ocsppre_clear(&rows[i]);
	free(rows);
	free(v);
	return rc;
}

void
ocsp_presign_stats(struct ocsp_presign_stats *out)
{
	pthread_mutex_lock(&stats_mu);
	*out = stats;
	pthread_mutex_unlock(&stats_mu);
}

/* --- eseald's presigner thread --------------------------------------- */

struct ocsp_presigner {
	struct ca			*ca;
	pthread_t			 thread;
	pthread_mutex_t			 mu;
	pthread_cond_t			 cv;
	int				 stop;
	struct ocsp_presign_state	 s;
};

/* [ocsp] as it is now (a reload may change it); 0 if presign is off. */
static int
read_conf(struct ocsp_presigner *ps, struct ocsp_presign_params *p, int *rate)
{
	const struct conf *c;
	int on;

	ca_rdlock(ps->ca);
	c = ps->ca->conf;
	on = c->ocsp_presign;
	p->validity_secs = c->ocsp_validity_secs;
	p->margin_secs = c->ocsp_presign_margin;
	p->batch = (size_t)c->ocsp_presign_batch;
	p->delegated = c->ocsp_delegated;
	*rate = c->ocsp_presign_rate > 0 ? c->ocsp_presign_rate :
	    CONF_PRESIGN_RATE;
	ca_unlock(ps->ca);
	return on;
}

/* Waits ms milliseconds, or until stopped.  Called with ps->mu held. */
static void
pause_ms(struct ocsp_presigner *ps, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!ps->stop && pthread_cond_timedwait(&ps->cv, &ps->mu, &until)
	    != ETIMEDOUT)
		;
}

/* One turn: a batch if presign is on; how long to wait after it, in ms. */
static long
turn(struct ocsp_presigner *ps)
{
	struct ocsp_presign_params p;
	struct ocsp_presign_report rep;
	int64_t now = (int64_t)time(NULL);
	int rate;

	memset(&p, 0, sizeof(p));
	if (!read_conf(ps, &p, &rate))
		return OCSP_PRESIGN_TICK_SECS * 1000L;
	if (ocsp_presign_batch(ps->ca, &p, &ps->s, now, &rep) != ESEAL_OK) {
		say_failed("-", now);
		return OCSP_PRESIGN_RETRY_SECS * 1000L;
	}
	if (rep.signed_n > 0)
		log_debug("msg=\"OCSP answers presigned\" signed=%zu "
		    "dropped=%zu raced=%zu failed=%zu", rep.signed_n,
		    rep.dropped, rep.raced, rep.failed);
	if (rep.hsm_down)
		return OCSP_PRESIGN_RETRY_SECS * 1000L;
	if (rep.signed_n + rep.raced + rep.failed + rep.dropped == 0)
		return OCSP_PRESIGN_TICK_SECS * 1000L;
	/* [ocsp] presign_rate: the signatures of this batch, spread out. */
	return (long)((rep.signed_n + rep.raced + rep.failed) * 1000 /
	    (size_t)rate);
}

static void *
presign_main(void *arg)
{
	struct ocsp_presigner *ps = arg;
	long ms;

	pthread_mutex_lock(&ps->mu);
	while (!ps->stop) {
		pthread_mutex_unlock(&ps->mu);
		ms = turn(ps);
		pthread_mutex_lock(&ps->mu);
		if (ms > 0)
			pause_ms(ps, ms);
	}
	pthread_mutex_unlock(&ps->mu);
	return NULL;
}

enum eseal_rc
ocsp_presign_start(struct ca *ca, struct ocsp_presigner **out)
{
	struct ocsp_presigner *ps;

	*out = NULL;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
	ps->ca = ca;
	pthread_mutex_init(&ps->mu, NULL);
	pthread_cond_init(&ps->cv, NULL);
	if (pthread_create(&ps->thread, NULL, presign_main, ps) != 0) {
		pthread_cond_destroy(&ps->cv);
		pthread_mutex_destroy(&ps->mu);
		free(ps);
		return eseal_err(ESEAL_EINTERNAL, "ocsp: cannot start the "
		    "presigner's thread");
	}
	*out = ps;
	return ESEAL_OK;
}

void
ocsp_presign_stop(struct ocsp_presigner *ps)
{
	if (ps == NULL)
		return;
	pthread_mutex_lock(&ps->mu);
	ps->stop = 1;
	pthread_cond_signal(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	pthread_join(ps->thread, NULL);
	pthread_cond_destroy(&ps->cv);
	pthread_mutex_destroy(&ps->mu);
	free(ps);
}
