/*
 * eseald: the CA daemon.  Reads the config, opens the store and the token,
 * finishes pending issuances left by a crash, publishes the CA certificates
 * from memory and serves HTTPS until SIGTERM or SIGINT.  Exits only at
 * start-up or on those signals.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "checkpoint.h"
#include "backup.h"
#include "enrol_issue.h"
#include "http/api.h"
#include "http/api_publish.h"
#include "http.h"
#include "issue.h"
#include "log.h"
#include "ocsp_cache.h"
#include "ocsp_presign.h"
#include "profile.h"
#include "publish.h"
#include "svc.h"
#include "rotate.h"

#define DEFAULT_CONFIG	"/etc/eseal/eseald.conf"
#define TICK_SECS	1	/* the main loop's upkeep round */
#define CHECKPOINT_SECS	60	/* PRAGMA wal_checkpoint(TRUNCATE) this often */
#define STATUS_SECS	30	/* systemd STATUS= refreshed this often */
#define MALLOC_ARENAS	1	/* glibc arenas: one per HTTP thread let freed
				   memory scatter and RSS creep (issue 12
				   item 8, docs/operations.md); tcache keeps
				   the threads from contending */

#define PUBLIC_ROUTES \
	{ "GET", "/ca/chain.pem", NULL, api_ca_chain, HTTP_R_PUBLIC }, \
	{ "GET", "/ca/", ".crt", api_ca_cert, HTTP_R_PUBLIC }, \
	{ "GET", "/crl/", NULL, api_crl, HTTP_R_PUBLIC | HTTP_R_REST }, \
	{ "POST", "/ocsp", NULL, api_ocsp_post, HTTP_R_PUBLIC }, \
	{ "GET", "/ocsp/", NULL, api_ocsp_get, HTTP_R_PUBLIC | HTTP_R_REST }

/* The API listener (HTTPS). */
static const struct http_route routes[] = {
	{ "GET", "/healthz", NULL, api_healthz, HTTP_R_PUBLIC },
	PUBLIC_ROUTES,
	{ "GET", "/disclosure/current", NULL, api_disclosure, HTTP_R_PUBLIC },
	{ "POST", "/api/v1/session", NULL, api_session_login, HTTP_R_LIMITED },
	{ "DELETE", "/api/v1/session", NULL, api_session_logout, 0 },
	{ "POST", "/api/v1/session/password", NULL, api_session_password,
	  HTTP_R_LIMITED },
	{ "POST", "/api/v1/organizations", NULL, api_org_create, 0 },
	{ "POST", "/api/v1/organizations/", "/enrolment-codes", api_org_code,
	  0 },
	{ "POST", "/api/v1/enrolments", NULL, api_enrol_create,
	  HTTP_R_LIMITED | HTTP_R_PUBLIC },
	{ "GET", "/api/v1/enrolments/", "", api_enrol_get,
	  HTTP_R_LIMITED | HTTP_R_PUBLIC },
	{ "GET", "/api/v1/requests", NULL, api_requests_list, 0 },
	{ "POST", "/api/v1/requests/", "/approve", api_request_approve, 0 },
	{ "POST", "/api/v1/requests/", "/reject", api_request_reject, 0 },
	{ "GET", "/api/v1/certificates/", "", api_cert_get, HTTP_R_PUBLIC },
	{ "POST", "/api/v1/certificates/", "/revoke", api_cert_revoke,
	  HTTP_R_LIMITED | HTTP_R_PUBLIC },
	{ "GET", "/api/v1/organizations", NULL, api_orgs_list, 0 },
	{ "GET", "/api/v1/certificates", NULL, api_certs_search, 0 },
	{ "GET", "/api/v1/status", NULL, api_status, 0 },
	{ "GET", "/console", NULL, api_console_redirect, 0 },
	{ "GET", "/console/", NULL, api_console_index, 0 },
	{ "GET", "/console/", NULL, api_console_file, HTTP_R_REST },
	{ "POST", "/api/v1/operations", NULL, api_op_propose, 0 },
	{ "GET", "/api/v1/operations", NULL, api_op_list, 0 },
	{ "POST", "/api/v1/operations/", "/approve", api_op_approve, 0 },
	{ "POST", "/api/v1/operations/", "/reject", api_op_reject, 0 },
	{ "POST", "/api/v1/session/totp", NULL, api_session_totp,
	  HTTP_R_LIMITED },
	{ "GET", "/api/v1/audit", NULL, api_audit_list, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};

/* The metrics listener (plain HTTP, [metrics] listen): Prometheus. */
static const struct http_route metrics_routes[] = {
	{ "GET", "/metrics", NULL, api_metrics, HTTP_R_PUBLIC },
	{ NULL, NULL, NULL, NULL, 0 },
};

/* The publication listener (plain HTTP): relying parties only. */
static const struct http_route publish_routes[] = {
	PUBLIC_ROUTES,
	{ NULL, NULL, NULL, NULL, 0 },
};

static int	security_apply(struct app *, const struct conf *);

/* Start-up and reload: say loudly when the HSM module is not Active. */
static void
warn_fips(struct ca *ca)
{
	struct fips_verdict v;

	ca_rdlock(ca);
	if (ca_fips_verdict(ca, time(NULL), &v) != ESEAL_OK)
		log_error("msg=\"cannot read the HSM identity\" error=\"%s\"",
		    eseal_errmsg());
	else if (v.warn)
		log_warn("msg=\"HSM module is not Active\" module=\"%s\" "
		    "status=\"%s\" reason=\"%s\"%s", v.module,
		    fips_status_name(v.status), v.reason,
		    v.status == FIPS_HISTORICAL || v.status == FIPS_REVOKED ?
		    " action=\"rotate issuer keys to an Active module\"" : "");
	ca_unlock(ca);
	rotate_log_warnings(ca, time(NULL));
}

/* 1 if a and b name the same [hsm "NAME"] tokens, in the same order. */
static int
same_tokens(const struct conf *a, const struct conf *b)
{
	if (a->hsm_nnamed != b->hsm_nnamed)
		return 0;
	for (int i = 0; i < a->hsm_nnamed; i++)
		if (strcmp(a->hsm_named[i].name, b->hsm_named[i].name) != 0 ||
		    strcmp(a->hsm_named[i].module, b->hsm_named[i].module) != 0 ||
		    strcmp(a->hsm_named[i].token, b->hsm_named[i].token) != 0)
			return 0;
	return 1;
}

/* Start-up: say loudly which profile values are still examples. */
static void
warn_example(const char *line)
{
	log_warn("msg=\"example value in a certificate profile: replace it "
	    "before production (docs/profile.md)\" %s", line);
}

/*
 * SIGHUP: re-reads the config, the crypto policy and the HSM module
 * registry; a file with errors is refused and the old state kept.  Settings
 * that need new sockets or a new store or token take effect at restart.
 * Old configs stay allocated (handlers may hold them) until exit.
 */
static void
reload(struct app *a, const char *path, struct conf ***old, size_t *nold)
{
	struct conf *c, **v;
	const struct conf *cur = a->ca.conf;

	if (conf_load(path, &c) != ESEAL_OK) {
		log_error("msg=\"reload refused, keeping the old config\" "
		    "error=\"%s\"", eseal_errmsg());
		(void)audit_append(a->ca.store, time(NULL), "system",
		    "config.reload.refuse", path, "error=\"%s\"", eseal_errmsg());
		return;
	}
	if (ca_reload(&a->ca, c) != ESEAL_OK) {
		log_error("msg=\"reload refused, keeping the old config\" "
		    "error=\"%s\"", eseal_errmsg());
		(void)audit_append(a->ca.store, time(NULL), "system",
		    "config.reload.refuse", path, "error=\"%s\"", eseal_errmsg());
		conf_free(c);
		return;
	}
	(void)audit_append(a->ca.store, time(NULL), "system", "config.reload",
	    path, "registry=%s policy=%s secure_zone=\"%s\" "
	    "trusted_proxies=\"%s\"", c->hsm_registry, c->issue_crypto_policy,
	    c->sec_secure_zone, c->sec_trusted_proxies);
	(void)security_apply(a, c);
	if ((v = realloc(*old, (*nold + 1) * sizeof(*v))) != NULL) {
		*old = v;
		v[(*nold)++] = c;
	}
	log_set_level((enum log_level)c->log_level);
	log_set_format((enum log_format)c->log_format);
	if (strcmp(c->metrics_listen, cur->metrics_listen) != 0 ||
	    strcmp(c->http_listen, cur->http_listen) != 0 ||
	    strcmp(c->http_tls_cert, cur->http_tls_cert) != 0 ||
	    strcmp(c->http_tls_key, cur->http_tls_key) != 0 ||
	    strcmp(c->store_path, cur->store_path) != 0 ||
	    strcmp(c->hsm_module, cur->hsm_module) != 0 ||
	    strcmp(c->hsm_token, cur->hsm_token) != 0 ||
	    !same_tokens(c, cur))
		log_warn("msg=\"listener, TLS, store or token settings changed: "
		    "they take effect at restart\"");
	if (publish_load(a) != ESEAL_OK)
		log_error("msg=\"reload of published objects failed\" "
		    "error=\"%s\"", eseal_errmsg());
	/* [ocsp] may have changed: answers are signed afresh. */
	ocsp_cache_clear();
	log_info("msg=\"reloaded\" config=%s registry=%s policy=%s ocsp_signer=%s "
	    "ocsp_validity_secs=%d", path, c->hsm_registry,
	    c->issue_crypto_policy, c->ocsp_delegated ? "delegated" : "issuer",
	    c->ocsp_validity_secs);
	warn_fips(&a->ca);
}

static void
usage(void)
{
	fprintf(stderr, "usage: eseald [--config FILE] [--user NAME]\n"
	    "       eseald --print-routes\n");
	exit(2);
}

/*
 * --print-routes: the API listener's route table, one "METHOD PATTERN" a
 * line ({} one path segment, {rest} any), for the authorization matrix
 * test (tests/integration/t_authz.sh) and for operators.
 */
static void
print_routes(void)
{
	for (const struct http_route *r = routes; r->method != NULL; r++)
		printf("%s %s%s%s\n", r->method, r->prefix,
		    r->flags & HTTP_R_REST ? "{rest}" : r->suffix != NULL ?
		    "{}" : "", r->suffix != NULL ? r->suffix : "");
	exit(0);
}

/*
 * [security]: the secure zone and trusted proxies (http_zone_set), the
 * roles that need a second factor inside the zone too, and the key of
 * the TOTP secrets.  At start-up and on SIGHUP; a key file that cannot
 * be read leaves everything as it was.  Returns 0, or 1 logged.
 */
static int
security_apply(struct app *a, const struct conf *c)
{
	struct totp_key key;

	memset(&key, 0, sizeof(key));
	if (c->sec_totp_key_file[0] != '\0' &&
	    totp_key_load(c->sec_totp_key_file, &key) != ESEAL_OK) {
		log_error("msg=\"[security] not applied\" error=\"%s\"",
		    eseal_errmsg());
		return 1;
	}
	if (http_zone_set(c->sec_secure_zone, c->sec_trusted_proxies) !=
	    ESEAL_OK) {
		log_error("msg=\"[security] not applied\" error=\"%s\"",
		    eseal_errmsg());
		sodium_memzero(&key, sizeof(key));
		return 1;
	}
	pthread_mutex_lock(&a->sec_mu);
	a->totp = key;
	a->require_roles = (unsigned)c->sec_require_roles;
	pthread_mutex_unlock(&a->sec_mu);
	sodium_memzero(&key, sizeof(key));
	log_info("msg=\"secure zone\" secure_zone=\"%s\" trusted_proxies=\"%s\" "
	    "totp=%s", c->sec_secure_zone, c->sec_trusted_proxies,
	    c->sec_totp_key_file[0] != '\0' ? "on" : "off");
	return 0;
}

/* What the daemon holds from start-up to exit. */
struct daemon {
	const char		*config;	/* --config FILE */
	const char		*user_name;	/* --user NAME, or NULL */
	struct svc_user		 user;		/* whom to become after
						   binding and opening */
	int			 fds[SVC_LISTENER_MAX];	/* systemd's */
	struct conf		*conf;		/* as loaded at start-up */
	struct conf		**old;		/* replaced by SIGHUP, kept */
	size_t			 nold;
	struct app		 app;
	struct http_server	*api;		/* the API listener (HTTPS) */
	struct http_server	*pub;		/* the publication listener */
	struct http_server	*met;		/* the metrics listener */
	struct backup_sched	*backup;	/* [backup] interval */
	struct ocsp_presigner	*presign;	/* [ocsp] presign */
	sigset_t		 signals;	/* taken by sigwait() only */
};

/*
 * The command line, then the signals: SIGTERM, SIGINT and SIGHUP are
 * blocked in every thread and taken by sigwait() in daemon_loop; SIGPIPE
 * is ignored.  Exits 2 on a usage error.
 */
static void
daemon_args(int argc, char **argv, struct daemon *d)
{
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 ||
		    strcmp(argv[i], "-c") == 0) && i + 1 < argc)
			d->config = argv[++i];
		else if (strcmp(argv[i], "--print-routes") == 0)
			print_routes();
		else if ((strcmp(argv[i], "--user") == 0 ||
		    strcmp(argv[i], "-u") == 0) && i + 1 < argc)
			d->user_name = argv[++i];
		else
			usage();
	}
	sigemptyset(&d->signals);
	sigaddset(&d->signals, SIGTERM);
	sigaddset(&d->signals, SIGINT);
	sigaddset(&d->signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &d->signals, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Loads the config and sets the log level.  Returns 0, or 1 logged. */
static int
daemon_load_config(struct daemon *d)
{
	if (conf_load(d->config, &d->conf) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	log_set_level((enum log_level)d->conf->log_level);
	log_set_format((enum log_format)d->conf->log_format);
	return 0;
}

/*
 * Resume, don't wait: finishes the pending certificates and the approved
 * enrolment requests left behind for longer than grace seconds (a crash,
 * a killed esealctl, the HSM's trouble).  Logged.
 */
static void
daemon_resume(struct ca *ca, time_t now, int64_t grace)
{
	struct enrol_resume r;

	if (enrol_issue_resume(ca, (int64_t)now, grace, &r) != ESEAL_OK)
		log_warn("msg=\"work left behind not finished yet\" "
		    "error=\"%s\"", eseal_errmsg());
	if (r.finished + r.failed + r.issued + r.refused > 0)
		log_info("msg=\"resumed work left behind\" finished=%d "
		    "failed=%d enrolments_issued=%d enrolments_failed=%d",
		    r.finished, r.failed, r.issued, r.refused);
}

/*
 * Start-up: seal the audit records an earlier run wrote while the HSM was
 * away (docs/security.md, "Records written while the HSM is away").
 */
static void
daemon_seal_audit(struct ca *ca)
{
	int64_t n;

	if (audit_seal_owed(ca->store, time(NULL), 1, &n) != ESEAL_OK)
		log_warn("msg=\"audit: cannot seal earlier unsealed records "
		    "now; the next start tries again\" error=\"%s\"",
		    eseal_errmsg());
}

/*
 * Opens the store and the token, then finishes the issuances a crash left
 * pending and the approved enrolment requests it left without a
 * certificate.  Returns 0, or 1 logged; daemon_stop undoes it either way.
 */
static int
daemon_open(struct daemon *d)
{
	struct app *a = &d->app;

	memset(a, 0, sizeof(*a));
	a->conf = d->conf;
	a->started = time(NULL);
	pthread_rwlock_init(&a->pub_lock, NULL);
	pthread_mutex_init(&a->sec_mu, NULL);
	if (ca_open(d->conf, 1, &a->ca) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	/* Older than what was published: reconcile first (backup.h). */
	if (backup_check_published(a->ca.store, d->conf->publish_dir)
	    != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	/* Sign test on a schedule; reload after a fault (docs/operations.md). */
	if (p11_watch(a->ca.token, 0, 0) != ESEAL_OK)
		log_warn("msg=\"HSM not watched\" error=\"%s\"", eseal_errmsg());
	for (int i = 0; i < d->conf->hsm_nnamed; i++)
		if (p11_watch(a->ca.named[i], 0, 0) != ESEAL_OK)
			log_warn("msg=\"HSM not watched\" token=%s error=\"%s\"",
			    d->conf->hsm_named[i].name, eseal_errmsg());
	daemon_resume(&a->ca, time(NULL), 0);
	daemon_seal_audit(&a->ca);
	return 0;
}

/*
 * Loads what the daemon serves from memory (CA certificates and CRLs, the
 * disclosure statement) and starts the publisher thread.  Returns 0, or 1
 * logged.
 */
static int
daemon_publish(struct daemon *d)
{
	const struct conf *c = d->conf;
	struct app *a = &d->app;
	struct publish_config pc;

	if (publish_load(a) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	if (a->npub == 0)
		log_warn("msg=\"no issuer yet: run esealctl init\"");
	warn_fips(&a->ca);
	profile_example_warnings(c->issue_profiles_dir, c->publish_base_url,
	    warn_example);
	account_params_conf(&a->acct, c);
	a->code_ttl = c->enrol_code_ttl;
	if (security_apply(a, c) != 0)
		return 1;
	if (disclosure_load(c->enrol_disclosure_dir, &a->disclosure)
	    != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	memset(&pc, 0, sizeof(pc));
	pc.dir = c->publish_dir;
	pc.crl_validity = (int64_t)c->publish_crl_hours * 3600;
	pc.drop_expired = !c->publish_expired_on_crl;
	if (publish_start(&a->ca, &pc, &a->publisher) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	/* Presigned OCSP answers, while [ocsp] presign = on (ocsp_presign.h). */
	if (ocsp_presign_start(&a->ca, &d->presign) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	/* Scheduled backups on a thread of their own (backup.h). */
	if (backup_sched_start(&a->ca, &d->backup) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	return 0;
}

/* http_start() of one listener: 0, or 1 logged. */
static int
daemon_start(const struct http_config *hc, const struct http_route *rt,
    struct daemon *d, struct http_server **out)
{
	if (http_start(hc, rt, &d->app, out) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	return 0;
}

/*
 * Starts the publication listener (plain HTTP), if [publish] listen is
 * set, then the API listener (HTTPS): once the API's /healthz answers, the
 * relying parties' routes are up too (a health check or a test that waits
 * for /healthz and then fetches a CRL never finds the port closed).
 * Returns 0, or 1 logged.
 */
static int
daemon_listen(struct daemon *d)
{
	const struct conf *c = d->conf;
	struct http_config hc, pc;

	memset(&hc, 0, sizeof(hc));
	hc.listen = c->http_listen;
	hc.tls_cert = c->http_tls_cert;
	hc.tls_key = c->http_tls_key;
	hc.tls_priorities = c->http_tls_priorities;
	hc.client_ca = c->http_client_ca;
	hc.mtls = (enum http_mtls)c->http_mtls;
	hc.body_max = (size_t)c->http_body_max;
	hc.header_max = (size_t)c->http_header_max;
	hc.timeout = (unsigned)c->http_timeout;
	hc.conn_max = (unsigned)c->http_conn_max;
	hc.conn_per_ip = (unsigned)c->http_conn_per_ip;
	hc.threads = (unsigned)c->http_threads;
	hc.rate = c->http_rate;
	hc.burst = c->http_burst;
	hc.retry_locked = (unsigned)c->acct_lock_secs;
	hc.name = "api";
	hc.fd = d->fds[SVC_API];
	if (hc.tls_cert[0] == '\0' || hc.tls_key[0] == '\0') {
		log_error("msg=\"cannot start\" error=\"[http] tls_cert and "
		    "tls_key are required: the API listener is HTTPS only\"");
		return 1;
	}
	if (c->publish_listen[0] == '\0' && d->fds[SVC_PUBLISH] < 0)
		return daemon_start(&hc, routes, d, &d->api);
	pc = hc;
	pc.fd = d->fds[SVC_PUBLISH];
	pc.listen = c->publish_listen;
	pc.tls_cert = pc.tls_key = pc.client_ca = NULL;
	pc.mtls = HTTP_MTLS_OFF;
	/*
	 * Relying parties behind one NAT or CDN address share it: the
	 * publication listener keeps only the total limit.
	 */
	pc.conn_per_ip = (unsigned)c->http_conn_max;
	pc.name = "publish";
	if (daemon_start(&pc, publish_routes, d, &d->pub) != 0)
		return 1;
	return daemon_start(&hc, routes, d, &d->api);
}

/*
 * [metrics] listen, if set: plain HTTP with GET /metrics only, meant for
 * 127.0.0.1 or a monitoring network (docs/monitoring.md).  0, or 1 logged.
 */
static int
daemon_listen_metrics(struct daemon *d)
{
	const struct conf *c = d->conf;
	struct http_config mc;

	if (c->metrics_listen[0] == '\0' && d->fds[SVC_METRICS] < 0)
		return 0;
	memset(&mc, 0, sizeof(mc));
	mc.fd = d->fds[SVC_METRICS];
	mc.listen = c->metrics_listen;
	mc.timeout = (unsigned)c->http_timeout;
	mc.conn_max = 16;
	mc.conn_per_ip = 16;
	mc.name = "metrics";
	if (http_start(&mc, metrics_routes, &d->app, &d->met) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	return 0;
}

/*
 * Under a service manager, before anything is opened: the user of --user
 * looked up, the sockets systemd passed taken.  Root without --user is
 * refused, unless ESEAL_DEV_ROOT=1 says this is a development or test run
 * in a directory of its own (docs/operations.md).  0, or 1 logged.
 */
static int
daemon_service(struct daemon *d)
{
	if (d->user_name != NULL &&
	    svc_user_lookup(d->user_name, &d->user) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	if (d->user_name == NULL && geteuid() == 0) {
		const char *dev = getenv("ESEAL_DEV_ROOT");

		if (dev == NULL || strcmp(dev, "1") != 0) {
			log_error("msg=\"cannot start\" error=\"running as "
			    "root: start eseald with --user NAME (it drops to "
			    "that user after binding its sockets and opening "
			    "the HSM and the store) or as the systemd service, "
			    "which runs it as eseal (docs/operations.md); "
			    "ESEAL_DEV_ROOT=1 keeps root for a development or "
			    "test run\"");
			return 1;
		}
		log_warn("msg=\"running as root (ESEAL_DEV_ROOT=1): a "
		    "development or test run; production uses --user NAME or "
		    "the systemd service (docs/operations.md)\"");
	}
	if (svc_listen_fds(d->fds) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	return 0;
}

/*
 * systemd's STATUS= line: issuers, the HSM module's CMVP status, CRLs
 * owed; with READY=1 when ready (start-up, the end of a reload).
 */
static void
daemon_notify(struct daemon *d, int ready)
{
	struct app *a = &d->app;
	struct publish_owed *o = NULL;
	struct fips_verdict v;
	char status[256];
	size_t nowed = 0;
	const char *mod = "unknown";

	ca_rdlock(&a->ca);
	if (ca_fips_verdict(&a->ca, time(NULL), &v) == ESEAL_OK)
		mod = fips_status_name(v.status);
	ca_unlock(&a->ca);
	if (publish_owed(a->publisher, &o, &nowed) != ESEAL_OK)
		nowed = 0;
	free(o);
	pthread_rwlock_rdlock(&a->pub_lock);
	snprintf(status, sizeof(status), "serving: %zu issuer(s), HSM module "
	    "%s, CRLs %s%zu owed", a->npub, mod, nowed ? "" : "fresh, ",
	    nowed);
	pthread_rwlock_unlock(&a->pub_lock);
	if (ready)
		svc_notify_ready(status);
	else
		svc_notify_status(status);
}

/*
 * Everything is open and every listener serves: drop root's privileges
 * for --user, then tell systemd.  0, or 1 logged.
 */
static int
daemon_ready(struct daemon *d)
{
	if (svc_drop(&d->user) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	daemon_notify(d, 1);
	return 0;
}

/* When daemon_tick last did each of its jobs. */
struct upkeep {
	time_t	checkpoint;
	time_t	resume;
	time_t	status;		/* systemd STATUS= */
	struct checkpoint_sched audit;	/* signed audit checkpoints */
};

/* 1 (and *last set to now) if every seconds have passed since *last. */
static int
due_now(time_t *last, time_t now, time_t every)
{
	if (now - *last < every && now >= *last)
		return 0;
	*last = now;
	return 1;
}

/*
 * Upkeep on the main loop's tick: the WAL is truncated every
 * CHECKPOINT_SECS, so that it stays bounded however busy the readers;
 * work left behind is resumed every ENROL_RESUME_EVERY_SECS.
 */
static void
daemon_tick(struct daemon *d, time_t now, struct upkeep *u)
{
	if (due_now(&u->resume, now, ENROL_RESUME_EVERY_SECS))
		daemon_resume(&d->app.ca, now, ENROL_RESUME_GRACE_SECS);
	if (due_now(&u->status, now, STATUS_SECS))
		daemon_notify(d, 0);
	checkpoint_tick(&d->app.ca, now, &u->audit);
	if (!due_now(&u->checkpoint, now, CHECKPOINT_SECS))
		return;
	if (store_checkpoint(d->app.ca.store) != ESEAL_OK)
		log_warn("msg=\"WAL checkpoint failed\" error=\"%s\"",
		    eseal_errmsg());
}

/* Serves until SIGTERM or SIGINT; SIGHUP reloads; upkeep every tick. */
static void
daemon_loop(struct daemon *d)
{
	const struct conf *c = d->conf;
	struct timespec tick = { TICK_SECS, 0 };
	struct upkeep u = { time(NULL), time(NULL), time(NULL),
	    { 0, 0, 0, 0 } };
	uint64_t wd = svc_watchdog_usec();
	int sig;

	/* WATCHDOG=1 every half WatchdogSec: the tick is at most that. */
	if (wd > 0 && wd / 2 < (uint64_t)TICK_SECS * 1000000) {
		tick.tv_sec = 0;
		tick.tv_nsec = (long)(wd / 2) * 1000;
	}

	log_info("msg=started pid=%ld ocsp_signer=%s ocsp_validity_secs=%d "
	    "ocsp_presign=%s", (long)getpid(), c->ocsp_delegated ?
	    "delegated" : "issuer", c->ocsp_validity_secs, c->ocsp_presign ?
	    "on" : "off");
	for (;;) {
		svc_watchdog();
		if ((sig = sigtimedwait(&d->signals, NULL, &tick)) == -1) {
			daemon_tick(d, time(NULL), &u);
			continue;
		}
		if (sig == SIGHUP) {
			svc_notify_reloading();
			reload(&d->app, d->config, &d->old, &d->nold);
			daemon_notify(d, 1);
			continue;
		}
		log_info("msg=\"shutting down\" signal=%s", sig == SIGTERM ?
		    "SIGTERM" : "SIGINT");
		svc_notify_stopping();
		break;
	}
}

/*
 * Stops the listeners and the publisher, then closes and frees everything
 * daemon_open and what followed it made, whichever step failed.
 */
static void
daemon_stop(struct daemon *d)
{
	http_stop(d->met);
	http_stop(d->pub);
	http_stop(d->api);
	backup_sched_stop(d->backup);
	ocsp_presign_stop(d->presign);
	publish_stop(d->app.publisher);
	ocsp_cache_clear();
	disclosure_free(d->app.disclosure);
	publish_free(&d->app);
	ca_close(&d->app.ca);
	pthread_rwlock_destroy(&d->app.pub_lock);
	conf_free(d->conf);
	for (size_t i = 0; i < d->nold; i++)
		conf_free(d->old[i]);
	free(d->old);
}

int
main(int argc, char **argv)
{
	struct daemon d;
	int ret = 1;

	/* Before any thread: an operator's MALLOC_ARENA_MAX wins. */
	if (getenv("MALLOC_ARENA_MAX") == NULL)
		mallopt(M_ARENA_MAX, MALLOC_ARENAS);
	memset(&d, 0, sizeof(d));
	d.config = DEFAULT_CONFIG;
	daemon_args(argc, argv, &d);
	for (int i = 0; i < SVC_LISTENER_MAX; i++)
		d.fds[i] = -1;
	if (daemon_load_config(&d) != 0 || daemon_service(&d) != 0) {
		conf_free(d.conf);
		return 1;
	}
	if (daemon_open(&d) == 0 && daemon_publish(&d) == 0 &&
	    daemon_listen(&d) == 0 && daemon_listen_metrics(&d) == 0 &&
	    daemon_ready(&d) == 0) {
		daemon_loop(&d);
		ret = 0;
	}
	daemon_stop(&d);
	if (ret == 0)
		log_info("msg=stopped");
	return ret;
}
