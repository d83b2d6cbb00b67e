/*
 * test_lint.c: the pre-issuance lint, through the real pipeline.  On a
 * SoftHSM CA made at test time, issue_cert() builds the certificate from
 * the profile and a test_tamper hook then breaks one rule; lint must refuse
 * it with ESEAL_EPOLICY naming the rule, before the HSM is asked to sign
 * (p11_key_uses() unchanged) and before a row is written.  Also: the QC
 * statements' encoder and decoder, and profile_load() on the shipped
 * profiles and on bad ones (tests/data/profile/bad/).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "ca.h"
#include "csr.h"
#include "issue.h"
#include "issuer.h"
#include "lint.h"
#include "profile.h"
#include "qcs.h"
#include "testutil.h"

#define DAY	86400

/* --- fixture: a SoftHSM token and a CA, as in test_issue.c ------------- */

/* What a tamper hook needs besides the certificate (it gets no argument). */
static X509			*g_issuer;	/* the CA certificate */
static const struct profile	*g_profile;

static const char *
top(void)
{
	const char *t = getenv("ESEAL_TOP");

	return t != NULL ? t : ".";
}

static void
setup(struct tu_ca *f)
{
	tu_ca_setup(f, "lint", "ec-p256", 1);
	g_issuer = f->issuer->cert;
	g_profile = f->profile;
}

static void
teardown(struct tu_ca *f)
{
	g_issuer = NULL;
	g_profile = NULL;
	tu_ca_teardown(f);
}

static void
request(struct tu_ca *f, struct issue_request *req, void (*tamper)(X509 *))
{
	memset(req, 0, sizeof(*req));
	req->profile = f->profile;
	req->org = &f->org;
	req->csr = f->csr;
	req->validity_days = 365;
	req->actor = "test";
	req->test_tamper = tamper;
}

/* --- helpers for the tamper hooks -------------------------------------- */

/* Replaces the extension of x with ext's OID by ext (owned), in place. */
static void
replace_ext(X509 *x, X509_EXTENSION *ext)
{
	int i = X509_get_ext_by_OBJ(x, X509_EXTENSION_get_object(ext), -1);

	ck_assert_int_ge(i, 0);
	X509_EXTENSION_free(X509_delete_ext(x, i));
	ck_assert_int_eq(X509_add_ext(x, ext, i), 1);
	X509_EXTENSION_free(ext);
}

static void
remove_ext(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	ck_assert_int_ge(i, 0);
	X509_EXTENSION_free(X509_delete_ext(x, i));
	ck_assert_int_lt(X509_get_ext_by_NID(x, nid, -1), 0);
}

/* An extension from OpenSSL's config syntax ("critical,CA:TRUE"). */
static X509_EXTENSION *
conf_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, g_issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(ext);
	return ext;
}

/* The qcs_spec the profile would use; the caller then changes one thing. */
static void
spec_of_profile(const struct profile *p, int qscd, struct qcs_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->compliance = p->qc_compliance;
	s->sscd = p->qc_sscd && qscd;
	s->pds_url = p->pds_url[0] != '\0' ? p->pds_url : NULL;
	s->pds_lang = p->pds_lang;
	for (int i = 0; i < p->ncc; i++)
		s->cc[s->ncc++] = p->cc[i];
	s->semantics_legal = p->semantics_legal;
}

static X509_EXTENSION *
qcs_ext(const struct qcs_spec *s, int critical)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;
	unsigned char *der;
	int len;

	ck_assert_int_eq(qcs_encode(s, &der, &len), ESEAL_OK);
	ck_assert_ptr_nonnull(os);
	ck_assert_int_eq(ASN1_OCTET_STRING_set(os, der, len), 1);
	ext = X509_EXTENSION_create_by_NID(NULL, NID_qcStatements, critical,
	    os);
	ck_assert_ptr_nonnull(ext);
	ASN1_OCTET_STRING_free(os);
	OPENSSL_free(der);
	return ext;
}

/* Replaces the subject by one of (nid, value) pairs, ended by 0. */
static void
set_subject(X509 *x, const int *nids, const char *const *values)
{
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(n);
	for (int i = 0; nids[i] != 0; i++)
		ck_assert_int_eq(X509_NAME_add_entry_by_NID(n, nids[i],
		    nids[i] == NID_countryName ? MBSTRING_ASC : MBSTRING_UTF8,
		    (const unsigned char *)values[i], -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	X509_NAME_free(n);
}

static time_t
not_before(X509 *x)
{
	struct tm tm;

	ck_assert_int_eq(ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm), 1);
	return timegm(&tm);
}

static void
set_serial_hex(X509 *x, const char *hex, int negative)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn;

	ck_assert_int_gt(BN_hex2bn(&bn, hex), 0);
	BN_set_negative(bn, negative);
	ck_assert_ptr_nonnull(sn = BN_to_ASN1_INTEGER(bn, NULL));
	ck_assert_int_eq(X509_set_serialNumber(x, sn), 1);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
}

/* --- the tamper hooks: each breaks exactly one rule -------------------- */

static void
t_two_qctypes(X509 *x)
{
	struct qcs_spec s;

	spec_of_profile(g_profile, 0, &s);
	s.test_second_qctype = 1;
	replace_ext(x, qcs_ext(&s, 0));
}

static void
t_ca_true(X509 *x)
{
	X509_EXTENSION *ext = conf_ext(x, NID_basic_constraints,
	    "critical,CA:TRUE");

	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

static void
t_ku_digital_signature_only(X509 *x)
{
	replace_ext(x, conf_ext(x, NID_key_usage, "critical,digitalSignature"));
}

static void
t_ku_not_critical(X509 *x)
{
	replace_ext(x, conf_ext(x, NID_key_usage, "nonRepudiation"));
}

static void
t_eku_added(X509 *x)
{
	X509_EXTENSION *ext = conf_ext(x, NID_ext_key_usage, "emailProtection");

	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

static void
t_qcs_removed(X509 *x)
{
	remove_ext(x, NID_qcStatements);
}

static void
t_qcs_critical(X509 *x)
{
	struct qcs_spec s;

	spec_of_profile(g_profile, 0, &s);
	replace_ext(x, qcs_ext(&s, 1));
}

static void
t_qcsscd_added(X509 *x)
{
	struct qcs_spec s;

	spec_of_profile(g_profile, 0, &s);
	s.sscd = 1;			/* the request declared no QSCD */
	replace_ext(x, qcs_ext(&s, 0));
}

static void
t_qccompliance_added(X509 *x)
{
	struct qcs_spec s;

	spec_of_profile(g_profile, 0, &s);
	s.compliance = 1;		/* the profile eseal is not qualified */
	replace_ext(x, qcs_ext(&s, 0));
}

static void
t_crldp_removed(X509 *x)
{
	remove_ext(x, NID_crl_distribution_points);
}

static void
t_aia_removed(X509 *x)
{
	remove_ext(x, NID_info_access);
}

/* The profile names an OCSP responder: AIA without it is refused. */
static void
t_ocsp_removed(X509 *x)
{
	replace_ext(x, conf_ext(x, NID_info_access,
	    "caIssuers;URI:http://127.0.0.1:8080/ca/test-ca.crt"));
}

static void
t_policies_removed(X509 *x)
{
	remove_ext(x, NID_certificate_policies);
}

static void
t_ski_removed(X509 *x)
{
	remove_ext(x, NID_subject_key_identifier);
}

static void
t_ski_twice(X509 *x)
{
	X509_EXTENSION *ext = X509_EXTENSION_dup(X509_get_ext(x,
	    X509_get_ext_by_NID(x, NID_subject_key_identifier, -1)));

	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

static void
t_aki_wrong(X509 *x)
{
	static const unsigned char other[20] = { 0x42, 0x42, 0x42, 0x42 };
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	X509_EXTENSION *ext;

	ck_assert_ptr_nonnull(akid);
	ck_assert_ptr_nonnull(akid->keyid = ASN1_OCTET_STRING_new());
	ck_assert_int_eq(ASN1_OCTET_STRING_set(akid->keyid, other,
	    sizeof(other)), 1);
	ext = X509V3_EXT_i2d(NID_authority_key_identifier, 0, akid);
	ck_assert_ptr_nonnull(ext);
	AUTHORITY_KEYID_free(akid);
	replace_ext(x, ext);
}

static void
t_no_organization_identifier(X509 *x)
{
	static const int nids[] = { NID_countryName, NID_organizationName,
	    NID_commonName, 0 };
	static const char *const v[] = { "JP", "株式会社テスト",
	    "株式会社テスト" };

	set_subject(x, nids, v);
}

static void
t_orgid_equals_o(X509 *x)
{
	static const int nids[] = { NID_countryName, NID_organizationName,
	    NID_organizationIdentifier, NID_commonName, 0 };
	static const char *const v[] = { "JP", "NTRJP-7123456789012",
	    "NTRJP-7123456789012", "株式会社テスト" };

	set_subject(x, nids, v);
}

static void
t_two_common_names(X509 *x)
{
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(X509_get_subject_name(x),
	    NID_commonName, MBSTRING_UTF8, (const unsigned char *)"second",
	    -1, -1, 0), 1);
}

static void
t_email_attribute(X509 *x)
{
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(X509_get_subject_name(x),
	    NID_pkcs9_emailAddress, MBSTRING_ASC,
	    (const unsigned char *)"seal@example.jp", -1, -1, 0), 1);
}

static void
t_country_utf8(X509 *x)
{
	static const int nids[] = { NID_countryName, NID_organizationName,
	    NID_organizationIdentifier, NID_commonName, 0 };
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(n, NID_countryName,
	    V_ASN1_UTF8STRING, (const unsigned char *)"JP", -1, -1, 0), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(n, nids[1], MBSTRING_UTF8,
	    (const unsigned char *)"株式会社テスト", -1, -1, 0), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(n, nids[2], MBSTRING_UTF8,
	    (const unsigned char *)"NTRJP-7123456789012", -1, -1, 0), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(n, nids[3], MBSTRING_UTF8,
	    (const unsigned char *)"株式会社テスト", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	X509_NAME_free(n);
}

static void
t_orgid_bad_check_digit(X509 *x)
{
	static const int nids[] = { NID_countryName, NID_organizationName,
	    NID_organizationIdentifier, NID_commonName, 0 };
	static const char *const v[] = { "JP", "株式会社テスト",
	    "NTRJP-8123456789012", "株式会社テスト" };

	set_subject(x, nids, v);
}

static void
t_not_after_beyond_issuer(X509 *x)
{
	struct tm tm;

	ck_assert_int_eq(ASN1_TIME_to_tm(X509_get0_notAfter(g_issuer), &tm), 1);
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x),
	    timegm(&tm) + DAY));
}

static void
t_validity_over_profile_max(X509 *x)
{
	/* A day more than max_validity_days, well inside the CA's. */
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x),
	    not_before(x) + (time_t)(g_profile->max_validity_days + 1) * DAY));
}

static void
t_not_after_equals_not_before(X509 *x)
{
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x),
	    not_before(x)));
}

static void
t_serial_8_octets(X509 *x)
{
	set_serial_hex(x, "0102030405060708", 0);
}

static void
t_serial_negative(X509 *x)
{
	/* 16 octets, as drawn, but negative. */
	set_serial_hex(x, "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", 1);
}

static void
t_serial_21_octets(X509 *x)
{
	set_serial_hex(x, "010203040506070809101112131415161718192021", 0);
}

/* 20 octets of magnitude with the top bit set: 21 DER octets. */
static void
t_serial_20_top_bit(X509 *x)
{
	set_serial_hex(x, "8102030405060708091011121314151617181920", 0);
}

static void
t_issuer_changed(X509 *x)
{
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(n, NID_countryName,
	    MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_NID(n, NID_commonName,
	    MBSTRING_UTF8, (const unsigned char *)"Another CA", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, n), 1);
	X509_NAME_free(n);
}

static void
t_issuer_key_as_subject_key(X509 *x)
{
	ck_assert_int_eq(X509_set_pubkey(x, X509_get0_pubkey(g_issuer)), 1);
}

static void
t_version_1(X509 *x)
{
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_1), 1);
}

static const struct {
	const char	*what;
	void		(*fn)(X509 *);
	const char	*want;		/* substring of the refusal */
} tampers[] = {
	{ "two QcTypes", t_two_qctypes,
	  "lint: EN 319 412-5 4.2.3: exactly one QcType, eseal, is required "
	  "(found 2 QcType statements" },
	{ "basicConstraints CA:TRUE", t_ca_true, "lint: RFC 5280 4.2.1.9" },
	{ "keyUsage digitalSignature only", t_ku_digital_signature_only,
	  "lint: EN 319 412-2 4.3.2: keyUsage is not nonRepudiation" },
	{ "keyUsage not critical", t_ku_not_critical,
	  "lint: EN 319 412-2 4.3.2: keyUsage must be present and critical" },
	{ "extendedKeyUsage added", t_eku_added,
	  "lint: EN 319 412-2 4.3.3: extendedKeyUsage present" },
	{ "qcStatements removed", t_qcs_removed,
	  "lint: EN 319 412-5 4.2.3: qcStatements missing" },
	{ "qcStatements critical", t_qcs_critical,
	  "extension qcStatements must not be critical" },
	{ "QcSSCD without a declared QSCD", t_qcsscd_added,
	  "lint: EN 319 412-5 4.2.2: QcSSCD present but the key is not "
	  "declared to be in a QSCD" },
	{ "QcCompliance not in the profile", t_qccompliance_added,
	  "lint: EN 319 412-5 4.2.1: QcCompliance present" },
	{ "CRL DP removed", t_crldp_removed,
	  "lint: EN 319 412-2 4.3.11: cRLDistributionPoints missing" },
	{ "AIA removed", t_aia_removed,
	  "lint: EN 319 412-2 4.4.1: authorityInfoAccess caIssuers missing" },
	{ "OCSP URL removed", t_ocsp_removed,
	  "lint: profile eseal: OCSP URL missing" },
	{ "certificatePolicies removed", t_policies_removed,
	  "certificatePolicies missing" },
	{ "SKI removed", t_ski_removed,
	  "lint: RFC 5280 4.2.1.2: subjectKeyIdentifier missing" },
	{ "SKI twice", t_ski_twice,
	  "lint: RFC 5280 4.2: extension subjectKeyIdentifier appears twice" },
	{ "AKI wrong", t_aki_wrong, "lint: RFC 5280 4.2.1.1: "
	  "authorityKeyIdentifier does not match" },
	{ "no organizationIdentifier", t_no_organization_identifier,
	  "lint: EN 319 412-3 4.2.1: the subject needs exactly one "
	  "countryName, organizationName, organizationIdentifier and "
	  "commonName (has 1, 1, 0, 1)" },
	{ "organizationIdentifier = organizationName", t_orgid_equals_o,
	  "lint: EN 319 412-3 4.2.1: organizationIdentifier equals "
	  "organizationName" },
	{ "two commonNames", t_two_common_names,
	  "lint: EN 319 412-3 4.2.1: the subject needs exactly one" },
	{ "emailAddress in the subject", t_email_attribute,
	  "lint: EN 319 412-3 4.2.1: subject attribute emailAddress is not in "
	  "the e-seal profile" },
	{ "countryName as UTF8String", t_country_utf8,
	  "lint: RFC 5280 4.1.2.4: countryName must be a two-letter "
	  "PrintableString" },
	{ "organizationIdentifier with a bad check digit",
	  t_orgid_bad_check_digit, "lint: EN 319 412-1 5.1.4: "
	  "organizationIdentifier: " },
	{ "notAfter beyond the issuer's", t_not_after_beyond_issuer,
	  "lint: RFC 5280 6.1.3: validity outside the issuer's" },
	{ "validity over the profile maximum", t_validity_over_profile_max,
	  "lint: profile eseal: validity of 1096 days exceeds the maximum of "
	  "1095" },
	{ "notAfter = notBefore", t_not_after_equals_not_before,
	  "lint: RFC 5280 4.1.2.5: notAfter not after notBefore" },
	{ "serial of 8 octets", t_serial_8_octets,
	  "lint: CA/B BR 7.1: serial number shorter than 9 octets" },
	{ "serial negative", t_serial_negative,
	  "lint: RFC 5280 4.1.2.2: serial number is not positive" },
	{ "serial of 21 octets", t_serial_21_octets,
	  "lint: RFC 5280 4.1.2.2: serial number longer than 20 octets" },
	{ "serial of 20 octets, top bit set", t_serial_20_top_bit,
	  "lint: RFC 5280 4.1.2.2: serial number longer than 20 octets" },
	{ "issuer name changed", t_issuer_changed,
	  "lint: RFC 5280 4.1.2.4: issuer name is not the CA's subject" },
	{ "the issuer's key as subject key", t_issuer_key_as_subject_key,
	  "lint: the subject key is the issuer's key" },
	{ "version 1", t_version_1,
	  "lint: RFC 5280 4.1.2.1: version must be v3" },
};

/* --- lint through issue_cert --------------------------------------------- */

START_TEST(test_tamper_refused)
{
	struct tu_ca f;
	struct issue_request req;
	struct issue_result res;
	unsigned long uses;
	int64_t pending, issued, failed, audit, audit2;
	enum eseal_rc rc;

	setup(&f);
	request(&f, &req, tampers[_i].fn);
	uses = p11_key_uses(f.ca.token);
	ck_assert_int_eq(audit_verify(f.ca.store, &audit), ESEAL_OK);
	pending = store_cert_count(f.ca.store, CERT_PENDING);
	issued = store_cert_count(f.ca.store, CERT_ISSUED);
	failed = store_cert_count(f.ca.store, CERT_FAILED);
	eseal_errclear();

	rc = issue_cert(&f.ca, &req, time(NULL), &res);
	/* (a) refused by a rule, (b) naming it, on one line. */
	ck_assert_msg(rc == ESEAL_EPOLICY, "%s: rc %s (%s)", tampers[_i].what,
	    eseal_rcname(rc), eseal_errmsg());
	ck_assert_msg(strstr(eseal_errmsg(), tampers[_i].want) != NULL,
	    "%s: error \"%s\" lacks \"%s\"", tampers[_i].what, eseal_errmsg(),
	    tampers[_i].want);
	ck_assert_msg(strncmp(eseal_errmsg(), "lint: ", 6) == 0 &&
	    strchr(eseal_errmsg(), '\n') == NULL, "%s: \"%s\"",
	    tampers[_i].what, eseal_errmsg());
	ck_assert_ptr_null(res.der);
	/* (c) the HSM was never asked. */
	ck_assert_msg(p11_key_uses(f.ca.token) == uses, "%s: the HSM signed",
	    tampers[_i].what);
	/* (d) nothing recorded. */
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_PENDING), pending);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_ISSUED), issued);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_FAILED), failed);
	ck_assert_int_eq(pending + issued + failed, 0);
	ck_assert_int_eq(audit_verify(f.ca.store, &audit2), ESEAL_OK);
	ck_assert_int_eq(audit2, audit);
	teardown(&f);
}
END_TEST

static void
t_nothing(X509 *x)
{
	(void)x;
}

/* The untouched certificate passes, and the HSM signs exactly once. */
START_TEST(test_untampered_passes)
{
	struct tu_ca f;
	struct issue_request req;
	struct issue_result res;
	const unsigned char *p;
	unsigned long uses;
	X509 *x;

	setup(&f);
	request(&f, &req, t_nothing);
	uses = p11_key_uses(f.ca.token);
	ck_assert_msg(issue_cert(&f.ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 1);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_ISSUED), 1);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_PENDING), 0);
	p = res.der;
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)res.der_len));
	ck_assert_ptr_eq(p, res.der + res.der_len);
	ck_assert_int_eq(X509_verify(x, f.issuer->pub), 1);
	X509_free(x);
	issue_result_clear(&res);
	teardown(&f);
}
END_TEST

/* Exactly the profile's maximum validity is allowed (the boundary). */
START_TEST(test_max_validity_passes)
{
	struct tu_ca f;
	struct issue_request req;
	struct issue_result res;
	const unsigned char *p;
	unsigned long uses;
	int days, secs;
	X509 *x;

	setup(&f);
	request(&f, &req, NULL);
	req.validity_days = f.profile->max_validity_days;
	uses = p11_key_uses(f.ca.token);
	ck_assert_msg(issue_cert(&f.ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses + 1);
	p = res.der;
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)res.der_len));
	ck_assert_int_eq(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	ck_assert_int_eq(days, 1095);
	ck_assert_int_eq(secs, 0);
	X509_free(x);
	issue_result_clear(&res);
	teardown(&f);
}
END_TEST

/* A QSCD request with the profile's qc_sscd: QcSSCD present and accepted. */
START_TEST(test_qscd_request_passes)
{
	struct tu_ca f;
	struct issue_request req;
	struct issue_result res;
	struct qcs_info qi;
	const unsigned char *p;
	const ASN1_OCTET_STRING *v;
	X509 *x;

	setup(&f);
	request(&f, &req, NULL);
	req.holder = HOLDER_REMOTE_SERVICE;
	req.qscd = 1;
	ck_assert_msg(issue_cert(&f.ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	p = res.der;
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)res.der_len));
	v = X509_EXTENSION_get_data(X509_get_ext(x,
	    X509_get_ext_by_NID(x, NID_qcStatements, -1)));
	ck_assert_int_eq(qcs_decode(ASN1_STRING_get0_data(v),
	    ASN1_STRING_length(v), &qi), ESEAL_OK);
	ck_assert_int_eq(qi.qctype_statements, 1);
	ck_assert_int_eq(qi.eseal_types, 1);
	ck_assert_int_eq(qi.sscd, 1);
	ck_assert_int_eq(qi.compliance, 0);
	X509_free(x);
	issue_result_clear(&res);
	teardown(&f);
}
END_TEST

/* --- qcs_encode / qcs_decode ---------------------------------------------- */

START_TEST(test_qcs_round_trip)
{
	struct qcs_spec s;
	struct qcs_info qi;
	unsigned char *der;
	int len;

	/* The profile eseal: QcType eseal and the legal-person semantics. */
	memset(&s, 0, sizeof(s));
	s.pds_lang = "en";
	s.semantics_legal = 1;
	ck_assert_int_eq(qcs_encode(&s, &der, &len), ESEAL_OK);
	ck_assert_int_eq(qcs_decode(der, len, &qi), ESEAL_OK);
	ck_assert_int_eq(qi.qctype_statements, 1);
	ck_assert_int_eq(qi.eseal_types, 1);
	ck_assert_int_eq(qi.other_types, 0);
	ck_assert_int_eq(qi.compliance + qi.sscd + qi.pds + qi.cc, 0);
	ck_assert_int_eq(qi.semantics_legal, 1);
	ck_assert_int_eq(qi.unknown, 0);
	OPENSSL_free(der);

	/* Everything: the qualified profile with a QSCD key. */
	s.compliance = 1;
	s.sscd = 1;
	s.pds_url = "https://repository.example.jp/pds/pds-en.pdf";
	s.cc[0] = "JP";
	s.cc[1] = "DE";
	s.ncc = 2;
	ck_assert_int_eq(qcs_encode(&s, &der, &len), ESEAL_OK);
	ck_assert_int_eq(qcs_decode(der, len, &qi), ESEAL_OK);
	ck_assert_int_eq(qi.qctype_statements, 1);
	ck_assert_int_eq(qi.eseal_types, 1);
	ck_assert_int_eq(qi.other_types, 0);
	ck_assert_int_eq(qi.compliance, 1);
	ck_assert_int_eq(qi.sscd, 1);
	ck_assert_int_eq(qi.pds, 1);
	ck_assert_int_eq(qi.cc, 1);
	ck_assert_int_eq(qi.semantics_legal, 1);
	ck_assert_int_eq(qi.unknown, 0);
	/* Every prefix is refused, and so is a trailing byte. */
	for (int n = 0; n < len; n++)
		ck_assert_int_eq(qcs_decode(der, n, &qi), ESEAL_EINVAL);
	OPENSSL_free(der);

	/* The lint-only second QcType. */
	memset(&s, 0, sizeof(s));
	s.test_second_qctype = 1;
	ck_assert_int_eq(qcs_encode(&s, &der, &len), ESEAL_OK);
	ck_assert_int_eq(qcs_decode(der, len, &qi), ESEAL_OK);
	ck_assert_int_eq(qi.qctype_statements, 2);
	ck_assert_int_eq(qi.eseal_types, 2);
	OPENSSL_free(der);
}
END_TEST

/* The bytes of the profile eseal's extension value, checked by hand. */
START_TEST(test_qcs_exact_der)
{
	static const unsigned char want[] = {
		0x30, 0x2c,
		/* QCStatement { id-etsi-qcs-QcType, SEQUENCE { eseal } } */
		0x30, 0x13,
		0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06,
		0x30, 0x09,
		0x06, 0x07, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06, 0x02,
		/* QCStatement { id-qcs-pkixQCSyntax-v2,
		 *   SemanticsInformation { id-etsi-qcs-semanticsId-Legal } } */
		0x30, 0x15,
		0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x0b, 0x02,
		0x30, 0x09,
		0x06, 0x07, 0x04, 0x00, 0x8b, 0xec, 0x49, 0x01, 0x02,
	};
	struct qcs_spec s;
	unsigned char *der;
	int len;

	memset(&s, 0, sizeof(s));
	s.semantics_legal = 1;
	ck_assert_int_eq(qcs_encode(&s, &der, &len), ESEAL_OK);
	ck_assert_int_eq(len, (int)sizeof(want));
	ck_assert_int_eq(memcmp(der, want, sizeof(want)), 0);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_qcs_decode_hostile)
{
	/* A statement we do not know (1.2.3.4). */
	static const unsigned char unknown[] = {
		0x30, 0x07, 0x30, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04,
	};
	/* QcType without its list of types. */
	static const unsigned char bare_qctype[] = {
		0x30, 0x0a, 0x30, 0x08,
		0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06,
	};
	/* QcType whose "list" is an INTEGER. */
	static const unsigned char int_qctype[] = {
		0x30, 0x0d, 0x30, 0x0b,
		0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06,
		0x02, 0x01, 0x05,
	};
	/* QcType esign (a signature certificate, not a seal). */
	static const unsigned char esign[] = {
		0x30, 0x15, 0x30, 0x13,
		0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06,
		0x30, 0x09,
		0x06, 0x07, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06, 0x01,
	};
	static const unsigned char empty[] = { 0x30, 0x00 };
	static const unsigned char trailing[] = { 0x30, 0x00, 0x00 };
	static const unsigned char not_seq[] = { 0x04, 0x00 };
	/* BER, not DER: indefinite and long-form lengths. */
	static const unsigned char ber_indef[] = { 0x30, 0x80, 0x00, 0x00 };
	static const unsigned char ber_long[] = { 0x30, 0x81, 0x00 };
	struct qcs_info qi;

	ck_assert_int_eq(qcs_decode(ber_indef, sizeof(ber_indef), &qi),
	    ESEAL_EINVAL);
	ck_assert_int_eq(qcs_decode(ber_long, sizeof(ber_long), &qi),
	    ESEAL_EINVAL);

	ck_assert_int_eq(qcs_decode(unknown, sizeof(unknown), &qi), ESEAL_OK);
	ck_assert_int_eq(qi.unknown, 1);
	ck_assert_int_eq(qi.qctype_statements, 0);
	ck_assert_int_eq(qcs_decode(bare_qctype, sizeof(bare_qctype), &qi),
	    ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "EN 319 412-5 4.2.3"));
	ck_assert_int_eq(qcs_decode(int_qctype, sizeof(int_qctype), &qi),
	    ESEAL_EINVAL);
	ck_assert_int_eq(qcs_decode(esign, sizeof(esign), &qi), ESEAL_OK);
	ck_assert_int_eq(qi.qctype_statements, 1);
	ck_assert_int_eq(qi.eseal_types, 0);
	ck_assert_int_eq(qi.other_types, 1);
	ck_assert_int_eq(qcs_decode(empty, sizeof(empty), &qi), ESEAL_OK);
	ck_assert_int_eq(qi.qctype_statements + qi.unknown, 0);
	ck_assert_int_eq(qcs_decode(trailing, sizeof(trailing), &qi),
	    ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 3739 3.2.6"));
	ck_assert_int_eq(qcs_decode(not_seq, sizeof(not_seq), &qi),
	    ESEAL_EINVAL);
}
END_TEST

/* --- profile_load ------------------------------------------------------- */

static const char *
profiles_dir(void)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/conf/profiles", top());
	return path;
}

START_TEST(test_profile_eseal)
{
	struct profile *p;

	ck_assert_msg(profile_load(profiles_dir(), "eseal", &p) == ESEAL_OK,
	    "%s", eseal_errmsg());
	ck_assert_str_eq(p->name, "eseal");
	ck_assert_int_eq(p->max_validity_days, 1095);
	ck_assert_int_eq(p->ku_digital_signature, 0);
	ck_assert_int_eq(p->npolicies, 1);
	ck_assert_str_eq(p->policies[0], "2.999.1.1");
	ck_assert_int_eq(p->etsi_policy, ETSI_POLICY_NONE);
	ck_assert_int_eq(p->qc_compliance, 0);
	ck_assert_int_eq(p->qc_sscd, 1);
	ck_assert_str_eq(p->pds_url, "");
	ck_assert_str_eq(p->pds_lang, "en");
	ck_assert_int_eq(p->ncc, 0);
	ck_assert_int_eq(p->semantics_legal, 1);
	ck_assert_int_eq(p->neku, 0);
	ck_assert_str_eq(p->crl_url, "{base}/crl/{issuer}/{shard}.crl");
	ck_assert_str_eq(p->ca_issuers_url, "{base}/ca/{issuer}.crt");
	ck_assert_str_eq(p->ocsp_url, "{base}/ocsp");
	ck_assert_int_eq(p->auto_approve, 0);
	profile_free(p);
}
END_TEST

START_TEST(test_profile_qualified_jp)
{
	struct profile *p;

	ck_assert_msg(profile_load(profiles_dir(), "eseal-qualified-jp", &p) ==
	    ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_int_eq(p->max_validity_days, 1095);
	ck_assert_int_eq(p->ku_digital_signature, 0);
	ck_assert_int_eq(p->npolicies, 1);
	ck_assert_str_eq(p->policies[0], "2.999.1.2");
	ck_assert_int_eq(p->etsi_policy, ETSI_POLICY_NONE);
	ck_assert_int_eq(p->qc_compliance, 1);
	ck_assert_int_eq(p->qc_sscd, 1);
	ck_assert_str_eq(p->pds_url,
	    "https://repository.example.jp/pds/pds-en.pdf");
	ck_assert_str_eq(p->pds_lang, "en");
	ck_assert_int_eq(p->ncc, 1);
	ck_assert_str_eq(p->cc[0], "JP");
	ck_assert_int_eq(p->semantics_legal, 1);
	ck_assert_int_eq(p->auto_approve, 0);
	profile_free(p);
}
END_TEST

START_TEST(test_profile_name_and_missing)
{
	struct profile *p = (struct profile *)1;

	ck_assert_int_eq(profile_load(profiles_dir(), "../profiles/eseal", &p),
	    ESEAL_EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(profile_load(profiles_dir(), "Eseal", &p),
	    ESEAL_EINVAL);
	ck_assert_int_eq(profile_load(profiles_dir(), "", &p), ESEAL_EINVAL);
	ck_assert_int_eq(profile_load(profiles_dir(), "nosuch", &p),
	    ESEAL_ENOTFOUND);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "nosuch.conf"));
}
END_TEST

/*
 * tests/data/profile/bad/NAME.conf and what the refusal must say.  Errors
 * of one line name file:line; the two rules between keys name the file.
 */
static const struct {
	const char	*name;
	int		 line;		/* 0: a rule between keys */
	const char	*want;
} bad_profiles[] = {
	{ "unknown-key", 4, "[profile] colour: unknown key" },
	{ "unknown-section", 3, "[extensions]: unknown section (only "
	  "[profile])" },
	{ "bad-key-usage", 3, "[profile] key_usage: EN 319 412-2 4.3.2: "
	  "\"digitalSignature\" is not nonRepudiation or "
	  "digitalSignature,nonRepudiation" },
	{ "qcp-l-qscd-without-sscd", 0, "etsi_policy qcp-l-qscd needs "
	  "qc_sscd = yes (EN 319 411-2 6.6.1)" },
	{ "compliance-without-pds", 0, "qc_compliance needs qc_pds_url "
	  "(EN 319 412-5 4.3.4)" },
	{ "http-pds-url", 4, "[profile] qc_pds_url: EN 319 412-5 4.3.4: the "
	  "PDS URL must be https" },
	{ "bad-oid", 3, "[profile] policies: \"2.999.1.1,3.1.4\" is not a "
	  "list of at most 4 OIDs" },
	{ "url-comma", 3, "[profile] crl_url: not an http URL template" },
	{ "url-space", 3, "[profile] ca_issuers_url: not an http URL "
	  "template" },
	{ "too-many-policies", 3, "[profile] policies: \"1.2.3.1, 1.2.3.2, "
	  "1.2.3.3, 1.2.3.4, 1.2.3.5\" is not a list of at most 4 OIDs" },
	{ "overlong-line", 3, "line longer than 198 bytes" },
	{ "bad-validity", 3, "[profile] max_validity_days: \"3651\" is not an "
	  "integer from 1 to 3650" },
	/* Found by fuzz_profile: the tab reached the terminal. */
	{ "tab-in-key", 3, "[profile] polic??ies: unknown key" },
	{ "tab-in-value", 2, "[profile] key_usage: EN 319 412-2 4.3.2: "
	  "\"digital?Signature\" is not" },
};

START_TEST(test_profile_bad)
{
	struct profile *p = (struct profile *)1;
	char dir[1024], where[1200];

	snprintf(dir, sizeof(dir), "%s/tests/data/profile/bad", top());
	ck_assert_int_eq(profile_load(dir, bad_profiles[_i].name, &p),
	    ESEAL_ECONF);
	ck_assert_ptr_null(p);
	if (bad_profiles[_i].line > 0)
		snprintf(where, sizeof(where), "%s/%s.conf:%d: ", dir,
		    bad_profiles[_i].name, bad_profiles[_i].line);
	else
		snprintf(where, sizeof(where), "%s/%s.conf: ", dir,
		    bad_profiles[_i].name);
	ck_assert_msg(strncmp(eseal_errmsg(), where, strlen(where)) == 0,
	    "%s: error \"%s\" does not start with \"%s\"",
	    bad_profiles[_i].name, eseal_errmsg(), where);
	ck_assert_msg(strstr(eseal_errmsg(), bad_profiles[_i].want) != NULL,
	    "%s: error \"%s\" lacks \"%s\"", bad_profiles[_i].name,
	    eseal_errmsg(), bad_profiles[_i].want);
	for (const char *m = eseal_errmsg(); *m != '\0'; m++)
		ck_assert_msg((unsigned char)*m >= ' ', "%s: control byte in "
		    "\"%s\"", bad_profiles[_i].name, eseal_errmsg());
}
END_TEST

/* Every file in tests/data/profile/bad/ is in the table above. */
START_TEST(test_profile_bad_listed)
{
	char dir[1024], name[256];
	struct dirent *de;
	size_t n = 0, i, len;
	const size_t nbad = sizeof(bad_profiles) / sizeof(bad_profiles[0]);
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/data/profile/bad", top());
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		ck_assert_msg(len > 5 && len < sizeof(name) &&
		    strcmp(de->d_name + len - 5, ".conf") == 0,
		    "%s is not a .conf file", de->d_name);
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5),
		    de->d_name);
		for (i = 0; i < nbad; i++)
			if (strcmp(name, bad_profiles[i].name) == 0)
				break;
		ck_assert_msg(i < nbad, "%s is not tested", de->d_name);
		n++;
	}
	closedir(d);
	ck_assert_uint_eq(n, nbad);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lint");
	TCase *tl = tcase_create("lint"), *tq = tcase_create("qcs"),
	    *tp = tcase_create("profile");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tl, 60);
	tcase_add_loop_test(tl, test_tamper_refused, 0,
	    sizeof(tampers) / sizeof(tampers[0]));
	tcase_add_test(tl, test_untampered_passes);
	tcase_add_test(tl, test_max_validity_passes);
	tcase_add_test(tl, test_qscd_request_passes);
	suite_add_tcase(s, tl);
	tcase_add_test(tq, test_qcs_round_trip);
	tcase_add_test(tq, test_qcs_exact_der);
	tcase_add_test(tq, test_qcs_decode_hostile);
	suite_add_tcase(s, tq);
	tcase_add_test(tp, test_profile_eseal);
	tcase_add_test(tp, test_profile_qualified_jp);
	tcase_add_test(tp, test_profile_name_and_missing);
	tcase_add_loop_test(tp, test_profile_bad, 0,
	    sizeof(bad_profiles) / sizeof(bad_profiles[0]));
	tcase_add_test(tp, test_profile_bad_listed);
	suite_add_tcase(s, tp);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
