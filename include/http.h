/*
 * http.h: the HTTPS front end on libmicrohttpd (GnuTLS inside).  A routing
 * table maps method and path to a handler; handlers fill a struct
 * http_response and never touch libmicrohttpd.  Errors become the JSON body
 * {"error": code, "message": sentence} with the status from one table.
 */
#ifndef ESEAL_HTTP_H
#define ESEAL_HTTP_H

#include <stddef.h>

#include "err.h"

#define HTTP_BODY_MAX		(64 * 1024)	/* request bodies, default */
#define HTTP_HEADER_MAX		(16 * 1024)	/* request line + headers */
#define HTTP_CONN_TIMEOUT	10		/* seconds idle before cut */
#define HTTP_CONN_MAX		512		/* connections in all */
#define HTTP_CONN_PER_IP	32		/* connections per client address */
#define HTTP_THREADS		4		/* worker threads */
#define HTTP_CAPTURE_MAX	2048		/* longest {param} in a path: a
						   base64 OCSP request fits */
#define HTTP_ADDR_MAX		64		/* a client address as text */
#define HTTP_CN_MAX		128		/* a client certificate's CN */
#define HTTP_RETRY_LOCKED	300		/* Retry-After of a 429 from a
						   handler (a lock), s: the
						   default [accounts] lock_secs */
#define HTTP_RATE_SLOTS		4096		/* client addresses tracked for
						   rate limits; oldest evicted */

/* What the TLS layer says about the client's certificate. */
enum http_peer {
	HTTP_PEER_NONE,		/* none presented (or plain HTTP) */
	HTTP_PEER_VERIFIED,	/* chains to the configured client CA */
	HTTP_PEER_UNTRUSTED,	/* presented, but does not verify */
	HTTP_PEER_MAX
};

enum http_mtls {
	HTTP_MTLS_OFF,		/* no client certificates asked */
	HTTP_MTLS_OPTIONAL,	/* asked; verified ones identify operators */
	HTTP_MTLS_REQUIRED,	/* API requests without a verified one: 403 */
	HTTP_MTLS_MAX
};

struct http_request {
	const char	*method;
	const char	*path;
	char		 param[HTTP_CAPTURE_MAX];	/* the route's {} part */
	const unsigned char *body;
	size_t		 body_len;
	const char	*request_id;
	char		 client_addr[HTTP_ADDR_MAX];
	enum http_peer	 peer;		/* client certificate status */
	int		 in_zone;	/* client_addr lies in [security]
					   secure_zone (http_zone_set) */
	char		 peer_cn[HTTP_CN_MAX];	/* its CN when verified */
	void		*conn;		/* for http_header() */
};

#define HTTP_MAX_HEADERS	6

struct http_response {
	int		 status;
	const char	*content_type;
	unsigned char	*body;		/* malloc'd, freed by http */
	size_t		 body_len;
	const char	*hdr_name[HTTP_MAX_HEADERS];	/* static strings */
	char		*hdr_value[HTTP_MAX_HEADERS];	/* malloc'd */
	int		 nhdr;
};

typedef void (*http_handler)(void *app, const struct http_request *,
    struct http_response *);

/*
 * One route: exact path, or prefix + one path segment + suffix, the segment
 * captured into request->param ("/ca/" "{}" ".crt").
 */
struct http_route {
	const char	*method;
	const char	*prefix;
	const char	*suffix;	/* NULL: the path is exactly prefix */
	http_handler	 fn;
	int		 flags;		/* HTTP_R_* */
};

#define HTTP_R_LIMITED	0x1	/* per-address rate limit (login, enrol) */
#define HTTP_R_PUBLIC	0x2	/* relying parties: no mTLS requirement */
#define HTTP_R_REST	0x4	/* the capture may span '/' (and no suffix
				   is needed) */

struct http_config {
	const char	*listen;	/* host:port */
	const char	*tls_cert;	/* PEM file, NULL/"" for plain HTTP */
	const char	*tls_key;
	const char	*tls_priorities;	/* GnuTLS priority string */
	const char	*client_ca;	/* PEM, for mTLS; NULL/"" for none */
	enum http_mtls	 mtls;
	size_t		 body_max;	/* 0: HTTP_BODY_MAX */
	size_t		 header_max;	/* 0: HTTP_HEADER_MAX */
	unsigned	 timeout;	/* seconds; 0: HTTP_CONN_TIMEOUT */
	unsigned	 conn_max;	/* 0: HTTP_CONN_MAX */
	unsigned	 conn_per_ip;	/* 0: HTTP_CONN_PER_IP */
	unsigned	 threads;	/* requests handled at once; 0:
					   HTTP_THREADS */
	double		 rate;		/* limited requests/s per address */
	double		 burst;		/* bucket size; 0: no rate limit */
	unsigned	 retry_locked;	/* Retry-After of a handler's 429 (a
					   login or code lock), s; 0:
					   HTTP_RETRY_LOCKED */
	const char	*name;		/* "api", "publish", "metrics": the
					   listener label of its metrics
					   (a static string); NULL: "api" */
	int		 fd;		/* a listening socket to serve (socket
					   activation), -1 or 0: bind listen */
};

struct http_server;

/*
 * Starts a server on cfg->listen with the routes (the array must outlive
 * the server; its last entry has method NULL).  app is passed to handlers.
 */
enum eseal_rc	http_start(const struct http_config *,
		    const struct http_route *routes, void *app,
		    struct http_server **out);
void		http_stop(struct http_server *);

/* Handler helpers.  Each replaces the response's body. */
void		http_set_body(struct http_response *, int status,
		    const char *content_type, const void *body, size_t len);
/* As http_set_body, but takes body (malloc'd) instead of copying it. */
void		http_set_body_owned(struct http_response *, int status,
		    const char *content_type, void *body, size_t len);
/*
 * The JSON error for rc: status from http_status_for(), code
 * eseal_rcname(rc), msg as the message (default: eseal_errmsg()).  Every
 * error response goes through here.
 */
void		http_error(struct http_response *, enum eseal_rc rc,
		    const char *msg);
/* Adds a response header (name must be a static string). */
void		http_add_header(struct http_response *, const char *name,
		    const char *value);
/* The value of a request header, or NULL. */
const char	*http_header(const struct http_request *, const char *name);

/*
 * The request body as a JSON object.  Refuses (filling resp, returning
 * NULL) a Content-Type other than exactly application/json (415), and a
 * body that is not one JSON object (400).  The caller json_decref()s it.
 */
struct json_t;
struct json_t	*http_json_body(const struct http_request *,
		    struct http_response *);
/* Sends j (stolen) as JSON with status. */
void		http_json(struct http_response *, int status, struct json_t *j);
/* A query-string argument, or NULL. */
const char	*http_query(const struct http_request *, const char *name);
/* The token of "Authorization: Bearer TOKEN", or NULL. */
const char	*http_bearer(const struct http_request *);

/*
 * The body as one JSON object, nesting bounded (RFC 8259 9); NULL with a
 * sentence naming the rule in msg (no control byte in it) if it is not.
 * The caller json_decref()s it.
 */
struct json_t	*http_json_parse(const unsigned char *body, size_t len,
		    char *msg, size_t msglen);

/*
 * The route for method and path (its {} part copied into param, which
 * holds HTTP_CAPTURE_MAX bytes); NULL with *rc ESEAL_ENOTFOUND if the path
 * is unknown, ESEAL_EMETHOD if only the method is.
 */
const struct http_route *http_route_find(const struct http_route *routes,
		    const char *method, const char *path, char *param,
		    enum eseal_rc *rc);

/*
 * An already verified client certificate (DER, one certificate and
 * nothing after it) to the operator name it carries: HTTP_PEER_VERIFIED
 * with its one CN in cn (UTF-8, no control byte, shorter than cnlen),
 * HTTP_PEER_UNTRUSTED for anything else.
 */
enum http_peer	http_peer_der_cn(const unsigned char *der, size_t len,
		    char *cn, size_t cnlen);

/*
 * The secure zone and the trusted proxies of this process's listeners
 * (cidr.h lists, as [security] secure_zone and trusted_proxies write them),
 * replacing the previous ones at once; before the first call, the zone is
 * CONF_SECURE_ZONE_DEFAULT and no proxy is trusted.  ESEAL_EINVAL naming
 * the key if a list does not parse (nothing replaced).
 */
enum eseal_rc	http_zone_set(const char *secure_zone,
		    const char *trusted_proxies);
/*
 * A request's client address from its peer and X-Forwarded-For header
 * (cidr_client_addr with the trusted proxies) into out, and *in_zone.
 * ESEAL_EINVAL if a trusted proxy sent a malformed header (*in_zone 0).
 */
enum eseal_rc	http_zone_client(const char *peer, const char *xff, char *out,
		    size_t len, int *in_zone);
/*
 * http_zone_client for a request from peer, its X-Forwarded-For fields
 * joined in order (RFC 7230 3.2.2), into req->client_addr and in_zone.
 */
enum eseal_rc	http_zone_request(struct http_request *req, const char *peer);

/* The HTTP status for a core error: the only such table. */
int		http_status_for(enum eseal_rc);

#endif
