/*
 * publish.c: the CRL cache, its regeneration thread and the published
 * files.  One mutex guards the cache; the thread never holds it while the
 * HSM signs.
 *
 * What must be signed comes from the store, not from memory: a revocation
 * marks its shard's CRL owed in its own transaction (store_publish.h) and
 * the CRL's transaction clears the mark, so a crash or a failed signing
 * loses nothing.  The thread signs owed and half-expired CRLs at start-up,
 * shortly after a revocation wakes it (debounced) and on every tick;
 * after a failure it retries with backoff, at once when the HSM comes
 * back, and not at all while the HSM watcher says it is down.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crl.h"
#include "issuer.h"
#include "log.h"
#include "profile.h"
#include "publish.h"
#include "publish_delta.h"
#include "publish_int.h"
#include "rotate.h"
#include "store_crldelta.h"
#include "store_publish.h"

void
published_crl_clear(struct published_crl *c)
{
	if (c == NULL)
		return;
	free(c->der);
	memset(c, 0, sizeof(*c));
}

/* CRL parameters from the current configuration (ca read lock held). */
static void
params(struct publisher *p, struct crl_params *cp, char *tmpl, size_t len,
    char *base, size_t blen)
{
	struct profile *prof = NULL;

	memset(cp, 0, sizeof(*cp));
	/*
	 * One CRL URL per shard: the default profile's template names it
	 * (docs/revocation.md: every profile of a CA must use the same one).
	 */
	if (profile_load(p->ca->conf->issue_profiles_dir,
	    p->ca->conf->issue_profile, &prof) == ESEAL_OK)
		snprintf(tmpl, len, "%s", prof->crl_url);
	else
		snprintf(tmpl, len, "{base}/crl/{issuer}/{shard}.crl");
	profile_free(prof);
	snprintf(base, blen, "%s", p->ca->conf->publish_base_url);
	cp->validity_secs = p->validity;
	cp->drop_expired = p->drop_expired;
	cp->keep_secs = (int64_t)p->ca->conf->publish_crl_keep_days * 86400;
	cp->keep_count = p->ca->conf->publish_crl_keep_count;
	cp->delta = p->ca->conf->publish_delta_crl;
	cp->url_template = tmpl;
	cp->base_url = base;
	cp->actor = "publisher";
}

/*
 * Entry i serves sc (its der taken) from now on, then its file is written:
 * the route first, a relying party's fetch need not wait for the disk.
 */
static void
install(struct publisher *p, size_t i, struct store_crl *sc)
{
	struct published_crl c;
	char path[1024];

	pthread_mutex_lock(&p->mu);
	if (p->e[i].crl.der != NULL && p->e[i].crl.number >= sc->number) {
		/* Nothing newer (esealctl may have signed one meanwhile). */
		pthread_mutex_unlock(&p->mu);
		store_crl_clear(sc);
		return;
	}
	pthread_mutex_unlock(&p->mu);
	memset(&c, 0, sizeof(c));
	c.der = sc->der;
	c.len = sc->der_len;
	sc->der = NULL;
	c.this_update = (time_t)sc->this_update;
	c.next_update = (time_t)sc->next_update;
	c.number = sc->number;
	publish_etag(c.der, c.len, c.etag);
	store_crl_clear(sc);
	pthread_mutex_lock(&p->mu);
	published_crl_clear(&p->e[i].crl);
	p->e[i].crl = c;
	pthread_mutex_unlock(&p->mu);
	/*
	 * Only this thread (or publish_refresh() before it starts) replaces
	 * or frees an entry's CRL: c.der stays valid while it is written.
	 */
	if (p->dir != NULL) {
		snprintf(path, sizeof(path), "%s/crl/%s/%d.crl", p->dir,
		    p->e[i].issuer, p->e[i].shard);
		if (publish_write_file(path, c.der, c.len) != ESEAL_OK)
			log_error("msg=\"cannot write CRL file\" error=\"%s\"",
			    eseal_errmsg());
	}
}

/* Loads the newest stored CRL of entry i into the cache, writes its file. */
static void
load_entry(struct publisher *p, size_t i)
{
	struct store_crl sc;
	int64_t next = 0;

	/* The number first: the CRL itself may be megabytes. */
	if (store_crl_next_number(p->ca->store, p->e[i].issuer_id,
	    p->e[i].shard, &next) == ESEAL_OK) {
		pthread_mutex_lock(&p->mu);
		if (p->e[i].crl.der != NULL && p->e[i].crl.number >= next - 1) {
			pthread_mutex_unlock(&p->mu);
			return;
		}
		pthread_mutex_unlock(&p->mu);
	}
	if (crl_latest(p->ca, p->e[i].issuer_id, p->e[i].shard, &sc) != ESEAL_OK)
		return;
	if (sc.number < next - 1) {
		/*
		 * A restore set the floor above it from the published CRLs
		 * (backup.h): never publish it over them; stale() makes a
		 * new one, numbered above the floor.
		 */
		store_crl_clear(&sc);
		return;
	}
	install(p, i, &sc);
}

/* 1 if entry i has no CRL yet or is past half its validity. */
static int
stale(struct publisher *p, size_t i, time_t now)
{
	time_t tu, nu;
	int r;

	pthread_mutex_lock(&p->mu);
	tu = p->e[i].crl.this_update;
	nu = p->e[i].crl.next_update;
	r = p->e[i].crl.der == NULL || now >= tu + (nu - tu) / 2;
	pthread_mutex_unlock(&p->mu);
	return r;
}

/*
 * Signs, records and serves a new CRL for entry i, the CRL just signed
 * (not read back from the store: megabytes at a million entries); then
 * the bodies retention drops, after it is served.
 */
static enum eseal_rc
sign_entry(struct publisher *p, size_t i, time_t now)
{
	struct crl_params cp;
	struct store_crl sc;
	struct issuer *is = NULL;
	char tmpl[PROFILE_URL_MAX], base[CONF_STR_MAX];
	unsigned char *der = NULL;
	size_t len;
	int64_t number;
	enum eseal_rc rc;

	if ((rc = issuer_by_id(p->ca, p->e[i].issuer_id, &is)) != ESEAL_OK)
		return rc;
	ca_rdlock(p->ca);
	params(p, &cp, tmpl, sizeof(tmpl), base, sizeof(base));
	ca_unlock(p->ca);
	cp.keep_secs = cp.keep_count = 0;	/* the pruner's (prune_run) */
	/*
	 * The served CRL is the splice's base if it is the latest (only
	 * this thread replaces it, so it stays while it is read).
	 */
	pthread_mutex_lock(&p->mu);
	cp.base_der = p->e[i].crl.der;
	cp.base_len = p->e[i].crl.len;
	cp.base_number = p->e[i].crl.number;
	pthread_mutex_unlock(&p->mu);
	/* Its copy into the database file waits until it is served. */
	store_checkpoint_defer(p->ca->store, 1);
	rc = crl_generate(p->ca, is, p->e[i].shard, now, &cp, &der, &len,
	    &number);
	cp.base_der = NULL;
	if (rc != ESEAL_OK) {
		store_checkpoint_defer(p->ca->store, 0);
		log_error("msg=\"CRL generation failed\" issuer=%s shard=%d "
		    "error=\"%s\"", p->e[i].issuer, p->e[i].shard,
		    eseal_errmsg());
		issuer_free(is);
		return rc;
	}
	log_info("msg=\"CRL published\" issuer=%s shard=%d number=%lld",
	    p->e[i].issuer, p->e[i].shard, (long long)number);
	/*
	 * Its dates as recorded, read without the body; install() frees
	 * with free(), der is OpenSSL's: one copy.  Else from the store.
	 */
	if (store_crl_delta_base(p->ca->store, p->e[i].issuer_id,
	    p->e[i].shard, &sc) == ESEAL_OK && sc.number == number &&
	    (sc.der = malloc(len)) != NULL) {
		memcpy(sc.der, der, len);
		sc.der_len = len;
		install(p, i, &sc);
	} else
		load_entry(p, i);
	OPENSSL_free(der);
	store_checkpoint_defer(p->ca->store, 0);
	/* Retention in the pruner's thread (prune_run()). */
	pthread_mutex_lock(&p->mu);
	p->e[i].prune = 1;
	p->prune_wake = 1;
	pthread_cond_signal(&p->prune_cv);
	pthread_mutex_unlock(&p->mu);
	issuer_free(is);
	return rc;
}

/*
 * The pruner: after each CRL the publisher signs, the bodies retention
 * ([publish] crl_keep_days, crl_keep_count) drops, one per transaction
 * (crl_prune()), the candidate read apart from the store's lock.
 */
static void *
prune_run(void *arg)
{
	struct publisher *p = arg;
	struct crl_params cp;
	struct issuer *is;
	char tmpl[PROFILE_URL_MAX], base[CONF_STR_MAX];
	enum eseal_rc rc;
	int64_t id;
	int shard, stop;
	size_t i, k, one;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		if (!p->prune_wake) {
			pthread_cond_wait(&p->prune_cv, &p->mu);
			continue;
		}
		p->prune_wake = 0;
		for (i = 0; i < p->n && !p->stop; i++) {
			if (!p->e[i].prune)
				continue;
			p->e[i].prune = 0;
			id = p->e[i].issuer_id;
			shard = p->e[i].shard;
			pthread_mutex_unlock(&p->mu);
			ca_rdlock(p->ca);
			params(p, &cp, tmpl, sizeof(tmpl), base, sizeof(base));
			ca_unlock(p->ca);
			is = NULL;
			rc = issuer_by_id(p->ca, id, &is);
			/* One body at a time, so that a stop need not wait. */
			for (k = 0; rc == ESEAL_OK && k < CRL_PRUNE_MAX; k++) {
				if ((rc = crl_prune_n(p->ca, is, shard,
				    time(NULL), cp.keep_secs, cp.keep_count, 1,
				    &one)) != ESEAL_OK || one == 0)
					break;
				pthread_mutex_lock(&p->mu);
				stop = p->stop;
				pthread_mutex_unlock(&p->mu);
				if (stop)
					break;
			}
			if (rc != ESEAL_OK)
				log_warn("msg=\"CRL pruning failed\" issuer=%s "
				    "shard=%d error=\"%s\"", is != NULL ?
				    is->rec.name : "?", shard, eseal_errmsg());
			issuer_free(is);
			pthread_mutex_lock(&p->mu);
			/* The entries may have been rebuilt meanwhile. */
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
publish_delta_on(struct publisher *p)
{
	int on;

	ca_rdlock(p->ca);
	on = p->ca->conf->publish_delta_crl;
	ca_unlock(p->ca);
	return on;
}

/* Entry i's delta CRL: the newest stored, or a new one over its base. */
static enum eseal_rc
delta_entry(struct publisher *p, size_t i, time_t now, int sign)
{
	struct publish_delta_where w = { p->dir, p->e[i].issuer_id,
	    p->e[i].issuer, p->e[i].shard };
	struct crl_params cp;
	struct published_crl base;
	char tmpl[PROFILE_URL_MAX], bu[CONF_STR_MAX];

	if (!sign) {
		publish_delta_load(p->ca, &w, &p->mu, &p->e[i].delta);
		return ESEAL_OK;
	}
	pthread_mutex_lock(&p->mu);
	base = p->e[i].crl;
	base.der = NULL;
	pthread_mutex_unlock(&p->mu);
	ca_rdlock(p->ca);
	params(p, &cp, tmpl, sizeof(tmpl), bu, sizeof(bu));
	ca_unlock(p->ca);
	return publish_delta_sign(p->ca, &cp, &w, &base, now, &p->mu,
	    &p->e[i].delta);
}

/*
 * With delta CRLs on, what entry i needs: 2 a base CRL (none, stale, or
 * owed with no base to complete), 1 a delta CRL (owed, or its delta is
 * not over the current base), 0 nothing.  Without: 2 if owed or stale.
 */
static int
needs(struct publisher *p, size_t i, int owed, int stale_now, int delta)
{
	int have, cur;

	pthread_mutex_lock(&p->mu);
	have = p->e[i].crl.der != NULL;
	cur = p->e[i].delta.crl.der != NULL &&
	    p->e[i].delta.base == p->e[i].crl.number;
	pthread_mutex_unlock(&p->mu);
	if (stale_now || !have || (owed && !delta))
		return 2;
	if (delta && (owed || !cur))
		return 1;
	return 0;
}

/* (Re)builds the list of issuer/shard entries from the store. */
static enum eseal_rc
load_issuers(struct publisher *p)
{
	struct store_issuer *v = NULL;
	struct entry *e = NULL;
	size_t n = 0, m = 0, total = 0;
	enum eseal_rc rc;

	if ((rc = store_issuer_generation(p->ca->store, p->gen,
	    sizeof(p->gen))) != ESEAL_OK ||
	    (rc = store_issuer_list(p->ca->store, &v, &n)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char path[1024];

		total += (size_t)v[i].crl_shards;
		/* The CA certificates are published beside the CRLs. */
		snprintf(path, sizeof(path), "%s/ca/%s.crt", p->dir ? p->dir :
		    "", v[i].name);
		if (p->dir != NULL &&
		    publish_write_file(path, v[i].cert, v[i].cert_len) != ESEAL_OK)
			log_error("msg=\"cannot write CA file\" error=\"%s\"",
			    eseal_errmsg());
	}
	publish_write_links(p->ca, p->dir, v, n);
	if (total > 0 && (e = calloc(total, sizeof(*e))) == NULL) {
		store_issuer_list_free(v, n);
		return eseal_err(ESEAL_ENOMEM, "publish: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < v[i].crl_shards; s++, m++) {
			e[m].issuer_id = v[i].id;
			snprintf(e[m].issuer, sizeof(e[m].issuer), "%s",
			    v[i].name);
			snprintf(e[m].token, sizeof(e[m].token), "%s",
			    v[i].token);
			e[m].retired = strcmp(v[i].status, "retired") == 0;
			e[m].shard = s;
		}
	store_issuer_list_free(v, n);
	pthread_mutex_lock(&p->mu);
	for (size_t i = 0; i < p->n; i++) {
		published_crl_clear(&p->e[i].crl);
		published_crl_clear(&p->e[i].delta.crl);
	}
	free(p->e);
	p->e = e;
	p->n = m;
	pthread_mutex_unlock(&p->mu);
	return ESEAL_OK;
}

/* The entry of (issuer_id, shard), or p->n if there is none. */
static size_t
find_entry(struct publisher *p, int64_t issuer_id, int shard)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->e[i].issuer_id == issuer_id && p->e[i].shard == shard)
			break;
	return i;
}

/* Copies the owed marks of the store into the entries. */
static void
read_owed(struct publisher *p)
{
	struct store_crl_owed *o = NULL;
	size_t n = 0, i;

	if (store_crl_owed_list(p->ca->store, &o, &n) != ESEAL_OK) {
		log_error("msg=\"cannot read the owed CRLs\" error=\"%s\"",
		    eseal_errmsg());
		return;		/* keep what we knew */
	}
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n; i++) {
		p->e[i].owed_since = 0;
		p->e[i].owed_count = 0;
	}
	for (size_t k = 0; k < n; k++) {
		if ((i = find_entry(p, o[k].issuer_id, o[k].shard)) == p->n)
			continue;	/* an issuer made since start-up */
		p->e[i].owed_since = o[k].since;
		p->e[i].owed_count = o[k].count;
	}
	pthread_mutex_unlock(&p->mu);
	free(o);
}

/*
 * Whether entry i may be signed now: its backoff has passed, or the HSM
 * that failed it has come back; never while the watched HSM is down.
 */
static int
due(struct publisher *p, size_t i, const struct p11_health *h, time_t now)
{
	int r;

	if (h->watched && !h->up)
		return 0;
	pthread_mutex_lock(&p->mu);
	r = now >= p->e[i].next_try ||
	    (p->e[i].hsm_failed && h->recoveries != p->e[i].recoveries);
	pthread_mutex_unlock(&p->mu);
	return r;
}

/* Keeps the outcome of a signing of entry i: reset, or back off. */
static void
signed_entry(struct publisher *p, size_t i, enum eseal_rc rc,
    const struct p11_health *h, time_t now)
{
	struct entry *e = &p->e[i];
	int64_t wait;

	pthread_mutex_lock(&p->mu);
	if (rc == ESEAL_OK) {
		e->attempts = 0;
		e->next_try = 0;
		e->hsm_failed = 0;
		e->error[0] = '\0';
		e->owed_since = 0;	/* until read_owed says otherwise */
		e->owed_count = 0;
	} else {
		e->attempts++;
		wait = PUBLISH_RETRY_MIN_SECS;
		for (int k = 1; k < e->attempts && wait < PUBLISH_RETRY_MAX_SECS;
		    k++)
			wait *= 2;
		if (wait > PUBLISH_RETRY_MAX_SECS)
			wait = PUBLISH_RETRY_MAX_SECS;
		e->next_try = now + (time_t)wait;
		e->hsm_failed = rc == ESEAL_EHSM;
		e->recoveries = h->recoveries;
		snprintf(e->error, sizeof(e->error), "%s", eseal_errmsg());
	}
	pthread_mutex_unlock(&p->mu);
}

/*
 * One round: CRLs signed elsewhere are picked up, then every owed or
 * half-expired CRL whose time has come is signed.
 */
/* The health of the token entry i's issuer key is on. */
static void
entry_health(struct publisher *p, size_t i, struct p11_health *h)
{
	struct p11_token *tok;

	memset(h, 0, sizeof(*h));
	if (ca_token(p->ca, p->e[i].token, &tok) == ESEAL_OK)
		p11_health(tok, h);
	else
		h->watched = 1;	/* not open: down */
}

/*
 * Issuers added or changed (a rotation, by esealctl or another process):
 * the entries again; then retiring issuers whose certificates have all
 * expired are retired after their final CRL.
 */
static void
follow_issuers(struct publisher *p, time_t now)
{
	struct crl_params cp;
	char gen[PUBLISH_GEN_MAX], tmpl[PROFILE_URL_MAX], base[CONF_STR_MAX];
	int n = 0;

	if (p->retire_at == 0 || now - p->retire_at >= PUBLISH_RETIRE_SECS ||
	    now < p->retire_at) {
		p->retire_at = now;
		ca_rdlock(p->ca);
		params(p, &cp, tmpl, sizeof(tmpl), base, sizeof(base));
		ca_unlock(p->ca);
		cp.actor = "eseald";
		if (rotate_retire_expired(p->ca, &cp, now, &n) != ESEAL_OK)
			log_error("msg=\"cannot retire an expired issuer\" "
			    "error=\"%s\"", eseal_errmsg());
	}
	if (store_issuer_generation(p->ca->store, gen, sizeof(gen)) !=
	    ESEAL_OK || strcmp(gen, p->gen) == 0)
		return;
	if (load_issuers(p) != ESEAL_OK) {
		log_error("msg=\"cannot read the issuers\" error=\"%s\"",
		    eseal_errmsg());
		return;
	}
	for (size_t i = 0; i < p->n; i++)
		load_entry(p, i);
}

/* Entry i's round: signs its CRL if owed or stale and its turn is due. */
static void
tick_one(struct publisher *p, size_t i, time_t now)
{
	struct p11_health h;
	enum eseal_rc rc;
	int owed, delta = publish_delta_on(p), need;

	load_entry(p, i);	/* esealctl may have signed one */
	if (delta)
		delta_entry(p, i, now, 0);
	pthread_mutex_lock(&p->mu);
	owed = p->e[i].owed_since != 0;
	pthread_mutex_unlock(&p->mu);
	/* A retired issuer's final CRL stays as it is. */
	if (p->e[i].retired && p->e[i].crl.der != NULL && !owed)
		return;
	entry_health(p, i, &h);
	if ((need = needs(p, i, owed, stale(p, i, now), delta)) == 0 ||
	    !due(p, i, &h, now))
		return;
	pthread_mutex_lock(&p->mu);
	p->e[i].building = 1;
	pthread_mutex_unlock(&p->mu);
	/* RFC 5280 5.2.4: a revocation goes out in a delta over the base. */
	rc = need == 2 ? sign_entry(p, i, now) : ESEAL_OK;
	if (rc == ESEAL_OK && delta)
		rc = delta_entry(p, i, now, 1);
	signed_entry(p, i, rc, &h, now);
	pthread_mutex_lock(&p->mu);
	p->e[i].building = 0;
	pthread_mutex_unlock(&p->mu);
}

static void
tick(struct publisher *p, time_t now)
{
	follow_issuers(p, now);
	read_owed(p);
	for (size_t i = 0; i < p->n; i++)
		tick_one(p, i, now);
}

/* 1 if entry i has a stored CRL a relying party still accepts at now. */
static int
servable(struct publisher *p, size_t i, time_t now)
{
	int r;

	pthread_mutex_lock(&p->mu);
	r = p->e[i].crl.der != NULL && now < p->e[i].crl.next_update;
	pthread_mutex_unlock(&p->mu);
	return r;
}

/* Before the thread starts only: it owns the entry list afterwards. */
static enum eseal_rc
publish_refresh(struct publisher *p)
{
	enum eseal_rc rc;

	if ((rc = load_issuers(p)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < p->n; i++)
		load_entry(p, i);
	/*
	 * No start-up block (issue 17): a shard whose last stored CRL is
	 * still valid is served as it is while the thread makes the owed
	 * and stale ones; only a shard with nothing valid to serve (none
	 * yet, expired, below a restore's floor) is signed before eseald
	 * listens.
	 */
	read_owed(p);
	for (size_t i = 0; i < p->n; i++)
		if (!servable(p, i, time(NULL)))
			tick_one(p, i, time(NULL));
	return ESEAL_OK;
}

static void *
run(void *arg)
{
	struct publisher *p = arg;
	struct timespec until, pause = { 0, PUBLISH_DEBOUNCE_MS * 1000000L };
	time_t last = time(NULL);
	int wake;

	/* What a crash or a failed signing left owed goes out first. */
	tick(p, last);
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += PUBLISH_TICK_SECS;
		if (!p->wake)
			pthread_cond_timedwait(&p->cv, &p->mu, &until);
		if (p->stop)
			break;
		wake = p->wake;
		p->wake = 0;
		pthread_mutex_unlock(&p->mu);
		if (wake)
			/* Let revocations arriving together share one CRL. */
			nanosleep(&pause, NULL);
		if (wake || time(NULL) - last >= PUBLISH_TICK_SECS) {
			last = time(NULL);
			tick(p, last);
		}
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

enum eseal_rc
publish_start(struct ca *ca, const struct publish_config *cfg,
    struct publisher **out)
{
	struct publisher *p;
	enum eseal_rc rc;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "publish: out of memory");
	p->ca = ca;
	p->validity = cfg->crl_validity;
	p->drop_expired = cfg->drop_expired;
	if (cfg->dir != NULL && cfg->dir[0] != '\0' &&
	    (p->dir = strdup(cfg->dir)) == NULL) {
		free(p);
		return eseal_err(ESEAL_ENOMEM, "publish: out of memory");
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->prune_cv, NULL);
	if (pthread_create(&p->pruner, NULL, prune_run, p) != 0) {
		pthread_cond_destroy(&p->prune_cv);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p->dir);
		free(p);
		return eseal_err(ESEAL_EINTERNAL, "publish: cannot start the "
		    "pruning thread");
	}
	p->pruner_started = 1;
	if ((rc = publish_refresh(p)) != ESEAL_OK) {
		publish_stop(p);
		return rc;
	}
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		publish_stop(p);
		return eseal_err(ESEAL_EINTERNAL, "publish: cannot start the "
		    "CRL thread");
	}
	*out = p;
	return ESEAL_OK;
}

void
publish_stop(struct publisher *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_cond_signal(&p->prune_cv);
	pthread_mutex_unlock(&p->mu);
	if (p->thread)
		pthread_join(p->thread, NULL);
	if (p->pruner_started)
		pthread_join(p->pruner, NULL);
	for (size_t i = 0; i < p->n; i++) {
		published_crl_clear(&p->e[i].crl);
		published_crl_clear(&p->e[i].delta.crl);
	}
	free(p->e);
	free(p->dir);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->prune_cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
