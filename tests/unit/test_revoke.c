/*
 * test_revoke.c: revoking certificates on a SoftHSM-backed CA: the reason
 * names, the row and its audit record landing together, the 409 rule
 * (revoked once; only a raise to keyCompromise, keeping the revocation
 * time), the reasons that are refused, and serials that are not revocable.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "ca.h"
#include "csr.h"
#include "issue.h"
#include "issuer.h"
#include "revoke.h"
#include "testutil.h"

static void
setup(struct tu_ca *f)
{
	tu_ca_setup(f, "revoke", "ec-p256", 1);
}

static void
teardown(struct tu_ca *f)
{
	tu_ca_teardown(f);
}

static void
issue(struct tu_ca *f, char serial[STORE_SERIAL_HEX_MAX])
{
	struct issue_request req;
	struct issue_result res;

	memset(&req, 0, sizeof(req));
	req.profile = f->profile;
	req.org = &f->org;
	req.csr = f->csr;
	req.validity_days = 365;
	req.actor = "test";
	ck_assert_msg(issue_cert(&f->ca, &req, time(NULL), &res) == ESEAL_OK,
	    "%s", eseal_errmsg());
	memcpy(serial, res.serial, STORE_SERIAL_HEX_MAX);
	issue_result_clear(&res);
}

static enum eseal_rc
revoke(struct tu_ca *f, const char *serial, enum revoke_reason reason,
    int64_t inv, int64_t now, struct store_revocation *out)
{
	struct revoke_request rr;

	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = reason;
	rr.invalidity_date = inv;
	rr.actor = "ra:alice";
	return revoke_cert(&f->ca, &rr, now, out);
}

/* The last audit record, copied. */
struct last {
	char	action[64];
	char	object[64];
	char	actor[64];
	char	detail[256];
	int64_t	n;
};

static int
last_one(const struct store_audit *a, void *arg)
{
	struct last *l = arg;

	snprintf(l->action, sizeof(l->action), "%s", a->action);
	snprintf(l->object, sizeof(l->object), "%s", a->object);
	snprintf(l->actor, sizeof(l->actor), "%s", a->actor);
	snprintf(l->detail, sizeof(l->detail), "%s", a->detail);
	l->n++;
	return 0;
}

static void
last_audit(struct tu_ca *f, struct last *l)
{
	int64_t n;

	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(store_audit_each(f->ca.store, last_one, l), ESEAL_OK);
	ck_assert_int_eq(audit_verify(f->ca.store, &n), ESEAL_OK);
	ck_assert_int_eq(n, l->n);
}

START_TEST(test_reason_names)
{
	static const struct {
		const char	*name;
		int		 code;
		int		 offered;
	} rfc[] = {
		{ "unspecified", 0, 1 },
		{ "keyCompromise", 1, 1 },
		{ "cACompromise", 2, 0 },
		{ "affiliationChanged", 3, 1 },
		{ "superseded", 4, 1 },
		{ "cessationOfOperation", 5, 1 },
		{ "certificateHold", 6, 0 },
		{ "removeFromCRL", 8, 0 },
		{ "privilegeWithdrawn", 9, 1 },
		{ "aACompromise", 10, 0 },
	};
	enum revoke_reason r;

	for (size_t i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		ck_assert_int_eq(revoke_reason_parse(rfc[i].name, &r), ESEAL_OK);
		ck_assert_int_eq(r, rfc[i].code);
		ck_assert_str_eq(revoke_reason_name(r), rfc[i].name);
		ck_assert_int_eq(revoke_reason_offered(r), rfc[i].offered);
	}
	ck_assert_str_eq(revoke_reason_name((enum revoke_reason)7), "?");
	ck_assert_str_eq(revoke_reason_name(REVOKE_REASON_MAX), "?");
	ck_assert_int_eq(revoke_reason_parse("keycompromise", &r), ESEAL_EINVAL);
	ck_assert_int_eq(revoke_reason_parse("KeyCompromise", &r), ESEAL_EINVAL);
	ck_assert_int_eq(revoke_reason_parse("1", &r), ESEAL_EINVAL);
	ck_assert_int_eq(revoke_reason_parse("", &r), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 5280 5.3.1"));
}
END_TEST

START_TEST(test_revoke_issued)
{
	struct tu_ca f;
	struct store_revocation out, got;
	struct last l;
	char serial[STORE_SERIAL_HEX_MAX], want[128];
	int64_t now = time(NULL);

	setup(&f);
	issue(&f, serial);
	ck_assert_int_eq(store_revocation_get(f.ca.store, serial, &got),
	    ESEAL_ENOTFOUND);
	ck_assert_msg(revoke(&f, serial, REVOKE_SUPERSEDED, 0, now, &out) ==
	    ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_str_eq(out.serial, serial);
	ck_assert_int_eq(out.reason, REVOKE_SUPERSEDED);
	ck_assert_int_eq(out.revoked_at, now);
	ck_assert_int_eq(out.invalidity_date, 0);
	ck_assert_str_eq(out.requested_by, "ra:alice");
	ck_assert_int_eq(store_revocation_get(f.ca.store, serial, &got),
	    ESEAL_OK);
	ck_assert_int_eq(got.reason, REVOKE_SUPERSEDED);
	ck_assert_int_eq(got.revoked_at, now);
	/* The audit record came with it. */
	last_audit(&f, &l);
	ck_assert_str_eq(l.action, "cert.revoke");
	ck_assert_str_eq(l.object, serial);
	ck_assert_str_eq(l.actor, "ra:alice");
	snprintf(want, sizeof(want), "reason=superseded");
	ck_assert_ptr_nonnull(strstr(l.detail, want));
	teardown(&f);
}
END_TEST

START_TEST(test_not_revocable)
{
	struct tu_ca f;
	struct store_cert c;
	struct store_revocation got;
	struct last before, after;
	static unsigned char tbs[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	int64_t now = time(NULL);

	setup(&f);
	last_audit(&f, &before);
	/* Never issued. */
	ck_assert_int_eq(revoke(&f, "0123456789abcdef0123456789abcdef",
	    REVOKE_UNSPECIFIED, 0, now, NULL), ESEAL_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "no certificate"));
	/* Recorded but never signed (pending): nobody has seen it. */
	memset(&c, 0, sizeof(c));
	snprintf(c.serial, sizeof(c.serial), "11");
	c.issuer_id = f.issuer->rec.id;
	c.tbs = tbs;
	c.tbs_len = sizeof(tbs);
	c.subject = (char *)"/CN=x";
	ck_assert_int_eq(store_cert_insert_pending(f.ca.store, &c, now),
	    ESEAL_OK);
	ck_assert_int_eq(revoke(&f, "11", REVOKE_KEY_COMPROMISE, 0, now, NULL),
	    ESEAL_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "pending"));
	ck_assert_int_eq(store_revocation_get(f.ca.store, "11", &got),
	    ESEAL_ENOTFOUND);
	/* Failed. */
	ck_assert_int_eq(store_cert_mark_failed(f.ca.store, "11", "test", now),
	    ESEAL_OK);
	ck_assert_int_eq(revoke(&f, "11", REVOKE_KEY_COMPROMISE, 0, now, NULL),
	    ESEAL_ENOTFOUND);
	/* Nothing was audited. */
	last_audit(&f, &after);
	ck_assert_int_eq(after.n, before.n);
	teardown(&f);
}
END_TEST

START_TEST(test_twice_is_conflict)
{
	struct tu_ca f;
	struct store_revocation out;
	struct last l;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL);

	setup(&f);
	issue(&f, serial);
	ck_assert_int_eq(revoke(&f, serial, REVOKE_SUPERSEDED, 0, now, NULL),
	    ESEAL_OK);
	ck_assert_int_eq(revoke(&f, serial, REVOKE_SUPERSEDED, 0, now + 10,
	    NULL), ESEAL_EEXIST);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "already revoked"));
	ck_assert_int_eq(revoke(&f, serial, REVOKE_CESSATION_OF_OPERATION, 0,
	    now + 10, NULL), ESEAL_EEXIST);
	ck_assert_int_eq(revoke(&f, serial, REVOKE_UNSPECIFIED, 0, now + 10,
	    NULL), ESEAL_EEXIST);
	/* Raised to keyCompromise: the revocation time is kept. */
	ck_assert_int_eq(revoke(&f, serial, REVOKE_KEY_COMPROMISE, now - 3600,
	    now + 20, &out), ESEAL_OK);
	ck_assert_int_eq(out.reason, REVOKE_KEY_COMPROMISE);
	ck_assert_int_eq(out.revoked_at, now);
	ck_assert_int_eq(out.invalidity_date, now - 3600);
	last_audit(&f, &l);
	ck_assert_str_eq(l.action, "cert.revoke.upgrade");
	ck_assert_ptr_nonnull(strstr(l.detail, "reason=keyCompromise"));
	ck_assert_ptr_nonnull(strstr(l.detail, "was=superseded"));
	/* keyCompromise is final. */
	ck_assert_int_eq(revoke(&f, serial, REVOKE_KEY_COMPROMISE, 0, now + 30,
	    NULL), ESEAL_EEXIST);
	ck_assert_int_eq(revoke(&f, serial, REVOKE_SUPERSEDED, 0, now + 30,
	    NULL), ESEAL_EEXIST);
	ck_assert_int_eq(store_revocation_get(f.ca.store, serial, &out),
	    ESEAL_OK);
	ck_assert_int_eq(out.reason, REVOKE_KEY_COMPROMISE);
	ck_assert_int_eq(out.revoked_at, now);
	teardown(&f);
}
END_TEST

START_TEST(test_upgrade_keeps_invalidity_date)
{
	struct tu_ca f;
	struct store_revocation out;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL);

	setup(&f);
	issue(&f, serial);
	ck_assert_int_eq(revoke(&f, serial, REVOKE_AFFILIATION_CHANGED,
	    now - 60, now, NULL), ESEAL_OK);
	ck_assert_int_eq(revoke(&f, serial, REVOKE_KEY_COMPROMISE, 0, now + 5,
	    &out), ESEAL_OK);
	ck_assert_int_eq(out.invalidity_date, now - 60);
	teardown(&f);
}
END_TEST

START_TEST(test_refused_reasons)
{
	static const struct {
		enum revoke_reason	 reason;
		enum eseal_rc		 rc;
		const char		*rule;
	} refused[] = {
		{ REVOKE_CA_COMPROMISE, ESEAL_EPOLICY, "cACompromise is for a CA" },
		{ REVOKE_CERTIFICATE_HOLD, ESEAL_EPOLICY, "final" },
		{ REVOKE_REMOVE_FROM_CRL, ESEAL_EPOLICY, "final" },
		{ REVOKE_AA_COMPROMISE, ESEAL_EPOLICY, "attribute" },
		{ (enum revoke_reason)7, ESEAL_EINVAL, "not a CRLReason" },
		{ REVOKE_REASON_MAX, ESEAL_EINVAL, "not a CRLReason" },
	};
	struct tu_ca f;
	struct store_revocation got;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t now = time(NULL);

	setup(&f);
	issue(&f, serial);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ck_assert_int_eq(revoke(&f, serial, refused[i].reason, 0, now,
		    NULL), refused[i].rc);
		ck_assert_msg(strstr(eseal_errmsg(), refused[i].rule) != NULL,
		    "\"%s\" lacks \"%s\"", eseal_errmsg(), refused[i].rule);
	}
	ck_assert_int_eq(store_revocation_get(f.ca.store, serial, &got),
	    ESEAL_ENOTFOUND);
	teardown(&f);
}
END_TEST

START_TEST(test_bad_requests)
{
	struct tu_ca f;
	struct revoke_request rr;
	struct store_revocation got;
	char serial[STORE_SERIAL_HEX_MAX], upper[STORE_SERIAL_HEX_MAX + 2];
	char longactor[STORE_ACTOR_MAX + 1];
	int64_t now = time(NULL);

	setup(&f);
	issue(&f, serial);
	/* Invalidity date in the future. */
	ck_assert_int_eq(revoke(&f, serial, REVOKE_KEY_COMPROMISE, now + 1, now,
	    NULL), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 5280 5.3.2"));
	/* Serials that are not hex, too long, empty. */
	ck_assert_int_eq(revoke(&f, "12xz", REVOKE_SUPERSEDED, 0, now, NULL),
	    ESEAL_EINVAL);
	ck_assert_int_eq(revoke(&f, "-12", REVOKE_SUPERSEDED, 0, now, NULL),
	    ESEAL_EINVAL);
	ck_assert_int_eq(revoke(&f, "", REVOKE_SUPERSEDED, 0, now, NULL),
	    ESEAL_EINVAL);
	ck_assert_int_eq(revoke(&f, "0123456789abcdef0123456789abcdef01234567"
	    "89", REVOKE_SUPERSEDED, 0, now, NULL), ESEAL_EINVAL);
	/* The requester must be named. */
	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = REVOKE_SUPERSEDED;
	ck_assert_int_eq(revoke_cert(&f.ca, &rr, now, NULL), ESEAL_EINVAL);
	rr.actor = "";
	ck_assert_int_eq(revoke_cert(&f.ca, &rr, now, NULL), ESEAL_EINVAL);
	memset(longactor, 'a', sizeof(longactor) - 1);
	longactor[sizeof(longactor) - 1] = '\0';
	rr.actor = longactor;
	ck_assert_int_eq(revoke_cert(&f.ca, &rr, now, NULL), ESEAL_EINVAL);
	ck_assert_int_eq(store_revocation_get(f.ca.store, serial, &got),
	    ESEAL_ENOTFOUND);
	/* Upper case with a leading zero octet is the same serial. */
	snprintf(upper, sizeof(upper), "00%s", serial);
	for (char *p = upper; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	ck_assert_int_eq(revoke(&f, upper, REVOKE_SUPERSEDED, 0, now, &got),
	    ESEAL_OK);
	ck_assert_str_eq(got.serial, serial);
	teardown(&f);
}
END_TEST

START_TEST(test_expired_still_revocable)
{
	struct tu_ca f;
	struct store_cert c;
	struct store_revocation out;
	char serial[STORE_SERIAL_HEX_MAX];
	int64_t later;

	setup(&f);
	issue(&f, serial);
	ck_assert_int_eq(store_cert_get(f.ca.store, serial, &c), ESEAL_OK);
	later = c.not_after + 86400;
	store_cert_clear(&c);
	/* A key found compromised after expiry still matters to old seals. */
	ck_assert_int_eq(revoke(&f, serial, REVOKE_KEY_COMPROMISE, later - 10,
	    later, &out), ESEAL_OK);
	ck_assert_int_eq(out.revoked_at, later);
	teardown(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("revoke");
	TCase *tc = tcase_create("revoke");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reason_names);
	tcase_add_test(tc, test_revoke_issued);
	tcase_add_test(tc, test_not_revocable);
	tcase_add_test(tc, test_twice_is_conflict);
	tcase_add_test(tc, test_upgrade_keeps_invalidity_date);
	tcase_add_test(tc, test_refused_reasons);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_expired_still_revocable);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
