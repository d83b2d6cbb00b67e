/*
 * test_issue.c: the issuance pipeline on a SoftHSM token: issue for EC and
 * RSA keys, the certificate verifies under the CA, the row and the audit
 * record land together, what the caller adds to the pending and the
 * issued row's transactions (on_pending, on_issued) commits or fails with
 * them, and a pending row left by a
 * "crash" is finished at the next open.  The one signing path (sign.h)
 * refuses a signature the issuer public key does not verify (an HSM
 * fault), and issuer_sign one over the recorded TBS that the given key does
 * not verify.  The issuer cache parses a CA certificate once, reads them
 * again when an issuer is added (here or by another process), refuses one
 * with trailing bytes, and holds under threads.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "audit.h"
#include "ca.h"
#include "csr.h"
#include "issue.h"
#include "issuer.h"
#include "sign.h"
#include "store/store_int.h"
#include "testutil.h"

static void
setup(struct tu_ca *f, const char *ca_key)
{
	tu_ca_setup(f, "issue", ca_key, 1);
}

static void
teardown(struct tu_ca *f)
{
	tu_ca_teardown(f);
}

static struct csr *
make_csr(const char *dir, const char *keyspec)
{
	char *path = tu_csr(dir, "ee", keyspec);
	unsigned char *buf;
	struct csr *c = NULL;
	size_t len;

	buf = tu_read(path, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(csr_parse(buf, len, &c), ESEAL_OK);
	free(buf);
	free(path);
	return c;
}

/* A request of f's organisation and profile for csr's key, by actor. */
static void
make_req(struct issue_request *req, struct tu_ca *f, struct csr *csr,
    const char *actor)
{
	memset(req, 0, sizeof(*req));
	req->profile = f->profile;
	req->org = &f->org;
	req->csr = csr;
	req->actor = actor;
}

static X509 *
der_to_x509(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_eq(p, der + len);
	return x;
}

static const char *const pairs[][2] = {
	{ "ec-p256", "ec:P-256" },
	{ "ec-p384", "ec:P-384" },
	{ "rsa-3072", "rsa:2048" },
	{ "ec-p256", "rsa:3072" },
};

START_TEST(test_issue_verifies)
{
	struct tu_ca f;
	struct issue_request req;
	struct issue_result res;
	struct store_cert row;
	struct csr *csr;
	X509 *x;
	X509_STORE *st;
	X509_STORE_CTX *ctx;
	char buf[256];
	int64_t n;

	setup(&f, pairs[_i][0]);
	csr = make_csr(f.dir, pairs[_i][1]);
	memset(&req, 0, sizeof(req));
	req.profile = f.profile;
	req.org = &f.org;
	req.csr = csr;
	req.validity_days = 365;
	req.actor = "test";
	ck_assert_msg(issue_cert(&f.ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	x = der_to_x509(res.der, res.der_len);

	/* Chains to the CA. */
	st = X509_STORE_new();
	X509_STORE_add_cert(st, f.issuer->cert);
	ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, st, x, NULL);
	ck_assert_int_eq(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);

	/* Subject from the organisation, not the CSR's "from-the-csr". */
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    buf, sizeof(buf));
	ck_assert_str_eq(buf, "株式会社テスト");
	ck_assert(X509_NAME_entry_count(X509_get_subject_name(x)) == 4);
	/* Serial: 16 octets, positive, as recorded. */
	ck_assert_int_eq(ASN1_STRING_length(X509_get0_serialNumber(x)), 16);
	ck_assert_int_eq(ASN1_STRING_type(X509_get0_serialNumber(x)),
	    V_ASN1_INTEGER);
	/* The row is issued with exactly these bytes, with its audit record. */
	ck_assert_int_eq(store_cert_get(f.ca.store, res.serial, &row), ESEAL_OK);
	ck_assert_int_eq(row.status, CERT_ISSUED);
	ck_assert_uint_eq(row.cert_len, res.der_len);
	ck_assert_int_eq(memcmp(row.cert, res.der, res.der_len), 0);
	ck_assert_int_eq(memcmp(row.spki_sha256, csr_pubkey_sha256(csr), 32),
	    0);
	store_cert_clear(&row);
	ck_assert_int_eq(audit_verify(f.ca.store, &n), ESEAL_OK);
	ck_assert_int_eq(n, 2);		/* issuer.create, cert.issue */

	X509_free(x);
	issue_result_clear(&res);
	csr_free(csr);
	teardown(&f);
}
END_TEST

/*
 * issue_request.on_issued runs inside the issued row's transaction: what it
 * writes commits with the row (case 0), a refusal fails the row with its
 * reason and takes its own writes and cert.issue back (case 1), store
 * trouble leaves the row pending for recovery (case 2).
 */
struct hook_seen {
	enum eseal_rc	 rc;
	int		 status;	/* the row's, as the hook saw it */
};

static enum eseal_rc
hook(struct store *s, const char *serial, int64_t now, void *arg)
{
	struct hook_seen *h = arg;
	struct store_cert row;

	ck_assert_int_eq(store_cert_get(s, serial, &row), ESEAL_OK);
	h->status = row.status;
	store_cert_clear(&row);
	ck_assert_int_eq(audit_append(s, now, "test", "test.hook", serial,
	    "case"), ESEAL_OK);
	if (h->rc != ESEAL_OK)
		return eseal_err(h->rc, "the hook refuses");
	return ESEAL_OK;
}

START_TEST(test_on_issued_same_transaction)
{
	static const enum eseal_rc rcs[] = { ESEAL_OK, ESEAL_EPOLICY,
	    ESEAL_ESTORE };
	static const int want_status[] = { CERT_ISSUED, CERT_FAILED,
	    CERT_PENDING };
	static const int64_t want_audit[] = { 3, 2, 1 };
	struct tu_ca f;
	struct issue_request req;
	struct issue_result res;
	struct hook_seen h = { rcs[_i], -1 };
	struct store_cert row;
	struct csr *csr;
	int64_t n;

	setup(&f, "ec-p256");
	csr = make_csr(f.dir, "ec:P-256");
	make_req(&req, &f, csr, "test");
	req.on_issued = hook;
	req.hook_arg = &h;
	ck_assert_int_eq(issue_cert(&f.ca, &req, time(NULL), &res), rcs[_i]);
	ck_assert_int_eq(h.status, CERT_ISSUED);	/* in the same transaction */
	if (rcs[_i] != ESEAL_OK) {
		ck_assert_ptr_null(res.der);
		ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "the hook refuses"));
	}
	ck_assert_int_eq(store_cert_get(f.ca.store, res.serial, &row), ESEAL_OK);
	ck_assert_int_eq(row.status, want_status[_i]);
	if (rcs[_i] == ESEAL_EPOLICY)
		ck_assert_ptr_nonnull(strstr(row.fail_reason,
		    "the hook refuses"));
	store_cert_clear(&row);
	/*
	 * issuer.create, cert.issue, test.hook / issuer.create, cert.fail /
	 * issuer.create.
	 */
	ck_assert_int_eq(audit_verify(f.ca.store, &n), ESEAL_OK);
	ck_assert_int_eq(n, want_audit[_i]);
	issue_result_clear(&res);
	csr_free(csr);
	teardown(&f);
}
END_TEST

/*
 * issue_request.on_pending runs in the pending row's transaction: what it
 * writes commits with the row (case 0); its refusal, whatever its code
 * (EEXIST is also a serial collision's), records nothing of the issuance
 * and draws no other serial (case 1).
 */
static int pending_calls;

static enum eseal_rc
pending_hook(struct store *s, const char *serial, int64_t now, void *arg)
{
	struct store_cert row;

	pending_calls++;
	ck_assert_int_eq(store_cert_get(s, serial, &row), ESEAL_OK);
	ck_assert_int_eq(row.status, CERT_PENDING);
	store_cert_clear(&row);
	ck_assert_int_eq(audit_append(s, now, "test", "test.pending", serial,
	    "case"), ESEAL_OK);
	if (*(int *)arg)
		return eseal_err(ESEAL_EEXIST, "decided meanwhile");
	return ESEAL_OK;
}

START_TEST(test_on_pending_same_transaction)
{
	struct tu_ca f;
	struct issue_request req;
	struct issue_result res;
	struct csr *csr;
	int refuse = _i;
	int64_t n;

	setup(&f, "ec-p256");
	csr = make_csr(f.dir, "ec:P-256");
	make_req(&req, &f, csr, "test");
	req.on_pending = pending_hook;
	req.hook_arg = &refuse;
	pending_calls = 0;
	ck_assert_int_eq(issue_cert(&f.ca, &req, time(NULL), &res),
	    refuse ? ESEAL_EEXIST : ESEAL_OK);
	ck_assert_int_eq(pending_calls, 1);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_PENDING), 0);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_ISSUED),
	    refuse ? 0 : 1);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_FAILED), 0);
	/* issuer.create, test.pending, cert.issue / issuer.create. */
	ck_assert_int_eq(audit_verify(f.ca.store, &n), ESEAL_OK);
	ck_assert_int_eq(n, refuse ? 1 : 3);
	if (refuse)
		ck_assert_ptr_nonnull(strstr(eseal_errmsg(),
		    "decided meanwhile"));
	issue_result_clear(&res);
	csr_free(csr);
	teardown(&f);
}
END_TEST

/* A lint failure for the batch test: a version 1 certificate. */
static void
tamper_version(X509 *x)
{
	X509_set_version(x, X509_VERSION_1);
}

/*
 * issue_certs(): five requests, the third refused by lint.  The four others
 * are issued, each verifying under the CA and stored with its exact bytes
 * and its audit record, the refused one leaves no row, and the whole batch
 * took two flushes of the WAL (the pending rows, the issued ones), where
 * five issue_cert() calls take ten.
 */
START_TEST(test_issue_batch)
{
	struct tu_ca f;
	struct issue_request req[5];
	struct issue_result res[5];
	enum eseal_rc rcs[5];
	struct csr *csr[5];
	struct store_cert row;
	unsigned long flushes;
	X509 *x;
	int64_t n;

	setup(&f, "ec-p256");
	for (int i = 0; i < 5; i++) {
		csr[i] = make_csr(f.dir, "ec:P-256");
		make_req(&req[i], &f, csr[i], "batch");
	}
	req[2].test_tamper = tamper_version;
	flushes = store_flushes(f.ca.store);
	ck_assert_msg(issue_certs(&f.ca, req, 5, time(NULL), res, rcs) ==
	    ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_uint_eq(store_flushes(f.ca.store) - flushes, 2);
	for (int i = 0; i < 5; i++) {
		if (i == 2) {
			ck_assert_int_eq(rcs[i], ESEAL_EPOLICY);
			ck_assert_ptr_null(res[i].der);
			ck_assert_msg(strstr(res[i].why, "version") != NULL,
			    "%s", res[i].why);
			continue;
		}
		ck_assert_int_eq(rcs[i], ESEAL_OK);
		ck_assert_str_eq(res[i].why, "");
		x = der_to_x509(res[i].der, res[i].der_len);
		ck_assert_int_eq(X509_verify(x, f.issuer->pub), 1);
		X509_free(x);
		ck_assert_int_eq(store_cert_get(f.ca.store, res[i].serial, &row),
		    ESEAL_OK);
		ck_assert_int_eq(row.status, CERT_ISSUED);
		ck_assert_uint_eq(row.cert_len, res[i].der_len);
		ck_assert_int_eq(memcmp(row.cert, res[i].der, row.cert_len), 0);
		ck_assert_int_eq(memcmp(row.spki_sha256,
		    csr_pubkey_sha256(csr[i]), 32), 0);
		store_cert_clear(&row);
	}
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_ISSUED), 4);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_PENDING), 0);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_FAILED), 0);
	ck_assert_int_eq(audit_verify(f.ca.store, &n), ESEAL_OK);
	ck_assert_int_eq(n, 5);		/* issuer.create, 4 x cert.issue */
	/* One at a time, for the count of flushes beside it. */
	flushes = store_flushes(f.ca.store);
	issue_result_clear(&res[0]);
	req[0].csr = csr[2];
	req[0].test_tamper = NULL;
	ck_assert_int_eq(issue_cert(&f.ca, &req[0], time(NULL), &res[0]),
	    ESEAL_OK);
	ck_assert_uint_eq(store_flushes(f.ca.store) - flushes, 2);
	/* A hook has no place in a batch; nor has an empty one. */
	for (int i = 0; i < 5; i++)
		issue_result_clear(&res[i]);
	req[1].on_issued = hook;
	ck_assert_int_eq(issue_certs(&f.ca, req, 2, time(NULL), res, rcs),
	    ESEAL_OK);
	ck_assert_int_eq(rcs[1], ESEAL_EINVAL);
	ck_assert_int_ne(rcs[0], ESEAL_EINVAL);
	ck_assert_int_eq(issue_certs(&f.ca, req, 0, time(NULL), res, rcs),
	    ESEAL_EINVAL);
	for (int i = 0; i < 5; i++) {
		issue_result_clear(&res[i]);
		csr_free(csr[i]);
	}
	teardown(&f);
}
END_TEST

START_TEST(test_ca_certificate)
{
	struct tu_ca f;
	X509 *x;
	int crit = -1;
	BASIC_CONSTRAINTS *bc;

	setup(&f, "ec-p384");
	x = f.issuer->cert;
	ck_assert_int_eq(X509_check_issued(x, x), X509_V_OK);
	ck_assert_int_eq(X509_verify(x, f.issuer->pub), 1);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	ck_assert_ptr_nonnull(bc);
	ck_assert(bc->ca);
	ck_assert_int_eq(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	ck_assert_uint_eq(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	ck_assert_int_eq(X509_get_extension_flags(x) & EXFLAG_SS, EXFLAG_SS);
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(x));
	ck_assert_ptr_nonnull(X509_get0_authority_key_id(x));
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(x),
	    X509_get0_authority_key_id(x)), 0);
	ck_assert_int_eq(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
	teardown(&f);
}
END_TEST

START_TEST(test_pending_finished_at_next_open)
{
	struct tu_ca f;
	struct issue_request req;
	struct store_cert row;
	struct csr *csr;
	char serial[STORE_SERIAL_HEX_MAX];
	int fin, fl;
	X509 *x;

	setup(&f, "ec-p256");
	csr = make_csr(f.dir, "ec:P-256");
	memset(&req, 0, sizeof(req));
	req.profile = f.profile;
	req.org = &f.org;
	req.csr = csr;
	req.validity_days = 30;
	req.actor = "test";
	/* "Crash" after the row is recorded, before the HSM signs. */
	ck_assert_int_eq(issue_prepare(&f.ca, &req, time(NULL), serial),
	    ESEAL_OK);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_PENDING), 1);
	/* Next open: the process starts again and finishes it. */
	ca_close(&f.ca);
	ck_assert_int_eq(ca_open(f.conf, 1, &f.ca), ESEAL_OK);
	ck_assert_int_eq(issue_recover(&f.ca, time(NULL), &fin, &fl), ESEAL_OK);
	ck_assert_int_eq(fin, 1);
	ck_assert_int_eq(fl, 0);
	ck_assert_int_eq(store_cert_get(f.ca.store, serial, &row), ESEAL_OK);
	ck_assert_int_eq(row.status, CERT_ISSUED);
	x = der_to_x509(row.cert, row.cert_len);
	ck_assert_int_eq(X509_verify(x, f.issuer->pub), 1);
	X509_free(x);
	store_cert_clear(&row);
	ck_assert_int_eq(issue_recover(&f.ca, time(NULL), &fin, &fl), ESEAL_OK);
	ck_assert_int_eq(fin + fl, 0);
	csr_free(csr);
	teardown(&f);
}
END_TEST

START_TEST(test_pending_with_bad_tbs_is_failed)
{
	struct tu_ca f;
	struct store_cert c, row;
	static unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	int fin, fl;

	setup(&f, "ec-p256");
	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "11");
	c.issuer_id = f.issuer->rec.id;
	c.tbs = junk;
	c.tbs_len = sizeof(junk);
	c.subject = (char *)"/CN=x";
	ck_assert_int_eq(store_cert_insert_pending(f.ca.store, &c, 1), ESEAL_OK);
	ck_assert_int_eq(issue_recover(&f.ca, time(NULL), &fin, &fl), ESEAL_OK);
	ck_assert_int_eq(fin, 0);
	ck_assert_int_eq(fl, 1);
	ck_assert_int_eq(store_cert_get(f.ca.store, "11", &row), ESEAL_OK);
	ck_assert_int_eq(row.status, CERT_FAILED);
	ck_assert_ptr_nonnull(row.fail_reason);
	store_cert_clear(&row);
	teardown(&f);
}
END_TEST

START_TEST(test_validity_capped_by_ca)
{
	struct tu_ca f;
	struct issue_request req;
	struct issue_result res;
	struct csr *csr;
	X509 *x;

	setup(&f, "ec-p256");
	csr = make_csr(f.dir, "ec:P-256");
	memset(&req, 0, sizeof(req));
	req.profile = f.profile;
	req.org = &f.org;
	req.csr = csr;
	req.validity_days = 365 * 20;	/* longer than the CA's 10 years */
	f.profile->max_validity_days = 365 * 30;
	req.actor = "test";
	ck_assert_msg(issue_cert(&f.ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	x = der_to_x509(res.der, res.der_len);
	ck_assert_int_eq(ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(f.issuer->cert)), 0);
	X509_free(x);
	issue_result_clear(&res);
	csr_free(csr);
	teardown(&f);
}
END_TEST

static int
sign_req_cb(EVP_PKEY *key, void *arg)
{
	return X509_REQ_sign(arg, key, EVP_sha256()) > 0;
}

/* A CSR whose key is the issuer's own (signed by the HSM) is refused. */
START_TEST(test_csr_with_issuer_key_refused)
{
	struct tu_ca f;
	struct issue_request req;
	struct issue_result res;
	struct csr *csr = NULL;
	unsigned char *der = NULL;
	unsigned long uses;
	X509_REQ *xr;
	int len;

	setup(&f, "ec-p256");
	xr = X509_REQ_new();
	ck_assert_ptr_nonnull(xr);
	ck_assert(X509_REQ_set_pubkey(xr, f.issuer->pub));
	ck_assert_int_eq(p11_with_key(f.ca.token, f.issuer->rec.key_id,
	    f.issuer->rec.key_id_len, sign_req_cb, xr), ESEAL_OK);
	len = i2d_X509_REQ(xr, &der);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(csr_parse(der, (size_t)len, &csr), ESEAL_OK);
	memset(&req, 0, sizeof(req));
	req.profile = f.profile;
	req.org = &f.org;
	req.csr = csr;
	req.actor = "test";
	uses = p11_key_uses(f.ca.token);
	ck_assert_int_eq(issue_cert(&f.ca, &req, time(NULL), &res),
	    ESEAL_EPOLICY);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "issuer key"));
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_PENDING) +
	    store_cert_count(f.ca.store, CERT_ISSUED), 0);
	OPENSSL_free(der);
	X509_REQ_free(xr);
	csr_free(csr);
	teardown(&f);
}
END_TEST


struct audit_find {
	const char	*action, *object;
	char		 actor[64], detail[512];
	int		 n;
};

static int
find_audit(const struct store_audit *a, void *arg)
{
	struct audit_find *f = arg;

	if (strcmp(a->action, f->action) == 0 &&
	    strcmp(a->object, f->object) == 0) {
		f->n++;
		snprintf(f->actor, sizeof(f->actor), "%s", a->actor);
		snprintf(f->detail, sizeof(f->detail), "%s", a->detail);
	}
	return 0;
}

/*
 * A recorded TBS that gained a byte is never signed: the row fails naming
 * the trailing byte, with its cert.fail audit record in the same step.
 */
START_TEST(test_pending_tbs_trailing_byte_failed)
{
	struct tu_ca f;
	struct issue_request req;
	struct store_cert row;
	struct audit_find af;
	char serial[STORE_SERIAL_HEX_MAX];
	unsigned long uses;
	int64_t nrec;
	int fin, fl;

	setup(&f, "ec-p256");
	memset(&req, 0, sizeof(req));
	req.profile = f.profile;
	req.org = &f.org;
	req.csr = f.csr;
	req.validity_days = 30;
	req.actor = "test";
	ck_assert_int_eq(issue_prepare(&f.ca, &req, time(NULL), serial),
	    ESEAL_OK);
	{
		sqlite3 *db;
		char stmt[256];

		snprintf(stmt, sizeof(stmt), "UPDATE certificates SET tbs = "
		    "CAST(tbs || x'00' AS BLOB) WHERE serial = '%s'", serial);
		ck_assert_int_eq(sqlite3_open(f.conf->store_path, &db),
		    SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(db, stmt, NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
	}
	uses = p11_key_uses(f.ca.token);
	ck_assert_int_eq(issue_recover(&f.ca, time(NULL), &fin, &fl), ESEAL_OK);
	ck_assert_int_eq(fin, 0);
	ck_assert_int_eq(fl, 1);
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses);	/* not signed */
	ck_assert_int_eq(store_cert_get(f.ca.store, serial, &row), ESEAL_OK);
	ck_assert_int_eq(row.status, CERT_FAILED);
	ck_assert_ptr_null(row.cert);
	ck_assert_str_eq(row.fail_reason, "issuer: RFC 5280 4.1: 1 trailing "
	    "bytes after the TBS");
	memset(&af, 0, sizeof(af));
	af.action = "cert.fail";
	af.object = serial;
	ck_assert_int_eq(store_audit_each(f.ca.store, find_audit, &af),
	    ESEAL_OK);
	ck_assert_int_eq(af.n, 1);
	ck_assert_str_eq(af.actor, "recovery");
	ck_assert_str_eq(af.detail, row.fail_reason);
	ck_assert_int_eq(audit_verify(f.ca.store, &nrec), ESEAL_OK);
	store_cert_clear(&row);
	teardown(&f);
}
END_TEST

/*
 * issuer_sign checks the signature over the recorded TBS bytes with the
 * public key it is given: a signature the key does not verify (here: the
 * HSM key is not the one given) is refused and nothing is handed out, as
 * is a TBS whose signature algorithm is not the certificate's.
 */
START_TEST(test_issuer_sign_refuses_bad_signature)
{
	struct tu_ca f;
	struct issue_request req;
	struct store_cert row;
	char serial[STORE_SERIAL_HEX_MAX];
	unsigned char *der = NULL;
	size_t der_len = 0;
	EVP_PKEY *other;
	X509 *x;

	setup(&f, "ec-p256");
	memset(&req, 0, sizeof(req));
	req.profile = f.profile;
	req.org = &f.org;
	req.csr = f.csr;
	req.validity_days = 30;
	req.actor = "test";
	ck_assert_int_eq(issue_prepare(&f.ca, &req, time(NULL), serial),
	    ESEAL_OK);
	ck_assert_int_eq(store_cert_get(f.ca.store, serial, &row), ESEAL_OK);
	ck_assert_ptr_nonnull(row.tbs);

	/* Another P-256 key: the HSM's signature does not verify with it. */
	other = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(issuer_sign(&f.ca, f.issuer->rec.key_id,
	    f.issuer->rec.key_id_len, other, row.tbs, row.tbs_len, &der,
	    &der_len), ESEAL_EINTERNAL);
	ck_assert_str_eq(eseal_errmsg(), "issuer: RFC 5280 6.1.3: the HSM's "
	    "signature does not verify with the issuer public key");
	ck_assert_ptr_null(der);
	ck_assert_uint_eq(der_len, 0);
	EVP_PKEY_free(other);

	/* An RSA key: the certificate's algorithm is not the TBS's. */
	other = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(issuer_sign(&f.ca, f.issuer->rec.key_id,
	    f.issuer->rec.key_id_len, other, row.tbs, row.tbs_len, &der,
	    &der_len), ESEAL_EINTERNAL);
	ck_assert_str_eq(eseal_errmsg(), "issuer: RFC 5280 4.1.1.2: the "
	    "TBS's signature algorithm is not the certificate's");
	ck_assert_ptr_null(der);
	EVP_PKEY_free(other);

	/* The issuer's own key: a certificate whose TBS is the recorded one. */
	ck_assert_int_eq(issuer_sign(&f.ca, f.issuer->rec.key_id,
	    f.issuer->rec.key_id_len, f.issuer->pub, row.tbs, row.tbs_len,
	    &der, &der_len), ESEAL_OK);
	x = der_to_x509(der, der_len);
	ck_assert_int_eq(X509_verify(x, f.issuer->pub), 1);
	{
		unsigned char *tbs = NULL;
		int n = i2d_re_X509_tbs(x, &tbs);

		ck_assert_int_eq(n, (int)row.tbs_len);
		ck_assert_int_eq(memcmp(tbs, row.tbs, row.tbs_len), 0);
		OPENSSL_free(tbs);
	}
	X509_free(x);
	OPENSSL_free(der);
	store_cert_clear(&row);
	teardown(&f);
}
END_TEST

/* Signs "message" on the HSM; corrupts the signature if arg->corrupt. */
struct fault {
	unsigned char	sig[1024];
	size_t		len;
	int		corrupt;
};

static int
fault_sign(EVP_MD_CTX *mctx, void *arg)
{
	struct fault *f = arg;

	f->len = sizeof(f->sig);
	if (EVP_DigestSign(mctx, f->sig, &f->len,
	    (const unsigned char *)"message", 7) != 1)
		return 0;
	if (f->corrupt)
		f->sig[f->len / 2] ^= 0x01;
	return 1;
}

static int
fault_verify(EVP_PKEY *pub, void *arg)
{
	struct fault *f = arg;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int v;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(EVP_DigestVerifyInit(m, NULL, issuer_md(pub), NULL,
	    pub), 1);
	v = EVP_DigestVerify(m, f->sig, f->len,
	    (const unsigned char *)"message", 7) == 1;
	EVP_MD_CTX_free(m);
	return v;
}

START_TEST(test_sign_catches_hsm_fault)
{
	struct tu_ca f;
	struct fault fa;
	struct sign_op op = { fault_sign, fault_verify, &fa, "test",
	    "RFC 5280 6.1.3", "issuer" };
	struct p11_token *token;

	setup(&f, _i == 0 ? "ec-p256" : "rsa-3072");
	memset(&fa, 0, sizeof(fa));
	ck_assert_int_eq(sign_verified(&f.ca, f.issuer->rec.key_id,
	    f.issuer->rec.key_id_len, f.issuer->pub, &op), ESEAL_OK);
	ck_assert_uint_gt(fa.len, 0);
	/* The HSM returns a wrong signature: caught, named, refused. */
	fa.corrupt = 1;
	ck_assert_int_eq(sign_verified(&f.ca, f.issuer->rec.key_id,
	    f.issuer->rec.key_id_len, f.issuer->pub, &op), ESEAL_EINTERNAL);
	ck_assert_str_eq(eseal_errmsg(), "test: RFC 5280 6.1.3: the HSM's "
	    "signature does not verify with the issuer public key");
	/* No token: the HSM is unavailable, nothing is signed. */
	token = f.ca.token;
	f.ca.token = NULL;
	ck_assert_int_eq(sign_verified(&f.ca, f.issuer->rec.key_id,
	    f.issuer->rec.key_id_len, f.issuer->pub, &op), ESEAL_EHSM);
	f.ca.token = token;
	teardown(&f);
}
END_TEST


/* Replaces an issuer's stored CA certificate, behind the CA's back. */
static void
set_cert(const char *path, int64_t id, const unsigned char *der, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE issuers SET cert = ? "
	    "WHERE id = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, der, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	ck_assert_int_eq(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static int
count_issuer(const struct issuer *is, void *arg)
{
	(*(int *)arg) += is->cert != NULL && is->pub != NULL;
	return 0;
}

START_TEST(test_issuer_cache_parses_once)
{
	struct tu_ca f;
	struct ca other;
	struct issuer *a, *b, *c, *d;

	setup(&f, "ec-p256");
	ck_assert_int_eq(issuer_by_id(&f.ca, f.issuer->rec.id, &a), ESEAL_OK);
	ck_assert_int_eq(issuer_current(&f.ca, &b), ESEAL_OK);
	/* Parsed once: the same certificate object, each caller its copy. */
	ck_assert_ptr_eq(a->cert, b->cert);
	ck_assert_ptr_eq(a->cert, f.issuer->cert);
	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_ne(a->rec.cert, b->rec.cert);
	ck_assert_int_eq(memcmp(a->rec.cert, b->rec.cert, a->rec.cert_len), 0);
	issuer_free(b);
	/* A new issuer: all read again; the new one issues now. */
	c = tu_ca_issuer(&f, "next-ca", "ec-p256", "Next CA", 3650, 1,
	    time(NULL));
	ck_assert_int_eq(issuer_current(&f.ca, &b), ESEAL_OK);
	ck_assert_str_eq(b->rec.name, "next-ca");
	ck_assert_ptr_eq(b->cert, c->cert);
	issuer_free(b);
	ck_assert_int_eq(issuer_by_id(&f.ca, f.issuer->rec.id, &b), ESEAL_OK);
	ck_assert_ptr_ne(b->cert, a->cert);
	ck_assert_int_eq(X509_cmp(b->cert, a->cert), 0);
	issuer_free(b);
	/* Another process adds one: seen at the next lookup. */
	ck_assert_int_eq(ca_open(f.conf, 1, &other), ESEAL_OK);
	{
		struct issuer_params ip;
		struct org subj;

		memset(&subj, 0, sizeof(subj));
		snprintf(subj.country, sizeof(subj.country), "JP");
		snprintf(subj.name, sizeof(subj.name), "Other Co.");
		snprintf(subj.common_name, sizeof(subj.common_name), "Other CA");
		memset(&ip, 0, sizeof(ip));
		ip.name = "other-ca";
		ip.key_type = KEY_EC_P256;
		ip.subject = &subj;
		ip.validity_days = 365;
		ip.crl_shards = 1;
		ck_assert_int_eq(issuer_create(&other, &ip, time(NULL), "test",
		    NULL), ESEAL_OK);
	}
	ca_close(&other);
	ck_assert_int_eq(issuer_by_name(&f.ca, "other-ca", &d), ESEAL_OK);
	ck_assert_str_eq(d->rec.name, "other-ca");
	issuer_free(d);
	ck_assert_int_eq(issuer_by_name(&f.ca, "nobody", &d), ESEAL_ENOTFOUND);
	ck_assert_ptr_null(d);
	/* Copies outlive the cache they came from. */
	ca_close(&f.ca);
	ck_assert_int_eq(X509_verify(a->cert, a->pub), 1);
	ck_assert_int_eq(ca_open(f.conf, 1, &f.ca), ESEAL_OK);
	issuer_free(a);
	issuer_free(c);
	teardown(&f);
}
END_TEST

START_TEST(test_issuer_cert_trailing_bytes_refused)
{
	struct tu_ca f;
	struct issuer *is = NULL;
	unsigned char *more;
	size_t len;
	int n = 0;

	setup(&f, "ec-p256");
	len = f.issuer->rec.cert_len;
	more = malloc(len + 1);
	ck_assert_ptr_nonnull(more);
	memcpy(more, f.issuer->rec.cert, len);
	more[len] = 0;
	set_cert(f.conf->store_path, f.issuer->rec.id, more, len + 1);
	ck_assert_int_eq(issuer_by_id(&f.ca, f.issuer->rec.id, &is),
	    ESEAL_ESTORE);
	ck_assert_ptr_null(is);
	ck_assert_str_eq(eseal_errmsg(), "issuer: RFC 5280 4.1: the stored CA "
	    "certificate of \"test-ca\" has 1 trailing bytes");
	ck_assert_int_eq(issuer_current(&f.ca, &is), ESEAL_ESTORE);
	ck_assert_int_eq(issuer_each(&f.ca, count_issuer, &n), ESEAL_ESTORE);
	ck_assert_int_eq(n, 0);
	/* Refused certificates are no issuer key to compare with. */
	ck_assert_int_eq(issuer_key_in_use(&f.ca, f.issuer->pub), 0);
	/* Repaired: accepted again at the next lookup. */
	set_cert(f.conf->store_path, f.issuer->rec.id, f.issuer->rec.cert, len);
	ck_assert_int_eq(issuer_current(&f.ca, &is), ESEAL_OK);
	ck_assert_int_eq(X509_cmp(is->cert, f.issuer->cert), 0);
	issuer_free(is);
	ck_assert_int_eq(issuer_key_in_use(&f.ca, f.issuer->pub), 1);
	free(more);
	teardown(&f);
}
END_TEST

struct reader {
	struct ca	*ca;
	int64_t		 id;
	int		 bad;
};

static void *
read_issuers(void *arg)
{
	struct reader *r = arg;
	struct issuer *is;
	int n;

	for (int i = 0; i < 300; i++) {
		n = 0;
		if (issuer_by_id(r->ca, r->id, &is) != ESEAL_OK ||
		    X509_verify(is->cert, is->pub) != 1 ||
		    issuer_each(r->ca, count_issuer, &n) != ESEAL_OK || n < 1)
			r->bad++;
		issuer_free(is);
	}
	return NULL;
}

START_TEST(test_issuer_cache_threads)
{
	struct tu_ca f;
	struct reader r[4];
	pthread_t t[4];
	struct issuer *is;
	char name[32];

	setup(&f, "ec-p256");
	for (int i = 0; i < 4; i++) {
		r[i].ca = &f.ca;
		r[i].id = f.issuer->rec.id;
		r[i].bad = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, read_issuers, &r[i]),
		    0);
	}
	/* Issuers added meanwhile: the cache is refreshed under the readers. */
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "ca-%d", i);
		is = tu_ca_issuer(&f, name, "ec-p256", "Threaded CA", 365, 1,
		    time(NULL));
		issuer_free(is);
	}
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(r[i].bad, 0);
	}
	teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("issue");
	TCase *tc = tcase_create("issue");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_issue_verifies, 0,
	    sizeof(pairs) / sizeof(pairs[0]));
	tcase_add_test(tc, test_ca_certificate);
	tcase_add_loop_test(tc, test_on_issued_same_transaction, 0, 3);
	tcase_add_loop_test(tc, test_on_pending_same_transaction, 0, 2);
	tcase_add_test(tc, test_issue_batch);
	tcase_add_test(tc, test_pending_finished_at_next_open);
	tcase_add_test(tc, test_pending_with_bad_tbs_is_failed);
	tcase_add_test(tc, test_pending_tbs_trailing_byte_failed);
	tcase_add_test(tc, test_validity_capped_by_ca);
	tcase_add_test(tc, test_csr_with_issuer_key_refused);
	tcase_add_loop_test(tc, test_sign_catches_hsm_fault, 0, 2);
	tcase_add_test(tc, test_issuer_sign_refuses_bad_signature);
	tcase_add_test(tc, test_issuer_cache_parses_once);
	tcase_add_test(tc, test_issuer_cert_trailing_bytes_refused);
	tcase_add_test(tc, test_issuer_cache_threads);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
