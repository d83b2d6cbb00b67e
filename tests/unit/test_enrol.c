/*
 * test_enrol.c: organisations, enrolment codes, disclosure acknowledgements
 * and enrolment requests (org.c, enrol.c, store_enrol.c), and the
 * important-matters disclosure as shipped in conf/disclosure (disclosure.c).
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include "audit.h"
#include "csr.h"
#include "disclosure.h"
#include "enrol.h"
#include "enrol_issue.h"
#include "issue.h"
#include "profile.h"
#include "store.h"
#include "testutil.h"

#define NOW	1760000000	/* 2025-10-09, an ordinary day */
#define MSG_BADCODE	"org: EN 319 411-1 6.2.2: invalid enrolment code"
#define DAY	86400

/* Valid corporate numbers (REQUIREMENTS.md, "Facts"). */
static const char *const good_numbers[] = {
	"7123456789012", "4011001098993", "5835678256246", "2120901007402",
	"1180301018771",
};

/* One test's world: a store, the shipped disclosure, a registered org. */
struct world {
	char		 dir[256];
	char		 db[300];
	struct store	*s;
	struct disclosure *d;
	struct org_rec	 org;
	unsigned char	*csr;		/* PEM from openssl req */
	size_t		 csr_len;
};

static const char *
top(void)
{
	return getenv("ESEAL_TOP") ? getenv("ESEAL_TOP") : ".";
}

/* Runs a query that returns one integer, straight through SQLite. */
static long long
q(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Same, with one text bound to ?1. */
static long long
q1(const char *path, const char *sql, const char *arg)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Number of audit records with that action. */
static long long
audits(const char *path, const char *action)
{
	return q1(path, "SELECT COUNT(*) FROM audit WHERE action = ?1", action);
}

static void
jp_org(struct org_rec *o, const char *number, const char *name)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->country, sizeof(o->country), "JP");
	snprintf(o->corporate_number, sizeof(o->corporate_number), "%s",
	    number);
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->english_name, sizeof(o->english_name), "Example Co., Ltd.");
	snprintf(o->evidence, sizeof(o->evidence), "RA-2025-0001 登記事項証明書");
}

static void
world_open(struct world *w)
{
	char path[512];

	memset(w, 0, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "%s", tu_tmpdir());
	snprintf(w->db, sizeof(w->db), "%s/eseal.db", w->dir);
	ck_assert_int_eq(store_open(w->db, &w->s), ESEAL_OK);
	snprintf(path, sizeof(path), "%s/conf/disclosure", top());
	ck_assert_int_eq(disclosure_load(path, &w->d), ESEAL_OK);
	jp_org(&w->org, "7123456789012", "株式会社サンプル");
	ck_assert_int_eq(org_register(w->s, &w->org, NOW, "ra-alice"),
	    ESEAL_OK);
}

static void
world_csr(struct world *w)
{
	char *p = tu_csr(w->dir, "seal", "ec:P-256");

	w->csr = tu_read(p, &w->csr_len);
	ck_assert_ptr_nonnull(w->csr);
	free(p);
}

static void
world_close(struct world *w)
{
	store_close(w->s);
	disclosure_free(w->d);
	free(w->csr);
}

/* A complete, good submission for code with the world's disclosure. */
static void
submission(struct world *w, struct enrol_submission *sub, const char *code)
{
	memset(sub, 0, sizeof(*sub));
	sub->code = code;
	sub->csr_der = w->csr;
	sub->csr_len = w->csr_len;
	sub->profile = "eseal-qualified-jp";
	sub->holder = HOLDER_REMOTE_SERVICE;
	sub->qscd = 1;
	sub->disclosure_version = disclosure_version(w->d);
	sub->disclosure_sha256 = disclosure_sha256(w->d);
	sub->signer_name = "山田 太郎";
	sub->signer_title = "代表取締役";
	sub->client_addr = "192.0.2.10";
	sub->disclosure = w->d;
}

/* A submission with no CA behind it (no enrol_check_fn). */
static enum eseal_rc
create(struct store *s, const struct enrol_submission *sub, int64_t now,
    int64_t *id, char token[ENROL_TOKEN_LEN + 1])
{
	return enrol_request_create(s, sub, NULL, NULL, now, id, token);
}

static void
new_code(struct world *w, char code[ORG_CODE_LEN + 1])
{
	ck_assert_int_eq(org_code_new(w->s, w->org.id, 7 * DAY, NOW,
	    "ra-alice", code), ESEAL_OK);
}

static int64_t
new_request(struct world *w, char token[ENROL_TOKEN_LEN + 1])
{
	char code[ORG_CODE_LEN + 1];
	struct enrol_submission sub;
	int64_t id;

	new_code(w, code);
	submission(w, &sub, code);
	ck_assert_int_eq(create(w->s, &sub, NOW + 60, &id,
	    token), ESEAL_OK);
	return id;
}

static void
sha256(const void *b, size_t n, unsigned char out[32])
{
	ck_assert(EVP_Digest(b, n, out, NULL, EVP_sha256(), NULL));
}

/* 1 if any byte string s occurs in the file path (missing file: 0). */
static int
file_has(const char *path, const char *s)
{
	unsigned char *b;
	size_t len;
	int found;

	if ((b = tu_read(path, &len)) == NULL)
		return 0;
	found = memmem(b, len, s, strlen(s)) != NULL;
	free(b);
	return found;
}

/* 1 if s occurs in any column of any row of any table. */
static int
db_has(const char *path, const char *s)
{
	sqlite3 *db;
	sqlite3_stmt *tables, *st;
	char sql[256];
	int found = 0;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master "
	    "WHERE type = 'table'", -1, &tables, NULL), SQLITE_OK);
	while (!found && sqlite3_step(tables) == SQLITE_ROW) {
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"",
		    sqlite3_column_text(tables, 0));
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
		    SQLITE_OK);
		while (!found && sqlite3_step(st) == SQLITE_ROW)
			for (int i = 0; i < sqlite3_column_count(st); i++) {
				const void *p = sqlite3_column_blob(st, i);
				int n = sqlite3_column_bytes(st, i);

				if (p != NULL && memmem(p, (size_t)n, s,
				    strlen(s)) != NULL)
					found = 1;
			}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	return found;
}

/* --- organisations ---------------------------------------------------- */

START_TEST(test_org_register_valid_numbers)
{
	struct org_rec o, got;
	struct org subj;
	struct store *s;
	char db[300], want[64];

	snprintf(db, sizeof(db), "%s/eseal.db", tu_tmpdir());
	ck_assert_int_eq(store_open(db, &s), ESEAL_OK);
	for (size_t i = 0; i < sizeof(good_numbers) / sizeof(*good_numbers);
	    i++) {
		jp_org(&o, good_numbers[i], "株式会社サンプル");
		ck_assert_msg(org_register(s, &o, NOW, "ra-alice") ==
		    ESEAL_OK, "%s: %s", good_numbers[i], eseal_errmsg());
		snprintf(want, sizeof(want), "NTRJP-%s", good_numbers[i]);
		ck_assert_str_eq(o.identifier, want);
		ck_assert_int_gt(o.id, 0);
		ck_assert_int_eq(o.created, NOW);
		ck_assert_int_eq(org_get(s, o.id, &got), ESEAL_OK);
		ck_assert_str_eq(got.identifier, want);
		ck_assert_str_eq(got.name, "株式会社サンプル");
		ck_assert_str_eq(got.corporate_number, good_numbers[i]);
		ck_assert_str_eq(got.country, "JP");
		ck_assert_str_eq(got.evidence, "RA-2025-0001 登記事項証明書");
	}
	/* The subject for issuance comes from the record. */
	org_to_subject(&got, &subj);
	ck_assert_str_eq(subj.country, "JP");
	ck_assert_str_eq(subj.name, "株式会社サンプル");
	ck_assert_str_eq(subj.identifier, "NTRJP-1180301018771");
	ck_assert_str_eq(subj.common_name, "");
	ck_assert_int_eq(org_get(s, 9999, &got), ESEAL_ENOTFOUND);
	store_close(s);
	ck_assert_int_eq(q(db, "SELECT COUNT(*) FROM organizations"), 5);
	ck_assert_int_eq(audits(db, "org.register"), 5);
}
END_TEST

/* org_register refuses rec as bad input, naming the rule. */
static void
refused(struct store *s, struct org_rec *rec, const char *actor)
{
	ck_assert_int_eq(org_register(s, rec, NOW, actor), ESEAL_EINVAL);
	ck_assert_msg(tu_cites_rule(eseal_errmsg()), "no rule: %s",
	    eseal_errmsg());
}

START_TEST(test_org_register_refusals)
{
	char db[300], name[PROFILE_ATTR_MAX];
	struct org_rec o;
	struct store *s;

	snprintf(db, sizeof(db), "%s/eseal.db", tu_tmpdir());
	ck_assert_int_eq(store_open(db, &s), ESEAL_OK);

	/* The check digit of 7123456789012 is 7, not 8. */
	jp_org(&o, "8123456789012", "株式会社サンプル");
	refused(s, &o, "ra");
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "check digit"));
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "MoF ordinance"));
	jp_org(&o, "712345678901", "株式会社サンプル");
	refused(s, &o, "ra");
	jp_org(&o, "71234567890A1", "株式会社サンプル");
	refused(s, &o, "ra");
	jp_org(&o, "", "株式会社サンプル");
	refused(s, &o, "ra");
	/* An identifier given for JP must be the NTRJP- one. */
	jp_org(&o, "7123456789012", "株式会社サンプル");
	snprintf(o.identifier, sizeof(o.identifier), "NTRJP-4011001098993");
	refused(s, &o, "ra");
	/* Names: required, UTF-8, one line, at most 64 characters. */
	jp_org(&o, "7123456789012", "");
	refused(s, &o, "ra");
	jp_org(&o, "7123456789012", "Bad \xff name");
	refused(s, &o, "ra");
	jp_org(&o, "7123456789012", "Two\nlines");
	refused(s, &o, "ra");
	jp_org(&o, "7123456789012", "");
	memset(o.name, 'A', sizeof(o.name));		/* no NUL at all */
	refused(s, &o, "ra");
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "longer than"));
	memset(name, 'A', 65);
	name[65] = '\0';
	jp_org(&o, "7123456789012", name);
	refused(s, &o, "ra");
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "more than 64"));
	/* Evidence of vetting is required; so is an actor. */
	jp_org(&o, "7123456789012", "株式会社サンプル");
	o.evidence[0] = '\0';
	refused(s, &o, "ra");
	jp_org(&o, "7123456789012", "株式会社サンプル");
	refused(s, &o, "");
	/* Outside Japan: an explicit identifier of that country. */
	memset(&o, 0, sizeof(o));
	snprintf(o.country, sizeof(o.country), "DE");
	snprintf(o.name, sizeof(o.name), "Beispiel GmbH");
	snprintf(o.evidence, sizeof(o.evidence), "RA-2025-0002");
	refused(s, &o, "ra");
	snprintf(o.identifier, sizeof(o.identifier), "VATFR-12345678901");
	refused(s, &o, "ra");
	snprintf(o.identifier, sizeof(o.identifier), "VAT DE-1");
	refused(s, &o, "ra");
	snprintf(o.corporate_number, sizeof(o.corporate_number),
	    "7123456789012");
	snprintf(o.identifier, sizeof(o.identifier), "VATDE-123456789");
	refused(s, &o, "ra");
	o.corporate_number[0] = '\0';
	ck_assert_int_eq(org_register(s, &o, NOW, "ra"), ESEAL_OK);
	/* EN 319 412-3: identifier and name differ. */
	memset(&o, 0, sizeof(o));
	snprintf(o.country, sizeof(o.country), "DE");
	snprintf(o.name, sizeof(o.name), "VATDE-987654321");
	snprintf(o.identifier, sizeof(o.identifier), "VATDE-987654321");
	snprintf(o.evidence, sizeof(o.evidence), "RA-2025-0003");
	refused(s, &o, "ra");
	/* Country: two upper-case letters. */
	jp_org(&o, "7123456789012", "株式会社サンプル");
	snprintf(o.country, sizeof(o.country), "jp");
	refused(s, &o, "ra");
	store_close(s);
	/* Only the German one landed, with one audit record. */
	ck_assert_int_eq(q(db, "SELECT COUNT(*) FROM organizations"), 1);
	ck_assert_int_eq(audits(db, "org.register"), 1);
}
END_TEST

START_TEST(test_org_name_64_japanese_characters)
{
	char db[300], name[PROFILE_ATTR_MAX];
	struct org_rec o;
	struct store *s;

	snprintf(db, sizeof(db), "%s/eseal.db", tu_tmpdir());
	ck_assert_int_eq(store_open(db, &s), ESEAL_OK);
	name[0] = '\0';
	for (int i = 0; i < 64; i++)
		strcat(name, "あ");
	jp_org(&o, "4011001098993", name);
	ck_assert_int_eq(org_register(s, &o, NOW, "ra"), ESEAL_OK);
	store_close(s);
	ck_assert_int_eq(q(db, "SELECT length(name) FROM organizations"), 64);
}
END_TEST

START_TEST(test_org_duplicate)
{
	struct org_rec o;
	struct world w;

	world_open(&w);
	jp_org(&o, "7123456789012", "別の名前株式会社");
	ck_assert_int_eq(org_register(w.s, &o, NOW, "ra-bob"),
	    ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "NTRJP-7123456789012"));
	ck_assert_int_eq(o.id, 0);
	world_close(&w);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM organizations"), 1);
	ck_assert_int_eq(audits(w.db, "org.register"), 1);
}
END_TEST

/* Offline issuance names a registered organisation, or registers it. */
START_TEST(test_org_find_and_register_or_find)
{
	struct org_rec o, r;
	struct world w;
	int created;

	world_open(&w);
	/* By id, by identifier; nothing else. */
	ck_assert_int_eq(org_find(w.s, "1", &r), ESEAL_OK);
	ck_assert_str_eq(r.name, "株式会社サンプル");
	ck_assert_int_eq(org_find(w.s, "NTRJP-7123456789012", &r), ESEAL_OK);
	ck_assert_int_eq(r.id, w.org.id);
	ck_assert_str_eq(r.identifier, "NTRJP-7123456789012");
	ck_assert_int_eq(org_find(w.s, "2", &r), ESEAL_ENOTFOUND);
	ck_assert_int_eq(org_find(w.s, "7123456789012", &r), ESEAL_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "NTRJP-"));
	ck_assert_int_eq(org_find(w.s, "株式会社サンプル", &r),
	    ESEAL_ENOTFOUND);
	ck_assert_int_eq(org_find(w.s, "", &r), ESEAL_ENOTFOUND);
	ck_assert_int_eq(org_find(w.s, NULL, &r), ESEAL_ENOTFOUND);
	/* The name: the registered one, or refused naming the rule. */
	ck_assert_int_eq(org_find(w.s, "1", &r), ESEAL_OK);
	ck_assert_int_eq(org_same_name(&r, NULL), ESEAL_OK);
	ck_assert_int_eq(org_same_name(&r, "株式会社サンプル"), ESEAL_OK);
	ck_assert_int_eq(org_same_name(&r, "Evil Corp"), ESEAL_EEXIST);
	ck_assert_str_eq(eseal_errmsg(), "org: EN 319 412-1 5.1.4: "
	    "organizationIdentifier NTRJP-7123456789012 is registered as "
	    "\"株式会社サンプル\" (organisation 1), not \"Evil Corp\": one "
	    "identifier names one organisation, and the subject comes from "
	    "its registered record");

	/* The same identifier and name: the registered record, no audit. */
	jp_org(&o, "7123456789012", "株式会社サンプル");
	ck_assert_int_eq(org_register_or_find(w.s, &o, NOW, "local:op",
	    &created), ESEAL_OK);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(o.id, w.org.id);
	/* Another name: refused, nothing written. */
	jp_org(&o, "7123456789012", "Evil Corp");
	ck_assert_int_eq(org_register_or_find(w.s, &o, NOW, "local:op",
	    &created), ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "5.1.4"));
	/* A new identifier: registered, with the API's audit record. */
	jp_org(&o, "4011001098993", "サンプル商事株式会社");
	ck_assert_int_eq(org_register_or_find(w.s, &o, NOW, "local:op",
	    &created), ESEAL_OK);
	ck_assert_int_eq(created, 1);
	ck_assert_int_eq(o.id, 2);
	/* And the API's checks: a bad check digit registers nothing. */
	jp_org(&o, "8123456789012", "株式会社サンプル");
	ck_assert_int_eq(org_register_or_find(w.s, &o, NOW, "local:op",
	    &created), ESEAL_EINVAL);
	world_close(&w);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM organizations"), 2);
	ck_assert_int_eq(audits(w.db, "org.register"), 2);
}
END_TEST

/* --- enrolment codes -------------------------------------------------- */

START_TEST(test_code_format_and_check)
{
	char code[ORG_CODE_LEN + 1], grouped[64];
	struct world w;
	int64_t org;

	world_open(&w);
	new_code(&w, code);
	ck_assert_uint_eq(strlen(code), ORG_CODE_LEN);
	ck_assert_uint_eq(strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
	    ORG_CODE_LEN);
	ck_assert_int_eq(org_code_check(w.s, code, NOW + 1, &org), ESEAL_OK);
	ck_assert_int_eq(org, w.org.id);
	/* Read case-insensitively, with '-' groups. */
	for (size_t i = 0, o = 0; i <= ORG_CODE_LEN; i++) {
		if (i > 0 && i % 4 == 0 && i < ORG_CODE_LEN)
			grouped[o++] = '-';
		grouped[o++] = (char)(i < ORG_CODE_LEN &&
		    code[i] >= 'A' && code[i] <= 'Z' ? code[i] + 32 : code[i]);
	}
	ck_assert_int_eq(org_code_check(w.s, grouped, NOW + 1, &org),
	    ESEAL_OK);
	/* Wrong, malformed, expired: one answer. */
	ck_assert_int_eq(org_code_check(w.s, "AAAAAAAAAAAAAAAAAAAAAAAA",
	    NOW + 1, &org), ESEAL_EAUTH);
	ck_assert_str_eq(eseal_errmsg(), MSG_BADCODE);
	ck_assert_int_eq(org, 0);
	ck_assert_int_eq(org_code_check(w.s, "x", NOW + 1, &org),
	    ESEAL_EAUTH);
	ck_assert_str_eq(eseal_errmsg(), MSG_BADCODE);
	ck_assert_int_eq(org_code_check(w.s, NULL, NOW + 1, &org),
	    ESEAL_EAUTH);
	ck_assert_int_eq(org_code_check(w.s, code, NOW + 7 * DAY, &org),
	    ESEAL_EAUTH);
	ck_assert_str_eq(eseal_errmsg(), MSG_BADCODE);
	ck_assert_int_eq(org_code_check(w.s, code, NOW + 7 * DAY - 1, &org),
	    ESEAL_OK);
	/* Codes are for registered organisations, for a bounded time. */
	ck_assert_int_eq(org_code_new(w.s, w.org.id + 100, DAY, NOW, "ra",
	    code), ESEAL_ENOTFOUND);
	ck_assert_str_eq(code, "");
	ck_assert_int_eq(org_code_new(w.s, w.org.id, 0, NOW, "ra", code),
	    ESEAL_EINVAL);
	ck_assert_int_eq(org_code_new(w.s, w.org.id, ORG_CODE_TTL_MAX + 1,
	    NOW, "ra", code), ESEAL_EINVAL);
	world_close(&w);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM enrolment_codes"), 1);
	ck_assert_int_eq(q(w.db, "SELECT attempts_left FROM enrolment_codes"),
	    ORG_CODE_ATTEMPTS);
	ck_assert_int_eq(q(w.db, "SELECT expires - created FROM "
	    "enrolment_codes"), 7 * DAY);
	ck_assert_int_eq(audits(w.db, "enrol.code.issue"), 1);
}
END_TEST

START_TEST(test_code_used_once)
{
	char code[ORG_CODE_LEN + 1], token[ENROL_TOKEN_LEN + 1];
	struct enrol_submission sub;
	struct world w;
	int64_t id, org;

	world_open(&w);
	world_csr(&w);
	new_code(&w, code);
	submission(&w, &sub, code);
	ck_assert_int_eq(create(w.s, &sub, NOW + 60, &id, token),
	    ESEAL_OK);
	/* Used: the same answer as unknown, and a second request fails. */
	ck_assert_int_eq(org_code_check(w.s, code, NOW + 61, &org),
	    ESEAL_EAUTH);
	ck_assert_str_eq(eseal_errmsg(), MSG_BADCODE);
	ck_assert_int_eq(create(w.s, &sub, NOW + 62, &id, token),
	    ESEAL_EAUTH);
	ck_assert_str_eq(eseal_errmsg(), MSG_BADCODE);
	ck_assert_int_eq(id, 0);
	ck_assert_str_eq(token, "");
	/* Expired before use: refused. */
	new_code(&w, code);
	sub.code = code;
	ck_assert_int_eq(create(w.s, &sub, NOW + 8 * DAY, &id,
	    token), ESEAL_EAUTH);
	world_close(&w);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM enrolment_requests"), 1);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM enrolment_codes WHERE "
	    "used_at IS NOT NULL"), 1);
	ck_assert_int_eq(q(w.db, "SELECT used_at FROM enrolment_codes WHERE "
	    "used_at IS NOT NULL"), NOW + 60);
	/* Wrong codes cost no attempts: there is no code to charge. */
	ck_assert_int_eq(q(w.db, "SELECT MIN(attempts_left) FROM "
	    "enrolment_codes"), ORG_CODE_ATTEMPTS);
}
END_TEST

START_TEST(test_code_attempts)
{
	char code[ORG_CODE_LEN + 1], token[ENROL_TOKEN_LEN + 1];
	const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	struct enrol_submission sub;
	struct world w;
	int64_t id, org;

	world_open(&w);
	world_csr(&w);
	new_code(&w, code);
	submission(&w, &sub, code);
	sub.csr_der = junk;
	sub.csr_len = sizeof(junk);
	for (int i = 1; i <= ORG_CODE_ATTEMPTS; i++) {
		ck_assert_int_eq(create(w.s, &sub, NOW + i, &id,
		    token), ESEAL_EINVAL);
		ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "csr:"));
		ck_assert_int_eq(strstr(eseal_errmsg(), "locked") != NULL,
		    i == ORG_CODE_ATTEMPTS);
		ck_assert_int_eq(q(w.db, "SELECT attempts_left FROM "
		    "enrolment_codes"), ORG_CODE_ATTEMPTS - i);
	}
	/* Locked: even a good submission is refused, and says so. */
	sub.csr_der = w.csr;
	sub.csr_len = w.csr_len;
	ck_assert_int_eq(create(w.s, &sub, NOW + 10, &id, token),
	    ESEAL_ETOOMANY);
	ck_assert_int_eq(org_code_check(w.s, code, NOW + 10, &org),
	    ESEAL_ETOOMANY);
	/* The disclosure is no guessing game: a stale acknowledgement and
	 * none at all cost nothing (panel point 1), a bad holder does. */
	new_code(&w, code);
	sub.code = code;
	sub.disclosure_version = "0.9";
	ck_assert_int_eq(create(w.s, &sub, NOW + 11, &id, token),
	    ESEAL_ESTALE);
	sub.disclosure_version = disclosure_version(w.d);
	sub.signer_name = NULL;
	ck_assert_int_eq(create(w.s, &sub, NOW + 11, &id, token),
	    ESEAL_ENOACK);
	sub.signer_name = "山田 太郎";
	ck_assert_int_eq(q(w.db, "SELECT MAX(attempts_left) FROM "
	    "enrolment_codes"), ORG_CODE_ATTEMPTS);
	sub.holder = HOLDER_MAX;
	ck_assert_int_eq(create(w.s, &sub, NOW + 12, &id, token),
	    ESEAL_EINVAL);
	sub.holder = HOLDER_SUBSCRIBER;
	ck_assert_int_eq(create(w.s, &sub, NOW + 13, &id, token),
	    ESEAL_OK);
	world_close(&w);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM enrolment_requests"), 1);
	ck_assert_int_eq(q(w.db, "SELECT attempts_left FROM enrolment_codes "
	    "WHERE used_at IS NOT NULL"), ORG_CODE_ATTEMPTS - 1);
	ck_assert_int_eq(audits(w.db, "enrol.code.refused"),
	    ORG_CODE_ATTEMPTS + 1);
	/* Nothing but the one good request's acknowledgement was recorded. */
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM disclosure_acks"), 1);
}
END_TEST

/* A stand-in for the CA's check behind enrol_request_create(). */
struct fake_check {
	enum eseal_rc	 rc;		/* what it answers */
	const char	*msg;		/* with this message */
	int		 calls;
	int64_t		 org_id;	/* the organisation it was shown */
	int		 has_key;	/* and whether the CSR had a key */
};

static enum eseal_rc
fake_check(void *arg, const struct org_rec *rec, const struct csr *csr,
    const struct enrol_submission *sub, int64_t now)
{
	struct fake_check *f = arg;

	(void)sub;
	(void)now;
	f->calls++;
	f->org_id = rec->id;
	f->has_key = csr_pubkey(csr) != NULL;
	return f->rc == ESEAL_OK ? ESEAL_OK : eseal_err(f->rc, "%s", f->msg);
}

START_TEST(test_code_refused_by_the_ca)
{
	char code[ORG_CODE_LEN + 1], token[ENROL_TOKEN_LEN + 1];
	const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	struct fake_check fc = { ESEAL_EPOLICY,
	    "policy: RSA-1024 is not allowed", 0, 0, 0 };
	struct enrol_submission sub;
	struct world w;
	int64_t id, org;

	world_open(&w);
	world_csr(&w);
	new_code(&w, code);
	submission(&w, &sub, code);
	/* The CA's refusal charges the code, with the CA's message. */
	ck_assert_int_eq(enrol_request_create(w.s, &sub, fake_check, &fc,
	    NOW + 1, &id, token), ESEAL_EPOLICY);
	ck_assert_str_eq(eseal_errmsg(), "policy: RSA-1024 is not allowed");
	ck_assert_int_eq(fc.calls, 1);
	ck_assert_int_eq(fc.org_id, w.org.id);
	ck_assert_int_eq(fc.has_key, 1);
	ck_assert_int_eq(id, 0);
	ck_assert_int_eq(q(w.db, "SELECT attempts_left FROM enrolment_codes"),
	    ORG_CODE_ATTEMPTS - 1);
	/* HSM trouble behind the check costs nothing. */
	fc.rc = ESEAL_EHSM;
	ck_assert_int_eq(enrol_request_create(w.s, &sub, fake_check, &fc,
	    NOW + 1, &id, token), ESEAL_EHSM);
	ck_assert_int_eq(q(w.db, "SELECT attempts_left FROM enrolment_codes"),
	    ORG_CODE_ATTEMPTS - 1);
	/* A bad code, and a body refused by enrol.c, never reach the CA. */
	sub.code = "AAAAAAAAAAAAAAAAAAAAAAAA";
	ck_assert_int_eq(enrol_request_create(w.s, &sub, fake_check, &fc,
	    NOW + 1, &id, token), ESEAL_EAUTH);
	sub.code = code;
	sub.csr_der = junk;
	sub.csr_len = sizeof(junk);
	ck_assert_int_eq(enrol_request_create(w.s, &sub, fake_check, &fc,
	    NOW + 2, &id, token), ESEAL_EINVAL);
	ck_assert_int_eq(fc.calls, 2);
	sub.csr_der = w.csr;
	sub.csr_len = w.csr_len;
	fc.rc = ESEAL_EINVAL;
	fc.msg = "csr: junk";
	for (int i = 3; i <= ORG_CODE_ATTEMPTS; i++)
		ck_assert_int_eq(enrol_request_create(w.s, &sub, fake_check,
		    &fc, NOW + i, &id, token), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "csr: junk (the "
	    "enrolment code is now locked"));
	ck_assert_int_eq(org_code_check(w.s, code, NOW + 10, &org),
	    ESEAL_ETOOMANY);
	/* With a new code, the CA's yes makes the request. */
	new_code(&w, code);
	sub.code = code;
	fc.rc = ESEAL_OK;
	ck_assert_int_eq(enrol_request_create(w.s, &sub, fake_check, &fc,
	    NOW + 20, &id, token), ESEAL_OK);
	ck_assert_int_gt(id, 0);
	world_close(&w);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM enrolment_requests"), 1);
	ck_assert_int_eq(audits(w.db, "enrol.code.refused"),
	    ORG_CODE_ATTEMPTS);
	ck_assert_int_eq(q1(w.db, "SELECT COUNT(*) FROM audit WHERE action = "
	    "'enrol.code.refused' AND detail LIKE ?1",
	    "%RSA-1024 is not allowed%"), 1);
}
END_TEST

/* --- acknowledgements ------------------------------------------------- */

START_TEST(test_ack_once_per_org_and_version)
{
	const char *sha;
	struct org_rec other;
	struct world w;

	world_open(&w);
	sha = disclosure_sha256(w.d);
	ck_assert_int_eq(org_ack_exists(w.s, w.org.id, "1.0"), 0);
	ck_assert_int_eq(org_ack(w.s, w.org.id, "1.0", sha, "山田 太郎",
	    "代表取締役", "192.0.2.1", NOW), ESEAL_OK);
	ck_assert_int_eq(org_ack_exists(w.s, w.org.id, "1.0"), 1);
	/* Again: fine, and the first record stays. */
	ck_assert_int_eq(org_ack(w.s, w.org.id, "1.0", sha, "佐藤 花子",
	    "総務部長", "192.0.2.2", NOW + 5), ESEAL_OK);
	/* The same version with another text: refused. */
	ck_assert_int_eq(org_ack(w.s, w.org.id, "1.0", "00000000000000000000"
	    "00000000000000000000000000000000000000000000", "佐藤 花子",
	    "総務部長", NULL, NOW + 6), ESEAL_EEXIST);
	/* Another version is another acknowledgement. */
	ck_assert_int_eq(org_ack_exists(w.s, w.org.id, "1.1"), 0);
	/* Who acknowledged is required; forms are checked. */
	ck_assert_int_eq(org_ack(w.s, w.org.id, "1.1", sha, "", "代表取締役",
	    NULL, NOW), ESEAL_EINVAL);
	ck_assert_int_eq(org_ack(w.s, w.org.id, "1.1", sha, "山田 太郎", NULL,
	    NULL, NOW), ESEAL_EINVAL);
	ck_assert_int_eq(org_ack(w.s, w.org.id, "../1.1", sha, "山田 太郎",
	    "代表取締役", NULL, NOW), ESEAL_EINVAL);
	ck_assert_int_eq(org_ack(w.s, w.org.id, "1.1", "ABC", "山田 太郎",
	    "代表取締役", NULL, NOW), ESEAL_EINVAL);
	ck_assert_int_eq(org_ack(w.s, 4242, "1.0", sha, "山田 太郎",
	    "代表取締役", NULL, NOW), ESEAL_ENOTFOUND);
	/* Per organisation: another one has acknowledged nothing. */
	jp_org(&other, "4011001098993", "別会社株式会社");
	ck_assert_int_eq(org_register(w.s, &other, NOW, "ra"), ESEAL_OK);
	ck_assert_int_eq(org_ack_exists(w.s, other.id, "1.0"), 0);
	world_close(&w);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM disclosure_acks"), 1);
	ck_assert_int_eq(q1(w.db, "SELECT COUNT(*) FROM disclosure_acks WHERE "
	    "signer_name = ?1 AND acknowledged_at = 1760000000 AND "
	    "signer_title = '代表取締役' AND client_addr = '192.0.2.1'",
	    "山田 太郎"), 1);
	ck_assert_int_eq(audits(w.db, "disclosure.ack"), 1);
}
END_TEST

/* Writes dir/version/{ja,en}.txt and points dir/current at version. */
static void
write_disclosure(const char *dir, const char *version, const char *ja,
    const char *en)
{
	char sub[512], cur[64];

	snprintf(sub, sizeof(sub), "%s/%s", dir, version);
	mkdir(dir, 0755);
	mkdir(sub, 0755);
	free(tu_write(sub, "ja.txt", ja, 0644));
	free(tu_write(sub, "en.txt", en, 0644));
	snprintf(cur, sizeof(cur), "%s\n", version);
	free(tu_write(dir, "current", cur, 0644));
}

START_TEST(test_new_version_needs_new_ack)
{
	char code[ORG_CODE_LEN + 1], token[ENROL_TOKEN_LEN + 1], ddir[512];
	struct disclosure *d10, *d11;
	struct enrol_submission sub;
	struct world w;
	int64_t id;

	world_open(&w);
	world_csr(&w);
	snprintf(ddir, sizeof(ddir), "%s/disclosure", w.dir);
	write_disclosure(ddir, "1.0", "重要事項 第1.0版\n", "Important 1.0\n");
	ck_assert_int_eq(disclosure_load(ddir, &d10), ESEAL_OK);

	/* 1.0: acknowledged with the first request. */
	new_code(&w, code);
	submission(&w, &sub, code);
	sub.disclosure = d10;
	sub.disclosure_version = "1.0";
	sub.disclosure_sha256 = disclosure_sha256(d10);
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_OK);
	/* A later request under 1.0 needs no signer: the ack covers it. */
	new_code(&w, code);
	sub.code = code;
	sub.signer_name = NULL;
	sub.signer_title = NULL;
	ck_assert_int_eq(create(w.s, &sub, NOW + 1, &id, token),
	    ESEAL_OK);

	/* 1.1 published: 1.0 no longer does. */
	write_disclosure(ddir, "1.1", "重要事項 第1.1版\n", "Important 1.1\n");
	ck_assert_int_eq(disclosure_load(ddir, &d11), ESEAL_OK);
	ck_assert_str_ne(disclosure_sha256(d10), disclosure_sha256(d11));
	new_code(&w, code);
	sub.code = code;
	sub.disclosure = d11;
	ck_assert_int_eq(create(w.s, &sub, NOW + 2, &id, token),
	    ESEAL_ESTALE);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "version 1.1"));
	/* 1.1 without the contracting party: refused, it is a new ack. */
	sub.disclosure_version = "1.1";
	sub.disclosure_sha256 = disclosure_sha256(d11);
	ck_assert_int_eq(create(w.s, &sub, NOW + 3, &id, token),
	    ESEAL_ENOACK);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "contracting party"));
	/* Nor is none at all an acknowledgement of 1.1. */
	sub.disclosure_version = NULL;
	sub.disclosure_sha256 = NULL;
	ck_assert_int_eq(create(w.s, &sub, NOW + 3, &id, token),
	    ESEAL_ENOACK);
	/* A wrong hash for 1.1: refused. */
	sub.signer_name = "佐藤 花子";
	sub.signer_title = "代表取締役社長";
	sub.disclosure_version = "1.1";
	sub.disclosure_sha256 = disclosure_sha256(d10);
	ck_assert_int_eq(create(w.s, &sub, NOW + 4, &id, token),
	    ESEAL_ESTALE);
	sub.disclosure_sha256 = disclosure_sha256(d11);
	ck_assert_int_eq(create(w.s, &sub, NOW + 5, &id, token),
	    ESEAL_OK);
	/* None of those refusals cost the code an attempt. */
	ck_assert_int_eq(q(w.db, "SELECT attempts_left FROM enrolment_codes "
	    "WHERE used_at = 1760000005"), ORG_CODE_ATTEMPTS);
	/* Acknowledged, 1.1 is what a request without one records. */
	new_code(&w, code);
	sub.code = code;
	sub.disclosure_version = NULL;
	sub.disclosure_sha256 = NULL;
	ck_assert_int_eq(create(w.s, &sub, NOW + 6, &id, token), ESEAL_OK);
	ck_assert_int_eq(q1(w.db, "SELECT COUNT(*) FROM enrolment_requests "
	    "WHERE disclosure_version = ?1", "1.1"), 2);
	ck_assert_int_eq(org_ack_exists(w.s, w.org.id, "1.0"), 1);
	ck_assert_int_eq(org_ack_exists(w.s, w.org.id, "1.1"), 1);
	disclosure_free(d10);
	disclosure_free(d11);
	world_close(&w);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM disclosure_acks"), 2);
	ck_assert_int_eq(q1(w.db, "SELECT COUNT(*) FROM disclosure_acks WHERE "
	    "version = '1.1' AND signer_name = ?1", "佐藤 花子"), 1);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM enrolment_requests"), 4);
	ck_assert_int_eq(audits(w.db, "disclosure.ack"), 2);
}
END_TEST

/* --- requests --------------------------------------------------------- */

/* A certificate row with serial, so that a request can finish issued. */
static void
add_cert(struct store *s, const char *serial)
{
	static unsigned char der[] = { 0x30, 0x00 };
	struct store_issuer is;
	struct store_cert c;
	int64_t iid;

	memset(&is, 0, sizeof(is));
	snprintf(is.name, sizeof(is.name), "ca-1");
	memcpy(is.key_id, "\x01", 1);
	is.key_id_len = 1;
	snprintf(is.key_type, sizeof(is.key_type), "ec-p256");
	is.cert = der;
	is.cert_len = sizeof(der);
	is.crl_shards = 1;
	ck_assert_int_eq(store_issuer_insert(s, &is, NOW, &iid), ESEAL_OK);
	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	c.issuer_id = iid;
	c.tbs = der;
	c.tbs_len = sizeof(der);
	c.subject = (char *)"/CN=x";
	ck_assert_int_eq(store_cert_insert_pending(s, &c, NOW), ESEAL_OK);
}

START_TEST(test_request_lifecycle)
{
	char token[ENROL_TOKEN_LEN + 1], token2[ENROL_TOKEN_LEN + 1];
	char code[ORG_CODE_LEN + 1];
	struct enrol_request r, *list;
	struct enrol_submission sub;
	X509_REQ *xr;
	BIO *bio;
	unsigned char *der = NULL;
	struct world w;
	int64_t id, id2, id3, n64;
	size_t n;
	int derlen;

	world_open(&w);
	world_csr(&w);
	new_code(&w, code);
	submission(&w, &sub, code);
	ck_assert_int_eq(create(w.s, &sub, NOW + 60, &id, token),
	    ESEAL_OK);
	ck_assert_int_gt(id, 0);
	ck_assert_uint_eq(strlen(token), ENROL_TOKEN_LEN);
	ck_assert_uint_eq(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"), ENROL_TOKEN_LEN);

	/* As stored: pending, the CSR as DER, the holder, the version. */
	ck_assert_int_eq(enrol_request_get(w.s, id, &r), ESEAL_OK);
	ck_assert_str_eq(r.status, "pending");
	ck_assert_int_eq(r.org_id, w.org.id);
	ck_assert_str_eq(r.profile, "eseal-qualified-jp");
	ck_assert_int_eq(r.holder, HOLDER_REMOTE_SERVICE);
	ck_assert_int_eq(r.qscd, 1);
	ck_assert_str_eq(r.disclosure_version, "1.0");
	ck_assert_str_eq(r.client_addr, "192.0.2.10");
	ck_assert_int_eq(r.created, NOW + 60);
	ck_assert_str_eq(r.decided_by, "");
	ck_assert_int_eq(r.decided_at, 0);
	/* The DER of the PEM sent, as OpenSSL itself reads it. */
	bio = BIO_new_mem_buf(w.csr, (int)w.csr_len);
	ck_assert_ptr_nonnull(xr = PEM_read_bio_X509_REQ(bio, NULL, NULL,
	    NULL));
	BIO_free(bio);
	derlen = i2d_X509_REQ(xr, &der);
	X509_REQ_free(xr);
	ck_assert_int_gt(derlen, 0);
	ck_assert_uint_eq(r.csr_len, (size_t)derlen);
	ck_assert_mem_eq(r.csr, der, (size_t)derlen);
	OPENSSL_free(der);
	enrol_request_clear(&r);
	ck_assert_int_eq(enrol_request_get(w.s, id + 100, &r), ESEAL_ENOTFOUND);

	/* Subscriber reads: the token, or the code that made the request. */
	ck_assert_int_eq(enrol_request_auth(w.s, id, token), ESEAL_OK);
	ck_assert_int_eq(enrol_request_auth(w.s, id, code), ESEAL_OK);
	token2[0] = token[0] == 'A' ? 'B' : 'A';
	memcpy(token2 + 1, token + 1, ENROL_TOKEN_LEN);
	ck_assert_int_eq(enrol_request_auth(w.s, id, token2), ESEAL_EAUTH);
	ck_assert_int_eq(enrol_request_auth(w.s, id, ""), ESEAL_EAUTH);
	ck_assert_int_eq(enrol_request_auth(w.s, id, NULL), ESEAL_EAUTH);
	ck_assert_int_eq(enrol_request_auth(w.s, id + 100, token), ESEAL_EAUTH);
	ck_assert_str_eq(eseal_errmsg(),
	    "enrol: RFC 6750 3.1: invalid request token or enrolment code");

	/* A second and a third request, each with its own code. */
	id2 = new_request(&w, token2);
	ck_assert_int_eq(enrol_request_auth(w.s, id2, token), ESEAL_EAUTH);
	ck_assert_int_eq(enrol_request_auth(w.s, id, token2), ESEAL_EAUTH);
	ck_assert_int_eq(enrol_request_auth(w.s, id2, code), ESEAL_EAUTH);
	id3 = new_request(&w, token2);

	ck_assert_int_eq(enrol_request_list(w.s, "pending", &list, &n),
	    ESEAL_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(list[0].id, id);
	ck_assert_int_eq(list[2].id, id3);
	ck_assert_ptr_null(list[0].csr);
	enrol_request_list_free(list, n);
	ck_assert_int_eq(enrol_request_list(w.s, "bogus", &list, &n),
	    ESEAL_EINVAL);

	/* Decide: a rejection needs a reason; only pending moves. */
	ck_assert_int_eq(enrol_request_decide(w.s, id, 0, "ra-bob", NULL,
	    NOW + 100), ESEAL_EINVAL);
	ck_assert_int_eq(enrol_request_decide(w.s, id, 1, "", NULL, NOW + 100),
	    ESEAL_EINVAL);
	ck_assert_int_eq(enrol_request_decide(w.s, id + 100, 1, "ra-bob", NULL,
	    NOW + 100), ESEAL_ENOTFOUND);
	ck_assert_int_eq(enrol_request_finish(w.s, id, "0102", NULL,
	    NOW + 100), ESEAL_EEXIST);
	ck_assert_int_eq(enrol_request_decide(w.s, id, 1, "ra-bob", NULL,
	    NOW + 100), ESEAL_OK);
	ck_assert_int_eq(enrol_request_decide(w.s, id, 0, "ra-bob", "late",
	    NOW + 101), ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "approved"));
	ck_assert_int_eq(enrol_request_get(w.s, id, &r), ESEAL_OK);
	ck_assert_str_eq(r.status, "approved");
	ck_assert_str_eq(r.decided_by, "ra-bob");
	ck_assert_int_eq(r.decided_at, NOW + 100);
	enrol_request_clear(&r);

	/* Finish: with a serial of a real certificate, or with a reason. */
	ck_assert_int_eq(enrol_request_finish(w.s, id, NULL, NULL, NOW + 200),
	    ESEAL_EINVAL);
	ck_assert_int_eq(enrol_request_finish(w.s, id, "0102", "both",
	    NOW + 200), ESEAL_EINVAL);
	ck_assert_int_eq(enrol_request_finish(w.s, id, "01:02", NULL,
	    NOW + 200), ESEAL_EINVAL);
	ck_assert_int_eq(enrol_request_finish(w.s, id, "0102", NULL,
	    NOW + 200), ESEAL_ENOTFOUND);
	add_cert(w.s, "0102");
	ck_assert_int_eq(enrol_request_finish(w.s, id, "0102", NULL,
	    NOW + 200), ESEAL_OK);
	ck_assert_int_eq(enrol_request_finish(w.s, id, NULL, "again",
	    NOW + 201), ESEAL_EEXIST);
	ck_assert_int_eq(enrol_request_get(w.s, id, &r), ESEAL_OK);
	ck_assert_str_eq(r.status, "issued");
	ck_assert_str_eq(r.serial, "0102");
	ck_assert_int_eq(r.finished_at, NOW + 200);
	enrol_request_clear(&r);

	/* Rejected stays rejected. */
	ck_assert_int_eq(enrol_request_decide(w.s, id2, 0, "ra-carol",
	    "鍵の保有者の申告が契約と異なる", NOW + 300), ESEAL_OK);
	ck_assert_int_eq(enrol_request_finish(w.s, id2, NULL, "x", NOW + 301),
	    ESEAL_EEXIST);
	ck_assert_int_eq(enrol_request_get(w.s, id2, &r), ESEAL_OK);
	ck_assert_str_eq(r.status, "rejected");
	ck_assert_str_eq(r.reason, "鍵の保有者の申告が契約と異なる");
	enrol_request_clear(&r);

	/* Approved, then issuance failed. */
	ck_assert_int_eq(enrol_request_decide(w.s, id3, 1, "ra-bob", "ok",
	    NOW + 400), ESEAL_OK);
	ck_assert_int_eq(enrol_request_finish(w.s, id3, NULL,
	    "policy: RSA-2048 not allowed after 2030-12-31", NOW + 401),
	    ESEAL_OK);
	ck_assert_int_eq(enrol_request_get(w.s, id3, &r), ESEAL_OK);
	ck_assert_str_eq(r.status, "failed");
	ck_assert_str_eq(r.reason,
	    "policy: RSA-2048 not allowed after 2030-12-31");
	enrol_request_clear(&r);

	/* An error message longer than the column is cut, not refused, at
	 * a character boundary. */
	{
		char longmsg[512];
		int64_t id4 = new_request(&w, token2);

		strcpy(longmsg, "profile: x");	/* 10 bytes: cut mid-char */
		while (strlen(longmsg) < 400)
			strcat(longmsg, "株式会社");
		ck_assert_int_eq(enrol_request_decide(w.s, id4, 1, "ra-bob",
		    NULL, NOW + 500), ESEAL_OK);
		ck_assert_int_eq(enrol_request_finish(w.s, id4, NULL, longmsg,
		    NOW + 501), ESEAL_OK);
		ck_assert_int_eq(enrol_request_get(w.s, id4, &r), ESEAL_OK);
		ck_assert_str_eq(r.status, "failed");
		ck_assert_uint_le(strlen(r.reason), ENROL_TEXT_MAX - 1);
		ck_assert_uint_ge(strlen(r.reason), ENROL_TEXT_MAX - 3);
		ck_assert(valid_utf8(r.reason, strlen(r.reason), 0, NULL));
		ck_assert_int_eq(strncmp(r.reason, longmsg, strlen(r.reason)),
		    0);
		enrol_request_clear(&r);
	}

	ck_assert_int_eq(enrol_request_list(w.s, NULL, &list, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 4);
	enrol_request_list_free(list, n);
	ck_assert_int_eq(enrol_request_list(w.s, "pending", &list, &n),
	    ESEAL_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(list);
	enrol_request_list_free(list, n);
	ck_assert_int_eq(enrol_request_list(w.s, "issued", &list, &n),
	    ESEAL_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].serial, "0102");
	enrol_request_list_free(list, n);

	/* Every step left its record, and the chain holds. */
	ck_assert_int_eq(audit_verify(w.s, &n64), ESEAL_OK);
	world_close(&w);
	ck_assert_int_eq(audits(w.db, "enrol.request"), 4);
	ck_assert_int_eq(audits(w.db, "enrol.approve"), 3);
	ck_assert_int_eq(audits(w.db, "enrol.reject"), 1);
	ck_assert_int_eq(audits(w.db, "enrol.issued"), 1);
	ck_assert_int_eq(audits(w.db, "enrol.failed"), 2);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM audit WHERE action = "
	    "'enrol.issued' AND actor = 'ra-bob' AND object = 'enrolment:1'"), 1);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM audit WHERE action = "
	    "'enrol.reject' AND actor = 'ra-carol'"), 1);
}
END_TEST

/* Issue 11: which request a credential belongs to, and what the RA sees. */
START_TEST(test_request_find_and_detail)
{
	char token[ENROL_TOKEN_LEN + 1], token2[ENROL_TOKEN_LEN + 1];
	char code[ORG_CODE_LEN + 1], hex[2 * CSR_SPKI_SHA256_LEN + 1];
	struct enrol_request_detail d;
	struct enrol_submission sub;
	struct csr *c = NULL;
	struct world w;
	int64_t id, id2, found;

	world_open(&w);
	world_csr(&w);
	new_code(&w, code);
	submission(&w, &sub, code);
	ck_assert_int_eq(create(w.s, &sub, NOW + 60, &id, token), ESEAL_OK);
	id2 = new_request(&w, token2);
	ck_assert_int_eq(enrol_request_find(w.s, token, &found), ESEAL_OK);
	ck_assert_int_eq(found, id);
	ck_assert_int_eq(enrol_request_find(w.s, code, &found), ESEAL_OK);
	ck_assert_int_eq(found, id);
	ck_assert_int_eq(enrol_request_find(w.s, token2, &found), ESEAL_OK);
	ck_assert_int_eq(found, id2);
	ck_assert_int_eq(enrol_request_find(w.s, "no-such-token", &found),
	    ESEAL_EAUTH);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(enrol_request_find(w.s, "", &found), ESEAL_EAUTH);
	ck_assert_int_eq(enrol_request_find(w.s, NULL, &found), ESEAL_EAUTH);

	ck_assert_int_eq(enrol_request_detail(w.s, id, &d), ESEAL_OK);
	ck_assert_str_eq(d.org_name, "株式会社サンプル");
	ck_assert_str_eq(d.org_identifier, "NTRJP-7123456789012");
	ck_assert_str_eq(d.key_type, "ec-p256");
	ck_assert_int_eq(csr_parse(w.csr, w.csr_len, &c), ESEAL_OK);
	for (size_t i = 0; i < CSR_SPKI_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", csr_pubkey_sha256(c)[i]);
	csr_free(c);
	ck_assert_str_eq(d.key_sha256, hex);
	ck_assert_str_eq(d.ack_name, "山田 太郎");
	ck_assert_str_eq(d.ack_title, "代表取締役");
	ck_assert_int_eq(d.ack_at, NOW + 60);
	ck_assert_int_eq(enrol_request_detail(w.s, id2 + 100, &d),
	    ESEAL_ENOTFOUND);
	world_close(&w);
}
END_TEST

START_TEST(test_request_body_checks)
{
	char code[ORG_CODE_LEN + 1], token[ENROL_TOKEN_LEN + 1];
	struct enrol_submission sub;
	struct world w;
	int64_t id;

	world_open(&w);
	world_csr(&w);
	new_code(&w, code);
	submission(&w, &sub, code);
	sub.profile = "../etc";
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_EINVAL);
	ck_assert_msg(tu_cites_rule(eseal_errmsg()), "%s", eseal_errmsg());
	sub.profile = "eseal";
	sub.qscd = 2;
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_EINVAL);
	ck_assert_msg(tu_cites_rule(eseal_errmsg()), "%s", eseal_errmsg());
	sub.qscd = 0;
	sub.client_addr = "192.0.2.1\n";
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_EINVAL);
	ck_assert_msg(tu_cites_rule(eseal_errmsg()), "%s", eseal_errmsg());
	sub.client_addr = NULL;
	sub.csr_der = NULL;
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_EINVAL);
	ck_assert_msg(tu_cites_rule(eseal_errmsg()), "%s", eseal_errmsg());
	/* A good one still gets through on the last attempt. */
	sub.csr_der = w.csr;
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_OK);
	/* Without the current disclosure the caller vouches for the version,
	 * but its form is still checked. */
	new_code(&w, code);
	sub.code = code;
	sub.disclosure = NULL;
	sub.disclosure_version = "../1.0";
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_EINVAL);
	ck_assert_msg(tu_cites_rule(eseal_errmsg()), "%s", eseal_errmsg());
	sub.disclosure_version = "1.0";
	sub.disclosure_sha256 = "F3EDE395";
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_EINVAL);
	ck_assert_msg(tu_cites_rule(eseal_errmsg()), "%s", eseal_errmsg());
	sub.disclosure_sha256 = disclosure_sha256(w.d);
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_OK);
	ck_assert_int_eq(create(w.s, NULL, NOW, &id, token),
	    ESEAL_EINTERNAL);
	world_close(&w);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM enrolment_requests"), 2);
	ck_assert_int_eq(q(w.db, "SELECT COUNT(*) FROM enrolment_requests "
	    "WHERE key_holder = 'remote-service' AND qscd = 0 AND "
	    "client_addr = ''"), 2);
	ck_assert_int_eq(q(w.db, "SELECT MIN(attempts_left) FROM "
	    "enrolment_codes"), 1);
}
END_TEST

START_TEST(test_secrets_stored_hashed)
{
	char code[ORG_CODE_LEN + 1], token[ENROL_TOKEN_LEN + 1];
	char walpath[320], hexh[65];
	unsigned char h[32];
	struct enrol_submission sub;
	struct world w;
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t id;

	world_open(&w);
	world_csr(&w);
	new_code(&w, code);
	submission(&w, &sub, code);
	ck_assert_int_eq(create(w.s, &sub, NOW, &id, token),
	    ESEAL_OK);
	/* Neither secret anywhere in the tables, nor in the files (the
	 * organisation's identifier shows the search finds what is there). */
	ck_assert_int_eq(db_has(w.db, w.org.identifier), 1);
	ck_assert_int_eq(db_has(w.db, code), 0);
	ck_assert_int_eq(db_has(w.db, token), 0);
	snprintf(walpath, sizeof(walpath), "%s-wal", w.db);
	ck_assert_int_eq(file_has(walpath, code), 0);
	ck_assert_int_eq(file_has(walpath, token), 0);
	world_close(&w);
	ck_assert_int_eq(file_has(w.db, w.org.identifier), 1);
	ck_assert_int_eq(file_has(w.db, code), 0);
	ck_assert_int_eq(file_has(w.db, token), 0);
	/* Their SHA-256 is what is kept. */
	ck_assert_int_eq(sqlite3_open(w.db, &db), SQLITE_OK);
	sha256(code, strlen(code), h);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM "
	    "enrolment_codes c JOIN enrolment_requests r ON r.code_hash = "
	    "c.code_hash WHERE c.code_hash = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sha256(token, strlen(token), h);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM "
	    "enrolment_requests WHERE token_hash = ?", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* Nor in hex in the audit trail. */
	for (int i = 0; i < 32; i++)
		snprintf(hexh + 2 * i, 3, "%02x", h[i]);
	ck_assert_int_eq(db_has(w.db, hexh), 0);
}
END_TEST

/* --- through the CA (enrol_issue.c) ------------------------------------ */

/* dir/name.conf: the shipped eseal profile, with auto_approve as given. */
static void
copy_profile(const char *dir, const char *name, const char *auto_approve)
{
	char path[512], file[80], *text, *at;
	unsigned char *b;
	size_t len;

	snprintf(path, sizeof(path), "%s/conf/profiles/eseal.conf", top());
	ck_assert_ptr_nonnull(b = tu_read(path, &len));
	ck_assert_ptr_nonnull(text = calloc(1, len + 32));
	memcpy(text, b, len);
	ck_assert_ptr_nonnull(at = strstr(text, "auto_approve = no"));
	snprintf(at, len + 32 - (size_t)(at - text), "auto_approve = %s\n",
	    auto_approve);
	snprintf(file, sizeof(file), "%s.conf", name);
	free(tu_write(dir, file, text, 0644));
	free(text);
	free(b);
}

START_TEST(test_submit_through_the_ca)
{
	char pdir[512], path[512], db[512], code[ORG_CODE_LEN + 1];
	char serial[STORE_SERIAL_HEX_MAX], *p;
	struct enrol_submission sub;
	struct enrol_outcome out;
	struct enrol_request r;
	struct disclosure *d;
	struct org_rec org;
	unsigned char *good, *weak;
	size_t good_len, weak_len;
	struct tu_ca f;
	int64_t now;

	snprintf(pdir, sizeof(pdir), "%s", tu_tmpdir());
	copy_profile(pdir, "eseal", "no");
	copy_profile(pdir, "eseal-auto", "yes");
	tu_ca_setup_profiles(&f, "enrol", "ec-p256", 1, pdir);
	now = (int64_t)time(NULL);	/* not before the issuer's notBefore */
	snprintf(db, sizeof(db), "%s/eseal.db", f.dir);
	snprintf(path, sizeof(path), "%s/conf/disclosure", top());
	ck_assert_int_eq(disclosure_load(path, &d), ESEAL_OK);
	jp_org(&org, "7123456789012", "株式会社サンプル");
	ck_assert_int_eq(org_register(f.ca.store, &org, now, "ra"), ESEAL_OK);
	ck_assert_int_eq(org_code_new(f.ca.store, org.id, DAY, now, "ra",
	    code), ESEAL_OK);
	p = tu_csr(f.dir, "seal", "ec:P-256");
	ck_assert_ptr_nonnull(good = tu_read(p, &good_len));
	free(p);
	snprintf(path, sizeof(path), "%s/tests/data/csr/policy-bad/"
	    "rsa-1024.pem", top());
	ck_assert_ptr_nonnull(weak = tu_read(path, &weak_len));
	memset(&sub, 0, sizeof(sub));
	sub.code = code;
	sub.csr_der = weak;
	sub.csr_len = weak_len;
	sub.profile = "eseal";
	sub.holder = HOLDER_SUBSCRIBER;
	sub.disclosure = d;
	sub.signer_name = "山田 太郎";
	sub.signer_title = "代表取締役";
	sub.disclosure_version = disclosure_version(d);
	sub.disclosure_sha256 = disclosure_sha256(d);

	/* What the CA would refuse is refused at once, at a cost. */
	ck_assert_int_eq(enrol_issue_submit(&f.ca, &sub, now, &out),
	    ESEAL_EPOLICY);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "policy: "));
	ck_assert_int_eq(out.id, 0);
	sub.csr_der = good;
	sub.csr_len = good_len;
	sub.profile = "no-such-profile";
	ck_assert_int_eq(enrol_issue_submit(&f.ca, &sub, now, &out),
	    ESEAL_EINVAL);
	ck_assert_int_eq(q(db, "SELECT attempts_left FROM enrolment_codes"),
	    ORG_CODE_ATTEMPTS - 2);

	/* A profile that needs the RA: pending, until approved. */
	sub.profile = "eseal";
	ck_assert_int_eq(enrol_issue_submit(&f.ca, &sub, now, &out), ESEAL_OK);
	ck_assert_int_gt(out.id, 0);
	ck_assert_int_eq(out.status, ENROL_PENDING);
	ck_assert_uint_eq(strlen(out.token), ENROL_TOKEN_LEN);
	ck_assert_str_eq(out.serial, "");
	ck_assert_int_eq(enrol_issue_approve(&f.ca, out.id, "ra-bob", now,
	    serial), ESEAL_OK);
	ck_assert_uint_gt(strlen(serial), 0);
	ck_assert_int_eq(enrol_issue_approve(&f.ca, out.id, "ra-bob", now,
	    serial), ESEAL_EEXIST);
	ck_assert_int_eq(enrol_issue_approve(&f.ca, out.id + 100, "ra-bob",
	    now, serial), ESEAL_ENOTFOUND);

	/* A profile that lets it through: issued with the 201. */
	ck_assert_int_eq(org_code_new(f.ca.store, org.id, DAY, now, "ra",
	    code), ESEAL_OK);
	free(good);
	p = tu_csr(f.dir, "seal2", "ec:P-256");
	ck_assert_ptr_nonnull(good = tu_read(p, &good_len));
	free(p);
	sub.csr_der = good;
	sub.csr_len = good_len;
	sub.profile = "eseal-auto";
	sub.disclosure_version = NULL;	/* acknowledged already */
	sub.disclosure_sha256 = NULL;
	ck_assert_int_eq(enrol_issue_submit(&f.ca, &sub, now, &out), ESEAL_OK);
	ck_assert_int_eq(out.status, ENROL_ISSUED);
	ck_assert_uint_gt(strlen(out.serial), 0);
	ck_assert_str_ne(out.serial, serial);
	ck_assert_int_eq(enrol_request_get(f.ca.store, out.id, &r), ESEAL_OK);
	ck_assert_str_eq(r.status, "issued");
	ck_assert_str_eq(r.serial, out.serial);
	ck_assert_str_eq(r.decided_by, ENROL_AUTO_ACTOR);
	enrol_request_clear(&r);

	disclosure_free(d);
	free(good);
	free(weak);
	tu_ca_teardown(&f);
	ck_assert_int_eq(q(db, "SELECT COUNT(*) FROM certificates WHERE "
	    "status = 'issued'"), 2);
	ck_assert_int_eq(audits(db, "enrol.code.refused"), 2);
	ck_assert_int_eq(q(db, "SELECT COUNT(*) FROM audit WHERE action = "
	    "'enrol.approve' AND actor = 'auto-approval'"), 1);
}
END_TEST

/* --- resume, don't wait ----------------------------------------------- */

/* A request for a fresh key through the CA, left pending; its id. */
static int64_t
resume_submit(struct tu_ca *f, struct org_rec *org, struct disclosure *d,
    const char *name, int64_t now, unsigned char **der, size_t *len)
{
	char code[ORG_CODE_LEN + 1], *p;
	struct enrol_submission sub;
	struct enrol_outcome out;

	ck_assert_int_eq(org_code_new(f->ca.store, org->id, DAY, now, "ra",
	    code), ESEAL_OK);
	p = tu_csr(f->dir, name, "ec:P-256");
	ck_assert_ptr_nonnull(*der = tu_read(p, len));
	free(p);
	memset(&sub, 0, sizeof(sub));
	sub.code = code;
	sub.csr_der = *der;
	sub.csr_len = *len;
	sub.profile = "eseal";
	sub.holder = HOLDER_SUBSCRIBER;
	sub.disclosure = d;
	sub.signer_name = "山田 太郎";
	sub.signer_title = "代表取締役";
	sub.disclosure_version = disclosure_version(d);
	sub.disclosure_sha256 = disclosure_sha256(d);
	ck_assert_int_eq(enrol_issue_submit(&f->ca, &sub, now, &out), ESEAL_OK);
	ck_assert_int_eq(out.status, ENROL_PENDING);
	return out.id;
}

/* Steps 3-5 for der's key (a crash, or a killed esealctl, after them). */
static void
resume_pending(struct tu_ca *f, struct org_rec *rec, const unsigned char *der,
    size_t len, int64_t now, char serial[STORE_SERIAL_HEX_MAX])
{
	struct issue_request req;
	struct profile *prof = NULL;
	struct csr *csr = NULL;
	struct org o;

	ck_assert_int_eq(profile_load(f->conf->issue_profiles_dir, "eseal",
	    &prof), ESEAL_OK);
	ck_assert_int_eq(csr_parse(der, len, &csr), ESEAL_OK);
	org_to_subject(rec, &o);
	memset(&req, 0, sizeof(req));
	req.profile = prof;
	req.org = &o;
	req.csr = csr;
	req.actor = "esealctl";
	ck_assert_int_eq(issue_prepare(&f->ca, &req, now, serial), ESEAL_OK);
	csr_free(csr);
	profile_free(prof);
}

static void
resume_expect(struct tu_ca *f, int64_t now, int fin, int issued)
{
	struct enrol_resume r;

	ck_assert_int_eq(enrol_issue_resume(&f->ca, now,
	    ENROL_RESUME_GRACE_SECS, &r), ESEAL_OK);
	ck_assert_int_eq(r.finished, fin);
	ck_assert_int_eq(r.failed, 0);
	ck_assert_int_eq(r.issued, issued);
	ck_assert_int_eq(r.refused, 0);
}

/*
 * Work a crash left behind, resumed by the daemon's periodic call: a
 * request approved without a certificate is issued exactly once; one
 * whose certificate was recorded pending gets that certificate (its
 * serial), never a second; a pending row older than the grace period is
 * finished while a fresh one (an issuance under way) is left alone.
 */
START_TEST(test_resume_left_behind)
{
	char pdir[512], path[512], db[512], sb[STORE_SERIAL_HEX_MAX];
	char sf[STORE_SERIAL_HEX_MAX];
	unsigned char *da, *dbk, *df;
	size_t la, lb, lf;
	struct enrol_request r;
	struct disclosure *d;
	struct org_rec org;
	struct store_cert row;
	struct tu_ca f;
	int64_t t, a, b;

	snprintf(pdir, sizeof(pdir), "%s", tu_tmpdir());
	copy_profile(pdir, "eseal", "no");
	tu_ca_setup_profiles(&f, "resume", "ec-p256", 1, pdir);
	t = (int64_t)time(NULL);
	snprintf(db, sizeof(db), "%s/eseal.db", f.dir);
	snprintf(path, sizeof(path), "%s/conf/disclosure", top());
	ck_assert_int_eq(disclosure_load(path, &d), ESEAL_OK);
	jp_org(&org, "7123456789012", "株式会社サンプル");
	ck_assert_int_eq(org_register(f.ca.store, &org, t, "ra"), ESEAL_OK);
	/* A: approved, then the crash before its issuance began. */
	a = resume_submit(&f, &org, d, "a", t, &da, &la);
	ck_assert_int_eq(enrol_request_decide(f.ca.store, a, 1, "ra-bob", NULL,
	    t), ESEAL_OK);
	/* B: approved, its certificate recorded pending, then the crash. */
	b = resume_submit(&f, &org, d, "b", t, &dbk, &lb);
	ck_assert_int_eq(enrol_request_decide(f.ca.store, b, 1, "ra-bob", NULL,
	    t), ESEAL_OK);
	resume_pending(&f, &org, dbk, lb, t, sb);
	/* F: an issuance under way 50 s later (no request of ours). */
	df = NULL;
	{
		char *p = tu_csr(f.dir, "f", "ec:P-256");

		ck_assert_ptr_nonnull(df = tu_read(p, &lf));
		free(p);
	}
	resume_pending(&f, &org, df, lf, t + 50, sf);

	/* Within the grace period nothing is touched. */
	resume_expect(&f, t + 10, 0, 0);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_PENDING), 2);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_ISSUED), 0);

	/* Past it: B's row finished, A and B issued; F still pending. */
	resume_expect(&f, t + ENROL_RESUME_GRACE_SECS + 1, 1, 2);
	ck_assert_int_eq(enrol_request_get(f.ca.store, a, &r), ESEAL_OK);
	ck_assert_str_eq(r.status, "issued");
	ck_assert_str_eq(r.decided_by, "ra-bob");
	ck_assert_uint_gt(strlen(r.serial), 0);
	enrol_request_clear(&r);
	ck_assert_int_eq(enrol_request_get(f.ca.store, b, &r), ESEAL_OK);
	ck_assert_str_eq(r.status, "issued");
	ck_assert_str_eq(r.serial, sb);		/* the one recorded, reused */
	enrol_request_clear(&r);
	ck_assert_int_eq(store_cert_get(f.ca.store, sf, &row), ESEAL_OK);
	ck_assert_int_eq(row.status, CERT_PENDING);
	store_cert_clear(&row);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_ISSUED), 2);

	/* Again: nothing more, never a second certificate. */
	resume_expect(&f, t + ENROL_RESUME_GRACE_SECS + 2, 0, 0);
	ck_assert_int_eq(store_cert_count(f.ca.store, CERT_ISSUED), 2);
	/* F's turn once it is past the grace period too. */
	resume_expect(&f, t + 50 + ENROL_RESUME_GRACE_SECS + 1, 1, 0);
	ck_assert_int_eq(store_cert_get(f.ca.store, sf, &row), ESEAL_OK);
	ck_assert_int_eq(row.status, CERT_ISSUED);
	store_cert_clear(&row);

	disclosure_free(d);
	free(da);
	free(dbk);
	free(df);
	tu_ca_teardown(&f);
	/* One certificate per key, each request once. */
	ck_assert_int_eq(q(db, "SELECT COUNT(*) FROM certificates"), 3);
	ck_assert_int_eq(q(db, "SELECT COUNT(DISTINCT spki_sha256) FROM "
	    "certificates WHERE status = 'issued'"), 3);
	ck_assert_int_eq(q(db, "SELECT COUNT(*) FROM audit WHERE action = "
	    "'cert.issue' AND actor = 'recovery'"), 2);
}
END_TEST

/* --- the disclosure --------------------------------------------------- */

START_TEST(test_disclosure_shipped)
{
	char dir[512], cmd[1024], out[128];
	unsigned char h[32];
	char hexh[65];
	struct disclosure *d;
	const char *ja, *en;
	size_t len;
	FILE *p;

	snprintf(dir, sizeof(dir), "%s/conf/disclosure", top());
	ck_assert_msg(disclosure_load(dir, &d) == ESEAL_OK, "%s",
	    eseal_errmsg());
	ck_assert_str_eq(disclosure_version(d), "1.0");
	ja = disclosure_text(d, "ja");
	ck_assert_ptr_nonnull(ja);
	len = strlen(ja);
	ck_assert_uint_gt(len, 1000);
	ck_assert_ptr_nonnull(strstr(ja, "契約締結者"));
	ck_assert_ptr_nonnull(strstr(ja, "個人の電子署名ではありません"));
	ck_assert_ptr_nonnull(strstr(ja, "失効"));
	ck_assert_ptr_nonnull(strstr(ja, "リモートeシールサービス"));
	ck_assert_ptr_nonnull(strstr(ja, "https://repository.example.jp/"));
	en = disclosure_text(d, "en");
	ck_assert_ptr_nonnull(strstr(en, "contracting party"));
	ck_assert_ptr_nonnull(strstr(en, "not a personal signature"));
	ck_assert_ptr_nonnull(strstr(en, "https://repository.example.jp/"));
	ck_assert_ptr_null(disclosure_text(d, "fr"));
	ck_assert_ptr_null(disclosure_text(d, NULL));
	ck_assert_int_eq(disclosure_lang_parse("ja"), DISCLOSURE_JA);
	ck_assert_int_eq(disclosure_lang_parse("fr"), -1);
	/* One language's hash is the file's. */
	sha256(ja, len, h);
	for (int i = 0; i < 32; i++)
		snprintf(hexh + 2 * i, 3, "%02x", h[i]);
	ck_assert_str_eq(disclosure_text_sha256(d, "ja"), hexh);
	/* The version's hash is what docs/disclosure.md says to run. */
	snprintf(cmd, sizeof(cmd), "cd '%s/1.0' && sha256sum ja.txt en.txt | "
	    "sha256sum", dir);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_ptr_nonnull(fgets(out, sizeof(out), p));
	pclose(p);
	out[64] = '\0';
	ck_assert_str_eq(disclosure_sha256(d), out);
	/* Checking what a subscriber says it acknowledged. */
	ck_assert_int_eq(disclosure_check(d, "1.0", out), ESEAL_OK);
	ck_assert_int_eq(disclosure_check(d, "0.9", out), ESEAL_ESTALE);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "must acknowledge "
	    "version 1.0"));
	ck_assert_int_eq(disclosure_check(d, "1.0", hexh), ESEAL_ESTALE);
	ck_assert_int_eq(disclosure_check(d, NULL, out), ESEAL_EINVAL);
	ck_assert_int_eq(disclosure_check(d, "1.0", NULL), ESEAL_EINVAL);
	out[0] = 'G';
	ck_assert_int_eq(disclosure_check(d, "1.0", out), ESEAL_EINVAL);
	disclosure_free(d);
	disclosure_free(NULL);
}
END_TEST

/* Expects disclosure_load(dir) to fail with ECONF mentioning what. */
static void
bad_dir(const char *dir, const char *what)
{
	struct disclosure *d = (struct disclosure *)1;

	ck_assert_int_eq(disclosure_load(dir, &d), ESEAL_ECONF);
	ck_assert_ptr_null(d);
	ck_assert_msg(strstr(eseal_errmsg(), what) != NULL, "%s: wanted %s",
	    eseal_errmsg(), what);
}

START_TEST(test_disclosure_bad_dirs)
{
	char base[256], dir[512], sub[600];
	struct disclosure *d;
	char *big;

	snprintf(base, sizeof(base), "%s", tu_tmpdir());
	/* No current. */
	snprintf(dir, sizeof(dir), "%s/none", base);
	mkdir(dir, 0755);
	bad_dir(dir, "current");
	/* current naming a path, two versions, blank, nothing behind it. */
	snprintf(dir, sizeof(dir), "%s/d", base);
	write_disclosure(dir, "1.0", "重要事項\n", "Important\n");
	ck_assert_int_eq(disclosure_load(dir, &d), ESEAL_OK);
	disclosure_free(d);
	free(tu_write(dir, "current", "1.0/../1.0\n", 0644));
	bad_dir(dir, "one version");
	free(tu_write(dir, "current", "../d/1.0", 0644));
	bad_dir(dir, "one version");
	free(tu_write(dir, "current", "1.0\n1.1\n", 0644));
	bad_dir(dir, "one version");
	free(tu_write(dir, "current", "\n", 0644));
	bad_dir(dir, "one version");
	free(tu_write(dir, "current", "1.0 \n", 0644));
	bad_dir(dir, "one version");
	free(tu_write(dir, "current", "2.0\n", 0644));
	bad_dir(dir, "2.0/ja.txt");
	free(tu_write(dir, "current", "1.0", 0644));	/* no newline: fine */
	ck_assert_int_eq(disclosure_load(dir, &d), ESEAL_OK);
	disclosure_free(d);
	/* current is a directory. */
	snprintf(dir, sizeof(dir), "%s/e", base);
	mkdir(dir, 0755);
	snprintf(sub, sizeof(sub), "%s/current", dir);
	mkdir(sub, 0755);
	bad_dir(dir, "not a regular file");
	/* Missing translation. */
	snprintf(dir, sizeof(dir), "%s/f", base);
	write_disclosure(dir, "1.0", "重要事項\n", "Important\n");
	snprintf(sub, sizeof(sub), "%s/1.0/en.txt", dir);
	unlink(sub);
	bad_dir(dir, "en.txt");
	/* Not UTF-8: Shift_JIS, an overlong '/', a surrogate, a NUL, ESC. */
	snprintf(dir, sizeof(dir), "%s/g", base);
	write_disclosure(dir, "1.0", "\x8f\x64\x97\x76\x8e\x96\x8d\x80\n",
	    "Important\n");
	bad_dir(dir, "RFC 3629");
	write_disclosure(dir, "1.0", "重要事項\n", "a\xc0\xaf" "b\n");
	bad_dir(dir, "RFC 3629");
	write_disclosure(dir, "1.0", "重要事項\xed\xa0\x80\n", "Important\n");
	bad_dir(dir, "RFC 3629");
	write_disclosure(dir, "1.0", "重要事項\n", "Important \x1b[2J\n");
	bad_dir(dir, "RFC 3629");
	snprintf(sub, sizeof(sub), "%s/1.0", dir);
	{
		FILE *f;
		char path[700];

		snprintf(path, sizeof(path), "%s/en.txt", sub);
		ck_assert_ptr_nonnull(f = fopen(path, "wb"));
		fwrite("Impor\0tant\n", 1, 11, f);
		fclose(f);
	}
	bad_dir(dir, "RFC 3629");
	/* Empty. */
	write_disclosure(dir, "1.0", "", "Important\n");
	bad_dir(dir, "empty");
	/* Oversized by one byte; the limit itself is fine. */
	big = malloc(DISCLOSURE_TEXT_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', DISCLOSURE_TEXT_MAX + 1);
	big[DISCLOSURE_TEXT_MAX + 1] = '\0';
	write_disclosure(dir, "1.0", "重要事項\n", big);
	bad_dir(dir, "larger than");
	big[DISCLOSURE_TEXT_MAX] = '\0';
	write_disclosure(dir, "1.0", "重要事項\n", big);
	ck_assert_int_eq(disclosure_load(dir, &d), ESEAL_OK);
	disclosure_free(d);
	free(big);
	bad_dir("", "no directory");
}
END_TEST

START_TEST(test_valid_utf8_and_versions)
{
	size_t n;

	ck_assert(valid_utf8("株式会社", strlen("株式会社"), 0, &n));
	ck_assert_uint_eq(n, 4);
	ck_assert(valid_utf8("\xf0\xa0\xae\xb7", 4, 0, &n));	/* U+20BB7 */
	ck_assert_uint_eq(n, 1);
	ck_assert(!valid_utf8("\xe3\x81", 2, 0, NULL));	/* truncated */
	ck_assert(!valid_utf8("\xc2\x85", 2, 0, NULL));	/* C1 NEL */
	ck_assert(!valid_utf8("\xf4\x90\x80\x80", 4, 0, NULL));
	ck_assert(!valid_utf8("\xe0\x80\xaf", 3, 0, NULL));	/* overlong */
	ck_assert(!valid_utf8("\x80", 1, 0, NULL));
	ck_assert(!valid_utf8("a\tb", 3, 0, NULL));
	ck_assert(valid_utf8("a\tb\r\n", 5, 1, NULL));
	ck_assert(!valid_utf8("a\x7f", 2, 1, NULL));
	ck_assert(valid_disclosure_version("1.0"));
	ck_assert(valid_disclosure_version("2025-04_rev2"));
	ck_assert(!valid_disclosure_version(".."));
	ck_assert(!valid_disclosure_version(".hidden"));
	ck_assert(!valid_disclosure_version("1.0/ja"));
	ck_assert(!valid_disclosure_version(""));
	ck_assert(!valid_disclosure_version(NULL));
	ck_assert(!valid_disclosure_version("12345678901234567890123456789012"));
	ck_assert(valid_disclosure_version("1234567890123456789012345678901"));
	ck_assert_str_eq(enrol_status_name(ENROL_ISSUED), "issued");
	ck_assert_int_eq(enrol_status_parse("rejected"), ENROL_REJECTED);
	ck_assert_int_eq(enrol_status_parse("Rejected"), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("enrol");
	TCase *tc = tcase_create("enrol");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_org_register_valid_numbers);
	tcase_add_test(tc, test_org_register_refusals);
	tcase_add_test(tc, test_org_name_64_japanese_characters);
	tcase_add_test(tc, test_org_duplicate);
	tcase_add_test(tc, test_org_find_and_register_or_find);
	tcase_add_test(tc, test_code_format_and_check);
	tcase_add_test(tc, test_code_used_once);
	tcase_add_test(tc, test_code_attempts);
	tcase_add_test(tc, test_code_refused_by_the_ca);
	tcase_add_test(tc, test_ack_once_per_org_and_version);
	tcase_add_test(tc, test_new_version_needs_new_ack);
	tcase_add_test(tc, test_request_lifecycle);
	tcase_add_test(tc, test_request_find_and_detail);
	tcase_add_test(tc, test_request_body_checks);
	tcase_add_test(tc, test_secrets_stored_hashed);
	tcase_add_test(tc, test_submit_through_the_ca);
	tcase_add_test(tc, test_resume_left_behind);
	tcase_add_test(tc, test_disclosure_shipped);
	tcase_add_test(tc, test_disclosure_bad_dirs);
	tcase_add_test(tc, test_valid_utf8_and_versions);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
