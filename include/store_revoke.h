/*
 * store_revoke.h: the store's records of revocations and signed CRLs
 * (tables revocations and crls of schema/001_init.sql).  Part of the store
 * module: store_revoke.c is the only code that speaks SQL for them.  Each
 * call holds the store's lock around its statement, so a call may be made
 * inside a transaction opened with store_begin() or on its own.
 */
#ifndef ESEAL_STORE_REVOKE_H
#define ESEAL_STORE_REVOKE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_ACTOR_MAX	128	/* longest requested_by kept with a revocation */

struct store_revocation {
	char	 serial[STORE_SERIAL_HEX_MAX];	/* lower-case hex, as stored */
	int	 reason;		/* RFC 5280 5.3.1 CRLReason code */
	int64_t	 revoked_at;		/* when the CA revoked it */
	int64_t	 invalidity_date;	/* RFC 5280 5.3.2; 0 = none */
	char	 requested_by[STORE_ACTOR_MAX];
	int64_t	 not_after;		/* the certificate's (read only) */
};

struct store_crl {
	int64_t		 issuer_id;
	int		 shard;
	int64_t		 number;	/* RFC 5280 5.2.3 cRLNumber */
	int64_t		 this_update, next_update;
	unsigned char	*der;		/* owned (malloc) */
	size_t		 der_len;
};

/*
 * Records a revocation.  The serial must be a certificate in the store.
 * ESEAL_EEXIST if that serial is revoked already.
 */
enum eseal_rc	store_revocation_insert(struct store *,
		    const struct store_revocation *);

/* Fills *r for serial; ESEAL_ENOTFOUND if it is not revoked. */
enum eseal_rc	store_revocation_get(struct store *, const char *serial,
		    struct store_revocation *r);

/*
 * Changes the reason (and, if invalidity_date is not 0, the invalidity
 * date) of an existing revocation; the revocation time is kept.
 * ESEAL_ENOTFOUND if serial is not revoked.
 */
enum eseal_rc	store_revocation_set_reason(struct store *, const char *serial,
		    int reason, int64_t invalidity_date);

/*
 * Every revocation of a certificate issued by issuer_id, expired or not,
 * in serial order: *out is an array of *n (NULL if none), freed with free().
 */
enum eseal_rc	store_revocation_list(struct store *, int64_t issuer_id,
		    struct store_revocation **out, size_t *n);

/*
 * The next CRL number for (issuer_id, shard): one more than the highest
 * stored, 1 for the first.
 */
enum eseal_rc	store_crl_next_number(struct store *, int64_t issuer_id,
		    int shard, int64_t *number);

/*
 * Records a signed CRL.  ESEAL_EEXIST if (issuer_id, shard, number) is
 * taken (another CRL was recorded since the number was read).
 */
enum eseal_rc	store_crl_insert(struct store *, const struct store_crl *);

/*
 * The CRL with the highest number for (issuer_id, shard), its DER owned by
 * *out (free with store_crl_clear).  ESEAL_ENOTFOUND if none was made.
 */
enum eseal_rc	store_crl_latest(struct store *, int64_t issuer_id, int shard,
		    struct store_crl *out);

/* Frees the DER of *c and zeroes it.  Accepts NULL. */
void		store_crl_clear(struct store_crl *);

#endif
