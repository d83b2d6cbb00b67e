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
	"not_after, crl_shards, status, token, chain, changed"

enum eseal_rc
store_issuer_insert(struct store *s, const struct store_issuer *is,
    int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO issuers (name, key_id, key_type, "
	    "cert, not_before, not_after, crl_shards, status, created, token, "
	    "chain, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st))
	    != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, is->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, is->key_id, (int)is->key_id_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, is->key_type, -1, SQLITE_STATIC);
	if (is->cert != NULL)
		sqlite3_bind_blob(st, 4, is->cert, (int)is->cert_len,
		    SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, is->not_before);
	sqlite3_bind_int64(st, 6, is->not_after);
	sqlite3_bind_int(st, 7, is->crl_shards);
	sqlite3_bind_text(st, 8, is->status[0] != '\0' ? is->status : "active",
	    -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, now);
	sqlite3_bind_text(st, 10, is->token, -1, SQLITE_STATIC);
	if (is->chain != NULL)
		sqlite3_bind_blob(st, 11, is->chain, (int)strlen(is->chain),
		    SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, now);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(store_db(s));
		rc = ESEAL_OK;
	} else if ((r & 0xff) == SQLITE_CONSTRAINT)
		rc = eseal_err(ESEAL_EEXIST, "store: an issuer named \"%s\" "
		    "or with that key already exists", is->name);
	else
		rc = store_dberr(s, "insert issuer");
	store_done(s, st);
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
	store_col_text(st, 9, is->token, sizeof(is->token));
	if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
		size_t len;
		unsigned char *b = store_col_blobdup(st, 10, &len);
		char *c;

		if (b == NULL || (c = realloc(b, len + 1)) == NULL) {
			free(b);
			return 0;
		}
		c[len] = '\0';
		is->chain = c;
	}
	is->changed = sqlite3_column_int64(st, 11);
	/* A pending issuer has no certificate yet. */
	return is->cert != NULL || sqlite3_column_type(st, 4) == SQLITE_NULL;
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

	rc = store_list(s, "SELECT " ISSUER_COLS " FROM issuers WHERE status "
	    "<> 'pending' ORDER BY id",
	    "list issuers", NULL, NULL, &issuer_rows, &v, n);
	*out = v;
	return rc;
}

enum eseal_rc
store_issuer_list_all(struct store *s, struct store_issuer **out, size_t *n)
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
	free(is->chain);
	is->cert = NULL;
	is->chain = NULL;
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

static int
int_row(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return STORE_STOP;
}

/* The generation text, read from the issuers themselves. */
static enum eseal_rc
generation_read(struct store *s, char *buf, size_t len)
{
	struct text_out t = { buf, len };
	enum eseal_rc rc;
	size_t n;

	buf[0] = '\0';
	rc = store_rows(s, "SELECT COUNT(*) || '/' || "
	    "COALESCE(MAX(id), 0) || '/' || COALESCE(SUM(length(cert)), 0) || "
	    "'/' || COALESCE(MAX(created), 0) || '/' || COALESCE(SUM(status = "
	    "'active'), 0) || '/' || COALESCE(hex(MAX(key_id)), '') || '/' || "
	    "COALESCE(hex(MIN(key_id)), '') || '/' || COALESCE(MAX(changed), 0) "
	    "|| '/' || COALESCE(SUM(id * length(status)), 0) || '/' || "
	    "COALESCE(SUM(status = 'retiring'), 0) FROM issuers", "read issuers",
	    NULL, text_row, &t, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = store_dberr(s, "read issuers");
	return rc;
}

/*
 * Read again only when it may have moved: when another connection (an
 * esealctl rotating, another thread's connection) committed anything
 * since (PRAGMA data_version), or this one changed a row of issuers
 * (store_issuer_writes).  Both are read before the text, under the lock,
 * so a commit racing with the read only makes the next call read again.
 * A text read inside a transaction is not kept: a rollback would leave it
 * naming rows that are gone.
 */
enum eseal_rc
store_issuer_generation(struct store *s, char *buf, size_t len)
{
	struct store_gen *g;
	char text[STORE_GEN_MAX];
	int64_t dv = -1;
	uint64_t w;
	enum eseal_rc rc;

	buf[0] = '\0';
	store_lock(s);
	g = store_gen(s);
	w = store_issuer_writes(s);
	if ((rc = store_rows(s, "PRAGMA data_version", "read data version",
	    NULL, int_row, &dv, NULL)) != ESEAL_OK)
		goto out;
	if (dv >= 0 && g->valid && g->data_version == dv && g->writes == w) {
		snprintf(buf, len, "%s", g->text);
		goto out;
	}
	if ((rc = generation_read(s, text, sizeof(text))) != ESEAL_OK)
		goto out;
	if (dv >= 0 && sqlite3_get_autocommit(store_db(s))) {
		memcpy(g->text, text, sizeof(g->text));
		g->data_version = dv;
		g->writes = w;
		g->valid = 1;
	}
	snprintf(buf, len, "%s", text);
out:
	store_unlock(s);
	return rc;
}

int
store_issuer_count(struct store *s)
{
	return (int)store_count(s, "SELECT COUNT(*) FROM issuers", NULL);
}

enum eseal_rc
store_issuer_set_status(struct store *s, int64_t id, const char *from,
    const char *to, int64_t now, const struct store_issuer *w)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int r;

	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE issuers SET status = ?, changed = ?, "
	    "cert = COALESCE(?, cert), chain = COALESCE(?, chain), "
	    "not_before = COALESCE(?, not_before), not_after = COALESCE(?, "
	    "not_after) WHERE id = ? AND status = ?", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	if (w != NULL) {
		sqlite3_bind_blob(st, 3, w->cert, (int)w->cert_len,
		    SQLITE_STATIC);
		if (w->chain != NULL)
			sqlite3_bind_blob(st, 4, w->chain,
			    (int)strlen(w->chain), SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, w->not_before);
		sqlite3_bind_int64(st, 6, w->not_after);
	}
	sqlite3_bind_int64(st, 7, id);
	sqlite3_bind_text(st, 8, from, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_DONE && sqlite3_changes(store_db(s)) == 1)
		rc = ESEAL_OK;
	else if (r == SQLITE_DONE)
		rc = eseal_err(ESEAL_EINVAL, "store: issuer %lld is not %s, so "
		    "it cannot become %s", (long long)id, from, to);
	else if ((r & 0xff) == SQLITE_CONSTRAINT)
		rc = eseal_err(ESEAL_EEXIST, "store: issuer %lld cannot become "
		    "%s: another issuer is %s (only one may be)", (long long)id,
		    to, to);
	else
		rc = store_dberr(s, "change issuer status");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_issuer_delete_pending(struct store *s, int64_t id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "DELETE FROM issuers WHERE id = ? AND "
	    "status = 'pending'", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st) == SQLITE_DONE ? ESEAL_OK :
	    store_dberr(s, "delete pending issuer");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

struct cover_q {
	int64_t			 id, now;
	struct store_issuer_cover *out;
};

static void
cover_bind(sqlite3_stmt *st, void *arg)
{
	struct cover_q *q = arg;

	sqlite3_bind_int64(st, 1, q->now);
	sqlite3_bind_int64(st, 2, q->now);
	sqlite3_bind_int64(st, 3, q->id);
}

static int
cover_row(sqlite3_stmt *st, void *arg)
{
	struct cover_q *q = arg;

	q->out->unexpired = sqlite3_column_int64(st, 0);
	q->out->unexpired_unrevoked = sqlite3_column_int64(st, 1);
	q->out->last_not_after = sqlite3_column_int64(st, 2);
	return STORE_STOP;
}

enum eseal_rc
store_issuer_covers(struct store *s, int64_t id, int64_t now,
    struct store_issuer_cover *out)
{
	struct cover_q q = { id, now, out };

	memset(out, 0, sizeof(*out));
	return store_rows(s, "SELECT COALESCE(SUM(c.not_after > ?), 0), "
	    "COALESCE(SUM(c.not_after > ? AND r.serial IS NULL), 0), "
	    "COALESCE(MAX(c.not_after), 0) FROM certificates c LEFT JOIN "
	    "revocations r ON r.serial = c.serial WHERE c.issuer_id = ? AND "
	    "c.status <> 'failed'", "count issuer certificates", cover_bind,
	    cover_row, &q, NULL);
}

enum eseal_rc
store_issuer_link_insert(struct store *s, const struct store_issuer_link *l,
    int64_t now)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO issuer_links (signer_id, "
	    "subject_id, serial, cert, not_before, not_after, created) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?)", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, l->signer_id);
	sqlite3_bind_int64(st, 2, l->subject_id);
	sqlite3_bind_text(st, 3, l->serial, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, l->cert, (int)l->cert_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, l->not_before);
	sqlite3_bind_int64(st, 6, l->not_after);
	sqlite3_bind_int64(st, 7, now);
	rc = sqlite3_step(st) == SQLITE_DONE ? ESEAL_OK :
	    store_dberr(s, "insert link certificate");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

static int
link_fill(sqlite3_stmt *st, void *elem)
{
	struct store_issuer_link *l = elem;

	l->id = sqlite3_column_int64(st, 0);
	l->signer_id = sqlite3_column_int64(st, 1);
	l->subject_id = sqlite3_column_int64(st, 2);
	store_col_text(st, 3, l->serial, sizeof(l->serial));
	l->cert = store_col_blobdup(st, 4, &l->cert_len);
	l->not_before = sqlite3_column_int64(st, 5);
	l->not_after = sqlite3_column_int64(st, 6);
	return l->cert != NULL;
}

static void
link_clear(void *elem)
{
	free(((struct store_issuer_link *)elem)->cert);
}

static const struct store_rowtype link_rows = {
	sizeof(struct store_issuer_link), link_fill, link_clear
};

enum eseal_rc
store_issuer_links(struct store *s, struct store_issuer_link **out, size_t *n)
{
	void *v;
	enum eseal_rc rc;

	rc = store_list(s, "SELECT id, signer_id, subject_id, serial, cert, "
	    "not_before, not_after FROM issuer_links ORDER BY id",
	    "list link certificates", NULL, NULL, &link_rows, &v, n);
	*out = v;
	return rc;
}

void
store_issuer_links_free(struct store_issuer_link *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].cert);
	free(v);
}
