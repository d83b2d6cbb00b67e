/*
 * test_crl.c: CRLs as a relying party sees them: the DER parses to the last
 * byte, the signature verifies with the CA key and the right digest, the
 * number increases per shard, the entries carry their dates and reasons,
 * expired certificates stay listed, a sharded issuer's CRLs carry the
 * issuingDistributionPoint its certificates point at, and OpenSSL's own
 * path validation finds revoked certificates through them.  Each refusal
 * names its rule; a stored CA certificate with trailing bytes signs no
 * CRL.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "audit.h"
#include "ca.h"
#include "crl.h"
#include "csr.h"
#include "issue.h"
#include "issuer.h"
#include "revoke.h"
#include "serial.h"
#include "store_publish.h"
#include "testutil.h"

#define NCERTS	8	/* certificates issued in the shard tests */

/* CRL parameters as the daemon sets them: the profile's template, the base. */
static struct crl_params crlp;

static void
setup(struct tu_ca *f, const char *ca_key, int shards)
{
	tu_ca_setup(f, "crl", ca_key, shards);
	memset(&crlp, 0, sizeof(crlp));
	crlp.url_template = f->profile->crl_url;
	crlp.base_url = f->conf->publish_base_url;
	crlp.actor = "crl-test";
}

static void
teardown(struct tu_ca *f)
{
	tu_ca_teardown(f);
}

/* Issues one certificate valid for days; returns it, serial in serial. */
static X509 *
issue(struct tu_ca *f, int days, char serial[STORE_SERIAL_HEX_MAX])
{
	struct issue_request req;
	struct issue_result res;
	const unsigned char *p;
	X509 *x;

	memset(&req, 0, sizeof(req));
	req.profile = f->profile;
	req.org = &f->org;
	req.csr = f->csr;
	req.validity_days = days;
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

static void
revoke(struct tu_ca *f, const char *serial, enum revoke_reason reason,
    int64_t inv, int64_t now)
{
	struct revoke_request rr;

	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = reason;
	rr.invalidity_date = inv;
	rr.actor = "test";
	ck_assert_msg(revoke_cert(&f->ca, &rr, now, NULL) == ESEAL_OK, "%s",
	    eseal_errmsg());
}

/* Generates shard's CRL at now and parses it as a relying party would. */
static X509_CRL *
generate(struct tu_ca *f, int shard, int64_t now, int64_t *number)
{
	unsigned char *der;
	const unsigned char *p;
	size_t len;
	X509_CRL *crl;

	ck_assert_msg(crl_generate(&f->ca, f->issuer, shard, now, &crlp, &der,
	    &len, number) == ESEAL_OK, "%s", eseal_errmsg());
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(crl);
	ck_assert_ptr_eq(p, der + len);
	ck_assert_int_eq(X509_CRL_verify(crl, f->issuer->pub), 1);
	OPENSSL_free(der);
	return crl;
}

static int64_t
crl_number(X509_CRL *crl)
{
	ASN1_INTEGER *n;
	int crit = -1;
	int64_t v = -1;

	n = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(ASN1_INTEGER_get_int64(&v, n), 1);
	ASN1_INTEGER_free(n);
	return v;
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	ck_assert_int_eq(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

static X509_REVOKED *
find_entry(X509_CRL *crl, X509 *x)
{
	X509_REVOKED *r = NULL;

	if (X509_CRL_get0_by_serial(crl, &r,
	    (ASN1_INTEGER *)X509_get0_serialNumber(x)) == 1)
		return r;
	return NULL;
}

/* The entry's reasonCode, or -1 when absent. */
static int
entry_reason(X509_REVOKED *r)
{
	ASN1_ENUMERATED *e;
	int crit = -1;
	long v;

	if ((e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL))
	    == NULL) {
		ck_assert_int_eq(crit, -1);	/* absent, not unparsable */
		return -1;
	}
	ck_assert_int_eq(crit, 0);
	v = ASN1_ENUMERATED_get(e);
	ASN1_ENUMERATED_free(e);
	return (int)v;
}

/* X509_V_OK or the error OpenSSL's path validation with CRLs gives. */
static int
rp_verify(struct tu_ca *f, X509 *leaf, X509_CRL **crls, int n)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int err;

	X509_STORE_add_cert(st, f->issuer->cert);
	for (int i = 0; i < n; i++)
		X509_STORE_add_crl(st, crls[i]);
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	X509_STORE_CTX_init(ctx, st, leaf, NULL);
	err = X509_verify_cert(ctx) == 1 ? X509_V_OK :
	    X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return err;
}

static const struct {
	const char	*key;
	int		 sig_nid;
} keys[] = {
	{ "ec-p256", NID_ecdsa_with_SHA256 },
	{ "ec-p384", NID_ecdsa_with_SHA384 },
	{ "rsa-3072", NID_sha256WithRSAEncryption },
};

START_TEST(test_empty_crl)
{
	struct tu_ca f;
	struct store_crl latest;
	AUTHORITY_KEYID *aki;
	ASN1_OBJECT *obj;
	ASN1_GENERALIZEDTIME *gt;
	X509_EXTENSION *ext;
	const ASN1_OCTET_STRING *v;
	const unsigned char *p;
	unsigned char *der = NULL;
	X509_CRL *crl;
	int64_t now = time(NULL), number;
	int crit = -1, idx, len;

	setup(&f, keys[_i].key, 1);
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &latest),
	    ESEAL_ENOTFOUND);
	crl = generate(&f, 0, now, &number);
	ck_assert_int_eq(number, 1);
	ck_assert_int_eq(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	ck_assert_int_eq(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(f.issuer->cert)), 0);
	ck_assert_int_eq(X509_CRL_get_signature_nid(crl), keys[_i].sig_nid);
	ck_assert_int_eq(asn1_time(X509_CRL_get0_lastUpdate(crl)), now);
	ck_assert_int_eq(asn1_time(X509_CRL_get0_nextUpdate(crl)),
	    now + CRL_VALIDITY_DEFAULT);
	/* RFC 5280 5.1.2.4: UTCTime until 2049. */
	ck_assert_int_eq(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)),
	    V_ASN1_UTCTIME);
	/* RFC 5280 5.1.2.6: no entries: the list is absent, not empty. */
	ck_assert_ptr_null(X509_CRL_get_REVOKED(crl));
	ck_assert_int_eq(crl_number(crl), 1);
	/* AKI = the CA's SKI. */
	aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit,
	    NULL);
	ck_assert_ptr_nonnull(aki);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(aki->keyid,
	    X509_get0_subject_key_id(f.issuer->cert)), 0);
	AUTHORITY_KEYID_free(aki);
	/* One shard: no issuingDistributionPoint. */
	ck_assert_int_lt(X509_CRL_get_ext_by_NID(crl,
	    NID_issuing_distribution_point, -1), 0);
	/* expiredCertsOnCRL: non-critical GeneralizedTime = CA notBefore. */
	obj = OBJ_txt2obj("2.5.29.60", 1);
	idx = X509_CRL_get_ext_by_OBJ(crl, obj, -1);
	ck_assert_int_ge(idx, 0);
	ext = X509_CRL_get_ext(crl, idx);
	ck_assert_int_eq(X509_EXTENSION_get_critical(ext), 0);
	v = X509_EXTENSION_get_data(ext);
	p = ASN1_STRING_get0_data(v);
	gt = d2i_ASN1_GENERALIZEDTIME(NULL, &p, ASN1_STRING_length(v));
	ck_assert_ptr_nonnull(gt);
	ck_assert_ptr_eq(p, ASN1_STRING_get0_data(v) + ASN1_STRING_length(v));
	ck_assert_int_eq(asn1_time(gt), f.issuer->rec.not_before);
	ck_assert_int_eq(asn1_time(gt), asn1_time(X509_get0_notBefore(
	    f.issuer->cert)));
	ASN1_GENERALIZEDTIME_free(gt);
	ASN1_OBJECT_free(obj);
	/* The store keeps exactly these bytes. */
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &latest),
	    ESEAL_OK);
	ck_assert_int_eq(latest.number, 1);
	ck_assert_int_eq(latest.this_update, now);
	ck_assert_int_eq(latest.next_update, now + CRL_VALIDITY_DEFAULT);
	len = i2d_X509_CRL(crl, &der);
	ck_assert_int_eq((int)latest.der_len, len);
	ck_assert_int_eq(memcmp(latest.der, der, latest.der_len), 0);
	OPENSSL_free(der);
	store_crl_clear(&latest);
	store_crl_clear(NULL);
	X509_CRL_free(crl);
	teardown(&f);
}
END_TEST

START_TEST(test_number_increases)
{
	struct tu_ca f;
	struct store_crl latest;
	X509_CRL *crl;
	int64_t now = time(NULL), number;

	setup(&f, "ec-p256", 1);
	for (int i = 1; i <= 3; i++) {
		crl = generate(&f, 0, now + i, &number);
		ck_assert_int_eq(number, i);
		ck_assert_int_eq(crl_number(crl), i);
		X509_CRL_free(crl);
	}
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &latest),
	    ESEAL_OK);
	ck_assert_int_eq(latest.number, 3);
	ck_assert_int_eq(latest.this_update, now + 3);
	store_crl_clear(&latest);
	teardown(&f);
}
END_TEST

START_TEST(test_entries)
{
	struct tu_ca f;
	X509 *a, *b, *c, *d;
	X509_REVOKED *r;
	X509_CRL *crl;
	ASN1_GENERALIZEDTIME *inv;
	char sa[STORE_SERIAL_HEX_MAX], sb[STORE_SERIAL_HEX_MAX];
	char sc[STORE_SERIAL_HEX_MAX], sd[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL), number;
	int crit = -1;

	setup(&f, "ec-p256", 1);
	a = issue(&f, 365, sa);
	b = issue(&f, 365, sb);
	c = issue(&f, 365, sc);
	d = issue(&f, 365, sd);
	revoke(&f, sa, REVOKE_UNSPECIFIED, 0, now - 30);
	revoke(&f, sb, REVOKE_KEY_COMPROMISE, now - 86400, now - 20);
	revoke(&f, sc, REVOKE_SUPERSEDED, 0, now - 10);
	crl = generate(&f, 0, now, &number);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 3);
	/* unspecified: listed, with no reasonCode (RFC 5280 5.3.1). */
	ck_assert_ptr_nonnull(r = find_entry(crl, a));
	ck_assert_int_eq(asn1_time(X509_REVOKED_get0_revocationDate(r)),
	    now - 30);
	ck_assert_int_eq(entry_reason(r), -1);
	ck_assert_int_eq(X509_REVOKED_get_ext_count(r), 0);
	/* keyCompromise with its invalidity date as a GeneralizedTime. */
	ck_assert_ptr_nonnull(r = find_entry(crl, b));
	ck_assert_int_eq(asn1_time(X509_REVOKED_get0_revocationDate(r)),
	    now - 20);
	ck_assert_int_eq(entry_reason(r), 1);
	inv = X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, &crit, NULL);
	ck_assert_ptr_nonnull(inv);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(ASN1_STRING_type(inv), V_ASN1_GENERALIZEDTIME);
	ck_assert_int_eq(asn1_time(inv), now - 86400);
	ASN1_GENERALIZEDTIME_free(inv);
	/* superseded. */
	ck_assert_ptr_nonnull(r = find_entry(crl, c));
	ck_assert_int_eq(entry_reason(r), 4);
	ck_assert_int_lt(X509_REVOKED_get_ext_by_NID(r, NID_invalidity_date,
	    -1), 0);
	/* Not revoked: not listed. */
	ck_assert_ptr_null(find_entry(crl, d));

	/* OpenSSL's path validation, as a relying party runs it. */
	ck_assert_int_eq(rp_verify(&f, a, &crl, 1), X509_V_ERR_CERT_REVOKED);
	ck_assert_int_eq(rp_verify(&f, b, &crl, 1), X509_V_ERR_CERT_REVOKED);
	ck_assert_int_eq(rp_verify(&f, d, &crl, 1), X509_V_OK);
	X509_CRL_free(crl);

	/* Raised to keyCompromise: the next CRL says so, same date. */
	revoke(&f, sc, REVOKE_KEY_COMPROMISE, 0, now + 5);
	crl = generate(&f, 0, now + 10, &number);
	ck_assert_int_eq(number, 2);
	ck_assert_ptr_nonnull(r = find_entry(crl, c));
	ck_assert_int_eq(entry_reason(r), 1);
	ck_assert_int_eq(asn1_time(X509_REVOKED_get0_revocationDate(r)),
	    now - 10);
	X509_CRL_free(crl);
	X509_free(a);
	X509_free(b);
	X509_free(c);
	X509_free(d);
	teardown(&f);
}
END_TEST

START_TEST(test_expired_stay_listed)
{
	struct tu_ca f;
	X509 *x;
	X509_CRL *crl;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL), number;

	setup(&f, "ec-p256", 1);
	x = issue(&f, 1, serial);
	revoke(&f, serial, REVOKE_CESSATION_OF_OPERATION, 0, now);
	/* A month after the certificate expired. */
	crl = generate(&f, 0, now + 31 * 86400, &number);
	ck_assert_ptr_nonnull(find_entry(crl, x));
	X509_CRL_free(crl);
	X509_free(x);
	teardown(&f);
}
END_TEST

/* [publish] expired_on_crl = 0: expired entries leave, no 2.5.29.60. */
START_TEST(test_expired_dropped_when_configured)
{
	struct tu_ca f;
	X509 *x;
	X509_CRL *crl;
	ASN1_OBJECT *eco = OBJ_txt2obj(CRL_OID_EXPIRED_CERTS_ON_CRL, 1);
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL), number;

	setup(&f, "ec-p256", 1);
	x = issue(&f, 1, serial);
	revoke(&f, serial, REVOKE_CESSATION_OF_OPERATION, 0, now);
	crl = generate(&f, 0, now, &number);
	ck_assert_ptr_nonnull(find_entry(crl, x));	/* not expired yet */
	ck_assert_int_ge(X509_CRL_get_ext_by_OBJ(crl, eco, -1), 0);
	X509_CRL_free(crl);
	crlp.drop_expired = 1;
	crl = generate(&f, 0, now + 31 * 86400, &number);
	ck_assert_ptr_null(find_entry(crl, x));
	ck_assert_int_eq(X509_CRL_get_ext_by_OBJ(crl, eco, -1), -1);
	X509_CRL_free(crl);
	ASN1_OBJECT_free(eco);
	X509_free(x);
	teardown(&f);
}
END_TEST

/* The certificate's CRL distribution point URI. */
static void
cdp_uri(X509 *x, char *buf, size_t len)
{
	STACK_OF(DIST_POINT) *dps;
	DIST_POINT *dp;
	GENERAL_NAME *gn;
	ASN1_IA5STRING *uri;

	dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	ck_assert_ptr_nonnull(dps);
	ck_assert_int_eq(sk_DIST_POINT_num(dps), 1);
	dp = sk_DIST_POINT_value(dps, 0);
	ck_assert_int_eq(dp->distpoint->type, 0);
	gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
	uri = GENERAL_NAME_get0_value(gn, NULL);
	snprintf(buf, len, "%.*s", ASN1_STRING_length(uri),
	    (const char *)ASN1_STRING_get0_data(uri));
	CRL_DIST_POINTS_free(dps);
}

START_TEST(test_shards)
{
	struct tu_ca f;
	struct store_crl latest;
	X509 *x[NCERTS];
	X509_CRL *crls[4];
	ISSUING_DIST_POINT *idp;
	GENERAL_NAME *gn;
	ASN1_IA5STRING *uri;
	char serial[NCERTS][STORE_SERIAL_HEX_MAX], want[CRL_URL_MAX];
	char cdp[CRL_URL_MAX];
	int64_t now = time(NULL), number;
	int crit, listed, shard;

	setup(&f, "ec-p256", 4);
	for (int i = 0; i < NCERTS; i++)
		x[i] = issue(&f, 365, serial[i]);
	for (int i = 0; i < NCERTS; i++)
		revoke(&f, serial[i], REVOKE_SUPERSEDED, 0, now);
	for (int s = 0; s < 4; s++) {
		crls[s] = generate(&f, s, now, &number);
		ck_assert_int_eq(number, 1);	/* each shard counts alone */
		crit = -1;
		idp = X509_CRL_get_ext_d2i(crls[s],
		    NID_issuing_distribution_point, &crit, NULL);
		ck_assert_ptr_nonnull(idp);
		ck_assert_int_eq(crit, 1);
		ck_assert_int_ne(idp->onlyuser, 0);
		ck_assert_int_eq(idp->onlyCA, 0);
		ck_assert_int_eq(idp->indirectCRL, 0);
		ck_assert_ptr_null(idp->onlysomereasons);
		ck_assert_int_eq(idp->distpoint->type, 0);
		ck_assert_int_eq(sk_GENERAL_NAME_num(
		    idp->distpoint->name.fullname), 1);
		gn = sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 0);
		uri = GENERAL_NAME_get0_value(gn, NULL);
		snprintf(want, sizeof(want),
		    "http://127.0.0.1:8080/crl/test-ca/%d.crl", s);
		ck_assert_int_eq(ASN1_STRING_length(uri), (int)strlen(want));
		ck_assert_int_eq(memcmp(ASN1_STRING_get0_data(uri), want,
		    strlen(want)), 0);
		ISSUING_DIST_POINT_free(idp);
		/* Exactly the certificates of this shard are listed. */
		listed = 0;
		for (int i = 0; i < NCERTS; i++) {
			shard = serial_shard(serial[i], 4);
			ck_assert_int_eq(find_entry(crls[s], x[i]) != NULL,
			    shard == s);
			listed += shard == s;
		}
		if (listed == 0)
			ck_assert_ptr_null(X509_CRL_get_REVOKED(crls[s]));
		else
			ck_assert_int_eq(sk_X509_REVOKED_num(
			    X509_CRL_get_REVOKED(crls[s])), listed);
	}
	/*
	 * Each certificate's distribution point is its shard's IDP, so a
	 * relying party holding every shard picks the right one.
	 */
	for (int i = 0; i < NCERTS; i++) {
		cdp_uri(x[i], cdp, sizeof(cdp));
		snprintf(want, sizeof(want),
		    "http://127.0.0.1:8080/crl/test-ca/%d.crl",
		    serial_shard(serial[i], 4));
		ck_assert_str_eq(cdp, want);
		ck_assert_int_eq(rp_verify(&f, x[i], crls, 4),
		    X509_V_ERR_CERT_REVOKED);
		X509_free(x[i]);
	}
	for (int s = 0; s < 4; s++)
		X509_CRL_free(crls[s]);
	/* After a revocation: the CRL of that certificate's shard. */
	ck_assert_int_eq(crl_generate_for(&f.ca, serial[0], now + 1, &crlp,
	    &number), ESEAL_OK);
	ck_assert_int_eq(number, 2);
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id,
	    serial_shard(serial[0], 4), &latest), ESEAL_OK);
	ck_assert_int_eq(latest.number, 2);
	ck_assert_int_eq(latest.this_update, now + 1);
	store_crl_clear(&latest);
	ck_assert_int_eq(crl_generate_for(&f.ca, "77", now, &crlp, &number),
	    ESEAL_ENOTFOUND);
	teardown(&f);
}
END_TEST

START_TEST(test_generate_all_and_audit)
{
	struct tu_ca f;
	struct store_crl latest;
	int made = -1;

	setup(&f, "ec-p256", 2);
	ck_assert_int_eq(crl_generate_all(&f.ca, time(NULL), &crlp, &made),
	    ESEAL_OK);
	ck_assert_int_eq(made, 2);
	for (int s = 0; s < 2; s++) {
		ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, s,
		    &latest), ESEAL_OK);
		ck_assert_int_eq(latest.number, 1);
		store_crl_clear(&latest);
	}
	/* After the CA expired: nothing to vouch for any more. */
	ck_assert_int_eq(crl_generate_all(&f.ca, f.issuer->rec.not_after + 1,
	    &crlp, &made), ESEAL_OK);
	ck_assert_int_eq(made, 0);
	teardown(&f);
}
END_TEST

static int
count_action(const struct store_audit *a, void *arg)
{
	int *n = arg;

	if (strcmp(a->action, "crl.generate") == 0 &&
	    strcmp(a->object, "test-ca/0") == 0 &&
	    strcmp(a->actor, "crl-test") == 0)
		(*n)++;
	return 0;
}

START_TEST(test_audited)
{
	struct tu_ca f;
	X509_CRL *crl;
	int64_t number, n;
	int found = 0;

	setup(&f, "ec-p256", 1);
	crl = generate(&f, 0, time(NULL), &number);
	X509_CRL_free(crl);
	ck_assert_int_eq(store_audit_each(f.ca.store, count_action, &found),
	    ESEAL_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(audit_verify(f.ca.store, &n), ESEAL_OK);
	teardown(&f);
}
END_TEST

START_TEST(test_bad_parameters)
{
	struct tu_ca f;
	struct crl_params p;
	unsigned char *der = NULL;
	size_t len = 0;
	int64_t number, now = time(NULL);

	setup(&f, "ec-p256", 2);
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 2, now, &crlp, &der, &len,
	    &number), ESEAL_EINVAL);
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, -1, now, &crlp, &der,
	    &len, &number), ESEAL_EINVAL);
	p = crlp;
	p.validity_secs = CRL_VALIDITY_MAX + 1;
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &p, &der, &len,
	    &number), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "BR 4.9.7"));
	p.validity_secs = -5;
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &p, &der, &len,
	    &number), ESEAL_EINVAL);
	/* Two shards cannot share one URL. */
	p = crlp;
	p.url_template = "{base}/crl/{issuer}.crl";
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &p, &der, &len,
	    &number), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "{shard}"));
	p = crlp;
	p.actor = NULL;
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &p, &der, &len,
	    &number), ESEAL_EINVAL);
	ck_assert_ptr_null(der);
	ck_assert_uint_eq(len, 0);
	/* A short validity is taken as given. */
	p = crlp;
	p.validity_secs = 3600;
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 1, now, &p, &der, &len,
	    &number), ESEAL_OK);
	OPENSSL_free(der);
	teardown(&f);
}
END_TEST

START_TEST(test_no_token)
{
	struct tu_ca f;
	struct store_crl latest;
	unsigned char *der = NULL;
	size_t len = 0;
	int64_t number;

	setup(&f, "ec-p256", 1);
	p11_close(f.ca.token);
	f.ca.token = NULL;
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, time(NULL), &crlp,
	    &der, &len, &number), ESEAL_EHSM);
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &latest),
	    ESEAL_ENOTFOUND);
	teardown(&f);
}
END_TEST

/* The owed CRL of a shard for every revocation, gone with a CRL listing it. */
START_TEST(test_owed_marks)
{
	struct tu_ca f;
	struct store_crl_owed *o = NULL;
	struct p11_token *tok;
	unsigned char *der = NULL;
	char serial[NCERTS][STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL), number, total = 0;
	size_t n = 0;
	size_t len;
	int s0;

	setup(&f, "ec-p256", 4);
	for (int i = 0; i < NCERTS; i++) {
		X509_free(issue(&f, 365, serial[i]));
		revoke(&f, serial[i], REVOKE_SUPERSEDED, 0, now);
	}
	ck_assert_int_eq(store_crl_owed_list(f.ca.store, &o, &n), ESEAL_OK);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(o[i].issuer_id, f.issuer->rec.id);
		ck_assert_int_eq(o[i].since, now);
		total += o[i].count;
	}
	ck_assert_int_eq(total, NCERTS);
	s0 = serial_shard(serial[0], 4);
	free(o);
	/* A failed signing leaves the mark. */
	tok = f.ca.token;
	f.ca.token = NULL;
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, s0, now, &crlp, &der,
	    &len, &number), ESEAL_EHSM);
	f.ca.token = tok;
	ck_assert_int_eq(store_crl_owed_upto(f.ca.store, f.issuer->rec.id, s0,
	    &number), ESEAL_OK);
	ck_assert_int_gt(number, 0);
	/* The CRL of that shard takes its marks, and only its own. */
	X509_CRL_free(generate(&f, s0, now, &number));
	ck_assert_int_eq(store_crl_owed_upto(f.ca.store, f.issuer->rec.id, s0,
	    &number), ESEAL_OK);
	ck_assert_int_eq(number, 0);
	ck_assert_int_eq(store_crl_owed_list(f.ca.store, &o, &n), ESEAL_OK);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_ne(o[i].shard, s0);
	free(o);
	/* A raise to keyCompromise changes the CRL: owed again. */
	revoke(&f, serial[0], REVOKE_KEY_COMPROMISE, 0, now + 1);
	ck_assert_int_eq(store_crl_owed_upto(f.ca.store, f.issuer->rec.id, s0,
	    &number), ESEAL_OK);
	ck_assert_int_gt(number, 0);
	teardown(&f);
}
END_TEST

START_TEST(test_url)
{
	char buf[CRL_URL_MAX], tiny[24];

	ck_assert_int_eq(crl_url("{base}/crl/{issuer}/{shard}.crl",
	    "http://ca.example.jp", "jp-ca-2026", 17, buf, sizeof(buf)),
	    ESEAL_OK);
	ck_assert_str_eq(buf, "http://ca.example.jp/crl/jp-ca-2026/17.crl");
	ck_assert_int_eq(crl_url("http://x.example/{issuer}-{shard}",
	    NULL, "a", 0, buf, sizeof(buf)), ESEAL_OK);
	ck_assert_str_eq(buf, "http://x.example/a-0");
	/* https, an unknown placeholder, {base} not given, odd characters. */
	ck_assert_int_eq(crl_url("https://x.example/{shard}", NULL, "a", 0,
	    buf, sizeof(buf)), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 5280 4.2.1.13"));
	ck_assert_int_eq(crl_url("http://x.example/{serial}", NULL, "a", 0,
	    buf, sizeof(buf)), ESEAL_EINVAL);
	ck_assert_int_eq(crl_url("{base}/{shard}", NULL, "a", 0, buf,
	    sizeof(buf)), ESEAL_EINVAL);
	ck_assert_int_eq(crl_url("http://x.example/a b/{shard}", NULL, "a", 0,
	    buf, sizeof(buf)), ESEAL_EINVAL);
	ck_assert_int_eq(crl_url("http://{issuer}/", NULL, "A/../b", 0, buf,
	    sizeof(buf)), ESEAL_EINVAL);
	ck_assert_int_eq(crl_url("http://x.example/{shard}", NULL, "a", -1,
	    buf, sizeof(buf)), ESEAL_EINVAL);
	ck_assert_int_eq(crl_url("", NULL, "a", 0, buf, sizeof(buf)),
	    ESEAL_EINVAL);
	ck_assert_int_eq(crl_url("http://example.org/crl/{issuer}/{shard}.crl",
	    NULL, "a", 0, tiny, sizeof(tiny)), ESEAL_EINVAL);
	ck_assert_str_eq(tiny, "");
}
END_TEST

/* Each refusal of crl_generate and crl_url names the rule it applies. */
START_TEST(test_refusals_name_rules)
{
	static const char *const none = "";
	struct tu_ca f;
	struct crl_params p;
	unsigned char *der = NULL;
	char buf[CRL_URL_MAX], tiny[24];
	size_t len = 0;
	int64_t number, now = time(NULL);

	setup(&f, "ec-p256", 2);
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 2, now, &crlp, &der, &len,
	    &number), ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "crl: [ca] crl_shards (fixed when the "
	    "issuer was created): issuer test-ca has shards 0 to 1, not 2");
	p = crlp;
	p.validity_secs = CRL_VALIDITY_MAX + 1;
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &p, &der, &len,
	    &number), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "CA/B Forum BR 4.9.7 "
	    "([publish] crl_validity_hours)"));
	p = crlp;
	p.actor = none;
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &p, &der, &len,
	    &number), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "audit record"));
	ck_assert_int_eq(crl_url("", NULL, "a", 0, buf, sizeof(buf)),
	    ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 5280 5.2.5"));
	ck_assert_int_eq(crl_url("http://{issuer}/", NULL, "A/../b", 0, buf,
	    sizeof(buf)), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 3986 2.3"));
	ck_assert_int_eq(crl_url("http://x.example/{shard}", NULL, "a", -1,
	    buf, sizeof(buf)), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "[ca] crl_shards"));
	ck_assert_int_eq(crl_url("http://example.org/crl/{issuer}/{shard}.crl",
	    NULL, "a", 0, tiny, sizeof(tiny)), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "CRL_URL_MAX"));
	ck_assert_ptr_null(der);
	teardown(&f);
}
END_TEST

/* The issuer's stored CA certificate gained a byte: no CRL is signed. */
START_TEST(test_ca_cert_trailing_bytes)
{
	struct tu_ca f;
	struct store_crl latest;
	sqlite3 *db;
	sqlite3_stmt *st;
	unsigned long uses;
	int made = -1;

	setup(&f, "ec-p256", 1);
	ck_assert_int_eq(sqlite3_open(f.conf->store_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE issuers SET cert = "
	    "?1 WHERE id = ?2", -1, &st, NULL), SQLITE_OK);
	{
		unsigned char *more = malloc(f.issuer->rec.cert_len + 2);

		ck_assert_ptr_nonnull(more);
		memcpy(more, f.issuer->rec.cert, f.issuer->rec.cert_len);
		more[f.issuer->rec.cert_len] = 0x05;	/* NULL, after it */
		more[f.issuer->rec.cert_len + 1] = 0x00;
		sqlite3_bind_blob(st, 1, more, (int)f.issuer->rec.cert_len + 2,
		    SQLITE_TRANSIENT);
		free(more);
	}
	sqlite3_bind_int64(st, 2, f.issuer->rec.id);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	uses = p11_key_uses(f.ca.token);
	ck_assert_int_eq(crl_generate_all(&f.ca, time(NULL), &crlp, &made),
	    ESEAL_ESTORE);
	ck_assert_int_eq(made, 0);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "2 trailing bytes"));
	ck_assert_uint_eq(p11_key_uses(f.ca.token), uses);
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &latest),
	    ESEAL_ENOTFOUND);
	teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crl");
	TCase *tc = tcase_create("crl");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_empty_crl, 0,
	    sizeof(keys) / sizeof(keys[0]));
	tcase_add_test(tc, test_number_increases);
	tcase_add_test(tc, test_entries);
	tcase_add_test(tc, test_expired_stay_listed);
	tcase_add_test(tc, test_expired_dropped_when_configured);
	tcase_add_test(tc, test_shards);
	tcase_add_test(tc, test_generate_all_and_audit);
	tcase_add_test(tc, test_audited);
	tcase_add_test(tc, test_bad_parameters);
	tcase_add_test(tc, test_no_token);
	tcase_add_test(tc, test_owed_marks);
	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_refusals_name_rules);
	tcase_add_test(tc, test_ca_cert_trailing_bytes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
