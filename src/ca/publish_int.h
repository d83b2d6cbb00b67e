/*
 * publish_int.h: what publish.c (the CRL thread, the pruner) and
 * publish_query.c (what the HTTP routes and /healthz read) share
 * (private to src/ca/).
 */
#ifndef ESEAL_PUBLISH_INT_H
#define ESEAL_PUBLISH_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "publish.h"
#include "publish_delta.h"
#include "store.h"

#define PUBLISH_GEN_MAX	128	/* store_issuer_generation() text */
#define PUBLISH_RETIRE_SECS 300	/* how often retiring issuers are looked at
				   (counting their certificates scans them) */

struct entry {
	int64_t			 issuer_id;
	char			 issuer[STORE_NAME_MAX];
	char			 token[STORE_TOKEN_MAX];	/* its key's */
	int			 retired;	/* its final CRL stays */
	int			 shard;
	struct published_crl	 crl;
	struct publish_delta	 delta;		/* [publish] delta_crl */
	/* Below: what is owed and how signing it went (guarded by mu). */
	int64_t			 owed_since;	/* 0: nothing owed */
	int64_t			 owed_count;
	int			 attempts;	/* failures since the last CRL */
	time_t			 next_try;	/* backoff: not before then */
	int			 hsm_failed;	/* the last failure was the HSM */
	unsigned long		 recoveries;	/* the HSM's, at that failure */
	char			 error[PUBLISH_ERROR_MAX];
	int			 building;	/* its CRL is being made */
	int			 prune;		/* a new CRL: bodies may go */
};

struct publisher {
	struct ca		*ca;
	char			*dir;
	int64_t			 validity;
	int			 drop_expired;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stop;
	struct entry		*e;
	size_t			 n;
	int			 wake;		/* a revocation was accepted */
	char			 gen[PUBLISH_GEN_MAX];	/* of the entries */
	time_t			 retire_at;	/* last look at retiring issuers */
	/*
	 * The pruner (retention): its own thread, so that reading an old
	 * body from the disk never holds up the next CRL.  Guarded by mu.
	 */
	pthread_t		 pruner;
	pthread_cond_t		 prune_cv;
	int			 prune_wake;
	int			 pruner_started;
};

/* [publish] delta_crl, as the configuration says now. */
int	publish_delta_on(struct publisher *);

#endif
