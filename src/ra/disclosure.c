/*
 * disclosure.c: loading the current important-matters disclosure from its
 * directory, hashing it as disclosure.h describes, and checking what a
 * subscriber says it acknowledged against it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "disclosure.h"

#define R_ACK	"disclosure: panel point 1: "

struct disclosure {
	char	 version[DISCLOSURE_VERSION_MAX];
	char	 sha256[DISCLOSURE_SHA256_HEX];
	char	*text[DISCLOSURE_LANG_MAX];	/* NUL-terminated, owned */
	size_t	 len[DISCLOSURE_LANG_MAX];
	char	 text_sha256[DISCLOSURE_LANG_MAX][DISCLOSURE_SHA256_HEX];
};

static const char *const lang_names[DISCLOSURE_LANG_MAX] = {
	[DISCLOSURE_JA] = "ja",
	[DISCLOSURE_EN] = "en",
};

const char *
disclosure_lang_name(enum disclosure_lang l)
{
	return (l >= 0 && l < DISCLOSURE_LANG_MAX) ? lang_names[l] : "?";
}

int
disclosure_lang_parse(const char *s)
{
	for (int i = 0; s != NULL && i < DISCLOSURE_LANG_MAX; i++)
		if (strcmp(s, lang_names[i]) == 0)
			return i;
	return -1;
}

static int
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

int
valid_disclosure_version(const char *s)
{
	size_t len;

	if (s == NULL || (len = strnlen(s, DISCLOSURE_VERSION_MAX)) == 0 ||
	    len == DISCLOSURE_VERSION_MAX || !is_alnum(s[0]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return 0;
	return 1;
}

int
valid_utf8(const char *s, size_t len, int multiline, size_t *nchars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, n = 0;
	uint32_t cp;

	while (i < len) {
		unsigned char c = p[i];

		if (c < 0x80) {
			if (c == 0x7f || (c < 0x20 && !(multiline &&
			    (c == '\t' || c == '\n' || c == '\r'))))
				return 0;
			i++;
			n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else
			return 0;	/* continuation, 0xc0/0xc1, 0xf5.. */
		if (len - i <= k)
			return 0;	/* truncated sequence */
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;	/* overlong, surrogate, too big, C1 */
		i += k + 1;
		n++;
	}
	if (nchars != NULL)
		*nchars = n;
	return 1;
}

static void
hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
sha256_hex(const void *buf, size_t len, char out[DISCLOSURE_SHA256_HEX])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != sizeof(md))
		return 0;
	hex(md, sizeof(md), out);
	return 1;
}

/*
 * Reads the regular file path whole, refusing more than max bytes; *out is
 * NUL-terminated and owned by the caller.
 */
static enum eseal_rc
read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat sb;
	enum eseal_rc rc;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return eseal_err(ESEAL_ECONF, "disclosure: %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) == -1) {
		rc = eseal_err(ESEAL_ECONF, "disclosure: %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = eseal_err(ESEAL_ECONF, "disclosure: %s: not a regular "
		    "file", path);
		goto out;
	}
	if (sb.st_size < 0 || (uintmax_t)sb.st_size > max) {
		rc = eseal_err(ESEAL_ECONF, "disclosure: %s: larger than %zu "
		    "bytes", path, max);
		goto out;
	}
	if ((buf = malloc(max + 1)) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "disclosure: out of memory");
		goto out;
	}
	/* Read up to one byte more than allowed: the file may have grown. */
	while (n <= max && (r = read(fd, buf + n, max + 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = eseal_err(ESEAL_ECONF, "disclosure: %s: %s", path,
			    strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	if (n > max) {
		rc = eseal_err(ESEAL_ECONF, "disclosure: %s: larger than %zu "
		    "bytes", path, max);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	rc = ESEAL_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

/* dir/current: one version string, optionally followed by one newline. */
static enum eseal_rc
read_current(const char *dir, char version[DISCLOSURE_VERSION_MAX])
{
	char path[PATH_MAX], *buf;
	enum eseal_rc rc;
	size_t len;

	if ((size_t)snprintf(path, sizeof(path), "%s/current", dir) >=
	    sizeof(path))
		return eseal_err(ESEAL_ECONF, "disclosure: %s: path too long",
		    dir);
	if ((rc = read_file(path, DISCLOSURE_CURRENT_MAX, &buf, &len)) !=
	    ESEAL_OK)
		return rc;
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (strlen(buf) != len || !valid_disclosure_version(buf))
		rc = eseal_err(ESEAL_ECONF, "disclosure: %s: must hold one "
		    "version of 1 to %d characters [0-9A-Za-z._-], starting "
		    "with a letter or digit, and nothing else", path,
		    DISCLOSURE_VERSION_MAX - 1);
	else
		memcpy(version, buf, len + 1);
	free(buf);
	return rc;
}

static enum eseal_rc
read_text(const char *dir, const char *version, enum disclosure_lang l,
    struct disclosure *d)
{
	char path[PATH_MAX];
	enum eseal_rc rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s.txt", dir, version,
	    lang_names[l]) >= sizeof(path))
		return eseal_err(ESEAL_ECONF, "disclosure: %s: path too long",
		    dir);
	if ((rc = read_file(path, DISCLOSURE_TEXT_MAX, &d->text[l],
	    &d->len[l])) != ESEAL_OK)
		return rc;
	if (d->len[l] == 0)
		return eseal_err(ESEAL_ECONF, "disclosure: %s: empty", path);
	if (!valid_utf8(d->text[l], d->len[l], 1, NULL))
		return eseal_err(ESEAL_ECONF, "disclosure: %s: RFC 3629: not "
		    "UTF-8 text (or holds a NUL or a control character other "
		    "than TAB, CR and LF)", path);
	if (!sha256_hex(d->text[l], d->len[l], d->text_sha256[l]))
		return eseal_err(ESEAL_EINTERNAL, "disclosure: cannot hash %s",
		    path);
	return ESEAL_OK;
}

enum eseal_rc
disclosure_load(const char *dir, struct disclosure **out)
{
	/* "<64 hex>  ja.txt\n<64 hex>  en.txt\n", as sha256sum prints it. */
	char manifest[DISCLOSURE_LANG_MAX * (DISCLOSURE_SHA256_HEX + 16)];
	struct disclosure *d;
	enum eseal_rc rc;
	size_t n = 0;

	*out = NULL;
	if (dir == NULL || dir[0] == '\0')
		return eseal_err(ESEAL_ECONF, "disclosure: no directory given");
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "disclosure: out of memory");
	if ((rc = read_current(dir, d->version)) != ESEAL_OK)
		goto out;
	for (int l = 0; l < DISCLOSURE_LANG_MAX; l++) {
		if ((rc = read_text(dir, d->version, (enum disclosure_lang)l,
		    d)) != ESEAL_OK)
			goto out;
		n += (size_t)snprintf(manifest + n, sizeof(manifest) - n,
		    "%s  %s.txt\n", d->text_sha256[l], lang_names[l]);
	}
	if (!sha256_hex(manifest, n, d->sha256)) {
		rc = eseal_err(ESEAL_EINTERNAL, "disclosure: cannot hash");
		goto out;
	}
	*out = d;
	d = NULL;
out:
	disclosure_free(d);
	return rc;
}

void
disclosure_free(struct disclosure *d)
{
	if (d == NULL)
		return;
	for (int l = 0; l < DISCLOSURE_LANG_MAX; l++)
		free(d->text[l]);
	free(d);
}

const char *
disclosure_version(const struct disclosure *d)
{
	return d->version;
}

const char *
disclosure_sha256(const struct disclosure *d)
{
	return d->sha256;
}

const char *
disclosure_text(const struct disclosure *d, const char *lang)
{
	int l = disclosure_lang_parse(lang);

	return l < 0 ? NULL : d->text[l];
}

const char *
disclosure_text_sha256(const struct disclosure *d, const char *lang)
{
	int l = disclosure_lang_parse(lang);

	return l < 0 ? NULL : d->text_sha256[l];
}

int
valid_disclosure_sha256(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < DISCLOSURE_SHA256_HEX - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

enum eseal_rc
disclosure_check(const struct disclosure *d, const char *version,
    const char *sha256)
{
	if (version == NULL || version[0] == '\0')
		return eseal_err(ESEAL_EINVAL, R_ACK "the version of the "
		    "important-matters disclosure acknowledged is required "
		    "(current: %s)", d->version);
	if (!valid_disclosure_version(version))
		return eseal_err(ESEAL_EINVAL, R_ACK "a disclosure version is "
		    "1 to %d characters [0-9A-Za-z._-]",
		    DISCLOSURE_VERSION_MAX - 1);
	if (!valid_disclosure_sha256(sha256))
		return eseal_err(ESEAL_EINVAL, R_ACK "the disclosure's sha256 "
		    "is required, as 64 lower-case hex digits");
	if (strcmp(version, d->version) != 0)
		return eseal_err(ESEAL_ESTALE, R_ACK "disclosure version %s "
		    "is not the current one: the organisation's contracting "
		    "party must acknowledge version %s", version, d->version);
	if (strcmp(sha256, d->sha256) != 0)
		return eseal_err(ESEAL_ESTALE, R_ACK "the sha256 given is not "
		    "the hash of disclosure version %s (%s)", d->version,
		    d->sha256);
	return ESEAL_OK;
}
