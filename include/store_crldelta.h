/*
 * store_crldelta.h: the delta CRLs of each issuer key and shard (RFC 5280
 * 5.2.4), kept beside the base CRLs of store_revoke.h.  A delta's number
 * comes from the same sequence as the base CRLs' (5.2.3).  Part of the
 * store module: store_crldelta.c is the only code that speaks SQL for
 * them.
 */
#ifndef ESEAL_STORE_CRLDELTA_H
#define ESEAL_STORE_CRLDELTA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"
#include "store_revoke.h"

struct store_crl_delta {
	struct store_crl c;		/* issuer, shard, number, dates, der */
	int64_t		 base_number;	/* the base CRL it completes */
};

/*
 * The highest number a delta CRL of (issuer_id, shard) has taken, 0 if
 * none: the next CRL of either kind is numbered above it.
 */
enum eseal_rc	store_crl_delta_max(struct store *, int64_t issuer_id,
		    int shard, int64_t *number);

/*
 * Records a signed delta CRL.  ESEAL_EEXIST if its number is taken by a
 * delta or a base CRL of (issuer_id, shard), or a base CRL above it was
 * recorded since it was built (its base is then not the newest).
 */
enum eseal_rc	store_crl_delta_insert(struct store *,
		    const struct store_crl_delta *);

/*
 * The newest delta CRL of (issuer_id, shard) into *out (free with
 * store_crl_delta_clear).  ESEAL_ENOTFOUND if none.
 */
enum eseal_rc	store_crl_delta_latest(struct store *, int64_t issuer_id,
		    int shard, struct store_crl_delta *out);
void		store_crl_delta_clear(struct store_crl_delta *);

#define STORE_DELTA_PRUNE_MAX	64	/* delta bodies emptied per call */

/*
 * Bounded storage ([publish] crl_keep_days, crl_keep_count): empties the
 * DER of at most STORE_DELTA_PRUNE_MAX delta CRLs of (issuer_id, shard)
 * made before before (INT64_MIN: no age bound) or, keep_count > 0, with
 * keep_count or more newer deltas of the shard, never the newest; their
 * number, base and dates stay.  One statement.  *pruned (if not NULL)
 * counts them.
 */
enum eseal_rc	store_crl_delta_prune(struct store *, int64_t issuer_id,
		    int shard, int64_t before, int64_t keep_count,
		    size_t *pruned);

/*
 * The number and dates of the newest base CRL of (issuer_id, shard) into
 * *out, without its body (der NULL): what a delta over it needs, read
 * without loading megabytes.  ESEAL_ENOTFOUND if none.
 */
enum eseal_rc	store_crl_delta_base(struct store *, int64_t issuer_id,
		    int shard, struct store_crl *out);

#endif
