/*
 * checkpoint.h: signed checkpoints of the audit trail (docs/security.md).
 * A checkpoint is the chain head (seq and hash) in a message
 * (audit_cp_format) signed by the current issuer's key on the HSM.  Each
 * is kept three times: a row of audit_checkpoints, a log line, and the
 * files checkpoint-<seq>.txt (the message) and checkpoint-<seq>.sig (the
 * DER signature) under <[publish] dir>/audit/, so that a copy lives off
 * the store and cutting the tail of the trail shows against it.
 */
#ifndef ESEAL_CHECKPOINT_H
#define ESEAL_CHECKPOINT_H

#include <stdint.h>
#include <time.h>

#include "ca.h"

#define CHECKPOINT_SUBDIR	"audit"	/* under [publish] dir */
#define CHECKPOINT_BACKOFF_MIN	5	/* s: first retry after a failure */
#define CHECKPOINT_BACKOFF_MAX	600	/* s: retries never further apart */

/*
 * Signs the chain head now, unless the newest checkpoint already covers
 * it (then *made = 0 and nothing changes).  ESEAL_EHSM if the HSM cannot
 * sign, ESEAL_ENOTFOUND if there is no issuer yet, ESEAL_EINVAL if the
 * trail is empty.  *seq (if not NULL) gets the head checkpointed.
 */
enum eseal_rc	checkpoint_make(struct ca *, int64_t now, int *made,
		    int64_t *seq);

/* The directory checkpoint files go to ("" if [publish] dir is unset). */
void		checkpoint_dir(const struct conf *, char *buf, size_t len);

/* When the daemon checkpoints next, and how it backs off after failures. */
struct checkpoint_sched {
	time_t	last;		/* last checkpoint (or start) */
	time_t	retry_at;	/* after a failure: not before */
	int	backoff;	/* s, doubling to CHECKPOINT_BACKOFF_MAX */
	int	failing;	/* failures in a row */
};

/*
 * The daemon's tick: seals audit records owed while the HSM was away and
 * checkpoints when [audit] checkpoint_records records were added since
 * the last checkpoint or checkpoint_minutes passed with new records.  A
 * failure is logged once per attempt, and attempts back off from
 * CHECKPOINT_BACKOFF_MIN to CHECKPOINT_BACKOFF_MAX seconds.
 */
void		checkpoint_tick(struct ca *, time_t now,
		    struct checkpoint_sched *);

#endif
