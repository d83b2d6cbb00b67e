/*
 * store_crldelta.c: SQLite behind store_crldelta.h.  One sequence of CRL
 * numbers per (issuer, shard) across crls and crl_deltas: a base CRL is
 * refused at or below a delta's number, a delta if any base CRL is newer
 * than its own base (which also keeps it above every base's number), each
 * in its own statement, so whichever of two concurrent CRLs comes second
 * is rebuilt (ESEAL_EEXIST).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_crldelta.h"
#include "store_int.h"

struct delta_key {
	int64_t	 issuer_id;
	int	 shard;
	void	*out;
};

static void
delta_bind(sqlite3_stmt *st, void *arg)
{
	struct delta_key *k = arg;

	sqlite3_bind_int64(st, 1, k->issuer_id);
	sqlite3_bind_int(st, 2, k->shard);
}

static int
max_row(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)((struct delta_key *)arg)->out =
	    sqlite3_column_int64(st, 0);
	return STORE_STOP;
}

enum eseal_rc
store_crl_delta_max(struct store *s, int64_t issuer_id, int shard,
    int64_t *number)
{
	struct delta_key k = { issuer_id, shard, number };

	*number = 0;
	return store_rows(s, "SELECT COALESCE(MAX(number), 0) FROM crl_deltas "
	    "WHERE issuer_id = ?1 AND shard = ?2", "read delta CRL number",
	    delta_bind, max_row, &k, NULL);
}

enum eseal_rc
store_crl_delta_insert(struct store *s, const struct store_crl_delta *d)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO crl_deltas (issuer_id, shard, "
	    "number, base_number, this_update, next_update, der) SELECT ?1, "
	    "?2, ?3, ?4, ?5, ?6, ?7 WHERE ?4 < ?3 AND NOT EXISTS (SELECT 1 "
	    "FROM crls WHERE issuer_id = ?1 AND shard = ?2 AND number > ?4)",
	    &st))
	    != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, d->c.issuer_id);
	sqlite3_bind_int(st, 2, d->c.shard);
	sqlite3_bind_int64(st, 3, d->c.number);
	sqlite3_bind_int64(st, 4, d->base_number);
	sqlite3_bind_int64(st, 5, d->c.this_update);
	sqlite3_bind_int64(st, 6, d->c.next_update);
	sqlite3_bind_blob(st, 7, d->c.der, (int)d->c.der_len, SQLITE_STATIC);
	e = sqlite3_step(st);
	if (e == SQLITE_DONE && sqlite3_changes(store_db(s)) == 1)
		rc = ESEAL_OK;
	else if (e == SQLITE_DONE || e == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = eseal_err(ESEAL_EEXIST, "store: RFC 5280 5.2.3: CRL "
		    "number %lld of issuer %lld shard %d is taken, or a base "
		    "CRL newer than %lld was recorded", (long long)d->c.number,
		    (long long)d->c.issuer_id, d->c.shard,
		    (long long)d->base_number);
	else
		rc = store_dberr(s, "insert delta CRL");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

/* number, base_number, this_update, next_update, der */
static int
delta_row(sqlite3_stmt *st, void *arg)
{
	struct delta_key *k = arg;
	struct store_crl_delta *d = k->out;

	d->c.issuer_id = k->issuer_id;
	d->c.shard = k->shard;
	d->c.number = sqlite3_column_int64(st, 0);
	d->base_number = sqlite3_column_int64(st, 1);
	d->c.this_update = sqlite3_column_int64(st, 2);
	d->c.next_update = sqlite3_column_int64(st, 3);
	if (sqlite3_column_bytes(st, 4) <= 0)
		return eseal_err(ESEAL_ESTORE, "store: delta CRL %lld of "
		    "issuer %lld shard %d is empty", (long long)d->c.number,
		    (long long)k->issuer_id, k->shard);
	if ((d->c.der = store_col_blobdup(st, 4, &d->c.der_len)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	return STORE_STOP;
}

enum eseal_rc
store_crl_delta_latest(struct store *s, int64_t issuer_id, int shard,
    struct store_crl_delta *out)
{
	struct delta_key k = { issuer_id, shard, out };
	enum eseal_rc rc;
	size_t n;

	memset(out, 0, sizeof(*out));
	rc = store_rows(s, "SELECT number, base_number, this_update, "
	    "next_update, der FROM crl_deltas WHERE issuer_id = ?1 AND "
	    "shard = ?2 ORDER BY number DESC LIMIT 1", "read delta CRL",
	    delta_bind, delta_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no delta CRL yet for "
		    "issuer %lld shard %d", (long long)issuer_id, shard);
	if (rc != ESEAL_OK)
		store_crl_delta_clear(out);
	return rc;
}

void
store_crl_delta_clear(struct store_crl_delta *d)
{
	if (d == NULL)
		return;
	free(d->c.der);
	memset(d, 0, sizeof(*d));
}

/* number, this_update, next_update */
static int
head_row(sqlite3_stmt *st, void *arg)
{
	struct delta_key *k = arg;
	struct store_crl *c = k->out;

	c->issuer_id = k->issuer_id;
	c->shard = k->shard;
	c->number = sqlite3_column_int64(st, 0);
	c->this_update = sqlite3_column_int64(st, 1);
	c->next_update = sqlite3_column_int64(st, 2);
	return STORE_STOP;
}

enum eseal_rc
store_crl_delta_base(struct store *s, int64_t issuer_id, int shard,
    struct store_crl *out)
{
	struct delta_key k = { issuer_id, shard, out };
	enum eseal_rc rc;
	size_t n;

	memset(out, 0, sizeof(*out));
	rc = store_rows(s, "SELECT number, this_update, next_update FROM crls "
	    "WHERE issuer_id = ?1 AND shard = ?2 ORDER BY number DESC LIMIT 1",
	    "read CRL", delta_bind, head_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no CRL yet for issuer "
		    "%lld shard %d", (long long)issuer_id, shard);
	return rc;
}

enum eseal_rc
store_crl_delta_prune(struct store *s, int64_t issuer_id, int shard,
    int64_t before, int64_t keep_count, size_t *pruned)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	if (pruned != NULL)
		*pruned = 0;
	store_lock(s);
	/* ?5 <= 0: no count bound (OFFSET of a negative: no row, NULL). */
	if ((rc = store_prepare(s, "UPDATE crl_deltas SET der = x'' WHERE "
	    "issuer_id = ?1 AND shard = ?2 AND number IN (SELECT number FROM "
	    "crl_deltas WHERE issuer_id = ?1 AND shard = ?2 AND (this_update "
	    "< ?3 OR (?5 > 0 AND number <= (SELECT number FROM crl_deltas "
	    "WHERE issuer_id = ?1 AND shard = ?2 ORDER BY number DESC LIMIT 1 "
	    "OFFSET ?5))) AND length(der) > 0 AND number < (SELECT "
	    "MAX(number) FROM crl_deltas WHERE issuer_id = ?1 AND shard = ?2) "
	    "ORDER BY number LIMIT ?4)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	sqlite3_bind_int64(st, 3, before);
	sqlite3_bind_int(st, 4, STORE_DELTA_PRUNE_MAX);
	sqlite3_bind_int64(st, 5, keep_count);
	e = sqlite3_step(st);
	if (e == SQLITE_DONE) {
		rc = ESEAL_OK;
		if (pruned != NULL)
			*pruned = (size_t)sqlite3_changes(store_db(s));
	} else
		rc = store_dberr(s, "prune delta CRLs");
	store_done(s, st);
	store_unlock(s);
	return rc;
}
