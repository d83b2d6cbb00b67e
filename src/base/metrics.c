/*
 * metrics.c: counters and histograms for /metrics (metrics.h).  One fixed
 * table of series; a series is published by bumping the count of used
 * slots after it is filled, so the scan that finds one takes no lock.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

/* Histogram buckets, seconds: an HSM signature to a slow HTTP request. */
static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBUCKETS	(sizeof(buckets) / sizeof(buckets[0]))

static const struct {
	const char	*name;
	const char	*help;
	int		 histogram;
} families[M_MAX] = {
	[M_ISSUED] = { "eseal_certificates_issued_total",
	    "Certificates issued (signed and recorded).", 0 },
	[M_ISSUE_FAIL] = { "eseal_issuance_failures_total",
	    "Issuance requests refused or failed, by error code.", 0 },
	[M_REVOKED] = { "eseal_revocations_total",
	    "Revocations recorded (a reason raised to keyCompromise counts "
	    "again).", 0 },
	[M_OCSP] = { "eseal_ocsp_responses_total",
	    "OCSP responses sent, by response status and cache use.", 0 },
	[M_HSM_ERRORS] = { "eseal_hsm_errors_total",
	    "Signatures the HSM failed to make.", 0 },
	[M_HTTP] = { "eseal_http_requests_total",
	    "HTTP requests answered, by listener, route and status code.", 0 },
	[M_LOGIN_FAIL] = { "eseal_login_failures_total",
	    "Operator logins refused.", 0 },
	[M_HSM_SIGN] = { "eseal_hsm_sign_duration_seconds",
	    "Time the HSM took to make a signature.", 1 },
	[M_HTTP_DURATION] = { "eseal_http_request_duration_seconds",
	    "Time from a request's last byte to its response, by listener.",
	    1 },
};

struct series {
	enum metric		 m;
	char			 labels[METRICS_LABELS_MAX];
	_Atomic uint64_t	 count;
	_Atomic uint64_t	 bucket[NBUCKETS];
	_Atomic uint64_t	 sum_ns;
};

static struct series table[METRICS_SERIES_MAX];
static _Atomic size_t nused;
static _Atomic uint64_t dropped;
static pthread_mutex_t grow = PTHREAD_MUTEX_INITIALIZER;

static struct series *
find(enum metric m, const char *labels, size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (table[i].m == m && strcmp(table[i].labels, labels) == 0)
			return &table[i];
	return NULL;
}

/* The series of (m, labels), made if new; NULL when the table is full. */
static struct series *
series_get(enum metric m, const char *labels)
{
	size_t n = atomic_load_explicit(&nused, memory_order_acquire);
	struct series *s;

	if ((s = find(m, labels, n)) != NULL)
		return s;
	pthread_mutex_lock(&grow);
	n = atomic_load_explicit(&nused, memory_order_acquire);
	if ((s = find(m, labels, n)) == NULL && n < METRICS_SERIES_MAX &&
	    strlen(labels) < METRICS_LABELS_MAX) {
		s = &table[n];
		s->m = m;
		memcpy(s->labels, labels, strlen(labels) + 1);
		atomic_store_explicit(&nused, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&grow);
	if (s == NULL)
		atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
	return s;
}

void
metrics_inc(enum metric m, const char *labels)
{
	struct series *s;

	if (m < 0 || m >= M_MAX || (s = series_get(m, labels)) == NULL)
		return;
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

void
metrics_observe(enum metric m, const char *labels, double seconds)
{
	struct series *s;

	if (m < 0 || m >= M_MAX || (s = series_get(m, labels)) == NULL)
		return;
	if (seconds < 0)
		seconds = 0;
	for (size_t i = 0; i < NBUCKETS; i++)
		if (seconds <= buckets[i]) {
			atomic_fetch_add_explicit(&s->bucket[i], 1,
			    memory_order_relaxed);
			break;
		}
	atomic_fetch_add_explicit(&s->sum_ns, (uint64_t)(seconds * 1e9),
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

char *
metrics_labels(char *buf, size_t len, ...)
{
	const char *name, *v;
	size_t n = 0;
	va_list ap;

	buf[0] = '\0';
	va_start(ap, len);
	while ((name = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			v = "";
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s=\"",
		    n > 0 ? "," : "", name);
		for (; *v != '\0' && n + 3 < len; v++) {
			if (*v == '\\' || *v == '"' || *v == '\n')
				buf[n++] = '\\';
			buf[n++] = *v == '\n' ? 'n' : *v;
		}
		if (n + 2 < len) {
			buf[n++] = '"';
			buf[n] = '\0';
		}
		if (n >= len) {
			n = len - 1;
			break;
		}
	}
	va_end(ap);
	buf[n < len ? n : len - 1] = '\0';
	return buf;
}

void
metrics_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels,extra} or name{extra} or name{labels} or name. */
static void
sample(FILE *f, const char *name, const char *suffix, const char *labels,
    const char *extra, double v)
{
	int any = labels[0] != '\0' || extra[0] != '\0';

	fprintf(f, "%s%s%s%s%s%s%s %.17g\n", name, suffix, any ? "{" : "",
	    labels, labels[0] != '\0' && extra[0] != '\0' ? "," : "", extra,
	    any ? "}" : "", v);
}

static void
write_histogram(FILE *f, const char *name, const struct series *s)
{
	char le[32];
	uint64_t cum = 0;

	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += atomic_load_explicit(&s->bucket[i], memory_order_relaxed);
		snprintf(le, sizeof(le), "le=\"%g\"", buckets[i]);
		sample(f, name, "_bucket", s->labels, le, (double)cum);
	}
	sample(f, name, "_bucket", s->labels, "le=\"+Inf\"", (double)
	    atomic_load_explicit(&s->count, memory_order_relaxed));
	sample(f, name, "_sum", s->labels, "", (double)atomic_load_explicit(
	    &s->sum_ns, memory_order_relaxed) / 1e9);
	sample(f, name, "_count", s->labels, "", (double)atomic_load_explicit(
	    &s->count, memory_order_relaxed));
}

void
metrics_write(FILE *f)
{
	size_t n;

	/* Unlabelled counters exist from the start, at 0. */
	(void)series_get(M_HSM_ERRORS, "");
	(void)series_get(M_LOGIN_FAIL, "");
	(void)series_get(M_HSM_SIGN, "");
	n = atomic_load_explicit(&nused, memory_order_acquire);
	for (int m = 0; m < M_MAX; m++) {
		const char *name = families[m].name;

		metrics_family(f, name, families[m].histogram ? "histogram" :
		    "counter", families[m].help);
		for (size_t i = 0; i < n; i++) {
			if (table[i].m != (enum metric)m)
				continue;
			if (families[m].histogram)
				write_histogram(f, name, &table[i]);
			else
				sample(f, name, "", table[i].labels, "",
				    (double)atomic_load_explicit(
				    &table[i].count, memory_order_relaxed));
		}
	}
	metrics_family(f, "eseal_metrics_series_dropped_total", "counter",
	    "Counts not kept: the series table was full.");
	fprintf(f, "eseal_metrics_series_dropped_total %llu\n",
	    (unsigned long long)atomic_load_explicit(&dropped,
	    memory_order_relaxed));
}

double
metrics_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
metrics_reset(void)
{
	pthread_mutex_lock(&grow);
	atomic_store(&nused, 0);
	memset(table, 0, sizeof(table));
	atomic_store(&dropped, 0);
	pthread_mutex_unlock(&grow);
}
