/*
 * ocsp_cache.h: signed OCSP responses kept in memory, so that the same
 * question asked again is answered without the HSM.  One cache per
 * process, shared by every thread (a mutex guards it), bounded to
 * OCSP_CACHE_MAX entries (the oldest goes first).
 *
 * The cache keeps bytes under a key and knows nothing of OCSP; the
 * responder (ocsp.c) decides what may be kept (successful answers to a
 * request with one CertID and no nonce) and checks a hit against the store
 * before it serves it.  An entry is served from its thisUpdate until half
 * of its validity has passed, so a hit never outlives its nextUpdate; it
 * is kept until its nextUpdate, so that while the HSM cannot sign the
 * responder can still serve it (ocsp_cache_get_valid).
 */
#ifndef ESEAL_OCSP_CACHE_H
#define ESEAL_OCSP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define OCSP_CACHE_MAX		10000	/* entries: 10-20 MiB of typical
					   answers, 80 MiB at most */
#define OCSP_CACHE_BUCKETS	16384	/* hash buckets, a power of two */
#define OCSP_CACHE_KEY_MAX	256	/* bytes; a DER CertID is ~100 */
#define OCSP_CACHE_RESP_MAX	(8 * 1024)	/* bytes; larger answers are
						   not kept */

/* What an entry answered, for the responder to check again on a hit. */
struct ocsp_cache_meta {
	char	 serial[STORE_SERIAL_HEX_MAX];	/* lower-case hex, as stored */
	int64_t	 this_update;	/* served from then ... */
	int64_t	 next_update;	/* ... until half-way to then */
	int	 status;	/* V_OCSP_CERTSTATUS_* */
	int	 reason;	/* CRLReason, or OCSP_REVOKED_STATUS_NOSTATUS */
	int64_t	 revoked_at;
	int64_t	 invalidity_date;	/* 0: none */
};

struct ocsp_cache_stats {
	uint64_t	hits;
	uint64_t	misses;
	uint64_t	evictions;	/* dropped to make room */
	uint64_t	invalidations;	/* dropped by ocsp_cache_invalidate */
	size_t		entries;
};

/*
 * Looks key up at time now.  On a hit returns 1 with *der a copy of the
 * response (OPENSSL_free) of *len bytes and *meta (if not NULL) filled; an
 * entry past half its validity, or asked for before its thisUpdate, is a
 * miss (and is dropped if stale).  Returns 0 on a miss, -1 when out of
 * memory.
 */
int	ocsp_cache_get(const unsigned char *key, size_t key_len, int64_t now,
	    unsigned char **der, size_t *len, struct ocsp_cache_meta *meta);

/*
 * ocsp_cache_get() for when no fresh answer can be signed (the HSM is
 * down): a hit is any entry with thisUpdate <= now < nextUpdate, however
 * old.  Same returns.
 */
int	ocsp_cache_get_valid(const unsigned char *key, size_t key_len,
	    int64_t now, unsigned char **der, size_t *len,
	    struct ocsp_cache_meta *meta);

/*
 * Keeps a copy of der under key (replacing an entry with the same key),
 * evicting the oldest entry when OCSP_CACHE_MAX are kept.  Does nothing
 * for a key or response over its limit, an entry that is stale already,
 * or when memory runs out: the cache is only ever an optimisation.
 */
void	ocsp_cache_put(const unsigned char *key, size_t key_len,
	    const unsigned char *der, size_t len,
	    const struct ocsp_cache_meta *meta);

/*
 * Drops every entry for serial (hex, any case, leading zeros optional).
 * Call it right after the serial is revoked, or its reason changed.
 */
void	ocsp_cache_invalidate(const char *serial);

/* Drops every entry (config reload, shutdown, tests). */
void	ocsp_cache_clear(void);

/* Counters since the start, and the number of entries now. */
void	ocsp_cache_stats(struct ocsp_cache_stats *out);

#endif
