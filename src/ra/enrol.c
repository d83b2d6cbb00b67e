/*
 * enrol.c: enrolment requests, from a subscriber's submission through the
 * RA's decision to issued or failed.  Organisations, codes and
 * acknowledgements are org.c's.  Input is checked here; the SQL is in
 * store_enrol.c; each change and its audit record are one transaction.
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
#include "org_int.h"
#include "store_enrol.h"

#define TOKEN_RAW_LEN	32	/* random bytes in a request token */
#define TOKEN_INPUT_MAX	128	/* longest token or code looked at */
#define HASH_LEN	ORG_HASH_LEN

#define R_POINT1	"enrol: panel point 1: "
#define R_POINT3	"enrol: panel point 3: "
#define R_POINT8	"enrol: panel point 8: "
#define R_LIFECYCLE	"enrol: ARCHITECTURE.md issuance step 1: "

#define MSG_BADAUTH	"enrol: RFC 6750 3.1: invalid request token or " \
			    "enrolment code"

/* The store's buffers are the ones of this header. */
_Static_assert(STORE_TEXT_MAX == ENROL_TEXT_MAX, "text size");
_Static_assert(STORE_ACTOR_NAME_MAX == ENROL_ACTOR_MAX, "actor size");
_Static_assert(STORE_ADDR_MAX == ENROL_ADDR_MAX, "address size");
_Static_assert(STORE_PROFILE_MAX ==
    sizeof(((struct enrol_request *)0)->profile), "profile size");

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
	if (!org_sha256(out, ENROL_TOKEN_LEN, hash))
		rc = eseal_err(ESEAL_EINTERNAL, "enrol: cannot hash a token");
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	return rc;
}

/* --- submissions ------------------------------------------------------ */

static int
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/*
 * Step 2: the disclosure the submission acknowledges (panel point 1).
 * *ver and *sha get the version and hash the request records, *need_ack
 * whether it must record the organisation's acknowledgement of them.
 */
static enum eseal_rc
check_ack(struct store *s, const struct enrol_submission *sub,
    int64_t org_id, const char **ver, const char **sha, int *need_ack)
{
	const struct disclosure *d = sub->disclosure;
	int given = sub->disclosure_version != NULL ||
	    sub->disclosure_sha256 != NULL;
	struct store_ack a;
	enum eseal_rc rc;

	*ver = sub->disclosure_version;
	*sha = sub->disclosure_sha256;
	*need_ack = 0;
	if (d != NULL && !given) {
		*ver = disclosure_version(d);
		*sha = disclosure_sha256(d);
	} else if (d != NULL && (rc = disclosure_check(d, *ver, *sha)) !=
	    ESEAL_OK)
		return rc;	/* ESEAL_ESTALE, or EINVAL: malformed */
	if (!valid_disclosure_version(*ver) || !valid_disclosure_sha256(*sha))
		return eseal_err(ESEAL_EINVAL, R_POINT1 "the disclosure "
		    "version acknowledged and its sha256 (64 lower-case hex "
		    "digits) are required");
	if ((rc = store_ack_get(s, org_id, *ver, &a)) == ESEAL_ENOTFOUND) {
		*need_ack = 1;
		if (!given || empty(sub->signer_name) ||
		    empty(sub->signer_title))
			return eseal_err(ESEAL_ENOACK, R_POINT1 "organisation "
			    "%lld has not acknowledged disclosure version %s: "
			    "its contracting party acknowledges the version "
			    "and its sha256 for the organisation, with their "
			    "name and title", (long long)org_id, *ver);
		return ESEAL_OK;
	}
	if (rc != ESEAL_OK)
		return rc;
	if (strcmp(a.sha256, *sha) != 0)
		return eseal_err(ESEAL_ECONF, "disclosure: panel point 1: the "
		    "text of version %s changed after organisation %lld "
		    "acknowledged it (sha256 %s): a changed text must be a new "
		    "version", a.version, (long long)org_id, a.sha256);
	return ESEAL_OK;
}

/* Step 3, the body but for the CA's check; *csr is new on ESEAL_OK. */
static enum eseal_rc
check_body(const struct enrol_submission *sub, int need_ack,
    struct csr **csr)
{
	enum eseal_rc rc;

	*csr = NULL;
	if (!valid_profile_name(sub->profile))
		return eseal_err(ESEAL_EINVAL, "enrol: [issue] profile: a "
		    "profile name is 1 to %d characters [a-z0-9-]",
		    STORE_PROFILE_MAX - 1);
	if (sub->holder < 0 || sub->holder >= HOLDER_MAX)
		return eseal_err(ESEAL_EINVAL, R_POINT8 "the key holder is "
		    "\"subscriber\" or \"remote-service\"");
	if (sub->qscd != 0 && sub->qscd != 1)
		return eseal_err(ESEAL_EINVAL, "enrol: EN 319 411-2: qscd (the "
		    "key is in a QSCD) is 0 or 1");
	if ((rc = org_check_addr("enrol", sub->client_addr)) != ESEAL_OK)
		return rc;
	if (need_ack && ((rc = org_check_line(R_POINT1 "the signer name",
	    sub->signer_name, ORG_TEXT_MAX, 0, 1)) != ESEAL_OK ||
	    (rc = org_check_line(R_POINT1 "the signer title", sub->signer_title,
	    ORG_TEXT_MAX, 0, 1)) != ESEAL_OK))
		return rc;
	if (sub->csr_der == NULL || sub->csr_len == 0)
		return eseal_err(ESEAL_EINVAL, "enrol: RFC 2986: a "
		    "certification request is required");
	return csr_parse(sub->csr_der, sub->csr_len, csr);
}

/*
 * Step 4, in one transaction: the code again (a concurrent submission may
 * have used or locked it), the acknowledgement if it is new, the request
 * and the audit records.
 */
static enum eseal_rc
record(struct store *s, const struct enrol_submission *sub,
    const struct csr *csr, const char *ver, const char *sha, int64_t now,
    int64_t *id, char token[ENROL_TOKEN_LEN + 1])
{
	unsigned char hash[HASH_LEN];
	char actor[32], object[32];
	struct store_enrol_req r;
	struct store_code c;
	enum eseal_rc rc;
	int created;

	memset(&r, 0, sizeof(r));
	if ((rc = csr_der(csr, &r.csr, &r.csr_len)) != ESEAL_OK)
		return rc;
	if ((rc = store_begin(s)) != ESEAL_OK)
		goto out;
	if ((rc = org_code_lookup(s, sub->code, now, hash, &c)) != ESEAL_OK)
		goto fail;
	snprintf(actor, sizeof(actor), "subscriber:org:%lld",
	    (long long)c.org_id);
	if ((rc = store_code_consume(s, hash, now)) != ESEAL_OK) {
		rc = eseal_err(ESEAL_EAUTH, ORG_MSG_BADCODE);
		goto fail;
	}
	if ((rc = org_ack_record(s, c.org_id, ver, sha, sub->signer_name,
	    sub->signer_title, sub->client_addr, now, &created)) != ESEAL_OK)
		goto fail;
	r.org_id = c.org_id;
	snprintf(r.profile, sizeof(r.profile), "%s", sub->profile);
	snprintf(r.key_holder, sizeof(r.key_holder), "%s",
	    key_holder_name(sub->holder));
	r.qscd = sub->qscd;
	memcpy(r.code_hash, hash, HASH_LEN);
	snprintf(r.disclosure_version, sizeof(r.disclosure_version), "%s", ver);
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
	rc = store_commit(s);
	goto out;
fail:
	store_rollback(s);
out:
	OPENSSL_free(r.csr);
	return rc;
}

enum eseal_rc
enrol_request_create(struct store *s, const struct enrol_submission *sub,
    enrol_check_fn check, void *check_arg, int64_t now, int64_t *id,
    char *token_out)
{
	char token[ENROL_TOKEN_LEN + 1];
	const char *ver, *sha;
	struct org_rec rec;
	struct csr *csr = NULL;
	enum eseal_rc rc;
	int64_t org_id;
	int need_ack;

	*id = 0;
	token_out[0] = '\0';
	memset(token, 0, sizeof(token));
	if (sub == NULL)
		return eseal_err(ESEAL_EINTERNAL, "enrol: no submission");
	/* 1: nothing about the body is judged without a valid code. */
	if ((rc = org_code_check(s, sub->code, now, &org_id)) != ESEAL_OK ||
	    (rc = org_get(s, org_id, &rec)) != ESEAL_OK)
		return rc;
	/* 2, 3: org_code_refused() charges the code for EINVAL and EPOLICY
	 * only, so a stale or missing acknowledgement costs nothing. */
	if ((rc = check_ack(s, sub, org_id, &ver, &sha, &need_ack)) ==
	    ESEAL_OK && (rc = check_body(sub, need_ack, &csr)) == ESEAL_OK &&
	    check != NULL)
		rc = check(check_arg, &rec, csr, sub, now);
	if (rc != ESEAL_OK) {
		rc = org_code_refused(s, sub->code, now, rc);
		goto out;
	}
	/* 4 */
	if ((rc = record(s, sub, csr, ver, sha, now, id, token)) == ESEAL_OK)
		memcpy(token_out, token, sizeof(token));
	else
		*id = 0;
out:
	csr_free(csr);
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
	if (!org_sha256(token_or_code, len, th)) {
		store_enrol_req_clear(&r);
		return eseal_err(ESEAL_EINTERNAL, "enrol: cannot hash");
	}
	if (!org_code_hash(token_or_code, ch))
		memset(ch, 0, sizeof(ch));
	ok_token = sodium_memcmp(th, r.token_hash, HASH_LEN) == 0;
	ok_code = sodium_memcmp(ch, r.code_hash, HASH_LEN) == 0;
	store_enrol_req_clear(&r);
	return (ok_token | ok_code) ? ESEAL_OK :
	    eseal_err(ESEAL_EAUTH, MSG_BADAUTH);
}

enum eseal_rc
enrol_request_find(struct store *s, const char *token_or_code, int64_t *id)
{
	unsigned char th[HASH_LEN], ch[HASH_LEN];
	enum eseal_rc rc;
	size_t len;

	*id = 0;
	if (token_or_code == NULL || (len = strnlen(token_or_code,
	    TOKEN_INPUT_MAX + 1)) == 0 || len > TOKEN_INPUT_MAX)
		return eseal_err(ESEAL_EAUTH, MSG_BADAUTH);
	if (!org_sha256(token_or_code, len, th))
		return eseal_err(ESEAL_EINTERNAL, "enrol: cannot hash");
	rc = store_enrol_req_by_hash(s, th, 0, id);
	if (rc == ESEAL_ENOTFOUND && org_code_hash(token_or_code, ch))
		rc = store_enrol_req_by_hash(s, ch, 1, id);
	if (rc == ESEAL_ENOTFOUND)
		return eseal_err(ESEAL_EAUTH, MSG_BADAUTH);
	return rc;
}

enum eseal_rc
enrol_request_detail(struct store *s, int64_t id,
    struct enrol_request_detail *d)
{
	struct enrol_request r;
	struct store_org o;
	struct store_ack ack;
	struct csr *c = NULL;
	const unsigned char *h;
	enum eseal_rc rc;

	memset(d, 0, sizeof(*d));
	if ((rc = enrol_request_get(s, id, &r)) != ESEAL_OK)
		return rc;
	if ((rc = store_org_get(s, r.org_id, &o)) != ESEAL_OK)
		goto out;
	snprintf(d->org_name, sizeof(d->org_name), "%s", o.name);
	snprintf(d->org_identifier, sizeof(d->org_identifier), "%s",
	    o.identifier);
	/* The schema's foreign key makes the acknowledgement exist. */
	if ((rc = store_ack_get(s, r.org_id, r.disclosure_version, &ack)) !=
	    ESEAL_OK)
		goto out;
	snprintf(d->ack_name, sizeof(d->ack_name), "%s", ack.signer_name);
	snprintf(d->ack_title, sizeof(d->ack_title), "%s", ack.signer_title);
	d->ack_at = ack.acknowledged_at;
	if ((rc = csr_parse(r.csr, r.csr_len, &c)) != ESEAL_OK)
		goto out;
	csr_key_describe(c, d->key_type, sizeof(d->key_type));
	h = csr_pubkey_sha256(c);
	for (size_t i = 0; i < CSR_SPKI_SHA256_LEN; i++)
		snprintf(d->key_sha256 + 2 * i, 3, "%02x", h[i]);
out:
	csr_free(c);
	enrol_request_clear(&r);
	return rc;
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
		return eseal_err(ESEAL_EINVAL, R_LIFECYCLE "a request status "
		    "is pending, approved, rejected, issued or failed");
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

	if ((rc = org_check_actor("enrol", actor)) != ESEAL_OK ||
	    (rc = org_check_line(R_POINT3 "the reason", reason,
	    ENROL_TEXT_MAX, 0, !approve)) != ESEAL_OK)
		return rc;
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = req_get(s, id, &r)) != ESEAL_OK)
		goto fail;
	free(r.csr);		/* only the state is needed */
	r.csr = NULL;
	if (strcmp(r.status, "pending") != 0) {
		rc = eseal_err(ESEAL_EEXIST, R_LIFECYCLE "a request is decided "
		    "once: request %lld is %s, not pending", (long long)id,
		    r.status);
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
		return eseal_err(ESEAL_EINVAL, R_LIFECYCLE "a request finishes "
		    "either issued with a serial or failed with a reason");
	if (serial != NULL && !valid_serial(serial))
		return eseal_err(ESEAL_EINVAL, "enrol: RFC 5280 4.1.2.2: a "
		    "serial is 1 to 20 octets in lower-case hex");
	if (fail_reason != NULL) {
		fail_reason = cut(fail_reason, reason, sizeof(reason));
		if ((rc = org_check_line(R_POINT3 "the failure reason",
		    fail_reason, sizeof(reason), 0, 1)) != ESEAL_OK)
			return rc;
	}
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = req_get(s, id, &r)) != ESEAL_OK)
		goto fail;
	free(r.csr);		/* only the state is needed */
	r.csr = NULL;
	if (strcmp(r.status, "approved") != 0) {
		rc = eseal_err(ESEAL_EEXIST, R_LIFECYCLE "only an approved "
		    "request is issued: request %lld is %s, not approved",
		    (long long)id, r.status);
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

