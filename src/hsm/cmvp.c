/*
 * cmvp.c: updates the HSM module registry from the rows of a CMVP CSV
 * export (cmvp_csv.c reads them).  The registry is rewritten as text, not
 * regenerated: only the value of the status, sunset and checked lines of
 * matched entries changes, so the operator's comments, order and spacing
 * survive.  Its lines are split as the INI reader splits them for
 * fips_load() (ini_line_split()), and the rewritten text must load with
 * fips_load() and say exactly what was planned before it replaces the
 * registry.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmvp.h"
#include "cmvp_file.h"
#include "date.h"
#include "ini.h"

#define MSG_MAX		512	/* one refusal */
#define DAY_MAX		16	/* "YYYY-MM-DD" or "none", with its NUL */
#define BOM		"\xef\xbb\xbf"
#define BOM_LEN		3

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

/* The registry's status words (fips.c), for the statuses a CSV can give. */
static const char *const reg_status[FIPS_STATUS_MAX] = {
	[FIPS_ACTIVE] = "active",
	[FIPS_HISTORICAL] = "historical",
	[FIPS_REVOKED] = "revoked",
	[FIPS_NOT_VALIDATED] = "not-validated",
	[FIPS_UNLISTED] = "?",
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
	char			 sunset_s[DAY_MAX];
};

struct text {
	const char	*buf;
	size_t		 len;
	struct rline	*l;
	size_t		 nl;
	struct sect	*s;
	size_t		 ns;
};

/* One run of cmvp_apply(). */
struct apply {
	const struct cmvp_rows	*rows;
	char			*real;		/* the registry, no links */
	struct stat		 sb;		/* the registry as read */
	char			*buf;		/* its text */
	size_t			 len;
	struct text		 t;
	struct fips_registry	*old, *nw;	/* as it is, and rewritten */
	struct plan		*pl;		/* one per entry of old */
	size_t			 n, ncert, nfound;
	time_t			 checked;	/* today, 00:00 UTC */
	char			 checked_s[DAY_MAX];
	FILE			*rf;		/* the report, in memory */
	char			*rep;
	size_t			 rlen;
	char			*out;		/* the rewritten text */
	size_t			 olen;
	char			 tmp[PATH_MAX + 16];	/* beside real */
	int			 tmp_made;
	void			(*progress)(void *, int64_t, int64_t);
	void			*parg;
};

/* "YYYY-MM-DD" of t (UTC), or "none" for 0. */
static int
format_day(time_t t, char *buf, size_t bufsz)
{
	if (t == 0) {
		snprintf(buf, bufsz, "none");
		return 1;
	}
	return date_format_ymd(t, buf, bufsz);
}

/* --- the registry as text ---------------------------------------------- */

static void
text_free(struct text *t)
{
	free(t->l);
	free(t->s);
	memset(t, 0, sizeof(*t));
}

/* Cuts the text into lines, each with its line end. */
static enum eseal_rc
cut_lines(struct text *t)
{
	struct rline *nl, *l;
	const char *e;
	size_t off, cap = 0;

	for (off = 0; off < t->len; t->nl++) {
		e = memchr(t->buf + off, '\n', t->len - off);
		if (t->nl == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nl = reallocarray(t->l, cap, sizeof(*nl))) ==
			    NULL)
				return eseal_err(ESEAL_ENOMEM, "cmvp: out of "
				    "memory");
			t->l = nl;
		}
		l = &t->l[t->nl];
		l->off = off;
		l->len = (e == NULL ? t->len : (size_t)(e - t->buf)) - off;
		l->tlen = e == NULL ? 0 : 1;
		if (e != NULL && l->len > 0 && e[-1] == '\r') {
			l->len--;
			l->tlen = 2;
		}
		off += l->len + l->tlen;
	}
	return ESEAL_OK;
}

/* A [section] header: *cur becomes its entry if it is [module <id>]. */
static enum eseal_rc
begin_sect(struct text *t, const char *name, size_t n, size_t *cap,
    struct sect **cur)
{
	struct sect *ns;

	*cur = NULL;
	if (n < 8 || n - 7 > FIPS_ID_MAX || memcmp(name, "module ", 7) != 0)
		return ESEAL_OK;		/* [policy] */
	if (t->ns == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		if ((ns = reallocarray(t->s, *cap, sizeof(*ns))) == NULL)
			return eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		t->s = ns;
	}
	*cur = &t->s[t->ns++];
	memset(*cur, 0, sizeof(**cur));
	memcpy((*cur)->id, name + 7, n - 7);
	return ESEAL_OK;
}

/*
 * Finds the [module] sections and the lines of the keys we touch, each
 * line split as the INI reader splits it (fips_load() has accepted the
 * same text, so every line splits).
 */
static enum eseal_rc
scan(struct text *t)
{
	struct sect *cur = NULL;
	struct ini_line il;
	struct kspan *ks;
	char why[192];
	const char *p;
	size_t len, cap = 0, off;
	enum eseal_rc rc;
	int k;

	if ((rc = cut_lines(t)) != ESEAL_OK)
		return rc;
	for (size_t ln = 0; ln < t->nl; ln++) {
		p = t->buf + t->l[ln].off;
		len = t->l[ln].len;
		if (ln == 0 && len >= BOM_LEN && memcmp(p, BOM, BOM_LEN) == 0) {
			p += BOM_LEN;
			len -= BOM_LEN;
		}
		if (!ini_line_split(p, len, &il, why, sizeof(why)))
			return eseal_err(ESEAL_EINTERNAL, "cmvp: internal: "
			    "line %zu: %s", ln + 1, why);
		if (il.kind == INI_SECTION && (rc = begin_sect(t, p + il.name,
		    il.name_len, &cap, &cur)) != ESEAL_OK)
			return rc;
		if (il.kind != INI_KEY || cur == NULL)
			continue;
		for (k = 0; k < AK_MAX; k++)
			if (strlen(akeys[k]) == il.name_len &&
			    memcmp(akeys[k], p + il.name, il.name_len) == 0)
				break;
		if (k == AK_MAX)
			continue;
		off = (size_t)(p - t->buf);
		ks = &cur->k[k];
		ks->present = 1;
		ks->ln = ln;
		ks->kend = off + il.name + il.name_len;
		ks->vstart = off + il.value;
		ks->vend = off + il.value + il.value_len;
	}
	return ESEAL_OK;
}

/* The section of entry id (fips_load() refuses a section given twice). */
static const struct sect *
find_sect(const struct text *t, const char *id)
{
	for (size_t i = 0; i < t->ns; i++)
		if (strcmp(t->s[i].id, id) == 0)
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
	char old[DAY_MAX];

	fprintf(f, "module %s (CMVP #%s): status ", fips_entry_id(e),
	    fips_entry_cert(e));
	if (was == p->status)
		fprintf(f, "%s (unchanged)", reg_status[was]);
	else
		fprintf(f, "%s -> %s", reg_status[was], reg_status[p->status]);
	if (p->sunset != 0) {
		format_day(fips_entry_sunset(e), old, sizeof(old));
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

/* Today, 00:00 UTC, as checked: a day fips_load() takes. */
static enum eseal_rc
today(struct apply *a, time_t now)
{
	a->checked = now - now % DATE_DAY_SECS - (now % DATE_DAY_SECS < 0 ?
	    DATE_DAY_SECS : 0);
	if (a->checked < date_utc(FIPS_YEAR_MIN, 1, 1) ||
	    a->checked > date_utc(FIPS_YEAR_MAX, 12, 31) ||
	    !format_day(a->checked, a->checked_s, sizeof(a->checked_s)))
		return eseal_err(ESEAL_EINVAL, "cmvp: [module] checked: the "
		    "clock says %lld seconds since 1970, not a day from %d to "
		    "%d (FIPS_YEAR_MIN, FIPS_YEAR_MAX); set the clock",
		    (long long)now, FIPS_YEAR_MIN, FIPS_YEAR_MAX);
	return ESEAL_OK;
}

/* The registry as it is: it must load, and be what we read. */
static enum eseal_rc
load_registry(struct apply *a, const char *registry_path)
{
	struct stat sb2;
	char msg[MSG_MAX];
	enum eseal_rc rc;

	if ((a->real = realpath(registry_path, NULL)) == NULL)
		return eseal_err(ESEAL_ECONF, "cmvp: %s: cannot open: %s",
		    registry_path, strerror(errno));
	if ((rc = cmvp_file_read(a->real, &a->buf, &a->len, &a->sb)) !=
	    ESEAL_OK)
		return rc;
	if (fips_load(a->real, &a->old) != ESEAL_OK) {
		snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
		return eseal_err(ESEAL_ECONF, "cmvp: the registry does not "
		    "load as it is; fix it first: %s", msg);
	}
	if (stat(a->real, &sb2) == -1 || !cmvp_file_same(&a->sb, &sb2))
		return eseal_err(ESEAL_EEXIST, "cmvp: %s changed while being "
		    "read; nothing written, run the import again", a->real);
	a->t.buf = a->buf;
	a->t.len = a->len;
	return scan(&a->t);
}

/* A row may update entry e: the same standard, and no way out of Revoked. */
static enum eseal_rc
row_fits(const struct cmvp_row *row, const struct fips_entry *e)
{
	const char *std = cmvp_row_standard(row);

	if (*std != '\0' && strcmp(std, fips_entry_standard(e)) != 0)
		return eseal_err(ESEAL_EPOLICY, "cmvp: line %d: column "
		    "\"Standard\": certificate %s is %s, but [module %s] says "
		    "standard = %s: the entry's cmvp_cert or standard is "
		    "wrong; correct it by hand from the CMVP record",
		    cmvp_row_line(row), cmvp_row_cert(row), std,
		    fips_entry_id(e), fips_entry_standard(e) + strlen("FIPS "));
	if (fips_entry_listed(e) == FIPS_REVOKED &&
	    cmvp_row_status(row) != FIPS_REVOKED)
		return eseal_err(ESEAL_EPOLICY, "cmvp: line %d: column "
		    "\"Status\": certificate %s is %s, but [module %s] says "
		    "revoked: the CMVP does not reinstate a revoked "
		    "validation, so this CSV is stale or wrong; if the CMVP "
		    "record really says so, edit the registry by hand",
		    cmvp_row_line(row), cmvp_row_cert(row),
		    fips_status_name(cmvp_row_status(row)), fips_entry_id(e));
	return ESEAL_OK;
}

/* What happens to entry i: a->pl[i], and a line of the report. */
static enum eseal_rc
plan_entry(struct apply *a, size_t i)
{
	const struct fips_entry *e = fips_entry_at(a->old, i);
	const struct cmvp_row *row;
	struct plan *p = &a->pl[i];
	char day[DAY_MAX];
	enum eseal_rc rc;

	if ((p->s = find_sect(&a->t, fips_entry_id(e))) == NULL ||
	    (fips_entry_cert(e)[0] != '\0' &&
	    !value_is(&a->t, p->s, AK_CERT, fips_entry_cert(e))))
		return eseal_err(ESEAL_EINTERNAL, "cmvp: %s: internal: cannot "
		    "find the lines of [module %s]", a->real, fips_entry_id(e));
	if (fips_entry_cert(e)[0] == '\0')
		return ESEAL_OK;		/* not validated: no CMVP row */
	a->ncert++;
	if ((row = cmvp_find(a->rows, fips_entry_cert(e))) == NULL) {
		format_day(fips_entry_checked(e), day, sizeof(day));
		fprintf(a->rf, "module %s (CMVP #%s): not in the CSV; left as "
		    "it was (status %s, checked %s)\n", fips_entry_id(e),
		    fips_entry_cert(e), reg_status[fips_entry_listed(e)], day);
		return ESEAL_OK;
	}
	if ((rc = row_fits(row, e)) != ESEAL_OK)
		return rc;
	a->nfound++;
	p->row = row;
	p->status = cmvp_row_status(row);
	p->sunset = cmvp_row_sunset(row);
	if (!format_day(p->sunset, p->sunset_s, sizeof(p->sunset_s)))
		return eseal_err(ESEAL_EINTERNAL, "cmvp: internal: date");
	report_change(a->rf, e, p, a->checked_s);
	return ESEAL_OK;
}

/* The plan for every entry, in file order, and the report's summary. */
static enum eseal_rc
plan_all(struct apply *a)
{
	enum eseal_rc rc;

	a->n = fips_count(a->old);
	if ((a->pl = calloc(a->n == 0 ? 1 : a->n, sizeof(*a->pl))) == NULL ||
	    (a->rf = open_memstream(&a->rep, &a->rlen)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
	for (size_t i = 0; i < a->n; i++) {
		if ((rc = plan_entry(a, i)) != ESEAL_OK)
			return rc;
		if (a->progress != NULL)
			a->progress(a->parg, (int64_t)i + 1, (int64_t)a->n);
	}
	fprintf(a->rf, "cmvp: %zu of %zu registry entries with a CMVP "
	    "certificate are in the CSV (%zu certificates); ", a->nfound,
	    a->ncert, cmvp_count(a->rows));
	return ESEAL_OK;
}

/* The rewritten text, in a->out. */
static enum eseal_rc
render(struct apply *a)
{
	FILE *of;

	if ((of = open_memstream(&a->out, &a->olen)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
	rewrite(&a->t, a->pl, a->n, a->checked_s, of);
	if (fclose(of) != 0)
		return eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
	return ESEAL_OK;
}

/* Dry run: the result checked in memory, if the system allows. */
static enum eseal_rc
check_in_memory(struct apply *a)
{
	enum eseal_rc rc;
	int checked;

	if ((rc = cmvp_file_load_memory(a->real, a->out, a->olen, &a->nw,
	    &checked)) != ESEAL_OK)
		return rc;
	if (checked && (rc = check_result(a->real, a->old, a->nw, a->pl,
	    a->checked)) != ESEAL_OK)
		return rc;
	fprintf(a->rf, "dry run: nothing written%s\n", checked ?
	    "; the updated registry loads" : "; the updated registry was not "
	    "checked (no memfd or /proc)");
	return ESEAL_OK;
}

/* The result beside the registry, checked, then renamed over it. */
static enum eseal_rc
replace_registry(struct apply *a)
{
	struct stat sb2;
	enum eseal_rc rc;

	if ((rc = cmvp_file_write_temp(a->real, &a->sb, a->out, a->olen, a->tmp,
	    sizeof(a->tmp))) != ESEAL_OK)
		return rc;
	a->tmp_made = 1;
	if ((rc = cmvp_file_load(a->real, a->tmp, &a->nw)) != ESEAL_OK ||
	    (rc = check_result(a->real, a->old, a->nw, a->pl, a->checked)) !=
	    ESEAL_OK)
		return rc;
	if (stat(a->real, &sb2) == -1 || !cmvp_file_same(&a->sb, &sb2))
		return eseal_err(ESEAL_EEXIST, "cmvp: %s changed during the "
		    "import; nothing written, run the import again", a->real);
	if (rename(a->tmp, a->real) == -1)
		return eseal_err(ESEAL_ECONF, "cmvp: rename %s to %s: %s",
		    a->tmp, a->real, strerror(errno));
	a->tmp_made = 0;
	cmvp_file_sync_dir(a->real);
	fprintf(a->rf, "wrote %s; eseald reads it on SIGHUP\n", a->real);
	return ESEAL_OK;
}

static void
apply_free(struct apply *a)
{
	if (a->tmp_made)
		unlink(a->tmp);
	if (a->rf != NULL)
		fclose(a->rf);
	free(a->out);
	free(a->rep);
	fips_free(a->old);
	fips_free(a->nw);
	free(a->pl);
	text_free(&a->t);
	free(a->buf);
	free(a->real);
}

enum eseal_rc
cmvp_apply(const char *registry_path, const struct cmvp_rows *rows,
    time_t now, FILE *report, int dry_run)
{
	return cmvp_apply_progress(registry_path, rows, now, report, dry_run,
	    NULL, NULL);
}

enum eseal_rc
cmvp_apply_progress(const char *registry_path, const struct cmvp_rows *rows,
    time_t now, FILE *report, int dry_run,
    void (*progress)(void *, int64_t, int64_t), void *arg)
{
	struct apply a;
	enum eseal_rc rc;

	memset(&a, 0, sizeof(a));
	a.progress = progress;
	a.parg = arg;
	if (rows == NULL)
		return eseal_err(ESEAL_EINVAL, "cmvp: cmvp_apply() needs the "
		    "rows of a CSV that cmvp_parse() accepted");
	a.rows = rows;
	if ((rc = today(&a, now)) != ESEAL_OK ||
	    (rc = load_registry(&a, registry_path)) != ESEAL_OK ||
	    (rc = plan_all(&a)) != ESEAL_OK)
		goto out;
	if (a.nfound == 0)
		fprintf(a.rf, "nothing to change, nothing written\n");
	else if ((rc = render(&a)) != ESEAL_OK || (rc = dry_run ?
	    check_in_memory(&a) : replace_registry(&a)) != ESEAL_OK)
		goto out;
	rc = fclose(a.rf) == 0 ? ESEAL_OK : eseal_err(ESEAL_ENOMEM,
	    "cmvp: out of memory");
	a.rf = NULL;
	/* The report goes out only when the call succeeds. */
	if (rc == ESEAL_OK && report != NULL)
		fwrite(a.rep, 1, a.rlen, report);
out:
	apply_free(&a);
	return rc;
}
