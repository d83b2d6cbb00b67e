/*
 * policy.c: reads the crypto policy (INI, by inih) into a list of rules and
 * checks subscriber keys, issuer key types and issuer signature algorithms
 * against it at a given time.  A table says which keys each kind of section
 * takes; anything else, a value out of range or a missing key is an error
 * naming file:line, the section and the key.  The file is read into memory
 * first and handed to inih line by line, so that line numbers are exact,
 * over-long lines and NUL bytes are refused rather than split or cut, and
 * leading blanks never make a continuation line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "date.h"
#include "policy.h"

#define POLICY_FILE_MAX		(64 * 1024) /* a real policy is a few KB */
#define POLICY_YEAR_MIN		2000	/* earlier is a typo; and 0 means unbounded */
#define POLICY_YEAR_MAX		9999	/* dates are YYYY-MM-DD */
#define POLICY_RSA_BITS_MIN	2048	/* Electronic Signature Act guideline floor */
#define POLICY_RSA_BITS_MAX	16384	/* OpenSSL's limit; larger is a DoS */
#define POLICY_EC_BITS_MIN	224	/* Electronic Signature Act guideline floor */
#define RSA_E_MIN		65537	/* CA/B BR 6.1.6, NIST SP 800-89 5.3.3 */
#define RSA_E_MAX_BITS		256	/* e < 2^256, same references */
#define SECTION_MAX		49	/* inih cuts [section] names longer than this */
#define EC_NAME_MAX		64	/* longest curve name OpenSSL reports */
#define DATE_LEN		10	/* YYYY-MM-DD */
#define SECS_PER_DAY		86400

enum kind {
	K_SUBSCRIBER,		/* [subscriber-key NAME]: keys in CSRs */
	K_ISSUER,		/* [issuer-key TYPE]: keys the CA generates */
	K_SIGNATURE,		/* [signature NAME]: what issuers sign with */
	K_MAX
};

static const char *const kind_names[K_MAX] = {
	[K_SUBSCRIBER] = "subscriber-key",
	[K_ISSUER] = "issuer-key",
	[K_SIGNATURE] = "signature",
};

enum alg {
	ALG_RSA,		/* rsaEncryption key; PKCS#1 v1.5 signature */
	ALG_RSA_PSS,		/* id-RSASSA-PSS key; RSASSA-PSS signature */
	ALG_EC,			/* id-ecPublicKey; ECDSA */
	ALG_MAX
};

static const struct {
	const char	*name;		/* in the file */
	int		 pkey_type;	/* EVP_PKEY_* */
	const char	*label;		/* in messages */
} algs[ALG_MAX] = {
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

enum field {
	F_TYPE, F_MIN_BITS, F_MAX_BITS, F_CURVE, F_KEY, F_HASH,
	F_FROM, F_UNTIL, F_REFERENCE, F_MAX
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

struct rule {
	struct policy_rule pub;		/* what policy_rule_at() hands out */
	enum kind	 kind;
	int		 alg;		/* enum alg, -1 until given */
	enum key_type	 ktype;		/* issuer-key only */
	int		 lines[F_MAX];	/* where each key was given; 0 = not */
	char		 name[POLICY_NAME_MAX + 1];
	char		 reference[POLICY_REF_MAX];
};

struct policy {
	struct rule	*rules;
	size_t		 n;
};

struct parse_state {
	struct policy	*p;
	size_t		 cap;		/* of p->rules */
	char		*buf;		/* the whole file */
	size_t		 len, pos;
	int		 lineno;	/* of the line last handed to inih */
	int		 hdr_line;	/* of the last [header]; 0 = none yet */
	int		 hdr_keys;	/* keys seen since that header */
	int		 new_section;	/* the next key starts a rule */
	char		 hdr[SECTION_MAX + 1];
	int		 failed;	/* line of the first refusal; 0 = none */
	int		 handler_line;	/* line where the handler said no */
	int		 nomem;
	char		 msg[512];	/* the refusal, without "path:line: " */
};

static int	refuse(struct parse_state *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Records the first refusal only; returns 0 for the handler. */
static int
refuse(struct parse_state *st, int line, const char *fmt, ...)
{
	va_list ap;

	if (st->failed)
		return 0;
	st->failed = line > 0 ? line : 1;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	return 0;
}

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

static void
date_fmt(time_t t, char *buf, size_t sz)
{
	(void)date_format_ymd(t, buf, sz);
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

/* "P-256" for NIST curves, else OpenSSL's short name. */
static const char *
curve_name(int nid)
{
	const char *s;

	if ((s = EC_curve_nid2nist(nid)) == NULL &&
	    (s = OBJ_nid2sn(nid)) == NULL)
		s = "unknown";
	return s;
}

static int
alg_parse(const char *s)
{
	for (int i = 0; i < ALG_MAX; i++)
		if (strcmp(s, algs[i].name) == 0)
			return i;
	return -1;
}

/* Starts a rule for section "KIND NAME" (st->hdr_line). */
static struct rule *
rule_begin(struct parse_state *st, const char *section)
{
	const char *sp = strchr(section, ' ');
	struct rule *r, *nr;
	int kind = -1, t = -1;

	for (int k = 0; sp != NULL && k < K_MAX; k++)
		if (strlen(kind_names[k]) == (size_t)(sp - section) &&
		    strncmp(section, kind_names[k], (size_t)(sp - section)) == 0)
			kind = k;
	if (kind < 0) {
		refuse(st, st->hdr_line, "[%.64s]: a section is [subscriber-key "
		    "NAME], [issuer-key TYPE] or [signature NAME]", section);
		return NULL;
	}
	if (!valid_name(sp + 1)) {
		refuse(st, st->hdr_line, "[%.64s]: the name must be 1 to %d "
		    "characters of A-Z, a-z, 0-9, '-', '.' and '_'", section,
		    POLICY_NAME_MAX);
		return NULL;
	}
	if (kind == K_ISSUER && (t = key_type_parse(sp + 1)) < 0) {
		refuse(st, st->hdr_line, "[%.64s]: \"%s\" is not an issuer key "
		    "type (ec-p256, ec-p384, rsa-3072, rsa-4096)", section,
		    sp + 1);
		return NULL;
	}
	for (size_t i = 0; i < st->p->n; i++) {
		r = &st->p->rules[i];
		if ((int)r->kind == kind && strcmp(r->name, sp + 1) == 0) {
			refuse(st, st->hdr_line, "[%.64s]: given twice (first "
			    "at line %d)", section, r->pub.line);
			return NULL;
		}
	}
	if (st->p->n == POLICY_RULES_MAX) {
		refuse(st, st->hdr_line, "[%.64s]: more than %d rules", section,
		    POLICY_RULES_MAX);
		return NULL;
	}
	if (st->p->n == st->cap) {
		st->cap = st->cap != 0 ? st->cap * 2 : 16;
		nr = reallocarray(st->p->rules, st->cap, sizeof(*nr));
		if (nr == NULL) {
			st->nomem = 1;
			refuse(st, st->hdr_line, "out of memory");
			return NULL;
		}
		st->p->rules = nr;
	}
	r = &st->p->rules[st->p->n++];
	memset(r, 0, sizeof(*r));
	r->kind = (enum kind)kind;
	r->alg = -1;
	r->pub.line = st->hdr_line;
	r->pub.curve_nid = NID_undef;
	r->pub.md_nid = NID_undef;
	strcpy(r->name, sp + 1);
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
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	struct rule *r;
	char why[256];
	int f;

	if (st->failed)
		return 0;
	/* inih reports this line as failed whenever we return 0 from here. */
	st->handler_line = st->lineno;
	if (st->hdr_line == 0)
		return refuse(st, st->lineno, "%.64s: key outside a section",
		    name);
	st->hdr_keys++;
	if (st->new_section) {
		st->new_section = 0;
		if (rule_begin(st, section) == NULL)
			return 0;
	}
	r = &st->p->rules[st->p->n - 1];
	for (f = 0; f < F_MAX; f++)
		if (strcmp(name, fields[f].name) == 0 &&
		    (fields[f].kinds & IN(r->kind)) != 0)
			break;
	if (f == F_MAX)
		return refuse(st, st->lineno, "[%s %s] %.64s: unknown key",
		    kind_names[r->kind], r->name, name);
	if (r->lines[f] != 0)
		return refuse(st, st->lineno, "[%s %s] %s: given twice (first "
		    "at line %d)", kind_names[r->kind], r->name, name,
		    r->lines[f]);
	r->lines[f] = st->lineno;
	if (!set_field(r, (enum field)f, value, why, sizeof(why)))
		return refuse(st, st->lineno, "[%s %s] %s: %s",
		    kind_names[r->kind], r->name, name, why);
	return 1;
}

/* At a new header or the end: the previous section must have had keys. */
static int
end_section(struct parse_state *st)
{
	if (st->hdr_line != 0 && st->hdr_keys == 0)
		return refuse(st, st->hdr_line, "[%s]: empty section (every "
		    "rule needs at least a reference)", st->hdr);
	return 1;
}

/* The ini_reader: one line of st->buf per call, leading blanks dropped. */
static char *
reader(char *buf, int num, void *user)
{
	struct parse_state *st = user;
	const char *s, *nl, *e;
	size_t len;

	if (st->failed)
		return NULL;
	if (st->pos == st->len) {
		end_section(st);
		st->hdr_line = 0;
		return NULL;
	}
	s = st->buf + st->pos;
	nl = memchr(s, '\n', st->len - st->pos);
	len = nl != NULL ? (size_t)(nl - s) + 1 : st->len - st->pos;
	st->pos += len;
	st->lineno++;
	if (len > (size_t)num - 1) {
		refuse(st, st->lineno, "line longer than %d bytes", num - 2);
		return NULL;
	}
	if (st->lineno == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		len -= 3;
	}
	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\f' || *s == '\v')) {
		s++;
		len--;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '[') {
		if (!end_section(st))
			return NULL;
		if ((e = strchr(buf, ']')) == NULL)
			e = buf + strcspn(buf, "\r\n");
		if (e - buf - 1 > SECTION_MAX) {
			refuse(st, st->lineno, "section header longer than %d "
			    "characters", SECTION_MAX);
			return NULL;
		}
		memcpy(st->hdr, buf + 1, (size_t)(e - buf - 1));
		st->hdr[e - buf - 1] = '\0';
		st->hdr_line = st->lineno;
		st->hdr_keys = 0;
		st->new_section = 1;
	}
	return buf;
}

/* Checks what one key cannot: required keys, pairs, kinds of key. */
static int
rule_check(struct parse_state *st, const struct rule *r)
{
	const char *k = kind_names[r->kind], *n = r->name;
	char d1[16], d2[16];
	enum field need[4];
	size_t nneed = 0;
	int rsa = r->alg == ALG_RSA || r->alg == ALG_RSA_PSS;

	switch (r->kind) {
	case K_SUBSCRIBER:
		need[nneed++] = F_TYPE;
		if (r->lines[F_TYPE] != 0 && rsa) {
			need[nneed++] = F_MIN_BITS;
			need[nneed++] = F_MAX_BITS;
		} else if (r->lines[F_TYPE] != 0)
			need[nneed++] = F_CURVE;
		break;
	case K_SIGNATURE:
		need[nneed++] = F_KEY;
		need[nneed++] = F_HASH;
		break;
	case K_ISSUER:
	case K_MAX:
		break;
	}
	need[nneed++] = F_REFERENCE;
	for (size_t i = 0; i < nneed; i++)
		if (r->lines[need[i]] == 0)
			return refuse(st, r->pub.line, "[%s %s] %s: required key "
			    "missing", k, n, fields[need[i]].name);
	if (r->kind == K_SUBSCRIBER && rsa && r->lines[F_CURVE] != 0)
		return refuse(st, r->lines[F_CURVE], "[%s %s] curve: only for "
		    "type ec", k, n);
	if (r->kind == K_SUBSCRIBER && !rsa &&
	    (r->lines[F_MIN_BITS] != 0 || r->lines[F_MAX_BITS] != 0))
		return refuse(st, r->lines[F_MIN_BITS] != 0 ?
		    r->lines[F_MIN_BITS] : r->lines[F_MAX_BITS], "[%s %s] %s: "
		    "only for type rsa or rsa-pss", k, n,
		    r->lines[F_MIN_BITS] != 0 ? "min_bits" : "max_bits");
	if (r->pub.min_bits > r->pub.max_bits)
		return refuse(st, line_of(r, F_MAX_BITS), "[%s %s] max_bits: "
		    "%d is less than min_bits %d", k, n, r->pub.max_bits,
		    r->pub.min_bits);
	if (r->pub.from != 0 && r->pub.until != 0 &&
	    r->pub.until < r->pub.from) {
		date_fmt(r->pub.until, d1, sizeof(d1));
		date_fmt(r->pub.from, d2, sizeof(d2));
		return refuse(st, line_of(r, F_UNTIL), "[%s %s] until: %s is "
		    "before from %s", k, n, d1, d2);
	}
	return 1;
}

static enum eseal_rc
read_file(const char *path, char **out, size_t *len)
{
	struct stat sb;
	char *b = NULL;
	enum eseal_rc rc;
	ssize_t n;
	size_t got = 0;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return eseal_err(ESEAL_ECONF, "%s: cannot open: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		rc = eseal_err(ESEAL_ECONF, "%s: not a regular file", path);
		goto out;
	}
	if (sb.st_size > POLICY_FILE_MAX) {
		rc = eseal_err(ESEAL_ECONF, "%s: larger than %d bytes", path,
		    POLICY_FILE_MAX);
		goto out;
	}
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "policy: out of memory");
		goto out;
	}
	while (got < (size_t)sb.st_size &&
	    (n = read(fd, b + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	if (got != (size_t)sb.st_size) {
		rc = eseal_err(ESEAL_ECONF, "%s: short read", path);
		goto out;
	}
	b[got] = '\0';
	if (memchr(b, '\0', got) != NULL) {
		rc = eseal_err(ESEAL_ECONF, "%s: contains a NUL byte", path);
		goto out;
	}
	*out = b;
	*len = got;
	b = NULL;
	rc = ESEAL_OK;
out:
	close(fd);
	free(b);
	return rc;
}

enum eseal_rc
policy_load(const char *path, struct policy **out)
{
	struct parse_state st;
	struct policy *p = NULL;
	struct rule *r;
	enum eseal_rc rc;
	int line, seen[K_MAX] = { 0 };

	*out = NULL;
	memset(&st, 0, sizeof(st));
	if ((rc = read_file(path, &st.buf, &st.len)) != ESEAL_OK)
		goto out;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "policy: out of memory");
		goto out;
	}
	st.p = p;
	line = ini_parse_stream(reader, &st, handler, &st);
	if (line < 0 || st.nomem) {
		rc = eseal_err(ESEAL_ENOMEM, "policy: out of memory");
		goto out;
	}
	/* inih's own error (not one of ours) at an earlier line wins. */
	if (line > 0 && line != st.handler_line &&
	    (st.failed == 0 || line <= st.failed)) {
		rc = eseal_err(ESEAL_ECONF, "%s:%d: syntax error (expected "
		    "[kind name], key = value or a # comment)", path, line);
		goto out;
	}
	for (size_t i = 0; i < p->n && !st.failed; i++)
		rule_check(&st, &p->rules[i]);
	if (st.failed) {
		rc = eseal_err(ESEAL_ECONF, "%s:%d: %s", path, st.failed,
		    st.msg);
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		r = &p->rules[i];
		seen[r->kind] = 1;
		r->pub.name = r->name;
		r->pub.kind = kind_names[r->kind];
		r->pub.type = algs[r->alg].name;
		r->pub.reference = r->reference;
	}
	for (int k = 0; k < K_MAX; k++)
		if (!seen[k]) {
			rc = eseal_err(ESEAL_ECONF, "%s: no [%s NAME] section: "
			    "nothing of that kind would be allowed", path,
			    kind_names[k]);
			goto out;
		}
	*out = p;
	p = NULL;
	rc = ESEAL_OK;
out:
	free(st.buf);
	policy_free(p);
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

int
policy_rule_allows(const struct policy_rule *r, time_t now)
{
	if (r->from != 0 && now < r->from)
		return 0;
	if (r->until != 0 && now >= r->until + SECS_PER_DAY)
		return 0;
	return 1;
}

/* What a check looks for among the rules. */
struct want {
	enum kind	 kind;
	int		 alg;
	int		 bits;
	int		 curve_nid;
	int		 md_nid;
	enum key_type	 ktype;
};

static int
rule_matches(const struct rule *r, const struct want *w)
{
	if (r->kind != w->kind)
		return 0;
	switch (r->kind) {
	case K_SUBSCRIBER:
		if (r->alg != w->alg)
			return 0;
		if (r->alg == ALG_EC)
			return r->pub.curve_nid == w->curve_nid;
		return w->bits >= r->pub.min_bits && w->bits <= r->pub.max_bits;
	case K_ISSUER:
		return r->ktype == w->ktype;
	case K_SIGNATURE:
		return r->alg == w->alg && r->pub.md_nid == w->md_nid;
	case K_MAX:
		break;
	}
	return 0;
}

/* OK if a matching rule allows now; else names the first match, or what. */
static enum eseal_rc
check(const struct policy *p, const struct want *w, time_t now,
    const char *what)
{
	const struct rule *first = NULL;
	char day[16], lim[16];

	for (size_t i = 0; i < p->n; i++) {
		if (!rule_matches(&p->rules[i], w))
			continue;
		if (policy_rule_allows(&p->rules[i].pub, now))
			return ESEAL_OK;
		if (first == NULL)
			first = &p->rules[i];
	}
	if (first == NULL)
		return eseal_err(ESEAL_EPOLICY, "policy: %s is not in the "
		    "crypto policy", what);
	date_fmt(now, day, sizeof(day));
	if (first->pub.from != 0 && now < first->pub.from) {
		date_fmt(first->pub.from, lim, sizeof(lim));
		return eseal_err(ESEAL_EPOLICY, "policy: %s %s allowed from %s "
		    "(%s): refused at %s", first->pub.kind, first->name, lim,
		    first->reference, day);
	}
	date_fmt(first->pub.until, lim, sizeof(lim));
	return eseal_err(ESEAL_EPOLICY, "policy: %s %s allowed until %s (%s): "
	    "refused at %s", first->pub.kind, first->name, lim,
	    first->reference, day);
}

/* Public-key validation by OpenSSL: 1 if it passes. */
static int
public_check(EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* The cheap part of CA/B BR 6.1.6 / NIST SP 800-89 5.3.3; *bits = |n|. */
static enum eseal_rc
check_rsa(EVP_PKEY *key, int *bits)
{
	BIGNUM *n = NULL, *e = NULL;
	char ebuf[32];
	enum eseal_rc rc;
	int ebits;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
		ERR_clear_error();
		rc = eseal_err(ESEAL_EINTERNAL, "policy: cannot read the RSA "
		    "public key");
		goto out;
	}
	ebits = BN_num_bits(e);
	if (!BN_is_odd(e) || ebits > RSA_E_MAX_BITS ||
	    (ebits <= 17 && BN_get_word(e) < RSA_E_MIN)) {
		if (ebits <= 32)
			snprintf(ebuf, sizeof(ebuf), "%lu",
			    (unsigned long)BN_get_word(e));
		else
			snprintf(ebuf, sizeof(ebuf), "of %d bits", ebits);
		rc = eseal_err(ESEAL_EPOLICY, "policy: RSA public exponent %s: "
		    "must be odd, at least %d and less than 2^%d (CA/B BR "
		    "6.1.6, NIST SP 800-89 5.3.3)", ebuf, RSA_E_MIN,
		    RSA_E_MAX_BITS);
		goto out;
	}
	*bits = BN_num_bits(n);
	if (!BN_is_odd(n)) {
		rc = eseal_err(ESEAL_EPOLICY, "policy: RSA modulus is even "
		    "(CA/B BR 6.1.6)");
		goto out;
	}
	rc = ESEAL_OK;
out:
	BN_free(n);
	BN_free(e);
	return rc;
}

/* A named curve (RFC 5480 2.1.1); what names it. */
static enum eseal_rc
check_ec(EVP_PKEY *key, int *nid, char *what, size_t sz)
{
	char enc[32], group[EC_NAME_MAX];

	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING,
	    enc, sizeof(enc), NULL) ||
	    strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0 ||
	    !EVP_PKEY_get_group_name(key, group, sizeof(group), NULL)) {
		ERR_clear_error();
		return eseal_err(ESEAL_EPOLICY, "policy: EC key with explicit "
		    "curve parameters: only named curves are allowed (RFC 5480 "
		    "2.1.1)");
	}
	if ((*nid = EC_curve_nist2nid(group)) == NID_undef)
		*nid = OBJ_sn2nid(group);
	snprintf(what, sz, "curve %s",
	    *nid != NID_undef ? curve_name(*nid) : group);
	return ESEAL_OK;
}

enum eseal_rc
policy_check_subscriber_key(const struct policy *p, EVP_PKEY *key,
    time_t now)
{
	struct want w;
	const char *tn;
	char what[128];
	enum eseal_rc rc;

	memset(&w, 0, sizeof(w));
	w.kind = K_SUBSCRIBER;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		w.alg = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? ALG_RSA :
		    ALG_RSA_PSS;
		if ((rc = check_rsa(key, &w.bits)) != ESEAL_OK)
			return rc;
		snprintf(what, sizeof(what), "%s key of %d bits",
		    algs[w.alg].label, w.bits);
		break;
	case EVP_PKEY_EC:
		w.alg = ALG_EC;
		if ((rc = check_ec(key, &w.curve_nid, what, sizeof(what))) !=
		    ESEAL_OK)
			return rc;
		break;
	default:
		tn = EVP_PKEY_get0_type_name(key);
		return eseal_err(ESEAL_EPOLICY, "policy: key type %s is not in "
		    "the crypto policy", tn != NULL ? tn : "unknown");
	}
	if ((rc = check(p, &w, now, what)) != ESEAL_OK)
		return rc;
	/* Last, as it costs a modular exponentiation: only allowed sizes. */
	if (public_check(key))
		return ESEAL_OK;
	if (w.alg == ALG_EC)
		return eseal_err(ESEAL_EPOLICY, "policy: EC public key is not a "
		    "valid point on the %s (SP 800-56A 5.6.2.3.3)", what);
	return eseal_err(ESEAL_EPOLICY, "policy: RSA modulus has a factor "
	    "smaller than 752 or is a prime power (CA/B BR 6.1.6, NIST SP "
	    "800-89 5.3.3)");
}

enum eseal_rc
policy_check_issuer_key(const struct policy *p, enum key_type t, time_t now)
{
	struct want w;
	char what[64];

	if ((int)t < 0 || t >= KEY_TYPE_MAX)
		return eseal_err(ESEAL_EINVAL, "policy: issuer key type %d does "
		    "not exist", (int)t);
	memset(&w, 0, sizeof(w));
	w.kind = K_ISSUER;
	w.ktype = t;
	snprintf(what, sizeof(what), "issuer key %s", key_type_name(t));
	return check(p, &w, now, what);
}

enum eseal_rc
policy_check_signature(const struct policy *p, int pkey_type, int md_nid,
    time_t now)
{
	struct want w;
	const char *pn, *mn;
	char what[128];
	int a;

	for (a = 0; a < ALG_MAX; a++)
		if (algs[a].pkey_type == pkey_type)
			break;
	pn = a < ALG_MAX ? algs[a].label : OBJ_nid2sn(pkey_type);
	mn = OBJ_nid2sn(md_nid);
	snprintf(what, sizeof(what), "signature %s with %s",
	    pn != NULL ? pn : "unknown", mn != NULL ? mn : "unknown hash");
	if (a == ALG_MAX)
		return eseal_err(ESEAL_EPOLICY, "policy: %s is not in the "
		    "crypto policy", what);
	memset(&w, 0, sizeof(w));
	w.kind = K_SIGNATURE;
	w.alg = a;
	w.md_nid = md_nid;
	return check(p, &w, now, what);
}
