/*
 * store_migrate.c: brings a store to the schema the program was built
 * with.  The numbered migrations of schema/ are embedded at build time
 * (schema.h); each one not yet recorded in schema_version runs in its own
 * transaction, with the row that records it.
 */
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "schema.h"
#include "store_int.h"

/* The highest version recorded in schema_version, 0 for a new store. */
static int
version_row(sqlite3_stmt *st, void *arg)
{
	*(int *)arg = sqlite3_column_int(st, 0);
	return 0;
}

/* Runs one migration and records it, in one transaction. */
static enum eseal_rc
apply(struct store *s, const struct schema_migration *m)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	if ((rc = store_exec(s, "BEGIN IMMEDIATE", "begin")) != ESEAL_OK)
		return rc;
	if ((rc = store_exec(s, m->sql, m->name)) != ESEAL_OK)
		goto fail;
	if ((rc = store_prepare(s, "INSERT INTO schema_version (version, "
	    "name, applied) VALUES (?, ?, strftime('%s','now'))", &st))
	    != ESEAL_OK)
		goto fail;
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_dberr(s, m->name);
		store_done(s, st);
		goto fail;
	}
	store_done(s, st);
	return store_exec(s, "COMMIT", "commit");
fail:
	(void)store_exec(s, "ROLLBACK", "rollback");
	return rc;
}

/* store_migrate() with the store's lock held. */
static enum eseal_rc
migrate_locked(struct store *s, int *version)
{
	enum eseal_rc rc;

	*version = 0;
	if ((rc = store_exec(s, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	    "applied INTEGER NOT NULL)", "schema_version")) != ESEAL_OK)
		return rc;
	if ((rc = store_rows(s, "SELECT COALESCE(MAX(version), 0) FROM "
	    "schema_version", "read schema version", NULL, version_row,
	    version, NULL)) != ESEAL_OK)
		return rc;
	/*
	 * Every migration not recorded yet, not only those above the highest
	 * recorded: numbers are handed out ahead of time, so a lower one may
	 * land after a higher one was applied (each touches its own tables).
	 */
	for (size_t i = 0; i < schema_nmigrations; i++) {
		const struct schema_migration *m = &schema_migrations[i];
		char v[16];
		int64_t done;

		snprintf(v, sizeof(v), "%d", m->version);
		if ((done = store_count(s, "SELECT count(*) FROM schema_version "
		    "WHERE version = CAST(? AS INTEGER)", v)) < 0)
			return store_dberr(s, "read schema version");
		if (done > 0)
			continue;
		if ((rc = apply(s, m)) != ESEAL_OK)
			return rc;
		if (m->version > *version)
			*version = m->version;
	}
	return ESEAL_OK;
}

enum eseal_rc
store_migrate(struct store *s, int *version)
{
	enum eseal_rc rc;

	store_lock(s);	/* store_prepare() wants it, even at store_open() */
	rc = migrate_locked(s, version);
	store_unlock(s);
	return rc;
}
