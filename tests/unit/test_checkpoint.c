/*
 * test_checkpoint.c: signed audit checkpoints (checkpoint.c) and what
 * audit_verify_full makes of them: a checkpoint signs the head once, its
 * files carry the same message and signature, an edited checkpoint row or
 * a cut tail is named; and the daemon's schedule backs off when signing
 * fails (here: no issuer yet) instead of trying and warning every second.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "audit.h"
#include "checkpoint.h"
#include "testutil.h"

#define T0	1767225600	/* 2026-01-01T00:00:00Z */

static void
records(struct tu_ca *f, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(audit_append(f->ca.store, T0 + i, "test",
		    "test.record", "x", "n=%d", i), ESEAL_OK);
}

static void
sql(struct tu_ca *f, const char *q)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(f->conf->store_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

START_TEST(test_sign_keep_verify)
{
	struct audit_report r;
	struct store_audit_cp cp;
	struct tu_ca f;
	char path[1200];
	int64_t seq;
	size_t len;
	unsigned char *txt;
	int made;

	tu_ca_setup(&f, "cp1", "ec-p256", 1);
	records(&f, 4);
	ck_assert_int_eq(checkpoint_make(&f.ca, T0 + 10, &made, &seq),
	    ESEAL_OK);
	ck_assert_int_eq(made, 1);
	ck_assert_int_eq(checkpoint_make(&f.ca, T0 + 11, &made, &seq),
	    ESEAL_OK);
	ck_assert_int_eq(made, 0);	/* the head is covered already */
	ck_assert_int_eq(store_audit_cp_last(f.ca.store, &cp), ESEAL_OK);
	ck_assert_int_eq(cp.seq, seq);
	ck_assert_ptr_nonnull(strstr(cp.message, "eseal-ca audit checkpoint\n"
	    "format: 1\n"));
	if (f.conf->publish_dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/audit/checkpoint-%lld.txt",
		    f.conf->publish_dir, (long long)seq);
		ck_assert_ptr_nonnull(txt = tu_read(path, &len));
		ck_assert_uint_eq(len, strlen(cp.message));
		ck_assert(memcmp(txt, cp.message, len) == 0);
		free(txt);
	}
	store_audit_cp_clear(&cp);
	ck_assert_int_eq(audit_verify_full(f.ca.store, NULL, &r), ESEAL_OK);
	ck_assert_int_eq(r.checkpoints, 1);
	ck_assert_int_eq(r.sealed, r.records);
	/* A checkpoint row edited: its signature no longer verifies. */
	sql(&f, "UPDATE audit_checkpoints SET message = replace(message, "
	    "'created: ', 'created: 1')");
	ck_assert_int_eq(audit_verify_full(f.ca.store, NULL, &r),
	    ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "checkpoint 1 (seq"));
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "signature does not "
	    "verify"));
	tu_ca_teardown(&f);
}
END_TEST

START_TEST(test_cut_tail)
{
	struct audit_report r;
	struct tu_ca f;
	char q[128];
	int64_t seq;
	int made;

	tu_ca_setup(&f, "cp2", "ec-p256", 1);
	records(&f, 3);
	ck_assert_int_eq(checkpoint_make(&f.ca, T0 + 10, &made, &seq),
	    ESEAL_OK);
	snprintf(q, sizeof(q), "DELETE FROM audit WHERE seq >= %lld",
	    (long long)seq - 1);
	sql(&f, q);
	ck_assert_int_eq(audit_verify_full(f.ca.store, NULL, &r),
	    ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "no longer matches: "
	    "the trail ends at seq"));
	tu_ca_teardown(&f);
}
END_TEST

START_TEST(test_backoff)
{
	struct checkpoint_sched s;
	struct tu_ca f;
	time_t now = T0;

	tu_ca_setup(&f, "cp3", NULL, 1);	/* no issuer: signing fails */
	records(&f, 2);
	memset(&s, 0, sizeof(s));
	s.last = now - 24 * 3600;		/* well past checkpoint_minutes */
	checkpoint_tick(&f.ca, now, &s);
	ck_assert_int_eq(s.failing, 1);
	ck_assert_int_eq(s.backoff, CHECKPOINT_BACKOFF_MIN);
	/* Ticks inside the back-off try nothing (and log nothing). */
	for (int i = 1; i < CHECKPOINT_BACKOFF_MIN; i++)
		checkpoint_tick(&f.ca, now + i, &s);
	ck_assert_int_eq(s.failing, 1);
	checkpoint_tick(&f.ca, now + CHECKPOINT_BACKOFF_MIN, &s);
	ck_assert_int_eq(s.failing, 2);
	ck_assert_int_eq(s.backoff, 2 * CHECKPOINT_BACKOFF_MIN);
	/* Doubling, never past the maximum. */
	for (int i = 0; i < 20; i++)
		checkpoint_tick(&f.ca, s.retry_at, &s);
	ck_assert_int_eq(s.backoff, CHECKPOINT_BACKOFF_MAX);
	ck_assert_int_eq(s.failing, 22);
	tu_ca_teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("checkpoint");
	TCase *tc = tcase_create("checkpoint");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sign_keep_verify);
	tcase_add_test(tc, test_cut_tail);
	tcase_add_test(tc, test_backoff);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
