/*
 * publish_delta.c: the delta CRLs of the publisher (publish_delta.h): read
 * from the store, kept in memory, written beside the base CRLs, signed
 * over the current base.  Nothing here holds the mutex while the HSM
 * signs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer.h"
#include "log.h"
#include "profile.h"
#include "publish_delta.h"
#include "store_crldelta.h"

void
publish_delta_load(struct ca *ca, const struct publish_delta_where *w,
    pthread_mutex_t *mu, struct publish_delta *slot)
{
	struct store_crl_delta d;
	struct published_crl c;
	char path[1024];

	if (store_crl_delta_latest(ca->store, w->issuer_id, w->shard, &d)
	    != ESEAL_OK)
		return;
	pthread_mutex_lock(mu);
	if (slot->crl.der != NULL && slot->crl.number >= d.c.number) {
		pthread_mutex_unlock(mu);
		store_crl_delta_clear(&d);
		return;
	}
	pthread_mutex_unlock(mu);
	memset(&c, 0, sizeof(c));
	c.der = d.c.der;
	c.len = d.c.der_len;
	d.c.der = NULL;
	c.this_update = (time_t)d.c.this_update;
	c.next_update = (time_t)d.c.next_update;
	c.number = d.c.number;
	publish_etag(c.der, c.len, c.etag);
	if (w->dir != NULL) {
		snprintf(path, sizeof(path), "%s/crl/%s/%d%s", w->dir,
		    w->issuer, w->shard, PROFILE_DELTA_SUFFIX);
		if (publish_write_file(path, c.der, c.len) != ESEAL_OK)
			log_error("msg=\"cannot write delta CRL file\" "
			    "error=\"%s\"", eseal_errmsg());
	}
	pthread_mutex_lock(mu);
	published_crl_clear(&slot->crl);
	slot->crl = c;
	slot->base = d.base_number;
	pthread_mutex_unlock(mu);
	store_crl_delta_clear(&d);
}

enum eseal_rc
publish_delta_sign(struct ca *ca, const struct crl_params *cp,
    const struct publish_delta_where *w, const struct published_crl *base,
    time_t now, pthread_mutex_t *mu, struct publish_delta *slot)
{
	struct store_crl b;
	struct store_crl_delta d;
	struct issuer *is = NULL;
	enum eseal_rc rc;

	memset(&b, 0, sizeof(b));
	b.number = base->number;
	b.this_update = base->this_update;
	b.next_update = base->next_update;
	if ((rc = issuer_by_id(ca, w->issuer_id, &is)) != ESEAL_OK)
		return rc;
	if ((rc = crl_generate_delta(ca, is, w->shard, now, cp, &b, &d))
	    != ESEAL_OK)
		log_error("msg=\"delta CRL generation failed\" issuer=%s "
		    "shard=%d error=\"%s\"", w->issuer, w->shard,
		    eseal_errmsg());
	else {
		log_info("msg=\"delta CRL published\" issuer=%s shard=%d "
		    "number=%lld base=%lld", w->issuer, w->shard,
		    (long long)d.c.number, (long long)d.base_number);
		publish_delta_load(ca, w, mu, slot);
	}
	store_crl_delta_clear(&d);
	issuer_free(is);
	return rc;
}
