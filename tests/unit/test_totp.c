/*
 * test_totp.c: TOTP second factors (totp.h) with codes made by liboath
 * itself at chosen times: the key file's rules (mode, length, digits),
 * enrolment shown once and in force only after its first code, +-1 step of
 * skew and no more, replays (a step used, or an earlier one), a secret
 * that does not open under another key or on another account, reset and
 * require, what totp_login asks for inside and outside the zone, and a
 * second factor passing a name's failed-login backoff (session.h) unless
 * codes were guessed after the right password.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <sqlite3.h>

#include "account.h"
#include "session.h"
#include "store.h"
#include "store_account.h"
#include "totp.h"
#include "testutil.h"

#define T0	1767225600LL	/* 2026-01-01, a step boundary */

struct fixture {
	char		*path;
	struct store	*s;
	struct account_params p;
	struct totp_key	 key;
	int64_t		 id, id2;
};

static int64_t
account(struct fixture *f, const char *name)
{
	char pw[ACCOUNT_INITIAL_PW_SIZE];
	struct store_account a;

	ck_assert_int_eq(account_add(f->s, &f->p, name, ROLE_ADMIN, T0, "t", pw,
	    sizeof(pw)), ESEAL_OK);
	ck_assert_int_eq(store_account_by_name(f->s, name, &a), ESEAL_OK);
	return a.id;
}

static void
fx_open(struct fixture *f)
{
	char *kp;

	memset(f, 0, sizeof(*f));
	ck_assert_int_ge(asprintf(&f->path, "%s/eseal.db", tu_tmpdir()), 0);
	ck_assert_int_eq(store_open(f->path, &f->s), ESEAL_OK);
	account_params_default(&f->p);
	f->p.opslimit = 1;
	f->p.memlimit = 8192;
	kp = tu_write(tu_tmpdir(), "totp.key", "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\n", 0600);
	ck_assert_int_eq(totp_key_load(kp, &f->key), ESEAL_OK);
	free(kp);
	f->id = account(f, "alice");
	f->id2 = account(f, "bob");
}

static void
fx_close(struct fixture *f)
{
	store_close(f->s);
	free(f->path);
}

/* The code of b32's secret at time t. */
static const char *
code_at(const char *b32, long long t)
{
	static char otp[8];
	char *raw = NULL;
	size_t n = 0;

	ck_assert_int_eq(oath_init(), OATH_OK);
	ck_assert_int_eq(oath_base32_decode(b32, strlen(b32), &raw, &n),
	    OATH_OK);
	ck_assert_uint_eq(n, TOTP_SECRET_LEN);
	ck_assert_int_eq(oath_totp_generate(raw, n, (time_t)t, TOTP_STEP, 0,
	    TOTP_DIGITS, otp), OATH_OK);
	free(raw);
	return otp;
}

/* A code other than c. */
static const char *
other(const char *c)
{
	static char o[8];

	snprintf(o, sizeof(o), "%s", c);
	o[0] = o[0] == '9' ? '0' : (char)(o[0] + 1);
	return o;
}

START_TEST(test_key_file)
{
	const char *d = tu_tmpdir();
	struct totp_key k;
	char *p;

	p = tu_write(d, "k640", "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\n", 0640);
	ck_assert_int_eq(totp_key_load(p, &k), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "[security] totp_key_file"));
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "mode 0640 lets group or "
	    "others read it; the key must be readable by its owner only "
	    "(chmod 600)"));
	ck_assert_int_eq(k.set, 0);
	free(p);
	p = tu_write(d, "short", "0011223344", 0600);
	ck_assert_int_eq(totp_key_load(p, &k), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "must hold 64 "
	    "hexadecimal digits"));
	free(p);
	p = tu_write(d, "nothex", "zz112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff", 0600);
	ck_assert_int_eq(totp_key_load(p, &k), ESEAL_ECONF);
	free(p);
	p = tu_write(d, "twolines", "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\nxx\n", 0600);
	ck_assert_int_eq(totp_key_load(p, &k), ESEAL_ECONF);
	free(p);
	ck_assert_int_eq(totp_key_load(d, &k), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "not a regular file"));
	ck_assert_int_eq(totp_key_load("/nonexistent/k", &k), ESEAL_ECONF);
}
END_TEST

START_TEST(test_enrol_confirm_replay)
{
	struct totp_enrolment en;
	struct fixture f;
	char b32[TOTP_B32_MAX];

	fx_open(&f);
	ck_assert_int_eq(totp_enrol(f.s, &f.key, f.id, "alice", T0, &en),
	    ESEAL_OK);
	ck_assert_uint_eq(strlen(en.secret_b32), 32);
	ck_assert_ptr_nonnull(strstr(en.uri, "otpauth://totp/eseal-ca:alice?"
	    "secret="));
	snprintf(b32, sizeof(b32), "%s", en.secret_b32);
	/* Unconfirmed: not enrolled, not usable at login. */
	ck_assert_int_eq(totp_enrolled(f.s, f.id), 0);
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, code_at(b32, T0), T0,
	    0), ESEAL_ENOTFOUND);
	ck_assert_int_eq(totp_confirm(f.s, &f.key, f.id, "alice",
	    other(code_at(b32, T0)), T0), ESEAL_EAUTH);
	ck_assert_str_eq(eseal_errmsg(), "totp: RFC 6238 5.2: wrong code");
	ck_assert_int_eq(totp_confirm(f.s, &f.key, f.id, "alice",
	    code_at(b32, T0), T0), ESEAL_OK);
	ck_assert_int_eq(totp_enrolled(f.s, f.id), 1);
	ck_assert_int_eq(totp_enrol(f.s, &f.key, f.id, "alice", T0, &en),
	    ESEAL_EEXIST);
	/* The confirming code is spent. */
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, code_at(b32, T0), T0 +
	    5, 0), ESEAL_EAUTH);
	ck_assert_str_eq(eseal_errmsg(), "totp: RFC 6238 5.2: code already "
	    "used (replay)");
	/* One step ahead: accepted, then a replay; the clock's own step,
	 * earlier than the one used, too. */
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, code_at(b32, T0 + 60),
	    T0 + 30, 0), ESEAL_OK);
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, code_at(b32, T0 + 60),
	    T0 + 31, 0), ESEAL_EAUTH);
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, code_at(b32, T0 + 30),
	    T0 + 32, 0), ESEAL_EAUTH);
	/* Two steps old: wrong; one step old and unused: accepted. */
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, code_at(b32, T0 + 60),
	    T0 + 120, 0), ESEAL_EAUTH);
	ck_assert_str_eq(eseal_errmsg(), "totp: RFC 6238 5.2: wrong code");
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, code_at(b32, T0 + 120),
	    T0 + 150, 0), ESEAL_OK);
	/* Two steps ahead: wrong. */
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, code_at(b32, T0 + 300),
	    T0 + 240, 0), ESEAL_EAUTH);
	/* Not six digits. */
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, "12345", T0 + 300, 0),
	    ESEAL_EAUTH);
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, "1234567", T0 + 300, 0),
	    ESEAL_EAUTH);
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id, "12 456", T0 + 300, 0),
	    ESEAL_EAUTH);
	fx_close(&f);
}
END_TEST

START_TEST(test_sealed)
{
	struct totp_enrolment en;
	struct totp_key k2;
	struct fixture f;
	sqlite3 *db;
	char b32[TOTP_B32_MAX];

	fx_open(&f);
	ck_assert_int_eq(totp_enrol(f.s, &f.key, f.id, "alice", T0, &en),
	    ESEAL_OK);
	snprintf(b32, sizeof(b32), "%s", en.secret_b32);
	ck_assert_int_eq(totp_confirm(f.s, &f.key, f.id, "alice",
	    code_at(b32, T0), T0), ESEAL_OK);
	/* Another key does not open it. */
	k2 = f.key;
	k2.key[0] ^= 1;
	ck_assert_int_eq(totp_verify(f.s, &k2, f.id, code_at(b32, T0 + 30),
	    T0 + 30, 0), ESEAL_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "does not open under "
	    "[security] totp_key_file"));
	/* Nor does a copy on another account (the id is bound in). */
	ck_assert_int_eq(sqlite3_open(f.path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE accounts SET totp_secret = "
	    "(SELECT totp_secret FROM accounts WHERE username = 'alice'), "
	    "totp_confirmed = 1 WHERE username = 'bob'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(totp_verify(f.s, &f.key, f.id2, code_at(b32, T0 + 30),
	    T0 + 30, 0), ESEAL_EINTERNAL);
	/* No key at all: refused naming the setting. */
	memset(&k2, 0, sizeof(k2));
	ck_assert_int_eq(totp_enrol(f.s, &k2, f.id2, "bob", T0, &en),
	    ESEAL_EPOLICY);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "totp_key_file is not "
	    "set"));
	fx_close(&f);
}
END_TEST

START_TEST(test_login_reset_require)
{
	struct login_factors lf = { 1, 0, NULL, 0, NULL };
	struct totp_enrolment en;
	struct fixture f;
	char b32[TOTP_B32_MAX], fac[TOTP_FACTORS_MAX];
	int counts;

	fx_open(&f);
	lf.key = &f.key;
	/* Inside, nothing required: the password alone. */
	ck_assert_int_eq(totp_login(f.s, &lf, f.id, ROLE_BIT(ROLE_ADMIN), 0, T0,
	    fac, sizeof(fac), &counts), ESEAL_OK);
	ck_assert_str_eq(fac, "password");
	/* Outside, nothing enrolled: says how to get one; a certificate
	 * will do. */
	lf.in_zone = 0;
	ck_assert_int_eq(totp_login(f.s, &lf, f.id, ROLE_BIT(ROLE_ADMIN), 0, T0,
	    fac, sizeof(fac), &counts), ESEAL_EAUTH);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "this account has none"));
	ck_assert_int_eq(counts, 0);
	lf.cert = 1;
	ck_assert_int_eq(totp_login(f.s, &lf, f.id, ROLE_BIT(ROLE_ADMIN), 0, T0,
	    fac, sizeof(fac), &counts), ESEAL_OK);
	ck_assert_str_eq(fac, "password+cert");
	lf.cert = 0;
	ck_assert_int_eq(totp_enrol(f.s, &f.key, f.id, "alice", T0, &en),
	    ESEAL_OK);
	snprintf(b32, sizeof(b32), "%s", en.secret_b32);
	ck_assert_int_eq(totp_confirm(f.s, &f.key, f.id, "alice",
	    code_at(b32, T0), T0), ESEAL_OK);
	ck_assert_int_eq(totp_login(f.s, &lf, f.id, ROLE_BIT(ROLE_ADMIN), 0, T0 +
	    30, fac, sizeof(fac), &counts), ESEAL_EAUTH);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "send the current TOTP "
	    "code as \"totp\""));
	ck_assert_int_eq(counts, 0);
	lf.code = other(code_at(b32, T0 + 30));
	ck_assert_int_eq(totp_login(f.s, &lf, f.id, ROLE_BIT(ROLE_ADMIN), 0, T0 +
	    30, fac, sizeof(fac), &counts), ESEAL_EAUTH);
	ck_assert_int_eq(counts, 1);
	lf.code = code_at(b32, T0 + 30);
	ck_assert_int_eq(totp_login(f.s, &lf, f.id, ROLE_BIT(ROLE_ADMIN), 0, T0 +
	    30, fac, sizeof(fac), &counts), ESEAL_OK);
	ck_assert_str_eq(fac, "password+totp");
	/* Inside, required by role or by account. */
	lf.in_zone = 1;
	lf.code = NULL;
	lf.require_roles = ROLE_BIT(ROLE_ADMIN);
	ck_assert_int_eq(totp_login(f.s, &lf, f.id, ROLE_BIT(ROLE_ADMIN), 0, T0 +
	    60, fac, sizeof(fac), &counts), ESEAL_EAUTH);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "for this role"));
	lf.require_roles = 0;
	ck_assert_int_eq(totp_require(f.s, "alice", 1, T0, "root"), ESEAL_OK);
	ck_assert_int_eq(totp_login(f.s, &lf, f.id, ROLE_BIT(ROLE_ADMIN), 0, T0 +
	    60, fac, sizeof(fac), &counts), ESEAL_EAUTH);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "for this account"));
	ck_assert_int_eq(totp_require(f.s, "nobody", 1, T0, "root"),
	    ESEAL_ENOTFOUND);
	/* Reset: gone, and once only. */
	ck_assert_int_eq(totp_reset(f.s, "alice", T0, "root"), ESEAL_OK);
	ck_assert_int_eq(totp_enrolled(f.s, f.id), 0);
	ck_assert_int_eq(totp_reset(f.s, "alice", T0, "root"), ESEAL_EEXIST);
	ck_assert_int_eq(totp_reset(f.s, "nobody", T0, "root"),
	    ESEAL_ENOTFOUND);
	fx_close(&f);
}
END_TEST

/* Audit records of action whose detail contains what. */
static int
audits_like(const char *path, const char *action, const char *what)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM audit "
	    "WHERE action = ?1 AND instr(detail, ?2) > 0", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, what, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

START_TEST(test_backoff_second_factor)
{
	struct fixture f;
	struct login_factors lf = { 1, 0, NULL, 0, NULL };
	char pw[ACCOUNT_INITIAL_PW_SIZE], b32[64];
	char tok[SESSION_TOKEN_LEN + 1];
	struct session_info si;
	struct store_account a;
	struct totp_enrolment en;
	int64_t t = T0 + 300;
	const char *name = "[accounts] lock_after: too many failed logins for "
	    "this name; try again in ";

	fx_open(&f);
	f.p.lock_after = 2;
	f.p.lock_secs = 60;
	lf.key = &f.key;
	ck_assert_int_eq(account_add(f.s, &f.p, "carol", ROLE_RA, T0, "t", pw,
	    sizeof(pw)), ESEAL_OK);
	ck_assert_int_eq(store_account_by_name(f.s, "carol", &a), ESEAL_OK);
	ck_assert_int_eq(totp_enrol(f.s, &f.key, a.id, "carol", T0, &en),
	    ESEAL_OK);
	snprintf(b32, sizeof(b32), "%s", en.secret_b32);
	ck_assert_int_eq(totp_confirm(f.s, &f.key, a.id, "carol",
	    code_at(b32, T0), T0), ESEAL_OK);
	/* Guesses from one address: the name slows down (1 s). */
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(session_login_factors(f.s, &f.p, &lf, "carol",
		    "a wrong guess", "203.0.113.9", t, tok, &si), ESEAL_EAUTH);
	/* The right password alone, from a new address: the backoff. */
	ck_assert_int_eq(session_login_factors(f.s, &f.p, &lf, "carol", pw,
	    "198.51.100.1", t, tok, &si), ESEAL_ETOOMANY);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), name));
	/* With its code: in at once, even inside the zone, where a code is
	 * not otherwise asked for; the backoff stays for others. */
	lf.code = code_at(b32, t);
	ck_assert_int_eq(session_login_factors(f.s, &f.p, &lf, "carol", pw,
	    "198.51.100.2", t, tok, &si), ESEAL_OK);
	ck_assert_str_eq(si.factors, "password+totp");
	ck_assert_int_eq(audits_like(f.path, "account.backoff_passed",
	    "the right password and a second factor"), 1);
	/* A wrong password with a code, a right one with a wrong code: the
	 * name's backoff, the same answer either way. */
	lf.code = code_at(b32, t + 30);
	ck_assert_int_eq(session_login_factors(f.s, &f.p, &lf, "carol",
	    "a wrong guess", "198.51.100.3", t, tok, &si), ESEAL_ETOOMANY);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), name));
	for (int i = 0; i < 2; i++) {
		lf.code = other(code_at(b32, t + 30));
		ck_assert_int_eq(session_login_factors(f.s, &f.p, &lf, "carol",
		    pw, i ? "198.51.100.5" : "198.51.100.4", t, tok, &si),
		    ESEAL_ETOOMANY);
		ck_assert_ptr_nonnull(strstr(eseal_errmsg(), name));
	}
	/* Two wrong codes after the right password: for a while a code no
	 * longer passes the name's backoff (someone has the password). */
	lf.code = code_at(b32, t + 30);
	ck_assert_int_eq(session_login_factors(f.s, &f.p, &lf, "carol", pw,
	    "198.51.100.6", t, tok, &si), ESEAL_ETOOMANY);
	ck_assert_int_eq(audits_like(f.path, "account.login_throttled",
	    "a second factor does not pass it for 1 s (2 wrong after the "
	    "right password)"), 1);
	ck_assert_int_eq(audits_like(f.path, "account.backoff",
	    "second factor: 2 wrong in a row after the right password"), 1);
	/* The second factor's wait over (the name's is longer now): the
	 * password and its code let carol in. */
	ck_assert_int_eq(session_login_factors(f.s, &f.p, &lf, "carol", pw,
	    "198.51.100.6", t + 1, tok, &si), ESEAL_OK);
	ck_assert_str_eq(si.factors, "password+totp");
	fx_close(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("totp");
	TCase *tc = tcase_create("totp");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_key_file);
	tcase_add_test(tc, test_enrol_confirm_replay);
	tcase_add_test(tc, test_sealed);
	tcase_add_test(tc, test_login_reset_require);
	tcase_add_test(tc, test_backoff_second_factor);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
