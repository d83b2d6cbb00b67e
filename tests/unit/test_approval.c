/*
 * test_approval.c: dual control (approval.c, store_approval.c) on a store
 * of its own, with an executor that records what it was asked to run: the
 * body's rules, the quorum of distinct operators, the role, the reviewed
 * parameters, expiry, a rejection, the checks run again at execution (an
 * approver compromised or disabled, the stored parameters changed) and
 * the audit records naming proposer and approvers.  Time is a parameter.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "account.h"
#include "approval.h"
#include "audit.h"
#include "store.h"
#include "store_account.h"
#include "testutil.h"

#define T0	1767225600	/* 2026-01-01T00:00:00Z */

struct fx {
	char			*path;
	struct store		*s;
	struct account_params	 p;
	struct approval_conf	 c;
	int			 runs;		/* executor calls */
	char			 approvers[256];
	enum eseal_rc		 answer;	/* what the executor says */
};

static enum eseal_rc
exec_fn(void *ctx, const struct store_op *op, const char *approvers,
    int64_t now, char *result, size_t len)
{
	struct fx *f = ctx;

	(void)now;
	f->runs++;
	snprintf(f->approvers, sizeof(f->approvers), "%s", approvers);
	if (f->answer != ESEAL_OK)
		return eseal_err(f->answer, "test: the kind's own check refused");
	snprintf(result, len, "ran %s", op->kind);
	return ESEAL_OK;
}

static void
user(struct fx *f, const char *name, enum role r, struct session_info *si)
{
	char pw[ACCOUNT_INITIAL_PW_SIZE];
	struct store_account a;

	ck_assert_int_eq(account_add(f->s, &f->p, name, r, T0, "test", pw,
	    sizeof(pw)), ESEAL_OK);
	ck_assert_int_eq(store_account_by_name(f->s, name, &a), ESEAL_OK);
	memset(si, 0, sizeof(*si));
	si->account_id = a.id;
	snprintf(si->username, sizeof(si->username), "%s", name);
	si->role = r;
}

static void
fx_open(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	if (asprintf(&f->path, "%s/eseal.db", tu_tmpdir()) == -1)
		abort();
	ck_assert_int_eq(store_open(f->path, &f->s), ESEAL_OK);
	account_params_default(&f->p);
	f->p.opslimit = crypto_pwhash_OPSLIMIT_MIN;
	f->p.memlimit = crypto_pwhash_MEMLIMIT_MIN;
	f->c.quorum = 2;
	f->c.expiry_secs = 24 * 3600;
}

/* A proposal of kind with params (JSON text) by si; its id and hash. */
static int64_t
propose(struct fx *f, const char *body, const struct session_info *si,
    enum eseal_rc want, char hash[65])
{
	struct approval_request r;
	struct store_op op;
	char msg[256];
	int64_t id = 0;
	json_t *j = json_loads(body, 0, NULL);

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(approval_request_parse(j, &r, msg, sizeof(msg)),
	    ESEAL_OK);
	json_decref(j);
	ck_assert_int_eq(approval_propose(f->s, &f->c, &r, si, T0, &id), want);
	approval_request_clear(&r);
	if (want == ESEAL_OK) {
		ck_assert_int_eq(store_op_get(f->s, id, &op), ESEAL_OK);
		memcpy(hash, op.params_hash, 65);
		store_op_clear(&op);
	}
	return id;
}

/* The one value of a query on the store file, as text ("" for none). */
static void
q1(struct fx *f, const char *sql, char *out, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	ck_assert_int_eq(sqlite3_open(f->path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, len, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
fx_close(struct fx *f)
{
	store_close(f->s);
	free(f->path);
}

#define KEYGEN	"{\"kind\":\"key.generate\",\"parameters\":" \
		"{\"type\":\"ec-p256\",\"label\":\"k\"}}"

START_TEST(test_body_rules)
{
	static const char *const bad[] = {
		"{}", "{\"kind\":\"key.generate\"}",
		"{\"kind\":\"key.destroy\",\"parameters\":{}}",
		"{\"kind\":\"key.generate\",\"parameters\":{}}",
		"{\"kind\":\"key.generate\",\"parameters\":{\"type\":\"dsa\"}}",
		"{\"kind\":\"key.generate\",\"parameters\":{\"type\":"
		    "\"ec-p256\",\"x\":1}}",
		"{\"kind\":\"crypto_policy.replace\",\"parameters\":"
		    "{\"file\":\"rel\"}}",
		"{\"kind\":\"issuer.retire\",\"parameters\":{\"name\":\"a\","
		    "\"force\":1}}",
		"{\"kind\":\"key.generate\",\"parameters\":{\"type\":"
		    "\"ec-p256\"},\"extra\":true}",
	};
	struct approval_request r;
	char msg[256];
	json_t *j;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_loads(bad[i], 0, NULL);
		ck_assert_ptr_nonnull(j);
		msg[0] = '\0';
		ck_assert_msg(approval_request_parse(j, &r, msg, sizeof(msg))
		    == ESEAL_EINVAL, "accepted %s", bad[i]);
		ck_assert_msg(strncmp(msg, "approval: ", 10) == 0, "%s", msg);
		json_decref(j);
	}
	j = json_loads(KEYGEN, 0, NULL);
	ck_assert_int_eq(approval_request_parse(j, &r, msg, sizeof(msg)),
	    ESEAL_OK);
	/* Canonical: compact, keys sorted; what is hashed and approved. */
	ck_assert_str_eq(r.params, "{\"label\":\"k\",\"type\":\"ec-p256\"}");
	ck_assert_int_eq(r.kind, OP_KEY_GENERATE);
	approval_request_clear(&r);
	json_decref(j);
}
END_TEST

START_TEST(test_quorum_of_distinct_operators)
{
	struct session_info a1, a2, a3, ra;
	struct approval_outcome o;
	struct fx f;
	char h[65], v[256];
	int64_t id;

	fx_open(&f);
	user(&f, "adm1", ROLE_ADMIN, &a1);
	user(&f, "adm2", ROLE_ADMIN, &a2);
	user(&f, "adm3", ROLE_ADMIN, &a3);
	user(&f, "ra1", ROLE_RA, &ra);
	/* An RA cannot propose what only admins may. */
	propose(&f, KEYGEN, &ra, ESEAL_EFORBIDDEN, h);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "admin role only"));
	id = propose(&f, KEYGEN, &a1, ESEAL_OK, h);
	ck_assert_int_eq(f.runs, 0);
	ck_assert_int_eq(approval_vote(f.s, id, 1, h, &a1, T0 + 1, exec_fn,
	    &f, &o), ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "already voted"));
	ck_assert_int_eq(approval_vote(f.s, id, 1, h, &ra, T0 + 1, exec_fn,
	    &f, &o), ESEAL_EFORBIDDEN);
	ck_assert_int_eq(approval_vote(f.s, id, 1, "00", &a2, T0 + 1, exec_fn,
	    &f, &o), ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "differ"));
	ck_assert_int_eq(f.runs, 0);
	ck_assert_int_eq(approval_vote(f.s, id, 1, h, &a2, T0 + 2, exec_fn,
	    &f, &o), ESEAL_OK);
	ck_assert_int_eq(f.runs, 1);
	ck_assert_str_eq(f.approvers, "adm1,adm2");
	ck_assert_str_eq(o.status, "executed");
	ck_assert_str_eq(o.result, "ran key.generate");
	/* Once executed, never again. */
	ck_assert_int_eq(approval_vote(f.s, id, 1, h, &a3, T0 + 3, exec_fn,
	    &f, &o), ESEAL_EEXIST);
	ck_assert_int_eq(f.runs, 1);
	q1(&f, "SELECT group_concat(actor || ':' || action, ' ') FROM audit "
	    "WHERE object = 'operation/1'", v, sizeof(v));
	ck_assert_str_eq(v, "adm1:operation.propose adm1:operation.refuse "
	    "ra1:operation.refuse adm2:operation.refuse adm2:operation.approve "
	    "adm2:operation.execute adm3:operation.refuse");
	q1(&f, "SELECT detail FROM audit WHERE action = 'operation.execute'",
	    v, sizeof(v));
	ck_assert_ptr_nonnull(strstr(v, "proposer=adm1 approvers=adm1,adm2"));
	fx_close(&f);
}
END_TEST

START_TEST(test_expiry_and_rejection)
{
	struct session_info a1, a2;
	struct approval_outcome o;
	struct fx f;
	char h[65], v[64];
	int64_t id;

	fx_open(&f);
	user(&f, "adm1", ROLE_ADMIN, &a1);
	user(&f, "adm2", ROLE_ADMIN, &a2);
	id = propose(&f, KEYGEN, &a1, ESEAL_OK, h);
	ck_assert_int_eq(approval_vote(f.s, id, 1, h, &a2, T0 + 24 * 3600 + 1,
	    exec_fn, &f, &o), ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "expired"));
	q1(&f, "SELECT status FROM operations WHERE id = 1", v, sizeof(v));
	ck_assert_str_eq(v, "failed");
	id = propose(&f, KEYGEN, &a1, ESEAL_OK, h);
	ck_assert_int_eq(approval_vote(f.s, id, 0, h, &a2, T0 + 5, exec_fn,
	    &f, &o), ESEAL_OK);
	ck_assert_str_eq(o.status, "rejected");
	ck_assert_int_eq(f.runs, 0);
	fx_close(&f);
}
END_TEST

START_TEST(test_checks_again_at_execution)
{
	struct session_info a1, a2, a3;
	struct approval_outcome o;
	struct fx f;
	char h[65], v[256];
	int64_t id;

	fx_open(&f);
	user(&f, "adm1", ROLE_ADMIN, &a1);
	user(&f, "adm2", ROLE_ADMIN, &a2);
	user(&f, "adm3", ROLE_ADMIN, &a3);
	/* The proposer compromised after proposing. */
	id = propose(&f, KEYGEN, &a1, ESEAL_OK, h);
	ck_assert_int_eq(store_account_set_compromised(f.s, a1.account_id,
	    T0 + 1), ESEAL_OK);
	ck_assert_int_eq(approval_vote(f.s, id, 1, h, &a2, T0 + 2, exec_fn,
	    &f, &o), ESEAL_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "approver adm1 is no "
	    "longer a valid admin"));
	ck_assert_int_eq(f.runs, 0);
	/* The kind's own check refuses: failed, with the reason. */
	id = propose(&f, KEYGEN, &a2, ESEAL_OK, h);
	f.answer = ESEAL_EPOLICY;
	ck_assert_int_eq(approval_vote(f.s, id, 1, h, &a3, T0 + 3, exec_fn,
	    &f, &o), ESEAL_EPOLICY);
	q1(&f, "SELECT status || ' ' || result FROM operations WHERE id = 2",
	    v, sizeof(v));
	ck_assert_str_eq(v, "failed test: the kind's own check refused");
	/* Stored parameters changed behind the approvers' backs. */
	f.answer = ESEAL_OK;
	id = propose(&f, KEYGEN, &a2, ESEAL_OK, h);
	{
		sqlite3 *db;

		ck_assert_int_eq(sqlite3_open(f.path, &db), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(db, "UPDATE operations SET params "
		    "= '{\"type\":\"rsa-4096\"}' WHERE id = 3", NULL, NULL,
		    NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	ck_assert_int_eq(approval_vote(f.s, id, 1, h, &a3, T0 + 4, exec_fn,
	    &f, &o), ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "no longer hash"));
	ck_assert_int_eq(f.runs, 1);
	fx_close(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("approval");
	TCase *tc = tcase_create("approval");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_body_rules);
	tcase_add_test(tc, test_quorum_of_distinct_operators);
	tcase_add_test(tc, test_expiry_and_rejection);
	tcase_add_test(tc, test_checks_again_at_execution);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
