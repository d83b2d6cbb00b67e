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

/* Appends c to out (JSON string escaping), keeping room for the end. */
static void
json_put(char *out, size_t *n, size_t max, char c)
{
	if (*n + 8 >= max)
		return;
	if (c == '"' || c == '\\') {
		out[(*n)++] = '\\';
		out[(*n)++] = c;
	} else if ((unsigned char)c < ' ')
		*n += (size_t)snprintf(out + *n, max - *n, "\\u%04x",
		    (unsigned char)c);
	else
		out[(*n)++] = c;
}

/* n after an snprintf at out + n: never past the buffer's end. */
static size_t
clamp(size_t n, size_t max)
{
	return n < max - 16 ? n : max - 16;
}

/* 1 if s[0..len) is a decimal integer JSON may carry as a number. */
static int
is_number(const char *s, size_t len)
{
	size_t i = s[0] == '-' ? 1 : 0;

	if (len == i || len > 15 || (s[i] == '0' && len > i + 1))
		return 0;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * The logfmt line in (ts=... level=... key=value key="quoted \" value")
 * as one JSON object in out.  Text that is not key=value is kept in a
 * "text" member, never dropped.
 */
static size_t
to_json(const char *in, char *out, size_t max)
{
	size_t n = 0, k, v;
	const char *p = in;

	out[n++] = '{';
	while (*p != '\0' && n + 16 < max) {
		while (*p == ' ')
			p++;
		for (k = 0; p[k] != '\0' && p[k] != '=' && p[k] != ' ' &&
		    p[k] != '"'; k++)
			;
		if (k == 0 || p[k] != '=') {
			n = clamp(n + (size_t)snprintf(out + n, max - n,
			    "%s\"text\":\"", n > 1 ? "," : ""), max);
			for (; *p != '\0'; p++)
				json_put(out, &n, max, *p);
			out[n++] = '"';
			break;
		}
		n = clamp(n + (size_t)snprintf(out + n, max - n,
		    "%s\"%.*s\":", n > 1 ? "," : "", (int)k, p), max);
		p += k + 1;
		if (*p == '"') {
			out[n++] = '"';
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				json_put(out, &n, max, *p);
			}
			out[n++] = '"';
			if (*p == '"')
				p++;
			continue;
		}
		for (v = 0; p[v] != '\0' && p[v] != ' '; v++)
			;
		if (is_number(p, v))
			n = clamp(n + (size_t)snprintf(out + n, max - n,
			    "%.*s", (int)v, p), max);
		else {
			out[n++] = '"';
			for (size_t i = 0; i < v; i++)
				json_put(out, &n, max, p[i]);
			out[n++] = '"';
		}
		p += v;
	}
	if (n + 2 > max)
		n = max - 2;
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
		n = to_json(line, js, sizeof(js) - 1);
		js[n++] = '\n';
		(void)!write(STDERR_FILENO, js, n);
		return;
	}
	line[n++] = '\n';
	/* One write(2), so lines from several threads never interleave. */
	(void)!write(STDERR_FILENO, line, n);
}
