/* test_conf.c: eseald.conf parsing, bad keys and values, the PIN file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "testutil.h"

#define GOOD \
	"[store]\npath = /x/eseal.db\n" \
	"[hsm]\nmodule = /m.so\ntoken = pkcs11:token=t\npin_file = %s/pin\n" \
	"[ca]\nissuer = dev-ca\ncountry = JP\norganization = O\n" \
	"common_name = CN\n"

static char *
conf_with(const char *dir, const char *extra)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), GOOD "%s", dir, extra);
	return tu_write(dir, "eseald.conf", buf, 0644);
}

START_TEST(test_good)
{
	const char *dir = tu_tmpdir();
	char *p = conf_with(dir, "[ca]\nkey_type = rsa-3072\n"
	    "[log]\nlevel = debug\n[http]\nlisten = 0.0.0.0:9443\n");
	struct conf *c;

	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_str_eq(c->store_path, "/x/eseal.db");
	ck_assert_str_eq(c->hsm_token, "pkcs11:token=t");
	ck_assert_str_eq(c->ca_issuer, "dev-ca");
	ck_assert_int_eq(c->ca_key_type, KEY_RSA_3072);
	ck_assert_int_eq(c->ca_crl_shards, 1);		/* default */
	ck_assert_str_eq(c->http_listen, "0.0.0.0:9443");
	ck_assert_ptr_nonnull(strstr(c->http_tls_priorities, "VERS-TLS1.3"));
	conf_free(c);
	free(p);
}
END_TEST

static const struct {
	const char *extra;
	const char *want;	/* substring of the error */
} bad[] = {
	{ "[store]\ncolour = blue\n", "eseald.conf:13: [store] colour: unknown key" },
	{ "[nosuch]\nx = 1\n", "[nosuch] x: unknown key" },
	{ "[ca]\nkey_type = dsa-1024\n", "[ca] key_type: \"dsa-1024\" is not one of" },
	{ "[ca]\nvalidity_days = 0\n", "[ca] validity_days: \"0\" is not an integer from 1" },
	{ "[ca]\nvalidity_days = 12x\n", "[ca] validity_days: \"12x\" is not an integer" },
	{ "[ca]\ncrl_shards = 257\n", "[ca] crl_shards" },
	{ "[http]\nlisten = localhost\n", "[http] listen: \"localhost\" is not host:port" },
	{ "[http]\nlisten = 127.0.0.1:70000\n", "port must be 1 to 65535" },
	{ "[log]\nlevel = loud\n", "[log] level" },
	{ "[store]\npath = /again\n", "[store] path: given twice" },
	{ "this is not ini\n", "syntax error" },
	/* What inih would misread: a split long line, a continuation. */
	{ "[store]\n; " "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "path = /injected\n", "line longer than 198 bytes" },
	{ "[log]\nlevel = info\n  debug\n", "indented line" },
};

START_TEST(test_bad)
{
	const char *dir = tu_tmpdir();
	char *p = conf_with(dir, bad[_i].extra);
	struct conf *c = NULL;

	ck_assert_int_eq(conf_load(p, &c), ESEAL_ECONF);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(eseal_errmsg(), bad[_i].want) != NULL,
	    "error \"%s\" lacks \"%s\"", eseal_errmsg(), bad[_i].want);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), p));	/* names the file */
	free(p);
}
END_TEST

START_TEST(test_missing_required)
{
	const char *dir = tu_tmpdir();
	char *p = tu_write(dir, "eseald.conf", "[store]\npath = /x\n", 0644);
	struct conf *c;

	ck_assert_int_eq(conf_load(p, &c), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "[hsm] module: required"));
	free(p);
}
END_TEST

START_TEST(test_bad_issuer_name)
{
	const char *dir = tu_tmpdir();
	char buf[1024];
	char *p;
	struct conf *c;

	snprintf(buf, sizeof(buf), GOOD, dir);
	/* Replace the issuer name with one that cannot go in a URL. */
	memcpy(strstr(buf, "dev-ca"), "Dev/ca", 6);
	p = tu_write(dir, "eseald.conf", buf, 0644);
	ck_assert_int_eq(conf_load(p, &c), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "[ca] issuer"));
	free(p);
}
END_TEST

START_TEST(test_pin_file)
{
	const char *dir = tu_tmpdir();
	char *p = conf_with(dir, ""), *pin;
	char buf[CONF_PIN_MAX];
	struct conf *c;

	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	/* Missing. */
	ck_assert_int_eq(conf_read_pin(c, buf, sizeof(buf)), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "cannot open"));
	/* Group- or world-readable: refused, saying why. */
	pin = tu_write(dir, "pin", "1234\n", 0640);
	ck_assert_int_eq(conf_read_pin(c, buf, sizeof(buf)), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "mode 0640"));
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "chmod 600"));
	free(pin);
	pin = tu_write(dir, "pin", "1234\n", 0604);
	ck_assert_int_eq(conf_read_pin(c, buf, sizeof(buf)), ESEAL_ECONF);
	free(pin);
	/* Owner only: read, newline stripped. */
	pin = tu_write(dir, "pin", "1234\n", 0600);
	ck_assert_int_eq(conf_read_pin(c, buf, sizeof(buf)), ESEAL_OK);
	ck_assert_str_eq(buf, "1234");
	free(pin);
	/* Empty. */
	pin = tu_write(dir, "pin", "\n", 0600);
	ck_assert_int_eq(conf_read_pin(c, buf, sizeof(buf)), ESEAL_ECONF);
	free(pin);
	conf_free(c);
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_good);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_bad_issuer_name);
	tcase_add_test(tc, test_pin_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
