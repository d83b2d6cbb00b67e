/*
 * store_publish.c: SQLite behind store_publish.h, written like store.c:
 * every statement prepared with bound parameters, the store's lock held
 * around it, every error naming the operation.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"
#include "store_publish.h"

enum eseal_rc
store_crl_owe(struct store *s, int64_t issuer_id, int shard,
    const char *serial, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO crl_owed (issuer_id, shard, "
	    "serial, since) VALUES (?, ?, ?, ?)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "mark CRL owed");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_crl_owed_list(struct store *s, struct store_crl_owed **out, size_t *n)
{
	struct store_crl_owed *v = NULL, *nv;
	sqlite3_stmt *st;
	enum eseal_rc rc;
	size_t cnt = 0;
	int e;

	*out = NULL;
	*n = 0;
	store_lock(s);
	if ((rc = store_prepare(s, "SELECT issuer_id, shard, MAX(id), "
	    "MIN(since), COUNT(*) FROM crl_owed GROUP BY issuer_id, shard "
	    "ORDER BY MIN(id)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	while ((e = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			rc = eseal_err(ESEAL_ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		v[cnt].issuer_id = sqlite3_column_int64(st, 0);
		v[cnt].shard = sqlite3_column_int(st, 1);
		v[cnt].upto = sqlite3_column_int64(st, 2);
		v[cnt].since = sqlite3_column_int64(st, 3);
		v[cnt].count = sqlite3_column_int64(st, 4);
		cnt++;
	}
	if (rc == ESEAL_OK && e != SQLITE_DONE)
		rc = store_dberr(s, "list owed CRLs");
	store_done(s, st);
	store_unlock(s);
	if (rc != ESEAL_OK) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return ESEAL_OK;
}

enum eseal_rc
store_crl_owed_upto(struct store *s, int64_t issuer_id, int shard,
    int64_t *upto)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	*upto = 0;
	store_lock(s);
	if ((rc = store_prepare(s, "SELECT COALESCE(MAX(id), 0) FROM crl_owed "
	    "WHERE issuer_id = ? AND shard = ?", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	if (sqlite3_step(st) == SQLITE_ROW)
		*upto = sqlite3_column_int64(st, 0);
	else
		rc = store_dberr(s, "read owed CRL");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_crl_owed_clear(struct store *s, int64_t issuer_id, int shard,
    int64_t upto)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	if (upto <= 0)
		return ESEAL_OK;
	store_lock(s);
	if ((rc = store_prepare(s, "DELETE FROM crl_owed WHERE issuer_id = ? "
	    "AND shard = ? AND id <= ?", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	sqlite3_bind_int64(st, 3, upto);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "clear owed CRL");
	store_done(s, st);
	store_unlock(s);
	return rc;
}
