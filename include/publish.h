/*
 * publish.h: what relying parties fetch, kept ready.  The newest CRL of
 * every issuer key and shard is held in memory (served with ETag,
 * Last-Modified and cache lifetimes from nextUpdate) and written
 * atomically as files under a directory any web server or CDN can serve.
 * A thread regenerates a shard's CRL when a certificate in it is revoked
 * (debounced, within PUBLISH_DEBOUNCE_MS) and before half of its validity
 * has passed.  Serving never waits on the HSM.
 */
#ifndef ESEAL_PUBLISH_H
#define ESEAL_PUBLISH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ca.h"

#define PUBLISH_DEBOUNCE_MS	200	/* gather revocations this long */
#define PUBLISH_TICK_SECS	1	/* how often freshness is checked and
					   CRLs signed by esealctl picked up */
#define PUBLISH_ETAG_MAX	68	/* quoted SHA-256 hex */

struct publisher;

struct publish_config {
	const char	*dir;		/* files; NULL or "" for none */
	int64_t		 crl_validity;	/* seconds; 0: the CRL default */
	int		 drop_expired;	/* see struct crl_params */
};

/*
 * Loads (or makes) the current CRL of every shard of every issuer, writes
 * the files, and starts the regeneration thread.
 */
enum eseal_rc	publish_start(struct ca *, const struct publish_config *,
		    struct publisher **out);
void		publish_stop(struct publisher *);

/* A certificate was revoked: its shard's CRL is regenerated shortly. */
void		publish_revoked(struct publisher *, const char *serial);

struct published_crl {
	unsigned char	*der;		/* malloc'd copy */
	size_t		 len;
	char		 etag[PUBLISH_ETAG_MAX];
	time_t		 this_update, next_update;
	int64_t		 number;
};

/* A copy of the current CRL of (issuer name, shard): 1 found, 0 not. */
int		publish_crl(struct publisher *, const char *issuer, int shard,
		    struct published_crl *out);
void		published_crl_clear(struct published_crl *);

/* Writes data to path atomically (temp file, fsync, rename). */
enum eseal_rc	publish_write_file(const char *path, const void *data,
		    size_t len);

#endif
