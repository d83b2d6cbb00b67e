/*
 * ini.h: the one reader of the CA's INI files (eseald.conf, the profiles,
 * the crypto policy, the HSM module registry).  inih parses; ini_read()
 * reads the file, hands inih one checked line at a time and refuses every
 * line inih would misread (ini.c lists the rules).  The module also owns
 * the form of every refusal about such a file, "file:line: [section] key:
 * why", for the checks the callers make themselves (ini_fail(),
 * ini_report()), and the split of one line as inih reads it, for code that
 * rewrites a file in place (ini_line_split()).
 */
#ifndef ESEAL_INI_H
#define ESEAL_INI_H

/*
 * This header takes the name of inih's: bring inih's own <ini.h> in from
 * the next directory of the include path, for ini.c and for the files
 * that name <ini.h> meaning inih.
 */
#include_next <ini.h>

#include <stddef.h>

#include "err.h"

#define INI_LINE_BYTES	 198	/* longest line without its line end; inih
				   reads 199 bytes at once */
#define INI_SECTION_BYTES 49	/* longest [section] name: inih cuts longer */
#define INI_KEY_SHOW	 32	/* bytes of a raw key quoted in a refusal */
#define INI_MSG_MAX	 512	/* one refusal, without "file:line: " */

/* Rules that some files add, for ini_read()'s flags. */
#define INI_ONCE	0x1	/* each [section] header at most once */
#define INI_NONEMPTY	0x2	/* each [section] holds at least one key */

/*
 * The first refusal about a file.  ini_read() fills it; the callers fill it
 * with ini_fail() for what they check themselves.
 */
struct ini_err {
	int		 failed;	/* 1 once a refusal is recorded */
	int		 line;		/* its line; 0 for the whole file */
	int		 errnum;	/* line 0: the errno that says why */
	enum eseal_rc	 rc;		/* ESEAL_ECONF, or ESEAL_ENOMEM */
	char		 msg[INI_MSG_MAX]; /* "[section] key: why" */
};

/* One key line, as a handler gets it; the strings live during the call. */
struct ini_key {
	const char	*section;	/* the [section] it is in, never "" */
	const char	*name;		/* the key, without blanks around it */
	const char	*value;		/* the value, without blanks around it
					   or an inline comment */
	int		 line;		/* its line, from 1 */
	int		 section_line;	/* the line of its [section] header */
	int		 first;		/* 1 for the first key of the section */
};

/*
 * A key handler returns 1 to go on.  To refuse the key it returns 0 after
 * ini_fail(err, ...), usually at k->line; it may name another line (the
 * section header) and set err->rc to ESEAL_ENOMEM.
 */
typedef int (*ini_key_handler)(void *user, const struct ini_key *k,
    struct ini_err *err);

/*
 * Reads path, a regular file of at most max_bytes, and calls handler for
 * each key line in file order, stopping at the first refusal (the
 * reader's or the handler's).  flags: INI_ONCE, INI_NONEMPTY or 0.
 * Returns ESEAL_OK, or err->rc with the refusal in *err and recorded with
 * eseal_err() as ini_report() writes it.  A refusal about the whole file
 * (cannot open, not a regular file, too large, read error) has err->line
 * 0 and err->errnum set (open's errno, EISDIR or EINVAL, EFBIG, read's).
 */
enum eseal_rc	ini_read(const char *path, size_t max_bytes, unsigned flags,
		    ini_key_handler handler, void *user, struct ini_err *err);

/*
 * Records a refusal in err unless one is already there: at line (0: the
 * whole file), msg "[section] key: " then fmt, without the section part if
 * section is NULL or "", without the key part if key is NULL.  Control
 * characters in the result are written '?'.  Returns 0, for handlers.
 */
int		ini_fail(struct ini_err *err, int line, const char *section,
		    const char *key, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));

/*
 * Records err (which must hold a refusal) with eseal_err(): "path:line:
 * msg", or "path: msg" for line 0.  Returns err->rc.
 */
enum eseal_rc	ini_report(const char *path, const struct ini_err *err);

/* What a line is, to ini_line_split(). */
enum ini_kind {
	INI_BLANK,		/* nothing but blanks */
	INI_COMMENT,		/* ';' or '#' first, after blanks */
	INI_SECTION,		/* [name] */
	INI_KEY,		/* key = value, or key : value */
	INI_KIND_MAX
};

/* One line as inih reads it: offsets into the line. */
struct ini_line {
	enum ini_kind	 kind;
	size_t		 name, name_len;	/* [section] name, or key */
	size_t		 sep;			/* INI_KEY: the '=' or ':' */
	size_t		 value, value_len;	/* INI_KEY: the value */
};

/*
 * Splits the len bytes at s, one line without its line end (and, on the
 * first line, without a UTF-8 BOM), as inih reads it.  Returns 1, or 0
 * with why filled if the line breaks a rule of ini.c's that does not
 * depend on the lines around it.
 */
int		ini_line_split(const char *s, size_t len, struct ini_line *out,
		    char *why, size_t whysz);

/* "blank", "comment", "section", "key"; "?" for anything else. */
const char	*ini_kind_name(enum ini_kind);

#endif
