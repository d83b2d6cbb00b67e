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
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api.h"
#include "api_publish.h"
#include "enrol.h"
#include "enrol_issue.h"
#include "issuer.h"
#include "ocsp_cache.h"
#include "revoke.h"
#include "store_enrol.h"
#include "serial.h"

static const char *
str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

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

void
api_enrol_create(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct enrol_submission sub;
	struct org_rec rec;
	struct csr *csr = NULL;
	json_t *j, *ack, *out;
	const char *code, *pem, *holder, *profile, *ver, *sha;
	char token[64], serial[STORE_SERIAL_HEX_MAX] = "";
	int64_t org_id, id, now = time(NULL);
	enum eseal_rc rc;
	int h, acked, auto_ok = 0;

	if ((j = http_json_body(req, resp)) == NULL)
		return;
	code = str(j, "code");
	pem = str(j, "csr");
	holder = str(j, "key_holder");
	profile = str(j, "profile");
	ack = json_object_get(j, "acknowledgement");
	if (code == NULL || pem == NULL || holder == NULL) {
		http_error(resp, ESEAL_EINVAL, "code, csr (PEM) and key_holder "
		    "are required strings");
		goto out;
	}
	if ((h = key_holder_parse(holder)) < 0) {
		http_error(resp, ESEAL_EINVAL, "key_holder must be subscriber "
		    "or remote-service");
		goto out;
	}
	if (profile == NULL)
		profile = a->conf->issue_profile;
	/* The code first: nothing about the request is judged without it. */
	if ((rc = org_code_check(a->ca.store, code, now, &org_id)) !=
	    ESEAL_OK || (rc = org_get(a->ca.store, org_id, &rec)) !=
	    ESEAL_OK) {
		http_error(resp, rc, NULL);
		goto out;
	}
	/* REQUIREMENTS point 1: the current disclosure, acknowledged. */
	ver = disclosure_version(a->disclosure);
	sha = disclosure_sha256(a->disclosure);
	acked = org_ack_exists(a->ca.store, org_id, ver);
	if (acked < 0) {
		http_error(resp, ESEAL_ESTORE, NULL);
		goto out;
	}
	if (!acked && (ack == NULL || str(ack, "version") == NULL ||
	    str(ack, "sha256") == NULL || str(ack, "name") == NULL ||
	    str(ack, "title") == NULL)) {
		http_error(resp, ESEAL_ENOACK, "the organisation's contracting party must acknowledge the "
		    "current disclosure (GET /disclosure/current): "
		    "acknowledgement {version, sha256, name, title}");
		goto out;
	}
	if (ack != NULL && (str(ack, "version") == NULL ||
	    strcmp(str(ack, "version"), ver) != 0 || str(ack, "sha256") == NULL
	    || strcmp(str(ack, "sha256"), sha) != 0)) {
		http_error(resp, ESEAL_ESTALE, "the "
		    "acknowledgement is not of the current disclosure version "
		    "and text");
		goto out;
	}
	if ((rc = csr_parse((const unsigned char *)pem, strlen(pem), &csr)) !=
	    ESEAL_OK || (rc = enrol_issue_check(&a->ca, &rec, csr, profile,
	    (enum key_holder)h, json_is_true(json_object_get(j, "qscd")),
	    now)) != ESEAL_OK) {
		/* A refused request costs the (valid) code an attempt. */
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
		if (org_code_refused(a->ca.store, code, now, rc) ==
		    ESEAL_ETOOMANY)
			http_error(resp, ESEAL_ETOOMANY, NULL);
		else
			http_error(resp, rc, msg);
		goto out;
	}
	memset(&sub, 0, sizeof(sub));
	sub.code = code;
	sub.csr_der = NULL;
	{
		unsigned char *der = NULL;
		size_t len;

		if ((rc = csr_der(csr, &der, &len)) != ESEAL_OK) {
			http_error(resp, rc, NULL);
			goto out;
		}
		sub.csr_der = der;
		sub.csr_len = len;
		sub.profile = profile;
		sub.holder = (enum key_holder)h;
		sub.qscd = json_is_true(json_object_get(j, "qscd"));
		sub.disclosure = a->disclosure;
		sub.disclosure_version = ver;
		sub.disclosure_sha256 = sha;
		sub.signer_name = ack ? str(ack, "name") : NULL;
		sub.signer_title = ack ? str(ack, "title") : NULL;
		sub.client_addr = req->client_addr;
		rc = enrol_request_create(a->ca.store, &sub, now, &id, token);
		OPENSSL_free(der);
	}
	if (rc != ESEAL_OK) {
		http_error(resp, rc, NULL);
		goto out;
	}
	/* Profiles that allow it are issued at once, without an RA. */
	if (enrol_profile_auto(&a->ca, profile) &&
	    enrol_request_decide(a->ca.store, id, 1, "auto-approval", NULL,
	    now) == ESEAL_OK)
		auto_ok = enrol_issue(&a->ca, id, "auto-approval", now, serial)
		    == ESEAL_OK;
	out = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "status",
	    auto_ok ? "issued" : "pending", "token", token);
	if (auto_ok) {
		json_object_set_new(out, "serial", json_string(serial));
		add_cert(a, out, serial);
	}
	http_json(resp, 201, out);
out:
	csr_free(csr);
	json_decref(j);
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
	if ((rc = enrol_request_auth(a->ca.store, id, tok)) != ESEAL_OK ||
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
