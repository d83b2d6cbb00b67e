/* test_policy.c: the crypto policy: the shipped file, keys, dates, bad files. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "policy.h"
#include "testutil.h"

#define DESIGNATED	"#:"	/* prefix of the commented-out example */

static EVP_PKEY *rsa2048;	/* made once in main(), shared by the tests */

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

static struct policy *
policy_of(const char *text)
{
	const char *dir = tu_tmpdir();
	char *path = tu_write(dir, "policy.conf", text, 0644);
	struct policy *p;

	ck_assert_msg(policy_load(path, &p) == ESEAL_OK, "%s", eseal_errmsg());
	free(path);
	return p;
}

/* The message of the last refusal contains want. */
#define ck_refused(rc, want) do { \
	ck_assert_int_eq((rc), ESEAL_EPOLICY); \
	ck_assert_msg(strstr(eseal_errmsg(), (want)) != NULL, \
	    "error \"%s\" lacks \"%s\"", eseal_errmsg(), (want)); \
} while (0)

/* An RSA public key with n from rsa2048 times mul, and exponent e (hex). */
static EVP_PKEY *
rsa_pub(unsigned long mul, const char *e_hex)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *k = NULL;

	ck_assert(EVP_PKEY_get_bn_param(rsa2048, OSSL_PKEY_PARAM_RSA_N, &n));
	ck_assert(BN_mul_word(n, mul));
	ck_assert(BN_hex2bn(&e, e_hex) > 0);
	ck_assert(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
	ck_assert(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
	ck_assert_ptr_nonnull(params = OSSL_PARAM_BLD_to_param(bld));
	ck_assert_int_eq(EVP_PKEY_fromdata_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return k;
}

/* As a CSR would carry it: through DER SubjectPublicKeyInfo and back. */
static EVP_PKEY *
via_spki(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *out;
	int len;

	ck_assert_int_gt(len = i2d_PUBKEY(k, &der), 0);
	p = der;
	ck_assert_ptr_nonnull(out = d2i_PUBKEY(NULL, &p, len));
	ck_assert(p == der + len);
	OPENSSL_free(der);
	return out;
}

START_TEST(test_rsa2048_until_2030)
{
	struct policy *p = shipped();
	EVP_PKEY *k = via_spki(rsa2048);

	ck_assert_int_eq(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    ESEAL_OK);
	ck_assert_int_eq(policy_check_subscriber_key(p, k,
	    tu_date(2030, 12, 31)), ESEAL_OK);
	/* The last second of the last day is still allowed. */
	ck_assert_int_eq(policy_check_subscriber_key(p, k,
	    tu_date(2031, 1, 1) - 1), ESEAL_OK);
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2031, 1, 1)),
	    "policy: subscriber-key rsa-2048 allowed until 2030-12-31 "
	    "(CRYPTREC");
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "refused at 2031-01-01"));
	EVP_PKEY_free(k);
	policy_free(p);
}
END_TEST

START_TEST(test_rsa_sizes)
{
	struct policy *p = shipped();
	EVP_PKEY *k;

	ck_assert_ptr_nonnull(k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)1024));
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    "policy: RSA key of 1024 bits is not in the crypto policy");
	EVP_PKEY_free(k);
	ck_assert_ptr_nonnull(k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)3072));
	ck_assert_int_eq(policy_check_subscriber_key(p, k, tu_date(2040, 1, 1)),
	    ESEAL_OK);
	EVP_PKEY_free(k);
	policy_free(p);
}
END_TEST

START_TEST(test_rsa_exponent_3)
{
	struct policy *p = shipped();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	EVP_PKEY *k = NULL;

	ck_assert(BN_set_word(e, 3));
	ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e), 1);
	ck_assert_int_eq(EVP_PKEY_keygen(ctx, &k), 1);
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    "policy: RSA public exponent 3: must be odd, at least 65537");
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "CA/B BR 6.1.6"));
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	BN_free(e);
	policy_free(p);
}
END_TEST

/* Hand-built keys: n of a real key, and exponents at and past the limits. */
static const struct {
	const char *e_hex;
	const char *want;	/* NULL: accepted */
} exponents[] = {
	{ "1", "RSA public exponent 1: must be odd, at least 65537" },
	{ "FFFF", "RSA public exponent 65535:" },
	{ "10002", "RSA public exponent 65538:" },
	{ "10001", NULL },
	{ "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
	    NULL },				/* 2^256 - 1 */
	{ "10000000000000000000000000000000000000000000000000000000000000001",
	    "RSA public exponent of 257 bits:" },	/* 2^256 + 1 */
};

START_TEST(test_rsa_exponent_rule)
{
	struct policy *p = shipped();
	EVP_PKEY *k = rsa_pub(1, exponents[_i].e_hex);
	enum eseal_rc rc = policy_check_subscriber_key(p, k,
	    tu_date(2026, 4, 1));

	if (exponents[_i].want == NULL)
		ck_assert_msg(rc == ESEAL_OK, "e=%s: %s", exponents[_i].e_hex,
		    eseal_errmsg());
	else
		ck_refused(rc, exponents[_i].want);
	EVP_PKEY_free(k);
	policy_free(p);
}
END_TEST

START_TEST(test_rsa_modulus)
{
	/* Sizes that are no multiple of 8 allowed, to reach the check. */
	struct policy *p = policy_of("[subscriber-key rsa]\ntype = rsa\n"
	    "min_bits = 2048\nmax_bits = 4096\nreference = r\n"
	    "[issuer-key ec-p256]\nreference = r\n"
	    "[signature ecdsa-sha256]\nkey = ec\nhash = sha256\n"
	    "reference = r\n");
	EVP_PKEY *k;

	k = rsa_pub(2, "10001");
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    "policy: RSA modulus is even");
	EVP_PKEY_free(k);
	/* Odd, but with a small factor (SP 800-89 5.3.3). */
	k = rsa_pub(3, "10001");
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    "policy: RSA modulus has a factor smaller than 752");
	EVP_PKEY_free(k);
	k = rsa_pub(751, "10001");
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    "policy: RSA modulus has a factor smaller than 752");
	EVP_PKEY_free(k);
	policy_free(p);
}
END_TEST

static const struct {
	const char *curve;
	const char *want;	/* NULL: accepted */
} curves[] = {
	{ "P-256", NULL },
	{ "P-384", NULL },
	{ "P-521", NULL },
	{ "brainpoolP256r1", NULL },
	{ "prime192v1", "policy: curve P-192 is not in the crypto policy" },
	{ "secp256k1", "policy: curve secp256k1 is not in the crypto policy" },
	{ "brainpoolP256t1", "policy: curve brainpoolP256t1 is not in" },
};

START_TEST(test_ec_curves)
{
	struct policy *p = shipped();
	EVP_PKEY *gen, *k;
	enum eseal_rc rc;

	ck_assert_ptr_nonnull(gen = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    curves[_i].curve));
	k = via_spki(gen);
	rc = policy_check_subscriber_key(p, k, tu_date(2026, 4, 1));
	if (curves[_i].want == NULL)
		ck_assert_msg(rc == ESEAL_OK, "%s: %s", curves[_i].curve,
		    eseal_errmsg());
	else
		ck_refused(rc, curves[_i].want);
	EVP_PKEY_free(k);
	EVP_PKEY_free(gen);
	policy_free(p);
}
END_TEST

START_TEST(test_ec_explicit_and_infinity)
{
	struct policy *p = shipped();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	unsigned char infinity = 0x00;
	OSSL_PARAM *params;
	EVP_PKEY *gen, *k = NULL;

	/* P-256 written with explicit parameters instead of its OID. */
	ck_assert_ptr_nonnull(gen = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-256"));
	ck_assert(EVP_PKEY_set_utf8_string_param(gen,
	    OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_EXPLICIT));
	k = via_spki(gen);
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    "policy: EC key with explicit curve parameters");
	EVP_PKEY_free(k);
	EVP_PKEY_free(gen);

	/* The point at infinity on P-256. */
	k = NULL;
	ck_assert(OSSL_PARAM_BLD_push_utf8_string(bld,
	    OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0));
	ck_assert(OSSL_PARAM_BLD_push_octet_string(bld,
	    OSSL_PKEY_PARAM_PUB_KEY, &infinity, 1));
	ck_assert_ptr_nonnull(params = OSSL_PARAM_BLD_to_param(bld));
	ck_assert_int_eq(EVP_PKEY_fromdata_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    "policy: EC public key is not a valid point on the curve P-256");
	EVP_PKEY_free(k);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	policy_free(p);
}
END_TEST

START_TEST(test_other_key_types)
{
	struct policy *p = shipped();
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k;

	ck_assert_ptr_nonnull(k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    "policy: key type ED25519 is not in the crypto policy");
	EVP_PKEY_free(k);
	/* An RSA-PSS key: the type is supported, but not shipped. */
	k = NULL;
	ck_assert_ptr_nonnull(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS",
	    NULL));
	ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	ck_assert_int_eq(EVP_PKEY_keygen(ctx, &k), 1);
	EVP_PKEY_CTX_free(ctx);
	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 4, 1)),
	    "policy: RSA-PSS key of 2048 bits is not in the crypto policy");
	EVP_PKEY_free(k);
	policy_free(p);
}
END_TEST

START_TEST(test_issuer_keys)
{
	struct policy *p = shipped();

	for (int t = 0; t < KEY_TYPE_MAX; t++)
		ck_assert_msg(policy_check_issuer_key(p, (enum key_type)t,
		    tu_date(2040, 1, 1)) == ESEAL_OK, "%s: %s",
		    key_type_name((enum key_type)t), eseal_errmsg());
	ck_assert_int_eq(policy_check_issuer_key(p, KEY_TYPE_MAX,
	    tu_date(2026, 4, 1)), ESEAL_EINVAL);
	policy_free(p);

	p = policy_of("[subscriber-key ec-p256]\ntype = ec\ncurve = P-256\n"
	    "reference = r\n"
	    "[issuer-key ec-p384]\nreference = r\n"
	    "[issuer-key rsa-3072]\nuntil = 2029-12-31\nreference = r3\n"
	    "[signature ecdsa-sha384]\nkey = ec\nhash = sha384\n"
	    "reference = r\n");
	ck_assert_int_eq(policy_check_issuer_key(p, KEY_EC_P384,
	    tu_date(2026, 4, 1)), ESEAL_OK);
	ck_assert_int_eq(policy_check_issuer_key(p, KEY_RSA_3072,
	    tu_date(2029, 12, 31)), ESEAL_OK);
	ck_refused(policy_check_issuer_key(p, KEY_RSA_3072, tu_date(2030, 1, 1)),
	    "policy: issuer-key rsa-3072 allowed until 2029-12-31 (r3): "
	    "refused at 2030-01-01");
	ck_refused(policy_check_issuer_key(p, KEY_EC_P256, tu_date(2026, 4, 1)),
	    "policy: issuer key ec-p256 is not in the crypto policy");
	policy_free(p);
}
END_TEST

static const struct {
	int pkey_type;
	int md_nid;
	const char *want;	/* NULL: allowed by the shipped policy */
} sigs[] = {
	{ EVP_PKEY_RSA, NID_sha256, NULL },
	{ EVP_PKEY_RSA, NID_sha384, NULL },
	{ EVP_PKEY_RSA, NID_sha512, NULL },
	{ EVP_PKEY_RSA_PSS, NID_sha256, NULL },
	{ EVP_PKEY_RSA_PSS, NID_sha384, NULL },
	{ EVP_PKEY_RSA_PSS, NID_sha512, NULL },
	{ EVP_PKEY_EC, NID_sha256, NULL },
	{ EVP_PKEY_EC, NID_sha384, NULL },
	{ EVP_PKEY_EC, NID_sha512, NULL },
	{ EVP_PKEY_RSA, NID_sha1,
	    "policy: signature RSA with SHA1 is not in the crypto policy" },
	{ EVP_PKEY_EC, NID_sha1, "policy: signature ECDSA with SHA1 is not" },
	{ EVP_PKEY_EC, NID_sha224, "policy: signature ECDSA with SHA224 is" },
	{ EVP_PKEY_EC, NID_sha3_256, "signature ECDSA with SHA3-256 is not" },
	{ EVP_PKEY_ED25519, NID_undef, "signature ED25519 with" },
	{ EVP_PKEY_DSA, NID_sha256, "signature DSA with SHA256 is not" },
};

START_TEST(test_signatures)
{
	struct policy *p = shipped();
	enum eseal_rc rc = policy_check_signature(p, sigs[_i].pkey_type,
	    sigs[_i].md_nid, tu_date(2040, 1, 1));

	if (sigs[_i].want == NULL)
		ck_assert_msg(rc == ESEAL_OK, "%d: %s", _i, eseal_errmsg());
	else
		ck_refused(rc, sigs[_i].want);
	policy_free(p);
}
END_TEST

/*
 * The designated-algorithm example of the shipped file, with its "#:"
 * taken off as the file says: it loads, and its from date holds.
 */
START_TEST(test_designated_example)
{
	char path[1024], *text, *out, *o, *path2;
	const char *s, *nl;
	struct policy *p;
	size_t len;
	int examples = 0;

	snprintf(path, sizeof(path), "%s/conf/crypto-policy.conf", top());
	ck_assert_ptr_nonnull(text = (char *)tu_read(path, &len));
	ck_assert_ptr_nonnull(out = o = malloc(len + 1));
	for (s = text; *s != '\0'; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s) - 1;
		if (strncmp(s, DESIGNATED, strlen(DESIGNATED)) == 0) {
			s += strlen(DESIGNATED);
			examples++;
		}
		memcpy(o, s, (size_t)(nl - s) + 1);
		o += nl - s + 1;
	}
	*o = '\0';
	ck_assert_int_ge(examples, 4);
	path2 = tu_write(tu_tmpdir(), "designated.conf", out, 0644);
	ck_assert_msg(policy_load(path2, &p) == ESEAL_OK, "%s", eseal_errmsg());
	ck_refused(policy_check_signature(p, EVP_PKEY_EC, NID_sha3_256,
	    tu_date(2028, 3, 31)), "policy: signature ecdsa-sha3-256 allowed "
	    "from 2028-04-01 (MIC Notice No.");
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "refused at 2028-03-31"));
	ck_assert_int_eq(policy_check_signature(p, EVP_PKEY_EC, NID_sha3_256,
	    tu_date(2028, 4, 1)), ESEAL_OK);
	/* Without the example it is refused at any time. */
	policy_free(p);
	p = shipped();
	ck_refused(policy_check_signature(p, EVP_PKEY_EC, NID_sha3_256,
	    tu_date(2028, 4, 1)), "is not in the crypto policy");
	policy_free(p);
	free(path2);
	free(out);
	free(text);
}
END_TEST

START_TEST(test_from_date)
{
	struct policy *p = policy_of(
	    "\xef\xbb\xbf  # BOM, indented comment, CRLF, inline comments\r\n"
	    "[subscriber-key ec-p384]  ; the only key\r\n"
	    "type = ec\r\n"
	    "curve = P-384 ; NIST\r\n"
	    "\t; an indented comment\r\n"
	    "from\t=\t2027-01-01\t\r\n"
	    "reference = r; with a semicolon\r\n"
	    "[issuer-key ec-p384]\r\nreference = r\r\n"
	    "[signature ecdsa-sha384]\r\nkey = ec\r\nhash = sha384\r\n"
	    "reference = r\r\n");
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	const struct policy_rule *r;

	ck_refused(policy_check_subscriber_key(p, k, tu_date(2026, 12, 31)),
	    "policy: subscriber-key ec-p384 allowed from 2027-01-01 "
	    "(r; with a semicolon): refused at 2026-12-31");
	ck_assert_int_eq(policy_check_subscriber_key(p, k, tu_date(2027, 1, 1)),
	    ESEAL_OK);
	ck_assert_int_eq(policy_check_subscriber_key(p, k, tu_date(2099, 1, 1)),
	    ESEAL_OK);
	ck_assert_ptr_nonnull(r = policy_rule_at(p, 0));
	ck_assert_int_eq(r->line, 2);
	ck_assert_int_eq(r->curve_nid, NID_secp384r1);
	EVP_PKEY_free(k);
	policy_free(p);
}
END_TEST

/*
 * Leading blanks once made an indented key a key of its own here, while
 * inih and Python's configparser read a continuation: now refused, as in
 * every INI file of the CA, and so are the blanks inih sees in FF and VT.
 */
static const struct {
	const char	*text;
	const char	*want;		/* after "path:" */
} indented[] = {
	{ "[issuer-key ec-p256]\n  reference = r\n", "2: [issuer-key ec-p256] "
	  "reference: indented line" },
	{ "[issuer-key ec-p256]\nreference = r\n\tuntil = 2030-01-01\n",
	  "3: [issuer-key ec-p256] until: indented line" },
	{ "[issuer-key ec-p256]\nreference = r\n\funtil = 2030-01-01\n",
	  "3: [issuer-key ec-p256] ?until: control character 0x0c" },
	{ "  [issuer-key ec-p256]\nreference = r\n", "1: [issuer-key "
	  "ec-p256]: indented line" },
};

START_TEST(test_indented)
{
	char *path = tu_write(tu_tmpdir(), "policy.conf", indented[_i].text,
	    0644);
	struct policy *p = NULL;

	ck_assert_int_eq(policy_load(path, &p), ESEAL_ECONF);
	ck_assert_ptr_null(p);
	ck_assert_msg(strncmp(eseal_errmsg(), path, strlen(path)) == 0 &&
	    eseal_errmsg()[strlen(path)] == ':' &&
	    strncmp(eseal_errmsg() + strlen(path) + 1, indented[_i].want,
	    strlen(indented[_i].want)) == 0, "\"%s\" lacks \"%s\"",
	    eseal_errmsg(), indented[_i].want);
	free(path);
}
END_TEST

START_TEST(test_rules)
{
	struct policy *p = shipped();
	const struct policy_rule *r, *rsa = NULL, *iss = NULL, *sig = NULL;
	size_t n = policy_nrules(p);

	ck_assert_int_ge(n, 20);
	ck_assert_ptr_null(policy_rule_at(p, n));
	for (size_t i = 0; i < n; i++) {
		r = policy_rule_at(p, i);
		ck_assert_msg(r->reference[0] != '\0', "%s", r->name);
		if (strcmp(r->name, "rsa-2048") == 0)
			rsa = r;
		if (strcmp(r->kind, "issuer-key") == 0 &&
		    strcmp(r->name, "ec-p256") == 0)
			iss = r;
		if (strcmp(r->name, "rsa-pss-sha384") == 0)
			sig = r;
	}
	ck_assert_ptr_nonnull(rsa);
	ck_assert_str_eq(rsa->kind, "subscriber-key");
	ck_assert_str_eq(rsa->type, "rsa");
	ck_assert_int_eq(rsa->min_bits, 2048);
	ck_assert_int_eq(rsa->max_bits, 2048);
	ck_assert(rsa->from == 0);
	ck_assert(rsa->until == tu_date(2030, 12, 31));
	ck_assert(policy_rule_allows(rsa, tu_date(2031, 1, 1) - 1));
	ck_assert(!policy_rule_allows(rsa, tu_date(2031, 1, 1)));
	ck_assert_ptr_nonnull(iss);
	ck_assert_str_eq(iss->type, "ec");
	ck_assert_int_eq(iss->curve_nid, NID_X9_62_prime256v1);
	ck_assert_ptr_nonnull(sig);
	ck_assert_str_eq(sig->kind, "signature");
	ck_assert_str_eq(sig->type, "rsa-pss");
	ck_assert_int_eq(sig->md_nid, NID_sha384);
	policy_free(p);
	policy_free(NULL);
}
END_TEST

static int
is_conf(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

/* Each bad file says on line 1 "# expect: " what follows its path. */
START_TEST(test_bad_files)
{
	char dir[1024], path[1280], want[512];
	struct dirent **ents;
	struct policy *p;
	FILE *f;
	int n;

	snprintf(dir, sizeof(dir), "%s/tests/data/policy/bad", top());
	ck_assert_int_ge(n = scandir(dir, &ents, is_conf, alphasort), 30);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		ck_assert_ptr_nonnull(f = fopen(path, "r"));
		ck_assert_ptr_nonnull(fgets(want, sizeof(want), f));
		fclose(f);
		want[strcspn(want, "\n")] = '\0';
		ck_assert_msg(strncmp(want, "# expect: ", 10) == 0,
		    "%s: line 1 is not \"# expect: ...\"", path);
		p = NULL;
		ck_assert_msg(policy_load(path, &p) == ESEAL_ECONF,
		    "%s: loaded", path);
		ck_assert_ptr_null(p);
		ck_assert_msg(strncmp(eseal_errmsg(), path, strlen(path)) == 0 &&
		    strncmp(eseal_errmsg() + strlen(path), want + 10,
		    strlen(want + 10)) == 0,
		    "%s: error \"%s\", want \"%s\"", ents[i]->d_name,
		    eseal_errmsg(), want + 10);
		free(ents[i]);
	}
	free(ents);
}
END_TEST

START_TEST(test_bad_io)
{
	const char *dir = tu_tmpdir();
	char path[512], *big;
	struct policy *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/nosuch.conf", dir);
	ck_assert_int_eq(policy_load(path, &p), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "cannot open"));
	ck_assert_int_eq(policy_load(dir, &p), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "not a regular file"));
	/* A NUL byte would cut a line short without a word. */
	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fwrite("[issuer-key ec-p256]\nreference = a\0b\n", 1, 37, f);
	fclose(f);
	ck_assert_int_eq(policy_load(path, &p), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "nul.conf:2: [issuer-key "
	    "ec-p256] reference: NUL byte in the line"));
	/* Too large. */
	ck_assert_ptr_nonnull(big = malloc(70 * 1024 + 1));
	memset(big, '#', 70 * 1024);
	big[70 * 1024] = '\0';
	free(tu_write(dir, "big.conf", big, 0644));
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	ck_assert_int_eq(policy_load(path, &p), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "larger than 65536 bytes"));
	free(big);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");
	SRunner *sr;
	int nf;

	/* Made once: forked tests inherit it. */
	if ((rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) ==
	    NULL)
		abort();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rsa2048_until_2030);
	tcase_add_test(tc, test_rsa_sizes);
	tcase_add_test(tc, test_rsa_exponent_3);
	tcase_add_loop_test(tc, test_rsa_exponent_rule, 0,
	    sizeof(exponents) / sizeof(exponents[0]));
	tcase_add_test(tc, test_rsa_modulus);
	tcase_add_loop_test(tc, test_ec_curves, 0,
	    sizeof(curves) / sizeof(curves[0]));
	tcase_add_test(tc, test_ec_explicit_and_infinity);
	tcase_add_test(tc, test_other_key_types);
	tcase_add_test(tc, test_issuer_keys);
	tcase_add_loop_test(tc, test_signatures, 0,
	    sizeof(sigs) / sizeof(sigs[0]));
	tcase_add_test(tc, test_designated_example);
	tcase_add_test(tc, test_from_date);
	tcase_add_loop_test(tc, test_indented, 0,
	    sizeof(indented) / sizeof(indented[0]));
	tcase_add_test(tc, test_rules);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_bad_io);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	EVP_PKEY_free(rsa2048);
	return nf == 0 ? 0 : 1;
}
