/*
 * profile.h: certificate profiles (conf/profiles/NAME.conf) and building
 * the TBSCertificate of an e-seal (ETSI EN 319 412-2, -3, -5) from the
 * vetted organisation record and a profile.  The request contributes only
 * its public key; the subject comes from the organisation, never from it.
 */
#ifndef ESEAL_PROFILE_H
#define ESEAL_PROFILE_H

#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "err.h"
#include "orgid.h"

#define PROFILE_ATTR_MAX	(64 * 3 + 1)	/* ub-organization-name is 64
						   characters; UTF-8 up to 3
						   bytes each (Japanese) */
#define PROFILE_URL_MAX		256	/* URL templates */
#define PROFILE_OIDS_MAX	4	/* policy OIDs, EKU OIDs */
#define PROFILE_OID_MAX		64	/* one dotted OID */
#define PROFILE_CC_MAX		8	/* QcCClegislation countries */

/* Who holds the subscriber's private key (REQUIREMENTS.md point 8). */
enum key_holder {
	HOLDER_SUBSCRIBER,	/* the organisation itself */
	HOLDER_REMOTE_SERVICE,	/* a remote sealing service acting for it */
	HOLDER_MAX
};

const char	*key_holder_name(enum key_holder);	/* "subscriber", ... */
int		 key_holder_parse(const char *);	/* -1 if unknown */

/* The vetted organisation, as the RA recorded it. */
struct org {
	char	country[3];			/* ISO 3166 alpha-2 */
	char	name[PROFILE_ATTR_MAX];		/* organizationName, UTF-8 */
	char	identifier[ORGID_MAX];		/* organizationIdentifier */
	char	common_name[PROFILE_ATTR_MAX];	/* "" = the name */
	char	unit[PROFILE_ATTR_MAX];		/* organizationalUnitName or "" */
	char	locality[PROFILE_ATTR_MAX];	/* localityName or "" */
};

enum etsi_policy {
	ETSI_POLICY_NONE,
	ETSI_POLICY_QCP_L,	/* 0.4.0.194112.1.1 */
	ETSI_POLICY_QCP_L_QSCD,	/* 0.4.0.194112.1.3: needs a QSCD key */
	ETSI_POLICY_MAX
};

struct profile {
	char	name[64];
	int	max_validity_days;
	int	ku_digital_signature;	/* 0: nonRepudiation only (type A) */
	char	policies[PROFILE_OIDS_MAX][PROFILE_OID_MAX];	/* CA's own */
	int	npolicies;
	enum etsi_policy etsi_policy;
	int	qc_compliance;		/* QcCompliance */
	int	qc_sscd;		/* QcSSCD where the request declares it */
	char	pds_url[PROFILE_URL_MAX];	/* QcPDS, "" for none */
	char	pds_lang[3];
	char	cc[PROFILE_CC_MAX][3];	/* QcCClegislation */
	int	ncc;
	int	semantics_legal;	/* pkixQCSyntax-v2 legal person */
	char	eku[PROFILE_OIDS_MAX][PROFILE_OID_MAX];	/* none by default */
	int	neku;
	char	crl_url[PROFILE_URL_MAX];	/* {base} {issuer} {shard} */
	char	ca_issuers_url[PROFILE_URL_MAX];	/* {base} {issuer} */
	char	ocsp_url[PROFILE_URL_MAX];	/* {base}, "" for none */
	int	auto_approve;		/* enrolment issues without an RA */
};

/*
 * Reads dir/name.conf.  name must be [a-z0-9-]; every error names
 * file:line and key.  *out is freed with profile_free().
 */
enum eseal_rc	profile_load(const char *dir, const char *name,
		    struct profile **out);
void		profile_free(struct profile *);

/*
 * Expands a URL template: {base} -> base, {issuer} -> issuer, {shard} ->
 * shard.  0 if it does not fit.
 */
int		profile_url(const char *tmpl, const char *base,
		    const char *issuer, int shard, char *buf, size_t len);

#define PROFILE_DELTA_SUFFIX	"-delta.crl"	/* a shard's delta CRL
						   beside its N.crl */

/*
 * The URL of the delta CRL (RFC 5280 5.2.4) published beside the CRL at
 * url: its final ".crl" becomes PROFILE_DELTA_SUFFIX ("/crl/ca/0.crl" ->
 * "/crl/ca/0-delta.crl").  0 if url does not end in ".crl" or the result
 * does not fit in len bytes.
 */
int		profile_delta_url(const char *url, char *buf, size_t len);

/*
 * Start-up check for values the shipped profiles carry only as examples,
 * which a production CA must replace (docs/profile.md, "Before
 * production"): policy and extendedKeyUsage OIDs in the ITU-T X.660
 * example arc 2.999, and URLs (base_url, a URL template not starting with
 * {base}, the PDS URL) whose host is a name reserved for examples
 * (example.com/.net/.org, example.jp, the .example, .test and .invalid
 * TLDs).  Looks at every NAME.conf in dir that loads, in name order, and
 * at base_url ([publish] base_url, the {base} of the templates) unless
 * NULL.  Calls warn once per example value with one line of key=value
 * fields (profile=, key=, value=, why="..."; no newline).  Returns how
 * many it found; 0 also when dir cannot be read.
 */
#define PROFILE_EXAMPLE_LINE_MAX	512
int		profile_example_warnings(const char *dir, const char *base_url,
		    void (*warn)(const char *line));

struct profile_input {
	const struct profile *profile;
	const struct org *org;
	X509		*issuer;	/* CA certificate: issuer name, AKI */
	const char	*issuer_name;	/* for the URLs */
	const char	*base_url;	/* publication base, for the URLs */
	int		 shard;		/* CRL shard of the serial */
	EVP_PKEY	*subject_key;	/* from the CSR */
	const X509_PUBKEY *subject_spki;	/* the CSR's, copied as
						   encoded; NULL: encoded
						   from subject_key */
	const BIGNUM	*serial;
	int64_t		 not_before, not_after;
	int		 qscd;		/* the request declares a QSCD key */
	int		 delta_crl;	/* [publish] delta_crl: a freshestCRL
					   (RFC 5280 4.2.1.15) beside the
					   distribution point */
	int		 test_second_qctype;	/* tests of lint only */
};

/*
 * Builds an unsigned e-seal certificate from the profile.  ESEAL_EPOLICY
 * when the organisation or the request cannot satisfy the profile (e.g.
 * QCP-l-qscd without a QSCD).  *out is new; the caller sets the signature
 * algorithm, lints and signs it.
 */
enum eseal_rc	profile_build(const struct profile_input *, X509 **out);

/* Adds one extension given in OpenSSL config syntax ("critical,..."). */
enum eseal_rc	profile_add_ext(X509 *x, X509 *issuer, int nid,
		    const char *value);

#endif
