/*
 * publish_query.c: what the rest of eseald asks the publisher (publish.h):
 * revocations to wake it, the owed and rebuilding shards for /healthz, a
 * copy of a shard's CRL or delta CRL for the routes.  Each takes the
 * publisher's mutex for a copy and no longer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish_int.h"

void
publish_revoked(struct publisher *p, const char *serial)
{
	(void)serial;	/* the store holds what is owed */
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->wake = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/*
 * The shards owed a CRL (owed) or being rebuilt (!owed), copied under the
 * mutex: issuer and shard always, the owed figures when owed.
 */
static enum eseal_rc
shards_where(struct publisher *p, int owed, struct publish_owed **out,
    size_t *n)
{
	struct publish_owed *v;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (p == NULL)
		return ESEAL_OK;
	pthread_mutex_lock(&p->mu);
	if ((v = calloc(p->n ? p->n : 1, sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&p->mu);
		return eseal_err(ESEAL_ENOMEM, "publish: out of memory");
	}
	for (size_t i = 0; i < p->n; i++) {
		if (owed ? p->e[i].owed_since == 0 && p->e[i].attempts == 0 :
		    !p->e[i].building)
			continue;
		snprintf(v[k].issuer, sizeof(v[k].issuer), "%s",
		    p->e[i].issuer);
		v[k].shard = p->e[i].shard;
		if (owed) {
			v[k].since = (time_t)p->e[i].owed_since;
			v[k].count = p->e[i].owed_count;
			v[k].attempts = p->e[i].attempts;
			v[k].next_try = p->e[i].next_try;
			snprintf(v[k].error, sizeof(v[k].error), "%s",
			    p->e[i].error);
		}
		k++;
	}
	pthread_mutex_unlock(&p->mu);
	if (k == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = k;
	return ESEAL_OK;
}

enum eseal_rc
publish_owed(struct publisher *p, struct publish_owed **out, size_t *n)
{
	return shards_where(p, 1, out, n);
}

enum eseal_rc
publish_building(struct publisher *p, struct publish_owed **out, size_t *n)
{
	return shards_where(p, 0, out, n);
}

/* A copy of entry i's CRL (or delta CRL) into *out: 1, or 0. */
static int
copy_crl(const struct published_crl *c, struct published_crl *out)
{
	if (c->der == NULL)
		return 0;
	*out = *c;
	if ((out->der = malloc(out->len)) == NULL) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	memcpy(out->der, c->der, out->len);
	return 1;
}

int
publish_delta_crl(struct publisher *p, const char *issuer, int shard,
    struct published_crl *out)
{
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (p == NULL || !publish_delta_on(p))
		return 0;
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n && !found; i++)
		if (p->e[i].shard == shard && strcmp(p->e[i].issuer, issuer)
		    == 0)
			found = copy_crl(&p->e[i].delta.crl, out);
	pthread_mutex_unlock(&p->mu);
	return found;
}

int
publish_crl(struct publisher *p, const char *issuer, int shard,
    struct published_crl *out)
{
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n && !found; i++)
		if (p->e[i].shard == shard && strcmp(p->e[i].issuer, issuer)
		    == 0)
			found = copy_crl(&p->e[i].crl, out);
	pthread_mutex_unlock(&p->mu);
	return found;
}
