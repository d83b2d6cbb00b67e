/*
 * policy.c: reads the crypto policy into a list of rules (policy_check.c
 * checks keys and algorithms against them).  The file is INI, read by the
 * one INI reader (ini.h), which refuses every line inih would misread and,
 * for this file, a section given twice or without a key.  A table says
 * which keys each kind of section takes; anything else, a value out of
 * range or a missing key is an error naming file:line, the section and the
 * key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "date.h"
#include "ini.h"
#include "policy.h"
#include "policy_int.h"

#define POLICY_FILE_MAX		(64 * 1024) /* a real policy is a few KB */
#define POLICY_YEAR_MIN		2000	/* earlier is a typo; and 0 means unbounded */
#define POLICY_YEAR_MAX		9999	/* dates are YYYY-MM-DD */
#define POLICY_RSA_BITS_MIN	2048	/* Electronic Signature Act guideline floor */
#define POLICY_RSA_BITS_MAX	16384	/* OpenSSL's limit; larger is a DoS */
#define POLICY_EC_BITS_MIN	224	/* Electronic Signature Act guideline floor */
#define SECTION_SHOW		(POLICY_NAME_MAX + 16) /* "kind name" */
#define NEED_MAX		5	/* keys a rule needs (4), and F_MAX */

static const char *const kind_names[K_MAX] = {
	[K_SUBSCRIBER] = "subscriber-key",
	[K_ISSUER] = "issuer-key",
	[K_SIGNATURE] = "signature",
};

const struct policy_alg policy_algs[ALG_MAX] = {
	[ALG_RSA] = { "rsa", EVP_PKEY_RSA, "RSA" },
	[ALG_RSA_PSS] = { "rsa-pss", EVP_PKEY_RSA_PSS, "RSA-PSS" },
	[ALG_EC] = { "ec", EVP_PKEY_EC, "ECDSA" },
};

/* Hashes a signature rule may name: SHA-2 and SHA-3 (ETSI TS 119 312). */
static const struct {
	const char	*name;
	int		 nid;
} hashes[] = {
	{ "sha256", NID_sha256 },
	{ "sha384", NID_sha384 },
	{ "sha512", NID_sha512 },
	{ "sha3-256", NID_sha3_256 },
	{ "sha3-384", NID_sha3_384 },
	{ "sha3-512", NID_sha3_512 },
};
#define NHASHES	(sizeof(hashes) / sizeof(hashes[0]))

/* What each issuer key type of keytype.h is, for rules and reports. */
static const struct {
	enum alg	 alg;
	int		 bits;		/* RSA modulus */
	int		 curve_nid;
} issuer_keys[KEY_TYPE_MAX] = {
	[KEY_EC_P256] = { ALG_EC, 0, NID_X9_62_prime256v1 },
	[KEY_EC_P384] = { ALG_EC, 0, NID_secp384r1 },
	[KEY_RSA_3072] = { ALG_RSA, 3072, NID_undef },
	[KEY_RSA_4096] = { ALG_RSA, 4096, NID_undef },
};

#define IN(k)	(1u << (k))
#define ALL	(IN(K_SUBSCRIBER) | IN(K_ISSUER) | IN(K_SIGNATURE))

static const struct {
	const char	*name;
	unsigned	 kinds;		/* the sections it belongs in */
} fields[F_MAX] = {
	[F_TYPE] = { "type", IN(K_SUBSCRIBER) },
	[F_MIN_BITS] = { "min_bits", IN(K_SUBSCRIBER) },
	[F_MAX_BITS] = { "max_bits", IN(K_SUBSCRIBER) },
	[F_CURVE] = { "curve", IN(K_SUBSCRIBER) },
	[F_KEY] = { "key", IN(K_SIGNATURE) },
	[F_HASH] = { "hash", IN(K_SIGNATURE) },
	[F_FROM] = { "from", ALL },
	[F_UNTIL] = { "until", ALL },
	[F_REFERENCE] = { "reference", ALL },
};

struct parse_state {
	struct policy	*p;
	size_t		 cap;		/* of p->rules */
	struct ini_err	 err;		/* the first refusal */
};

static int
line_of(const struct rule *r, enum field f)
{
	return r->lines[f] != 0 ? r->lines[f] : r->pub.line;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > POLICY_NAME_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_'))
			return 0;
	return 1;
}

/* YYYY-MM-DD, a real day, POLICY_YEAR_MIN..MAX; *out is 00:00 UTC of it. */
static int
date_parse(const char *s, time_t *out)
{
	return date_parse_ymd(s, POLICY_YEAR_MIN, POLICY_YEAR_MAX, out);
}

/* "P-256", "prime256v1", "brainpoolP256r1", ...: a NID OpenSSL can use. */
static int
curve_parse(const char *s)
{
	EC_GROUP *g;
	int nid;

	if ((nid = EC_curve_nist2nid(s)) == NID_undef)
		nid = OBJ_sn2nid(s);
	if (nid == NID_undef || (g = EC_GROUP_new_by_curve_name(nid)) == NULL) {
		ERR_clear_error();
		return NID_undef;
	}
	EC_GROUP_free(g);
	return nid;
}

static int
curve_bits(int nid)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	int bits = g != NULL ? EC_GROUP_order_bits(g) : 0;

	EC_GROUP_free(g);
	return bits;
}

static int
alg_parse(const char *s)
{
	for (int i = 0; i < ALG_MAX; i++)
		if (strcmp(s, policy_algs[i].name) == 0)
			return i;
	return -1;
}

/* The kind of section "KIND NAME", and its name; refuses at the header. */
static int
section_kind(struct parse_state *st, const struct ini_key *k,
    const char **name)
{
	const char *sp = strchr(k->section, ' ');
	int kind = -1;

	for (int i = 0; sp != NULL && i < K_MAX; i++)
		if (strlen(kind_names[i]) == (size_t)(sp - k->section) &&
		    strncmp(k->section, kind_names[i],
		    (size_t)(sp - k->section)) == 0)
			kind = i;
	if (kind < 0) {
		ini_fail(&st->err, k->section_line, k->section, NULL, "a "
		    "section is [subscriber-key NAME], [issuer-key TYPE] or "
		    "[signature NAME]");
		return -1;
	}
	if (!valid_name(sp + 1)) {
		ini_fail(&st->err, k->section_line, k->section, NULL, "the "
		    "name must be 1 to %d characters of A-Z, a-z, 0-9, '-', "
		    "'.' and '_'", POLICY_NAME_MAX);
		return -1;
	}
	*name = sp + 1;
	return kind;
}

/*
 * Starts a rule for the section of k, its first key.  The reader has
 * refused a section given twice, so no two rules have a kind and name.
 */
static struct rule *
rule_begin(struct parse_state *st, const struct ini_key *k)
{
	const char *name;
	struct rule *r, *nr;
	int kind, t = -1;

	if ((kind = section_kind(st, k, &name)) < 0)
		return NULL;
	if (kind == K_ISSUER && (t = key_type_parse(name)) < 0) {
		ini_fail(&st->err, k->section_line, k->section, NULL, "\"%s\" "
		    "is not an issuer key type (ec-p256, ec-p384, rsa-3072, "
		    "rsa-4096)", name);
		return NULL;
	}
	if (st->p->n == POLICY_RULES_MAX) {
		ini_fail(&st->err, k->section_line, k->section, NULL, "more "
		    "than %d rules", POLICY_RULES_MAX);
		return NULL;
	}
	if (st->p->n == st->cap) {
		st->cap = st->cap != 0 ? st->cap * 2 : 16;
		nr = reallocarray(st->p->rules, st->cap, sizeof(*nr));
		if (nr == NULL) {
			ini_fail(&st->err, k->section_line, NULL, NULL, "out of "
			    "memory");
			st->err.rc = ESEAL_ENOMEM;
			return NULL;
		}
		st->p->rules = nr;
	}
	r = &st->p->rules[st->p->n++];
	memset(r, 0, sizeof(*r));
	r->kind = (enum kind)kind;
	r->alg = -1;
	r->pub.line = k->section_line;
	r->pub.curve_nid = NID_undef;
	r->pub.md_nid = NID_undef;
	strcpy(r->name, name);
	if (kind == K_ISSUER) {
		r->ktype = (enum key_type)t;
		r->alg = (int)issuer_keys[t].alg;
		r->pub.min_bits = r->pub.max_bits = issuer_keys[t].bits;
		r->pub.curve_nid = issuer_keys[t].curve_nid;
	}
	return r;
}

/* Reads value v into field f of r; on failure fills why. */
static int
set_field(struct rule *r, enum field f, const char *v, char *why, size_t sz)
{
	char *end;
	long l;
	int i;

	switch (f) {
	case F_TYPE:
	case F_KEY:
		if ((r->alg = alg_parse(v)) < 0) {
			snprintf(why, sz, "\"%s\" is not one of rsa, rsa-pss, ec",
			    v);
			return 0;
		}
		return 1;
	case F_MIN_BITS:
	case F_MAX_BITS:
		errno = 0;
		l = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 ||
		    l < POLICY_RSA_BITS_MIN || l > POLICY_RSA_BITS_MAX) {
			snprintf(why, sz, "\"%s\" is not an integer from %d to "
			    "%d", v, POLICY_RSA_BITS_MIN, POLICY_RSA_BITS_MAX);
			return 0;
		}
		*(f == F_MIN_BITS ? &r->pub.min_bits : &r->pub.max_bits) =
		    (int)l;
		return 1;
	case F_CURVE:
		if ((r->pub.curve_nid = curve_parse(v)) == NID_undef) {
			snprintf(why, sz, "\"%s\" is not a named curve this "
			    "OpenSSL knows (P-256, brainpoolP256r1, ...)", v);
			return 0;
		}
		if ((i = curve_bits(r->pub.curve_nid)) < POLICY_EC_BITS_MIN) {
			snprintf(why, sz, "\"%s\" has a %d-bit order; the "
			    "Electronic Signature Act guideline requires at "
			    "least %d bits", v, i, POLICY_EC_BITS_MIN);
			return 0;
		}
		return 1;
	case F_HASH:
		for (size_t h = 0; h < NHASHES; h++)
			if (strcmp(v, hashes[h].name) == 0) {
				r->pub.md_nid = hashes[h].nid;
				return 1;
			}
		snprintf(why, sz, "\"%s\" is not one of sha256, sha384, sha512, "
		    "sha3-256, sha3-384, sha3-512", v);
		return 0;
	case F_FROM:
	case F_UNTIL:
		if (!date_parse(v, f == F_FROM ? &r->pub.from : &r->pub.until)) {
			snprintf(why, sz, "\"%s\" is not a date YYYY-MM-DD from "
			    "%d to %d", v, POLICY_YEAR_MIN, POLICY_YEAR_MAX);
			return 0;
		}
		return 1;
	case F_REFERENCE:
		if (*v == '\0' || strlen(v) >= sizeof(r->reference)) {
			snprintf(why, sz, "must be 1 to %zu bytes",
			    sizeof(r->reference) - 1);
			return 0;
		}
		for (const char *c = v; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				snprintf(why, sz, "contains a control character");
				return 0;
			}
		strcpy(r->reference, v);
		return 1;
	case F_MAX:
		break;
	}
	snprintf(why, sz, "internal: unknown field");
	return 0;
}

static int
handler(void *user, const struct ini_key *k, struct ini_err *err)
{
	struct parse_state *st = user;
	struct rule *r;
	char why[256];
	int f;

	if (k->first && rule_begin(st, k) == NULL)
		return 0;
	r = &st->p->rules[st->p->n - 1];
	for (f = 0; f < F_MAX; f++)
		if (strcmp(k->name, fields[f].name) == 0 &&
		    (fields[f].kinds & IN(r->kind)) != 0)
			break;
	if (f == F_MAX)
		return ini_fail(err, k->line, k->section, k->name,
		    "unknown key");
	if (r->lines[f] != 0)
		return ini_fail(err, k->line, k->section, k->name, "given "
		    "twice (first at line %d)", r->lines[f]);
	r->lines[f] = k->line;
	if (!set_field(r, (enum field)f, k->value, why, sizeof(why)))
		return ini_fail(err, k->line, k->section, k->name, "%s", why);
	return 1;
}

/* The keys a rule of r's kind needs, F_MAX after the last. */
static void
needed(const struct rule *r, enum field need[NEED_MAX])
{
	size_t n = 0;

	switch (r->kind) {
	case K_SUBSCRIBER:
		need[n++] = F_TYPE;
		if (r->lines[F_TYPE] != 0 && (r->alg == ALG_RSA ||
		    r->alg == ALG_RSA_PSS)) {
			need[n++] = F_MIN_BITS;
			need[n++] = F_MAX_BITS;
		} else if (r->lines[F_TYPE] != 0)
			need[n++] = F_CURVE;
		break;
	case K_SIGNATURE:
		need[n++] = F_KEY;
		need[n++] = F_HASH;
		break;
	case K_ISSUER:
	case K_MAX:
		break;
	}
	need[n++] = F_REFERENCE;
	need[n] = F_MAX;
}

/* Checks what one key cannot: required keys, pairs, kinds of key. */
static int
rule_check(struct parse_state *st, const struct rule *r)
{
	char sect[SECTION_SHOW], d1[16], d2[16];
	enum field need[NEED_MAX];
	int rsa = r->alg == ALG_RSA || r->alg == ALG_RSA_PSS, mb;

	snprintf(sect, sizeof(sect), "%s %s", kind_names[r->kind], r->name);
	needed(r, need);
	for (size_t i = 0; need[i] != F_MAX; i++)
		if (r->lines[need[i]] == 0)
			return ini_fail(&st->err, r->pub.line, sect,
			    fields[need[i]].name, "required key missing");
	if (r->kind == K_SUBSCRIBER && rsa && r->lines[F_CURVE] != 0)
		return ini_fail(&st->err, r->lines[F_CURVE], sect, "curve",
		    "only for type ec");
	mb = r->lines[F_MIN_BITS] != 0 ? F_MIN_BITS : F_MAX_BITS;
	if (r->kind == K_SUBSCRIBER && !rsa && r->lines[mb] != 0)
		return ini_fail(&st->err, r->lines[mb], sect, fields[mb].name,
		    "only for type rsa or rsa-pss");
	if (r->pub.min_bits > r->pub.max_bits)
		return ini_fail(&st->err, line_of(r, F_MAX_BITS), sect,
		    "max_bits", "%d is less than min_bits %d",
		    r->pub.max_bits, r->pub.min_bits);
	if (r->pub.from != 0 && r->pub.until != 0 &&
	    r->pub.until < r->pub.from) {
		date_format_ymd(r->pub.until, d1, sizeof(d1));
		date_format_ymd(r->pub.from, d2, sizeof(d2));
		return ini_fail(&st->err, line_of(r, F_UNTIL), sect, "until",
		    "%s is before from %s", d1, d2);
	}
	return 1;
}

enum eseal_rc
policy_load(const char *path, struct policy **out)
{
	struct parse_state st;
	struct rule *r;
	enum eseal_rc rc;
	int seen[K_MAX] = { 0 };

	*out = NULL;
	memset(&st, 0, sizeof(st));
	if ((st.p = calloc(1, sizeof(*st.p))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "policy: out of memory");
	rc = ini_read(path, POLICY_FILE_MAX, INI_ONCE | INI_NONEMPTY, handler,
	    &st, &st.err);
	for (size_t i = 0; rc == ESEAL_OK && i < st.p->n; i++)
		if (!rule_check(&st, &st.p->rules[i]))
			rc = ini_report(path, &st.err);
	for (size_t i = 0; rc == ESEAL_OK && i < st.p->n; i++) {
		r = &st.p->rules[i];
		seen[r->kind] = 1;
		r->pub.name = r->name;
		r->pub.kind = kind_names[r->kind];
		r->pub.type = policy_algs[r->alg].name;
		r->pub.reference = r->reference;
	}
	for (int k = 0; rc == ESEAL_OK && k < K_MAX; k++)
		if (!seen[k]) {
			ini_fail(&st.err, 0, NULL, NULL, "no [%s NAME] "
			    "section: nothing of that kind would be allowed",
			    kind_names[k]);
			rc = ini_report(path, &st.err);
		}
	if (rc == ESEAL_OK) {
		*out = st.p;
		st.p = NULL;
	}
	policy_free(st.p);
	return rc;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->rules);
	free(p);
}

size_t
policy_nrules(const struct policy *p)
{
	return p->n;
}

const struct policy_rule *
policy_rule_at(const struct policy *p, size_t i)
{
	return i < p->n ? &p->rules[i].pub : NULL;
}

