/*
 * api_publish.h: what anyone may fetch: GET /healthz, GET /ca/{issuer}.crt
 * (DER, application/pkix-cert) and GET /ca/chain.pem.
 */
#ifndef ESEAL_API_PUBLISH_H
#define ESEAL_API_PUBLISH_H

#include "app.h"
#include "http.h"

/* A DER certificate as PEM (malloc'd), or NULL if it does not parse. */
char		*pem_from_der(const unsigned char *der, size_t len);

/* (Re)loads the CA certificates from the store into app->pub. */
enum eseal_rc	publish_load(struct app *);
void		publish_free(struct app *);

void	api_healthz(void *app, const struct http_request *,
	    struct http_response *);
void	api_ca_cert(void *app, const struct http_request *,
	    struct http_response *);
void	api_ca_chain(void *app, const struct http_request *,
	    struct http_response *);
/*
 * GET /crl/{issuer}/{shard}.crl: DER, application/pkix-crl, conditional;
 * GET /crl/{issuer}/{shard}-delta.crl the same for its delta CRL (404 when
 * [publish] delta_crl is off).
 */
void	api_crl(void *app, const struct http_request *,
	    struct http_response *);
/* POST /ocsp (application/ocsp-request) and GET /ocsp/{base64}. */
void	api_ocsp_post(void *app, const struct http_request *,
	    struct http_response *);
void	api_ocsp_get(void *app, const struct http_request *,
	    struct http_response *);

/* GET /metrics (api_metrics.c): the metrics listener's one route. */
void	api_metrics(void *app, const struct http_request *,
	    struct http_response *);

#endif
