/*
 * profile.h: building the TBSCertificate of an end-entity certificate from
 * the vetted organisation and the subscriber's public key.  The subject
 * comes from the organisation record, never from the request.
 */
#ifndef ESEAL_PROFILE_H
#define ESEAL_PROFILE_H

#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "err.h"

#define PROFILE_ATTR_MAX	128	/* X.520 ub-organization-name is 64 chars;
					   UTF-8 Japanese needs up to 3 bytes each */

/* The vetted organisation, as the RA recorded it. */
struct org {
	char	country[3];			/* ISO 3166 alpha-2 */
	char	name[PROFILE_ATTR_MAX * 3];	/* organizationName, UTF-8 */
	char	common_name[PROFILE_ATTR_MAX * 3]; /* "" = the name */
};

struct profile_input {
	const struct org *org;
	X509		*issuer;	/* CA certificate: issuer name, AKI */
	EVP_PKEY	*subject_key;	/* from the CSR */
	const BIGNUM	*serial;
	int64_t		 not_before, not_after;
};

/*
 * Builds an unsigned end-entity certificate: v3, serial, issuer, validity,
 * subject from the organisation, the key, and the extensions (keyUsage
 * nonRepudiation critical, basicConstraints cA FALSE, SKI, AKI).  *out is
 * new; the caller sets the signature algorithm and signs it.
 */
enum eseal_rc	profile_build(const struct profile_input *, X509 **out);

/* Adds one extension given in OpenSSL config syntax ("critical,..."). */
enum eseal_rc	profile_add_ext(X509 *x, X509 *issuer, int nid,
		    const char *value);

#endif
