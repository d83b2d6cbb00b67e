/*
 * test_csrpolicy.c: CSRs that are well-formed (csr_parse accepts them: the
 * encoding and the proof of possession are fine) but whose key the crypto
 * policy refuses, from tests/data/csr/policy-bad/; and the RSA-2048 sunset
 * of conf/crypto-policy.conf, the last allowed second and the first refused.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csr.h"
#include "policy.h"
#include "testutil.h"

static const char *
top(void)
{
	const char *t = getenv("ESEAL_TOP");

	return t != NULL ? t : ".";
}

static struct policy *
shipped(void)
{
	struct policy *p;
	char path[1024];

	snprintf(path, sizeof(path), "%s/conf/crypto-policy.conf", top());
	ck_assert_msg(policy_load(path, &p) == ESEAL_OK, "%s", eseal_errmsg());
	return p;
}

/* Parses tests/data/csr/<rel>; it must parse. */
static struct csr *
load_csr(const char *rel)
{
	char path[1024];
	unsigned char *buf;
	struct csr *c = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/tests/data/csr/%s", top(), rel);
	ck_assert_msg((buf = tu_read(path, &len)) != NULL, "cannot read %s",
	    path);
	ck_assert_msg(csr_parse(buf, len, &c) == ESEAL_OK, "%s: %s", rel,
	    eseal_errmsg());
	free(buf);
	return c;
}

static const struct {
	const char	*file;		/* in tests/data/csr/policy-bad/ */
	const char	*want;		/* substring of the refusal */
} bad[] = {
	{ "rsa-1024.pem", "RSA key of 1024 bits is not in the crypto policy" },
	{ "rsa-exp3.pem",
	  "RSA public exponent 3: must be odd, at least 65537" },
	{ "p192.pem", "curve P-192 is not in the crypto policy" },
	{ "secp256k1.pem", "curve secp256k1 is not in the crypto policy" },
};

START_TEST(test_policy_bad)
{
	struct policy *p = shipped();
	char rel[256];
	struct csr *c;
	const char *msg;

	snprintf(rel, sizeof(rel), "policy-bad/%s", bad[_i].file);
	c = load_csr(rel);
	/* Refused today, and on every day the policy has a rule for. */
	ck_assert_int_eq(policy_check_subscriber_key(p, csr_pubkey(c),
	    tu_date(2026, 6, 1)), ESEAL_EPOLICY);
	ck_assert_int_eq(policy_check_subscriber_key(p, csr_pubkey(c),
	    tu_date(2040, 1, 1)), ESEAL_EPOLICY);
	msg = eseal_errmsg();
	ck_assert_msg(strncmp(msg, "policy: ", 8) == 0, "%s: \"%s\"",
	    bad[_i].file, msg);
	ck_assert_msg(strchr(msg, '\n') == NULL, "%s: more than one line",
	    bad[_i].file);
	ck_assert_msg(strstr(msg, bad[_i].want) != NULL,
	    "%s: error \"%s\" lacks \"%s\"", bad[_i].file, msg, bad[_i].want);
	csr_free(c);
	policy_free(p);
}
END_TEST

/* Every file in policy-bad/ is in the table above, and every entry is there. */
START_TEST(test_policy_bad_listed)
{
	char path[1024];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tests/data/csr/policy-bad", top());
	ck_assert_ptr_nonnull(d = opendir(path));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strcmp(de->d_name, bad[i].file) == 0)
				break;
		ck_assert_msg(i < sizeof(bad) / sizeof(bad[0]),
		    "%s is not tested", de->d_name);
		n++;
	}
	closedir(d);
	ck_assert_uint_eq(n, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

START_TEST(test_rsa2048_sunset)
{
	struct policy *p = shipped();
	struct csr *c = load_csr("good/rsa-2048.pem");
	const char *msg;

	/* Allowed through 2030-12-31 23:59:59 UTC ... */
	ck_assert_msg(policy_check_subscriber_key(p, csr_pubkey(c),
	    tu_date(2030, 12, 31)) == ESEAL_OK, "%s", eseal_errmsg());
	ck_assert_msg(policy_check_subscriber_key(p, csr_pubkey(c),
	    tu_date(2031, 1, 1) - 1) == ESEAL_OK, "%s", eseal_errmsg());
	/* ... and refused from 2031-01-01 00:00:00 UTC, naming the rule. */
	ck_assert_int_eq(policy_check_subscriber_key(p, csr_pubkey(c),
	    tu_date(2031, 1, 1)), ESEAL_EPOLICY);
	msg = eseal_errmsg();
	ck_assert_msg(strncmp(msg, "policy: ", 8) == 0, "\"%s\"", msg);
	ck_assert_ptr_null(strchr(msg, '\n'));
	ck_assert_msg(strstr(msg, "rsa-2048") != NULL &&
	    strstr(msg, "2030-12-31") != NULL &&
	    strstr(msg, "refused at 2031-01-01") != NULL, "\"%s\"", msg);
	csr_free(c);
	policy_free(p);
}
END_TEST

/* The good CSRs next to them stay accepted (the table is not vacuous). */
START_TEST(test_good_accepted)
{
	static const char *const good[] = {
		"good/ec-p256.pem", "good/ec-p384.der", "good/rsa-3072.pem",
	};
	struct policy *p = shipped();

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct csr *c = load_csr(good[i]);

		ck_assert_msg(policy_check_subscriber_key(p, csr_pubkey(c),
		    tu_date(2031, 1, 1)) == ESEAL_OK, "%s: %s", good[i],
		    eseal_errmsg());
		csr_free(c);
	}
	policy_free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("csrpolicy");
	TCase *tc = tcase_create("csrpolicy");
	SRunner *sr;
	int nf;

	tcase_add_loop_test(tc, test_policy_bad, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_policy_bad_listed);
	tcase_add_test(tc, test_rsa2048_sunset);
	tcase_add_test(tc, test_good_accepted);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
