/*
 * test_rotate.c: the issuer key lifecycle of rotate.h: a self-signed
 * rotation and its link certificates, a rotation that fails half-way
 * leaving nothing recorded, the refusals made before anything, the
 * external-root shape's pending issuer, retiring and the automatic move
 * from retiring to retired once the last certificate has expired.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "issue.h"
#include "issuer.h"
#include "rotate.h"
#include "store_revoke.h"
#include "testutil.h"

static struct crl_params crlp;

static void
setup(struct tu_ca *f)
{
	tu_ca_setup(f, "rotate", "ec-p256", 1);
	memset(&crlp, 0, sizeof(crlp));
	crlp.url_template = f->profile->crl_url;
	crlp.base_url = f->conf->publish_base_url;
	crlp.actor = "rotate-test";
}

static void
req_init(struct tu_ca *f, struct rotate_req *rq, const char *name)
{
	memset(rq, 0, sizeof(*rq));
	rq->name = name;
	rq->key_type = -1;
	rq->profile = f->profile;
	rq->base_url = f->conf->publish_base_url;
}

/* One integer from SQL on the fixture's store, read as a relying tool. */
static long long
sql_int(struct tu_ca *f, const char *q)
{
	char path[1024];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/eseal.db", f->dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
sql_exec(struct tu_ca *f, const char *q)
{
	char path[1024];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/eseal.db", f->dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, q, NULL, NULL, NULL) == SQLITE_OK, "%s",
	    sqlite3_errmsg(db));
	sqlite3_close(db);
}

static const char *
status_of(struct tu_ca *f, const char *name, char buf[16])
{
	struct store_issuer rec;

	ck_assert_int_eq(store_issuer_by_name(f->ca.store, name, &rec),
	    ESEAL_OK);
	snprintf(buf, 16, "%s", rec.status);
	store_issuer_clear(&rec);
	return buf;
}

/* The link certificate with that serial, parsed. */
static X509 *
link_cert(struct tu_ca *f, const char *serial)
{
	struct store_issuer_link *l;
	const unsigned char *p;
	X509 *x = NULL;
	size_t n;

	ck_assert_int_eq(store_issuer_links(f->ca.store, &l, &n), ESEAL_OK);
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].serial, serial) == 0) {
			p = l[i].cert;
			x = d2i_X509(NULL, &p, (long)l[i].cert_len);
		}
	store_issuer_links_free(l, n);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* The URI of x's first CRL distribution point. */
static void
crl_dp(X509 *x, char *buf, size_t len)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points,
	    NULL, NULL);
	GENERAL_NAME *gn;

	ck_assert_ptr_nonnull(dps);
	gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->distpoint->
	    name.fullname, 0);
	snprintf(buf, len, "%s", (const char *)ASN1_STRING_get0_data(
	    gn->d.uniformResourceIdentifier));
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
}

START_TEST(test_self_signed)
{
	struct tu_ca f;
	struct rotate_req rq;
	struct rotate_result res;
	struct issuer *cur, *old;
	char st[16], dp[256], want[CONF_STR_MAX + 32];
	X509 *l1, *l2;

	setup(&f);
	req_init(&f, &rq, "ca-2");
	rq.key_type = KEY_EC_P384;
	ck_assert_msg(rotate_issuer(&f.ca, &rq, "tester", time(NULL), &res) ==
	    ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_str_eq(res.old_name, "test-ca");
	ck_assert_str_eq(status_of(&f, "test-ca", st), "retiring");
	ck_assert_str_eq(status_of(&f, "ca-2", st), "active");
	ck_assert_int_eq(issuer_current(&f.ca, &cur), ESEAL_OK);
	ck_assert_str_eq(cur->rec.name, "ca-2");
	ck_assert_str_eq(cur->rec.key_type, "ec-p384");
	ck_assert_int_eq(EVP_PKEY_get_bits(cur->pub), 384);
	ck_assert_int_eq(issuer_by_name(&f.ca, "test-ca", &old), ESEAL_OK);
	/* Old key certifies the new one, with the old issuer's CRL DP. */
	l1 = link_cert(&f, res.link_by_old);
	ck_assert_int_eq(X509_verify(l1, old->pub), 1);
	ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(l1), cur->pub), 1);
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(l1),
	    X509_get0_subject_key_id(cur->cert)), 0);
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(l1),
	    X509_get0_subject_key_id(old->cert)), 0);
	ck_assert_int_eq(X509_check_ca(l1), 1);
	crl_dp(l1, dp, sizeof(dp));
	snprintf(want, sizeof(want), "%s/crl/test-ca/", f.conf->publish_base_url);
	ck_assert_msg(strncmp(dp, want, strlen(want)) == 0, "%s", dp);
	/* New key certifies the old one, with the new issuer's CRL DP. */
	l2 = link_cert(&f, res.link_by_new);
	ck_assert_int_eq(X509_verify(l2, cur->pub), 1);
	ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(l2), old->pub), 1);
	crl_dp(l2, dp, sizeof(dp));
	snprintf(want, sizeof(want), "%s/crl/ca-2/", f.conf->publish_base_url);
	ck_assert_msg(strncmp(dp, want, strlen(want)) == 0, "%s", dp);
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM audit WHERE action "
	    "= 'issuer.rotate' AND actor = 'tester' AND object = 'ca-2'"), 1);
	X509_free(l1);
	X509_free(l2);
	issuer_free(cur);
	issuer_free(old);
	tu_ca_teardown(&f);
}
END_TEST

/* A failure after the key and certificates were made: nothing recorded. */
START_TEST(test_failure_leaves_nothing)
{
	struct tu_ca f;
	struct rotate_req rq;
	struct issuer *cur;
	char st[16];
	long long audits;

	setup(&f);
	audits = sql_int(&f, "SELECT COUNT(*) FROM audit");
	/* The store refuses the second link inside the transaction. */
	sql_exec(&f, "CREATE TRIGGER fail_link BEFORE INSERT ON issuer_links "
	    "WHEN (SELECT COUNT(*) FROM issuer_links) >= 1 BEGIN SELECT "
	    "RAISE(ABORT, 'injected failure'); END");
	req_init(&f, &rq, "ca-2");
	ck_assert_int_ne(rotate_issuer(&f.ca, &rq, "tester", time(NULL), NULL),
	    ESEAL_OK);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "injected failure"));
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM issuers"), 1);
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM issuer_links"), 0);
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM audit"), audits);
	ck_assert_str_eq(status_of(&f, "test-ca", st), "active");
	ck_assert_int_eq(issuer_current(&f.ca, &cur), ESEAL_OK);
	ck_assert_str_eq(cur->rec.name, "test-ca");
	issuer_free(cur);
	/* The name is free: the same rotation goes through once it can. */
	sql_exec(&f, "DROP TRIGGER fail_link");
	ck_assert_msg(rotate_issuer(&f.ca, &rq, "tester", time(NULL), NULL) ==
	    ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM issuer_links"), 2);
	ck_assert_str_eq(status_of(&f, "ca-2", st), "active");
	tu_ca_teardown(&f);
}
END_TEST

/* Refused before anything is made. */
START_TEST(test_refusals)
{
	struct tu_ca f;
	struct rotate_req rq;

	setup(&f);
	req_init(&f, &rq, "Bad_Name");
	ck_assert_int_eq(rotate_issuer(&f.ca, &rq, "t", time(NULL), NULL),
	    ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "a-z, 0-9 and '-'"));
	req_init(&f, &rq, "test-ca");
	ck_assert_int_eq(rotate_issuer(&f.ca, &rq, "t", time(NULL), NULL),
	    ESEAL_EEXIST);
	req_init(&f, &rq, "ca-2");
	rq.token = "osaka-9";
	ck_assert_int_eq(rotate_issuer(&f.ca, &rq, "t", time(NULL), NULL),
	    ESEAL_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "no token \"osaka-9\""));
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM issuers"), 1);
	tu_ca_teardown(&f);
}
END_TEST

/* External-root shape: the CSR, the pending row nobody else sees. */
START_TEST(test_pending)
{
	struct tu_ca f;
	struct rotate_req rq;
	struct issuer *cur;
	struct store_issuer *v;
	char path[1024], st[16];
	X509_REQ *req;
	EVP_PKEY *pub;
	FILE *fp;
	size_t n;

	setup(&f);
	snprintf(path, sizeof(path), "%s/new.csr", f.dir);
	req_init(&f, &rq, "ext-1");
	rq.csr_out = path;
	ck_assert_msg(rotate_issuer(&f.ca, &rq, "t", time(NULL), NULL) ==
	    ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	ck_assert_ptr_nonnull(req = PEM_read_X509_REQ(fp, NULL, NULL, NULL));
	fclose(fp);
	ck_assert_ptr_nonnull(pub = X509_REQ_get0_pubkey(req));
	ck_assert_int_eq(X509_REQ_verify(req, pub), 1);
	X509_REQ_free(req);
	ck_assert_str_eq(status_of(&f, "ext-1", st), "pending");
	ck_assert_int_eq(issuer_current(&f.ca, &cur), ESEAL_OK);
	ck_assert_str_eq(cur->rec.name, "test-ca");	/* still issues */
	issuer_free(cur);
	ck_assert_int_eq(issuer_by_name(&f.ca, "ext-1", &cur), ESEAL_ENOTFOUND);
	ck_assert_int_eq(store_issuer_list(f.ca.store, &v, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 1);
	store_issuer_list_free(v, n);
	ck_assert_int_eq(store_issuer_list_all(f.ca.store, &v, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 2);
	store_issuer_list_free(v, n);
	/* Not a certificate, and the active issuer's own: both refused. */
	ck_assert_int_eq(rotate_import_cert(&f.ca, "ext-1",
	    (const unsigned char *)"junk", 4, NULL, "t", time(NULL)),
	    ESEAL_EINVAL);
	ck_assert_int_eq(rotate_import_cert(&f.ca, "ext-1", f.issuer->rec.cert,
	    f.issuer->rec.cert_len, NULL, "t", time(NULL)), ESEAL_EPOLICY);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "for another key"));
	/* Hostile files: a byte after the DER, cut short, empty, PEM junk. */
	{
		size_t len = f.issuer->rec.cert_len;
		unsigned char *b = malloc(len + 1);
		static const char pem[] = "-----BEGIN CERTIFICATE-----\n"
		    "!!!!\n-----END CERTIFICATE-----\n";

		memcpy(b, f.issuer->rec.cert, len);
		b[len] = 0;
		ck_assert_int_eq(rotate_import_cert(&f.ca, "ext-1", b, len + 1,
		    NULL, "t", time(NULL)), ESEAL_EINVAL);
		ck_assert_int_eq(rotate_import_cert(&f.ca, "ext-1", b, len / 2,
		    NULL, "t", time(NULL)), ESEAL_EINVAL);
		ck_assert_int_eq(rotate_import_cert(&f.ca, "ext-1", b, 0, NULL,
		    "t", time(NULL)), ESEAL_EINVAL);
		ck_assert_int_eq(rotate_import_cert(&f.ca, "ext-1",
		    (const unsigned char *)pem, sizeof(pem) - 1, NULL, "t",
		    time(NULL)), ESEAL_EINVAL);
		ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 5280 4.1"));
		free(b);
	}
	/* Only a pending issuer takes a certificate. */
	ck_assert_int_eq(rotate_import_cert(&f.ca, "test-ca", f.issuer->rec.cert,
	    f.issuer->rec.cert_len, NULL, "t", time(NULL)), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "is active, not pending"));
	ck_assert_int_eq(rotate_import_cert(&f.ca, "nobody", f.issuer->rec.cert,
	    f.issuer->rec.cert_len, NULL, "t", time(NULL)), ESEAL_ENOTFOUND);
	ck_assert_str_eq(status_of(&f, "ext-1", st), "pending");
	/* A failed --csr-out: nothing recorded, no file. */
	req_init(&f, &rq, "ext-2");
	snprintf(path, sizeof(path), "%s/no/such/dir/x.csr", f.dir);
	rq.csr_out = path;
	ck_assert_int_ne(rotate_issuer(&f.ca, &rq, "t", time(NULL), NULL),
	    ESEAL_OK);
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM issuers WHERE "
	    "name = 'ext-2'"), 0);
	tu_ca_teardown(&f);
}
END_TEST

static void
issue_one(struct tu_ca *f, int days)
{
	struct issue_request req;
	struct issue_result res;

	memset(&req, 0, sizeof(req));
	req.profile = f->profile;
	req.org = &f->org;
	req.csr = f->csr;
	req.validity_days = days;
	req.actor = "test";
	ck_assert_msg(issue_cert(&f->ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	issue_result_clear(&res);
}

/* Retiring to retired: by hand (refused, forced), and by itself. */
START_TEST(test_retire)
{
	struct tu_ca f;
	struct rotate_req rq;
	struct store_crl crl;
	time_t now = time(NULL);
	char st[16];
	int n;

	setup(&f);
	issue_one(&f, 2);
	req_init(&f, &rq, "ca-2");
	ck_assert_int_eq(rotate_issuer(&f.ca, &rq, "t", now, NULL), ESEAL_OK);
	/* The active issuer never retires. */
	ck_assert_int_eq(rotate_retire(&f.ca, "ca-2", 1, "x", &crlp, "t", now),
	    ESEAL_EINVAL);
	/* Still covering one certificate: refused without --force. */
	ck_assert_int_eq(rotate_retire(&f.ca, "test-ca", 0, NULL, &crlp, "t",
	    now), ESEAL_EPOLICY);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "still covers 1 "));
	ck_assert_int_eq(rotate_retire(&f.ca, "test-ca", 1, "", &crlp, "t",
	    now), ESEAL_EINVAL);
	/* Automatic: not while the certificate is valid ... */
	ck_assert_int_eq(rotate_retire_expired(&f.ca, &crlp, now, &n), ESEAL_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(status_of(&f, "test-ca", st), "retiring");
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM crls c JOIN "
	    "issuers i ON i.id = c.issuer_id WHERE i.name = 'test-ca'"), 0);
	/* ... but once it has expired: a final CRL, then retired. */
	ck_assert_msg(rotate_retire_expired(&f.ca, &crlp, now + 3 * 86400, &n)
	    == ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(status_of(&f, "test-ca", st), "retired");
	ck_assert_str_eq(status_of(&f, "ca-2", st), "active");
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &crl), ESEAL_OK);
	ck_assert_int_eq(crl.this_update, now + 3 * 86400);
	store_crl_clear(&crl);
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM audit WHERE action "
	    "= 'issuer.retire' AND actor = 'eseald' AND object = 'test-ca'"), 1);
	/* Done once: nothing more to retire. */
	ck_assert_int_eq(rotate_retire_expired(&f.ca, &crlp, now + 4 * 86400,
	    &n), ESEAL_OK);
	ck_assert_int_eq(n, 0);
	tu_ca_teardown(&f);
}
END_TEST

/* A forced retirement keeps its reason. */
START_TEST(test_retire_forced)
{
	struct tu_ca f;
	struct rotate_req rq;
	char st[16];

	setup(&f);
	issue_one(&f, 30);
	req_init(&f, &rq, "ca-2");
	ck_assert_int_eq(rotate_issuer(&f.ca, &rq, "t", time(NULL), NULL),
	    ESEAL_OK);
	ck_assert_msg(rotate_retire(&f.ca, "test-ca", 1, "key ceremony 7",
	    &crlp, "officer", time(NULL)) == ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_str_eq(status_of(&f, "test-ca", st), "retired");
	ck_assert_int_eq(sql_int(&f, "SELECT COUNT(*) FROM audit WHERE action "
	    "= 'issuer.retire' AND actor = 'officer' AND detail LIKE "
	    "'forced=1 unexpired_unrevoked=1 %reason=\"key ceremony 7\"'"), 1);
	ck_assert_int_eq(rotate_retire(&f.ca, "test-ca", 1, "again", &crlp,
	    "officer", time(NULL)), ESEAL_EINVAL);
	tu_ca_teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rotate");
	TCase *tc = tcase_create("rotate");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_self_signed);
	tcase_add_test(tc, test_failure_leaves_nothing);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_pending);
	tcase_add_test(tc, test_retire);
	tcase_add_test(tc, test_retire_forced);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
