/*
 * http.c: libmicrohttpd glue.  Per connection: a context allocated on the
 * first call, the body gathered (bounded) over the next calls, then one
 * route lookup and one handler call on the last.  TLS versions are limited
 * by a GnuTLS priority string.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/rand.h>

#include "audit.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

#define HTTP_PEM_MAX	(256 * 1024)	/* TLS certificate or key file */
#define HTTP_RETRY_UNAVAILABLE 30	/* Retry-After of a 503, s: the HSM or
					   the store is expected back soon */
#define HTTP_RETRY_LIMIT_MAX 3600	/* longest rate-limit Retry-After, s */

/* One token bucket per client address. */
struct rate_slot {
	char		 addr[HTTP_ADDR_MAX];
	double		 tokens;
	double		 last;		/* seconds, monotonic */
};

struct http_server {
	struct MHD_Daemon	*mhd;
	const struct http_route	*routes;
	void			*app;
	size_t			 body_max;
	enum http_mtls		 mtls;
	int			 tls;
	double			 rate, burst;
	unsigned		 retry_locked;	/* Retry-After of a handler's 429 */
	pthread_mutex_t		 rate_mu;
	struct rate_slot	*slots;		/* HTTP_RATE_SLOTS */
	char			*cert, *key, *trust;	/* PEM, kept for MHD */
	const char		*name;		/* listener, in metrics */
};

struct conn_ctx {
	unsigned char	*body;
	size_t		 len;
	int		 too_big;
	char		 rid[17];	/* request id, hex */
};

/* The one map from the core's errors to HTTP status (ARCHITECTURE.md). */
int
http_status_for(enum eseal_rc rc)
{
	switch (rc) {
	case ESEAL_OK:		return MHD_HTTP_OK;
	case ESEAL_EINVAL:	return MHD_HTTP_BAD_REQUEST;
	case ESEAL_EPOLICY:	return MHD_HTTP_UNPROCESSABLE_CONTENT;
	case ESEAL_ENOTFOUND:	return MHD_HTTP_NOT_FOUND;
	case ESEAL_EEXIST:	return MHD_HTTP_CONFLICT;
	case ESEAL_EHSM:	return MHD_HTTP_SERVICE_UNAVAILABLE;
	case ESEAL_ESTORE:	return MHD_HTTP_SERVICE_UNAVAILABLE;
	case ESEAL_EAUTH:	return MHD_HTTP_UNAUTHORIZED;
	case ESEAL_EFORBIDDEN:	return MHD_HTTP_FORBIDDEN;
	case ESEAL_ETOOMANY:	return MHD_HTTP_TOO_MANY_REQUESTS;
	case ESEAL_ETOOLARGE:	return MHD_HTTP_CONTENT_TOO_LARGE;
	case ESEAL_EMEDIATYPE:	return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
	case ESEAL_EMETHOD:	return MHD_HTTP_METHOD_NOT_ALLOWED;
	case ESEAL_ENOACK:	return MHD_HTTP_UNPROCESSABLE_CONTENT;
	case ESEAL_ESTALE:	return MHD_HTTP_UNPROCESSABLE_CONTENT;
	case ESEAL_ECONF:
	case ESEAL_ENOMEM:
	case ESEAL_EINTERNAL:
	case ESEAL_RC_MAX:
	default:		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

void
http_set_body(struct http_response *r, int status, const char *content_type,
    const void *body, size_t len)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->status = status;
	r->content_type = content_type;
	if (len > 0 && (r->body = malloc(len)) != NULL) {
		memcpy(r->body, body, len);
		r->body_len = len;
	} else if (len > 0)
		r->status = http_status_for(ESEAL_ENOMEM);
}

void
http_set_body_owned(struct http_response *r, int status,
    const char *content_type, void *body, size_t len)
{
	free(r->body);
	r->status = status;
	r->content_type = content_type;
	r->body = body;
	r->body_len = body != NULL ? len : 0;
}

void
http_error(struct http_response *r, enum eseal_rc rc, const char *msg)
{
	int status = http_status_for(rc);
	json_t *j;
	char *s;

	j = json_pack("{s:s, s:s}", "error", eseal_rcname(rc), "message",
	    msg ? msg : eseal_errmsg());
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL) {
		http_set_body(r, http_status_for(ESEAL_ENOMEM), "text/plain",
		    "out of memory\n", 14);
		return;
	}
	http_set_body(r, status, "application/json", s, strlen(s));
	free(s);
}

void
http_add_header(struct http_response *r, const char *name, const char *value)
{
	if (r->nhdr >= HTTP_MAX_HEADERS)
		return;
	if ((r->hdr_value[r->nhdr] = strdup(value)) == NULL)
		return;
	r->hdr_name[r->nhdr++] = name;
}

const char *
http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

#define HTTP_JSON_DEPTH	16	/* deeper bodies are refused */
#define HTTP_JSON_DEPTH_S "16"	/* the same, for messages */

json_t *
http_json_parse(const unsigned char *body, size_t len, char *msg,
    size_t msglen)
{
	json_error_t e;
	json_t *j;
	size_t n = 0;

	/* Bounded nesting, before jansson recurses. */
	for (size_t i = 0, d = 0; i < len; i++) {
		if (body[i] == '{' || body[i] == '[')
			d++;
		if (d > n)
			n = d;
		if (body[i] == '}' || body[i] == ']')
			d = d > 0 ? d - 1 : 0;
	}
	if (n > HTTP_JSON_DEPTH) {
		snprintf(msg, msglen, "RFC 8259 9: JSON nested more than "
		    HTTP_JSON_DEPTH_S " deep");
		return NULL;
	}
	/* Only whitespace (RFC 8259 2) or nothing: jansson's words for it
	 * ("wrong arguments") would tell a client nothing. */
	for (n = 0; n < len && body[n] != '\0' && strchr(" \t\r\n",
	    body[n]) != NULL; n++)
		;
	if (n == len) {
		snprintf(msg, msglen, "RFC 8259 2: the body is empty: this "
		    "request takes a JSON object ({} at the least)");
		return NULL;
	}
	j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		/* jansson quotes the offending bytes: no control byte of the
		 * client's reaches a log line or a terminal. */
		for (char *p = e.text; *p != '\0'; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				*p = '?';
		snprintf(msg, msglen, "RFC 8259: the body is not valid JSON "
		    "(line %d, column %d: %.120s)", e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(msg, msglen, "RFC 8259: the body is JSON but not an "
		    "object: this request takes {...}");
		return NULL;
	}
	return j;
}

json_t *
http_json_body(const struct http_request *req, struct http_response *resp)
{
	const char *ct = http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	char msg[256];
	json_t *j;

	/* Exact match (a charset parameter is the only thing allowed). */
	if (ct == NULL || (strcmp(ct, "application/json") != 0 &&
	    strcasecmp(ct, "application/json; charset=utf-8") != 0)) {
		http_error(resp, ESEAL_EMEDIATYPE, "RFC 8259 11: the body must "
		    "be application/json");
		return NULL;
	}
	if ((j = http_json_parse(req->body, req->body_len, msg,
	    sizeof(msg))) == NULL)
		http_error(resp, ESEAL_EINVAL, msg);
	return j;
}

void
http_json(struct http_response *resp, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (s == NULL) {
		http_error(resp, ESEAL_EINTERNAL, "out of memory");
		return;
	}
	http_set_body(resp, status, "application/json", s, strlen(s));
	free(s);
}

const char *
http_query(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

const char *
http_bearer(const struct http_request *req)
{
	const char *a = http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);

	if (a == NULL || strncmp(a, "Bearer ", 7) != 0 || a[7] == '\0')
		return NULL;
	return a + 7;
}

/* http.h: exact paths, prefix {} suffix, prefix {rest}; first match wins. */
const struct http_route *
http_route_find(const struct http_route *routes, const char *method,
    const char *path, char *param, enum eseal_rc *rc)
{
	int path_known = 0;

	for (const struct http_route *r = routes; r->method != NULL; r++) {
		size_t pl = strlen(r->prefix), sl, len = strlen(path), ml;

		if (r->suffix == NULL && (r->flags & HTTP_R_REST)) {
			/* prefix + the rest of the path, '/' included */
			if (len <= pl || strncmp(path, r->prefix, pl) != 0 ||
			    len - pl >= HTTP_CAPTURE_MAX)
				continue;
			memcpy(param, path + pl, len - pl + 1);
		} else if (r->suffix == NULL) {
			if (strcmp(path, r->prefix) != 0)
				continue;
			param[0] = '\0';
		} else {
			sl = strlen(r->suffix);
			if (len <= pl + sl || strncmp(path, r->prefix, pl) != 0 ||
			    strcmp(path + len - sl, r->suffix) != 0)
				continue;
			ml = len - pl - sl;
			if (ml >= HTTP_CAPTURE_MAX || (!(r->flags & HTTP_R_REST)
			    && memchr(path + pl, '/', ml) != NULL))
				continue;
			memcpy(param, path + pl, ml);
			param[ml] = '\0';
		}
		path_known = 1;
		if (strcmp(method, r->method) == 0)
			return r;
	}
	*rc = path_known ? ESEAL_EMETHOD : ESEAL_ENOTFOUND;
	return NULL;
}

static enum MHD_Result
send_response(struct MHD_Connection *c, struct http_response *r,
    const char *rid)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* An empty body (204, 304) is a static buffer, not ours to free. */
	resp = r->body_len ? MHD_create_response_from_buffer(r->body_len,
	    r->body, MHD_RESPMEM_MUST_FREE) :
	    MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (r->body_len)
		r->body = NULL;		/* MHD owns it now */
	if (r->content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    r->content_type);
	MHD_add_response_header(resp, "X-Request-Id", rid);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
response_clear(struct http_response *r)
{
	free(r->body);
	for (int i = 0; i < r->nhdr; i++)
		free(r->hdr_value[i]);
	memset(r, 0, sizeof(*r));
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * 1 if addr may make one more limited request now; 0 and *wait, the whole
 * seconds until its next token, if not.
 */
static int
rate_ok(struct http_server *srv, const char *addr, unsigned *wait)
{
	struct rate_slot *s, *victim = NULL;
	double now = mono();
	unsigned h = 5381;
	int ok;

	if (srv->burst <= 0)
		return 1;
	for (const char *p = addr; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	pthread_mutex_lock(&srv->rate_mu);
	/* Open addressing over a few probes; the stalest slot is reused. */
	for (unsigned i = 0; i < 8; i++) {
		s = &srv->slots[(h + i) % HTTP_RATE_SLOTS];
		if (strcmp(s->addr, addr) == 0) {
			victim = s;
			break;
		}
		if (victim == NULL || s->last < victim->last)
			victim = s;
	}
	s = victim;
	if (strcmp(s->addr, addr) != 0) {
		snprintf(s->addr, sizeof(s->addr), "%s", addr);
		s->tokens = srv->burst;
		s->last = now;
	}
	s->tokens += (now - s->last) * srv->rate;
	if (s->tokens > srv->burst)
		s->tokens = srv->burst;
	s->last = now;
	ok = s->tokens >= 1.0;
	if (ok)
		s->tokens -= 1.0;
	else if (srv->rate <= 0 || (1.0 - s->tokens) / srv->rate >=
	    HTTP_RETRY_LIMIT_MAX)
		*wait = HTTP_RETRY_LIMIT_MAX;
	else {
		double d = (1.0 - s->tokens) / srv->rate;

		*wait = (unsigned)d;
		if (*wait < d || *wait == 0)
			(*wait)++;
	}
	pthread_mutex_unlock(&srv->rate_mu);
	return ok;
}

/*
 * RFC 9110 10.2.3, RFC 6585 4: every 429 and 503 says when to come back.
 * A handler's 429 is a lock on a name or a code: the lock's length, at
 * least; a 503 an HSM or store expected back soon.  One already set (the
 * rate limiter's) is kept.
 */
static void
retry_after(const struct http_server *srv, struct http_response *r)
{
	char v[16];

	if (r->status != MHD_HTTP_TOO_MANY_REQUESTS &&
	    r->status != MHD_HTTP_SERVICE_UNAVAILABLE)
		return;
	for (int i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr_name[i], MHD_HTTP_HEADER_RETRY_AFTER) == 0)
			return;
	snprintf(v, sizeof(v), "%u", r->status == MHD_HTTP_TOO_MANY_REQUESTS ?
	    srv->retry_locked : HTTP_RETRY_UNAVAILABLE);
	http_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
}

static void
client_addr(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, len, "unknown");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    buf, (socklen_t)len);
}

/*
 * The client certificate, verified here: libmicrohttpd only asks for one
 * and lets untrusted ones through (PITFALLS.md).
 */
static enum http_peer
peer_status(struct http_server *srv, struct MHD_Connection *c, char *cn,
    size_t cnlen)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	gnutls_session_t s;
	unsigned int status = 0, n = 0;

	cn[0] = '\0';
	if (!srv->tls || srv->mtls == HTTP_MTLS_OFF)
		return HTTP_PEER_NONE;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || (s = (gnutls_session_t)ci->tls_session) == NULL)
		return HTTP_PEER_NONE;
	certs = gnutls_certificate_get_peers(s, &n);
	if (certs == NULL || n == 0)
		return HTTP_PEER_NONE;
	if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0)
		return HTTP_PEER_UNTRUSTED;
	return http_peer_der_cn(certs[0].data, certs[0].size, cn, cnlen);
}

/* eseal_http_requests_total and the duration: route as its pattern. */
static void
count_request(struct http_server *srv, const struct http_route *r,
    int status, double secs)
{
	char lab[METRICS_LABELS_MAX], route[128], code[8];

	snprintf(route, sizeof(route), "%s%s%s", r ? r->prefix : "unmatched",
	    r && (r->suffix || (r->flags & HTTP_R_REST)) ? "{}" : "",
	    r && r->suffix ? r->suffix : "");
	snprintf(code, sizeof(code), "%d", status);
	metrics_inc(M_HTTP, metrics_labels(lab, sizeof(lab), "listener",
	    srv->name, "route", route, "code", code, NULL));
	metrics_observe(M_HTTP_DURATION, metrics_labels(lab, sizeof(lab),
	    "listener", srv->name, NULL), secs);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct conn_ctx *ctx = *con_cls;
	struct http_request req;
	struct http_response resp;
	const struct http_route *r;
	unsigned char rnd[8];
	enum MHD_Result ret;
	enum eseal_rc rc = ESEAL_OK, zrc;
	char peer[HTTP_ADDR_MAX];
	unsigned wait = 1;
	double t0 = metrics_now();

	(void)version;
	if (ctx == NULL) {
		if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
			return MHD_NO;
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			memset(rnd, 0, sizeof(rnd));
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(ctx->rid + 2 * i, 3, "%02x", rnd[i]);
		*con_cls = ctx;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* Gather the body; once too big, drain and refuse at the end. */
		if (!ctx->too_big && ctx->len + *upload_size <= srv->body_max) {
			unsigned char *nb = realloc(ctx->body,
			    ctx->len + *upload_size);

			if (nb == NULL)
				return MHD_NO;
			memcpy(nb + ctx->len, upload_data, *upload_size);
			ctx->body = nb;
			ctx->len += *upload_size;
		} else
			ctx->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}

	memset(&resp, 0, sizeof(resp));
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.body = ctx->body;
	req.body_len = ctx->len;
	req.request_id = ctx->rid;
	req.conn = c;
	client_addr(c, peer, sizeof(peer));
	zrc = http_zone_request(&req, peer);
	req.peer = peer_status(srv, c, req.peer_cn, sizeof(req.peer_cn));
	r = http_route_find(srv->routes, method, url, req.param, &rc);
	if (zrc != ESEAL_OK)
		http_error(&resp, zrc, NULL);
	else if (ctx->too_big) {
		char msg[96];

		snprintf(msg, sizeof(msg), "[http] body_max: the request body "
		    "is larger than %zu bytes", srv->body_max);
		http_error(&resp, ESEAL_ETOOLARGE, msg);
	} else if (r == NULL)
		http_error(&resp, rc, rc == ESEAL_ENOTFOUND ?
		    "no such resource" : "method not allowed on this resource");
	else if (srv->mtls == HTTP_MTLS_REQUIRED && !(r->flags & HTTP_R_PUBLIC) &&
	    req.peer != HTTP_PEER_VERIFIED)
		http_error(&resp, ESEAL_EFORBIDDEN, req.peer ==
		    HTTP_PEER_UNTRUSTED ? "[http] mtls = required: the client "
		    "certificate does not chain to the configured client CA" :
		    "[http] mtls = required: a client certificate is required");
	else if ((r->flags & HTTP_R_LIMITED) && !rate_ok(srv, req.client_addr,
	    &wait)) {
		char v[16];

		http_error(&resp, ESEAL_ETOOMANY, "[http] rate: too many "
		    "requests from this address; slow down");
		snprintf(v, sizeof(v), "%u", wait);
		http_add_header(&resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
	} else {
		eseal_errclear();
		log_set_request_id(ctx->rid);	/* its log lines, its audit */
		audit_set_source(req.client_addr);
		r->fn(srv->app, &req, &resp);
		audit_set_source(NULL);
		log_set_request_id(NULL);
	}
	if (resp.status == 0)
		http_error(&resp, ESEAL_EINTERNAL, "the handler gave no "
		    "response");
	retry_after(srv, &resp);
	log_info("msg=request rid=%s client=%s method=%s path=\"%.200s\" "
	    "status=%d bytes=%zu", ctx->rid, req.client_addr, method, url,
	    resp.status, resp.body_len);
	count_request(srv, r, resp.status, metrics_now() - t0);
	ret = send_response(c, &resp, ctx->rid);
	response_clear(&resp);
	return ret;
}

static void
completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *ctx = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (ctx == NULL)
		return;
	free(ctx->body);
	free(ctx);
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_warn("msg=\"libmicrohttpd: %s\"", buf);
}

static char *
slurp(const char *path)
{
	FILE *f;
	char *b;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((b = malloc(HTTP_PEM_MAX + 1)) != NULL) {
		n = fread(b, 1, HTTP_PEM_MAX + 1, f);
		if (n == 0 || n > HTTP_PEM_MAX) {
			free(b);
			b = NULL;
		} else
			b[n] = '\0';
	}
	fclose(f);
	return b;
}

/* "host:port", "[v6]:port", numeric only, to an address to bind. */
static enum eseal_rc
listen_addr(const char *listen, struct addrinfo **ai)
{
	struct addrinfo hints;
	const char *colon;
	char host[256];

	*ai = NULL;
	colon = strrchr(listen, ':');
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
		return eseal_err(ESEAL_ECONF, "http: listen \"%s\" is not "
		    "host:port", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, colon + 1, &hints, ai) != 0 || *ai == NULL)
		return eseal_err(ESEAL_ECONF, "http: listen \"%s\": not a "
		    "numeric address and port", listen);
	return ESEAL_OK;
}

enum eseal_rc
http_start(const struct http_config *cfg, const struct http_route *routes,
    void *app, struct http_server **out)
{
	struct addrinfo *ai = NULL;
	struct MHD_OptionItem where[2] = { { MHD_OPTION_END, 0, NULL },
	    { MHD_OPTION_END, 0, NULL } };
	struct http_server *srv;
	unsigned int flags;
	enum eseal_rc rc;
	int tls = cfg->tls_cert != NULL && cfg->tls_cert[0] != '\0';

	*out = NULL;
	if (cfg->fd <= 0 && (rc = listen_addr(cfg->listen, &ai)) != ESEAL_OK)
		return rc;
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		if (ai != NULL)
		freeaddrinfo(ai);
		return eseal_err(ESEAL_ENOMEM, "http: out of memory");
	}
	srv->routes = routes;
	srv->app = app;
	srv->name = cfg->name != NULL ? cfg->name : "api";
	srv->body_max = cfg->body_max ? cfg->body_max : HTTP_BODY_MAX;
	srv->tls = tls;
	srv->mtls = tls ? cfg->mtls : HTTP_MTLS_OFF;
	srv->rate = cfg->rate;
	srv->burst = cfg->burst;
	srv->retry_locked = cfg->retry_locked ? cfg->retry_locked :
	    HTTP_RETRY_LOCKED;
	pthread_mutex_init(&srv->rate_mu, NULL);
	if ((srv->slots = calloc(HTTP_RATE_SLOTS, sizeof(*srv->slots))) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "http: out of memory");
		goto fail;
	}
	if (tls && ((srv->cert = slurp(cfg->tls_cert)) == NULL ||
	    (srv->key = slurp(cfg->tls_key)) == NULL)) {
		rc = eseal_err(ESEAL_ECONF, "http: cannot read TLS certificate "
		    "%s or key %s", cfg->tls_cert, cfg->tls_key);
		goto fail;
	}
	if (srv->mtls != HTTP_MTLS_OFF && (cfg->client_ca == NULL ||
	    (srv->trust = slurp(cfg->client_ca)) == NULL)) {
		rc = eseal_err(ESEAL_ECONF, "http: mTLS needs a readable "
		    "client CA file (%s)", cfg->client_ca ? cfg->client_ca :
		    "none given");
		goto fail;
	}
	/* A socket passed by systemd (sd_listen_fds) or bound here. */
	where[0] = cfg->fd > 0 ? (struct MHD_OptionItem){
	    MHD_OPTION_LISTEN_SOCKET, cfg->fd, NULL } : (struct MHD_OptionItem){
	    MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr };
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG | (cfg->fd <= 0 && ai->ai_family == AF_INET6 ?
	    MHD_USE_IPv6 : 0) |
	    (tls ? MHD_USE_TLS : 0);
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
	    MHD_OPTION_ARRAY, where,
	    MHD_OPTION_THREAD_POOL_SIZE, cfg->threads ? cfg->threads :
	    (unsigned int)HTTP_THREADS,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    cfg->timeout ? cfg->timeout : (unsigned int)HTTP_CONN_TIMEOUT,
	    MHD_OPTION_CONNECTION_LIMIT,
	    cfg->conn_max ? cfg->conn_max : (unsigned int)HTTP_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    cfg->conn_per_ip ? cfg->conn_per_ip : (unsigned int)HTTP_CONN_PER_IP,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    cfg->header_max ? cfg->header_max : (size_t)HTTP_HEADER_MAX,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
	    tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, srv->key,
	    MHD_OPTION_HTTPS_PRIORITIES, cfg->tls_priorities,
	    srv->trust != NULL ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END,
	    srv->trust,
	    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		rc = eseal_err(ESEAL_ECONF, "http: cannot listen on %s (in use, "
		    "or bad TLS key, certificate or priority string)",
		    cfg->listen);
		goto fail;
	}
	if (ai != NULL)
		freeaddrinfo(ai);
	if (cfg->fd > 0)
		log_info("msg=listening listener=%s fd=%d activation=systemd "
		    "tls=%s", srv->name, cfg->fd, tls ? cfg->tls_priorities :
		    "off");
	else
		log_info("msg=listening listener=%s addr=%s tls=%s", srv->name,
		    cfg->listen, tls ? cfg->tls_priorities : "off");
	*out = srv;
	return ESEAL_OK;
fail:
	if (ai != NULL)
		freeaddrinfo(ai);
	free(srv->cert);
	free(srv->key);
	free(srv->trust);
	free(srv->slots);
	free(srv);
	return rc;
}

void
http_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->mhd);
	free(srv->cert);
	free(srv->key);
	free(srv->trust);
	free(srv->slots);
	pthread_mutex_destroy(&srv->rate_mu);
	free(srv);
}
