/*
 * date.h: calendar dates in UTC, as eseal-ca's configuration files and
 * imported CSVs write them ("YYYY-MM-DD", and the CMVP's "MM/DD/YYYY").  One place for the calendar
 * arithmetic, so 2030-02-30 is refused everywhere alike.
 */
#ifndef ESEAL_DATE_H
#define ESEAL_DATE_H

#include <stddef.h>
#include <time.h>

#define DATE_YMD_LEN	10	/* "YYYY-MM-DD" */
#define DATE_DAY_SECS	86400

/* Days in month m (1-12) of year y; 0 for a month that does not exist. */
int	date_days_in_month(int y, int m);

/* 1 if y-m-d is a real proleptic Gregorian date. */
int	date_valid(int y, int m, int d);

/* 00:00 UTC of a valid date. */
time_t	date_utc(int y, int m, int d);

/*
 * Parses exactly "YYYY-MM-DD", a real date with ymin <= YYYY <= ymax, into
 * 00:00 UTC of that day.  0 if s is anything else.
 */
int	date_parse_ymd(const char *s, int ymin, int ymax, time_t *out);

/*
 * Parses s, "YYYY-MM-DD" or "MM/DD/YYYY" as the CMVP site writes dates
 * (month and day may have one digit), a real date with ymin <= YYYY <=
 * ymax, into 00:00 UTC of that day.  0 if s is anything else, with why
 * saying what: "there is no month 13", "2026-02 has 28 days", ...
 */
int	date_parse_us_or_ymd(const char *s, int ymin, int ymax, time_t *out,
	    char *why, size_t whysz);

/* Writes "YYYY-MM-DD" of t (UTC); "?" and 0 if it cannot. */
int	date_format_ymd(time_t t, char *buf, size_t bufsz);

#endif
