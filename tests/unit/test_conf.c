/*
 * test_conf.c: eseald.conf parsing, bad keys and values, lines the INI
 * reader refuses, conf_ini_parse() for the profiles, the PIN file, the
 * named tokens [hsm "NAME"].
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
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

/* GOOD, then len bytes of extra (NUL bytes and all). */
static char *
conf_write(const char *dir, const char *extra, size_t len)
{
	char buf[2048], *path;
	FILE *f;
	int n;

	n = snprintf(buf, sizeof(buf), GOOD, dir);
	ck_assert_uint_lt((size_t)n + len, sizeof(buf));
	memcpy(buf + n, extra, len);
	ck_assert_int_ge(asprintf(&path, "%s/eseald.conf", dir), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(buf, 1, (size_t)n + len, f), (size_t)n + len);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

static char *
conf_with(const char *dir, const char *extra)
{
	return conf_write(dir, extra, strlen(extra));
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
	ck_assert_int_eq(c->publish_delta_crl, 0);	/* default: off */
	ck_assert_str_eq(c->http_listen, "0.0.0.0:9443");
	ck_assert_ptr_nonnull(strstr(c->http_tls_priorities, "VERS-TLS1.3"));
	conf_free(c);
	free(p);
}
END_TEST

/* [publish] delta_crl: off and on, the last word of each line. */
START_TEST(test_delta_crl)
{
	const char *dir = tu_tmpdir();
	char *p = conf_with(dir, "[publish]\ndelta_crl = on\n");
	struct conf *c;

	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_int_eq(c->publish_delta_crl, 1);
	conf_free(c);
	free(p);
	p = conf_with(dir, "[publish]\ndelta_crl = off\n");
	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_int_eq(c->publish_delta_crl, 0);
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
	{ "[log]\nformat = xml\n", "eseald.conf:13: [log] format: \"xml\" is "
	  "not one of logfmt, json" },
	{ "[metrics]\nlisten = 9464\n", "[metrics] listen: \"9464\" is not "
	  "host:port" },
	{ "[metrics]\nlisten = 127.0.0.1:0\n", "[metrics] listen: "
	  "\"127.0.0.1:0\": port must be 1 to 65535" },
	{ "[store]\npath = /again\n", "eseald.conf:13: [store] path: given "
	  "twice (first at line 2)" },
	{ "this is not ini\n", "syntax error" },
	{ "[http]\nthreads = 0\n", "eseald.conf:13: [http] threads: \"0\" is "
	  "not an integer from 1 to 256" },
	{ "[http]\nthreads = 257\n", "[http] threads: \"257\" is not an "
	  "integer from 1 to 256" },
	{ "[ocsp]\npresign = 1\n", "eseald.conf:13: [ocsp] presign: \"1\" is "
	  "not one of off, on" },
	{ "[ocsp]\npresign_rate = 0\n", "[ocsp] presign_rate: \"0\" is not an "
	  "integer from 1 to 100000" },
	{ "[ocsp]\npresign_margin_secs = 3600\n", "eseald.conf:13: [ocsp] "
	  "presign_margin_secs: 3600 must be less than [ocsp] validity_secs "
	  "(3600)" },
	/* What inih would misread: a split long line, a continuation. */
	{ "[store]\n; " "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "path = /injected\n", "line longer than 198 bytes" },
	{ "[log]\nlevel = info\n  debug\n", "indented line" },
	/* A form feed or a lone CR: inih takes them for blanks. */
	{ "[log]\nlevel = info\n\fdebug = 1\n",
	  "eseald.conf:14: [log] ?debug: control character 0x0c in the line" },
	{ "[log]\r\nlevel = info\r\n\rdebug = 1\r\n",
	  "eseald.conf:14: [log] ?debug: CR inside the line" },
	/* What inih would keep in the value, or drop without a word. */
	{ "[publish]\ndir = /srv/www # old\n", "eseald.conf:13: [publish] dir: "
	  "'#' after a blank in the value" },
	{ "[publish] dir = /srv/www\n", "eseald.conf:12: [publish] dir = "
	  "/srv/www: text after the ']'" },
	/* RFC 5280 5.2.4 delta CRLs: a switch, spelt exactly. */
	{ "[publish]\ndelta_crl = 1\n", "eseald.conf:13: [publish] delta_crl: "
	  "\"1\" is not one of off, on" },
	{ "[publish]\ndelta_crl = ON\n", "[publish] delta_crl: \"ON\" is not "
	  "one of off, on" },
	{ "[publish]\ndelta_crl =\n", "[publish] delta_crl: \"\" is not one "
	  "of off, on" },
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

/*
 * tests/data/conf/bad (also replayed by fuzz_conf): each file's refusal,
 * "FILE:LINE: [section] key: rule", with no control byte of the file in it.
 */
static const struct {
	const char	*file;
	const char	*want;
} bad_files[] = {
	{ "bad-port.conf", ":13: [http] listen: \"127.0.0.1:70000\": port "
	  "must be 1 to 65535" },
	{ "bare-cr.conf", ":14: [log] ?debug: CR inside the line" },
	{ "duplicate-key.conf", ":13: [ca] issuer: given twice (first at line "
	  "8)" },
	{ "escape-in-value.conf", ":13: [log] level: control character 0x1b "
	  "in the line" },
	{ "form-feed.conf", ":14: [log] ?debug: control character 0x0c" },
	{ "missing-required.conf", ": [hsm] module: required key missing" },
	{ "nul-byte.conf", ":13: [log] level: NUL byte in the line" },
	/* Found by fuzz_conf: the tab reached the terminal. */
	{ "tab-in-key.conf", ":13: [store] pa?th: unknown key" },	/* [hsm "NAME"] and [ca] of docs/key-rotation.md. */
	{ "ca-warn-days.conf", ":14: [ca] expiry_warn_days: \"0\" is not an integer from 1 to 3650" },
	{ "hsm-default.conf", ":13: [hsm \"default\"]: \"default\" is the plain [hsm]" },
	{ "hsm-empty-name.conf", ":13: [hsm \"\"]: token name \"\" must be 1-32 characters" },
	{ "hsm-leading-dash.conf", ":13: [hsm \"-x\"]: token name \"-x\" must be" },
	{ "hsm-long-entry.conf", ":14: [hsm \"osaka-1\"] registry_entry: value longer than 32 bytes" },
	{ "hsm-missing-module.conf", ":13: [hsm \"osaka-1\"] module: required key missing" },
	{ "hsm-missing-pin.conf", ":13: [hsm \"osaka-1\"] pin_file: required key missing" },
	{ "hsm-no-quotes.conf", ":13: [hsm osaka-1]: a named token is written [hsm \"NAME\"], NAME in double quotes" },
	{ "hsm-one-quote.conf", ":13: [hsm \"osaka-1]: a named token is written [hsm \"NAME\"]" },
	{ "hsm-prefix.conf", ":14: [hsmx] module: unknown key" },
	{ "hsm-same-as-default.conf", ":13: [hsm \"osaka-1\"] token: the same token as [hsm]" },
	{ "hsm-same-as-other.conf", ":17: [hsm \"osaka-2\"] token: the same token as [hsm \"osaka-1\"] (line 13)" },
	{ "hsm-slash.conf", ":13: [hsm \"../etc\"]: token name \"../etc\" must be" },
	{ "hsm-space.conf", ":13: [hsm \"a b\"]: token name \"a b\" must be" },
	{ "hsm-too-long.conf", ":13: [hsm \"abcdefghijklmnopqrstuvwxyz0123456\"]: token name" },
	{ "hsm-too-many.conf", ":45: [hsm \"t9\"]: more than 8 [hsm \"NAME\"] tokens" },
	{ "hsm-twice-sections.conf", ":18: [hsm \"osaka-1\"] token: given twice (first at line 15)" },
	{ "hsm-twice.conf", ":17: [hsm \"osaka-1\"] module: given twice (first at line 14)" },
	{ "hsm-unknown-key.conf", ":14: [hsm \"osaka-1\"] registry: unknown key (a named token takes module, token, pin_file, registry_entry)" },
	{ "hsm-upper.conf", ":13: [hsm \"Osaka\"]: token name \"Osaka\" must be 1-32 characters of a-z, 0-9" },
	{ "hsm-value-comment.conf", ":14: " },
	{ "delta-crl-yes.conf", ":14: [publish] delta_crl: \"yes\" is not one of off, on" },
	{ "delta-crl-twice.conf", ":15: [publish] delta_crl: given twice (first at line 14)" },
	/* [ocsp] presign (docs/revocation.md, "Presigned OCSP answers"). */
	{ "presign-batch.conf", ":15: [ocsp] presign_batch: \"0\" is not an "
	  "integer from 1 to 10000" },
	{ "presign-margin.conf", ":15: [ocsp] presign_margin_secs: 600 must "
	  "be less than [ocsp] validity_secs (300): an answer is signed again "
	  "that long before its nextUpdate" },
	{ "presign-word.conf", ":14: [ocsp] presign: \"yes\" is not one of "
	  "off, on" },
};

static int
not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* [http] threads: CONF_HTTP_THREADS by default, read when given. */
START_TEST(test_http_threads)
{
	const char *dir = tu_tmpdir();
	char *p = conf_with(dir, "");
	struct conf *c;

	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_int_eq(c->http_threads, CONF_HTTP_THREADS);
	ck_assert_int_eq(c->http_threads, 16);
	conf_free(c);
	free(p);
	p = conf_with(dir, "[http]\nthreads = 64\n");
	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_int_eq(c->http_threads, 64);
	conf_free(c);
	free(p);
}
END_TEST

/* [ocsp] presign and its knobs: off by default, read when given. */
START_TEST(test_presign)
{
	const char *dir = tu_tmpdir();
	char *p = conf_with(dir, "");
	struct conf *c;

	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_int_eq(c->ocsp_presign, 0);
	ck_assert_int_eq(c->ocsp_presign_margin, 0);
	ck_assert_int_eq(c->ocsp_presign_batch, CONF_PRESIGN_BATCH);
	ck_assert_int_eq(c->ocsp_presign_rate, CONF_PRESIGN_RATE);
	conf_free(c);
	free(p);
	p = conf_with(dir, "[ocsp]\nvalidity_secs = 86400\npresign = on\n"
	    "presign_margin_secs = 43199\npresign_batch = 500\n"
	    "presign_rate = 50\n");
	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_int_eq(c->ocsp_presign, 1);
	ck_assert_int_eq(c->ocsp_presign_margin, 43199);
	ck_assert_int_eq(c->ocsp_presign_batch, 500);
	ck_assert_int_eq(c->ocsp_presign_rate, 50);
	conf_free(c);
	free(p);
	p = conf_with(dir, "[ocsp]\npresign = off\n");
	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_int_eq(c->ocsp_presign, 0);
	conf_free(c);
	free(p);
}
END_TEST

START_TEST(test_data_files)
{
	const size_t nb = sizeof(bad_files) / sizeof(bad_files[0]);
	const char *top = getenv("ESEAL_TOP") ? getenv("ESEAL_TOP") : ".";
	char dir[512], path[1024];
	struct dirent **names;
	struct conf *c;
	size_t j;
	int n;

	snprintf(dir, sizeof(dir), "%s/tests/data/conf/good", top);
	ck_assert_int_ge(n = scandir(dir, &names, not_dot, alphasort), 2);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		ck_assert_msg(conf_load(path, &c) == ESEAL_OK, "%s",
		    eseal_errmsg());
		ck_assert_str_eq(c->ca_issuer, "dev-ca");
		conf_free(c);
		free(names[i]);
	}
	free(names);
	snprintf(dir, sizeof(dir), "%s/tests/data/conf/bad", top);
	ck_assert_int_eq(n = scandir(dir, &names, not_dot, alphasort),
	    (int)nb);
	for (int i = 0; i < n; i++) {
		for (j = 0; j < nb && strcmp(bad_files[j].file,
		    names[i]->d_name) != 0; j++)
			;
		ck_assert_msg(j < nb, "%s: add it to bad_files[]",
		    names[i]->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		c = NULL;
		ck_assert_int_eq(conf_load(path, &c), ESEAL_ECONF);
		ck_assert_ptr_null(c);
		ck_assert_msg(strncmp(eseal_errmsg(), path, strlen(path)) == 0 &&
		    strstr(eseal_errmsg(), bad_files[j].want) != NULL,
		    "%s: \"%s\"", names[i]->d_name, eseal_errmsg());
		for (const char *m = eseal_errmsg(); *m != '\0'; m++)
			ck_assert_uint_ge((unsigned char)*m, ' ');
		free(names[i]);
	}
	free(names);
}
END_TEST

/* A NUL byte would end the line for inih, the rest unread. */
START_TEST(test_nul_byte)
{
	static const char extra[] = "[ca]\nvalidity_days = 3650\0 ignored\n";
	const char *dir = tu_tmpdir();
	char *p = conf_write(dir, extra, sizeof(extra) - 1);
	struct conf *c = NULL;

	ck_assert_int_eq(conf_load(p, &c), ESEAL_ECONF);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "eseald.conf:13: [ca] "
	    "validity_days: NUL byte in the line"));
	free(p);
}
END_TEST

/* Not a file to read: a directory, or larger than CONF_FILE_MAX. */
START_TEST(test_not_a_file)
{
	const char *dir = tu_tmpdir();
	char *big, *p, want[1024];
	struct conf *c = NULL;

	ck_assert_int_eq(conf_load(dir, &c), ESEAL_ECONF);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	ck_assert_str_eq(eseal_errmsg(), want);
	ck_assert_ptr_nonnull(big = malloc(CONF_FILE_MAX + 2));
	memset(big, '#', CONF_FILE_MAX + 1);
	big[CONF_FILE_MAX + 1] = '\0';
	p = tu_write(dir, "big.conf", big, 0644);
	ck_assert_int_eq(conf_load(p, &c), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "big.conf: larger than "
	    "65536 bytes"));
	ck_assert_ptr_null(c);
	free(p);
	free(big);
}
END_TEST

/* conf_ini_parse(), as the profiles use it. */
static int
refuse_colour(void *user, const char *section, const char *name,
    const char *value)
{
	(void)user;
	(void)section;
	(void)value;
	return strcmp(name, "colour") != 0;
}

START_TEST(test_ini_parse)
{
	const char *dir = tu_tmpdir();
	char path[512], why[256], *p;
	int line;

	snprintf(path, sizeof(path), "%s/nosuch.conf", dir);
	errno = 0;
	ck_assert_int_eq(conf_ini_parse(path, refuse_colour, NULL, &line, why,
	    sizeof(why)), ESEAL_ECONF);
	ck_assert_int_eq(line, -1);
	ck_assert_int_eq(errno, ENOENT);
	/* The handler's refusal: its line, and no words of the reader's. */
	p = tu_write(dir, "p.conf", "[profile]\nshape = round\n"
	    "[profile]\ncolour = blue\n", 0644);
	ck_assert_int_eq(conf_ini_parse(p, refuse_colour, NULL, &line, why,
	    sizeof(why)), ESEAL_ECONF);
	ck_assert_int_eq(line, 4);
	ck_assert_str_eq(why, "");
	free(p);
	/* The reader's refusal: line and words. */
	p = tu_write(dir, "p.conf", "[profile]\n shape = round\n", 0644);
	ck_assert_int_eq(conf_ini_parse(p, refuse_colour, NULL, &line, why,
	    sizeof(why)), ESEAL_ECONF);
	ck_assert_int_eq(line, 2);
	ck_assert_str_eq(why, "[profile] shape: indented line: inih would "
	    "read it as the continuation of the value before; remove the "
	    "leading blanks");
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

/* [hsm "NAME"]: each named token read beside the plain [hsm]. */
START_TEST(test_hsm_named)
{
	const char *dir = tu_tmpdir();
	char *p = conf_with(dir, "[hsm \"osaka-1\"]\nmodule = /m2.so\n"
	    "token = pkcs11:token=o1\npin_file = /x/pin-o1\n"
	    "registry_entry = softhsm-2\n"
	    "[ca]\nexpiry_warn_days = 30\nroot_cert = /x/root.pem\n"
	    "[hsm \"tokyo-2\"]\nmodule = /m.so\ntoken = pkcs11:token=t2\n"
	    "pin_file = /x/pin-t2\n");
	const struct conf_hsm *h;
	struct conf *c;

	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_str_eq(c->hsm_token, "pkcs11:token=t");	/* the default */
	ck_assert_int_eq(c->hsm_nnamed, 2);
	ck_assert_ptr_nonnull(h = conf_hsm_find(c, "osaka-1"));
	ck_assert_str_eq(h->module, "/m2.so");
	ck_assert_str_eq(h->token, "pkcs11:token=o1");
	ck_assert_str_eq(h->pin_file, "/x/pin-o1");
	ck_assert_str_eq(h->registry_entry, "softhsm-2");
	ck_assert_int_eq(h->line, 12);
	ck_assert_ptr_nonnull(h = conf_hsm_find(c, "tokyo-2"));
	ck_assert_str_eq(h->token, "pkcs11:token=t2");
	ck_assert_str_eq(h->registry_entry, "");
	ck_assert_ptr_null(conf_hsm_find(c, "default"));
	ck_assert_ptr_null(conf_hsm_find(c, ""));
	ck_assert_ptr_null(conf_hsm_find(c, "osaka"));
	ck_assert_int_eq(c->ca_expiry_warn_days, 30);
	ck_assert_str_eq(c->ca_root_cert, "/x/root.pem");
	conf_free(c);
	free(p);
	/* Without them: none, and the default margin. */
	p = conf_with(dir, "");
	ck_assert_int_eq(conf_load(p, &c), ESEAL_OK);
	ck_assert_int_eq(c->hsm_nnamed, 0);
	ck_assert_int_eq(c->ca_expiry_warn_days, CONF_EXPIRY_WARN_DAYS);
	ck_assert_str_eq(c->ca_root_cert, "");
	conf_free(c);
	free(p);
}
END_TEST

/* A named token's PIN file: refusals name its section. */
START_TEST(test_hsm_named_pin)
{
	const char *dir = tu_tmpdir();
	char buf[CONF_PIN_MAX], *pin;

	pin = tu_write(dir, "pin2", "5678\n", 0644);
	ck_assert_int_eq(conf_read_pin_file("[hsm \"osaka-1\"]", pin, buf,
	    sizeof(buf)), ESEAL_ECONF);
	ck_assert_msg(strstr(eseal_errmsg(), "[hsm \"osaka-1\"] pin_file ") ==
	    eseal_errmsg(), "%s", eseal_errmsg());
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "chmod 600"));
	free(pin);
	pin = tu_write(dir, "pin2", "5678\n", 0600);
	ck_assert_int_eq(conf_read_pin_file("[hsm \"osaka-1\"]", pin, buf,
	    sizeof(buf)), ESEAL_OK);
	ck_assert_str_eq(buf, "5678");
	free(pin);
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
	tcase_add_test(tc, test_delta_crl);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_data_files);
	tcase_add_test(tc, test_presign);
	tcase_add_test(tc, test_http_threads);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_not_a_file);
	tcase_add_test(tc, test_ini_parse);
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_bad_issuer_name);
	tcase_add_test(tc, test_pin_file);
	tcase_add_test(tc, test_hsm_named);
	tcase_add_test(tc, test_hsm_named_pin);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
