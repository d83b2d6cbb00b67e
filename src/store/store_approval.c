/*
 * store_approval.c: the operations and operation_votes tables behind
 * store_approval.h.  Rows of operations change only from pending to a
 * decision; votes are only ever added.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_approval.h"
#include "store_int.h"

enum eseal_rc
store_op_insert(struct store *s, const struct store_op *op, int64_t *id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO operations (kind, params, "
	    "params_hash, role, quorum, proposer, created, expires) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, op->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, op->params, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, op->params_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, op->role, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, op->quorum);
	sqlite3_bind_text(st, 6, op->proposer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, op->created);
	sqlite3_bind_int64(st, 8, op->expires);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "insert operation");
	else
		*id = sqlite3_last_insert_rowid(store_db(s));
	store_done(s, st);
	store_unlock(s);
	return rc;
}

#define OP_COLS	"SELECT id, kind, params, params_hash, role, quorum, " \
		"proposer, status, created, expires, decided, result FROM " \
		"operations "

static int
op_fill(sqlite3_stmt *st, void *elem)
{
	struct store_op *o = elem;

	o->id = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, o->kind, sizeof(o->kind));
	o->params = store_col_strdup(st, 2);
	store_col_text(st, 3, o->params_hash, sizeof(o->params_hash));
	store_col_text(st, 4, o->role, sizeof(o->role));
	o->quorum = sqlite3_column_int(st, 5);
	store_col_text(st, 6, o->proposer, sizeof(o->proposer));
	store_col_text(st, 7, o->status, sizeof(o->status));
	o->created = sqlite3_column_int64(st, 8);
	o->expires = sqlite3_column_int64(st, 9);
	o->decided = sqlite3_column_int64(st, 10);
	o->result = store_col_strdup(st, 11);
	return o->params != NULL && o->result != NULL;
}

static void
op_clear(void *elem)
{
	store_op_clear(elem);
}

static const struct store_rowtype op_type = {
	sizeof(struct store_op), op_fill, op_clear
};

static void
bind_id(sqlite3_stmt *st, void *arg)
{
	sqlite3_bind_int64(st, 1, *(int64_t *)arg);
}

static int
vote_row(sqlite3_stmt *st, void *arg)
{
	struct store_op *o = arg;
	struct store_vote *v;

	if (o->nvotes == STORE_OP_VOTES_MAX)
		return STORE_STOP;
	v = &o->votes[o->nvotes++];
	store_col_text(st, 0, v->account, sizeof(v->account));
	v->approve = sqlite3_column_int(st, 1);
	store_col_text(st, 2, v->params_hash, sizeof(v->params_hash));
	v->ts = sqlite3_column_int64(st, 3);
	return 0;
}

static enum eseal_rc
votes(struct store *s, struct store_op *o)
{
	o->nvotes = 0;
	return store_rows(s, "SELECT account, approve, params_hash, ts FROM "
	    "operation_votes WHERE op_id = ? ORDER BY ts, rowid", "read votes",
	    bind_id, vote_row, o, NULL);
}

enum eseal_rc
store_op_get(struct store *s, int64_t id, struct store_op *out)
{
	struct store_op *v = NULL;
	enum eseal_rc rc;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = store_list(s, OP_COLS "WHERE id = ?", "read operation",
	    bind_id, &id, &op_type, (void **)&v, &n)) != ESEAL_OK)
		return rc;
	if (n == 0)
		return eseal_err(ESEAL_ENOTFOUND, "approval: no operation %lld",
		    (long long)id);
	*out = v[0];
	free(v);
	if ((rc = votes(s, out)) != ESEAL_OK)
		store_op_clear(out);
	return rc;
}

struct list_arg {
	const char	*status;
	int		 limit;
};

static void
bind_list(sqlite3_stmt *st, void *arg)
{
	struct list_arg *l = arg;

	sqlite3_bind_text(st, 1, l->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, l->status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, l->limit);
}

enum eseal_rc
store_op_list(struct store *s, const char *status, int limit,
    struct store_op **out, size_t *n)
{
	struct list_arg l = { status ? status : "", limit };
	enum eseal_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = store_list(s, OP_COLS "WHERE (? = '' OR status = ?) ORDER "
	    "BY id DESC LIMIT ?", "list operations", bind_list, &l, &op_type,
	    (void **)out, n)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < *n; i++)
		if ((rc = votes(s, &(*out)[i])) != ESEAL_OK) {
			store_op_list_free(*out, *n);
			*out = NULL;
			*n = 0;
			return rc;
		}
	return ESEAL_OK;
}

enum eseal_rc
store_op_vote(struct store *s, int64_t id, const struct store_vote *v)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO operation_votes (op_id, "
	    "account, approve, params_hash, ts) VALUES (?, ?, ?, ?, ?)", &st))
	    != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, v->account, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, v->approve);
	sqlite3_bind_text(st, 4, v->params_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, v->ts);
	if ((r = sqlite3_step(st)) == SQLITE_CONSTRAINT)
		rc = eseal_err(ESEAL_EEXIST, "approval: %s has already voted "
		    "on operation %lld", v->account, (long long)id);
	else if (r != SQLITE_DONE)
		rc = store_dberr(s, "insert vote");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_op_decide(struct store *s, int64_t id, const char *status,
    int64_t decided, const char *result)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE operations SET status = ?, "
	    "decided = ?, result = ? WHERE id = ? AND status = 'pending'", &st))
	    != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, decided);
	sqlite3_bind_text(st, 3, result ? result : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "decide operation");
	else if (sqlite3_changes(store_db(s)) == 0)
		rc = eseal_err(ESEAL_EEXIST, "approval: operation %lld is no "
		    "longer pending", (long long)id);
	store_done(s, st);
	store_unlock(s);
	return rc;
}

void
store_op_clear(struct store_op *o)
{
	if (o == NULL)
		return;
	free(o->params);
	free(o->result);
	memset(o, 0, sizeof(*o));
}

void
store_op_list_free(struct store_op *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		store_op_clear(&v[i]);
	free(v);
}
