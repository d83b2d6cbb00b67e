/*
 * audit.h: hash-chained audit records.  Each record's hash is
 * SHA-256(prev_hash || seq || ts || actor || action || object || detail)
 * (integers as 8-byte big-endian, strings NUL-terminated), so deleting,
 * editing or reordering a record breaks the chain.
 */
#ifndef ESEAL_AUDIT_H
#define ESEAL_AUDIT_H

#include <stdint.h>

#include "err.h"
#include "store.h"

#define AUDIT_DETAIL_MAX	1024	/* longer details are cut */

/*
 * Appends one record in its own transaction, or as part of the caller's if
 * one is open on this thread (store transactions nest).
 */
enum eseal_rc	audit_append(struct store *, int64_t now, const char *actor,
		    const char *action, const char *object, const char *fmt, ...)
		    __attribute__((format(printf, 6, 7)));

/*
 * Walks the whole chain.  ESEAL_OK and *n = number of records if intact;
 * ESEAL_EINVAL naming the first broken record otherwise.
 */
enum eseal_rc	audit_verify(struct store *, int64_t *n);
/*
 * audit_verify, calling progress(arg, records checked, records in all)
 * every AUDIT_PROGRESS_EVERY records and once at the end.
 */
#define AUDIT_PROGRESS_EVERY	1000
enum eseal_rc	audit_verify_progress(struct store *, int64_t *n,
		    void (*progress)(void *, int64_t done, int64_t total),
		    void *arg);

#endif
