/*
 * session.h: operator logins and sessions, on the accounts of account.h.
 *
 * A login gives a random bearer token; the store keeps only its SHA-256,
 * and no password or token is ever logged.  Failed logins are counted per
 * name and lock it for a while (NIST SP 800-63B 5.2.2); a session ends
 * when idle or old (SP 800-63B 7.2), on logout, and when its account is
 * reset, marked compromised, disabled or changes its password (panel
 * point 6).
 * Every attempt and change leaves an audit record.  Time is a parameter.
 */
#ifndef ESEAL_SESSION_H
#define ESEAL_SESSION_H

#include <stdint.h>

#include "account.h"
#include "err.h"
#include "store.h"
#include "totp.h"

#define SESSION_TOKEN_LEN	43	/* bearer token: 32 random bytes,
					   base64url without padding */
#define SESSION_ADDR_MAX	64	/* client address kept with a session */

struct session_info {
	int64_t		 account_id;
	char		 username[ACCOUNT_NAME_MAX];
	enum role	 role;
	int		 must_change;
	int64_t		 expires;	/* absolute expiry of the session */
	int64_t		 retry_after;	/* on ESEAL_ETOOMANY: seconds until
					   an attempt may pass (Retry-After) */
	int		 in_zone;	/* opened inside the secure zone */
	char		 factors[TOTP_FACTORS_MAX];	/* "password",
					   "password+totp", "password+cert"; "cert"
					   for a certificate alone */
};

/*
 * Password login.  On success token_out (SESSION_TOKEN_LEN + 1 bytes) holds
 * a new bearer token and *si the session; the token is shown only here.
 * A wrong password, an unknown user and a malformed name all give
 * ESEAL_EAUTH "...: invalid username or password", after the same argon2id
 * work.  Failures are counted per name and per client address
 * (throttle_int.h): after lock_after in a row, attempts on the name, or
 * from the address, slow down (1 s, doubling, up to lock_secs) and one
 * too early gives ESEAL_ETOOMANY "...: try again in N s" with
 * si->retry_after = N; only an address is locked outright (after 4 x
 * lock_after in a row).  A name's backoff does not apply from an address
 * the account logged in from before, so guessing elsewhere cannot lock the
 * operator out.  Unknown names are counted the same way, so a refusal
 * reveals nothing.  A disabled account (account_set_disabled) is refused with
 * ESEAL_EFORBIDDEN "...: this account is disabled ..." only once its
 * password verifies; a wrong one gets the answer above.  Every
 * attempt is an audit record (actor = the user name, or "unknown"; detail =
 * client_addr, which may be NULL).
 */
enum eseal_rc	session_login(struct store *, const struct account_params *,
		    const char *username, const char *password,
		    const char *client_addr, int64_t now, char *token_out,
		    struct session_info *si);

/*
 * session_login with what the login brings besides its password (totp.h,
 * totp_login): once the password verifies, a second factor is asked for
 * outside the secure zone or where the account or its role requires one
 * (ESEAL_EAUTH saying so; a wrong or replayed code counts as a failed
 * login).  session_login is this with lf in the zone, no certificate and
 * no code.  The session records lf->in_zone and the factors used; audit
 * "account.login" names them, "account.login_2fa_fail" a refusal.
 */
enum eseal_rc	session_login_factors(struct store *,
		    const struct account_params *, const struct login_factors *lf,
		    const char *username, const char *password,
		    const char *client_addr, int64_t now, char *token_out,
		    struct session_info *si);

/*
 * Resolves a bearer token into *si and records its use.  ESEAL_EAUTH if the
 * token is malformed or unknown, or the session has been idle for
 * idle_secs or has reached its absolute expiry (the session is then
 * deleted), or was ended by a reset, compromise, password change or
 * disable, or its account is disabled.
 */
enum eseal_rc	session_get(struct store *, const struct account_params *,
		    const char *token, int64_t now, struct session_info *si);

/*
 * Ends the session of token; the audit record carries the wall-clock time.
 * ESEAL_EAUTH if it is not a session.
 */
enum eseal_rc	session_logout(struct store *, const char *token);

/*
 * For a request authenticated by a client certificate that the TLS layer
 * has verified: the operator whose user name is the certificate's CN, into
 * *si (expires = 0: no session).  ESEAL_EAUTH if there is no such account.
 * must_change still applies through session_authorize, so a compromised or
 * reset account can do nothing by certificate until its password changes;
 * a disabled account is ESEAL_EFORBIDDEN.
 */
enum eseal_rc	session_by_cert(struct store *, const char *cn,
		    struct session_info *si);

/*
 * Changes the password of the session's account.  The session must be live
 * (ESEAL_EAUTH otherwise); new_pw must be ACCOUNT_PASSWORD_MIN to
 * ACCOUNT_PASSWORD_MAX bytes of valid UTF-8, not the user name, and differ
 * from old_pw (ESEAL_EINVAL naming the rule); old_pw must verify
 * (ESEAL_EAUTH otherwise, counted as a failed login, so ESEAL_ETOOMANY once
 * locked).  Clears must_change and compromised and ends every session of
 * the account, this one too (a session opened before a forced change must
 * not outlive it, panel point 6).  On success token_out
 * (SESSION_TOKEN_LEN + 1 bytes) holds the token of a new session on the new
 * password, shown only here, and *si that session, as session_login gives.
 */
enum eseal_rc	session_change_password(struct store *,
		    const struct account_params *, const char *token,
		    const char *old_pw, const char *new_pw, int64_t now,
		    char *token_out, struct session_info *si);

/*
 * For handlers: ESEAL_OK if si may act with one of the roles in roles_mask
 * (ROLE_BIT(ROLE_x) | ...).  ESEAL_EFORBIDDEN "...: password change
 * required" while si->must_change, whatever the role; ESEAL_EFORBIDDEN
 * naming the role otherwise.  The password-change route itself must not
 * call this.
 */
enum eseal_rc	session_authorize(const struct session_info *si,
		    unsigned roles_mask);

#endif
