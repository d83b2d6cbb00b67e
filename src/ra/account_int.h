/*
 * account_int.h: what account.c lends session.c, and nothing else may
 * use: the check of the argon2id and session limits, and password hashing.
 */
#ifndef ESEAL_ACCOUNT_INT_H
#define ESEAL_ACCOUNT_INT_H

#include "account.h"

/* The audit trail's actor for a login name with no account; no account
 * may have it. */
#define ACCOUNT_UNKNOWN_ACTOR	"unknown"

/*
 * ESEAL_OK if libsodium runs and p (NULL: not checked) has argon2id limits
 * within libsodium's range and positive session and lockout settings;
 * ESEAL_ECONF naming the [accounts] keys otherwise.
 */
enum eseal_rc	account_ready(const struct account_params *p);

/* argon2id of pw under p's limits into out (crypto_pwhash_STRBYTES). */
enum eseal_rc	account_pw_hash(const struct account_params *p,
		    const char *pw, char *out);

#endif
