/*
 * test_ocsp_signer.c: delegated OCSP signers as an operator and a relying
 * party see them: the signer's certificate is issued by the CA (recorded,
 * audited) with keyUsage digitalSignature, id-kp-OCSPSigning and
 * ocsp-nocheck, inside the CA's validity; its key is on the token; making
 * one is refused when the HSM module is Historical; with delegated
 * signing, answers are signed by the signer's key, name it by key hash,
 * carry its certificate and verify against the CA certificate alone
 * (OCSP_basic_verify and the openssl ocsp command); without a valid
 * signer the issuer key answers; a stored signer certificate with a
 * trailing byte is refused (tryLater), not used.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "ca.h"
#include "csr.h"
#include "issue.h"
#include "issuer.h"
#include "ocsp.h"
#include "ocsp_signer.h"
#include "revoke.h"
#include "testutil.h"

static struct issuer *
make_issuer(struct tu_ca *f, const char *name, const char *key,
    const char *cn, int days, int64_t now)
{
	return tu_ca_issuer(f, name, key, cn, days, 1, (time_t)now);
}

static void
setup(struct tu_ca *f, const char *ca_key)
{
	tu_ca_setup(f, "ocspsigner", NULL, 1);
	if (ca_key != NULL)
		f->issuer = make_issuer(f, "test-ca", ca_key, "Test CA", 3650,
		    time(NULL));
}

static void
teardown(struct tu_ca *f)
{
	tu_ca_teardown(f);
}

static struct ocsp_signer *
make_signer(struct tu_ca *f, const char *key, int days, int64_t now)
{
	struct ocsp_signer *sg = NULL;

	ck_assert_msg(ocsp_signer_create(&f->ca, f->issuer,
	    (enum key_type)key_type_parse(key), days, now, "test", &sg) ==
	    ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_ptr_nonnull(sg);
	return sg;
}

static X509 *
issue(struct tu_ca *f, char serial[STORE_SERIAL_HEX_MAX])
{
	struct issue_request req;
	struct issue_result res;
	const unsigned char *p;
	X509 *x;

	memset(&req, 0, sizeof(req));
	req.profile = f->profile;
	req.org = &f->org;
	req.csr = f->csr;
	req.validity_days = 365;
	req.actor = "test";
	ck_assert_msg(issue_cert(&f->ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	memcpy(serial, res.serial, STORE_SERIAL_HEX_MAX);
	p = res.der;
	x = d2i_X509(NULL, &p, (long)res.der_len);
	ck_assert_ptr_nonnull(x);
	issue_result_clear(&res);
	return x;
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

static char *
name_entry(const X509_NAME *n, int nid)
{
	unsigned char *utf8 = NULL;
	int i = X509_NAME_get_index_by_NID(n, nid, -1);

	ck_assert_int_ge(i, 0);
	ck_assert_int_ge(ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(n, i))), 0);
	return (char *)utf8;
}

struct audit_count {
	const char	*action;
	int		 n;
	char		 detail[256];
};

static int
count_action(const struct store_audit *a, void *arg)
{
	struct audit_count *c = arg;

	if (strcmp(a->action, c->action) == 0) {
		c->n++;
		snprintf(c->detail, sizeof(c->detail), "%s", a->detail);
	}
	return 0;
}

static int
audit_count(struct tu_ca *f, const char *action, char *detail, size_t sz)
{
	struct audit_count c;

	memset(&c, 0, sizeof(c));
	c.action = action;
	ck_assert_int_eq(store_audit_each(f->ca.store, count_action, &c),
	    ESEAL_OK);
	if (detail != NULL)
		snprintf(detail, sz, "%s", c.detail);
	return c.n;
}

/* Private keys on the token, and whether one has that CKA_ID and label. */
static size_t
token_keys(struct tu_ca *f, const struct ocsp_signer *sg, int *found)
{
	struct p11_key_info *k = NULL;
	size_t n = 0, priv = 0;

	ck_assert_int_eq(p11_keys(f->ca.token, &k, &n), ESEAL_OK);
	if (found != NULL)
		*found = 0;
	for (size_t i = 0; i < n; i++) {
		if (!k[i].is_private)
			continue;
		priv++;
		if (sg != NULL && found != NULL &&
		    k[i].id_len == sg->rec.key_id_len &&
		    memcmp(k[i].id, sg->rec.key_id, k[i].id_len) == 0 &&
		    strcmp(k[i].label, "eseal-ocsp-test-ca") == 0)
			*found = 1;
	}
	free(k);
	return priv;
}

/* --- the signer's certificate ----------------------------------------- */

static const struct {
	const char *ca, *signer;
} pairs[] = {
	{ "ec-p256", "ec-p256" },
	{ "ec-p384", "rsa-3072" },
	{ "rsa-3072", "ec-p384" },
};

START_TEST(test_signer_certificate)
{
	struct tu_ca f;
	struct ocsp_signer *sg, *cur;
	struct store_cert row;
	const ASN1_OCTET_STRING *ski, *aki, *v;
	X509_EXTENSION *ext;
	char *s, detail[256];
	int64_t now;
	int idx, found;

	setup(&f, pairs[_i].ca);
	now = time(NULL);	/* after the CA key: it may take seconds */
	sg = make_signer(&f, pairs[_i].signer, 30, now);
	/* Issued by the CA key, checked as a relying party would. */
	ck_assert_int_eq(X509_check_issued(f.issuer->cert, sg->cert),
	    X509_V_OK);
	ck_assert_int_eq(X509_verify(sg->cert, f.issuer->pub), 1);
	ck_assert_int_eq(X509_get_version(sg->cert), X509_VERSION_3);
	/* RFC 6960 4.2.2.2: id-kp-OCSPSigning, and nothing else. */
	ck_assert(X509_get_extension_flags(sg->cert) & EXFLAG_XKUSAGE);
	ck_assert_uint_eq(X509_get_extended_key_usage(sg->cert),
	    XKU_OCSP_SIGN);
	/* keyUsage digitalSignature only, critical. */
	ck_assert_uint_eq(X509_get_key_usage(sg->cert), KU_DIGITAL_SIGNATURE);
	idx = X509_get_ext_by_NID(sg->cert, NID_key_usage, -1);
	ck_assert_int_ge(idx, 0);
	ck_assert_int_eq(X509_EXTENSION_get_critical(X509_get_ext(sg->cert,
	    idx)), 1);
	/* RFC 6960 4.2.2.2.1: id-pkix-ocsp-nocheck, value NULL. */
	idx = X509_get_ext_by_NID(sg->cert, NID_id_pkix_OCSP_noCheck, -1);
	ck_assert_int_ge(idx, 0);
	ext = X509_get_ext(sg->cert, idx);
	ck_assert_int_eq(X509_EXTENSION_get_critical(ext), 0);
	v = X509_EXTENSION_get_data(ext);
	ck_assert_int_eq(ASN1_STRING_length(v), 2);
	ck_assert_int_eq(memcmp(ASN1_STRING_get0_data(v), "\x05\x00", 2), 0);
	/* Not a CA; SKI of its own; AKI = the CA's SKI. */
	ck_assert_int_eq(X509_check_ca(sg->cert), 0);
	ski = X509_get0_subject_key_id(sg->cert);
	ck_assert_ptr_nonnull(ski);
	aki = X509_get0_authority_key_id(sg->cert);
	ck_assert_ptr_nonnull(aki);
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(aki,
	    X509_get0_subject_key_id(f.issuer->cert)), 0);
	/* Subject: the CA's C and O, CN "<CA CN> OCSP responder". */
	s = name_entry(X509_get_subject_name(sg->cert), NID_countryName);
	ck_assert_str_eq(s, "JP");
	OPENSSL_free(s);
	s = name_entry(X509_get_subject_name(sg->cert), NID_organizationName);
	ck_assert_str_eq(s, "Test Certification Co.");
	OPENSSL_free(s);
	s = name_entry(X509_get_subject_name(sg->cert), NID_commonName);
	ck_assert_str_eq(s, "Test CA OCSP responder");
	OPENSSL_free(s);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(sg->cert),
	    X509_get_subject_name(f.issuer->cert)), 0);
	/* Validity: from now, for the days asked. */
	ck_assert_int_eq(asn1_time(X509_get0_notBefore(sg->cert)), now);
	ck_assert_int_eq(asn1_time(X509_get0_notAfter(sg->cert)),
	    now + 30 * 86400);
	ck_assert_int_eq(sg->rec.not_after, now + 30 * 86400);
	ck_assert_str_eq(sg->rec.key_type, pairs[_i].signer);
	ck_assert_int_eq(EVP_PKEY_get_base_id(sg->pub),
	    strncmp(pairs[_i].signer, "ec", 2) == 0 ? EVP_PKEY_EC :
	    EVP_PKEY_RSA);
	/* Recorded like any certificate: issued, the same bytes. */
	ck_assert_int_eq(store_cert_get(f.ca.store, sg->rec.serial, &row),
	    ESEAL_OK);
	ck_assert_int_eq(row.status, CERT_ISSUED);
	ck_assert_int_eq(row.issuer_id, f.issuer->rec.id);
	ck_assert_uint_eq(row.cert_len, sg->rec.cert_len);
	ck_assert_int_eq(memcmp(row.cert, sg->rec.cert, row.cert_len), 0);
	store_cert_clear(&row);
	/* Its key is on the token, under its CKA_ID. */
	token_keys(&f, sg, &found);
	ck_assert_int_eq(found, 1);
	/* Audited: the certificate and the signer. */
	ck_assert_int_eq(audit_count(&f, "cert.issue", NULL, 0), 1);
	ck_assert_int_eq(audit_count(&f, "ocsp.signer.create", detail,
	    sizeof(detail)), 1);
	ck_assert_ptr_nonnull(strstr(detail, sg->rec.serial));
	ck_assert_ptr_nonnull(strstr(detail, "retired=0"));
	/* It is the issuer's current signer. */
	ck_assert_int_eq(ocsp_signer_current(&f.ca, f.issuer->rec.id, now,
	    &cur), ESEAL_OK);
	ck_assert_str_eq(cur->rec.serial, sg->rec.serial);
	ck_assert_int_eq(X509_cmp(cur->cert, sg->cert), 0);
	ocsp_signer_free(cur);
	ocsp_signer_free(sg);
	ocsp_signer_free(NULL);
	teardown(&f);
}
END_TEST

START_TEST(test_signer_validity)
{
	struct tu_ca f;
	struct ocsp_signer *sg, *cur;
	struct issuer *shortca;
	char detail[256];
	int64_t now;

	setup(&f, "ec-p256");
	now = time(NULL);	/* after the CA key: it may take seconds */
	/* 0: the default. */
	sg = make_signer(&f, "ec-p256", 0, now);
	ck_assert_int_eq(sg->rec.not_after, now +
	    (int64_t)OCSP_SIGNER_DAYS_DEFAULT * 86400);
	ocsp_signer_free(sg);
	/* Out of range: refused before the token is touched. */
	ck_assert_int_eq(ocsp_signer_create(&f.ca, f.issuer, KEY_EC_P256,
	    OCSP_SIGNER_DAYS_MAX + 1, now, "test", &sg), ESEAL_EINVAL);
	ck_assert_ptr_null(sg);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 6960 4.2.2.2.1"));
	ck_assert_int_eq(ocsp_signer_create(&f.ca, f.issuer, KEY_EC_P256, -1,
	    now, "test", NULL), ESEAL_EINVAL);
	/* A second signer supersedes the first. */
	sg = make_signer(&f, "ec-p256", 10, now);
	ck_assert_int_eq(audit_count(&f, "ocsp.signer.create", detail,
	    sizeof(detail)), 2);
	ck_assert_ptr_nonnull(strstr(detail, "retired=1"));
	ck_assert_int_eq(ocsp_signer_current(&f.ca, f.issuer->rec.id, now,
	    &cur), ESEAL_OK);
	ck_assert_str_eq(cur->rec.serial, sg->rec.serial);
	ocsp_signer_free(cur);
	/* Expired: none is current. */
	ck_assert_int_eq(ocsp_signer_current(&f.ca, f.issuer->rec.id,
	    sg->rec.not_after, &cur), ESEAL_ENOTFOUND);
	ck_assert_ptr_null(cur);
	ocsp_signer_free(sg);

	/* Never longer than the CA certificate. */
	shortca = make_issuer(&f, "short-ca", "ec-p256", "Short CA", 5, now);
	ck_assert_int_eq(ocsp_signer_create(&f.ca, shortca, KEY_EC_P256, 30,
	    now, "test", &sg), ESEAL_OK);
	ck_assert_int_eq(sg->rec.not_after, shortca->rec.not_after);
	ck_assert_int_le(X509_cmp_time(X509_get0_notAfter(sg->cert),
	    &(time_t){ (time_t)shortca->rec.not_after + 1 }), 0);
	ocsp_signer_free(sg);
	/* Nor made when the CA certificate has expired. */
	ck_assert_int_eq(ocsp_signer_create(&f.ca, shortca, KEY_EC_P256, 30,
	    shortca->rec.not_after, "test", &sg), ESEAL_EPOLICY);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "not valid now"));
	/* A signer belongs to one issuer only. */
	ck_assert_int_eq(ocsp_signer_current(&f.ca, shortca->rec.id, now,
	    &cur), ESEAL_OK);
	ck_assert_str_ne(cur->rec.serial, "");
	ck_assert_int_eq(X509_check_issued(shortca->cert, cur->cert),
	    X509_V_OK);
	ocsp_signer_free(cur);
	issuer_free(shortca);
	teardown(&f);
}
END_TEST

/* A 64-character CA name is cut so that the CN stays within 64. */
START_TEST(test_signer_long_cn)
{
	struct tu_ca f;
	struct ocsp_signer *sg;
	char cn[PROFILE_ATTR_MAX] = "", want[PROFILE_ATTR_MAX] = "";
	char *got;

	setup(&f, NULL);
	for (int i = 0; i < 64; i++)
		strcat(cn, "認");
	for (int i = 0; i < 64 - (int)strlen(OCSP_SIGNER_CN_SUFFIX); i++)
		strcat(want, "認");
	strcat(want, OCSP_SIGNER_CN_SUFFIX);
	f.issuer = make_issuer(&f, "test-ca", "ec-p256", cn, 3650, time(NULL));
	sg = make_signer(&f, "ec-p256", 1, time(NULL));
	got = name_entry(X509_get_subject_name(sg->cert), NID_commonName);
	ck_assert_str_eq(got, want);
	OPENSSL_free(got);
	ocsp_signer_free(sg);
	teardown(&f);
}
END_TEST

/* --- the FIPS registry ------------------------------------------------ */

/* SoftHSM as a validated module with that status (CMVP #9999, a test value). */
static void
registry(struct tu_ca *f, const char *status)
{
	char buf[1024], *path;

	snprintf(buf, sizeof(buf), "[policy]\nunlisted = refuse\n"
	    "unvalidated = refuse\n[module test-hsm]\n"
	    "manufacturer = SoftHSM project\nmodel = SoftHSM v2\n"
	    "cmvp_cert = 9999\nstandard = 140-3\nlevel = 3\nstatus = %s\n"
	    "sunset = 2030-01-01\nchecked = 2026-11-01\nsource = test\n",
	    status);
	path = tu_write(f->dir, "hsm-modules.conf", buf, 0644);
	snprintf(f->conf->hsm_registry, sizeof(f->conf->hsm_registry), "%s",
	    path);
	free(path);
	ck_assert_msg(ca_reload(&f->ca, f->conf) == ESEAL_OK, "%s",
	    eseal_errmsg());
}

START_TEST(test_signer_fips_historical)
{
	struct tu_ca f;
	struct ocsp_signer *sg = NULL;
	int64_t now;
	size_t keys, certs;

	setup(&f, "ec-p256");
	now = time(NULL);	/* after the CA key: it may take seconds */
	registry(&f, "historical");
	keys = token_keys(&f, NULL, NULL);
	certs = (size_t)store_cert_count(f.ca.store, CERT_ISSUED) +
	    (size_t)store_cert_count(f.ca.store, CERT_PENDING);
	ck_assert_int_eq(ocsp_signer_create(&f.ca, f.issuer, KEY_EC_P256, 30,
	    now, "test", &sg), ESEAL_EPOLICY);
	ck_assert_ptr_null(sg);
	ck_assert_msg(strstr(eseal_errmsg(), "Historical") != NULL &&
	    strstr(eseal_errmsg(), "9999") != NULL, "%s", eseal_errmsg());
	/* Nothing made: no key, certificate or signer; the refusal audited. */
	ck_assert_uint_eq(token_keys(&f, NULL, NULL), keys);
	ck_assert_uint_eq((size_t)store_cert_count(f.ca.store, CERT_ISSUED) +
	    (size_t)store_cert_count(f.ca.store, CERT_PENDING), certs);
	ck_assert_int_eq(ocsp_signer_current(&f.ca, f.issuer->rec.id, now,
	    &sg), ESEAL_ENOTFOUND);
	ck_assert_int_eq(audit_count(&f, "fips.refuse", NULL, 0), 1);
	ck_assert_int_eq(audit_count(&f, "ocsp.signer.create", NULL, 0), 0);
	/* The same module listed Active may. */
	registry(&f, "active");
	sg = make_signer(&f, "ec-p256", 30, now);
	ck_assert_uint_eq(token_keys(&f, NULL, NULL), keys + 1);
	ocsp_signer_free(sg);
	teardown(&f);
}
END_TEST

/* --- delegated answers ------------------------------------------------ */

/* Answers der with the options; the response parsed exactly. */
static OCSP_RESPONSE *
ask(struct tu_ca *f, const unsigned char *der, size_t len, int64_t now,
    int delegated, int64_t *next_update)
{
	struct ocsp_options o;
	unsigned char *resp = NULL;
	const unsigned char *p;
	OCSP_RESPONSE *r;
	size_t rlen = 0;
	int status = -1;

	memset(&o, 0, sizeof(o));
	o.delegated = delegated;
	ck_assert_int_eq(ocsp_respond_opts(&f->ca, der, len, now, &o, &resp,
	    &rlen, &status, next_update), ESEAL_OK);
	ck_assert_msg(status == OCSP_RESPONSE_STATUS_SUCCESSFUL, "%d: %s",
	    status, eseal_errmsg());
	p = resp;
	r = d2i_OCSP_RESPONSE(NULL, &p, (long)rlen);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_eq(p, resp + rlen);
	OPENSSL_free(resp);
	return r;
}

static unsigned char *
request(X509 *leaf, X509 *ca, int nonce, size_t *len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	int n;

	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, leaf, ca));
	if (nonce)
		OCSP_request_add1_nonce(req, NULL, -1);
	n = i2d_OCSP_REQUEST(req, &der);
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	OCSP_REQUEST_free(req);
	return der;
}

/* 1 if the responderID is byKey with the SHA-1 of x's key. */
static int
responder_is(OCSP_BASICRESP *bs, X509 *x)
{
	const ASN1_OCTET_STRING *keyhash = NULL;
	const X509_NAME *byname = NULL;
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(x);
	unsigned char sha1[SHA_DIGEST_LENGTH];

	ck_assert_int_eq(OCSP_resp_get0_id(bs, &keyhash, &byname), 1);
	ck_assert_ptr_null(byname);
	SHA1(ASN1_STRING_get0_data(key), (size_t)ASN1_STRING_length(key), sha1);
	return ASN1_STRING_length(keyhash) == SHA_DIGEST_LENGTH &&
	    memcmp(ASN1_STRING_get0_data(keyhash), sha1, sizeof(sha1)) == 0;
}

/*
 * Verified with nothing but the CA certificate: trusted in the store and,
 * for an answer signed by the CA key (no certificate attached), also named
 * as the signer to look for (what -VAfile does for the openssl command).
 */
static OCSP_BASICRESP *
verified_by_ca_only(OCSP_RESPONSE *r, X509 *ca, int delegated)
{
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509_STORE *st = X509_STORE_new();

	ck_assert_ptr_nonnull(bs);
	X509_STORE_add_cert(st, ca);
	sk_X509_push(certs, ca);
	ck_assert_msg(OCSP_basic_verify(bs, delegated ? NULL : certs, st, 0) ==
	    1, "%s", ERR_reason_error_string(ERR_peek_last_error()));
	sk_X509_free(certs);
	X509_STORE_free(st);
	return bs;
}

START_TEST(test_delegated_response)
{
	struct tu_ca f;
	struct ocsp_signer *sg;
	struct revoke_request rr;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	OCSP_REQUEST *req;
	OCSP_CERTID *id;
	STACK_OF(X509) *cacerts;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;
	const unsigned char *p;
	unsigned char *der;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now, nu = 0;
	size_t len;
	X509 *leaf;
	int status, reason, n;

	setup(&f, pairs[_i].ca);
	now = time(NULL);	/* after the CA key: it may take seconds */
	leaf = issue(&f, serial);
	sg = make_signer(&f, pairs[_i].signer, 30, now);
	der = request(leaf, f.issuer->cert, 1, &len);
	r = ask(&f, der, len, now, 1, &nu);
	bs = verified_by_ca_only(r, f.issuer->cert, 1);
	/* Signed by the signer, named by its key, its certificate attached. */
	ck_assert(responder_is(bs, sg->cert));
	ck_assert_int_eq(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	ck_assert_int_eq(X509_cmp(sk_X509_value(OCSP_resp_get0_certs(bs), 0),
	    sg->cert), 0);
	/* Not by the CA key: with only the CA certificate, no signer. */
	cacerts = sk_X509_new_null();
	sk_X509_push(cacerts, f.issuer->cert);
	ck_assert_int_ne(OCSP_basic_verify(bs, cacerts, NULL, OCSP_NOINTERN |
	    OCSP_NOVERIFY), 1);
	ERR_clear_error();
	sk_X509_free(cacerts);
	/* The status and the nonce, as ever. */
	p = der;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	ck_assert_int_eq(OCSP_check_nonce(req, bs), 1);
	id = OCSP_cert_to_id(NULL, leaf, f.issuer->cert);
	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &status, &reason, &rev,
	    &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_GOOD);
	ck_assert_int_eq(nu, now + OCSP_VALIDITY_DEFAULT);
	OCSP_REQUEST_free(req);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);

	/* Revoked, still by the signer. */
	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = REVOKE_KEY_COMPROMISE;
	rr.actor = "test";
	ck_assert_int_eq(revoke_cert(&f.ca, &rr, now, NULL), ESEAL_OK);
	der = request(leaf, f.issuer->cert, 0, &len);
	r = ask(&f, der, len, now, 1, NULL);
	bs = verified_by_ca_only(r, f.issuer->cert, 1);
	ck_assert(responder_is(bs, sg->cert));
	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &status, &reason, &rev,
	    &thisupd, &nextupd), 1);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	n = OCSP_resp_count(bs);
	ck_assert_int_eq(n, 1);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	/* Not asked for: the issuer key, as before. */
	der = request(leaf, f.issuer->cert, 0, &len);
	r = ask(&f, der, len, now, 0, NULL);
	bs = verified_by_ca_only(r, f.issuer->cert, 0);
	ck_assert(responder_is(bs, f.issuer->cert));
	ck_assert_int_le(sk_X509_num(OCSP_resp_get0_certs(bs)), 0);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);

	OCSP_CERTID_free(id);
	ocsp_signer_free(sg);
	X509_free(leaf);
	teardown(&f);
}
END_TEST

/*
 * Delegated asked for, no valid signer (none yet, its key gone, expired):
 * the issuer key answers.
 */
START_TEST(test_delegated_fallback)
{
	struct tu_ca f;
	struct ocsp_signer *sg;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	unsigned char *der;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now, nu = 0;
	size_t len;
	X509 *leaf;

	setup(&f, "ec-p256");
	now = time(NULL);	/* after the CA key: it may take seconds */
	leaf = issue(&f, serial);
	der = request(leaf, f.issuer->cert, 1, &len);
	/* None yet. */
	r = ask(&f, der, len, now, 1, NULL);
	bs = verified_by_ca_only(r, f.issuer->cert, 0);
	ck_assert(responder_is(bs, f.issuer->cert));
	ck_assert_int_le(sk_X509_num(OCSP_resp_get0_certs(bs)), 0);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	/* One, near its end: nextUpdate is cut to its notAfter. */
	sg = make_signer(&f, "ec-p256", 1, now);
	r = ask(&f, der, len, sg->rec.not_after - 600, 1, &nu);
	ck_assert_int_eq(nu, sg->rec.not_after);
	bs = OCSP_response_get1_basic(r);
	ck_assert(responder_is(bs, sg->cert));
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	/* Its key gone from the token: the issuer key, not an error. */
	{
		sqlite3 *db = NULL;
		char path[1024];

		snprintf(path, sizeof(path), "%s/eseal.db", f.dir);
		ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(db, "UPDATE ocsp_signers SET "
		    "key_id = X'00112233445566778899aabbccddeeff'", NULL, NULL,
		    NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	r = ask(&f, der, len, now, 1, &nu);
	ck_assert_int_eq(nu, now + OCSP_VALIDITY_DEFAULT);
	bs = verified_by_ca_only(r, f.issuer->cert, 0);
	ck_assert(responder_is(bs, f.issuer->cert));
	ck_assert_int_le(sk_X509_num(OCSP_resp_get0_certs(bs)), 0);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	/* Expired: the issuer key again. */
	r = ask(&f, der, len, sg->rec.not_after, 1, &nu);
	ck_assert_int_eq(nu, sg->rec.not_after + OCSP_VALIDITY_DEFAULT);
	bs = OCSP_response_get1_basic(r);
	ck_assert(responder_is(bs, f.issuer->cert));
	ck_assert_int_le(sk_X509_num(OCSP_resp_get0_certs(bs)), 0);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	ocsp_signer_free(sg);
	X509_free(leaf);
	teardown(&f);
}
END_TEST

/*
 * The signer's stored certificate gained a byte: refused, naming it, and
 * the delegated responder says tryLater rather than sign with a signer it
 * cannot read.  Once repaired, the signer answers again.
 */
START_TEST(test_signer_cert_trailing_bytes)
{
	struct tu_ca f;
	struct ocsp_signer *sg, *got = NULL;
	struct ocsp_options o;
	OCSP_RESPONSE *r;
	OCSP_BASICRESP *bs;
	unsigned char *der, *more, *resp = NULL;
	char serial[STORE_SERIAL_HEX_MAX], path[1024];
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t len, rlen = 0;
	int64_t now;
	int status = -1;
	X509 *leaf;

	setup(&f, "ec-p256");
	now = time(NULL);
	leaf = issue(&f, serial);
	der = request(leaf, f.issuer->cert, 1, &len);
	sg = make_signer(&f, "ec-p256", 30, now);
	more = malloc(sg->rec.cert_len + 1);
	ck_assert_ptr_nonnull(more);
	memcpy(more, sg->rec.cert, sg->rec.cert_len);
	more[sg->rec.cert_len] = 0;
	snprintf(path, sizeof(path), "%s/eseal.db", f.dir);
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
		ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE ocsp_signers "
		    "SET cert = ? WHERE id = ?", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, more, (int)sg->rec.cert_len +
		    (round == 0), SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, sg->rec.id);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		sqlite3_close(db);
		if (round == 1)
			break;
		ck_assert_int_eq(ocsp_signer_current(&f.ca, f.issuer->rec.id,
		    now, &got), ESEAL_ESTORE);
		ck_assert_ptr_null(got);
		ck_assert_msg(strstr(eseal_errmsg(), "has 1 trailing bytes") !=
		    NULL, "%s", eseal_errmsg());
		memset(&o, 0, sizeof(o));
		o.delegated = 1;
		ck_assert_int_eq(ocsp_respond_opts(&f.ca, der, len, now, &o,
		    &resp, &rlen, &status, NULL), ESEAL_OK);
		ck_assert_int_eq(status, OCSP_RESPONSE_STATUS_TRYLATER);
		OPENSSL_free(resp);
	}
	r = ask(&f, der, len, now, 1, NULL);
	bs = OCSP_response_get1_basic(r);
	ck_assert(responder_is(bs, sg->cert));
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	free(more);
	OPENSSL_free(der);
	ocsp_signer_free(sg);
	X509_free(leaf);
	teardown(&f);
}
END_TEST

static void
write_pem(const char *path, X509 *x)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(PEM_write_X509(fp, x), 1);
	fclose(fp);
}

/* openssl ocsp, trusting only the CA certificate (no -VAfile). */
START_TEST(test_delegated_openssl_client)
{
	struct tu_ca f;
	struct ocsp_signer *sg;
	struct ocsp_options o;
	unsigned char *req, *resp = NULL;
	char serial[STORE_SERIAL_HEX_MAX], path[1024], cmd[4096], *out;
	size_t len, rlen = 0;
	X509 *leaf;
	FILE *fp;
	int status;

	setup(&f, "ec-p384");
	leaf = issue(&f, serial);
	sg = make_signer(&f, "ec-p256", 30, time(NULL));
	snprintf(path, sizeof(path), "%s/ca.pem", f.dir);
	write_pem(path, f.issuer->cert);
	snprintf(path, sizeof(path), "%s/leaf.pem", f.dir);
	write_pem(path, leaf);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl ocsp -issuer ca.pem "
	    "-cert leaf.pem -no_nonce -reqout req.der >/dev/null 2>&1", f.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/req.der", f.dir);
	req = tu_read(path, &len);
	ck_assert_ptr_nonnull(req);
	memset(&o, 0, sizeof(o));
	o.delegated = 1;
	ck_assert_int_eq(ocsp_respond_opts(&f.ca, req, len, time(NULL), &o,
	    &resp, &rlen, &status, NULL), ESEAL_OK);
	ck_assert_int_eq(status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	snprintf(path, sizeof(path), "%s/resp.der", f.dir);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(resp, 1, rlen, fp), rlen);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl ocsp -respin resp.der "
	    "-issuer ca.pem -CAfile ca.pem -cert leaf.pem -no_nonce "
	    "-resp_text >out.txt 2>&1", f.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/out.txt", f.dir);
	out = (char *)tu_read(path, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strstr(out, "Response verify OK") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "leaf.pem: good") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "OCSP No Check") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "OCSP Signing") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "WARNING") == NULL, "%s", out);
	free(out);
	free(req);
	OPENSSL_free(resp);
	ocsp_signer_free(sg);
	X509_free(leaf);
	teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ocsp_signer");
	TCase *tc = tcase_create("ocsp_signer");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_signer_certificate, 0,
	    sizeof(pairs) / sizeof(pairs[0]));
	tcase_add_test(tc, test_signer_validity);
	tcase_add_test(tc, test_signer_long_cn);
	tcase_add_test(tc, test_signer_fips_historical);
	tcase_add_loop_test(tc, test_delegated_response, 0,
	    sizeof(pairs) / sizeof(pairs[0]));
	tcase_add_test(tc, test_delegated_fallback);
	tcase_add_test(tc, test_signer_cert_trailing_bytes);
	tcase_add_test(tc, test_delegated_openssl_client);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
