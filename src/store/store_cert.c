/*
 * store_cert.c: the certificates table behind store.h: a row is recorded
 * pending with its exact TBS before the HSM signs, then becomes issued
 * (with the certificate) or failed (with the reason); a serial is never
 * used twice.  Also what the store knows about a subscriber key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"

#define CERT_COLS "serial, issuer_id, status, tbs, cert, subject, " \
	"spki_sha256, not_before, not_after, shard, fail_reason, org_identifier"

static const char *const cert_status_names[CERT_STATUS_MAX] = {
	[CERT_PENDING] = "pending",
	[CERT_ISSUED] = "issued",
	[CERT_FAILED] = "failed",
};

const char *
cert_status_name(enum cert_status s)
{
	return (s >= 0 && s < CERT_STATUS_MAX) ? cert_status_names[s] : "?";
}

static enum cert_status
cert_status_parse(const char *s)
{
	for (int i = 0; s != NULL && i < CERT_STATUS_MAX; i++)
		if (strcmp(s, cert_status_names[i]) == 0)
			return (enum cert_status)i;
	return CERT_FAILED;
}

int64_t
store_cert_count(struct store *s, enum cert_status status)
{
	return store_count(s, "SELECT COUNT(*) FROM certificates WHERE "
	    "status = ?", cert_status_name(status));
}

enum eseal_rc
store_cert_insert_pending(struct store *s, const struct store_cert *c,
    int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO certificates (serial, issuer_id, "
	    "status, tbs, subject, spki_sha256, not_before, not_after, shard, "
	    "created, updated, org_identifier) VALUES (?, ?, 'pending', ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?)",
	    &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, c->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->issuer_id);
	sqlite3_bind_blob(st, 3, c->tbs, (int)c->tbs_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, c->spki_sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, c->not_before);
	sqlite3_bind_int64(st, 7, c->not_after);
	sqlite3_bind_int(st, 8, c->shard);
	sqlite3_bind_int64(st, 9, now);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_text(st, 11, c->org_identifier, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE)
		rc = ESEAL_OK;
	else if (r == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = eseal_err(ESEAL_EEXIST, "store: serial %s already used",
		    c->serial);
	else if (r == SQLITE_CONSTRAINT_TRIGGER)	/* 013_backup.sql */
		rc = eseal_err(ESEAL_EEXIST, "store: serial %s was revoked on "
		    "a published CRL after the backup this store was restored "
		    "from", c->serial);
	else
		rc = store_dberr(s, "insert pending certificate");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

static enum eseal_rc
cert_transition(struct store *s, const char *sql, const char *serial,
    const void *blob, size_t len, const char *text, int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, sql, &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	if (blob != NULL)
		sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "update certificate");
	else if (sqlite3_changes(store_db(s)) != 1)
		rc = eseal_err(ESEAL_EEXIST, "store: certificate %s is not "
		    "pending", serial);
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_cert_mark_issued(struct store *s, const char *serial,
    const unsigned char *der, size_t len, int64_t now)
{
	return cert_transition(s, "UPDATE certificates SET status = 'issued', "
	    "cert = ?, updated = ? WHERE serial = ? AND status = 'pending'",
	    serial, der, len, NULL, now);
}

enum eseal_rc
store_cert_mark_failed(struct store *s, const char *serial, const char *reason,
    int64_t now)
{
	return cert_transition(s, "UPDATE certificates SET status = 'failed', "
	    "fail_reason = ?, updated = ? WHERE serial = ? AND "
	    "status = 'pending'", serial, NULL, 0, reason, now);
}

/* A row of CERT_COLS into the zeroed c: 0 when out of memory. */
static int
cert_fill(sqlite3_stmt *st, void *elem)
{
	struct store_cert *c = elem;

	store_col_text(st, 0, c->serial, sizeof(c->serial));
	c->issuer_id = sqlite3_column_int64(st, 1);
	c->status = cert_status_parse((const char *)sqlite3_column_text(st, 2));
	c->tbs = store_col_blobdup(st, 3, &c->tbs_len);
	c->cert = store_col_blobdup(st, 4, &c->cert_len);
	c->subject = store_col_strdup(st, 5);
	store_col_blobcpy(st, 6, c->spki_sha256, sizeof(c->spki_sha256), NULL);
	c->not_before = sqlite3_column_int64(st, 7);
	c->not_after = sqlite3_column_int64(st, 8);
	c->shard = sqlite3_column_int(st, 9);
	c->fail_reason = store_col_strdup(st, 10);
	store_col_text(st, 11, c->org_identifier, sizeof(c->org_identifier));
	return c->tbs != NULL && c->subject != NULL;
}

static void
cert_clear(void *elem)
{
	store_cert_clear(elem);
}

static const struct store_rowtype cert_rows = {
	sizeof(struct store_cert), cert_fill, cert_clear
};

/* The parameters of the certificate queries below; unused ones are NULL. */
struct cert_key {
	const char		*serial;
	const unsigned char	*spki;
	const char		*org;
	int64_t			 since;
	void			*out;
};

static void
serial_bind(sqlite3_stmt *st, void *arg)
{
	sqlite3_bind_text(st, 1, ((struct cert_key *)arg)->serial, -1,
	    SQLITE_STATIC);
}

static int
cert_one(sqlite3_stmt *st, void *arg)
{
	if (!cert_fill(st, ((struct cert_key *)arg)->out))
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	return STORE_STOP;
}

enum eseal_rc
store_cert_get(struct store *s, const char *serial, struct store_cert *c)
{
	struct cert_key k = { serial, NULL, NULL, 0, c };
	enum eseal_rc rc;
	size_t n;

	memset(c, 0, sizeof(*c));
	rc = store_rows(s, "SELECT " CERT_COLS " FROM certificates WHERE "
	    "serial = ?", "read certificate", serial_bind, cert_one, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no certificate with "
		    "serial %s", serial);
	if (rc != ESEAL_OK)
		store_cert_clear(c);
	return rc;
}

struct owner {
	enum cert_status	*status;
	int64_t			*issuer_id;
};

static int
owner_row(sqlite3_stmt *st, void *arg)
{
	struct owner *o = ((struct cert_key *)arg)->out;

	*o->issuer_id = sqlite3_column_int64(st, 0);
	*o->status = cert_status_parse((const char *)sqlite3_column_text(st,
	    1));
	return STORE_STOP;
}

enum eseal_rc
store_cert_owner(struct store *s, const char *serial,
    enum cert_status *status, int64_t *issuer_id)
{
	struct owner o = { status, issuer_id };
	struct cert_key k = { serial, NULL, NULL, 0, &o };
	enum eseal_rc rc;
	size_t n;

	*issuer_id = 0;
	*status = CERT_FAILED;
	rc = store_rows(s, "SELECT issuer_id, status FROM certificates WHERE "
	    "serial = ?", "read certificate", serial_bind, owner_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no certificate with "
		    "serial %s", serial);
	return rc;
}

static void
before_bind(sqlite3_stmt *st, void *arg)
{
	sqlite3_bind_int64(st, 1, *(const int64_t *)arg);
}

enum eseal_rc
store_cert_pending_before(struct store *s, int64_t before,
    struct store_cert **out, size_t *n)
{
	void *v;
	enum eseal_rc rc;

	rc = store_list(s, "SELECT " CERT_COLS " FROM certificates WHERE "
	    "status = 'pending' AND created <= ?1 ORDER BY created",
	    "list pending certificates", before_bind, &before, &cert_rows, &v,
	    n);
	*out = v;
	return rc;
}

enum eseal_rc
store_cert_pending(struct store *s, struct store_cert **out, size_t *n)
{
	return store_cert_pending_before(s, INT64_MAX, out, n);
}

static void
spki_bind(sqlite3_stmt *st, void *arg)
{
	struct cert_key *k = arg;

	sqlite3_bind_blob(st, 1, k->spki, 32, SQLITE_STATIC);
	if (k->org != NULL)
		sqlite3_bind_text(st, 2, k->org, -1, SQLITE_STATIC);
}

static void
find_bind(sqlite3_stmt *st, void *arg)
{
	spki_bind(st, arg);
	sqlite3_bind_int64(st, 3, ((struct cert_key *)arg)->since);
}

static int
int_row(sqlite3_stmt *st, void *arg)
{
	*(int *)((struct cert_key *)arg)->out = sqlite3_column_int(st, 0);
	return STORE_STOP;
}

int
store_cert_spki_exists(struct store *s, const unsigned char spki_sha256[32])
{
	struct cert_key k = { NULL, spki_sha256, NULL, 0, NULL };
	size_t n;

	if (store_rows(s, "SELECT 1 FROM certificates WHERE spki_sha256 = ? "
	    "LIMIT 1", "find key", spki_bind, NULL, &k, &n) != ESEAL_OK)
		return -1;
	return n > 0;
}

int
store_cert_key_conflict(struct store *s, const unsigned char spki_sha256[32],
    const char *org)
{
	int v = -1;
	struct cert_key k = { NULL, spki_sha256, org, 0, &v };

	if (store_rows(s, "SELECT COALESCE(MAX(CASE "
	    "WHEN r.reason = 1 THEN 2 "
	    "WHEN c.org_identifier <> ?2 AND c.status = 'issued' THEN 1 "
	    "ELSE 0 END), 0) FROM certificates c LEFT JOIN revocations r "
	    "ON r.serial = c.serial WHERE c.spki_sha256 = ?1", "check key",
	    spki_bind, int_row, &k, NULL) != ESEAL_OK)
		return -1;
	return v;
}

static int
serial_row(sqlite3_stmt *st, void *arg)
{
	store_col_text(st, 0, ((struct cert_key *)arg)->out,
	    STORE_SERIAL_HEX_MAX);
	return STORE_STOP;
}

/* The serial of the one row sql (bound as find_bind binds) finds. */
static enum eseal_rc
find_serial(struct store *s, const char *sql, const char *what,
    const unsigned char spki_sha256[32], const char *org, int64_t since,
    char serial[STORE_SERIAL_HEX_MAX])
{
	struct cert_key k = { NULL, spki_sha256, org, since, serial };
	enum eseal_rc rc;
	size_t n;

	serial[0] = '\0';
	rc = store_rows(s, sql, what, find_bind, serial_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no such certificate");
	return rc;
}

/*
 * The unary + keeps SQLite (no ANALYZE statistics) from the status and
 * organisation indexes, which hold every row of a big store (a million
 * issued certificates of one organisation: 0.37 s a query, issue 16), and
 * on the key's own index, a handful of rows.
 */
enum eseal_rc
store_cert_find_issued(struct store *s, const unsigned char spki_sha256[32],
    const char *org, int64_t since, char serial[STORE_SERIAL_HEX_MAX])
{
	return find_serial(s, "SELECT serial FROM certificates WHERE "
	    "spki_sha256 = ?1 AND +org_identifier = ?2 AND +status = 'issued' "
	    "AND created >= ?3 ORDER BY created DESC LIMIT 1",
	    "find certificate", spki_sha256, org, since, serial);
}

enum eseal_rc
store_cert_find_pending(struct store *s, const unsigned char spki_sha256[32],
    const char *org, int64_t since, char serial[STORE_SERIAL_HEX_MAX])
{
	return find_serial(s, "SELECT serial FROM certificates WHERE "
	    "spki_sha256 = ?1 AND +org_identifier = ?2 AND +status = 'pending' "
	    "AND created >= ?3 ORDER BY created LIMIT 1",
	    "find pending certificate", spki_sha256, org, since, serial);
}

void
store_cert_clear(struct store_cert *c)
{
	if (c == NULL)
		return;
	free(c->tbs);
	free(c->cert);
	free(c->subject);
	free(c->fail_reason);
	memset(c, 0, sizeof(*c));
}

void
store_cert_list_free(struct store_cert *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_cert_clear(&v[i]);
	free(v);
}
