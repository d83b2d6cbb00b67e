/*
 * crl.h: building, signing and recording CRLs (RFC 5280 5), one per issuer
 * key and CRL shard.  A CRL lists every revoked certificate of its issuer
 * and shard, expired or not (the extension expiredCertsOnCRL says so); its
 * number strictly increases per (issuer, shard); the HSM signs it and the
 * signature is checked with the issuer's public key before it is recorded.
 */
#ifndef ESEAL_CRL_H
#define ESEAL_CRL_H

#include <stddef.h>
#include <stdint.h>

#include "ca.h"
#include "issuer.h"
#include "store_crldelta.h"
#include "store_revoke.h"

#define CRL_VALIDITY_DEFAULT	(24 * 60 * 60)	/* nextUpdate - thisUpdate
						   unless told otherwise */
#define CRL_VALIDITY_MAX	(10 * 24 * 60 * 60) /* CA/B Forum BR 4.9.7:
						   at most ten days */
#define CRL_URL_MAX		512	/* longest shard URL */
#define CRL_NUMBER_TRIES	4	/* rebuilds when a concurrent CRL took
					   the number first */
#define CRL_OID_EXPIRED_CERTS_ON_CRL	"2.5.29.60"	/* ITU-T X.509
							   expiredCertsOnCRL */

/* How CRLs are made: from the configuration, the same for every shard. */
struct crl_params {
	int64_t		 validity_secs;	/* nextUpdate - thisUpdate; 0:
					   CRL_VALIDITY_DEFAULT */
	const char	*url_template;	/* the profile's crl_url, e.g.
					   "{base}/crl/{issuer}/{shard}.crl" */
	const char	*base_url;	/* [publish] base_url, for {base} */
	const char	*actor;		/* who asked, for the audit record */
	int		 drop_expired;	/* 1: expired revoked certificates
					   leave the CRL and no
					   expiredCertsOnCRL is sent; 0
					   (default): they stay, for long-term
					   validation of seals */
	int64_t		 keep_secs;	/* [publish] crl_keep_days: bodies of
					   older CRLs are pruned after each
					   new one; 0: no age bound */
	int64_t		 keep_count;	/* [publish] crl_keep_count: bodies
					   of CRLs with this many newer ones
					   of their shard are pruned too; 0:
					   no count bound */
	int		 delta;		/* [publish] delta_crl: base CRLs
					   carry freshestCRL (RFC 5280
					   5.2.6) naming the delta's URL */
	/*
	 * Optional: the caller's copy of the shard's CRL number
	 * base_number, byte for byte as recorded (the publisher's served
	 * CRL).  If it is the latest recorded, the incremental path splices
	 * it rather than reading megabytes back from the store.
	 */
	const unsigned char *base_der;
	size_t		 base_len;
	int64_t		 base_number;
};

/*
 * Expands a CRL URL template exactly as profile_url() does for the
 * certificates' cRLDistributionPoints ({base}, {issuer}, {shard} in
 * decimal), so that a shard's issuingDistributionPoint is byte for byte
 * the URI in its certificates.  issuer must be [a-z0-9-]; a placeholder
 * left over is refused; the result must be a plain http:// URI (RFC 5280
 * 4.2.1.13: a status check must not depend on TLS) of fewer than len
 * bytes.  ESEAL_EINVAL naming what is wrong otherwise.
 */
enum eseal_rc	crl_url(const char *tmpl, const char *base, const char *issuer,
		    int shard, char *buf, size_t len);

/*
 * Builds, signs (HSM) and records the CRL of issuer is for shard at time
 * now: v2, issuer = the CA's subject, thisUpdate now, nextUpdate now +
 * p->validity_secs (at most CRL_VALIDITY_MAX), cRLNumber one more than the
 * last of (issuer, shard), authorityKeyIdentifier (keyid),
 * expiredCertsOnCRL (the issuer's notBefore: revoked certificates stay
 * listed after they expire) and, when the issuer has more than one shard,
 * a critical issuingDistributionPoint with the shard's URL (crl_url; the
 * template must then contain "{shard}") and onlyContainsUserCerts.
 * Entries carry reasonCode (absent for unspecified) and invalidityDate
 * when known.  The CRL and one audit record ("crl.generate", p->actor) are
 * stored in one transaction.  On success *der (OPENSSL_free) holds the DER
 * CRL of *len bytes and *number its number.  ESEAL_EINVAL for a shard out
 * of range or bad parameters; ESEAL_EHSM if the token cannot sign.
 */
enum eseal_rc	crl_generate(struct ca *, const struct issuer *is, int shard,
		    int64_t now, const struct crl_params *p,
		    unsigned char **der, size_t *len, int64_t *number);

/*
 * crl_generate() for every shard of every issuer whose CA certificate is
 * still valid at now (certificates never outlive their CA, so these are
 * the issuers with certificates still to vouch for).  Stops at the first
 * failure; *made (if not NULL) counts the CRLs made.
 */
enum eseal_rc	crl_generate_all(struct ca *, int64_t now,
		    const struct crl_params *p, int *made);

/*
 * Regenerates the CRL of the issuer and shard that list serial (stored
 * form, as in struct store_revocation): what to call right after
 * revoke_cert(), so that the revocation shows within seconds.  With
 * p->delta and a base CRL still valid, a delta CRL over it instead
 * (crl_generate_delta; a base CRL if that fails).  *number (if not NULL)
 * gets the new CRL's number.  ESEAL_ENOTFOUND if there is
 * no such certificate.
 */
enum eseal_rc	crl_generate_for(struct ca *, const char *serial, int64_t now,
		    const struct crl_params *p, int64_t *number);

#define CRL_DELTA_OVERLAP_SECS	60	/* a delta CRL also lists the
					   revocations of the last minute
					   before its base: one committed
					   while the base was scanned is
					   never missed (listing one twice
					   is harmless) */

/*
 * The URL of the delta CRL of issuer's shard: crl_url() with the final
 * ".crl" made PROFILE_DELTA_SUFFIX (profile_delta_url), the URL the base
 * CRL's freshestCRL and the certificates' name.  ESEAL_EINVAL as
 * crl_url(), or if the URL does not end in ".crl".
 */
enum eseal_rc	crl_delta_url(const char *tmpl, const char *base,
		    const char *issuer, int shard, char *buf, size_t len);

/*
 * Builds, signs (HSM) and records the delta CRL (RFC 5280 5.2.4) of
 * issuer is for shard at time now that completes base (the newest base
 * CRL of (is, shard): number, this_update and next_update are read): the
 * base's extensions (AKI, a new cRLNumber from the same sequence, the
 * same issuingDistributionPoint, expiredCertsOnCRL) and a critical
 * deltaCRLIndicator with the base's number; no freshestCRL (5.2.6).  It
 * lists the revocations of the shard made since the base's thisUpdate
 * (less CRL_DELTA_OVERLAP_SECS); its nextUpdate is the base's.  Clears the
 * shard's owed marks and writes the audit record "crl.delta" in the
 * transaction that records it, then empties the bodies of the shard's
 * delta CRLs older than p->keep_secs or with p->keep_count newer ones
 * (store_crl_delta_prune).  *out
 * (store_crl_delta_clear) gets it.
 * ESEAL_EINVAL as crl_generate(); ESEAL_EEXIST if a newer base CRL was
 * recorded meanwhile (make a delta for that one).
 */
enum eseal_rc	crl_generate_delta(struct ca *, const struct issuer *is,
		    int shard, int64_t now, const struct crl_params *p,
		    const struct store_crl *base, struct store_crl_delta *out);

#define CRL_PRUNE_MAX	64	/* CRL bodies pruned after one new CRL */

/*
 * Bounded storage: drops the bodies of the CRLs of (is, shard) made before
 * now - keep_secs (keep_secs > 0) or with keep_count or more newer CRLs of
 * the shard (keep_count > 0), never the newest's, keeping number, dates,
 * SHA-256 and entry count (store_crlkeep.h); one CRL per transaction, at
 * most CRL_PRUNE_MAX per call.  Both 0: nothing is pruned.  *pruned (if
 * not NULL) counts them.
 */
enum eseal_rc	crl_prune(struct ca *, const struct issuer *is, int shard,
		    int64_t now, int64_t keep_secs, int64_t keep_count,
		    size_t *pruned);
/* The same, at most max bodies (1..CRL_PRUNE_MAX) in this call. */
enum eseal_rc	crl_prune_n(struct ca *, const struct issuer *is, int shard,
		    int64_t now, int64_t keep_secs, int64_t keep_count,
		    size_t max, size_t *pruned);

/*
 * The newest recorded CRL of (issuer_id, shard) into *out (free with
 * store_crl_clear).  ESEAL_ENOTFOUND if none has been made.
 */
enum eseal_rc	crl_latest(struct ca *, int64_t issuer_id, int shard,
		    struct store_crl *out);

#endif
