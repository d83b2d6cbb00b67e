/*
 * api_publish.h: what anyone may fetch: GET /healthz, GET /ca/{issuer}.crt
 * (DER, application/pkix-cert) and GET /ca/chain.pem.
 */
#ifndef ESEAL_API_PUBLISH_H
#define ESEAL_API_PUBLISH_H

#include "app.h"
#include "http.h"

/* (Re)loads the CA certificates from the store into app->pub. */
enum eseal_rc	publish_load(struct app *);
void		publish_free(struct app *);

void	api_healthz(void *app, const struct http_request *,
	    struct http_response *);
void	api_ca_cert(void *app, const struct http_request *,
	    struct http_response *);
void	api_ca_chain(void *app, const struct http_request *,
	    struct http_response *);

#endif
