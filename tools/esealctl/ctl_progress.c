/*
 * ctl_progress.c: the progress line of long esealctl commands (ctl.h):
 * count, rate and ETA on standard error, redrawn in place at most ten
 * times a second, only when standard output and standard error are both
 * a terminal and --quiet was not given; nothing at all otherwise, so
 * scripts and pipes see only the command's own output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define PROGRESS_EVERY	0.1	/* seconds between redraws */

int ctl_quiet;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
ctl_progress_start(struct ctl_progress *p, const char *what)
{
	p->what = what;
	p->on = !ctl_quiet && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
	p->t0 = now_s();
	p->last = 0;
	p->drawn = 0;
	p->done = p->total = 0;
}

/* "1:05" or "2:03:04". */
static void
hms(double secs, char *buf, size_t len)
{
	long s = secs < 0 ? 0 : (long)(secs + 0.5);

	if (s >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

static void
draw(struct ctl_progress *p, double t)
{
	double el = t - p->t0, rate = el > 0 ? (double)p->done / el : 0;
	char eta[32];

	if (p->total > 0 && rate > 0)
		hms((double)(p->total - p->done) / rate, eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "?");
	if (p->total > 0)
		fprintf(stderr, "\r\033[K%s: %lld/%lld (%d%%), %.0f/s, ETA %s",
		    p->what, (long long)p->done, (long long)p->total,
		    (int)(100 * p->done / p->total), rate, eta);
	else
		fprintf(stderr, "\r\033[K%s: %lld, %.0f/s", p->what,
		    (long long)p->done, rate);
	fflush(stderr);
	p->drawn = 1;
	p->last = t;
}

void
ctl_progress(void *arg, int64_t done, int64_t total)
{
	struct ctl_progress *p = arg;
	double t;

	p->done = done;
	p->total = total;
	if (!p->on)
		return;
	t = now_s();
	if (t - p->last >= PROGRESS_EVERY || (total > 0 && done == total))
		draw(p, t);
}

void
ctl_progress_end(struct ctl_progress *p)
{
	double el;
	char took[32];

	if (!p->on || !p->drawn)
		return;
	el = now_s() - p->t0;
	hms(el, took, sizeof(took));
	fprintf(stderr, "\r\033[K%s: %lld done in %s (%.0f/s)\n", p->what,
	    (long long)p->done, took, el > 0 ? (double)p->done / el : 0);
}

void
ctl_progress_clear(struct ctl_progress *p)
{
	if (p->on && p->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		p->last = 0;	/* redrawn at the next step */
	}
}

void
ctl_progress_print(struct ctl_progress *p, const char *fmt, ...)
{
	va_list ap;

	ctl_progress_clear(p);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}
