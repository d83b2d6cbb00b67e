/*
 * api_ra.c: what RA officers do over the API: register vetted
 * organisations, hand out enrolment codes, work the approval queue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "enrol.h"
#include "enrol_issue.h"

#define RA_ROLES	(1u << ROLE_RA)
#define QUEUE_READERS	((1u << ROLE_RA) | (1u << ROLE_AUDITOR) | \
			 (1u << ROLE_ADMIN))

/* A positive decimal id from a path segment, or -1. */
static int64_t
path_id(const char *s)
{
	char *end;
	long long v;

	if (*s < '1' || *s > '9' || strlen(s) > 18)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return (*end != '\0' || errno != 0) ? -1 : (int64_t)v;
}

/* Copies an optional string member; 0 if present but too long or no string. */
static int
copy(json_t *j, const char *key, char *dst, size_t len)
{
	json_t *v = json_object_get(j, key);

	dst[0] = '\0';
	if (v == NULL)
		return 1;
	if (!json_is_string(v) || json_string_length(v) >= len ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return 0;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 1;
}

void
api_org_create(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	struct org_rec rec;
	enum eseal_rc rc;
	json_t *j;

	if (api_auth(a, req, resp, RA_ROLES, &si))
		return;
	if ((j = http_json_body(req, resp)) == NULL)
		return;
	memset(&rec, 0, sizeof(rec));
	if (!copy(j, "name", rec.name, sizeof(rec.name)) ||
	    !copy(j, "english_name", rec.english_name,
	    sizeof(rec.english_name)) ||
	    !copy(j, "corporate_number", rec.corporate_number,
	    sizeof(rec.corporate_number)) ||
	    !copy(j, "country", rec.country, sizeof(rec.country)) ||
	    !copy(j, "identifier", rec.identifier, sizeof(rec.identifier)) ||
	    !copy(j, "evidence", rec.evidence, sizeof(rec.evidence))) {
		json_decref(j);
		http_error(resp, ESEAL_EINVAL, "name, english_name, "
		    "corporate_number, country, identifier and evidence must "
		    "be strings within their length limits");
		return;
	}
	json_decref(j);
	if (rec.country[0] == '\0')
		memcpy(rec.country, "JP", 3);
	if (rec.name[0] == '\0' || rec.evidence[0] == '\0') {
		http_error(resp, ESEAL_EINVAL, "name and evidence (the vetting "
		    "evidence reference) are required");
		return;
	}
	if (strcmp(rec.country, "JP") == 0 && rec.corporate_number[0] == '\0') {
		http_error(resp, ESEAL_EINVAL, "orgid: corporate number (MoF "
		    "ordinance): corporate_number is missing: an organisation "
		    "of country JP is registered by its 13-digit corporate "
		    "number (法人番号)");
		return;
	}
	if ((rc = org_register(a->ca.store, &rec, time(NULL),
	    si.username)) != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	http_json(resp, 201, json_pack("{s:I, s:s, s:s, s:s}", "id",
	    (json_int_t)rec.id, "name", rec.name, "identifier", rec.identifier,
	    "country", rec.country));
}

void
api_org_code(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	char code[ORG_CODE_LEN + 1];
	int64_t id = path_id(req->param), now = time(NULL);
	enum eseal_rc rc;

	if (api_auth(a, req, resp, RA_ROLES, &si))
		return;
	if (id < 0) {
		http_error(resp, ESEAL_ENOTFOUND, "no such organisation");
		return;
	}
	if ((rc = org_code_new(a->ca.store, id, a->code_ttl, now,
	    si.username, code)) != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	http_json(resp, 201, json_pack("{s:s, s:I, s:I}", "code", code,
	    "organization", (json_int_t)id, "expires", (json_int_t)(now +
	    a->code_ttl)));
}

/* RFC 3339 UTC, "YYYY-MM-DDThh:mm:ssZ" (21 bytes with the NUL). */
static void
rfc3339(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%lld", (long long)t);
}

/*
 * A request as the queue shows it: what the RA officer approves (issue 11
 * item 11, docs/enrolment.md "The approval queue").  A request whose
 * details cannot be read is listed with "detail_error" instead.
 */
static json_t *
request_json(struct app *a, const struct enrol_request *r)
{
	struct enrol_request_detail d;
	char created[32], acked[32];
	json_t *o;

	rfc3339(r->created, created);
	o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:b, s:I, s:s, s:s, s:s, "
	    "s:s, s:s}",
	    "id", (json_int_t)r->id, "organization", (json_int_t)r->org_id,
	    "status", r->status, "profile", r->profile, "key_holder",
	    key_holder_name(r->holder), "qscd", r->qscd, "created",
	    (json_int_t)r->created, "created_at", created, "decided_by",
	    r->decided_by, "reason", r->reason, "serial", r->serial,
	    "client_addr", r->client_addr);
	if (o == NULL)
		return NULL;
	if (enrol_request_detail(a->ca.store, r->id, &d) != ESEAL_OK) {
		json_object_set_new(o, "detail_error",
		    json_string(eseal_errmsg()));
		return o;
	}
	rfc3339(d.ack_at, acked);
	json_object_set_new(o, "organization_name", json_string(d.org_name));
	json_object_set_new(o, "organization_identifier",
	    json_string(d.org_identifier));
	json_object_set_new(o, "key", json_pack("{s:s, s:s}", "type",
	    d.key_type, "spki_sha256", d.key_sha256));
	json_object_set_new(o, "disclosure", json_pack("{s:s, s:s, s:s, s:s}",
	    "version", r->disclosure_version, "acknowledged_by", d.ack_name,
	    "title", d.ack_title, "acknowledged_at", acked));
	return o;
}

void
api_requests_list(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	struct enrol_request *v = NULL;
	const char *status = http_query(req, "status");
	enum eseal_rc rc;
	json_t *arr;
	size_t n = 0;

	if (api_auth(a, req, resp, QUEUE_READERS, &si))
		return;
	if (status == NULL)
		status = "pending";
	if ((rc = enrol_request_list(a->ca.store, status, &v, &n)) != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(arr, request_json(a, &v[i]));
		enrol_request_clear(&v[i]);
	}
	free(v);
	http_json(resp, 200, json_pack("{s:o}", "requests", arr));
}

static void
decide(struct app *a, const struct http_request *req,
    struct http_response *resp, int approve)
{
	struct session_info si;
	char serial[STORE_SERIAL_HEX_MAX], reason[256] = "";
	int64_t id = path_id(req->param), now = time(NULL);
	enum eseal_rc rc;
	json_t *j;

	if (api_auth(a, req, resp, RA_ROLES, &si))
		return;
	if (id < 0) {
		http_error(resp, ESEAL_ENOTFOUND, "no such request");
		return;
	}
	if (!approve) {
		if ((j = http_json_body(req, resp)) == NULL)
			return;
		if (!copy(j, "reason", reason, sizeof(reason)) ||
		    reason[0] == '\0') {
			json_decref(j);
			http_error(resp, ESEAL_EINVAL, "a rejection needs a "
			    "reason (a string)");
			return;
		}
		json_decref(j);
	}
	if (approve)
		rc = enrol_issue_approve(&a->ca, id, si.username, now, serial);
	else
		rc = enrol_request_decide(a->ca.store, id, 0, si.username,
		    reason, now);
	if (rc != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	if (!approve) {
		http_json(resp, 200, json_pack("{s:I, s:s, s:s}", "id",
		    (json_int_t)id, "status", "rejected", "reason", reason));
		return;
	}
	http_json(resp, 200, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
	    "status", "issued", "serial", serial));
}

void
api_request_approve(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	decide(arg, req, resp, 1);
}

void
api_request_reject(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	decide(arg, req, resp, 0);
}
