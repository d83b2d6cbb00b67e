/*
 * store.c: the store's connection to SQLite, its transactions and the one
 * row loop every file of the store reads with (store_rows, store_list).
 * Every statement is prepared with bound parameters, and kept for the next
 * call with the same SQL (store_stmt.c); every error names the operation.
 * The connection is guarded by a recursive mutex so that a store may be
 * shared by the daemon's threads.  The migrations live in
 * store_migrate.c, the rows of each domain in store_<domain>.c.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

#define STORE_BUSY_MS	5000	/* wait this long for another writer */
#define STORE_LIST_FIRST 8	/* elements store_list() makes room for first */
#define STORE_WAL_PAGES	256	/* autocheckpoint the WAL at ~1 MiB (4 KiB
				   pages) rather than SQLite's 1000 */
#define STORE_JOURNAL_LIMIT (1024 * 1024) /* truncate a reset WAL to this */
#define STORE_ERR_MAX	512	/* one error line, as err.c keeps it */
#define STORE_MODE	0600	/* a new store: it holds password and session
				   hashes and the audit trail.  SQLite gives
				   its -wal and -shm files the same mode */
#define STORE_MODE_OTHERS (S_IROTH | S_IWOTH | S_IXOTH)	/* refused */

struct store {
	sqlite3		*db;
	pthread_mutex_t	 mu;
	int		 held;		/* times mu is held by its owner */
	pthread_t	 owner;
	struct store_sync *sync;	/* group commit; NULL: synchronous=FULL */
	struct store_stmts *stmts;	/* prepared statements, under mu */
	uint64_t	 issuer_writes;	/* rows of issuers this connection
					   changed (row_changed), under mu */
	struct store_gen gen;		/* store_issuer_generation()'s */
	int		 version;	/* applied schema version */
	int		 depth;		/* nesting of store_begin */
	int		 doomed;	/* an inner transaction rolled back */
	/*
	 * The first failure inside the current transaction (SQLITE_FULL,
	 * SQLITE_IOERR, SQLITE_BUSY, ...): what the caller is told at
	 * rollback, whatever the ROLLBACK itself says.
	 */
	enum eseal_rc	 first_rc;	/* ESEAL_OK: none yet */
	char		 first_err[STORE_ERR_MAX];
};

/* The commit of this thread's transaction waiting for its flush. */
static __thread struct store *tl_store;
static __thread uint64_t tl_seq;
static __thread int tl_defer;	/* store_checkpoint_defer() */

/* "SQLITE_FULL" and the like for the primary result code of rc. */
static const char *
code_name(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:	return "SQLITE_BUSY";
	case SQLITE_LOCKED:	return "SQLITE_LOCKED";
	case SQLITE_NOMEM:	return "SQLITE_NOMEM";
	case SQLITE_READONLY:	return "SQLITE_READONLY";
	case SQLITE_IOERR:	return "SQLITE_IOERR";
	case SQLITE_CORRUPT:	return "SQLITE_CORRUPT";
	case SQLITE_FULL:	return "SQLITE_FULL";
	case SQLITE_CANTOPEN:	return "SQLITE_CANTOPEN";
	case SQLITE_CONSTRAINT:	return "SQLITE_CONSTRAINT";
	case SQLITE_NOTADB:	return "SQLITE_NOTADB";
	default:		return "SQLITE_ERROR";
	}
}

/*
 * 1 if SQLite's code says the store itself is in trouble (the disk, the
 * lock, memory), not that a statement broke a rule the caller handles.
 */
static int
store_trouble(int code)
{
	switch (code & 0xff) {
	case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_NOMEM:
	case SQLITE_READONLY: case SQLITE_IOERR: case SQLITE_CORRUPT:
	case SQLITE_FULL: case SQLITE_CANTOPEN: case SQLITE_NOTADB:
		return 1;
	default:
		return 0;
	}
}

/*
 * Records msg as the store's error (and the transaction's first one, if
 * a transaction is open and none was kept yet).  Returns ESEAL_ESTORE.
 */
static enum eseal_rc
store_fail(struct store *s, const char *what, const char *msg, int code)
{
	enum eseal_rc rc;

	rc = eseal_err(ESEAL_ESTORE, "store: %s: %s (%s)", what, msg,
	    code_name(code));
	if (s->depth > 0 && s->first_rc == ESEAL_OK && store_trouble(code)) {
		s->first_rc = rc;
		snprintf(s->first_err, sizeof(s->first_err), "%s",
		    eseal_errmsg());
	}
	return rc;
}

enum eseal_rc
store_dberr(struct store *s, const char *what)
{
	return store_fail(s, what, sqlite3_errmsg(s->db),
	    sqlite3_extended_errcode(s->db));
}

enum eseal_rc
store_exec(struct store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int r;

	if ((r = sqlite3_exec(s->db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		enum eseal_rc rc = store_fail(s, what, msg ? msg :
		    sqlite3_errstr(r), sqlite3_extended_errcode(s->db));

		sqlite3_free(msg);
		return rc;
	}
	return ESEAL_OK;
}

enum eseal_rc
store_finish(struct store *s, sqlite3_stmt *st, const char *what,
    int want_change)
{
	enum eseal_rc rc = ESEAL_OK;

	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, what);
	else if (want_change && sqlite3_changes(s->db) == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: %s: no such row", what);
	store_done(s, st);
	return rc;
}

/* 1 if this thread holds the store's mutex (only it may look at held). */
static int
held_here(struct store *s)
{
	return s->held > 0 && pthread_equal(s->owner, pthread_self());
}

enum eseal_rc
store_prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	/*
	 * The cache is guarded by the mutex: a caller without it is a bug
	 * that would share a statement between threads.
	 */
	if (!held_here(s)) {
		*st = NULL;
		return eseal_err(ESEAL_EINTERNAL, "store: a statement prepared "
		    "without the store's lock");
	}
	if (store_stmts_get(s->stmts, s->db, sql, st) != SQLITE_OK)
		return store_dberr(s, "prepare");
	return ESEAL_OK;
}

void
store_done(struct store *s, sqlite3_stmt *st)
{
	store_stmts_put(s->stmts, st);
}

unsigned long
store_prepares(struct store *s)
{
	return store_stmts_prepares(s->stmts);
}

uint64_t
store_issuer_writes(struct store *s)
{
	return s->issuer_writes;
}

struct store_gen *
store_gen(struct store *s)
{
	return &s->gen;
}

/*
 * SQLite's update hook: every row this connection inserts, updates or
 * deletes, on the thread holding the mutex.  A change to issuers, even one
 * rolled back later, tells store_issuer_generation() to read them again
 * (other connections' changes it sees through PRAGMA data_version).  The
 * hook misses rows of WITHOUT ROWID tables, REPLACE's deletes and a
 * DELETE with no WHERE: the store does none of these to issuers.
 */
static void
row_changed(void *arg, int op, const char *db, const char *table,
    sqlite3_int64 rowid)
{
	struct store *s = arg;

	(void)op, (void)db, (void)rowid;
	if (strcmp(table, "issuers") == 0)
		s->issuer_writes++;
}

/* The WAL stays small: checkpointed early, truncated after a reset. */
static enum eseal_rc
store_bound_wal(struct store *s)
{
	char sql[96];
	enum eseal_rc rc;

	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint=%d",
	    STORE_WAL_PAGES);
	if ((rc = store_exec(s, sql, "wal_autocheckpoint")) != ESEAL_OK)
		return rc;
	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit=%d",
	    STORE_JOURNAL_LIMIT);
	return store_exec(s, sql, "journal_size_limit");
}

/*
 * Refuses a store (or its -wal, -shm file) that others may read or write,
 * saying how to fix it; group access (0640, a backup group) is the
 * operator's choice.  Creates a missing store file with STORE_MODE, so
 * that neither the umask nor SQLite's default (0644) decides.
 */
static enum eseal_rc
store_file_mode(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char name[4096];
	struct stat st;
	int fd;

	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		return ESEAL_OK;
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if ((size_t)snprintf(name, sizeof(name), "%s%s", path,
		    suffix[i]) >= sizeof(name))
			return eseal_err(ESEAL_ECONF, "store: %.200s...: path "
			    "too long", path);
		if (stat(name, &st) != 0)
			continue;
		if ((st.st_mode & STORE_MODE_OTHERS) != 0)
			return eseal_err(ESEAL_ECONF, "store: %s is mode %04o: "
			    "others may read or write the password hashes, "
			    "sessions and audit trail it holds; run "
			    "`chmod 600 %s` (0640 for a backup group)", name,
			    (unsigned)(st.st_mode & 07777), name);
	}
	if (stat(path, &st) == 0)
		return ESEAL_OK;
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    STORE_MODE)) < 0) {
		if (errno == EEXIST)
			return ESEAL_OK;
		return eseal_err(ESEAL_ESTORE, "store: %s: cannot create: %s",
		    path, strerror(errno));
	}
	if (fchmod(fd, STORE_MODE) != 0) {
		int e = errno;

		close(fd);
		return eseal_err(ESEAL_ESTORE, "store: %s: chmod: %s", path,
		    strerror(e));
	}
	close(fd);
	return ESEAL_OK;
}

/*
 * After each commit (SQLite's WAL hook, on the committing thread): the
 * commit of an explicit transaction is flushed when store_commit() lets the
 * mutex go, together with whatever else was written by then; a statement
 * on its own is flushed here.  Also checkpoints, which the default hook
 * (replaced by this one) did.  An error says the commit happened but is
 * not known to be on disk.
 */
static int
wal_written(void *arg, sqlite3 *db, const char *zdb, int pages)
{
	struct store *s = arg;
	uint64_t seq = store_sync_written(s->sync);

	if (pages >= STORE_WAL_PAGES && !tl_defer)
		(void)sqlite3_wal_checkpoint_v2(db, zdb,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (s->depth > 0 && s->held > 0 &&
	    pthread_equal(s->owner, pthread_self())) {
		tl_store = s;
		tl_seq = seq;
		return SQLITE_OK;
	}
	return store_sync_wait(s->sync, seq) == ESEAL_OK ? SQLITE_OK :
	    SQLITE_IOERR_FSYNC;
}

/* Group commit (store_sync.c) where the WAL file can be flushed by us. */
static enum eseal_rc
group_commit(struct store *s, const char *path)
{
	if (store_sync_open(path, &s->sync) != ESEAL_OK) {
		log_warn("msg=\"store: no group commit, every commit flushes "
		    "on its own\" error=\"%s\"", eseal_errmsg());
		return ESEAL_OK;
	}
	sqlite3_wal_hook(s->db, wal_written, s);
	return store_exec(s, "PRAGMA synchronous=NORMAL", "synchronous");
}

static void
hold(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	if (s->held++ == 0)
		s->owner = pthread_self();
}

/* Lets the mutex go; the last release flushes this thread's commit. */
static enum eseal_rc
release(struct store *s)
{
	uint64_t want = 0;

	if (--s->held == 0 && tl_store == s) {
		want = tl_seq;
		tl_store = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	return want != 0 ? store_sync_wait(s->sync, want) : ESEAL_OK;
}

enum eseal_rc
store_open(const char *path, struct store **out)
{
	struct store *s;
	pthread_mutexattr_t ma;
	enum eseal_rc rc;

	*out = NULL;
	if ((rc = store_file_mode(path)) != ESEAL_OK)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	if ((rc = store_stmts_new(&s->stmts)) != ESEAL_OK) {
		store_close(s);
		return rc;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rc = eseal_err(ESEAL_ESTORE, "store: %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "cannot open");
		store_close(s);
		return rc;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_update_hook(s->db, row_changed, s);
	if ((rc = store_exec(s, "PRAGMA journal_mode=WAL", "WAL")) != ESEAL_OK ||
	    (rc = store_exec(s, "PRAGMA synchronous=FULL", "synchronous"))
	    != ESEAL_OK ||
	    (rc = store_exec(s, "PRAGMA foreign_keys=ON", "foreign keys"))
	    != ESEAL_OK || (rc = store_bound_wal(s)) != ESEAL_OK ||
	    (rc = store_migrate(s, &s->version)) != ESEAL_OK ||
	    (rc = group_commit(s, path)) != ESEAL_OK) {
		store_close(s);
		return rc;
	}
	*out = s;
	return ESEAL_OK;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->sync != NULL)
		sqlite3_wal_hook(s->db, NULL, NULL);
	store_stmts_free(s->stmts);	/* none is in use by now */
	sqlite3_close_v2(s->db);
	store_sync_close(s->sync);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int
store_schema_version(struct store *s)
{
	return s->version;
}

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

/*
 * Each call takes the mutex; a transaction holds it from begin to commit or
 * rollback, so the calls inside it take it again (it is recursive) and no
 * other thread's statement slips into the transaction.
 */
unsigned long
store_flushes(struct store *s)
{
	return s->sync != NULL ? store_sync_flushes(s->sync) : 0;
}

void
store_lock(struct store *s)
{
	hold(s);
}

void
store_unlock(struct store *s)
{
	(void)release(s);
}

/*
 * Transactions nest: an inner begin/commit only counts, the outermost one
 * speaks to SQLite.  An inner rollback dooms the whole transaction.
 *
 * A failed statement may have made SQLite roll the transaction back
 * already (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY on commit): then there
 * is nothing to roll back, and what the caller and the log are told is
 * that first failure, never "cannot rollback - no transaction is active".
 */
enum eseal_rc
store_begin(struct store *s)
{
	enum eseal_rc rc;

	hold(s);	/* held until commit or rollback */
	if (s->depth++ > 0)
		return ESEAL_OK;
	s->doomed = 0;
	s->first_rc = ESEAL_OK;
	s->first_err[0] = '\0';
	if ((rc = store_exec(s, "BEGIN IMMEDIATE", "begin")) != ESEAL_OK) {
		log_error("msg=\"store transaction not begun\" error=\"%s\"",
		    eseal_errmsg());
		s->depth = 0;
		(void)release(s);
	}
	return rc;
}

/*
 * The outermost end of a failed transaction (depth already 0): rolls back
 * what SQLite has not, logs the first failure at error level and leaves
 * it as the thread's message.  Returns its rc (fallback if none was kept).
 */
static enum eseal_rc
end_failed(struct store *s, enum eseal_rc fallback)
{
	char msg[STORE_ERR_MAX];
	enum eseal_rc rc;

	if (s->first_rc != ESEAL_OK) {
		rc = s->first_rc;
		snprintf(msg, sizeof(msg), "%s", s->first_err);
	} else {
		rc = fallback;
		snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
	}
	if (!sqlite3_get_autocommit(s->db) &&
	    store_exec(s, "ROLLBACK", "rollback") != ESEAL_OK)
		log_error("msg=\"store rollback failed\" error=\"%s\"",
		    eseal_errmsg());
	if (s->first_rc != ESEAL_OK)
		log_error("msg=\"store transaction failed\" error=\"%s\"",
		    msg);
	s->first_rc = ESEAL_OK;
	s->first_err[0] = '\0';
	eseal_err(rc, "%s", msg);
	return rc;
}

enum eseal_rc
store_commit(struct store *s)
{
	enum eseal_rc rc, flushed;

	if (--s->depth > 0) {
		(void)release(s);
		return ESEAL_OK;
	}
	if (s->doomed) {
		if (s->first_rc == ESEAL_OK)
			(void)eseal_err(ESEAL_ESTORE, "store: transaction "
			    "rolled back by an inner failure");
		rc = end_failed(s, ESEAL_ESTORE);
	} else {
		s->depth = 1;	/* a failing COMMIT is the first failure */
		rc = store_exec(s, "COMMIT", "commit");
		s->depth = 0;
		if (rc != ESEAL_OK)
			rc = end_failed(s, rc);
	}
	/* Durable before the caller hears "committed" (store_sync.c). */
	flushed = release(s);
	return rc != ESEAL_OK ? rc : flushed;
}

void
store_rollback(struct store *s)
{
	if (--s->depth > 0)
		s->doomed = 1;
	else
		(void)end_failed(s, ESEAL_ESTORE);
	(void)release(s);
}

/* --- reading columns ------------------------------------------------- */

void
store_col_text(sqlite3_stmt *st, int i, char *dst, size_t dstsz)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	snprintf(dst, dstsz, "%s", p != NULL ? (const char *)p : "");
}

char *
store_col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	return p == NULL ? NULL : strdup((const char *)p);
}

unsigned char *
store_col_blobdup(sqlite3_stmt *st, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);
	unsigned char *b;

	*len = 0;
	if (p == NULL || n <= 0)
		return NULL;
	if ((b = malloc((size_t)n)) == NULL)
		return NULL;
	memcpy(b, p, (size_t)n);
	*len = (size_t)n;
	return b;
}

void
store_col_blobcpy(sqlite3_stmt *st, int i, unsigned char *dst, size_t dstsz,
    size_t *len)
{
	const void *p = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (n > dstsz)
		n = dstsz;
	if (p != NULL)
		memcpy(dst, p, n);
	if (len != NULL)
		*len = n;
}

/* --- the one row loop ------------------------------------------------ */

enum eseal_rc
store_rows(struct store *s, const char *sql, const char *what,
    store_bind_fn bind, store_row_fn row, void *ctx, size_t *nrows)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	size_t cnt = 0;
	int r, taken = 0;

	if (nrows != NULL)
		*nrows = 0;
	store_lock(s);
	if ((rc = store_prepare(s, sql, &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	if (bind != NULL)
		bind(st, ctx);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		cnt++;
		if (row == NULL || (taken = row(st, ctx)) == 0)
			continue;
		if (taken != STORE_STOP)
			rc = (enum eseal_rc)taken;
		break;
	}
	if (taken == 0 && r != SQLITE_DONE)
		rc = store_dberr(s, what);
	store_done(s, st);
	store_unlock(s);
	if (nrows != NULL)
		*nrows = cnt;
	return rc;
}

struct list_ctx {
	const struct store_rowtype *t;
	store_bind_fn	 bind;		/* the caller's, with its ctx */
	void		*ctx;
	unsigned char	*v;
	size_t		 n, cap;
};

static void
list_bind(sqlite3_stmt *st, void *arg)
{
	struct list_ctx *l = arg;

	l->bind(st, l->ctx);
}

static int
list_row(sqlite3_stmt *st, void *arg)
{
	struct list_ctx *l = arg;
	unsigned char *nv, *elem;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? STORE_LIST_FIRST : 2 * l->cap;
		if (cap > SIZE_MAX / l->t->size ||
		    (nv = realloc(l->v, cap * l->t->size)) == NULL)
			return eseal_err(ESEAL_ENOMEM, "store: out of memory");
		l->v = nv;
		l->cap = cap;
	}
	elem = l->v + l->n * l->t->size;
	memset(elem, 0, l->t->size);
	l->n++;			/* cleared on error, even half filled */
	if (!l->t->fill(st, elem))
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	return 0;
}

enum eseal_rc
store_list(struct store *s, const char *sql, const char *what,
    store_bind_fn bind, void *ctx, const struct store_rowtype *t, void **out,
    size_t *n)
{
	struct list_ctx l = { t, bind, ctx, NULL, 0, 0 };
	enum eseal_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = store_rows(s, sql, what, bind != NULL ? list_bind : NULL,
	    list_row, &l, NULL)) != ESEAL_OK) {
		for (size_t i = 0; t->clear != NULL && i < l.n; i++)
			t->clear(l.v + i * t->size);
		free(l.v);
		return rc;
	}
	*out = l.v;
	*n = l.n;
	return ESEAL_OK;
}

struct count_ctx {
	const char	*arg;
	int64_t		 n;
};

static void
count_bind(sqlite3_stmt *st, void *arg)
{
	struct count_ctx *c = arg;

	if (c->arg != NULL)
		sqlite3_bind_text(st, 1, c->arg, -1, SQLITE_STATIC);
}

static int
count_row(sqlite3_stmt *st, void *arg)
{
	((struct count_ctx *)arg)->n = sqlite3_column_int64(st, 0);
	return STORE_STOP;
}

int64_t
store_count(struct store *s, const char *sql, const char *arg)
{
	struct count_ctx c = { arg, -1 };

	if (store_rows(s, sql, "count", count_bind, count_row, &c, NULL)
	    != ESEAL_OK)
		return -1;
	return c.n;
}

/* --- health ---------------------------------------------------------- */

enum eseal_rc
store_checkpoint(struct store *s)
{
	enum eseal_rc rc;

	store_lock(s);
	rc = store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
	store_unlock(s);
	return rc;
}

void
store_checkpoint_defer(struct store *s, int on)
{
	tl_defer = on;
	if (on)
		return;
	store_lock(s);
	(void)sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	store_unlock(s);
}

/* Free bytes for an unprivileged writer on the store's filesystem. */
static int64_t
free_bytes(struct store *s)
{
	const char *f = sqlite3_db_filename(s->db, "main");
	char dir[1024];
	struct statvfs v;

	if (f == NULL || f[0] == '\0')
		return -1;
	snprintf(dir, sizeof(dir), "%s", f);
	if (statvfs(dirname(dir), &v) == -1)
		return -1;
	return (int64_t)v.f_bavail * (int64_t)v.f_frsize;
}

enum eseal_rc
store_probe(struct store *s, int64_t now, struct store_health *h)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	memset(h, 0, sizeof(*h));
	h->free_bytes = free_bytes(s);
	if ((rc = store_begin(s)) == ESEAL_OK) {
		if ((rc = store_prepare(s, "INSERT INTO store_probe (id, at) "
		    "VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET at = "
		    "excluded.at", &st)) == ESEAL_OK) {
			sqlite3_bind_int64(st, 1, now);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = store_dberr(s, "write probe");
			store_done(s, st);
		}
		if (rc == ESEAL_OK)
			rc = store_commit(s);
		else
			store_rollback(s);
	}
	h->writable = rc == ESEAL_OK;
	if (!h->writable)
		snprintf(h->error, sizeof(h->error), "%s", eseal_errmsg());
	return rc;
}
