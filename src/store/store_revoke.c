/*
 * store_revoke.c: SQLite behind store_revoke.h, written like store.c: every
 * statement prepared with bound parameters, the store's lock held around
 * it, every error naming the operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_revoke.h"
#include "store_int.h"

static void
bind_date(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

enum eseal_rc
store_revocation_insert(struct store *s, const struct store_revocation *r)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO revocations (serial, reason, "
	    "revoked_at, invalidity_date, requested_by) VALUES (?, ?, ?, ?, ?)",
	    &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, r->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->reason);
	sqlite3_bind_int64(st, 3, r->revoked_at);
	bind_date(st, 4, r->invalidity_date);
	sqlite3_bind_text(st, 5, r->requested_by, -1, SQLITE_STATIC);
	e = sqlite3_step(st);
	if (e == SQLITE_DONE)
		rc = ESEAL_OK;
	else if (e == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = eseal_err(ESEAL_EEXIST, "store: certificate %s is already "
		    "revoked", r->serial);
	else if (e == SQLITE_CONSTRAINT_FOREIGNKEY)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no certificate with "
		    "serial %s", r->serial);
	else
		rc = store_dberr(s, "insert revocation");
	sqlite3_finalize(st);
	store_unlock(s);
	return rc;
}

#define REV_COLS "r.serial, r.reason, r.revoked_at, " \
	"COALESCE(r.invalidity_date, 0), r.requested_by, c.not_after"

static void
rev_row(sqlite3_stmt *st, struct store_revocation *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->serial, sizeof(r->serial), "%s", sqlite3_column_text(st, 0));
	r->reason = sqlite3_column_int(st, 1);
	r->revoked_at = sqlite3_column_int64(st, 2);
	r->invalidity_date = sqlite3_column_int64(st, 3);
	snprintf(r->requested_by, sizeof(r->requested_by), "%s",
	    sqlite3_column_text(st, 4));
	r->not_after = sqlite3_column_int64(st, 5);
}

enum eseal_rc
store_revocation_get(struct store *s, const char *serial,
    struct store_revocation *r)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	memset(r, 0, sizeof(*r));
	store_lock(s);
	if ((rc = store_prepare(s, "SELECT " REV_COLS " FROM revocations r JOIN "
	    "certificates c ON c.serial = r.serial WHERE r.serial = ?", &st))
	    != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	e = sqlite3_step(st);
	if (e == SQLITE_ROW)
		rev_row(st, r);
	else if (e == SQLITE_DONE)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: certificate %s is not "
		    "revoked", serial);
	else
		rc = store_dberr(s, "read revocation");
	sqlite3_finalize(st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_revocation_set_reason(struct store *s, const char *serial, int reason,
    int64_t invalidity_date)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE revocations SET reason = ?, "
	    "invalidity_date = COALESCE(?, invalidity_date) WHERE serial = ?",
	    &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int(st, 1, reason);
	bind_date(st, 2, invalidity_date);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "update revocation");
	else if (sqlite3_changes(store_db(s)) != 1)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: certificate %s is not "
		    "revoked", serial);
	sqlite3_finalize(st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_revocation_list(struct store *s, int64_t issuer_id,
    struct store_revocation **out, size_t *n)
{
	struct store_revocation *v = NULL, *nv;
	sqlite3_stmt *st;
	enum eseal_rc rc;
	size_t cnt = 0;
	int e;

	*out = NULL;
	*n = 0;
	store_lock(s);
	if ((rc = store_prepare(s, "SELECT " REV_COLS " FROM revocations r JOIN "
	    "certificates c ON c.serial = r.serial WHERE c.issuer_id = ? "
	    "ORDER BY r.serial", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, issuer_id);
	while ((e = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			rc = eseal_err(ESEAL_ENOMEM, "store: out of memory");
			break;
		}
		v = nv;
		rev_row(st, &v[cnt++]);
	}
	if (rc == ESEAL_OK && e != SQLITE_DONE)
		rc = store_dberr(s, "list revocations");
	sqlite3_finalize(st);
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
store_crl_next_number(struct store *s, int64_t issuer_id, int shard,
    int64_t *number)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	*number = 0;
	store_lock(s);
	if ((rc = store_prepare(s, "SELECT COALESCE(MAX(number), 0) + 1 FROM crls "
	    "WHERE issuer_id = ? AND shard = ?", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	if (sqlite3_step(st) == SQLITE_ROW)
		*number = sqlite3_column_int64(st, 0);
	else
		rc = store_dberr(s, "read CRL number");
	sqlite3_finalize(st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_crl_insert(struct store *s, const struct store_crl *c)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO crls (issuer_id, shard, number, "
	    "this_update, next_update, der) VALUES (?, ?, ?, ?, ?, ?)", &st))
	    != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, c->issuer_id);
	sqlite3_bind_int(st, 2, c->shard);
	sqlite3_bind_int64(st, 3, c->number);
	sqlite3_bind_int64(st, 4, c->this_update);
	sqlite3_bind_int64(st, 5, c->next_update);
	sqlite3_bind_blob(st, 6, c->der, (int)c->der_len, SQLITE_STATIC);
	e = sqlite3_step(st);
	if (e == SQLITE_DONE)
		rc = ESEAL_OK;
	else if (e == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = eseal_err(ESEAL_EEXIST, "store: CRL %lld of issuer %lld "
		    "shard %d already recorded", (long long)c->number,
		    (long long)c->issuer_id, c->shard);
	else
		rc = store_dberr(s, "insert CRL");
	sqlite3_finalize(st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_crl_latest(struct store *s, int64_t issuer_id, int shard,
    struct store_crl *out)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	const void *p;
	int e, len;

	memset(out, 0, sizeof(*out));
	store_lock(s);
	if ((rc = store_prepare(s, "SELECT number, this_update, next_update, der "
	    "FROM crls WHERE issuer_id = ? AND shard = ? ORDER BY number DESC "
	    "LIMIT 1", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	e = sqlite3_step(st);
	if (e == SQLITE_ROW) {
		out->issuer_id = issuer_id;
		out->shard = shard;
		out->number = sqlite3_column_int64(st, 0);
		out->this_update = sqlite3_column_int64(st, 1);
		out->next_update = sqlite3_column_int64(st, 2);
		p = sqlite3_column_blob(st, 3);
		len = sqlite3_column_bytes(st, 3);
		if (p == NULL || len <= 0)
			rc = eseal_err(ESEAL_ESTORE, "store: CRL %lld of issuer "
			    "%lld shard %d is empty", (long long)out->number,
			    (long long)issuer_id, shard);
		else if ((out->der = malloc((size_t)len)) == NULL)
			rc = eseal_err(ESEAL_ENOMEM, "store: out of memory");
		else {
			memcpy(out->der, p, (size_t)len);
			out->der_len = (size_t)len;
		}
	} else if (e == SQLITE_DONE)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no CRL yet for issuer "
		    "%lld shard %d", (long long)issuer_id, shard);
	else
		rc = store_dberr(s, "read CRL");
	sqlite3_finalize(st);
	store_unlock(s);
	if (rc != ESEAL_OK)
		store_crl_clear(out);
	return rc;
}

void
store_crl_clear(struct store_crl *c)
{
	if (c == NULL)
		return;
	free(c->der);
	memset(c, 0, sizeof(*c));
}
