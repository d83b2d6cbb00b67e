/*
 * ini.c: the one reader of the CA's INI files.  inih parses; this file
 * reads the whole file first (a regular file of a bounded size, so every
 * line number is exact), cuts it into lines itself and hands inih one line
 * at a time, after refusing each line inih would misread.  Then it checks
 * that inih read every key line as ini_line_split() did, so that the split
 * cmvp.c rewrites the registry with and what the CA loads cannot drift
 * apart.  The rules, for every file:
 *
 *  - a line ends with LF or CR LF; a UTF-8 BOM may open the file;
 *  - a line holds at most INI_LINE_BYTES bytes before its line end (inih
 *    reads a longer one in pieces, the rest as a line of its own:
 *    "source = <long URL>status = active" would set status);
 *  - no NUL byte (inih would end the line there) and no control character
 *    but TAB: inih takes CR, FF and VT for blanks, so a line starting with
 *    one would continue the value before;
 *  - a blank line, or a comment: ';' or '#' first, blanks before allowed;
 *  - "[name]" in column 0, the name 1 to INI_SECTION_BYTES bytes (inih
 *    cuts longer ones), after the ']' only blanks and a ';' comment (inih
 *    would drop anything else without a word);
 *  - "key = value" or "key : value" in column 0: the key is what comes
 *    before the first '=' or ':', not empty; the value loses the blanks
 *    around it and an inline comment, a ';' after a blank; a '#' after a
 *    blank in the value is refused (inih keeps it: "dir = /x # old" would
 *    set "/x # old");
 *  - no indented key or header: inih reads it as the continuation of the
 *    value before;
 *  - no key before the first [section];
 *  - with INI_ONCE no [section] twice, with INI_NONEMPTY none without a key,
 *    both refused at the header.
 *
 * This replaces three readers (conf.c, fips.c, policy.c) that differed;
 * each difference went to the safer side:
 *  - policy.c dropped leading blanks, so an indented "key = value" was a
 *    key of its own; conf.c and fips.c refused it, as inih and Python's
 *    configparser read it as a continuation: refused everywhere;
 *  - conf.c and fips.c let through a line starting with FF, VT or CR (a
 *    continuation to inih), policy.c dropped them: every control character
 *    but TAB is refused, and a CR is only part of a CR LF line end;
 *  - fips.c and conf.c took 199 bytes, policy.c 198 counting a CR: 198
 *    bytes before the line end, LF or CR LF alike;
 *  - a NUL byte: policy.c refused the file, the others the line: the line,
 *    with file:line;
 *  - conf.c (and so the profiles) and fips.c read any file of any size:
 *    a regular file, at most max_bytes, as policy.c did;
 *  - all three let inih drop text after a "]" and keep " #..." in values,
 *    and let a BOM hide an indented first line from conf.c: refused;
 *  - a key before any section, "= value" and "[]" were refused by each
 *    caller in its own words, or read as section "": refused here;
 *  - fips.c refused a repeated [section] only when both had keys and
 *    ignored empty ones; policy.c refused both: INI_ONCE | INI_NONEMPTY
 *    for both files.  eseald.conf and the profiles may repeat a section
 *    (each key is still given once), so conf.c sets neither.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ini.h"

#define BOM		"\xef\xbb\xbf"
#define BOM_LEN		3
#define WHY_MAX		192	/* what ini_line_split() says */
#define SHOW_NAME	64	/* bytes of a section or key name shown */

static const char *const kind_names[INI_KIND_MAX] = {
	[INI_BLANK] = "blank",
	[INI_COMMENT] = "comment",
	[INI_SECTION] = "section",
	[INI_KEY] = "key",
};

/* A [section] header already read, for INI_ONCE. */
struct seen {
	char	 name[INI_SECTION_BYTES + 1];
	int	 line;
};

/* What the reader knows while inih parses. */
struct reader {
	const char	*buf;		/* the whole file */
	size_t		 len, pos;	/* pos: where the next line starts */
	unsigned	 flags;
	int		 line;		/* the line last handed to inih */
	const char	*text;		/* its bytes, without BOM or line end */
	struct ini_line	 cur;		/* its split */
	int		 key_pending;	/* a key line inih has not handed on */
	char		 section[INI_SECTION_BYTES + 1];
	int		 section_line;	/* 0 before the first header */
	int		 section_keys;	/* keys since that header */
	struct seen	*seen;		/* INI_ONCE: every header so far */
	size_t		 nseen, cap;
	ini_key_handler	 handler;
	void		*user;
	struct ini_err	*err;
};

const char *
ini_kind_name(enum ini_kind k)
{
	if ((int)k < 0 || k >= INI_KIND_MAX)
		return "?";
	return kind_names[k];
}

int
ini_fail(struct ini_err *err, int line, const char *section, const char *key,
    const char *fmt, ...)
{
	va_list ap;
	size_t n;
	int w = 0;

	if (err->failed)
		return 0;
	err->failed = 1;
	err->line = line;
	err->rc = ESEAL_ECONF;
	if (section != NULL && *section != '\0' && key != NULL)
		w = snprintf(err->msg, sizeof(err->msg), "[%.*s] %.*s: ",
		    SHOW_NAME, section, SHOW_NAME, key);
	else if (section != NULL && *section != '\0')
		w = snprintf(err->msg, sizeof(err->msg), "[%.*s]: ", SHOW_NAME,
		    section);
	else if (key != NULL)
		w = snprintf(err->msg, sizeof(err->msg), "%.*s: ", SHOW_NAME,
		    key);
	n = w < 0 ? 0 : (size_t)w;
	if (n >= sizeof(err->msg))
		n = sizeof(err->msg) - 1;
	err->msg[n] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
	for (char *p = err->msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return 0;
}

enum eseal_rc
ini_report(const char *path, const struct ini_err *err)
{
	if (err->line > 0)
		return eseal_err(err->rc, "%s:%d: %s", path, err->line,
		    err->msg);
	return eseal_err(err->rc, "%s: %s", path, err->msg);
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * As inih's find_chars_or_comment(): the first byte from `from` on that is
 * in chars, or a ';' after a blank (an inline comment); len if none.
 */
static size_t
find(const char *s, size_t from, size_t len, const char *chars)
{
	int was_blank = 0;
	size_t i;

	for (i = from; i < len; i++) {
		if (chars != NULL && strchr(chars, s[i]) != NULL)
			break;
		if (was_blank && s[i] == ';')
			break;
		was_blank = blank(s[i]);
	}
	return i;
}

/* The bytes of a line inih would read otherwise, whatever its kind. */
static int
valid_bytes(const char *s, size_t len, char *why, size_t whysz)
{
	unsigned char c;

	if (len > INI_LINE_BYTES) {
		snprintf(why, whysz, "line longer than %d bytes",
		    INI_LINE_BYTES);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\0') {
			snprintf(why, whysz, "NUL byte in the line");
			return 0;
		}
		if (c == '\r') {
			snprintf(why, whysz, "CR inside the line (a line ends "
			    "with LF or CR LF; inih would take it for a "
			    "blank)");
			return 0;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(why, whysz, "control character 0x%02x in the "
			    "line", c);
			return 0;
		}
	}
	return 1;
}

/* "[name]": s[0] is '['. */
static int
split_section(const char *s, size_t len, struct ini_line *out, char *why,
    size_t whysz)
{
	size_t e = find(s, 1, len, "]"), i;

	if (e == len || s[e] != ']') {
		snprintf(why, whysz, "syntax error (no ']' closes the "
		    "[section] name)");
		return 0;
	}
	out->name = 1;
	out->name_len = e - 1;
	if (out->name_len == 0) {
		snprintf(why, whysz, "empty [section] name");
		return 0;
	}
	if (out->name_len > INI_SECTION_BYTES) {
		snprintf(why, whysz, "section name longer than %d bytes (inih "
		    "would cut it)", INI_SECTION_BYTES);
		return 0;
	}
	for (i = e + 1; i < len && blank(s[i]); i++)
		;
	if (i < len && s[i] != ';') {
		snprintf(why, whysz, "text after the ']' (only blanks and a ; "
		    "comment may follow a [section] header)");
		return 0;
	}
	out->kind = INI_SECTION;
	return 1;
}

/* "key = value" or "key : value". */
static int
split_key(const char *s, size_t len, struct ini_line *out, char *why,
    size_t whysz)
{
	size_t e = find(s, 0, len, "=:"), n, v, i;

	if (e == len || (s[e] != '=' && s[e] != ':')) {
		snprintf(why, whysz, "syntax error (expected [section], key = "
		    "value or a comment)");
		return 0;
	}
	for (n = e; n > 0 && blank(s[n - 1]); n--)
		;
	if (n == 0) {
		snprintf(why, whysz, "no key before the '%c'", s[e]);
		return 0;
	}
	v = find(s, e + 1, len, NULL);
	for (i = e + 1; i < v && blank(s[i]); i++)
		;
	while (v > i && blank(s[v - 1]))
		v--;
	for (size_t j = i + 1; j < v; j++)
		if (s[j] == '#' && blank(s[j - 1])) {
			snprintf(why, whysz, "'#' after a blank in the value: "
			    "inih would keep it as part of the value (only "
			    "\" ;\" starts a comment there)");
			return 0;
		}
	out->kind = INI_KEY;
	out->name = 0;
	out->name_len = n;
	out->sep = e;
	out->value = i;
	out->value_len = v - i;
	return 1;
}

int
ini_line_split(const char *s, size_t len, struct ini_line *out, char *why,
    size_t whysz)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!valid_bytes(s, len, why, whysz))
		return 0;
	for (i = 0; i < len && blank(s[i]); i++)
		;
	if (i == len) {
		out->kind = INI_BLANK;
		return 1;
	}
	if (s[i] == ';' || s[i] == '#') {
		out->kind = INI_COMMENT;
		return 1;
	}
	if (i > 0) {
		snprintf(why, whysz, "indented line: inih would read it as the "
		    "continuation of the value before; remove the leading "
		    "blanks");
		return 0;
	}
	if (s[0] == '[')
		return split_section(s, len, out, why, whysz);
	return split_key(s, len, out, why, whysz);
}

/*
 * What a refusal calls a line the reader refuses: the text before its
 * first '=' or ':' (all of it for a "[section]" line), at most
 * INI_KEY_SHOW bytes, control characters as '?'.
 */
static void
raw_key(const char *s, size_t len, char *out)
{
	size_t i = 0, e, n = 0;

	while (i < len && blank(s[i]))
		i++;
	for (e = i; e < len && (s[i] == '[' || (s[e] != '=' && s[e] != ':'));
	    e++)
		;
	while (e > i && blank(s[e - 1]))
		e--;
	for (; i < e && n < INI_KEY_SHOW; i++)
		out[n++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	if (i < e) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* At a header or the end: INI_NONEMPTY wants a key in the section before. */
static int
section_end(struct reader *r)
{
	if ((r->flags & INI_NONEMPTY) != 0 && r->section_line != 0 &&
	    r->section_keys == 0)
		return ini_fail(r->err, r->section_line, r->section, NULL,
		    "empty section (no key before the next [section] or the "
		    "end of the file)");
	return 1;
}

static int
section_begin(struct reader *r, const char *s)
{
	struct seen *n;

	if (!section_end(r))
		return 0;
	memcpy(r->section, s + r->cur.name, r->cur.name_len);
	r->section[r->cur.name_len] = '\0';
	if ((r->flags & INI_ONCE) != 0) {
		/* The callers' own limits stop a file after some 256. */
		for (size_t i = 0; i < r->nseen; i++)
			if (strcmp(r->seen[i].name, r->section) == 0)
				return ini_fail(r->err, r->line, r->section,
				    NULL, "section given twice (first at line "
				    "%d)", r->seen[i].line);
		if (r->nseen == r->cap) {
			r->cap = r->cap == 0 ? 16 : r->cap * 2;
			if ((n = reallocarray(r->seen, r->cap,
			    sizeof(*n))) == NULL) {
				ini_fail(r->err, r->line, NULL, NULL, "out of "
				    "memory");
				r->err->rc = ESEAL_ENOMEM;
				return 0;
			}
			r->seen = n;
		}
		memcpy(r->seen[r->nseen].name, r->section,
		    sizeof(r->section));
		r->seen[r->nseen++].line = r->line;
	}
	r->section_line = r->line;
	r->section_keys = 0;
	return 1;
}

/* inih handed on the key line before: it read it as a key, as we did. */
static int
inih_kept_up(struct reader *r)
{
	if (r->key_pending)
		return ini_fail(r->err, r->line, r->section, NULL, "internal: "
		    "inih did not read this line as a key; refused");
	return 1;
}

/* The ini_reader: the next line of r->buf, checked; NULL at the end. */
static char *
next_line(char *buf, int num, void *stream)
{
	struct reader *r = stream;
	char why[WHY_MAX], key[INI_KEY_SHOW + 4];
	const char *s, *nl;
	size_t len;
	int ok;

	if (r->err->failed || !inih_kept_up(r))
		return NULL;
	if (r->pos == r->len) {
		(void)section_end(r);
		return NULL;
	}
	s = r->buf + r->pos;
	nl = memchr(s, '\n', r->len - r->pos);
	len = nl != NULL ? (size_t)(nl - s) : r->len - r->pos;
	r->pos += len + (nl != NULL);
	r->line++;
	if (nl != NULL && len > 0 && s[len - 1] == '\r')
		len--;
	if (r->line == 1 && len >= BOM_LEN && memcmp(s, BOM, BOM_LEN) == 0) {
		s += BOM_LEN;
		len -= BOM_LEN;
	}
	raw_key(s, len, key);
	ok = ini_line_split(s, len, &r->cur, why, sizeof(why));
	if (ok && len >= (size_t)num) {
		/* Only if inih's buffer were smaller than INI_LINE_BYTES. */
		snprintf(why, sizeof(why), "line longer than inih's %d bytes",
		    num - 1);
		ok = 0;
	}
	if (!ok) {
		ini_fail(r->err, r->line, len > 0 && s[0] == '[' ? NULL :
		    r->section, key[0] != '\0' ? key : NULL, "%s", why);
		return NULL;
	}
	if (r->cur.kind == INI_SECTION && !section_begin(r, s))
		return NULL;
	if (r->cur.kind == INI_KEY) {
		if (r->section_line == 0) {
			ini_fail(r->err, r->line, NULL, key, "key before any "
			    "[section]");
			return NULL;
		}
		r->key_pending = 1;
	}
	r->text = s;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

static int
same(const char *a, const char *b, size_t blen)
{
	return strlen(a) == blen && memcmp(a, b, blen) == 0;
}

/* The ini_handler: what inih read, checked against the split, handed on. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	struct ini_key k;

	if (r->err->failed)
		return 0;
	if (!r->key_pending || strcmp(section, r->section) != 0 ||
	    !same(name, r->text + r->cur.name, r->cur.name_len) ||
	    !same(value, r->text + r->cur.value, r->cur.value_len))
		return ini_fail(r->err, r->line, r->section, NULL, "internal: "
		    "inih reads this line otherwise (key \"%.*s\"); refused",
		    INI_KEY_SHOW, name);
	r->key_pending = 0;
	k.section = section;
	k.name = name;
	k.value = value;
	k.line = r->line;
	k.section_line = r->section_line;
	k.first = r->section_keys++ == 0;
	if (r->handler(r->user, &k, r->err))
		return 1;
	if (!r->err->failed)
		ini_fail(r->err, r->line, section, name, "refused");
	return 0;
}

/* Records a refusal about the whole file, with the errno that says why. */
static int
file_fail(struct ini_err *err, int errnum, const char *what)
{
	ini_fail(err, 0, NULL, NULL, "%s", what);
	err->errnum = errnum;
	return 0;
}

/* The whole file at path, a regular file of at most max bytes. */
static int
read_file(const char *path, size_t max, char **out, size_t *outlen,
    struct ini_err *err)
{
	struct stat sb;
	char what[160];
	size_t cap, len = 0;
	ssize_t n = 0;
	int fd, e, ok = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		e = errno;
		snprintf(what, sizeof(what), "cannot open: %s", strerror(e));
		return file_fail(err, e, what);
	}
	if (fstat(fd, &sb) == -1) {
		e = errno;
		snprintf(what, sizeof(what), "cannot stat: %s", strerror(e));
		file_fail(err, e, what);
	} else if (!S_ISREG(sb.st_mode))
		file_fail(err, S_ISDIR(sb.st_mode) ? EISDIR : EINVAL, "not a "
		    "regular file");
	else if ((uintmax_t)sb.st_size > max) {
		snprintf(what, sizeof(what), "larger than %zu bytes", max);
		file_fail(err, EFBIG, what);
	} else if ((*out = malloc(cap = (size_t)sb.st_size + 1)) == NULL) {
		file_fail(err, ENOMEM, "out of memory");
		err->rc = ESEAL_ENOMEM;
	} else {
		/* One byte more than the size, to notice a file that grew. */
		while (len < cap &&
		    (n = read(fd, *out + len, cap - len)) != 0) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				break;
			len += (size_t)n;
		}
		if (n == -1) {
			e = errno;
			snprintf(what, sizeof(what), "read error: %s",
			    strerror(e));
			file_fail(err, e, what);
		} else if (len == cap)
			file_fail(err, EFBIG, "grew while being read");
		else
			ok = 1;
	}
	close(fd);
	if (!ok) {
		free(*out);
		*out = NULL;
		return 0;
	}
	*outlen = len;
	return 1;
}

enum eseal_rc
ini_read(const char *path, size_t max_bytes, unsigned flags,
    ini_key_handler handler, void *user, struct ini_err *err)
{
	struct reader r;
	char *buf;
	int ret;

	memset(err, 0, sizeof(*err));
	memset(&r, 0, sizeof(r));
	if (read_file(path, max_bytes, &buf, &r.len, err)) {
		r.buf = buf;
		r.flags = flags;
		r.handler = handler;
		r.user = user;
		r.err = err;
		ret = ini_parse_stream(next_line, &r, on_key, &r);
		if (!err->failed && ret < 0) {
			ini_fail(err, 0, NULL, NULL, "inih: out of memory");
			err->rc = ESEAL_ENOMEM;
		} else if (!err->failed && ret > 0)
			ini_fail(err, ret, NULL, NULL, "syntax error (inih)");
		free(r.seen);
		free(buf);
	}
	if (err->failed)
		return ini_report(path, err);
	return ESEAL_OK;
}
