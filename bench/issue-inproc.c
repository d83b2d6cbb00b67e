/*
 * issue-inproc.c: durable issuances per second through the whole pipeline
 * (issue_cert: policy and key checks, profile, lint, pending row, HSM
 * signature, verification, issued row and audit record), in one process,
 * THREADS at a time, with no HTTP in front: what the CA core can do.
 *
 *   issue-inproc KEYTYPE THREADS N [PREFILL [BATCH]]
 *
 * Sets up a CA as the unit suites do (tests/unit/testutil.c: a SoftHSM
 * token, store, issuer and vetted organisation in a temporary directory),
 * makes N EC P-256 requests in memory first (each certificate its own
 * key), optionally inserts PREFILL issued rows straight into the store
 * (to see the rate with a large store: one transaction of INSERTs through
 * a connection of its own, as bench/lib.sh insert_revoked does; random
 * serials and key hashes, so the indexes are as large as real ones), then
 * issues all N and prints "issued/s", "peak RSS kB".  BATCH > 1: each
 * thread takes BATCH requests at a time through issue_certs() (two durable
 * flushes a batch) instead of one through issue_cert() (two each).
 */
#include <sys/resource.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include "csr.h"
#include "issue.h"
#include "../tests/unit/testutil.h"

static struct tu_ca f;
static struct csr **csrs;
static int n_total, next, batch = 1;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct csr *
make_csr(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_REQ *r = X509_REQ_new();
	unsigned char *der = NULL;
	struct csr *c = NULL;
	int len;

	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r), "CN",
	    MBSTRING_ASC, (const unsigned char *)"bench", -1, -1, 0);
	X509_REQ_set_pubkey(r, k);
	X509_REQ_sign(r, k, EVP_sha256());
	if ((len = i2d_X509_REQ(r, &der)) > 0 &&
	    csr_parse(der, (size_t)len, &c) != ESEAL_OK)
		c = NULL;
	OPENSSL_free(der);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
	return c;
}

/* PREFILL issued rows of the issuer straight into the store. */
static int
prefill(long n)
{
	char path[512], *sql;
	sqlite3 *db;
	int rc;

	snprintf(path, sizeof(path), "%s/eseal.db", f.dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 10000);
	sql = sqlite3_mprintf(
	    "PRAGMA synchronous=OFF; BEGIN;"
	    "INSERT INTO certificates (serial, issuer_id, status, tbs, cert,"
	    " subject, spki_sha256, not_before, not_after, shard, created,"
	    " updated, org_identifier)"
	    " WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
	    "  WHERE i < %ld)"
	    " SELECT '7' || substr(lower(hex(randomblob(16))), 2), %lld,"
	    "  'issued', x'3003020100', x'300a3003020100300003010000',"
	    "  'CN=bench', randomblob(32), unixepoch() - 86400,"
	    "  unixepoch() + 300 * 86400, 0, unixepoch() - 86400, unixepoch(),"
	    "  'NTRJP-7123456789012' FROM c;"
	    "COMMIT;", n, (long long)f.issuer->rec.id);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "issue-inproc: prefill: %s\n", sqlite3_errmsg(db));
	sqlite3_free(sql);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void
request(struct issue_request *req, int i)
{
	memset(req, 0, sizeof(*req));
	req->profile = f.profile;
	req->org = &f.org;
	req->csr = csrs[i];
	req->validity_days = 365;
	req->actor = "bench";
}

static void *
worker(void *arg)
{
	struct issue_request req[ISSUE_BATCH_MAX];
	struct issue_result res[ISSUE_BATCH_MAX];
	enum eseal_rc rcs[ISSUE_BATCH_MAX];
	int i, k;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		i = next;
		k = n_total - next < batch ? n_total - next : batch;
		next += k;
		pthread_mutex_unlock(&mu);
		if (k == 0)
			return &f;
		for (int j = 0; j < k; j++)
			request(&req[j], i + j);
		if (batch == 1)
			rcs[0] = issue_cert(&f.ca, &req[0], time(NULL), &res[0]);
		else if (issue_certs(&f.ca, req, (size_t)k, time(NULL), res,
		    rcs) != ESEAL_OK)
			rcs[0] = ESEAL_ESTORE;
		for (int j = 0; j < k; j++) {
			if (rcs[j] != ESEAL_OK) {
				fprintf(stderr, "issue-inproc: %s\n",
				    eseal_errmsg());
				return NULL;
			}
			issue_result_clear(&res[j]);
		}
	}
}

int
main(int argc, char **argv)
{
	pthread_t th[64];
	struct rusage ru;
	int nth;
	double t0, t1;

	if (argc < 4 || (nth = atoi(argv[2])) < 1 || nth > 64 ||
	    (n_total = atoi(argv[3])) < 1) {
		fprintf(stderr,
		    "usage: issue-inproc KEYTYPE THREADS N [PREFILL [BATCH]]\n");
		return 2;
	}
	if (argc > 5 && ((batch = atoi(argv[5])) < 1 ||
	    batch > ISSUE_BATCH_MAX)) {
		fprintf(stderr, "issue-inproc: BATCH is 1 to %d\n",
		    ISSUE_BATCH_MAX);
		return 2;
	}
	tu_ca_setup(&f, "bench", argv[1], 1);
	if (argc > 4 && atol(argv[4]) > 0) {
		if (prefill(atol(argv[4])) != 0)
			return 1;
		/*
		 * The fill's hundreds of MiB on their way to the disk would
		 * stand in front of every fdatasync() of the run: measure the
		 * store, not the write-back of the fill.
		 */
		sync();
	}
	if ((csrs = calloc((size_t)n_total, sizeof(*csrs))) == NULL)
		return 1;
	for (int i = 0; i < n_total; i++)
		if ((csrs[i] = make_csr()) == NULL)
			return 1;
	t0 = now();
	for (int i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < nth; i++) {
		void *r;

		pthread_join(th[i], &r);
		if (r == NULL)
			return 1;
	}
	t1 = now();
	getrusage(RUSAGE_SELF, &ru);
	printf("%.0f %ld\n", n_total / (t1 - t0), ru.ru_maxrss);
	for (int i = 0; i < n_total; i++)
		csr_free(csrs[i]);
	free(csrs);
	tu_ca_teardown(&f);
	return 0;
}
