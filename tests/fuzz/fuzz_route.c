/*
 * fuzz_route.c: libFuzzer harness for http_route_find(), the routing of a
 * request's method and path.  The first input byte picks the method, the
 * rest (up to a NUL, as libmicrohttpd hands it over) is the path.  A
 * table of every shape eseald uses (exact, prefix {} suffix, prefix
 * {rest}) is routed, and the answer compared with a plain reading of
 * http.h's contract: the first route whose shape matches and whose method
 * is the request's wins; a {} capture is never empty, never longer than
 * HTTP_CAPTURE_MAX - 1, and holds no '/' unless the route allows it; no
 * route means 404 if no shape matched the path, 405 if one did.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
nop(void *app, const struct http_request *req, struct http_response *resp)
{
	(void)app, (void)req, (void)resp;
}

static const struct http_route routes[] = {
	{ "GET", "/healthz", NULL, nop, HTTP_R_PUBLIC },
	{ "GET", "/ca/", ".crt", nop, HTTP_R_PUBLIC },
	{ "GET", "/ca/chain.pem", NULL, nop, HTTP_R_PUBLIC },
	{ "GET", "/crl/", ".crl", nop, HTTP_R_PUBLIC },
	{ "GET", "/ocsp/", NULL, nop, HTTP_R_PUBLIC | HTTP_R_REST },
	{ "POST", "/ocsp", NULL, nop, HTTP_R_PUBLIC },
	{ "POST", "/api/v1/session", NULL, nop, HTTP_R_LIMITED },
	{ "DELETE", "/api/v1/session", NULL, nop, 0 },
	{ "POST", "/api/v1/enrolments", NULL, nop, HTTP_R_LIMITED },
	{ "GET", "/api/v1/enrolments/", NULL, nop, 0 },
	{ "POST", "/api/v1/requests/", "/approve", nop, 0 },
	{ "POST", "/api/v1/requests/", "/reject", nop, 0 },
	{ "GET", "/api/v1/certificates/", NULL, nop, 0 },
	{ "POST", "/api/v1/certificates/", "/revoke", nop, 0 },
	{ "GET", "/files/", ".pem", nop, HTTP_R_REST },
	{ NULL, NULL, NULL, NULL, 0 }
};

static const char *const methods[] = { "GET", "POST", "DELETE", "PUT",
    "HEAD", "get", "" };

/* 1 if the shape of r matches path, its capture in cap. */
static int
shape(const struct http_route *r, const char *path, char *cap)
{
	size_t pl = strlen(r->prefix), len = strlen(path), sl, ml;

	if (strncmp(path, r->prefix, pl) != 0)
		return 0;
	if (r->suffix == NULL && !(r->flags & HTTP_R_REST)) {
		cap[0] = '\0';
		return len == pl;
	}
	sl = r->suffix != NULL ? strlen(r->suffix) : 0;
	if (len <= pl + sl || strcmp(path + len - sl, r->suffix != NULL ?
	    r->suffix : "") != 0)
		return 0;
	ml = len - pl - sl;
	if (ml >= HTTP_CAPTURE_MAX)
		return 0;
	if (!(r->flags & HTTP_R_REST) && memchr(path + pl, '/', ml) != NULL)
		return 0;
	memcpy(cap, path + pl, ml);
	cap[ml] = '\0';
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char param[HTTP_CAPTURE_MAX], cap[HTTP_CAPTURE_MAX];
	const struct http_route *got, *want = NULL;
	const char *method;
	enum eseal_rc rc = ESEAL_OK;
	int known = 0;
	char *path;

	if (size == 0)
		return 0;
	method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
	if ((path = malloc(size)) == NULL)
		return 0;
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	for (const struct http_route *r = routes; r->method != NULL; r++) {
		if (!shape(r, path, cap))
			continue;
		known = 1;
		if (strcmp(r->method, method) == 0) {
			want = r;
			break;
		}
	}
	got = http_route_find(routes, method, path, param, &rc);
	if (got != want)
		abort();
	if (got == NULL && rc != (known ? ESEAL_EMETHOD : ESEAL_ENOTFOUND))
		abort();
	if (got != NULL) {
		if (strcmp(param, cap) != 0)
			abort();
		if ((got->suffix != NULL || (got->flags & HTTP_R_REST)) &&
		    param[0] == '\0')
			abort();
		if (!(got->flags & HTTP_R_REST) && strchr(param, '/') != NULL)
			abort();
	}
	free(path);
	return 0;
}
