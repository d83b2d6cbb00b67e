/*
 * api_ocsp.c: OCSP over HTTP (RFC 6960 appendix A): POST with
 * application/ocsp-request, GET with the request base64 in the path.  Every
 * answer that reaches the responder is HTTP 200 with an OCSPResponse, its
 * own status saying malformedRequest, unauthorized, tryLater or successful.
 * [ocsp] in the config says who signs and for how long; nonce-less
 * questions about one certificate are answered from the response cache,
 * or with the answer presigned for it ([ocsp] presign = on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "api_publish.h"
#include "log.h"
#include "ocsp.h"

static void
respond(struct app *a, const unsigned char *der, size_t len,
    struct http_response *resp, int cacheable)
{
	struct ocsp_options o;
	unsigned char *out = NULL;
	char cc[64];
	size_t outlen = 0;
	int64_t now = time(NULL), nu = 0;
	int status = -1;

	/* The config may be swapped by a reload (SIGHUP). */
	memset(&o, 0, sizeof(o));
	ca_rdlock(&a->ca);
	o.validity_secs = a->ca.conf->ocsp_validity_secs;
	o.delegated = a->ca.conf->ocsp_delegated;
	o.presign = a->ca.conf->ocsp_presign;
	ca_unlock(&a->ca);
	o.cache = 1;
	if (ocsp_respond_opts(&a->ca, der, len, now, &o, &out, &outlen,
	    &status, &nu) != ESEAL_OK || out == NULL) {
		http_error(resp, ESEAL_EINTERNAL, NULL);
		return;
	}
	http_set_body(resp, 200, "application/ocsp-response", out, outlen);
	OPENSSL_free(out);
	/*
	 * Only GETs (no nonce asked for by HTTP caches) may be cached, and
	 * never past the answer's nextUpdate (RFC 5019 6.2).
	 */
	if (cacheable && status == 0 && nu > now)
		snprintf(cc, sizeof(cc), "public, max-age=%lld, no-transform",
		    (long long)(nu - now));
	else
		snprintf(cc, sizeof(cc), "no-store");
	http_add_header(resp, "Cache-Control", cc);
}

void
api_ocsp_post(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	const char *ct = http_header(req, "Content-Type");

	if (ct == NULL || strcmp(ct, "application/ocsp-request") != 0) {
		http_error(resp, ESEAL_EMEDIATYPE, "RFC 6960 A.1: POST needs "
		    "Content-Type application/ocsp-request");
		return;
	}
	if (req->body_len > OCSP_REQUEST_MAX) {
		http_error(resp, eseal_err(ESEAL_ETOOLARGE, "ocsp: the request "
		    "is %zu bytes, more than the limit of %d", req->body_len,
		    OCSP_REQUEST_MAX), NULL);
		return;
	}
	respond(arg, req->body, req->body_len, resp, 0);
}

void
api_ocsp_get(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	const char *b64 = req->param;
	size_t n = strlen(b64), pad = 0;
	unsigned char *der;
	int len;

	/*
	 * Strict base64: length a multiple of 4, the alphabet only, padding
	 * at the end.  Anything else is a malformed request, answered as one.
	 */
	if (n == 0 || n % 4 != 0 || n > 4 * ((OCSP_REQUEST_MAX + 2) / 3) ||
	    strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") != n || (strchr(b64, '=') != NULL &&
	    strspn(strchr(b64, '='), "=") != strlen(strchr(b64, '=')))) {
		respond(arg, (const unsigned char *)"", 0, resp, 0);
		return;
	}
	if ((der = malloc(n / 4 * 3 + 1)) == NULL) {
		http_error(resp, ESEAL_ENOMEM, "out of memory");
		return;
	}
	pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
	len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
	if (len < 0 || (size_t)len < pad) {
		free(der);
		respond(arg, (const unsigned char *)"", 0, resp, 0);
		return;
	}
	respond(arg, der, (size_t)len - pad, resp, 1);
	free(der);
}
