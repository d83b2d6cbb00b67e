/* date.c: calendar dates in UTC, without timegm()'s silent normalising. */
#include <stdio.h>
#include <string.h>

#include "date.h"

int
date_days_in_month(int y, int m)
{
	static const int days[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);

	if (m < 1 || m > 12)
		return 0;
	return days[m - 1] + (m == 2 && leap);
}

int
date_valid(int y, int m, int d)
{
	return d >= 1 && d <= date_days_in_month(y, m);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
time_t
date_utc(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (time_t)(era * 146097 + doe - 719468) * DATE_DAY_SECS;
}

int
date_parse_ymd(const char *s, int ymin, int ymax, time_t *out)
{
	int v[3] = { 0, 0, 0 };

	if (strlen(s) != DATE_YMD_LEN || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0, j = 0; i < DATE_YMD_LEN; i++) {
		if (i == 4 || i == 7) {
			j++;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v[j] = v[j] * 10 + (s[i] - '0');
	}
	if (v[0] < ymin || v[0] > ymax || !date_valid(v[0], v[1], v[2]))
		return 0;
	*out = date_utc(v[0], v[1], v[2]);
	return 1;
}

/* Reads min to max digits at *p into *out; advances *p. */
static int
digits(const char **p, int min, int max, int *out)
{
	int v = 0, n = 0;

	while (n < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n < min || (**p >= '0' && **p <= '9'))
		return 0;
	*out = v;
	return 1;
}

int
date_parse_us_or_ymd(const char *s, int ymin, int ymax, time_t *out,
    char *why, size_t whysz)
{
	const char *p = s;
	int y, m, d;

	if (digits(&p, 4, 4, &y) && *p == '-') {
		p++;
		if (!digits(&p, 2, 2, &m) || *p++ != '-' ||
		    !digits(&p, 2, 2, &d) || *p != '\0')
			goto form;
	} else {
		p = s;
		if (!digits(&p, 1, 2, &m) || *p++ != '/' ||
		    !digits(&p, 1, 2, &d) || *p++ != '/' ||
		    !digits(&p, 4, 4, &y) || *p != '\0')
			goto form;
	}
	if (y < ymin || y > ymax)
		snprintf(why, whysz, "year %d is outside %d to %d", y, ymin,
		    ymax);
	else if (m < 1 || m > 12)
		snprintf(why, whysz, "there is no month %d", m);
	else if (!date_valid(y, m, d))
		snprintf(why, whysz, "%04d-%02d has %d days", y, m,
		    date_days_in_month(y, m));
	else {
		*out = date_utc(y, m, d);
		return 1;
	}
	return 0;
form:
	snprintf(why, whysz, "not a date MM/DD/YYYY or YYYY-MM-DD");
	return 0;
}

int
date_format_ymd(time_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%d", &tm) != DATE_YMD_LEN) {
		snprintf(buf, bufsz, "?");
		return 0;
	}
	return 1;
}
