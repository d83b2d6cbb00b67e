/*
 * store_account.h: the store's records of operator accounts, sessions and
 * failed logins for unknown names (schema/004_accounts.sql, disabled from
 * 007_account_disabled.sql).  Part of the
 * store module: store_account.c is the only code that speaks SQL for them.
 * Each call holds the store's lock around its statement, so a call may be
 * made inside a transaction opened with store_begin() or on its own.
 * Nothing here knows what a password or a token is: the caller hands in
 * hashes.
 */
#ifndef ESEAL_STORE_ACCOUNT_H
#define ESEAL_STORE_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_ACCOUNT_NAME_MAX	64	/* user name and NUL */
#define STORE_ROLE_MAX		16	/* "admin", "ra", "auditor" and NUL */
#define STORE_PWHASH_MAX	128	/* crypto_pwhash_STRBYTES, NUL included */
#define STORE_ADDR_MAX		64	/* client address kept with a session */
#define STORE_TOKEN_HASH_LEN	32	/* SHA-256 of a bearer token */

/* Failed-login counters, for an account or for an unknown name. */
struct store_throttle {
	int		 failed_count;	/* failures since the last success or lock */
	int		 lock_count;	/* locks since the last success */
	int64_t		 locked_until;	/* 0: not locked */
	int64_t		 last_failed;	/* 0: never failed */
};

struct store_account {
	int64_t		 id;
	char		 username[STORE_ACCOUNT_NAME_MAX];
	char		 role[STORE_ROLE_MAX];
	char		 password_hash[STORE_PWHASH_MAX];
	int		 must_change;
	int		 compromised;
	int		 disabled;	/* may not log in; keeps its name */
	struct store_throttle throttle;
	int64_t		 created, updated;
};

struct store_session {
	unsigned char	 token_hash[STORE_TOKEN_HASH_LEN];
	int64_t		 account_id;
	int64_t		 created, last_used, expires;
	char		 client_addr[STORE_ADDR_MAX];
};

/*
 * Inserts a new account (id, throttle and times of a are ignored: counters
 * start at zero, created = updated = now).  *id gets the new row id.
 * ESEAL_EEXIST if the user name is taken.
 */
enum eseal_rc	store_account_insert(struct store *,
		    const struct store_account *a, int64_t now, int64_t *id);

/* Reads one account.  ESEAL_ENOTFOUND if there is none. */
enum eseal_rc	store_account_by_name(struct store *, const char *username,
		    struct store_account *);
enum eseal_rc	store_account_by_id(struct store *, int64_t id,
		    struct store_account *);

/* All accounts by user name: *out is an array of *n to free(). */
enum eseal_rc	store_account_list(struct store *, struct store_account **out,
		    size_t *n);

/*
 * Replaces the password hash and sets the flags; clears the failed-login
 * counters and any lock.  ENOTFOUND if there is no such account.
 */
enum eseal_rc	store_account_set_password(struct store *, int64_t id,
		    const char *password_hash, int must_change, int compromised,
		    int64_t now);

/* Replaces only the hash (the same password under new limits). */
enum eseal_rc	store_account_rehash(struct store *, int64_t id,
		    const char *password_hash, int64_t now);

/* Sets compromised = 1 and must_change = 1.  ENOTFOUND if none. */
enum eseal_rc	store_account_set_compromised(struct store *, int64_t id,
		    int64_t now);

/* Sets disabled (0 or 1).  ENOTFOUND if none. */
enum eseal_rc	store_account_set_disabled(struct store *, int64_t id,
		    int disabled, int64_t now);

/* Writes the failed-login counters of an account. */
enum eseal_rc	store_account_set_throttle(struct store *, int64_t id,
		    const struct store_throttle *, int64_t now);

/*
 * Failed-login counters of a name with no account, by SHA-256 of the name.
 * get fills zeros when the name has none.  put inserts or replaces, then
 * forgets rows whose last failure is before forget_before and that are not
 * locked at now, and keeps at most max_rows (the most recent).
 */
enum eseal_rc	store_login_failure_get(struct store *,
		    const unsigned char name_hash[32], struct store_throttle *);
enum eseal_rc	store_login_failure_put(struct store *,
		    const unsigned char name_hash[32],
		    const struct store_throttle *, int64_t now,
		    int64_t forget_before, int max_rows);

/* Sessions.  EEXIST if the token hash is already there. */
enum eseal_rc	store_session_insert(struct store *, const struct store_session *);
/* ENOTFOUND if no session has that token hash. */
enum eseal_rc	store_session_get(struct store *,
		    const unsigned char token_hash[32], struct store_session *);
/* Sets last_used = now (only ever forward). */
enum eseal_rc	store_session_touch(struct store *,
		    const unsigned char token_hash[32], int64_t now);
/* Deletes one session; ENOTFOUND if it was not there. */
enum eseal_rc	store_session_delete(struct store *,
		    const unsigned char token_hash[32]);
/*
 * Deletes every session of an account but the one whose hash is keep (NULL:
 * all of them); *n (may be NULL) gets how many went.
 */
enum eseal_rc	store_session_delete_account(struct store *, int64_t account_id,
		    const unsigned char *keep, int64_t *n);
/* Deletes sessions past expires, or idle since before idle_before. */
enum eseal_rc	store_session_prune(struct store *, int64_t now,
		    int64_t idle_before);
/* Number of live rows in sessions for an account (any age), or -1. */
int64_t		store_session_count(struct store *, int64_t account_id);

#endif
