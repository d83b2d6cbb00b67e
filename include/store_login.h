/*
 * store_login.h: the store's records for login throttling by source
 * (schema/015_login_throttle.sql): failed-login counters per client
 * address, and the addresses each account last logged in from.  Part of
 * the store module: store_login.c is the only code that speaks SQL for
 * them.  Each call holds the store's lock around its statements, so it may
 * be made inside a transaction opened with store_begin() or on its own.
 * An address here is whatever key the caller chose (session.c: an IPv4
 * address or an IPv6 /64), at most STORE_ADDR_MAX - 1 bytes.
 */
#ifndef ESEAL_STORE_LOGIN_H
#define ESEAL_STORE_LOGIN_H

#include <stdint.h>

#include "err.h"
#include "store.h"
#include "store_account.h"

/*
 * Failed-login counters of a client address.  get fills zeros when the
 * address has none.  put inserts or replaces, then forgets rows whose last
 * failure is before forget_before and that are not locked at now, and
 * keeps at most max_rows (the most recent).
 */
enum eseal_rc	store_login_addr_get(struct store *, const char *addr,
		    struct store_throttle *);
enum eseal_rc	store_login_addr_put(struct store *, const char *addr,
		    const struct store_throttle *, int64_t now,
		    int64_t forget_before, int max_rows);

/*
 * *known = 1 if account id logged in successfully from addr at or after
 * since, 0 if not.
 */
enum eseal_rc	store_account_addr_known(struct store *, int64_t id,
		    const char *addr, int64_t since, int *known);

/*
 * Records a successful login of account id from addr at now, then keeps
 * only its max_rows most recent addresses.
 */
enum eseal_rc	store_account_addr_put(struct store *, int64_t id,
		    const char *addr, int64_t now, int max_rows);

#endif
