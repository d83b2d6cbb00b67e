/*
 * test_crl_splice.c: the incremental CRL path (crl_splice.h) against the
 * full streaming build.  Over several rounds of changes to a store of
 * hundreds of revocations (new revocations at the start, middle and end
 * of the serial order, high-bit and short serials, a reason raised to
 * keyCompromise, a revocation gone from the store, several in one round,
 * none at all), in one shard and in three, the spliced TBSCertList is byte
 * for byte the one crl_stream_write() makes from the same store, and each
 * CRL crl_generate() records is spliced, verifies with the CA key and
 * lists exactly the revoked serials of its shard.  Where a splice cannot
 * be exact (drop_expired, a base that is not the latest CRL, an owed
 * serial not in the stored form) it refuses and crl_generate() builds in
 * full.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include "crl.h"
#include "crl_splice.h"
#include "crl_stream.h"
#include "serial.h"
#include "store_revoke.h"
#include "testutil.h"

#define NBASE	300	/* revocations before the first CRL */

static sqlite3 *
db_open(struct tu_ca *f)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(f->conf->store_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void
exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK,
	    "%s: %s", sql, err ? err : "");
}

/*
 * Revokes serial (stored form) as revoke.c does: an issued certificate
 * of the issuer, its revocation and, in the same transaction, the owed
 * mark of its shard.
 */
static void
revoke_one(struct tu_ca *f, sqlite3 *db, const char *serial, int reason,
    int owe)
{
	char sql[1024], o[256] = "";
	int shard = serial_shard(serial, f->issuer->rec.crl_shards);

	if (owe)
		snprintf(o, sizeof(o), "INSERT INTO crl_owed (issuer_id, shard, "
		    "serial, since) VALUES (%lld, %d, '%s', 1700000000);",
		    (long long)f->issuer->rec.id, shard, serial);
	snprintf(sql, sizeof(sql), "BEGIN; INSERT INTO certificates (serial, "
	    "issuer_id, status, tbs, cert, subject, spki_sha256, not_before, "
	    "not_after, shard, created, updated, org_identifier) VALUES ('%s', "
	    "%lld, 'issued', x'30', x'30', 'CN=t', randomblob(32), 1700000000, "
	    "2000000000, %d, 1700000000, 1700000000, 'NTRJP-7123456789012'); "
	    "INSERT INTO revocations (serial, reason, revoked_at, "
	    "invalidity_date, requested_by) VALUES ('%s', %d, %d, %s, 't'); "
	    "%s COMMIT", serial, (long long)f->issuer->rec.id, shard, serial,
	    reason, 1700000000 + (int)(strlen(serial) * 977 % 86400),
	    reason == 1 ? "1690000000" : "NULL", o);
	exec(db, sql);
}

/* Serial number i of a deterministic sequence, in the stored form. */
static void
serial_of(unsigned int *seed, char out[STORE_SERIAL_HEX_MAX])
{
	int len = 3 + rand_r(seed) % 14;	/* octets */
	int first = 1 + rand_r(seed) % 255;

	snprintf(out, 3, "%02x", first);
	for (int j = 1; j < len; j++)
		snprintf(out + 2 * j, 3, "%02x", rand_r(seed) % 256);
}

/* The TBSCertList TLV of a DER CRL. */
static const unsigned char *
tbs_of(const unsigned char *der, size_t len, size_t *tlen)
{
	const unsigned char *p = der, *t;
	long n;
	int tag, cls;

	ck_assert_int_eq(ASN1_get_object(&p, &n, &tag, &cls, (long)len) &
	    0x80, 0);
	t = p;
	ck_assert_int_eq(ASN1_get_object(&p, &n, &tag, &cls, (long)len) &
	    0x80, 0);
	*tlen = (size_t)(p - t) + (size_t)n;
	return t;
}

/* The parameters of CRL number (its extensions taken from base). */
static void
params_from(X509_CRL *base, int shard, int64_t now,
    struct crl_stream_params *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->shard = shard;
	sp->this_update = now;
	sp->next_update = now + 86400;
	sp->exts = X509_CRL_get0_extensions(base);
}

/*
 * The splice of the shard's next CRL against the full build of the same
 * store, byte for byte over the TBSCertList; then crl_generate() records
 * it.  Returns the recorded CRL's number.
 */
static int64_t
check_round(struct tu_ca *f, int shard, int64_t now, int expect_splice)
{
	struct store_crl latest;
	struct crl_stream_params sp;
	struct crl_params cp;
	unsigned char *a = NULL, *b = NULL, *der = NULL;
	const unsigned char *ta, *tb, *p;
	size_t la = 0, lb = 0, ta_len, tb_len, na = 0, nb = 0, len;
	int64_t number;
	X509_CRL *base, *crl;
	enum eseal_rc rc;

	if (crl_latest(&f->ca, f->issuer->rec.id, shard, &latest) ==
	    ESEAL_ENOTFOUND) {
		ck_assert(!expect_splice);	/* the first: in full */
		goto record;
	}
	p = latest.der;
	ck_assert_ptr_nonnull(base = d2i_X509_CRL(NULL, &p,
	    (long)latest.der_len));
	params_from(base, shard, now, &sp);
	/* With the caller's copy (as the publisher passes its served CRL). */
	rc = crl_splice_next(&f->ca, f->issuer, &sp, latest.number + 1,
	    latest.der, latest.der_len, latest.number, &a, &la, &na);
	if (expect_splice) {
		ck_assert_msg(rc == ESEAL_OK, "%s", eseal_errmsg());
		ck_assert_int_eq(crl_stream_write(&f->ca, f->issuer, &sp, &b,
		    &lb, &nb), ESEAL_OK);
		ta = tbs_of(a, la, &ta_len);
		tb = tbs_of(b, lb, &tb_len);
		ck_assert_uint_eq(na, nb);
		ck_assert_uint_eq(ta_len, tb_len);
		ck_assert_msg(memcmp(ta, tb, ta_len) == 0, "shard %d: the "
		    "spliced TBSCertList differs from the full build", shard);
	} else
		ck_assert_int_eq(rc, ESEAL_ENOTFOUND);
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_CRL_free(base);
	store_crl_clear(&latest);

record:
	memset(&cp, 0, sizeof(cp));
	cp.url_template = f->profile->crl_url;
	cp.base_url = f->conf->publish_base_url;
	cp.actor = "crl-splice-test";
	ck_assert_msg(crl_generate(&f->ca, f->issuer, shard, now, &cp, &der,
	    &len, &number) == ESEAL_OK, "%s", eseal_errmsg());
	p = der;
	ck_assert_ptr_nonnull(crl = d2i_X509_CRL(NULL, &p, (long)len));
	ck_assert_ptr_eq(p, der + len);
	ck_assert_int_eq(X509_CRL_verify(crl, f->issuer->pub), 1);
	X509_CRL_free(crl);
	OPENSSL_free(der);
	return number;
}

/* The CRL of shard lists exactly the store's revoked serials of it. */
static void
check_lists_store(struct tu_ca *f, int shard)
{
	struct store_crl latest;
	struct store_revocation *revs = NULL;
	size_t nrev = 0, want = 0;
	const unsigned char *p;
	X509_CRL *crl;
	STACK_OF(X509_REVOKED) *got;

	ck_assert_int_eq(crl_latest(&f->ca, f->issuer->rec.id, shard,
	    &latest), ESEAL_OK);
	p = latest.der;
	ck_assert_ptr_nonnull(crl = d2i_X509_CRL(NULL, &p,
	    (long)latest.der_len));
	ck_assert_int_eq(store_revocation_list(f->ca.store,
	    f->issuer->rec.id, &revs, &nrev), ESEAL_OK);
	got = X509_CRL_get_REVOKED(crl);
	for (size_t i = 0; i < nrev; i++) {
		X509_REVOKED *r = NULL;
		ASN1_INTEGER *ai = NULL;
		BIGNUM *bn = NULL;

		if (serial_shard(revs[i].serial, f->issuer->rec.crl_shards) !=
		    shard)
			continue;
		want++;
		ck_assert_int_gt(BN_hex2bn(&bn, revs[i].serial), 0);
		ck_assert_ptr_nonnull(ai = BN_to_ASN1_INTEGER(bn, NULL));
		ck_assert_msg(X509_CRL_get0_by_serial(crl, &r, ai) == 1,
		    "shard %d: %s is not listed", shard, revs[i].serial);
		ASN1_INTEGER_free(ai);
		BN_free(bn);
	}
	ck_assert_int_eq(sk_X509_REVOKED_num(got), (int)want);
	free(revs);
	X509_CRL_free(crl);
	store_crl_clear(&latest);
}

START_TEST(test_splice_equals_full)
{
	static const int shards[] = { 1, 3 };
	struct tu_ca f;
	sqlite3 *db;
	unsigned int seed = 17;
	char s[STORE_SERIAL_HEX_MAX], sql[256];
	int nsh = shards[_i];
	int64_t now = 1760000000, last[3] = { 0, 0, 0 }, n;

	tu_ca_setup(&f, "crlsplice", "ec-p256", nsh);
	db = db_open(&f);
	for (int i = 0; i < NBASE; i++) {
		serial_of(&seed, s);
		revoke_one(&f, db, s, i % 3 == 0 ? 1 : i % 3 == 1 ? 4 : 0, 0);
	}
	/* Round 0: nothing to splice from, a full build. */
	for (int sh = 0; sh < nsh; sh++)
		last[sh] = check_round(&f, sh, now, 0);
	for (int round = 1; round <= 6; round++) {
		now += 60;
		switch (round) {
		case 1:		/* one, before every serial, and one after */
			revoke_one(&f, db, "01", 1, 1);
			revoke_one(&f, db, "ffffffffffffffffffffffffffffffffff"
			    "ffffff", 4, 1);
			break;
		case 2:		/* many in one debounce window */
			for (int i = 0; i < 40; i++) {
				serial_of(&seed, s);
				revoke_one(&f, db, s, i % 2 ? 1 : 5, 1);
			}
			break;
		case 3:		/* a raise to keyCompromise, in place */
			exec(db, "BEGIN; UPDATE revocations SET reason = 1, "
			    "invalidity_date = 1695000000 WHERE serial = (SELECT "
			    "serial FROM revocations WHERE reason = 4 ORDER BY "
			    "serial LIMIT 1); INSERT INTO crl_owed (issuer_id, "
			    "shard, serial, since) SELECT c.issuer_id, c.shard, "
			    "c.serial, 1 FROM certificates c JOIN revocations r "
			    "ON r.serial = c.serial WHERE r.invalidity_date = "
			    "1695000000; COMMIT");
			break;
		case 4:		/* a revocation gone (a store repaired) */
			exec(db, "BEGIN; CREATE TEMP TABLE g AS SELECT serial, "
			    "shard FROM certificates WHERE serial IN (SELECT "
			    "serial FROM revocations ORDER BY serial DESC LIMIT "
			    "2); DELETE FROM revocations WHERE serial IN (SELECT "
			    "serial FROM g); INSERT INTO crl_owed (issuer_id, "
			    "shard, serial, since) SELECT 1, shard, serial, 1 "
			    "FROM g; DROP TABLE g; COMMIT");
			break;
		case 5:		/* nothing: a refresh re-signs the same list */
			break;
		case 6:		/* high-bit serials (a leading zero in DER) */
			revoke_one(&f, db, "80", 0, 1);
			revoke_one(&f, db, "ff00", 1, 1);
			revoke_one(&f, db, "8000000000000000000000000000000001",
			    1, 1);
			break;
		}
		for (int sh = 0; sh < nsh; sh++) {
			n = check_round(&f, sh, now, 1);
			ck_assert_int_gt(n, last[sh]);	/* strictly increases */
			last[sh] = n;
			check_lists_store(&f, sh);
		}
	}
	/* The owed marks went with the CRLs that list them. */
	snprintf(sql, sizeof(sql), "SELECT 1 FROM crl_owed");
	{
		sqlite3_stmt *st;

		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), 0);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	tu_ca_teardown(&f);
}
END_TEST

/* Where the splice cannot be exact it refuses; the full build is right. */
START_TEST(test_splice_refusals)
{
	struct tu_ca f;
	struct store_crl latest;
	struct crl_stream_params sp;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	unsigned int seed = 3;
	char s[STORE_SERIAL_HEX_MAX];
	sqlite3 *db;
	X509_CRL *base;
	int64_t now = 1760000000;

	tu_ca_setup(&f, "crlsplice", "ec-p256", 1);
	db = db_open(&f);
	for (int i = 0; i < 50; i++) {
		serial_of(&seed, s);
		revoke_one(&f, db, s, 1, 0);
	}
	check_round(&f, 0, now, 0);
	ck_assert_int_eq(crl_latest(&f.ca, f.issuer->rec.id, 0, &latest),
	    ESEAL_OK);
	p = latest.der;
	ck_assert_ptr_nonnull(base = d2i_X509_CRL(NULL, &p,
	    (long)latest.der_len));
	params_from(base, 0, now + 60, &sp);
	/* Not the latest: another CRL may have come between. */
	ck_assert_int_eq(crl_splice_next(&f.ca, f.issuer, &sp, latest.number
	    + 2, latest.der, latest.der_len, latest.number, &der, &len, NULL),
	    ESEAL_ENOTFOUND);
	ck_assert_ptr_null(der);
	ck_assert_int_eq(crl_splice_next(&f.ca, f.issuer, &sp, latest.number
	    + 2, NULL, 0, 0, &der, &len, NULL), ESEAL_ENOTFOUND);
	ck_assert_ptr_null(der);
	/* drop_expired: an entry must leave when it expires. */
	sp.drop_expired = 1;
	ck_assert_int_eq(crl_splice_next(&f.ca, f.issuer, &sp, latest.number
	    + 1, NULL, 0, 0, &der, &len, NULL), ESEAL_ENOTFOUND);
	ck_assert_msg(strstr(eseal_errmsg(), "drop_expired") != NULL, "%s",
	    eseal_errmsg());
	sp.drop_expired = 0;
	/* A serial in another form than the stored one (leading zeros). */
	exec(db, "INSERT INTO revoked_unknown (serial, issuer_id, reason, "
	    "revoked_at, source, recorded) VALUES ('000abc', 1, 1, 1700000000, "
	    "'t', 0); INSERT INTO crl_owed (issuer_id, shard, serial, since) "
	    "VALUES (1, 0, '000abc', 1)");
	ck_assert_int_eq(crl_splice_next(&f.ca, f.issuer, &sp, latest.number
	    + 1, latest.der, latest.der_len, latest.number, &der, &len, NULL),
	    ESEAL_ENOTFOUND);
	ck_assert_msg(strstr(eseal_errmsg(), "stored form") != NULL, "%s",
	    eseal_errmsg());
	/* crl_generate() then builds in full, with the entry. */
	check_round(&f, 0, now + 60, 0);
	check_lists_store(&f, 0);
	X509_CRL_free(base);
	store_crl_clear(&latest);
	sqlite3_close(db);
	tu_ca_teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crl_splice");
	TCase *tc = tcase_create("crl_splice");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_splice_equals_full, 0, 2);
	tcase_add_test(tc, test_splice_refusals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
