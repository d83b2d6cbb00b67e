/*
 * publish.h: what relying parties fetch, kept ready.  The newest CRL of
 * every issuer key and shard is held in memory (served with ETag,
 * Last-Modified and cache lifetimes from nextUpdate) and written
 * atomically as files under a directory any web server or CDN can serve.
 * A thread regenerates a shard's CRL when the store says it is owed (a
 * revocation marks it in its own transaction: see store_publish.h),
 * within PUBLISH_DEBOUNCE_MS of a revocation in this process and within a
 * tick of one by esealctl, and before half of its validity has passed.
 * A failed signing is retried with backoff (PUBLISH_RETRY_*), at once when
 * the HSM comes back; owed CRLs left by a crash are signed at start-up.
 * Serving never waits on the HSM.
 */
#ifndef ESEAL_PUBLISH_H
#define ESEAL_PUBLISH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ca.h"

#define PUBLISH_DEBOUNCE_MS	200	/* gather revocations this long */
#define PUBLISH_TICK_SECS	1	/* how often freshness is checked and
					   CRLs signed by esealctl picked up */
#define PUBLISH_ETAG_MAX	68	/* quoted SHA-256 hex */
#define PUBLISH_RETRY_MIN_SECS	1	/* backoff after a failed signing ... */
#define PUBLISH_RETRY_MAX_SECS	60	/* ... doubling up to this */
#define PUBLISH_OWED_LATE_SECS	30	/* an owed CRL older than this makes
					   /healthz degraded */
#define PUBLISH_ERROR_MAX	256	/* a failure, one line */

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

/*
 * A certificate was revoked (and its shard's CRL marked owed in the same
 * transaction): wakes the thread, which signs it shortly.
 */
void		publish_revoked(struct publisher *, const char *serial);

/* A shard whose CRL is owed or whose last signing failed. */
struct publish_owed {
	char	 issuer[STORE_NAME_MAX];
	int	 shard;
	time_t	 since;		/* oldest revocation waiting; 0: none (a
				   refresh failed) */
	int64_t	 count;		/* revocations waiting */
	int	 attempts;	/* failed signings since the last CRL */
	time_t	 next_try;	/* when it is tried again */
	char	 error[PUBLISH_ERROR_MAX];	/* the last failure */
};

/*
 * The shards owed as of the thread's last round (at most a tick old):
 * *out is an array of *n (NULL if none), freed with free().
 */
enum eseal_rc	publish_owed(struct publisher *, struct publish_owed **out,
		    size_t *n);

/*
 * The shards whose CRL is being made right now (at start-up: rebuilt in
 * the background while the last stored one is served): *out is an array
 * of *n with issuer and shard set (NULL if none), freed with free().
 */
enum eseal_rc	publish_building(struct publisher *,
		    struct publish_owed **out, size_t *n);

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
/*
 * A copy of the current delta CRL (RFC 5280 5.2.4) of (issuer name,
 * shard): 1 found, 0 not (none made, or [publish] delta_crl is off).
 */
int		publish_delta_crl(struct publisher *, const char *issuer,
		    int shard, struct published_crl *out);
void		published_crl_clear(struct published_crl *);

/* The ETag of a CRL: its SHA-256 in hex, quoted, into out. */
void		publish_etag(const unsigned char *der, size_t len,
		    char out[PUBLISH_ETAG_MAX]);

struct store_issuer;

/*
 * The link certificates of the issuers v (n of them) beside their CA
 * certificates under dir: ca/NEW.by-OLD.crt.  Failures are logged.
 */
void		publish_write_links(struct ca *, const char *dir,
		    const struct store_issuer *v, size_t n);

/* Writes data to path atomically (temp file, fsync, rename). */
enum eseal_rc	publish_write_file(const char *path, const void *data,
		    size_t len);

/*
 * The same with the file's mode and the messages' prefix who: a
 * temporary file (0600 while written), fsync, chmod mode, rename, fsync
 * of the directory.  Missing parent directories are made (0755).
 */
enum eseal_rc	publish_write_atomic(const char *who, const char *path,
		    const void *data, size_t len, mode_t mode);

#endif
