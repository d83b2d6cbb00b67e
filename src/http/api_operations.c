/*
 * api_operations.c: dual control over the API (approval.h,
 * docs/security.md): POST /api/v1/operations proposes, POST
 * /api/v1/operations/{id}/approve and .../reject vote, GET
 * /api/v1/operations lists.  The vote that completes the quorum runs the
 * operation (operation.h) and its response carries the result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "approval.h"
#include "operation.h"

/* Proposers and voters: the approval module refuses a wrong role itself,
 * naming the role the kind needs; an auditor changes nothing. */
#define OP_WRITERS	((1u << ROLE_ADMIN) | (1u << ROLE_RA))
#define OP_READERS	ROLE_ANY

/* A positive decimal id from a path segment, or -1. */
static int64_t
op_id(const char *s)
{
	char *end;
	long long v;

	if (*s < '1' || *s > '9' || strlen(s) > 18)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return (*end != '\0' || errno != 0) ? -1 : (int64_t)v;
}

static json_t *
op_json(const struct store_op *o)
{
	json_t *votes = json_array(), *params;

	for (int i = 0; i < o->nvotes; i++)
		json_array_append_new(votes, json_pack("{sssbsI}", "account",
		    o->votes[i].account, "approve", o->votes[i].approve,
		    "ts", (json_int_t)o->votes[i].ts));
	if ((params = json_loads(o->params ? o->params : "", 0, NULL)) == NULL)
		params = json_null();
	return json_pack("{sIsssosssssisssssIsIsIssso}", "id", (json_int_t)o->id,
	    "kind", o->kind, "parameters", params, "params_sha256",
	    o->params_hash, "role", o->role, "quorum", o->quorum, "proposer",
	    o->proposer, "status", o->status, "created", (json_int_t)o->created,
	    "expires", (json_int_t)o->expires, "decided",
	    (json_int_t)o->decided, "result", o->result ? o->result : "",
	    "votes", votes);
}

static void
approval_conf_of(const struct app *a, struct approval_conf *c)
{
	c->quorum = a->ca.conf->approval_quorum;
	c->expiry_secs = a->ca.conf->approval_expiry_hours * 3600;
}

void
api_op_propose(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	struct approval_request r;
	struct approval_conf c;
	struct store_op o;
	char msg[512];
	enum eseal_rc rc;
	int64_t id;
	json_t *j;

	if (api_auth(a, req, resp, OP_WRITERS, &si))
		return;
	if ((j = http_json_body(req, resp)) == NULL)
		return;
	rc = approval_request_parse(j, &r, msg, sizeof(msg));
	json_decref(j);
	if (rc != ESEAL_OK) {
		http_error(resp, rc, msg);
		return;
	}
	approval_conf_of(a, &c);
	rc = approval_propose(a->ca.store, &c, &r, &si, time(NULL), &id);
	approval_request_clear(&r);
	if (rc == ESEAL_OK)
		rc = store_op_get(a->ca.store, id, &o);
	if (rc != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	http_json(resp, 201, op_json(&o));
	store_op_clear(&o);
}

static void
vote(struct app *a, const struct http_request *req, struct http_response *resp,
    int approve)
{
	struct operation_ctx x = { &a->ca, &a->acct };
	struct approval_outcome out;
	struct session_info si;
	int64_t id = op_id(req->param);
	const char *seen;
	enum eseal_rc rc;
	json_t *j, *h;

	if (api_auth(a, req, resp, OP_WRITERS, &si))
		return;
	if (id < 0) {
		http_error(resp, ESEAL_ENOTFOUND, "no such operation");
		return;
	}
	if ((j = http_json_body(req, resp)) == NULL)
		return;
	h = json_object_get(j, "params_sha256");
	if (json_object_size(j) != 1 || !json_is_string(h)) {
		json_decref(j);
		http_error(resp, ESEAL_EINVAL, "approval: the body is "
		    "{\"params_sha256\": the SHA-256 of the parameters you "
		    "reviewed, as GET /api/v1/operations shows it}");
		return;
	}
	seen = json_string_value(h);
	rc = approval_vote(a->ca.store, id, approve, seen, &si, time(NULL),
	    operation_execute, &x, &out);
	json_decref(j);
	if (rc != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	http_json(resp, 200, json_pack("{sIsssisiss}", "id", (json_int_t)id,
	    "status", out.status, "approvals", out.approvals, "quorum",
	    out.quorum, "result", out.result));
}

void
api_op_approve(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	vote(arg, req, resp, 1);
}

void
api_op_reject(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	vote(arg, req, resp, 0);
}

void
api_op_list(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	struct store_op *v = NULL;
	const char *status = http_query(req, "status");
	enum eseal_rc rc;
	json_t *arr;
	size_t n = 0;

	if (api_auth(a, req, resp, OP_READERS, &si))
		return;
	if (status != NULL && strcmp(status, "pending") != 0 &&
	    strcmp(status, "executed") != 0 && strcmp(status, "rejected") != 0 &&
	    strcmp(status, "failed") != 0) {
		http_error(resp, ESEAL_EINVAL, "approval: status is pending, "
		    "executed, rejected or failed");
		return;
	}
	if ((rc = approval_list(a->ca.store, status ? status : "", &v, &n))
	    != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, op_json(&v[i]));
	store_op_list_free(v, n);
	http_json(resp, 200, json_pack("{so}", "operations", arr));
}
