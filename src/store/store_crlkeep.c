/*
 * store_crlkeep.c: SQLite behind store_crlkeep.h.  Each call is one
 * statement under the store's lock, but store_crl_prunable(), which reads
 * on a connection of its own; store_crl_prune() is one UPDATE of one row,
 * its own transaction.
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
	int64_t	 keep_count;	/* store_crl_prunable: 0 none */
};

static void
keep_bind(sqlite3_stmt *st, void *arg)
{
	struct keep_key *k = arg;

	sqlite3_bind_int64(st, 1, k->issuer_id);
	sqlite3_bind_int(st, 2, k->shard);
	sqlite3_bind_int64(st, 3, k->number);
	if (k->keep_count > 0)
		sqlite3_bind_int64(st, 4, k->keep_count);
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
	struct keep_key k = { issuer_id, shard, number, out, 0 };
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

/*
 * With a count bound: the number with keep_count CRLs above it is the
 * newest that may go (NULL, nothing, while there are fewer).  pruned is
 * tested last: it lies after der in the row, so reading it walks the
 * body's overflow pages, megabytes for a kept body.
 */
#define PRUNABLE_COUNT_SQL "SELECT " INFO_COLS " FROM crls WHERE " \
	"issuer_id = ?1 AND shard = ?2 AND number < (SELECT MAX(number) " \
	"FROM crls WHERE issuer_id = ?1 AND shard = ?2) AND (number <= " \
	"(SELECT number FROM crls WHERE issuer_id = ?1 AND shard = ?2 ORDER " \
	"BY number DESC LIMIT 1 OFFSET ?4) OR this_update < ?3) AND pruned " \
	"IS NULL ORDER BY number LIMIT 1"
#define PRUNABLE_AGE_SQL "SELECT " INFO_COLS " FROM crls WHERE " \
	"issuer_id = ?1 AND shard = ?2 AND number < (SELECT MAX(number) " \
	"FROM crls WHERE issuer_id = ?1 AND shard = ?2) AND this_update < ?3 " \
	"AND pruned IS NULL ORDER BY number LIMIT 1"

/*
 * The candidate read on a connection of its own, read-only, outside the
 * store's lock: the body of a CRL made weeks (or 64 CRLs) ago is rarely
 * in any cache, and reading tens of megabytes from the disk must not hold
 * up issuance or a revocation.  It also warms the operating system's
 * cache for the UPDATE that frees those pages (store_crl_prune), which
 * then holds the lock for a fraction of that.  ESEAL_ENOTFOUND (no
 * message) if there is no candidate; ESEAL_EINTERNAL, no message, if the
 * store is not a file a second connection can open.
 */
static enum eseal_rc
prunable_apart(struct store *s, const char *sql, struct keep_key *k,
    size_t *n)
{
	const char *path;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	enum eseal_rc rc = ESEAL_EINTERNAL;
	int e;

	*n = 0;
	store_lock(s);
	path = sqlite3_db_filename(store_db(s), "main");
	if (path == NULL || path[0] == '\0' ||
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		store_unlock(s);
		sqlite3_close(db);
		return ESEAL_EINTERNAL;
	}
	store_unlock(s);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = eseal_err(ESEAL_ESTORE, "store: read CRL to prune: %s",
		    sqlite3_errmsg(db));
		goto out;
	}
	keep_bind(st, k);
	if ((e = sqlite3_step(st)) == SQLITE_ROW) {
		*n = 1;
		e = info_row(st, k);
		rc = e == STORE_STOP ? ESEAL_OK : (enum eseal_rc)e;
	} else if (e == SQLITE_DONE)
		rc = ESEAL_OK;
	else
		rc = eseal_err(ESEAL_ESTORE, "store: read CRL to prune: %s",
		    sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

enum eseal_rc
store_crl_prunable(struct store *s, int64_t issuer_id, int shard,
    int64_t before, int64_t keep_count, struct store_crl *out)
{
	struct store_crl_info o;
	struct keep_key k = { issuer_id, shard, before, &o, keep_count };
	const char *sql = keep_count > 0 ? PRUNABLE_COUNT_SQL :
	    PRUNABLE_AGE_SQL;
	enum eseal_rc rc;
	size_t n;

	memset(out, 0, sizeof(*out));
	memset(&o, 0, sizeof(o));
	if ((rc = prunable_apart(s, sql, &k, &n)) == ESEAL_EINTERNAL)
		/* An in-memory store (the tests): on the connection. */
		rc = store_rows(s, sql, "read CRL to prune", keep_bind,
		    info_row, &k, &n);
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
