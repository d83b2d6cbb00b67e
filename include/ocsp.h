/*
 * ocsp.h: the RFC 6960 responder core.  The CA answers for its own
 * certificates, signed by the issuer key that signed them or, when asked
 * to, by that issuer's delegated OCSP signer (ocsp_signer.h): status good
 * only for a certificate it issued and did not revoke, revoked with time
 * and reason, unknown for anything else.  Answers to the same nonce-less
 * question may be served again from memory (ocsp_cache.h).  Parsing a
 * request needs neither store nor HSM, so it can be fuzzed on its own.
 */
#ifndef ESEAL_OCSP_H
#define ESEAL_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include "ca.h"

#define OCSP_REQUEST_MAX	(16 * 1024)	/* bytes: 16 CertIDs, a nonce and
						   a signature with a chain fit */
#define OCSP_CERTIDS_MAX	16	/* CertIDs answered in one response */
#define OCSP_NONCE_MAX		32	/* RFC 8954 2.1: 1 to 32 octets */
#define OCSP_VALIDITY_DEFAULT	(60 * 60)	/* nextUpdate - thisUpdate:
						   how long caches may keep it */
#define OCSP_VALIDITY_MAX	(10 * 24 * 60 * 60) /* CA/B Forum BR 4.9.10 */
#define OCSP_FALLBACK_LOG_SECS	300	/* "no delegated signer" is logged at
					   most this often */

struct ocsp_req;

/*
 * Parses and checks a DER OCSPRequest of len bytes: exactly one DER
 * value, at most OCSP_REQUEST_MAX bytes, 1 to OCSP_CERTIDS_MAX CertIDs,
 * each with a SHA-1 or SHA-256 hash algorithm and hashes of that length
 * and a serial of at most 20 octets; a nonce of 1 to OCSP_NONCE_MAX
 * octets, at most once; no critical extension we do not know.  A
 * signature on the request is neither required nor checked.  On success
 * *out is new (free with ocsp_req_free); otherwise ESEAL_EINVAL naming the
 * rule (to be answered malformedRequest).
 */
enum eseal_rc	ocsp_request_parse(const unsigned char *der, size_t len,
		    struct ocsp_req **out);

/* Number of CertIDs in a parsed request. */
int		ocsp_req_count(const struct ocsp_req *);

/* Frees a parsed request.  Accepts NULL. */
void		ocsp_req_free(struct ocsp_req *);

/*
 * Answers the DER OCSPRequest req of len bytes at time now, always with a
 * DER OCSPResponse in *resp (OPENSSL_free) of *resp_len bytes:
 *   malformedRequest  the request does not parse or breaks a rule above;
 *   unauthorized      a CertID names no issuer of ours (its issuerNameHash
 *                     and issuerKeyHash match none), or the CertIDs name
 *                     more than one of our issuers;
 *   tryLater          the HSM or the store cannot be reached now;
 *   internalError     anything else that went wrong;
 *   successful        a BasicOCSPResponse signed by the issuer key (HSM),
 *                     responderID byKey, producedAt and thisUpdate now,
 *                     nextUpdate now + validity_secs (0:
 *                     OCSP_VALIDITY_DEFAULT), the request's nonce echoed,
 *                     and in each SingleResponse archiveCutoff = the
 *                     issuer's notBefore (status is kept after expiry) and
 *                     invalidityDate when known.
 * *status (if not NULL) gets the OCSP_RESPONSE_STATUS_* sent; when it is
 * not successful, eseal_errmsg() says why, for the log.  Returns ESEAL_OK
 * whenever *resp is set; ESEAL_ENOMEM only when not even an error
 * response could be encoded.
 */
enum eseal_rc	ocsp_respond(struct ca *, const unsigned char *req, size_t len,
		    int64_t now, int64_t validity_secs, unsigned char **resp,
		    size_t *resp_len, int *status);

/* How the responder answers ([ocsp] in eseald.conf). */
struct ocsp_options {
	int64_t	validity_secs;	/* nextUpdate - thisUpdate, 0:
				   OCSP_VALIDITY_DEFAULT */
	int	delegated;	/* 1: sign with the issuer's current delegated
				   OCSP signer; the issuer key if it has none */
	int	cache;		/* 1: serve from, and keep answers in, the
				   response cache */
	int	presign;	/* 1: serve presigned answers (ocsp_presign.h) */
};

/*
 * ocsp_respond() with options; ocsp_respond() is this with only
 * validity_secs set.
 *
 * delegated: when the issuer the CertIDs name has a delegated OCSP signer
 * valid at now (ocsp_signer_current), its key on the token signs, the
 * responderID is the hash of its key, its certificate is the one in the
 * response's certs, and nextUpdate is cut to its notAfter.  When it has
 * none (or its key is gone from the token), the issuer key signs as above
 * and a warning is logged (at most every OCSP_FALLBACK_LOG_SECS).
 *
 * cache: a request with exactly one CertID and no nonce may be answered
 * with the bytes of an earlier answer to the same CertID (same hash
 * algorithm, same options) until half its validity has passed, after its
 * status has been read again from the store: a revocation shows at once
 * even if ocsp_cache_invalidate() was not called (another process
 * revoked).  Only good and revoked answers are kept.  A request with a
 * nonce is always signed afresh and never kept.
 *
 * presign: a request with exactly one SHA-1 CertID and no nonce is
 * answered with the presigned answer for it (ocsp_presign.h) while that
 * is valid at now and the store still says what it states; a request
 * with a nonce gets a fresh signature, and the presigned answer (without
 * a nonce) only when none can be signed (tryLater otherwise).
 *
 * *next_update (if not NULL) gets the answer's nextUpdate, 0 when it is
 * not successful, so that HTTP caching never outlives it.
 */
enum eseal_rc	ocsp_respond_opts(struct ca *, const unsigned char *req,
		    size_t len, int64_t now, const struct ocsp_options *,
		    unsigned char **resp, size_t *resp_len, int *status,
		    int64_t *next_update);

#endif
