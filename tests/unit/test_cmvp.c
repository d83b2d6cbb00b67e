/*
 * test_cmvp.c: reading CMVP CSV exports (tests/data/cmvp/good and bad, and
 * what the data files cannot hold), and updating a registry written at
 * test time from one: what changes, what stays byte for byte, what the CA
 * then decides, and every refusal leaving the registry as it was.  The
 * modules and certificate numbers below are made up.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmvp.h"
#include "testutil.h"

/* --- parsing ------------------------------------------------------------ */

/* What a good file holds, for one certificate of it. */
static const struct {
	const char	*file;
	size_t		 count;		/* distinct certificate numbers */
	const char	*cert;		/* NULL: count only */
	enum fips_status status;
	int		 y, m, d;	/* sunset, 0 if none */
	const char	*standard;
	int		 line;
} goods[] = {
	{ "basic.csv", 4, "4001", FIPS_ACTIVE, 2031, 5, 1, "FIPS 140-3", 2 },
	{ "basic.csv", 4, "1402", FIPS_HISTORICAL, 2026, 9, 21, "FIPS 140-2",
	  3 },
	{ "basic.csv", 4, "2001", FIPS_REVOKED, 0, 0, 0, "FIPS 140-2", 4 },
	{ "basic.csv", 4, "12", FIPS_HISTORICAL, 0, 0, 0, "FIPS 140-1", 5 },
	{ "crlf.csv", 2, "4100", FIPS_REVOKED, 2032, 1, 1, "FIPS 140-3", 3 },
	{ "bom.csv", 1, "4001", FIPS_HISTORICAL, 2031, 5, 1, "", 2 },
	{ "bom-crlf.csv", 1, "4001", FIPS_ACTIVE, 2031, 5, 1, "", 2 },
	{ "quoted.csv", 3, "4001", FIPS_ACTIVE, 2031, 5, 1, "FIPS 140-3", 2 },
	{ "quoted.csv", 3, "3001", FIPS_HISTORICAL, 2035, 1, 1, "FIPS 140-3",
	  3 },
	{ "quoted.csv", 3, "4100", FIPS_REVOKED, 0, 0, 0, "", 5 },
	{ "header-only.csv", 0, NULL, 0, 0, 0, 0, NULL, 0 },
	{ "duplicate-agree.csv", 2, "4001", FIPS_ACTIVE, 2031, 5, 1, "", 2 },
	{ "minimal-no-final-newline.csv", 2, "4001", FIPS_ACTIVE, 0, 0, 0, "",
	  5 },
};

static int
is_csv(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".csv") == 0;
}

static const char *
top(void)
{
	return getenv("ESEAL_TOP") ? getenv("ESEAL_TOP") : ".";
}

/* Every file in good/ is read; the table says what some of them hold. */
START_TEST(test_good_files)
{
	struct dirent **names;
	struct cmvp_rows *rows;
	const struct cmvp_row *r;
	char dir[1024], path[2048];
	int n, seen;

	snprintf(dir, sizeof(dir), "%s/tests/data/cmvp/good", top());
	n = scandir(dir, &names, is_csv, alphasort);
	ck_assert_msg(n >= 8, "%s: %d files", dir, n);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		ck_assert_msg(cmvp_load(path, &rows) == ESEAL_OK, "%s: %s",
		    names[i]->d_name, eseal_errmsg());
		seen = 0;
		for (size_t j = 0; j < sizeof(goods) / sizeof(goods[0]); j++) {
			if (strcmp(goods[j].file, names[i]->d_name) != 0)
				continue;
			seen = 1;
			ck_assert_uint_eq(cmvp_count(rows), goods[j].count);
			if (goods[j].cert == NULL)
				continue;
			r = cmvp_find(rows, goods[j].cert);
			ck_assert_msg(r != NULL, "%s: no %s", goods[j].file,
			    goods[j].cert);
			ck_assert_str_eq(cmvp_row_cert(r), goods[j].cert);
			ck_assert_int_eq(cmvp_row_status(r), goods[j].status);
			ck_assert_int_eq(cmvp_row_sunset(r), goods[j].y == 0 ?
			    0 : tu_date(goods[j].y, goods[j].m, goods[j].d));
			ck_assert_str_eq(cmvp_row_standard(r),
			    goods[j].standard);
			ck_assert_int_eq(cmvp_row_line(r), goods[j].line);
		}
		ck_assert_msg(seen, "%s: add it to goods[]", names[i]->d_name);
		cmvp_free(rows);
		free(names[i]);
	}
	free(names);
}
END_TEST

/* Every file in bad/ is refused with this message, naming line and rule. */
static const struct {
	const char	*file;
	const char	*want;		/* the whole message starts with it */
} bads[] = {
	{ "unterminated-quote.csv", "cmvp: line 3: RFC 4180 2.5: field 2: the "
	  "quote that opens it is never closed" },
	{ "unterminated-quote-crlf.csv", "cmvp: line 4: RFC 4180 2.5: field 2: "
	  "the quote that opens it is never closed" },
	{ "nul-byte.csv", "cmvp: line 2: RFC 4180 2 (TEXTDATA): NUL byte in "
	  "field 2" },
	{ "long-field.csv", "cmvp: line 2: CMVP_FIELD_MAX: field 2 is longer "
	  "than 1024 bytes" },
	{ "missing-status-column.csv", "cmvp: line 1: column \"Status\": not "
	  "in the header row (required: \"Certificate Number\" and "
	  "\"Status\")" },
	{ "missing-cert-column.csv", "cmvp: line 1: column \"Certificate "
	  "Number\": not in the header row" },
	{ "duplicate-disagree-status.csv", "cmvp: line 4: column \"Certificate "
	  "Number\": 4001 is listed again, with Status Revoked; line 2 says "
	  "Active: two rows that disagree" },
	{ "duplicate-disagree-sunset.csv", "cmvp: line 3: column \"Certificate "
	  "Number\": 4001 is listed again, with Sunset Date 2032-05-01; line 2 "
	  "says 2031-05-01" },
	{ "bad-date-iso.csv", "cmvp: line 2: column \"Sunset Date\": "
	  "\"2026-02-30\": 2026-02 has 28 days" },
	{ "bad-date-us.csv", "cmvp: line 2: column \"Sunset Date\": "
	  "\"02/30/2026\": 2026-02 has 28 days" },
	{ "bad-month.csv", "cmvp: line 2: column \"Sunset Date\": "
	  "\"13/01/2026\": there is no month 13" },
	{ "bad-year.csv", "cmvp: line 2: column \"Sunset Date\": "
	  "\"01/01/1899\": year 1899 is outside 1995 to 2199" },
	{ "bad-date-form.csv", "cmvp: line 2: column \"Sunset Date\": "
	  "\"Sept 21, 2026\": not a date MM/DD/YYYY or YYYY-MM-DD" },
	{ "unknown-status.csv", "cmvp: line 7: column \"Status\": \"Expired\" "
	  "is not Active, Historical or Revoked (" },
	{ "empty-status.csv", "cmvp: line 2: column \"Status\": \"\" is not "
	  "Active, Historical or Revoked" },
	{ "escape-in-status.csv", "cmvp: line 2: column \"Status\": "
	  "\"?[31mActive\" is not Active" },
	{ "quote-in-field.csv", "cmvp: line 2: RFC 4180 2.5: field 2: a double "
	  "quote inside a field that does not start with one" },
	{ "text-after-quote.csv", "cmvp: line 2: RFC 4180 2.7: field 2: text "
	  "after the quote that closes it" },
	{ "too-few-fields.csv", "cmvp: line 3: RFC 4180 2.4: 2 fields, the "
	  "header row has 3" },
	{ "too-many-fields.csv", "cmvp: line 2: RFC 4180 2.4: more than the 3 "
	  "fields of the header row" },
	{ "bare-cr.csv", "cmvp: line 1: RFC 4180 2.1: a CR not followed by "
	  "LF" },
	{ "bad-cert.csv", "cmvp: line 2: column \"Certificate Number\": "
	  "\"49A2\" is not a CMVP certificate number (1 to 6 digits, no "
	  "leading zero)" },
	{ "leading-zero-cert.csv", "cmvp: line 2: column \"Certificate "
	  "Number\": \"04001\" is not a CMVP certificate number" },
	{ "long-cert.csv", "cmvp: line 2: column \"Certificate Number\": "
	  "\"1234567\" is not a CMVP certificate number" },
	{ "empty-cert.csv", "cmvp: line 2: column \"Certificate Number\": "
	  "empty" },
	{ "bad-standard.csv", "cmvp: line 2: column \"Standard\": "
	  "\"FIPS 140-4\" is not FIPS 140-2 or FIPS 140-3" },
	{ "duplicate-column.csv", "cmvp: line 1: RFC 4180 2.3: the header row "
	  "names \"Status\" twice (fields 2 and 3)" },
	{ "empty.csv", "cmvp: line 1: RFC 4180 2.3: no header row" },
	{ "bom-only.csv", "cmvp: line 1: RFC 4180 2.3: no header row" },
	{ "sunset-before-validation.csv", "cmvp: line 2: column \"Sunset "
	  "Date\": certificate 4001: 2026-05-01 is not after its \"Validation "
	  "Date\" 2026-05-02" },
	{ "bad-validation-date.csv", "cmvp: line 2: column \"Validation "
	  "Date\": \"13/01/2031\": there is no month 13" },
	{ "many-columns.csv", "cmvp: line 1: CMVP_COLUMNS_MAX: more than 64 "
	  "fields in the header row" },
};

START_TEST(test_bad_files)
{
	struct dirent **names;
	struct cmvp_rows *rows;
	char dir[1024], path[2048];
	size_t j, nb = sizeof(bads) / sizeof(bads[0]);
	int n;

	snprintf(dir, sizeof(dir), "%s/tests/data/cmvp/bad", top());
	n = scandir(dir, &names, is_csv, alphasort);
	ck_assert_int_eq(n, (int)nb);		/* every entry has its file */
	for (int i = 0; i < n; i++) {
		for (j = 0; j < nb && strcmp(bads[j].file,
		    names[i]->d_name) != 0; j++)
			;
		ck_assert_msg(j < nb, "%s: add it to bads[]",
		    names[i]->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		rows = (struct cmvp_rows *)1;
		eseal_errclear();
		ck_assert_msg(cmvp_load(path, &rows) == ESEAL_EINVAL,
		    "%s: accepted", names[i]->d_name);
		ck_assert_ptr_null(rows);
		ck_assert_msg(strstr(eseal_errmsg(), bads[j].want) ==
		    eseal_errmsg(), "%s:\n got  \"%s\"\n want \"%s...\"",
		    names[i]->d_name, eseal_errmsg(), bads[j].want);
		/* Nothing a CSV says reaches the terminal unescaped. */
		for (const char *p = eseal_errmsg(); *p != '\0'; p++)
			ck_assert_msg(*p >= ' ' && *p <= '~', "%s: byte 0x%02x "
			    "in the message", names[i]->d_name,
			    (unsigned char)*p);
		free(names[i]);
	}
	free(names);
}
END_TEST

/*
 * Every refusal of a CSV names its line and its rule: a clause of RFC
 * 4180, a limit of cmvp.h, or the column whose value it refuses.
 */
static int
names_rule(const char *msg)
{
	static const char *const rules[] = { "RFC 4180 2", "CMVP_FILE_MAX: ",
	    "CMVP_FIELD_MAX: ", "CMVP_ROWS_MAX: ", "CMVP_COLUMNS_MAX: ",
	    "column \"" };
	int n = 0;

	if (sscanf(msg, "cmvp: line %*d: %n", &n) != 0 || n == 0)
		return 0;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strncmp(msg + n, rules[i], strlen(rules[i])) == 0)
			return 1;
	return 0;
}

START_TEST(test_rules_named)
{
	static const char *const csvs[] = {
		"Certificate Number,Status\n4001,\"Active\n",
		"Certificate Number,Status\n4001,Act\"ive\n",
		"Certificate Number,Status\n4001,\"Active\"x\n",
		"Certificate Number,Status\r4001,Active\n",
		"Certificate Number,Status\n4001\n",
		"Certificate Number,Status\n4001,Active,x\n",
		"Certificate Number,Status,Status\n",
		"Certificate Number\n4001\n",
		"Certificate Number,Status\n,Active\n",
		"Certificate Number,Status,Sunset Date\n4001,Active,"
		    "2031-13-01\n",
		"Certificate Number,Status,Standard\n4001,Active,FIPS 140-9\n",
		"Certificate Number,Status\n4001,Active\n4001,Revoked\n",
		"",
	};
	struct cmvp_rows *rows;
	struct dirent **names;
	char dir[1024], path[2048];
	int n;

	for (size_t i = 0; i < sizeof(csvs) / sizeof(csvs[0]); i++) {
		ck_assert_int_eq(cmvp_parse(csvs[i], strlen(csvs[i]), &rows),
		    ESEAL_EINVAL);
		ck_assert_msg(names_rule(eseal_errmsg()), "csvs[%zu]: \"%s\"",
		    i, eseal_errmsg());
	}
	snprintf(dir, sizeof(dir), "%s/tests/data/cmvp/bad", top());
	ck_assert_int_gt(n = scandir(dir, &names, is_csv, alphasort), 0);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		ck_assert_int_eq(cmvp_load(path, &rows), ESEAL_EINVAL);
		ck_assert_msg(names_rule(eseal_errmsg()), "%s: \"%s\"",
		    names[i]->d_name, eseal_errmsg());
		free(names[i]);
	}
	free(names);
}
END_TEST

/* What the data files should not hold: 10 MB, a 7 MB line, 100001 rows. */
START_TEST(test_bad_generated)
{
	const char *dir = tu_tmpdir();
	struct cmvp_rows *rows;
	size_t big = 10 * 1024 * 1024, len;
	char *buf, path[512];
	FILE *f;

	/* A 10 MB line: refused by its size, before it is read. */
	buf = malloc(big + 64);
	ck_assert_ptr_nonnull(buf);
	len = (size_t)sprintf(buf, "Certificate Number,Status\n4001,");
	memset(buf + len, 'A', big - len - 1);
	buf[big - 1] = '\n';
	snprintf(path, sizeof(path), "%s/ten-mb-line.csv", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(buf, 1, big, f), big);
	fclose(f);
	ck_assert_int_eq(cmvp_load(path, &rows), ESEAL_EINVAL);
	ck_assert_ptr_null(rows);
	ck_assert_msg(strstr(eseal_errmsg(), "ten-mb-line.csv: CMVP_FILE_MAX: "
	    "10485760 bytes, more than 8388608") != NULL, "%s",
	    eseal_errmsg());
	unlink(path);			/* 10 MB: do not leave it in /tmp */
	ck_assert_int_eq(cmvp_parse(buf, big, &rows), ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "cmvp: CMVP_FILE_MAX: the CSV is "
	    "10485760 bytes, more than 8388608 (the whole CMVP list is far "
	    "smaller)");

	/* Under the file limit, a 7 MB line stops at its first long field. */
	ck_assert_int_eq(cmvp_parse(buf, 7 * 1024 * 1024, &rows),
	    ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "cmvp: line 2: CMVP_FIELD_MAX: field 2 "
	    "is longer than 1024 bytes");
	/* ... and a 7 MB line of empty fields at the first one too many. */
	len = (size_t)sprintf(buf, "Certificate Number,Status\n4001,Active");
	memset(buf + len, ',', 7 * 1024 * 1024 - len);
	ck_assert_int_eq(cmvp_parse(buf, 7 * 1024 * 1024, &rows),
	    ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "cmvp: line 2: RFC 4180 2.4: more than "
	    "the 2 fields of the header row (every row has as many fields)");

	/* CMVP_ROWS_MAX rows are read; one more is refused. */
	len = (size_t)sprintf(buf, "Certificate Number,Status\n");
	for (int i = 1; i <= CMVP_ROWS_MAX; i++)
		len += (size_t)sprintf(buf + len, "%d,Active\n", i);
	ck_assert_int_eq(cmvp_parse(buf, len, &rows), ESEAL_OK);
	ck_assert_uint_eq(cmvp_count(rows), CMVP_ROWS_MAX);
	ck_assert_ptr_nonnull(cmvp_find(rows, "100000"));
	ck_assert_ptr_nonnull(cmvp_find(rows, "1"));
	cmvp_free(rows);
	len += (size_t)sprintf(buf + len, "%d,Active\n", CMVP_ROWS_MAX + 1);
	ck_assert_int_eq(cmvp_parse(buf, len, &rows), ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "cmvp: line 100002: CMVP_ROWS_MAX: "
	    "more than 100000 rows (the CMVP has far fewer certificates)");
	free(buf);

	ck_assert_int_eq(cmvp_load("/nonexistent/cmvp.csv", &rows),
	    ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "cannot open"));
	ck_assert_int_eq(cmvp_load(dir, &rows), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "not a regular file"));
}
END_TEST

START_TEST(test_accessors)
{
	static const char csv[] =
	    "Status,Certificate Number,Sunset Date,Validation Date\r\n"
	    "Active,900,2031-05-01,\"05/02/2026, 06/01/2027\"\r\n"
	    "historical,12,,\r\n"
	    "REVOKED,1000,,1/2/2003\r\n";
	struct cmvp_rows *rows;
	const struct cmvp_row *r;

	ck_assert_int_eq(cmvp_parse(csv, sizeof(csv) - 1, &rows), ESEAL_OK);
	ck_assert_uint_eq(cmvp_count(rows), 3);
	/* Ascending by number, not by text. */
	ck_assert_str_eq(cmvp_row_cert(cmvp_row_at(rows, 0)), "12");
	ck_assert_str_eq(cmvp_row_cert(cmvp_row_at(rows, 1)), "900");
	ck_assert_str_eq(cmvp_row_cert(cmvp_row_at(rows, 2)), "1000");
	ck_assert_ptr_null(cmvp_row_at(rows, 3));
	r = cmvp_find(rows, "900");
	ck_assert_int_eq(cmvp_row_status(r), FIPS_ACTIVE);
	ck_assert_int_eq(cmvp_row_sunset(r), tu_date(2031, 5, 1));
	ck_assert_int_eq(cmvp_row_validated(r), tu_date(2026, 5, 2));
	ck_assert_int_eq(cmvp_row_line(r), 2);
	r = cmvp_find(rows, "1000");
	ck_assert_int_eq(cmvp_row_status(r), FIPS_REVOKED);
	ck_assert_int_eq(cmvp_row_validated(r), tu_date(2003, 1, 2));
	ck_assert_int_eq(cmvp_row_status(cmvp_find(rows, "12")),
	    FIPS_HISTORICAL);
	ck_assert_ptr_null(cmvp_find(rows, "9"));
	ck_assert_ptr_null(cmvp_find(rows, "0900"));
	cmvp_free(rows);
	cmvp_free(NULL);
	ck_assert_uint_eq(cmvp_count(NULL), 0);
	ck_assert_ptr_null(cmvp_find(NULL, "900"));
}
END_TEST

/* --- applying ------------------------------------------------------------ */

#define REG_HEAD \
	"; test registry: comments must survive byte for byte.\n" \
	"# a hash comment too\n" \
	"\n[policy]\nunlisted = refuse\nunvalidated = refuse\n"

#define REG_VAULT3(status_line, sunset, checked) \
	"\n; Vault 3: checked by hand in January.\n" \
	"[module vault3]\nmanufacturer = Acme HSM\nmodel = Vault 3\n" \
	"cmvp_cert = 4001\nstandard = 140-3\nlevel = 3\n" \
	"; status as the CMVP said on 2026-01-10\n" \
	status_line "\n" \
	"sunset = " sunset "\nchecked = " checked "\n" \
	"source = https://example.invalid/4001   ; not the real URL\n"

#define REG_REST(vault2_extra, vault2_status, ranged_status, checked) \
	"\n[module vault2]\nmanufacturer = Acme HSM\nmodel = Vault 2\n" \
	"cmvp_cert=1402\n" vault2_extra "standard = 140-2\nlevel = 3\n" \
	"status = " vault2_status "\nchecked = " checked "\n" \
	"\n[module ranged]\nmanufacturer = Acme HSM\nmodel = Ranged\n" \
	"firmware_min = 2.0\nfirmware_max = 2.5\ncmvp_cert = 4100\n" \
	"standard = 140-3\nlevel = 2\n" \
	"status     =     " ranged_status "\n" \
	"sunset = 2032-01-01\nchecked = " checked "\n" \
	"\n[module old]\nmanufacturer = Acme HSM\nmodel = Old\n" \
	"cmvp_cert = 3001\nstandard = 140-3\nlevel = 3\n" \
	"status = historical\nsunset = 2035-01-01\nchecked = 2026-01-10\n" \
	"\n[module softhsm]\nmanufacturer = SoftHSM project\n" \
	"model = SoftHSM v2\nstatus = not-validated\n" \
	"; the end\n"

#define REGISTRY \
	REG_HEAD REG_VAULT3("status = active ; checked by phone too", \
	    "2031-05-01", "2026-01-10") \
	REG_REST("", "active", "active", "2026-01-10")

/* After the import of CSV on 2026-11-26. */
#define REGISTRY_AFTER \
	REG_HEAD REG_VAULT3("status = historical ; checked by phone too", \
	    "2026-09-22", "2026-11-26") \
	REG_REST("sunset=2026-09-21\n", "historical", "revoked", \
	    "2026-11-26")

#define CSV \
	"Certificate Number,Module Name,Standard,Status,Sunset Date\n" \
	"4001,Vault 3,FIPS 140-3,Historical,09/22/2026\n" \
	"1402,Vault 2,FIPS 140-2,Historical,09/21/2026\n" \
	"4100,Ranged,FIPS 140-3,Revoked,\n" \
	"9999,Someone else,FIPS 140-3,Active,01/01/2030\n"

/* 2026-11-26, late in the day UTC. */
#define NOW	(tu_date(2026, 11, 26) + 23 * 3600 + 59 * 60)

static struct cmvp_rows *
rows_of(const char *csv)
{
	struct cmvp_rows *rows = NULL;

	ck_assert_msg(cmvp_parse(csv, strlen(csv), &rows) == ESEAL_OK, "%s",
	    eseal_errmsg());
	return rows;
}

/* Runs cmvp_apply; returns its rc and the report (malloc'd) in *rep. */
static enum eseal_rc
apply(const char *path, const struct cmvp_rows *rows, time_t now,
    int dry_run, char **rep)
{
	enum eseal_rc rc;
	size_t len;
	FILE *f;

	*rep = NULL;
	ck_assert_ptr_nonnull(f = open_memstream(rep, &len));
	rc = cmvp_apply(path, rows, now, f, dry_run);
	fclose(f);
	return rc;
}

/* Files in dir whose name has ".cmvp-": temporary files left behind. */
static int
leftovers(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".cmvp-") != NULL;
	closedir(d);
	return n;
}

static char *
slurp(const char *path)
{
	size_t len;
	char *s = (char *)tu_read(path, &len);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(strlen(s), len);
	return s;
}

/* Every comment and blank line of a is in b, in the same order. */
static void
assert_comments_kept(const char *a, const char *b)
{
	const char *p = a, *q = b, *e;
	size_t n;

	for (; *p != '\0'; p = *e == '\0' ? e : e + 1) {
		e = p + strcspn(p, "\n");
		n = (size_t)(e - p);
		if (n != 0 && *p != ';' && *p != '#')
			continue;
		for (;;) {
			ck_assert_msg(*q != '\0', "line \"%.*s\" lost", (int)n,
			    p);
			if (strncmp(q, p, n) == 0 && q[n] == *e) {
				q += n + (*e != '\0');
				break;
			}
			q += strcspn(q, "\n");
			q += *q == '\n';
		}
	}
}

static void
identity(struct p11_identity *id, const char *model, int fw_major)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->manufacturer, sizeof(id->manufacturer), "Acme HSM");
	snprintf(id->model, sizeof(id->model), "%s", model);
	id->fw_major = fw_major;
}

/* The effective status of a model now, per the registry at path. */
static enum fips_status
status_of(const char *path, const char *model, int fw_major, char *reason,
    size_t reasonsz)
{
	struct fips_registry *r;
	struct p11_identity id;
	struct fips_verdict v;

	ck_assert_msg(fips_load(path, &r) == ESEAL_OK, "%s", eseal_errmsg());
	identity(&id, model, fw_major);
	fips_evaluate(r, &id, NOW, &v);
	snprintf(reason, reasonsz, "%s", v.reason);
	fips_free(r);
	return v.status;
}

START_TEST(test_apply)
{
	const char *dir = tu_tmpdir();
	struct cmvp_rows *rows = rows_of(CSV);
	struct stat sb;
	char *path, *rep, *after, real[PATH_MAX], want[PATH_MAX + 1024];
	char why[256];

	path = tu_write(dir, "hsm-modules.conf", REGISTRY, 0640);
	ck_assert_ptr_nonnull(realpath(path, real));
	/* Before: Vault 3 is Active until 2031, Ranged Active. */
	ck_assert_int_eq(status_of(path, "Vault 3", 1, why, sizeof(why)),
	    FIPS_ACTIVE);
	ck_assert_int_eq(status_of(path, "Ranged", 2, why, sizeof(why)),
	    FIPS_ACTIVE);

	ck_assert_msg(apply(path, rows, NOW, 0, &rep) == ESEAL_OK, "%s",
	    eseal_errmsg());
	snprintf(want, sizeof(want),
	    "module vault3 (CMVP #4001): status active -> historical, sunset "
	    "2031-05-01 -> 2026-09-22, checked 2026-11-26\n"
	    "module vault2 (CMVP #1402): status active -> historical, sunset "
	    "none -> 2026-09-21, checked 2026-11-26\n"
	    "module ranged (CMVP #4100): status active -> revoked, checked "
	    "2026-11-26\n"
	    "module old (CMVP #3001): not in the CSV; left as it was (status "
	    "historical, checked 2026-01-10)\n"
	    "cmvp: 3 of 4 registry entries with a CMVP certificate are in the "
	    "CSV (4 certificates); wrote %s; eseald reads it on SIGHUP\n",
	    real);
	ck_assert_str_eq(rep, want);

	/* Only the planned values changed; every other byte is as it was. */
	after = slurp(path);
	ck_assert_str_eq(after, REGISTRY_AFTER);
	ck_assert_ptr_nonnull(strstr(after, "\nsunset = 2026-09-22\n"
	    "checked = 2026-11-26\nsource = https://example.invalid/4001   "
	    "; not the real URL\n"));
	assert_comments_kept(REGISTRY, after);
	free(after);

	/* What the CA now decides. */
	ck_assert_int_eq(status_of(path, "Vault 3", 1, why, sizeof(why)),
	    FIPS_HISTORICAL);
	ck_assert_str_eq(why, "listed Historical in the registry");
	ck_assert_int_eq(status_of(path, "Ranged", 2, why, sizeof(why)),
	    FIPS_REVOKED);
	ck_assert_int_eq(status_of(path, "Old", 1, why, sizeof(why)),
	    FIPS_HISTORICAL);

	/* Mode kept, nothing left behind. */
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0640);
	ck_assert_int_eq(leftovers(dir), 0);

	/* A second import changes nothing but says so. */
	free(rep);
	ck_assert_int_eq(apply(path, rows, NOW, 0, &rep), ESEAL_OK);
	ck_assert_ptr_nonnull(strstr(rep, "module vault3 (CMVP #4001): status "
	    "historical (unchanged), sunset 2026-09-22 (unchanged), checked "
	    "2026-11-26\n"));
	after = slurp(path);
	ck_assert_str_eq(after, REGISTRY_AFTER);
	free(after);
	free(rep);
	free(path);
	cmvp_free(rows);
}
END_TEST

/*
 * A registry with a BOM and CRLF line ends whose last line is the cmvp_cert
 * line, without a line end.
 */
START_TEST(test_apply_crlf)
{
	static const char reg[] =
	    "\xef\xbb\xbf[module vault2]\r\nmanufacturer = Acme HSM\r\nmodel = Vault 2\r\n"
	    "standard = 140-2\r\nlevel = 3\r\nstatus = active\r\n"
	    "checked = 2026-01-10\r\ncmvp_cert : 1402";
	static const char want[] =
	    "\xef\xbb\xbf[module vault2]\r\nmanufacturer = Acme HSM\r\nmodel = Vault 2\r\n"
	    "standard = 140-2\r\nlevel = 3\r\nstatus = historical\r\n"
	    "checked = 2026-11-26\r\ncmvp_cert : 1402\r\n"
	    "sunset : 2026-09-21\r\n";
	const char *dir = tu_tmpdir();
	struct cmvp_rows *rows = rows_of(CSV);
	char *path, *rep, *after;

	path = tu_write(dir, "hsm-modules.conf", reg, 0644);
	ck_assert_msg(apply(path, rows, NOW, 0, &rep) == ESEAL_OK, "%s",
	    eseal_errmsg());
	after = slurp(path);
	ck_assert_str_eq(after, want);
	free(after);
	free(rep);
	free(path);
	cmvp_free(rows);
}
END_TEST

/* A 198-byte status line, the longest there is: "historical" makes 202. */
#define TEN		"0123456789"
#define LONG_STATUS	"status = active ; " TEN TEN TEN TEN TEN TEN TEN TEN \
			TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN
#define REG_LONG	REG_HEAD REG_VAULT3(LONG_STATUS, "2031-05-01", \
			    "2026-01-10") REG_REST("", "active", "active", \
			    "2026-01-10")

START_TEST(test_apply_invalid_result)
{
	const char *dir = tu_tmpdir();
	struct cmvp_rows *rows = rows_of(CSV);
	struct stat before, sb;
	char *path, *rep, *after, real[PATH_MAX], want[PATH_MAX + 256];

	ck_assert_uint_eq(strlen(LONG_STATUS), 198);
	path = tu_write(dir, "hsm-modules.conf", REG_LONG, 0644);
	ck_assert_ptr_nonnull(realpath(path, real));
	ck_assert_int_eq(stat(path, &before), 0);
	snprintf(want, sizeof(want), "cmvp: %s: the updated registry would not "
	    "load, so it is left as it was: updated line 16: [module vault3] "
	    "status: line longer than 198 bytes", real);
	for (int dry = 0; dry <= 1; dry++) {
		ck_assert_int_eq(apply(path, rows, NOW, dry, &rep),
		    ESEAL_ECONF);
		ck_assert_str_eq(eseal_errmsg(), want);
		ck_assert_str_eq(rep, "");		/* no report */
		free(rep);
		after = slurp(path);
		ck_assert_str_eq(after, REG_LONG);
		free(after);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_eq(sb.st_ino, before.st_ino);
		ck_assert_int_eq(leftovers(dir), 0);
	}
	free(path);
	cmvp_free(rows);
}
END_TEST

START_TEST(test_apply_dry_run)
{
	const char *dir = tu_tmpdir();
	struct cmvp_rows *rows = rows_of(CSV);
	struct stat before, sb;
	char *path, *rep, *after;

	path = tu_write(dir, "hsm-modules.conf", REGISTRY, 0644);
	ck_assert_int_eq(stat(path, &before), 0);
	ck_assert_msg(apply(path, rows, NOW, 1, &rep) == ESEAL_OK, "%s",
	    eseal_errmsg());
	ck_assert_ptr_nonnull(strstr(rep, "module vault3 (CMVP #4001): status "
	    "active -> historical, sunset 2031-05-01 -> 2026-09-22, checked "
	    "2026-11-26\n"));
	ck_assert_ptr_nonnull(strstr(rep, "module old (CMVP #3001): not in the "
	    "CSV"));
	ck_assert_msg(strstr(rep, "(4 certificates); dry run: nothing written; "
	    "the updated registry loads\n") != NULL, "%s", rep);
	after = slurp(path);
	ck_assert_str_eq(after, REGISTRY);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_ino, before.st_ino);
	ck_assert_int_eq(sb.st_mtim.tv_sec, before.st_mtim.tv_sec);
	ck_assert_int_eq(sb.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	ck_assert_int_eq(leftovers(dir), 0);
	free(after);
	free(rep);
	free(path);
	cmvp_free(rows);
}
END_TEST

/* Refusals: nothing written, registry byte for byte as it was. */
static const struct {
	const char	*registry;	/* NULL: REGISTRY */
	const char	*csv;
	enum eseal_rc	 rc;
	const char	*want;		/* substring of the message */
} refusals[] = {
	/* CMVP does not reinstate a revoked validation. */
	{ "[module gone]\nmanufacturer = Acme HSM\nmodel = Gone\n"
	  "cmvp_cert = 2001\nstandard = 140-2\nlevel = 3\nstatus = revoked\n"
	  "checked = 2026-01-10\n",
	  "Certificate Number,Status\n4001,Active\n2001,Active\n",
	  ESEAL_EPOLICY, "cmvp: line 3: column \"Status\": certificate 2001 is "
	  "Active, but "
	  "[module gone] says revoked: the CMVP does not reinstate a revoked "
	  "validation" },
	/* The CSV's standard is not the entry's: wrong number or entry. */
	{ NULL, "Certificate Number,Standard,Status\n1402,FIPS 140-3,Active\n",
	  ESEAL_EPOLICY, "cmvp: line 2: column \"Standard\": certificate 1402 "
	  "is FIPS 140-3, but "
	  "[module vault2] says standard = 140-2: the entry's cmvp_cert or "
	  "standard is wrong" },
	{ NULL, "Certificate Number,Standard,Status\n4001,FIPS 140-1,"
	  "Historical\n", ESEAL_EPOLICY, "certificate 4001 is FIPS 140-1, but "
	  "[module vault3] says standard = 140-3" },
	/* A registry that does not load now is not touched. */
	{ "[module a]\nmanufacturer = Acme HSM\nmodel = A\ncmvp_cert = 4001\n"
	  "standard = 140-3\nlevel = 3\nstatus = active\nchecked = "
	  "2026-01-10\n", CSV, ESEAL_ECONF, "cmvp: the registry does not load "
	  "as it is; fix it first: " },
	{ "[module a]\nmanufacturer = Acme HSM\nmodel = A\n"
	  "status = expired\n", CSV, ESEAL_ECONF, "[module a] status: "
	  "\"expired\" is not one of active" },
};

START_TEST(test_apply_refused)
{
	const char *dir = tu_tmpdir();
	const char *reg = refusals[_i].registry ? refusals[_i].registry :
	    REGISTRY;
	struct cmvp_rows *rows = rows_of(refusals[_i].csv);
	struct stat before, sb;
	char *path, *rep, *after;

	path = tu_write(dir, "hsm-modules.conf", reg, 0644);
	ck_assert_int_eq(stat(path, &before), 0);
	for (int dry = 0; dry <= 1; dry++) {
		ck_assert_int_eq(apply(path, rows, NOW, dry, &rep),
		    refusals[_i].rc);
		ck_assert_msg(strstr(eseal_errmsg(), refusals[_i].want) !=
		    NULL, "got \"%s\"\nwant \"%s\"", eseal_errmsg(),
		    refusals[_i].want);
		ck_assert_str_eq(rep, "");
		free(rep);
	}
	after = slurp(path);
	ck_assert_str_eq(after, reg);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_ino, before.st_ino);
	ck_assert_int_eq(leftovers(dir), 0);
	free(after);
	free(path);
	cmvp_free(rows);
}
END_TEST

/* Refused before apply: a CSV that contradicts itself, no registry, ... */
START_TEST(test_apply_other)
{
	static const char conflict[] =
	    "Certificate Number,Status\n4001,Historical\n4001,Active\n";
	const char *dir = tu_tmpdir();
	struct cmvp_rows *rows = NULL;
	struct stat before, sb;
	char *path, *rep, *after, link[512], realdir[512], *target;

	path = tu_write(dir, "hsm-modules.conf", REGISTRY, 0644);
	ck_assert_int_eq(stat(path, &before), 0);

	/* Two rows for 4001 that disagree: no rows, so nothing to apply. */
	ck_assert_int_eq(cmvp_parse(conflict, sizeof(conflict) - 1, &rows),
	    ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "cmvp: line 3: column \"Certificate "
	    "Number\": 4001 is listed again, with Status Active; line 2 says "
	    "Historical: two rows that disagree, the registry cannot follow "
	    "both");
	ck_assert_int_eq(apply(path, rows, NOW, 0, &rep), ESEAL_EINVAL);
	free(rep);

	/* No entry in the CSV: nothing to write. */
	rows = rows_of("Certificate Number,Status\n77,Active\n");
	ck_assert_int_eq(apply(path, rows, NOW, 0, &rep), ESEAL_OK);
	ck_assert_ptr_nonnull(strstr(rep, "cmvp: 0 of 4 registry entries with "
	    "a CMVP certificate are in the CSV (1 certificates); nothing to "
	    "change, nothing written\n"));
	free(rep);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_ino, before.st_ino);
	after = slurp(path);
	ck_assert_str_eq(after, REGISTRY);
	free(after);
	cmvp_free(rows);

	/* Historical back to Active is applied, with a word of caution. */
	rows = rows_of("Certificate Number,Status\n3001,Active\n");
	ck_assert_int_eq(apply(path, rows, NOW, 1, &rep), ESEAL_OK);
	ck_assert_msg(strstr(rep, "module old (CMVP #3001): status historical "
	    "-> active, checked 2026-11-26 (back to Active: check the CMVP "
	    "record says so)\n") != NULL, "%s", rep);
	free(rep);
	cmvp_free(rows);

	/* No registry; a clock outside what the registry can hold. */
	rows = rows_of(CSV);
	ck_assert_int_eq(apply("/nonexistent/hsm-modules.conf", rows, NOW, 0,
	    &rep), ESEAL_ECONF);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "cannot open"));
	free(rep);
	ck_assert_int_eq(apply(path, rows, 0, 0, &rep), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "set the clock"));
	free(rep);

	/* Through a symbolic link: the file it names is updated. */
	snprintf(realdir, sizeof(realdir), "%s/etc", dir);
	ck_assert_int_eq(mkdir(realdir, 0755), 0);
	target = tu_write(realdir, "hsm-modules.conf", REGISTRY, 0600);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_msg(apply(link, rows, NOW, 0, &rep) == ESEAL_OK, "%s",
	    eseal_errmsg());
	free(rep);
	ck_assert_int_eq(lstat(link, &sb), 0);
	ck_assert(S_ISLNK(sb.st_mode));
	after = slurp(target);
	ck_assert_str_eq(after, REGISTRY_AFTER);
	free(after);
	ck_assert_int_eq(stat(target, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(leftovers(realdir), 0);
	free(target);
	cmvp_free(rows);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cmvp");
	TCase *tc = tcase_create("cmvp");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_files);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_bad_generated);
	tcase_add_test(tc, test_rules_named);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_apply);
	tcase_add_test(tc, test_apply_crlf);
	tcase_add_test(tc, test_apply_invalid_result);
	tcase_add_test(tc, test_apply_dry_run);
	tcase_add_loop_test(tc, test_apply_refused, 0,
	    sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, test_apply_other);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
