/*
 * throttle.c: login throttling per name and per client address (see
 * throttle_int.h for the rules): backoff for both, a lock only for an
 * address, and a name's backoff passed by the account's known addresses
 * or by a second factor.
 * The counters live in the store (store_account.h, store_login.h); every
 * decision is an audit record.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "store_login.h"
#include "throttle_int.h"

#define BACKOFF_SHIFT_MAX	20	/* 2^20 s is far past any cap */

/* Leads the hashed key of a name's second-factor counter: a login name is
 * hashed up to its first NUL, so no name hashes to a key that starts so. */
static const char factor_tag[] = "\0eseal second factor";

/* The login_failures key of who's second-factor counter. */
static void
factor_key(const struct throttle_who *who, unsigned char key[32])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)factor_tag,
	    sizeof(factor_tag) - 1);
	crypto_hash_sha256_update(&st, who->name_hash, 32);
	crypto_hash_sha256_final(&st, key);
}

void
throttle_addr_key(struct throttle_who *who)
{
	const char *a = who->client_addr != NULL ? who->client_addr : "";
	unsigned char b6[16];
	char txt[INET6_ADDRSTRLEN];

	if (*a == '\0') {
		snprintf(who->addr, sizeof(who->addr), "unknown");
		return;
	}
	if (inet_pton(AF_INET6, a, b6) != 1) {
		snprintf(who->addr, sizeof(who->addr), "%s", a);
		return;
	}
	/* An IPv4-mapped address is the IPv4 address. */
	if (memcmp(b6, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		inet_ntop(AF_INET, b6 + 12, txt, sizeof(txt));
		snprintf(who->addr, sizeof(who->addr), "%s", txt);
		return;
	}
	/* One site holds a /64: its addresses share one count. */
	memset(b6 + 8, 0, 8);
	inet_ntop(AF_INET6, b6, txt, sizeof(txt));
	snprintf(who->addr, sizeof(who->addr), "%s/64", txt);
}

/* The wait after the n-th failure in a row: 0 below lock_after, then
 * 1 s doubling, capped at lock_secs. */
static int64_t
backoff(const struct account_params *p, int n)
{
	int64_t d;
	int k;

	if (n < p->lock_after)
		return 0;
	k = n - p->lock_after;
	d = (int64_t)1 << (k < BACKOFF_SHIFT_MAX ? k : BACKOFF_SHIFT_MAX);
	return d < p->lock_secs ? d : p->lock_secs;
}

/* How long the lock_count-th lock of an address lasts. */
static int64_t
lock_duration(const struct account_params *p, int lock_count)
{
	int64_t d = p->lock_secs, cap;

	cap = p->lock_secs > THROTTLE_LOCK_CAP_SECS ? p->lock_secs :
	    THROTTLE_LOCK_CAP_SECS;
	for (int i = 1; i < lock_count && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

/*
 * One more failure at now on t.  lock_at > 0: that many in a row lock it
 * (*locked = 1).  *wait gets the time the next attempt must wait.
 */
static void
count_fail(const struct account_params *p, struct store_throttle *t,
    int64_t now, int lock_at, int *locked, int64_t *wait)
{
	*locked = 0;
	if (t->last_failed != 0 && now - t->last_failed >= THROTTLE_FORGET_SECS &&
	    t->locked_until <= now) {
		t->failed_count = 0;
		t->lock_count = 0;
	}
	t->last_failed = now;
	t->failed_count++;
	if (lock_at > 0 && t->failed_count >= lock_at) {
		t->failed_count = 0;
		t->lock_count++;
		*wait = lock_duration(p, t->lock_count);
		*locked = 1;
	} else
		*wait = backoff(p, t->failed_count);
	t->locked_until = *wait > 0 ? now + *wait : 0;
}

/* A lock, not a backoff: a lock starts the count again. */
static int
addr_locked(const struct store_throttle *t, int64_t now)
{
	return t->locked_until > now && t->failed_count == 0;
}

enum eseal_rc
throttle_check(struct store *s, const struct throttle_who *who,
    const struct store_throttle *name, int64_t now, enum throttle_why *why,
    int64_t *wait, int *known)
{
	struct store_throttle a;
	enum eseal_rc rc;

	*why = THROTTLE_PASS;
	*wait = 0;
	*known = 0;
	if ((rc = store_login_addr_get(s, who->addr, &a)) != ESEAL_OK)
		return rc;
	if (a.locked_until > now) {
		*wait = a.locked_until - now;
		if (addr_locked(&a, now)) {
			*why = THROTTLE_ADDR_LOCKED;
			return audit_append(s, now, who->actor,
			    "account.login_addr_locked", who->object,
			    "%s; address %s locked (lock %d); %lld s to wait",
			    who->client_addr, who->addr, a.lock_count,
			    (long long)*wait);
		}
		*why = THROTTLE_ADDR;
		return audit_append(s, now, who->actor,
		    "account.login_throttled", who->object, "%s; address %s: "
		    "backoff after %d failures in a row; %lld s to wait",
		    who->client_addr, who->addr, a.failed_count,
		    (long long)*wait);
	}
	if (name->locked_until <= now)
		return ESEAL_OK;
	if ((rc = store_account_addr_known(s, who->id, who->addr,
	    now - THROTTLE_KNOWN_SECS, known)) != ESEAL_OK)
		return rc;
	if (*known)
		return ESEAL_OK;
	*why = THROTTLE_NAME;
	*wait = name->locked_until - now;
	if (who->factor && who->id != 0 && who->name_hash != NULL) {
		unsigned char key[32];

		factor_key(who, key);
		if ((rc = store_login_failure_get(s, key, &a)) != ESEAL_OK)
			return rc;
		if (a.locked_until <= now) {
			*why = THROTTLE_NAME_FACTOR;
			*known = THROTTLE_PASSED_FACTOR;
			return ESEAL_OK;
		}
		return audit_append(s, now, who->actor,
		    "account.login_throttled", who->object, "%s; name: backoff "
		    "after %d failures in a row; %lld s to wait; a second "
		    "factor does not pass it for %lld s (%d wrong after the "
		    "right password)", who->client_addr, name->failed_count,
		    (long long)*wait, (long long)(a.locked_until - now),
		    a.failed_count);
	}
	return audit_append(s, now, who->actor, "account.login_throttled",
	    who->object, "%s; name: backoff after %d failures in a row; %lld s "
	    "to wait", who->client_addr, name->failed_count, (long long)*wait);
}

enum eseal_rc
throttle_failed(struct store *s, const struct account_params *p,
    const struct throttle_who *who, struct store_throttle *t, int64_t now)
{
	struct store_throttle a;
	enum eseal_rc rc;
	int64_t wait;
	int locked;

	/* The name: backoff only, never a lock. */
	count_fail(p, t, now, 0, &locked, &wait);
	rc = who->id != 0 ? store_account_set_throttle(s, who->id, t, now) :
	    store_login_failure_put(s, who->name_hash, t, now,
	    now - THROTTLE_FORGET_SECS, THROTTLE_ADDRS_MAX);
	if (rc == ESEAL_OK && wait > 0)
		rc = audit_append(s, now, who->actor, "account.backoff",
		    who->object, "name: %d failures in a row; the next attempt "
		    "waits %lld s (not from a known address)", t->failed_count,
		    (long long)wait);
	if (rc != ESEAL_OK ||
	    (rc = store_login_addr_get(s, who->addr, &a)) != ESEAL_OK)
		return rc;

	/* The address: backoff, then a lock. */
	count_fail(p, &a, now, THROTTLE_ADDR_LOCK_FACTOR * p->lock_after,
	    &locked, &wait);
	if ((rc = store_login_addr_put(s, who->addr, &a, now,
	    now - THROTTLE_FORGET_SECS, THROTTLE_ADDRS_MAX)) != ESEAL_OK)
		return rc;
	if (locked)
		return audit_append(s, now, who->actor, "account.addr_lock",
		    who->object, "address %s: %d failures in a row; locked for "
		    "%lld s (lock %d)", who->addr, THROTTLE_ADDR_LOCK_FACTOR *
		    p->lock_after, (long long)wait, a.lock_count);
	if (wait > 0)
		return audit_append(s, now, who->actor, "account.backoff",
		    who->object, "address %s: %d failures in a row; the next "
		    "attempt waits %lld s", who->addr, a.failed_count,
		    (long long)wait);
	return ESEAL_OK;
}

enum eseal_rc
throttle_factor_failed(struct store *s, const struct account_params *p,
    const struct throttle_who *who, int64_t now)
{
	unsigned char key[32];
	struct store_throttle f;
	enum eseal_rc rc;
	int64_t wait;
	int locked;

	if (who->id == 0 || who->name_hash == NULL)
		return ESEAL_OK;
	factor_key(who, key);
	if ((rc = store_login_failure_get(s, key, &f)) != ESEAL_OK)
		return rc;
	count_fail(p, &f, now, 0, &locked, &wait);
	if ((rc = store_login_failure_put(s, key, &f, now,
	    now - THROTTLE_FORGET_SECS, THROTTLE_ADDRS_MAX)) != ESEAL_OK ||
	    wait == 0)
		return rc;
	return audit_append(s, now, who->actor, "account.backoff", who->object,
	    "second factor: %d wrong in a row after the right password; for "
	    "%lld s a second factor does not pass the name's backoff",
	    f.failed_count, (long long)wait);
}

enum eseal_rc
throttle_success(struct store *s, const struct throttle_who *who, int known,
    int64_t now, struct store_throttle *t, int *clear)
{
	struct store_throttle a;
	enum eseal_rc rc;

	*clear = 0;
	if ((rc = store_account_addr_put(s, who->id, who->addr, now,
	    THROTTLE_KNOWN_MAX)) != ESEAL_OK ||
	    (rc = store_login_addr_get(s, who->addr, &a)) != ESEAL_OK)
		return rc;
	/* The address's run of failures ends; its lock count stays. */
	if (a.failed_count != 0 && a.locked_until <= now) {
		a.failed_count = 0;
		a.locked_until = 0;
		if ((rc = store_login_addr_put(s, who->addr, &a, now,
		    now - THROTTLE_FORGET_SECS, THROTTLE_ADDRS_MAX)) != ESEAL_OK)
			return rc;
	}
	if (known == THROTTLE_PASSED_FACTOR)
		return audit_append(s, now, who->actor, "account.backoff_passed",
		    who->object, "%s: the right password and a second factor; "
		    "the name's backoff (%d failures in a row) stays for other "
		    "attempts", who->client_addr, t->failed_count);
	if (known)
		return audit_append(s, now, who->actor, "account.backoff_passed",
		    who->object, "%s: a known address of the account; the "
		    "name's backoff (%d failures in a row) stays for other "
		    "addresses", who->client_addr, t->failed_count);
	*clear = t->failed_count != 0 || t->lock_count != 0 ||
	    t->locked_until != 0 || t->last_failed != 0;
	if (*clear)
		memset(t, 0, sizeof(*t));
	return ESEAL_OK;
}
