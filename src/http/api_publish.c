/*
 * api_publish.c: health and CA certificates for relying parties, served
 * from memory.  The CA certificates come from the issuer cache (issuer.h),
 * which parsed them once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api_publish.h"
#include "issuer.h"
#include "log.h"
#include "profile.h"
#include "rotate.h"
#include "publish.h"
#include "store_backup.h"

#define CA_CERT_MAX_AGE	"public, max-age=3600"	/* CA certs change rarely */
#define PROBE_EVERY_SECS 1	/* /healthz writes its probe row at most this
				   often; calls between reuse the answer */
#define MIB		(1024 * 1024)

/* The last write probe, shared by the listeners' threads. */
static pthread_mutex_t probe_mu = PTHREAD_MUTEX_INITIALIZER;
static struct store_health probe_last;
static time_t probe_at;

static void
pub_free_array(struct pub_cert *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].der);
		free(p[i].pem);
	}
	free(p);
}

/* x as PEM (malloc'd), or NULL. */
static char *
pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long n;

	if (x != NULL && b != NULL && PEM_write_bio_X509(b, x) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0 &&
	    (pem = malloc((size_t)n + 1)) != NULL) {
		memcpy(pem, data, (size_t)n);
		pem[n] = '\0';
	}
	BIO_free(b);
	return pem;
}

char *
pem_from_der(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	char *pem = NULL;

	/* One certificate and nothing after it (RFC 5280 4.1). */
	if (x != NULL && p == der + len)
		pem = pem_of(x);
	X509_free(x);
	return pem;
}

struct pub_load {
	struct pub_cert	*p;
	size_t		 n, cap;
	enum eseal_rc	 rc;
};

/* Inside issuer_each: one CA certificate, parsed once by the issuer cache. */
static int
pub_add(const struct issuer *is, void *arg)
{
	struct pub_load *l = arg;
	struct pub_cert *c, *np;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? 4 : 2 * l->cap;
		if ((np = realloc(l->p, cap * sizeof(*np))) == NULL)
			goto nomem;
		l->p = np;
		l->cap = cap;
	}
	c = &l->p[l->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", is->rec.name);
	if ((c->der = malloc(is->rec.cert_len)) == NULL ||
	    (c->pem = pem_of(is->cert)) == NULL)
		goto nomem;
	memcpy(c->der, is->rec.cert, is->rec.cert_len);
	/* /ca/chain.pem: an external root's parents follow its issuer. */
	if (is->rec.chain != NULL) {
		size_t a = strlen(c->pem), b = strlen(is->rec.chain);
		char *pem = realloc(c->pem, a + b + 1);

		if (pem == NULL)
			goto nomem;
		memcpy(pem + a, is->rec.chain, b + 1);
		c->pem = pem;
	}
	c->der_len = is->rec.cert_len;
	return 0;
nomem:
	l->rc = eseal_err(ESEAL_ENOMEM, "publish: out of memory");
	return 1;
}

/*
 * The link certificates (docs/key-rotation.md) at /ca/NEW.by-OLD.crt:
 * issuer entries without PEM, so /ca/chain.pem leaves them out.
 */
static enum eseal_rc
pub_links(struct app *a, struct pub_load *l)
{
	struct store_issuer_link *v = NULL;
	struct issuer *sg = NULL, *sb = NULL;
	struct pub_cert *c, *np;
	size_t n = 0;
	enum eseal_rc rc;

	if ((rc = store_issuer_links(a->ca.store, &v, &n)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < n && rc == ESEAL_OK; i++) {
		if (issuer_by_id(&a->ca, v[i].signer_id, &sg) != ESEAL_OK ||
		    issuer_by_id(&a->ca, v[i].subject_id, &sb) != ESEAL_OK)
			goto next;
		if ((np = realloc(l->p, (l->n + 1) * sizeof(*np))) == NULL) {
			rc = eseal_err(ESEAL_ENOMEM, "publish: out of memory");
			goto next;
		}
		l->p = np;
		l->cap = l->n + 1;
		c = &l->p[l->n++];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s.by-%s", sb->rec.name,
		    sg->rec.name);
		c->der = v[i].cert;
		c->der_len = v[i].cert_len;
		v[i].cert = NULL;
next:
		issuer_free(sg);
		issuer_free(sb);
		sg = sb = NULL;
	}
	store_issuer_links_free(v, n);
	return rc;
}

enum eseal_rc
publish_load(struct app *a)
{
	struct pub_load l = { NULL, 0, 0, ESEAL_OK };
	struct pub_cert *old;
	char gen[sizeof(a->pub_gen)];
	size_t oldn;
	enum eseal_rc rc;

	if ((rc = store_issuer_generation(a->ca.store, gen, sizeof(gen)))
	    != ESEAL_OK)
		return rc;
	if ((rc = issuer_each(&a->ca, pub_add, &l)) == ESEAL_OK)
		rc = l.rc;
	if (rc == ESEAL_OK)
		rc = pub_links(a, &l);
	if (rc != ESEAL_OK) {
		pub_free_array(l.p, l.n);
		return rc;
	}
	pthread_rwlock_wrlock(&a->pub_lock);
	old = a->pub;
	oldn = a->npub;
	a->pub = l.p;
	a->npub = l.n;
	snprintf(a->pub_gen, sizeof(a->pub_gen), "%s", gen);
	pthread_rwlock_unlock(&a->pub_lock);
	pub_free_array(old, oldn);
	return ESEAL_OK;
}

void
publish_free(struct app *a)
{
	pub_free_array(a->pub, a->npub);
	a->pub = NULL;
	a->npub = 0;
}

/*
 * An issuer added or changed since the certificates were loaded (a
 * rotation by esealctl): load them again, so that /ca/ follows without a
 * restart.  A failure keeps what was served, logged.
 */
static void
pub_fresh(struct app *a)
{
	char gen[sizeof(a->pub_gen)];
	int same;

	if (store_issuer_generation(a->ca.store, gen, sizeof(gen)) != ESEAL_OK)
		return;
	pthread_rwlock_rdlock(&a->pub_lock);
	same = strcmp(gen, a->pub_gen) == 0;
	pthread_rwlock_unlock(&a->pub_lock);
	if (!same && publish_load(a) != ESEAL_OK)
		log_error("msg=\"reload of published objects failed\" "
		    "error=\"%s\"", eseal_errmsg());
}

void
api_ca_cert(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;

	pub_fresh(a);

	pthread_rwlock_rdlock(&a->pub_lock);
	for (size_t i = 0; i < a->npub; i++) {
		if (strcmp(a->pub[i].name, req->param) != 0)
			continue;
		http_set_body(resp, 200, "application/pkix-cert", a->pub[i].der,
		    a->pub[i].der_len);
		pthread_rwlock_unlock(&a->pub_lock);
		http_add_header(resp, "Cache-Control", CA_CERT_MAX_AGE);
		return;
	}
	pthread_rwlock_unlock(&a->pub_lock);
	http_error(resp, ESEAL_ENOTFOUND, "no issuer with that name");
}

void
api_ca_chain(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	size_t len = 0, off = 0;
	char *all;

	(void)req;
	pub_fresh(a);
	pthread_rwlock_rdlock(&a->pub_lock);
	for (size_t i = 0; i < a->npub; i++)
		len += a->pub[i].pem ? strlen(a->pub[i].pem) : 0;
	if ((all = malloc(len + 1)) != NULL) {
		for (size_t i = 0; i < a->npub; i++) {
			size_t l;

			if (a->pub[i].pem == NULL)
				continue;	/* a link certificate */
			l = strlen(a->pub[i].pem);
			memcpy(all + off, a->pub[i].pem, l);
			off += l;
		}
	}
	pthread_rwlock_unlock(&a->pub_lock);
	if (all == NULL) {
		http_error(resp, ESEAL_ENOMEM, "out of memory");
		return;
	}
	http_set_body(resp, 200, "application/pem-certificate-chain", all, off);
	http_add_header(resp, "Cache-Control", CA_CERT_MAX_AGE);
	free(all);
}

/* Adds one sentence to the reasons /healthz gives for not being ok. */
static void
add_reason(json_t *reasons, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_reason(json_t *reasons, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(reasons, json_string(buf));
}

/* One token's health: what the watcher last saw, a fault with its age. */
static json_t *
token_json(struct p11_token *tok, const char *name, const char *uri,
    int *up, json_t *reasons, time_t now)
{
	struct p11_health h;
	json_t *j;

	*up = tok != NULL && p11_alive(tok);
	memset(&h, 0, sizeof(h));
	if (tok != NULL)
		p11_health(tok, &h);
	else
		snprintf(h.reason, sizeof(h.reason), "not open");
	j = json_pack("{s:s, s:s}", "status", *up ? "ok" : "unavailable",
	    "token", uri);
	if (j == NULL)
		return NULL;
	if (!*up) {
		json_object_set_new(j, "fault", json_string(
		    p11_fault_name(h.fault)));
		json_object_set_new(j, "reason", json_string(h.reason));
		json_object_set_new(j, "down_seconds", json_integer(
		    h.down_since ? (json_int_t)(now - h.down_since) : 0));
		add_reason(reasons, "hsm%s%s: %s for %lld s, so nothing can be "
		    "issued or signed%s (%s)", name[0] && strcmp(name,
		    "default") ? " " : "", strcmp(name, "default") ? name : "",
		    p11_fault_name(h.fault), (long long)(h.down_since ? now -
		    h.down_since : 0), strcmp(name, "default") ? " with its "
		    "keys" : "", h.reason);
	}
	if (h.last_probe != 0)
		json_object_set_new(j, "last_probe_seconds", json_integer(
		    (json_int_t)(now - h.last_probe)));
	json_object_set_new(j, "recoveries", json_integer(
	    (json_int_t)h.recoveries));
	json_object_set_new(j, "name", json_string(name));
	return j;
}

/*
 * "hsm": the default token; "tokens": every token, the [hsm "NAME"] ones
 * after it.  *up: all of them usable.
 */
static json_t *
hsm_json(struct app *a, int *up, json_t *reasons, time_t now, json_t **all)
{
	const struct conf *c = a->ca.conf;
	json_t *j, *t;
	int u;

	j = token_json(a->ca.token, "default", c->hsm_token, up, reasons, now);
	if ((*all = json_array()) == NULL)
		return j;
	json_array_append(*all, j);
	for (int i = 0; i < a->ca.nnamed; i++) {
		t = token_json(a->ca.named[i], a->ca.named_name[i],
		    ca_token_uri(&a->ca, a->ca.named_name[i]), &u, reasons, now);
		json_array_append_new(*all, t);
		*up = *up && u;
	}
	return j;
}

/* "warnings": ahead of trouble (rotate_warnings), logged as well. */
static json_t *
warnings_json(struct app *a, time_t now)
{
	char w[ROTATE_WARN_MAX][ROTATE_WARN_LEN];
	json_t *arr;
	int n;

	if ((n = rotate_warnings(&a->ca, now, w)) == 0 ||
	    (arr = json_array()) == NULL)
		return NULL;
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_string(w[i]));
	return arr;
}

/*
 * "rebuilding": the shards whose CRL is being made while the last one is
 * served (after a start, the owed and stale ones), "issuer/shard".
 */
static json_t *
building_json(struct app *a)
{
	struct publish_owed *o = NULL;
	char name[STORE_NAME_MAX + 16];
	json_t *arr;
	size_t n = 0;

	if (publish_building(a->publisher, &o, &n) != ESEAL_OK ||
	    (arr = json_array()) == NULL) {
		free(o);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/%d", o[i].issuer, o[i].shard);
		json_array_append_new(arr, json_string(name));
	}
	free(o);
	return arr;
}

/* "crl": the shards whose CRL is owed, oldest revocation first. */
static json_t *
crl_json(struct app *a, int *late, json_t *reasons, time_t now)
{
	struct publish_owed *o = NULL;
	json_t *j, *arr;
	size_t n = 0;
	int64_t age;

	*late = 0;
	if ((arr = json_array()) == NULL)
		return NULL;
	if (publish_owed(a->publisher, &o, &n) != ESEAL_OK)
		add_reason(reasons, "crl: %s", eseal_errmsg());
	for (size_t i = 0; i < n; i++) {
		age = o[i].since ? (int64_t)(now - o[i].since) : 0;
		j = json_pack("{s:s, s:i, s:I, s:I, s:i}", "issuer",
		    o[i].issuer, "shard", o[i].shard, "revocations",
		    (json_int_t)o[i].count, "owed_seconds", (json_int_t)age,
		    "failed_attempts", o[i].attempts);
		if (j != NULL && o[i].error[0] != '\0')
			json_object_set_new(j, "error", json_string(
			    o[i].error));
		json_array_append_new(arr, j);
		if (age > PUBLISH_OWED_LATE_SECS || o[i].attempts > 0) {
			*late = 1;
			add_reason(reasons, "crl: %s/%d owed for %lld s "
			    "(%lld revocations, %d failed signings)%s%s",
			    o[i].issuer, o[i].shard, (long long)age,
			    (long long)o[i].count, o[i].attempts,
			    o[i].error[0] ? ": " : "", o[i].error);
		}
	}
	free(o);
	return json_pack("{s:o, s:o*}", "owed", arr, "rebuilding",
	    building_json(a));
}

/* The store's health, probed at most every PROBE_EVERY_SECS. */
static void
store_health_now(struct app *a, time_t now, struct store_health *h)
{
	pthread_mutex_lock(&probe_mu);
	if (probe_at == 0 || now - probe_at >= PROBE_EVERY_SECS ||
	    now < probe_at) {
		(void)store_probe(a->ca.store, (int64_t)now, &probe_last);
		probe_at = now;
	}
	*h = probe_last;
	pthread_mutex_unlock(&probe_mu);
}

/*
 * "store": readable (*ok), writable (*writable: the probe committed) and
 * with room ([store] min_free_mb; *low when below it).
 */
static json_t *
store_json(struct app *a, int *ok, int *writable, int *low, json_t *reasons,
    time_t now)
{
	struct store_health h;
	int64_t min = (int64_t)a->ca.conf->store_min_free_mb * MIB;
	json_t *j;

	*ok = store_issuer_count(a->ca.store) >= 0;
	if (!*ok)
		add_reason(reasons, "store: %s", eseal_errmsg());
	store_health_now(a, now, &h);
	*writable = h.writable;
	*low = h.free_bytes >= 0 && h.free_bytes < min;
	if (*ok && !*writable)
		add_reason(reasons, "store: cannot write, so nothing can be "
		    "issued or revoked (%s)", h.error);
	if (*low)
		add_reason(reasons, "store: %lld MiB free on its filesystem, "
		    "below [store] min_free_mb = %d", (long long)(h.free_bytes /
		    MIB), a->ca.conf->store_min_free_mb);
	j = json_pack("{s:s, s:i, s:b}", "status", !*ok ? "unavailable" :
	    !*writable ? "unwritable" : *low ? "low_space" : "ok",
	    "schema_version", store_schema_version(a->ca.store),
	    "writable", *writable);
	if (j != NULL && h.free_bytes >= 0)
		json_object_set_new(j, "free_mb", json_integer(
		    (json_int_t)(h.free_bytes / MIB)));
	if (j != NULL && !*writable)
		json_object_set_new(j, "error", json_string(h.error));
	return j;
}

/*
 * "backup": the last good backup's age; *old when it is older than
 * [backup] max_age (or there is none), which makes /healthz degraded.
 * NULL (no "backup" member) when neither max_age nor interval is set.
 */
static json_t *
backup_json(struct app *a, int *old, json_t *reasons, time_t now)
{
	int64_t last = 0, age;
	int max = a->ca.conf->backup_max_age;

	*old = 0;
	if (max <= 0 && a->ca.conf->backup_interval <= 0)
		return NULL;
	if (store_backup_last_ok(a->ca.store, &last) != ESEAL_OK) {
		add_reason(reasons, "backup: %s", eseal_errmsg());
		return NULL;
	}
	age = last ? (int64_t)now - last : -1;
	if (max > 0 && (last == 0 || age > max)) {
		*old = 1;
		if (last == 0)
			add_reason(reasons, "backup: no good backup yet "
			    "([backup] max_age = %d s; docs/disaster-recovery.md)",
			    max);
		else
			add_reason(reasons, "backup: the last good backup is "
			    "%lld s old, older than [backup] max_age = %d s",
			    (long long)age, max);
	}
	return json_pack("{s:s, s:I, s:I}", "status", *old ? "old" : "ok",
	    "last_ok", (json_int_t)last, "age_seconds", (json_int_t)age);
}

/*
 * GET /healthz: "ok"; "degraded" with its reasons (the HSM down, a CRL
 * owed too long, an HSM module not Active, the store unable to write or
 * short of space, the last good backup older than [backup] max_age); "unavailable" when the store cannot be read.  HTTP 503
 * when the CA can neither issue nor sign status (the store is down or
 * cannot write, the HSM is down), so that load balancers notice; 200
 * otherwise.
 */
void
api_healthz(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct app *a = arg;
	struct fips_verdict v;
	json_t *j, *mod = NULL, *hsm, *crl, *st, *reasons = json_array();
	json_t *tokens = NULL, *warn;
	time_t now = time(NULL);
	char *s;
	json_t *bk;
	int store_ok, wr, low, hsm_ok, late, up, degraded = 0, bold;

	(void)req;
	st = store_json(a, &store_ok, &wr, &low, reasons, now);
	bk = backup_json(a, &bold, reasons, now);
	hsm = hsm_json(a, &hsm_ok, reasons, now, &tokens);
	crl = crl_json(a, &late, reasons, now);
	warn = warnings_json(a, now);
	ca_rdlock(&a->ca);
	if (a->ca.token != NULL && ca_fips_verdict(&a->ca, now, &v)
	    == ESEAL_OK) {
		degraded = v.degraded;
		mod = json_pack("{s:s, s:s, s:s}", "status",
		    fips_status_name(v.status), "reason", v.reason, "module",
		    v.module);
		if (mod != NULL && (v.status == FIPS_HISTORICAL ||
		    v.status == FIPS_REVOKED))
			/* The command is in "warnings" (rotate_warnings). */
			json_object_set_new(mod, "action", json_string(
			    "rotate issuer keys to an Active module"));
		if (v.degraded)
			add_reason(reasons, "hsm_module: %s: %s",
			    fips_status_name(v.status), v.reason);
	}
	j = json_pack("{s:s, s:o*, s:o*, s:o?, s:o?, s:o?, s:o?, s:o?, s:I}",
	    "status", !store_ok ? "unavailable" :
	    !hsm_ok || !wr || low || degraded || late || bold ? "degraded" :
	    "ok",
	    "reasons", json_array_size(reasons) > 0 ? json_incref(reasons) :
	    NULL,
	    "warnings", warn,
	    "store", st,
	    "hsm", hsm,
	    "tokens", tokens,
	    "hsm_module", mod,
	    "crl", crl,
	    "uptime_seconds", (json_int_t)(now - a->started));
	ca_unlock(&a->ca);
	if (j != NULL && bk != NULL)
		json_object_set_new(j, "backup", bk);
	else
		json_decref(bk);
	json_decref(reasons);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL) {
		http_error(resp, ESEAL_ENOMEM, "out of memory");
		return;
	}
	up = store_ok && wr && hsm_ok;
	http_set_body(resp, up ? 200 : 503, "application/json", s, strlen(s));
	http_add_header(resp, "Cache-Control", "no-store");
	if (!up)
		http_add_header(resp, "Retry-After", "5");
	free(s);
}

static void
http_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void
api_crl(void *arg, const struct http_request *req, struct http_response *resp)
{
	struct app *a = arg;
	struct published_crl c;
	char issuer[STORE_NAME_MAX], date[64], cc[64];
	const char *slash = strchr(req->param, '/'), *inm, *ims;
	size_t il = slash ? (size_t)(slash - req->param) : 0;
	char *end;
	long shard;
	int delta;
	time_t now = time(NULL);

	/* {issuer}/{shard}.crl, both plain. */
	if (slash == NULL || il == 0 || il >= sizeof(issuer) ||
	    strlen(slash + 1) < 5 || strcmp(slash + strlen(slash) - 4,
	    ".crl") != 0) {
		http_error(resp, ESEAL_ENOTFOUND, "no such CRL");
		return;
	}
	memcpy(issuer, req->param, il);
	issuer[il] = '\0';
	shard = strtol(slash + 1, &end, 10);
	/* {shard}-delta.crl: its delta CRL (RFC 5280 5.2.4), if made. */
	delta = strcmp(end, PROFILE_DELTA_SUFFIX) == 0;
	if (slash[1] < '0' || slash[1] > '9' || (strcmp(end, ".crl") != 0 &&
	    !delta) || shard < 0 || shard > 255 ||
	    !(delta ? publish_delta_crl : publish_crl)(a->publisher, issuer,
	    (int)shard, &c)) {
		http_error(resp, ESEAL_ENOTFOUND, "no such CRL");
		return;
	}
	inm = http_header(req, "If-None-Match");
	ims = http_header(req, "If-Modified-Since");
	http_date(c.this_update, date, sizeof(date));
	if ((inm != NULL && strcmp(inm, c.etag) == 0) ||
	    (inm == NULL && ims != NULL && strcmp(ims, date) == 0))
		http_set_body(resp, 304, NULL, NULL, 0);
	else {
		/* The copy publish_crl() made is the response body. */
		http_set_body_owned(resp, 200, "application/pkix-crl", c.der,
		    c.len);
		c.der = NULL;
	}
	http_add_header(resp, "ETag", c.etag);
	http_add_header(resp, "Last-Modified", date);
	/* Caches may keep it until nextUpdate, never past it. */
	snprintf(cc, sizeof(cc), "public, max-age=%ld, no-transform",
	    (long)(c.next_update > now ? c.next_update - now : 0));
	http_add_header(resp, "Cache-Control", cc);
	http_date(c.next_update, date, sizeof(date));
	http_add_header(resp, "Expires", date);
	published_crl_clear(&c);
}
