/*
 * ocsp_presign.h: OCSP answers signed ahead of time ([ocsp] presign = on),
 * as large CAs do, so that relying parties get a signed answer while the
 * HSM is down (docs/revocation.md, "Presigned OCSP answers").
 *
 * For every issued, unexpired certificate of every issuer the store knows,
 * the presigner signs a nonce-less answer (good, or revoked with time and
 * reason) to the SHA-1 CertID (RFC 5019 2.1.1; what `openssl ocsp` and
 * most clients send), exactly as the responder would sign it live, and
 * records it (store_ocsppre.h).  It signs again ahead of the answer's
 * nextUpdate, in batches of [ocsp] presign_batch at most
 * [ocsp] presign_rate signatures a second, each batch recorded in one
 * short transaction: it never holds the store or the HSM for long, so
 * issuance never waits for it.  A revocation invalidates the answer in its
 * own transaction (revoke_cert), and the invalidated answer is the first
 * signed again.
 *
 * The responder (ocsp_respond_opts with presign set) serves a recorded
 * answer while thisUpdate <= now < nextUpdate and the store still says
 * what it states; a nonce-less request gets it instead of a fresh
 * signature, a request with a nonce gets it only when no fresh one can be
 * signed (the HSM is down).
 */
#ifndef ESEAL_OCSP_PRESIGN_H
#define ESEAL_OCSP_PRESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "ca.h"
#include "store_ocsppre.h"

#define OCSP_PRESIGN_HASH	"sha1"	/* the CertID hash presigned for */
#define OCSP_PRESIGN_SCAN_ROWS	250	/* certificates walked per query:
					   at 1M certificates 1.6 ms of the
					   store's lock (median), 29 ms at
					   worst; 1000 took 15 ms */
#define OCSP_PRESIGN_WALK_STEPS	40	/* queries per batch at most: a
					   walk of 1M certificates already
					   covered takes 100 batches */
#define OCSP_PRESIGN_LAG_SECS	120	/* the walk looks again at
					   certificates updated this long
					   before the last it saw (an
					   issuance committed late) */
#define OCSP_PRESIGN_SWEEP_SECS	3600	/* and from the first one this often */
#define OCSP_PRESIGN_TICK_SECS	1	/* the presigner looks for work */
#define OCSP_PRESIGN_RETRY_SECS	5	/* after the HSM or store failed */
#define OCSP_PRESIGN_LOG_SECS	300	/* a failure is logged this often */

/* How answers are presigned, from [ocsp]. */
struct ocsp_presign_params {
	int64_t	validity_secs;	/* nextUpdate - thisUpdate, 0: default */
	int64_t	margin_secs;	/* sign again this long before nextUpdate,
				   0: half the validity */
	size_t	batch;		/* answers per batch, 0: CONF_PRESIGN_BATCH */
	int	delegated;	/* 1: the issuer's delegated signer signs */
};

/* Where the presigner stands between batches. */
struct ocsp_presign_state {
	struct store_ocsppre_cursor cur;	/* the walk over certificates */
	int64_t		sweep_started;	/* when the walk last began at the
					   first certificate (0: never) */
	int		sweeping;	/* 1: from there to the last one */
	size_t		swept_covered;	/* answers found by this walk */
	size_t		swept_missing;	/* certificates it found none for */
};

/* What one batch did. */
struct ocsp_presign_report {
	size_t	signed_n;	/* answers signed and recorded */
	size_t	dropped;	/* certificates no longer issued or expired */
	size_t	raced;		/* signed, but revoked meanwhile: not kept */
	size_t	failed;		/* could not be signed (logged) */
	int	hsm_down;	/* 1: the batch stopped at an HSM failure */
};

/*
 * One batch at now: the answers due (refresh_at <= now, invalidated ones
 * first of all; at most three quarters of the batch, so that a backlog of
 * refreshes never starves new certificates), then certificates without
 * an answer found by the walk, at most p->batch in all, each signed and the batch recorded in one
 * transaction; certificates expired or not issued lose their answers.
 * Fills *rep.  Returns ESEAL_OK, or the store's error (the HSM's stops
 * the batch and sets rep->hsm_down; what was signed before it is kept).
 */
enum eseal_rc	ocsp_presign_batch(struct ca *,
		    const struct ocsp_presign_params *p,
		    struct ocsp_presign_state *s, int64_t now,
		    struct ocsp_presign_report *rep);

/*
 * eseald's presigner: a thread that, while [ocsp] presign = on in the
 * current configuration (a reload turns it on or off), runs batches,
 * waiting after each as long as [ocsp] presign_rate asks,
 * OCSP_PRESIGN_TICK_SECS when there is nothing to do and
 * OCSP_PRESIGN_RETRY_SECS after a failure.
 */
struct ocsp_presigner;
enum eseal_rc	ocsp_presign_start(struct ca *, struct ocsp_presigner **out);
/* Stops and frees it; accepts NULL. */
void		ocsp_presign_stop(struct ocsp_presigner *);

/* Since start-up, for /metrics. */
struct ocsp_presign_stats {
	uint64_t	signed_n;	/* answers signed and recorded */
	uint64_t	failed;		/* answers that could not be signed */
	int64_t		last_sweep;	/* when a walk last reached the end */
	size_t		covered;	/* certificates with an answer, then
					   (found without and signed: with) */
	size_t		missing;	/* and still without one, then */
};
void		ocsp_presign_stats(struct ocsp_presign_stats *out);

#endif
