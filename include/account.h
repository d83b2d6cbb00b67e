/*
 * account.h: operator accounts, roles, passwords and sessions.
 *
 * Passwords are hashed with argon2id (libsodium crypto_pwhash_str) and never
 * expire by age (REQUIREMENTS point 6, NIST SP 800-63B 5.1.1.2): an account
 * starts with a random initial password that must be changed at first
 * login, and an administrator can mark an account compromised, which forces
 * a change and ends its sessions.  A login gives a random bearer token; the
 * store keeps only its SHA-256.  Every call here that changes something
 * leaves an audit record; no password or token is ever logged or stored.
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

#define ROLE_BIT(r)	(1u << (r))	/* for account_authorize's mask */
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
#define ACCOUNT_TOKEN_LEN	43	/* bearer token: 32 random bytes,
					   base64url without padding */
#define ACCOUNT_INITIAL_PW_SIZE	24	/* buffer for an initial password:
					   four groups of five characters, three hyphens and NUL */
#define ACCOUNT_ADDR_MAX	64	/* client address kept with a session */

struct account_params {
	unsigned long long opslimit;	/* argon2id; production:
					   crypto_pwhash_OPSLIMIT_INTERACTIVE */
	size_t		 memlimit;	/* crypto_pwhash_MEMLIMIT_INTERACTIVE */
	int		 idle_secs;	/* session idle expiry, default 900 */
	int		 absolute_secs;	/* session absolute expiry, default 28800 */
	int		 lock_after;	/* failed logins before a temporary
					   lock, default 5 */
	int		 lock_secs;	/* lock duration, default 300; doubles on
					   each further lock (cap 1 h) */
};

struct account_info {
	int64_t		 id;
	char		 username[ACCOUNT_NAME_MAX];
	enum role	 role;
	int		 must_change;
	int		 compromised;
	int64_t		 locked_until;	/* 0: not locked (may be past) */
	int64_t		 created;
	int64_t		 updated;
};

struct session_info {
	int64_t		 account_id;
	char		 username[ACCOUNT_NAME_MAX];
	enum role	 role;
	int		 must_change;
	int64_t		 expires;	/* absolute expiry of the session */
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
 * (REQUIREMENTS point 6).  The password still logs in, only to change it;
 * when it may be in someone else's hands, use account_reset instead.
 */
enum eseal_rc	account_compromise(struct store *, const char *username,
		    int64_t now, const char *actor);

/* All accounts by user name: *out is an array of *n to free(). */
enum eseal_rc	account_list(struct store *, struct account_info **out,
		    size_t *n);

/* One account.  ESEAL_ENOTFOUND if there is none. */
enum eseal_rc	account_get(struct store *, const char *username,
		    struct account_info *);

/*
 * Password login.  On success token_out (ACCOUNT_TOKEN_LEN + 1 bytes) holds
 * a new bearer token and *si the session; the token is shown only here.
 * A wrong password, an unknown user and a malformed name all give
 * ESEAL_EAUTH "invalid username or password", after the same argon2id work.
 * After lock_after failures in a row the name is locked for lock_secs
 * (doubling for each further lock, up to an hour) and any attempt gives
 * ESEAL_ETOOMANY "too many failed logins; try again later"; unknown names
 * are counted and locked the same way, so a lock reveals nothing.  Every
 * attempt is an audit record (actor = the user name, or "unknown"; detail =
 * client_addr, which may be NULL).
 */
enum eseal_rc	account_login(struct store *, const struct account_params *,
		    const char *username, const char *password,
		    const char *client_addr, int64_t now, char *token_out,
		    struct session_info *si);

/*
 * Resolves a bearer token into *si and records its use.  ESEAL_EAUTH if the
 * token is malformed or unknown, or the session has been idle for
 * idle_secs or has reached its absolute expiry (the session is then
 * deleted), or was ended by a reset, compromise or password change.
 */
enum eseal_rc	account_session(struct store *, const struct account_params *,
		    const char *token, int64_t now, struct session_info *si);

/*
 * Ends the session of token; the audit record carries the wall-clock time.
 * ESEAL_EAUTH if it is not a session.
 */
enum eseal_rc	account_logout(struct store *, const char *token);

/*
 * For a request authenticated by a client certificate that the TLS layer
 * has verified: the operator whose user name is the certificate's CN, into
 * *si (expires = 0: no session).  ESEAL_EAUTH if there is no such account.
 * must_change still applies through account_authorize, so a compromised or
 * reset account can do nothing by certificate until its password changes.
 */
enum eseal_rc	account_by_cert(struct store *, const char *cn,
		    struct session_info *si);

/*
 * Changes the password of the session's account.  The session must be live
 * (ESEAL_EAUTH otherwise); new_pw must be ACCOUNT_PASSWORD_MIN to
 * ACCOUNT_PASSWORD_MAX bytes of valid UTF-8, not the user name, and differ
 * from old_pw (ESEAL_EINVAL naming the rule); old_pw must verify
 * (ESEAL_EAUTH otherwise, counted as a failed login, so ESEAL_ETOOMANY once
 * locked).  Clears must_change and compromised and ends the account's
 * other sessions; this one stays.
 */
enum eseal_rc	account_change_password(struct store *,
		    const struct account_params *, const char *token,
		    const char *old_pw, const char *new_pw, int64_t now);

/*
 * For handlers: ESEAL_OK if si may act with one of the roles in roles_mask
 * (ROLE_BIT(ROLE_x) | ...).  ESEAL_EFORBIDDEN "password change required"
 * while si->must_change, whatever the role; ESEAL_EFORBIDDEN naming the
 * role otherwise.  The password-change route itself must not call this.
 */
enum eseal_rc	account_authorize(const struct session_info *si,
		    unsigned roles_mask);

#endif
