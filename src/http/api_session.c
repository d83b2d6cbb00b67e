/*
 * api_session.c: operator login, password change, logout, and the one
 * authentication helper every operator route uses.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "api.h"
#include "audit.h"
#include "log.h"

/*
 * A known operator refused a route (wrong role, or one factor from outside
 * the zone): one audit record naming who, what and why (panel point 7).
 * Requests without valid credentials are not recorded: anyone could fill
 * the trail with them; they are rate-limited and logged.  Returns rc.
 */
static enum eseal_rc
auth_refused(struct app *a, const struct http_request *req,
    const struct session_info *si, const char *action, enum eseal_rc rc)
{
	char msg[256], why[256], object[300];

	snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
	snprintf(why, sizeof(why), "%s", msg);
	snprintf(object, sizeof(object), "%s %.280s", req->method, req->path);
	for (char *p = why; *p != '\0'; p++)	/* one quoted field */
		if (*p == '"')
			*p = '\'';
	if (audit_append(a->ca.store, time(NULL), si->username, action,
	    object, "role=%s factors=%s reason=\"%s\"", role_name(si->role),
	    si->factors, why) != ESEAL_OK)
		log_error("msg=\"refusal not audited\" error=\"%s\"",
		    eseal_errmsg());
	return eseal_err(rc, "%s", msg);
}

int
api_auth(struct app *a, const struct http_request *req,
    struct http_response *resp, unsigned roles_mask, struct session_info *si)
{
	const char *tok = http_bearer(req);
	enum eseal_rc rc;

	memset(si, 0, sizeof(*si));
	if (tok != NULL)
		rc = session_get(a->ca.store, &a->acct, tok, time(NULL), si);
	else if (req->peer == HTTP_PEER_VERIFIED)
		rc = session_by_cert(a->ca.store, req->peer_cn, si);
	else
		rc = eseal_err(ESEAL_EAUTH, "log in first: no session token "
		    "or client certificate");
	if (rc == ESEAL_OK && tok == NULL)
		snprintf(si->factors, sizeof(si->factors), "cert");
	/* From outside the zone, one factor is not enough (panel point 6):
	 * a certificate alone, or a session opened with a password alone
	 * inside the zone and now used from outside. */
	if (rc == ESEAL_OK && !req->in_zone && (strcmp(si->factors,
	    "password") == 0 || strcmp(si->factors, "cert") == 0))
		rc = auth_refused(a, req, si, "authz.second_factor_needed",
		    eseal_err(ESEAL_EAUTH, "session: panel point 6: a second "
		    "factor is needed from outside [security] secure_zone: "
		    "log in with password and TOTP code (or password and "
		    "client certificate)"));
	else if (rc == ESEAL_OK && (rc = session_authorize(si, roles_mask)) !=
	    ESEAL_OK)
		rc = auth_refused(a, req, si, "authz.refused", rc);
	if (rc != ESEAL_OK) {
		http_error(resp, rc, NULL);
		if (rc == ESEAL_EAUTH)
			http_add_header(resp, "WWW-Authenticate", "Bearer");
		return 1;
	}
	return 0;
}

/* A string member, or NULL if absent or not a string. */
static const char *
str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/* A throttled login's 429 says when an attempt may pass (RFC 6585 4). */
static void
retry_after(struct http_response *resp, const struct session_info *si)
{
	char v[24];

	if (si->retry_after <= 0)
		return;
	snprintf(v, sizeof(v), "%lld", (long long)si->retry_after);
	http_add_header(resp, "Retry-After", v);
}

void
api_session_login(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	struct login_factors lf;
	struct totp_key key;
	char token[SESSION_TOKEN_LEN + 1];
	const char *user, *pw;
	enum eseal_rc rc;
	json_t *j;

	if ((j = http_json_body(req, resp)) == NULL)
		return;
	user = str(j, "username");
	pw = str(j, "password");
	lf.code = str(j, "totp");
	if (user == NULL || pw == NULL || (json_object_get(j, "totp") != NULL &&
	    lf.code == NULL)) {
		http_error(resp, ESEAL_EINVAL, "username and password are "
		    "required strings, totp an optional string");
		json_decref(j);
		return;
	}
	lf.in_zone = req->in_zone;
	lf.cert = req->peer == HTTP_PEER_VERIFIED &&
	    strcmp(req->peer_cn, user) == 0;
	pthread_mutex_lock(&a->sec_mu);
	key = a->totp;
	lf.require_roles = a->require_roles;
	pthread_mutex_unlock(&a->sec_mu);
	lf.key = &key;
	rc = session_login_factors(a->ca.store, &a->acct, &lf, user, pw,
	    req->client_addr, time(NULL), token, &si);
	sodium_memzero(&key, sizeof(key));
	json_decref(j);
	if (rc != ESEAL_OK) {
		http_error(resp, rc, NULL);
		retry_after(resp, &si);
		return;
	}
	http_json(resp, 201, json_pack("{s:s, s:s, s:s, s:b, s:i, s:b, s:s}",
	    "token", token, "username", si.username, "role",
	    role_name(si.role), "must_change_password", si.must_change,
	    "idle_timeout_seconds", a->acct.idle_secs, "in_zone", si.in_zone,
	    "factors", si.factors));
	sodium_memzero(token, sizeof(token));
}

void
api_session_password(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	const char *tok = http_bearer(req), *o, *n;
	char token[SESSION_TOKEN_LEN + 1];
	struct session_info si;
	enum eseal_rc rc;
	json_t *j;

	/* A body without both passwords never reaches the session code, and
	 * its 400 must not carry a Retry-After read from stack garbage
	 * (valgrind, make valgrind). */
	memset(&si, 0, sizeof(si));
	if (tok == NULL) {
		http_error(resp, ESEAL_EAUTH, "log in first");
		return;
	}
	if ((j = http_json_body(req, resp)) == NULL)
		return;
	o = str(j, "old_password");
	n = str(j, "new_password");
	if (o == NULL || n == NULL)
		rc = eseal_err(ESEAL_EINVAL, "old_password and new_password "
		    "are required strings");
	else
		rc = session_change_password(a->ca.store, &a->acct, tok, o, n,
		    time(NULL), token, &si);
	json_decref(j);
	if (rc != ESEAL_OK) {
		http_error(resp, rc, NULL);
		retry_after(resp, &si);
		return;
	}
	/* Every session ended, the caller's too: this token replaces it. */
	http_json(resp, 200, json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}",
	    "status", "password changed", "token", token, "username",
	    si.username, "role", role_name(si.role), "must_change_password",
	    si.must_change, "idle_timeout_seconds", a->acct.idle_secs));
	sodium_memzero(token, sizeof(token));
}

void
api_session_logout(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	const char *tok = http_bearer(req);

	if (tok == NULL) {
		http_error(resp, ESEAL_EAUTH, "no session token");
		return;
	}
	(void)session_logout(a->ca.store, tok);
	http_set_body(resp, 204, NULL, NULL, 0);
}

/*
 * POST /api/v1/session/totp: {} enrols a new secret for the caller's own
 * account and shows it once; {"code": "123456"} confirms it.  Any role,
 * each for itself (totp.h).
 */
void
api_session_totp(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct totp_enrolment en;
	struct session_info si;
	struct totp_key key;
	const char *code;
	enum eseal_rc rc;
	json_t *j;

	if (api_auth(a, req, resp, ROLE_ANY, &si))
		return;
	if ((j = http_json_body(req, resp)) == NULL)
		return;
	code = str(j, "code");
	if (json_object_get(j, "code") != NULL && code == NULL) {
		http_error(resp, ESEAL_EINVAL, "code is an optional string");
		json_decref(j);
		return;
	}
	pthread_mutex_lock(&a->sec_mu);
	key = a->totp;
	pthread_mutex_unlock(&a->sec_mu);
	if (code == NULL)
		rc = totp_enrol(a->ca.store, &key, si.account_id, si.username,
		    time(NULL), &en);
	else
		rc = totp_confirm(a->ca.store, &key, si.account_id, si.username,
		    code, time(NULL));
	json_decref(j);
	sodium_memzero(&key, sizeof(key));
	if (rc != ESEAL_OK)
		http_error(resp, rc, NULL);
	else if (code == NULL)
		http_json(resp, 201, json_pack("{s:s, s:s, s:b, s:s}", "secret",
		    en.secret_b32, "otpauth_uri", en.uri, "confirmed", 0, "next",
		    "POST the first code as {\"code\": \"NNNNNN\"} to put it in "
		    "force"));
	else
		http_json(resp, 200, json_pack("{s:s, s:b}", "status",
		    "second factor confirmed", "confirmed", 1));
	sodium_memzero(&en, sizeof(en));
}
