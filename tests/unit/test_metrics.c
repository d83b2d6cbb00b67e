/*
 * test_metrics.c: the counters behind /metrics (metrics.c): text format
 * 0.0.4 as written (HELP, TYPE, samples, escaped label values), histogram
 * buckets cumulative with +Inf, _sum and _count, counts from many threads
 * all kept, a full series table counted as dropped; and the JSON log
 * format (log.c) with the request id on every line of a thread.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "testutil.h"

/* What metrics_write() writes now. */
static char *
written(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	metrics_write(f);
	fclose(f);
	return buf;
}

START_TEST(counter_text)
{
	char lab[METRICS_LABELS_MAX], *s;

	metrics_reset();
	metrics_inc(M_ISSUED, metrics_labels(lab, sizeof(lab), "issuer",
	    "it-ca", "profile", "eseal", NULL));
	metrics_inc(M_ISSUED, lab);
	metrics_inc(M_ISSUE_FAIL, metrics_labels(lab, sizeof(lab), "reason",
	    "a \"quoted\\\" line\nbreak", NULL));
	s = written();
	ck_assert_ptr_nonnull(strstr(s, "# HELP eseal_certificates_issued_total "));
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE eseal_certificates_issued_total counter\n"));
	ck_assert_ptr_nonnull(strstr(s, "\neseal_certificates_issued_total"
	    "{issuer=\"it-ca\",profile=\"eseal\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "\neseal_issuance_failures_total"
	    "{reason=\"a \\\"quoted\\\\\\\" line\\nbreak\"} 1\n"));
	/* Unlabelled counters are there at 0 before anything happened. */
	ck_assert_ptr_nonnull(strstr(s, "\neseal_hsm_errors_total 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "\neseal_login_failures_total 0\n"));
	free(s);
}
END_TEST

START_TEST(histogram_text)
{
	char *s;

	metrics_reset();
	metrics_observe(M_HSM_SIGN, "", 0.003);
	metrics_observe(M_HSM_SIGN, "", 0.2);
	metrics_observe(M_HSM_SIGN, "", 60);
	s = written();
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE eseal_hsm_sign_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "eseal_hsm_sign_duration_seconds_bucket{le=\"0.0025\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "eseal_hsm_sign_duration_seconds_bucket{le=\"0.005\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "eseal_hsm_sign_duration_seconds_bucket{le=\"0.25\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "eseal_hsm_sign_duration_seconds_bucket{le=\"10\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "eseal_hsm_sign_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "eseal_hsm_sign_duration_seconds_count 3\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "eseal_hsm_sign_duration_seconds_sum 60.203"));
	free(s);
	metrics_observe(M_HTTP_DURATION, "listener=\"api\"", 0.01);
	s = written();
	ck_assert_ptr_nonnull(strstr(s, "eseal_http_request_duration_seconds_"
	    "bucket{listener=\"api\",le=\"0.01\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "eseal_http_request_duration_seconds_"
	    "count{listener=\"api\"} 1\n"));
	free(s);
}
END_TEST

#define THREADS	4
#define PER	20000

static void *
hammer(void *arg)
{
	char lab[METRICS_LABELS_MAX];

	snprintf(lab, sizeof(lab), "code=\"%d\"", (int)(long)arg % 2);
	for (int i = 0; i < PER; i++)
		metrics_inc(M_HTTP, lab);
	return NULL;
}

START_TEST(threads_count_all)
{
	pthread_t t[THREADS];
	char *s;

	metrics_reset();
	for (long i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer,
		    (void *)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	s = written();
	ck_assert_ptr_nonnull(strstr(s,
	    "eseal_http_requests_total{code=\"0\"} 40000\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "eseal_http_requests_total{code=\"1\"} 40000\n"));
	/* One series per label set, however many threads made it. */
	ck_assert_ptr_null(strstr(strstr(s, "{code=\"0\"}") + 1,
	    "{code=\"0\"}"));
	free(s);
}
END_TEST

START_TEST(table_full)
{
	char lab[METRICS_LABELS_MAX], *s;

	metrics_reset();
	for (int i = 0; i < METRICS_SERIES_MAX + 5; i++) {
		snprintf(lab, sizeof(lab), "n=\"%d\"", i);
		metrics_inc(M_REVOKED, lab);
	}
	s = written();
	/* The 3 unlabelled series take room too: 8 or more were dropped. */
	ck_assert_ptr_nonnull(strstr(s, "eseal_revocations_total{n=\"0\"} 1\n"));
	ck_assert_ptr_null(strstr(s, "{n=\"1030\"}"));
	ck_assert_ptr_nonnull(strstr(s, "eseal_metrics_series_dropped_total "));
	ck_assert_ptr_null(strstr(s, "eseal_metrics_series_dropped_total 0\n"));
	free(s);
}
END_TEST

/* What log_msg() wrote to stderr while fn ran. */
static char *
logged(void (*fn)(void))
{
	static char buf[8192];
	int p[2], saved = dup(2);
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	dup2(p[1], 2);
	fn();
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
log_two(void)
{
	log_set_format(LOG_FORMAT_JSON);
	log_set_request_id("00aa11bb22cc33dd");
	log_info("msg=\"certificate revoked\" serial=0a1b reason=superseded "
	    "n=42 path=\"/a \\\"b\\\"\"");
	log_set_request_id(NULL);
	log_warn("msg=plain free text after");
	log_set_format(LOG_FORMAT_LOGFMT);
	log_info("msg=again n=1");
}

START_TEST(log_json)
{
	char *s = logged(log_two), *l2, *l3;

	l2 = strchr(s, '\n');
	ck_assert_ptr_nonnull(l2);
	*l2++ = '\0';
	ck_assert_ptr_nonnull(strstr(s, "{\"ts\":\""));
	ck_assert_ptr_nonnull(strstr(s, "\"level\":\"info\",\"msg\":"
	    "\"certificate revoked\",\"serial\":\"0a1b\",\"reason\":"
	    "\"superseded\",\"n\":42,\"path\":\"/a \\\"b\\\"\",\"rid\":"
	    "\"00aa11bb22cc33dd\"}"));
	l3 = strchr(l2, '\n');
	ck_assert_ptr_nonnull(l3);
	*l3++ = '\0';
	/* No request any more: no rid. */
	ck_assert_ptr_nonnull(strstr(l2, "\"level\":\"warn\",\"msg\":\"plain\","
	    "\"text\":\"free text after\"}"));
	ck_assert_ptr_null(strstr(l2, "rid"));
	ck_assert_ptr_nonnull(strstr(l3, " level=info msg=again n=1\n"));
	ck_assert_str_eq(log_request_id(), "");
}
END_TEST

/* Values a client chose: quotes, backslashes, control and non-UTF-8 bytes. */
START_TEST(log_json_hostile)
{
	char out[256];
	size_t n;

	n = log_to_json("path=\"/a\\\"b\001\300\257\342\202\254\" x=1",
	    out, sizeof(out));
	out[n] = '\0';
	ck_assert_str_eq(out, "{\"path\":\"/a\\\"b\\u0001??\342\202\254\","
	    "\"x\":1}");
	/* Cut to the size given, and still one object. */
	n = log_to_json("msg=\"a very long message that does not fit in "
	    "sixty-four bytes at all, not even close\" k=v", out, 64);
	ck_assert_uint_le(n, 64);
	ck_assert_int_eq(out[0], '{');
	ck_assert_int_eq(out[n - 1], '}');
	ck_assert_int_eq(out[n - 2], '"');
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, counter_text);
	tcase_add_test(tc, histogram_text);
	tcase_add_test(tc, threads_count_all);
	tcase_add_test(tc, table_full);
	tcase_add_test(tc, log_json);
	tcase_add_test(tc, log_json_hostile);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
