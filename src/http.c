/*
 * http.c: libmicrohttpd glue.  Per connection: a context allocated on the
 * first call, the body gathered (bounded) over the next calls, then one
 * route lookup and one handler call on the last.  TLS versions are limited
 * by a GnuTLS priority string.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/rand.h>

#include "http.h"
#include "log.h"

#define HTTP_PEM_MAX	(256 * 1024)	/* TLS certificate or key file */

struct http_server {
	struct MHD_Daemon	*mhd;
	const struct http_route	*routes;
	void			*app;
	size_t			 body_max;
	char			*cert, *key;	/* PEM, kept for MHD */
};

struct conn_ctx {
	unsigned char	*body;
	size_t		 len;
	int		 too_big;
	char		 rid[17];	/* request id, hex */
};

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
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
}

void
http_error_status(struct http_response *r, int status, const char *code,
    const char *msg)
{
	json_t *j;
	char *s;

	j = json_pack("{s:s, s:s}", "error", code, "message", msg);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL) {
		http_set_body(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
		    "out of memory\n", 14);
		return;
	}
	http_set_body(r, status, "application/json", s, strlen(s));
	free(s);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		http_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "30");
}

void
http_error(struct http_response *r, enum eseal_rc rc, const char *msg)
{
	http_error_status(r, http_status_for(rc), eseal_rcname(rc),
	    msg ? msg : eseal_errmsg());
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

/* Finds the route; 404 if the path is unknown, 405 if the method is. */
static const struct http_route *
route(const struct http_route *routes, const char *method, const char *path,
    char *param, int *status)
{
	int path_known = 0;

	for (const struct http_route *r = routes; r->method != NULL; r++) {
		size_t pl = strlen(r->prefix), sl, len = strlen(path), ml;

		if (r->suffix == NULL) {
			if (strcmp(path, r->prefix) != 0)
				continue;
			param[0] = '\0';
		} else {
			sl = strlen(r->suffix);
			if (len <= pl + sl || strncmp(path, r->prefix, pl) != 0 ||
			    strcmp(path + len - sl, r->suffix) != 0)
				continue;
			ml = len - pl - sl;
			if (ml >= HTTP_CAPTURE_MAX ||
			    memchr(path + pl, '/', ml) != NULL)
				continue;
			memcpy(param, path + pl, ml);
			param[ml] = '\0';
		}
		path_known = 1;
		if (strcmp(method, r->method) == 0)
			return r;
	}
	*status = path_known ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND;
	return NULL;
}

static enum MHD_Result
send_response(struct MHD_Connection *c, struct http_response *r,
    const char *rid)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(r->body_len,
	    r->body_len ? r->body : (void *)"", MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
		return MHD_NO;
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
	int status = 0;

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
	if (ctx->too_big) {
		char msg[96];

		snprintf(msg, sizeof(msg), "request body is larger than %zu "
		    "bytes", srv->body_max);
		http_error_status(&resp, MHD_HTTP_CONTENT_TOO_LARGE,
		    "too_large", msg);
	} else if ((r = route(srv->routes, method, url, req.param, &status))
	    == NULL)
		http_error_status(&resp, status, status == MHD_HTTP_NOT_FOUND ?
		    "not_found" : "method_not_allowed", status ==
		    MHD_HTTP_NOT_FOUND ? "no such resource" :
		    "method not allowed on this resource");
	else {
		eseal_errclear();
		r->fn(srv->app, &req, &resp);
	}
	if (resp.status == 0)
		http_error_status(&resp, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "the handler gave no response");
	log_info("msg=request rid=%s method=%s path=\"%.200s\" status=%d "
	    "bytes=%zu", ctx->rid, method, url, resp.status, resp.body_len);
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

enum eseal_rc
http_start(const struct http_config *cfg, const struct http_route *routes,
    void *app, struct http_server **out)
{
	struct addrinfo hints, *ai = NULL;
	struct http_server *srv;
	char host[256];
	const char *colon;
	unsigned int flags;
	enum eseal_rc rc;
	int tls = cfg->tls_cert != NULL && cfg->tls_cert[0] != '\0';

	*out = NULL;
	colon = strrchr(cfg->listen, ':');
	if (colon == NULL || (size_t)(colon - cfg->listen) >= sizeof(host))
		return eseal_err(ESEAL_ECONF, "http: listen \"%s\" is not "
		    "host:port", cfg->listen);
	memcpy(host, cfg->listen, (size_t)(colon - cfg->listen));
	host[colon - cfg->listen] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
		return eseal_err(ESEAL_ECONF, "http: listen \"%s\": not a "
		    "numeric address and port", cfg->listen);

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		freeaddrinfo(ai);
		return eseal_err(ESEAL_ENOMEM, "http: out of memory");
	}
	srv->routes = routes;
	srv->app = app;
	srv->body_max = cfg->body_max ? cfg->body_max : HTTP_BODY_MAX;
	if (tls && ((srv->cert = slurp(cfg->tls_cert)) == NULL ||
	    (srv->key = slurp(cfg->tls_key)) == NULL)) {
		rc = eseal_err(ESEAL_ECONF, "http: cannot read TLS certificate "
		    "%s or key %s", cfg->tls_cert, cfg->tls_key);
		goto fail;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
	    (tls ? MHD_USE_TLS : 0);
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_CONN_PER_IP,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
	    tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, srv->key,
	    MHD_OPTION_HTTPS_PRIORITIES, cfg->tls_priorities,
	    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		rc = eseal_err(ESEAL_ECONF, "http: cannot listen on %s (in use, "
		    "or bad TLS key, certificate or priority string)",
		    cfg->listen);
		goto fail;
	}
	freeaddrinfo(ai);
	log_info("msg=listening addr=%s tls=%s", cfg->listen,
	    tls ? cfg->tls_priorities : "off");
	*out = srv;
	return ESEAL_OK;
fail:
	freeaddrinfo(ai);
	free(srv->cert);
	free(srv->key);
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
	free(srv);
}
