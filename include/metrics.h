/*
 * metrics.h: the daemon's Prometheus counters and histograms, kept in
 * memory (docs/monitoring.md).  The code that counts pays one atomic add:
 * a series is found by a scan of a fixed table and created, under a lock,
 * only the first time its labels are seen.  Gauges that describe the
 * store (CRLs, issuers, pending requests) are read when /metrics is
 * scraped, by the handler (api_metrics.c), not kept here.
 */
#ifndef ESEAL_METRICS_H
#define ESEAL_METRICS_H

#include <stddef.h>
#include <stdio.h>

/* The counted families; names and help text in metrics.c. */
enum metric {
	M_ISSUED,		/* eseal_certificates_issued_total{issuer,profile} */
	M_ISSUE_FAIL,		/* eseal_issuance_failures_total{reason} */
	M_REVOKED,		/* eseal_revocations_total{issuer,reason} */
	M_OCSP,			/* eseal_ocsp_responses_total{status,cache} */
	M_HSM_ERRORS,		/* eseal_hsm_errors_total */
	M_HTTP,			/* eseal_http_requests_total{listener,route,code} */
	M_LOGIN_FAIL,		/* eseal_login_failures_total */
	M_HSM_SIGN,		/* eseal_hsm_sign_duration_seconds (histogram) */
	M_HTTP_DURATION,	/* eseal_http_request_duration_seconds{listener} */
	M_MAX
};

#define METRICS_SERIES_MAX	1024	/* series in all; more are dropped
					   (and counted in
					   eseal_metrics_series_dropped_total) */
#define METRICS_LABELS_MAX	192	/* one series' labels as text */

/*
 * Adds 1 to the series of family m with labels, Prometheus text
 * (name="value",...; "" for none), built by metrics_labels().
 */
void	metrics_inc(enum metric m, const char *labels);
/* One observation of seconds in the histogram family m. */
void	metrics_observe(enum metric m, const char *labels, double seconds);

/*
 * Writes labels to buf from NULL-terminated name, value pairs, each value
 * escaped (text format 0.0.4: backslash, quote, newline).  Returns buf.
 */
char	*metrics_labels(char *buf, size_t len, ...)
	    __attribute__((sentinel));

/* Writes every family (HELP, TYPE, samples) in text format 0.0.4. */
void	metrics_write(FILE *);
/* Writes HELP and TYPE of one gauge or counter read at scrape time. */
void	metrics_family(FILE *, const char *name, const char *type,
	    const char *help);

/* Monotonic seconds, for durations. */
double	metrics_now(void);

/* Forgets every series (tests). */
void	metrics_reset(void);

#endif
