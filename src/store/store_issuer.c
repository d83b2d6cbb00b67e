/*
 * store_issuer.c: the issuers table behind store.h: issuer keys and their
 * CA certificates, which one is active, and a generation text that tells
 * caches of parsed issuers when to read them again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"

#define ISSUER_COLS "id, name, key_id, key_type, cert, not_before, " \
	"not_after, crl_shards, status"

enum eseal_rc
store_issuer_insert(struct store *s, const struct store_issuer *is,
    int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO issuers (name, key_id, key_type, "
	    "cert, not_before, not_after, crl_shards, status, created) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, is->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, is->key_id, (int)is->key_id_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, is->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, is->cert, (int)is->cert_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, is->not_before);
	sqlite3_bind_int64(st, 6, is->not_after);
	sqlite3_bind_int(st, 7, is->crl_shards);
	sqlite3_bind_int64(st, 8, now);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(store_db(s));
		rc = ESEAL_OK;
	} else if ((r & 0xff) == SQLITE_CONSTRAINT)
		rc = eseal_err(ESEAL_EEXIST, "store: an issuer named \"%s\" "
		    "or with that key already exists", is->name);
	else
		rc = store_dberr(s, "insert issuer");
	sqlite3_finalize(st);
	store_unlock(s);
	return rc;
}

/* A row of ISSUER_COLS into the zeroed is: 0 when out of memory. */
static int
issuer_fill(sqlite3_stmt *st, void *elem)
{
	struct store_issuer *is = elem;

	is->id = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, is->name, sizeof(is->name));
	store_col_blobcpy(st, 2, is->key_id, sizeof(is->key_id),
	    &is->key_id_len);
	store_col_text(st, 3, is->key_type, sizeof(is->key_type));
	is->cert = store_col_blobdup(st, 4, &is->cert_len);
	is->not_before = sqlite3_column_int64(st, 5);
	is->not_after = sqlite3_column_int64(st, 6);
	is->crl_shards = sqlite3_column_int(st, 7);
	store_col_text(st, 8, is->status, sizeof(is->status));
	return is->cert != NULL;
}

static void
issuer_clear(void *elem)
{
	store_issuer_clear(elem);
}

static const struct store_rowtype issuer_rows = {
	sizeof(struct store_issuer), issuer_fill, issuer_clear
};

/* The one parameter of an issuer query: a name, an id, or none. */
struct issuer_key {
	const char	*name;
	int64_t		 id;
	struct store_issuer *out;
};

static void
issuer_bind(sqlite3_stmt *st, void *arg)
{
	struct issuer_key *k = arg;

	if (k->name != NULL)
		sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
	else if (k->id != 0)
		sqlite3_bind_int64(st, 1, k->id);
}

static int
issuer_one(sqlite3_stmt *st, void *arg)
{
	struct issuer_key *k = arg;

	if (!issuer_fill(st, k->out))
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	return STORE_STOP;
}

static enum eseal_rc
issuer_query(struct store *s, const char *sql, const char *name, int64_t id,
    struct store_issuer *is)
{
	struct issuer_key k = { name, id, is };
	enum eseal_rc rc;
	size_t n;

	memset(is, 0, sizeof(*is));
	rc = store_rows(s, sql, "read issuer", issuer_bind, issuer_one, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: no such issuer");
	if (rc != ESEAL_OK)
		store_issuer_clear(is);
	return rc;
}

enum eseal_rc
store_issuer_by_name(struct store *s, const char *name, struct store_issuer *is)
{
	return issuer_query(s, "SELECT " ISSUER_COLS " FROM issuers WHERE "
	    "name = ?", name, 0, is);
}

enum eseal_rc
store_issuer_by_id(struct store *s, int64_t id, struct store_issuer *is)
{
	return issuer_query(s, "SELECT " ISSUER_COLS " FROM issuers WHERE "
	    "id = ?", NULL, id, is);
}

enum eseal_rc
store_issuer_current(struct store *s, struct store_issuer *is)
{
	return issuer_query(s, "SELECT " ISSUER_COLS " FROM issuers WHERE "
	    "status = 'active' ORDER BY id DESC LIMIT 1", NULL, 0, is);
}

enum eseal_rc
store_issuer_list(struct store *s, struct store_issuer **out, size_t *n)
{
	void *v;
	enum eseal_rc rc;

	rc = store_list(s, "SELECT " ISSUER_COLS " FROM issuers ORDER BY id",
	    "list issuers", NULL, NULL, &issuer_rows, &v, n);
	*out = v;
	return rc;
}

void
store_issuer_list_free(struct store_issuer *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_issuer_clear(&v[i]);
	free(v);
}

void
store_issuer_clear(struct store_issuer *is)
{
	if (is == NULL)
		return;
	free(is->cert);
	is->cert = NULL;
	is->cert_len = 0;
}

struct text_out {
	char	*buf;
	size_t	 len;
};

static int
text_row(sqlite3_stmt *st, void *arg)
{
	struct text_out *t = arg;

	store_col_text(st, 0, t->buf, t->len);
	return STORE_STOP;
}

enum eseal_rc
store_issuer_generation(struct store *s, char *buf, size_t len)
{
	struct text_out t = { buf, len };
	enum eseal_rc rc;
	size_t n;

	buf[0] = '\0';
	rc = store_rows(s, "SELECT COUNT(*) || '/' || "
	    "COALESCE(MAX(id), 0) || '/' || COALESCE(SUM(length(cert)), 0) || "
	    "'/' || COALESCE(MAX(created), 0) || '/' || COALESCE(SUM(status = "
	    "'active'), 0) || '/' || COALESCE(hex(MAX(key_id)), '') || '/' || "
	    "COALESCE(hex(MIN(key_id)), '') FROM issuers", "read issuers",
	    NULL, text_row, &t, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = store_dberr(s, "read issuers");
	return rc;
}

int
store_issuer_count(struct store *s)
{
	return (int)store_count(s, "SELECT COUNT(*) FROM issuers", NULL);
}
