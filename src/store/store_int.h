/*
 * store_int.h: what the store module's files share (store.c,
 * store_migrate.c and the row code of each domain, store_<domain>.c).  Not
 * for anyone else: only the store speaks SQL, and nothing outside it may
 * depend on SQLite.
 */
#ifndef ESEAL_STORE_INT_H
#define ESEAL_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/* The SQLite handle of the connection (for sqlite3_changes and the like). */
sqlite3		*store_db(struct store *);

/*
 * The connection's recursive mutex: held around every statement, and by a
 * transaction from store_begin() to its commit or rollback.
 */
void		 store_lock(struct store *);
void		 store_unlock(struct store *);

/*
 * Group commit (store_sync.c): the flush of the WAL that makes commits
 * durable, shared by every commit written before it started.
 * store_sync_written() counts one more commit written (its sequence
 * number); store_sync_wait() returns once commit seq is on disk, flushing
 * if no one else is.  store_sync_flushes() counts the flushes (tests).
 */
struct store_sync;
enum eseal_rc	 store_sync_open(const char *db_path, struct store_sync **out);
void		 store_sync_close(struct store_sync *);
uint64_t	 store_sync_written(struct store_sync *);
enum eseal_rc	 store_sync_wait(struct store_sync *, uint64_t seq);
unsigned long	 store_sync_flushes(struct store_sync *);
/* The flushes of this connection's group commit so far (0: none). */
unsigned long	 store_flushes(struct store *);

/* ESEAL_ESTORE with "store: what: <SQLite's message>". */
enum eseal_rc	 store_dberr(struct store *, const char *what);
/*
 * Steps a prepared statement that returns no rows and gives it back
 * (store_done).  With want_change, ESEAL_ENOTFOUND (naming what) if it
 * changed no row.
 */
enum eseal_rc	 store_finish(struct store *, sqlite3_stmt *, const char *what,
		    int want_change);
/* Runs SQL text with no parameters and no rows ("BEGIN", a migration). */
enum eseal_rc	 store_exec(struct store *, const char *sql, const char *what);
/*
 * A statement for sql on the connection; the caller holds the store lock
 * from here to store_done() (ESEAL_EINTERNAL if it does not).  The
 * statement is the one kept from an earlier call with the same text
 * (reset, no parameters bound), or newly prepared; never one another
 * caller still uses.  Give it back with store_done(), never
 * sqlite3_finalize().
 */
enum eseal_rc	 store_prepare(struct store *, const char *sql,
		    sqlite3_stmt **st);
/*
 * Gives back st from store_prepare() (NULL is fine), the lock still held:
 * reset, its parameters cleared (nothing borrowed is kept) and kept for the
 * next store_prepare() of its text, or finalized if it was not kept.
 */
void		 store_done(struct store *, sqlite3_stmt *st);
/* The statements this connection actually prepared so far (tests). */
unsigned long	 store_prepares(struct store *);

/*
 * The prepared statements of one connection (store_stmt.c), guarded by
 * the store's lock.  store_stmts_get() returns SQLite's code of the
 * prepare; a statement it hands out stays out until store_stmts_put().
 * store_stmts_free() finalizes them all (none may be out).
 */
struct store_stmts;
enum eseal_rc	 store_stmts_new(struct store_stmts **out);
void		 store_stmts_free(struct store_stmts *);
int		 store_stmts_get(struct store_stmts *, sqlite3 *,
		    const char *sql, sqlite3_stmt **out);
void		 store_stmts_put(struct store_stmts *, sqlite3_stmt *);
unsigned long	 store_stmts_prepares(const struct store_stmts *);

/*
 * What store_issuer_generation() read last on this connection, and the
 * two counters that say whether it may still be true: PRAGMA data_version
 * (moves when another connection, of this process or another, commits)
 * and store_issuer_writes() (rows of issuers this connection changed),
 * both read before the text.  Under the store lock.
 */
#define STORE_GEN_MAX	512	/* the generation text, whole */
struct store_gen {
	int		 valid;
	int64_t		 data_version;
	uint64_t	 writes;
	char		 text[STORE_GEN_MAX];
};
struct store_gen *store_gen(struct store *);
uint64_t	 store_issuer_writes(struct store *);

/*
 * Applies the embedded migrations newer than the connection's schema
 * version, each in its own transaction; *version gets the version applied
 * last (store_migrate.c).
 */
enum eseal_rc	 store_migrate(struct store *, int *version);

/* --- reading columns ------------------------------------------------- */

/* Copies text column i into dst ("" for NULL), cut to fit. */
void		 store_col_text(sqlite3_stmt *, int i, char *dst, size_t dstsz);
/* A malloc'd copy of text column i; NULL for NULL (or out of memory). */
char		*store_col_strdup(sqlite3_stmt *, int i);
/*
 * A malloc'd copy of blob column i and its length; NULL (and 0) for NULL,
 * empty, or out of memory.
 */
unsigned char	*store_col_blobdup(sqlite3_stmt *, int i, size_t *len);
/* Copies blob column i into dst, cut to dstsz; *len (if not NULL) gets it. */
void		 store_col_blobcpy(sqlite3_stmt *, int i, unsigned char *dst,
		    size_t dstsz, size_t *len);

/* --- the one row loop ------------------------------------------------ */

#define STORE_STOP	(-1)	/* from a row callback: no more rows wanted
				   (not an error) */

/* Binds the statement's parameters from ctx. */
typedef void	(*store_bind_fn)(sqlite3_stmt *, void *ctx);
/*
 * Takes one result row into ctx: 0 (ESEAL_OK) for the next row,
 * STORE_STOP to end early, or an enum eseal_rc error (its message set with
 * eseal_err), which ends the loop and is what store_rows() returns.
 */
typedef int	(*store_row_fn)(sqlite3_stmt *, void *ctx);

/*
 * One query, the store's lock held from prepare to finalize: prepares sql,
 * lets bind (if not NULL) bind its parameters, steps through the result
 * and hands each row to row.  *nrows (if not NULL) gets the number of rows
 * handed over.  A failing step is ESEAL_ESTORE naming what.
 */
enum eseal_rc	 store_rows(struct store *, const char *sql, const char *what,
		    store_bind_fn bind, store_row_fn row, void *ctx,
		    size_t *nrows);

/* How store_list() makes one element of an array from a row. */
struct store_rowtype {
	size_t	  size;				/* of one element */
	/* Fills the zeroed elem from the row: 1, or 0 when out of memory. */
	int	(*fill)(sqlite3_stmt *, void *elem);
	/* Frees what fill allocated in elem; NULL if it allocates nothing. */
	void	(*clear)(void *elem);
};

/*
 * store_rows() into a growing array: *out (free() it after clearing each
 * element) of *n elements of type t, one per row, NULL if none.  On error
 * nothing is handed out.
 */
enum eseal_rc	 store_list(struct store *, const char *sql, const char *what,
		    store_bind_fn bind, void *ctx,
		    const struct store_rowtype *t, void **out, size_t *n);

/*
 * The integer in the first column of the first row of sql, its one text
 * parameter arg (NULL: none); -1 on error or for no row.
 */
int64_t		 store_count(struct store *, const char *sql, const char *arg);

#endif
