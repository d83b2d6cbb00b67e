/*
 * cmvp.h: updating the HSM module registry (conf/hsm-modules.conf) from a
 * CSV exported from the NIST CMVP validated-modules search.  cmvp_parse()
 * (cmvp_csv.c) reads the CSV (RFC 4180) into rows keyed by certificate
 * number; cmvp_apply() (cmvp.c) rewrites the status, sunset and checked
 * lines of the registry entries whose cmvp_cert is in the CSV, and nothing
 * else.  See docs/hsm-modules.md, "Updating the registry from a CMVP
 * export".
 */
#ifndef ESEAL_CMVP_H
#define ESEAL_CMVP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "err.h"
#include "fips.h"

/*
 * Limits on the CSV, far above what a CMVP export holds: the CMVP has
 * issued fewer than 10000 certificates.
 */
#define CMVP_FILE_MAX		(8 * 1024 * 1024) /* bytes in the CSV */
#define CMVP_FIELD_MAX		1024	/* bytes in a field */
#define CMVP_ROWS_MAX		100000	/* data rows */
#define CMVP_COLUMNS_MAX	64	/* fields in a row */
/* The registry: as much as fips_load() reads. */
#define CMVP_REGISTRY_MAX	FIPS_FILE_MAX

struct cmvp_rows;
struct cmvp_row;

/*
 * Parses len bytes of CSV: RFC 4180 fields (quoted, with doubled quotes and
 * line breaks inside quotes), CRLF or LF line ends, an optional UTF-8 BOM;
 * empty lines are skipped.  The first row names the columns, matched
 * without regard to case and spaces: "Certificate Number" and "Status" are
 * required; "Sunset Date", "Standard" and "Validation Date" are read if
 * present ("Validation Date" may list several dates, separated by ';' ','
 * or blanks); other columns are ignored.  Every row has as many fields as
 * the header.  Rows that repeat a certificate number must agree (status,
 * sunset, standard, validation date); identical repeats count once.
 * On success *out is new rows, freed with cmvp_free().  Otherwise returns
 * ESEAL_EINVAL (ESEAL_ENOMEM), sets *out to NULL and leaves one line naming
 * the line and the rule (an RFC 4180 clause, a CMVP_*_MAX limit, or the
 * column): "cmvp: line 7: column \"Status\": \"Expired\" is not Active,
 * Historical or Revoked (...)", "cmvp: line 3: RFC 4180 2.5: field 2: the
 * quote that opens it is never closed".
 */
enum eseal_rc	 cmvp_parse(const char *buf, size_t len,
		    struct cmvp_rows **out);

/*
 * Reads the file at path (a regular file of at most CMVP_FILE_MAX bytes,
 * checked before reading) and parses it with cmvp_parse().
 */
enum eseal_rc	 cmvp_load(const char *path, struct cmvp_rows **out);

void		 cmvp_free(struct cmvp_rows *);

/* Distinct certificate numbers, and the i-th in ascending order (borrowed). */
size_t		 cmvp_count(const struct cmvp_rows *);
const struct cmvp_row *cmvp_row_at(const struct cmvp_rows *, size_t i);

/* The row for a certificate number ("4962"), or NULL (borrowed). */
const struct cmvp_row *cmvp_find(const struct cmvp_rows *, const char *cert);

/*
 * Accessors; strings are borrowed from the rows.  Status is FIPS_ACTIVE,
 * FIPS_HISTORICAL or FIPS_REVOKED; dates are 00:00 UTC, 0 if not given;
 * standard is "" if not given; line is the CSV line where the row starts.
 */
const char	*cmvp_row_cert(const struct cmvp_row *);	/* "4962" */
enum fips_status cmvp_row_status(const struct cmvp_row *);
time_t		 cmvp_row_sunset(const struct cmvp_row *);
time_t		 cmvp_row_validated(const struct cmvp_row *);	/* earliest */
const char	*cmvp_row_standard(const struct cmvp_row *); /* "FIPS 140-3" */
int		 cmvp_row_line(const struct cmvp_row *);	/* its first */

/*
 * Updates the registry at registry_path from rows.  For every [module]
 * entry whose cmvp_cert has a row: status becomes the row's (lower case),
 * sunset the row's if it has one, and checked the UTC day of now.  Only
 * those value lines change; a missing sunset or checked line is added right
 * after the cmvp_cert line; every other byte stays as it was.  Refused,
 * with nothing written: a registry that does not load as it is; a row whose
 * standard differs from the entry's, or that would take a revoked entry
 * out of Revoked; a result that fips_load() refuses, or that does not say
 * what was planned.  The result goes to a temporary file beside the
 * registry (a symbolic link is followed), is checked with fips_load(),
 * gets the registry's mode and owner and is renamed over it; a registry
 * changed by someone else meanwhile is not overwritten.  Nothing is written
 * when no entry matches.
 * report, if not NULL, gets one line per matched entry ("module vault3
 * (CMVP #4001): status active -> historical, sunset 2031-05-01 ->
 * 2026-09-22, checked 2026-11-26"), one per entry whose certificate number
 * is not in the CSV, and a summary; only when the call succeeds.
 * dry_run: the same checks and report (the result is checked in memory),
 * nothing written.  Returns ESEAL_OK, or ESEAL_ECONF (registry unreadable or
 * invalid, before or after), ESEAL_EPOLICY (a refused row), ESEAL_EEXIST
 * (changed meanwhile), ESEAL_ENOMEM, ESEAL_EINTERNAL, with one line.
 */
enum eseal_rc	 cmvp_apply(const char *registry_path,
		    const struct cmvp_rows *rows, time_t now, FILE *report,
		    int dry_run);
/*
 * cmvp_apply, calling progress(arg, entries matched, entries in all) for
 * each registry entry as it is matched against the CSV.
 */
enum eseal_rc	 cmvp_apply_progress(const char *registry_path,
		    const struct cmvp_rows *rows, time_t now, FILE *report,
		    int dry_run, void (*progress)(void *, int64_t, int64_t),
		    void *arg);

#endif
