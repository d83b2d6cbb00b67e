/*
 * store_backup.c: SQLite behind store_backup.h.  The online copy uses
 * SQLite's backup API in a single step (sqlite3_backup_step(b, -1)) from
 * a read-only connection of its own: a consistent snapshot that does not
 * block the daemon's writers (PITFALLS.md, SQLite); incremental steps
 * restart on every concurrent write and might never finish.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_backup.h"
#include "store_int.h"

#define COPY_MODE	0600	/* the copy holds everything the store does */

/* Creates path empty with COPY_MODE (it must not exist). */
static enum eseal_rc
create_private(const char *path)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    COPY_MODE)) == -1)
		return eseal_err(ESEAL_ESTORE, "store: backup copy %s: %s", path,
		    strerror(errno));
	close(fd);
	return ESEAL_OK;
}

enum eseal_rc
store_backup_copy(struct store *s, const char *path)
{
	const char *src_path = sqlite3_db_filename(store_db(s), "main");
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b;
	enum eseal_rc rc;
	char *msg = NULL;
	int r;

	if (src_path == NULL || src_path[0] == '\0')
		return eseal_err(ESEAL_EINVAL, "store: an in-memory store has "
		    "no file to back up");
	if ((rc = create_private(path)) != ESEAL_OK)
		return rc;
	if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL)
	    != SQLITE_OK || sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE,
	    NULL) != SQLITE_OK) {
		rc = eseal_err(ESEAL_ESTORE, "store: backup: cannot open %s",
		    src == NULL || sqlite3_errcode(src) != SQLITE_OK ? src_path :
		    path);
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		rc = eseal_err(ESEAL_ESTORE, "store: backup: %s",
		    sqlite3_errmsg(dst));
		goto out;
	}
	r = sqlite3_backup_step(b, -1);	/* one step: one snapshot */
	sqlite3_backup_finish(b);
	if (r != SQLITE_DONE) {
		rc = eseal_err(ESEAL_ESTORE, "store: backup: %s (%d)",
		    sqlite3_errstr(r), r);
		goto out;
	}
	/* One self-contained file: no WAL beside it. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, &msg)
	    != SQLITE_OK) {
		rc = eseal_err(ESEAL_ESTORE, "store: backup: journal mode: %s",
		    msg ? msg : sqlite3_errmsg(dst));
		goto out;
	}
	rc = ESEAL_OK;
out:
	sqlite3_free(msg);
	sqlite3_close_v2(src);
	if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rc == ESEAL_OK)
		rc = eseal_err(ESEAL_ESTORE, "store: backup: cannot close %s",
		    path);
	if (rc != ESEAL_OK)
		unlink(path);
	return rc;
}

enum eseal_rc
store_integrity_check(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	enum eseal_rc rc;
	const unsigned char *t;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)
	    != SQLITE_OK) {
		rc = eseal_err(ESEAL_ESTORE, "store: %s: cannot open", path);
		goto out;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL)
	    != SQLITE_OK) {
		rc = eseal_err(ESEAL_ESTORE, "store: integrity_check: %s",
		    sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (t = sqlite3_column_text(st, 0)) == NULL) {
		rc = eseal_err(ESEAL_ESTORE, "store: integrity_check: %s",
		    sqlite3_errmsg(db));
		goto out;
	}
	if (strcmp((const char *)t, "ok") != 0)
		rc = eseal_err(ESEAL_ESTORE, "store: PRAGMA integrity_check: "
		    "%.300s", (const char *)t);
	else
		rc = ESEAL_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return rc;
}

/* --- figures ---------------------------------------------------------- */

static int
head_row(sqlite3_stmt *st, void *arg)
{
	struct store_stats *x = arg;
	const unsigned char *h = sqlite3_column_blob(st, 1);
	int n = sqlite3_column_bytes(st, 1);

	x->audit_seq = sqlite3_column_int64(st, 0);
	for (int i = 0; h != NULL && i < n && i < 32; i++)
		snprintf(x->audit_hash + 2 * i, 3, "%02x", h[i]);
	return STORE_STOP;
}

static int
ckpt_row(sqlite3_stmt *st, void *arg)
{
	struct store_stats *x = arg;

	x->ckpt_seq = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, x->ckpt_hash, sizeof(x->ckpt_hash));
	x->ckpt_created = sqlite3_column_int64(st, 2);
	return STORE_STOP;
}

enum eseal_rc
store_stats_get(struct store *s, struct store_stats *x)
{
	enum eseal_rc rc;

	memset(x, 0, sizeof(*x));
	x->schema_version = store_schema_version(s);
	if ((x->issuers = store_count(s, "SELECT count(*) FROM issuers",
	    NULL)) < 0 ||
	    (x->certificates = store_count(s, "SELECT count(*) FROM "
	    "certificates", NULL)) < 0 ||
	    (x->revocations = store_count(s, "SELECT count(*) FROM "
	    "revocations", NULL)) < 0 ||
	    (x->audit = store_count(s, "SELECT count(*) FROM audit", NULL)) < 0 ||
	    (x->revoked_unknown = store_count(s, "SELECT count(*) FROM "
	    "revoked_unknown", NULL)) < 0 ||
	    (x->last_cert_created = store_count(s, "SELECT COALESCE(MAX("
	    "created), 0) FROM certificates", NULL)) < 0 ||
	    (x->has_checkpoints = (int)store_count(s, "SELECT count(*) FROM "
	    "sqlite_master WHERE type = 'table' AND name = ?",
	    "audit_checkpoints")) < 0)
		return eseal_err(ESEAL_ESTORE, "store: cannot count: %s",
		    eseal_errmsg());
	if ((rc = store_rows(s, "SELECT seq, hash FROM audit ORDER BY seq DESC "
	    "LIMIT 1", "read audit head", NULL, head_row, x, NULL)) != ESEAL_OK)
		return rc;
	/* h14b's table (012), when this store has it. */
	if (x->has_checkpoints && (rc = store_rows(s, "SELECT seq, hash, "
	    "created FROM audit_checkpoints ORDER BY seq DESC, id DESC LIMIT 1",
	    "read audit checkpoint", NULL, ckpt_row, x, NULL)) != ESEAL_OK)
		return rc;
	return ESEAL_OK;
}

static int
number_fill(sqlite3_stmt *st, void *elem)
{
	struct store_crl_number *c = elem;

	c->issuer_id = sqlite3_column_int64(st, 0);
	c->shard = sqlite3_column_int(st, 1);
	c->number = sqlite3_column_int64(st, 2);
	return 1;
}

static const struct store_rowtype number_rows = {
	sizeof(struct store_crl_number), number_fill, NULL
};

enum eseal_rc
store_crl_numbers(struct store *s, struct store_crl_number **out, size_t *n)
{
	void *v;
	enum eseal_rc rc;

	rc = store_list(s, "SELECT issuer_id, shard, MAX(number) FROM (SELECT "
	    "issuer_id, shard, number FROM crls UNION ALL SELECT issuer_id, "
	    "shard, number FROM crl_number_floor) GROUP BY issuer_id, shard "
	    "ORDER BY issuer_id, shard", "list CRL numbers", NULL, NULL,
	    &number_rows, &v, n);
	*out = v;
	return rc;
}

struct audit_has {
	int64_t		 seq;
	const char	*hex;
	int		*found, *match;
};

static void
has_bind(sqlite3_stmt *st, void *arg)
{
	sqlite3_bind_int64(st, 1, ((struct audit_has *)arg)->seq);
}

static int
has_row(sqlite3_stmt *st, void *arg)
{
	struct audit_has *a = arg;
	const unsigned char *h = sqlite3_column_blob(st, 0);
	char hex[STORE_HASH_HEX_MAX] = "";

	*a->found = 1;
	for (int i = 0; h != NULL && i < sqlite3_column_bytes(st, 0) &&
	    i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	*a->match = strcasecmp(hex, a->hex) == 0;
	return STORE_STOP;
}

enum eseal_rc
store_audit_has(struct store *s, int64_t seq, const char *hash_hex,
    int *found, int *match)
{
	struct audit_has a = { seq, hash_hex, found, match };

	*found = *match = 0;
	return store_rows(s, "SELECT hash FROM audit WHERE seq = ?",
	    "read audit record", has_bind, has_row, &a, NULL);
}

/* --- backup rows ------------------------------------------------------ */

enum eseal_rc
store_backup_insert(struct store *s, const struct store_backup_row *r)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO backups (created, destination, "
	    "label, size, sha256, same_device, result, error, actor) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, r->created);
	sqlite3_bind_text(st, 2, r->destination, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->size);
	sqlite3_bind_text(st, 5, r->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, r->same_device != 0);
	sqlite3_bind_text(st, 7, r->ok ? "ok" : "failed", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, r->error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->actor, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "insert backup");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_backup_last_ok(struct store *s, int64_t *created)
{
	if ((*created = store_count(s, "SELECT COALESCE(MAX(created), 0) FROM "
	    "backups WHERE result = ?", "ok")) < 0)
		return eseal_err(ESEAL_ESTORE, "store: read backups: %s",
		    eseal_errmsg());
	return ESEAL_OK;
}

static int
backup_row(sqlite3_stmt *st, void *arg)
{
	struct store_backup_row *r = arg;

	r->created = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, r->destination, sizeof(r->destination));
	store_col_text(st, 2, r->label, sizeof(r->label));
	r->size = sqlite3_column_int64(st, 3);
	store_col_text(st, 4, r->sha256, sizeof(r->sha256));
	r->same_device = sqlite3_column_int(st, 5);
	r->ok = strcmp((const char *)sqlite3_column_text(st, 6), "ok") == 0;
	store_col_text(st, 7, r->error, sizeof(r->error));
	store_col_text(st, 8, r->actor, sizeof(r->actor));
	return STORE_STOP;
}

enum eseal_rc
store_backup_last(struct store *s, struct store_backup_row *r)
{
	enum eseal_rc rc;
	size_t n;

	memset(r, 0, sizeof(*r));
	rc = store_rows(s, "SELECT created, destination, label, size, sha256, "
	    "same_device, result, error, actor FROM backups ORDER BY id DESC "
	    "LIMIT 1", "read backups", NULL, backup_row, r, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no backup recorded");
	return rc;
}

/* --- reconciliation --------------------------------------------------- */

enum eseal_rc
store_revoked_unknown_insert(struct store *s, int64_t issuer_id,
    const struct store_revocation *r, const char *source, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO revoked_unknown (serial, "
	    "issuer_id, reason, revoked_at, invalidity_date, source, recorded) "
	    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS (SELECT 1 FROM "
	    "certificates WHERE serial = ?1)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, r->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, issuer_id);
	sqlite3_bind_int(st, 3, r->reason);
	sqlite3_bind_int64(st, 4, r->revoked_at);
	if (r->invalidity_date != 0)
		sqlite3_bind_int64(st, 5, r->invalidity_date);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_text(st, 6, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	e = sqlite3_step(st);
	if (e == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = eseal_err(ESEAL_EEXIST, "store: %s is recorded already",
		    r->serial);
	else if (e != SQLITE_DONE)
		rc = store_dberr(s, "insert revoked_unknown");
	else if (sqlite3_changes(store_db(s)) != 1)
		rc = eseal_err(ESEAL_EEXIST, "store: %s is a certificate of "
		    "the store", r->serial);
	store_done(s, st);
	store_unlock(s);
	return rc;
}

struct unknown_get {
	const char		*serial;
	int64_t			*issuer_id;
	struct store_revocation	*r;
};

static void
unknown_bind(sqlite3_stmt *st, void *arg)
{
	sqlite3_bind_text(st, 1, ((struct unknown_get *)arg)->serial, -1,
	    SQLITE_STATIC);
}

static int
unknown_row(sqlite3_stmt *st, void *arg)
{
	struct unknown_get *u = arg;

	*u->issuer_id = sqlite3_column_int64(st, 0);
	snprintf(u->r->serial, sizeof(u->r->serial), "%s", u->serial);
	u->r->reason = sqlite3_column_int(st, 1);
	u->r->revoked_at = sqlite3_column_int64(st, 2);
	u->r->invalidity_date = sqlite3_column_int64(st, 3);
	store_col_text(st, 4, u->r->requested_by, sizeof(u->r->requested_by));
	u->r->not_after = INT64_MAX;
	return STORE_STOP;
}

enum eseal_rc
store_revoked_unknown_get(struct store *s, const char *serial,
    int64_t *issuer_id, struct store_revocation *r)
{
	struct unknown_get u = { serial, issuer_id, r };
	enum eseal_rc rc;
	size_t n;

	memset(r, 0, sizeof(*r));
	*issuer_id = 0;
	rc = store_rows(s, "SELECT issuer_id, reason, revoked_at, "
	    "COALESCE(invalidity_date, 0), source FROM revoked_unknown WHERE "
	    "serial = ?", "read revoked_unknown", unknown_bind, unknown_row, &u,
	    &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: %s is not revoked on a "
		    "published CRL", serial);
	return rc;
}

enum eseal_rc
store_crl_floor_raise(struct store *s, int64_t issuer_id, int shard,
    int64_t number, const char *source)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO crl_number_floor (issuer_id, "
	    "shard, number, source) VALUES (?, ?, ?, ?) ON CONFLICT (issuer_id, "
	    "shard) DO UPDATE SET number = excluded.number, source = "
	    "excluded.source WHERE excluded.number > number", &st))
	    != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_int(st, 2, shard);
	sqlite3_bind_int64(st, 3, number);
	sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "raise CRL number floor");
	store_done(s, st);
	store_unlock(s);
	return rc;
}
