/*
 * test_account.c: operator accounts (account.c) and their sessions
 * (session.c): first-login change, lockout, sessions,
 * compromise and reset, the password rules, and what the store keeps.
 * argon2id runs at libsodium's MIN limits so the suite stays fast.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "account.h"
#include "audit.h"
#include "session.h"
#include "store.h"
#include "testutil.h"

#define T0	1767225600	/* 2026-01-01T00:00:00Z */
#define NEWPW	"correct horse battery staple"

struct fixture {
	char			*path;
	struct store		*s;
	struct account_params	 p;
};

static void
fx_open(struct fixture *f)
{
	if (asprintf(&f->path, "%s/eseal.db", tu_tmpdir()) == -1)
		abort();
	ck_assert_int_eq(store_open(f->path, &f->s), ESEAL_OK);
	account_params_default(&f->p);
	f->p.opslimit = crypto_pwhash_OPSLIMIT_MIN;
	f->p.memlimit = crypto_pwhash_MEMLIMIT_MIN;
	f->p.idle_secs = 900;
	f->p.absolute_secs = 28800;
	f->p.lock_after = 3;
	f->p.lock_secs = 60;
}

static void
fx_close(struct fixture *f)
{
	store_close(f->s);
	free(f->path);
}

/*
 * Runs a query straight through SQLite with up to two text parameters and
 * returns the first column of the first row as an integer (-1 if none).
 */
static long long
q(const char *path, const char *sql, const char *a1, const char *a2)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (a1 != NULL)
		sqlite3_bind_text(st, 1, a1, -1, SQLITE_STATIC);
	if (a2 != NULL)
		sqlite3_bind_text(st, 2, a2, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Sessions of the account named name. */
static long long
store_session_count_for(const char *path, const char *name)
{
	return q(path, "SELECT COUNT(*) FROM sessions JOIN accounts ON "
	    "accounts.id = sessions.account_id WHERE username = ?1", name,
	    NULL);
}

/* Audit records with that action and actor. */
static long long
audits(const char *path, const char *action, const char *actor)
{
	return q(path, "SELECT COUNT(*) FROM audit WHERE action = ?1 AND "
	    "actor = ?2", action, actor);
}

static void
add(struct fixture *f, const char *name, enum role r, char *pw)
{
	ck_assert_int_eq(account_add(f->s, &f->p, name, r, T0, "esealctl", pw,
	    ACCOUNT_INITIAL_PW_SIZE), ESEAL_OK);
	ck_assert_uint_ge(strlen(pw), ACCOUNT_PASSWORD_MIN);
}

/*
 * session_change_password; on success the new session's token replaces
 * tok (the old one has ended).
 */
static enum eseal_rc
chpw(struct fixture *f, char *tok, const char *old_pw, const char *new_pw,
    int64_t now)
{
	char nt[SESSION_TOKEN_LEN + 1];
	struct session_info si;
	enum eseal_rc rc;

	rc = session_change_password(f->s, &f->p, tok, old_pw, new_pw, now, nt,
	    &si);
	if (rc == ESEAL_OK) {
		ck_assert_uint_eq(strlen(nt), SESSION_TOKEN_LEN);
		ck_assert_int_eq(si.must_change, 0);
		ck_assert_int_eq(si.expires, now + f->p.absolute_secs);
		memcpy(tok, nt, sizeof(nt));
	} else
		ck_assert_str_eq(nt, "");
	return rc;
}

/* Adds name and takes it through the first-login change to NEWPW. */
static void
add_ready(struct fixture *f, const char *name, enum role r)
{
	char pw[ACCOUNT_INITIAL_PW_SIZE], tok[SESSION_TOKEN_LEN + 1];
	struct session_info si;

	add(f, name, r, pw);
	ck_assert_int_eq(session_login(f->s, &f->p, name, pw, "192.0.2.1", T0,
	    tok, &si), ESEAL_OK);
	ck_assert_int_eq(chpw(f, tok, pw, NEWPW,
	    T0), ESEAL_OK);
	ck_assert_int_eq(session_logout(f->s, tok), ESEAL_OK);
}

START_TEST(test_names_and_roles)
{
	ck_assert_str_eq(role_name(ROLE_ADMIN), "admin");
	ck_assert_str_eq(role_name(ROLE_RA), "ra");
	ck_assert_str_eq(role_name(ROLE_AUDITOR), "auditor");
	ck_assert_str_eq(role_name(ROLE_MAX), "?");
	ck_assert_int_eq(role_parse("ra"), ROLE_RA);
	ck_assert_int_eq(role_parse("auditor"), ROLE_AUDITOR);
	ck_assert_int_eq(role_parse("Admin"), -1);
	ck_assert_int_eq(role_parse("root"), -1);
	ck_assert_int_eq(role_parse(NULL), -1);

	ck_assert(valid_username("alice"));
	ck_assert(valid_username("ra.officer_2-b"));
	ck_assert(valid_username("0"));
	ck_assert(!valid_username(""));
	ck_assert(!valid_username(NULL));
	ck_assert(!valid_username("Alice"));
	ck_assert(!valid_username("-alice"));
	ck_assert(!valid_username(".alice"));
	ck_assert(!valid_username("al ice"));
	ck_assert(!valid_username("al/ice"));
	ck_assert(!valid_username("al\xc3\xa9"));
	ck_assert(valid_username(
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"));
	ck_assert(!valid_username(
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd"));
}
END_TEST

START_TEST(test_add_refusals)
{
	struct fixture f;
	char pw[ACCOUNT_INITIAL_PW_SIZE], pw2[ACCOUNT_INITIAL_PW_SIZE];
	char small[ACCOUNT_INITIAL_PW_SIZE - 1];
	struct account_info *v;
	size_t n;

	fx_open(&f);
	add(&f, "alice", ROLE_ADMIN, pw);
	/* From an alphabet without look-alikes, in groups. */
	ck_assert_uint_eq(strlen(pw), ACCOUNT_INITIAL_PW_SIZE - 1);
	ck_assert_uint_eq(strspn(pw, "23456789abcdefghijkmnopqrstuvwxyz"
	    "ABCDEFGHJKLMNPQRSTUVWXYZ-"), strlen(pw));
	ck_assert_int_eq(account_add(f.s, &f.p, "alice", ROLE_RA, T0, "x", pw2,
	    sizeof(pw2)), ESEAL_EEXIST);
	ck_assert_str_eq(pw2, "");
	ck_assert_int_eq(account_add(f.s, &f.p, "Bob", ROLE_RA, T0, "x", pw2,
	    sizeof(pw2)), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "user name"));
	ck_assert_int_eq(account_add(f.s, &f.p, "unknown", ROLE_RA, T0, "x",
	    pw2, sizeof(pw2)), ESEAL_EINVAL);
	ck_assert_int_eq(account_add(f.s, &f.p, "bob", ROLE_MAX, T0, "x", pw2,
	    sizeof(pw2)), ESEAL_EINVAL);
	ck_assert_int_eq(account_add(f.s, &f.p, "bob", ROLE_RA, T0, NULL, pw2,
	    sizeof(pw2)), ESEAL_EINVAL);
	ck_assert_int_eq(account_add(f.s, &f.p, "bob", ROLE_RA, T0, "x", small,
	    sizeof(small)), ESEAL_EINVAL);
	/* Two accounts never get the same initial password. */
	add(&f, "bob", ROLE_RA, pw2);
	ck_assert_str_ne(pw, pw2);
	ck_assert_int_eq(account_list(f.s, &v, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].username, "alice");
	ck_assert_int_eq(v[0].role, ROLE_ADMIN);
	ck_assert_int_eq(v[0].must_change, 1);
	ck_assert_int_eq(v[0].compromised, 0);
	ck_assert_int_eq(v[0].created, T0);
	ck_assert_str_eq(v[1].username, "bob");
	ck_assert_int_eq(v[1].role, ROLE_RA);
	free(v);
	ck_assert_int_eq(audits(f.path, "account.add", "esealctl"), 2);
	fx_close(&f);
}
END_TEST

START_TEST(test_first_login_must_change)
{
	struct fixture f;
	char pw[ACCOUNT_INITIAL_PW_SIZE], tok[SESSION_TOKEN_LEN + 1];
	char tok2[SESSION_TOKEN_LEN + 1];
	struct session_info si;

	fx_open(&f);
	add(&f, "alice", ROLE_RA, pw);
	/* The initial password logs in... */
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", pw, "192.0.2.1", T0,
	    tok, &si), ESEAL_OK);
	ck_assert_uint_eq(strlen(tok), SESSION_TOKEN_LEN);
	ck_assert_str_eq(si.username, "alice");
	ck_assert_int_eq(si.role, ROLE_RA);
	ck_assert_int_eq(si.must_change, 1);
	ck_assert_int_eq(si.expires, T0 + f.p.absolute_secs);
	/* ...but allows nothing, whatever the role, until the change. */
	ck_assert_int_eq(session_authorize(&si, ROLE_ANY), ESEAL_EFORBIDDEN);
	ck_assert_str_eq(eseal_errmsg(), "session: panel point 6: password "
	    "change required (the initial password at first login, or after "
	    "a reset or compromise)");
	ck_assert_int_eq(session_get(f.s, &f.p, tok, T0 + 10, &si),
	    ESEAL_OK);
	ck_assert_int_eq(si.must_change, 1);
	ck_assert_int_eq(session_authorize(&si, ROLE_BIT(ROLE_RA)),
	    ESEAL_EFORBIDDEN);

	/* The change ends the session opened with the initial password and
	 * gives a new one. */
	memcpy(tok2, tok, sizeof(tok));
	ck_assert_int_eq(chpw(&f, tok, pw, NEWPW,
	    T0 + 20), ESEAL_OK);
	ck_assert_str_ne(tok, tok2);
	ck_assert_int_eq(session_get(f.s, &f.p, tok2, T0 + 30, &si),
	    ESEAL_EAUTH);
	ck_assert_int_eq(session_get(f.s, &f.p, tok, T0 + 30, &si),
	    ESEAL_OK);
	ck_assert_int_eq(si.must_change, 0);
	ck_assert_int_eq(session_authorize(&si, ROLE_BIT(ROLE_RA)), ESEAL_OK);
	ck_assert_int_eq(session_authorize(&si, ROLE_ANY), ESEAL_OK);
	/* The role is still checked. */
	ck_assert_int_eq(session_authorize(&si, ROLE_BIT(ROLE_ADMIN) |
	    ROLE_BIT(ROLE_AUDITOR)), ESEAL_EFORBIDDEN);
	ck_assert_str_eq(eseal_errmsg(), "session: REQUIREMENTS.md \"Who uses "
	    "it\": role ra may not do this (allowed: admin, auditor)");
	ck_assert_int_eq(session_authorize(NULL, ROLE_ANY), ESEAL_EAUTH);

	/* The new password logs in without a change; the initial one no
	 * longer does. */
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 40, tok2, &si), ESEAL_OK);
	ck_assert_int_eq(si.must_change, 0);
	ck_assert_str_ne(tok, tok2);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", pw, "192.0.2.1",
	    T0 + 50, tok2, &si), ESEAL_EAUTH);
	ck_assert_str_eq(tok2, "");
	fx_close(&f);
}
END_TEST

START_TEST(test_wrong_and_unknown_look_alike)
{
	struct fixture f;
	char tok[SESSION_TOKEN_LEN + 1], m1[512], m2[512], m3[512];
	struct session_info si;

	fx_open(&f);
	add_ready(&f, "alice", ROLE_ADMIN);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", "not the password",
	    "192.0.2.7", T0 + 1, tok, &si), ESEAL_EAUTH);
	snprintf(m1, sizeof(m1), "%s", eseal_errmsg());
	ck_assert_int_eq(session_login(f.s, &f.p, "mallory", "not the password",
	    "192.0.2.7", T0 + 1, tok, &si), ESEAL_EAUTH);
	snprintf(m2, sizeof(m2), "%s", eseal_errmsg());
	ck_assert_int_eq(session_login(f.s, &f.p, "Not A Name!", NEWPW,
	    "192.0.2.7", T0 + 1, tok, &si), ESEAL_EAUTH);
	snprintf(m3, sizeof(m3), "%s", eseal_errmsg());
	ck_assert_str_eq(m1, "session: panel point 6: invalid username or "
	    "password");
	ck_assert_str_eq(m1, m2);
	ck_assert_str_eq(m1, m3);
	ck_assert_str_eq(tok, "");
	ck_assert_int_eq(si.account_id, 0);
	/* A password longer than any accepted is refused the same way. */
	{
		char big[ACCOUNT_PASSWORD_MAX + 2];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ck_assert_int_eq(session_login(f.s, &f.p, "alice", big,
		    "192.0.2.8", T0 + 1, tok, &si), ESEAL_EAUTH);
		ck_assert_str_eq(eseal_errmsg(), m1);
	}
	/* Audited with the client address; the unknown name is not kept. */
	ck_assert_int_eq(audits(f.path, "account.login_fail", "alice"), 2);
	ck_assert_int_eq(audits(f.path, "account.login_fail", "unknown"), 2);
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM audit WHERE actor = "
	    "'unknown' AND detail = '192.0.2.7' AND object = ''", NULL, NULL),
	    2);
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM audit WHERE "
	    "instr(actor || object || detail, 'mallory') OR "
	    "instr(actor || object || detail, 'Not A Name')", NULL, NULL), 0);
	fx_close(&f);
}
END_TEST

START_TEST(test_lockout)
{
	struct fixture f;
	char tok[SESSION_TOKEN_LEN + 1];
	struct session_info si;
	struct account_info ai;
	int64_t t = T0 + 100, tt;
	const char *bad = "wrong guess here", *evil = "203.0.113.9";
	const char *evil2 = "203.0.113.77";

	fx_open(&f);
	add_ready(&f, "alice", ROLE_ADMIN);
	/* 192.0.2.1 becomes a known-good address of alice. */
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    t, tok, &si), ESEAL_OK);
	/* lock_after = 3: three failures, then the name and the address
	 * slow down: the next attempt waits 1 s. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(session_login(f.s, &f.p, "alice", bad, evil, t,
		    tok, &si), ESEAL_EAUTH);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, evil, t,
	    tok, &si), ESEAL_ETOOMANY);
	ck_assert_str_eq(eseal_errmsg(), "session: SP 800-63B 5.2.2, "
	    "[accounts] lock_after: too many failed logins from this address; "
	    "try again in 1 s");
	ck_assert_int_eq(si.retry_after, 1);
	/* The right password from another, new address: the name's backoff. */
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW,
	    "198.51.100.7", t, tok, &si), ESEAL_ETOOMANY);
	ck_assert_str_eq(eseal_errmsg(), "session: SP 800-63B 5.2.2, "
	    "[accounts] lock_after: too many failed logins for this name; try "
	    "again in 1 s");
	/* From the known-good address it passes, and the backoff stays. */
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    t, tok, &si), ESEAL_OK);
	ck_assert_int_eq(audits(f.path, "account.backoff_passed", "alice"), 1);
	ck_assert_int_eq(account_get(f.s, "alice", &ai), ESEAL_OK);
	ck_assert_int_eq(ai.locked_until, t + 1);

	/* A distributed guess: every attempt from a new address, each when
	 * the name's wait is over.  The wait doubles up to lock_secs and the
	 * name is never locked: the known address still passes. */
	tt = t;
	for (int i = 0; i < 12; i++) {
		char a[32];

		ck_assert_int_eq(account_get(f.s, "alice", &ai), ESEAL_OK);
		tt = ai.locked_until;
		ck_assert_int_le(tt - ai.updated, 60);
		snprintf(a, sizeof(a), "198.18.0.%d", i + 1);
		ck_assert_int_eq(session_login(f.s, &f.p, "alice", bad, a, tt,
		    tok, &si), ESEAL_EAUTH);
	}
	ck_assert_int_eq(account_get(f.s, "alice", &ai), ESEAL_OK);
	ck_assert_int_eq(ai.locked_until, tt + 60);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    tt, tok, &si), ESEAL_OK);
	ck_assert_int_eq(audits(f.path, "account.lock", "alice"), 0);

	/* One address only is locked outright: 4 x lock_after failures in a
	 * row from it (each after its wait), then even the right password
	 * from it is refused, for lock_secs; the known address passes. */
	tt += 1000;
	for (int i = 0; i < 12; i++, tt += 61)
		ck_assert_int_eq(session_login(f.s, &f.p, "alice", bad, evil2, tt,
		    tok, &si), ESEAL_EAUTH);
	tt -= 61;
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, evil2, tt + 1,
	    tok, &si), ESEAL_ETOOMANY);
	ck_assert_str_eq(eseal_errmsg(), "session: SP 800-63B 5.2.2, "
	    "[accounts] lock_after, lock_secs: too many failed logins from this "
	    "address: it is locked for 59 s");
	ck_assert_int_eq(si.retry_after, 59);
	ck_assert_int_eq(audits(f.path, "account.addr_lock", "alice"), 1);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    tt + 1, tok, &si), ESEAL_OK);
	/* Another name from the locked address: refused too. */
	ck_assert_int_eq(session_login(f.s, &f.p, "nobody", bad, evil2, tt + 2,
	    tok, &si), ESEAL_ETOOMANY);
	ck_assert_int_eq(audits(f.path, "account.login_addr_locked", "alice"),
	    1);
	ck_assert_int_eq(audits(f.path, "account.login_addr_locked", "unknown"),
	    1);
	/* lock_secs later it opens; the next lock doubles. */
	tt += 60;
	for (int i = 0; i < 12; i++, tt += 61)
		ck_assert_int_eq(session_login(f.s, &f.p, "alice", bad, evil2, tt,
		    tok, &si), ESEAL_EAUTH);
	tt -= 61;
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, evil2, tt,
	    tok, &si), ESEAL_ETOOMANY);
	ck_assert_int_eq(si.retry_after, 120);
	/* Counted under the address itself. */
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM login_addr_failures "
	    "WHERE addr = ?", evil2, NULL), 1);

	/* An unknown name slows down the same way, so it says nothing. */
	tt += 1000;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(session_login(f.s, &f.p, "nobody", bad,
		    "2001:db8:1:2::7", tt, tok, &si), ESEAL_EAUTH);
	ck_assert_int_eq(session_login(f.s, &f.p, "nobody", bad,
	    "2001:db8:5::1", tt, tok, &si), ESEAL_ETOOMANY);
	ck_assert_str_eq(eseal_errmsg(), "session: SP 800-63B 5.2.2, "
	    "[accounts] lock_after: too many failed logins for this name; try "
	    "again in 1 s");
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW,
	    "2001:db8:1:2:ffff::1", tt, tok, &si), ESEAL_ETOOMANY);
	ck_assert_str_eq(eseal_errmsg(), "session: SP 800-63B 5.2.2, "
	    "[accounts] lock_after: too many failed logins from this address; "
	    "try again in 1 s");
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM login_addr_failures "
	    "WHERE addr = '2001:db8:1:2::/64'", NULL, NULL), 1);
	/* Kept by a hash of the name, never the name. */
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM login_failures",
	    NULL, NULL), 1);
	ck_assert_int_ge(audits(f.path, "account.backoff", "unknown"), 1);
	ck_assert_int_ge(audits(f.path, "account.login_throttled", "unknown"),
	    1);
	fx_close(&f);
}
END_TEST

START_TEST(test_session_expiry)
{
	struct fixture f;
	char tok[SESSION_TOKEN_LEN + 1], bad[SESSION_TOKEN_LEN + 1];
	struct session_info si;
	int64_t t;

	fx_open(&f);
	add_ready(&f, "alice", ROLE_AUDITOR);
	/* Idle: each use moves the idle limit on. */
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0, tok, &si), ESEAL_OK);
	ck_assert_int_eq(session_get(f.s, &f.p, tok, T0 + 899, &si),
	    ESEAL_OK);
	ck_assert_int_eq(session_get(f.s, &f.p, tok, T0 + 1798, &si),
	    ESEAL_OK);
	ck_assert_int_eq(session_get(f.s, &f.p, tok, T0 + 1798 + 900, &si),
	    ESEAL_EAUTH);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "expired"));
	ck_assert_int_eq(si.account_id, 0);
	/* And it is gone, not just refused. */
	ck_assert_int_eq(session_get(f.s, &f.p, tok, T0 + 1799, &si),
	    ESEAL_EAUTH);
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM sessions", NULL, NULL),
	    0);

	/* Absolute: however busy, the session ends absolute_secs after the
	 * login. */
	t = T0 + 100000;
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    t, tok, &si), ESEAL_OK);
	for (int64_t u = t + 600; u < t + f.p.absolute_secs; u += 600)
		ck_assert_int_eq(session_get(f.s, &f.p, tok, u, &si),
		    ESEAL_OK);
	ck_assert_int_eq(session_get(f.s, &f.p, tok, t + f.p.absolute_secs -
	    1, &si), ESEAL_OK);
	ck_assert_int_eq(session_get(f.s, &f.p, tok, t + f.p.absolute_secs,
	    &si), ESEAL_EAUTH);

	/* Malformed and unknown tokens. */
	ck_assert_int_eq(session_get(f.s, &f.p, "", t, &si), ESEAL_EAUTH);
	ck_assert_int_eq(session_get(f.s, &f.p, NULL, t, &si), ESEAL_EAUTH);
	ck_assert_int_eq(session_get(f.s, &f.p, "x\"; DROP TABLE sessions",
	    t, &si), ESEAL_EAUTH);
	memset(bad, 'A', SESSION_TOKEN_LEN);
	bad[SESSION_TOKEN_LEN] = '\0';
	ck_assert_int_eq(session_get(f.s, &f.p, bad, t, &si), ESEAL_EAUTH);
	fx_close(&f);
}
END_TEST

START_TEST(test_logout_and_other_sessions)
{
	struct fixture f;
	char t1[SESSION_TOKEN_LEN + 1], t2[SESSION_TOKEN_LEN + 1];
	struct session_info si;

	fx_open(&f);
	add_ready(&f, "alice", ROLE_ADMIN);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0, t1, &si), ESEAL_OK);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.2",
	    T0, t2, &si), ESEAL_OK);
	/* A password change ends every session, this one too, and gives a
	 * new one. */
	{
		char old[SESSION_TOKEN_LEN + 1];

		memcpy(old, t1, sizeof(old));
		ck_assert_int_eq(chpw(&f, t1, NEWPW,
		    "another long passphrase", T0 + 5), ESEAL_OK);
		ck_assert_int_eq(session_get(f.s, &f.p, old, T0 + 6, &si),
		    ESEAL_EAUTH);
	}
	ck_assert_int_eq(session_get(f.s, &f.p, t1, T0 + 6, &si), ESEAL_OK);
	ck_assert_str_eq(si.username, "alice");
	ck_assert_int_eq(session_get(f.s, &f.p, t2, T0 + 6, &si),
	    ESEAL_EAUTH);
	ck_assert_int_eq(session_logout(f.s, t1), ESEAL_OK);
	ck_assert_int_eq(session_get(f.s, &f.p, t1, T0 + 8, &si),
	    ESEAL_EAUTH);
	ck_assert_int_eq(session_logout(f.s, t1), ESEAL_EAUTH);
	ck_assert_int_eq(audits(f.path, "account.logout", "alice"), 2);
	ck_assert_int_eq(audits(f.path, "account.password", "alice"), 2);
	fx_close(&f);
}
END_TEST

START_TEST(test_compromise)
{
	struct fixture f;
	char tok[SESSION_TOKEN_LEN + 1];
	struct session_info si;
	struct account_info ai;

	fx_open(&f);
	add_ready(&f, "alice", ROLE_RA);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 10, tok, &si), ESEAL_OK);
	ck_assert_int_eq(session_authorize(&si, ROLE_BIT(ROLE_RA)), ESEAL_OK);

	ck_assert_int_eq(account_compromise(f.s, "alice", T0 + 20, "admin1"),
	    ESEAL_OK);
	/* The live session ends at once. */
	ck_assert_int_eq(session_get(f.s, &f.p, tok, T0 + 21, &si),
	    ESEAL_EAUTH);
	ck_assert_int_eq(account_get(f.s, "alice", &ai), ESEAL_OK);
	ck_assert_int_eq(ai.compromised, 1);
	ck_assert_int_eq(ai.must_change, 1);
	/* The password still logs in, but only to change it. */
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 30, tok, &si), ESEAL_OK);
	ck_assert_int_eq(si.must_change, 1);
	ck_assert_int_eq(session_authorize(&si, ROLE_BIT(ROLE_RA)),
	    ESEAL_EFORBIDDEN);
	ck_assert_int_eq(chpw(&f, tok, NEWPW,
	    "a brand new passphrase", T0 + 40), ESEAL_OK);
	ck_assert_int_eq(account_get(f.s, "alice", &ai), ESEAL_OK);
	ck_assert_int_eq(ai.compromised, 0);
	ck_assert_int_eq(ai.must_change, 0);
	ck_assert_int_eq(account_compromise(f.s, "nobody", T0, "admin1"),
	    ESEAL_ENOTFOUND);
	ck_assert_int_eq(audits(f.path, "account.compromise", "admin1"), 1);
	fx_close(&f);
}
END_TEST

START_TEST(test_disable_enable)
{
	struct fixture f;
	char tok[SESSION_TOKEN_LEN + 1], t2[SESSION_TOKEN_LEN + 1];
	char pw[ACCOUNT_INITIAL_PW_SIZE], bad[512];
	struct session_info si;
	struct account_info ai, *v;
	size_t n;

	fx_open(&f);
	add_ready(&f, "alice", ROLE_RA);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 10, tok, &si), ESEAL_OK);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.2",
	    T0 + 10, t2, &si), ESEAL_OK);

	ck_assert_int_eq(account_set_disabled(f.s, "alice", 1, T0 + 20,
	    "admin1"), ESEAL_OK);
	/* Every session ends at once. */
	ck_assert_int_eq(session_get(f.s, &f.p, tok, T0 + 21, &si),
	    ESEAL_EAUTH);
	ck_assert_int_eq(session_get(f.s, &f.p, t2, T0 + 21, &si),
	    ESEAL_EAUTH);
	ck_assert_int_eq(account_get(f.s, "alice", &ai), ESEAL_OK);
	ck_assert_int_eq(ai.disabled, 1);
	/* A wrong password: the answer anyone gets, counted as ever. */
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", "not the password",
	    "192.0.2.1", T0 + 30, tok, &si), ESEAL_EAUTH);
	snprintf(bad, sizeof(bad), "%s", eseal_errmsg());
	ck_assert_str_eq(bad, "session: panel point 6: invalid username or "
	    "password");
	ck_assert_int_eq(audits(f.path, "account.login_fail", "alice"), 1);
	/* The right password: only now does the answer say disabled. */
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 31, tok, &si), ESEAL_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "this account is "
	    "disabled"));
	ck_assert_str_eq(tok, "");
	ck_assert_int_eq(si.account_id, 0);
	ck_assert_int_eq(store_session_count_for(f.path, "alice"), 0);
	/* Nor by client certificate. */
	ck_assert_int_eq(session_by_cert(f.s, "alice", &si), ESEAL_EFORBIDDEN);
	/* The name stays reserved, and the state is listed. */
	ck_assert_int_eq(account_add(f.s, &f.p, "alice", ROLE_RA, T0 + 40,
	    "admin1", pw, sizeof(pw)), ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "disabled account"));
	ck_assert_int_eq(account_list(f.s, &v, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0].disabled, 1);
	free(v);
	/* Twice is refused; an unknown name is not found. */
	ck_assert_int_eq(account_set_disabled(f.s, "alice", 1, T0 + 41,
	    "admin1"), ESEAL_EEXIST);
	ck_assert_int_eq(account_set_disabled(f.s, "nobody", 1, T0 + 41,
	    "admin1"), ESEAL_ENOTFOUND);
	ck_assert_int_eq(account_set_disabled(f.s, "alice", 0, T0 + 41, NULL),
	    ESEAL_EINVAL);

	/* Enabled again: the same password logs in. */
	ck_assert_int_eq(account_set_disabled(f.s, "alice", 0, T0 + 50,
	    "admin1"), ESEAL_OK);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 51, tok, &si), ESEAL_OK);
	ck_assert_int_eq(session_authorize(&si, ROLE_BIT(ROLE_RA)), ESEAL_OK);
	ck_assert_int_eq(session_by_cert(f.s, "alice", &si), ESEAL_OK);
	ck_assert_int_eq(account_set_disabled(f.s, "alice", 0, T0 + 52,
	    "admin1"), ESEAL_EEXIST);
	/* Each change is an audit record naming the operator. */
	ck_assert_int_eq(audits(f.path, "account.disable", "admin1"), 1);
	ck_assert_int_eq(audits(f.path, "account.enable", "admin1"), 1);
	ck_assert_int_eq(audits(f.path, "account.login_disabled", "alice"), 1);
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM audit WHERE action = "
	    "'account.disable' AND object = ?1 AND detail LIKE '%2 sessions "
	    "ended%'", "alice", NULL), 1);
	fx_close(&f);
}
END_TEST

START_TEST(test_reset)
{
	struct fixture f;
	char pw[ACCOUNT_INITIAL_PW_SIZE], tok[SESSION_TOKEN_LEN + 1];
	char old[SESSION_TOKEN_LEN + 1];
	struct session_info si;
	struct account_info ai;

	fx_open(&f);
	add_ready(&f, "alice", ROLE_ADMIN);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0, old, &si), ESEAL_OK);
	/* Slowed down by guessing (from a new address)... */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(session_login(f.s, &f.p, "alice", "guess guess "
		    "guess", "203.0.113.5", T0 + 1, tok, &si), ESEAL_EAUTH);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW,
	    "198.51.100.1", T0 + 1, tok, &si), ESEAL_ETOOMANY);
	/* ...and reset: a new initial password that works at once. */
	ck_assert_int_eq(account_reset(f.s, &f.p, "alice", T0 + 3, "admin1", pw,
	    sizeof(pw)), ESEAL_OK);
	ck_assert_uint_ge(strlen(pw), ACCOUNT_PASSWORD_MIN);
	ck_assert_int_eq(session_get(f.s, &f.p, old, T0 + 4, &si),
	    ESEAL_EAUTH);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 4, tok, &si), ESEAL_EAUTH);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", pw, "192.0.2.1",
	    T0 + 5, tok, &si), ESEAL_OK);
	ck_assert_int_eq(si.must_change, 1);
	ck_assert_int_eq(session_authorize(&si, ROLE_ANY), ESEAL_EFORBIDDEN);
	ck_assert_int_eq(account_get(f.s, "alice", &ai), ESEAL_OK);
	ck_assert_int_eq(ai.locked_until, 0);
	ck_assert_int_eq(account_reset(f.s, &f.p, "nobody", T0, "admin1", pw,
	    sizeof(pw)), ESEAL_ENOTFOUND);
	ck_assert_str_eq(pw, "");
	ck_assert_int_eq(audits(f.path, "account.reset", "admin1"), 1);
	fx_close(&f);
}
END_TEST

START_TEST(test_password_rules)
{
	struct fixture f;
	char pw[ACCOUNT_INITIAL_PW_SIZE], tok[SESSION_TOKEN_LEN + 1];
	char big[ACCOUNT_PASSWORD_MAX + 2];
	struct session_info si;

	fx_open(&f);
	add(&f, "alice", ROLE_ADMIN, pw);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", pw, "192.0.2.1", T0,
	    tok, &si), ESEAL_OK);
	/* The floor, in bytes; nothing about character classes. */
	ck_assert_int_eq(chpw(&f, tok, pw,
	    "elevenchars", T0), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "at least 12 bytes"));
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(chpw(&f, tok, pw, big, T0),
	    ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "at most 256 bytes"));
	ck_assert_int_eq(chpw(&f, tok, pw, pw, T0),
	    ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "differs from the old"));
	ck_assert_int_eq(chpw(&f, tok, pw,
	    "abcdefghijk\xff", T0), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "UTF-8"));
	/* A wrong old password is a failed login. */
	ck_assert_int_eq(chpw(&f, tok,
	    "not my password", NEWPW, T0), ESEAL_EAUTH);
	ck_assert_int_eq(audits(f.path, "account.password_fail", "alice"), 1);
	/* Still must change: nothing above changed anything. */
	ck_assert_int_eq(session_get(f.s, &f.p, tok, T0, &si), ESEAL_OK);
	ck_assert_int_eq(si.must_change, 1);
	/* Exactly the floor, all lower case, is fine; so is Japanese. */
	ck_assert_int_eq(chpw(&f, tok, pw,
	    "twelvelowers", T0), ESEAL_OK);
	ck_assert_int_eq(chpw(&f, tok,
	    "twelvelowers", "\xe5\x90\x88\xe8\xa8\x80\xe8\x91\x89\xe3\x81"
	    "\xaf\xe7\xa7\x98\xe5\xaf\x86", T0 + 1), ESEAL_OK);
	/* No change without a session. */
	ck_assert_int_eq(session_change_password(f.s, &f.p, "nope", NEWPW,
	    "whatever whatever", T0, tok, &si), ESEAL_EAUTH);
	ck_assert_str_eq(tok, "");
	fx_close(&f);
}
END_TEST

START_TEST(test_secrets_not_stored)
{
	struct fixture f;
	char pw[ACCOUNT_INITIAL_PW_SIZE], tok[SESSION_TOKEN_LEN + 1];
	unsigned char h[crypto_hash_sha256_BYTES];
	struct session_info si;
	sqlite3 *db;
	sqlite3_stmt *st;

	fx_open(&f);
	add(&f, "alice", ROLE_ADMIN, pw);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", pw, "192.0.2.1", T0,
	    tok, &si), ESEAL_OK);
	/* The session row holds SHA-256(token), 32 bytes, not the token. */
	crypto_hash_sha256(h, (const unsigned char *)tok, strlen(tok));
	ck_assert_int_eq(sqlite3_open(f.path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT token_hash, "
	    "client_addr FROM sessions", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_bytes(st, 0), 32);
	ck_assert_int_eq(memcmp(sqlite3_column_blob(st, 0), h, 32), 0);
	ck_assert_int_ne(memcmp(sqlite3_column_blob(st, 0), tok, 32), 0);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "192.0.2.1");
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* The password is an argon2id string; neither secret is anywhere in
	 * the accounts, sessions or audit tables. */
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM accounts WHERE "
	    "password_hash LIKE '$argon2id$v=19$%'", NULL, NULL), 1);
	ck_assert_int_eq(chpw(&f, tok, pw, NEWPW,
	    T0), ESEAL_OK);
	for (int i = 0; i < 3; i++) {
		const char *secret = i == 0 ? pw : i == 1 ? tok : NEWPW;

		ck_assert_int_eq(q(f.path, "SELECT (SELECT COUNT(*) FROM "
		    "accounts WHERE instr(password_hash || username, ?1)) + "
		    "(SELECT COUNT(*) FROM sessions WHERE "
		    "instr(CAST(token_hash AS TEXT) || client_addr, ?1)) + "
		    "(SELECT COUNT(*) FROM audit WHERE "
		    "instr(actor || action || object || detail, ?1))", secret,
		    NULL), 0);
	}
	fx_close(&f);
}
END_TEST

START_TEST(test_audit_trail)
{
	struct fixture f;
	char pw[ACCOUNT_INITIAL_PW_SIZE], tok[SESSION_TOKEN_LEN + 1];
	struct session_info si;
	int64_t n;

	fx_open(&f);
	add(&f, "carol", ROLE_AUDITOR, pw);
	ck_assert_int_eq(session_login(f.s, &f.p, "carol", pw, "198.51.100.4",
	    T0, tok, &si), ESEAL_OK);
	ck_assert_int_eq(chpw(&f, tok, pw, NEWPW,
	    T0 + 1), ESEAL_OK);
	ck_assert_int_eq(session_logout(f.s, tok), ESEAL_OK);
	ck_assert_int_eq(account_compromise(f.s, "carol", T0 + 3, "admin1"),
	    ESEAL_OK);
	ck_assert_int_eq(account_reset(f.s, &f.p, "carol", T0 + 4, "admin1", pw,
	    sizeof(pw)), ESEAL_OK);
	ck_assert_int_eq(audits(f.path, "account.add", "esealctl"), 1);
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM audit WHERE action = "
	    "'account.login' AND actor = 'carol' AND object = 'carol' AND "
	    "detail = '198.51.100.4 zone=inside factors=password' AND ts = ?1", "1767225600", NULL), 1);
	ck_assert_int_eq(audits(f.path, "account.password", "carol"), 1);
	ck_assert_int_eq(audits(f.path, "account.logout", "carol"), 1);
	ck_assert_int_eq(audits(f.path, "account.compromise", "admin1"), 1);
	ck_assert_int_eq(audits(f.path, "account.reset", "admin1"), 1);
	/* The chain holds. */
	ck_assert_int_eq(audit_verify(f.s, &n), ESEAL_OK);
	ck_assert_int_eq(n, 6);
	fx_close(&f);
}
END_TEST

START_TEST(test_rehash_on_login)
{
	struct fixture f;
	char tok[SESSION_TOKEN_LEN + 1];
	struct session_info si;

	fx_open(&f);
	add_ready(&f, "alice", ROLE_ADMIN);
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM accounts WHERE "
	    "password_hash LIKE '%,t=1,%'", NULL, NULL), 1);
	/* Stronger limits take effect at the next login. */
	f.p.opslimit = crypto_pwhash_OPSLIMIT_MIN + 1;
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 1, tok, &si), ESEAL_OK);
	ck_assert_int_eq(q(f.path, "SELECT COUNT(*) FROM accounts WHERE "
	    "password_hash LIKE '%,t=2,%'", NULL, NULL), 1);
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 2, tok, &si), ESEAL_OK);
	/* Nonsense limits are a configuration error. */
	f.p.lock_after = 0;
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", NEWPW, "192.0.2.1",
	    T0 + 3, tok, &si), ESEAL_ECONF);
	fx_close(&f);
}
END_TEST

START_TEST(test_client_certificate)
{
	struct fixture f;
	char pw[ACCOUNT_INITIAL_PW_SIZE];
	struct session_info si;

	fx_open(&f);
	add_ready(&f, "alice", ROLE_RA);
	add(&f, "bob", ROLE_ADMIN, pw);
	ck_assert_int_eq(session_by_cert(f.s, "alice", &si), ESEAL_OK);
	ck_assert_str_eq(si.username, "alice");
	ck_assert_int_eq(si.role, ROLE_RA);
	ck_assert_int_eq(session_authorize(&si, ROLE_BIT(ROLE_RA)), ESEAL_OK);
	/* A certificate does not skip the first-login change. */
	ck_assert_int_eq(session_by_cert(f.s, "bob", &si), ESEAL_OK);
	ck_assert_int_eq(session_authorize(&si, ROLE_ANY), ESEAL_EFORBIDDEN);
	/* Nor a compromise. */
	ck_assert_int_eq(account_compromise(f.s, "alice", T0, "admin1"),
	    ESEAL_OK);
	ck_assert_int_eq(session_by_cert(f.s, "alice", &si), ESEAL_OK);
	ck_assert_int_eq(session_authorize(&si, ROLE_BIT(ROLE_RA)),
	    ESEAL_EFORBIDDEN);
	ck_assert_int_eq(session_by_cert(f.s, "carol", &si), ESEAL_EAUTH);
	ck_assert_int_eq(session_by_cert(f.s, "Alice Example", &si),
	    ESEAL_EAUTH);
	ck_assert_int_eq(si.account_id, 0);
	fx_close(&f);
}
END_TEST

/* Every refusal, of accounts and of sessions, names the rule it applies. */
START_TEST(test_refusals_name_their_rule)
{
	char pw[ACCOUNT_INITIAL_PW_SIZE], pw2[ACCOUNT_INITIAL_PW_SIZE];
	char tok[SESSION_TOKEN_LEN + 1];
	struct session_info si;
	struct account_params bad;
	struct fixture f;
	enum eseal_rc rc[16];
	char msg[16][512];
	int n = 0;

#define TRY(call)	do {						\
		rc[n] = (call);						\
		snprintf(msg[n], sizeof(msg[n]), "%s", eseal_errmsg());	\
		n++;							\
	} while (0)

	fx_open(&f);
	add(&f, "alice", ROLE_RA, pw);
	TRY(account_add(f.s, &f.p, "Not A Name", ROLE_RA, T0, "x", pw2,
	    sizeof(pw2)));
	TRY(account_add(f.s, &f.p, "unknown", ROLE_RA, T0, "x", pw2,
	    sizeof(pw2)));
	TRY(account_add(f.s, &f.p, "bob", ROLE_MAX, T0, "x", pw2, sizeof(pw2)));
	TRY(account_add(f.s, &f.p, "bob", ROLE_RA, T0, "", pw2, sizeof(pw2)));
	bad = f.p;
	bad.lock_after = 0;
	TRY(account_add(f.s, &bad, "bob", ROLE_RA, T0, "x", pw2, sizeof(pw2)));
	TRY(session_login(f.s, &f.p, "alice", "wrong password", NULL, T0, tok,
	    &si));
	TRY(session_get(f.s, &f.p, "not-a-token", T0, &si));
	TRY(session_by_cert(f.s, "mallory", &si));
	ck_assert_int_eq(session_login(f.s, &f.p, "alice", pw, NULL, T0, tok,
	    &si), ESEAL_OK);
	TRY(session_authorize(&si, ROLE_ANY));
	TRY(chpw(&f, tok, pw, "short", T0));
	TRY(chpw(&f, tok, pw, pw, T0));
	TRY(chpw(&f, tok, pw, "alice", T0));
	TRY(chpw(&f, tok, "wrong password", NEWPW,
	    T0));
	TRY(session_get(f.s, &f.p, tok, T0 + f.p.absolute_secs, &si));
	for (int i = 0; i < 3; i++)
		(void)session_login(f.s, &f.p, "alice", "wrong password", NULL,
		    T0 + 10, tok, &si);
	TRY(session_login(f.s, &f.p, "alice", pw, NULL, T0 + 10, tok, &si));
#undef TRY
	for (int i = 0; i < n; i++) {
		ck_assert_msg(rc[i] != ESEAL_OK, "refusal %d was let in", i);
		ck_assert_msg(tu_cites_rule(msg[i]), "refusal %d names no "
		    "rule: %s", i, msg[i]);
	}
	ck_assert_int_eq(n, 15);
	fx_close(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("account");
	TCase *tc = tcase_create("account");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_names_and_roles);
	tcase_add_test(tc, test_add_refusals);
	tcase_add_test(tc, test_first_login_must_change);
	tcase_add_test(tc, test_wrong_and_unknown_look_alike);
	tcase_add_test(tc, test_lockout);
	tcase_add_test(tc, test_session_expiry);
	tcase_add_test(tc, test_logout_and_other_sessions);
	tcase_add_test(tc, test_compromise);
	tcase_add_test(tc, test_disable_enable);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_password_rules);
	tcase_add_test(tc, test_secrets_not_stored);
	tcase_add_test(tc, test_audit_trail);
	tcase_add_test(tc, test_rehash_on_login);
	tcase_add_test(tc, test_client_certificate);
	tcase_add_test(tc, test_refusals_name_their_rule);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
