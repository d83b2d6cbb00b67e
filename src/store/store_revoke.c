/*
 * store_revoke.c: SQLite behind store_revoke.h, written like the rest of
 * the store: every statement prepared with bound parameters, the store's
 * lock held around it, rows read through store_rows(), every error naming
 * the operation.
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
	store_done(s, st);
	store_unlock(s);
	return rc;
}

#define REV_COLS "r.serial, r.reason, r.revoked_at, " \
	"COALESCE(r.invalidity_date, 0), r.requested_by, c.not_after"

/* A row of REV_COLS into the zeroed r (nothing to allocate). */
static int
rev_fill(sqlite3_stmt *st, void *elem)
{
	struct store_revocation *r = elem;

	store_col_text(st, 0, r->serial, sizeof(r->serial));
	r->reason = sqlite3_column_int(st, 1);
	r->revoked_at = sqlite3_column_int64(st, 2);
	r->invalidity_date = sqlite3_column_int64(st, 3);
	store_col_text(st, 4, r->requested_by, sizeof(r->requested_by));
	r->not_after = sqlite3_column_int64(st, 5);
	return 1;
}

static const struct store_rowtype rev_rows = {
	sizeof(struct store_revocation), rev_fill, NULL
};

/* The parameters of the queries below: a serial, or an issuer and shard. */
struct rev_key {
	const char	*serial;
	int64_t		 issuer_id;
	int		 shard;
	void		*out;
};

static void
rev_bind(sqlite3_stmt *st, void *arg)
{
	struct rev_key *k = arg;

	if (k->serial != NULL) {
		sqlite3_bind_text(st, 1, k->serial, -1, SQLITE_STATIC);
		return;
	}
	sqlite3_bind_int64(st, 1, k->issuer_id);
	if (k->shard >= 0)
		sqlite3_bind_int(st, 2, k->shard);
}

static int
rev_one(sqlite3_stmt *st, void *arg)
{
	rev_fill(st, ((struct rev_key *)arg)->out);
	return STORE_STOP;
}

enum eseal_rc
store_revocation_get(struct store *s, const char *serial,
    struct store_revocation *r)
{
	struct rev_key k = { serial, 0, -1, r };
	enum eseal_rc rc;
	size_t n;

	memset(r, 0, sizeof(*r));
	rc = store_rows(s, "SELECT " REV_COLS " FROM revocations r JOIN "
	    "certificates c ON c.serial = r.serial WHERE r.serial = ?",
	    "read revocation", rev_bind, rev_one, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: certificate %s is not "
		    "revoked", serial);
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
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_revocation_list(struct store *s, int64_t issuer_id,
    struct store_revocation **out, size_t *n)
{
	struct rev_key k = { NULL, issuer_id, -1, NULL };
	void *v;
	enum eseal_rc rc;

	/* With the serials a restore took from published CRLs (013). */
	rc = store_list(s, "SELECT " REV_COLS " FROM revocations r JOIN "
	    "certificates c ON c.serial = r.serial WHERE c.issuer_id = ?1 "
	    "UNION ALL SELECT u.serial, u.reason, u.revoked_at, "
	    "COALESCE(u.invalidity_date, 0), 'published CRL', "
	    "9223372036854775807 FROM revoked_unknown u WHERE u.issuer_id = ?1 "
	    "ORDER BY 1", "list revocations", rev_bind, &k, &rev_rows, &v, n);
	*out = v;
	return rc;
}

static int
number_row(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)((struct rev_key *)arg)->out = sqlite3_column_int64(st, 0);
	return STORE_STOP;
}

enum eseal_rc
store_crl_next_number(struct store *s, int64_t issuer_id, int shard,
    int64_t *number)
{
	struct rev_key k = { NULL, issuer_id, shard, number };
	enum eseal_rc rc;
	size_t n;

	*number = 0;
	/* Above the floor a restore set from the published CRLs (013). */
	rc = store_rows(s, "SELECT MAX(COALESCE((SELECT MAX(number) FROM crls "
	    "WHERE issuer_id = ?1 AND shard = ?2), 0), COALESCE((SELECT number "
	    "FROM crl_number_floor WHERE issuer_id = ?1 AND shard = ?2), 0)) + 1",
	    "read CRL number", rev_bind, number_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = store_dberr(s, "read CRL number");
	return rc;
}

enum eseal_rc
store_crl_insert(struct store *s, const struct store_crl *c)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	store_lock(s);
	/* One sequence with the delta CRLs (016, store_crldelta.h). */
	if ((rc = store_prepare(s, "INSERT INTO crls (issuer_id, shard, number, "
	    "this_update, next_update, der) SELECT ?1, ?2, ?3, ?4, ?5, ?6 "
	    "WHERE NOT EXISTS (SELECT 1 FROM crl_deltas WHERE issuer_id = ?1 "
	    "AND shard = ?2 AND number >= ?3)", &st)) != ESEAL_OK) {
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
	if (e == SQLITE_DONE && sqlite3_changes(store_db(s)) == 1)
		rc = ESEAL_OK;
	else if (e == SQLITE_DONE || e == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = eseal_err(ESEAL_EEXIST, "store: CRL %lld of issuer %lld "
		    "shard %d already recorded", (long long)c->number,
		    (long long)c->issuer_id, c->shard);
	else
		rc = store_dberr(s, "insert CRL");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

static int
crl_row(sqlite3_stmt *st, void *arg)
{
	struct rev_key *k = arg;
	struct store_crl *c = k->out;

	c->issuer_id = k->issuer_id;
	c->shard = k->shard;
	c->number = sqlite3_column_int64(st, 0);
	c->this_update = sqlite3_column_int64(st, 1);
	c->next_update = sqlite3_column_int64(st, 2);
	if (sqlite3_column_bytes(st, 3) <= 0)
		return eseal_err(ESEAL_ESTORE, "store: CRL %lld of issuer "
		    "%lld shard %d is empty", (long long)c->number,
		    (long long)k->issuer_id, k->shard);
	if ((c->der = store_col_blobdup(st, 3, &c->der_len)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	return STORE_STOP;
}

enum eseal_rc
store_crl_latest(struct store *s, int64_t issuer_id, int shard,
    struct store_crl *out)
{
	struct rev_key k = { NULL, issuer_id, shard, out };
	enum eseal_rc rc;
	size_t n;

	memset(out, 0, sizeof(*out));
	rc = store_rows(s, "SELECT number, this_update, next_update, der "
	    "FROM crls WHERE issuer_id = ? AND shard = ? ORDER BY number DESC "
	    "LIMIT 1", "read CRL", rev_bind, crl_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no CRL yet for issuer "
		    "%lld shard %d", (long long)issuer_id, shard);
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
