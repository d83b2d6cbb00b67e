/*
 * ocsp_cache.c: the OCSP response cache.  A hash table (SipHash with a
 * random key per process, so a client cannot aim at one bucket) finds an
 * entry; a list in insertion order finds the oldest to evict.  Everything
 * happens under one mutex; a hit copies the response out under it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "ocsp_cache.h"
#include "serial.h"

struct entry {
	struct entry		*hnext;		/* same bucket */
	struct entry		*older, *newer;	/* insertion order */
	uint64_t		 hash;
	unsigned char		*key;
	size_t			 key_len;
	unsigned char		*der;
	size_t			 der_len;
	struct ocsp_cache_meta	 meta;
};

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry	**buckets;	/* NULL until the first put */
static struct entry	*oldest, *newest;
static unsigned char	 sipkey[crypto_shorthash_KEYBYTES];
static struct ocsp_cache_stats stats;

/* Serve until half the validity has passed: thisUpdate + (next - this) / 2. */
static int
fresh(const struct ocsp_cache_meta *m, int64_t now)
{
	return now >= m->this_update &&
	    now < m->this_update + (m->next_update - m->this_update) / 2;
}

static uint64_t
hash(const unsigned char *key, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, key, len, sipkey);
	for (size_t i = 0; i < sizeof(h); i++)
		v = (v << 8) | h[i];
	return v;
}

static struct entry **
slot(uint64_t h)
{
	return &buckets[h & (OCSP_CACHE_BUCKETS - 1)];
}

/* Unlinks e from its bucket and the age list and frees it. */
static void
drop(struct entry *e)
{
	struct entry **pp;

	for (pp = slot(e->hash); *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		newest = e->older;
	free(e->key);
	free(e->der);
	free(e);
	stats.entries--;
}

static struct entry *
find(const unsigned char *key, size_t len, uint64_t h)
{
	struct entry *e;

	for (e = *slot(h); e != NULL; e = e->hnext)
		if (e->hash == h && e->key_len == len &&
		    memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

/* The first use: the table and the SipHash key.  Called under mu. */
static int
init_locked(void)
{
	if (buckets != NULL)
		return 1;
	if (RAND_bytes(sipkey, sizeof(sipkey)) != 1)
		return 0;
	if ((buckets = calloc(OCSP_CACHE_BUCKETS, sizeof(*buckets))) == NULL)
		return 0;
	return 1;
}

/* A hit: fresh, or (any_valid) merely not past its nextUpdate. */
static int
lookup(const unsigned char *key, size_t key_len, int64_t now, int any_valid,
    unsigned char **der, size_t *len, struct ocsp_cache_meta *meta)
{
	struct entry *e = NULL;
	int ret = 0;

	*der = NULL;
	*len = 0;
	pthread_mutex_lock(&mu);
	if (buckets != NULL && key_len <= OCSP_CACHE_KEY_MAX)
		e = find(key, key_len, hash(key, key_len));
	if (e != NULL && now >= e->meta.next_update) {
		drop(e);	/* stale for good */
		e = NULL;
	} else if (e != NULL && (any_valid ? now < e->meta.this_update :
	    !fresh(&e->meta, now)))
		e = NULL;	/* kept: still valid while the HSM is away */
	if (e == NULL)
		stats.misses++;
	else if ((*der = OPENSSL_malloc(e->der_len)) == NULL)
		ret = -1;
	else {
		memcpy(*der, e->der, e->der_len);
		*len = e->der_len;
		if (meta != NULL)
			*meta = e->meta;
		stats.hits++;
		ret = 1;
	}
	pthread_mutex_unlock(&mu);
	return ret;
}

int
ocsp_cache_get(const unsigned char *key, size_t key_len, int64_t now,
    unsigned char **der, size_t *len, struct ocsp_cache_meta *meta)
{
	return lookup(key, key_len, now, 0, der, len, meta);
}

int
ocsp_cache_get_valid(const unsigned char *key, size_t key_len, int64_t now,
    unsigned char **der, size_t *len, struct ocsp_cache_meta *meta)
{
	return lookup(key, key_len, now, 1, der, len, meta);
}

void
ocsp_cache_put(const unsigned char *key, size_t key_len,
    const unsigned char *der, size_t len, const struct ocsp_cache_meta *meta)
{
	struct entry *e, *old;
	uint64_t h;

	if (key_len == 0 || key_len > OCSP_CACHE_KEY_MAX || len == 0 ||
	    len > OCSP_CACHE_RESP_MAX || !fresh(meta, meta->this_update))
		return;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->key = malloc(key_len)) == NULL ||
	    (e->der = malloc(len)) == NULL) {
		if (e != NULL)
			free(e->key);
		free(e);
		return;
	}
	memcpy(e->key, key, key_len);
	e->key_len = key_len;
	memcpy(e->der, der, len);
	e->der_len = len;
	e->meta = *meta;

	pthread_mutex_lock(&mu);
	if (!init_locked()) {
		pthread_mutex_unlock(&mu);
		free(e->key);
		free(e->der);
		free(e);
		return;
	}
	e->hash = h = hash(key, key_len);
	if ((old = find(key, key_len, h)) != NULL)
		drop(old);
	while (stats.entries >= OCSP_CACHE_MAX && oldest != NULL) {
		drop(oldest);
		stats.evictions++;
	}
	e->hnext = *slot(h);
	*slot(h) = e;
	e->older = newest;
	if (newest != NULL)
		newest->newer = e;
	else
		oldest = e;
	newest = e;
	stats.entries++;
	pthread_mutex_unlock(&mu);
}

void
ocsp_cache_invalidate(const char *serial)
{
	char norm[STORE_SERIAL_HEX_MAX];
	struct entry *e, *next;
	BIGNUM *bn = NULL;
	int n, ok;

	if (serial == NULL)
		return;
	/* The form the responder keeps: serial_hex() of the number. */
	n = BN_hex2bn(&bn, serial);
	ok = n > 0 && (size_t)n == strlen(serial) && !BN_is_negative(bn) &&
	    serial_hex(bn, norm);
	BN_free(bn);
	if (!ok)
		return;
	pthread_mutex_lock(&mu);
	for (e = oldest; buckets != NULL && e != NULL; e = next) {
		next = e->newer;
		if (strcmp(e->meta.serial, norm) == 0) {
			drop(e);
			stats.invalidations++;
		}
	}
	pthread_mutex_unlock(&mu);
}

void
ocsp_cache_clear(void)
{
	pthread_mutex_lock(&mu);
	while (oldest != NULL)
		drop(oldest);
	free(buckets);
	buckets = NULL;
	pthread_mutex_unlock(&mu);
}

void
ocsp_cache_stats(struct ocsp_cache_stats *out)
{
	pthread_mutex_lock(&mu);
	*out = stats;
	pthread_mutex_unlock(&mu);
}
