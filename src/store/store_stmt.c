/*
 * store_stmt.c: the prepared statements of one connection, kept for the
 * next call with the same SQL text.  Preparing is what a store call spent
 * most on (a quarter of an issuance went to sqlite3_prepare_v2); a kept
 * statement is reset and its bindings cleared when given back, so the next
 * store_prepare() of the same text only finds it.
 *
 * Looked up by the text itself (a hash, then strcmp against SQLite's copy
 * of it), never by the pointer alone: a caller may build its SQL in a
 * buffer whose address later holds another text.  A statement in use is
 * never handed out twice: a second prepare of the same text while the
 * first is still stepping (a row callback of store_rows() calling the store
 * again) gets another statement.  The store's lock, held around every use,
 * is what guards this cache; none of it is thread-safe on its own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

#define STMT_SLOTS	64	/* statements kept per connection: the store
				   has ~150 SQL texts, a daemon thread uses a
				   few dozen of them; a statement is a few KiB */

struct slot {
	sqlite3_stmt	*st;		/* NULL: free slot */
	uint32_t	 hash;		/* of its SQL text */
	int		 busy;		/* handed out, not given back */
	uint64_t	 used;		/* tick of its last hand-out (LRU) */
};

struct store_stmts {
	struct slot	 v[STMT_SLOTS];
	uint64_t	 tick;
	unsigned long	 prepares;	/* sqlite3_prepare_v3 calls (tests) */
};

/* FNV-1a of the text. */
static uint32_t
text_hash(const char *p)
{
	uint32_t h = 2166136261u;

	for (; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

enum eseal_rc
store_stmts_new(struct store_stmts **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	return ESEAL_OK;
}

void
store_stmts_free(struct store_stmts *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < STMT_SLOTS; i++)
		sqlite3_finalize(c->v[i].st);	/* NULL is a no-op */
	free(c);
}

/*
 * The slot a new statement may take: a free one, else the idle one used
 * longest ago (its statement finalized); NULL if every slot is in use.
 */
static struct slot *
victim(struct store_stmts *c)
{
	struct slot *best = NULL;

	for (size_t i = 0; i < STMT_SLOTS; i++) {
		struct slot *sl = &c->v[i];

		if (sl->st == NULL)
			return sl;
		if (!sl->busy && (best == NULL || sl->used < best->used))
			best = sl;
	}
	if (best != NULL) {
		sqlite3_finalize(best->st);
		best->st = NULL;
	}
	return best;
}

int
store_stmts_get(struct store_stmts *c, sqlite3 *db, const char *sql,
    sqlite3_stmt **out)
{
	struct slot *sl;
	uint32_t h = text_hash(sql);
	int r;

	*out = NULL;
	c->tick++;
	for (size_t i = 0; i < STMT_SLOTS; i++) {
		sl = &c->v[i];
		if (sl->st != NULL && !sl->busy && sl->hash == h &&
		    strcmp(sqlite3_sql(sl->st), sql) == 0) {
			sl->busy = 1;
			sl->used = c->tick;
			*out = sl->st;
			return SQLITE_OK;
		}
	}
	c->prepares++;
	if ((r = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL)) != SQLITE_OK) {
		sqlite3_finalize(*out);
		*out = NULL;
		return r;
	}
	if (*out != NULL && (sl = victim(c)) != NULL) {
		sl->st = *out;
		sl->hash = h;
		sl->busy = 1;
		sl->used = c->tick;
	}
	return SQLITE_OK;
}

void
store_stmts_put(struct store_stmts *c, sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < STMT_SLOTS; i++) {
		struct slot *sl = &c->v[i];

		if (sl->st == st) {
			/* Ends its read (or write) and drops the caller's
			   borrowed bytes: nothing of this use is left. */
			(void)sqlite3_reset(st);
			(void)sqlite3_clear_bindings(st);
			sl->busy = 0;
			return;
		}
	}
	sqlite3_finalize(st);	/* prepared when every slot was in use */
}

unsigned long
store_stmts_prepares(const struct store_stmts *c)
{
	return c->prepares;
}
