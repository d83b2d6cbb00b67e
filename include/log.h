/*
 * log.h: leveled, structured log lines on stderr, key=value form:
 *   ts=2026-11-26T05:00:00Z level=info msg="listening" addr=127.0.0.1:8443
 * The message and the fields are given as one printf format.  With
 * log_set_format(LOG_FORMAT_JSON) the same line is written as one JSON
 * object ({"ts":..., "level":..., "msg":..., ...}), for journald and log
 * shippers.  A thread serving an API request adds rid=<request id> to
 * every line it logs (log_set_request_id).
 */
#ifndef ESEAL_LOG_H
#define ESEAL_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_MAX
};

enum log_format {
	LOG_FORMAT_LOGFMT,	/* key=value, the default */
	LOG_FORMAT_JSON,	/* one JSON object per line */
	LOG_FORMAT_MAX
};

#define LOG_RID_MAX	40	/* a request id, with its NUL */

void	 log_set_format(enum log_format);
/*
 * The request this thread is serving ("" or NULL: none): added as rid= to
 * its log lines and to the audit records it causes (audit.c).
 */
void	 log_set_request_id(const char *);
/* This thread's request id, "" when it serves none. */
const char *log_request_id(void);

/*
 * A logfmt line (ts=... level=... key=value key="quoted \\" value") as one
 * JSON object in out (max bytes, at least 64; no NUL written), whatever
 * in holds: a value a client chose (a path) may hold quotes, backslashes
 * and control bytes.  Returns its length.  Text that is not key=value
 * goes into a "text" member; what does not fit is cut, the object closed.
 */
size_t	 log_to_json(const char *in, char *out, size_t max);

/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int	 log_level_parse(const char *);
const char *log_level_name(enum log_level);
void	 log_set_level(enum log_level);

/* Writes one line if level is at or above the current level. */
void	 log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
