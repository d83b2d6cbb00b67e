/*
 * store_approval.h: the store's records of dual-control operations and
 * their votes (schema/012_dual_control.sql).  Part of the store module:
 * store_approval.c is the only code that speaks SQL for them.  Each call
 * holds the store's lock around its statement, so it may be made inside a
 * transaction opened with store_begin() or on its own.
 */
#ifndef ESEAL_STORE_APPROVAL_H
#define ESEAL_STORE_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_OP_KIND_MAX	32	/* "crypto_policy.replace" and NUL */
#define STORE_OP_STATUS_MAX	16	/* "executed" and NUL */
#define STORE_OP_VOTES_MAX	16	/* [approval] quorum at most */

struct store_vote {
	char		 account[64];
	int		 approve;	/* 1 approve, 0 reject */
	char		 params_hash[65];
	int64_t		 ts;
};

struct store_op {
	int64_t		 id;
	char		 kind[STORE_OP_KIND_MAX];
	char		*params;	/* canonical JSON, owned */
	char		 params_hash[65];
	char		 role[16];
	int		 quorum;
	char		 proposer[64];
	char		 status[STORE_OP_STATUS_MAX];
	int64_t		 created, expires, decided;
	char		*result;	/* owned, "" */
	struct store_vote votes[STORE_OP_VOTES_MAX];	/* by time */
	int		 nvotes;
};

/* Inserts op (id, status, decided, result, votes ignored); *id the new id. */
enum eseal_rc	store_op_insert(struct store *, const struct store_op *op,
		    int64_t *id);
/* The operation and its votes.  ENOTFOUND if there is none. */
enum eseal_rc	store_op_get(struct store *, int64_t id, struct store_op *out);
/* Operations with that status ("" any), newest first, at most limit. */
enum eseal_rc	store_op_list(struct store *, const char *status, int limit,
		    struct store_op **out, size_t *n);
/* Adds a vote.  EEXIST if that account voted on it already. */
enum eseal_rc	store_op_vote(struct store *, int64_t id,
		    const struct store_vote *v);
/* Sets status, decided and result (a pending one only: EEXIST else). */
enum eseal_rc	store_op_decide(struct store *, int64_t id, const char *status,
		    int64_t decided, const char *result);
void		store_op_clear(struct store_op *);
void		store_op_list_free(struct store_op *, size_t);

#endif
