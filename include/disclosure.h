/*
 * disclosure.h: the important-matters disclosure (重要事項説明,
 * REQUIREMENTS.md point 1), a versioned document the subscriber
 * organisation's contracting party acknowledges at enrolment.
 *
 * Layout (docs/disclosure.md): DIR/current holds the current version
 * string; DIR/<version>/ja.txt (authoritative) and DIR/<version>/en.txt
 * (translation) are its texts, UTF-8.  The version's one hash covers both:
 *
 *	sha256 = SHA-256("<hex SHA-256 of ja.txt>  ja.txt\n"
 *	                 "<hex SHA-256 of en.txt>  en.txt\n")
 *
 * which is exactly `cd DIR/<version> && sha256sum ja.txt en.txt | sha256sum`,
 * so anyone can recompute what an organisation acknowledged.  A published
 * version's texts never change: a change is a new version.
 */
#ifndef ESEAL_DISCLOSURE_H
#define ESEAL_DISCLOSURE_H

#include <stddef.h>

#include "err.h"

#define DISCLOSURE_VERSION_MAX	32		/* version + NUL: "1.0", "2025-04" */
#define DISCLOSURE_TEXT_MAX	(64 * 1024)	/* per language: ten pages of
						   Japanese with room to spare */
#define DISCLOSURE_CURRENT_MAX	64		/* the "current" file, bytes */
#define DISCLOSURE_SHA256_HEX	65		/* 64 hex digits + NUL */

enum disclosure_lang {
	DISCLOSURE_JA,		/* ja.txt: the authoritative text */
	DISCLOSURE_EN,		/* en.txt: English translation */
	DISCLOSURE_LANG_MAX
};

struct disclosure;

/* "ja", "en". */
const char	*disclosure_lang_name(enum disclosure_lang);
/* The language named s ("ja", "en"), or -1. */
int		 disclosure_lang_parse(const char *s);

/*
 * 1 if s is a version string: 1 to DISCLOSURE_VERSION_MAX - 1 characters
 * of [0-9A-Za-z._-], starting with a letter or digit (so never "." or
 * "..", never a path).  Records no error message.
 */
int		 valid_disclosure_version(const char *s);

/* 1 if s is a SHA-256 in hex: exactly 64 lower-case hex digits. */
int		 valid_disclosure_sha256(const char *s);

/*
 * 1 if the len bytes at s are well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF) without NUL, C0 controls
 * other than TAB, LF and CR (TAB and LF and CR only if multiline), DEL or
 * C1 controls; *nchars (if not NULL) gets the number of characters.
 * Records no error message.  Used for the texts here and for names and
 * reasons in enrol.c.
 */
int		 valid_utf8(const char *s, size_t len, int multiline,
		    size_t *nchars);

/*
 * Reads the current version of the disclosure kept in dir: the version
 * from dir/current (one line), both texts (regular files, each at most
 * DISCLOSURE_TEXT_MAX bytes, not empty, valid UTF-8 as above) and their
 * hashes.  ESEAL_ECONF naming the file and the rule otherwise.  *out is
 * new; free it with disclosure_free().
 */
enum eseal_rc	 disclosure_load(const char *dir, struct disclosure **out);
void		 disclosure_free(struct disclosure *);

/* The version string ("1.0").  Borrowed from d. */
const char	*disclosure_version(const struct disclosure *d);
/* The version's hash (64 lower-case hex digits).  Borrowed. */
const char	*disclosure_sha256(const struct disclosure *d);
/* The text in lang ("ja", "en"), NUL-terminated (it holds no NUL, so
 * strlen() is its length).  NULL for another lang.  Borrowed. */
const char	*disclosure_text(const struct disclosure *d, const char *lang);
/* SHA-256 of one language's file (hex).  NULL for another lang. */
const char	*disclosure_text_sha256(const struct disclosure *d,
		    const char *lang);

/*
 * Whether (version, sha256) names d, the current disclosure: ESEAL_OK if
 * so; ESEAL_EINVAL if either is missing or malformed; ESEAL_ESTALE naming
 * the current version if the version is another one (an acknowledgement
 * of an older version does not cover the current one), or if the hash is
 * not the hash of that version's texts.
 */
enum eseal_rc	 disclosure_check(const struct disclosure *d,
		    const char *version, const char *sha256);

#endif
