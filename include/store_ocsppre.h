/*
 * store_ocsppre.h: the store's presigned OCSP answers (table
 * ocsp_presigned of schema/017_ocsp_presign.sql), kept by eseald's
 * presigner (ocsp.h, ocsp_presign_start) and served by the responder while
 * valid.  Part of the store module: store_ocsppre.c is the only code that
 * speaks SQL for them.  Each call is one statement under the store's lock
 * (store_ocsppre_put_batch: one transaction), so none holds the store for
 * longer than a few rows take.
 */
#ifndef ESEAL_STORE_OCSPPRE_H
#define ESEAL_STORE_OCSPPRE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_OCSPPRE_HASH_MAX	8	/* "sha1", "sha256" and the NUL */

/*
 * One presigned answer.  status, reason, revoked_at and invalidity_date
 * are the revocation the answer states, as stored in revocations: status
 * 0 good (the rest 0) or 1 revoked (reason the stored CRLReason code).
 */
struct store_ocsppre {
	char		 serial[STORE_SERIAL_HEX_MAX];	/* lower-case hex */
	char		 hash[STORE_OCSPPRE_HASH_MAX];	/* of the CertID */
	int64_t		 issuer_id;
	int		 status;
	int		 reason;
	int64_t		 revoked_at;
	int64_t		 invalidity_date;		/* 0: none */
	int64_t		 this_update, next_update;
	int64_t		 refresh_at;	/* sign again from then on */
	unsigned char	*der;		/* DER OCSPResponse, owned; NULL when
					   invalidated */
	size_t		 der_len;
};

/* A certificate the presigner is to sign an answer for. */
struct store_ocsppre_due {
	char		 serial[STORE_SERIAL_HEX_MAX];
	int64_t		 issuer_id;
	int64_t		 not_after;
	int		 issued;	/* 1: status issued */
};

/* Where the walk over the certificates (by updated, serial) stands. */
struct store_ocsppre_cursor {
	int64_t		 updated;
	char		 serial[STORE_SERIAL_HEX_MAX];	/* "" before all */
};

/*
 * Records the n answers of v (replacing those of the same serial and
 * hash) in one transaction.  An answer whose revocation is no longer what
 * the store says (a revocation, or a raise of its reason, committed since
 * it was read, by this process or another) is not recorded; *kept (if not
 * NULL) gets how many were.  The answers' der must be set.
 */
enum eseal_rc	store_ocsppre_put_batch(struct store *,
		    const struct store_ocsppre *v, size_t n, size_t *kept);

/*
 * The answer for serial and hash into *out (free with
 * store_ocsppre_clear).  ESEAL_ENOTFOUND if there is none or it was
 * invalidated.
 */
enum eseal_rc	store_ocsppre_get(struct store *, const char *serial,
		    const char *hash, struct store_ocsppre *out);

/*
 * Invalidates every answer for serial (der NULL, refresh_at 0: the first
 * the presigner signs again).  For revoke_cert(), inside its transaction.
 */
enum eseal_rc	store_ocsppre_invalidate(struct store *, const char *serial);

/* Drops every answer for serial (expired, or no longer issued). */
enum eseal_rc	store_ocsppre_delete(struct store *, const char *serial);

/*
 * Up to max answers of hash whose refresh_at is at or before now, the
 * earliest first, as certificates to sign for: *out (free()) of *n.
 */
enum eseal_rc	store_ocsppre_due(struct store *, const char *hash,
		    int64_t now, size_t max, struct store_ocsppre_due **out,
		    size_t *n);

/*
 * One step of the walk over the certificates: at most scan_max rows after
 * *cur in (updated, serial) order.  Those issued, unexpired at now and
 * without an answer of hash go to *out (free()), *n of them, at most max:
 * the walk stops before the row that would be one more.  *cur moves past
 * the last row walked; *end is 1 when the walk reached the last
 * certificate.  *covered (if not NULL) gets how many walked rows issued
 * and unexpired had an answer.
 */
enum eseal_rc	store_ocsppre_unseen(struct store *, const char *hash,
		    int64_t now, struct store_ocsppre_cursor *cur,
		    size_t scan_max, size_t max,
		    struct store_ocsppre_due **out, size_t *n,
		    size_t *covered, int *end);

/*
 * What monitoring reads, through the refresh_at index only (never a scan
 * of the table): *due the answers to sign again at now (invalidated ones
 * included), *earliest the earliest refresh_at (0 if no answer).
 */
enum eseal_rc	store_ocsppre_backlog(struct store *, int64_t now,
		    int64_t *due, int64_t *earliest);

/* Frees the der of *r and zeroes it.  Accepts NULL. */
void		store_ocsppre_clear(struct store_ocsppre *);

#endif
