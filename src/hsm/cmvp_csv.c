/*
 * cmvp_csv.c: reads a CSV exported from the NIST CMVP validated-modules
 * search into rows keyed by certificate number (cmvp.c applies them to the
 * registry).  The CSV is untrusted input: every limit is checked before
 * the byte that would pass it is stored, and every refusal names the line
 * and the rule.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cmvp.h"
#include "date.h"

#define SHOW_MAX	40	/* bytes of a CSV value quoted in a message */
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

struct cmvp_row {
	char		 cert[FIPS_CERT_DIGITS_MAX + 1];
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

/* What cmvp_parse() knows: the reader, the header's columns, the rows. */
struct parse {
	struct csv	 c;
	struct cmvp_rows *rows;
	int		 colmap[CMVP_COLUMNS_MAX]; /* field-1: enum col, or -1 */
	int		 have[COL_MAX];	/* column -> its field, 0 if none */
	int		 ncols;		/* fields of the header row, 0 before */
	int		 nrows;
};

static enum eseal_rc
vrefuse(enum eseal_rc, int, const char *, const char *, va_list)
    __attribute__((format(printf, 4, 0)));
static enum eseal_rc
refuse(enum eseal_rc, int, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));
static enum eseal_rc
refuse_col(enum eseal_rc, int, enum col, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* "cmvp: line N: RULE: what", recorded with eseal_err(); returns rc. */
static enum eseal_rc
vrefuse(enum eseal_rc rc, int line, const char *rule, const char *fmt,
    va_list ap)
{
	char msg[MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return eseal_err(rc, "cmvp: line %d: %s: %s", line, rule, msg);
}

/* A refusal under rule: "RFC 4180 2.5", "CMVP_FIELD_MAX", ... */
static enum eseal_rc
refuse(enum eseal_rc rc, int line, const char *rule, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = vrefuse(rc, line, rule, fmt, ap);
	va_end(ap);
	return rc;
}

/* A refusal of what column k holds: the rule is the column, "Status". */
static enum eseal_rc
refuse_col(enum eseal_rc rc, int line, enum col k, const char *fmt, ...)
{
	char rule[64];
	va_list ap;

	snprintf(rule, sizeof(rule), "column \"%s\"", col_names[k]);
	va_start(ap, fmt);
	rc = vrefuse(rc, line, rule, fmt, ap);
	va_end(ap);
	return rc;
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

/* One date of the CSV: date_parse_us_or_ymd() in the registry's years. */
static int
parse_date(const char *s, time_t *out, char *why, size_t whysz)
{
	return date_parse_us_or_ymd(s, FIPS_YEAR_MIN, FIPS_YEAR_MAX, out, why,
	    whysz);
}

/* "YYYY-MM-DD" of t (UTC), or "none" for 0. */
static void
format_date(time_t t, char *buf, size_t bufsz)
{
	if (t == 0)
		snprintf(buf, bufsz, "none");
	else
		(void)date_format_ymd(t, buf, bufsz);
}

/* --- the CSV reader (RFC 4180) ----------------------------------------- */

static enum eseal_rc
field_byte(struct csv *c, char ch)
{
	if (ch == '\0')
		return refuse(ESEAL_EINVAL, c->line, "RFC 4180 2 (TEXTDATA)",
		    "NUL byte in field %d (a CSV export is text)", c->fno);
	if (c->flen == CMVP_FIELD_MAX)
		return refuse(ESEAL_EINVAL, c->fline, "CMVP_FIELD_MAX", "field "
		    "%d is longer than %d bytes", c->fno, CMVP_FIELD_MAX);
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
				    "RFC 4180 2.5", "field %d: the quote that "
				    "opens it is never closed", c->fno);
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
				    "RFC 4180 2.5", "field %d: a double quote "
				    "inside a field that does not start with "
				    "one (quote the whole field and double the "
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
		return refuse(ESEAL_EINVAL, c->line, "RFC 4180 2.1", "a CR not "
		    "followed by LF (lines end with CRLF, or LF)");
	return refuse(ESEAL_EINVAL, c->line, "RFC 4180 2.7", "field %d: text "
	    "after the quote that closes it (a quote inside a quoted field "
	    "is written twice)", c->fno);
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
		return refuse(ESEAL_EINVAL, c->fline, "RFC 4180 2.3", "the "
		    "header row names \"%s\" twice (fields %d and %d): which "
		    "one is right?", col_names[k], have[k], c->fno);
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
			if (!parse_date(one, &t, why, sizeof(why)))
				return refuse_col(ESEAL_EINVAL, c->fline,
				    COL_VALIDATED, "\"%s\": %s",
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
			return refuse_col(ESEAL_EINVAL, c->fline, k, "empty");
		if (n > FIPS_CERT_DIGITS_MAX || *v < '1' || *v > '9' ||
		    strspn(v, "0123456789") != n)
			return refuse_col(ESEAL_EINVAL, c->fline, k, "\"%s\" "
			    "is not a CMVP certificate number (1 to %d "
			    "digits, no leading zero)",
			    show(v, shown, sizeof(shown)),
			    FIPS_CERT_DIGITS_MAX);
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
			return refuse_col(ESEAL_EINVAL, c->fline, k, "\"%s\" "
			    "is not Active, Historical or Revoked (the CMVP's "
			    "only statuses: a validation past its sunset date "
			    "is Historical, a withdrawn one Revoked)",
			    show(v, shown, sizeof(shown)));
		return ESEAL_OK;
	case COL_SUNSET:
		row->sunset = 0;
		if (n > 0 && !parse_date(v, &row->sunset, why, sizeof(why)))
			return refuse_col(ESEAL_EINVAL, c->fline, k,
			    "\"%s\": %s", show(v, shown, sizeof(shown)), why);
		return ESEAL_OK;
	case COL_STANDARD:
		for (int s = 0; s < CSTD_MAX; s++)
			if (strcasecmp(v, cstd_names[s]) == 0) {
				row->standard = (enum cstd)s;
				return ESEAL_OK;
			}
		return refuse_col(ESEAL_EINVAL, c->fline, k, "\"%s\" is not "
		    "FIPS 140-2 or FIPS 140-3 (or FIPS 140-1)",
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
		return refuse_col(ESEAL_EINVAL, row->line, COL_SUNSET,
		    "certificate %s: %s is not after its \"%s\" %s",
		    row->cert, s, col_names[COL_VALIDATED], v);
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
		return refuse_col(ESEAL_EINVAL, bad->line, COL_CERT, "%s is "
		    "listed again, with %s: two rows that disagree, the "
		    "registry cannot follow both", bad->cert, bad_what);
	for (i = 0; i < rows->n; i++)
		if (n == 0 || strcmp(rows->r[i].cert, rows->r[n - 1].cert) != 0)
			rows->r[n++] = rows->r[i];
	rows->n = n;
	return ESEAL_OK;
}

/* Skips empty lines (between rows, and at the end): 1 if a row follows. */
static int
next_row(struct csv *c)
{
	while (c->p < c->end && (*c->p == '\n' || (*c->p == '\r' &&
	    c->end - c->p >= 2 && c->p[1] == '\n'))) {
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
	}
	return c->p < c->end;
}

/* The header row: which field holds which column. */
static enum eseal_rc
read_header(struct parse *ps)
{
	struct csv *c = &ps->c;
	enum eseal_rc rc;
	int line = c->line, eor = 0;

	for (c->fno = 1; !eor; c->fno++) {
		if (c->fno > CMVP_COLUMNS_MAX)
			return refuse(ESEAL_EINVAL, c->line,
			    "CMVP_COLUMNS_MAX", "more than %d fields in the "
			    "header row", CMVP_COLUMNS_MAX);
		if ((rc = read_field(c, &eor)) != ESEAL_OK ||
		    (rc = header_field(c, ps->colmap, ps->have)) != ESEAL_OK)
			return rc;
	}
	for (int k = 0; k < COL_MAX; k++)
		if (col_required[k] && ps->have[k] == 0)
			return refuse_col(ESEAL_EINVAL, line, (enum col)k,
			    "not in the header row (required: \"%s\" and "
			    "\"%s\")", col_names[COL_CERT],
			    col_names[COL_STATUS]);
	ps->ncols = c->fno - 1;
	return ESEAL_OK;
}

/* One data row, checked and appended. */
static enum eseal_rc
read_row(struct parse *ps)
{
	struct csv *c = &ps->c;
	struct cmvp_row row;
	enum eseal_rc rc;
	int eor = 0;

	if (ps->nrows == CMVP_ROWS_MAX)
		return refuse(ESEAL_EINVAL, c->line, "CMVP_ROWS_MAX", "more "
		    "than %d rows (the CMVP has far fewer certificates)",
		    CMVP_ROWS_MAX);
	memset(&row, 0, sizeof(row));
	row.line = c->line;
	for (c->fno = 1; !eor; c->fno++) {
		if (c->fno > ps->ncols)
			return refuse(ESEAL_EINVAL, c->line, "RFC 4180 2.4",
			    "more than the %d fields of the header row (every "
			    "row has as many fields)", ps->ncols);
		if ((rc = read_field(c, &eor)) != ESEAL_OK)
			return rc;
		if (ps->colmap[c->fno - 1] >= 0 && (rc = row_field(c,
		    (enum col)ps->colmap[c->fno - 1], &row)) != ESEAL_OK)
			return rc;
	}
	if (c->fno - 1 < ps->ncols)
		return refuse(ESEAL_EINVAL, row.line, "RFC 4180 2.4", "%d "
		    "fields, the header row has %d (every row has as many "
		    "fields)", c->fno - 1, ps->ncols);
	if ((rc = add_row(ps->rows, &row)) != ESEAL_OK)
		return rc;
	ps->nrows++;
	return ESEAL_OK;
}

enum eseal_rc
cmvp_parse(const char *buf, size_t len, struct cmvp_rows **out)
{
	struct parse *ps;
	enum eseal_rc rc = ESEAL_OK;

	*out = NULL;
	if (len > CMVP_FILE_MAX)
		return eseal_err(ESEAL_EINVAL, "cmvp: CMVP_FILE_MAX: the CSV is "
		    "%zu bytes, more than %d (the whole CMVP list is far "
		    "smaller)", len, CMVP_FILE_MAX);
	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (ps->rows = calloc(1, sizeof(*ps->rows))) == NULL) {
		free(ps);
		return eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
	}
	ps->c.p = buf;
	ps->c.end = buf + len;
	ps->c.line = 1;
	if (len >= 3 && memcmp(buf, BOM, 3) == 0)
		ps->c.p += 3;
	/* A row always has a field: ncols is 0 until the header is read. */
	while (rc == ESEAL_OK && next_row(&ps->c))
		rc = ps->ncols == 0 ? read_header(ps) : read_row(ps);
	if (rc == ESEAL_OK && ps->ncols == 0)
		rc = refuse(ESEAL_EINVAL, ps->c.line, "RFC 4180 2.3", "no "
		    "header row (the first row names the columns: \"%s\", "
		    "\"%s\", ...)", col_names[COL_CERT], col_names[COL_STATUS]);
	if (rc == ESEAL_OK && (rc = merge(ps->rows)) == ESEAL_OK) {
		*out = ps->rows;
		ps->rows = NULL;
	}
	cmvp_free(ps->rows);
	free(ps);
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
		rc = eseal_err(ESEAL_EINVAL, "cmvp: %s: CMVP_FILE_MAX: %lld "
		    "bytes, more than %d (the whole CMVP list is far smaller)",
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
