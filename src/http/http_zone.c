/*
 * http_zone.c: where a request comes from, for the secure zone (http.h,
 * http_zone_set): the client's address (the socket's peer, or behind a
 * trusted proxy the last untrusted hop of X-Forwarded-For, cidr.h) and
 * whether it lies inside [security] secure_zone.  One zone per process,
 * replaced whole on SIGHUP under a lock, so a request sees the old zone
 * or the new one and never half of each.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "conf.h"
#include "http.h"

static pthread_rwlock_t zone_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct cidr_list zone_in, zone_proxies;
static int zone_set;

enum eseal_rc
http_zone_set(const char *secure_zone, const char *trusted_proxies)
{
	struct cidr_list *z, *t;
	enum eseal_rc rc;

	if ((z = malloc(sizeof(*z))) == NULL ||
	    (t = malloc(sizeof(*t))) == NULL) {
		free(z);
		return eseal_err(ESEAL_ENOMEM, "http: out of memory");
	}
	if ((rc = cidr_list_parse(secure_zone, "[security] secure_zone", z)) ==
	    ESEAL_OK)
		rc = cidr_list_parse(trusted_proxies,
		    "[security] trusted_proxies", t);
	if (rc == ESEAL_OK) {
		pthread_rwlock_wrlock(&zone_lock);
		zone_in = *z;
		zone_proxies = *t;
		zone_set = 1;
		pthread_rwlock_unlock(&zone_lock);
	}
	free(z);
	free(t);
	return rc;
}

enum eseal_rc
http_zone_client(const char *peer, const char *xff, char *out, size_t len,
    int *in_zone)
{
	enum eseal_rc rc;

	pthread_rwlock_rdlock(&zone_lock);
	if (!zone_set) {
		/* Before any http_zone_set: the default zone, no proxy. */
		pthread_rwlock_unlock(&zone_lock);
		if ((rc = http_zone_set(CONF_SECURE_ZONE_DEFAULT, "")) !=
		    ESEAL_OK)
			return rc;
		pthread_rwlock_rdlock(&zone_lock);
	}
	rc = cidr_client_addr(&zone_proxies, peer, xff, out, len);
	*in_zone = rc == ESEAL_OK && cidr_list_match_text(&zone_in, out);
	pthread_rwlock_unlock(&zone_lock);
	return rc;
}
