/*
 * test_ocsp_presign.c: presigned OCSP answers ([ocsp] presign) as a
 * relying party sees them while the HSM is down (the token taken away):
 * every issued certificate gets an answer that verifies against the CA
 * certificate and says good, or revoked with time, reason and invalidity
 * date; without presign the same question is tryLater.  A revocation
 * invalidates the answer in its own transaction, and a row that still
 * says good for a revoked certificate (written behind the CA's back, or
 * signed while the revocation was committed) is never served or kept.
 * Answers are signed again ahead of nextUpdate, dropped once the
 * certificate expires, signed in batches of the size asked for, and the
 * walk over the certificates loses nothing when the HSM fails mid-way.
 * A request with a nonce gets a fresh signature while the HSM is up and
 * the nonce-less presigned answer when it is down; another issuer's
 * CertID with the same serial is never answered with it.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "issue.h"
#include "issuer.h"
#include "ocsp.h"
#include "ocsp_cache.h"
#include "ocsp_presign.h"
#include "revoke.h"
#include "store_ocsppre.h"
#include "store_revoke.h"
#include "testutil.h"

#define VALIDITY	3600

static const struct ocsp_presign_params params = { VALIDITY, 0, 0, 0 };

static X509 *
issue(struct tu_ca *f, int days, char serial[STORE_SERIAL_HEX_MAX])
{
	struct issue_request req;
	struct issue_result res;
	const unsigned char *p;
	X509 *x;

	memset(&req, 0, sizeof(req));
	req.profile = f->profile;
	req.org = &f->org;
	req.csr = f->csr;
	req.validity_days = days;
	req.actor = "test";
	ck_assert_msg(issue_cert(&f->ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	memcpy(serial, res.serial, STORE_SERIAL_HEX_MAX);
	p = res.der;
	x = d2i_X509(NULL, &p, (long)res.der_len);
	ck_assert_ptr_nonnull(x);
	issue_result_clear(&res);
	return x;
}

static void
revoke(struct tu_ca *f, const char *serial, enum revoke_reason reason,
    int64_t inv, int64_t now)
{
	struct revoke_request rr;

	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = reason;
	rr.invalidity_date = inv;
	rr.actor = "test";
	ck_assert_msg(revoke_cert(&f->ca, &rr, now, NULL) == ESEAL_OK, "%s",
	    eseal_errmsg());
}

/* The DER request for x: one CertID with md, a nonce if asked. */
static unsigned char *
request(struct tu_ca *f, X509 *x, const EVP_MD *md, int nonce, size_t *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	int n;

	ck_assert_ptr_nonnull(OCSP_request_add0_id(req, OCSP_cert_to_id(md, x,
	    f->issuer->cert)));
	if (nonce)
		ck_assert_int_eq(OCSP_request_add1_nonce(req, NULL, 16), 1);
	ck_assert_int_gt(n = i2d_OCSP_REQUEST(req, &der), 0);
	*len = (size_t)n;
	OCSP_REQUEST_free(req);
	return der;
}

/* The responder's answer at now, its OCSPResponseStatus checked. */
static OCSP_RESPONSE *
ask(struct tu_ca *f, const unsigned char *der, size_t len, int64_t now,
    int presign, int want, int64_t *nu)
{
	struct ocsp_options o;
	unsigned char *resp = NULL;
	const unsigned char *p;
	OCSP_RESPONSE *r;
	size_t rlen = 0;
	int st = -1;

	memset(&o, 0, sizeof(o));
	o.validity_secs = VALIDITY;
	o.presign = presign;
	ck_assert_int_eq(ocsp_respond_opts(&f->ca, der, len, now, &o, &resp,
	    &rlen, &st, nu), ESEAL_OK);
	ck_assert_msg(st == want, "status %d, want %d: %s", st, want,
	    eseal_errmsg());
	p = resp;
	ck_assert_ptr_nonnull(r = d2i_OCSP_RESPONSE(NULL, &p, (long)rlen));
	ck_assert_ptr_eq(p, resp + rlen);
	OPENSSL_free(resp);
	return r;
}

/*
 * A successful answer about x, verified against the CA certificate as a
 * relying party does; its status, reason and thisUpdate.
 */
static int
status_of(struct tu_ca *f, OCSP_RESPONSE *r, X509 *x, int *reason,
    time_t *this_update)
{
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509_STORE *st = X509_STORE_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, x, f->issuer->cert);
	ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
	struct tm tm;
	time_t next;
	int status = -1;

	ck_assert_ptr_nonnull(bs);
	sk_X509_push(certs, f->issuer->cert);
	X509_STORE_add_cert(st, f->issuer->cert);
	ck_assert_int_eq(OCSP_basic_verify(bs, certs, st, 0), 1);
	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &status, reason, &rev,
	    &tu, &nu), 1);
	ck_assert_int_eq(ASN1_TIME_to_tm(nu, &tm), 1);
	next = timegm(&tm);
	ck_assert_int_eq(ASN1_TIME_to_tm(tu, &tm), 1);
	ck_assert_int_eq(next - timegm(&tm), VALIDITY);
	if (this_update != NULL)
		*this_update = timegm(&tm);
	OCSP_CERTID_free(id);
	sk_X509_free(certs);
	X509_STORE_free(st);
	OCSP_BASICRESP_free(bs);
	return status;
}

/* The token goes away (as when the HSM is unplugged) and comes back. */
static struct p11_token *
hsm_away(struct tu_ca *f)
{
	struct p11_token *t = f->ca.token;

	f->ca.token = NULL;
	return t;
}

static void
batch(struct tu_ca *f, const struct ocsp_presign_params *p,
    struct ocsp_presign_state *s, int64_t now, struct ocsp_presign_report *r)
{
	ck_assert_msg(ocsp_presign_batch(&f->ca, p, s, now, r) == ESEAL_OK,
	    "%s", eseal_errmsg());
}

/* Good and revoked answered while the HSM is away; not without presign. */
START_TEST(test_served_while_hsm_down)
{
	struct tu_ca f;
	struct ocsp_presign_state s;
	struct ocsp_presign_report rep;
	struct p11_token *tok;
	OCSP_RESPONSE *r;
	unsigned char *der[3];
	char serial[3][STORE_SERIAL_HEX_MAX];
	int64_t t = time(NULL), nu = 0;
	size_t len[3];
	X509 *x[3];
	int reason;

	tu_ca_setup(&f, "presign", "ec-p256", 1);
	ocsp_cache_clear();
	for (int i = 0; i < 3; i++) {
		x[i] = issue(&f, 365, serial[i]);
		der[i] = request(&f, x[i], NULL, 0, &len[i]);
	}
	revoke(&f, serial[1], REVOKE_KEY_COMPROMISE, t - 86400, t);
	memset(&s, 0, sizeof(s));
	batch(&f, &params, &s, t + 1, &rep);
	ck_assert_uint_eq(rep.signed_n, 3);
	ck_assert_int_eq(rep.hsm_down, 0);

	tok = hsm_away(&f);
	/* Without presign: what the responder says without the HSM. */
	OCSP_RESPONSE_free(ask(&f, der[0], len[0], t + 2, 0,
	    OCSP_RESPONSE_STATUS_TRYLATER, NULL));
	r = ask(&f, der[0], len[0], t + 2, 1, OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    &nu);
	ck_assert_int_eq(status_of(&f, r, x[0], &reason, NULL),
	    V_OCSP_CERTSTATUS_GOOD);
	ck_assert_int_eq(nu, t + 1 + VALIDITY);
	OCSP_RESPONSE_free(r);
	r = ask(&f, der[1], len[1], t + 2, 1, OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    NULL);
	ck_assert_int_eq(status_of(&f, r, x[1], &reason, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	OCSP_RESPONSE_free(r);
	/* Until nextUpdate, however old, and not a second after. */
	OCSP_RESPONSE_free(ask(&f, der[2], len[2], t + VALIDITY, 1,
	    OCSP_RESPONSE_STATUS_SUCCESSFUL, NULL));
	OCSP_RESPONSE_free(ask(&f, der[2], len[2], t + 1 + VALIDITY, 1,
	    OCSP_RESPONSE_STATUS_TRYLATER, NULL));
	f.ca.token = tok;
	for (int i = 0; i < 3; i++) {
		OPENSSL_free(der[i]);
		X509_free(x[i]);
	}
	tu_ca_teardown(&f);
}
END_TEST

/* Nonce: fresh while the HSM is up, presigned (no nonce) when it is down. */
START_TEST(test_nonce)
{
	struct tu_ca f;
	struct ocsp_presign_state s;
	struct ocsp_presign_report rep;
	struct p11_token *tok;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	OCSP_REQUEST *req;
	const unsigned char *p;
	unsigned char *der, *d256;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t t = time(NULL);
	size_t len, l256;
	time_t tu;
	X509 *x;

	tu_ca_setup(&f, "presign", "ec-p256", 1);
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	memset(&s, 0, sizeof(s));
	batch(&f, &params, &s, t, &rep);
	ck_assert_uint_eq(rep.signed_n, 1);
	der = request(&f, x, NULL, 1, &len);
	p = der;
	ck_assert_ptr_nonnull(req = d2i_OCSP_REQUEST(NULL, &p, (long)len));
	/* Up: signed now, the nonce echoed. */
	r = ask(&f, der, len, t + 100, 1, OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    NULL);
	ck_assert_int_eq(status_of(&f, r, x, NULL, &tu),
	    V_OCSP_CERTSTATUS_GOOD);
	ck_assert_int_eq(tu, t + 100);
	bs = OCSP_response_get1_basic(r);
	ck_assert_int_eq(OCSP_check_nonce(req, bs), 1);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	/* Down: the presigned answer, no nonce in it (-1: asked, none). */
	tok = hsm_away(&f);
	r = ask(&f, der, len, t + 200, 1, OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    NULL);
	ck_assert_int_eq(status_of(&f, r, x, NULL, &tu),
	    V_OCSP_CERTSTATUS_GOOD);
	ck_assert_int_eq(tu, t);
	bs = OCSP_response_get1_basic(r);
	ck_assert_int_eq(OCSP_check_nonce(req, bs), -1);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	/* Only SHA-1 CertIDs are presigned for: SHA-256 waits for the HSM. */
	d256 = request(&f, x, EVP_sha256(), 0, &l256);
	OCSP_RESPONSE_free(ask(&f, d256, l256, t + 200, 1,
	    OCSP_RESPONSE_STATUS_TRYLATER, NULL));
	f.ca.token = tok;
	OPENSSL_free(d256);
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);
	X509_free(x);
	tu_ca_teardown(&f);
}
END_TEST

/* A revocation invalidates at once; signed again, it says revoked. */
START_TEST(test_revocation_invalidates)
{
	struct tu_ca f;
	struct ocsp_presign_state s;
	struct ocsp_presign_report rep;
	struct store_ocsppre row;
	struct p11_token *tok;
	OCSP_RESPONSE *r;
	unsigned char *der;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t t = time(NULL), due = 0, earliest = -1;
	size_t len;
	int reason;
	X509 *x;

	tu_ca_setup(&f, "presign", "ec-p256", 1);
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	der = request(&f, x, NULL, 0, &len);
	memset(&s, 0, sizeof(s));
	batch(&f, &params, &s, t, &rep);
	ck_assert_uint_eq(rep.signed_n, 1);
	ck_assert_int_eq(store_ocsppre_get(f.ca.store, serial, "sha1", &row),
	    ESEAL_OK);
	ck_assert_int_eq(row.status, 0);
	ck_assert_int_eq(row.refresh_at, t + VALIDITY / 2);
	store_ocsppre_clear(&row);

	revoke(&f, serial, REVOKE_CESSATION_OF_OPERATION, 0, t + 10);
	ck_assert_int_eq(store_ocsppre_get(f.ca.store, serial, "sha1", &row),
	    ESEAL_ENOTFOUND);
	ck_assert_int_eq(store_ocsppre_backlog(f.ca.store, t + 11, &due,
	    &earliest), ESEAL_OK);
	ck_assert_int_eq(due, 1);
	ck_assert_int_eq(earliest, 0);
	tok = hsm_away(&f);
	OCSP_RESPONSE_free(ask(&f, der, len, t + 11, 1,
	    OCSP_RESPONSE_STATUS_TRYLATER, NULL));
	/* The HSM away: the batch stops, nothing is lost. */
	batch(&f, &params, &s, t + 12, &rep);
	ck_assert_int_eq(rep.hsm_down, 1);
	ck_assert_uint_eq(rep.signed_n, 0);
	f.ca.token = tok;
	batch(&f, &params, &s, t + 13, &rep);
	ck_assert_uint_eq(rep.signed_n, 1);
	tok = hsm_away(&f);
	r = ask(&f, der, len, t + 14, 1, OCSP_RESPONSE_STATUS_SUCCESSFUL, NULL);
	ck_assert_int_eq(status_of(&f, r, x, &reason, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_CESSATIONOFOPERATION);
	OCSP_RESPONSE_free(r);
	f.ca.token = tok;
	/* Raised to keyCompromise: invalidated again, signed again. */
	revoke(&f, serial, REVOKE_KEY_COMPROMISE, t - 100, t + 15);
	batch(&f, &params, &s, t + 16, &rep);
	ck_assert_uint_eq(rep.signed_n, 1);
	tok = hsm_away(&f);
	r = ask(&f, der, len, t + 17, 1, OCSP_RESPONSE_STATUS_SUCCESSFUL, NULL);
	ck_assert_int_eq(status_of(&f, r, x, &reason, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	OCSP_RESPONSE_free(r);
	f.ca.token = tok;
	OPENSSL_free(der);
	X509_free(x);
	tu_ca_teardown(&f);
}
END_TEST

/*
 * A revocation recorded without invalidating the answer (another program,
 * or committed while the answer was being signed): the "good" row is
 * never served, and a "good" answer is not recorded over it.
 */
START_TEST(test_good_never_served_for_revoked)
{
	struct tu_ca f;
	struct ocsp_presign_state s;
	struct ocsp_presign_report rep;
	struct store_revocation rv;
	struct store_ocsppre row;
	struct p11_token *tok;
	unsigned char *der;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t t = time(NULL);
	size_t len, kept = 9;
	X509 *x;

	tu_ca_setup(&f, "presign", "ec-p256", 1);
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	der = request(&f, x, NULL, 0, &len);
	memset(&s, 0, sizeof(s));
	batch(&f, &params, &s, t, &rep);
	ck_assert_uint_eq(rep.signed_n, 1);
	ck_assert_int_eq(store_ocsppre_get(f.ca.store, serial, "sha1", &row),
	    ESEAL_OK);
	memset(&rv, 0, sizeof(rv));
	snprintf(rv.serial, sizeof(rv.serial), "%s", serial);
	rv.reason = REVOKE_KEY_COMPROMISE;
	rv.revoked_at = t + 5;
	snprintf(rv.requested_by, sizeof(rv.requested_by), "behind-the-back");
	ck_assert_int_eq(store_revocation_insert(f.ca.store, &rv), ESEAL_OK);
	tok = hsm_away(&f);
	OCSP_RESPONSE_free(ask(&f, der, len, t + 6, 1,
	    OCSP_RESPONSE_STATUS_TRYLATER, NULL));
	f.ca.token = tok;
	/* The same good answer, recorded again: refused. */
	ck_assert_int_eq(store_ocsppre_put_batch(f.ca.store, &row, 1, &kept),
	    ESEAL_OK);
	ck_assert_uint_eq(kept, 0);
	/* Stated as revoked, but with another reason: refused too. */
	row.status = 1;
	row.reason = REVOKE_SUPERSEDED;
	row.revoked_at = t + 5;
	ck_assert_int_eq(store_ocsppre_put_batch(f.ca.store, &row, 1, &kept),
	    ESEAL_OK);
	ck_assert_uint_eq(kept, 0);
	row.reason = REVOKE_KEY_COMPROMISE;
	ck_assert_int_eq(store_ocsppre_put_batch(f.ca.store, &row, 1, &kept),
	    ESEAL_OK);
	ck_assert_uint_eq(kept, 1);
	store_ocsppre_clear(&row);
	/* That row states revoked, but its bytes say good: never served. */
	tok = hsm_away(&f);
	ck_assert_int_eq(store_ocsppre_get(f.ca.store, serial, "sha1", &row),
	    ESEAL_OK);
	store_ocsppre_clear(&row);
	OCSP_RESPONSE_free(ask(&f, der, len, t + 7, 1,
	    OCSP_RESPONSE_STATUS_TRYLATER, NULL));
	f.ca.token = tok;
	OPENSSL_free(der);
	X509_free(x);
	tu_ca_teardown(&f);
}
END_TEST

/* Signed again ahead of nextUpdate; dropped once the certificate expires. */
START_TEST(test_refresh_and_expiry)
{
	struct tu_ca f;
	struct ocsp_presign_params p = params;
	struct ocsp_presign_state s;
	struct ocsp_presign_report rep;
	struct store_ocsppre row;
	struct p11_token *tok;
	OCSP_RESPONSE *r;
	unsigned char *der;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t t = time(NULL);
	size_t len;
	time_t tu;
	X509 *x;

	tu_ca_setup(&f, "presign", "ec-p256", 1);
	ocsp_cache_clear();
	x = issue(&f, 1, serial);
	der = request(&f, x, NULL, 0, &len);
	p.margin_secs = 600;
	memset(&s, 0, sizeof(s));
	batch(&f, &p, &s, t, &rep);
	ck_assert_uint_eq(rep.signed_n, 1);
	batch(&f, &p, &s, t + VALIDITY - 601, &rep);
	ck_assert_uint_eq(rep.signed_n, 0);	/* not due yet */
	batch(&f, &p, &s, t + VALIDITY - 600, &rep);
	ck_assert_uint_eq(rep.signed_n, 1);
	ck_assert_int_eq(store_ocsppre_get(f.ca.store, serial, "sha1", &row),
	    ESEAL_OK);
	ck_assert_int_eq(row.this_update, t + VALIDITY - 600);
	ck_assert_int_eq(row.next_update, t + 2 * VALIDITY - 600);
	ck_assert_int_eq(row.refresh_at, t + 2 * VALIDITY - 1200);
	store_ocsppre_clear(&row);
	/* Past the first answer's nextUpdate: the second one serves. */
	tok = hsm_away(&f);
	r = ask(&f, der, len, t + VALIDITY + 1, 1,
	    OCSP_RESPONSE_STATUS_SUCCESSFUL, NULL);
	ck_assert_int_eq(status_of(&f, r, x, NULL, &tu),
	    V_OCSP_CERTSTATUS_GOOD);
	ck_assert_int_eq(tu, t + VALIDITY - 600);
	OCSP_RESPONSE_free(r);
	f.ca.token = tok;
	/* Two days on, the certificate has expired: its answer goes. */
	batch(&f, &p, &s, t + 2 * 86400, &rep);
	ck_assert_uint_eq(rep.signed_n, 0);
	ck_assert_uint_eq(rep.dropped, 1);
	ck_assert_int_eq(store_ocsppre_get(f.ca.store, serial, "sha1", &row),
	    ESEAL_ENOTFOUND);
	OPENSSL_free(der);
	X509_free(x);
	tu_ca_teardown(&f);
}
END_TEST

/* Batches of the size asked for; the HSM failing mid-walk loses nothing. */
START_TEST(test_batches)
{
	struct tu_ca f;
	struct ocsp_presign_params p = params;
	struct ocsp_presign_state s;
	struct ocsp_presign_report rep;
	struct ocsp_presign_stats st;
	struct p11_token *tok;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t t = time(NULL);
	size_t total = 0;
	X509 *x;

	tu_ca_setup(&f, "presign", "ec-p256", 1);
	for (int i = 0; i < 5; i++) {
		x = issue(&f, 365, serial);
		X509_free(x);
	}
	p.batch = 2;
	memset(&s, 0, sizeof(s));
	tok = hsm_away(&f);
	batch(&f, &p, &s, t, &rep);
	ck_assert_int_eq(rep.hsm_down, 1);
	ck_assert_uint_eq(rep.signed_n, 0);
	f.ca.token = tok;
	for (int i = 0; i < 3; i++) {
		batch(&f, &p, &s, t + 1, &rep);
		ck_assert_uint_eq(rep.signed_n, i < 2 ? 2 : 1);
		total += rep.signed_n;
	}
	ck_assert_uint_eq(total, 5);
	/* The first walk found them all without one and signed them. */
	ocsp_presign_stats(&st);
	ck_assert_uint_eq(st.covered, 5);
	ck_assert_uint_eq(st.missing, 0);
	ck_assert_int_eq(st.last_sweep, t + 1);
	batch(&f, &p, &s, t + 2, &rep);
	ck_assert_uint_eq(rep.signed_n, 0);
	/* A walk from the first certificate counts them all covered. */
	p.batch = 100;
	batch(&f, &p, &s, t + 2 + OCSP_PRESIGN_SWEEP_SECS, &rep);
	batch(&f, &p, &s, t + 3 + OCSP_PRESIGN_SWEEP_SECS, &rep);
	ocsp_presign_stats(&st);
	ck_assert_uint_eq(st.covered, 5);
	ck_assert_uint_eq(st.missing, 0);
	ck_assert_int_eq(st.last_sweep, t + 3 + OCSP_PRESIGN_SWEEP_SECS);
	tu_ca_teardown(&f);
}
END_TEST

/* Another issuer's CertID with our serial: not answered with ours. */
START_TEST(test_other_issuer_certid)
{
	struct tu_ca f;
	struct ocsp_presign_state s;
	struct ocsp_presign_report rep;
	struct issuer *other;
	struct p11_token *tok;
	OCSP_REQUEST *req;
	unsigned char *der = NULL;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t t = time(NULL);
	int n;
	X509 *x;

	tu_ca_setup(&f, "presign", "ec-p256", 1);
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	memset(&s, 0, sizeof(s));
	batch(&f, &params, &s, t, &rep);
	ck_assert_uint_eq(rep.signed_n, 1);
	/* A CA we do not serve: its own key, same name. */
	other = tu_ca_issuer(&f, "other", "ec-p256", "Test CA", 3650, 1, t);
	req = OCSP_REQUEST_new();
	ck_assert_ptr_nonnull(OCSP_request_add0_id(req, OCSP_cert_to_id(NULL,
	    x, other->cert)));
	ck_assert_int_gt(n = i2d_OCSP_REQUEST(req, &der), 0);
	OCSP_REQUEST_free(req);
	tok = hsm_away(&f);
	/* other is ours too now: its CertID names it, and the HSM is away. */
	OCSP_RESPONSE_free(ask(&f, der, (size_t)n, t + 1, 1,
	    OCSP_RESPONSE_STATUS_TRYLATER, NULL));
	f.ca.token = tok;
	issuer_free(other);
	OPENSSL_free(der);
	X509_free(x);
	tu_ca_teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ocsp_presign");
	TCase *tc = tcase_create("ocsp_presign");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_served_while_hsm_down);
	tcase_add_test(tc, test_nonce);
	tcase_add_test(tc, test_revocation_invalidates);
	tcase_add_test(tc, test_good_never_served_for_revoked);
	tcase_add_test(tc, test_refresh_and_expiry);
	tcase_add_test(tc, test_batches);
	tcase_add_test(tc, test_other_issuer_certid);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
