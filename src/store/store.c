/*
 * store.c: SQLite behind store.h.  Every statement is prepared with bound
 * parameters; every error names the operation.  The connection is guarded by
 * a mutex so that a store may be shared by the daemon's threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "schema.h"
#include "store.h"
#include "store_int.h"

#define STORE_BUSY_MS	5000	/* wait this long for another writer */

struct store {
	sqlite3		*db;
	pthread_mutex_t	 mu;
	int		 version;	/* applied schema version */
	int		 depth;		/* nesting of store_begin */
	int		 doomed;	/* an inner transaction rolled back */
};

static const char *const cert_status_names[CERT_STATUS_MAX] = {
	[CERT_PENDING] = "pending",
	[CERT_ISSUED] = "issued",
	[CERT_FAILED] = "failed",
};

const char *
cert_status_name(enum cert_status s)
{
	return (s >= 0 && s < CERT_STATUS_MAX) ? cert_status_names[s] : "?";
}

static enum cert_status
cert_status_parse(const char *s)
{
	for (int i = 0; i < CERT_STATUS_MAX; i++)
		if (strcmp(s, cert_status_names[i]) == 0)
			return (enum cert_status)i;
	return CERT_FAILED;
}

enum eseal_rc
store_dberr(struct store *s, const char *what)
{
	return eseal_err(ESEAL_ESTORE, "store: %s: %s", what,
	    sqlite3_errmsg(s->db));
}

static enum eseal_rc
exec(struct store *s, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		enum eseal_rc rc = eseal_err(ESEAL_ESTORE, "store: %s: %s", what,
		    msg ? msg : "?");
		sqlite3_free(msg);
		return rc;
	}
	return ESEAL_OK;
}

enum eseal_rc
store_prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return store_dberr(s, "prepare");
	return ESEAL_OK;
}

void
store_col_text(sqlite3_stmt *st, int i, char *dst, size_t dstsz)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	snprintf(dst, dstsz, "%s", p != NULL ? (const char *)p : "");
}

static char *
col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	return p == NULL ? NULL : strdup((const char *)p);
}

static unsigned char *
col_blobdup(sqlite3_stmt *st, int i, size_t *len)
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

static void
col_blobcpy(sqlite3_stmt *st, int i, unsigned char *dst, size_t dstsz,
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

static enum eseal_rc
migrate(struct store *s)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	rc = exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	    "applied INTEGER NOT NULL)", "schema_version");
	if (rc != ESEAL_OK)
		return rc;
	if ((rc = store_prepare(s, "SELECT COALESCE(MAX(version), 0) FROM "
	    "schema_version", &st)) != ESEAL_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		s->version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);

	for (size_t i = 0; i < schema_nmigrations; i++) {
		const struct schema_migration *m = &schema_migrations[i];

		if (m->version <= s->version)
			continue;
		if ((rc = exec(s, "BEGIN IMMEDIATE", "begin")) != ESEAL_OK)
			return rc;
		if ((rc = exec(s, m->sql, m->name)) != ESEAL_OK) {
			(void)exec(s, "ROLLBACK", "rollback");
			return rc;
		}
		if ((rc = store_prepare(s, "INSERT INTO schema_version (version, "
		    "name, applied) VALUES (?, ?, strftime('%s','now'))", &st))
		    != ESEAL_OK) {
			(void)exec(s, "ROLLBACK", "rollback");
			return rc;
		}
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = store_dberr(s, m->name);
			sqlite3_finalize(st);
			(void)exec(s, "ROLLBACK", "rollback");
			return rc;
		}
		sqlite3_finalize(st);
		if ((rc = exec(s, "COMMIT", "commit")) != ESEAL_OK)
			return rc;
		s->version = m->version;
	}
	return ESEAL_OK;
}

enum eseal_rc
store_open(const char *path, struct store **out)
{
	struct store *s;
	enum eseal_rc rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	pthread_mutexattr_t ma;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rc = eseal_err(ESEAL_ESTORE, "store: %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "cannot open");
		store_close(s);
		return rc;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if ((rc = exec(s, "PRAGMA journal_mode=WAL", "WAL")) != ESEAL_OK ||
	    (rc = exec(s, "PRAGMA synchronous=FULL", "synchronous")) != ESEAL_OK ||
	    (rc = exec(s, "PRAGMA foreign_keys=ON", "foreign keys")) != ESEAL_OK ||
	    (rc = migrate(s)) != ESEAL_OK) {
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
	sqlite3_close_v2(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int
store_schema_version(struct store *s)
{
	return s->version;
}

/*
 * Transactions nest: an inner begin/commit only counts, the outermost one
 * speaks to SQLite.  An inner rollback dooms the whole transaction.
 */
enum eseal_rc
store_begin(struct store *s)
{
	enum eseal_rc rc;

	pthread_mutex_lock(&s->mu);	/* held until commit or rollback */
	if (s->depth++ > 0)
		return ESEAL_OK;
	s->doomed = 0;
	if ((rc = exec(s, "BEGIN IMMEDIATE", "begin")) != ESEAL_OK) {
		s->depth = 0;
		pthread_mutex_unlock(&s->mu);
	}
	return rc;
}

enum eseal_rc
store_commit(struct store *s)
{
	enum eseal_rc rc;

	if (--s->depth > 0) {
		pthread_mutex_unlock(&s->mu);
		return ESEAL_OK;
	}
	if (s->doomed) {
		(void)exec(s, "ROLLBACK", "rollback");
		rc = eseal_err(ESEAL_ESTORE, "store: transaction rolled back "
		    "by an inner failure");
	} else if ((rc = exec(s, "COMMIT", "commit")) != ESEAL_OK)
		(void)exec(s, "ROLLBACK", "rollback");
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void
store_rollback(struct store *s)
{
	if (--s->depth > 0)
		s->doomed = 1;
	else
		(void)exec(s, "ROLLBACK", "rollback");
	pthread_mutex_unlock(&s->mu);
}

/*
 * Each call takes the mutex; a transaction holds it from begin to commit or
 * rollback, so the calls inside it take it again (it is recursive) and no
 * other thread's statement slips into the transaction.
 */
static void
lock(struct store *s)
{
	pthread_mutex_lock(&s->mu);
}

static void
unlock(struct store *s)
{
	pthread_mutex_unlock(&s->mu);
}

sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

void
store_lock(struct store *s)
{
	lock(s);
}

void
store_unlock(struct store *s)
{
	unlock(s);
}

enum eseal_rc
store_issuer_insert(struct store *s, const struct store_issuer *is,
    int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	lock(s);
	if ((rc = store_prepare(s, "INSERT INTO issuers (name, key_id, key_type, "
	    "cert, not_before, not_after, crl_shards, status, created) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?)", &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, is->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, is->key_id, (int)is->key_id_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, is->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, is->cert, (int)is->cert_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, is->not_before);
	sqlite3_bind_int64(st, 6, is->not_after);
	sqlite3_bind_int(st, 7, is->crl_shards);
	sqlite3_bind_int64(st, 8, now);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(s->db);
		rc = ESEAL_OK;
	} else if ((r & 0xff) == SQLITE_CONSTRAINT)
		rc = eseal_err(ESEAL_EEXIST, "store: an issuer named \"%s\" "
		    "or with that key already exists", is->name);
	else
		rc = store_dberr(s, "insert issuer");
	sqlite3_finalize(st);
	unlock(s);
	return rc;
}

#define ISSUER_COLS "id, name, key_id, key_type, cert, not_before, " \
	"not_after, crl_shards, status"

static int
issuer_row(sqlite3_stmt *st, struct store_issuer *is)
{
	memset(is, 0, sizeof(*is));
	is->id = sqlite3_column_int64(st, 0);
	snprintf(is->name, sizeof(is->name), "%s", sqlite3_column_text(st, 1));
	col_blobcpy(st, 2, is->key_id, sizeof(is->key_id), &is->key_id_len);
	snprintf(is->key_type, sizeof(is->key_type), "%s",
	    sqlite3_column_text(st, 3));
	is->cert = col_blobdup(st, 4, &is->cert_len);
	is->not_before = sqlite3_column_int64(st, 5);
	is->not_after = sqlite3_column_int64(st, 6);
	is->crl_shards = sqlite3_column_int(st, 7);
	snprintf(is->status, sizeof(is->status), "%s",
	    sqlite3_column_text(st, 8));
	return is->cert != NULL;
}

static enum eseal_rc
issuer_query(struct store *s, const char *sql, const char *text, int64_t id,
    struct store_issuer *is)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	memset(is, 0, sizeof(*is));
	lock(s);
	if ((rc = store_prepare(s, sql, &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else if (id != 0)
		sqlite3_bind_int64(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		rc = issuer_row(st, is) ? ESEAL_OK :
		    eseal_err(ESEAL_ENOMEM, "store: out of memory");
	else if (r == SQLITE_DONE)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no such issuer");
	else
		rc = store_dberr(s, "read issuer");
	sqlite3_finalize(st);
	unlock(s);
	return rc;
}

enum eseal_rc
store_issuer_by_name(struct store *s, const char *name, struct store_issuer *is)
{
	return issuer_query(s, "SELECT " ISSUER_COLS " FROM issuers WHERE "
	    "name = ?", name, 0, is);
}

enum eseal_rc
store_issuer_by_id(struct store *s, int64_t id, struct store_issuer *is)
{
	return issuer_query(s, "SELECT " ISSUER_COLS " FROM issuers WHERE "
	    "id = ?", NULL, id, is);
}

enum eseal_rc
store_issuer_current(struct store *s, struct store_issuer *is)
{
	return issuer_query(s, "SELECT " ISSUER_COLS " FROM issuers WHERE "
	    "status = 'active' ORDER BY id DESC LIMIT 1", NULL, 0, is);
}

enum eseal_rc
store_issuer_list(struct store *s, struct store_issuer **out, size_t *n)
{
	struct store_issuer *v = NULL, *nv;
	sqlite3_stmt *st;
	enum eseal_rc rc;
	size_t cnt = 0;
	int r;

	*out = NULL;
	*n = 0;
	lock(s);
	if ((rc = store_prepare(s, "SELECT " ISSUER_COLS " FROM issuers ORDER BY id",
	    &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			rc = eseal_err(ESEAL_ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		if (!issuer_row(st, &v[cnt])) {
			rc = eseal_err(ESEAL_ENOMEM, "store: out of memory");
			break;
		}
		cnt++;
	}
	if (rc == ESEAL_OK && r != SQLITE_DONE)
		rc = store_dberr(s, "list issuers");
	sqlite3_finalize(st);
	unlock(s);
	if (rc != ESEAL_OK) {
		store_issuer_list_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return ESEAL_OK;
}

void
store_issuer_list_free(struct store_issuer *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_issuer_clear(&v[i]);
	free(v);
}

void
store_issuer_clear(struct store_issuer *is)
{
	if (is == NULL)
		return;
	free(is->cert);
	is->cert = NULL;
	is->cert_len = 0;
}

static int64_t
count_query(struct store *s, const char *sql, const char *arg)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	lock(s);
	if (store_prepare(s, sql, &st) == ESEAL_OK) {
		if (arg != NULL)
			sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	unlock(s);
	return n;
}

enum eseal_rc
store_issuer_generation(struct store *s, char *buf, size_t len)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	buf[0] = '\0';
	lock(s);
	if ((rc = store_prepare(s, "SELECT COUNT(*) || '/' || "
	    "COALESCE(MAX(id), 0) || '/' || COALESCE(SUM(length(cert)), 0) || "
	    "'/' || COALESCE(MAX(created), 0) || '/' || COALESCE(SUM(status = "
	    "'active'), 0) || '/' || COALESCE(hex(MAX(key_id)), '') || '/' || "
	    "COALESCE(hex(MIN(key_id)), '') FROM issuers", &st)) == ESEAL_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			store_col_text(st, 0, buf, len);
		else
			rc = store_dberr(s, "read issuers");
		sqlite3_finalize(st);
	}
	unlock(s);
	return rc;
}

int
store_issuer_count(struct store *s)
{
	return (int)count_query(s, "SELECT COUNT(*) FROM issuers", NULL);
}

int64_t
store_cert_count(struct store *s, enum cert_status status)
{
	return count_query(s, "SELECT COUNT(*) FROM certificates WHERE "
	    "status = ?", cert_status_name(status));
}

enum eseal_rc
store_cert_insert_pending(struct store *s, const struct store_cert *c,
    int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	lock(s);
	if ((rc = store_prepare(s, "INSERT INTO certificates (serial, issuer_id, "
	    "status, tbs, subject, spki_sha256, not_before, not_after, shard, "
	    "created, updated, org_identifier) VALUES (?, ?, 'pending', ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?)",
	    &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->issuer_id);
	sqlite3_bind_blob(st, 3, c->tbs, (int)c->tbs_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, c->spki_sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, c->not_before);
	sqlite3_bind_int64(st, 7, c->not_after);
	sqlite3_bind_int(st, 8, c->shard);
	sqlite3_bind_int64(st, 9, now);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_text(st, 11, c->org_identifier, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		rc = ESEAL_OK;
	else if (r == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = eseal_err(ESEAL_EEXIST, "store: serial %s already used",
		    c->serial);
	else
		rc = store_dberr(s, "insert pending certificate");
	sqlite3_finalize(st);
	unlock(s);
	return rc;
}

static enum eseal_rc
cert_transition(struct store *s, const char *sql, const char *serial,
    const void *blob, size_t len, const char *text, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	lock(s);
	if ((rc = store_prepare(s, sql, &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	if (blob != NULL)
		sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "update certificate");
	else if (sqlite3_changes(s->db) != 1)
		rc = eseal_err(ESEAL_EEXIST, "store: certificate %s is not "
		    "pending", serial);
	sqlite3_finalize(st);
	unlock(s);
	return rc;
}

enum eseal_rc
store_cert_mark_issued(struct store *s, const char *serial,
    const unsigned char *der, size_t len, int64_t now)
{
	return cert_transition(s, "UPDATE certificates SET status = 'issued', "
	    "cert = ?, updated = ? WHERE serial = ? AND status = 'pending'",
	    serial, der, len, NULL, now);
}

enum eseal_rc
store_cert_mark_failed(struct store *s, const char *serial, const char *reason,
    int64_t now)
{
	return cert_transition(s, "UPDATE certificates SET status = 'failed', "
	    "fail_reason = ?, updated = ? WHERE serial = ? AND "
	    "status = 'pending'", serial, NULL, 0, reason, now);
}

#define CERT_COLS "serial, issuer_id, status, tbs, cert, subject, " \
	"spki_sha256, not_before, not_after, shard, fail_reason, org_identifier"

static int
cert_row(sqlite3_stmt *st, struct store_cert *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->serial, sizeof(c->serial), "%s", sqlite3_column_text(st, 0));
	c->issuer_id = sqlite3_column_int64(st, 1);
	c->status = cert_status_parse((const char *)sqlite3_column_text(st, 2));
	c->tbs = col_blobdup(st, 3, &c->tbs_len);
	c->cert = col_blobdup(st, 4, &c->cert_len);
	c->subject = col_strdup(st, 5);
	col_blobcpy(st, 6, c->spki_sha256, sizeof(c->spki_sha256), NULL);
	c->not_before = sqlite3_column_int64(st, 7);
	c->not_after = sqlite3_column_int64(st, 8);
	c->shard = sqlite3_column_int(st, 9);
	c->fail_reason = col_strdup(st, 10);
	snprintf(c->org_identifier, sizeof(c->org_identifier), "%s",
	    sqlite3_column_text(st, 11));
	return c->tbs != NULL && c->subject != NULL;
}

enum eseal_rc
store_cert_get(struct store *s, const char *serial, struct store_cert *c)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	memset(c, 0, sizeof(*c));
	lock(s);
	if ((rc = store_prepare(s, "SELECT " CERT_COLS " FROM certificates WHERE "
	    "serial = ?", &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		rc = cert_row(st, c) ? ESEAL_OK :
		    eseal_err(ESEAL_ENOMEM, "store: out of memory");
	else if (r == SQLITE_DONE)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no certificate with "
		    "serial %s", serial);
	else
		rc = store_dberr(s, "read certificate");
	sqlite3_finalize(st);
	unlock(s);
	return rc;
}

enum eseal_rc
store_cert_pending(struct store *s, struct store_cert **out, size_t *n)
{
	struct store_cert *v = NULL, *nv;
	sqlite3_stmt *st;
	enum eseal_rc rc;
	size_t cnt = 0;
	int r;

	*out = NULL;
	*n = 0;
	lock(s);
	if ((rc = store_prepare(s, "SELECT " CERT_COLS " FROM certificates WHERE "
	    "status = 'pending' ORDER BY created", &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			rc = eseal_err(ESEAL_ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		if (!cert_row(st, &v[cnt++])) {
			rc = eseal_err(ESEAL_ENOMEM, "store: out of memory");
			break;
		}
	}
	if (rc == ESEAL_OK && r != SQLITE_DONE)
		rc = store_dberr(s, "list pending certificates");
	sqlite3_finalize(st);
	unlock(s);
	if (rc != ESEAL_OK) {
		store_cert_list_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return ESEAL_OK;
}

int
store_cert_spki_exists(struct store *s, const unsigned char spki_sha256[32])
{
	sqlite3_stmt *st;
	int r, found = -1;

	lock(s);
	if (store_prepare(s, "SELECT 1 FROM certificates WHERE spki_sha256 = ? "
	    "LIMIT 1", &st) == ESEAL_OK) {
		sqlite3_bind_blob(st, 1, spki_sha256, 32, SQLITE_STATIC);
		r = sqlite3_step(st);
		found = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(st);
	}
	unlock(s);
	return found;
}

int
store_cert_key_conflict(struct store *s, const unsigned char spki_sha256[32],
    const char *org)
{
	sqlite3_stmt *st;
	int r, v = -1;

	lock(s);
	if (store_prepare(s, "SELECT COALESCE(MAX(CASE "
	    "WHEN r.reason = 1 THEN 2 "
	    "WHEN c.org_identifier <> ?2 AND c.status = 'issued' THEN 1 "
	    "ELSE 0 END), 0) FROM certificates c LEFT JOIN revocations r "
	    "ON r.serial = c.serial WHERE c.spki_sha256 = ?1", &st) == ESEAL_OK) {
		sqlite3_bind_blob(st, 1, spki_sha256, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, org, -1, SQLITE_STATIC);
		r = sqlite3_step(st);
		if (r == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	unlock(s);
	return v;
}

enum eseal_rc
store_cert_find_issued(struct store *s, const unsigned char spki_sha256[32],
    const char *org, int64_t since, char serial[STORE_SERIAL_HEX_MAX])
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	serial[0] = '\0';
	lock(s);
	if ((rc = store_prepare(s, "SELECT serial FROM certificates WHERE "
	    "spki_sha256 = ? AND org_identifier = ? AND status = 'issued' AND "
	    "created >= ? ORDER BY created DESC LIMIT 1", &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	sqlite3_bind_blob(st, 1, spki_sha256, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, org, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, since);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		store_col_text(st, 0, serial, STORE_SERIAL_HEX_MAX);
	else if (r == SQLITE_DONE)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no such certificate");
	else
		rc = store_dberr(s, "find certificate");
	sqlite3_finalize(st);
	unlock(s);
	return rc;
}

void
store_cert_clear(struct store_cert *c)
{
	if (c == NULL)
		return;
	free(c->tbs);
	free(c->cert);
	free(c->subject);
	free(c->fail_reason);
	memset(c, 0, sizeof(*c));
}

void
store_cert_list_free(struct store_cert *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_cert_clear(&v[i]);
	free(v);
}

enum eseal_rc
store_audit_last(struct store *s, int64_t *seq, unsigned char hash[32])
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	*seq = 0;
	memset(hash, 0, 32);
	lock(s);
	if ((rc = store_prepare(s, "SELECT seq, hash FROM audit ORDER BY seq DESC "
	    "LIMIT 1", &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		col_blobcpy(st, 1, hash, 32, NULL);
	} else if (r != SQLITE_DONE)
		rc = store_dberr(s, "read audit");
	sqlite3_finalize(st);
	unlock(s);
	return rc;
}

enum eseal_rc
store_audit_insert(struct store *s, const struct store_audit *a)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	lock(s);
	if ((rc = store_prepare(s, "INSERT INTO audit (seq, ts, actor, action, "
	    "object, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, a->seq);
	sqlite3_bind_int64(st, 2, a->ts);
	sqlite3_bind_text(st, 3, a->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->object, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, a->prev_hash, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, a->hash, 32, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "insert audit record");
	sqlite3_finalize(st);
	unlock(s);
	return rc;
}

enum eseal_rc
store_audit_each(struct store *s, int (*fn)(const struct store_audit *, void *),
    void *arg)
{
	struct store_audit a;
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	lock(s);
	if ((rc = store_prepare(s, "SELECT seq, ts, actor, action, object, detail, "
	    "prev_hash, hash FROM audit ORDER BY seq", &st)) != ESEAL_OK) {
		unlock(s);
		return rc;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.seq = sqlite3_column_int64(st, 0);
		a.ts = sqlite3_column_int64(st, 1);
		a.actor = (char *)sqlite3_column_text(st, 2);
		a.action = (char *)sqlite3_column_text(st, 3);
		a.object = (char *)sqlite3_column_text(st, 4);
		a.detail = (char *)sqlite3_column_text(st, 5);
		col_blobcpy(st, 6, a.prev_hash, 32, NULL);
		col_blobcpy(st, 7, a.hash, 32, NULL);
		if (fn(&a, arg) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = store_dberr(s, "read audit");
	sqlite3_finalize(st);
	unlock(s);
	return rc;
}
