/*
 * store_audit.c: the audit table behind store.h.  Rows are only ever
 * appended; the hash chain over them is audit.c's.
 */
#include <stdlib.h>
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
	    "object, detail, prev_hash, hash, fmt, source, mac) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st)) != ESEAL_OK) {
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
	sqlite3_bind_int(st, 9, a->fmt);
	sqlite3_bind_text(st, 10, a->source ? a->source : "", -1,
	    SQLITE_STATIC);
	if (a->has_mac)
		sqlite3_bind_blob(st, 11, a->mac, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 11);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "insert audit record");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_audit_set_mac(struct store *s, int64_t seq, const unsigned char mac[32])
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE audit SET mac = ? WHERE seq = ? "
	    "AND mac IS NULL", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_blob(st, 1, mac, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "seal audit record");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

struct each_ctx {
	int	(*fn)(const struct store_audit *, void *);
	void	 *arg;
	int64_t	  from, to;
};

/* Hands one record to the caller's fn, borrowing the row's text. */
static int
each_row(sqlite3_stmt *st, void *arg)
{
	struct each_ctx *e = arg;
	struct store_audit a;
	size_t n = 0;

	memset(&a, 0, sizeof(a));
	a.seq = sqlite3_column_int64(st, 0);
	a.ts = sqlite3_column_int64(st, 1);
	a.actor = (char *)sqlite3_column_text(st, 2);
	a.action = (char *)sqlite3_column_text(st, 3);
	a.object = (char *)sqlite3_column_text(st, 4);
	a.detail = (char *)sqlite3_column_text(st, 5);
	store_col_blobcpy(st, 6, a.prev_hash, 32, NULL);
	store_col_blobcpy(st, 7, a.hash, 32, NULL);
	a.fmt = sqlite3_column_int(st, 8);
	a.source = (char *)sqlite3_column_text(st, 9);
	if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
		store_col_blobcpy(st, 10, a.mac, 32, &n);
		a.has_mac = n == 32 ? 1 : -1;	/* -1: present, wrong size */
	}
	return e->fn(&a, e->arg) != 0 ? STORE_STOP : 0;
}

#define AUDIT_COLS	"SELECT seq, ts, actor, action, object, detail, " \
			"prev_hash, hash, fmt, source, mac FROM audit "

enum eseal_rc
store_audit_each(struct store *s, int (*fn)(const struct store_audit *, void *),
    void *arg)
{
	struct each_ctx e = { fn, arg, 0, 0 };

	return store_rows(s, AUDIT_COLS "ORDER BY seq", "read audit", NULL,
	    each_row, &e, NULL);
}

static void
bind_range(sqlite3_stmt *st, void *arg)
{
	struct each_ctx *e = arg;

	sqlite3_bind_int64(st, 1, e->from);
	sqlite3_bind_int64(st, 2, e->to);
}

enum eseal_rc
store_audit_range(struct store *s, int64_t from, int64_t to,
    int (*fn)(const struct store_audit *, void *), void *arg)
{
	struct each_ctx e = { fn, arg, from, to };

	return store_rows(s, AUDIT_COLS "WHERE seq BETWEEN ? AND ? ORDER BY "
	    "seq", "read audit", bind_range, each_row, &e, NULL);
}

/* --- checkpoints ------------------------------------------------------ */

enum eseal_rc
store_audit_cp_insert(struct store *s, const struct store_audit_cp *cp,
    int64_t *id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO audit_checkpoints (seq, hash, "
	    "created, signature, issuer_id, message) VALUES (?, ?, ?, ?, ?, ?)", &st))
	    != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, cp->seq);
	sqlite3_bind_text(st, 2, cp->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, cp->created);
	sqlite3_bind_blob(st, 4, cp->signature, (int)cp->sig_len,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, cp->issuer_id);
	sqlite3_bind_text(st, 6, cp->message, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "insert audit checkpoint");
	else if (id != NULL)
		*id = sqlite3_last_insert_rowid(store_db(s));
	store_done(s, st);
	store_unlock(s);
	return rc;
}

/* Fills cp from a row of CP_COLS; the signature is owned by cp. */
static void
cp_fill(sqlite3_stmt *st, struct store_audit_cp *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->id = sqlite3_column_int64(st, 0);
	cp->seq = sqlite3_column_int64(st, 1);
	store_col_text(st, 2, cp->hash, sizeof(cp->hash));
	cp->created = sqlite3_column_int64(st, 3);
	cp->signature = store_col_blobdup(st, 4, &cp->sig_len);
	cp->issuer_id = sqlite3_column_int64(st, 5);
	cp->message = store_col_strdup(st, 6);
}

#define CP_COLS	"SELECT id, seq, hash, created, signature, issuer_id, " \
		"message FROM " \
		"audit_checkpoints "

struct cp_ctx {
	int	(*fn)(const struct store_audit_cp *, void *);
	void	 *arg;
	struct store_audit_cp *out;
};

static int
cp_row(sqlite3_stmt *st, void *arg)
{
	struct cp_ctx *c = arg;
	struct store_audit_cp cp;
	int r;

	if (c->out != NULL) {
		cp_fill(st, c->out);
		return STORE_STOP;
	}
	cp_fill(st, &cp);
	r = c->fn(&cp, c->arg);
	store_audit_cp_clear(&cp);
	return r != 0 ? STORE_STOP : 0;
}

enum eseal_rc
store_audit_cp_each(struct store *s,
    int (*fn)(const struct store_audit_cp *, void *), void *arg)
{
	struct cp_ctx c = { fn, arg, NULL };

	return store_rows(s, CP_COLS "ORDER BY id", "read audit checkpoints",
	    NULL, cp_row, &c, NULL);
}

enum eseal_rc
store_audit_cp_last(struct store *s, struct store_audit_cp *out)
{
	struct cp_ctx c = { NULL, NULL, out };
	enum eseal_rc rc;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = store_rows(s, CP_COLS "ORDER BY id DESC LIMIT 1",
	    "read audit checkpoints", NULL, cp_row, &c, &n)) != ESEAL_OK)
		return rc;
	return n == 0 ? eseal_err(ESEAL_ENOTFOUND, "audit: no checkpoint yet") :
	    ESEAL_OK;
}

void
store_audit_cp_clear(struct store_audit_cp *cp)
{
	if (cp == NULL)
		return;
	free(cp->signature);
	free(cp->message);
	memset(cp, 0, sizeof(*cp));
}

/* --- the auditors' query (GET /api/v1/audit) -------------------------- */

struct search_ctx {
	struct each_ctx			 e;
	const struct store_audit_filter	*f;
};

static void
bind_search(sqlite3_stmt *st, void *arg)
{
	const struct store_audit_filter *f = ((struct search_ctx *)arg)->f;

	sqlite3_bind_int64(st, 1, f->after);
	sqlite3_bind_int64(st, 2, f->from);
	sqlite3_bind_int64(st, 3, f->to);
	if (f->actor != NULL)
		sqlite3_bind_text(st, 4, f->actor, -1, SQLITE_STATIC);
	if (f->action != NULL)
		sqlite3_bind_text(st, 5, f->action, -1, SQLITE_STATIC);
	if (f->object != NULL)
		sqlite3_bind_text(st, 6, f->object, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, f->limit);
	sqlite3_bind_int64(st, 8, f->offset);
}

static int
search_row(sqlite3_stmt *st, void *arg)
{
	return each_row(st, &((struct search_ctx *)arg)->e);
}

enum eseal_rc
store_audit_search(struct store *s, const struct store_audit_filter *f,
    int (*fn)(const struct store_audit *, void *), void *arg)
{
	struct search_ctx c = { { fn, arg, 0, 0 }, f };

	return store_rows(s, AUDIT_COLS "WHERE seq > ?1 AND (?2 = 0 OR ts >= "
	    "?2) AND (?3 = 0 OR ts <= ?3) AND (?4 IS NULL OR actor = ?4) AND "
	    "(?5 IS NULL OR action = ?5) AND (?6 IS NULL OR object = ?6) "
	    "ORDER BY seq LIMIT ?7 OFFSET ?8", "search audit", bind_search, search_row,
	    &c, NULL);
}
