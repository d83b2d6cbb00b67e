/*
 * api_metrics.c: GET /metrics, Prometheus text exposition format 0.0.4,
 * on the metrics listener only ([metrics] listen; docs/monitoring.md).
 * The counters kept in memory (metrics.h), then gauges read now: the CRL
 * of every shard as published, each issuer's notAfter, the HSM module's
 * CMVP status, pending enrolment requests, the audit log's length and
 * the OCSP response cache's own counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "http/api.h"
#include "http/api_publish.h"
#include "metrics.h"
#include "ocsp_cache.h"
#include "ocsp_presign.h"
#include "p11.h"
#include "store_enrol.h"
#include "store_ocsppre.h"

#ifndef ESEAL_VERSION
#define ESEAL_VERSION	"unknown"
#endif

/* One gauge sample: name{labels} value. */
static void
gauge(FILE *f, const char *name, const char *labels, double v)
{
	fprintf(f, "%s%s%s%s %.17g\n", name, labels[0] ? "{" : "", labels,
	    labels[0] ? "}" : "", v);
}

/* The CRL gauges of every shard, and each issuer's notAfter. */
static void
write_issuers(FILE *f, struct app *a)
{
	static const char *const fam[][3] = {
		{ "eseal_crl_last_signed_timestamp_seconds", "gauge",
		  "thisUpdate of the CRL published for the shard." },
		{ "eseal_crl_next_update_timestamp_seconds", "gauge",
		  "nextUpdate of the CRL published for the shard." },
		{ "eseal_crl_entries", "gauge",
		  "Revoked certificates listed on the shard's CRL." },
		{ "eseal_issuer_not_after_timestamp_seconds", "gauge",
		  "notAfter of the issuing CA certificate." },
	};
	struct store_issuer *v = NULL;
	struct published_crl c;
	char lab[METRICS_LABELS_MAX], shard[16];
	size_t n = 0;

	if (store_issuer_list(a->ca.store, &v, &n) != ESEAL_OK)
		n = 0;
	for (size_t k = 0; k < 4; k++) {
		metrics_family(f, fam[k][0], fam[k][1], fam[k][2]);
		for (size_t i = 0; i < n; i++) {
			if (k == 3) {
				gauge(f, fam[k][0], metrics_labels(lab,
				    sizeof(lab), "issuer", v[i].name, NULL),
				    (double)v[i].not_after);
				continue;
			}
			for (int s = 0; s < v[i].crl_shards; s++) {
				const unsigned char *p;
				X509_CRL *crl;
				double val;

				if (!publish_crl(a->publisher, v[i].name, s, &c))
					continue;
				snprintf(shard, sizeof(shard), "%d", s);
				metrics_labels(lab, sizeof(lab), "issuer",
				    v[i].name, "shard", shard, NULL);
				if (k == 0)
					val = (double)c.this_update;
				else if (k == 1)
					val = (double)c.next_update;
				else {
					p = c.der;
					crl = d2i_X509_CRL(NULL, &p, (long)c.len);
					val = crl && X509_CRL_get_REVOKED(crl) ?
					    sk_X509_REVOKED_num(
					    X509_CRL_get_REVOKED(crl)) : 0;
					X509_CRL_free(crl);
				}
				gauge(f, fam[k][0], lab, val);
				published_crl_clear(&c);
			}
		}
	}
	store_issuer_list_free(v, n);
}

/* The module's CMVP status as a state set, and build information. */
static void
write_module(FILE *f, struct app *a)
{
	struct fips_verdict v;
	struct p11_identity id;
	char lab[METRICS_LABELS_MAX], lib[48];
	int ok;

	metrics_family(f, "eseal_hsm_module_status", "gauge",
	    "1 for the HSM module's effective CMVP status, 0 for the others.");
	ca_rdlock(&a->ca);
	ok = ca_fips_verdict(&a->ca, time(NULL), &v) == ESEAL_OK;
	ca_unlock(&a->ca);
	for (int s = 0; ok && s < FIPS_STATUS_MAX; s++)
		gauge(f, "eseal_hsm_module_status", metrics_labels(lab,
		    sizeof(lab), "module", v.module, "status",
		    fips_status_name((enum fips_status)s), NULL),
		    s == (int)v.status ? 1 : 0);
	snprintf(lib, sizeof(lib), "unknown");
	if (a->ca.token != NULL && p11_identity(a->ca.token, &id) == ESEAL_OK)
		snprintf(lib, sizeof(lib), "%.32s %d.%d", id.lib_manufacturer,
		    id.lib_major, id.lib_minor);
	metrics_family(f, "eseal_build_info", "gauge",
	    "Always 1: the daemon's version, its OpenSSL and the PKCS#11 "
	    "library's manufacturer and version.");
	gauge(f, "eseal_build_info", metrics_labels(lab, sizeof(lab),
	    "version", ESEAL_VERSION, "openssl", OpenSSL_version(
	    OPENSSL_VERSION_STRING), "softhsm", lib, NULL), 1);
}

/* The OCSP response cache (ocsp_cache_stats): counted since start-up. */
static void
write_ocsp_cache(FILE *f)
{
	struct ocsp_cache_stats st;

	ocsp_cache_stats(&st);
	metrics_family(f, "eseal_ocsp_cache_evictions_total", "counter",
	    "OCSP responses dropped from the cache to make room.");
	fprintf(f, "eseal_ocsp_cache_evictions_total %llu\n",
	    (unsigned long long)st.evictions);
	metrics_family(f, "eseal_ocsp_cache_invalidations_total", "counter",
	    "OCSP responses dropped because their certificate was revoked.");
	fprintf(f, "eseal_ocsp_cache_invalidations_total %llu\n",
	    (unsigned long long)st.invalidations);
	metrics_family(f, "eseal_ocsp_cache_entries", "gauge",
	    "OCSP responses in the cache now.");
	fprintf(f, "eseal_ocsp_cache_entries %zu\n", st.entries);
}

/*
 * Presigned OCSP answers ([ocsp] presign): the presigner's counts since
 * start-up and, through the store's refresh_at index only, the answers
 * due now and how far behind the earliest is.
 */
static void
write_ocsp_presign(FILE *f, struct app *a)
{
	struct ocsp_presign_stats st;
	int64_t due = 0, earliest = 0, now = (int64_t)time(NULL);

	ocsp_presign_stats(&st);
	if (store_ocsppre_backlog(a->ca.store, now, &due, &earliest) !=
	    ESEAL_OK)
		due = earliest = 0;
	metrics_family(f, "eseal_ocsp_presign_signed_total", "counter",
	    "OCSP answers presigned and recorded.");
	fprintf(f, "eseal_ocsp_presign_signed_total %llu\n",
	    (unsigned long long)st.signed_n);
	metrics_family(f, "eseal_ocsp_presign_failures_total", "counter",
	    "OCSP answers that could not be presigned (see the log).");
	fprintf(f, "eseal_ocsp_presign_failures_total %llu\n",
	    (unsigned long long)st.failed);
	metrics_family(f, "eseal_ocsp_presign_due", "gauge",
	    "Presigned OCSP answers to be signed again now (invalidated by a "
	    "revocation, or past their refresh time).");
	fprintf(f, "eseal_ocsp_presign_due %lld\n", (long long)due);
	metrics_family(f, "eseal_ocsp_presign_lag_seconds", "gauge",
	    "How long the earliest presigned answer has been due (0: none "
	    "due).");
	fprintf(f, "eseal_ocsp_presign_lag_seconds %lld\n", (long long)(
	    earliest > 0 && earliest < now ? now - earliest : 0));
	metrics_family(f, "eseal_ocsp_presign_certificates", "gauge",
	    "Unexpired issued certificates with and without a presigned "
	    "answer at the end of the presigner's last full walk (those it "
	    "found without one and signed count as with one).");
	fprintf(f, "eseal_ocsp_presign_certificates{answer=\"yes\"} %zu\n",
	    st.covered);
	fprintf(f, "eseal_ocsp_presign_certificates{answer=\"no\"} %zu\n",
	    st.missing);
	metrics_family(f, "eseal_ocsp_presign_last_walk_timestamp_seconds",
	    "gauge", "When the presigner's walk last reached the last "
	    "certificate (0: not yet).");
	fprintf(f, "eseal_ocsp_presign_last_walk_timestamp_seconds %lld\n",
	    (long long)st.last_sweep);
}

/* Pending enrolment requests, the oldest one's age, the audit log. */
static void
write_queue(FILE *f, struct app *a)
{
	struct store_enrol_req *v = NULL;
	size_t n = 0;
	int64_t seq = 0, oldest = 0;
	unsigned char h[32];

	if (store_enrol_req_list(a->ca.store, "pending", &v, &n) != ESEAL_OK)
		n = 0;
	for (size_t i = 0; i < n; i++)
		if (oldest == 0 || v[i].created < oldest)
			oldest = v[i].created;
	store_enrol_req_list_free(v, n);
	metrics_family(f, "eseal_enrolment_requests_pending", "gauge",
	    "Enrolment requests waiting for an RA officer's decision.");
	fprintf(f, "eseal_enrolment_requests_pending %zu\n", n);
	metrics_family(f,
	    "eseal_enrolment_oldest_pending_created_timestamp_seconds",
	    "gauge", "When the oldest pending enrolment request was made (0: "
	    "none pending).");
	fprintf(f, "eseal_enrolment_oldest_pending_created_timestamp_seconds "
	    "%lld\n", (long long)oldest);
	if (store_audit_last(a->ca.store, &seq, h) != ESEAL_OK)
		seq = 0;
	metrics_family(f, "eseal_audit_records_total", "counter",
	    "Records in the hash-chained audit log.");
	fprintf(f, "eseal_audit_records_total %lld\n", (long long)seq);
}

void
api_metrics(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)req;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		http_error(resp, ESEAL_ENOMEM, "metrics: out of memory");
		return;
	}
	metrics_write(f);
	write_issuers(f, a);
	write_module(f, a);
	write_queue(f, a);
	write_ocsp_cache(f);
	write_ocsp_presign(f, a);
	if (fclose(f) != 0) {
		free(buf);
		http_error(resp, ESEAL_ENOMEM, "metrics: out of memory");
		return;
	}
	http_set_body_owned(resp, 200, "text/plain; version=0.0.4; "
	    "charset=utf-8", buf, len);
	http_add_header(resp, "Cache-Control", "no-store");
}
