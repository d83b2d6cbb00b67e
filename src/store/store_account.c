/*
 * store_account.c: SQLite behind store_account.h, written like the rest
 * of the store: every statement prepared with bound parameters, the
 * store's lock held around it, rows read through store_rows(), every error
 * naming the operation.  Secrets never reach this
 * file: passwords arrive as argon2id strings and tokens as SHA-256.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_account.h"
#include "store_int.h"

enum eseal_rc
store_account_insert(struct store *s, const struct store_account *a,
    int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO accounts (username, role, "
	    "password_hash, must_change, compromised, created, updated) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, a->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, a->must_change ? 1 : 0);
	sqlite3_bind_int(st, 5, a->compromised ? 1 : 0);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, now);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(store_db(s));
		rc = ESEAL_OK;
	} else if (r == SQLITE_CONSTRAINT_UNIQUE)
		rc = eseal_err(ESEAL_EEXIST, "store: an account named \"%s\" "
		    "already exists", a->username);
	else if ((r & 0xff) == SQLITE_CONSTRAINT)
		rc = eseal_err(ESEAL_EINVAL, "store: account \"%s\" refused "
		    "by the schema: %s", a->username,
		    sqlite3_errmsg(store_db(s)));
	else
		rc = store_dberr(s, "insert account");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

#define ACCOUNT_COLS "id, username, role, password_hash, must_change, " \
	"compromised, failed_count, lock_count, locked_until, last_failed, " \
	"created, updated, disabled"

/* A row of ACCOUNT_COLS into the zeroed a (nothing to allocate). */
static int
account_fill(sqlite3_stmt *st, void *elem)
{
	struct store_account *a = elem;

	a->id = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, a->username, sizeof(a->username));
	store_col_text(st, 2, a->role, sizeof(a->role));
	store_col_text(st, 3, a->password_hash, sizeof(a->password_hash));
	a->must_change = sqlite3_column_int(st, 4);
	a->compromised = sqlite3_column_int(st, 5);
	a->throttle.failed_count = sqlite3_column_int(st, 6);
	a->throttle.lock_count = sqlite3_column_int(st, 7);
	a->throttle.locked_until = sqlite3_column_int64(st, 8);
	a->throttle.last_failed = sqlite3_column_int64(st, 9);
	a->created = sqlite3_column_int64(st, 10);
	a->updated = sqlite3_column_int64(st, 11);
	a->disabled = sqlite3_column_int(st, 12);
	return 1;
}

static const struct store_rowtype account_rows = {
	sizeof(struct store_account), account_fill, NULL
};

/* The key of a one-row query: a name, or else an id; and where it goes. */
struct row_key {
	const char	*name;
	int64_t		 id;
	const unsigned char *hash;	/* STORE_TOKEN_HASH_LEN or 32 bytes */
	void		*out;
};

static void
key_bind(sqlite3_stmt *st, void *arg)
{
	struct row_key *k = arg;

	if (k->hash != NULL)
		sqlite3_bind_blob(st, 1, k->hash, 32, SQLITE_STATIC);
	else if (k->name != NULL)
		sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, k->id);
}

static int
account_one(sqlite3_stmt *st, void *arg)
{
	account_fill(st, ((struct row_key *)arg)->out);
	return STORE_STOP;
}

static enum eseal_rc
account_query(struct store *s, const char *sql, const char *name, int64_t id,
    struct store_account *a)
{
	struct row_key k = { name, id, NULL, a };
	enum eseal_rc rc;
	size_t n;

	memset(a, 0, sizeof(*a));
	rc = store_rows(s, sql, "read account", key_bind, account_one, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no such account");
	return rc;
}

enum eseal_rc
store_account_by_name(struct store *s, const char *username,
    struct store_account *a)
{
	return account_query(s, "SELECT " ACCOUNT_COLS " FROM accounts WHERE "
	    "username = ?", username, 0, a);
}

enum eseal_rc
store_account_by_id(struct store *s, int64_t id, struct store_account *a)
{
	return account_query(s, "SELECT " ACCOUNT_COLS " FROM accounts WHERE "
	    "id = ?", NULL, id, a);
}

enum eseal_rc
store_account_list(struct store *s, struct store_account **out, size_t *n)
{
	void *v;
	enum eseal_rc rc;

	rc = store_list(s, "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY "
	    "username", "list accounts", NULL, NULL, &account_rows, &v, n);
	*out = v;
	return rc;
}

enum eseal_rc
store_account_set_password(struct store *s, int64_t id,
    const char *password_hash, int must_change, int compromised, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE accounts SET password_hash = ?, "
	    "must_change = ?, compromised = ?, failed_count = 0, "
	    "lock_count = 0, locked_until = 0, last_failed = 0, updated = ? "
	    "WHERE id = ?", &st)) == ESEAL_OK) {
		sqlite3_bind_text(st, 1, password_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, must_change ? 1 : 0);
		sqlite3_bind_int(st, 3, compromised ? 1 : 0);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int64(st, 5, id);
		rc = store_finish(s, st, "set account password", 1);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_account_rehash(struct store *s, int64_t id, const char *password_hash,
    int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE accounts SET password_hash = ?, "
	    "updated = ? WHERE id = ?", &st)) == ESEAL_OK) {
		sqlite3_bind_text(st, 1, password_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, id);
		rc = store_finish(s, st, "rehash account password", 1);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_account_set_compromised(struct store *s, int64_t id, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE accounts SET compromised = 1, "
	    "must_change = 1, updated = ? WHERE id = ?", &st)) == ESEAL_OK) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, id);
		rc = store_finish(s, st, "mark account compromised", 1);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_account_set_disabled(struct store *s, int64_t id, int disabled,
    int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE accounts SET disabled = ?, "
	    "updated = ? WHERE id = ?", &st)) == ESEAL_OK) {
		sqlite3_bind_int(st, 1, disabled ? 1 : 0);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, id);
		rc = store_finish(s, st, "disable or enable account", 1);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_account_set_throttle(struct store *s, int64_t id,
    const struct store_throttle *t, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE accounts SET failed_count = ?, "
	    "lock_count = ?, locked_until = ?, last_failed = ?, updated = ? "
	    "WHERE id = ?", &st)) == ESEAL_OK) {
		sqlite3_bind_int(st, 1, t->failed_count);
		sqlite3_bind_int(st, 2, t->lock_count);
		sqlite3_bind_int64(st, 3, t->locked_until);
		sqlite3_bind_int64(st, 4, t->last_failed);
		sqlite3_bind_int64(st, 5, now);
		sqlite3_bind_int64(st, 6, id);
		rc = store_finish(s, st, "set account login counters", 1);
	}
	store_unlock(s);
	return rc;
}

static int
throttle_row(sqlite3_stmt *st, void *arg)
{
	struct store_throttle *t = ((struct row_key *)arg)->out;

	t->failed_count = sqlite3_column_int(st, 0);
	t->lock_count = sqlite3_column_int(st, 1);
	t->locked_until = sqlite3_column_int64(st, 2);
	t->last_failed = sqlite3_column_int64(st, 3);
	return STORE_STOP;
}

enum eseal_rc
store_login_failure_get(struct store *s, const unsigned char name_hash[32],
    struct store_throttle *t)
{
	struct row_key k = { NULL, 0, name_hash, t };

	memset(t, 0, sizeof(*t));
	return store_rows(s, "SELECT failed_count, lock_count, locked_until, "
	    "last_failed FROM login_failures WHERE name_hash = ?",
	    "read login failures", key_bind, throttle_row, &k, NULL);
}

enum eseal_rc
store_login_failure_put(struct store *s, const unsigned char name_hash[32],
    const struct store_throttle *t, int64_t now, int64_t forget_before,
    int max_rows)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT OR REPLACE INTO login_failures "
	    "(name_hash, failed_count, lock_count, locked_until, last_failed) "
	    "VALUES (?, ?, ?, ?, ?)", &st)) != ESEAL_OK)
		goto out;
	sqlite3_bind_blob(st, 1, name_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, t->failed_count);
	sqlite3_bind_int(st, 3, t->lock_count);
	sqlite3_bind_int64(st, 4, t->locked_until);
	sqlite3_bind_int64(st, 5, t->last_failed);
	if ((rc = store_finish(s, st, "record login failure", 0)) != ESEAL_OK)
		goto out;
	if ((rc = store_prepare(s, "DELETE FROM login_failures WHERE last_failed < ? "
	    "AND locked_until <= ?", &st)) != ESEAL_OK)
		goto out;
	sqlite3_bind_int64(st, 1, forget_before);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = store_finish(s, st, "forget old login failures", 0)) !=
	    ESEAL_OK)
		goto out;
	if ((rc = store_prepare(s, "DELETE FROM login_failures WHERE name_hash IN "
	    "(SELECT name_hash FROM login_failures ORDER BY last_failed DESC "
	    "LIMIT -1 OFFSET ?)", &st)) != ESEAL_OK)
		goto out;
	sqlite3_bind_int(st, 1, max_rows);
	rc = store_finish(s, st, "cap login failures", 0);
out:
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_session_insert(struct store *s, const struct store_session *se)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO sessions (token_hash, account_id, "
	    "created, last_used, expires, client_addr) VALUES (?, ?, ?, ?, ?, "
	    "?)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_blob(st, 1, se->token_hash, STORE_TOKEN_HASH_LEN,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, se->account_id);
	sqlite3_bind_int64(st, 3, se->created);
	sqlite3_bind_int64(st, 4, se->last_used);
	sqlite3_bind_int64(st, 5, se->expires);
	sqlite3_bind_text(st, 6, se->client_addr, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		rc = ESEAL_OK;
	else if (r == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = eseal_err(ESEAL_EEXIST, "store: session already exists");
	else if (r == SQLITE_CONSTRAINT_FOREIGNKEY)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no such account");
	else
		rc = store_dberr(s, "insert session");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

static int
session_row(sqlite3_stmt *st, void *arg)
{
	struct row_key *k = arg;
	struct store_session *se = k->out;

	memcpy(se->token_hash, k->hash, STORE_TOKEN_HASH_LEN);
	se->account_id = sqlite3_column_int64(st, 0);
	se->created = sqlite3_column_int64(st, 1);
	se->last_used = sqlite3_column_int64(st, 2);
	se->expires = sqlite3_column_int64(st, 3);
	store_col_text(st, 4, se->client_addr, sizeof(se->client_addr));
	return STORE_STOP;
}

enum eseal_rc
store_session_get(struct store *s, const unsigned char token_hash[32],
    struct store_session *se)
{
	struct row_key k = { NULL, 0, token_hash, se };
	enum eseal_rc rc;
	size_t n;

	memset(se, 0, sizeof(*se));
	rc = store_rows(s, "SELECT account_id, created, last_used, expires, "
	    "client_addr FROM sessions WHERE token_hash = ?", "read session",
	    key_bind, session_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no such session");
	return rc;
}

enum eseal_rc
store_session_touch(struct store *s, const unsigned char token_hash[32],
    int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE sessions SET last_used = ?1 WHERE "
	    "token_hash = ?2 AND last_used < ?1", &st)) == ESEAL_OK) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_blob(st, 2, token_hash, STORE_TOKEN_HASH_LEN,
		    SQLITE_STATIC);
		rc = store_finish(s, st, "touch session", 0);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_session_delete(struct store *s, const unsigned char token_hash[32])
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "DELETE FROM sessions WHERE token_hash = ?", &st))
	    == ESEAL_OK) {
		sqlite3_bind_blob(st, 1, token_hash, STORE_TOKEN_HASH_LEN,
		    SQLITE_STATIC);
		rc = store_finish(s, st, "delete session", 1);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_session_delete_account(struct store *s, int64_t account_id,
    const unsigned char *keep, int64_t *n)
{
	static const unsigned char none[STORE_TOKEN_HASH_LEN];
	sqlite3_stmt *st;
	enum eseal_rc rc;

	if (n != NULL)
		*n = 0;
	store_lock(s);
	if ((rc = store_prepare(s, "DELETE FROM sessions WHERE account_id = ? AND "
	    "token_hash <> ?", &st)) == ESEAL_OK) {
		sqlite3_bind_int64(st, 1, account_id);
		/* No real token hashes to 32 zero bytes. */
		sqlite3_bind_blob(st, 2, keep != NULL ? keep : none,
		    STORE_TOKEN_HASH_LEN, SQLITE_STATIC);
		if ((rc = store_finish(s, st, "end account sessions", 0)) == ESEAL_OK &&
		    n != NULL)
			*n = sqlite3_changes(store_db(s));
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_session_prune(struct store *s, int64_t now, int64_t idle_before)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "DELETE FROM sessions WHERE expires <= ? OR "
	    "last_used <= ?", &st)) == ESEAL_OK) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, idle_before);
		rc = store_finish(s, st, "prune sessions", 0);
	}
	store_unlock(s);
	return rc;
}

static int
count_row(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)((struct row_key *)arg)->out = sqlite3_column_int64(st, 0);
	return STORE_STOP;
}

int64_t
store_session_count(struct store *s, int64_t account_id)
{
	int64_t n = -1;
	struct row_key k = { NULL, account_id, NULL, &n };

	if (store_rows(s, "SELECT COUNT(*) FROM sessions WHERE account_id = ?",
	    "count sessions", key_bind, count_row, &k, NULL) != ESEAL_OK)
		return -1;
	return n;
}
