/*
 * totp.h: time-based one-time passwords (RFC 6238) as an operator's second
 * factor, computed by liboath.  A secret is enrolled for one account,
 * shown once, and counts only after a first correct code confirms it.
 * Codes of the current 30 s step and one step either side are accepted;
 * a step already accepted for the account (or an earlier one) is a
 * replay.  Secrets are kept AES-256-GCM encrypted under the key of
 * [security] totp_key_file, bound to their account, so a copy of the
 * store alone does not yield them.  Every enrolment, confirmation and
 * reset is an audit record.  Time is a parameter.
 */
#ifndef ESEAL_TOTP_H
#define ESEAL_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define TOTP_KEY_LEN		32	/* AES-256 */
#define TOTP_SECRET_LEN		20	/* 160 bits (RFC 4226 4, R6) */
#define TOTP_STEP		30	/* seconds (RFC 6238 4.1 default) */
#define TOTP_DIGITS		6
#define TOTP_WINDOW		1	/* steps of clock skew either side */
#define TOTP_B32_MAX		64	/* base32 of the secret and NUL */
#define TOTP_URI_MAX		512	/* the otpauth:// URI and NUL */
#define TOTP_ISSUER		"eseal-ca"	/* issuer= of the URI */

/* The key that wraps the secrets; set = 0 when none is configured. */
struct totp_key {
	int		 set;
	unsigned char	 key[TOTP_KEY_LEN];
};

/*
 * Reads the key from path: 64 hexadecimal digits (a trailing newline
 * allowed), in a regular file readable and writable by its owner only.
 * ESEAL_ECONF naming [security] totp_key_file and what is wrong (mode
 * 0640: "readable by group or others; chmod 600").
 */
enum eseal_rc	totp_key_load(const char *path, struct totp_key *out);

/* A shown secret: base32 (RFC 4648 6) and the otpauth:// URI. */
struct totp_enrolment {
	char		 secret_b32[TOTP_B32_MAX];
	char		 uri[TOTP_URI_MAX];
};

/*
 * A new, unconfirmed secret for account id (replacing an unconfirmed
 * one) into *out.  ESEAL_EPOLICY if no key is configured; ESEAL_EEXIST if
 * the account has a confirmed secret (totp_reset first).  Audit
 * "account.totp_enrol" by username.
 */
enum eseal_rc	totp_enrol(struct store *, const struct totp_key *,
		    int64_t id, const char *username, int64_t now,
		    struct totp_enrolment *out);

/*
 * Checks code (TOTP_DIGITS digits) against account id's secret at now and
 * records its step as used, confirming an unconfirmed secret.  For use
 * inside the caller's transaction; writes no audit record.
 * ESEAL_ENOTFOUND: the account has no secret (or only an unconfirmed one
 * and !allow_pending); ESEAL_EAUTH "...: wrong code" or "...: code already
 * used (replay)"; ESEAL_EPOLICY with no key; ESEAL_EINTERNAL if the secret
 * does not decrypt under the key (another key, or a tampered row).
 */
enum eseal_rc	totp_verify(struct store *, const struct totp_key *,
		    int64_t id, const char *code, int64_t now,
		    int allow_pending);

/*
 * Confirms account id's unconfirmed secret with its first code, in a
 * transaction with the audit record "account.totp_confirm" (or
 * "account.totp_fail" on a wrong code).  ESEAL_EEXIST if it is confirmed
 * already, ESEAL_ENOTFOUND if there is nothing to confirm.
 */
enum eseal_rc	totp_confirm(struct store *, const struct totp_key *,
		    int64_t id, const char *username, const char *code,
		    int64_t now);

/* 1 if account id has a confirmed secret. */
int		totp_enrolled(struct store *, int64_t id);

/*
 * Removes username's secret (a lost device), audit "account.totp_reset"
 * by actor.  ESEAL_ENOTFOUND if there is no such account, ESEAL_EEXIST if
 * it has no secret.
 */
enum eseal_rc	totp_reset(struct store *, const char *username,
		    int64_t now, const char *actor);

/*
 * Requires (on) or stops requiring a second factor for username even
 * inside the secure zone; audit "account.require_2fa" by actor.
 */
enum eseal_rc	totp_require(struct store *, const char *username, int on,
		    int64_t now, const char *actor);

/*
 * What a login brings besides its password, and what it must bring.
 * in_zone: the source lies in [security] secure_zone; cert: the TLS layer
 * verified an operator client certificate naming this user; code: a TOTP
 * code, or NULL; require_roles: ROLE_BIT mask of [security]
 * require_second_factor; key: the secrets' key (NULL: none).
 */
struct login_factors {
	int			 in_zone;
	int			 cert;
	const char		*code;
	unsigned		 require_roles;
	const struct totp_key	*key;
};

#define TOTP_FACTORS_MAX	32	/* "password+totp" and NUL */

/*
 * The second-factor step of a login whose password verified, inside the
 * caller's transaction.  A second factor is needed outside the zone, or
 * when the account or its role (role_bit) requires one, or when slowed
 * (the name is in its failed-login backoff, which only a second factor
 * passes: session.c); a verified client certificate or a confirmed TOTP
 * code gives it.  ESEAL_OK with factors "password", "password+cert" or
 * "password+totp"; ESEAL_EAUTH with a message saying what is missing,
 * *counts = 1 when the refusal counts toward the lockout (a wrong or
 * replayed code).
 */
enum eseal_rc	totp_login(struct store *, const struct login_factors *,
		    int64_t id, unsigned role_bit, int slowed, int64_t now,
		    char *factors, size_t len, int *counts);

#endif
