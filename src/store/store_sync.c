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
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
};

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
	int r, e;

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
		pthread_mutex_unlock(&y->mu);
		r = fdatasync(y->fd);
		e = errno;
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
