/*
 * fips.c: the HSM module registry and the effective FIPS 140 status of a
 * token.  The registry is INI read by the one INI reader (ini.h), which
 * refuses every line inih would misread and, for this file, a section
 * given twice or without a key; every error names file:line.  Checks that
 * involve several keys or entries run after the whole file is read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "fips.h"
#include "ini.h"

#define SOURCE_MAX	INI_LINE_BYTES	/* source URL: a line bounds it */
#define FW_LOWEST	0x0000	/* firmware 0.0: open lower bound */
#define FW_HIGHEST	0xffff	/* firmware 255.255: open upper bound */
#define MANUFACTURER_MAX (sizeof(((struct p11_identity *)0)->manufacturer) - 1)
#define MODEL_MAX	(sizeof(((struct p11_identity *)0)->model) - 1)

/* Keys of a [module] section, in the order the docs list them. */
enum ekey {
	EK_MANUFACTURER,
	EK_MODEL,
	EK_FW_MIN,
	EK_FW_MAX,
	EK_CERT,
	EK_STANDARD,
	EK_LEVEL,
	EK_STATUS,
	EK_SUNSET,
	EK_CHECKED,
	EK_SOURCE,
	EK_MAX
};

static const char *const ekeys[EK_MAX] = {
	[EK_MANUFACTURER] = "manufacturer",
	[EK_MODEL] = "model",
	[EK_FW_MIN] = "firmware_min",
	[EK_FW_MAX] = "firmware_max",
	[EK_CERT] = "cmvp_cert",
	[EK_STANDARD] = "standard",
	[EK_LEVEL] = "level",
	[EK_STATUS] = "status",
	[EK_SUNSET] = "sunset",
	[EK_CHECKED] = "checked",
	[EK_SOURCE] = "source",
};

/* Keys of [policy]. */
enum pkey {
	PK_UNLISTED,
	PK_UNVALIDATED,
	PK_MAX
};

static const char *const pkeys[PK_MAX] = {
	[PK_UNLISTED] = "unlisted",
	[PK_UNVALIDATED] = "unvalidated",
};

enum standard {
	STD_NONE,
	STD_140_2,
	STD_140_3,
	STD_MAX
};

static const char *const std_names[STD_MAX] = {
	[STD_NONE] = "",
	[STD_140_2] = "FIPS 140-2",
	[STD_140_3] = "FIPS 140-3",
};

static const char *const status_names[FIPS_STATUS_MAX] = {
	[FIPS_ACTIVE] = "Active",
	[FIPS_HISTORICAL] = "Historical",
	[FIPS_REVOKED] = "Revoked",
	[FIPS_NOT_VALIDATED] = "not validated",
	[FIPS_UNLISTED] = "unlisted",
};

static const char *const use_names[FIPS_USE_MAX] = {
	[FIPS_USE_KEYGEN] = "keygen",
	[FIPS_USE_ISSUE] = "issue",
	[FIPS_USE_STATUS_SIGN] = "status-sign",
};

/* What fips_check() says is refused. */
static const char *const use_refused[FIPS_USE_MAX] = {
	[FIPS_USE_KEYGEN] = "issuer keys may not be generated or imported on it",
	[FIPS_USE_ISSUE] = "certificates may not be issued with a key on it",
	[FIPS_USE_STATUS_SIGN] = ("CRLs, OCSP responses and audit checkpoints "
	    "may not be signed with it"),
};

struct fips_entry {
	char		 id[FIPS_ID_MAX + 1];
	char		 manufacturer[MANUFACTURER_MAX + 1];
	char		 model[MODEL_MAX + 1];
	int		 fw_min, fw_max;	/* major * 256 + minor, inclusive */
	char		 cert[FIPS_CERT_DIGITS_MAX + 1];
	enum standard	 standard;
	int		 level;
	enum fips_status listed;
	time_t		 sunset, checked;	/* 0 if not given */
	char		 source[SOURCE_MAX];
	int		 line;			/* of the [module] header */
	int		 kline[EK_MAX];		/* line of each key, 0 if absent */
};

struct fips_registry {
	int			 allow[PK_MAX];	/* [policy]: 1 allow, 0 refuse */
	struct fips_entry	*e;
	size_t			 n;
};

struct parse_state {
	struct fips_registry	*r;
	size_t			 cap;		/* entries allocated in r->e */
	int			 in_policy;	/* else in r->e[r->n - 1] */
	int			 pline[PK_MAX];	/* line of each [policy] key */
	struct ini_err		 err;		/* the first refusal */
	char			 why[160];	/* what a value parser disliked */
};

static int
valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FIPS_ID_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

/* Reads 1 to 3 digits at *p, at most max; advances *p. */
static int
parse_small(const char **p, int max, int *out)
{
	int v = 0, n = 0;

	while (n < 3 && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n == 0 || (**p >= '0' && **p <= '9') || v > max)
		return 0;
	*out = v;
	return 1;
}

/* "major.minor", each 0..255 (CK_VERSION bytes): major * 256 + minor. */
static int
parse_fw(const char *s, int *out)
{
	int maj, min;

	if (!parse_small(&s, 255, &maj) || *s++ != '.' ||
	    !parse_small(&s, 255, &min) || *s != '\0')
		return 0;
	*out = maj * 256 + min;
	return 1;
}

/* "YYYY-MM-DD", a real calendar date: 00:00 UTC that day. */
static int
parse_date(const char *s, time_t *out)
{
	return date_parse_ymd(s, FIPS_YEAR_MIN, FIPS_YEAR_MAX, out);
}

static void
format_date(time_t t, char *buf, size_t bufsz)
{
	(void)date_format_ymd(t, buf, bufsz);
}

static int
set_string(struct parse_state *st, char *field, size_t size, const char *v,
    int nonempty)
{
	if (nonempty && *v == '\0') {
		snprintf(st->why, sizeof(st->why), "empty");
		return 0;
	}
	if (strlen(v) >= size) {
		snprintf(st->why, sizeof(st->why), "longer than %zu bytes%s",
		    size - 1, nonempty ? " (the size of the PKCS#11 field)" : "");
		return 0;
	}
	memcpy(field, v, strlen(v) + 1);
	return 1;
}

static int
set_module_value(struct parse_state *st, struct fips_entry *e, enum ekey k,
    const char *v)
{
	time_t *date = k == EK_SUNSET ? &e->sunset : &e->checked;
	int *fw = k == EK_FW_MIN ? &e->fw_min : &e->fw_max;

	switch (k) {
	case EK_MANUFACTURER:
		return set_string(st, e->manufacturer, sizeof(e->manufacturer),
		    v, 1);
	case EK_MODEL:
		return set_string(st, e->model, sizeof(e->model), v, 1);
	case EK_SOURCE:
		return set_string(st, e->source, sizeof(e->source), v, 0);
	case EK_FW_MIN:
	case EK_FW_MAX:
		if (parse_fw(v, fw))
			return 1;
		snprintf(st->why, sizeof(st->why), "\"%.32s\" is not a firmware "
		    "version major.minor (each 0 to 255)", v);
		return 0;
	case EK_CERT:
		if (*v >= '1' && *v <= '9' &&
		    strlen(v) <= FIPS_CERT_DIGITS_MAX &&
		    strspn(v, "0123456789") == strlen(v)) {
			memcpy(e->cert, v, strlen(v) + 1);
			return 1;
		}
		snprintf(st->why, sizeof(st->why), "\"%.32s\" is not a CMVP "
		    "certificate number (1 to %d digits, as in the CMVP record)",
		    v, FIPS_CERT_DIGITS_MAX);
		return 0;
	case EK_STANDARD:
		if (strcmp(v, "140-2") == 0)
			e->standard = STD_140_2;
		else if (strcmp(v, "140-3") == 0)
			e->standard = STD_140_3;
		else {
			snprintf(st->why, sizeof(st->why), "\"%.32s\" is not "
			    "one of 140-2, 140-3", v);
			return 0;
		}
		return 1;
	case EK_LEVEL:
		if (strlen(v) == 1 && *v >= '1' && *v <= '4') {
			e->level = *v - '0';
			return 1;
		}
		snprintf(st->why, sizeof(st->why), "\"%.32s\" is not an "
		    "overall security level from 1 to 4", v);
		return 0;
	case EK_STATUS:
		if (strcmp(v, "active") == 0)
			e->listed = FIPS_ACTIVE;
		else if (strcmp(v, "historical") == 0)
			e->listed = FIPS_HISTORICAL;
		else if (strcmp(v, "revoked") == 0)
			e->listed = FIPS_REVOKED;
		else if (strcmp(v, "not-validated") == 0)
			e->listed = FIPS_NOT_VALIDATED;
		else {
			snprintf(st->why, sizeof(st->why), "\"%.32s\" is not "
			    "one of active, historical, revoked, not-validated",
			    v);
			return 0;
		}
		return 1;
	case EK_SUNSET:
	case EK_CHECKED:
		if (parse_date(v, date))
			return 1;
		snprintf(st->why, sizeof(st->why), "\"%.32s\" is not a date "
		    "YYYY-MM-DD (%d to %d)", v, FIPS_YEAR_MIN, FIPS_YEAR_MAX);
		return 0;
	case EK_MAX:
		break;
	}
	snprintf(st->why, sizeof(st->why), "internal: unknown key");
	return 0;
}

/*
 * The first key of a section: open the section.  The reader has refused a
 * section given twice, so the ids of the entries are distinct.
 */
static int
begin_section(struct parse_state *st, const struct ini_key *k)
{
	struct fips_registry *r = st->r;
	struct fips_entry *e;
	const char *id;

	if (strcmp(k->section, "policy") == 0) {
		st->in_policy = 1;
		return 1;
	}
	if (strncmp(k->section, "module ", 7) != 0)
		return ini_fail(&st->err, k->line, k->section, k->name,
		    "unknown section (expected [policy] or [module <id>])");
	id = k->section + 7;
	if (!valid_id(id))
		return ini_fail(&st->err, k->line, k->section, k->name,
		    "module id \"%s\" must be 1 to %d characters of A-Z, a-z, "
		    "0-9, '.', '_', '-'", id, FIPS_ID_MAX);
	if (r->n == FIPS_ENTRIES_MAX)
		return ini_fail(&st->err, k->line, k->section, k->name, "more "
		    "than %d [module] sections", FIPS_ENTRIES_MAX);
	if (r->n == st->cap) {
		size_t cap = st->cap == 0 ? 16 : st->cap * 2;

		if ((e = reallocarray(r->e, cap, sizeof(*e))) == NULL) {
			ini_fail(&st->err, k->line, NULL, NULL, "out of "
			    "memory");
			st->err.rc = ESEAL_ENOMEM;
			return 0;
		}
		r->e = e;
		st->cap = cap;
	}
	e = &r->e[r->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, strlen(id) + 1);
	e->line = k->section_line;
	e->fw_min = FW_LOWEST;
	e->fw_max = FW_HIGHEST;
	e->listed = FIPS_STATUS_MAX;	/* not given yet */
	st->in_policy = 0;
	return 1;
}

/* A key of [policy]: refuse or allow. */
static int
policy_key(struct parse_state *st, const struct ini_key *k)
{
	int i;

	for (i = 0; i < PK_MAX && strcmp(pkeys[i], k->name) != 0; i++)
		;
	if (i == PK_MAX)
		return ini_fail(&st->err, k->line, k->section, k->name,
		    "unknown key");
	if (st->pline[i] != 0)
		return ini_fail(&st->err, k->line, k->section, k->name, "given "
		    "twice (first at line %d)", st->pline[i]);
	st->pline[i] = k->line;
	if (strcmp(k->value, "allow") == 0)
		st->r->allow[i] = 1;
	else if (strcmp(k->value, "refuse") == 0)
		st->r->allow[i] = 0;
	else
		return ini_fail(&st->err, k->line, k->section, k->name,
		    "\"%.32s\" is not one of refuse, allow", k->value);
	return 1;
}

static int
handler(void *user, const struct ini_key *k, struct ini_err *err)
{
	struct parse_state *st = user;
	struct fips_entry *e;
	int i;

	if (k->first && !begin_section(st, k))
		return 0;
	if (st->in_policy)
		return policy_key(st, k);
	e = &st->r->e[st->r->n - 1];
	for (i = 0; i < EK_MAX && strcmp(ekeys[i], k->name) != 0; i++)
		;
	if (i == EK_MAX)
		return ini_fail(err, k->line, k->section, k->name,
		    "unknown key");
	if (e->kline[i] != 0)
		return ini_fail(err, k->line, k->section, k->name, "given "
		    "twice (first at line %d)", e->kline[i]);
	e->kline[i] = k->line;
	if (!set_module_value(st, e, (enum ekey)i, k->value))
		return ini_fail(err, k->line, k->section, k->name, "%s",
		    st->why);
	return 1;
}

static int
ranged(const struct fips_entry *e)
{
	return e->kline[EK_FW_MIN] != 0 || e->kline[EK_FW_MAX] != 0;
}

/* Checks one entry as a whole, and against the entries before it. */
static int
check_entry(struct parse_state *st, size_t i)
{
	static const enum ekey need[] = { EK_MANUFACTURER, EK_MODEL, EK_STATUS };
	static const enum ekey need_validated[] =
	    { EK_CERT, EK_STANDARD, EK_LEVEL, EK_CHECKED };
	static const enum ekey only_validated[] =
	    { EK_CERT, EK_STANDARD, EK_LEVEL, EK_SUNSET };
	const struct fips_entry *e = &st->r->e[i], *o;
	struct ini_err *err = &st->err;
	char sect[FIPS_ID_MAX + sizeof("module ")];
	enum ekey k;

	snprintf(sect, sizeof(sect), "module %s", e->id);
	for (size_t j = 0; j < sizeof(need) / sizeof(need[0]); j++)
		if (e->kline[need[j]] == 0)
			return ini_fail(err, e->line, sect, ekeys[need[j]],
			    "required");
	if (e->listed == FIPS_NOT_VALIDATED) {
		for (size_t j = 0; j < sizeof(only_validated) /
		    sizeof(only_validated[0]); j++) {
			k = only_validated[j];
			if (e->kline[k] != 0)
				return ini_fail(err, e->kline[k], sect,
				    ekeys[k], "not allowed with status = "
				    "not-validated");
		}
	} else {
		for (size_t j = 0; j < sizeof(need_validated) /
		    sizeof(need_validated[0]); j++)
			if (e->kline[need_validated[j]] == 0)
				return ini_fail(err, e->kline[EK_STATUS], sect,
				    ekeys[need_validated[j]], "required "
				    "unless status = not-validated (copy it "
				    "from the CMVP record)");
		if (e->standard == STD_140_3 && e->kline[EK_SUNSET] == 0)
			return ini_fail(err, e->kline[EK_STANDARD], sect,
			    "sunset", "required for standard = 140-3 (the "
			    "Sunset Date of the CMVP record)");
	}
	if (e->fw_min > e->fw_max)
		return ini_fail(err, e->kline[EK_FW_MAX], sect,
		    "firmware_max", "%d.%d is below firmware_min %d.%d",
		    e->fw_max >> 8, e->fw_max & 0xff, e->fw_min >> 8,
		    e->fw_min & 0xff);
	for (size_t j = 0; j < i; j++) {
		o = &st->r->e[j];
		if (strcmp(o->manufacturer, e->manufacturer) != 0 ||
		    strcmp(o->model, e->model) != 0 ||
		    ranged(o) != ranged(e) ||
		    o->fw_max < e->fw_min || e->fw_max < o->fw_min)
			continue;
		if (!ranged(e))
			return ini_fail(err, e->kline[EK_MODEL], sect, "model",
			    "[module %s] (line %d) has the same manufacturer "
			    "and model and no firmware range either: a token "
			    "would match both", o->id, o->line);
		k = e->kline[EK_FW_MIN] != 0 ? EK_FW_MIN : EK_FW_MAX;
		return ini_fail(err, e->kline[k], sect, ekeys[k], "firmware "
		    "range overlaps that of [module %s] (line %d), same "
		    "manufacturer and model: a token would match both", o->id,
		    o->line);
	}
	return 1;
}

enum eseal_rc
fips_load(const char *path, struct fips_registry **out)
{
	struct parse_state st;
	enum eseal_rc rc;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	if ((st.r = calloc(1, sizeof(*st.r))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "fips: out of memory");
	rc = ini_read(path, FIPS_FILE_MAX, INI_ONCE | INI_NONEMPTY, handler,
	    &st, &st.err);
	for (size_t i = 0; rc == ESEAL_OK && i < st.r->n; i++)
		if (!check_entry(&st, i))
			rc = ini_report(path, &st.err);
	if (rc == ESEAL_OK) {
		*out = st.r;
		st.r = NULL;
	}
	fips_free(st.r);
	return rc;
}

void
fips_free(struct fips_registry *r)
{
	if (r == NULL)
		return;
	free(r->e);
	free(r);
}

size_t
fips_count(const struct fips_registry *r)
{
	return r == NULL ? 0 : r->n;
}

const struct fips_entry *
fips_entry_at(const struct fips_registry *r, size_t i)
{
	return r == NULL || i >= r->n ? NULL : &r->e[i];
}

const char *
fips_entry_id(const struct fips_entry *e)
{
	return e->id;
}

const char *
fips_entry_manufacturer(const struct fips_entry *e)
{
	return e->manufacturer;
}

const char *
fips_entry_model(const struct fips_entry *e)
{
	return e->model;
}

const char *
fips_entry_cert(const struct fips_entry *e)
{
	return e->cert;
}

const char *
fips_entry_standard(const struct fips_entry *e)
{
	return std_names[e->standard];
}

int
fips_entry_level(const struct fips_entry *e)
{
	return e->level;
}

enum fips_status
fips_entry_listed(const struct fips_entry *e)
{
	return e->listed;
}

time_t
fips_entry_sunset(const struct fips_entry *e)
{
	return e->sunset;
}

time_t
fips_entry_checked(const struct fips_entry *e)
{
	return e->checked;
}

const char *
fips_entry_source(const struct fips_entry *e)
{
	return e->source;
}

void
fips_entry_firmware(const struct fips_entry *e, char *buf, size_t bufsz)
{
	if (e->kline[EK_FW_MIN] != 0 && e->kline[EK_FW_MAX] != 0)
		snprintf(buf, bufsz, "%d.%d to %d.%d", e->fw_min >> 8,
		    e->fw_min & 0xff, e->fw_max >> 8, e->fw_max & 0xff);
	else if (e->kline[EK_FW_MIN] != 0)
		snprintf(buf, bufsz, "%d.%d or later", e->fw_min >> 8,
		    e->fw_min & 0xff);
	else if (e->kline[EK_FW_MAX] != 0)
		snprintf(buf, bufsz, "up to %d.%d", e->fw_max >> 8,
		    e->fw_max & 0xff);
	else
		snprintf(buf, bufsz, "any");
}

const char *
fips_status_name(enum fips_status s)
{
	if (s < 0 || s >= FIPS_STATUS_MAX)
		return "?";
	return status_names[s];
}

const char *
fips_use_name(enum fips_use u)
{
	if (u < 0 || u >= FIPS_USE_MAX)
		return "?";
	return use_names[u];
}

/* Unlisted or not validated: the [policy] key decides. */
static void
by_policy(const struct fips_registry *r, enum pkey k, enum fips_status s,
    const char *why, struct fips_verdict *v)
{
	int allow = r != NULL && r->allow[k];

	v->status = s;
	snprintf(v->reason, sizeof(v->reason), "%s; [policy] %s = %s", why,
	    pkeys[k], allow ? "allow" : "refuse");
	v->allowed[FIPS_USE_KEYGEN] = allow;
	v->allowed[FIPS_USE_ISSUE] = allow;
	v->allowed[FIPS_USE_STATUS_SIGN] = 1;
	v->warn = 1;
	v->degraded = !allow;
}

void
fips_evaluate(const struct fips_registry *r, const struct p11_identity *id,
    time_t now, struct fips_verdict *v)
{
	const struct fips_entry *e = NULL, *c;
	char date[16];
	int fw = id->fw_major * 256 + id->fw_minor;
	int by_sunset;

	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < fips_count(r); i++) {
		c = &r->e[i];
		if (strcmp(c->manufacturer, id->manufacturer) != 0 ||
		    strcmp(c->model, id->model) != 0 ||
		    fw < c->fw_min || fw > c->fw_max)
			continue;
		/* fips_load refused two matches of the same specificity. */
		if (e == NULL || (ranged(c) && !ranged(e)))
			e = c;
	}
	v->entry = e;
	if (e == NULL) {
		snprintf(v->module, sizeof(v->module), "manufacturer \"%s\" "
		    "model \"%s\" firmware %d.%d", id->manufacturer, id->model,
		    id->fw_major, id->fw_minor);
		by_policy(r, PK_UNLISTED, FIPS_UNLISTED, "no registry entry "
		    "matches its manufacturer, model and firmware", v);
		return;
	}
	if (e->listed == FIPS_NOT_VALIDATED) {
		snprintf(v->module, sizeof(v->module), "%s (%s %s, no CMVP "
		    "certificate)", e->id, e->manufacturer, e->model);
		by_policy(r, PK_UNVALIDATED, FIPS_NOT_VALIDATED, "listed as "
		    "not validated in the registry", v);
		return;
	}
	snprintf(v->module, sizeof(v->module), "%s (%s %s, CMVP #%s)", e->id,
	    e->manufacturer, e->model, e->cert);

	/* When the date rules make it Historical: the earlier of the two. */
	v->historical_from = e->sunset;
	if (e->standard == STD_140_2 && (v->historical_from == 0 ||
	    FIPS_140_2_HISTORICAL < v->historical_from))
		v->historical_from = FIPS_140_2_HISTORICAL;
	by_sunset = e->sunset != 0 && v->historical_from == e->sunset;
	format_date(v->historical_from, date, sizeof(date));

	v->allowed[FIPS_USE_STATUS_SIGN] = 1;
	if (e->listed == FIPS_REVOKED) {
		v->status = FIPS_REVOKED;
		snprintf(v->reason, sizeof(v->reason), "listed Revoked in the "
		    "registry");
		v->warn = 1;
		v->degraded = 1;
		return;
	}
	if (e->listed == FIPS_HISTORICAL)
		snprintf(v->reason, sizeof(v->reason), "listed Historical in "
		    "the registry");
	else if (v->historical_from != 0 && now >= v->historical_from &&
	    by_sunset)
		snprintf(v->reason, sizeof(v->reason), "its CMVP sunset date "
		    "%s has passed", date);
	else if (v->historical_from != 0 && now >= v->historical_from)
		snprintf(v->reason, sizeof(v->reason), "FIPS 140-2 validations "
		    "moved to Historical on %s", date);
	else {
		v->status = FIPS_ACTIVE;
		if (v->historical_from == 0)
			snprintf(v->reason, sizeof(v->reason), "listed Active "
			    "in the registry");
		else
			snprintf(v->reason, sizeof(v->reason), "listed Active "
			    "in the registry; Historical from %s (%s)", date,
			    by_sunset ? "CMVP sunset date" :
			    "end of FIPS 140-2");
		v->allowed[FIPS_USE_KEYGEN] = 1;
		v->allowed[FIPS_USE_ISSUE] = 1;
		return;
	}
	v->status = FIPS_HISTORICAL;
	v->allowed[FIPS_USE_ISSUE] = 1;
	v->warn = 1;
}

enum eseal_rc
fips_check(const struct fips_verdict *v, enum fips_use use)
{
	if (use < 0 || use >= FIPS_USE_MAX)
		return eseal_err(ESEAL_EINTERNAL, "fips: unknown use %d",
		    (int)use);
	if (v->allowed[use])
		return ESEAL_OK;
	return eseal_err(ESEAL_EPOLICY, "fips: module %s is %s: %s; %s",
	    v->module, fips_status_name(v->status), v->reason,
	    use_refused[use]);
}
