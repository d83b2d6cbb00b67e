/*
 * store_report.h: read-only views of the store for people (the web
 * console and its JSON routes): organisations, a certificate search, and
 * the figures of the admin status page.  Nothing here writes.
 */
#ifndef ESEAL_STORE_REPORT_H
#define ESEAL_STORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define REPORT_TEXT_MAX		256	/* a name or reference, UTF-8 */
#define REPORT_LIST_MAX		500	/* rows one call hands out at most */

struct report_org {
	int64_t	 id;
	char	 name[REPORT_TEXT_MAX];
	char	 english_name[REPORT_TEXT_MAX];
	char	 country[3];
	char	 corporate_number[14];
	char	 identifier[REPORT_TEXT_MAX];
	char	 evidence[REPORT_TEXT_MAX];	/* the vetting reference */
	char	 created_by[REPORT_TEXT_MAX];	/* who vetted it */
	int64_t	 created;
	int64_t	 certificates;	/* issued to its identifier */
	int64_t	 pending;	/* its requests waiting for the RA */
};

/* Every registered organisation, newest first (at most REPORT_LIST_MAX). */
enum eseal_rc	store_report_orgs(struct store *, struct report_org **out,
		    size_t *n);

struct report_cert {
	char	 serial[STORE_SERIAL_HEX_MAX];
	char	 issuer[STORE_NAME_MAX];
	char	 status[16];	/* issued, pending, failed, revoked */
	char	 subject[REPORT_TEXT_MAX * 2];
	char	 org_identifier[REPORT_TEXT_MAX];
	char	 org_name[REPORT_TEXT_MAX];	/* "" if not registered */
	int64_t	 not_before, not_after, created;
	int	 reason;	/* RFC 5280 CRLReason when revoked, else -1 */
	int64_t	 revoked_at;	/* 0 if not revoked */
};

/*
 * Certificates whose serial starts with serial (lower-case hex; NULL or ""
 * for any) and, if org is neither NULL nor "", whose organisation has that
 * identifier exactly, that decimal id, or a name or English name
 * containing org.  Newest first, at most limit (capped at
 * REPORT_LIST_MAX) rows.
 */
enum eseal_rc	store_report_certs(struct store *, const char *serial,
		    const char *org, size_t limit, struct report_cert **out,
		    size_t *n);

struct report_counts {
	int64_t	 issued;	/* issued and not revoked */
	int64_t	 revoked;
	int64_t	 pending;	/* certificates recorded, not yet signed */
	int64_t	 requests_pending;	/* enrolments waiting for the RA */
	int64_t	 organizations;
};

enum eseal_rc	store_report_counts(struct store *, struct report_counts *);

struct report_day {
	char	 day[11];	/* YYYY-MM-DD, UTC */
	int64_t	 issued;
};

/* Certificates issued per UTC day from since on, oldest day first. */
enum eseal_rc	store_report_per_day(struct store *, int64_t since,
		    struct report_day **out, size_t *n);

struct report_crl {
	char	 issuer[STORE_NAME_MAX];
	int	 shard;
	int64_t	 number;	/* -1: no CRL signed yet */
	int64_t	 this_update, next_update;
};

/*
 * The newest CRL of every shard of every active issuer, by issuer name and
 * shard (a shard without a CRL yet has number -1).
 */
enum eseal_rc	store_report_crls(struct store *, struct report_crl **out,
		    size_t *n);

#endif
