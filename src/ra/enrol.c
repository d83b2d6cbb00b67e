/*
 * enrol.c: the enrolment domain of enrol.h: vetted organisations, one-time
 * enrolment codes, acknowledgements of the important-matters disclosure,
 * and enrolment requests from submission to issuance.  Input is checked
 * here; the SQL is in store_enrol.c; each change and its audit record are
 * one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "audit.h"
#include "csr.h"
#include "enrol.h"
#include "store_enrol.h"

#define CODE_RAW_LEN	15	/* random bytes in a code: 120 bits */
#define TOKEN_RAW_LEN	32	/* random bytes in a request token */
#define TOKEN_INPUT_MAX	128	/* longest token or code looked at */
#define HASH_LEN	STORE_HASH_LEN

#define R_POINT1	"enrol: REQUIREMENTS point 1: "
#define R_POINT8	"enrol: REQUIREMENTS point 8: "
#define R_SUBJECT	"enrol: EN 319 412-3 4.2.1: "
#define R_ORGID		"enrol: EN 319 412-1 5.1.4: "

#define MSG_BADCODE	"enrol: invalid enrolment code"
#define MSG_BADAUTH	"enrol: invalid request token or enrolment code"

/* The store's buffers are the ones of this header. */
_Static_assert(STORE_ORG_NAME_MAX == PROFILE_ATTR_MAX, "name size");
_Static_assert(STORE_ORGID_MAX == ORGID_MAX, "identifier size");
_Static_assert(STORE_TEXT_MAX == ENROL_TEXT_MAX, "text size");
_Static_assert(STORE_ACTOR_NAME_MAX == ENROL_ACTOR_MAX, "actor size");
_Static_assert(STORE_ADDR_MAX == ENROL_ADDR_MAX, "address size");
_Static_assert(STORE_VERSION_MAX == DISCLOSURE_VERSION_MAX, "version size");
_Static_assert(STORE_PROFILE_MAX ==
    sizeof(((struct enrol_request *)0)->profile), "profile size");
_Static_assert(ENROL_CODE_LEN == CODE_RAW_LEN * 8 / 5, "base32 length");

static const char *const status_names[ENROL_STATUS_MAX] = {
	[ENROL_PENDING] = "pending",
	[ENROL_APPROVED] = "approved",
	[ENROL_REJECTED] = "rejected",
	[ENROL_ISSUED] = "issued",
	[ENROL_FAILED] = "failed",
};

const char *
enrol_status_name(enum enrol_status st)
{
	return (st >= 0 && st < ENROL_STATUS_MAX) ? status_names[st] : "?";
}

int
enrol_status_parse(const char *s)
{
	for (int i = 0; s != NULL && i < ENROL_STATUS_MAX; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

/* --- checking input --------------------------------------------------- */

/*
 * field: one line of UTF-8, shorter than size bytes and at most maxchars
 * characters (0: no character limit); required or "" allowed.
 */
static enum eseal_rc
check_line(const char *what, const char *s, size_t size, size_t maxchars,
    int required)
{
	size_t len, nchars;

	if (s == NULL || s[0] == '\0')
		return required ? eseal_err(ESEAL_EINVAL, "enrol: %s is "
		    "required", what) : ESEAL_OK;
	if ((len = strnlen(s, size)) == size)
		return eseal_err(ESEAL_EINVAL, "enrol: %s is longer than %zu "
		    "bytes", what, size - 1);
	if (!valid_utf8(s, len, 0, &nchars))
		return eseal_err(ESEAL_EINVAL, "enrol: RFC 3629: %s is not "
		    "one line of UTF-8 text without control characters", what);
	if (maxchars > 0 && nchars > maxchars)
		return eseal_err(ESEAL_EINVAL, "enrol: %s is %zu characters, "
		    "more than %zu", what, nchars, maxchars);
	return ESEAL_OK;
}

static enum eseal_rc
check_actor(const char *actor)
{
	return check_line("the actor", actor, ENROL_ACTOR_MAX, 0, 1);
}

/* A client address as the front end reports it: printable ASCII. */
static enum eseal_rc
check_addr(const char *a)
{
	size_t len;

	if (a == NULL)
		return ESEAL_OK;
	if ((len = strnlen(a, ENROL_ADDR_MAX)) == ENROL_ADDR_MAX)
		return eseal_err(ESEAL_EINVAL, "enrol: client address longer "
		    "than %d bytes", ENROL_ADDR_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if (a[i] <= ' ' || a[i] > '~')
			return eseal_err(ESEAL_EINVAL, "enrol: client address "
			    "is not printable ASCII");
	return ESEAL_OK;
}

/* Profile names as profile_load() takes them: [a-z0-9-]. */
static int
valid_profile_name(const char *s)
{
	size_t len;

	if (s == NULL || (len = strnlen(s, STORE_PROFILE_MAX)) == 0 ||
	    len == STORE_PROFILE_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* A serial as the store keeps it: 1 to 40 lower-case hex digits. */
static int
valid_serial(const char *s)
{
	size_t len;

	if (s == NULL || (len = strnlen(s, STORE_SERIAL_HEX_MAX)) == 0 ||
	    len == STORE_SERIAL_HEX_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* --- secrets ---------------------------------------------------------- */

static int
sha256(const void *buf, size_t len, unsigned char out[HASH_LEN])
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
 * 1 if what remains is ENROL_CODE_LEN characters of the base32 alphabet.
 */
static int
code_canon(const char *in, char out[ENROL_CODE_LEN + 1])
{
	size_t len, n = 0;

	out[0] = '\0';
	if (in == NULL || (len = strnlen(in, ENROL_CODE_INPUT_MAX + 1)) >
	    ENROL_CODE_INPUT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) ||
		    n == ENROL_CODE_LEN)
			return 0;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == ENROL_CODE_LEN;
}

/* SHA-256 of a code's canonical form; 0 if it is no code. */
static int
code_hash(const char *code, unsigned char out[HASH_LEN])
{
	char canon[ENROL_CODE_LEN + 1];
	int ok;

	ok = code_canon(code, canon) && sha256(canon, ENROL_CODE_LEN, out);
	OPENSSL_cleanse(canon, sizeof(canon));
	return ok;
}

/* A new request token (RFC 4648 5, base64url, no padding) and its hash. */
static enum eseal_rc
token_new(char out[ENROL_TOKEN_LEN + 1], unsigned char hash[HASH_LEN])
{
	unsigned char raw[TOKEN_RAW_LEN], b64[4 * ((TOKEN_RAW_LEN + 2) / 3) + 1];
	enum eseal_rc rc = ESEAL_OK;

	if (RAND_bytes(raw, sizeof(raw)) != 1 ||
	    EVP_EncodeBlock(b64, raw, sizeof(raw)) != sizeof(b64) - 1) {
		rc = eseal_err(ESEAL_EINTERNAL, "enrol: no random bytes for "
		    "a request token");
		goto out;
	}
	for (size_t i = 0; i < ENROL_TOKEN_LEN; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' :
		    (char)b64[i];
	out[ENROL_TOKEN_LEN] = '\0';
	if (!sha256(out, ENROL_TOKEN_LEN, hash))
		rc = eseal_err(ESEAL_EINTERNAL, "enrol: cannot hash a token");
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	return rc;
}

/*
 * Finds the code and says whether it may be used at now: EAUTH alike for
 * malformed, unknown, used and expired, ETOOMANY for locked.
 */
static enum eseal_rc
code_lookup(struct store *s, const char *code, int64_t now,
    unsigned char hash[HASH_LEN], struct store_code *c)
{
	enum eseal_rc rc;

	memset(c, 0, sizeof(*c));
	if (!code_hash(code, hash))
		return eseal_err(ESEAL_EAUTH, MSG_BADCODE);
	if ((rc = store_code_get(s, hash, c)) == ESEAL_ENOTFOUND)
		return eseal_err(ESEAL_EAUTH, MSG_BADCODE);
	if (rc != ESEAL_OK)
		return rc;
	if (c->used_at != 0 || now >= c->expires)
		return eseal_err(ESEAL_EAUTH, MSG_BADCODE);
	if (c->attempts_left <= 0)
		return eseal_err(ESEAL_ETOOMANY, "enrol: this enrolment code "
		    "is locked after %d refused submissions: ask the RA for a "
		    "new one", ENROL_CODE_ATTEMPTS);
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
		return eseal_err(ESEAL_EINVAL, "enrol: a corporate number "
		    "(法人番号) is for Japanese corporations (country JP) only");
	if (strnlen(rec->identifier, sizeof(rec->identifier)) ==
	    sizeof(rec->identifier))
		return eseal_err(ESEAL_EINVAL, R_ORGID "identifier longer than "
		    "%d characters", ORGID_MAX - 1);
	if (rec->identifier[0] == '\0')
		return eseal_err(ESEAL_EINVAL, R_ORGID "an organisation outside "
		    "Japan needs an explicit organizationIdentifier");
	if ((rc = orgid_parse(rec->identifier, &id)) != ESEAL_OK)
		return rc;
	if (id.scheme != ORGID_LEI && strcmp(id.country, rec->country) != 0)
		return eseal_err(ESEAL_EINVAL, R_ORGID "the identifier's country "
		    "%s is not the organisation's country %s", id.country,
		    rec->country);
	return ESEAL_OK;
}

static enum eseal_rc
org_check(struct org_rec *rec)
{
	enum eseal_rc rc;

	if ((rc = check_line("organisation name", rec->name, sizeof(rec->name),
	    ENROL_NAME_CHARS, 1)) != ESEAL_OK ||
	    (rc = check_line("English name", rec->english_name,
	    sizeof(rec->english_name), ENROL_NAME_CHARS, 0)) != ESEAL_OK ||
	    (rc = check_line("vetting evidence reference", rec->evidence,
	    sizeof(rec->evidence), 0, 1)) != ESEAL_OK)
		return rc;
	if (!is_country(rec->country))
		return eseal_err(ESEAL_EINVAL, "enrol: the country is two "
		    "letters A-Z (ISO 3166-1 alpha-2)");
	if (strnlen(rec->corporate_number, sizeof(rec->corporate_number)) ==
	    sizeof(rec->corporate_number))
		return eseal_err(ESEAL_EINVAL, "orgid: corporate number (MoF "
		    "ordinance): longer than 13 characters");
	if ((rc = org_identifier(rec)) != ESEAL_OK)
		return rc;
	if (strcmp(rec->identifier, rec->name) == 0)
		return eseal_err(ESEAL_EINVAL, R_SUBJECT "organizationIdentifier "
		    "equals organizationName");
	return ESEAL_OK;
}

enum eseal_rc
enrol_org_register(struct store *s, struct org_rec *rec, int64_t now,
    const char *actor)
{
	struct store_org o;
	enum eseal_rc rc;
	char object[32];
	int64_t id = 0;

	if ((rc = check_actor(actor)) != ESEAL_OK ||
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
			eseal_err(rc, "enrol: an organisation with identifier "
			    "%s is registered already", rec->identifier);
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

enum eseal_rc
enrol_org_get(struct store *s, int64_t id, struct org_rec *rec)
{
	struct store_org o;
	enum eseal_rc rc;

	memset(rec, 0, sizeof(*rec));
	if ((rc = store_org_get(s, id, &o)) != ESEAL_OK)
		return rc == ESEAL_ENOTFOUND ? eseal_err(rc, "enrol: no "
		    "organisation %lld", (long long)id) : rc;
	rec->id = o.id;
	memcpy(rec->name, o.name, sizeof(rec->name));
	memcpy(rec->english_name, o.english_name, sizeof(rec->english_name));
	memcpy(rec->country, o.country, sizeof(rec->country));
	memcpy(rec->corporate_number, o.corporate_number,
	    sizeof(rec->corporate_number));
	memcpy(rec->identifier, o.identifier, sizeof(rec->identifier));
	memcpy(rec->evidence, o.evidence, sizeof(rec->evidence));
	rec->created = o.created;
	return ESEAL_OK;
}

void
enrol_org_to_subject(const struct org_rec *rec, struct org *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->country, rec->country, sizeof(out->country));
	memcpy(out->name, rec->name, sizeof(out->name));
	memcpy(out->identifier, rec->identifier, sizeof(out->identifier));
}

/* --- enrolment codes -------------------------------------------------- */

enum eseal_rc
enrol_code_new(struct store *s, int64_t org_id, int ttl_secs, int64_t now,
    const char *actor, char *code_out)
{
	unsigned char raw[CODE_RAW_LEN];
	char code[ENROL_CODE_LEN + 1], object[32];
	struct store_code c;
	struct store_org o;
	enum eseal_rc rc;

	code_out[0] = '\0';
	if ((rc = check_actor(actor)) != ESEAL_OK)
		return rc;
	if (ttl_secs <= 0 || ttl_secs > ENROL_CODE_TTL_MAX)
		return eseal_err(ESEAL_EINVAL, "enrol: an enrolment code lives "
		    "1 second to %d days", ENROL_CODE_TTL_MAX / 86400);
	memset(&c, 0, sizeof(c));
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return eseal_err(ESEAL_EINTERNAL, "enrol: no random bytes for "
		    "an enrolment code");
	base32(raw, sizeof(raw), code);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (!sha256(code, ENROL_CODE_LEN, c.hash)) {
		rc = eseal_err(ESEAL_EINTERNAL, "enrol: cannot hash a code");
		goto out;
	}
	c.org_id = org_id;
	c.created = now;
	c.expires = now + ttl_secs;
	c.attempts_left = ENROL_CODE_ATTEMPTS;
	snprintf(c.created_by, sizeof(c.created_by), "%s", actor);
	snprintf(object, sizeof(object), "org:%lld", (long long)org_id);

	if ((rc = store_begin(s)) != ESEAL_OK)
		goto out;
	if ((rc = store_org_get(s, org_id, &o)) != ESEAL_OK) {
		if (rc == ESEAL_ENOTFOUND)
			eseal_err(rc, "enrol: no organisation %lld",
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
enrol_code_check(struct store *s, const char *code, int64_t now,
    int64_t *org_id)
{
	unsigned char hash[HASH_LEN];
	struct store_code c;
	enum eseal_rc rc;

	*org_id = 0;
	if ((rc = code_lookup(s, code, now, hash, &c)) != ESEAL_OK)
		return rc;
	*org_id = c.org_id;
	return ESEAL_OK;
}

/* --- acknowledgements ------------------------------------------------- */

/*
 * Inside a transaction: records (version, sha256) for org_id unless it is
 * there already with the same hash.  *created says whether it was new.
 */
static enum eseal_rc
ack_record(struct store *s, int64_t org_id, const char *version,
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
	if ((rc = check_line("signer name", signer_name, ENROL_TEXT_MAX, 0,
	    1)) != ESEAL_OK ||
	    (rc = check_line("signer title", signer_title, ENROL_TEXT_MAX, 0,
	    1)) != ESEAL_OK ||
	    (rc = check_addr(client_addr)) != ESEAL_OK)
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
		return rc == ESEAL_ENOTFOUND ? eseal_err(rc, "enrol: no "
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
enrol_ack(struct store *s, int64_t org_id, const char *version,
    const char *sha256hex, const char *signer_name, const char *signer_title,
    const char *client_addr, int64_t now)
{
	enum eseal_rc rc;
	int created;

	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = ack_record(s, org_id, version, sha256hex, signer_name,
	    signer_title, client_addr, now, &created)) != ESEAL_OK) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

int
enrol_ack_exists(struct store *s, int64_t org_id, const char *version)
{
	struct store_ack a;
	enum eseal_rc rc;

	if (version == NULL)
		return 0;
	rc = store_ack_get(s, org_id, version, &a);
	return rc == ESEAL_OK ? 1 : rc == ESEAL_ENOTFOUND ? 0 : -1;
}

/* --- requests --------------------------------------------------------- */

/*
 * Inside the transaction, with a valid code of org_id: checks the body.
 * *der gets the CSR re-encoded as DER (OPENSSL_free), *need_ack whether the
 * organisation has yet to acknowledge the version.
 */
static enum eseal_rc
check_submission(struct store *s, const struct enrol_submission *sub,
    int64_t org_id, unsigned char **der, size_t *derlen, int *need_ack)
{
	struct csr *csr = NULL;
	struct store_ack a;
	enum eseal_rc rc;

	*der = NULL;
	*derlen = 0;
	*need_ack = 0;
	if (!valid_profile_name(sub->profile))
		return eseal_err(ESEAL_EINVAL, "enrol: a profile name is 1 to "
		    "%d characters [a-z0-9-]", STORE_PROFILE_MAX - 1);
	if (sub->holder < 0 || sub->holder >= HOLDER_MAX)
		return eseal_err(ESEAL_EINVAL, R_POINT8 "the key holder is "
		    "\"subscriber\" or \"remote-service\"");
	if (sub->qscd != 0 && sub->qscd != 1)
		return eseal_err(ESEAL_EINVAL, "enrol: qscd is 0 or 1");
	if ((rc = check_addr(sub->client_addr)) != ESEAL_OK)
		return rc;
	if (sub->disclosure != NULL && (rc = disclosure_check(sub->disclosure,
	    sub->disclosure_version, sub->disclosure_sha256)) != ESEAL_OK)
		return rc;
	if (!valid_disclosure_version(sub->disclosure_version) ||
	    !valid_disclosure_sha256(sub->disclosure_sha256))
		return eseal_err(ESEAL_EINVAL, R_POINT1 "the disclosure version "
		    "acknowledged and its sha256 (64 lower-case hex digits) are "
		    "required");
	if (sub->csr_der == NULL || sub->csr_len == 0)
		return eseal_err(ESEAL_EINVAL, "enrol: RFC 2986: a "
		    "certification request is required");
	if ((rc = csr_parse(sub->csr_der, sub->csr_len, &csr)) != ESEAL_OK)
		return rc;
	rc = csr_der(csr, der, derlen);
	csr_free(csr);
	if (rc != ESEAL_OK)
		return rc;

	rc = store_ack_get(s, org_id, sub->disclosure_version, &a);
	if (rc == ESEAL_ENOTFOUND) {
		*need_ack = 1;
		if (sub->signer_name == NULL || sub->signer_name[0] == '\0' ||
		    sub->signer_title == NULL || sub->signer_title[0] == '\0')
			return eseal_err(ESEAL_EINVAL, R_POINT1 "the "
			    "organisation has not acknowledged disclosure "
			    "version %s: the name and title of the contracting "
			    "party who acknowledges it for the organisation "
			    "are required", sub->disclosure_version);
		if ((rc = check_line("signer name", sub->signer_name,
		    ENROL_TEXT_MAX, 0, 1)) != ESEAL_OK ||
		    (rc = check_line("signer title", sub->signer_title,
		    ENROL_TEXT_MAX, 0, 1)) != ESEAL_OK)
			return rc;
		return ESEAL_OK;
	}
	if (rc != ESEAL_OK)
		return rc;
	if (strcmp(a.sha256, sub->disclosure_sha256) != 0)
		return eseal_err(ESEAL_ECONF, "disclosure: the text of version "
		    "%s changed after organisation %lld acknowledged it "
		    "(sha256 %s): a changed text must be a new version",
		    a.version, (long long)org_id, a.sha256);
	return ESEAL_OK;
}

/*
 * Counts a refused submission against the code, with its audit record, and
 * commits that alone.  Returns rc with the refusal's message (and the news
 * that the code locked, if it did).
 */
static enum eseal_rc
refuse_attempt(struct store *s, const unsigned char hash[HASH_LEN],
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
enrol_code_refused(struct store *s, const char *code, int64_t now,
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
	if (code_lookup(s, code, now, hash, &c) != ESEAL_OK) {
		store_rollback(s);
		return eseal_err(rc, "%s", why);
	}
	eseal_err(rc, "%s", why);
	return refuse_attempt(s, hash, c.org_id, now, rc);
}

enum eseal_rc
enrol_request_create(struct store *s, const struct enrol_submission *sub,
    int64_t now, int64_t *id, char *token_out)
{
	unsigned char hash[HASH_LEN], *der = NULL;
	char token[ENROL_TOKEN_LEN + 1], actor[32], object[32];
	struct store_enrol_req r;
	struct store_code c;
	enum eseal_rc rc;
	size_t derlen = 0;
	int need_ack, created;

	*id = 0;
	token_out[0] = '\0';
	memset(token, 0, sizeof(token));
	if (sub == NULL)
		return eseal_err(ESEAL_EINTERNAL, "enrol: no submission");
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = code_lookup(s, sub->code, now, hash, &c)) != ESEAL_OK)
		goto fail;
	rc = check_submission(s, sub, c.org_id, &der, &derlen, &need_ack);
	if (rc == ESEAL_EINVAL || rc == ESEAL_EPOLICY) {
		rc = refuse_attempt(s, hash, c.org_id, now, rc);
		goto out;
	}
	if (rc != ESEAL_OK)
		goto fail;

	snprintf(actor, sizeof(actor), "subscriber:org:%lld",
	    (long long)c.org_id);
	if ((rc = store_code_consume(s, hash, now)) != ESEAL_OK) {
		rc = eseal_err(ESEAL_EAUTH, MSG_BADCODE);
		goto fail;
	}
	if (need_ack && (rc = ack_record(s, c.org_id, sub->disclosure_version,
	    sub->disclosure_sha256, sub->signer_name, sub->signer_title,
	    sub->client_addr, now, &created)) != ESEAL_OK)
		goto fail;
	memset(&r, 0, sizeof(r));
	r.org_id = c.org_id;
	r.csr = der;
	r.csr_len = derlen;
	snprintf(r.profile, sizeof(r.profile), "%s", sub->profile);
	snprintf(r.key_holder, sizeof(r.key_holder), "%s",
	    key_holder_name(sub->holder));
	r.qscd = sub->qscd;
	memcpy(r.code_hash, hash, HASH_LEN);
	snprintf(r.disclosure_version, sizeof(r.disclosure_version), "%s",
	    sub->disclosure_version);
	snprintf(r.client_addr, sizeof(r.client_addr), "%s",
	    sub->client_addr ? sub->client_addr : "");
	if ((rc = token_new(token, r.token_hash)) != ESEAL_OK ||
	    (rc = store_enrol_req_insert(s, &r, now, id)) != ESEAL_OK)
		goto fail;
	snprintf(object, sizeof(object), "enrolment:%lld", (long long)*id);
	if ((rc = audit_append(s, now, actor, "enrol.request", object,
	    "org=%lld profile=%s key_holder=%s qscd=%d disclosure=%s "
	    "client=%s", (long long)c.org_id, r.profile, r.key_holder, r.qscd,
	    r.disclosure_version, r.client_addr)) != ESEAL_OK)
		goto fail;
	if ((rc = store_commit(s)) != ESEAL_OK)
		goto out;
	memcpy(token_out, token, sizeof(token));
	goto out;
fail:
	store_rollback(s);
out:
	if (rc != ESEAL_OK)
		*id = 0;
	OPENSSL_free(der);
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

/* Copies a store row into the caller's record; takes over its CSR. */
static void
req_from_store(struct store_enrol_req *r, struct enrol_request *out)
{
	int h = key_holder_parse(r->key_holder);

	memset(out, 0, sizeof(*out));
	out->id = r->id;
	out->org_id = r->org_id;
	memcpy(out->status, r->status, sizeof(out->status));
	out->csr = r->csr;
	out->csr_len = r->csr_len;
	r->csr = NULL;
	r->csr_len = 0;
	memcpy(out->profile, r->profile, sizeof(out->profile));
	out->holder = h < 0 ? HOLDER_MAX : (enum key_holder)h;
	out->qscd = r->qscd;
	memcpy(out->disclosure_version, r->disclosure_version,
	    sizeof(out->disclosure_version));
	memcpy(out->client_addr, r->client_addr, sizeof(out->client_addr));
	out->created = r->created;
	memcpy(out->decided_by, r->decided_by, sizeof(out->decided_by));
	out->decided_at = r->decided_at;
	memcpy(out->reason, r->reason, sizeof(out->reason));
	memcpy(out->serial, r->serial, sizeof(out->serial));
	out->finished_at = r->finished_at;
}

static enum eseal_rc
req_get(struct store *s, int64_t id, struct store_enrol_req *r)
{
	enum eseal_rc rc;

	if ((rc = store_enrol_req_get(s, id, r)) == ESEAL_ENOTFOUND)
		return eseal_err(rc, "enrol: no enrolment request %lld",
		    (long long)id);
	return rc;
}

enum eseal_rc
enrol_request_get(struct store *s, int64_t id, struct enrol_request *out)
{
	struct store_enrol_req r;
	enum eseal_rc rc;

	memset(out, 0, sizeof(*out));
	if ((rc = req_get(s, id, &r)) != ESEAL_OK)
		return rc;
	req_from_store(&r, out);
	store_enrol_req_clear(&r);
	return ESEAL_OK;
}

void
enrol_request_clear(struct enrol_request *r)
{
	if (r == NULL)
		return;
	free(r->csr);
	memset(r, 0, sizeof(*r));
}

enum eseal_rc
enrol_request_auth(struct store *s, int64_t id, const char *token_or_code)
{
	unsigned char th[HASH_LEN], ch[HASH_LEN];
	struct store_enrol_req r;
	enum eseal_rc rc;
	size_t len;
	int ok_token, ok_code;

	if (token_or_code == NULL || (len = strnlen(token_or_code,
	    TOKEN_INPUT_MAX + 1)) == 0 || len > TOKEN_INPUT_MAX)
		return eseal_err(ESEAL_EAUTH, MSG_BADAUTH);
	if ((rc = store_enrol_req_get(s, id, &r)) == ESEAL_ENOTFOUND)
		return eseal_err(ESEAL_EAUTH, MSG_BADAUTH);
	if (rc != ESEAL_OK)
		return rc;
	/* Both comparisons always run; a non-code hashes to nothing stored. */
	if (!sha256(token_or_code, len, th)) {
		store_enrol_req_clear(&r);
		return eseal_err(ESEAL_EINTERNAL, "enrol: cannot hash");
	}
	if (!code_hash(token_or_code, ch))
		memset(ch, 0, sizeof(ch));
	ok_token = sodium_memcmp(th, r.token_hash, HASH_LEN) == 0;
	ok_code = sodium_memcmp(ch, r.code_hash, HASH_LEN) == 0;
	store_enrol_req_clear(&r);
	return (ok_token | ok_code) ? ESEAL_OK :
	    eseal_err(ESEAL_EAUTH, MSG_BADAUTH);
}

enum eseal_rc
enrol_request_list(struct store *s, const char *status,
    struct enrol_request **out, size_t *n)
{
	struct store_enrol_req *v = NULL;
	struct enrol_request *res = NULL;
	enum eseal_rc rc;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (status != NULL && status[0] == '\0')
		status = NULL;
	if (status != NULL && enrol_status_parse(status) < 0)
		return eseal_err(ESEAL_EINVAL, "enrol: a request status is "
		    "pending, approved, rejected, issued or failed");
	if ((rc = store_enrol_req_list(s, status, &v, &cnt)) != ESEAL_OK)
		return rc;
	if (cnt > 0 && (res = calloc(cnt, sizeof(*res))) == NULL) {
		store_enrol_req_list_free(v, cnt);
		return eseal_err(ESEAL_ENOMEM, "enrol: out of memory");
	}
	for (size_t i = 0; i < cnt; i++)
		req_from_store(&v[i], &res[i]);
	store_enrol_req_list_free(v, cnt);
	*out = res;
	*n = cnt;
	return ESEAL_OK;
}

void
enrol_request_list_free(struct enrol_request *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		enrol_request_clear(&v[i]);
	free(v);
}

enum eseal_rc
enrol_request_decide(struct store *s, int64_t id, int approve,
    const char *actor, const char *reason, int64_t now)
{
	const char *to = approve ? "approved" : "rejected";
	struct store_enrol_req r;
	enum eseal_rc rc;
	char object[32];

	if ((rc = check_actor(actor)) != ESEAL_OK ||
	    (rc = check_line("the reason", reason, ENROL_TEXT_MAX, 0,
	    !approve)) != ESEAL_OK)
		return rc;
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = req_get(s, id, &r)) != ESEAL_OK)
		goto fail;
	free(r.csr);		/* only the state is needed */
	r.csr = NULL;
	if (strcmp(r.status, "pending") != 0) {
		rc = eseal_err(ESEAL_EEXIST, "enrol: request %lld is %s, not "
		    "pending", (long long)id, r.status);
		goto fail;
	}
	snprintf(object, sizeof(object), "enrolment:%lld", (long long)id);
	if ((rc = store_enrol_req_decide(s, id, to, actor, reason, now)) !=
	    ESEAL_OK ||
	    (rc = audit_append(s, now, actor, approve ? "enrol.approve" :
	    "enrol.reject", object, "org=%lld profile=%s reason=\"%s\"",
	    (long long)r.org_id, r.profile, reason ? reason : "")) != ESEAL_OK)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}

/*
 * s, or its first size - 1 bytes ending on a UTF-8 character boundary
 * copied to buf.
 */
static const char *
cut(const char *s, char *buf, size_t size)
{
	size_t n = strnlen(s, size);

	if (n < size)
		return s;
	n = size - 1;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;		/* s[n] would start the next character */
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

enum eseal_rc
enrol_request_finish(struct store *s, int64_t id, const char *serial,
    const char *fail_reason, int64_t now)
{
	char object[32], reason[ENROL_TEXT_MAX];
	struct store_enrol_req r;
	enum eseal_rc rc;

	if ((serial == NULL) == (fail_reason == NULL))
		return eseal_err(ESEAL_EINVAL, "enrol: a request finishes "
		    "either issued with a serial or failed with a reason");
	if (serial != NULL && !valid_serial(serial))
		return eseal_err(ESEAL_EINVAL, "enrol: RFC 5280 4.1.2.2: a "
		    "serial is 1 to 20 octets in lower-case hex");
	if (fail_reason != NULL) {
		fail_reason = cut(fail_reason, reason, sizeof(reason));
		if ((rc = check_line("the failure reason", fail_reason,
		    sizeof(reason), 0, 1)) != ESEAL_OK)
			return rc;
	}
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = req_get(s, id, &r)) != ESEAL_OK)
		goto fail;
	free(r.csr);		/* only the state is needed */
	r.csr = NULL;
	if (strcmp(r.status, "approved") != 0) {
		rc = eseal_err(ESEAL_EEXIST, "enrol: request %lld is %s, not "
		    "approved", (long long)id, r.status);
		goto fail;
	}
	snprintf(object, sizeof(object), "enrolment:%lld", (long long)id);
	if ((rc = store_enrol_req_finish(s, id, serial ? "issued" : "failed",
	    serial, fail_reason, now)) != ESEAL_OK) {
		if (rc == ESEAL_ENOTFOUND)
			eseal_err(rc, "enrol: no certificate with serial %s",
			    serial ? serial : "");
		goto fail;
	}
	if (serial != NULL)
		rc = audit_append(s, now, r.decided_by, "enrol.issued", object,
		    "org=%lld serial=%s", (long long)r.org_id, serial);
	else
		rc = audit_append(s, now, r.decided_by, "enrol.failed", object,
		    "org=%lld reason=\"%s\"", (long long)r.org_id, fail_reason);
	if (rc != ESEAL_OK)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}
