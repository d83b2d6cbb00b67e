/*
 * api_status.c: the read-only JSON routes the web console needs beside the
 * workflow API: the organisations (GET /api/v1/organizations), a
 * certificate search (GET /api/v1/certificates) and the admin status page
 * (GET /api/v1/status: issuers, HSM modules, CRL freshness, counts,
 * issuance per day).  Each reads the store through store_report.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "audit.h"
#include "checkpoint.h"
#include "conf.h"
#include "fips.h"
#include "revoke.h"
#include "store_report.h"

#define READERS		((1u << ROLE_RA) | (1u << ROLE_AUDITOR) | \
			 (1u << ROLE_ADMIN))
#define STATUS_READERS	((1u << ROLE_AUDITOR) | (1u << ROLE_ADMIN))
#define STATUS_DAYS	30	/* issuance per day: this many days back */
#define DAY_SECS	86400

void
api_orgs_list(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	struct report_org *v = NULL;
	enum eseal_rc rc;
	json_t *arr;
	size_t n = 0;

	if (api_auth(a, req, resp, READERS, &si))
		return;
	if ((rc = store_report_orgs(a->ca.store, &v, &n)) != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, "
		    "s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "id",
		    (json_int_t)v[i].id, "name", v[i].name, "english_name",
		    v[i].english_name, "country", v[i].country,
		    "corporate_number", v[i].corporate_number, "identifier",
		    v[i].identifier, "evidence", v[i].evidence, "vetted_by",
		    v[i].created_by, "created", (json_int_t)v[i].created,
		    "certificates", (json_int_t)v[i].certificates,
		    "pending_requests", (json_int_t)v[i].pending));
	free(v);
	http_json(resp, 200, json_pack("{s:o}", "organizations", arr));
}

/* A query argument that must be lower-case hex (or absent): 1 if so. */
static int
hex_or_absent(const char *s)
{
	return s == NULL || (strlen(s) < STORE_SERIAL_HEX_MAX &&
	    strspn(s, "0123456789abcdef") == strlen(s));
}

void
api_certs_search(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	struct report_cert *v = NULL;
	const char *serial = http_query(req, "serial");
	const char *org = http_query(req, "organization");
	enum eseal_rc rc;
	json_t *arr, *o;
	size_t n = 0;

	if (api_auth(a, req, resp, READERS, &si))
		return;
	if (!hex_or_absent(serial)) {
		http_error(resp, ESEAL_EINVAL, "serial must be lower-case hex "
		    "(a serial or its beginning), at most 40 digits");
		return;
	}
	if (org != NULL && strlen(org) >= REPORT_TEXT_MAX) {
		http_error(resp, ESEAL_EINVAL, "organization must be shorter "
		    "than 256 bytes");
		return;
	}
	if ((rc = store_report_certs(a->ca.store, serial, org, 100, &v, &n))
	    != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
		    "serial", v[i].serial, "issuer", v[i].issuer, "status",
		    v[i].status, "subject", v[i].subject, "organization_identifier",
		    v[i].org_identifier, "organization_name", v[i].org_name,
		    "not_before", (json_int_t)v[i].not_before, "not_after",
		    (json_int_t)v[i].not_after, "created",
		    (json_int_t)v[i].created);
		if (o != NULL && v[i].reason >= 0) {
			json_object_set_new(o, "revocation_reason", json_string(
			    revoke_reason_name((enum revoke_reason)v[i].reason)));
			json_object_set_new(o, "revoked_at",
			    json_integer(v[i].revoked_at));
		}
		json_array_append_new(arr, o);
	}
	free(v);
	http_json(resp, 200, json_pack("{s:o}", "certificates", arr));
}

/* "issuers": each with its state now and its days of validity left. */
static json_t *
issuers_json(struct app *a, time_t now)
{
	struct store_issuer *v = NULL;
	json_t *arr = json_array();
	size_t n = 0;

	if (store_issuer_list(a->ca.store, &v, &n) != ESEAL_OK)
		return NULL;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, "
		    "s:I, s:I, s:i}", "name", v[i].name, "key_type",
		    v[i].key_type, "state", strcmp(v[i].status, "active") != 0 ?
		    v[i].status : now >= v[i].not_after ? "expired" :
		    now < v[i].not_before ? "not_yet_valid" : "active",
		    "not_before", (json_int_t)v[i].not_before, "not_after",
		    (json_int_t)v[i].not_after, "days_left", (json_int_t)
		    ((v[i].not_after - (int64_t)now) / DAY_SECS), "crl_shards",
		    v[i].crl_shards));
	store_issuer_list_free(v, n);
	return arr;
}

/*
 * "hsm": the token's module now (its effective CMVP status) and every
 * module of the registry with its listed status and sunset date.  The
 * caller holds the ca read lock.
 */
static json_t *
hsm_modules_json(struct app *a, time_t now)
{
	struct fips_verdict v;
	const struct fips_entry *e;
	json_t *mods = json_array(), *cur = NULL;
	size_t n = a->ca.fips != NULL ? fips_count(a->ca.fips) : 0;

	if (ca_fips_verdict(&a->ca, now, &v) == ESEAL_OK)
		cur = json_pack("{s:s, s:s, s:s, s:s?, s:I}", "module",
		    v.module, "status", fips_status_name(v.status), "reason",
		    v.reason, "id", v.entry != NULL ? fips_entry_id(v.entry) :
		    NULL, "historical_from", (json_int_t)v.historical_from);
	for (size_t i = 0; i < n; i++) {
		e = fips_entry_at(a->ca.fips, i);
		json_array_append_new(mods, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s, s:s, s:I}", "id", fips_entry_id(e), "manufacturer",
		    fips_entry_manufacturer(e), "model", fips_entry_model(e),
		    "cmvp_cert", fips_entry_cert(e), "standard",
		    fips_entry_standard(e), "listed",
		    fips_status_name(fips_entry_listed(e)), "sunset",
		    (json_int_t)fips_entry_sunset(e)));
	}
	return json_pack("{s:o*, s:o}", "token", cur, "modules", mods);
}

/* "crls": the newest CRL of each shard and whether it is still fresh. */
static json_t *
crls_json(struct app *a, time_t now)
{
	struct report_crl *v = NULL;
	json_t *arr = json_array();
	size_t n = 0;

	if (store_report_crls(a->ca.store, &v, &n) != ESEAL_OK)
		return NULL;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:i, s:I, s:I, s:I, "
		    "s:s}", "issuer", v[i].issuer, "shard", v[i].shard,
		    "number", (json_int_t)v[i].number, "this_update",
		    (json_int_t)v[i].this_update, "next_update",
		    (json_int_t)v[i].next_update, "state", v[i].number < 0 ?
		    "none" : now >= v[i].next_update ? "stale" : "fresh"));
	free(v);
	return arr;
}

static json_t *
per_day_json(struct app *a, time_t now)
{
	struct report_day *v = NULL;
	json_t *arr = json_array();
	size_t n = 0;

	if (store_report_per_day(a->ca.store, (int64_t)now - (STATUS_DAYS - 1)
	    * DAY_SECS - (int64_t)now % DAY_SECS, &v, &n) != ESEAL_OK)
		return NULL;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I}", "day",
		    v[i].day, "issued", (json_int_t)v[i].issued));
	free(v);
	return arr;
}

/*
 * "audit": the whole trail walked as `esealctl audit verify` does (links,
 * hashes, seals, the store's checkpoints and the checkpoint files), asked
 * for with ?verify=audit since it reads every record.
 */
static json_t *
audit_json(struct app *a)
{
	struct audit_report r;
	char dir[CONF_PATH_MAX + 16];
	enum eseal_rc rc;

	memset(&r, 0, sizeof(r));
	ca_rdlock(&a->ca);
	checkpoint_dir(a->ca.conf, dir, sizeof(dir));
	ca_unlock(&a->ca);
	rc = audit_verify_full(a->ca.store, dir[0] ? dir : NULL, &r);
	return json_pack("{s:b, s:s?, s:I, s:I, s:I, s:I, s:I, s:I}", "intact",
	    rc == ESEAL_OK, "error", rc == ESEAL_OK ? NULL : eseal_errmsg(),
	    "records", (json_int_t)r.records, "sealed", (json_int_t)r.sealed,
	    "checkpoints", (json_int_t)r.checkpoints, "checkpoint_files",
	    (json_int_t)r.files, "head_seq", (json_int_t)r.head_seq,
	    "checkpoint_seq", (json_int_t)r.cp_seq);
}

void
api_status(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct session_info si;
	struct report_counts c;
	const char *verify = http_query(req, "verify");
	time_t now = time(NULL);
	json_t *is, *hsm, *crls, *days;
	enum eseal_rc rc;

	if (api_auth(a, req, resp, STATUS_READERS, &si))
		return;
	if (verify != NULL && strcmp(verify, "audit") != 0) {
		http_error(resp, ESEAL_EINVAL, "verify is audit (walk the whole "
		    "audit trail) or absent");
		return;
	}
	if ((rc = store_report_counts(a->ca.store, &c)) != ESEAL_OK) {
		http_error(resp, rc, NULL);
		return;
	}
	is = issuers_json(a, now);
	crls = crls_json(a, now);
	days = per_day_json(a, now);
	ca_rdlock(&a->ca);
	hsm = hsm_modules_json(a, now);
	ca_unlock(&a->ca);
	if (is == NULL || crls == NULL || days == NULL) {
		json_decref(is);
		json_decref(crls);
		json_decref(days);
		json_decref(hsm);
		http_error(resp, ESEAL_ESTORE, NULL);
		return;
	}
	http_json(resp, 200, json_pack("{s:I, s:o, s:o*, s:o, s:{s:I, s:I, s:I, "
	    "s:I, s:I}, s:i, s:o, s:o*}", "now", (json_int_t)now, "issuers", is,
	    "hsm", hsm, "crls", crls, "counts", "issued", (json_int_t)c.issued,
	    "revoked", (json_int_t)c.revoked, "pending", (json_int_t)c.pending,
	    "requests_pending", (json_int_t)c.requests_pending,
	    "organizations", (json_int_t)c.organizations, "days", STATUS_DAYS,
	    "issued_per_day", days, "audit", verify != NULL &&
	    strcmp(verify, "audit") == 0 ? audit_json(a) : NULL));
	http_add_header(resp, "Cache-Control", "no-store");
}
