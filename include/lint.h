/*
 * lint.h: checks a built, not yet signed certificate against the e-seal
 * rules and its profile, before the HSM is asked to sign it.  A failure
 * stops issuance with the rule's name; it never reaches the HSM.
 */
#ifndef ESEAL_LINT_H
#define ESEAL_LINT_H

#include <stdint.h>

#include <openssl/x509.h>

#include "err.h"
#include "policy.h"
#include "profile.h"

#define LINT_SERIAL_MIN_OCTETS	9	/* >= 64 random bits, positive */
#define LINT_SERIAL_MAX_OCTETS	20	/* RFC 5280 4.1.2.2 */

struct lint_input {
	const struct profile	*profile;
	X509			*issuer;	/* the CA certificate */
	const struct policy	*policy;	/* crypto policy */
	int64_t			 now;
	int			 qscd;		/* the request declared a QSCD */
	const struct org	*org;		/* the vetted subject; NULL: not
						   compared */
	EVP_PKEY		*subject_key;	/* the request's key; NULL: not
						   compared */
	const X509_PUBKEY	*subject_spki;	/* the request's SPKI: compared
						   byte for byte (subject_key
						   then required); NULL: the
						   keys are compared */
};

/*
 * ESEAL_OK if x (with its TBS signature algorithm set) obeys every rule;
 * otherwise ESEAL_EPOLICY and a message "lint: <clause>: <what>" naming
 * the first rule broken.
 */
enum eseal_rc	lint_cert(const struct lint_input *, X509 *x);

#endif
