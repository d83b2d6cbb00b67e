/*
 * store_crlkeep.h: bounded CRL storage (schema/014_crl.sql).  Old CRL
 * bodies are dropped one CRL per transaction, so that pruning never holds
 * the store for long; what stays of a pruned CRL is its number, dates,
 * SHA-256 and entry count.  Part of the store module.
 */
#ifndef ESEAL_STORE_CRLKEEP_H
#define ESEAL_STORE_CRLKEEP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"
#include "store_revoke.h"

/* One recorded CRL, its body or what is kept of it. */
struct store_crl_info {
	struct store_crl c;		/* der NULL once pruned */
	unsigned char	 digest[32];	/* SHA-256 of the DER (pruned) */
	int64_t		 entries;	/* (pruned) */
	int64_t		 pruned;	/* when; 0: body kept */
};

/*
 * The oldest CRL of (issuer_id, shard) whose body may go: not pruned, not
 * the newest, and thisUpdate before before or (keep_count > 0) keep_count
 * or more CRLs of the shard numbered above it, pruned or not.  before =
 * INT64_MIN: no age bound.  ESEAL_ENOTFOUND if none.
 */
enum eseal_rc	store_crl_prunable(struct store *, int64_t issuer_id,
		    int shard, int64_t before, int64_t keep_count,
		    struct store_crl *out);

/* Drops CRL number's body, keeping digest and entries; one transaction. */
enum eseal_rc	store_crl_prune(struct store *, int64_t issuer_id, int shard,
		    int64_t number, const unsigned char digest[32],
		    int64_t entries, int64_t now);

/* CRL number of (issuer_id, shard).  ESEAL_ENOTFOUND if never made. */
enum eseal_rc	store_crl_get(struct store *, int64_t issuer_id, int shard,
		    int64_t number, struct store_crl_info *out);

#endif
