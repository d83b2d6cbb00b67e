/*
 * test_crl_delta.c: delta CRLs (RFC 5280 5.2.4) as a relying party sees
 * them.  With [publish] delta_crl on, a base CRL carries freshestCRL with
 * the delta's URL, and so do new certificates; a delta CRL parses to the
 * last byte, verifies with the CA key, carries a critical
 * deltaCRLIndicator with the base's number, a cRLNumber from the same
 * sequence, the base's issuingDistributionPoint byte for byte, the base's
 * nextUpdate, no freshestCRL, and lists exactly the revocations of its
 * shard made since the base; OpenSSL's path validation with deltas finds
 * a certificate revoked after the base through it; crl_generate_for()
 * makes a delta once there is a base.  Off: no freshestCRL.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "ca.h"
#include "crl.h"
#include "issue.h"
#include "issuer.h"
#include "profile.h"
#include "revoke.h"
#include "serial.h"
#include "store_crldelta.h"
#include "testutil.h"

#define NCERTS	8	/* issued over two shards */

static struct crl_params crlp;

static void
setup(struct tu_ca *f, int shards, int delta)
{
	tu_ca_setup(f, "crldelta", "ec-p256", shards);
	memset(&crlp, 0, sizeof(crlp));
	crlp.url_template = f->profile->crl_url;
	crlp.base_url = f->conf->publish_base_url;
	crlp.actor = "crl-delta-test";
	crlp.delta = delta;
	f->conf->publish_delta_crl = delta;
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
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)res.der_len));
	issue_result_clear(&res);
	return x;
}

static void
revoke(struct tu_ca *f, const char *serial, int64_t at)
{
	struct revoke_request rr;

	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = REVOKE_KEY_COMPROMISE;
	rr.actor = "test";
	ck_assert_msg(revoke_cert(&f->ca, &rr, at, NULL) == ESEAL_OK, "%s",
	    eseal_errmsg());
}

/* der as a relying party parses it: to the last byte, signature good. */
static X509_CRL *
parse(struct tu_ca *f, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *crl;

	ck_assert_ptr_nonnull(crl = d2i_X509_CRL(NULL, &p, (long)len));
	ck_assert_ptr_eq(p, der + len);
	ck_assert_int_eq(X509_CRL_verify(crl, f->issuer->pub), 1);
	return crl;
}

/* An INTEGER extension's value (cRLNumber, deltaCRLIndicator), crit. */
static int64_t
int_ext(X509_CRL *crl, int nid, int *crit)
{
	ASN1_INTEGER *n;
	int64_t v = -1;

	*crit = -1;
	if ((n = X509_CRL_get_ext_d2i(crl, nid, crit, NULL)) == NULL)
		return -1;
	ck_assert_int_eq(ASN1_INTEGER_get_int64(&v, n), 1);
	ASN1_INTEGER_free(n);
	return v;
}

/* The one URI of a freshestCRL / cRLDistributionPoints value, or "". */
static void
dp_uri(STACK_OF(DIST_POINT) *dps, char *buf, size_t len)
{
	GENERAL_NAME *gn;
	ASN1_IA5STRING *uri;

	buf[0] = '\0';
	if (dps == NULL)
		return;
	ck_assert_int_eq(sk_DIST_POINT_num(dps), 1);
	gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->distpoint->
	    name.fullname, 0);
	uri = GENERAL_NAME_get0_value(gn, NULL);
	snprintf(buf, len, "%.*s", ASN1_STRING_length(uri),
	    (const char *)ASN1_STRING_get0_data(uri));
	CRL_DIST_POINTS_free(dps);
}

/* The DER of crl's extension nid ("" and 0 if absent). */
static int
ext_der(X509_CRL *crl, int nid, unsigned char **out)
{
	int i = X509_CRL_get_ext_by_NID(crl, nid, -1);

	*out = NULL;
	if (i < 0)
		return 0;
	return i2d_X509_EXTENSION(X509_CRL_get_ext(crl, i), out);
}

static int
rp_verify(struct tu_ca *f, X509 *leaf, X509_CRL **crls, int n,
    unsigned long flags)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int err;

	X509_STORE_add_cert(st, f->issuer->cert);
	for (int i = 0; i < n; i++)
		X509_STORE_add_crl(st, crls[i]);
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | flags);
	X509_STORE_CTX_init(ctx, st, leaf, NULL);
	err = X509_verify_cert(ctx) == 1 ? X509_V_OK :
	    X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return err;
}

START_TEST(test_delta_encoding)
{
	struct tu_ca f;
	struct store_crl base;
	struct store_crl_delta d, stored;
	X509 *x[NCERTS];
	X509_CRL *bcrl, *dcrl, *both[2];
	X509_REVOKED *r;
	char serial[NCERTS][STORE_SERIAL_HEX_MAX], want[CRL_URL_MAX];
	char got[CRL_URL_MAX];
	unsigned char *bidp, *didp, *der;
	int64_t now = time(NULL), number;
	int cnt[2] = { 0, 0 }, s, before = -1, after = -1, clean = -1, crit;
	int bl, dl;
	size_t len;

	setup(&f, 2, 1);
	for (int i = 0; i < NCERTS; i++) {
		x[i] = issue(&f, serial[i]);
		cnt[serial_shard(serial[i], 2)]++;
	}
	s = cnt[0] >= 3 ? 0 : 1;	/* 8 over 2: one shard has 4 */
	for (int i = 0; i < NCERTS; i++) {
		if (serial_shard(serial[i], 2) != s)
			continue;
		if (before < 0)
			before = i;
		else if (after < 0)
			after = i;
		else if (clean < 0)
			clean = i;
	}
	/* New certificates: freshestCRL with the delta URL of their shard. */
	ck_assert_int_eq(crl_delta_url(crlp.url_template, crlp.base_url,
	    f.issuer->rec.name, s, want, sizeof(want)), ESEAL_OK);
	ck_assert_ptr_nonnull(strstr(want, PROFILE_DELTA_SUFFIX));
	dp_uri(X509_get_ext_d2i(x[before], NID_freshest_crl, &crit, NULL),
	    got, sizeof(got));
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(crit, 0);

	/* The base CRL: made after one revocation, freshestCRL in it. */
	revoke(&f, serial[before], now - 7200);
	ck_assert_msg(crl_generate(&f.ca, f.issuer, s, now - 3600, &crlp, &der,
	    &len, &number) == ESEAL_OK, "%s", eseal_errmsg());
	bcrl = parse(&f, der, len);
	OPENSSL_free(der);
	dp_uri(X509_CRL_get_ext_d2i(bcrl, NID_freshest_crl, &crit, NULL), got,
	    sizeof(got));
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(int_ext(bcrl, NID_delta_crl, &crit), -1);
	ck_assert_int_eq(crit, -1);

	/* Revoked after the base: only the delta lists it. */
	revoke(&f, serial[after], now - 600);
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, s, &base),
	    ESEAL_OK);
	ck_assert_int_eq(base.number, number);
	ck_assert_msg(crl_generate_delta(&f.ca, f.issuer, s, now, &crlp, &base,
	    &d) == ESEAL_OK, "%s", eseal_errmsg());
	dcrl = parse(&f, d.c.der, d.c.der_len);
	ck_assert_int_eq(int_ext(dcrl, NID_delta_crl, &crit), number);
	ck_assert_int_eq(crit, 1);			/* RFC 5280 5.2.4 */
	ck_assert_int_eq(int_ext(dcrl, NID_crl_number, &crit), number + 1);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(d.c.number, number + 1);
	ck_assert_int_eq(d.base_number, number);
	ck_assert_int_eq(X509_CRL_get_ext_by_NID(dcrl, NID_freshest_crl, -1),
	    -1);					/* 5.2.6 */
	bl = ext_der(bcrl, NID_issuing_distribution_point, &bidp);
	dl = ext_der(dcrl, NID_issuing_distribution_point, &didp);
	ck_assert_int_gt(bl, 0);
	ck_assert_int_eq(bl, dl);
	ck_assert_int_eq(memcmp(bidp, didp, (size_t)bl), 0);
	OPENSSL_free(bidp);
	OPENSSL_free(didp);
	ck_assert_int_eq(ASN1_TIME_compare(X509_CRL_get0_nextUpdate(dcrl),
	    X509_CRL_get0_nextUpdate(bcrl)), 0);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(dcrl)), 1);
	ck_assert_int_eq(X509_CRL_get0_by_serial(dcrl, &r,
	    (ASN1_INTEGER *)X509_get0_serialNumber(x[after])), 1);
	ck_assert_int_eq(X509_CRL_get0_by_serial(bcrl, &r,
	    (ASN1_INTEGER *)X509_get0_serialNumber(x[after])), 0);

	/* Stored as signed. */
	ck_assert_int_eq(store_crl_delta_latest(f.ca.store, f.issuer->rec.id,
	    s, &stored), ESEAL_OK);
	ck_assert_uint_eq(stored.c.der_len, d.c.der_len);
	ck_assert_int_eq(memcmp(stored.c.der, d.c.der, d.c.der_len), 0);
	ck_assert_int_eq(stored.base_number, number);
	store_crl_delta_clear(&stored);

	/* A relying party: base alone misses it, base + delta finds it. */
	both[0] = bcrl;
	both[1] = dcrl;
	ck_assert_int_eq(rp_verify(&f, x[after], both, 1, 0), X509_V_OK);
	ck_assert_int_eq(rp_verify(&f, x[after], both, 2,
	    X509_V_FLAG_USE_DELTAS), X509_V_ERR_CERT_REVOKED);
	/*
	 * OpenSSL 3.0 (x509_vfy.c get_crl_score) keeps a delta CRL out of
	 * the choice of the complete CRL only with extended CRL support:
	 * without it the newer delta is taken as complete and what only the
	 * base lists is missed (docs/revocation.md says so).
	 */
	ck_assert_int_eq(rp_verify(&f, x[before], both, 2,
	    X509_V_FLAG_USE_DELTAS | X509_V_FLAG_EXTENDED_CRL_SUPPORT),
	    X509_V_ERR_CERT_REVOKED);
	ck_assert_int_eq(rp_verify(&f, x[after], both, 2,
	    X509_V_FLAG_USE_DELTAS | X509_V_FLAG_EXTENDED_CRL_SUPPORT),
	    X509_V_ERR_CERT_REVOKED);
	ck_assert_int_eq(rp_verify(&f, x[clean], both, 2,
	    X509_V_FLAG_USE_DELTAS | X509_V_FLAG_EXTENDED_CRL_SUPPORT),
	    X509_V_OK);
	ck_assert_int_eq(rp_verify(&f, x[clean], both, 2,
	    X509_V_FLAG_USE_DELTAS), X509_V_OK);

	/* RFC 5280 5.2.3: the next base continues the same sequence. */
	OPENSSL_free(base.der);
	memset(&base, 0, sizeof(base));
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, s, now, &crlp, &der,
	    &len, &number), ESEAL_OK);
	ck_assert_int_eq(number, d.c.number + 1);
	OPENSSL_free(der);

	store_crl_delta_clear(&d);
	X509_CRL_free(bcrl);
	X509_CRL_free(dcrl);
	for (int i = 0; i < NCERTS; i++)
		X509_free(x[i]);
	tu_ca_teardown(&f);
}
END_TEST

/* A delta needs a valid base; a newer base makes the old one refused. */
START_TEST(test_delta_refusals)
{
	struct tu_ca f;
	struct store_crl base;
	struct store_crl_delta d;
	unsigned char *der;
	size_t len;
	int64_t now = time(NULL), n1, n2;

	setup(&f, 1, 1);
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now - 10, &crlp, &der,
	    &len, &n1), ESEAL_OK);
	OPENSSL_free(der);
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &base),
	    ESEAL_OK);
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &crlp, &der,
	    &len, &n2), ESEAL_OK);
	OPENSSL_free(der);
	ck_assert_int_eq(crl_generate_delta(&f.ca, f.issuer, 0, now, &crlp,
	    &base, &d), ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "is not the newest"));
	base.next_update = now;
	ck_assert_int_eq(crl_generate_delta(&f.ca, f.issuer, 0, now, &crlp,
	    &base, &d), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 5280 5.2.4"));
	store_crl_clear(&base);
	/* A URL not ending in .crl has no delta beside it. */
	crlp.url_template = "{base}/crl/{issuer}/{shard}";
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &crlp, &der,
	    &len, &n2), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "ending in .crl"));
	tu_ca_teardown(&f);
}
END_TEST

/*
 * crl_generate_for() after a revocation: a base CRL when there is none, a
 * delta over it once there is one (the base is not re-signed).
 */
START_TEST(test_generate_for)
{
	struct tu_ca f;
	struct store_crl base;
	struct store_crl_delta d;
	char s1[STORE_SERIAL_HEX_MAX], s2[STORE_SERIAL_HEX_MAX];
	X509 *x1, *x2;
	X509_CRL *crl;
	X509_REVOKED *r;
	int64_t now = time(NULL), n1, n2;

	setup(&f, 1, 1);
	x1 = issue(&f, s1);
	x2 = issue(&f, s2);
	revoke(&f, s1, now);
	ck_assert_int_eq(crl_generate_for(&f.ca, s1, now, &crlp, &n1),
	    ESEAL_OK);
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &base),
	    ESEAL_OK);
	ck_assert_int_eq(base.number, n1);		/* no base yet: a base */
	store_crl_clear(&base);
	ck_assert_int_eq(store_crl_delta_latest(f.ca.store, f.issuer->rec.id,
	    0, &d), ESEAL_ENOTFOUND);
	revoke(&f, s2, now);
	ck_assert_int_eq(crl_generate_for(&f.ca, s2, now, &crlp, &n2),
	    ESEAL_OK);
	ck_assert_int_eq(n2, n1 + 1);
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &base),
	    ESEAL_OK);
	ck_assert_int_eq(base.number, n1);		/* not re-signed */
	store_crl_clear(&base);
	ck_assert_int_eq(store_crl_delta_latest(f.ca.store, f.issuer->rec.id,
	    0, &d), ESEAL_OK);
	ck_assert_int_eq(d.c.number, n2);
	ck_assert_int_eq(d.base_number, n1);
	crl = parse(&f, d.c.der, d.c.der_len);
	ck_assert_int_eq(X509_CRL_get0_by_serial(crl, &r,
	    (ASN1_INTEGER *)X509_get0_serialNumber(x2)), 1);
	X509_CRL_free(crl);
	store_crl_delta_clear(&d);
	X509_free(x1);
	X509_free(x2);
	tu_ca_teardown(&f);
}
END_TEST

/* [publish] crl_keep_days: old delta bodies are emptied, never the newest. */
START_TEST(test_delta_retention)
{
	struct tu_ca f;
	struct store_crl base;
	struct store_crl_delta d;
	unsigned char *der;
	size_t len;
	int64_t now = time(NULL), old = now - 40 * 86400, n;
	sqlite3 *db;
	sqlite3_stmt *st;

	setup(&f, 1, 1);
	crlp.keep_secs = 30 * 86400;
	crlp.validity_secs = 10 * 86400;
	/* A base and a delta 40 days old, then a base and a delta now. */
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, old, &crlp, &der,
	    &len, &n), ESEAL_OK);
	OPENSSL_free(der);
	ck_assert_int_eq(store_crl_delta_base(f.ca.store, f.issuer->rec.id, 0,
	    &base), ESEAL_OK);
	ck_assert_int_eq(crl_generate_delta(&f.ca, f.issuer, 0, old + 60,
	    &crlp, &base, &d), ESEAL_OK);
	store_crl_delta_clear(&d);
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &crlp, &der,
	    &len, &n), ESEAL_OK);
	OPENSSL_free(der);
	ck_assert_int_eq(store_crl_delta_base(f.ca.store, f.issuer->rec.id, 0,
	    &base), ESEAL_OK);
	ck_assert_int_eq(base.number, n);
	ck_assert_int_eq(crl_generate_delta(&f.ca, f.issuer, 0, now, &crlp,
	    &base, &d), ESEAL_OK);
	/* As the store has it: number and whether the body is kept. */
	ck_assert_int_eq(sqlite3_open(f.conf->store_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT group_concat(number "
	    "|| ':' || (length(der) > 0), ' ') FROM (SELECT * FROM crl_deltas "
	    "ORDER BY number)", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "2:0 4:1");
	sqlite3_finalize(st);
	sqlite3_close(db);
	store_crl_delta_clear(&d);
	tu_ca_teardown(&f);
}
END_TEST

/* [publish] crl_keep_count: deltas keep the last K bodies, never fewer
 * than the newest. */
START_TEST(test_delta_retention_count)
{
	struct tu_ca f;
	struct store_crl base;
	struct store_crl_delta d;
	unsigned char *der;
	size_t len;
	int64_t now = time(NULL), n;
	sqlite3 *db;
	sqlite3_stmt *st;

	setup(&f, 1, 1);
	crlp.keep_count = 2;
	crlp.validity_secs = 10 * 86400;
	/* A base (1), then four deltas over it (2..5), no age bound. */
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now, &crlp, &der,
	    &len, &n), ESEAL_OK);
	OPENSSL_free(der);
	ck_assert_int_eq(store_crl_delta_base(f.ca.store, f.issuer->rec.id, 0,
	    &base), ESEAL_OK);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(crl_generate_delta(&f.ca, f.issuer, 0, now + i,
		    &crlp, &base, &d), ESEAL_OK);
		store_crl_delta_clear(&d);
	}
	ck_assert_int_eq(sqlite3_open(f.conf->store_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT group_concat(number "
	    "|| ':' || (length(der) > 0), ' ') FROM (SELECT * FROM crl_deltas "
	    "ORDER BY number)", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0),
	    "2:0 3:0 4:1 5:1");
	sqlite3_finalize(st);
	sqlite3_close(db);
	tu_ca_teardown(&f);
}
END_TEST

/* Off (the default): no freshestCRL in CRLs or certificates. */
START_TEST(test_delta_off)
{
	struct tu_ca f;
	char serial[STORE_SERIAL_HEX_MAX];
	unsigned char *der;
	size_t len;
	int64_t number;
	X509 *x;
	X509_CRL *crl;

	setup(&f, 1, 0);
	x = issue(&f, serial);
	ck_assert_int_eq(X509_get_ext_by_NID(x, NID_freshest_crl, -1), -1);
	ck_assert_int_ge(X509_get_ext_by_NID(x, NID_crl_distribution_points,
	    -1), 0);
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, time(NULL), &crlp,
	    &der, &len, &number), ESEAL_OK);
	crl = parse(&f, der, len);
	ck_assert_int_eq(X509_CRL_get_ext_by_NID(crl, NID_freshest_crl, -1),
	    -1);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	X509_free(x);
	tu_ca_teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crl_delta");
	TCase *tc = tcase_create("crl_delta");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_delta_encoding);
	tcase_add_test(tc, test_delta_refusals);
	tcase_add_test(tc, test_generate_for);
	tcase_add_test(tc, test_delta_retention);
	tcase_add_test(tc, test_delta_retention_count);
	tcase_add_test(tc, test_delta_off);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
