/*
 * store_ocsppre.c: SQLite behind store_ocsppre.h, written like the rest
 * of the store: every statement prepared with bound parameters, the
 * store's lock held around it, rows read through store_rows(), every
 * error naming the operation.  Every query the presigner repeats walks an
 * index (refresh_at, or certificates by updated and serial) for a bounded
 * number of rows, so its cost does not grow with the number of
 * certificates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"
#include "store_ocsppre.h"

/*
 * The row goes in only while revocations still says what it states:
 * good, no revocation; revoked, that very revocation.
 */
#define PUT_SQL \
	"INSERT INTO ocsp_presigned (serial, hash, issuer_id, status, " \
	"reason, revoked_at, invalidity_date, this_update, next_update, " \
	"refresh_at, der) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, " \
	"?11 WHERE CASE WHEN ?4 = 0 THEN NOT EXISTS (SELECT 1 FROM " \
	"revocations WHERE serial = ?1) ELSE EXISTS (SELECT 1 FROM " \
	"revocations WHERE serial = ?1 AND reason = ?5 AND revoked_at = ?6 " \
	"AND COALESCE(invalidity_date, 0) = ?7) END " \
	"ON CONFLICT (serial, hash) DO UPDATE SET issuer_id = excluded." \
	"issuer_id, status = excluded.status, reason = excluded.reason, " \
	"revoked_at = excluded.revoked_at, invalidity_date = excluded." \
	"invalidity_date, this_update = excluded.this_update, next_update = " \
	"excluded.next_update, refresh_at = excluded.refresh_at, der = " \
	"excluded.der"

/* One answer into the open transaction; *kept 1 if it went in. */
static enum eseal_rc
put_one(struct store *s, const struct store_ocsppre *r, int *kept)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	*kept = 0;
	if (r->der == NULL || r->der_len == 0 || r->der_len > INT32_MAX)
		return eseal_err(ESEAL_EINVAL, "store: presigned OCSP answer "
		    "for %s without a response", r->serial);
	if ((rc = store_prepare(s, PUT_SQL, &st)) != ESEAL_OK)
		return rc;
	sqlite3_bind_text(st, 1, r->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->issuer_id);
	sqlite3_bind_int(st, 4, r->status);
	sqlite3_bind_int(st, 5, r->reason);
	sqlite3_bind_int64(st, 6, r->revoked_at);
	sqlite3_bind_int64(st, 7, r->invalidity_date);
	sqlite3_bind_int64(st, 8, r->this_update);
	sqlite3_bind_int64(st, 9, r->next_update);
	sqlite3_bind_int64(st, 10, r->refresh_at);
	sqlite3_bind_blob(st, 11, r->der, (int)r->der_len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "record presigned OCSP answer");
	else
		*kept = sqlite3_changes(store_db(s)) > 0;
	store_done(s, st);
	return rc;
}

enum eseal_rc
store_ocsppre_put_batch(struct store *s, const struct store_ocsppre *v,
    size_t n, size_t *kept)
{
	enum eseal_rc rc;
	size_t k = 0;
	int one;

	if (kept != NULL)
		*kept = 0;
	if (n == 0)
		return ESEAL_OK;
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = put_one(s, &v[i], &one)) != ESEAL_OK) {
			store_rollback(s);
			return rc;
		}
		k += (size_t)one;
	}
	if ((rc = store_commit(s)) != ESEAL_OK)
		return rc;
	if (kept != NULL)
		*kept = k;
	return ESEAL_OK;
}

struct get_key {
	const char		*serial, *hash;
	struct store_ocsppre	*out;
};

static void
get_bind(sqlite3_stmt *st, void *arg)
{
	struct get_key *k = arg;

	sqlite3_bind_text(st, 1, k->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->hash, -1, SQLITE_STATIC);
}

/* issuer_id, status, reason, revoked_at, invalidity_date, this_update,
   next_update, refresh_at, der */
static int
get_row(sqlite3_stmt *st, void *arg)
{
	struct get_key *k = arg;
	struct store_ocsppre *r = k->out;

	snprintf(r->serial, sizeof(r->serial), "%s", k->serial);
	snprintf(r->hash, sizeof(r->hash), "%s", k->hash);
	r->issuer_id = sqlite3_column_int64(st, 0);
	r->status = sqlite3_column_int(st, 1);
	r->reason = sqlite3_column_int(st, 2);
	r->revoked_at = sqlite3_column_int64(st, 3);
	r->invalidity_date = sqlite3_column_int64(st, 4);
	r->this_update = sqlite3_column_int64(st, 5);
	r->next_update = sqlite3_column_int64(st, 6);
	r->refresh_at = sqlite3_column_int64(st, 7);
	if ((r->der = store_col_blobdup(st, 8, &r->der_len)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	return STORE_STOP;
}

enum eseal_rc
store_ocsppre_get(struct store *s, const char *serial, const char *hash,
    struct store_ocsppre *out)
{
	struct get_key k = { serial, hash, out };
	enum eseal_rc rc;
	size_t n;

	memset(out, 0, sizeof(*out));
	rc = store_rows(s, "SELECT issuer_id, status, reason, revoked_at, "
	    "invalidity_date, this_update, next_update, refresh_at, der FROM "
	    "ocsp_presigned WHERE serial = ? AND hash = ? AND der IS NOT NULL",
	    "read presigned OCSP answer", get_bind, get_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no presigned OCSP "
		    "answer for %s", serial);
	if (rc != ESEAL_OK)
		store_ocsppre_clear(out);
	return rc;
}

/* One statement with the serial as its only parameter. */
static enum eseal_rc
by_serial(struct store *s, const char *sql, const char *serial,
    const char *what)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, sql, &st)) == ESEAL_OK) {
		sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
		rc = store_finish(s, st, what, 0);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_ocsppre_invalidate(struct store *s, const char *serial)
{
	return by_serial(s, "UPDATE ocsp_presigned SET der = NULL, "
	    "refresh_at = 0 WHERE serial = ?", serial,
	    "invalidate presigned OCSP answer");
}

enum eseal_rc
store_ocsppre_delete(struct store *s, const char *serial)
{
	return by_serial(s, "DELETE FROM ocsp_presigned WHERE serial = ?",
	    serial, "drop presigned OCSP answer");
}

/* What the walks collect: a growing array of certificates to sign for. */
struct due_list {
	const char			*hash;
	int64_t				 now;
	size_t				 max;
	struct store_ocsppre_cursor	*cur;
	size_t				 scan_max;	/* rows walked */
	struct store_ocsppre_due	*v;
	size_t				 n, scanned, covered;
	int				 full;	/* stopped: v is full */
};

static int
due_add(struct due_list *l, sqlite3_stmt *st)
{
	struct store_ocsppre_due *t;

	if (l->v == NULL && (l->v = calloc(l->max, sizeof(*l->v))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	if (l->n >= l->max)
		return STORE_STOP;
	t = &l->v[l->n++];
	store_col_text(st, 0, t->serial, sizeof(t->serial));
	t->issuer_id = sqlite3_column_int64(st, 1);
	t->not_after = sqlite3_column_int64(st, 2);
	t->issued = sqlite3_column_int(st, 3);
	return 0;
}

static void
due_bind(sqlite3_stmt *st, void *arg)
{
	struct due_list *l = arg;

	sqlite3_bind_text(st, 1, l->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, l->now);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)l->max);
}

static int
due_row(sqlite3_stmt *st, void *arg)
{
	return due_add(arg, st);
}

enum eseal_rc
store_ocsppre_due(struct store *s, const char *hash, int64_t now, size_t max,
    struct store_ocsppre_due **out, size_t *n)
{
	struct due_list l;
	enum eseal_rc rc;

	memset(&l, 0, sizeof(l));
	l.hash = hash;
	l.now = now;
	l.max = max;
	*out = NULL;
	*n = 0;
	if (max == 0)
		return ESEAL_OK;
	rc = store_rows(s, "SELECT p.serial, c.issuer_id, c.not_after, "
	    "c.status = 'issued' FROM ocsp_presigned p JOIN certificates c ON "
	    "c.serial = p.serial WHERE p.refresh_at <= ?2 AND p.hash = ?1 "
	    "ORDER BY p.refresh_at LIMIT ?3", "read presigned OCSP answers "
	    "due", due_bind, due_row, &l, NULL);
	if (rc != ESEAL_OK) {
		free(l.v);
		return rc;
	}
	*out = l.v;
	*n = l.n;
	return ESEAL_OK;
}

static void
unseen_bind(sqlite3_stmt *st, void *arg)
{
	const struct due_list *l = arg;

	sqlite3_bind_text(st, 1, l->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, l->cur->updated);
	sqlite3_bind_text(st, 3, l->cur->serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)l->scan_max);
}

/* serial, issuer_id, not_after, issued, updated, has an answer */
static int
unseen_row(sqlite3_stmt *st, void *arg)
{
	struct due_list *l = arg;
	int live, rc = 0;

	live = sqlite3_column_int(st, 3) && sqlite3_column_int64(st, 2) >
	    l->now;	/* issued and unexpired: wants an answer */
	if (live && !sqlite3_column_int(st, 5)) {
		if (l->n >= l->max) {
			l->full = 1;	/* the cursor stays before this row */
			return STORE_STOP;
		}
		if ((rc = due_add(l, st)) != 0)
			return rc;
	} else if (live)
		l->covered++;
	l->scanned++;
	l->cur->updated = sqlite3_column_int64(st, 4);
	store_col_text(st, 0, l->cur->serial, sizeof(l->cur->serial));
	return 0;
}

enum eseal_rc
store_ocsppre_unseen(struct store *s, const char *hash, int64_t now,
    struct store_ocsppre_cursor *cur, size_t scan_max, size_t max,
    struct store_ocsppre_due **out, size_t *n, size_t *covered, int *end)
{
	struct due_list l;
	enum eseal_rc rc;

	memset(&l, 0, sizeof(l));
	l.hash = hash;
	l.now = now;
	l.max = max;
	l.scan_max = scan_max;
	l.cur = cur;
	*out = NULL;
	*n = 0;
	*end = 0;
	if (covered != NULL)
		*covered = 0;
	if (scan_max == 0 || max == 0)
		return ESEAL_OK;
	rc = store_rows(s, "SELECT c.serial, c.issuer_id, c.not_after, "
	    "c.status = 'issued', c.updated, EXISTS (SELECT 1 FROM "
	    "ocsp_presigned p WHERE p.serial = c.serial AND p.hash = ?1) FROM "
	    "certificates c WHERE (c.updated, c.serial) > (?2, ?3) ORDER BY "
	    "c.updated, c.serial LIMIT ?4", "walk certificates for presigned "
	    "OCSP answers", unseen_bind, unseen_row, &l, NULL);
	if (rc != ESEAL_OK) {
		free(l.v);
		return rc;
	}
	*out = l.v;
	*n = l.n;
	*end = !l.full && l.scanned < scan_max;
	if (covered != NULL)
		*covered = l.covered;
	return ESEAL_OK;
}

struct backlog {
	int64_t	now, due, earliest;
};

static void
backlog_bind(sqlite3_stmt *st, void *arg)
{
	sqlite3_bind_int64(st, 1, ((struct backlog *)arg)->now);
}

static int
backlog_row(sqlite3_stmt *st, void *arg)
{
	struct backlog *b = arg;

	b->due = sqlite3_column_int64(st, 0);
	b->earliest = sqlite3_column_int64(st, 1);
	return STORE_STOP;
}

enum eseal_rc
store_ocsppre_backlog(struct store *s, int64_t now, int64_t *due,
    int64_t *earliest)
{
	struct backlog b = { now, 0, 0 };
	enum eseal_rc rc;

	rc = store_rows(s, "SELECT (SELECT count(*) FROM ocsp_presigned "
	    "WHERE refresh_at <= ?1), COALESCE((SELECT MIN(refresh_at) FROM "
	    "ocsp_presigned), 0)", "read presigned OCSP backlog", backlog_bind,
	    backlog_row, &b, NULL);
	*due = b.due;
	*earliest = b.earliest;
	return rc;
}

void
store_ocsppre_clear(struct store_ocsppre *r)
{
	if (r == NULL)
		return;
	free(r->der);
	memset(r, 0, sizeof(*r));
}
