/*
 * store_crlkeep.c: SQLite behind store_crlkeep.h.  Each call is one
 * statement under the store's lock; store_crl_prune() is one UPDATE of one
 * row, its own transaction.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_crlkeep.h"
#include "store_int.h"

struct keep_key {
	int64_t	 issuer_id;
	int	 shard;
	int64_t	 number;	/* or before */
	void	*out;
};

static void
keep_bind(sqlite3_stmt *st, void *arg)
{
	struct keep_key *k = arg;

	sqlite3_bind_int64(st, 1, k->issuer_id);
	sqlite3_bind_int(st, 2, k->shard);
	sqlite3_bind_int64(st, 3, k->number);
}

/* number, this_update, next_update, der, digest, entries, pruned */
static int
info_row(sqlite3_stmt *st, void *arg)
{
	struct store_crl_info *o = ((struct keep_key *)arg)->out;
	const void *d;
	int n;

	o->c.number = sqlite3_column_int64(st, 0);
	o->c.this_update = sqlite3_column_int64(st, 1);
	o->c.next_update = sqlite3_column_int64(st, 2);
	o->pruned = sqlite3_column_int64(st, 6);
	o->entries = sqlite3_column_int64(st, 5);
	if ((d = sqlite3_column_blob(st, 4)) != NULL &&
	    sqlite3_column_bytes(st, 4) == 32)
		memcpy(o->digest, d, 32);
	if (o->pruned != 0)
		return STORE_STOP;
	n = sqlite3_column_bytes(st, 3);
	d = sqlite3_column_blob(st, 3);
	if (n <= 0 || d == NULL || (o->c.der = malloc((size_t)n)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory for a "
		    "CRL");
	memcpy(o->c.der, d, (size_t)n);
	o->c.der_len = (size_t)n;
	return STORE_STOP;
}

#define INFO_COLS "number, this_update, next_update, der, digest, " \
	"COALESCE(entries, 0), COALESCE(pruned, 0)"

enum eseal_rc
store_crl_get(struct store *s, int64_t issuer_id, int shard, int64_t number,
    struct store_crl_info *out)
{
	struct keep_key k = { issuer_id, shard, number, out };
	enum eseal_rc rc;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->c.issuer_id = issuer_id;
	out->c.shard = shard;
	rc = store_rows(s, "SELECT " INFO_COLS " FROM crls WHERE issuer_id = ? "
	    "AND shard = ? AND number = ?", "read CRL", keep_bind, info_row,
	    &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no CRL %lld of issuer "
		    "%lld shard %d", (long long)number, (long long)issuer_id,
		    shard);
	if (rc != ESEAL_OK)
		store_crl_clear(&out->c);
	return rc;
}

enum eseal_rc
store_crl_prunable(struct store *s, int64_t issuer_id, int shard,
    int64_t before, struct store_crl *out)
{
	struct store_crl_info o;
	struct keep_key k = { issuer_id, shard, before, &o };
	enum eseal_rc rc;
	size_t n;

	memset(out, 0, sizeof(*out));
	memset(&o, 0, sizeof(o));
	rc = store_rows(s, "SELECT " INFO_COLS " FROM crls WHERE issuer_id = ?1 "
	    "AND shard = ?2 AND pruned IS NULL AND this_update < ?3 AND "
	    "number < (SELECT MAX(number) FROM crls WHERE issuer_id = ?1 AND "
	    "shard = ?2) ORDER BY number LIMIT 1", "read CRL to prune",
	    keep_bind, info_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = ESEAL_ENOTFOUND;	/* nothing to prune: no message */
	if (rc != ESEAL_OK) {
		store_crl_clear(&o.c);
		return rc;
	}
	*out = o.c;
	out->issuer_id = issuer_id;
	out->shard = shard;
	return ESEAL_OK;
}

enum eseal_rc
store_crl_prune(struct store *s, int64_t issuer_id, int shard, int64_t number,
    const unsigned char digest[32], int64_t entries, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE crls SET der = x'', digest = ?, "
	    "entries = ?, pruned = ? WHERE issuer_id = ? AND shard = ? AND "
	    "number = ? AND pruned IS NULL", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_blob(st, 1, digest, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, entries);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, issuer_id);
	sqlite3_bind_int(st, 5, shard);
	sqlite3_bind_int64(st, 6, number);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "prune CRL");
	store_done(s, st);
	store_unlock(s);
	return rc;
}
