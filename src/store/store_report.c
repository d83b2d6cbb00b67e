/*
 * store_report.c: the read-only views the web console shows people
 * (store_report.h): organisations with their counts, a certificate
 * search, and the admin status page's figures.  Every query is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "store_report.h"

#define REPORT_LIMIT_S	"500"	/* REPORT_LIST_MAX, for SQL text */

/* --- organisations --------------------------------------------------- */

static int
org_fill(sqlite3_stmt *st, void *elem)
{
	struct report_org *o = elem;

	o->id = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, o->name, sizeof(o->name));
	store_col_text(st, 2, o->english_name, sizeof(o->english_name));
	store_col_text(st, 3, o->country, sizeof(o->country));
	store_col_text(st, 4, o->corporate_number, sizeof(o->corporate_number));
	store_col_text(st, 5, o->identifier, sizeof(o->identifier));
	store_col_text(st, 6, o->evidence, sizeof(o->evidence));
	store_col_text(st, 7, o->created_by, sizeof(o->created_by));
	o->created = sqlite3_column_int64(st, 8);
	o->certificates = sqlite3_column_int64(st, 9);
	o->pending = sqlite3_column_int64(st, 10);
	return 1;
}

static const struct store_rowtype org_rows = {
	sizeof(struct report_org), org_fill, NULL
};

enum eseal_rc
store_report_orgs(struct store *s, struct report_org **out, size_t *n)
{
	void *v = NULL;
	enum eseal_rc rc;

	rc = store_list(s, "SELECT o.id, o.name, o.english_name, o.country, "
	    "o.corporate_number, o.identifier, o.evidence, o.created_by, "
	    "o.created, (SELECT COUNT(*) FROM certificates c WHERE "
	    "c.org_identifier = o.identifier AND c.status = 'issued'), "
	    "(SELECT COUNT(*) FROM enrolment_requests r WHERE r.org_id = o.id "
	    "AND r.status = 'pending') FROM organizations o "
	    "ORDER BY o.id DESC LIMIT " REPORT_LIMIT_S,
	    "list organisations", NULL, NULL, &org_rows, &v, n);
	*out = v;
	return rc;
}

/* --- certificates ---------------------------------------------------- */

struct cert_query {
	const char	*serial;
	const char	*org;
	char		 like[REPORT_TEXT_MAX + 3];
	int64_t		 limit;
};

static void
cert_bind(sqlite3_stmt *st, void *ctx)
{
	struct cert_query *q = ctx;

	sqlite3_bind_text(st, 1, q->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q->org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->like, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, q->limit);
}

static int
cert_fill(sqlite3_stmt *st, void *elem)
{
	struct report_cert *c = elem;

	store_col_text(st, 0, c->serial, sizeof(c->serial));
	store_col_text(st, 1, c->issuer, sizeof(c->issuer));
	store_col_text(st, 2, c->status, sizeof(c->status));
	store_col_text(st, 3, c->subject, sizeof(c->subject));
	store_col_text(st, 4, c->org_identifier, sizeof(c->org_identifier));
	store_col_text(st, 5, c->org_name, sizeof(c->org_name));
	c->not_before = sqlite3_column_int64(st, 6);
	c->not_after = sqlite3_column_int64(st, 7);
	c->created = sqlite3_column_int64(st, 8);
	c->reason = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 9);
	c->revoked_at = sqlite3_column_int64(st, 10);
	if (c->reason >= 0)
		snprintf(c->status, sizeof(c->status), "revoked");
	return 1;
}

static const struct store_rowtype cert_rows = {
	sizeof(struct report_cert), cert_fill, NULL
};

/* "%org%" with LIKE's own wildcards escaped (ESCAPE '\'). */
static void
like_pattern(const char *org, char *dst, size_t len)
{
	size_t j = 0;

	dst[j++] = '%';
	for (; *org != '\0' && j + 3 < len; org++) {
		if (*org == '%' || *org == '_' || *org == '\\')
			dst[j++] = '\\';
		dst[j++] = *org;
	}
	dst[j++] = '%';
	dst[j] = '\0';
}

enum eseal_rc
store_report_certs(struct store *s, const char *serial, const char *org,
    size_t limit, struct report_cert **out, size_t *n)
{
	struct cert_query q;
	void *v = NULL;
	enum eseal_rc rc;

	memset(&q, 0, sizeof(q));
	q.serial = serial != NULL ? serial : "";
	q.org = org != NULL ? org : "";
	like_pattern(q.org, q.like, sizeof(q.like));
	q.limit = (int64_t)(limit == 0 || limit > REPORT_LIST_MAX ?
	    REPORT_LIST_MAX : limit);
	rc = store_list(s, "SELECT c.serial, i.name, c.status, c.subject, "
	    "c.org_identifier, COALESCE(o.name, ''), c.not_before, "
	    "c.not_after, c.created, r.reason, COALESCE(r.revoked_at, 0) "
	    "FROM certificates c JOIN issuers i ON i.id = c.issuer_id "
	    "LEFT JOIN organizations o ON o.identifier = c.org_identifier "
	    "LEFT JOIN revocations r ON r.serial = c.serial "
	    "WHERE substr(c.serial, 1, length(?1)) = ?1 "
	    "AND (?2 = '' OR c.org_identifier = ?2 OR CAST(o.id AS TEXT) = ?2 "
	    "OR o.name LIKE ?3 ESCAPE '\\' OR o.english_name LIKE ?3 "
	    "ESCAPE '\\') ORDER BY c.created DESC, c.serial LIMIT ?4",
	    "search certificates", cert_bind, &q, &cert_rows, &v, n);
	*out = v;
	return rc;
}

/* --- figures --------------------------------------------------------- */

enum eseal_rc
store_report_counts(struct store *s, struct report_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->issued = store_count(s, "SELECT COUNT(*) FROM certificates c WHERE "
	    "c.status = 'issued' AND NOT EXISTS (SELECT 1 FROM revocations r "
	    "WHERE r.serial = c.serial)", NULL);
	c->revoked = store_count(s, "SELECT COUNT(*) FROM revocations", NULL);
	c->pending = store_count(s, "SELECT COUNT(*) FROM certificates WHERE "
	    "status = 'pending'", NULL);
	c->requests_pending = store_count(s, "SELECT COUNT(*) FROM "
	    "enrolment_requests WHERE status = 'pending'", NULL);
	c->organizations = store_count(s, "SELECT COUNT(*) FROM organizations",
	    NULL);
	if (c->issued < 0 || c->revoked < 0 || c->pending < 0 ||
	    c->requests_pending < 0 || c->organizations < 0)
		return ESEAL_ESTORE;	/* store_rows() set the message */
	return ESEAL_OK;
}

static void
since_bind(sqlite3_stmt *st, void *ctx)
{
	sqlite3_bind_int64(st, 1, *(int64_t *)ctx);
}

static int
day_fill(sqlite3_stmt *st, void *elem)
{
	struct report_day *d = elem;

	store_col_text(st, 0, d->day, sizeof(d->day));
	d->issued = sqlite3_column_int64(st, 1);
	return 1;
}

static const struct store_rowtype day_rows = {
	sizeof(struct report_day), day_fill, NULL
};

enum eseal_rc
store_report_per_day(struct store *s, int64_t since, struct report_day **out,
    size_t *n)
{
	void *v = NULL;
	enum eseal_rc rc;

	rc = store_list(s, "SELECT date(created, 'unixepoch') AS d, COUNT(*) "
	    "FROM certificates WHERE status = 'issued' AND created >= ?1 "
	    "GROUP BY d ORDER BY d LIMIT " REPORT_LIMIT_S,
	    "issuance per day", since_bind, &since, &day_rows, &v, n);
	*out = v;
	return rc;
}

static int
crl_fill(sqlite3_stmt *st, void *elem)
{
	struct report_crl *c = elem;

	store_col_text(st, 0, c->issuer, sizeof(c->issuer));
	c->shard = sqlite3_column_int(st, 1);
	c->number = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 2);
	c->this_update = sqlite3_column_int64(st, 3);
	c->next_update = sqlite3_column_int64(st, 4);
	return 1;
}

static const struct store_rowtype crl_rows = {
	sizeof(struct report_crl), crl_fill, NULL
};

enum eseal_rc
store_report_crls(struct store *s, struct report_crl **out, size_t *n)
{
	void *v = NULL;
	enum eseal_rc rc;

	/* Shards 0..crl_shards-1 of each active issuer, then its last CRL. */
	rc = store_list(s, "WITH RECURSIVE sh(issuer_id, shard) AS ("
	    "SELECT id, 0 FROM issuers WHERE status = 'active' UNION ALL "
	    "SELECT sh.issuer_id, sh.shard + 1 FROM sh JOIN issuers i ON "
	    "i.id = sh.issuer_id WHERE sh.shard + 1 < i.crl_shards) "
	    "SELECT i.name, sh.shard, l.number, COALESCE(l.this_update, 0), "
	    "COALESCE(l.next_update, 0) FROM sh JOIN issuers i ON "
	    "i.id = sh.issuer_id LEFT JOIN crls l ON l.issuer_id = sh.issuer_id "
	    "AND l.shard = sh.shard AND l.number = (SELECT MAX(number) FROM "
	    "crls m WHERE m.issuer_id = sh.issuer_id AND m.shard = sh.shard) "
	    "ORDER BY i.name, sh.shard LIMIT " REPORT_LIMIT_S,
	    "CRL freshness", NULL, NULL, &crl_rows, &v, n);
	*out = v;
	return rc;
}
