/*
 * operation.h: running the dual-controlled operations once approved
 * (approval.h, docs/security.md).  operation_execute is the
 * approval_exec_fn of the daemon: it parses the stored parameters again,
 * runs the kind's own checks again (for key.generate the HSM module's
 * registry status and the crypto policy, issuer_may_generate; for the
 * replace kinds the file's SHA-256 against the approved one and the new
 * file's own checks) and then the operation, with the approvers in its
 * audit record.
 */
#ifndef ESEAL_OPERATION_H
#define ESEAL_OPERATION_H

#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "approval.h"
#include "ca.h"

struct operation_ctx {
	struct ca			*ca;
	const struct account_params	*acct;	/* account.create_admin */
};

/* approval_exec_fn; ctx is a struct operation_ctx. */
enum eseal_rc	operation_execute(void *ctx, const struct store_op *op,
		    const char *approvers, int64_t now, char *result,
		    size_t len);

#endif
