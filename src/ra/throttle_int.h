/*
 * throttle_int.h: login throttling, what throttle.c lends session.c and
 * nothing else may use.
 *
 * Failed logins are counted twice: per login name (an account, or an
 * unknown name by its hash) and per client address (an IPv4 address or an
 * IPv6 /64).  Either count, once it reaches lock_after failures in a row,
 * slows further attempts down: the next one waits 1 s, then 2, 4, ... up
 * to lock_secs (backoff).  Only an address is ever locked outright:
 * THROTTLE_ADDR_LOCK_FACTOR * lock_after failures in a row from it lock it
 * for lock_secs, doubling per further lock up to an hour.  A name is never
 * locked, and its backoff does not apply to an address the account logged
 * in from successfully within THROTTLE_KNOWN_SECS: the operator at a
 * known-good source logs in while someone elsewhere guesses.  Every
 * refusal and every step of a backoff or a lock is an audit record.
 */
#ifndef ESEAL_THROTTLE_INT_H
#define ESEAL_THROTTLE_INT_H

#include <stdint.h>

#include "account.h"
#include "store.h"
#include "store_account.h"

#define THROTTLE_ADDR_LOCK_FACTOR 4	/* an address locks after 4 x
					   lock_after failures in a row */
#define THROTTLE_LOCK_CAP_SECS	3600	/* a lock never doubles past an hour */
#define THROTTLE_FORGET_SECS	86400	/* a day with no failure forgets the
					   earlier ones and the lock count */
#define THROTTLE_KNOWN_SECS	(90 * 86400)	/* a successful login makes
					   its address known for 90 days */
#define THROTTLE_KNOWN_MAX	16	/* known addresses kept per account */
#define THROTTLE_ADDRS_MAX	10000	/* addresses with failures remembered */

/* Who is trying: the audit's actor and object, and where from. */
struct throttle_who {
	int64_t		 id;		/* the account, 0 for an unknown name */
	const unsigned char *name_hash;	/* SHA-256 of the name (id == 0) */
	const char	*actor;		/* user name or "unknown" */
	const char	*object;	/* user name or "" */
	const char	*client_addr;	/* as the connection gave it */
	char		 addr[STORE_ADDR_MAX];	/* the address's key */
};

/* The reasons for a refusal, for the caller's message. */
enum throttle_why {
	THROTTLE_PASS,		/* not refused */
	THROTTLE_NAME,		/* the name's backoff */
	THROTTLE_ADDR,		/* the address's backoff */
	THROTTLE_ADDR_LOCKED,	/* the address is locked */
	THROTTLE_WHY_MAX
};

/* Sets who->addr: IPv4 as is, IPv6 as its /64, "unknown" when empty. */
void		throttle_addr_key(struct throttle_who *who);

/*
 * Whether an attempt by who at now may go on to the password check, given
 * the name's counters *name (read by the caller).  Reads the address's
 * counters and whether the address is known for the account.  *why says
 * which rule refused (THROTTLE_PASS: none), *wait the seconds until an
 * attempt may pass, *known whether the name's backoff was passed by a
 * known address.  A refusal, and a known address passing a backoff, are
 * audited here (account.login_throttled, account.login_addr_locked,
 * account.backoff_passed).
 */
enum eseal_rc	throttle_check(struct store *, const struct throttle_who *who,
		    const struct store_throttle *name, int64_t now,
		    enum throttle_why *why, int64_t *wait, int *known);

/*
 * Counts one failed attempt on the name (*t, its counters as read inside
 * the caller's transaction, written back to the account or to
 * login_failures) and on the address; audits a backoff step
 * (account.backoff) or an address lock (account.addr_lock).
 */
enum eseal_rc	throttle_failed(struct store *, const struct account_params *,
		    const struct throttle_who *who, struct store_throttle *t,
		    int64_t now);

/*
 * After a successful login: the address becomes known for the account and
 * its run of failures ends; the name's counters are cleared in *t (1
 * returned: write them) unless its backoff was passed by a known address
 * (known), so that someone guessing from elsewhere stays slowed.
 */
enum eseal_rc	throttle_success(struct store *, const struct throttle_who *who,
		    int known, int64_t now, struct store_throttle *t,
		    int *clear);

#endif
