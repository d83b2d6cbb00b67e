/*
 * store_sync.c: group commit.  The connection runs with synchronous=NORMAL,
 * so SQLite writes a commit's WAL frames without an fsync of its own; every
 * commit then waits here until an fdatasync() of the WAL file has covered
 * it, and one fdatasync() covers every commit written before it began.
 * Threads committing at the same moment share one flush instead of
 * queueing one each behind the store's mutex, and none of them is told
 * "committed" before its frames are on disk: the durability of
 * synchronous=FULL, at the cost of one flush per group.
 *
 * SQLite keeps the WAL file's inode for as long as a connection is open
 * (a reset overwrites or truncates it in place), so a descriptor opened
 * once stays right; checkpoints flush the WAL before copying it, as with
 * FULL.
 *
 * Test hook, for tests/reliability/t_kill_group.sh only (docs/hacking.md):
 * ESEAL_TEST_KILL_IN_GROUP=N[,MIN[,after]] in the environment of the
 * process that opens the store makes it SIGKILL itself in the Nth flush
 * covering at least MIN commits (default 2), before the fdatasync (the
 * group's commits written, none on disk for sure) or, with "after", once
 * the fdatasync has returned but before any committer of the group is
 * told: a kill -9 in the middle of a group, which no timing from outside
 * hits reliably.  Unset, nothing changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

struct store_sync {
	int		 fd;		/* the -wal file, read-only */
	uint64_t	 written;	/* commits written so far (atomic) */
	pthread_mutex_t	 mu;		/* the fields below */
	pthread_cond_t	 cv;
	uint64_t	 synced;	/* commits known on disk */
	int		 syncing;	/* a flush is under way */
	int		 err;		/* errno of the last failed flush */
	unsigned long	 flushes;
	/* The test hook (top of file); kill_n 0: off. */
	unsigned long	 kill_n, kill_min, kill_seen;
	int		 kill_after;
};

/* Reads ESEAL_TEST_KILL_IN_GROUP (top of file) into y. */
static void
kill_hook_init(struct store_sync *y)
{
	const char *v = getenv("ESEAL_TEST_KILL_IN_GROUP");
	char *end;

	if (v == NULL || *v == '\0')
		return;
	y->kill_n = strtoul(v, &end, 10);
	y->kill_min = 2;
	if (*end == ',') {
		y->kill_min = strtoul(end + 1, &end, 10);
		if (*end == ',' && strcmp(end + 1, "after") == 0) {
			y->kill_after = 1;
			end += strlen(end);
		}
	}
	if (*end != '\0' || y->kill_min == 0) {
		log_warn("msg=\"ESEAL_TEST_KILL_IN_GROUP ignored: want "
		    "N[,MIN[,after]]\" value=\"%s\"", v);
		y->kill_n = 0;
		return;
	}
	log_warn("msg=\"test hook: SIGKILL in flush %lu of at least %lu "
	    "commits, %s it (ESEAL_TEST_KILL_IN_GROUP)\"", y->kill_n,
	    y->kill_min, y->kill_after ? "after" : "before");
}

/*
 * The test hook for a flush of commits synced+1..target, with y->mu held:
 * 1 if the process is to be killed after this flush; kills it now if
 * before.
 */
static int
kill_hook(struct store_sync *y, uint64_t target)
{
	uint64_t size = target - y->synced;

	if (y->kill_n == 0 || size < y->kill_min ||
	    ++y->kill_seen != y->kill_n)
		return 0;
	log_error("msg=\"test hook: SIGKILL %s the flush of a group\" "
	    "group=%lu commits=%llu", y->kill_after ? "after" : "before",
	    y->kill_n, (unsigned long long)size);
	if (!y->kill_after)
		raise(SIGKILL);
	return 1;
}

enum eseal_rc
store_sync_open(const char *db_path, struct store_sync **out)
{
	struct store_sync *y;
	char wal[4096];

	*out = NULL;
	if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", db_path) >=
	    sizeof(wal))
		return eseal_err(ESEAL_ESTORE, "store: %s: path too long",
		    db_path);
	if ((y = calloc(1, sizeof(*y))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "store: out of memory");
	if ((y->fd = open(wal, O_RDONLY | O_CLOEXEC)) == -1) {
		int e = errno;

		free(y);
		return eseal_err(ESEAL_ESTORE, "store: %s: %s", wal,
		    strerror(e));
	}
	pthread_mutex_init(&y->mu, NULL);
	pthread_cond_init(&y->cv, NULL);
	kill_hook_init(y);
	*out = y;
	return ESEAL_OK;
}

void
store_sync_close(struct store_sync *y)
{
	if (y == NULL)
		return;
	close(y->fd);
	pthread_mutex_destroy(&y->mu);
	pthread_cond_destroy(&y->cv);
	free(y);
}

uint64_t
store_sync_written(struct store_sync *y)
{
	return __atomic_add_fetch(&y->written, 1, __ATOMIC_SEQ_CST);
}

enum eseal_rc
store_sync_wait(struct store_sync *y, uint64_t seq)
{
	enum eseal_rc rc = ESEAL_OK;
	uint64_t target;
	int r, e, kill_after;

	pthread_mutex_lock(&y->mu);
	while (y->synced < seq) {
		if (y->syncing) {
			pthread_cond_wait(&y->cv, &y->mu);
			continue;
		}
		/* Everything written up to now is in the page cache: one
		 * flush covers it all, the commits of other threads too. */
		y->syncing = 1;
		target = __atomic_load_n(&y->written, __ATOMIC_SEQ_CST);
		kill_after = kill_hook(y, target);
		pthread_mutex_unlock(&y->mu);
		r = fdatasync(y->fd);
		e = errno;
		if (kill_after)
			raise(SIGKILL);
		pthread_mutex_lock(&y->mu);
		y->syncing = 0;
		y->flushes++;
		pthread_cond_broadcast(&y->cv);
		if (r == -1) {
			y->err = e;
			rc = eseal_err(ESEAL_ESTORE, "store: commit: fdatasync "
			    "of the WAL: %s: the transaction is written but "
			    "may not survive a power loss", strerror(e));
			log_error("msg=\"store flush failed\" error=\"%s\"",
			    strerror(e));
			break;
		}
		if (target > y->synced)
			y->synced = target;
	}
	pthread_mutex_unlock(&y->mu);
	return rc;
}

unsigned long
store_sync_flushes(struct store_sync *y)
{
	unsigned long n;

	pthread_mutex_lock(&y->mu);
	n = y->flushes;
	pthread_mutex_unlock(&y->mu);
	return n;
}
