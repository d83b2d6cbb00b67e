/*
 * log.h: leveled, structured log lines on stderr, key=value form:
 *   ts=2026-11-26T05:00:00Z level=info msg="listening" addr=127.0.0.1:8443
 * The message and the fields are given as one printf format.
 */
#ifndef ESEAL_LOG_H
#define ESEAL_LOG_H

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_MAX
};

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
