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
 * Steps a prepared statement that returns no rows and finalizes it.  With
 * want_change, ESEAL_ENOTFOUND (naming what) if it changed no row.
 */
enum eseal_rc	 store_finish(struct store *, sqlite3_stmt *, const char *what,
		    int want_change);
/* Runs SQL text with no parameters and no rows ("BEGIN", a migration). */
enum eseal_rc	 store_exec(struct store *, const char *sql, const char *what);
/* Prepares sql on the connection (the caller holds the store lock). */
enum eseal_rc	 store_prepare(struct store *, const char *sql,
		    sqlite3_stmt **st);

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
