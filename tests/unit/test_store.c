/*
 * test_store.c: migrations, issuer and certificate rows, transactions, and
 * the one row loop (store_rows, store_list) every read goes through, the
 * statement cache behind it, and the issuer generation that is read from
 * memory until another connection or process commits.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/schema.h"
#include "store/store_int.h"
#include "store.h"
#include "testutil.h"

static char *
db_path(void)
{
	char *p;

	if (asprintf(&p, "%s/eseal.db", tu_tmpdir()) == -1)
		abort();
	return p;
}

/* Runs a query that returns one integer, straight through SQLite. */
static long long
q(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int64_t
add_issuer(struct store *s)
{
	struct store_issuer is;
	unsigned char der[3] = { 0x30, 0x01, 0x00 };
	int64_t id;

	memset(&is, 0, sizeof(is));
	snprintf(is.name, sizeof(is.name), "ca-1");
	memcpy(is.key_id, "\x01\x02", 2);
	is.key_id_len = 2;
	snprintf(is.key_type, sizeof(is.key_type), "ec-p256");
	is.cert = der;
	is.cert_len = sizeof(der);
	is.not_before = 1000;
	is.not_after = 2000;
	is.crl_shards = 4;
	ck_assert_int_eq(store_issuer_insert(s, &is, 1000, &id), ESEAL_OK);
	return id;
}

static void
pending_row(struct store_cert *c, int64_t issuer, const char *serial)
{
	static unsigned char tbs[] = { 0x30, 0x00 };

	memset(c, 0, sizeof(*c));
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	c->issuer_id = issuer;
	c->tbs = tbs;
	c->tbs_len = sizeof(tbs);
	c->subject = (char *)"/CN=x";
	c->not_before = 1;
	c->not_after = 2;
}

START_TEST(test_migrations_from_empty_and_again)
{
	char *path = db_path();
	struct store *s;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	ck_assert_int_eq(store_schema_version(s),
	    schema_migrations[schema_nmigrations - 1].version);
	add_issuer(s);
	store_close(s);
	ck_assert_int_eq(q(path, "SELECT COUNT(*) FROM schema_version"),
	    (long long)schema_nmigrations);
	ck_assert_int_eq(q(path, "SELECT COUNT(*) FROM sqlite_master WHERE "
	    "name IN ('issuers','certificates','revocations','crls','audit')"),
	    5);
	/* Opening again applies nothing and keeps the data. */
	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	ck_assert_int_eq(store_issuer_count(s), 1);
	store_close(s);
	ck_assert_int_eq(q(path, "SELECT COUNT(*) FROM schema_version"),
	    (long long)schema_nmigrations);
	/* WAL is on. */
	ck_assert_int_eq(q(path, "SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
	free(path);
}
END_TEST

/*
 * A migration numbered below one already applied (numbers are handed out
 * ahead, so 010 may land after 013) is applied when the store next opens.
 */
START_TEST(test_migration_below_the_highest)
{
	char *path = db_path();
	struct store *s;
	sqlite3 *db;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	store_close(s);
	/* As if 009 had landed after the newest. */
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE store_probe; DELETE FROM "
	    "schema_version WHERE version = 9", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	ck_assert_int_eq(store_schema_version(s),
	    schema_migrations[schema_nmigrations - 1].version);
	store_close(s);
	ck_assert_int_eq(q(path, "SELECT COUNT(*) FROM sqlite_master WHERE "
	    "name = 'store_probe'"), 1);
	ck_assert_int_eq(q(path, "SELECT COUNT(*) FROM schema_version"),
	    (long long)schema_nmigrations);
	free(path);
}
END_TEST

START_TEST(test_open_refuses_garbage)
{
	char *path = tu_write(tu_tmpdir(), "eseal.db",
	    "this is not a database, but it is long enough to look like one "
	    "to a careless reader of the first hundred bytes of the file.\n",
	    0600);
	struct store *s = NULL;

	ck_assert_int_eq(store_open(path, &s), ESEAL_ESTORE);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "store:"));
	free(path);
}
END_TEST

static unsigned
file_mode(const char *path, const char *suffix)
{
	char name[1024];
	struct stat st;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	ck_assert_int_eq(stat(name, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

/* Issue 11 item 2: a new store, its -wal and -shm are 0600 whatever the umask. */
START_TEST(test_new_store_is_0600)
{
	char *path = db_path();
	struct store *s;
	mode_t old = umask(022);

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	add_issuer(s);
	ck_assert_uint_eq(file_mode(path, ""), 0600);
	ck_assert_uint_eq(file_mode(path, "-wal"), 0600);
	ck_assert_uint_eq(file_mode(path, "-shm"), 0600);
	store_close(s);
	umask(old);
	free(path);
}
END_TEST

/* A store others may read is refused, saying how to fix it; 0640 is let in. */
START_TEST(test_open_refuses_world_readable)
{
	char *path = db_path();
	struct store *s;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	store_close(s);
	ck_assert_int_eq(chmod(path, 0644), 0);
	s = NULL;
	ck_assert_int_eq(store_open(path, &s), ESEAL_ECONF);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "mode 0644"));
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "chmod 600 "));
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), path));
	ck_assert_int_eq(chmod(path, 0602), 0);
	ck_assert_int_eq(store_open(path, &s), ESEAL_ECONF);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	store_close(s);
	free(path);
}
END_TEST

START_TEST(test_issuer_rows)
{
	char *path = db_path();
	struct store_issuer is, *list;
	struct store *s;
	size_t n;
	int64_t id;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	ck_assert_int_eq(store_issuer_current(s, &is), ESEAL_ENOTFOUND);
	id = add_issuer(s);
	ck_assert_int_eq(store_issuer_by_name(s, "ca-1", &is), ESEAL_OK);
	ck_assert_int_eq(is.id, id);
	ck_assert_int_eq(is.crl_shards, 4);
	ck_assert_uint_eq(is.cert_len, 3);
	ck_assert_str_eq(is.status, "active");
	store_issuer_clear(&is);
	ck_assert_int_eq(store_issuer_by_name(s, "nope", &is), ESEAL_ENOTFOUND);
	/* Same name again: conflict. */
	memset(&is, 0, sizeof(is));
	snprintf(is.name, sizeof(is.name), "ca-1");
	is.key_id_len = 1;
	is.cert = (unsigned char *)"\x30\x00";
	is.cert_len = 2;
	is.crl_shards = 1;
	snprintf(is.key_type, sizeof(is.key_type), "ec-p256");
	ck_assert_int_eq(store_issuer_insert(s, &is, 1, &id), ESEAL_EEXIST);
	ck_assert_int_eq(store_issuer_list(s, &list, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 1);
	store_issuer_list_free(list, n);
	store_close(s);
	free(path);
}
END_TEST

START_TEST(test_cert_lifecycle)
{
	char *path = db_path();
	struct store_cert c, got, *pend;
	struct store *s;
	size_t n;
	int64_t iid;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	iid = add_issuer(s);
	pending_row(&c, iid, "0102");
	ck_assert_int_eq(store_cert_insert_pending(s, &c, 10), ESEAL_OK);
	/* A serial is never reused, whatever its status. */
	ck_assert_int_eq(store_cert_insert_pending(s, &c, 11), ESEAL_EEXIST);
	ck_assert_int_eq(store_cert_pending(s, &pend, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(pend[0].serial, "0102");
	store_cert_list_free(pend, n);
	ck_assert_int_eq(store_cert_mark_issued(s, "0102",
	    (const unsigned char *)"\x30\x00", 2, 12), ESEAL_OK);
	/* Only a pending row moves. */
	ck_assert_int_eq(store_cert_mark_issued(s, "0102",
	    (const unsigned char *)"\x30\x00", 2, 12), ESEAL_EEXIST);
	ck_assert_int_eq(store_cert_mark_failed(s, "0102", "x", 13),
	    ESEAL_EEXIST);
	ck_assert_int_eq(store_cert_get(s, "0102", &got), ESEAL_OK);
	ck_assert_int_eq(got.status, CERT_ISSUED);
	ck_assert_uint_eq(got.cert_len, 2);
	store_cert_clear(&got);
	ck_assert_int_eq(store_cert_count(s, CERT_ISSUED), 1);
	ck_assert_int_eq(store_cert_count(s, CERT_PENDING), 0);
	/* Unknown issuer: the foreign key refuses it. */
	pending_row(&c, iid + 100, "0103");
	ck_assert_int_eq(store_cert_insert_pending(s, &c, 10), ESEAL_ESTORE);
	store_close(s);
	/* The schema itself refuses an issued row without a certificate. */
	ck_assert_int_eq(q(path, "SELECT COUNT(*) FROM certificates WHERE "
	    "status = 'issued' AND cert IS NULL"), 0);
	free(path);
}
END_TEST

START_TEST(test_nested_transactions)
{
	char *path = db_path();
	struct store_cert c;
	struct store *s;
	int64_t iid;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	iid = add_issuer(s);
	/* An inner rollback dooms the outer transaction. */
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	pending_row(&c, iid, "aa");
	ck_assert_int_eq(store_cert_insert_pending(s, &c, 1), ESEAL_OK);
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	store_rollback(s);
	ck_assert_int_eq(store_commit(s), ESEAL_ESTORE);
	ck_assert_int_eq(store_cert_count(s, CERT_PENDING), 0);
	/* Both commit: the row lands. */
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	ck_assert_int_eq(store_cert_insert_pending(s, &c, 1), ESEAL_OK);
	ck_assert_int_eq(store_commit(s), ESEAL_OK);
	ck_assert_int_eq(store_commit(s), ESEAL_OK);
	ck_assert_int_eq(store_cert_count(s, CERT_PENDING), 1);
	store_close(s);
	free(path);
}
END_TEST

/*
 * A transaction that fills the store: the caller is told SQLITE_FULL,
 * not what the ROLLBACK after it says; and a rollback after SQLite has
 * already rolled back keeps the first failure's message.
 */
START_TEST(test_full_disk_keeps_first_error)
{
	static unsigned char big[32 * 1024];
	char *path = db_path(), serial[16], sql[64];
	struct store_cert c;
	struct store *s;
	enum eseal_rc rc = ESEAL_OK;
	int64_t iid;
	int i;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	iid = add_issuer(s);
	/* No more pages than the store has now: the next growth fails. */
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
	    q(path, "PRAGMA page_count"));
	ck_assert_int_eq(sqlite3_exec(store_db(s), sql, NULL, NULL, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	for (i = 0; i < 64 && rc == ESEAL_OK; i++) {
		snprintf(serial, sizeof(serial), "%02x", 0x10 + i);
		pending_row(&c, iid, serial);
		c.tbs = big;
		c.tbs_len = sizeof(big);
		rc = store_cert_insert_pending(s, &c, 10);
	}
	ck_assert_int_eq(rc, ESEAL_ESTORE);
	store_rollback(s);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "SQLITE_FULL"));
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "full"));
	ck_assert_ptr_null(strstr(eseal_errmsg(), "cannot rollback"));
	ck_assert_int_eq(store_cert_count(s, CERT_PENDING), 0);
	/* A failing COMMIT keeps its own cause too. */
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	pending_row(&c, iid, "0a0a");
	c.tbs = big;
	c.tbs_len = sizeof(big);
	if (store_cert_insert_pending(s, &c, 10) == ESEAL_OK)
		ck_assert_int_eq(store_commit(s), ESEAL_ESTORE);
	else
		store_rollback(s);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "SQLITE_FULL"));
	/* Room again: the store writes. */
	ck_assert_int_eq(sqlite3_exec(store_db(s), "PRAGMA max_page_count = "
	    "1000000", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	ck_assert_int_eq(store_cert_insert_pending(s, &c, 10), ESEAL_OK);
	ck_assert_int_eq(store_commit(s), ESEAL_OK);
	/* SQLite rolled back behind the store's back: nothing to undo. */
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	ck_assert_int_eq(sqlite3_exec(store_db(s), "ROLLBACK", NULL, NULL,
	    NULL), SQLITE_OK);
	(void)eseal_err(ESEAL_ESTORE, "store: insert: the first failure");
	store_rollback(s);
	ck_assert_str_eq(eseal_errmsg(), "store: insert: the first failure");
	ck_assert_int_eq(store_cert_count(s, CERT_PENDING), 1);
	store_close(s);
	free(path);
}
END_TEST

/* The write probe of /healthz: ok on a store that writes, the cause when not. */
START_TEST(test_probe_says_why)
{
	char *path = db_path();
	struct store_health h;
	struct store *s;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	ck_assert_int_eq(store_probe(s, 100, &h), ESEAL_OK);
	ck_assert_int_eq(h.writable, 1);
	ck_assert_int_gt(h.free_bytes, 0);
	ck_assert_str_eq(h.error, "");
	ck_assert_int_eq(q(path, "SELECT at FROM store_probe"), 100);
	/* Writes refused: the probe fails and names SQLite's cause. */
	ck_assert_int_eq(sqlite3_exec(store_db(s), "PRAGMA query_only = 1",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(store_probe(s, 101, &h), ESEAL_ESTORE);
	ck_assert_int_eq(h.writable, 0);
	ck_assert_ptr_nonnull(strstr(h.error, "SQLITE_"));
	ck_assert_ptr_null(strstr(h.error, "cannot rollback"));
	ck_assert_int_eq(sqlite3_exec(store_db(s), "PRAGMA query_only = 0",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(store_probe(s, 102, &h), ESEAL_OK);
	ck_assert_int_eq(store_checkpoint(s), ESEAL_OK);
	store_close(s);
	ck_assert_int_eq(q(path, "SELECT at FROM store_probe"), 102);
	free(path);
}
END_TEST

START_TEST(test_list_grows_in_order)
{
	char *path = db_path();
	struct store_cert c, *pend;
	struct store *s;
	char serial[24];
	size_t n;
	int64_t iid;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	iid = add_issuer(s);
	/* More rows than the first allocation holds, several times over. */
	for (int i = 0; i < 37; i++) {
		snprintf(serial, sizeof(serial), "%04x", i + 1);
		pending_row(&c, iid, serial);
		ck_assert_int_eq(store_cert_insert_pending(s, &c, 100 + i),
		    ESEAL_OK);
	}
	ck_assert_int_eq(store_cert_pending(s, &pend, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 37);
	for (size_t i = 0; i < n; i++) {
		snprintf(serial, sizeof(serial), "%04zx", i + 1);
		ck_assert_str_eq(pend[i].serial, serial);
		ck_assert_str_eq(pend[i].subject, "/CN=x");
		ck_assert_uint_eq(pend[i].tbs_len, 2);
	}
	store_cert_list_free(pend, n);
	/* None left: an empty list, not an error. */
	for (int i = 0; i < 37; i++) {
		snprintf(serial, sizeof(serial), "%04x", i + 1);
		ck_assert_int_eq(store_cert_mark_failed(s, serial, "x", 200),
		    ESEAL_OK);
	}
	ck_assert_int_eq(store_cert_pending(s, &pend, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(pend);
	store_close(s);
	free(path);
}
END_TEST

struct seen {
	int	rows, stop_at, fail_at, cleared;
};

static int
seen_row(sqlite3_stmt *st, void *arg)
{
	struct seen *v = arg;

	(void)st;
	if (++v->rows == v->stop_at)
		return STORE_STOP;
	if (v->rows == v->fail_at)
		return eseal_err(ESEAL_EINVAL, "test: row %d refused", v->rows);
	return 0;
}

static struct seen *cleared_by;

static int
int_fill(sqlite3_stmt *st, void *elem)
{
	*(int *)elem = sqlite3_column_int(st, 0);
	return *(int *)elem != 5;	/* "out of memory" at the fifth */
}

static void
int_clear(void *elem)
{
	(void)elem;
	cleared_by->cleared++;
}

START_TEST(test_rows_stop_fail_and_clear)
{
	static const char *const sql = "WITH RECURSIVE n(i) AS (SELECT 1 "
	    "UNION ALL SELECT i + 1 FROM n WHERE i < 9) SELECT i FROM n";
	static const struct store_rowtype ints = {
		sizeof(int), int_fill, int_clear
	};
	char *path = db_path();
	struct store *s;
	struct seen v;
	size_t n;
	void *out;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(store_rows(s, sql, "count", NULL, seen_row, &v, &n),
	    ESEAL_OK);
	ck_assert_int_eq(v.rows, 9);
	ck_assert_uint_eq(n, 9);
	/* STORE_STOP ends the loop without an error. */
	memset(&v, 0, sizeof(v));
	v.stop_at = 3;
	ck_assert_int_eq(store_rows(s, sql, "count", NULL, seen_row, &v, &n),
	    ESEAL_OK);
	ck_assert_int_eq(v.rows, 3);
	ck_assert_uint_eq(n, 3);
	/* A row's error ends it and is what the caller gets. */
	memset(&v, 0, sizeof(v));
	v.fail_at = 4;
	ck_assert_int_eq(store_rows(s, sql, "count", NULL, seen_row, &v, &n),
	    ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "test: row 4 refused");
	ck_assert_int_eq(v.rows, 4);
	/* SQL that does not prepare is the store's error, lock released. */
	ck_assert_int_eq(store_rows(s, "SELECT nonsense FROM nowhere", "x",
	    NULL, seen_row, &v, &n), ESEAL_ESTORE);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	ck_assert_int_eq(store_commit(s), ESEAL_OK);
	/* A list that fails half-way clears every element it made. */
	memset(&v, 0, sizeof(v));
	cleared_by = &v;
	ck_assert_int_eq(store_list(s, sql, "list", NULL, NULL, &ints, &out,
	    &n), ESEAL_ENOMEM);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(v.cleared, 5);
	store_close(s);
	free(path);
}
END_TEST

static int
stop_at_two(const struct store_audit *a, void *arg)
{
	(*(int *)arg)++;
	return a->seq == 2;
}

START_TEST(test_audit_each_stops)
{
	char *path = db_path();
	struct store_audit a;
	struct store *s;
	int64_t seq;
	int calls = 0;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	ck_assert_int_eq(store_audit_last(s, &seq, a.hash), ESEAL_OK);
	ck_assert_int_eq(seq, 0);
	for (int i = 1; i <= 4; i++) {
		memset(&a, 0, sizeof(a));
		a.seq = i;
		a.ts = i;
		a.actor = (char *)"t";
		a.action = (char *)"test";
		a.object = (char *)"";
		a.detail = (char *)"";
		a.hash[0] = (unsigned char)i;
		ck_assert_int_eq(store_audit_insert(s, &a), ESEAL_OK);
	}
	ck_assert_int_eq(store_audit_last(s, &seq, a.prev_hash), ESEAL_OK);
	ck_assert_int_eq(seq, 4);
	ck_assert_int_eq(a.prev_hash[0], 4);
	ck_assert_int_eq(store_audit_each(s, stop_at_two, &calls), ESEAL_OK);
	ck_assert_int_eq(calls, 2);
	store_close(s);
	free(path);
}
END_TEST

/*
 * Group commit (store_sync.c): a commit returns only after a flush of the
 * WAL covered it; alone, each commit is one flush; a statement outside a
 * transaction is flushed too; threads committing together share flushes
 * and every row of every thread is there.
 */
#define GC_THREADS	4
#define GC_EACH		100

static void *
gc_worker(void *arg)
{
	struct store *s = arg;

	for (int i = 0; i < GC_EACH; i++) {
		if (store_begin(s) != ESEAL_OK ||
		    store_exec(s, "INSERT INTO gc(x) VALUES (1)", "gc") !=
		    ESEAL_OK || store_commit(s) != ESEAL_OK)
			return NULL;
	}
	return s;
}

START_TEST(test_group_commit)
{
	const char *dir = tu_tmpdir();
	pthread_t th[GC_THREADS];
	struct store *s;
	unsigned long f0, f1;
	char path[512];
	int64_t n;

	snprintf(path, sizeof(path), "%s/gc.db", dir);
	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	ck_assert_int_eq(store_exec(s, "CREATE TABLE gc(x)", "gc"), ESEAL_OK);
	ck_assert_uint_gt(f0 = store_flushes(s), 0);	/* CREATE: flushed */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(store_begin(s), ESEAL_OK);
		ck_assert_int_eq(store_exec(s, "INSERT INTO gc(x) VALUES (0)",
		    "gc"), ESEAL_OK);
		ck_assert_uint_eq(store_flushes(s), f0 + (unsigned long)i);
		ck_assert_int_eq(store_commit(s), ESEAL_OK);
		ck_assert_uint_eq(store_flushes(s), f0 + (unsigned long)i + 1);
	}
	f0 = store_flushes(s);
	for (int i = 0; i < GC_THREADS; i++)
		pthread_create(&th[i], NULL, gc_worker, s);
	for (int i = 0; i < GC_THREADS; i++) {
		void *r;

		pthread_join(th[i], &r);
		ck_assert_ptr_eq(r, s);
	}
	f1 = store_flushes(s);
	ck_assert_uint_gt(f1, f0);
	ck_assert_uint_le(f1 - f0, GC_THREADS * GC_EACH);
	n = store_count(s, "SELECT count(*) FROM gc WHERE x = 1", NULL);
	ck_assert_int_eq(n, GC_THREADS * GC_EACH);
	fprintf(stderr, "group commit: %d commits from %d threads, %lu "
	    "flushes\n", GC_THREADS * GC_EACH, GC_THREADS, f1 - f0);
	store_close(s);
}
END_TEST

/* --- the statement cache (store_stmt.c) ------------------------------- */

static int
int_row(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return STORE_STOP;
}

/* A row loop over the same SQL as the loop it runs in. */
struct nest {
	struct store	*s;
	const char	*sql;
	int		 outer, inner_bad;
};

static int
count_rows(sqlite3_stmt *st, void *arg)
{
	(void)st;
	(*(int *)arg)++;
	return 0;
}

static int
nested_row(sqlite3_stmt *st, void *arg)
{
	struct nest *n = arg;
	int inner = 0;

	n->outer++;
	if (sqlite3_column_int(st, 0) != n->outer)
		n->inner_bad++;		/* the outer loop was reset under us */
	if (store_rows(n->s, n->sql, "inner", NULL, count_rows, &inner,
	    NULL) != ESEAL_OK || inner != 5)
		n->inner_bad++;
	return 0;
}

START_TEST(test_stmt_cache)
{
	static const char *const five = "WITH RECURSIVE n(i) AS (SELECT 1 "
	    "UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i FROM n";
	char *path = db_path(), buf[64];
	struct store *s;
	struct nest n;
	sqlite3_stmt *st;
	unsigned long p0;
	int64_t v;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	/* Prepared once, found after. */
	ck_assert_int_eq(store_count(s, "SELECT 41 + 1", NULL), 42);
	p0 = store_prepares(s);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(store_count(s, "SELECT 41 + 1", NULL), 42);
	ck_assert_uint_eq(store_prepares(s), p0);
	/* By the text, not the address: one buffer, two texts. */
	snprintf(buf, sizeof(buf), "SELECT 7");
	ck_assert_int_eq(store_count(s, buf, NULL), 7);
	snprintf(buf, sizeof(buf), "SELECT 8");
	ck_assert_int_eq(store_count(s, buf, NULL), 8);
	/* A kept statement comes back with no parameter bound. */
	ck_assert_int_eq(store_count(s, "SELECT ? IS NULL", "x"), 0);
	ck_assert_int_eq(store_count(s, "SELECT ? IS NULL", NULL), 1);
	/* The same SQL inside its own row loop: another statement. */
	memset(&n, 0, sizeof(n));
	n.s = s;
	n.sql = five;
	ck_assert_int_eq(store_rows(s, five, "outer", NULL, nested_row, &n,
	    NULL), ESEAL_OK);
	ck_assert_int_eq(n.outer, 5);
	ck_assert_int_eq(n.inner_bad, 0);
	/* More texts than slots: the oldest make room, answers stay right. */
	for (int i = 0; i < 300; i++) {
		snprintf(buf, sizeof(buf), "SELECT %d", i);
		v = -1;
		ck_assert_int_eq(store_rows(s, buf, "many", NULL, int_row, &v,
		    NULL), ESEAL_OK);
		ck_assert_int_eq(v, i);
	}
	ck_assert_int_eq(store_count(s, five, NULL), 1);
	/* Only with the lock: the cache is not for two threads at once. */
	ck_assert_int_eq(store_prepare(s, "SELECT 1", &st), ESEAL_EINTERNAL);
	ck_assert_ptr_null(st);
	store_lock(s);
	ck_assert_int_eq(store_prepare(s, "SELECT 1", &st), ESEAL_OK);
	store_done(s, st);
	store_unlock(s);
	/* A statement left out (reset, never stepped to the end) closes. */
	store_lock(s);
	ck_assert_int_eq(store_prepare(s, five, &st), ESEAL_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	store_done(s, st);
	store_unlock(s);
	ck_assert_int_eq(store_begin(s), ESEAL_OK);	/* no read left open */
	ck_assert_int_eq(store_commit(s), ESEAL_OK);
	store_close(s);
	free(path);
}
END_TEST

/* --- the issuer generation: cheap, never stale ------------------------ */

static void
gen(struct store *s, char *buf, size_t len)
{
	ck_assert_int_eq(store_issuer_generation(s, buf, len), ESEAL_OK);
	ck_assert_int_gt(strlen(buf), 0);
}

/* An UPDATE of issuers through SQLite alone (no hook of ours on it). */
static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

START_TEST(test_generation_never_stale)
{
	char *path = db_path(), g0[256], g1[256], g2[256], g3[256];
	struct store_issuer is;
	struct store *s, *s2;
	int64_t id, id2;
	pid_t pid;
	int status;

	ck_assert_int_eq(store_open(path, &s), ESEAL_OK);
	id = add_issuer(s);
	gen(s, g0, sizeof(g0));
	gen(s, g1, sizeof(g1));
	ck_assert_str_eq(g0, g1);
	/* This connection's own change. */
	ck_assert_int_eq(store_issuer_set_status(s, id, "active", "retiring",
	    1100, NULL), ESEAL_OK);
	gen(s, g1, sizeof(g1));
	ck_assert_str_ne(g0, g1);
	/* Another connection's (another thread's store, say). */
	ck_assert_int_eq(store_open(path, &s2), ESEAL_OK);
	ck_assert_int_eq(store_issuer_set_status(s2, id, "retiring", "active",
	    1200, NULL), ESEAL_OK);
	store_close(s2);
	gen(s, g2, sizeof(g2));
	ck_assert_str_ne(g2, g1);
	/* Another process rotating, as esealctl issuer rotate does: a new
	   issuer becomes active, the old one retiring. */
	if ((pid = fork()) == 0) {
		struct store *c;
		unsigned char der[3] = { 0x30, 0x01, 0x01 };

		if (store_open(path, &c) != ESEAL_OK)
			_exit(1);
		memset(&is, 0, sizeof(is));
		snprintf(is.name, sizeof(is.name), "ca-2");
		memcpy(is.key_id, "\x03\x04", 2);
		is.key_id_len = 2;
		snprintf(is.key_type, sizeof(is.key_type), "ec-p256");
		snprintf(is.status, sizeof(is.status), "pending");
		is.crl_shards = 1;
		if (store_issuer_insert(c, &is, 1300, &id2) != ESEAL_OK)
			_exit(3);
		is.cert = der;		/* its CA certificate, made */
		is.cert_len = sizeof(der);
		is.not_before = 1300;
		is.not_after = 3000;
		if (
		    store_begin(c) != ESEAL_OK ||
		    store_issuer_set_status(c, id, "active", "retiring", 1300,
		    NULL) != ESEAL_OK ||
		    store_issuer_set_status(c, id2, "pending", "active", 1300,
		    &is) != ESEAL_OK || store_commit(c) != ESEAL_OK) {
			fprintf(stderr, "child: %s\n", eseal_errmsg());
			_exit(2);
		}
		store_close(c);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	gen(s, g3, sizeof(g3));
	ck_assert_str_ne(g3, g2);
	ck_assert_int_eq(store_issuer_current(s, &is), ESEAL_OK);
	ck_assert_str_eq(is.name, "ca-2");
	store_issuer_clear(&is);
	/* Plain SQLite (no hook of ours): seen through PRAGMA data_version
	   alone. */
	raw_exec(path, "UPDATE issuers SET cert = x'3002ffff' WHERE name = "
	    "'ca-1'");
	gen(s, g2, sizeof(g2));
	ck_assert_str_ne(g2, g3);
	/* Read inside a transaction that rolls back: not kept. */
	ck_assert_int_eq(store_begin(s), ESEAL_OK);
	ck_assert_int_eq(store_issuer_delete_pending(s, id), ESEAL_OK);
	memset(&is, 0, sizeof(is));
	snprintf(is.name, sizeof(is.name), "ca-3");
	memcpy(is.key_id, "\x05", 1);
	is.key_id_len = 1;
	snprintf(is.key_type, sizeof(is.key_type), "ec-p256");
	snprintf(is.status, sizeof(is.status), "pending");
	is.crl_shards = 1;
	ck_assert_int_eq(store_issuer_insert(s, &is, 1400, &id2), ESEAL_OK);
	gen(s, g3, sizeof(g3));
	ck_assert_str_ne(g3, g2);
	store_rollback(s);
	gen(s, g1, sizeof(g1));
	ck_assert_str_eq(g1, g2);
	/* Nothing changed: the same text, from memory. */
	gen(s, g3, sizeof(g3));
	ck_assert_str_eq(g3, g2);
	store_close(s);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_migrations_from_empty_and_again);
	tcase_add_test(tc, test_migration_below_the_highest);
	tcase_add_test(tc, test_open_refuses_garbage);
	tcase_add_test(tc, test_new_store_is_0600);
	tcase_add_test(tc, test_open_refuses_world_readable);
	tcase_add_test(tc, test_issuer_rows);
	tcase_add_test(tc, test_cert_lifecycle);
	tcase_add_test(tc, test_nested_transactions);
	tcase_add_test(tc, test_full_disk_keeps_first_error);
	tcase_add_test(tc, test_probe_says_why);
	tcase_add_test(tc, test_list_grows_in_order);
	tcase_add_test(tc, test_rows_stop_fail_and_clear);
	tcase_add_test(tc, test_audit_each_stops);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_stmt_cache);
	tcase_add_test(tc, test_generation_never_stale);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
