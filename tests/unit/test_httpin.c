/*
 * test_httpin.c: the HTTP front end's readers of outside input, without a
 * server: routing (tests/data/route), the mTLS client certificate's
 * operator name (tests/data/peercert) and the enrolment body
 * (tests/data/enrol).  Each hostile file has its expected refusal here, so
 * a new one cannot be added without saying what it must do.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "http/api.h"
#include "enrol.h"
#include "testutil.h"

static const char *
top(void)
{
	return getenv("ESEAL_TOP") ? getenv("ESEAL_TOP") : ".";
}

static int
is_file(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Names of the files of tests/data/<what>/<kind>, sorted; their count. */
static int
files(const char *what, const char *kind, struct dirent ***names, char *dir,
    size_t dirlen)
{
	snprintf(dir, dirlen, "%s/tests/data/%s/%s", top(), what, kind);
	return scandir(dir, names, is_file, alphasort);
}

static void
nop(void *app, const struct http_request *req, struct http_response *resp)
{
	(void)app, (void)req, (void)resp;
}

/* The shapes eseald's table uses (src/eseald.c). */
static const struct http_route routes[] = {
	{ "GET", "/healthz", NULL, nop, HTTP_R_PUBLIC },
	{ "GET", "/ca/", ".crt", nop, HTTP_R_PUBLIC },
	{ "GET", "/ocsp/", NULL, nop, HTTP_R_PUBLIC | HTTP_R_REST },
	{ "POST", "/api/v1/requests/", "/approve", nop, 0 },
	{ "PUT", "/api/v1/x", NULL, nop, 0 },
	{ NULL, NULL, NULL, NULL, 0 }
};

static const char *const methods[] = { "GET", "POST", "DELETE", "PUT" };

/* A route input file: method byte, then the path. */
static const struct http_route *
route_file(const char *path, char *param, enum eseal_rc *rc)
{
	unsigned char *b;
	char *p;
	size_t len;
	const struct http_route *r;

	ck_assert_msg((b = tu_read(path, &len)) != NULL && len >= 2, "%s",
	    path);
	ck_assert_ptr_nonnull(p = strndup((char *)b + 1, len - 1));
	r = http_route_find(routes, methods[b[0] % 4], p, param, rc);
	free(p);
	free(b);
	return r;
}

START_TEST(test_route_good)
{
	static char param[HTTP_CAPTURE_MAX];
	struct dirent **names;
	enum eseal_rc rc;
	char dir[512], path[1024];
	int n;

	ck_assert_int_ge(n = files("route", "good", &names, dir, sizeof(dir)),
	    1);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		ck_assert_msg(route_file(path, param, &rc) != NULL, "%s",
		    names[i]->d_name);
		ck_assert_uint_eq(strlen(param), HTTP_CAPTURE_MAX - 1);
		free(names[i]);
	}
	free(names);
}
END_TEST

static const struct {
	const char	*file;
	enum eseal_rc	 rc;
} route_bads[] = {
	{ "capture-over-limit", ESEAL_ENOTFOUND },
	{ "dot-dot.crt", ESEAL_ENOTFOUND },	/* '/' in a {} capture */
	{ "empty-capture", ESEAL_ENOTFOUND },
	{ "empty-id", ESEAL_ENOTFOUND },
	{ "slash-in-capture", ESEAL_ENOTFOUND },
	{ "trailing-slash", ESEAL_ENOTFOUND },
	{ "upper-case", ESEAL_ENOTFOUND },
	{ "wrong-method", ESEAL_EMETHOD },
};

START_TEST(test_route_bad)
{
	static char param[HTTP_CAPTURE_MAX];
	size_t nb = sizeof(route_bads) / sizeof(route_bads[0]), j;
	struct dirent **names;
	enum eseal_rc rc;
	char dir[512], path[1024];
	int n;

	ck_assert_int_eq(n = files("route", "bad", &names, dir, sizeof(dir)),
	    (int)nb);
	for (int i = 0; i < n; i++) {
		for (j = 0; j < nb && strcmp(route_bads[j].file,
		    names[i]->d_name) != 0; j++)
			;
		ck_assert_msg(j < nb, "%s: add it to route_bads[]",
		    names[i]->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		rc = ESEAL_OK;
		ck_assert_msg(route_file(path, param, &rc) == NULL, "%s routed",
		    names[i]->d_name);
		ck_assert_msg(rc == route_bads[j].rc, "%s: %s",
		    names[i]->d_name, eseal_rcname(rc));
		free(names[i]);
	}
	free(names);
}
END_TEST

START_TEST(test_peer_good)
{
	static const struct { const char *file, *cn; } goods[] = {
		{ "ok.der", "ra1" }, { "utf8.der", "担当者" } };
	char cn[HTTP_CN_MAX], path[1024];
	unsigned char *der;
	size_t len;

	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/data/peercert/good/%s",
		    top(), goods[i].file);
		ck_assert_ptr_nonnull(der = tu_read(path, &len));
		ck_assert_int_eq(http_peer_der_cn(der, len, cn, sizeof(cn)),
		    HTTP_PEER_VERIFIED);
		ck_assert_str_eq(cn, goods[i].cn);
		/* A name that does not fit is refused, never cut short. */
		ck_assert_int_eq(http_peer_der_cn(der, len, cn,
		    strlen(goods[i].cn)), HTTP_PEER_UNTRUSTED);
		free(der);
	}
}
END_TEST

/* Every file in bad/ would log in as somebody if it were believed. */
START_TEST(test_peer_bad)
{
	static const char *const bads[] = { "newline-in-cn.der",
	    "no-cn.der", "nul-in-cn.der", "trailing.der", "two-cn.der" };
	struct dirent **names;
	char dir[512], path[1024], cn[HTTP_CN_MAX];
	unsigned char *der;
	size_t len;
	int n;

	ck_assert_int_eq(n = files("peercert", "bad", &names, dir,
	    sizeof(dir)), (int)(sizeof(bads) / sizeof(bads[0])));
	for (int i = 0; i < n; i++) {
		ck_assert_str_eq(names[i]->d_name, bads[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		ck_assert_ptr_nonnull(der = tu_read(path, &len));
		ck_assert_msg(http_peer_der_cn(der, len, cn, sizeof(cn)) ==
		    HTTP_PEER_UNTRUSTED, "%s accepted as \"%s\"",
		    names[i]->d_name, cn);
		ck_assert_str_eq(cn, "");
		free(der);
		free(names[i]);
	}
	free(names);
	ck_assert_int_eq(http_peer_der_cn((const unsigned char *)"", 0, cn,
	    sizeof(cn)), HTTP_PEER_UNTRUSTED);
}
END_TEST

/* The refusal of one enrolment body: parse, then map to a submission. */
static enum eseal_rc
enrol_file(const char *path, char *msg, size_t msglen)
{
	struct enrol_submission sub;
	unsigned char *b;
	enum eseal_rc rc;
	size_t len;
	json_t *j;

	ck_assert_ptr_nonnull(b = tu_read(path, &len));
	msg[0] = '\0';
	if ((j = http_json_parse(b, len, msg, msglen)) == NULL)
		rc = ESEAL_EINVAL;
	else
		rc = api_enrol_submission(j, "eseal", &sub, msg, msglen);
	json_decref(j);
	free(b);
	return rc;
}

static const struct {
	const char	*file;
	const char	*says;
} enrol_bads[] = {
	{ "ack-not-object.json", "acknowledgement is an object" },
	{ "array.json", "RFC 8259: the body is JSON but not an object" },
	{ "code-not-string.json", "code, csr (PEM) and key_holder are "
	    "required strings" },
	{ "control-bytes.json", "RFC 8259: the body is not valid JSON" },
	{ "deep.json", "RFC 8259 9: JSON nested more than 16 deep" },
	{ "duplicate-key.json", "RFC 8259: the body is not valid JSON" },
	{ "empty.json", "RFC 8259 2: the body is empty" },
	{ "invalid-utf8.json", "RFC 8259: the body is not valid JSON" },
	/* jansson without JSON_ALLOW_NUL: no string is cut short in C. */
	{ "nul-in-ack.json", "not allowed without JSON_ALLOW_NUL" },
	{ "nul-in-code.json", "not allowed without JSON_ALLOW_NUL" },
	{ "nul-in-csr.json", "not allowed without JSON_ALLOW_NUL" },
	{ "trailing.json", "RFC 8259: the body is not valid JSON" },
	{ "unknown-holder.json", "panel point 8: key_holder is subscriber" },
	{ "whitespace.json", "RFC 8259 2: the body is empty" },
};

START_TEST(test_enrol_bad)
{
	size_t nb = sizeof(enrol_bads) / sizeof(enrol_bads[0]), j;
	struct dirent **names;
	char dir[512], path[1024], msg[256];
	int n;

	ck_assert_int_eq(n = files("enrol", "bad", &names, dir, sizeof(dir)),
	    (int)nb);
	for (int i = 0; i < n; i++) {
		for (j = 0; j < nb && strcmp(enrol_bads[j].file,
		    names[i]->d_name) != 0; j++)
			;
		ck_assert_msg(j < nb, "%s: add it to enrol_bads[]",
		    names[i]->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		ck_assert_int_eq(enrol_file(path, msg, sizeof(msg)),
		    ESEAL_EINVAL);
		ck_assert_msg(strstr(msg, enrol_bads[j].says) != NULL,
		    "%s: \"%s\"", names[i]->d_name, msg);
		for (const char *p = msg; *p != '\0'; p++)
			ck_assert_msg((unsigned char)*p >= ' ', "%s: control "
			    "byte in \"%s\"", names[i]->d_name, msg);
		free(names[i]);
	}
	free(names);
}
END_TEST

START_TEST(test_enrol_good)
{
	struct enrol_submission sub;
	char path[1024], msg[256];
	unsigned char *b;
	size_t len;
	json_t *j;

	snprintf(path, sizeof(path), "%s/tests/data/enrol/good/full.json",
	    top());
	ck_assert_ptr_nonnull(b = tu_read(path, &len));
	ck_assert_ptr_nonnull(j = http_json_parse(b, len, msg, sizeof(msg)));
	ck_assert_int_eq(api_enrol_submission(j, "eseal", &sub, msg,
	    sizeof(msg)), ESEAL_OK);
	ck_assert_str_eq(sub.code, "ABCD");
	ck_assert_str_eq(key_holder_name(sub.holder), "remote-service");
	ck_assert_str_eq(sub.profile, "eseal");
	ck_assert_int_eq(sub.qscd, 1);
	ck_assert_str_eq(sub.disclosure_version, "1.0");
	ck_assert_str_eq(sub.signer_title, "CEO");
	json_decref(j);
	free(b);
	snprintf(path, sizeof(path), "%s/tests/data/enrol/good/minimal.json",
	    top());
	ck_assert_ptr_nonnull(b = tu_read(path, &len));
	ck_assert_ptr_nonnull(j = http_json_parse(b, len, msg, sizeof(msg)));
	ck_assert_int_eq(api_enrol_submission(j, "default-p", &sub, msg,
	    sizeof(msg)), ESEAL_OK);
	ck_assert_str_eq(sub.profile, "default-p");
	ck_assert_uint_eq(sub.csr_len, strlen((const char *)sub.csr_der));
	ck_assert_ptr_null(sub.disclosure_version);
	json_decref(j);
	free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("httpin");
	TCase *tc = tcase_create("httpin");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_route_good);
	tcase_add_test(tc, test_route_bad);
	tcase_add_test(tc, test_peer_good);
	tcase_add_test(tc, test_peer_bad);
	tcase_add_test(tc, test_enrol_bad);
	tcase_add_test(tc, test_enrol_good);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
