/*
 * store_enrol.c: SQLite behind store_enrol.h, written like the rest of the
 * store: every statement prepared with bound parameters, the store's lock
 * held around it, rows read through store_rows(), every error naming the
 * operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_enrol.h"
#include "store_int.h"

/*
 * For the writes: prepares sql with the lock taken; on failure the lock is
 * released.
 */
static enum eseal_rc
prepare_locked(struct store *s, const char *sql, sqlite3_stmt **st)
{
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, sql, st)) != ESEAL_OK)
		store_unlock(s);
	return rc;
}

/* Finalizes st and releases the lock prepare_locked() took. */
static void
done(struct store *s, sqlite3_stmt *st)
{
	store_done(s, st);
	store_unlock(s);
}

static void
col_hash(sqlite3_stmt *st, int i, unsigned char dst[STORE_HASH_LEN])
{
	const void *p = sqlite3_column_blob(st, i);

	memset(dst, 0, STORE_HASH_LEN);
	if (p != NULL && sqlite3_column_bytes(st, i) == STORE_HASH_LEN)
		memcpy(dst, p, STORE_HASH_LEN);
}

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL || v[0] == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* The key of a one-row query and where its row goes. */
struct row_key {
	int64_t			 id;
	const char		*text;
	const unsigned char	*hash;	/* STORE_HASH_LEN bytes */
	void			*out;
};

/* Binds id, text and hash, those given, as parameters 1, 2, ... */
static void
key_bind(sqlite3_stmt *st, void *arg)
{
	struct row_key *k = arg;
	int i = 1;

	if (k->hash != NULL)
		sqlite3_bind_blob(st, i++, k->hash, STORE_HASH_LEN,
		    SQLITE_STATIC);
	if (k->id != 0)
		sqlite3_bind_int64(st, i++, k->id);
	if (k->text != NULL)
		sqlite3_bind_text(st, i++, k->text, -1, SQLITE_STATIC);
}

/*
 * Runs the one-row query sql for k; ESEAL_ENOTFOUND (with the message the
 * caller then sets) when there is no row.
 */
static enum eseal_rc
one_row(struct store *s, const char *sql, const char *what, store_row_fn row,
    struct row_key *k)
{
	enum eseal_rc rc;
	size_t n;

	if ((rc = store_rows(s, sql, what, key_bind, row, k, &n)) != ESEAL_OK)
		return rc;
	return n == 0 ? ESEAL_ENOTFOUND : ESEAL_OK;
}

/* 1 if a row with that integer id exists, 0 if not, -1 on error. */
static int
row_exists(struct store *s, const char *sql, int64_t id)
{
	struct row_key k = { id, NULL, NULL, NULL };
	enum eseal_rc rc = one_row(s, sql, "find row", NULL, &k);

	return rc == ESEAL_OK ? 1 : rc == ESEAL_ENOTFOUND ? 0 : -1;
}

/* --- organisations ---------------------------------------------------- */

enum eseal_rc
store_org_insert(struct store *s, const struct store_org *o, int64_t *id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	if ((rc = prepare_locked(s, "INSERT INTO organizations (name, english_name, "
	    "country, corporate_number, identifier, evidence, created, "
	    "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st)) != ESEAL_OK)
		return rc;
	sqlite3_bind_text(st, 1, o->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->english_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->country, -1, SQLITE_STATIC);
	bind_text_or_null(st, 4, o->corporate_number);
	sqlite3_bind_text(st, 5, o->identifier, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, o->evidence, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, o->created);
	sqlite3_bind_text(st, 8, o->created_by, -1, SQLITE_STATIC);
	e = sqlite3_step(st);
	if (e == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(store_db(s));
	else if (e == SQLITE_CONSTRAINT_UNIQUE)
		rc = eseal_err(ESEAL_EEXIST, "store: an organisation with "
		    "identifier %s is registered already", o->identifier);
	else
		rc = store_dberr(s, "insert organisation");
	done(s, st);
	return rc;
}

static int
org_row(sqlite3_stmt *st, void *arg)
{
	struct store_org *o = ((struct row_key *)arg)->out;

	o->id = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, o->name, sizeof(o->name));
	store_col_text(st, 2, o->english_name, sizeof(o->english_name));
	store_col_text(st, 3, o->country, sizeof(o->country));
	store_col_text(st, 4, o->corporate_number, sizeof(o->corporate_number));
	store_col_text(st, 5, o->identifier, sizeof(o->identifier));
	store_col_text(st, 6, o->evidence, sizeof(o->evidence));
	o->created = sqlite3_column_int64(st, 7);
	store_col_text(st, 8, o->created_by, sizeof(o->created_by));
	return STORE_STOP;
}

enum eseal_rc
store_org_get(struct store *s, int64_t id, struct store_org *o)
{
	struct row_key k = { id, NULL, NULL, o };
	enum eseal_rc rc;

	memset(o, 0, sizeof(*o));
	rc = one_row(s, "SELECT id, name, english_name, country, "
	    "corporate_number, identifier, evidence, created, created_by "
	    "FROM organizations WHERE id = ?", "read organisation", org_row,
	    &k);
	if (rc == ESEAL_ENOTFOUND)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no organisation %lld",
		    (long long)id);
	return rc;
}

enum eseal_rc
store_org_by_identifier(struct store *s, const char *identifier,
    struct store_org *o)
{
	struct row_key k = { 0, identifier, NULL, o };
	enum eseal_rc rc;

	memset(o, 0, sizeof(*o));
	rc = one_row(s, "SELECT id, name, english_name, country, "
	    "corporate_number, identifier, evidence, created, created_by "
	    "FROM organizations WHERE identifier = ?", "read organisation",
	    org_row, &k);
	if (rc == ESEAL_ENOTFOUND)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no organisation with "
		    "identifier %s", identifier);
	return rc;
}

static int
id_row(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)((struct row_key *)arg)->out = sqlite3_column_int64(st, 0);
	return STORE_STOP;
}

enum eseal_rc
store_enrol_req_by_serial(struct store *s, const char *serial, int64_t *id)
{
	struct row_key k = { 0, serial, NULL, id };
	enum eseal_rc rc;

	*id = 0;
	rc = one_row(s, "SELECT id FROM enrolment_requests WHERE serial = ?",
	    "read enrolment", id_row, &k);
	if (rc == ESEAL_ENOTFOUND)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no enrolment issued "
		    "serial %s", serial);
	return rc;
}

enum eseal_rc
store_enrol_req_by_hash(struct store *s,
    const unsigned char hash[STORE_HASH_LEN], int is_code, int64_t *id)
{
	struct row_key k = { 0, NULL, hash, id };

	*id = 0;
	return one_row(s, is_code ? "SELECT id FROM enrolment_requests WHERE "
	    "code_hash = ?" : "SELECT id FROM enrolment_requests WHERE "
	    "token_hash = ?", "read enrolment", id_row, &k);
}

/* --- acknowledgements ------------------------------------------------- */

enum eseal_rc
store_ack_insert(struct store *s, const struct store_ack *a)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	if ((rc = prepare_locked(s, "INSERT INTO disclosure_acks (org_id, version, "
	    "sha256, signer_name, signer_title, client_addr, acknowledged_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)", &st)) != ESEAL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, a->org_id);
	sqlite3_bind_text(st, 2, a->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->signer_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->signer_title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->client_addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, a->acknowledged_at);
	e = sqlite3_step(st);
	if (e == SQLITE_DONE)
		rc = ESEAL_OK;
	else if (e == SQLITE_CONSTRAINT_UNIQUE)
		rc = eseal_err(ESEAL_EEXIST, "store: organisation %lld "
		    "acknowledged disclosure version %s already",
		    (long long)a->org_id, a->version);
	else if (e == SQLITE_CONSTRAINT_FOREIGNKEY)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no organisation %lld",
		    (long long)a->org_id);
	else
		rc = store_dberr(s, "insert acknowledgement");
	done(s, st);
	return rc;
}

static int
ack_row(sqlite3_stmt *st, void *arg)
{
	struct store_ack *a = ((struct row_key *)arg)->out;

	a->org_id = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, a->version, sizeof(a->version));
	store_col_text(st, 2, a->sha256, sizeof(a->sha256));
	store_col_text(st, 3, a->signer_name, sizeof(a->signer_name));
	store_col_text(st, 4, a->signer_title, sizeof(a->signer_title));
	store_col_text(st, 5, a->client_addr, sizeof(a->client_addr));
	a->acknowledged_at = sqlite3_column_int64(st, 6);
	return STORE_STOP;
}

enum eseal_rc
store_ack_get(struct store *s, int64_t org_id, const char *version,
    struct store_ack *a)
{
	struct row_key k = { org_id, version, NULL, a };
	enum eseal_rc rc;

	memset(a, 0, sizeof(*a));
	rc = one_row(s, "SELECT org_id, version, sha256, signer_name, "
	    "signer_title, client_addr, acknowledged_at FROM disclosure_acks "
	    "WHERE org_id = ? AND version = ?", "read acknowledgement",
	    ack_row, &k);
	if (rc == ESEAL_ENOTFOUND)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: organisation %lld has "
		    "not acknowledged disclosure version %s", (long long)org_id,
		    version);
	return rc;
}

/* --- enrolment codes -------------------------------------------------- */

enum eseal_rc
store_code_insert(struct store *s, const struct store_code *c)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	if ((rc = prepare_locked(s, "INSERT INTO enrolment_codes (code_hash, org_id, "
	    "created, expires, attempts_left, created_by) VALUES (?, ?, ?, ?, "
	    "?, ?)", &st)) != ESEAL_OK)
		return rc;
	sqlite3_bind_blob(st, 1, c->hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->org_id);
	sqlite3_bind_int64(st, 3, c->created);
	sqlite3_bind_int64(st, 4, c->expires);
	sqlite3_bind_int(st, 5, c->attempts_left);
	sqlite3_bind_text(st, 6, c->created_by, -1, SQLITE_STATIC);
	e = sqlite3_step(st);
	if (e == SQLITE_DONE)
		rc = ESEAL_OK;
	else if (e == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = eseal_err(ESEAL_EEXIST, "store: enrolment code collision");
	else if (e == SQLITE_CONSTRAINT_FOREIGNKEY)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no organisation %lld",
		    (long long)c->org_id);
	else
		rc = store_dberr(s, "insert enrolment code");
	done(s, st);
	return rc;
}

static int
code_row(sqlite3_stmt *st, void *arg)
{
	struct store_code *c = ((struct row_key *)arg)->out;

	col_hash(st, 0, c->hash);
	c->org_id = sqlite3_column_int64(st, 1);
	c->created = sqlite3_column_int64(st, 2);
	c->expires = sqlite3_column_int64(st, 3);
	c->attempts_left = sqlite3_column_int(st, 4);
	c->used_at = sqlite3_column_int64(st, 5);
	store_col_text(st, 6, c->created_by, sizeof(c->created_by));
	return STORE_STOP;
}

enum eseal_rc
store_code_get(struct store *s, const unsigned char hash[STORE_HASH_LEN],
    struct store_code *c)
{
	struct row_key k = { 0, NULL, hash, c };
	enum eseal_rc rc;

	memset(c, 0, sizeof(*c));
	rc = one_row(s, "SELECT code_hash, org_id, created, expires, "
	    "attempts_left, COALESCE(used_at, 0), created_by FROM "
	    "enrolment_codes WHERE code_hash = ?", "read enrolment code",
	    code_row, &k);
	if (rc == ESEAL_ENOTFOUND)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no such enrolment code");
	return rc;
}

enum eseal_rc
store_code_consume(struct store *s, const unsigned char hash[STORE_HASH_LEN],
    int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	if ((rc = prepare_locked(s, "UPDATE enrolment_codes SET used_at = ?1 WHERE "
	    "code_hash = ?2 AND used_at IS NULL AND expires > ?1 AND "
	    "attempts_left > 0", &st)) != ESEAL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_blob(st, 2, hash, STORE_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "consume enrolment code");
	else if (sqlite3_changes(store_db(s)) != 1)
		rc = eseal_err(ESEAL_EEXIST, "store: enrolment code is used, "
		    "expired or locked");
	done(s, st);
	return rc;
}

static int
left_row(sqlite3_stmt *st, void *arg)
{
	*(int *)((struct row_key *)arg)->out = sqlite3_column_int(st, 0);
	return 0;		/* step on: the UPDATE finishes at SQLITE_DONE */
}

enum eseal_rc
store_code_fail(struct store *s, const unsigned char hash[STORE_HASH_LEN],
    int *left)
{
	struct row_key k = { 0, NULL, hash, left };
	enum eseal_rc rc;

	*left = 0;
	rc = one_row(s, "UPDATE enrolment_codes SET attempts_left = "
	    "MAX(attempts_left - 1, 0) WHERE code_hash = ? RETURNING "
	    "attempts_left", "count enrolment code attempt", left_row, &k);
	if (rc == ESEAL_ENOTFOUND)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no such enrolment code");
	return rc;
}

/* --- enrolment requests ----------------------------------------------- */

enum eseal_rc
store_enrol_req_insert(struct store *s, const struct store_enrol_req *r,
    int64_t created, int64_t *id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	if ((rc = prepare_locked(s, "INSERT INTO enrolment_requests (org_id, status, "
	    "csr, profile, key_holder, qscd, token_hash, code_hash, "
	    "disclosure_version, client_addr, created) VALUES (?, 'pending', "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?)", &st)) != ESEAL_OK)
		return rc;
	sqlite3_bind_int64(st, 1, r->org_id);
	sqlite3_bind_blob(st, 2, r->csr, (int)r->csr_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->key_holder, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, r->qscd);
	sqlite3_bind_blob(st, 6, r->token_hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, r->code_hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->disclosure_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->client_addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, created);
	e = sqlite3_step(st);
	if (e == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(store_db(s));
	else if (e == SQLITE_CONSTRAINT_UNIQUE)
		rc = eseal_err(ESEAL_EEXIST, "store: that enrolment code or "
		    "token made a request already");
	else
		rc = store_dberr(s, "insert enrolment request");
	done(s, st);
	return rc;
}

#define REQ_COLS "id, org_id, status, profile, key_holder, qscd, " \
	"token_hash, code_hash, disclosure_version, client_addr, created, " \
	"decided_by, COALESCE(decided_at, 0), reason, serial, " \
	"COALESCE(finished_at, 0)"

/* A row of REQ_COLS into the zeroed r (nothing to allocate). */
static int
req_fill(sqlite3_stmt *st, void *elem)
{
	struct store_enrol_req *r = elem;

	r->id = sqlite3_column_int64(st, 0);
	r->org_id = sqlite3_column_int64(st, 1);
	store_col_text(st, 2, r->status, sizeof(r->status));
	store_col_text(st, 3, r->profile, sizeof(r->profile));
	store_col_text(st, 4, r->key_holder, sizeof(r->key_holder));
	r->qscd = sqlite3_column_int(st, 5);
	col_hash(st, 6, r->token_hash);
	col_hash(st, 7, r->code_hash);
	store_col_text(st, 8, r->disclosure_version,
	    sizeof(r->disclosure_version));
	store_col_text(st, 9, r->client_addr, sizeof(r->client_addr));
	r->created = sqlite3_column_int64(st, 10);
	store_col_text(st, 11, r->decided_by, sizeof(r->decided_by));
	r->decided_at = sqlite3_column_int64(st, 12);
	store_col_text(st, 13, r->reason, sizeof(r->reason));
	store_col_text(st, 14, r->serial, sizeof(r->serial));
	r->finished_at = sqlite3_column_int64(st, 15);
	return 1;
}

static const struct store_rowtype req_rows = {
	sizeof(struct store_enrol_req), req_fill, NULL
};

/* REQ_COLS and the csr as column 16. */
static int
req_csr_row(sqlite3_stmt *st, void *arg)
{
	struct store_enrol_req *r = ((struct row_key *)arg)->out;

	req_fill(st, r);
	if ((r->csr = store_col_blobdup(st, 16, &r->csr_len)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	return STORE_STOP;
}

enum eseal_rc
store_enrol_req_get(struct store *s, int64_t id, struct store_enrol_req *r)
{
	struct row_key k = { id, NULL, NULL, r };
	enum eseal_rc rc;

	memset(r, 0, sizeof(*r));
	rc = one_row(s, "SELECT " REQ_COLS ", csr FROM enrolment_requests "
	    "WHERE id = ?", "read enrolment request", req_csr_row, &k);
	if (rc == ESEAL_ENOTFOUND)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no enrolment request "
		    "%lld", (long long)id);
	if (rc != ESEAL_OK)
		store_enrol_req_clear(r);
	return rc;
}

static void
status_bind(sqlite3_stmt *st, void *arg)
{
	bind_text_or_null(st, 1, arg);
}

enum eseal_rc
store_enrol_req_list(struct store *s, const char *status,
    struct store_enrol_req **out, size_t *n)
{
	void *v;
	enum eseal_rc rc;

	rc = store_list(s, "SELECT " REQ_COLS " FROM enrolment_requests "
	    "WHERE ?1 IS NULL OR status = ?1 ORDER BY id",
	    "list enrolment requests", status_bind, (void *)status, &req_rows,
	    &v, n);
	*out = v;
	return rc;
}

/*
 * Runs an UPDATE that moves request id from one status; on no change, tells
 * "no such request" (ENOTFOUND) from "not in that status" (EEXIST).
 */
static enum eseal_rc
req_transition(struct store *s, sqlite3_stmt *st, int64_t id,
    const char *from, const char *what)
{
	enum eseal_rc rc = ESEAL_OK;
	int e, found;

	e = sqlite3_step(st);
	if (e == SQLITE_DONE && sqlite3_changes(store_db(s)) == 1)
		return ESEAL_OK;
	if (e == SQLITE_CONSTRAINT_FOREIGNKEY)
		return eseal_err(ESEAL_ENOTFOUND, "store: no certificate with "
		    "that serial");
	if (e != SQLITE_DONE)
		return store_dberr(s, what);
	found = row_exists(s, "SELECT 1 FROM enrolment_requests WHERE id = ?",
	    id);
	if (found < 0)
		rc = store_dberr(s, what);
	else if (found == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no enrolment request "
		    "%lld", (long long)id);
	else
		rc = eseal_err(ESEAL_EEXIST, "store: enrolment request %lld is "
		    "not %s", (long long)id, from);
	return rc;
}

enum eseal_rc
store_enrol_req_decide(struct store *s, int64_t id, const char *status,
    const char *actor, const char *reason, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	if ((rc = prepare_locked(s, "UPDATE enrolment_requests SET status = ?, "
	    "decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND "
	    "status = 'pending'", &st)) != ESEAL_OK)
		return rc;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	bind_text_or_null(st, 4, reason);
	sqlite3_bind_int64(st, 5, id);
	rc = req_transition(s, st, id, "pending", "decide enrolment request");
	done(s, st);
	return rc;
}

enum eseal_rc
store_enrol_req_finish(struct store *s, int64_t id, const char *status,
    const char *serial, const char *reason, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	if ((rc = prepare_locked(s, "UPDATE enrolment_requests SET status = ?, "
	    "serial = ?, reason = COALESCE(?, reason), finished_at = ? WHERE "
	    "id = ? AND status = 'approved'", &st)) != ESEAL_OK)
		return rc;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	bind_text_or_null(st, 2, serial);
	bind_text_or_null(st, 3, reason);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, id);
	rc = req_transition(s, st, id, "approved", "finish enrolment request");
	done(s, st);
	return rc;
}

void
store_enrol_req_clear(struct store_enrol_req *r)
{
	if (r == NULL)
		return;
	free(r->csr);
	memset(r, 0, sizeof(*r));
}

void
store_enrol_req_list_free(struct store_enrol_req *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_enrol_req_clear(&v[i]);
	free(v);
}
