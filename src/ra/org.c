/*
 * org.c: vetted organisations, the one-time enrolment codes the RA hands
 * them (and what a refused submission costs a code), and their
 * acknowledgements of the important-matters disclosure.  Input is checked
 * here; the SQL is in store_enrol.c; each change and its audit record are
 * one transaction.  Enrolment requests are enrol.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "audit.h"
#include "disclosure.h"
#include "org.h"
#include "org_int.h"
#include "store_enrol.h"

#define CODE_RAW_LEN	15	/* random bytes in a code: 120 bits */
#define HASH_LEN	ORG_HASH_LEN

#define R_POINT1	"org: panel point 1: "
#define R_SUBJECT	"org: EN 319 412-3 4.2.1: "
#define R_ORGID		"org: EN 319 412-1 5.1.4: "

/* The store's buffers are the ones of this header. */
_Static_assert(STORE_ORG_NAME_MAX == PROFILE_ATTR_MAX, "name size");
_Static_assert(STORE_ORGID_MAX == ORGID_MAX, "identifier size");
_Static_assert(STORE_TEXT_MAX == ORG_TEXT_MAX, "text size");
_Static_assert(STORE_ACTOR_NAME_MAX == ORG_ACTOR_MAX, "actor size");
_Static_assert(STORE_ADDR_MAX == ORG_ADDR_MAX, "address size");
_Static_assert(STORE_VERSION_MAX == DISCLOSURE_VERSION_MAX, "version size");
_Static_assert(ORG_CODE_LEN == CODE_RAW_LEN * 8 / 5, "base32 length");

/* --- checking input --------------------------------------------------- */

/*
 * field: one line of UTF-8, shorter than size bytes and at most maxchars
 * characters (0: no character limit); required or "" allowed.  what names
 * the module, the rule and the field: "org: panel point 1: the signer name".
 */
enum eseal_rc
org_check_line(const char *what, const char *s, size_t size, size_t maxchars,
    int required)
{
	size_t len, nchars;

	if (s == NULL || s[0] == '\0')
		return required ? eseal_err(ESEAL_EINVAL, "%s is required",
		    what) : ESEAL_OK;
	if ((len = strnlen(s, size)) == size)
		return eseal_err(ESEAL_EINVAL, "%s is longer than %zu bytes",
		    what, size - 1);
	if (!valid_utf8(s, len, 0, &nchars))
		return eseal_err(ESEAL_EINVAL, "%s is not one line of UTF-8 "
		    "text without control characters (RFC 3629)", what);
	if (maxchars > 0 && nchars > maxchars)
		return eseal_err(ESEAL_EINVAL, "%s is %zu characters, more "
		    "than %zu", what, nchars, maxchars);
	return ESEAL_OK;
}

enum eseal_rc
org_check_actor(const char *mod, const char *actor)
{
	char what[64];

	snprintf(what, sizeof(what), "%s: panel point 3: the actor of the "
	    "audit record", mod);
	return org_check_line(what, actor, ORG_ACTOR_MAX, 0, 1);
}

/* A client address as the front end reports it: printable ASCII. */
enum eseal_rc
org_check_addr(const char *mod, const char *a)
{
	size_t len;

	if (a == NULL)
		return ESEAL_OK;
	if ((len = strnlen(a, ORG_ADDR_MAX)) == ORG_ADDR_MAX)
		return eseal_err(ESEAL_EINVAL, "%s: panel point 3: the client "
		    "address is longer than %d bytes", mod, ORG_ADDR_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (a[i] <= ' ' || a[i] > '~')
			return eseal_err(ESEAL_EINVAL, "%s: panel point 3: the "
			    "client address is not printable ASCII", mod);
	return ESEAL_OK;
}
/* --- secrets ---------------------------------------------------------- */

int
org_sha256(const void *buf, size_t len, unsigned char out[HASH_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) &&
	    n == HASH_LEN;
}

/* RFC 4648 6: n (a multiple of 5) bytes to 8n/5 characters and a NUL. */
static void
base32(const unsigned char *b, size_t n, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t o = 0;

	for (size_t i = 0; i + 5 <= n; i += 5) {
		uint64_t v = 0;

		for (int j = 0; j < 5; j++)
			v = v << 8 | b[i + j];
		for (int j = 7; j >= 0; j--)
			out[o++] = alphabet[(v >> (5 * j)) & 0x1f];
	}
	out[o] = '\0';
}

/*
 * The canonical form of a code as typed: '-' dropped, letters upper-cased;
 * 1 if what remains is ORG_CODE_LEN characters of the base32 alphabet.
 */
static int
code_canon(const char *in, char out[ORG_CODE_LEN + 1])
{
	size_t len, n = 0;

	out[0] = '\0';
	if (in == NULL || (len = strnlen(in, ORG_CODE_INPUT_MAX + 1)) >
	    ORG_CODE_INPUT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) ||
		    n == ORG_CODE_LEN)
			return 0;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == ORG_CODE_LEN;
}

/* SHA-256 of a code's canonical form; 0 if it is no code. */
int
org_code_hash(const char *code, unsigned char out[HASH_LEN])
{
	char canon[ORG_CODE_LEN + 1];
	int ok;

	ok = code_canon(code, canon) && org_sha256(canon, ORG_CODE_LEN, out);
	OPENSSL_cleanse(canon, sizeof(canon));
	return ok;
}


/*
 * Finds the code and says whether it may be used at now: EAUTH alike for
 * malformed, unknown, used and expired, ETOOMANY for locked.
 */
enum eseal_rc
org_code_lookup(struct store *s, const char *code, int64_t now,
    unsigned char hash[HASH_LEN], struct store_code *c)
{
	enum eseal_rc rc;

	memset(c, 0, sizeof(*c));
	if (!org_code_hash(code, hash))
		return eseal_err(ESEAL_EAUTH, ORG_MSG_BADCODE);
	if ((rc = store_code_get(s, hash, c)) == ESEAL_ENOTFOUND)
		return eseal_err(ESEAL_EAUTH, ORG_MSG_BADCODE);
	if (rc != ESEAL_OK)
		return rc;
	if (c->used_at != 0 || now >= c->expires)
		return eseal_err(ESEAL_EAUTH, ORG_MSG_BADCODE);
	if (c->attempts_left <= 0)
		return eseal_err(ESEAL_ETOOMANY, "org: SP 800-63B 5.2.2: this "
		    "enrolment code is locked after %d refused submissions: "
		    "ask the RA for a new one", ORG_CODE_ATTEMPTS);
	return ESEAL_OK;
}

/* --- organisations ---------------------------------------------------- */

static int
is_country(const char *c)
{
	return strnlen(c, 3) == 2 && c[0] >= 'A' && c[0] <= 'Z' &&
	    c[1] >= 'A' && c[1] <= 'Z';
}

/* Fills rec->identifier from the corporate number or checks the one given. */
static enum eseal_rc
org_identifier(struct org_rec *rec)
{
	struct orgid id;
	enum eseal_rc rc;

	if (strcmp(rec->country, "JP") == 0) {
		if ((rc = orgid_from_jp_corporate_number(rec->corporate_number,
		    &id)) != ESEAL_OK)
			return rc;
		if (rec->identifier[0] != '\0' &&
		    strcmp(rec->identifier, id.text) != 0)
			return eseal_err(ESEAL_EINVAL, R_ORGID "a Japanese "
			    "corporation's organizationIdentifier is NTRJP- "
			    "and its corporate number (%s)", id.text);
		memcpy(rec->identifier, id.text, sizeof(rec->identifier));
		return ESEAL_OK;
	}
	if (rec->corporate_number[0] != '\0')
		return eseal_err(ESEAL_EINVAL, R_ORGID "a corporate number "
		    "(法人番号) is for Japanese corporations (country JP) only");
	if (strnlen(rec->identifier, sizeof(rec->identifier)) ==
	    sizeof(rec->identifier))
		return eseal_err(ESEAL_EINVAL, R_ORGID "identifier longer than "
		    "%d characters", ORGID_MAX - 1);
	if (rec->identifier[0] == '\0')
		return eseal_err(ESEAL_EINVAL, R_ORGID "an organisation "
		    "outside Japan needs an explicit organizationIdentifier");
	if ((rc = orgid_parse(rec->identifier, &id)) != ESEAL_OK)
		return rc;
	if (id.scheme != ORGID_LEI && strcmp(id.country, rec->country) != 0)
		return eseal_err(ESEAL_EINVAL, R_ORGID "the identifier's "
		    "country %s is not the organisation's country %s",
		    id.country, rec->country);
	return ESEAL_OK;
}

static enum eseal_rc
org_check(struct org_rec *rec)
{
	enum eseal_rc rc;

	if ((rc = org_check_line(R_SUBJECT "ub-organization-name (X.520): the "
	    "organisation name", rec->name, sizeof(rec->name),
	    ORG_NAME_CHARS, 1)) != ESEAL_OK ||
	    (rc = org_check_line("org: ub-organization-name (X.520): the "
	    "English name", rec->english_name,
	    sizeof(rec->english_name), ORG_NAME_CHARS, 0)) != ESEAL_OK ||
	    (rc = org_check_line("org: EN 319 411-1 6.2.2: the vetting "
	    "evidence reference", rec->evidence,
	    sizeof(rec->evidence), 0, 1)) != ESEAL_OK)
		return rc;
	if (!is_country(rec->country))
		return eseal_err(ESEAL_EINVAL, "org: EN 319 412-3 4.2.1, ISO "
		    "3166-1 alpha-2: the country is two letters A-Z");
	if (strnlen(rec->corporate_number, sizeof(rec->corporate_number)) ==
	    sizeof(rec->corporate_number))
		return eseal_err(ESEAL_EINVAL, "orgid: corporate number (MoF "
		    "ordinance): longer than 13 characters");
	if ((rc = org_identifier(rec)) != ESEAL_OK)
		return rc;
	if (strcmp(rec->identifier, rec->name) == 0)
		return eseal_err(ESEAL_EINVAL, R_SUBJECT "the "
		    "organizationIdentifier equals the organizationName");
	return ESEAL_OK;
}

enum eseal_rc
org_register(struct store *s, struct org_rec *rec, int64_t now,
    const char *actor)
{
	struct store_org o;
	enum eseal_rc rc;
	char object[32];
	int64_t id = 0;

	if ((rc = org_check_actor("org", actor)) != ESEAL_OK ||
	    (rc = org_check(rec)) != ESEAL_OK)
		return rc;
	memset(&o, 0, sizeof(o));
	memcpy(o.name, rec->name, sizeof(o.name));
	memcpy(o.english_name, rec->english_name, sizeof(o.english_name));
	memcpy(o.country, rec->country, sizeof(o.country));
	if (strcmp(rec->country, "JP") == 0)
		memcpy(o.corporate_number, rec->corporate_number,
		    sizeof(o.corporate_number));
	memcpy(o.identifier, rec->identifier, sizeof(o.identifier));
	memcpy(o.evidence, rec->evidence, sizeof(o.evidence));
	o.created = now;
	snprintf(o.created_by, sizeof(o.created_by), "%s", actor);

	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = store_org_insert(s, &o, &id)) != ESEAL_OK) {
		if (rc == ESEAL_EEXIST)
			eseal_err(rc, R_ORGID "an organisation with "
			    "identifier %s is registered already",
			    rec->identifier);
		goto fail;
	}
	snprintf(object, sizeof(object), "org:%lld", (long long)id);
	if ((rc = audit_append(s, now, actor, "org.register", object,
	    "identifier=%s country=%s name=\"%s\" english_name=\"%s\" "
	    "evidence=\"%s\"", o.identifier, o.country, o.name, o.english_name,
	    o.evidence)) != ESEAL_OK)
		goto fail;
	if ((rc = store_commit(s)) != ESEAL_OK)
		return rc;
	rec->id = id;
	rec->created = now;
	return ESEAL_OK;
fail:
	store_rollback(s);
	return rc;
}

static void
rec_from(const struct store_org *o, struct org_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->id = o->id;
	memcpy(rec->name, o->name, sizeof(rec->name));
	memcpy(rec->english_name, o->english_name, sizeof(rec->english_name));
	memcpy(rec->country, o->country, sizeof(rec->country));
	memcpy(rec->corporate_number, o->corporate_number,
	    sizeof(rec->corporate_number));
	memcpy(rec->identifier, o->identifier, sizeof(rec->identifier));
	memcpy(rec->evidence, o->evidence, sizeof(rec->evidence));
	rec->created = o->created;
}

enum eseal_rc
org_get(struct store *s, int64_t id, struct org_rec *rec)
{
	struct store_org o;
	enum eseal_rc rc;

	memset(rec, 0, sizeof(*rec));
	if ((rc = store_org_get(s, id, &o)) != ESEAL_OK)
		return rc == ESEAL_ENOTFOUND ? eseal_err(rc, "org: no "
		    "organisation %lld", (long long)id) : rc;
	rec_from(&o, rec);
	return ESEAL_OK;
}

enum eseal_rc
org_find(struct store *s, const char *ref, struct org_rec *rec)
{
	struct store_org o;
	enum eseal_rc rc;
	size_t len, digits;
	char *end;
	long long id;

	memset(rec, 0, sizeof(*rec));
	if (ref == NULL || (len = strnlen(ref, ORGID_MAX)) == 0 ||
	    len == ORGID_MAX)
		return eseal_err(ESEAL_ENOTFOUND, "org: an organisation is "
		    "named by its id or its organizationIdentifier");
	digits = strspn(ref, "0123456789");
	if (digits == len) {
		id = strtoll(ref, &end, 10);
		if (*end == '\0' && id > 0 && (rc = org_get(s, id, rec)) !=
		    ESEAL_ENOTFOUND)
			return rc;
		return eseal_err(ESEAL_ENOTFOUND, "org: no organisation %s%s",
		    ref, len == 13 ? " (a Japanese corporation is named by "
		    "NTRJP- and its corporate number)" : "");
	}
	if ((rc = store_org_by_identifier(s, ref, &o)) == ESEAL_ENOTFOUND)
		return eseal_err(rc, "org: no organisation with "
		    "organizationIdentifier %s is registered", ref);
	if (rc != ESEAL_OK)
		return rc;
	rec_from(&o, rec);
	return ESEAL_OK;
}

enum eseal_rc
org_same_name(const struct org_rec *rec, const char *name)
{
	if (name == NULL || strcmp(rec->name, name) == 0)
		return ESEAL_OK;
	return eseal_err(ESEAL_EEXIST, R_ORGID "organizationIdentifier %s is "
	    "registered as \"%s\" (organisation %lld), not \"%s\": one "
	    "identifier names one organisation, and the subject comes from "
	    "its registered record", rec->identifier, rec->name,
	    (long long)rec->id, name);
}

enum eseal_rc
org_register_or_find(struct store *s, struct org_rec *rec, int64_t now,
    const char *actor, int *created)
{
	struct org_rec reg;
	enum eseal_rc rc;
	char why[512];

	*created = 0;
	if ((rc = org_register(s, rec, now, actor)) == ESEAL_OK) {
		*created = 1;
		return ESEAL_OK;
	}
	if (rc != ESEAL_EEXIST)
		return rc;
	snprintf(why, sizeof(why), "%s", eseal_errmsg());
	if (org_find(s, rec->identifier, &reg) != ESEAL_OK)
		return eseal_err(rc, "%s", why);
	if ((rc = org_same_name(&reg, rec->name)) != ESEAL_OK)
		return rc;
	*rec = reg;
	return ESEAL_OK;
}

void
org_to_subject(const struct org_rec *rec, struct org *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->country, rec->country, sizeof(out->country));
	memcpy(out->name, rec->name, sizeof(out->name));
	memcpy(out->identifier, rec->identifier, sizeof(out->identifier));
}

/* --- enrolment codes -------------------------------------------------- */

enum eseal_rc
org_code_new(struct store *s, int64_t org_id, int ttl_secs, int64_t now,
    const char *actor, char *code_out)
{
	unsigned char raw[CODE_RAW_LEN];
	char code[ORG_CODE_LEN + 1], object[32];
	struct store_code c;
	struct store_org o;
	enum eseal_rc rc;

	code_out[0] = '\0';
	if ((rc = org_check_actor("org", actor)) != ESEAL_OK)
		return rc;
	if (ttl_secs <= 0 || ttl_secs > ORG_CODE_TTL_MAX)
		return eseal_err(ESEAL_EINVAL, "org: [enrol] code_ttl: an "
		    "enrolment code lives 1 second to %d days",
		    ORG_CODE_TTL_MAX / 86400);
	memset(&c, 0, sizeof(c));
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return eseal_err(ESEAL_EINTERNAL, "org: no random bytes for "
		    "an enrolment code");
	base32(raw, sizeof(raw), code);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (!org_sha256(code, ORG_CODE_LEN, c.hash)) {
		rc = eseal_err(ESEAL_EINTERNAL, "org: cannot hash a code");
		goto out;
	}
	c.org_id = org_id;
	c.created = now;
	c.expires = now + ttl_secs;
	c.attempts_left = ORG_CODE_ATTEMPTS;
	snprintf(c.created_by, sizeof(c.created_by), "%s", actor);
	snprintf(object, sizeof(object), "org:%lld", (long long)org_id);

	if ((rc = store_begin(s)) != ESEAL_OK)
		goto out;
	if ((rc = store_org_get(s, org_id, &o)) != ESEAL_OK) {
		if (rc == ESEAL_ENOTFOUND)
			eseal_err(rc, "org: no organisation %lld",
			    (long long)org_id);
		store_rollback(s);
		goto out;
	}
	if ((rc = store_code_insert(s, &c)) != ESEAL_OK ||
	    (rc = audit_append(s, now, actor, "enrol.code.issue", object,
	    "identifier=%s expires=%lld attempts=%d", o.identifier,
	    (long long)c.expires, c.attempts_left)) != ESEAL_OK) {
		store_rollback(s);
		goto out;
	}
	if ((rc = store_commit(s)) != ESEAL_OK)
		goto out;
	memcpy(code_out, code, sizeof(code));
out:
	OPENSSL_cleanse(code, sizeof(code));
	return rc;
}

enum eseal_rc
org_code_check(struct store *s, const char *code, int64_t now,
    int64_t *org_id)
{
	unsigned char hash[HASH_LEN];
	struct store_code c;
	enum eseal_rc rc;

	*org_id = 0;
	if ((rc = org_code_lookup(s, code, now, hash, &c)) != ESEAL_OK)
		return rc;
	*org_id = c.org_id;
	return ESEAL_OK;
}

/* --- acknowledgements ------------------------------------------------- */

/*
 * Inside a transaction: records (version, sha256) for org_id unless it is
 * there already with the same hash.  *created says whether it was new.
 */
enum eseal_rc
org_ack_record(struct store *s, int64_t org_id, const char *version,
    const char *sha256hex, const char *signer_name, const char *signer_title,
    const char *client_addr, int64_t now, int *created)
{
	struct store_ack a;
	enum eseal_rc rc;
	char actor[32], object[32];

	*created = 0;
	if (!valid_disclosure_version(version))
		return eseal_err(ESEAL_EINVAL, R_POINT1 "a disclosure version "
		    "is 1 to %d characters [0-9A-Za-z._-]",
		    DISCLOSURE_VERSION_MAX - 1);
	if (!valid_disclosure_sha256(sha256hex))
		return eseal_err(ESEAL_EINVAL, R_POINT1 "the disclosure's "
		    "sha256 is 64 lower-case hex digits");
	rc = store_ack_get(s, org_id, version, &a);
	if (rc == ESEAL_OK) {
		if (strcmp(a.sha256, sha256hex) != 0)
			return eseal_err(ESEAL_EEXIST, R_POINT1 "organisation "
			    "%lld acknowledged disclosure version %s with "
			    "another text (sha256 %s): a version's text never "
			    "changes", (long long)org_id, version, a.sha256);
		return ESEAL_OK;
	}
	if (rc != ESEAL_ENOTFOUND)
		return rc;
	if (signer_name == NULL || signer_name[0] == '\0' ||
	    signer_title == NULL || signer_title[0] == '\0')
		return eseal_err(ESEAL_EINVAL, R_POINT1 "organisation %lld has "
		    "not acknowledged disclosure version %s: the name and "
		    "title of the contracting party who acknowledges it for "
		    "the organisation are required", (long long)org_id,
		    version);
	if ((rc = org_check_line(R_POINT1 "the signer name", signer_name,
	    ORG_TEXT_MAX, 0,
	    1)) != ESEAL_OK ||
	    (rc = org_check_line(R_POINT1 "the signer title", signer_title,
	    ORG_TEXT_MAX, 0,
	    1)) != ESEAL_OK ||
	    (rc = org_check_addr("org", client_addr)) != ESEAL_OK)
		return rc;
	memset(&a, 0, sizeof(a));
	a.org_id = org_id;
	snprintf(a.version, sizeof(a.version), "%s", version);
	snprintf(a.sha256, sizeof(a.sha256), "%s", sha256hex);
	snprintf(a.signer_name, sizeof(a.signer_name), "%s", signer_name);
	snprintf(a.signer_title, sizeof(a.signer_title), "%s", signer_title);
	snprintf(a.client_addr, sizeof(a.client_addr), "%s",
	    client_addr ? client_addr : "");
	a.acknowledged_at = now;
	snprintf(actor, sizeof(actor), "subscriber:org:%lld",
	    (long long)org_id);
	snprintf(object, sizeof(object), "org:%lld", (long long)org_id);
	if ((rc = store_ack_insert(s, &a)) != ESEAL_OK)
		return rc == ESEAL_ENOTFOUND ? eseal_err(rc, "org: no "
		    "organisation %lld", (long long)org_id) : rc;
	if ((rc = audit_append(s, now, actor, "disclosure.ack", object,
	    "version=%s sha256=%s signer=\"%s\" title=\"%s\" client=%s",
	    a.version, a.sha256, a.signer_name, a.signer_title,
	    a.client_addr)) != ESEAL_OK)
		return rc;
	*created = 1;
	return ESEAL_OK;
}

enum eseal_rc
org_ack(struct store *s, int64_t org_id, const char *version,
    const char *sha256hex, const char *signer_name, const char *signer_title,
    const char *client_addr, int64_t now)
{
	enum eseal_rc rc;
	int created;

	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = org_ack_record(s, org_id, version, sha256hex, signer_name,
	    signer_title, client_addr, now, &created)) != ESEAL_OK) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

int
org_ack_exists(struct store *s, int64_t org_id, const char *version)
{
	struct store_ack a;
	enum eseal_rc rc;

	if (version == NULL)
		return 0;
	rc = store_ack_get(s, org_id, version, &a);
	return rc == ESEAL_OK ? 1 : rc == ESEAL_ENOTFOUND ? 0 : -1;
}

/* --- refused submissions -------------------------------------------- */

/*
 * Counts a refused submission against the code, with its audit record, and
 * commits that alone.  Returns rc with the refusal's message (and the news
 * that the code locked, if it did).
 */
static enum eseal_rc
code_refuse(struct store *s, const unsigned char hash[HASH_LEN],
    int64_t org_id, int64_t now, enum eseal_rc rc)
{
	char why[512], actor[32], object[32];
	enum eseal_rc rc2;
	int left = 0;

	snprintf(why, sizeof(why), "%s", eseal_errmsg());
	snprintf(actor, sizeof(actor), "subscriber:org:%lld",
	    (long long)org_id);
	snprintf(object, sizeof(object), "org:%lld", (long long)org_id);
	if ((rc2 = store_code_fail(s, hash, &left)) != ESEAL_OK ||
	    (rc2 = audit_append(s, now, actor, "enrol.code.refused", object,
	    "attempts_left=%d why=\"%s\"", left, why)) != ESEAL_OK) {
		store_rollback(s);
		return rc2;
	}
	if ((rc2 = store_commit(s)) != ESEAL_OK)
		return rc2;
	return eseal_err(rc, "%s%s", why, left > 0 ? "" : " (the enrolment "
	    "code is now locked: ask the RA for a new one)");
}

enum eseal_rc
org_code_refused(struct store *s, const char *code, int64_t now,
    enum eseal_rc rc)
{
	unsigned char hash[HASH_LEN];
	char why[512];
	struct store_code c;

	if (rc != ESEAL_EINVAL && rc != ESEAL_EPOLICY)
		return rc;
	snprintf(why, sizeof(why), "%s", eseal_errmsg());
	if (store_begin(s) != ESEAL_OK)
		return eseal_err(rc, "%s", why);
	if (org_code_lookup(s, code, now, hash, &c) != ESEAL_OK) {
		store_rollback(s);
		return eseal_err(rc, "%s", why);
	}
	eseal_err(rc, "%s", why);
	return code_refuse(s, hash, c.org_id, now, rc);
}

