/*
 * api_enrol.c: what subscribers do: read the important-matters disclosure,
 * enrol with a one-time code and a CSR, follow the request, and fetch
 * certificates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "api.h"
#include "api_publish.h"
#include "enrol.h"
#include "enrol_issue.h"
#include "issuer.h"
#include "ocsp_cache.h"
#include "revoke.h"
#include "store_enrol.h"
#include "serial.h"

void
api_disclosure(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;

	(void)req;
	http_json(resp, 200, json_pack("{s:s, s:s, s:{s:s, s:s}}", "version",
	    disclosure_version(a->disclosure), "sha256",
	    disclosure_sha256(a->disclosure), "text", "ja",
	    disclosure_text(a->disclosure, "ja"), "en",
	    disclosure_text(a->disclosure, "en")));
	http_add_header(resp, "Cache-Control", "no-cache");
}

/* Adds "certificate" and "chain" (PEM) for an issued serial to o. */
static void
add_cert(struct app *a, json_t *o, const char *serial)
{
	struct store_cert c;
	struct store_issuer is;
	char *pem, *chain;

	if (serial[0] == '\0' || store_cert_get(a->ca.store, serial, &c) !=
	    ESEAL_OK)
		return;
	if (c.status == CERT_ISSUED && (pem = pem_from_der(c.cert, c.cert_len))
	    != NULL) {
		json_object_set_new(o, "certificate", json_string(pem));
		free(pem);
		if (store_issuer_by_id(a->ca.store, c.issuer_id, &is) ==
		    ESEAL_OK) {
			if ((chain = pem_from_der(is.cert, is.cert_len)) != NULL)
				json_object_set_new(o, "chain",
				    json_string(chain));
			free(chain);
			store_issuer_clear(&is);
		}
	}
	store_cert_clear(&c);
}

/*
 * POST /api/v1/enrolments: the JSON body into a submission; the rules and
 * what follows them are enrol_issue_submit()'s.
 */
/* A string member, or NULL.  jansson refuses \\u0000 (no
 * JSON_ALLOW_NUL), so strlen() is the length the client sent. */
static const char *
str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

enum eseal_rc
api_enrol_submission(json_t *j, const char *default_profile,
    struct enrol_submission *sub, char *msg, size_t msglen)
{
	const char *code, *pem, *holder, *ver, *profile;
	int h;
	json_t *ack;

	memset(sub, 0, sizeof(*sub));
	code = str(j, "code");
	pem = str(j, "csr");
	holder = str(j, "key_holder");
	profile = str(j, "profile");
	ack = json_object_get(j, "acknowledgement");
	if (code == NULL || pem == NULL || holder == NULL) {
		snprintf(msg, msglen, "code, csr (PEM) and key_holder are "
		    "required strings");
		return ESEAL_EINVAL;
	}
	if ((h = key_holder_parse(holder)) < 0) {
		snprintf(msg, msglen, "panel point 8: key_holder is subscriber "
		    "or remote-service");
		return ESEAL_EINVAL;
	}
	if (ack != NULL && !json_is_object(ack)) {
		snprintf(msg, msglen, "acknowledgement is an object {version, "
		    "sha256, name, title}");
		return ESEAL_EINVAL;
	}
	sub->code = code;
	sub->csr_der = (const unsigned char *)pem;
	sub->csr_len = strlen(pem);
	sub->profile = profile != NULL ? profile : default_profile;
	sub->holder = (enum key_holder)h;
	sub->qscd = json_is_true(json_object_get(j, "qscd"));
	if (ack != NULL) {
		/* An acknowledgement names a version, or is malformed. */
		ver = str(ack, "version");
		sub->disclosure_version = ver != NULL ? ver : "";
		sub->disclosure_sha256 = str(ack, "sha256");
		sub->signer_name = str(ack, "name");
		sub->signer_title = str(ack, "title");
	}
	return ESEAL_OK;
}

void
api_enrol_create(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct enrol_submission sub;
	struct enrol_outcome out;
	enum eseal_rc rc;
	char msg[128];
	json_t *j, *o;

	if ((j = http_json_body(req, resp)) == NULL)
		return;
	if ((rc = api_enrol_submission(j, a->conf->issue_profile, &sub, msg,
	    sizeof(msg))) != ESEAL_OK) {
		http_error(resp, rc, msg);
		goto out;
	}
	sub.disclosure = a->disclosure;
	sub.client_addr = req->client_addr;
	if ((rc = enrol_issue_submit(&a->ca, &sub, time(NULL), &out)) !=
	    ESEAL_OK) {
		http_error(resp, rc, NULL);
		goto out;
	}
	o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)out.id, "status",
	    enrol_status_name(out.status), "token", out.token);
	OPENSSL_cleanse(out.token, sizeof(out.token));
	if (o != NULL && out.status == ENROL_ISSUED) {
		json_object_set_new(o, "serial", json_string(out.serial));
		add_cert(a, o, out.serial);
	}
	http_json(resp, 201, o);
out:
	json_decref(j);
}

/*
 * A subscriber's credential (request token or enrolment code) that is
 * valid, but for another enrolment than the one asked about: 403 saying
 * so, rather than a 401 that tells the subscriber to log in (RFC 9110
 * 15.5.4).  1 if it answered.
 */
static int
not_covered(struct app *a, const char *tok, const char *what,
    const char *which, struct http_response *resp)
{
	char msg[256];
	int64_t other;

	if (enrol_request_find(a->ca.store, tok, &other) != ESEAL_OK)
		return 0;
	snprintf(msg, sizeof(msg), "this credential (the request token or "
	    "enrolment code of enrolment %lld) covers that enrolment and its "
	    "certificate only, not %s %.80s", (long long)other, what, which);
	http_error(resp, ESEAL_EFORBIDDEN, msg);
	return 1;
}

void
api_enrol_get(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct enrol_request er;
	const char *tok = http_bearer(req);
	enum eseal_rc rc;
	char *end;
	long long id;
	json_t *o;

	errno = 0;
	id = strtoll(req->param, &end, 10);
	if (req->param[0] < '1' || req->param[0] > '9' || *end != '\0' ||
	    errno != 0) {
		http_error(resp, ESEAL_ENOTFOUND, "no such enrolment");
		return;
	}
	if (tok == NULL) {
		http_error(resp, ESEAL_EAUTH, "Authorization: Bearer with the "
		    "request token or the enrolment code is required");
		return;
	}
	if ((rc = enrol_request_auth(a->ca.store, id, tok)) == ESEAL_EAUTH &&
	    not_covered(a, tok, "enrolment", req->param, resp))
		return;
	if (rc != ESEAL_OK ||
	    (rc = enrol_request_get(a->ca.store, id, &er)) != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	o = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)er.id, "status",
	    er.status, "created", (json_int_t)er.created);
	if (er.decided_at != 0)
		json_object_set_new(o, "decided_at",
		    json_integer(er.decided_at));
	if (er.reason[0] != '\0')
		json_object_set_new(o, "reason", json_string(er.reason));
	if (er.serial[0] != '\0') {
		json_object_set_new(o, "serial", json_string(er.serial));
		add_cert(a, o, er.serial);
	}
	enrol_request_clear(&er);
	http_json(resp, 200, o);
}

void
api_cert_get(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct store_cert c;
	const char *accept = http_header(req, "Accept");
	char *pem;
	size_t n = strlen(req->param);

	if (n == 0 || n >= STORE_SERIAL_HEX_MAX ||
	    strspn(req->param, "0123456789abcdef") != n ||
	    store_cert_get(a->ca.store, req->param, &c) != ESEAL_OK) {
		http_error(resp, ESEAL_ENOTFOUND, "no certificate with that "
		    "serial (lower-case hex)");
		return;
	}
	if (c.status != CERT_ISSUED)
		http_error(resp, ESEAL_ENOTFOUND, "no issued certificate with "
		    "that serial");
	else if (accept != NULL && strcmp(accept, "application/pkix-cert") == 0)
		http_set_body(resp, 200, "application/pkix-cert", c.cert,
		    c.cert_len);
	else if ((pem = pem_from_der(c.cert, c.cert_len)) != NULL) {
		http_set_body(resp, 200, "application/pem-certificate-chain",
		    pem, strlen(pem));
		free(pem);
	} else
		http_error(resp, ESEAL_EINTERNAL, "cannot encode");
	store_cert_clear(&c);
}

void
api_cert_revoke(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	struct revoke_request rr;
	struct store_revocation out;
	enum revoke_reason reason;
	const char *tok = http_bearer(req), *rs, *inv;
	char who[96], serial[STORE_SERIAL_HEX_MAX];
	int64_t id, invalidity = 0, now = time(NULL);
	enum eseal_rc rc;
	struct tm tm;
	json_t *j;
	size_t n = strlen(req->param);

	if (n == 0 || n >= STORE_SERIAL_HEX_MAX ||
	    strspn(req->param, "0123456789abcdef") != n) {
		http_error(resp, ESEAL_ENOTFOUND, "no certificate with that "
		    "serial (lower-case hex)");
		return;
	}
	snprintf(serial, sizeof(serial), "%s", req->param);
	/* The subscriber, by the credential of the enrolment that made it. */
	if (tok != NULL && store_enrol_req_by_serial(a->ca.store, serial, &id)
	    == ESEAL_OK && enrol_request_auth(a->ca.store, id, tok) == ESEAL_OK)
		snprintf(who, sizeof(who), "subscriber:enrolment-%lld",
		    (long long)id);
	else if (tok != NULL && not_covered(a, tok, "certificate", serial,
	    resp))
		return;
	else if (api_auth(a, req, resp, 1u << ROLE_RA, &si))
		return;
	else
		snprintf(who, sizeof(who), "%s", si.username);
	if ((j = http_json_body(req, resp)) == NULL)
		return;
	rs = json_string_value(json_object_get(j, "reason"));
	inv = json_string_value(json_object_get(j, "invalidity_date"));
	memset(&tm, 0, sizeof(tm));
	if (rs == NULL || revoke_reason_parse(rs, &reason) != ESEAL_OK) {
		http_error(resp, ESEAL_EINVAL, "reason must be an RFC 5280 "
		    "CRLReason name (keyCompromise, affiliationChanged, "
		    "superseded, cessationOfOperation, privilegeWithdrawn, "
		    "unspecified)");
		json_decref(j);
		return;
	}
	if (inv != NULL) {
		char *end = strptime(inv, "%Y-%m-%dT%H:%M:%SZ", &tm);

		if (end == NULL || *end != '\0') {
			http_error(resp, ESEAL_EINVAL, "invalidity_date must be "
			    "YYYY-MM-DDThh:mm:ssZ");
			json_decref(j);
			return;
		}
		invalidity = (int64_t)timegm(&tm);
	}
	memset(&rr, 0, sizeof(rr));
	rr.serial = serial;
	rr.reason = reason;
	rr.invalidity_date = invalidity;
	rr.actor = who;
	rc = revoke_cert(&a->ca, &rr, now, &out);
	json_decref(j);
	if (rc != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	/* Cached OCSP answers about it must go now (RFC 6960 2.2). */
	ocsp_cache_invalidate(out.serial);
	publish_revoked(a->publisher, out.serial);
	http_json(resp, 200, json_pack("{s:s, s:s, s:I}", "serial", out.serial,
	    "reason", revoke_reason_name((enum revoke_reason)out.reason),
	    "revoked_at", (json_int_t)out.revoked_at));
}
