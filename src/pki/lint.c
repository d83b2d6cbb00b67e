/*
 * lint.c: the pre-issuance lint.  It reads the certificate back through
 * OpenSSL's own parsers (not the values we meant to put in), so what it
 * checks is what a relying party will see.  Each check cites its clause.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "lint.h"
#include "orgid.h"
#include "qcs.h"

#define FAIL(...)	eseal_err(ESEAL_EPOLICY, "lint: " __VA_ARGS__)

static enum eseal_rc
lint_serial(X509 *x)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	const unsigned char *d = ASN1_STRING_get0_data(sn);
	int len = ASN1_STRING_length(sn);

	if (ASN1_STRING_type(sn) != V_ASN1_INTEGER)
		return FAIL("RFC 5280 4.1.2.2: serial number is not positive");
	/*
	 * RFC 5280 4.1.2.2 counts the octets of the DER INTEGER, sign octet
	 * included: a 20-octet magnitude with its top bit set takes 21.
	 */
	if (len + (len > 0 && (d[0] & 0x80) != 0) > LINT_SERIAL_MAX_OCTETS)
		return FAIL("RFC 5280 4.1.2.2: serial number longer than 20 "
		    "octets");
	if (len < LINT_SERIAL_MIN_OCTETS)
		return FAIL("CA/B BR 7.1: serial number shorter than %d octets "
		    "(64 random bits)", LINT_SERIAL_MIN_OCTETS);
	return ESEAL_OK;
}

static enum eseal_rc
lint_validity(const struct lint_input *in, X509 *x)
{
	const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
	int days, secs;

	if (ASN1_TIME_compare(nb, X509_get0_notBefore(in->issuer)) < 0 ||
	    ASN1_TIME_compare(na, X509_get0_notAfter(in->issuer)) > 0)
		return FAIL("RFC 5280 6.1.3: validity outside the issuer's");
	if (!ASN1_TIME_diff(&days, &secs, nb, na) || days < 0 ||
	    (days == 0 && secs <= 0))
		return FAIL("RFC 5280 4.1.2.5: notAfter not after notBefore");
	if (days > in->profile->max_validity_days ||
	    (days == in->profile->max_validity_days && secs > 0))
		return FAIL("profile %s: validity of %d days exceeds the "
		    "maximum of %d", in->profile->name, days,
		    in->profile->max_validity_days);
	return ESEAL_OK;
}

/* 1 if v holds exactly the bytes of want. */
static int
attr_is(const ASN1_STRING *v, const char *want)
{
	size_t n = strlen(want);

	return v != NULL && (size_t)ASN1_STRING_length(v) == n &&
	    memcmp(ASN1_STRING_get0_data(v), want, n) == 0;
}

/* EN 319 412-3 4.2.1: the subject of a legal person. */
static enum eseal_rc
lint_subject(const struct lint_input *in, X509 *x)
{
	const X509_NAME *n = X509_get_subject_name(x);
	const struct org *org = in->org;
	const ASN1_STRING *o = NULL, *oi = NULL, *cv = NULL, *cnv = NULL,
	    *ouv = NULL, *lv = NULL;
	struct orgid id;
	int c = 0, on = 0, oin = 0, cn = 0, ou = 0, l = 0;

	for (int i = 0; i < X509_NAME_entry_count(n); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);

		switch (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e))) {
		case NID_countryName:
			c++;
			cv = v;
			if (ASN1_STRING_type(v) != V_ASN1_PRINTABLESTRING ||
			    ASN1_STRING_length(v) != 2)
				return FAIL("RFC 5280 4.1.2.4: countryName must "
				    "be a two-letter PrintableString");
			break;
		case NID_organizationName:
			on++;
			o = v;
			break;
		case NID_organizationIdentifier:
			oin++;
			oi = v;
			break;
		case NID_commonName:
			cn++;
			cnv = v;
			break;
		case NID_organizationalUnitName:
			ou++;
			ouv = v;
			break;
		case NID_localityName:
			l++;
			lv = v;
			break;
		default:
			return FAIL("EN 319 412-3 4.2.1: subject attribute %s "
			    "is not in the e-seal profile", OBJ_nid2sn(
			    OBJ_obj2nid(X509_NAME_ENTRY_get_object(e))));
		}
	}
	if (c != 1 || on != 1 || oin != 1 || cn != 1)
		return FAIL("EN 319 412-3 4.2.1: the subject needs exactly one "
		    "countryName, organizationName, organizationIdentifier "
		    "and commonName (has %d, %d, %d, %d)", c, on, oin, cn);
	if (ou > 1 || l > 1)
		return FAIL("EN 319 412-3 4.2.1: more than one "
		    "organizationalUnitName or localityName");
	if (ASN1_STRING_length(o) == ASN1_STRING_length(oi) &&
	    memcmp(ASN1_STRING_get0_data(o), ASN1_STRING_get0_data(oi),
	    (size_t)ASN1_STRING_length(o)) == 0)
		return FAIL("EN 319 412-3 4.2.1: organizationIdentifier equals "
		    "organizationName");
	if (orgid_parse_mem(ASN1_STRING_get0_data(oi),
	    (size_t)ASN1_STRING_length(oi), &id) != ESEAL_OK)
		return FAIL("EN 319 412-1 5.1.4: organizationIdentifier: %s",
		    eseal_errmsg());
	/* The subject comes from the vetted record, and only from it. */
	if (org != NULL && (!attr_is(cv, org->country) ||
	    !attr_is(o, org->name) || !attr_is(oi, org->identifier) ||
	    !attr_is(cnv, org->common_name[0] != '\0' ? org->common_name :
	    org->name) || (org->unit[0] != '\0' ? !attr_is(ouv, org->unit) :
	    ouv != NULL) || (org->locality[0] != '\0' ?
	    !attr_is(lv, org->locality) : lv != NULL)))
		return FAIL("EN 319 412-3 4.2.1: the subject is not the vetted "
		    "organisation's");
	return ESEAL_OK;
}

/* The policy OIDs: the profile's own, in order, then the ETSI one. */
static enum eseal_rc
lint_policies(const struct lint_input *in, X509 *x)
{
	const struct profile *p = in->profile;
	CERTIFICATEPOLICIES *cp;
	const char *etsi = NULL;
	char buf[PROFILE_OID_MAX];
	int n, ok;

	if (p->etsi_policy == ETSI_POLICY_QCP_L)
		etsi = OID_QCP_L;
	else if (p->etsi_policy == ETSI_POLICY_QCP_L_QSCD)
		etsi = OID_QCP_L_QSCD;
	n = p->npolicies + (etsi != NULL);
	if ((cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL))
	    == NULL)
		return n == 0 ? ESEAL_OK : FAIL("EN 319 412-2 4.3.3: "
		    "certificatePolicies missing");
	ok = sk_POLICYINFO_num(cp) == n;
	for (int i = 0; ok && i < n; i++) {
		OBJ_obj2txt(buf, sizeof(buf),
		    sk_POLICYINFO_value(cp, i)->policyid, 1);
		ok = strcmp(buf, i < p->npolicies ? p->policies[i] : etsi) == 0;
	}
	CERTIFICATEPOLICIES_free(cp);
	return ok ? ESEAL_OK : FAIL("EN 319 412-2 4.3.3: certificatePolicies "
	    "differ from profile %s", p->name);
}

/*
 * The certificate is not signed yet, so OpenSSL's cached extension values
 * (X509_get_key_usage() and friends) may predate the last extension
 * added: everything here decodes the extensions themselves.
 */
static uint32_t
key_usage(X509 *x)
{
	ASN1_BIT_STRING *bs = X509_get_ext_d2i(x, NID_key_usage, NULL, NULL);
	uint32_t ku = 0;

	if (bs == NULL)
		return 0;
	for (int i = 0; i < 9; i++)
		if (ASN1_BIT_STRING_get_bit(bs, i))
			ku |= i == 8 ? KU_DECIPHER_ONLY : (0x80u >> i);
	ASN1_BIT_STRING_free(bs);
	return ku;
}

/* 1 if x's AKI keyIdentifier equals the issuer's SKI, both present. */
static int
aki_matches(X509 *x, X509 *issuer)
{
	AUTHORITY_KEYID *akid = X509_get_ext_d2i(x,
	    NID_authority_key_identifier, NULL, NULL);
	ASN1_OCTET_STRING *skid = X509_get_ext_d2i(issuer,
	    NID_subject_key_identifier, NULL, NULL);
	int ok;

	ok = akid != NULL && akid->keyid != NULL && skid != NULL &&
	    ASN1_OCTET_STRING_cmp(akid->keyid, skid) == 0;
	AUTHORITY_KEYID_free(akid);
	ASN1_OCTET_STRING_free(skid);
	return ok;
}

static enum eseal_rc
lint_extensions(const struct lint_input *in, X509 *x)
{
	const struct profile *p = in->profile;
	uint32_t ku = key_usage(x), want;
	ASN1_OCTET_STRING *skid;
	BASIC_CONSTRAINTS *bc;
	AUTHORITY_INFO_ACCESS *aia;
	EXTENDED_KEY_USAGE *eku;
	int crit, ca_issuers = 0, ocsp = 0;

	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));

		if (X509_EXTENSION_get_critical(e) && nid != NID_key_usage &&
		    nid != NID_basic_constraints)
			return FAIL("EN 319 412-2 4.3: extension %s must not be "
			    "critical", OBJ_nid2sn(nid));
		if (X509_get_ext_by_OBJ(x, X509_EXTENSION_get_object(e), i) != -1)
			return FAIL("RFC 5280 4.2: extension %s appears twice",
			    OBJ_nid2sn(nid));
	}
	/* keyUsage: present, critical, exactly as configured. */
	want = KU_NON_REPUDIATION | (p->ku_digital_signature ?
	    KU_DIGITAL_SIGNATURE : 0);
	if (X509_get_ext_by_NID(x, NID_key_usage, -1) < 0 ||
	    !X509_EXTENSION_get_critical(X509_get_ext(x,
	    X509_get_ext_by_NID(x, NID_key_usage, -1))))
		return FAIL("EN 319 412-2 4.3.2: keyUsage must be present and "
		    "critical");
	if (ku != want)
		return FAIL("EN 319 412-2 4.3.2: keyUsage is not %s",
		    p->ku_digital_signature ? "digitalSignature+nonRepudiation" :
		    "nonRepudiation");
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	if (bc != NULL && bc->ca) {
		BASIC_CONSTRAINTS_free(bc);
		return FAIL("RFC 5280 4.2.1.9: an e-seal certificate must not "
		    "be a CA (basicConstraints cA TRUE)");
	}
	BASIC_CONSTRAINTS_free(bc);
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (eku != NULL && p->neku == 0) {
		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
		return FAIL("EN 319 412-2 4.3.3: extendedKeyUsage present but "
		    "not configured in profile %s", p->name);
	}
	if (eku == NULL && p->neku > 0)
		return FAIL("profile %s: extendedKeyUsage missing", p->name);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	/* Key identifiers. */
	if ((skid = X509_get_ext_d2i(x, NID_subject_key_identifier, NULL,
	    NULL)) == NULL)
		return FAIL("RFC 5280 4.2.1.2: subjectKeyIdentifier missing");
	ASN1_OCTET_STRING_free(skid);
	if (!aki_matches(x, in->issuer))
		return FAIL("RFC 5280 4.2.1.1: authorityKeyIdentifier does not "
		    "match the issuer's subjectKeyIdentifier");
	/* Where relying parties find status and the issuer. */
	if (X509_get_ext_by_NID(x, NID_crl_distribution_points, -1) < 0)
		return FAIL("EN 319 412-2 4.3.11: cRLDistributionPoints "
		    "missing");
	if ((aia = X509_get_ext_d2i(x, NID_info_access, &crit, NULL)) != NULL) {
		for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
			int m = OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia,
			    i)->method);

			ca_issuers += m == NID_ad_ca_issuers;
			ocsp += m == NID_ad_OCSP;
		}
		AUTHORITY_INFO_ACCESS_free(aia);
	}
	if (ca_issuers == 0)
		return FAIL("EN 319 412-2 4.4.1: authorityInfoAccess caIssuers "
		    "missing");
	if ((ocsp > 0) != (p->ocsp_url[0] != '\0'))
		return FAIL("profile %s: OCSP URL %s", p->name, ocsp ?
		    "present but not configured" : "missing");
	return lint_policies(in, x);
}

/* EN 319 412-5: the QC statements. */
static enum eseal_rc
lint_qcs(const struct lint_input *in, X509 *x)
{
	const struct profile *p = in->profile;
	struct qcs_info qi;
	X509_EXTENSION *e;
	const ASN1_OCTET_STRING *v;
	int i = X509_get_ext_by_NID(x, NID_qcStatements, -1);

	if (i < 0)
		return FAIL("EN 319 412-5 4.2.3: qcStatements missing: without "
		    "QcType eseal the certificate reads as a signature "
		    "certificate");
	e = X509_get_ext(x, i);
	v = X509_EXTENSION_get_data(e);
	if (qcs_decode(ASN1_STRING_get0_data(v), ASN1_STRING_length(v), &qi)
	    != ESEAL_OK)
		return FAIL("EN 319 412-5: %s", eseal_errmsg());
	if (qi.qctype_statements != 1 || qi.eseal_types != 1 ||
	    qi.other_types != 0)
		return FAIL("EN 319 412-5 4.2.3: exactly one QcType, eseal, is "
		    "required (found %d QcType statements, %d eseal, %d other)",
		    qi.qctype_statements, qi.eseal_types, qi.other_types);
	if (qi.compliance != (p->qc_compliance ? 1 : 0))
		return FAIL("EN 319 412-5 4.2.1: QcCompliance %s", p->qc_compliance
		    ? "missing" : "present but not in the profile");
	if (qi.sscd != ((p->qc_sscd && in->qscd) ? 1 : 0))
		return FAIL("EN 319 412-5 4.2.2: QcSSCD %s", qi.sscd ?
		    "present but the key is not declared to be in a QSCD" :
		    "missing");
	if (qi.pds != (p->pds_url[0] != '\0') || qi.cc != (p->ncc > 0) ||
	    qi.semantics_legal != (p->semantics_legal ? 1 : 0) ||
	    qi.unknown != 0)
		return FAIL("EN 319 412-5 4.3: QC statements differ from "
		    "profile %s", p->name);
	return ESEAL_OK;
}

/*
 * The TBS signature algorithm against the crypto policy.  Only the
 * algorithms the CA itself uses are mapped (RSA PKCS#1 v1.5, ECDSA); any
 * other, RSA-PSS included, is refused here until the CA signs with it.
 */
static enum eseal_rc
lint_signature(const struct lint_input *in, X509 *x)
{
	const X509_ALGOR *alg = X509_get0_tbs_sigalg(x);
	const ASN1_OBJECT *obj;
	int sig, md, pk, type;

	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	sig = OBJ_obj2nid(obj);
	if (sig == NID_undef || !OBJ_find_sigid_algs(sig, &md, &pk) ||
	    md == NID_undef)
		return FAIL("RFC 5280 4.1.2.3: signature algorithm not known "
		    "to the CA");
	if (pk == NID_rsaEncryption)
		type = EVP_PKEY_RSA;
	else if (pk == NID_X9_62_id_ecPublicKey)
		type = EVP_PKEY_EC;
	else
		return FAIL("RFC 5280 4.1.2.3: signature algorithm %s is not "
		    "one the CA signs with", OBJ_nid2sn(sig));
	if (policy_check_signature(in->policy, type, md, (time_t)in->now)
	    != ESEAL_OK)
		return FAIL("%s", eseal_errmsg());
	return ESEAL_OK;
}

/* 1 if a and b are the same SubjectPublicKeyInfo, byte for byte. */
static int
spki_same(const X509_PUBKEY *a, const X509_PUBKEY *b)
{
	const unsigned char *ka, *kb;
	X509_ALGOR *aa, *ab;
	int la, lb;

	return X509_PUBKEY_get0_param(NULL, &ka, &la, &aa, a) &&
	    X509_PUBKEY_get0_param(NULL, &kb, &lb, &ab, b) &&
	    aa != NULL && ab != NULL && X509_ALGOR_cmp(aa, ab) == 0 &&
	    la == lb && memcmp(ka, kb, (size_t)la) == 0;
}

enum eseal_rc
lint_cert(const struct lint_input *in, X509 *x)
{
	enum eseal_rc rc;
	EVP_PKEY *k;

	if (X509_get_version(x) != X509_VERSION_3)
		return FAIL("RFC 5280 4.1.2.1: version must be v3");
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(in->issuer)) != 0)
		return FAIL("RFC 5280 4.1.2.4: issuer name is not the CA's "
		    "subject");
	if (in->subject_spki != NULL) {
		/* As encoded: no decoding of the certificate's key again. */
		if (spki_same(X509_get_X509_PUBKEY(x),
		    X509_get_X509_PUBKEY(in->issuer)))
			return FAIL("the subject key is the issuer's key");
		if (!spki_same(X509_get_X509_PUBKEY(x), in->subject_spki))
			return FAIL("RFC 5280 4.1.2.7: the subject key is not "
			    "the request's key");
		k = in->subject_key;
	} else
		k = X509_get0_pubkey(x);
	if (k == NULL || EVP_PKEY_eq(k, X509_get0_pubkey(in->issuer)) == 1)
		return FAIL("the subject key is the issuer's key");
	if (in->subject_spki == NULL && in->subject_key != NULL &&
	    EVP_PKEY_eq(k, in->subject_key) != 1)
		return FAIL("RFC 5280 4.1.2.7: the subject key is not the "
		    "request's key");
	if ((rc = lint_serial(x)) != ESEAL_OK ||
	    (rc = lint_validity(in, x)) != ESEAL_OK ||
	    (rc = lint_subject(in, x)) != ESEAL_OK ||
	    (rc = lint_extensions(in, x)) != ESEAL_OK ||
	    (rc = lint_qcs(in, x)) != ESEAL_OK ||
	    (rc = lint_signature(in, x)) != ESEAL_OK) {
		ERR_clear_error();
		return rc;
	}
	return ESEAL_OK;
}
