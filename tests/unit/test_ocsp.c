/*
 * test_ocsp.c: the OCSP responder as a client sees it: every answer is a
 * DER OCSPResponse to the last byte; a successful one verifies against the
 * CA certificate (OpenSSL's OCSP_basic_verify and the openssl ocsp command)
 * and says good, revoked (time, reason, invalidity date) or unknown, never
 * good for what was not issued; the nonce comes back; garbage is
 * malformedRequest; another CA's certificates are unauthorized; a missing
 * HSM is tryLater.  Every file in tests/data/ocsp/bad is refused by the
 * parser with the rule it breaks; every one in good/ is accepted.  The
 * response cache answers the same nonce-less question again without the
 * HSM (p11_key_uses unchanged) until half the validity has passed, never
 * a question with a nonce or several CertIDs, and says revoked as soon as
 * the store does; it stays bounded under threads.  A stored CA
 * certificate with a trailing byte makes the answer tryLater until the
 * store is repaired.
 */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "ca.h"
#include "csr.h"
#include "issue.h"
#include "issuer.h"
#include "ocsp.h"
#include "ocsp_cache.h"
#include "revoke.h"
#include "testutil.h"

static struct issuer *
make_issuer(struct tu_ca *f, const char *name, const char *key)
{
	return tu_ca_issuer(f, name, key, "Test CA", 3650, 1, time(NULL));
}

static void
setup(struct tu_ca *f, const char *ca_key)
{
	tu_ca_setup(f, "ocsp", ca_key, 1);
}

static void
teardown(struct tu_ca *f)
{
	tu_ca_teardown(f);
}

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

/* A CertID for serial (hex) under the CA certificate ca. */
static OCSP_CERTID *
certid(const EVP_MD *md, X509 *ca, const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn;
	OCSP_CERTID *id;

	ck_assert_int_gt(BN_hex2bn(&bn, hex), 0);
	sn = BN_to_ASN1_INTEGER(bn, NULL);
	id = OCSP_cert_id_new(md, X509_get_subject_name(ca),
	    X509_get0_pubkey_bitstr(ca), sn);
	ck_assert_ptr_nonnull(id);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return id;
}

/* DER of req; req is freed unless keep. */
static unsigned char *
req_der(OCSP_REQUEST *req, size_t *len, int keep)
{
	unsigned char *der = NULL;
	int n = i2d_OCSP_REQUEST(req, &der);

	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	if (!keep)
		OCSP_REQUEST_free(req);
	return der;
}

/* Answers der at now; the response parsed exactly, its status checked. */
static OCSP_RESPONSE *
ask(struct tu_ca *f, const unsigned char *der, size_t len, int64_t now,
    int want)
{
	unsigned char *resp = NULL;
	const unsigned char *p;
	OCSP_RESPONSE *r;
	size_t rlen = 0;
	int status = -1;

	ck_assert_int_eq(ocsp_respond(&f->ca, der, len, now, 0, &resp, &rlen,
	    &status), ESEAL_OK);
	ck_assert_ptr_nonnull(resp);
	p = resp;
	r = d2i_OCSP_RESPONSE(NULL, &p, (long)rlen);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_eq(p, resp + rlen);
	ck_assert_int_eq(OCSP_response_status(r), status);
	ck_assert_msg(status == want, "status %d, want %d: %s", status, want,
	    eseal_errmsg());
	if (want != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		/* RFC 6960 4.2.1: no responseBytes in an error response. */
		OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);

		ck_assert_ptr_null(bs);
	}
	OPENSSL_free(resp);
	return r;
}

/* The basic response, verified as a relying party trusting the CA does. */
static OCSP_BASICRESP *
verified(struct tu_ca *f, OCSP_RESPONSE *r, X509 *ca)
{
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509_STORE *st = X509_STORE_new();

	(void)f;
	ck_assert_ptr_nonnull(bs);
	sk_X509_push(certs, ca);
	X509_STORE_add_cert(st, ca);
	ck_assert_int_eq(OCSP_basic_verify(bs, certs, st, 0), 1);
	/* The CA signs for itself: no certificate is attached. */
	ck_assert_int_le(sk_X509_num(OCSP_resp_get0_certs(bs)), 0);
	sk_X509_free(certs);
	X509_STORE_free(st);
	return bs;
}

static time_t
gt_time(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

/* archiveCutoff of a SingleResponse = the CA's notBefore. */
static void
check_cutoff(struct tu_ca *f, OCSP_SINGLERESP *single)
{
	ASN1_GENERALIZEDTIME *gt;
	int crit = -1;

	gt = OCSP_SINGLERESP_get1_ext_d2i(single,
	    NID_id_pkix_OCSP_archiveCutoff, &crit, NULL);
	ck_assert_ptr_nonnull(gt);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(gt_time(gt), f->issuer->rec.not_before);
	ASN1_GENERALIZEDTIME_free(gt);
}

static const char *const keys[] = { "ec-p256", "rsa-3072", "ec-p384" };

START_TEST(test_statuses)
{
	struct tu_ca f;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	OCSP_CERTID *ids[4];
	OCSP_SINGLERESP *single;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd, *inv;
	const ASN1_OCTET_STRING *keyhash;
	const X509_NAME *byname;
	unsigned char sha1[SHA_DIGEST_LENGTH], *der;
	char sg[STORE_SERIAL_HEX_MAX], sr[STORE_SERIAL_HEX_MAX];
	char su[STORE_SERIAL_HEX_MAX];
	X509 *good, *revoked, *unspec;
	const ASN1_BIT_STRING *key;
	size_t len;
	int64_t now = time(NULL);
	int status, reason, crit, idx;

	setup(&f, keys[_i]);
	good = issue(&f, 365, sg);
	revoked = issue(&f, 365, sr);
	unspec = issue(&f, 365, su);
	revoke(&f, sr, REVOKE_KEY_COMPROMISE, now - 7200, now - 60);
	revoke(&f, su, REVOKE_UNSPECIFIED, 0, now - 30);

	req = OCSP_REQUEST_new();
	ids[0] = OCSP_cert_to_id(NULL, good, f.issuer->cert);
	ids[1] = OCSP_cert_to_id(NULL, revoked, f.issuer->cert);
	ids[2] = OCSP_cert_to_id(NULL, unspec, f.issuer->cert);
	ids[3] = certid(EVP_sha1(), f.issuer->cert,
	    "0123456789abcdef0123456789abcdef");	/* never issued */
	for (int i = 0; i < 4; i++)
		OCSP_request_add0_id(req, OCSP_CERTID_dup(ids[i]));
	OCSP_request_add1_nonce(req, NULL, -1);
	der = req_der(req, &len, 1);
	r = ask(&f, der, len, now, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = verified(&f, r, f.issuer->cert);

	/* The nonce came back. */
	ck_assert_int_eq(OCSP_check_nonce(req, bs), 1);
	/* producedAt now; responderID byKey = SHA-1 of the CA's key. */
	ck_assert_int_eq(gt_time(OCSP_resp_get0_produced_at(bs)), now);
	ck_assert_int_eq(OCSP_resp_get0_id(bs, &keyhash, &byname), 1);
	ck_assert_ptr_null(byname);
	key = X509_get0_pubkey_bitstr(f.issuer->cert);
	SHA1(ASN1_STRING_get0_data(key), (size_t)ASN1_STRING_length(key), sha1);
	ck_assert_int_eq(ASN1_STRING_length(keyhash), SHA_DIGEST_LENGTH);
	ck_assert_int_eq(memcmp(ASN1_STRING_get0_data(keyhash), sha1,
	    SHA_DIGEST_LENGTH), 0);
	ck_assert_int_eq(OCSP_resp_count(bs), 4);

	/* good */
	ck_assert_int_eq(OCSP_resp_find_status(bs, ids[0], &status, &reason,
	    &rev, &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_GOOD);
	ck_assert_int_eq(gt_time(thisupd), now);
	ck_assert_int_eq(gt_time(nextupd), now + OCSP_VALIDITY_DEFAULT);
	ck_assert_int_eq(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
	/* revoked: keyCompromise, its time, its invalidity date */
	ck_assert_int_eq(OCSP_resp_find_status(bs, ids[1], &status, &reason,
	    &rev, &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	ck_assert_int_eq(gt_time(rev), now - 60);
	idx = OCSP_resp_find(bs, ids[1], -1);
	single = OCSP_resp_get0(bs, idx);
	crit = -1;
	inv = OCSP_SINGLERESP_get1_ext_d2i(single, NID_invalidity_date, &crit,
	    NULL);
	ck_assert_ptr_nonnull(inv);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(gt_time(inv), now - 7200);
	ASN1_GENERALIZEDTIME_free(inv);
	/* revoked, unspecified: no reason given */
	ck_assert_int_eq(OCSP_resp_find_status(bs, ids[2], &status, &reason,
	    &rev, &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_NOSTATUS);
	ck_assert_int_eq(gt_time(rev), now - 30);
	/* never issued: unknown, never good */
	ck_assert_int_eq(OCSP_resp_find_status(bs, ids[3], &status, &reason,
	    &rev, &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_UNKNOWN);
	/* archiveCutoff everywhere. */
	for (int i = 0; i < 4; i++)
		check_cutoff(&f, OCSP_resp_get0(bs, i));

	for (int i = 0; i < 4; i++)
		OCSP_CERTID_free(ids[i]);
	OCSP_REQUEST_free(req);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	X509_free(good);
	X509_free(revoked);
	X509_free(unspec);
	teardown(&f);
}
END_TEST

START_TEST(test_sha256_certid_no_nonce)
{
	struct tu_ca f;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	OCSP_CERTID *id;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	unsigned char *der;
	char serial[STORE_SERIAL_HEX_MAX];
	size_t len;
	X509 *x;
	int status, reason;

	setup(&f, "ec-p256");
	x = issue(&f, 365, serial);
	req = OCSP_REQUEST_new();
	id = OCSP_cert_to_id(EVP_sha256(), x, f.issuer->cert);
	OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = verified(&f, r, f.issuer->cert);
	ck_assert_int_lt(OCSP_BASICRESP_get_ext_by_NID(bs,
	    NID_id_pkix_OCSP_Nonce, -1), 0);
	/* The CertID is echoed with its SHA-256 hashes. */
	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &status, &reason, &rev,
	    &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_GOOD);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	X509_free(x);
	teardown(&f);
}
END_TEST

/* A CA of nobody's: a key and self-signed certificate made here. */
static X509 *
stranger_ca(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	ck_assert_ptr_nonnull(k);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Test CA", -1, -1, 0);
	X509_set_issuer_name(x, n);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	EVP_PKEY_free(k);
	return x;
}

START_TEST(test_unauthorized)
{
	struct tu_ca f;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	unsigned char *der;
	char serial[STORE_SERIAL_HEX_MAX];
	X509 *other, *x;
	size_t len;

	setup(&f, "ec-p256");
	x = issue(&f, 365, serial);
	other = stranger_ca();
	/* Another CA's certificate, even with a serial we issued. */
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, certid(EVP_sha1(), other, serial));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "does not serve"));
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	/* Ours and another's in one request. */
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, x, f.issuer->cert));
	OCSP_request_add0_id(req, certid(EVP_sha256(), other, "01"));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	X509_free(other);
	X509_free(x);
	teardown(&f);
}
END_TEST

START_TEST(test_two_issuers)
{
	struct tu_ca f;
	struct issuer *next;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	OCSP_CERTID *id;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	unsigned char *der;
	char s1[STORE_SERIAL_HEX_MAX], s2[STORE_SERIAL_HEX_MAX];
	X509 *x1, *x2;
	size_t len;
	int status, reason;

	setup(&f, "ec-p256");
	x1 = issue(&f, 365, s1);
	next = make_issuer(&f, "test-ca-2", "ec-p384");	/* rotation */
	x2 = issue(&f, 365, s2);			/* by the new key */
	ck_assert_int_eq(X509_check_issued(next->cert, x2), X509_V_OK);
	/* The old key answers for its own certificates, still. */
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, x1, f.issuer->cert));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = verified(&f, r, f.issuer->cert);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	/* The new key's serial asked of the old key: unknown, not good. */
	req = OCSP_REQUEST_new();
	id = certid(EVP_sha1(), f.issuer->cert, s2);
	OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = verified(&f, r, f.issuer->cert);
	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &status, &reason, &rev,
	    &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_UNKNOWN);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	/* The new key signs for its own. */
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, x2, next->cert));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = verified(&f, r, next->cert);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	/* Both keys in one request: one signature cannot answer both. */
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, x1, f.issuer->cert));
	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, x2, next->cert));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "more than one"));
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	issuer_free(next);
	X509_free(x1);
	X509_free(x2);
	teardown(&f);
}
END_TEST

START_TEST(test_not_issued_is_unknown)
{
	struct tu_ca f;
	struct store_cert c;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	OCSP_CERTID *id;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	static unsigned char tbs[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	unsigned char *der;
	size_t len;
	int status, reason;

	setup(&f, "ec-p256");
	/* Recorded, never signed: pending. */
	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "4a");
	c.issuer_id = f.issuer->rec.id;
	c.tbs = tbs;
	c.tbs_len = sizeof(tbs);
	c.subject = (char *)"/CN=x";
	ck_assert_int_eq(store_cert_insert_pending(f.ca.store, &c, 1), ESEAL_OK);
	req = OCSP_REQUEST_new();
	id = certid(EVP_sha1(), f.issuer->cert, "4a");
	OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = verified(&f, r, f.issuer->cert);
	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &status, &reason, &rev,
	    &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_UNKNOWN);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	teardown(&f);
}
END_TEST

START_TEST(test_expired_still_answered)
{
	struct tu_ca f;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	OCSP_CERTID *id;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	unsigned char *der;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t later = time(NULL) + 40 * 86400;
	size_t len;
	X509 *x;
	int status, reason;

	setup(&f, "ec-p256");
	x = issue(&f, 1, serial);
	revoke(&f, serial, REVOKE_KEY_COMPROMISE, 0, later - 86400);
	req = OCSP_REQUEST_new();
	id = OCSP_cert_to_id(NULL, x, f.issuer->cert);
	OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
	der = req_der(req, &len, 0);
	/* Long after expiry: archiveCutoff promises the status is kept. */
	r = ask(&f, der, len, later, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(r);
	ck_assert_ptr_nonnull(bs);
	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &status, &reason, &rev,
	    &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(gt_time(thisupd), later);
	check_cutoff(&f, OCSP_resp_get0(bs, 0));
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	X509_free(x);
	teardown(&f);
}
END_TEST

START_TEST(test_certid_limit)
{
	struct tu_ca f;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	unsigned char *der;
	char hex[8];
	size_t len;

	setup(&f, "ec-p256");
	req = OCSP_REQUEST_new();
	for (int i = 1; i <= OCSP_CERTIDS_MAX; i++) {
		snprintf(hex, sizeof(hex), "%02x", i);
		OCSP_request_add0_id(req, certid(EVP_sha1(), f.issuer->cert,
		    hex));
	}
	der = req_der(req, &len, 1);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = verified(&f, r, f.issuer->cert);
	ck_assert_int_eq(OCSP_resp_count(bs), OCSP_CERTIDS_MAX);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	/* One more is refused whole. */
	OCSP_request_add0_id(req, certid(EVP_sha1(), f.issuer->cert, "ff"));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL),
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "limit"));
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	teardown(&f);
}
END_TEST

START_TEST(test_try_later_without_hsm)
{
	struct tu_ca f;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	unsigned char *der;
	char serial[STORE_SERIAL_HEX_MAX];
	size_t len;
	X509 *x;

	setup(&f, "ec-p256");
	x = issue(&f, 365, serial);
	p11_close(f.ca.token);
	f.ca.token = NULL;
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, x, f.issuer->cert));
	der = req_der(req, &len, 0);
	r = ask(&f, der, len, time(NULL), OCSP_RESPONSE_STATUS_TRYLATER);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	X509_free(x);
	teardown(&f);
}
END_TEST

START_TEST(test_malformed)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	struct tu_ca f;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	unsigned char *der, *more;
	size_t len;
	int status = -1;

	setup(&f, "ec-p256");
	r = ask(&f, junk, sizeof(junk), time(NULL),
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(r);
	r = ask(&f, junk, 0, time(NULL),
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(r);
	/* A good request with one byte more, then one byte less. */
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, certid(EVP_sha1(), f.issuer->cert, "01"));
	der = req_der(req, &len, 0);
	more = malloc(len + 1);
	memcpy(more, der, len);
	more[len] = 0;
	r = ask(&f, more, len + 1, time(NULL),
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "trailing"));
	OCSP_RESPONSE_free(r);
	r = ask(&f, der, len - 1, time(NULL),
	    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(r);
	/* A validity we would not sign is our error, not the client's. */
	{
		unsigned char *resp = NULL;
		size_t rlen = 0;

		ck_assert_int_eq(ocsp_respond(&f.ca, der, len, time(NULL),
		    OCSP_VALIDITY_MAX + 1, &resp, &rlen, &status), ESEAL_OK);
		ck_assert_int_eq(status, OCSP_RESPONSE_STATUS_INTERNALERROR);
		OPENSSL_free(resp);
	}
	free(more);
	OPENSSL_free(der);
	teardown(&f);
}
END_TEST

/* --- the response cache ------------------------------------------------ */

/*
 * Answers der with the options; returns the DER response (OPENSSL_free)
 * of *rlen bytes, its status checked; *nu (if not NULL) its nextUpdate.
 */
static unsigned char *
answer(struct tu_ca *f, const unsigned char *der, size_t len, int64_t now,
    const struct ocsp_options *o, size_t *rlen, int want, int64_t *nu)
{
	unsigned char *resp = NULL;
	int status = -1;

	ck_assert_int_eq(ocsp_respond_opts(&f->ca, der, len, now, o, &resp,
	    rlen, &status, nu), ESEAL_OK);
	ck_assert_ptr_nonnull(resp);
	ck_assert_msg(status == want, "status %d, want %d: %s", status, want,
	    eseal_errmsg());
	return resp;
}

/* The status, reason and thisUpdate of the one answer in resp. */
static int
single_status(const unsigned char *resp, size_t rlen, int *reason,
    time_t *thisupd)
{
	const unsigned char *p = resp;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)rlen);
	OCSP_BASICRESP *bs;
	ASN1_GENERALIZEDTIME *rev, *tu, *nu;
	int status, rsn;

	ck_assert_ptr_nonnull(r);
	bs = OCSP_response_get1_basic(r);
	ck_assert_ptr_nonnull(bs);
	ck_assert_int_eq(OCSP_resp_count(bs), 1);
	status = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), &rsn, &rev,
	    &tu, &nu);
	if (reason != NULL)
		*reason = rsn;
	if (thisupd != NULL)
		*thisupd = gt_time(tu);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	return status;
}

/* A request for one certificate, with or without a nonce. */
static unsigned char *
one_request(struct tu_ca *f, X509 *x, int nonce, size_t *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();

	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, x, f->issuer->cert));
	if (nonce)
		OCSP_request_add1_nonce(req, NULL, -1);
	return req_der(req, len, 0);
}

static struct ocsp_options
cached(int64_t validity, int delegated)
{
	struct ocsp_options o;

	memset(&o, 0, sizeof(o));
	o.validity_secs = validity;
	o.delegated = delegated;
	o.cache = 1;
	return o;
}

static size_t
entries(void)
{
	struct ocsp_cache_stats st;

	ocsp_cache_stats(&st);
	return st.entries;
}

/*
 * The CA certificate in the store gained a byte: the responder cannot
 * tell whose CertIDs these are and says tryLater, not unauthorized; the
 * store repaired, it answers again.
 */
START_TEST(test_ca_cert_trailing_bytes)
{
	struct tu_ca f;
	OCSP_RESPONSE *r;
	unsigned char *der, *more;
	char serial[STORE_SERIAL_HEX_MAX];
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t len, clen;
	X509 *x;

	setup(&f, "ec-p256");
	x = issue(&f, 365, serial);
	der = one_request(&f, x, 1, &len);
	clen = f.issuer->rec.cert_len;
	more = malloc(clen + 1);
	ck_assert_ptr_nonnull(more);
	memcpy(more, f.issuer->rec.cert, clen);
	more[clen] = 0;
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(sqlite3_open(f.conf->store_path, &db),
		    SQLITE_OK);
		ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE issuers SET "
		    "cert = ?1 WHERE id = ?2", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, more, (int)(round == 0 ? clen + 1 :
		    clen), SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, f.issuer->rec.id);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		sqlite3_close(db);
		if (round == 0) {
			r = ask(&f, der, len, time(NULL),
			    OCSP_RESPONSE_STATUS_TRYLATER);
			ck_assert_ptr_nonnull(strstr(eseal_errmsg(),
			    "has 1 trailing bytes"));
		} else
			r = ask(&f, der, len, time(NULL),
			    OCSP_RESPONSE_STATUS_SUCCESSFUL);
		OCSP_RESPONSE_free(r);
	}
	free(more);
	OPENSSL_free(der);
	X509_free(x);
	teardown(&f);
}
END_TEST

START_TEST(test_cache_hit)
{
	struct tu_ca f;
	struct ocsp_options o = cached(0, 0);
	unsigned char *der, *a, *b, *c;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL), nu = 0;
	unsigned long uses;
	size_t len, alen, blen, clen;
	X509 *x;

	setup(&f, "ec-p256");
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	der = one_request(&f, x, 0, &len);
	uses = p11_key_uses(f.ca.token);
	a = answer(&f, der, len, now, &o, &alen, 0, &nu);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 1);
	ck_assert_int_eq(nu, now + OCSP_VALIDITY_DEFAULT);
	ck_assert_uint_eq(entries(), 1);
	/* The same question a little later: the same bytes, no HSM. */
	b = answer(&f, der, len, now + 10, &o, &blen, 0, &nu);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 1);
	ck_assert_uint_eq(blen, alen);
	ck_assert_int_eq(memcmp(a, b, alen), 0);
	ck_assert_int_eq(nu, now + OCSP_VALIDITY_DEFAULT);
	ck_assert_int_eq(single_status(b, blen, NULL, NULL),
	    V_OCSP_CERTSTATUS_GOOD);
	/* ocsp_respond() never uses the cache. */
	OPENSSL_free(answer(&f, der, len, now + 10, &(struct ocsp_options){
	    0, 0, 0, 0 }, &clen, 0, NULL));
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 2);
	/* With the HSM gone, a cached answer is still served ... */
	p11_close(f.ca.token);
	f.ca.token = NULL;
	c = answer(&f, der, len, now + 20, &o, &clen, 0, NULL);
	ck_assert_uint_eq(clen, alen);
	ck_assert_int_eq(memcmp(a, c, alen), 0);
	OPENSSL_free(c);
	OPENSSL_free(der);
	/* ... and a question with a nonce must wait. */
	der = one_request(&f, x, 1, &len);
	OPENSSL_free(answer(&f, der, len, now + 20, &o, &clen,
	    OCSP_RESPONSE_STATUS_TRYLATER, &nu));
	ck_assert_int_eq(nu, 0);
	OPENSSL_free(a);
	OPENSSL_free(b);
	OPENSSL_free(der);
	X509_free(x);
	teardown(&f);
}
END_TEST

/* A nonce is echoed fresh: never served from, nor kept in, the cache. */
START_TEST(test_cache_nonce)
{
	struct tu_ca f;
	struct ocsp_options o = cached(0, 0);
	OCSP_REQUEST *req;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	const unsigned char *p;
	unsigned char *der, *resp;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL);
	unsigned long uses;
	size_t len, rlen;
	X509 *x;

	setup(&f, "ec-p256");
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	uses = p11_key_uses(f.ca.token);
	for (int i = 0; i < 3; i++) {
		/* Two fresh nonces, then the second request replayed. */
		if (i < 2)
			der = one_request(&f, x, 1, &len);
		resp = answer(&f, der, len, now, &o, &rlen, 0, NULL);
		ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + i + 1);
		p = der;
		req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
		p = resp;
		r = d2i_OCSP_RESPONSE(NULL, &p, (long)rlen);
		bs = OCSP_response_get1_basic(r);
		ck_assert_int_eq(OCSP_check_nonce(req, bs), 1);
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(r);
		OCSP_REQUEST_free(req);
		OPENSSL_free(resp);
		if (i != 1)
			OPENSSL_free(der);
	}
	ck_assert_uint_eq(entries(), 0);
	X509_free(x);
	teardown(&f);
}
END_TEST

/* After a revocation and ocsp_cache_invalidate(), the answer is revoked. */
START_TEST(test_cache_invalidate_after_revoke)
{
	struct tu_ca f;
	struct ocsp_options o = cached(0, 0);
	struct ocsp_cache_stats st0, st1;
	unsigned char *der, *resp;
	char serial[STORE_SERIAL_HEX_MAX], other[STORE_SERIAL_HEX_MAX + 2];
	int64_t now = time(NULL);
	unsigned long uses;
	size_t len, rlen;
	X509 *x;
	int reason;

	setup(&f, "ec-p256");
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	der = one_request(&f, x, 0, &len);
	OPENSSL_free(answer(&f, der, len, now, &o, &rlen, 0, NULL));
	ck_assert_uint_eq(entries(), 1);
	revoke(&f, serial, REVOKE_KEY_COMPROMISE, 0, now + 5);
	/* As the lead calls it: any case, leading zeros allowed. */
	snprintf(other, sizeof(other), "00%s", serial);
	for (char *c = other; *c != '\0'; c++)
		*c = (char)toupper((unsigned char)*c);
	ocsp_cache_stats(&st0);
	ocsp_cache_invalidate(other);
	ocsp_cache_invalidate("not hex");
	ocsp_cache_invalidate(NULL);
	ocsp_cache_stats(&st1);
	ck_assert_uint_eq(st1.entries, 0);
	ck_assert_uint_eq(st1.invalidations, st0.invalidations + 1);
	uses = p11_key_uses(f.ca.token);
	resp = answer(&f, der, len, now + 10, &o, &rlen, 0, NULL);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 1);
	ck_assert_int_eq(single_status(resp, rlen, &reason, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	OPENSSL_free(resp);
	/* Revoked answers are kept too. */
	resp = answer(&f, der, len, now + 20, &o, &rlen, 0, NULL);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 1);
	ck_assert_int_eq(single_status(resp, rlen, NULL, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	OPENSSL_free(resp);
	OPENSSL_free(der);
	X509_free(x);
	teardown(&f);
}
END_TEST

/*
 * Revoked by another process (esealctl revoke: this process's cache was
 * never told): a hit is checked against the store, so the next answer says
 * revoked all the same; so does a reason raised to keyCompromise.
 */
START_TEST(test_cache_revoked_elsewhere)
{
	struct tu_ca f;
	struct ocsp_options o = cached(0, 0);
	unsigned char *der, *resp;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL);
	unsigned long uses;
	size_t len, rlen;
	X509 *x;
	int reason;

	setup(&f, "ec-p256");
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	der = one_request(&f, x, 0, &len);
	OPENSSL_free(answer(&f, der, len, now, &o, &rlen, 0, NULL));
	revoke(&f, serial, REVOKE_SUPERSEDED, 0, now + 5);
	uses = p11_key_uses(f.ca.token);
	resp = answer(&f, der, len, now + 10, &o, &rlen, 0, NULL);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 1);
	ck_assert_int_eq(single_status(resp, rlen, &reason, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_SUPERSEDED);
	OPENSSL_free(resp);
	revoke(&f, serial, REVOKE_KEY_COMPROMISE, 0, now + 15);
	resp = answer(&f, der, len, now + 20, &o, &rlen, 0, NULL);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 2);
	ck_assert_int_eq(single_status(resp, rlen, &reason, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	ck_assert_uint_eq(entries(), 1);
	OPENSSL_free(resp);
	OPENSSL_free(der);
	X509_free(x);
	teardown(&f);
}
END_TEST

/* Served until half the validity has passed, never before thisUpdate. */
START_TEST(test_cache_half_validity)
{
	struct tu_ca f;
	struct ocsp_options o = cached(3600, 0), o2 = cached(7200, 0);
	unsigned char *der, *resp;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t t = time(NULL);
	unsigned long uses;
	size_t len, rlen;
	time_t tu;
	X509 *x;

	setup(&f, "ec-p256");
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	der = one_request(&f, x, 0, &len);
	uses = p11_key_uses(f.ca.token);
	OPENSSL_free(answer(&f, der, len, t, &o, &rlen, 0, NULL));
	resp = answer(&f, der, len, t + 1799, &o, &rlen, 0, NULL);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 1);
	single_status(resp, rlen, NULL, &tu);
	ck_assert_int_eq(tu, t);
	OPENSSL_free(resp);
	resp = answer(&f, der, len, t + 1800, &o, &rlen, 0, NULL);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 2);
	single_status(resp, rlen, NULL, &tu);
	ck_assert_int_eq(tu, t + 1800);
	OPENSSL_free(resp);
	/* Asked "before" the entry was made: not from the cache. */
	resp = answer(&f, der, len, t + 1000, &o, &rlen, 0, NULL);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 3);
	single_status(resp, rlen, NULL, &tu);
	ck_assert_int_eq(tu, t + 1000);
	OPENSSL_free(resp);
	/* Another validity is another question. */
	OPENSSL_free(answer(&f, der, len, t + 1000, &o2, &rlen, 0, NULL));
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 4);
	OPENSSL_free(der);
	X509_free(x);
	teardown(&f);
}
END_TEST

/*
 * The HSM away: past half its validity, an answer signed before is served
 * until its nextUpdate (never after, and never once the store says
 * otherwise); without one, tryLater.
 */
START_TEST(test_cache_serves_while_hsm_down)
{
	struct tu_ca f;
	struct ocsp_options o = cached(3600, 0);
	struct p11_token *tok;
	unsigned char *der, *first, *resp;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t t = time(NULL);
	size_t len, flen, rlen;
	X509 *x;

	setup(&f, "ec-p256");
	ocsp_cache_clear();
	x = issue(&f, 365, serial);
	der = one_request(&f, x, 0, &len);
	first = answer(&f, der, len, t, &o, &flen, 0, NULL);
	tok = f.ca.token;
	f.ca.token = NULL;
	resp = answer(&f, der, len, t + 3000, &o, &rlen, 0, NULL);
	ck_assert_uint_eq(rlen, flen);
	ck_assert_int_eq(memcmp(resp, first, flen), 0);
	OPENSSL_free(resp);
	OPENSSL_free(answer(&f, der, len, t + 3600, &o, &rlen,
	    OCSP_RESPONSE_STATUS_TRYLATER, NULL));
	/* Fresh again, then revoked while the HSM is away: not served. */
	f.ca.token = tok;
	OPENSSL_free(answer(&f, der, len, t + 3601, &o, &rlen, 0, NULL));
	revoke(&f, serial, REVOKE_KEY_COMPROMISE, 0, t + 3602);
	f.ca.token = NULL;
	OPENSSL_free(answer(&f, der, len, t + 3603, &o, &rlen,
	    OCSP_RESPONSE_STATUS_TRYLATER, NULL));
	f.ca.token = tok;
	OPENSSL_free(first);
	OPENSSL_free(der);
	X509_free(x);
	teardown(&f);
}
END_TEST

/* Several CertIDs, unknown serials, and other options are not shared. */
START_TEST(test_cache_not_kept)
{
	struct tu_ca f;
	struct ocsp_options o = cached(0, 0), od = cached(0, 1);
	OCSP_REQUEST *req;
	unsigned char *der;
	char s1[STORE_SERIAL_HEX_MAX], s2[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL);
	unsigned long uses;
	size_t len, rlen;
	X509 *x1, *x2;

	setup(&f, "ec-p256");
	ocsp_cache_clear();
	x1 = issue(&f, 365, s1);
	x2 = issue(&f, 365, s2);
	uses = p11_key_uses(f.ca.token);
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, x1, f.issuer->cert));
	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, x2, f.issuer->cert));
	der = req_der(req, &len, 0);
	OPENSSL_free(answer(&f, der, len, now, &o, &rlen, 0, NULL));
	OPENSSL_free(answer(&f, der, len, now, &o, &rlen, 0, NULL));
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 2);
	OPENSSL_free(der);
	/* Never issued: unknown, and not kept. */
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, certid(EVP_sha1(), f.issuer->cert, "7b"));
	der = req_der(req, &len, 0);
	OPENSSL_free(answer(&f, der, len, now, &o, &rlen, 0, NULL));
	OPENSSL_free(answer(&f, der, len, now, &o, &rlen, 0, NULL));
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 4);
	ck_assert_uint_eq(entries(), 0);
	OPENSSL_free(der);
	/* Issuer-signed and delegated answers are kept apart. */
	der = one_request(&f, x1, 0, &len);
	OPENSSL_free(answer(&f, der, len, now, &o, &rlen, 0, NULL));
	OPENSSL_free(answer(&f, der, len, now, &od, &rlen, 0, NULL));
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 6);
	OPENSSL_free(answer(&f, der, len, now, &o, &rlen, 0, NULL));
	OPENSSL_free(answer(&f, der, len, now, &od, &rlen, 0, NULL));
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 6);
	ck_assert_uint_eq(entries(), 2);
	/* SHA-256 CertIDs are another key. */
	OPENSSL_free(der);
	req = OCSP_REQUEST_new();
	OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha256(), x1,
	    f.issuer->cert));
	der = req_der(req, &len, 0);
	OPENSSL_free(answer(&f, der, len, now, &o, &rlen, 0, NULL));
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 7);
	ck_assert_uint_eq(entries(), 3);
	/* ocsp_cache_invalidate drops every entry of the serial. */
	ocsp_cache_invalidate(s1);
	ck_assert_uint_eq(entries(), 0);
	OPENSSL_free(der);
	X509_free(x1);
	X509_free(x2);
	teardown(&f);
}
END_TEST

static void
cache_meta(struct ocsp_cache_meta *m, int i, int64_t t, int64_t validity)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->serial, sizeof(m->serial), "7f%06x", i);
	m->this_update = t;
	m->next_update = t + validity;
	m->status = V_OCSP_CERTSTATUS_GOOD;
	m->reason = OCSP_REVOKED_STATUS_NOSTATUS;
}

/* The cache alone: bounded, oldest out first, limits on what it keeps. */
START_TEST(test_cache_bounded)
{
	struct ocsp_cache_stats st0, st;
	struct ocsp_cache_meta m;
	unsigned char key[32], *der, *big;
	char resp[32];
	size_t len;

	ocsp_cache_clear();
	ocsp_cache_stats(&st0);
	for (int i = 0; i < OCSP_CACHE_MAX + 5; i++) {
		snprintf((char *)key, sizeof(key), "key-%d", i);
		snprintf(resp, sizeof(resp), "response-%d", i);
		cache_meta(&m, i, 1000, 3600);
		ocsp_cache_put(key, strlen((char *)key), (unsigned char *)resp,
		    strlen(resp), &m);
	}
	ocsp_cache_stats(&st);
	ck_assert_uint_eq(st.entries, OCSP_CACHE_MAX);
	ck_assert_uint_eq(st.evictions, st0.evictions + 5);
	/* The five oldest went. */
	for (int i = 0; i < 5; i++) {
		snprintf((char *)key, sizeof(key), "key-%d", i);
		ck_assert_int_eq(ocsp_cache_get(key, strlen((char *)key), 1000,
		    &der, &len, NULL), 0);
		ck_assert_ptr_null(der);
	}
	snprintf((char *)key, sizeof(key), "key-%d", 5);
	ck_assert_int_eq(ocsp_cache_get(key, strlen((char *)key), 1000, &der,
	    &len, &m), 1);
	ck_assert_uint_eq(len, strlen("response-5"));
	ck_assert_int_eq(memcmp(der, "response-5", len), 0);
	ck_assert_str_eq(m.serial, "7f000005");
	OPENSSL_free(der);
	/*
	 * Half its validity: a miss, but kept for when the HSM cannot sign
	 * until its nextUpdate, then dropped.
	 */
	ck_assert_int_eq(ocsp_cache_get(key, strlen((char *)key), 1000 + 1800,
	    &der, &len, NULL), 0);
	ck_assert_uint_eq(entries(), OCSP_CACHE_MAX);
	ck_assert_int_eq(ocsp_cache_get_valid(key, strlen((char *)key),
	    1000 + 3599, &der, &len, NULL), 1);
	ck_assert_int_eq(memcmp(der, "response-5", len), 0);
	OPENSSL_free(der);
	ck_assert_int_eq(ocsp_cache_get_valid(key, strlen((char *)key),
	    1000 + 3600, &der, &len, NULL), 0);
	ck_assert_uint_eq(entries(), OCSP_CACHE_MAX - 1);
	/* Before its thisUpdate: a miss, but kept. */
	snprintf((char *)key, sizeof(key), "key-%d", 6);
	ck_assert_int_eq(ocsp_cache_get(key, strlen((char *)key), 999, &der,
	    &len, NULL), 0);
	ck_assert_int_eq(ocsp_cache_get(key, strlen((char *)key), 1799, &der,
	    &len, NULL), 1);
	OPENSSL_free(der);
	/* By serial, in any form. */
	ocsp_cache_invalidate("007F000006");
	ck_assert_int_eq(ocsp_cache_get(key, strlen((char *)key), 1000, &der,
	    &len, NULL), 0);
	ck_assert_uint_eq(entries(), OCSP_CACHE_MAX - 2);
	/* A key put again replaces its entry. */
	snprintf((char *)key, sizeof(key), "key-%d", 7);
	cache_meta(&m, 7, 2000, 3600);
	ocsp_cache_put(key, strlen((char *)key), (unsigned char *)"again", 5,
	    &m);
	ck_assert_uint_eq(entries(), OCSP_CACHE_MAX - 2);
	ck_assert_int_eq(ocsp_cache_get(key, strlen((char *)key), 2000, &der,
	    &len, NULL), 1);
	ck_assert_uint_eq(len, 5);
	OPENSSL_free(der);
	/* Not kept: too big, stale already, a key too long, empty. */
	ocsp_cache_clear();
	big = calloc(1, OCSP_CACHE_RESP_MAX + 1);
	cache_meta(&m, 1, 1000, 3600);
	ocsp_cache_put((const unsigned char *)"big", 3, big,
	    OCSP_CACHE_RESP_MAX + 1, &m);
	cache_meta(&m, 2, 1000, 1);
	ocsp_cache_put((const unsigned char *)"stale", 5, big, 10, &m);
	cache_meta(&m, 3, 1000, 3600);
	ocsp_cache_put(big, OCSP_CACHE_KEY_MAX + 1, big, 10, &m);
	ocsp_cache_put((const unsigned char *)"empty", 5, big, 0, &m);
	ck_assert_uint_eq(entries(), 0);
	free(big);
}
END_TEST

#define CACHE_THREADS	8
#define CACHE_OPS	20000

static void *
cache_worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	struct ocsp_cache_meta m;
	unsigned char key[16], *der;
	char serial[STORE_SERIAL_HEX_MAX];
	size_t len;
	int k, r;

	for (int i = 0; i < CACHE_OPS; i++) {
		k = rand_r(&seed) % (2 * OCSP_CACHE_MAX);
		snprintf((char *)key, sizeof(key), "k%d", k);
		switch (rand_r(&seed) % 4) {
		case 0:
		case 1:
			cache_meta(&m, k, 1000, 3600);
			ocsp_cache_put(key, strlen((char *)key), key,
			    strlen((char *)key), &m);
			break;
		case 2:
			r = ocsp_cache_get(key, strlen((char *)key), 1000, &der,
			    &len, NULL);
			if (r == 1 && (len != strlen((char *)key) ||
			    memcmp(der, key, len) != 0))
				abort();	/* another key's answer */
			OPENSSL_free(der);
			break;
		default:
			snprintf(serial, sizeof(serial), "7f%06x", k);
			ocsp_cache_invalidate(serial);
			break;
		}
	}
	return NULL;
}

/* The daemon's worker threads at once. */
START_TEST(test_cache_threads)
{
	pthread_t t[CACHE_THREADS];
	struct ocsp_cache_stats st0, st;

	ocsp_cache_clear();
	ocsp_cache_stats(&st0);
	for (uintptr_t i = 0; i < CACHE_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, cache_worker,
		    (void *)(i + 1)), 0);
	for (int i = 0; i < CACHE_THREADS; i++)
		pthread_join(t[i], NULL);
	ocsp_cache_stats(&st);
	ck_assert_uint_le(st.entries, OCSP_CACHE_MAX);
	ck_assert_uint_gt(st.hits - st0.hits, 0);
	ck_assert_uint_gt(st.misses - st0.misses, 0);
	ocsp_cache_clear();
	ck_assert_uint_eq(entries(), 0);
}
END_TEST

/* --- tests/data/ocsp: the parser alone ----------------------------------- */

static char *
data_path(const char *sub, const char *name)
{
	const char *top = getenv("ESEAL_TOP");
	char *p;

	if (asprintf(&p, "%s/tests/data/ocsp/%s%s%s", top ? top : ".", sub,
	    name ? "/" : "", name ? name : "") == -1)
		abort();
	return p;
}

static enum eseal_rc
parse_file(const char *sub, const char *name)
{
	char *p = data_path(sub, name);
	struct ocsp_req *r = NULL;
	unsigned char *buf;
	size_t len;
	enum eseal_rc rc;

	buf = tu_read(p, &len);
	ck_assert_msg(buf != NULL, "cannot read %s", p);
	rc = ocsp_request_parse(buf, len, &r);
	ck_assert(rc == ESEAL_OK ? r != NULL : r == NULL);
	ocsp_req_free(r);
	free(buf);
	free(p);
	return rc;
}

static int
each(const char *sub, enum eseal_rc want)
{
	char *dir = data_path(sub, NULL);
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_msg(d != NULL, "no %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		ck_assert_msg(parse_file(sub, de->d_name) == want,
		    "%s/%s: %s", sub, de->d_name, eseal_errmsg());
		n++;
	}
	closedir(d);
	free(dir);
	return n;
}

START_TEST(test_data_good)
{
	ck_assert_int_ge(each("good", ESEAL_OK), 4);
}
END_TEST

START_TEST(test_data_bad)
{
	ck_assert_int_ge(each("bad", ESEAL_EINVAL), 10);
	ocsp_req_free(NULL);
}
END_TEST

/* The rule named for each hostile request. */
static const struct {
	const char *file;
	const char *rule;
} reasons[] = {
	{ "empty.der", "empty request" },
	{ "truncated.der", "not a DER OCSPRequest" },
	{ "trailing-bytes.der", "trailing bytes" },
	{ "two-requests.der", "83 trailing bytes after the OCSPRequest" },
	{ "not-der.txt", "not a DER OCSPRequest" },
	{ "certificate-not-request.der", "RFC 6960 4.1.1" },
	{ "oversized.der", "OCSP_REQUEST_MAX" },
	{ "no-certids.der", "requestList is empty" },
	{ "seventeen-certids.der", "OCSP_CERTIDS_MAX: 17 CertIDs in one "
	    "request" },
	{ "sha384-certid.der", "RFC 6960 4.3" },
	{ "hash-length-mismatch.der", "must be SHA1 hashes" },
	{ "serial-21-octets.der", "RFC 5280 4.1.2.2" },
	{ "nonce-64-octets.der", "RFC 8954 2.1" },
	{ "nonce-empty.der", "RFC 8954 2.1" },
	{ "nonce-twice.der", "appears twice" },
	{ "critical-unknown-extension.der", "critical request extension" },
	{ "critical-single-extension.der", "singleRequestExtension" },
};

START_TEST(test_data_reasons)
{
	ck_assert_int_eq(parse_file("bad", reasons[_i].file), ESEAL_EINVAL);
	ck_assert_msg(strstr(eseal_errmsg(), reasons[_i].rule) != NULL,
	    "%s: \"%s\" lacks \"%s\"", reasons[_i].file, eseal_errmsg(),
	    reasons[_i].rule);
}
END_TEST

START_TEST(test_data_whole_responder)
{
	struct tu_ca f;
	OCSP_RESPONSE *r;
	unsigned char *buf;
	char *p;
	size_t len;

	setup(&f, "ec-p256");
	/* Hostile: malformedRequest.  Good but another CA's: unauthorized. */
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		p = data_path("bad", reasons[i].file);
		buf = tu_read(p, &len);
		ck_assert_ptr_nonnull(buf);
		r = ask(&f, buf, len, time(NULL),
		    OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
		OCSP_RESPONSE_free(r);
		free(buf);
		free(p);
	}
	p = data_path("good", "sha1-no-nonce.der");
	buf = tu_read(p, &len);
	ck_assert_ptr_nonnull(buf);
	r = ask(&f, buf, len, time(NULL), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	OCSP_RESPONSE_free(r);
	free(buf);
	free(p);
	teardown(&f);
}
END_TEST

/* --- the openssl command as the client -------------------------------- */

static void
write_pem(const char *path, X509 *x)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(PEM_write_X509(fp, x), 1);
	fclose(fp);
}

START_TEST(test_openssl_client)
{
	struct tu_ca f;
	unsigned char *req, *resp = NULL;
	char serial[STORE_SERIAL_HEX_MAX], path[1024], cmd[4096], *out;
	size_t len, rlen = 0;
	X509 *x;
	FILE *fp;
	int status;

	setup(&f, "ec-p384");
	x = issue(&f, 365, serial);
	revoke(&f, serial, REVOKE_SUPERSEDED, 0, time(NULL));
	snprintf(path, sizeof(path), "%s/ca.pem", f.dir);
	write_pem(path, f.issuer->cert);
	snprintf(path, sizeof(path), "%s/leaf.pem", f.dir);
	write_pem(path, x);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl ocsp -issuer ca.pem "
	    "-cert leaf.pem -no_nonce -reqout req.der >/dev/null 2>&1", f.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/req.der", f.dir);
	req = tu_read(path, &len);
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(ocsp_respond(&f.ca, req, len, time(NULL), 0, &resp,
	    &rlen, &status), ESEAL_OK);
	ck_assert_int_eq(status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	snprintf(path, sizeof(path), "%s/resp.der", f.dir);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(resp, 1, rlen, fp), rlen);
	fclose(fp);
	/*
	 * The client checks the signature, that the response answers its
	 * CertID, and the status.  (With -cert it would build a new request,
	 * so the nonce is left to test_statuses.)
	 */
	snprintf(cmd, sizeof(cmd), "cd %s && openssl ocsp -respin resp.der "
	    "-issuer ca.pem -VAfile ca.pem -cert leaf.pem -no_nonce "
	    ">out.txt 2>&1", f.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/out.txt", f.dir);
	out = (char *)tu_read(path, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strstr(out, "Response verify OK") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "leaf.pem: revoked") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "Reason: superseded") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "WARNING") == NULL, "%s", out);
	free(out);
	free(req);
	OPENSSL_free(resp);
	X509_free(x);
	teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ocsp");
	TCase *tc = tcase_create("ocsp");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_statuses, 0,
	    sizeof(keys) / sizeof(keys[0]));
	tcase_add_test(tc, test_sha256_certid_no_nonce);
	tcase_add_test(tc, test_unauthorized);
	tcase_add_test(tc, test_two_issuers);
	tcase_add_test(tc, test_not_issued_is_unknown);
	tcase_add_test(tc, test_expired_still_answered);
	tcase_add_test(tc, test_certid_limit);
	tcase_add_test(tc, test_try_later_without_hsm);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_ca_cert_trailing_bytes);
	tcase_add_test(tc, test_data_good);
	tcase_add_test(tc, test_data_bad);
	tcase_add_loop_test(tc, test_data_reasons, 0,
	    sizeof(reasons) / sizeof(reasons[0]));
	tcase_add_test(tc, test_data_whole_responder);
	tcase_add_test(tc, test_openssl_client);
	tcase_add_test(tc, test_cache_hit);
	tcase_add_test(tc, test_cache_nonce);
	tcase_add_test(tc, test_cache_invalidate_after_revoke);
	tcase_add_test(tc, test_cache_revoked_elsewhere);
	tcase_add_test(tc, test_cache_half_validity);
	tcase_add_test(tc, test_cache_serves_while_hsm_down);
	tcase_add_test(tc, test_cache_not_kept);
	tcase_add_test(tc, test_cache_bounded);
	tcase_add_test(tc, test_cache_threads);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
