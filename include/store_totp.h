/*
 * store_totp.h: the store's side of second factors (schema/011_totp_zone):
 * an account's encrypted TOTP secret, whether it is confirmed, the last
 * time step accepted, the account's require-second-factor flag, and what
 * a session was opened with.  store_totp.c is the only code that speaks
 * SQL for these columns; nothing here knows a key or a code.  Each call
 * holds the store's lock, so it may run inside store_begin() or alone.
 */
#ifndef ESEAL_STORE_TOTP_H
#define ESEAL_STORE_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_TOTP_BLOB_MAX	128	/* nonce, encrypted secret, tag */
#define STORE_FACTORS_MAX	32	/* "password+totp" and NUL */

struct store_totp {
	unsigned char	 blob[STORE_TOTP_BLOB_MAX];
	size_t		 blob_len;	/* 0: no secret */
	int		 confirmed;
	int64_t		 last_step;
	int		 require_2fa;
};

/* The second-factor columns of account id.  ESEAL_ENOTFOUND if none. */
enum eseal_rc	store_totp_get(struct store *, int64_t id,
		    struct store_totp *t);

/*
 * Sets account id's secret (unconfirmed, last step 0); blob_len 0 clears
 * it (a reset).  ESEAL_ENOTFOUND if there is no such account.
 */
enum eseal_rc	store_totp_set(struct store *, int64_t id,
		    const unsigned char *blob, size_t blob_len, int64_t now);

/*
 * Records step as accepted (and the secret as confirmed), only if it is
 * later than the last one: ESEAL_EEXIST otherwise (a replay, also one
 * racing this one).
 */
enum eseal_rc	store_totp_use(struct store *, int64_t id, int64_t step,
		    int64_t now);

/* Sets or clears account id's require-second-factor flag. */
enum eseal_rc	store_totp_require(struct store *, int64_t id, int on,
		    int64_t now);

/* Records what the session of token_hash (32 bytes) was opened with. */
enum eseal_rc	store_session_set_factors(struct store *,
		    const unsigned char *token_hash, int in_zone,
		    const char *factors);

/* Reads them back; ESEAL_ENOTFOUND if there is no such session. */
enum eseal_rc	store_session_factors(struct store *,
		    const unsigned char *token_hash, int *in_zone,
		    char *factors, size_t len);

#endif
