/*
 * api_audit.c: GET /api/v1/audit, the trail for auditors and admins
 * (panel point 7, issue 14 item 4): records by sequence number, filtered
 * by time (from, to: seconds since the epoch, inclusive), actor, action
 * and object (exact), a page at a time (after: the last seq of the
 * previous page, or offset: records skipped, as the console pages; limit).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"

#define AUDIT_PAGE_DEFAULT	100	/* records per page by default */
#define AUDIT_PAGE_MAX		1000	/* and at most */
#define AUDIT_FILTER_MAX	256	/* bytes of an actor/action/object */

/* A decimal query argument within [lo, hi] into *out (def if absent);
 * 0 with a message in resp if it is not one. */
static int
arg_int(const struct http_request *req, struct http_response *resp,
    const char *name, int64_t lo, int64_t hi, int64_t def, int64_t *out)
{
	const char *v = http_query(req, name);
	char *end, msg[160];
	long long n;

	*out = def;
	if (v == NULL)
		return 1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < lo || n > hi ||
	    strspn(v, "0123456789") != strlen(v)) {
		snprintf(msg, sizeof(msg), "audit: query %s: a decimal from "
		    "%lld to %lld", name, (long long)lo, (long long)hi);
		http_error(resp, ESEAL_EINVAL, msg);
		return 0;
	}
	*out = n;
	return 1;
}

/* A text query argument (NULL if absent); 0 with a message if too long. */
static int
arg_text(const struct http_request *req, struct http_response *resp,
    const char *name, const char **out)
{
	char msg[96];

	*out = http_query(req, name);
	if (*out == NULL || strlen(*out) < AUDIT_FILTER_MAX)
		return 1;
	snprintf(msg, sizeof(msg), "audit: query %s: longer than %d bytes",
	    name, AUDIT_FILTER_MAX - 1);
	http_error(resp, ESEAL_EINVAL, msg);
	return 0;
}

struct page {
	json_t	*arr;
	int64_t	 last;
	int	 oom;
};

static int
add_record(const struct store_audit *r, void *arg)
{
	struct page *p = arg;
	json_t *o;

	o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "seq",
	    (json_int_t)r->seq, "ts", (json_int_t)r->ts, "actor",
	    r->actor ? r->actor : "", "action", r->action ? r->action : "",
	    "object", r->object ? r->object : "", "detail",
	    r->detail ? r->detail : "", "source", r->source ? r->source : "");
	if (o == NULL || json_array_append_new(p->arr, o) != 0) {
		p->oom = 1;
		return 1;
	}
	p->last = r->seq;
	return 0;
}

void
api_audit_list(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct store_audit_filter f;
	struct session_info si;
	struct page p = { NULL, 0, 0 };
	enum eseal_rc rc;
	int64_t limit;

	if (api_auth(a, req, resp, ROLE_BIT(ROLE_AUDITOR) |
	    ROLE_BIT(ROLE_ADMIN), &si))
		return;
	memset(&f, 0, sizeof(f));
	if (!arg_int(req, resp, "after", 0, INT64_MAX, 0, &f.after) ||
	    !arg_int(req, resp, "from", 0, INT64_MAX, 0, &f.from) ||
	    !arg_int(req, resp, "to", 0, INT64_MAX, 0, &f.to) ||
	    !arg_int(req, resp, "offset", 0, INT64_MAX, 0, &f.offset) ||
	    !arg_int(req, resp, "limit", 1, AUDIT_PAGE_MAX,
	    AUDIT_PAGE_DEFAULT, &limit) ||
	    !arg_text(req, resp, "actor", &f.actor) ||
	    !arg_text(req, resp, "action", &f.action) ||
	    !arg_text(req, resp, "object", &f.object))
		return;
	/* One more than a page: whether another page follows. */
	f.limit = limit + 1;
	if ((p.arr = json_array()) == NULL) {
		http_error(resp, ESEAL_ENOMEM, "out of memory");
		return;
	}
	rc = store_audit_search(a->ca.store, &f, add_record, &p);
	if (rc == ESEAL_OK && p.oom)
		rc = eseal_err(ESEAL_ENOMEM, "out of memory");
	if (rc != ESEAL_OK) {
		json_decref(p.arr);
		http_error(resp, rc, NULL);
		return;
	}
	if ((int64_t)json_array_size(p.arr) > limit) {
		json_array_remove(p.arr, (size_t)limit);
		p.last = json_integer_value(json_object_get(json_array_get(p.arr,
		    (size_t)limit - 1), "seq"));
		http_json(resp, 200, json_pack("{s:o, s:I}", "records", p.arr,
		    "next_after", (json_int_t)p.last));
	} else
		http_json(resp, 200, json_pack("{s:o, s:n}", "records", p.arr,
		    "next_after"));
}
