/*
 * http_zone.c: where a request comes from, for the secure zone (http.h,
 * http_zone_set): the client's address (the socket's peer, or behind a
 * trusted proxy the last untrusted hop of X-Forwarded-For, cidr.h) and
 * whether it lies inside [security] secure_zone.  Several X-Forwarded-For
 * fields are one list, in the order received (RFC 7230 3.2.2), so a proxy
 * that adds its own field cannot be outrun by one the client sent first.
 * One zone per process,
 * replaced whole on SIGHUP under a lock, so a request sees the old zone
 * or the new one and never half of each.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

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

/* Joins every X-Forwarded-For field into one list. */
struct xff_join {
	char	buf[CIDR_XFF_MAX + 2];
	size_t	len;
	int	n, over;
};

static enum MHD_Result
xff_field(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct xff_join *j = cls;
	size_t vl;

	(void)kind;
	if (key == NULL || strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	vl = value != NULL ? strlen(value) : 0;
	if (j->len + vl + 2 > CIDR_XFF_MAX) {
		j->over = 1;
		return MHD_NO;
	}
	if (j->n++ > 0) {
		memcpy(j->buf + j->len, ", ", 2);
		j->len += 2;
	}
	memcpy(j->buf + j->len, value != NULL ? value : "", vl);
	j->len += vl;
	j->buf[j->len] = '\0';
	return MHD_YES;
}

enum eseal_rc
http_zone_request(struct http_request *req, const char *peer)
{
	struct xff_join j;

	memset(&j, 0, sizeof(j));
	(void)MHD_get_connection_values(req->conn, MHD_HEADER_KIND, xff_field,
	    &j);
	if (j.over) {
		/* Too long to read: refused by cidr_client_addr if the peer
		 * is a trusted proxy, ignored otherwise. */
		memset(j.buf, 'x', CIDR_XFF_MAX + 1);
		j.buf[CIDR_XFF_MAX + 1] = '\0';
	}
	return http_zone_client(peer, j.n > 0 || j.over ? j.buf : NULL,
	    req->client_addr, sizeof(req->client_addr), &req->in_zone);
}
