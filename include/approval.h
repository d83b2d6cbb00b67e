/*
 * approval.h: dual control (docs/security.md, "Dual control").  A
 * sensitive operation asked for over the API is a proposal that runs only
 * after [approval] quorum distinct operators holding the role its kind
 * requires have approved it, the proposer counting as the first.  Each
 * approver names the parameters' SHA-256 they reviewed; at execution every
 * check runs again (the stored parameters still hash to what each approver
 * saw, every approver's account still holds the role, is enabled and not
 * compromised, and the executor's own checks: module registry, crypto
 * policy, the file's SHA-256) and the operation runs with its approvers
 * recorded.  Every proposal, vote, refusal and outcome is one audit record
 * in the same transaction as the change it records.
 */
#ifndef ESEAL_APPROVAL_H
#define ESEAL_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "err.h"
#include "session.h"
#include "store_approval.h"

#define APPROVAL_PARAMS_MAX	4096	/* canonical parameters, bytes */
#define APPROVAL_RESULT_MAX	1024	/* what an execution reports */
#define APPROVAL_LIST_MAX	200	/* operations GET lists at most */

enum op_kind {
	OP_KEY_GENERATE,		/* an issuer key on the token */
	OP_ACCOUNT_CREATE_ADMIN,	/* a new admin account */
	OP_CRYPTO_POLICY_REPLACE,	/* [issue] crypto_policy by a file */
	OP_HSM_REGISTRY_REPLACE,	/* [hsm] registry by a file */
	OP_ISSUER_ROTATE,		/* rotate_issuer (rotate.h) */
	OP_ISSUER_RETIRE,		/* rotate_retire (rotate.h) */
	OP_KIND_MAX
};

/* "key.generate", ... */
const char	*op_kind_name(enum op_kind);
/* The kind named s, or -1. */
int		 op_kind_parse(const char *s);
/* The role every proposer and approver of the kind holds. */
enum role	 op_kind_role(enum op_kind);

/* A proposal as asked for: the kind and its parameters. */
struct approval_request {
	enum op_kind	 kind;
	char		*params;	/* canonical JSON (compact, keys sorted),
					   malloc'd */
};

/*
 * The body of POST /api/v1/operations, {"kind": K, "parameters": {...}}:
 * exactly those members, the parameters the kind takes with their types
 * and limits and no others.  On refusal a sentence naming the rule in msg.
 */
struct json_t;
enum eseal_rc	approval_request_parse(struct json_t *body,
		    struct approval_request *out, char *msg, size_t msglen);
void		approval_request_clear(struct approval_request *);

/* [approval] settings. */
struct approval_conf {
	int	quorum;		/* distinct approvers, proposer included */
	int	expiry_secs;
};

/*
 * Records a proposal by si, whose role must be the kind's (ESEAL_EFORBIDDEN
 * otherwise), and its first approval.  For the replace kinds the file's
 * SHA-256 is computed now and becomes part of the parameters (a sha256
 * given that differs: ESEAL_EEXIST).  *id the new operation.
 */
enum eseal_rc	approval_propose(struct store *, const struct approval_conf *,
		    struct approval_request *, const struct session_info *si,
		    int64_t now, int64_t *id);

/*
 * Runs an approved operation: fills result (shown once to the approver
 * who completed the quorum) and returns ESEAL_OK, or the refusal.
 * approvers is "a,b,c", the proposer first.
 */
typedef enum eseal_rc (*approval_exec_fn)(void *ctx, const struct store_op *,
    const char *approvers, int64_t now, char *result, size_t len);

struct approval_outcome {
	char	status[STORE_OP_STATUS_MAX];	/* after the vote */
	int	approvals;			/* so far */
	int	quorum;
	char	result[APPROVAL_RESULT_MAX];	/* when executed */
};

/*
 * si approves (approve 1) or rejects operation id, having reviewed the
 * parameters whose SHA-256 is params_hash.  Refused: an operation that is
 * not pending or has expired (ESEAL_EEXIST, and an expired one is marked
 * failed), si's role not the kind's (ESEAL_EFORBIDDEN), si voted already
 * (ESEAL_EEXIST), params_hash not the operation's (ESEAL_EEXIST).  The
 * vote that completes the quorum runs the operation through exec after
 * the checks above run again; its refusal is returned and the operation
 * marked failed.  One rejection rejects it.
 */
enum eseal_rc	approval_vote(struct store *, int64_t id, int approve,
		    const char *params_hash, const struct session_info *si,
		    int64_t now, approval_exec_fn exec, void *ctx,
		    struct approval_outcome *out);

/* Operations with status ("" any), newest first (store_op_list). */
enum eseal_rc	approval_list(struct store *, const char *status,
		    struct store_op **out, size_t *n);

#endif
