/*
 * publish_delta.h: the publisher's delta CRLs (RFC 5280 5.2.4), one per
 * issuer key and shard when [publish] delta_crl is on: the newest stored
 * one kept in memory and written as crl/{issuer}/{shard}-delta.crl beside
 * the base CRL, and a new one signed over the current base.  Used by
 * publish.c, whose mutex guards each slot.
 */
#ifndef ESEAL_PUBLISH_DELTA_H
#define ESEAL_PUBLISH_DELTA_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "ca.h"
#include "crl.h"
#include "publish.h"

/* One shard's current delta CRL. */
struct publish_delta {
	struct published_crl	 crl;	/* der NULL: none yet */
	int64_t			 base;	/* the base CRL's number it completes */
};

/* Which shard, and where its files go. */
struct publish_delta_where {
	const char	*dir;		/* the publish directory; NULL none */
	int64_t		 issuer_id;
	const char	*issuer;	/* its name, for the file */
	int		 shard;
};

/*
 * Loads the newest stored delta CRL of w into *slot (under mu) if it is
 * newer than the one there, and writes its file.
 */
void		publish_delta_load(struct ca *, const struct publish_delta_where *w,
		    pthread_mutex_t *mu, struct publish_delta *slot);

/*
 * Signs and records (crl_generate_delta) a delta CRL of w over base (the
 * shard's current CRL: number and dates are read), then loads it.  The
 * result of crl_generate_delta.
 */
enum eseal_rc	publish_delta_sign(struct ca *, const struct crl_params *cp,
		    const struct publish_delta_where *w,
		    const struct published_crl *base, time_t now,
		    pthread_mutex_t *mu, struct publish_delta *slot);

#endif
