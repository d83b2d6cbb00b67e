/* log.c: one structured line per event, written atomically to stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048	/* longer lines are cut, never split */

static enum log_level cur_level = LOG_LEVEL_INFO;

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
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
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
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write(2), so lines from several threads never interleave. */
	(void)!write(STDERR_FILENO, line, n);
}
