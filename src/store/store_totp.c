/*
 * store_totp.c: SQL for second factors (store_totp.h): the TOTP columns of
 * accounts and the zone and factor columns of sessions.
 */
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"
#include "store_totp.h"

enum eseal_rc
store_totp_get(struct store *s, int64_t id, struct store_totp *t)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	memset(t, 0, sizeof(*t));
	store_lock(s);
	if ((rc = store_prepare(s, "SELECT totp_secret, totp_confirmed, "
	    "totp_last_step, require_2fa FROM accounts WHERE id = ?", &st)) !=
	    ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) > STORE_TOTP_BLOB_MAX)
			rc = eseal_err(ESEAL_ESTORE, "store: account %lld: "
			    "TOTP secret longer than %d bytes", (long long)id,
			    STORE_TOTP_BLOB_MAX);
		else
			store_col_blobcpy(st, 0, t->blob, sizeof(t->blob),
			    &t->blob_len);
		t->confirmed = sqlite3_column_int(st, 1);
		t->last_step = sqlite3_column_int64(st, 2);
		t->require_2fa = sqlite3_column_int(st, 3);
	} else if (r == SQLITE_DONE)
		rc = ESEAL_ENOTFOUND;
	else
		rc = store_dberr(s, "read TOTP secret");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_totp_set(struct store *s, int64_t id, const unsigned char *blob,
    size_t blob_len, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE accounts SET totp_secret = ?, "
	    "totp_confirmed = 0, totp_last_step = 0, updated = ? WHERE id = ?",
	    &st)) == ESEAL_OK) {
		if (blob_len > 0)
			sqlite3_bind_blob(st, 1, blob, (int)blob_len,
			    SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 1);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, id);
		rc = store_finish(s, st, "set TOTP secret", 1);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_totp_use(struct store *s, int64_t id, int64_t step, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE accounts SET totp_confirmed = 1, "
	    "totp_last_step = ?, updated = ? WHERE id = ? AND totp_secret IS "
	    "NOT NULL AND totp_last_step < ?", &st)) == ESEAL_OK) {
		sqlite3_bind_int64(st, 1, step);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, id);
		sqlite3_bind_int64(st, 4, step);
		if ((rc = store_finish(s, st, "record TOTP step", 1)) ==
		    ESEAL_ENOTFOUND)
			rc = ESEAL_EEXIST;
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_totp_require(struct store *s, int64_t id, int on, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE accounts SET require_2fa = ?, "
	    "updated = ? WHERE id = ?", &st)) == ESEAL_OK) {
		sqlite3_bind_int(st, 1, on ? 1 : 0);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, id);
		rc = store_finish(s, st, "set require-second-factor", 1);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_session_set_factors(struct store *s, const unsigned char *th,
    int in_zone, const char *factors)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE sessions SET in_zone = ?, "
	    "factors = ? WHERE token_hash = ?", &st)) == ESEAL_OK) {
		sqlite3_bind_int(st, 1, in_zone ? 1 : 0);
		sqlite3_bind_text(st, 2, factors, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, th, 32, SQLITE_STATIC);
		rc = store_finish(s, st, "record session factors", 1);
	}
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_session_factors(struct store *s, const unsigned char *th, int *in_zone,
    char *factors, size_t len)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	store_lock(s);
	if ((rc = store_prepare(s, "SELECT in_zone, factors FROM sessions "
	    "WHERE token_hash = ?", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_blob(st, 1, th, 32, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*in_zone = sqlite3_column_int(st, 0);
		store_col_text(st, 1, factors, len);
	} else if (r == SQLITE_DONE)
		rc = ESEAL_ENOTFOUND;
	else
		rc = store_dberr(s, "read session factors");
	store_done(s, st);
	store_unlock(s);
	return rc;
}
