/*
 * store_publish.h: CRLs owed to relying parties (table crl_owed of
 * schema/007_crl_owed.sql).  A revocation's transaction calls
 * store_crl_owe(); the transaction that records a CRL of the shard calls
 * store_crl_owed_clear() with the highest row id it read before it read
 * the revocations, so a row goes only with a CRL that lists its
 * revocation.  Part of the store module: store_publish.c is the only code
 * that speaks SQL for it.  Each call holds the store's lock around its
 * statement, so it may be made inside a transaction or on its own.
 */
#ifndef ESEAL_STORE_PUBLISH_H
#define ESEAL_STORE_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

/* One shard whose CRL is owed. */
struct store_crl_owed {
	int64_t	 issuer_id;
	int	 shard;
	int64_t	 upto;		/* its highest row id */
	int64_t	 since;		/* when its oldest waiting revocation was
				   accepted */
	int64_t	 count;		/* revocations waiting */
};

/* The CRL of (issuer_id, shard) must list serial's revocation, made now. */
enum eseal_rc	store_crl_owe(struct store *, int64_t issuer_id, int shard,
		    const char *serial, int64_t now);

/*
 * Every shard with a CRL owed, oldest first: *out is an array of *n (NULL
 * if none), freed with free().
 */
enum eseal_rc	store_crl_owed_list(struct store *,
		    struct store_crl_owed **out, size_t *n);

/* The highest row id owed for (issuer_id, shard) into *upto, 0 if none. */
enum eseal_rc	store_crl_owed_upto(struct store *, int64_t issuer_id,
		    int shard, int64_t *upto);

/* Deletes the rows of (issuer_id, shard) up to id upto: a CRL lists them. */
enum eseal_rc	store_crl_owed_clear(struct store *, int64_t issuer_id,
		    int shard, int64_t upto);

#endif
