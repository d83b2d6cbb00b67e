/*
 * ocsp_int.h: what the responder (ocsp.c) and the presigner
 * (ocsp_presign.c) share.  Private to src/ca/.
 */
#ifndef ESEAL_OCSP_INT_H
#define ESEAL_OCSP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "issuer.h"
#include "ocsp_req.h"

/* A certificate's status as an OCSP SingleResponse states it. */
struct ocsp_status {
	int	 status;	/* V_OCSP_CERTSTATUS_* */
	int	 reason;	/* CRLReason, or OCSP_REVOKED_STATUS_NOSTATUS
				   (the stored reason unspecified, 0) */
	int64_t	 revoked_at;
	int64_t	 invalidity_date;	/* 0: none */
};

/*
 * The status of serial (stored hex) for issuer is: good only for a
 * certificate it issued and did not revoke, revoked as recorded (or as a
 * restored CRL listed it), unknown otherwise.  Only a store failure is an
 * error.  In ocsp.c.
 */
enum eseal_rc	ocsp_status_of(struct ca *, const struct issuer *is,
		    const char *serial, struct ocsp_status *st);

/*
 * Signs the successful answer to r, whose CertIDs all name is, at now:
 * each CertID's status read from the store, the request's nonce echoed
 * (none: none), signed by is's delegated signer when delegated and it
 * has one (validity then cut to its notAfter), by the issuer key
 * otherwise, and checked as a client would.  *der (OPENSSL_free) of
 * *len bytes, *first the status of the first CertID, *next_update the
 * answer's nextUpdate.  ESEAL_EHSM or ESEAL_ESTORE when the HSM or the
 * store cannot be reached.  In ocsp.c.
 */
enum eseal_rc	ocsp_sign_answer(struct ca *, const struct issuer *is,
		    const struct ocsp_req *r, int delegated, int64_t now,
		    int64_t validity, unsigned char **der, size_t *len,
		    struct ocsp_status *first, int64_t *next_update);

/*
 * The presigned answer to r (one SHA-1 CertID) if there is one valid at
 * now (thisUpdate <= now < nextUpdate), whose CertID is r's, and whose
 * status is still what the store says: 1 with *der (OPENSSL_free) and
 * *next_update set; 0 for none.  In ocsp_presign.c.
 */
int		ocsp_presigned_get(struct ca *, const struct ocsp_req *r,
		    int64_t now, unsigned char **der, size_t *len,
		    int64_t *next_update);

#endif
