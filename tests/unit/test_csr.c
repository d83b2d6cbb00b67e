/*
 * test_csr.c: every request in tests/data/csr/good parses; every one in
 * tests/data/csr/bad is refused with a one-line reason naming the rule.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csr.h"
#include "testutil.h"

static char *
data_path(const char *sub, const char *name)
{
	const char *top = getenv("ESEAL_TOP");
	char *p;

	if (asprintf(&p, "%s/tests/data/csr/%s%s%s", top ? top : ".", sub,
	    name ? "/" : "", name ? name : "") == -1)
		abort();
	return p;
}

static enum eseal_rc
parse_file(const char *sub, const char *name, struct csr **out)
{
	char *p = data_path(sub, name);
	unsigned char *buf;
	size_t len;
	enum eseal_rc rc;

	buf = tu_read(p, &len);
	ck_assert_msg(buf != NULL, "cannot read %s", p);
	rc = csr_parse(buf, len, out);
	free(buf);
	free(p);
	return rc;
}

static void
each(const char *sub, void (*fn)(const char *))
{
	char *dir = data_path(sub, NULL);
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_msg(d != NULL, "no %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fn(de->d_name);
		n++;
	}
	closedir(d);
	ck_assert_int_gt(n, 3);
	free(dir);
}

static void
good_one(const char *name)
{
	struct csr *c = NULL;

	ck_assert_msg(parse_file("good", name, &c) == ESEAL_OK, "%s: %s", name,
	    eseal_errmsg());
	ck_assert_ptr_nonnull(csr_pubkey(c));
	csr_free(c);
}

static void
bad_one(const char *name)
{
	struct csr *c = NULL;

	ck_assert_msg(parse_file("bad", name, &c) == ESEAL_EINVAL,
	    "%s was accepted", name);
	ck_assert_ptr_null(c);
	ck_assert_msg(strncmp(eseal_errmsg(), "csr: ", 5) == 0, "%s: %s", name,
	    eseal_errmsg());
	ck_assert_msg(strchr(eseal_errmsg(), '\n') == NULL, "%s: two lines",
	    name);
}

START_TEST(test_good)
{
	each("good", good_one);
}
END_TEST

START_TEST(test_bad)
{
	each("bad", bad_one);
}
END_TEST

/* The rules named for particular refusals. */
static const struct {
	const char *file;
	const char *rule;
} reasons[] = {
	{ "trailing-bytes.der", "trailing bytes" },
	{ "trailing-after-pem.pem", "data after the PEM block" },
	{ "broken-signature.der", "signature does not verify" },
	{ "subject-tampered.der", "signature does not verify" },
	{ "wrong-pem-label.pem", "PEM label is \"X509 CRL\"" },
	{ "certificate-not-csr.pem", "PEM label is \"CERTIFICATE\"" },
	{ "oversized.txt", "more than the limit" },
	{ "oversized.pem", "more than the limit" },
	{ "pem-headers.pem", "PEM headers" },
	{ "empty.der", "empty request" },
	{ "truncated.der", "RFC 2986" },
};

START_TEST(test_reasons)
{
	struct csr *c = NULL;

	ck_assert_int_eq(parse_file("bad", reasons[_i].file, &c), ESEAL_EINVAL);
	ck_assert_msg(strstr(eseal_errmsg(), reasons[_i].rule) != NULL,
	    "%s: \"%s\" lacks \"%s\"", reasons[_i].file, eseal_errmsg(),
	    reasons[_i].rule);
}
END_TEST

START_TEST(test_same_key_same_hash)
{
	struct csr *a = NULL, *b = NULL;

	/* The same request as PEM with the other label: the same key. */
	ck_assert_int_eq(parse_file("good", "ec-p256.pem", &a), ESEAL_OK);
	ck_assert_int_eq(parse_file("good", "ec-p256-new-label.pem", &b),
	    ESEAL_OK);
	ck_assert_int_eq(memcmp(csr_pubkey_sha256(a), csr_pubkey_sha256(b),
	    CSR_SPKI_SHA256_LEN), 0);
	csr_free(a);
	csr_free(b);
	csr_free(NULL);
}
END_TEST

/* What the accessors give: the request's own DER, its key and that hash. */
START_TEST(test_accessors)
{
	unsigned char h[CSR_SPKI_SHA256_LEN], *der = NULL, *in;
	char *p = data_path("good", "ec-p384.der");
	struct csr *c = NULL;
	size_t inlen, len;

	in = tu_read(p, &inlen);
	ck_assert_ptr_nonnull(in);
	ck_assert_int_eq(csr_parse(in, inlen, &c), ESEAL_OK);
	ck_assert_int_eq(csr_der(c, &der, &len), ESEAL_OK);
	ck_assert_uint_eq(len, inlen);
	ck_assert_mem_eq(der, in, inlen);
	ck_assert_int_eq(EVP_PKEY_get_bits(csr_pubkey(c)), 384);
	ck_assert(csr_spki_sha256(csr_pubkey(c), h));
	ck_assert_mem_eq(csr_pubkey_sha256(c), h, CSR_SPKI_SHA256_LEN);
	OPENSSL_free(der);
	csr_free(c);
	free(in);
	free(p);
}
END_TEST

/* The key named as the configuration names key types (issue 11). */
START_TEST(test_key_describe)
{
	static const char *const cases[][2] = {
		{ "ec-p256.pem", "ec-p256" }, { "ec-p384.der", "ec-p384" },
		{ "rsa-2048.pem", "rsa-2048" }, { "rsa-3072.pem", "rsa-3072" },
	};
	char buf[CSR_KEY_DESC_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = data_path("good", cases[i][0]);
		struct csr *c = NULL;
		unsigned char *in;
		size_t inlen;

		in = tu_read(p, &inlen);
		ck_assert_ptr_nonnull(in);
		ck_assert_int_eq(csr_parse(in, inlen, &c), ESEAL_OK);
		csr_key_describe(c, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i][1]);
		csr_free(c);
		free(in);
		free(p);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("csr");
	TCase *tc = tcase_create("csr");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_bad);
	tcase_add_loop_test(tc, test_reasons, 0,
	    sizeof(reasons) / sizeof(reasons[0]));
	tcase_add_test(tc, test_same_key_same_hash);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_key_describe);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
