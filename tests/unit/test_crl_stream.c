/*
 * test_crl_stream.c: the streaming CRL writer against the way CRLs were
 * built before it (OpenSSL's X509_REVOKED and X509_CRL_sort, rebuilt here
 * as the referee): every entry byte for byte and in the same order, for
 * serials of every length and leading digit, every reason, dates on both
 * sides of 2050; a CRL of a store with hundreds of revocations parses to
 * the last byte, verifies with the CA key and lists exactly the revoked
 * serials of its shard; rows that cannot be encoded are refused naming
 * the rule and no CRL is recorded.  The start check's walk of a published
 * CRL (backup_crl_number) reads this CA's CRLs to their number, refuses
 * every cut of one, and refuses each hostile CRL of tests/data/crlnum/bad/
 * naming the rule it breaks.
 */
#include <dirent.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "ca/backup_int.h"
#include "crl.h"
#include "crl_stream.h"
#include "revoke.h"
#include "serial.h"
#include "store_crlkeep.h"
#include "store_publish.h"
#include "store_revoke.h"
#include "testutil.h"

#define NUNKNOWN	400	/* revoked_unknown rows of the store tests */
#define CRLNUM		"tests/data/crlnum"	/* make-data.sh there */

/* The old builder's entry (crl.c before crl_stream.c), as the referee. */
static X509_REVOKED *
old_entry(const struct store_revocation *r)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn;
	ASN1_TIME *t;

	ck_assert_int_gt(BN_hex2bn(&bn, r->serial), 0);
	ck_assert_ptr_nonnull(sn = BN_to_ASN1_INTEGER(bn, NULL));
	ck_assert_int_eq(X509_REVOKED_set_serialNumber(rev, sn), 1);
	ck_assert_ptr_nonnull(t = ASN1_TIME_set(NULL, (time_t)r->revoked_at));
	ck_assert_int_eq(X509_REVOKED_set_revocationDate(rev, t), 1);
	if (r->reason != REVOKE_UNSPECIFIED) {
		ASN1_ENUMERATED *code = ASN1_ENUMERATED_new();

		ASN1_ENUMERATED_set(code, r->reason);
		ck_assert_int_eq(X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason,
		    code, 0, 0), 1);
		ASN1_ENUMERATED_free(code);
	}
	if (r->invalidity_date != 0) {
		ASN1_GENERALIZEDTIME *inv = ASN1_GENERALIZEDTIME_set(NULL,
		    (time_t)r->invalidity_date);

		ck_assert_int_eq(X509_REVOKED_add1_ext_i2d(rev,
		    NID_invalidity_date, inv, 0, 0), 1);
		ASN1_GENERALIZEDTIME_free(inv);
	}
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	BN_free(bn);
	return rev;
}

static void
same_entry(const struct store_revocation *r)
{
	unsigned char out[CRL_ENTRY_DER_MAX], *ref = NULL;
	X509_REVOKED *rev = old_entry(r);
	size_t n;
	int rn;

	ck_assert_msg(crl_stream_entry(r, out, &n) == ESEAL_OK, "%s: %s",
	    r->serial, eseal_errmsg());
	rn = i2d_X509_REVOKED(rev, &ref);
	ck_assert_int_gt(rn, 0);
	ck_assert_msg((size_t)rn == n && memcmp(out, ref, n) == 0,
	    "entry of %s (reason %d, at %lld, inv %lld) differs from "
	    "OpenSSL's", r->serial, r->reason, (long long)r->revoked_at,
	    (long long)r->invalidity_date);
	OPENSSL_free(ref);
	X509_REVOKED_free(rev);
}

START_TEST(test_entry_bytes)
{
	static const char *serials[] = { "1", "7f", "80", "ff", "100", "0",
	    "00ff", "000000abc", "abc", "ABCDEF", "7fffffffffffffffffffffffffffff"
	    "ffffffffff", "8000000000000000000000000000000000000000",
	    "213c0c681bc11c17fea4ba4388316a81" };
	static const int64_t dates[] = { 0, 1, 946684799, 2524607999,
	    2524608000, 4102444800, 1767225600 };
	struct store_revocation r;
	unsigned int seed = 17;

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]); i++)
		for (int reason = 0; reason < REVOKE_REASON_MAX; reason++)
			for (size_t d = 0; d < sizeof(dates) / sizeof(dates[0]);
			    d++) {
				if (reason == 7)
					continue;
				snprintf(r.serial, sizeof(r.serial), "%s",
				    serials[i]);
				r.reason = reason;
				r.revoked_at = dates[d];
				r.invalidity_date = d % 2 ? dates[(d + 3) %
				    (sizeof(dates) / sizeof(dates[0]))] : 0;
				same_entry(&r);
			}
	/* Random serials of every length from 1 to 40 hex digits. */
	for (int i = 0; i < 4000; i++) {
		int len = 1 + rand_r(&seed) % 40;

		for (int j = 0; j < len; j++)
			r.serial[j] = "0123456789abcdef"[rand_r(&seed) % 16];
		r.serial[len] = '\0';
		r.reason = rand_r(&seed) % REVOKE_REASON_MAX;
		if (r.reason == 7)
			r.reason = 1;
		r.revoked_at = rand_r(&seed) % 4102444800LL;
		r.invalidity_date = i % 3 ? 0 : 1 + rand_r(&seed) % 2524607999LL;
		same_entry(&r);
	}
}
END_TEST

START_TEST(test_entry_refusals)
{
	static const struct {
		const char	*serial;
		int		 reason;
		const char	*words;
	} bad[] = {
		{ "abc", 7, "not a CRLReason" },
		{ "abc", REVOKE_REASON_MAX, "not a CRLReason" },
		{ "abc", -1, "not a CRLReason" },
		{ "12zz", 1, "not hex" },
		{ "", 1, "not hex" },
		{ "0x12", 1, "not hex" },
	};
	unsigned char out[CRL_ENTRY_DER_MAX];
	struct store_revocation r;
	size_t n = 99;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0, sizeof(r));
		snprintf(r.serial, sizeof(r.serial), "%s", bad[i].serial);
		r.reason = bad[i].reason;
		r.revoked_at = 1767225600;
		ck_assert_int_eq(crl_stream_entry(&r, out, &n), ESEAL_ESTORE);
		ck_assert_uint_eq(n, 0);
		ck_assert_msg(strstr(eseal_errmsg(), bad[i].words) != NULL &&
		    tu_cites_rule(eseal_errmsg()), "%s", eseal_errmsg());
	}
}
END_TEST

/* A store of NUNKNOWN revocations of odd serials (013's revoked_unknown). */
static void
fill(struct tu_ca *f, int bad_row)
{
	sqlite3 *db;
	char sql[512];
	unsigned int seed = 5;

	ck_assert_int_eq(sqlite3_open(f->conf->store_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), 0);
	for (int i = 0; i < NUNKNOWN; i++) {
		char hex[STORE_SERIAL_HEX_MAX];
		int len = 1 + rand_r(&seed) % 32, reason;

		hex[0] = "123456789abcdef"[rand_r(&seed) % 15];
		for (int j = 1; j < len; j++)
			hex[j] = "0123456789abcdef"[rand_r(&seed) % 16];
		hex[len] = '\0';
		reason = rand_r(&seed) % REVOKE_REASON_MAX;
		if (reason == 7)
			reason = 0;
		if (bad_row && i == NUNKNOWN / 2)
			reason = 7;	/* no CRLReason: RFC 5280 5.3.1 */
		snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO "
		    "revoked_unknown (serial, issuer_id, reason, revoked_at, "
		    "invalidity_date, source, recorded) VALUES ('%s', %lld, %d, "
		    "%d, %s, 'test', 0)", hex, (long long)f->issuer->rec.id,
		    reason, 1700000000 + i, i % 4 ? "NULL" : "1690000000");
		ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), 0);
	}
	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), 0);
	sqlite3_close(db);
}

static X509_CRL *
stream_crl(struct tu_ca *f, int shard, int64_t now)
{
	struct crl_params cp;
	unsigned char *der;
	const unsigned char *p;
	size_t len;
	int64_t number;
	X509_CRL *crl;

	memset(&cp, 0, sizeof(cp));
	cp.url_template = f->profile->crl_url;
	cp.base_url = f->conf->publish_base_url;
	cp.actor = "crl-stream-test";
	ck_assert_msg(crl_generate(&f->ca, f->issuer, shard, now, &cp, &der,
	    &len, &number) == ESEAL_OK, "%s", eseal_errmsg());
	p = der;
	ck_assert_ptr_nonnull(crl = d2i_X509_CRL(NULL, &p, (long)len));
	ck_assert_ptr_eq(p, der + len);		/* to the last byte */
	ck_assert_int_eq(X509_CRL_verify(crl, f->issuer->pub), 1);
	OPENSSL_free(der);
	return crl;
}

/* The streamed CRL of each shard against the old builder, entry by entry. */
static void
compare_shards(struct tu_ca *f, int shards, int64_t now)
{
	struct store_revocation *revs = NULL;
	size_t nrev = 0, total = 0;

	ck_assert_int_eq(store_revocation_list(f->ca.store,
	    f->issuer->rec.id, &revs, &nrev), ESEAL_OK);
	ck_assert_uint_ge(nrev, NUNKNOWN / 2);
	for (int s = 0; s < shards; s++) {
		X509_CRL *crl = stream_crl(f, s, now), *old = X509_CRL_new();
		STACK_OF(X509_REVOKED) *got, *want;

		for (size_t i = 0; i < nrev; i++)
			if (serial_shard(revs[i].serial, shards) == s)
				X509_CRL_add0_revoked(old, old_entry(&revs[i]));
		ck_assert_int_eq(X509_CRL_sort(old), 1);
		got = X509_CRL_get_REVOKED(crl);
		want = X509_CRL_get_REVOKED(old);
		ck_assert_int_eq(sk_X509_REVOKED_num(got),
		    sk_X509_REVOKED_num(want));
		for (int i = 0; i < sk_X509_REVOKED_num(want); i++) {
			unsigned char *a = NULL, *b = NULL;
			int la = i2d_X509_REVOKED(sk_X509_REVOKED_value(got, i),
			    &a);
			int lb = i2d_X509_REVOKED(sk_X509_REVOKED_value(want,
			    i), &b);

			ck_assert_msg(la == lb && memcmp(a, b, (size_t)la) == 0,
			    "shard %d entry %d differs from the old builder's",
			    s, i);
			OPENSSL_free(a);
			OPENSSL_free(b);
		}
		total += (size_t)sk_X509_REVOKED_num(got);
		X509_CRL_free(old);
		X509_CRL_free(crl);
	}
	ck_assert_uint_eq(total, nrev);	/* every revoked serial, once */
	free(revs);
}

START_TEST(test_store_crl_matches_old_builder)
{
	static const int shards[] = { 1, 3 };
	struct tu_ca f;

	tu_ca_setup(&f, "crlstream", "ec-p256", shards[_i]);
	fill(&f, 0);
	compare_shards(&f, shards[_i], time(NULL));
	tu_ca_teardown(&f);
}
END_TEST

START_TEST(test_bad_row_records_nothing)
{
	struct tu_ca f;
	struct crl_params cp;
	struct store_crl latest;
	unsigned char *der = NULL;
	size_t len = 0;
	int64_t number = 0;

	tu_ca_setup(&f, "crlstream", "rsa-3072", 1);
	fill(&f, 1);
	memset(&cp, 0, sizeof(cp));
	cp.url_template = f.profile->crl_url;
	cp.base_url = f.conf->publish_base_url;
	cp.actor = "crl-stream-test";
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, time(NULL), &cp,
	    &der, &len, &number), ESEAL_ESTORE);
	ck_assert_ptr_null(der);
	ck_assert_msg(strstr(eseal_errmsg(), "RFC 5280 5.3.1") != NULL, "%s",
	    eseal_errmsg());
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &latest),
	    ESEAL_ENOTFOUND);
	tu_ca_teardown(&f);
}
END_TEST

/* Bounded storage: bodies older than keep_secs go, the newest stays. */
START_TEST(test_retention)
{
	struct tu_ca f;
	struct crl_params cp;
	struct store_crl_info info;
	unsigned char *der[3], want[32];
	size_t len[3], pruned = 9;
	int64_t number, now = time(NULL), day = 86400, entries;

	tu_ca_setup(&f, "crlstream", "ec-p256", 1);
	fill(&f, 0);
	memset(&cp, 0, sizeof(cp));
	cp.url_template = f.profile->crl_url;
	cp.base_url = f.conf->publish_base_url;
	cp.actor = "crl-stream-test";
	cp.keep_secs = 30 * day;
	for (int i = 0; i < 3; i++)
		ck_assert_msg(crl_generate(&f.ca, f.issuer, 0, now + i * 20 * day,
		    &cp, &der[i], &len[i], &number) == ESEAL_OK, "%s",
		    eseal_errmsg());
	/* CRL 1 (40 days before CRL 3) pruned by the third; 2 and 3 kept. */
	ck_assert_int_eq(store_crl_get(f.ca.store, f.issuer->rec.id, 0, 1,
	    &info), ESEAL_OK);
	ck_assert_int_eq(info.pruned, now + 40 * day);
	ck_assert_ptr_null(info.c.der);
	SHA256(der[0], len[0], want);
	ck_assert_mem_eq(info.digest, want, 32);
	ck_assert_int_eq(crl_stream_count(der[0], len[0], &entries), ESEAL_OK);
	ck_assert_int_ge(entries, NUNKNOWN / 2);
	ck_assert_int_eq(info.entries, entries);
	ck_assert_int_eq(info.c.this_update, now);
	for (int64_t n = 2; n <= 3; n++) {
		ck_assert_int_eq(store_crl_get(f.ca.store, f.issuer->rec.id, 0,
		    n, &info), ESEAL_OK);
		ck_assert_int_eq(info.pruned, 0);
		ck_assert_uint_eq(info.c.der_len, len[n - 1]);
		ck_assert_mem_eq(info.c.der, der[n - 1], len[n - 1]);
		store_crl_clear(&info.c);
	}
	/* Nothing more to prune; the newest is never pruned. */
	ck_assert_int_eq(crl_prune(&f.ca, f.issuer, 0, now + 400 * day,
	    30 * day, 0, &pruned), ESEAL_OK);
	ck_assert_uint_eq(pruned, 1);	/* CRL 2 */
	ck_assert_int_eq(store_crl_get(f.ca.store, f.issuer->rec.id, 0, 3,
	    &info), ESEAL_OK);
	ck_assert_int_eq(info.pruned, 0);
	store_crl_clear(&info.c);
	ck_assert_int_eq(store_crl_get(f.ca.store, f.issuer->rec.id, 0, 9,
	    &info), ESEAL_ENOTFOUND);
	for (int i = 0; i < 3; i++)
		OPENSSL_free(der[i]);
	tu_ca_teardown(&f);
}
END_TEST

/* 1 if CRL number of the shard keeps its body, 0 if pruned. */
static int
kept(struct tu_ca *f, int64_t number)
{
	struct store_crl_info info;
	int k;

	ck_assert_int_eq(store_crl_get(f->ca.store, f->issuer->rec.id, 0,
	    number, &info), ESEAL_OK);
	k = info.pruned == 0;
	ck_assert_int_eq(info.c.der != NULL, k);
	store_crl_clear(&info.c);
	return k;
}

/*
 * [publish] crl_keep_count: a body goes once keep_count newer CRLs of the
 * shard exist, or (OR) once it is older than keep_secs; the newest never.
 */
START_TEST(test_retention_count)
{
	struct tu_ca f;
	struct crl_params cp;
	unsigned char *der;
	size_t len, pruned = 9;
	int64_t number, now = time(NULL), day = 86400;

	tu_ca_setup(&f, "crlstream", "ec-p256", 1);
	fill(&f, 0);
	memset(&cp, 0, sizeof(cp));
	cp.url_template = f.profile->crl_url;
	cp.base_url = f.conf->publish_base_url;
	cp.actor = "crl-stream-test";
	/* No age bound, the last 2 kept: five CRLs in a burst. */
	cp.keep_count = 2;
	for (int i = 0; i < 5; i++) {
		ck_assert_msg(crl_generate(&f.ca, f.issuer, 0, now + i, &cp,
		    &der, &len, &number) == ESEAL_OK, "%s", eseal_errmsg());
		OPENSSL_free(der);
		ck_assert_int_eq(number, i + 1);
		/* Never more than the last 2, from the third CRL on. */
		for (int64_t n = 1; n <= number; n++)
			ck_assert_msg(kept(&f, n) == (n > number - 2),
			    "after CRL %lld: CRL %lld", (long long)number,
			    (long long)n);
	}
	/* A lower bound later: pruned to it; the newest stays even at 1. */
	ck_assert_int_eq(crl_prune(&f.ca, f.issuer, 0, now + 10, 0, 1,
	    &pruned), ESEAL_OK);
	ck_assert_uint_eq(pruned, 1);
	ck_assert_int_eq(kept(&f, 4), 0);
	ck_assert_int_eq(kept(&f, 5), 1);
	/* Neither bound: nothing is pruned. */
	ck_assert_int_eq(crl_prune(&f.ca, f.issuer, 0, now + 400 * day, 0, 0,
	    &pruned), ESEAL_OK);
	ck_assert_uint_eq(pruned, 0);
	ck_assert_int_eq(kept(&f, 5), 1);
	/*
	 * Both, either prunes: with 3 kept by count, CRL 5 (one newer CRL)
	 * goes by age when CRL 6 is made 40 days later; 6 stays.
	 */
	cp.keep_count = 3;
	cp.keep_secs = 30 * day;
	ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now + 40 * day, &cp,
	    &der, &len, &number), ESEAL_OK);
	OPENSSL_free(der);
	ck_assert_int_eq(number, 6);
	ck_assert_int_eq(kept(&f, 5), 0);
	ck_assert_int_eq(kept(&f, 6), 1);
	/* And count alone within the age: 7, 8, 9 at once keep 7..9 only. */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(crl_generate(&f.ca, f.issuer, 0, now + 40 * day
		    + 1 + i, &cp, &der, &len, &number), ESEAL_OK);
		OPENSSL_free(der);
	}
	ck_assert_int_eq(number, 9);
	for (int64_t n = 1; n <= 9; n++)
		ck_assert_msg(kept(&f, n) == (n >= 7), "CRL %lld", (long long)n);
	tu_ca_teardown(&f);
}
END_TEST

/* This CA's CRL walked to its number; every cut of it refused. */
START_TEST(test_walk_own_crl)
{
	struct tu_ca f;
	struct crl_params cp;
	unsigned char *der, *cut;
	size_t len;
	int64_t number, got;
	int undecided;

	tu_ca_setup(&f, "crlstream", "ec-p256", 1);
	fill(&f, 0);
	memset(&cp, 0, sizeof(cp));
	cp.url_template = f.profile->crl_url;
	cp.base_url = f.conf->publish_base_url;
	cp.actor = "crl-stream-test";
	ck_assert_msg(crl_generate(&f.ca, f.issuer, 0, time(NULL), &cp, &der,
	    &len, &number) == ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_msg(backup_crl_number(der, len, f.issuer->rec.cert,
	    f.issuer->rec.cert_len, "0.crl", "test-ca", &got, &undecided) ==
	    ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_int_eq(got, number);
	ck_assert_int_eq(undecided, 0);
	for (size_t n = 0; n < len; n++) {
		ck_assert_ptr_nonnull(cut = malloc(n + 1));
		memcpy(cut, der, n);
		ck_assert_msg(backup_crl_number(cut, n, f.issuer->rec.cert,
		    f.issuer->rec.cert_len, "0.crl", "test-ca", &got,
		    &undecided) == ESEAL_EINVAL, "cut at %zu accepted", n);
		free(cut);
	}
	OPENSSL_free(der);
	tu_ca_teardown(&f);
}
END_TEST

/* The issuer of tests/data/crlnum/: its certificate in DER. */
static unsigned char *
crlnum_ca(size_t *len)
{
	unsigned char *der = NULL;
	FILE *fp;
	X509 *x;
	int n;

	ck_assert_ptr_nonnull(fp = fopen(CRLNUM "/ca.pem", "r"));
	ck_assert_ptr_nonnull(x = PEM_read_X509(fp, NULL, NULL, NULL));
	fclose(fp);
	ck_assert_int_gt(n = i2d_X509(x, &der), 0);
	X509_free(x);
	*len = (size_t)n;
	return der;
}

/*
 * Every file of tests/data/crlnum/bad/ refused by the start check's walk:
 * ESEAL_EINVAL, the message naming the file and the rule; undecided only
 * for another signature algorithm (the full parse then decides).
 */
START_TEST(test_walk_hostile)
{
	static const struct {
		const char	*name;
		const char	*rule;
		int		 undecided;
	} bad[] = {
		{ "truncated.crl", "RFC 5280 5.1 / X.690 DER", 0 },
		{ "trailing-byte.crl", "RFC 5280 5.1 / X.690 DER", 0 },
		{ "wrong-outer-tag.crl", "RFC 5280 5.1 / X.690 DER", 0 },
		{ "huge-length.crl", "RFC 5280 5.1 / X.690 DER", 0 },
		{ "indefinite-length.crl", "RFC 5280 5.1 / X.690 DER", 0 },
		{ "version-missing.crl", "RFC 5280 5.1 / X.690 DER", 0 },
		{ "sha384-algorithm.crl", "RFC 5280 5.1 / X.690 DER", 1 },
		{ "tbs-changed.crl", "RFC 5280 6.3.3", 0 },
		{ "other-signer.crl", "RFC 5280 6.3.3", 0 },
		{ "extensions-not-last.crl", "RFC 5280 5.2.3", 0 },
		{ "two-extensions-blocks.crl", "RFC 5280 5.2.3", 0 },
		{ "crlnumber-missing.crl", "RFC 5280 5.2.3", 0 },
		{ "crlnumber-zero.crl", "RFC 5280 5.2.3", 0 },
		{ "crlnumber-negative.crl", "RFC 5280 5.2.3", 0 },
		{ "crlnumber-huge.crl", "RFC 5280 5.2.3", 0 },
		{ "crlnumber-twice.crl", "RFC 5280 5.2.3", 0 },
	};
	struct dirent *de;
	unsigned char *ca, *b;
	char path[512], want[600];
	size_t ca_len, n, i, seen = 0;
	int64_t number;
	int undecided;
	DIR *d;

	ca = crlnum_ca(&ca_len);
	ck_assert_ptr_nonnull(b = tu_read(CRLNUM "/good/number-5.crl", &n));
	ck_assert_msg(backup_crl_number(b, n, ca, ca_len, "number-5.crl",
	    "crlnum-test-ca", &number, &undecided) == ESEAL_OK, "%s",
	    eseal_errmsg());
	ck_assert_int_eq(number, 5);
	free(b);
	ck_assert_ptr_nonnull(d = opendir(CRLNUM "/bad"));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]) &&
		    strcmp(bad[i].name, de->d_name) != 0; i++)
			;
		ck_assert_msg(i < sizeof(bad) / sizeof(bad[0]), "%s: not in "
		    "the table", de->d_name);
		seen++;
		snprintf(path, sizeof(path), CRLNUM "/bad/%s", de->d_name);
		ck_assert_ptr_nonnull(b = tu_read(path, &n));
		ck_assert_msg(backup_crl_number(b, n, ca, ca_len, path,
		    "crlnum-test-ca", &number, &undecided) == ESEAL_EINVAL,
		    "%s accepted", path);
		snprintf(want, sizeof(want), "reconcile: %s: %s", path,
		    bad[i].rule);
		ck_assert_msg(strncmp(eseal_errmsg(), want, strlen(want)) == 0
		    && tu_cites_rule(eseal_errmsg()), "%s: %s", path,
		    eseal_errmsg());
		ck_assert_msg(undecided == bad[i].undecided, "%s: undecided %d",
		    path, undecided);
		free(b);
	}
	closedir(d);
	ck_assert_uint_eq(seen, sizeof(bad) / sizeof(bad[0]));
	OPENSSL_free(ca);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crl_stream");
	TCase *tc = tcase_create("crl_stream");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_entry_bytes);
	tcase_add_test(tc, test_entry_refusals);
	tcase_add_loop_test(tc, test_store_crl_matches_old_builder, 0, 2);
	tcase_add_test(tc, test_bad_row_records_nothing);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_retention_count);
	tcase_add_test(tc, test_walk_own_crl);
	tcase_add_test(tc, test_walk_hostile);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
