/*
 * store_int.h: helpers shared by the store module's files (store.c,
 * store_account.c, store_enrol.c, store_revoke.c, store_ocsp.c).  Not for
 * anyone else:
 * only the store speaks SQL.
 */
#ifndef ESEAL_STORE_INT_H
#define ESEAL_STORE_INT_H

#include <stddef.h>

#include <sqlite3.h>

#include "store.h"

/* ESEAL_ESTORE with "store: what: <SQLite's message>". */
enum eseal_rc	store_dberr(struct store *, const char *what);
/* Prepares sql on the connection (the caller holds the store lock). */
enum eseal_rc	store_prepare(struct store *, const char *sql,
		    sqlite3_stmt **st);
/* Copies text column i into dst ("" for NULL), cut to fit. */
void		store_col_text(sqlite3_stmt *, int i, char *dst, size_t dstsz);

#endif
