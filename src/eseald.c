/*
 * eseald: the CA daemon.  Reads the config, opens the store and the token,
 * finishes pending issuances left by a crash, publishes the CA certificates
 * from memory and serves HTTPS until SIGTERM or SIGINT.  Exits only at
 * start-up or on those signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/api.h"
#include "http/api_publish.h"
#include "http.h"
#include "issue.h"
#include "log.h"
#include "ocsp_cache.h"
#include "publish.h"

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
	{ NULL, NULL, NULL, NULL, 0 },
};

/* The publication listener (plain HTTP): relying parties only. */
static const struct http_route publish_routes[] = {
	PUBLIC_ROUTES,
	{ NULL, NULL, NULL, NULL, 0 },
};

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
		return;
	}
	if (ca_reload(&a->ca, c) != ESEAL_OK) {
		log_error("msg=\"reload refused, keeping the old config\" "
		    "error=\"%s\"", eseal_errmsg());
		conf_free(c);
		return;
	}
	if ((v = realloc(*old, (*nold + 1) * sizeof(*v))) != NULL) {
		*old = v;
		v[(*nold)++] = c;
	}
	log_set_level((enum log_level)c->log_level);
	if (strcmp(c->http_listen, cur->http_listen) != 0 ||
	    strcmp(c->http_tls_cert, cur->http_tls_cert) != 0 ||
	    strcmp(c->http_tls_key, cur->http_tls_key) != 0 ||
	    strcmp(c->store_path, cur->store_path) != 0 ||
	    strcmp(c->hsm_module, cur->hsm_module) != 0 ||
	    strcmp(c->hsm_token, cur->hsm_token) != 0)
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
	fprintf(stderr, "usage: eseald [--config FILE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *config = "/etc/eseal/eseald.conf";
	struct http_config hc;
	struct http_server *srv = NULL, *pub = NULL;
	struct conf *c = NULL;
	struct app app;
	struct publish_config pc0;
	struct conf **old = NULL;
	size_t nold = 0;
	sigset_t set;
	int sig, fin, fl, ret = 1;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 ||
		    strcmp(argv[i], "-c") == 0) && i + 1 < argc)
			config = argv[++i];
		else
			usage();
	}
	/* Signals are taken by sigwait() below, in this thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (conf_load(config, &c) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		return 1;
	}
	log_set_level((enum log_level)c->log_level);
	memset(&app, 0, sizeof(app));
	app.conf = c;
	app.started = time(NULL);
	pthread_rwlock_init(&app.pub_lock, NULL);
	if (ca_open(c, 1, &app.ca) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		goto out;
	}
	/* Sign test on a schedule; reload after a fault (docs/operations.md). */
	if (p11_watch(app.ca.token, 0, 0) != ESEAL_OK)
		log_warn("msg=\"HSM not watched\" error=\"%s\"", eseal_errmsg());
	if (issue_recover(&app.ca, time(NULL), &fin, &fl) != ESEAL_OK)
		log_warn("msg=\"pending certificates not finished\" "
		    "error=\"%s\"", eseal_errmsg());
	else if (fin + fl > 0)
		log_info("msg=\"recovered pending certificates\" finished=%d "
		    "failed=%d", fin, fl);
	if (publish_load(&app) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		goto out;
	}
	if (app.npub == 0)
		log_warn("msg=\"no issuer yet: run esealctl init\"");
	warn_fips(&app.ca);
	account_params_conf(&app.acct, c);
	app.code_ttl = c->enrol_code_ttl;
	if (disclosure_load(c->enrol_disclosure_dir, &app.disclosure)
	    != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		goto out;
	}
	memset(&pc0, 0, sizeof(pc0));
	pc0.dir = c->publish_dir;
	pc0.crl_validity = (int64_t)c->publish_crl_hours * 3600;
	pc0.drop_expired = !c->publish_expired_on_crl;
	if (publish_start(&app.ca, &pc0, &app.publisher) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		goto out;
	}

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
	hc.rate = c->http_rate;
	hc.burst = c->http_burst;
	if (hc.tls_cert[0] == '\0' || hc.tls_key[0] == '\0') {
		log_error("msg=\"cannot start\" error=\"[http] tls_cert and "
		    "tls_key are required: the API listener is HTTPS only\"");
		goto out;
	}
	if (http_start(&hc, routes, &app, &srv) != ESEAL_OK) {
		log_error("msg=\"cannot start\" error=\"%s\"", eseal_errmsg());
		goto out;
	}
	if (c->publish_listen[0] != '\0') {
		struct http_config pc = hc;

		pc.listen = c->publish_listen;
		pc.tls_cert = pc.tls_key = pc.client_ca = NULL;
		pc.mtls = HTTP_MTLS_OFF;
		/*
		 * Relying parties behind one NAT or CDN address share it: the
		 * publication listener keeps only the total limit.
		 */
		pc.conn_per_ip = (unsigned)c->http_conn_max;
		if (http_start(&pc, publish_routes, &app, &pub) != ESEAL_OK) {
			log_error("msg=\"cannot start\" error=\"%s\"",
			    eseal_errmsg());
			goto out;
		}
	}
	log_info("msg=started pid=%ld ocsp_signer=%s ocsp_validity_secs=%d",
	    (long)getpid(), c->ocsp_delegated ? "delegated" : "issuer",
	    c->ocsp_validity_secs);

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(&app, config, &old, &nold);
			continue;
		}
		log_info("msg=\"shutting down\" signal=%s", sig == SIGTERM ?
		    "SIGTERM" : "SIGINT");
		break;
	}
	ret = 0;
out:
	http_stop(pub);
	http_stop(srv);
	publish_stop(app.publisher);
	ocsp_cache_clear();
	disclosure_free(app.disclosure);
	publish_free(&app);
	ca_close(&app.ca);
	pthread_rwlock_destroy(&app.pub_lock);
	conf_free(c);
	for (size_t i = 0; i < nold; i++)
		conf_free(old[i]);
	free(old);
	if (ret == 0)
		log_info("msg=stopped");
	return ret;
}
