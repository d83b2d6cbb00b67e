/*
 * store_crlscan.h: the revocations of one issuer handed over one row at a
 * time, for the streaming CRL writer (crl_stream.h): nothing of the whole
 * list is held in memory by the store.  Part of the store module:
 * store_crlscan.c is the only code that speaks SQL for the scan.
 */
#ifndef ESEAL_STORE_CRLSCAN_H
#define ESEAL_STORE_CRLSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"
#include "store_revoke.h"

/*
 * Takes one revocation (valid only during the call; requested_by is left
 * empty): ESEAL_OK for the next one, any other enum eseal_rc (its message
 * set with eseal_err) to stop the scan with that result.
 */
typedef enum eseal_rc	(*store_crlscan_fn)(const struct store_revocation *,
			    void *arg);

/*
 * Every revocation of a certificate issued by issuer_id, expired or not,
 * with the serials a restore took from published CRLs (revoked_unknown),
 * in ascending numeric serial order (the order of OpenSSL's
 * X509_CRL_sort: shorter hex first, then by hex digits), each handed to
 * fn.  *n (if not NULL) gets the number of rows handed over.  The store's
 * lock is held for the scan.
 */
enum eseal_rc	store_crlscan(struct store *, int64_t issuer_id,
		    store_crlscan_fn fn, void *arg, size_t *n);

/*
 * Takes one serial marked owed (store_publish.h) and its revocation as
 * store_crlscan() hands it (valid only during the call), r NULL if the
 * store lists no revocation of it by this issuer; found counts the rows
 * that do (2: both revocations and revoked_unknown).  Results as for
 * store_crlscan_fn.
 */
typedef enum eseal_rc	(*store_crlowed_fn)(const char *serial,
			    const struct store_revocation *r, int found,
			    void *arg);

/*
 * Every serial owed to the CRL of (issuer_id, shard), once each, in
 * store_crlscan()'s order, handed to fn: what changed since the last
 * CRL of the shard was scanned (crl_splice.h).  *n (if not NULL) gets the
 * number handed over.  One statement: one snapshot of the store.
 */
enum eseal_rc	store_crlscan_owed(struct store *, int64_t issuer_id,
		    int shard, store_crlowed_fn fn, void *arg, size_t *n);

#endif
