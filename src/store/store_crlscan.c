/*
 * store_crlscan.c: SQLite behind store_crlscan.h.  One statement read
 * through store_rows(), each row decoded into one struct store_revocation
 * on the stack and handed on: the scan's memory does not grow with the
 * number of revocations.
 */
#include <string.h>

#include <sqlite3.h>

#include "store_crlscan.h"
#include "store_int.h"

struct scan_ctx {
	int64_t			 issuer_id;
	store_crlscan_fn	 fn;
	void			*arg;
	int			 shard;		/* store_crlscan_owed */
	store_crlowed_fn	 ofn;
};

static void
scan_bind(sqlite3_stmt *st, void *arg)
{
	sqlite3_bind_int64(st, 1, ((struct scan_ctx *)arg)->issuer_id);
}

static int
scan_row(sqlite3_stmt *st, void *arg)
{
	struct scan_ctx *k = arg;
	struct store_revocation r;

	r.serial[0] = '\0';
	store_col_text(st, 0, r.serial, sizeof(r.serial));
	r.reason = sqlite3_column_int(st, 1);
	r.revoked_at = sqlite3_column_int64(st, 2);
	r.invalidity_date = sqlite3_column_int64(st, 3);
	r.requested_by[0] = '\0';
	r.not_after = sqlite3_column_int64(st, 4);
	return (int)k->fn(&r, k->arg);
}

enum eseal_rc
store_crlscan(struct store *s, int64_t issuer_id, store_crlscan_fn fn,
    void *arg, size_t *n)
{
	struct scan_ctx k = { issuer_id, fn, arg, 0, NULL };

	/* As store_revocation_list(), in X509_CRL_sort's order (013 too). */
	return store_rows(s, "SELECT serial, reason, revoked_at, inv, "
	    "not_after FROM (SELECT r.serial AS serial, r.reason AS reason, "
	    "r.revoked_at AS revoked_at, COALESCE(r.invalidity_date, 0) AS "
	    "inv, c.not_after AS not_after FROM revocations r JOIN "
	    "certificates c ON c.serial = r.serial WHERE c.issuer_id = ?1 "
	    "UNION ALL SELECT u.serial, u.reason, u.revoked_at, "
	    "COALESCE(u.invalidity_date, 0), 9223372036854775807 FROM "
	    "revoked_unknown u WHERE u.issuer_id = ?1) "
	    "ORDER BY length(serial), serial", "scan revocations", scan_bind,
	    scan_row, &k, n);
}

static void
owed_bind(sqlite3_stmt *st, void *arg)
{
	struct scan_ctx *k = arg;

	sqlite3_bind_int64(st, 1, k->issuer_id);
	sqlite3_bind_int(st, 2, k->shard);
}

static int
owed_row(sqlite3_stmt *st, void *arg)
{
	struct scan_ctx *k = arg;
	struct store_revocation r;
	int n = sqlite3_column_int(st, 5);

	memset(&r, 0, sizeof(r));
	store_col_text(st, 0, r.serial, sizeof(r.serial));
	r.reason = sqlite3_column_int(st, 1);
	r.revoked_at = sqlite3_column_int64(st, 2);
	r.invalidity_date = sqlite3_column_int64(st, 3);
	r.not_after = sqlite3_column_int64(st, 4);
	return (int)k->ofn(r.serial, n == 0 ? NULL : &r, n, k->arg);
}

enum eseal_rc
store_crlscan_owed(struct store *s, int64_t issuer_id, int shard,
    store_crlowed_fn fn, void *arg, size_t *n)
{
	struct scan_ctx k = { issuer_id, NULL, arg, shard, fn };

	/* Each owed serial once, with what store_crlscan() would give. */
	return store_rows(s, "SELECT o.serial, COALESCE(r.reason, u.reason), "
	    "COALESCE(r.revoked_at, u.revoked_at), COALESCE(r.invalidity_date, "
	    "u.invalidity_date, 0), COALESCE(c.not_after, "
	    "9223372036854775807), (c.serial IS NOT NULL) + (u.serial IS NOT "
	    "NULL) FROM (SELECT DISTINCT serial FROM crl_owed WHERE issuer_id "
	    "= ?1 AND shard = ?2) o LEFT JOIN revocations r ON r.serial = "
	    "o.serial LEFT JOIN certificates c ON c.serial = r.serial AND "
	    "c.issuer_id = ?1 LEFT JOIN revoked_unknown u ON u.serial = "
	    "o.serial AND u.issuer_id = ?1 ORDER BY length(o.serial), "
	    "o.serial", "scan owed revocations", owed_bind, owed_row, &k, n);
}
