/*
 * ocsp_signer.h: delegated OCSP signing certificates (RFC 6960 4.2.2.2,
 * second case).  A signer is a key generated on the token and a
 * certificate for it, issued by one of our issuer keys, with keyUsage
 * digitalSignature, extendedKeyUsage id-kp-OCSPSigning and
 * id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1: relying parties do not check
 * its status, so it lives short).  The certificate is issued like any
 * other: its TBS is recorded pending in the store before the issuer key
 * signs it on the HSM.  When [ocsp] signer = delegated, the responder signs
 * an issuer's answers with that issuer's current signer (ocsp.h).
 */
#ifndef ESEAL_OCSP_SIGNER_H
#define ESEAL_OCSP_SIGNER_H

#include <stdint.h>

#include <openssl/x509.h>

#include "ca.h"
#include "issuer.h"
#include "keytype.h"
#include "store_ocsp.h"

#define OCSP_SIGNER_DAYS_DEFAULT 90	/* validity when none is asked for */
#define OCSP_SIGNER_DAYS_MAX	 365	/* ocsp-nocheck: it cannot be revoked
					   in practice, so keep it short
					   (RFC 6960 4.2.2.2.1) */
#define OCSP_SIGNER_CN_SUFFIX	" OCSP responder"
#define OCSP_SIGNER_KEY_ID_BYTES 16	/* CKA_ID of a new signer key */

struct ocsp_signer {
	struct store_ocsp_signer rec;
	X509			*cert;	/* the signer's certificate */
	EVP_PKEY		*pub;	/* its public key (no HSM reference) */
};

/*
 * Creates a delegated OCSP signer for the issuer is at time now:
 *   - the module may generate keys and the crypto policy allows type
 *     (issuer_may_generate: a FIPS refusal leaves an audit record);
 *   - a key of that type is generated on the token (label
 *     "eseal-ocsp-<issuer name>");
 *   - its certificate is built (subject C and O of the issuer, CN "<the
 *     issuer's CN> OCSP responder"; validity validity_days, 0:
 *     OCSP_SIGNER_DAYS_DEFAULT, cut to end with the issuer's), recorded
 *     pending, signed by the issuer key and checked (issuer_sign);
 *   - in one transaction: the certificate becomes issued, the signer is
 *     recorded active, the issuer's older signers are retired, and the
 *     audit records cert.issue and ocsp.signer.create are written.
 * *out (if not NULL) gets the new signer.  Returns ESEAL_EINVAL for a
 * validity out of range, ESEAL_EPOLICY when the FIPS registry, the crypto
 * policy or the issuer's own validity refuse, ESEAL_EHSM when the token
 * cannot be reached (a certificate already recorded stays pending, to be
 * finished at the next open by issue_recover()).
 */
enum eseal_rc	ocsp_signer_create(struct ca *, const struct issuer *is,
		    enum key_type type, int validity_days, int64_t now,
		    const char *actor, struct ocsp_signer **out);

/*
 * The signer that signs issuer_id's OCSP answers at now: the newest active
 * one whose certificate is valid then.  ESEAL_ENOTFOUND if it has none.
 * *out is new (ocsp_signer_free).
 */
enum eseal_rc	ocsp_signer_current(struct ca *, int64_t issuer_id,
		    int64_t now, struct ocsp_signer **out);

/* Frees a signer.  Accepts NULL. */
void		ocsp_signer_free(struct ocsp_signer *);

#endif
