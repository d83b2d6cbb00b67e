/* log.c: one structured line per event, written atomically to stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048	/* longer lines are cut, never split */

static enum log_level cur_level = LOG_LEVEL_INFO;
static enum log_format cur_format = LOG_FORMAT_LOGFMT;
static __thread char cur_rid[LOG_RID_MAX];

static const char *const level_names[LOG_LEVEL_MAX] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

int
log_level_parse(const char *s)
{
	for (int i = 0; i < LOG_LEVEL_MAX; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
log_level_name(enum log_level l)
{
	return (l >= 0 && l < LOG_LEVEL_MAX) ? level_names[l] : "?";
}

void
log_set_level(enum log_level l)
{
	cur_level = l;
}

void
log_set_format(enum log_format f)
{
	if (f >= 0 && f < LOG_FORMAT_MAX)
		cur_format = f;
}

void
log_set_request_id(const char *rid)
{
	snprintf(cur_rid, sizeof(cur_rid), "%s", rid != NULL ? rid : "");
}

const char *
log_request_id(void)
{
	return cur_rid;
}

/* The length of the valid UTF-8 sequence at p (RFC 3629 4), 0 if none. */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Appends the character at p to out as JSON string content (escaped; a
 * byte that is not UTF-8 becomes '?'), keeping room to close the object;
 * returns the next character.
 */
static const char *
json_put(char *out, size_t *n, size_t max, const char *p)
{
	unsigned char c = (unsigned char)*p;
	size_t len = 1;

	if (c >= 0x80 && (len = utf8_len((const unsigned char *)p)) == 0) {
		c = '?';
		len = 1;
	}
	if (*n + 16 >= max)
		return p + len;
	if (c == '"' || c == '\\') {
		out[(*n)++] = '\\';
		out[(*n)++] = (char)c;
	} else if (c < ' ')
		*n += (size_t)snprintf(out + *n, max - *n, "\\u%04x", c);
	else if (c < 0x80)
		out[(*n)++] = (char)c;
	else {
		memcpy(out + *n, p, len);
		*n += len;
	}
	return p + len;
}

/* 1 if s[0..len) is a decimal integer JSON may carry as a number. */
static int
is_number(const char *s, size_t len)
{
	size_t i = len > 0 && s[0] == '-' ? 1 : 0;

	if (len == i || len > 15 || (s[i] == '0' && len > i + 1))
		return 0;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A value after key=: "quoted \" text", a number, or a bare word. */
static const char *
json_value(const char *p, char *out, size_t *n, size_t max)
{
	size_t v;
	const char *e;

	if (*p == '"') {
		out[(*n)++] = '"';
		for (p++; *p != '\0' && *p != '"';)
			p = json_put(out, n, max, *p == '\\' && p[1] != '\0' ?
			    p + 1 : p);
		out[(*n)++] = '"';
		return *p == '"' ? p + 1 : p;
	}
	for (v = 0; p[v] != '\0' && p[v] != ' '; v++)
		;
	if (is_number(p, v) && *n + v + 16 < max) {
		memcpy(out + *n, p, v);
		*n += v;
		return p + v;
	}
	out[(*n)++] = '"';
	for (e = p + v; p < e;)
		p = json_put(out, n, max, p);
	out[(*n)++] = '"';
	return e;
}

size_t
log_to_json(const char *in, char *out, size_t max)
{
	size_t n = 0, k;
	const char *p = in, *e;

	out[n++] = '{';
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || n + 32 >= max)
			break;
		for (k = 0; p[k] != '\0' && p[k] != '=' && p[k] != ' ' &&
		    p[k] != '"'; k++)
			;
		if (n > 1)
			out[n++] = ',';
		out[n++] = '"';
		if (k == 0 || p[k] != '=') {
			memcpy(out + n, "text\":\"", 7);
			n += 7;
			while (*p != '\0')
				p = json_put(out, &n, max, p);
			out[n++] = '"';
			break;
		}
		for (e = p + k; p < e;)
			p = json_put(out, &n, max, p);
		out[n++] = '"';
		out[n++] = ':';
		p = json_value(p + 1, out, &n, max);
	}
	out[n++] = '}';
	return n;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX], js[LOG_LINE_MAX * 2];
	struct tm tm;
	time_t now = time(NULL);
	size_t n;
	va_list ap;
	int r;

	if (level < cur_level)
		return;
	gmtime_r(&now, &tm);
	n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%SZ", &tm);
	r = snprintf(line + n, sizeof(line) - n, " level=%s ",
	    log_level_name(level));
	if (r > 0)
		n += (size_t)r;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r;
	if (n < sizeof(line) && cur_rid[0] != '\0') {
		r = snprintf(line + n, sizeof(line) - n, " rid=%s", cur_rid);
		if (r > 0)
			n += (size_t)r;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n] = '\0';
	if (cur_format == LOG_FORMAT_JSON) {
		n = log_to_json(line, js, sizeof(js) - 1);
		js[n++] = '\n';
		(void)!write(STDERR_FILENO, js, n);
		return;
	}
	line[n++] = '\n';
	/* One write(2), so lines from several threads never interleave. */
	(void)!write(STDERR_FILENO, line, n);
}
