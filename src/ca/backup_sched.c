/*
 * backup_sched.c: eseald's scheduled backups (backup.h): one thread that
 * wakes every BACKUP_SCHED_TICK_SECS, reads [backup] from the current
 * configuration and, when backup_due() says a backup is due (interval
 * after the last good one, retry after a failed one), makes it with
 * backup_create().  The main loop never waits for it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup.h"
#include "log.h"
#include "store_backup.h"

#define SCHED_ACTOR	"eseald:schedule"
#define SCHED_LABEL	"scheduled"	/* unless [backup] label says */

struct backup_sched {
	struct ca		*ca;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stop;
	struct backup_schedule	 s;
};

/* What one scheduled backup needs, copied from the configuration. */
struct sched_conf {
	char	list[CONF_PATH_MAX];
	char	recipients[CONF_PATH_MAX];
	char	label[CONF_STR_MAX];
	int	allow_same_device;
	int	retry;
};

/* The schedule from the current configuration, under its read lock. */
static void
read_conf(struct backup_sched *b, struct sched_conf *c)
{
	const struct conf *cf;

	ca_rdlock(b->ca);
	cf = b->ca->conf;
	b->s.interval = cf->backup_interval;
	b->s.retry = cf->backup_retry;
	snprintf(c->list, sizeof(c->list), "%s", cf->backup_destinations);
	snprintf(c->recipients, sizeof(c->recipients), "%s",
	    cf->backup_recipients);
	snprintf(c->label, sizeof(c->label), "%s", cf->backup_label[0] ?
	    cf->backup_label : SCHED_LABEL);
	c->allow_same_device = cf->backup_allow_same_device;
	c->retry = cf->backup_retry;
	ca_unlock(b->ca);
}

/* One scheduled backup; the schedule learns how it went. */
static void
run_one(struct backup_sched *b, const struct sched_conf *c, int64_t now)
{
	struct backup_dest_result res[BACKUP_DESTS_MAX];
	struct backup_params p;
	const char *dests[BACKUP_DESTS_MAX];
	char list[CONF_PATH_MAX];
	int n;

	b->s.last_try = now;
	b->s.last_failed = 1;
	snprintf(list, sizeof(list), "%s", c->list);
	if ((n = backup_split(list, dests, BACKUP_DESTS_MAX)) < 0) {
		log_error("msg=\"scheduled backup not made\" error=\"%s\"",
		    eseal_errmsg());
		return;
	}
	memset(&p, 0, sizeof(p));
	p.dests = dests;
	p.ndests = (size_t)n;
	p.label = c->label;
	p.recipients = c->recipients;
	p.allow_same_device = c->allow_same_device;
	p.actor = SCHED_ACTOR;
	if (backup_create(b->ca, &p, now, res, NULL) != ESEAL_OK) {
		log_error("msg=\"scheduled backup failed\" retry_secs=%d "
		    "error=\"%s\"", c->retry, eseal_errmsg());
		return;
	}
	b->s.last_failed = 0;
	b->s.last_ok = now;
}

static void *
sched_main(void *arg)
{
	struct backup_sched *b = arg;
	struct sched_conf c;
	struct timespec until;

	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		pthread_mutex_unlock(&b->mu);
		read_conf(b, &c);
		if (backup_due(&b->s, (int64_t)time(NULL)))
			run_one(b, &c, (int64_t)time(NULL));
		pthread_mutex_lock(&b->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += BACKUP_SCHED_TICK_SECS;
		while (!b->stop && pthread_cond_timedwait(&b->cv, &b->mu,
		    &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

enum eseal_rc
backup_sched_start(struct ca *ca, struct backup_sched **out)
{
	struct backup_sched *b;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "backup: out of memory");
	b->ca = ca;
	/* The schedule goes on from the last good backup in the store. */
	if (store_backup_last_ok(ca->store, &b->s.last_ok) != ESEAL_OK) {
		free(b);
		return ESEAL_ESTORE;
	}
	b->s.last_try = b->s.last_ok;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if (pthread_create(&b->thread, NULL, sched_main, b) != 0) {
		pthread_cond_destroy(&b->cv);
		pthread_mutex_destroy(&b->mu);
		free(b);
		return eseal_err(ESEAL_EINTERNAL, "backup: cannot start the "
		    "schedule's thread");
	}
	*out = b;
	return ESEAL_OK;
}

void
backup_sched_stop(struct backup_sched *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}
