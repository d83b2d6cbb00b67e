/*
 * account.h: operator accounts, roles and passwords.  Logins and sessions
 * are in session.h.
 *
 * Passwords are hashed with argon2id (libsodium crypto_pwhash_str) and never
 * expire by age (panel point 6, NIST SP 800-63B 5.1.1.2): an account
 * starts with a random initial password that must be changed at first
 * login, and an administrator can mark an account compromised, which forces
 * a change and ends its sessions, and disable an account that is no
 * longer used.  Every call here that changes something
 * leaves an audit record; no password is ever logged or stored.
 * Time is a parameter (now, seconds since the epoch).
 */
#ifndef ESEAL_ACCOUNT_H
#define ESEAL_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

enum role {
	ROLE_ADMIN,		/* accounts, issuer keys, configuration */
	ROLE_RA,		/* organisations, requests, revocation */
	ROLE_AUDITOR,		/* reads the audit trail, changes nothing */
	ROLE_MAX
};

#define ROLE_BIT(r)	(1u << (r))	/* for session_authorize's mask */
#define ROLE_ANY	(ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_RA) | \
			    ROLE_BIT(ROLE_AUDITOR))

/* "admin", "ra", "auditor" ("?" if out of range). */
const char	*role_name(enum role);
/* The role named s, or -1 if there is none. */
int		 role_parse(const char *s);

#define ACCOUNT_NAME_MAX	64	/* user names: [a-z0-9._-], 1..63, NUL */
#define ACCOUNT_PASSWORD_MIN	12	/* length floor in bytes of UTF-8; no
					   composition rules (SP 800-63B) */
#define ACCOUNT_PASSWORD_MAX	256	/* longest password accepted */
#define ACCOUNT_INITIAL_PW_SIZE	24	/* buffer for an initial password:
					   four groups of five characters, three hyphens and NUL */

struct account_params {
	unsigned long long opslimit;	/* argon2id; production:
					   crypto_pwhash_OPSLIMIT_INTERACTIVE */
	size_t		 memlimit;	/* crypto_pwhash_MEMLIMIT_INTERACTIVE */
	int		 idle_secs;	/* session idle expiry, default 900 */
	int		 absolute_secs;	/* session absolute expiry, default 28800 */
	int		 lock_after;	/* failed logins in a row before a
					   backoff, default 5 (throttle_int.h) */
	int		 lock_secs;	/* longest backoff and first address
					   lock, default 300; a lock doubles
					   (cap 1 h) */
};

struct account_info {
	int64_t		 id;
	char		 username[ACCOUNT_NAME_MAX];
	enum role	 role;
	int		 must_change;
	int		 compromised;
	int		 disabled;	/* account_set_disabled */
	int64_t		 locked_until;	/* name's backoff: no attempt from a
					   new address before; 0: none */
	int64_t		 created;
	int64_t		 updated;
};


/* Fills p with the production defaults listed in struct account_params. */
void		account_params_default(struct account_params *p);

/* The limits from eseald.conf's [accounts] section. */
struct conf;
void		account_params_conf(struct account_params *p,
		    const struct conf *c);

/* 1 if name is a valid user name ([a-z0-9._-], 1..63, starts [a-z0-9]). */
int		valid_username(const char *name);

/*
 * Creates an account with a random initial password written to pw_out
 * (NUL-terminated, >= ACCOUNT_PASSWORD_MIN characters from an alphabet
 * without look-alikes; pw_len >= ACCOUNT_INITIAL_PW_SIZE), must_change = 1.
 * ESEAL_EINVAL for a bad name, ESEAL_EEXIST if the name is taken.  actor is
 * who did it, for the audit record.
 */
enum eseal_rc	account_add(struct store *, const struct account_params *,
		    const char *username, enum role, int64_t now,
		    const char *actor, char *pw_out, size_t pw_len);

/*
 * New random initial password into pw_out (as account_add), must_change = 1,
 * compromised cleared, unlocked, and every session of the account ended.
 * ESEAL_ENOTFOUND if there is no such account.
 */
enum eseal_rc	account_reset(struct store *, const struct account_params *,
		    const char *username, int64_t now, const char *actor,
		    char *pw_out, size_t pw_len);

/*
 * Marks the account compromised: must_change = 1 and every session ended
 * (panel point 6).  The password still logs in, only to change it;
 * when it may be in someone else's hands, use account_reset instead.
 */
enum eseal_rc	account_compromise(struct store *, const char *username,
		    int64_t now, const char *actor);

/*
 * Disables (disabled = 1) or enables (0) the account, for offboarding: a
 * disabled account cannot log in (session_login refuses it once its
 * password verifies; a wrong password gets the usual answer) nor act by
 * client certificate, and every session it has ends now.  The account
 * stays, so its name stays reserved (account_add of it is ESEAL_EEXIST)
 * and the audit trail keeps naming one person.  Audit record
 * "account.disable" or "account.enable" by actor.  ESEAL_ENOTFOUND if
 * there is no such account; ESEAL_EEXIST if it is in that state already.
 */
enum eseal_rc	account_set_disabled(struct store *, const char *username,
		    int disabled, int64_t now, const char *actor);

/* All accounts by user name: *out is an array of *n to free(). */
enum eseal_rc	account_list(struct store *, struct account_info **out,
		    size_t *n);

/* One account.  ESEAL_ENOTFOUND if there is none. */
enum eseal_rc	account_get(struct store *, const char *username,
		    struct account_info *);

#endif
