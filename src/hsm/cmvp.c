/*
 * cmvp.c: updates the HSM module registry from a CSV exported from the NIST
 * CMVP validated-modules search.  The CSV is untrusted input: every limit
 * is checked before the byte that would pass it is stored, and every
 * refusal names the line and the rule.  The registry is rewritten as text,
 * not regenerated: only the value of the status, sunset and checked lines
 * of matched entries changes, so the operator's comments, order and
 * spacing survive.  The rewritten text must load with fips_load() and say
 * exactly what was planned before it replaces the registry.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmvp.h"
#include "date.h"

#define CERT_DIGITS_MAX	6	/* as fips.c: 1..5 digits today */
#define YEAR_MIN	1995	/* as fips.c: CMVP started validating in 1995 */
#define YEAR_MAX	2199	/* as fips.c: a date beyond this is a typo */
#define SECS_PER_DAY	DATE_DAY_SECS
#define SHOW_MAX	40	/* bytes of a CSV value quoted in a message */
#define DATE_LEN	10	/* "YYYY-MM-DD" */
#define MSG_MAX		512	/* one refusal */
#define BOM		"\xef\xbb\xbf"

/* The columns cmvp_parse() reads; any other column is ignored. */
enum col {
	COL_CERT,
	COL_STATUS,
	COL_SUNSET,
	COL_STANDARD,
	COL_VALIDATED,
	COL_MAX
};

/* As the CMVP export names them; matched lower-cased, spaces removed. */
static const char *const col_names[COL_MAX] = {
	[COL_CERT] = "Certificate Number",
	[COL_STATUS] = "Status",
	[COL_SUNSET] = "Sunset Date",
	[COL_STANDARD] = "Standard",
	[COL_VALIDATED] = "Validation Date",
};

static const int col_required[COL_MAX] = {
	[COL_CERT] = 1,
	[COL_STATUS] = 1,
};

/* The "Standard" column.  140-1 is only ever Historical, but it exists. */
enum cstd {
	CSTD_NONE,
	CSTD_140_1,
	CSTD_140_2,
	CSTD_140_3,
	CSTD_MAX
};

/* Spelled as fips_entry_standard() spells the registry's. */
static const char *const cstd_names[CSTD_MAX] = {
	[CSTD_NONE] = "",
	[CSTD_140_1] = "FIPS 140-1",
	[CSTD_140_2] = "FIPS 140-2",
	[CSTD_140_3] = "FIPS 140-3",
};

/* The registry's status words (fips.c), for the statuses a CSV can give. */
static const char *const reg_status[FIPS_STATUS_MAX] = {
	[FIPS_ACTIVE] = "active",
	[FIPS_HISTORICAL] = "historical",
	[FIPS_REVOKED] = "revoked",
	[FIPS_NOT_VALIDATED] = "not-validated",
	[FIPS_UNLISTED] = "?",
};

struct cmvp_row {
	char		 cert[CERT_DIGITS_MAX + 1];
	enum fips_status status;
	enum cstd	 standard;
	time_t		 sunset;	/* 0 if none */
	time_t		 validated;	/* earliest validation, 0 if none */
	int		 line;		/* where the row starts */
};

struct cmvp_rows {
	struct cmvp_row	*r;		/* ascending certificate numbers */
	size_t		 n, cap;
};

/* The CSV reader: one field at a time. */
struct csv {
	const char	*p, *end;
	int		 line;			/* physical line of p, from 1 */
	int		 fline;			/* where the field starts */
	int		 fno;			/* its number in the row */
	size_t		 flen;
	char		 field[CMVP_FIELD_MAX + 1]; /* unquoted, with a NUL */
};

static enum eseal_rc
refuse(enum eseal_rc rc, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "cmvp: line N: what", recorded with eseal_err(); returns rc. */
static enum eseal_rc
refuse(enum eseal_rc rc, int line, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return eseal_err(rc, "cmvp: line %d: %s", line, msg);
}

/*
 * Copies at most SHOW_MAX bytes of an untrusted value for a message, with
 * anything but printable ASCII shown as '?': a CSV must not be able to
 * write terminal escapes into an operator's terminal or a log.
 */
static const char *
show(const char *s, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *s != '\0' && n < SHOW_MAX && n < outsz - 4; s++)
		out[n++] = *s >= ' ' && *s <= '~' ? *s : '?';
	if (*s != '\0')
		out[n++] = '.', out[n++] = '.', out[n++] = '.';
	out[n] = '\0';
	return out;
}

/* --- dates ------------------------------------------------------------ */

/* Reads min to max digits at *p into *out; advances *p. */
static int
digits(const char **p, int min, int max, int *out)
{
	int v = 0, n = 0;

	while (n < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n < min || (**p >= '0' && **p <= '9'))
		return 0;
	*out = v;
	return 1;
}

/*
 * One date, "MM/DD/YYYY" as the CMVP site shows it (month and day may have
 * one digit) or "YYYY-MM-DD", ending at end: 00:00 UTC that day.  On error
 * writes what is wrong to why.
 */
static int
parse_date(const char *s, const char *end, time_t *out, char *why,
    size_t whysz)
{
	const char *p = s;
	int y, m, d;

	if (digits(&p, 4, 4, &y) && *p == '-') {
		p++;
		if (!digits(&p, 2, 2, &m) || *p++ != '-' ||
		    !digits(&p, 2, 2, &d) || p != end)
			goto form;
	} else {
		p = s;
		if (!digits(&p, 1, 2, &m) || *p++ != '/' ||
		    !digits(&p, 1, 2, &d) || *p++ != '/' ||
		    !digits(&p, 4, 4, &y) || p != end)
			goto form;
	}
	if (y < YEAR_MIN || y > YEAR_MAX)
		snprintf(why, whysz, "year %d is outside %d to %d", y,
		    YEAR_MIN, YEAR_MAX);
	else if (m < 1 || m > 12)
		snprintf(why, whysz, "there is no month %d", m);
	else if (!date_valid(y, m, d))
		snprintf(why, whysz, "%04d-%02d has %d days", y, m,
		    date_days_in_month(y, m));
	else {
		*out = date_utc(y, m, d);
		return 1;
	}
	return 0;
form:
	snprintf(why, whysz, "not a date MM/DD/YYYY or YYYY-MM-DD");
	return 0;
}

/* "YYYY-MM-DD" of t (UTC), or "none" for 0. */
static int
format_date(time_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	if (t == 0) {
		snprintf(buf, bufsz, "none");
		return 1;
	}
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%d", &tm) != DATE_LEN)
		return 0;
	return 1;
}

/* --- the CSV reader (RFC 4180) ----------------------------------------- */

static enum eseal_rc
field_byte(struct csv *c, char ch)
{
	if (ch == '\0')
		return refuse(ESEAL_EINVAL, c->line, "NUL byte in field %d "
		    "(a CSV export is text)", c->fno);
	if (c->flen == CMVP_FIELD_MAX)
		return refuse(ESEAL_EINVAL, c->fline, "field %d is longer than "
		    "%d bytes (CMVP_FIELD_MAX)", c->fno, CMVP_FIELD_MAX);
	c->field[c->flen++] = ch;
	return ESEAL_OK;
}

/*
 * Reads the field at c->p into c->field.  *eor is set when the field ends
 * its row (a line end or the end of the input).
 */
static enum eseal_rc
read_field(struct csv *c, int *eor)
{
	enum eseal_rc rc;
	char ch;

	c->flen = 0;
	c->fline = c->line;
	if (c->p < c->end && *c->p == '"') {
		c->p++;
		for (;;) {
			if (c->p == c->end)
				return refuse(ESEAL_EINVAL, c->fline,
				    "field %d: the quote that opens it is "
				    "never closed (RFC 4180 2.5)", c->fno);
			ch = *c->p++;
			if (ch == '"') {
				if (c->p == c->end || *c->p != '"')
					break;
				c->p++;		/* RFC 4180 2.7: "" is " */
			} else if (ch == '\n')
				c->line++;
			if ((rc = field_byte(c, ch)) != ESEAL_OK)
				return rc;
		}
	} else {
		while (c->p < c->end && *c->p != ',' && *c->p != '\r' &&
		    *c->p != '\n') {
			if (*c->p == '"')
				return refuse(ESEAL_EINVAL, c->line,
				    "field %d: a double quote inside a field "
				    "that does not start with one (RFC 4180 "
				    "2.5: quote the whole field and double the "
				    "quote)", c->fno);
			if ((rc = field_byte(c, *c->p++)) != ESEAL_OK)
				return rc;
		}
	}
	c->field[c->flen] = '\0';
	*eor = 1;
	if (c->p == c->end)
		return ESEAL_OK;
	if (*c->p == ',') {
		c->p++;
		*eor = 0;
		return ESEAL_OK;
	}
	if (*c->p == '\n') {
		c->p++;
		c->line++;
		return ESEAL_OK;
	}
	if (*c->p == '\r' && c->end - c->p >= 2 && c->p[1] == '\n') {
		c->p += 2;
		c->line++;
		return ESEAL_OK;
	}
	if (*c->p == '\r')
		return refuse(ESEAL_EINVAL, c->line, "a CR not followed by LF "
		    "(RFC 4180 2.1: lines end with CRLF, or LF)");
	return refuse(ESEAL_EINVAL, c->line, "field %d: text after the quote "
	    "that closes it (RFC 4180 2.7: a quote inside a quoted field is "
	    "written twice)", c->fno);
}

/* Header names compare lower-cased with spaces and tabs removed. */
static void
normalize(const char *s, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *s != '\0' && n < outsz - 1; s++)
		if (*s != ' ' && *s != '\t')
			out[n++] = (char)tolower((unsigned char)*s);
	out[n] = '\0';
}

/* One header field: which column it names, if any. */
static enum eseal_rc
header_field(struct csv *c, int *colmap, int *have)
{
	char name[CMVP_FIELD_MAX + 1], want[32];
	int k;

	normalize(c->field, name, sizeof(name));
	colmap[c->fno - 1] = -1;
	for (k = 0; k < COL_MAX; k++) {
		normalize(col_names[k], want, sizeof(want));
		if (strcmp(name, want) == 0)
			break;
	}
	if (k == COL_MAX)
		return ESEAL_OK;	/* a column we do not read */
	if (have[k] != 0)
		return refuse(ESEAL_EINVAL, c->fline, "the header row names "
		    "\"%s\" twice (fields %d and %d): which one is right?",
		    col_names[k], have[k], c->fno);
	have[k] = c->fno;
	colmap[c->fno - 1] = k;
	return ESEAL_OK;
}

/* Validation dates: one or more, separated by ';', ',' or blanks. */
static enum eseal_rc
validation_dates(struct csv *c, const char *v, struct cmvp_row *row)
{
	char why[80], shown[SHOW_MAX + 4], one[CMVP_FIELD_MAX + 1];
	const char *p = v, *e;
	time_t t;

	row->validated = 0;
	while (*p != '\0') {
		e = p + strcspn(p, ";, \t\r\n");
		if (e > p) {
			memcpy(one, p, (size_t)(e - p));
			one[e - p] = '\0';
			if (!parse_date(one, one + (e - p), &t, why,
			    sizeof(why)))
				return refuse(ESEAL_EINVAL, c->fline, "%s "
				    "\"%s\": %s", col_names[COL_VALIDATED],
				    show(one, shown, sizeof(shown)), why);
			if (row->validated == 0 || t < row->validated)
				row->validated = t;
		}
		p = e + strspn(e, ";, \t\r\n");
	}
	return ESEAL_OK;
}

/* One field of a data row in a column we read. */
static enum eseal_rc
row_field(struct csv *c, enum col k, struct cmvp_row *row)
{
	char why[80], shown[SHOW_MAX + 4], *v = c->field, *end;
	size_t n;

	/* Blanks around a value are the spreadsheet's, not the CMVP's. */
	v += strspn(v, " \t");
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	n = (size_t)(end - v);
	switch (k) {
	case COL_CERT:
		if (n == 0)
			return refuse(ESEAL_EINVAL, c->fline, "%s is empty",
			    col_names[k]);
		if (n > CERT_DIGITS_MAX || *v < '1' || *v > '9' ||
		    strspn(v, "0123456789") != n)
			return refuse(ESEAL_EINVAL, c->fline, "%s \"%s\" is "
			    "not a CMVP certificate number (1 to %d digits, "
			    "no leading zero)", col_names[k],
			    show(v, shown, sizeof(shown)), CERT_DIGITS_MAX);
		memcpy(row->cert, v, n + 1);
		return ESEAL_OK;
	case COL_STATUS:
		if (strcasecmp(v, "active") == 0)
			row->status = FIPS_ACTIVE;
		else if (strcasecmp(v, "historical") == 0)
			row->status = FIPS_HISTORICAL;
		else if (strcasecmp(v, "revoked") == 0)
			row->status = FIPS_REVOKED;
		else
			return refuse(ESEAL_EINVAL, c->fline, "%s \"%s\" is "
			    "not Active, Historical or Revoked (the CMVP's "
			    "only statuses: a validation past its sunset date "
			    "is Historical, a withdrawn one Revoked)",
			    col_names[k], show(v, shown, sizeof(shown)));
		return ESEAL_OK;
	case COL_SUNSET:
		row->sunset = 0;
		if (n > 0 && !parse_date(v, end, &row->sunset, why,
		    sizeof(why)))
			return refuse(ESEAL_EINVAL, c->fline, "%s \"%s\": %s",
			    col_names[k], show(v, shown, sizeof(shown)), why);
		return ESEAL_OK;
	case COL_STANDARD:
		for (int s = 0; s < CSTD_MAX; s++)
			if (strcasecmp(v, cstd_names[s]) == 0) {
				row->standard = (enum cstd)s;
				return ESEAL_OK;
			}
		return refuse(ESEAL_EINVAL, c->fline, "%s \"%s\" is not FIPS "
		    "140-2 or FIPS 140-3 (or FIPS 140-1)", col_names[k],
		    show(v, shown, sizeof(shown)));
	case COL_VALIDATED:
		return validation_dates(c, v, row);
	case COL_MAX:
		break;
	}
	return eseal_err(ESEAL_EINTERNAL, "cmvp: internal: column %d", (int)k);
}

/* Checks a whole data row and appends it. */
static enum eseal_rc
add_row(struct cmvp_rows *rows, const struct cmvp_row *row)
{
	char s[16], v[16];
	struct cmvp_row *r;
	size_t cap;

	if (row->sunset != 0 && row->validated != 0 &&
	    row->sunset <= row->validated) {
		format_date(row->sunset, s, sizeof(s));
		format_date(row->validated, v, sizeof(v));
		return refuse(ESEAL_EINVAL, row->line, "certificate %s: %s %s "
		    "is not after its %s %s", row->cert, col_names[COL_SUNSET],
		    s, col_names[COL_VALIDATED], v);
	}
	if (rows->n == rows->cap) {
		cap = rows->cap == 0 ? 64 : rows->cap * 2;
		if (cap > CMVP_ROWS_MAX)
			cap = CMVP_ROWS_MAX;
		if ((r = reallocarray(rows->r, cap, sizeof(*r))) == NULL)
			return eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		rows->r = r;
		rows->cap = cap;
	}
	rows->r[rows->n++] = *row;
	return ESEAL_OK;
}

/* Certificate numbers have no leading zero: shorter is smaller. */
static int
cert_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct cmvp_row *x = a, *y = b;
	int c = cert_cmp(x->cert, y->cert);

	if (c != 0)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

/* What differs between two rows for one certificate, or 0 if nothing. */
static int
disagree(const struct cmvp_row *a, const struct cmvp_row *b, char *buf,
    size_t bufsz)
{
	char x[16], y[16];

	if (a->status != b->status)
		snprintf(buf, bufsz, "%s %s; line %d says %s",
		    col_names[COL_STATUS], fips_status_name(b->status),
		    a->line, fips_status_name(a->status));
	else if (a->sunset != b->sunset) {
		format_date(a->sunset, x, sizeof(x));
		format_date(b->sunset, y, sizeof(y));
		snprintf(buf, bufsz, "%s %s; line %d says %s",
		    col_names[COL_SUNSET], y, a->line, x);
	} else if (a->standard != b->standard)
		snprintf(buf, bufsz, "%s \"%s\"; line %d says \"%s\"",
		    col_names[COL_STANDARD], cstd_names[b->standard], a->line,
		    cstd_names[a->standard]);
	else if (a->validated != b->validated) {
		format_date(a->validated, x, sizeof(x));
		format_date(b->validated, y, sizeof(y));
		snprintf(buf, bufsz, "%s %s; line %d says %s",
		    col_names[COL_VALIDATED], y, a->line, x);
	} else
		return 0;
	return 1;
}

/*
 * Sorts by certificate number; refuses two rows for one number that
 * disagree (the first such row in the file), keeps one of identical ones.
 */
static enum eseal_rc
merge(struct cmvp_rows *rows)
{
	char what[200], bad_what[200];
	const struct cmvp_row *bad = NULL;
	size_t i, j, n = 0;

	if (rows->n == 0)
		return ESEAL_OK;
	qsort(rows->r, rows->n, sizeof(*rows->r), row_cmp);
	for (i = 0; i < rows->n; i = j) {
		for (j = i + 1; j < rows->n &&
		    strcmp(rows->r[j].cert, rows->r[i].cert) == 0; j++)
			if ((bad == NULL || rows->r[j].line < bad->line) &&
			    disagree(&rows->r[i], &rows->r[j], what,
			    sizeof(what))) {
				bad = &rows->r[j];
				memcpy(bad_what, what, sizeof(what));
			}
	}
	if (bad != NULL)
		return refuse(ESEAL_EINVAL, bad->line, "certificate %s is "
		    "listed again, with %s: two rows that disagree, the "
		    "registry cannot follow both", bad->cert, bad_what);
	for (i = 0; i < rows->n; i++)
		if (n == 0 || strcmp(rows->r[i].cert, rows->r[n - 1].cert) != 0)
			rows->r[n++] = rows->r[i];
	rows->n = n;
	return ESEAL_OK;
}

enum eseal_rc
cmvp_parse(const char *buf, size_t len, struct cmvp_rows **out)
{
	struct cmvp_rows *rows = NULL;
	struct cmvp_row row;
	struct csv *c = NULL;
	enum eseal_rc rc;
	int colmap[CMVP_COLUMNS_MAX], have[COL_MAX];
	int header = 1, ncols = 0, nrows = 0, eor;

	*out = NULL;
	if (len > CMVP_FILE_MAX)
		return eseal_err(ESEAL_EINVAL, "cmvp: the CSV is %zu bytes, "
		    "more than %d (CMVP_FILE_MAX: the whole CMVP list is far "
		    "smaller)", len, CMVP_FILE_MAX);
	if ((c = malloc(sizeof(*c))) == NULL ||
	    (rows = calloc(1, sizeof(*rows))) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		goto out;
	}
	memset(have, 0, sizeof(have));
	c->p = buf;
	c->end = buf + len;
	c->line = 1;
	if (len >= 3 && memcmp(buf, BOM, 3) == 0)
		c->p += 3;
	for (;;) {
		/* Empty lines between rows (and at the end) are skipped. */
		while (c->p < c->end && (*c->p == '\n' || (*c->p == '\r' &&
		    c->end - c->p >= 2 && c->p[1] == '\n'))) {
			c->p += *c->p == '\r' ? 2 : 1;
			c->line++;
		}
		if (c->p == c->end)
			break;
		if (!header && nrows == CMVP_ROWS_MAX) {
			rc = refuse(ESEAL_EINVAL, c->line, "more than %d rows "
			    "(CMVP_ROWS_MAX: the CMVP has far fewer "
			    "certificates)", CMVP_ROWS_MAX);
			goto out;
		}
		memset(&row, 0, sizeof(row));
		row.line = c->line;
		for (c->fno = 1, eor = 0; !eor; c->fno++) {
			if (c->fno > (header ? CMVP_COLUMNS_MAX : ncols)) {
				rc = header ? refuse(ESEAL_EINVAL, c->line,
				    "more than %d fields in the header row "
				    "(CMVP_COLUMNS_MAX)", CMVP_COLUMNS_MAX) :
				    refuse(ESEAL_EINVAL, c->line, "more than "
				    "the %d fields of the header row (RFC 4180 "
				    "2.4: every row has as many fields)",
				    ncols);
				goto out;
			}
			if ((rc = read_field(c, &eor)) != ESEAL_OK)
				goto out;
			if (header)
				rc = header_field(c, colmap, have);
			else if (colmap[c->fno - 1] >= 0)
				rc = row_field(c, (enum col)colmap[c->fno - 1],
				    &row);
			if (rc != ESEAL_OK)
				goto out;
		}
		if (header) {
			for (int k = 0; k < COL_MAX; k++)
				if (col_required[k] && have[k] == 0) {
					rc = refuse(ESEAL_EINVAL, row.line,
					    "the header row has no \"%s\" "
					    "column (required: \"%s\" and "
					    "\"%s\")",
					    col_names[k], col_names[COL_CERT],
					    col_names[COL_STATUS]);
					goto out;
				}
			ncols = c->fno - 1;
			header = 0;
			continue;
		}
		if (c->fno - 1 < ncols) {
			rc = refuse(ESEAL_EINVAL, row.line, "%d fields, the "
			    "header row has %d (RFC 4180 2.4: every row has "
			    "as many fields)", c->fno - 1, ncols);
			goto out;
		}
		if ((rc = add_row(rows, &row)) != ESEAL_OK)
			goto out;
		nrows++;
	}
	if (header) {
		rc = refuse(ESEAL_EINVAL, c->line, "no header row (the first "
		    "row names the columns: \"%s\", \"%s\", ...)",
		    col_names[COL_CERT], col_names[COL_STATUS]);
		goto out;
	}
	if ((rc = merge(rows)) != ESEAL_OK)
		goto out;
	*out = rows;
	rows = NULL;
	rc = ESEAL_OK;
out:
	free(c);
	cmvp_free(rows);
	return rc;
}

enum eseal_rc
cmvp_load(const char *path, struct cmvp_rows **out)
{
	struct stat sb;
	enum eseal_rc rc;
	char *buf = NULL;
	size_t len = 0, cap;
	ssize_t r;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return eseal_err(ESEAL_EINVAL, "cmvp: %s: cannot open: %s",
		    path, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		rc = eseal_err(ESEAL_EINVAL, "cmvp: %s: not a regular file",
		    path);
		goto out;
	}
	if (sb.st_size > CMVP_FILE_MAX) {
		rc = eseal_err(ESEAL_EINVAL, "cmvp: %s: %lld bytes, more than "
		    "%d (CMVP_FILE_MAX: the whole CMVP list is far smaller)",
		    path, (long long)sb.st_size, CMVP_FILE_MAX);
		goto out;
	}
	/* One byte more than the size, to notice a file that grew. */
	cap = (size_t)sb.st_size + 1;
	if ((buf = malloc(cap)) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		goto out;
	}
	while (len < cap && (r = read(fd, buf + len, cap - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = eseal_err(ESEAL_EINVAL, "cmvp: %s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	if (len == cap) {
		rc = eseal_err(ESEAL_EINVAL, "cmvp: %s: the file grew while "
		    "being read", path);
		goto out;
	}
	rc = cmvp_parse(buf, len, out);
out:
	free(buf);
	close(fd);
	return rc;
}

void
cmvp_free(struct cmvp_rows *rows)
{
	if (rows == NULL)
		return;
	free(rows->r);
	free(rows);
}

size_t
cmvp_count(const struct cmvp_rows *rows)
{
	return rows == NULL ? 0 : rows->n;
}

const struct cmvp_row *
cmvp_row_at(const struct cmvp_rows *rows, size_t i)
{
	return rows == NULL || i >= rows->n ? NULL : &rows->r[i];
}

const struct cmvp_row *
cmvp_find(const struct cmvp_rows *rows, const char *cert)
{
	size_t lo = 0, hi = cmvp_count(rows), mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = cert_cmp(cert, rows->r[mid].cert)) == 0)
			return &rows->r[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *
cmvp_row_cert(const struct cmvp_row *r)
{
	return r->cert;
}

enum fips_status
cmvp_row_status(const struct cmvp_row *r)
{
	return r->status;
}

time_t
cmvp_row_sunset(const struct cmvp_row *r)
{
	return r->sunset;
}

time_t
cmvp_row_validated(const struct cmvp_row *r)
{
	return r->validated;
}

const char *
cmvp_row_standard(const struct cmvp_row *r)
{
	return cstd_names[r->standard];
}

int
cmvp_row_line(const struct cmvp_row *r)
{
	return r->line;
}

/* --- the registry as text ---------------------------------------------- */

/* The keys cmvp_apply() reads or writes in a [module] section. */
enum akey {
	AK_CERT,
	AK_STATUS,
	AK_SUNSET,
	AK_CHECKED,
	AK_MAX
};

static const char *const akeys[AK_MAX] = {
	[AK_CERT] = "cmvp_cert",
	[AK_STATUS] = "status",
	[AK_SUNSET] = "sunset",
	[AK_CHECKED] = "checked",
};

/* One line of the registry: offsets into its text. */
struct rline {
	size_t	 off, len;	/* the line without its line end */
	size_t	 tlen;		/* line end: 0 none (last line), 1 LF, 2 CRLF */
};

/* Where a key of a section sits. */
struct kspan {
	size_t	 ln;		/* line index; only if present */
	int	 present;
	size_t	 kend;		/* offset just past the key name */
	size_t	 vstart, vend;	/* the value, as inih reads it */
};

struct sect {
	char		 id[FIPS_ID_MAX + 1];
	struct kspan	 k[AK_MAX];
};

/* What happens to one [module] entry. */
struct plan {
	const struct sect	*s;
	const struct cmvp_row	*row;	/* NULL: not in the CSV, or no cert */
	enum fips_status	 status;
	time_t			 sunset;
	char			 sunset_s[16];
};

struct text {
	const char	*buf;
	size_t		 len;
	struct rline	*l;
	size_t		 nl;
	struct sect	*s;
	size_t		 ns;
};

static void
text_free(struct text *t)
{
	free(t->l);
	free(t->s);
	memset(t, 0, sizeof(*t));
}

/*
 * Finds the [module] sections and the lines of the keys we touch, reading
 * as inih does (fips_load has accepted the same text): comments start with
 * ';' or '#'; "key = value" or "key : value"; an inline comment starts at a
 * ';' that follows a blank; blanks around keys and values do not count.
 */
static enum eseal_rc
scan(struct text *t)
{
	struct sect *cur = NULL, *ns;
	struct rline *nl;
	const char *b = t->buf, *p, *e, *q;
	size_t off = 0, cap = 0, lcap = 0, ln, n;
	int was_space, k;

	for (off = 0; off < t->len; t->nl++) {
		e = memchr(b + off, '\n', t->len - off);
		if (t->nl == lcap) {
			lcap = lcap == 0 ? 64 : lcap * 2;
			if ((nl = reallocarray(t->l, lcap, sizeof(*nl))) ==
			    NULL)
				return eseal_err(ESEAL_ENOMEM, "cmvp: out of "
				    "memory");
			t->l = nl;
		}
		t->l[t->nl].off = off;
		t->l[t->nl].len = (e == NULL ? t->len : (size_t)(e - b)) - off;
		t->l[t->nl].tlen = e == NULL ? 0 : 1;
		if (e != NULL && t->l[t->nl].len > 0 && e[-1] == '\r') {
			t->l[t->nl].len--;
			t->l[t->nl].tlen = 2;
		}
		off += t->l[t->nl].len + t->l[t->nl].tlen;
	}
	for (ln = 0; ln < t->nl; ln++) {
		p = b + t->l[ln].off;
		e = p + t->l[ln].len;
		if (ln == 0 && e - p >= 3 && memcmp(p, BOM, 3) == 0)
			p += 3;
		while (p < e && isspace((unsigned char)*p))
			p++;
		if (p == e || *p == ';' || *p == '#')
			continue;
		if (*p == '[') {
			if ((q = memchr(p, ']', (size_t)(e - p))) == NULL)
				return eseal_err(ESEAL_EINTERNAL, "cmvp: "
				    "internal: line %zu: no ']'", ln + 1);
			cur = NULL;
			n = (size_t)(q - p - 1);
			if (n < 8 || n - 7 > FIPS_ID_MAX ||
			    memcmp(p + 1, "module ", 7) != 0)
				continue;		/* [policy] */
			if (t->ns == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				if ((ns = reallocarray(t->s, cap,
				    sizeof(*ns))) == NULL)
					return eseal_err(ESEAL_ENOMEM, "cmvp: "
					    "out of memory");
				t->s = ns;
			}
			cur = &t->s[t->ns++];
			memset(cur, 0, sizeof(*cur));
			memcpy(cur->id, p + 8, n - 7);
			continue;
		}
		for (q = p; q < e && *q != '=' && *q != ':'; q++)
			;
		if (cur == NULL || q == e)
			continue;
		n = (size_t)(q - p);
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		for (k = 0; k < AK_MAX; k++)
			if (strlen(akeys[k]) == n &&
			    memcmp(akeys[k], p, n) == 0)
				break;
		if (k == AK_MAX)
			continue;
		cur->k[k].present = 1;
		cur->k[k].ln = ln;
		cur->k[k].kend = (size_t)(p + n - b);
		/* inih: an inline comment is a ';' after a blank. */
		for (q++, was_space = 0, p = q; p < e &&
		    !(was_space && *p == ';'); p++)
			was_space = isspace((unsigned char)*p);
		while (q < p && isspace((unsigned char)*q))
			q++;
		while (p > q && isspace((unsigned char)p[-1]))
			p--;
		cur->k[k].vstart = (size_t)(q - b);
		cur->k[k].vend = (size_t)(p - b);
	}
	return ESEAL_OK;
}

/* The section of entry id: the one with keys (inih skips empty ones). */
static const struct sect *
find_sect(const struct text *t, const char *id)
{
	for (size_t i = 0; i < t->ns; i++)
		if (strcmp(t->s[i].id, id) == 0 && t->s[i].k[AK_STATUS].present)
			return &t->s[i];
	return NULL;
}

/* Whether the value of key k in section s is want, byte for byte. */
static int
value_is(const struct text *t, const struct sect *s, enum akey k,
    const char *want)
{
	const struct kspan *ks = &s->k[k];

	return ks->present && ks->vend - ks->vstart == strlen(want) &&
	    memcmp(t->buf + ks->vstart, want, strlen(want)) == 0;
}

/* The line end to use for a line added after line ln. */
static const char *
line_end(const struct text *t, size_t ln)
{
	if (t->l[ln].tlen == 2)
		return "\r\n";
	if (t->l[ln].tlen == 1)
		return "\n";
	return t->nl > 1 && t->l[0].tlen == 2 ? "\r\n" : "\n";
}

/* Writes the rewritten registry to f. */
static void
rewrite(const struct text *t, const struct plan *pl, size_t n,
    const char *checked, FILE *f)
{
	const struct kspan *ks, *cert;
	const struct rline *l;
	const char *nl, *v;
	size_t ln, i, from;
	int k;

	for (ln = 0; ln < t->nl; ln++) {
		l = &t->l[ln];
		from = l->off;

		/* A key line we rewrite: the value changes, nothing else. */
		for (i = 0; i < n; i++) {
			if (pl[i].row == NULL)
				continue;
			for (k = AK_STATUS; k < AK_MAX; k++) {
				ks = &pl[i].s->k[k];
				if (!ks->present || ks->ln != ln)
					continue;
				v = k == AK_STATUS ? reg_status[pl[i].status] :
				    k == AK_SUNSET ? pl[i].sunset_s : checked;
				if (k == AK_SUNSET && pl[i].sunset == 0)
					continue;	/* kept as it is */
				fwrite(t->buf + from, 1, ks->vstart - from, f);
				fputs(v, f);
				from = ks->vend;
			}
		}
		fwrite(t->buf + from, 1, l->off + l->len + l->tlen - from, f);

		/* Missing sunset and checked lines go after cmvp_cert. */
		for (i = 0; i < n; i++) {
			if (pl[i].row == NULL || pl[i].s->k[AK_CERT].ln != ln)
				continue;
			cert = &pl[i].s->k[AK_CERT];
			nl = line_end(t, ln);
			if (l->tlen == 0)
				fputs(nl, f);
			for (k = AK_SUNSET; k <= AK_CHECKED; k++) {
				if (pl[i].s->k[k].present || (k == AK_SUNSET &&
				    pl[i].sunset == 0))
					continue;
				/* Spelled like the cmvp_cert line. */
				fprintf(f, "%s%.*s%s%s", akeys[k],
				    (int)(cert->vstart - cert->kend),
				    t->buf + cert->kend, k == AK_SUNSET ?
				    pl[i].sunset_s : checked, nl);
			}
		}
	}
}

/* --- files ------------------------------------------------------------ */

/* Reads the whole registry; sb gets what fstat said. */
static enum eseal_rc
read_registry(const char *path, char **buf, size_t *len, struct stat *sb)
{
	enum eseal_rc rc = ESEAL_OK;
	size_t cap;
	ssize_t r;
	int fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return eseal_err(ESEAL_ECONF, "cmvp: %s: cannot open: %s", path,
		    strerror(errno));
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		rc = eseal_err(ESEAL_ECONF, "cmvp: %s: not a regular file",
		    path);
		goto out;
	}
	if (sb->st_size > CMVP_REGISTRY_MAX) {
		rc = eseal_err(ESEAL_ECONF, "cmvp: %s: %lld bytes, more than "
		    "%d (CMVP_REGISTRY_MAX)", path, (long long)sb->st_size,
		    CMVP_REGISTRY_MAX);
		goto out;
	}
	cap = (size_t)sb->st_size + 1;
	if ((*buf = malloc(cap)) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		goto out;
	}
	while (*len < cap && (r = read(fd, *buf + *len, cap - *len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = eseal_err(ESEAL_ECONF, "cmvp: %s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		*len += (size_t)r;
	}
	if (*len != (size_t)sb->st_size)
		rc = eseal_err(ESEAL_EEXIST, "cmvp: %s changed while being "
		    "read; nothing written, run the import again", path);
out:
	close(fd);
	if (rc != ESEAL_OK) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static enum eseal_rc
write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;
	size_t off = 0;

	while (off < len) {
		if ((w = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return ESEAL_ECONF;
		}
		off += (size_t)w;
	}
	return ESEAL_OK;
}

/*
 * fips_load() of text, as `updated`; the message of a refusal names the
 * line in the updated text.  path is where the text is.
 */
static enum eseal_rc
load_updated(const char *reg, const char *path, struct fips_registry **out)
{
	char msg[MSG_MAX];
	size_t n = strlen(path);

	if (fips_load(path, out) == ESEAL_OK)
		return ESEAL_OK;
	snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
	if (strncmp(msg, path, n) == 0 && msg[n] == ':')
		return eseal_err(ESEAL_ECONF, "cmvp: %s: the updated registry "
		    "would not load, so it is left as it was: updated line %s",
		    reg, msg + n + 1);
	return eseal_err(ESEAL_ECONF, "cmvp: %s: the updated registry would "
	    "not load, so it is left as it was: %s", reg, msg);
}

/* fips_load() of text held in memory only (dry run). */
static enum eseal_rc
load_in_memory(const char *reg, const char *text, size_t len,
    struct fips_registry **out, int *checked)
{
	char path[64];
	enum eseal_rc rc;
	int fd;

	*out = NULL;
	*checked = 0;
	if ((fd = memfd_create("eseal-cmvp", MFD_CLOEXEC)) == -1)
		return ESEAL_OK;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (write_all(fd, text, len) != ESEAL_OK || access(path, R_OK) == -1) {
		close(fd);
		return ESEAL_OK;	/* no /proc: the report says so */
	}
	*checked = 1;
	rc = load_updated(reg, path, out);
	close(fd);
	return rc;
}

/* A temporary file beside path with text, the mode and owner of sb. */
static enum eseal_rc
write_temp(const char *path, const struct stat *sb, const char *text,
    size_t len, char *tmp, size_t tmpsz)
{
	struct stat nb;
	int fd, n;

	n = snprintf(tmp, tmpsz, "%s.cmvp-XXXXXX", path);
	if (n < 0 || (size_t)n >= tmpsz)
		return eseal_err(ESEAL_ECONF, "cmvp: %s: path too long", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return eseal_err(ESEAL_ECONF, "cmvp: cannot create a file "
		    "beside %s: %s", path, strerror(errno));
	if (fchmod(fd, sb->st_mode & 07777) == -1 || fstat(fd, &nb) == -1)
		goto fail;
	if ((nb.st_uid != sb->st_uid || nb.st_gid != sb->st_gid) &&
	    fchown(fd, sb->st_uid, sb->st_gid) == -1) {
		close(fd);
		unlink(tmp);
		return eseal_err(ESEAL_ECONF, "cmvp: %s: cannot give the new "
		    "file the registry's owner %ld:%ld (%s); run as that user "
		    "or as root", path, (long)sb->st_uid, (long)sb->st_gid,
		    strerror(errno));
	}
	if (write_all(fd, text, len) != ESEAL_OK || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		unlink(tmp);
		return eseal_err(ESEAL_ECONF, "cmvp: %s: %s", tmp,
		    strerror(errno));
	}
	return ESEAL_OK;
fail:
	n = errno;
	close(fd);
	unlink(tmp);
	return eseal_err(ESEAL_ECONF, "cmvp: %s: %s", tmp, strerror(n));
}

/* fsync of the directory holding path, so the rename is on disk. */
static void
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

/* --- cmvp_apply --------------------------------------------------------- */

/* The new registry says what was planned, and the rest as before. */
static enum eseal_rc
check_result(const char *reg, const struct fips_registry *old,
    const struct fips_registry *nw, const struct plan *pl, time_t checked)
{
	const struct fips_entry *a = NULL, *b;
	char fa[64], fb[64];
	const char *what = NULL;
	size_t i;

	if (fips_count(old) != fips_count(nw))
		return eseal_err(ESEAL_EINTERNAL, "cmvp: %s: internal: the "
		    "rewritten registry has %zu entries, not %zu; nothing "
		    "written", reg, fips_count(nw), fips_count(old));
	for (i = 0; i < fips_count(old) && what == NULL; i++) {
		a = fips_entry_at(old, i);
		b = fips_entry_at(nw, i);
		fips_entry_firmware(a, fa, sizeof(fa));
		fips_entry_firmware(b, fb, sizeof(fb));
		if (strcmp(fips_entry_id(a), fips_entry_id(b)) != 0 ||
		    strcmp(fips_entry_manufacturer(a),
		    fips_entry_manufacturer(b)) != 0 ||
		    strcmp(fips_entry_model(a), fips_entry_model(b)) != 0 ||
		    strcmp(fa, fb) != 0 ||
		    strcmp(fips_entry_cert(a), fips_entry_cert(b)) != 0 ||
		    strcmp(fips_entry_standard(a),
		    fips_entry_standard(b)) != 0 ||
		    fips_entry_level(a) != fips_entry_level(b) ||
		    strcmp(fips_entry_source(a), fips_entry_source(b)) != 0)
			what = "identity";
		else if (fips_entry_listed(b) != (pl[i].row != NULL ?
		    pl[i].status : fips_entry_listed(a)))
			what = "status";
		else if (fips_entry_sunset(b) != (pl[i].row != NULL &&
		    pl[i].sunset != 0 ? pl[i].sunset : fips_entry_sunset(a)))
			what = "sunset";
		else if (fips_entry_checked(b) != (pl[i].row != NULL ?
		    checked : fips_entry_checked(a)))
			what = "checked";
	}
	if (what != NULL)
		return eseal_err(ESEAL_EINTERNAL, "cmvp: %s: internal: the "
		    "rewritten [module %s] does not have the planned %s; "
		    "nothing written", reg, fips_entry_id(a), what);
	return ESEAL_OK;
}

/* One report line for an entry found in the CSV. */
static void
report_change(FILE *f, const struct fips_entry *e, const struct plan *p,
    const char *checked)
{
	enum fips_status was = fips_entry_listed(e);
	char old[16];

	fprintf(f, "module %s (CMVP #%s): status ", fips_entry_id(e),
	    fips_entry_cert(e));
	if (was == p->status)
		fprintf(f, "%s (unchanged)", reg_status[was]);
	else
		fprintf(f, "%s -> %s", reg_status[was], reg_status[p->status]);
	if (p->sunset != 0) {
		format_date(fips_entry_sunset(e), old, sizeof(old));
		if (p->sunset == fips_entry_sunset(e))
			fprintf(f, ", sunset %s (unchanged)", old);
		else
			fprintf(f, ", sunset %s -> %s", old, p->sunset_s);
	}
	fprintf(f, ", checked %s", checked);
	if (was == FIPS_HISTORICAL && p->status == FIPS_ACTIVE)
		fprintf(f, " (back to Active: check the CMVP record says so)");
	fputc('\n', f);
}

enum eseal_rc
cmvp_apply(const char *registry_path, const struct cmvp_rows *rows,
    time_t now, FILE *report, int dry_run)
{
	struct fips_registry *old = NULL, *nw = NULL;
	struct text t;
	struct plan *pl = NULL;
	struct stat sb, sb2;
	const struct fips_entry *e;
	const struct cmvp_row *row;
	enum eseal_rc rc;
	char *real = NULL, *buf = NULL, *out = NULL, *rep = NULL;
	char tmp[PATH_MAX + 16], checked_s[16], msg[MSG_MAX];
	size_t len = 0, olen = 0, rlen = 0, n, i, ncert = 0, nfound = 0;
	FILE *of = NULL, *rf = NULL;
	time_t checked;
	int mem_checked = 0, tmp_made = 0;

	memset(&t, 0, sizeof(t));
	if (rows == NULL)
		return eseal_err(ESEAL_EINVAL, "cmvp: no CSV rows");
	/* checked: today, UTC; fips_load takes years YEAR_MIN to YEAR_MAX. */
	checked = now - now % SECS_PER_DAY - (now % SECS_PER_DAY < 0 ?
	    SECS_PER_DAY : 0);
	if (checked < date_utc(YEAR_MIN, 1, 1) ||
	    checked > date_utc(YEAR_MAX, 12, 31) ||
	    !format_date(checked, checked_s, sizeof(checked_s)))
		return eseal_err(ESEAL_EINVAL, "cmvp: the clock says %lld "
		    "seconds since 1970, not a day from %d to %d; set the "
		    "clock", (long long)now, YEAR_MIN, YEAR_MAX);

	/* The registry as it is: it must load, and be what we read. */
	if ((real = realpath(registry_path, NULL)) == NULL)
		return eseal_err(ESEAL_ECONF, "cmvp: %s: cannot open: %s",
		    registry_path, strerror(errno));
	if ((rc = read_registry(real, &buf, &len, &sb)) != ESEAL_OK)
		goto out;
	if (fips_load(real, &old) != ESEAL_OK) {
		snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
		rc = eseal_err(ESEAL_ECONF, "cmvp: the registry does not load "
		    "as it is; fix it first: %s", msg);
		goto out;
	}
	if (stat(real, &sb2) == -1 || !same_file(&sb, &sb2)) {
		rc = eseal_err(ESEAL_EEXIST, "cmvp: %s changed while being "
		    "read; nothing written, run the import again", real);
		goto out;
	}
	t.buf = buf;
	t.len = len;
	if ((rc = scan(&t)) != ESEAL_OK)
		goto out;

	/* The plan: one per entry, in file order. */
	n = fips_count(old);
	if ((pl = calloc(n == 0 ? 1 : n, sizeof(*pl))) == NULL ||
	    (rf = open_memstream(&rep, &rlen)) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = fips_entry_at(old, i);
		if ((pl[i].s = find_sect(&t, fips_entry_id(e))) == NULL ||
		    (fips_entry_cert(e)[0] != '\0' &&
		    !value_is(&t, pl[i].s, AK_CERT, fips_entry_cert(e)))) {
			rc = eseal_err(ESEAL_EINTERNAL, "cmvp: %s: internal: "
			    "cannot find the lines of [module %s]", real,
			    fips_entry_id(e));
			goto out;
		}
		if (fips_entry_cert(e)[0] == '\0')
			continue;		/* not validated: no CMVP row */
		ncert++;
		if ((row = cmvp_find(rows, fips_entry_cert(e))) == NULL) {
			format_date(fips_entry_checked(e), msg, sizeof(msg));
			fprintf(rf, "module %s (CMVP #%s): not in the CSV; "
			    "left as it was (status %s, checked %s)\n",
			    fips_entry_id(e), fips_entry_cert(e),
			    reg_status[fips_entry_listed(e)], msg);
			continue;
		}
		if (row->standard != CSTD_NONE && strcmp(cstd_names[
		    row->standard], fips_entry_standard(e)) != 0) {
			rc = refuse(ESEAL_EPOLICY, row->line, "certificate %s "
			    "is %s, but [module %s] says standard = %s: the "
			    "entry's cmvp_cert or standard is wrong; correct "
			    "it by hand from the CMVP record", row->cert,
			    cstd_names[row->standard], fips_entry_id(e),
			    fips_entry_standard(e) + strlen("FIPS "));
			goto out;
		}
		if (fips_entry_listed(e) == FIPS_REVOKED &&
		    row->status != FIPS_REVOKED) {
			rc = refuse(ESEAL_EPOLICY, row->line, "certificate %s "
			    "is %s, but [module %s] says revoked: the CMVP "
			    "does not reinstate a revoked validation, so this "
			    "CSV is stale or wrong; if the CMVP record really "
			    "says so, edit the registry by hand", row->cert,
			    fips_status_name(row->status), fips_entry_id(e));
			goto out;
		}
		nfound++;
		pl[i].row = row;
		pl[i].status = row->status;
		pl[i].sunset = row->sunset;
		if (!format_date(row->sunset, pl[i].sunset_s,
		    sizeof(pl[i].sunset_s))) {
			rc = eseal_err(ESEAL_EINTERNAL, "cmvp: internal: date");
			goto out;
		}
		report_change(rf, e, &pl[i], checked_s);
	}
	fprintf(rf, "cmvp: %zu of %zu registry entries with a CMVP "
	    "certificate are in the CSV (%zu certificates); ", nfound, ncert,
	    cmvp_count(rows));

	if (nfound == 0) {
		fprintf(rf, "nothing to change, nothing written\n");
		rc = ESEAL_OK;
		goto done;
	}
	if ((of = open_memstream(&out, &olen)) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		goto out;
	}
	rewrite(&t, pl, n, checked_s, of);
	if (fclose(of) != 0) {
		of = NULL;
		rc = eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		goto out;
	}
	of = NULL;

	if (dry_run) {
		if ((rc = load_in_memory(real, out, olen, &nw,
		    &mem_checked)) != ESEAL_OK)
			goto out;
		if (mem_checked && (rc = check_result(real, old, nw, pl,
		    checked)) != ESEAL_OK)
			goto out;
		fprintf(rf, "dry run: nothing written%s\n", mem_checked ?
		    "; the updated registry loads" : "; the updated registry "
		    "was not checked (no memfd or /proc)");
		rc = ESEAL_OK;
		goto done;
	}
	if ((rc = write_temp(real, &sb, out, olen, tmp, sizeof(tmp))) !=
	    ESEAL_OK)
		goto out;
	tmp_made = 1;
	if ((rc = load_updated(real, tmp, &nw)) != ESEAL_OK ||
	    (rc = check_result(real, old, nw, pl, checked)) != ESEAL_OK)
		goto out;
	if (stat(real, &sb2) == -1 || !same_file(&sb, &sb2)) {
		rc = eseal_err(ESEAL_EEXIST, "cmvp: %s changed during the "
		    "import; nothing written, run the import again", real);
		goto out;
	}
	if (rename(tmp, real) == -1) {
		rc = eseal_err(ESEAL_ECONF, "cmvp: rename %s to %s: %s", tmp,
		    real, strerror(errno));
		goto out;
	}
	tmp_made = 0;
	sync_dir(real);
	fprintf(rf, "wrote %s; eseald reads it on SIGHUP\n", real);
	rc = ESEAL_OK;
done:
	if (fclose(rf) != 0) {
		rf = NULL;
		rc = eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		goto out;
	}
	rf = NULL;
	if (report != NULL)
		fwrite(rep, 1, rlen, report);
out:
	if (tmp_made)
		unlink(tmp);
	if (of != NULL)
		fclose(of);
	if (rf != NULL)
		fclose(rf);
	free(out);
	free(rep);
	fips_free(old);
	fips_free(nw);
	free(pl);
	text_free(&t);
	free(buf);
	free(real);
	return rc;
}
