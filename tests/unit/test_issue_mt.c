/*
 * test_issue_mt.c: concurrent issuance.  MT_THREADS threads issue through
 * issue_cert() on one store and one SoftHSM token at once, as the API's
 * worker threads do for concurrent approvals, so that their commits share
 * flushes (group commit, store_sync.c) and their signatures the token.
 * Every issuance succeeds, every certificate is issued in the store with
 * the bytes handed out and verifies under the CA, no serial twice, and
 * the audit chain is one chain with one record per certificate.  The suite
 * ThreadSanitizer runs (make tsan, docs/hacking.md).
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit.h"
#include "ca.h"
#include "csr.h"
#include "issue.h"
#include "issuer.h"
#include "store/store_int.h"
#include "testutil.h"

#define MT_THREADS	8
#define MT_EACH		8	/* issuances per thread */
#define MT_TOTAL	(MT_THREADS * MT_EACH)

static struct tu_ca f;
static struct csr *csrs[MT_TOTAL];
static struct issue_result res[MT_TOTAL];
static enum eseal_rc rcs[MT_TOTAL];

/* A request for a fresh P-256 key: each certificate a key of its own. */
static struct csr *
make_csr(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *r = X509_REQ_new();
	unsigned char *der = NULL;
	struct csr *c = NULL;
	int len;

	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(r);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r), "CN",
	    MBSTRING_ASC, (const unsigned char *)"mt", -1, -1, 0);
	X509_REQ_set_pubkey(r, k);
	ck_assert_int_gt(X509_REQ_sign(r, k, EVP_sha256()), 0);
	ck_assert_int_gt(len = i2d_X509_REQ(r, &der), 0);
	ck_assert_int_eq(csr_parse(der, (size_t)len, &c), ESEAL_OK);
	OPENSSL_free(der);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
	return c;
}

/* Thread t issues requests t, t + MT_THREADS, ... */
static void *
issuer_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	struct issue_request req;

	for (int i = t; i < MT_TOTAL; i += MT_THREADS) {
		memset(&req, 0, sizeof(req));
		req.profile = f.profile;
		req.org = &f.org;
		req.csr = csrs[i];
		req.validity_days = 365;
		req.actor = "mt";
		rcs[i] = issue_cert(&f.ca, &req, time(NULL), &res[i]);
	}
	return NULL;
}

static int
cmp_serial(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

START_TEST(test_concurrent_issuance)
{
	pthread_t th[MT_THREADS];
	const char *serials[MT_TOTAL];
	struct store_cert row;
	unsigned long f0;
	int64_t n;

	tu_ca_setup(&f, "issuemt", "ec-p256", 2);
	for (int i = 0; i < MT_TOTAL; i++)
		csrs[i] = make_csr();
	f0 = store_flushes(f.ca.store);
	for (int t = 0; t < MT_THREADS; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, issuer_thread,
		    (void *)(intptr_t)t), 0);
	for (int t = 0; t < MT_THREADS; t++)
		ck_assert_int_eq(pthread_join(th[t], NULL), 0);

	for (int i = 0; i < MT_TOTAL; i++) {
		const unsigned char *p = res[i].der;
		X509 *x;

		ck_assert_msg(rcs[i] == ESEAL_OK, "issuance %d: %s", i,
		    eseal_rcname(rcs[i]));
		/* Issued in the store with exactly the bytes handed out. */
		ck_assert_int_eq(store_cert_get(f.ca.store, res[i].serial,
		    &row), ESEAL_OK);
		ck_assert_int_eq(row.status, CERT_ISSUED);
		ck_assert_uint_eq(row.cert_len, res[i].der_len);
		ck_assert_int_eq(memcmp(row.cert, res[i].der, res[i].der_len),
		    0);
		ck_assert_int_eq(memcmp(row.spki_sha256,
		    csr_pubkey_sha256(csrs[i]), 32), 0);
		store_cert_clear(&row);
		x = d2i_X509(NULL, &p, (long)res[i].der_len);
		ck_assert_ptr_nonnull(x);
		ck_assert_int_eq(X509_verify(x, f.issuer->pub), 1);
		X509_free(x);
		serials[i] = res[i].serial;
	}
	qsort(serials, MT_TOTAL, sizeof(serials[0]), cmp_serial);
	for (int i = 1; i < MT_TOTAL; i++)
		ck_assert_str_ne(serials[i - 1], serials[i]);
	/* One chain: issuer.create, then one cert.issue per certificate. */
	ck_assert_msg(audit_verify(f.ca.store, &n) == ESEAL_OK, "%s",
	    eseal_errmsg());
	ck_assert_int_eq(n, 1 + MT_TOTAL);
	/* Two commits per issuance, each one flushed before it returned. */
	ck_assert_uint_gt(store_flushes(f.ca.store), f0);
	ck_assert_uint_le(store_flushes(f.ca.store) - f0, 2 * MT_TOTAL);
	fprintf(stderr, "test_issue_mt: %d issuances by %d threads, %lu "
	    "flushes\n", MT_TOTAL, MT_THREADS, store_flushes(f.ca.store) - f0);

	for (int i = 0; i < MT_TOTAL; i++) {
		issue_result_clear(&res[i]);
		csr_free(csrs[i]);
	}
	tu_ca_teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("issue_mt");
	TCase *tc = tcase_create("issue_mt");
	SRunner *sr;
	int nf;

	/* Generous: the same suite runs under ThreadSanitizer. */
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_concurrent_issuance);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
