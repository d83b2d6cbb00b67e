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
 * known-good source logs in while someone elsewhere guesses.  Nor does it
 * apply to an attempt that brings a second factor (a TOTP code, or a
 * verified operator certificate): that attempt goes on to the password
 * and must then pass the second factor whatever the zone; if either is
 * wrong it is refused with the name's backoff like any other attempt (so
 * it tells nothing about the password) and counted.  A right password
 * followed by a wrong second factor is counted once more, on the name's
 * second-factor counter (kept in login_failures under a key no login
 * name can hash to): in backoff, it stops second factors from passing the
 * name's backoff, so that someone who has the password cannot guess codes
 * faster than the backoff allows.  Only attempts that knew the password
 * move that counter.  The address's backoff and lock always apply: they
 * count only what came from that address.  Every refusal and every step
 * of a backoff or a lock is an audit record.
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
	int		 factor;	/* the attempt brings a second factor
					   (TOTP code or certificate) */
};

/* The reasons for a refusal, for the caller's message. */
enum throttle_why {
	THROTTLE_PASS,		/* not refused */
	THROTTLE_NAME,		/* the name's backoff */
	THROTTLE_ADDR,		/* the address's backoff */
	THROTTLE_ADDR_LOCKED,	/* the address is locked */
	THROTTLE_NAME_FACTOR,	/* the name's backoff, which only the right
				   password and a second factor pass */
	THROTTLE_WHY_MAX
};

/* How an attempt got past the name's backoff (throttle_check's *known). */
enum throttle_passed {
	THROTTLE_PASSED_NONE,	/* there was none, or it was not passed */
	THROTTLE_PASSED_KNOWN,	/* from a known address of the account */
	THROTTLE_PASSED_FACTOR,	/* with a second factor (who->factor) */
	THROTTLE_PASSED_MAX
};

/* Sets who->addr: IPv4 as is, IPv6 as its /64, "unknown" when empty. */
void		throttle_addr_key(struct throttle_who *who);

/*
 * Whether an attempt by who at now may go on to the password check, given
 * the name's counters *name (read by the caller).  Reads the address's
 * counters and whether the address is known for the account.  *why says
 * which rule refused (THROTTLE_PASS: none), *wait the seconds until an
 * attempt may pass, *known (enum throttle_passed) whether the name's
 * backoff was passed by a known address.  THROTTLE_NAME_FACTOR: the name
 * is slowed but who->factor may pass it; the caller goes on, asks for the
 * second factor whatever the zone, and answers any refusal with the
 * name's backoff (*wait); *known is THROTTLE_PASSED_FACTOR.  A refusal is
 * audited here (account.login_throttled, account.login_addr_locked),
 * passing a backoff by throttle_success (account.backoff_passed).
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
 * A right password followed by a wrong or replayed second factor: counted
 * on the name's second-factor counter (which, in backoff, keeps second
 * factors from passing the name's backoff); audits a backoff step
 * (account.backoff).  Besides throttle_failed, not instead.
 */
enum eseal_rc	throttle_factor_failed(struct store *,
		    const struct account_params *,
		    const struct throttle_who *who, int64_t now);

/*
 * After a successful login: the address becomes known for the account and
 * its run of failures ends; the name's counters are cleared in *t (1
 * returned: write them) unless its backoff was passed (known, enum
 * throttle_passed, audited as account.backoff_passed), so that someone
 * guessing from elsewhere stays slowed.
 */
enum eseal_rc	throttle_success(struct store *, const struct throttle_who *who,
		    int known, int64_t now, struct store_throttle *t,
		    int *clear);

#endif
