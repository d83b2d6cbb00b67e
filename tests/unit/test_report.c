/*
 * test_report.c: the read-only views of the console's routes
 * (store_report.h) on a SoftHSM-backed CA: organisations with their
 * counts, the certificate search (serial prefix; organisation by
 * identifier, id or a piece of the name, LIKE wildcards literal), the
 * counts before and after a revocation, issuance per day, and the CRL of
 * every shard.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issue.h"
#include "org.h"
#include "revoke.h"
#include "store_report.h"
#include "testutil.h"

static void
jp_org(struct org_rec *o, const char *number, const char *name)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->country, sizeof(o->country), "JP");
	snprintf(o->corporate_number, sizeof(o->corporate_number), "%s",
	    number);
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->evidence, sizeof(o->evidence), "RA-2026-0001");
}

static void
issue(struct tu_ca *f, char serial[STORE_SERIAL_HEX_MAX])
{
	struct issue_request req;
	struct issue_result res;

	memset(&req, 0, sizeof(req));
	req.profile = f->profile;
	req.org = &f->org;
	req.csr = f->csr;
	req.validity_days = 365;
	req.actor = "test";
	ck_assert_msg(issue_cert(&f->ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	memcpy(serial, res.serial, STORE_SERIAL_HEX_MAX);
	issue_result_clear(&res);
}

/* The number of certificates the search finds. */
static size_t
found(struct tu_ca *f, const char *serial, const char *org,
    struct report_cert *first)
{
	struct report_cert *v = NULL;
	size_t n = 0;

	ck_assert_int_eq(store_report_certs(f->ca.store, serial, org, 0, &v,
	    &n), ESEAL_OK);
	if (n > 0 && first != NULL)
		*first = v[0];
	free(v);
	return n;
}

START_TEST(test_orgs_and_search)
{
	struct tu_ca f;
	struct org_rec a, b;
	struct report_org *o = NULL;
	struct report_cert c;
	char serial[STORE_SERIAL_HEX_MAX], pre[8];
	size_t n = 0;

	tu_ca_setup(&f, "report", "ec-p256", 2);
	jp_org(&a, "7123456789012", "株式会社テスト");
	ck_assert_int_eq(org_register(f.ca.store, &a, 1000, "ra-alice"),
	    ESEAL_OK);
	jp_org(&b, "4011001098993", "100%_Co <b>");
	ck_assert_int_eq(org_register(f.ca.store, &b, 2000, "ra-bob"),
	    ESEAL_OK);
	issue(&f, serial);

	ck_assert_int_eq(store_report_orgs(f.ca.store, &o, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 2);
	/* Newest first, each with who vetted it and its certificates. */
	ck_assert_str_eq(o[0].name, "100%_Co <b>");
	ck_assert_str_eq(o[0].created_by, "ra-bob");
	ck_assert_int_eq(o[0].certificates, 0);
	ck_assert_str_eq(o[1].identifier, "NTRJP-7123456789012");
	ck_assert_str_eq(o[1].corporate_number, "7123456789012");
	ck_assert_int_eq(o[1].certificates, 1);
	ck_assert_int_eq(o[1].created, 1000);
	free(o);

	memcpy(pre, serial, 6);
	pre[6] = '\0';
	ck_assert_uint_eq(found(&f, pre, NULL, &c), 1);
	ck_assert_str_eq(c.serial, serial);
	ck_assert_str_eq(c.status, "issued");
	ck_assert_str_eq(c.org_name, "株式会社テスト");
	ck_assert_int_eq(c.reason, -1);
	ck_assert_uint_eq(found(&f, serial, "", NULL), 1);
	ck_assert_uint_eq(found(&f, "", "NTRJP-7123456789012", NULL), 1);
	ck_assert_uint_eq(found(&f, NULL, "テスト", NULL), 1);
	ck_assert_uint_eq(found(&f, NULL, "1", NULL), 1);	/* its id */
	ck_assert_uint_eq(found(&f, NULL, "2", NULL), 0);	/* the other */
	/* LIKE's wildcards are characters: "%" matches only a real "%". */
	ck_assert_uint_eq(found(&f, NULL, "%", NULL), 0);
	ck_assert_uint_eq(found(&f, NULL, "_", NULL), 0);
	ck_assert_uint_eq(found(&f, NULL, "NTRJP-712345678901_", NULL), 0);
	ck_assert_uint_eq(found(&f, serial[0] == 'f' ? "0" : "f", NULL, NULL),
	    0);
	tu_ca_teardown(&f);
}
END_TEST

START_TEST(test_counts_days_crls)
{
	struct tu_ca f;
	struct revoke_request rr;
	struct store_revocation out;
	struct report_counts k;
	struct report_day *d = NULL;
	struct report_crl *l = NULL;
	struct report_cert c;
	struct org_rec a;
	char serial[STORE_SERIAL_HEX_MAX], today[11];
	time_t now = time(NULL);
	size_t n = 0;

	tu_ca_setup(&f, "report2", "ec-p256", 2);
	jp_org(&a, "7123456789012", "株式会社テスト");
	ck_assert_int_eq(org_register(f.ca.store, &a, 1000, "ra-alice"),
	    ESEAL_OK);
	ck_assert_int_eq(store_report_counts(f.ca.store, &k), ESEAL_OK);
	ck_assert_int_eq(k.issued, 0);
	ck_assert_int_eq(k.organizations, 1);
	issue(&f, serial);
	ck_assert_int_eq(store_report_counts(f.ca.store, &k), ESEAL_OK);
	ck_assert_int_eq(k.issued, 1);
	ck_assert_int_eq(k.revoked, 0);
	ck_assert_int_eq(k.pending, 0);
	ck_assert_int_eq(k.requests_pending, 0);

	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = REVOKE_KEY_COMPROMISE;
	rr.actor = "ra:alice";
	ck_assert_int_eq(revoke_cert(&f.ca, &rr, now, &out), ESEAL_OK);
	ck_assert_int_eq(store_report_counts(f.ca.store, &k), ESEAL_OK);
	ck_assert_int_eq(k.issued, 0);
	ck_assert_int_eq(k.revoked, 1);
	ck_assert_uint_eq(found(&f, serial, NULL, &c), 1);
	ck_assert_str_eq(c.status, "revoked");
	ck_assert_int_eq(c.reason, 1);
	ck_assert_int_eq(c.revoked_at, now);

	ck_assert_int_eq(store_report_per_day(f.ca.store, now - 86400, &d, &n),
	    ESEAL_OK);
	strftime(today, sizeof(today), "%Y-%m-%d", gmtime(&now));
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0].day, today);
	ck_assert_int_eq(d[0].issued, 1);
	free(d);
	ck_assert_int_eq(store_report_per_day(f.ca.store, now + 86400, &d, &n),
	    ESEAL_OK);
	ck_assert_uint_eq(n, 0);
	free(d);

	/* Both shards of the issuer, whether or not a CRL was signed yet. */
	ck_assert_int_eq(store_report_crls(f.ca.store, &l, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(l[0].shard, 0);
	ck_assert_int_eq(l[1].shard, 1);
	ck_assert_str_eq(l[0].issuer, l[1].issuer);
	for (size_t i = 0; i < n; i++)
		ck_assert(l[i].number == -1 ? l[i].next_update == 0 :
		    l[i].next_update > l[i].this_update);
	free(l);
	tu_ca_teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_orgs_and_search);
	tcase_add_test(tc, test_counts_days_crls);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
