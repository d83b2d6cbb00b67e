/*
 * store_audit.c: the audit table behind store.h.  Rows are only ever
 * appended; the hash chain over them is audit.c's.
 */
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"

struct last_ctx {
	int64_t		*seq;
	unsigned char	*hash;
};

static int
last_row(sqlite3_stmt *st, void *arg)
{
	struct last_ctx *l = arg;

	*l->seq = sqlite3_column_int64(st, 0);
	store_col_blobcpy(st, 1, l->hash, 32, NULL);
	return STORE_STOP;
}

enum eseal_rc
store_audit_last(struct store *s, int64_t *seq, unsigned char hash[32])
{
	struct last_ctx l = { seq, hash };

	*seq = 0;
	memset(hash, 0, 32);
	return store_rows(s, "SELECT seq, hash FROM audit ORDER BY seq DESC "
	    "LIMIT 1", "read audit", NULL, last_row, &l, NULL);
}

enum eseal_rc
store_audit_insert(struct store *s, const struct store_audit *a)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO audit (seq, ts, actor, action, "
	    "object, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    &st)) != ESEAL_OK) {
		store_unlock(s);
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
	store_unlock(s);
	return rc;
}

struct each_ctx {
	int	(*fn)(const struct store_audit *, void *);
	void	 *arg;
};

/* Hands one record to the caller's fn, borrowing the row's text. */
static int
each_row(sqlite3_stmt *st, void *arg)
{
	struct each_ctx *e = arg;
	struct store_audit a;

	memset(&a, 0, sizeof(a));
	a.seq = sqlite3_column_int64(st, 0);
	a.ts = sqlite3_column_int64(st, 1);
	a.actor = (char *)sqlite3_column_text(st, 2);
	a.action = (char *)sqlite3_column_text(st, 3);
	a.object = (char *)sqlite3_column_text(st, 4);
	a.detail = (char *)sqlite3_column_text(st, 5);
	store_col_blobcpy(st, 6, a.prev_hash, 32, NULL);
	store_col_blobcpy(st, 7, a.hash, 32, NULL);
	return e->fn(&a, e->arg) != 0 ? STORE_STOP : 0;
}

enum eseal_rc
store_audit_each(struct store *s, int (*fn)(const struct store_audit *, void *),
    void *arg)
{
	struct each_ctx e = { fn, arg };

	return store_rows(s, "SELECT seq, ts, actor, action, object, detail, "
	    "prev_hash, hash FROM audit ORDER BY seq", "read audit", NULL,
	    each_row, &e, NULL);
}
