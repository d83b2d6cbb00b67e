/*
 * store_ocsp.c: SQLite behind store_ocsp.h, written like the rest of the
 * store: every statement prepared with bound parameters, the store's lock
 * held around it, rows read through store_rows(), every error naming the
 * operation.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"
#include "store_ocsp.h"

enum eseal_rc
store_ocsp_signer_insert(struct store *s, const struct store_ocsp_signer *r,
    int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;
	int e;

	*id = 0;
	store_lock(s);
	if ((rc = store_prepare(s, "INSERT INTO ocsp_signers (issuer_id, "
	    "key_id, key_type, serial, cert, not_before, not_after, created, "
	    "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active')", &st))
	    != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, r->issuer_id);
	sqlite3_bind_blob(st, 2, r->key_id, (int)r->key_id_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->serial, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, r->cert, (int)r->cert_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->not_before);
	sqlite3_bind_int64(st, 7, r->not_after);
	sqlite3_bind_int64(st, 8, now);
	e = sqlite3_step(st);
	if (e == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(store_db(s));
		rc = ESEAL_OK;
	} else if (e == SQLITE_CONSTRAINT_UNIQUE)
		rc = eseal_err(ESEAL_EEXIST, "store: an OCSP signer with that "
		    "key or serial %s is already recorded", r->serial);
	else if (e == SQLITE_CONSTRAINT_FOREIGNKEY)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: OCSP signer: no issuer "
		    "%lld or no certificate %s", (long long)r->issuer_id,
		    r->serial);
	else
		rc = store_dberr(s, "insert OCSP signer");
	store_done(s, st);
	store_unlock(s);
	return rc;
}

enum eseal_rc
store_ocsp_signer_retire(struct store *s, int64_t issuer_id, int64_t keep_id,
    int64_t now, int *n)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	if (n != NULL)
		*n = 0;
	store_lock(s);
	if ((rc = store_prepare(s, "UPDATE ocsp_signers SET status = "
	    "'retired', retired = ? WHERE issuer_id = ? AND status = 'active' "
	    "AND id != ?", &st)) != ESEAL_OK) {
		store_unlock(s);
		return rc;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, issuer_id);
	sqlite3_bind_int64(st, 3, keep_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, "retire OCSP signers");
	else if (n != NULL)
		*n = sqlite3_changes(store_db(s));
	store_done(s, st);
	store_unlock(s);
	return rc;
}

struct signer_key {
	int64_t			 issuer_id, now;
	struct store_ocsp_signer *out;
};

static void
signer_bind(sqlite3_stmt *st, void *arg)
{
	struct signer_key *k = arg;

	sqlite3_bind_int64(st, 1, k->issuer_id);
	sqlite3_bind_int64(st, 2, k->now);
}

static int
signer_row(sqlite3_stmt *st, void *arg)
{
	struct signer_key *k = arg;
	struct store_ocsp_signer *r = k->out;
	int n = sqlite3_column_bytes(st, 2);

	r->id = sqlite3_column_int64(st, 0);
	r->issuer_id = sqlite3_column_int64(st, 1);
	store_col_text(st, 3, r->key_type, sizeof(r->key_type));
	store_col_text(st, 4, r->serial, sizeof(r->serial));
	r->not_before = sqlite3_column_int64(st, 6);
	r->not_after = sqlite3_column_int64(st, 7);
	r->created = sqlite3_column_int64(st, 8);
	store_col_text(st, 9, r->status, sizeof(r->status));
	if (n <= 0 || (size_t)n > sizeof(r->key_id) ||
	    sqlite3_column_bytes(st, 5) <= 0)
		return eseal_err(ESEAL_ESTORE, "store: OCSP signer of issuer "
		    "%lld: bad key id or no certificate",
		    (long long)k->issuer_id);
	store_col_blobcpy(st, 2, r->key_id, sizeof(r->key_id), &r->key_id_len);
	if ((r->cert = store_col_blobdup(st, 5, &r->cert_len)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	return STORE_STOP;
}

enum eseal_rc
store_ocsp_signer_current(struct store *s, int64_t issuer_id, int64_t now,
    struct store_ocsp_signer *r)
{
	struct signer_key k = { issuer_id, now, r };
	enum eseal_rc rc;
	size_t n;

	memset(r, 0, sizeof(*r));
	rc = store_rows(s, "SELECT id, issuer_id, key_id, key_type, "
	    "serial, cert, not_before, not_after, created, status FROM "
	    "ocsp_signers WHERE issuer_id = ?1 AND status = 'active' AND "
	    "not_before <= ?2 AND not_after > ?2 ORDER BY id DESC LIMIT 1",
	    "read OCSP signer", signer_bind, signer_row, &k, &n);
	if (rc == ESEAL_OK && n == 0)
		rc = eseal_err(ESEAL_ENOTFOUND, "store: issuer %lld has no "
		    "active OCSP signer valid now", (long long)issuer_id);
	if (rc != ESEAL_OK)
		store_ocsp_signer_clear(r);
	return rc;
}

void
store_ocsp_signer_clear(struct store_ocsp_signer *r)
{
	if (r == NULL)
		return;
	free(r->cert);
	memset(r, 0, sizeof(*r));
}
