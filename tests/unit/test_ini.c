/*
 * test_ini.c: the one INI reader: what a good file hands to its handler,
 * and every hostile line refused with file:line, section, key and why:
 * over-long lines, NUL bytes, indented continuations, control characters,
 * CR handling, missing '=', section rules, files that are not files.
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "testutil.h"

#define KEYS_MAX	16

/* What the handler saw. */
struct seen {
	int	 n;
	char	 text[KEYS_MAX][256];	/* "[sect] name=value line/sline/first" */
	int	 silent;		/* refuse "refused" without a word */
};

static int
record(void *user, const struct ini_key *k, struct ini_err *err)
{
	struct seen *s = user;

	if (strcmp(k->name, "refused") == 0) {
		if (s->silent)
			return 0;
		return ini_fail(err, k->section_line, k->section, k->name,
		    "not wanted here");
	}
	ck_assert_int_lt(s->n, KEYS_MAX);
	snprintf(s->text[s->n++], sizeof(s->text[0]), "[%s] %s=%s %d/%d/%d",
	    k->section, k->name, k->value, k->line, k->section_line, k->first);
	return 1;
}

/* Writes len bytes (NULs and all) to a new file; returns its path. */
static char *
write_bytes(const char *text, size_t len)
{
	char *path;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/t.conf", tu_tmpdir()), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* "x=" X196 is a line of 198 bytes, the longest there is. */
#define X196	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

START_TEST(test_good_keys)
{
	static const char text[] =
	    "\xef\xbb\xbf; a BOM, then a comment\r\n"
	    "  # an indented comment\n"
	    "   \t \n"
	    "[a]   ; a comment after the header\n"
	    "k = v ; an inline comment\r\n"
	    "k2=v;not a comment\n"
	    "k3 : with: colons = and equals\n"
	    "k4 =\n"
	    "k5 = #not after a blank\n"
	    "[b];comment\n"
	    "x=" X196 "\r\n"		/* 198 bytes before CR LF */
	    "z=" X196 "\n"
	    "[a]\n"
	    "y = 1";			/* no final line end */
	static const char *const want[] = {
		"[a] k=v 5/4/1",
		"[a] k2=v;not a comment 6/4/0",
		"[a] k3=with: colons = and equals 7/4/0",
		"[a] k4= 8/4/0",
		"[a] k5=#not after a blank 9/4/0",
		"[b] x=" X196 " 11/10/1",
		"[b] z=" X196 " 12/10/0",
		"[a] y=1 14/13/1",
	};
	struct seen s = { 0 };
	struct ini_err err;
	char *path;

	path = write_bytes(text, sizeof(text) - 1);
	ck_assert_msg(ini_read(path, 4096, 0, record, &s, &err) == ESEAL_OK,
	    "%s", eseal_errmsg());
	ck_assert_int_eq(err.failed, 0);
	ck_assert_int_eq(s.n, (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < s.n; i++)
		ck_assert_str_eq(s.text[i], want[i]);
	/* INI_ONCE refuses the second [a], at its header. */
	s.n = 0;
	ck_assert_int_eq(ini_read(path, 4096, INI_ONCE, record, &s, &err),
	    ESEAL_ECONF);
	ck_assert_int_eq(err.line, 13);
	ck_assert_str_eq(err.msg, "[a]: section given twice (first at line "
	    "4)");
	ck_assert_int_eq(s.n, 7);
	free(path);
}
END_TEST

/* Each text is refused: "t.conf:LINE: MSG" is the whole message. */
static const struct {
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	unsigned	 flags;
	int		 line;
	const char	*msg;
} bad[] = {
	/* What inih would split: a line of 199 bytes, LF or CR LF. */
	{ "[a]\nx=" X196 "y\n", 0, 0, 2, "[a] x: line longer than 198 bytes" },
	{ "[a]\nx=" X196 "y\r\n", 0, 0, 2,
	  "[a] x: line longer than 198 bytes" },
	{ "[a]\n; " X196 "path = /injected\n", 0, 0, 2,
	  "[a] ; xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...: line longer than 198 "
	  "bytes" },
	/* What inih would cut: a NUL byte. */
	{ "[a]\nk = v\0w\n", 12, 0, 2, "[a] k: NUL byte in the line" },
	/* What inih would continue: indented lines, and blanks it sees. */
	{ "[a]\nk = v\n  more\n", 0, 0, 3, "[a] more: indented line: inih "
	  "would read it as the continuation of the value before; remove the "
	  "leading blanks" },
	{ "[a]\n\tk = v\n", 0, 0, 2, "[a] k: indented line: inih would read "
	  "it as the continuation of the value before; remove the leading "
	  "blanks" },
	{ "[a]\nk = v\n  [b]\nx = y\n", 0, 0, 3, "[a] [b]: indented line: "
	  "inih would read it as the continuation of the value before; remove "
	  "the leading blanks" },
	{ "\xef\xbb\xbf  [a]\n", 0, 0, 1, "[a]: indented line: inih would "
	  "read it as the continuation of the value before; remove the "
	  "leading blanks" },
	{ "[a]\nk = v\n\fk2 = w\n", 0, 0, 3, "[a] ?k2: control character "
	  "0x0c in the line" },
	{ "[a]\nk = v\n\vk2 = w\n", 0, 0, 3, "[a] ?k2: control character "
	  "0x0b in the line" },
	{ "[a]\nk = v\x7f\n", 0, 0, 2, "[a] k: control character 0x7f in "
	  "the line" },
	{ "[a]\nk = \x1b[31mred\n", 0, 0, 2, "[a] k: control character 0x1b "
	  "in the line" },
	/* CR: only as part of a CR LF line end. */
	{ "[a]\rk = v\n", 0, 0, 1, "[a]?k = v: CR inside the line (a line ends "
	  "with LF or CR LF; inih would take it for a blank)" },
	{ "[a]\r\n\rk = v\r\n", 0, 0, 2, "[a] ?k: CR inside the line (a line "
	  "ends with LF or CR LF; inih would take it for a blank)" },
	{ "[a]\nk = v\r", 0, 0, 2, "[a] k: CR inside the line (a line ends "
	  "with LF or CR LF; inih would take it for a blank)" },
	/* Missing '=' and the like. */
	{ "[a]\nthis is not ini\n", 0, 0, 2, "[a] this is not ini: syntax "
	  "error (expected [section], key = value or a comment)" },
	{ "[a]\nk ;x = v\n", 0, 0, 2, "[a] k ;x: syntax error (expected "
	  "[section], key = value or a comment)" },
	{ "[a]\n= v\n", 0, 0, 2, "[a]: no key before the '='" },
	{ "[a]\n : v\n", 0, 0, 2, "[a]: indented line: inih would read it "
	  "as the continuation of the value before; remove the leading "
	  "blanks" },
	{ "[a]\ndir = /x # old\n", 0, 0, 2, "[a] dir: '#' after a blank in "
	  "the value: inih would keep it as part of the value (only \" ;\" "
	  "starts a comment there)" },
	{ "k = v\n[a]\n", 0, 0, 1, "k: key before any [section]" },
	/* Section headers. */
	{ "[a\nk = v\n", 0, 0, 1, "[a: syntax error (no ']' closes the "
	  "[section] name)" },
	{ "[a ;b]\nk = v\n", 0, 0, 1, "[a ;b]: syntax error (no ']' closes "
	  "the [section] name)" },
	{ "[a] junk\nk = v\n", 0, 0, 1, "[a] junk: text after the ']' (only "
	  "blanks and a ; comment may follow a [section] header)" },
	{ "[]\nk = v\n", 0, 0, 1, "[]: empty [section] name" },
	{ "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\nk = v\n", 0,
	  0, 1, "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...: section name longer "
	  "than 49 bytes (inih would cut it)" },
	/* Duplicate and empty sections, where the file asks. */
	{ "[a]\nk = v\n[b]\nk = v\n[a]\nk = w\n", 0, INI_ONCE, 5,
	  "[a]: section given twice (first at line 1)" },
	{ "[a]\n[a]\nk = v\n", 0, INI_ONCE, 2,
	  "[a]: section given twice (first at line 1)" },
	{ "[a]\n\n[b]\nk = v\n", 0, INI_NONEMPTY, 1, "[a]: empty section "
	  "(no key before the next [section] or the end of the file)" },
	{ "[a]\nk = v\n[b]\n; nothing\n", 0, INI_NONEMPTY, 3, "[b]: empty "
	  "section (no key before the next [section] or the end of the "
	  "file)" },
	/* A handler's refusal, at the line it names. */
	{ "[a]\nk = v\nrefused = x\n", 0, 0, 1,
	  "[a] refused: not wanted here" },
};

START_TEST(test_bad)
{
	struct seen s = { 0 };
	struct ini_err err;
	char *path, want[1024];
	size_t len = bad[_i].len != 0 ? bad[_i].len : strlen(bad[_i].text);

	path = write_bytes(bad[_i].text, len);
	ck_assert_int_eq(ini_read(path, 4096, bad[_i].flags, record, &s, &err),
	    ESEAL_ECONF);
	ck_assert_int_eq(err.failed, 1);
	ck_assert_int_eq(err.rc, ESEAL_ECONF);
	ck_assert_int_eq(err.line, bad[_i].line);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	snprintf(want, sizeof(want), "%s:%d: %s", path, bad[_i].line,
	    bad[_i].msg);
	ck_assert_str_eq(eseal_errmsg(), want);
	/* The same text is fine without the flag that refused it. */
	if (bad[_i].flags != 0) {
		s.n = 0;
		ck_assert_msg(ini_read(path, 4096, 0, record, &s, &err) ==
		    ESEAL_OK, "%s", eseal_errmsg());
	}
	free(path);
}
END_TEST

/* A handler that says no without a reason still stops the file. */
START_TEST(test_silent_refusal)
{
	struct seen s = { .silent = 1 };
	struct ini_err err;
	char *path = write_bytes("[a]\nrefused = v\nk2 = w\n", 23);

	ck_assert_int_eq(ini_read(path, 4096, 0, record, &s, &err),
	    ESEAL_ECONF);
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.msg, "[a] refused: refused");
	ck_assert_int_eq(s.n, 0);
	free(path);
}
END_TEST

/* Refusals about the whole file: line 0 and the errno that says why. */
START_TEST(test_files)
{
	const char *dir = tu_tmpdir();
	struct seen s = { 0 };
	struct ini_err err;
	char path[512], want[1024];
	char *p;

	snprintf(path, sizeof(path), "%s/nosuch.conf", dir);
	ck_assert_int_eq(ini_read(path, 4096, 0, record, &s, &err),
	    ESEAL_ECONF);
	ck_assert_int_eq(err.line, 0);
	ck_assert_int_eq(err.errnum, ENOENT);
	snprintf(want, sizeof(want), "%s: cannot open: %s", path,
	    strerror(ENOENT));
	ck_assert_str_eq(eseal_errmsg(), want);

	ck_assert_int_eq(ini_read(dir, 4096, 0, record, &s, &err),
	    ESEAL_ECONF);
	ck_assert_int_eq(err.errnum, EISDIR);
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	ck_assert_str_eq(eseal_errmsg(), want);

	p = write_bytes("[a]\nk = v\n", 10);
	ck_assert_int_eq(ini_read(p, 9, 0, record, &s, &err), ESEAL_ECONF);
	ck_assert_int_eq(err.errnum, EFBIG);
	ck_assert_str_eq(err.msg, "larger than 9 bytes");
	ck_assert_int_eq(ini_read(p, 10, 0, record, &s, &err), ESEAL_OK);
	free(p);

	/* Empty files and files of comments have nothing to refuse. */
	p = write_bytes("", 0);
	ck_assert_int_eq(ini_read(p, 4096, INI_ONCE | INI_NONEMPTY, record,
	    &s, &err), ESEAL_OK);
	free(p);
	p = write_bytes("\xef\xbb\xbf", 3);
	ck_assert_int_eq(ini_read(p, 4096, INI_NONEMPTY, record, &s, &err),
	    ESEAL_OK);
	free(p);
	ck_assert_int_eq(s.n, 1);		/* the k = v of 10 bytes */
}
END_TEST

/* The split cmvp.c rewrites values by, on one line. */
START_TEST(test_line_split)
{
	static const char kv[] = "key : value ; comment";
	static const char eq[] = "k=;v";
	static const char sect[] = "[module a] ; c";
	struct ini_line l;
	char why[192];

	ck_assert_int_eq(ini_line_split(kv, strlen(kv), &l, why, sizeof(why)),
	    1);
	ck_assert_str_eq(ini_kind_name(l.kind), "key");
	ck_assert_uint_eq(l.name, 0);
	ck_assert_uint_eq(l.name_len, 3);
	ck_assert_uint_eq(l.sep, 4);
	ck_assert_uint_eq(l.value, 6);
	ck_assert_uint_eq(l.value_len, 5);
	ck_assert_int_eq(ini_line_split(eq, strlen(eq), &l, why, sizeof(why)),
	    1);
	ck_assert_uint_eq(l.value, 2);
	ck_assert_uint_eq(l.value_len, 2);	/* ";v": no blank before ';' */
	ck_assert_int_eq(ini_line_split(sect, strlen(sect), &l, why,
	    sizeof(why)), 1);
	ck_assert_int_eq(l.kind, INI_SECTION);
	ck_assert_uint_eq(l.name, 1);
	ck_assert_uint_eq(l.name_len, 8);
	ck_assert_int_eq(ini_line_split("  ; x", 5, &l, why, sizeof(why)), 1);
	ck_assert_int_eq(l.kind, INI_COMMENT);
	ck_assert_int_eq(ini_line_split(" \t", 2, &l, why, sizeof(why)), 1);
	ck_assert_int_eq(l.kind, INI_BLANK);
	ck_assert_int_eq(ini_line_split("", 0, &l, why, sizeof(why)), 1);
	ck_assert_int_eq(l.kind, INI_BLANK);
	ck_assert_int_eq(ini_line_split("a\0b", 3, &l, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "NUL byte in the line");
	ck_assert_str_eq(ini_kind_name(INI_KIND_MAX), "?");
}
END_TEST

/* The one form of a refusal; the first one recorded wins. */
START_TEST(test_fail_format)
{
	struct ini_err err;
	char path[] = "x.conf";

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ini_fail(&err, 7, "hsm", "module", "required %s",
	    "key missing"), 0);
	ck_assert_int_eq(ini_fail(&err, 9, "ca", "issuer", "later"), 0);
	ck_assert_int_eq(err.line, 7);
	ck_assert_str_eq(err.msg, "[hsm] module: required key missing");
	ck_assert_int_eq(ini_report(path, &err), ESEAL_ECONF);
	ck_assert_str_eq(eseal_errmsg(), "x.conf:7: [hsm] module: required "
	    "key missing");
	memset(&err, 0, sizeof(err));
	ini_fail(&err, 0, "", "status", "no section");
	ck_assert_str_eq(err.msg, "status: no section");
	ini_report(path, &err);
	ck_assert_str_eq(eseal_errmsg(), "x.conf: status: no section");
	memset(&err, 0, sizeof(err));
	ini_fail(&err, 3, "policy", NULL, "given \x1b[2J twice");
	ck_assert_str_eq(err.msg, "[policy]: given ?[2J twice");
	memset(&err, 0, sizeof(err));
	ini_fail(&err, 3, NULL, NULL, "plain");
	ck_assert_str_eq(err.msg, "plain");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ini");
	TCase *tc = tcase_create("ini");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_good_keys);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_silent_refusal);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_line_split);
	tcase_add_test(tc, test_fail_format);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
