/*
 * store_login.c: SQLite behind store_login.h, written like the rest of the
 * store: statements prepared with bound parameters, the store's lock held
 * around them, rows read through store_rows(), errors naming the operation.
 */
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"
#include "store_login.h"

struct addr_key {
	const char	*addr;
	int64_t		 id;
	int64_t		 since;
	void		*out;
};

static void
addr_bind(sqlite3_stmt *st, void *arg)
{
	struct addr_key *k = arg;

	if (k->id != 0) {
		sqlite3_bind_int64(st, 1, k->id);
		sqlite3_bind_text(st, 2, k->addr, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, k->since);
	} else
		sqlite3_bind_text(st, 1, k->addr, -1, SQLITE_STATIC);
}

static int
throttle_row(sqlite3_stmt *st, void *arg)
{
	struct store_throttle *t = ((struct addr_key *)arg)->out;

	t->failed_count = sqlite3_column_int(st, 0);
	t->lock_count = sqlite3_column_int(st, 1);
	t->locked_until = sqlite3_column_int64(st, 2);
	t->last_failed = sqlite3_column_int64(st, 3);
	return STORE_STOP;
}

enum eseal_rc
store_login_addr_get(struct store *s, const char *addr,
    struct store_throttle *t)
{
	struct addr_key k = { addr, 0, 0, t };

	memset(t, 0, sizeof(*t));
	return store_rows(s, "SELECT failed_count, lock_count, locked_until, "
	    "last_failed FROM login_addr_failures WHERE addr = ?",
	    "read login failures of an address", addr_bind, throttle_row, &k,
	    NULL);
}

enum eseal_rc
store_login_addr_put(struct store *s, const char *addr,
    const struct store_throttle *t, int64_t now, int64_t forget_before,
    int max_rows)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT OR REPLACE INTO login_addr_failures "
	    "(addr, failed_count, lock_count, locked_until, last_failed) "
	    "VALUES (?, ?, ?, ?, ?)", &st)) != ESEAL_OK)
		goto out;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, t->failed_count);
	sqlite3_bind_int(st, 3, t->lock_count);
	sqlite3_bind_int64(st, 4, t->locked_until);
	sqlite3_bind_int64(st, 5, t->last_failed);
	if ((rc = store_finish(s, st, "record login failure of an address",
	    0)) != ESEAL_OK)
		goto out;
	if ((rc = store_prepare(s, "DELETE FROM login_addr_failures WHERE "
	    "last_failed < ? AND locked_until <= ?", &st)) != ESEAL_OK)
		goto out;
	sqlite3_bind_int64(st, 1, forget_before);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = store_finish(s, st, "forget old login failures of "
	    "addresses", 0)) != ESEAL_OK)
		goto out;
	if ((rc = store_prepare(s, "DELETE FROM login_addr_failures WHERE addr "
	    "IN (SELECT addr FROM login_addr_failures ORDER BY last_failed "
	    "DESC LIMIT -1 OFFSET ?)", &st)) != ESEAL_OK)
		goto out;
	sqlite3_bind_int(st, 1, max_rows);
	rc = store_finish(s, st, "cap login failures of addresses", 0);
out:
	store_unlock(s);
	return rc;
}

static int
known_row(sqlite3_stmt *st, void *arg)
{
	(void)st;
	*(int *)((struct addr_key *)arg)->out = 1;
	return STORE_STOP;
}

enum eseal_rc
store_account_addr_known(struct store *s, int64_t id, const char *addr,
    int64_t since, int *known)
{
	struct addr_key k = { addr, id, since, known };

	*known = 0;
	if (id == 0)
		return ESEAL_OK;
	return store_rows(s, "SELECT 1 FROM account_addrs WHERE account_id = ? "
	    "AND addr = ? AND last_login >= ?", "read known addresses",
	    addr_bind, known_row, &k, NULL);
}

enum eseal_rc
store_account_addr_put(struct store *s, int64_t id, const char *addr,
    int64_t now, int max_rows)
{
	sqlite3_stmt *st;
	enum eseal_rc rc;

	store_lock(s);
	if ((rc = store_prepare(s, "INSERT OR REPLACE INTO account_addrs "
	    "(account_id, addr, last_login) VALUES (?, ?, ?)", &st)) !=
	    ESEAL_OK)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	if ((rc = store_finish(s, st, "record a known address", 0)) != ESEAL_OK)
		goto out;
	if ((rc = store_prepare(s, "DELETE FROM account_addrs WHERE account_id "
	    "= ? AND addr IN (SELECT addr FROM account_addrs WHERE account_id "
	    "= ? ORDER BY last_login DESC LIMIT -1 OFFSET ?)", &st)) !=
	    ESEAL_OK)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int(st, 3, max_rows);
	rc = store_finish(s, st, "cap known addresses", 0);
out:
	store_unlock(s);
	return rc;
}
