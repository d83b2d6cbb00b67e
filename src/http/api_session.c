/*
 * api_session.c: operator login, password change, logout, and the one
 * authentication helper every operator route uses.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "api.h"
#include "log.h"

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
	if (rc == ESEAL_OK)
		rc = session_authorize(si, roles_mask);
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
	char token[SESSION_TOKEN_LEN + 1];
	const char *user, *pw;
	enum eseal_rc rc;
	json_t *j;

	if ((j = http_json_body(req, resp)) == NULL)
		return;
	user = str(j, "username");
	pw = str(j, "password");
	if (user == NULL || pw == NULL) {
		http_error(resp, ESEAL_EINVAL, "username and password are "
		    "required strings");
		json_decref(j);
		return;
	}
	rc = session_login(a->ca.store, &a->acct, user, pw, req->client_addr,
	    time(NULL), token, &si);
	json_decref(j);
	if (rc != ESEAL_OK) {
		http_error(resp, rc, NULL);
		retry_after(resp, &si);
		return;
	}
	http_json(resp, 201, json_pack("{s:s, s:s, s:s, s:b, s:i}", "token",
	    token, "username", si.username, "role", role_name(si.role),
	    "must_change_password", si.must_change, "idle_timeout_seconds",
	    a->acct.idle_secs));
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
