/*
 * api_console.c: serves the web console (console/, compiled in by
 * tools/embed-console) under /console/ on the API listener, which is
 * HTTPS only (eseald does not start without [http] tls_cert).
 * The console is a client of /api/v1 like any other: these handlers only
 * hand out static files, with the headers that keep a browser strict
 * (docs/console.md "Security of the console").
 */
#include <string.h>

#include "api.h"
#include "console.h"

/*
 * No inline script or style, no eval, nothing from another origin, never
 * framed.  The charts are SVG nodes built by the script, not images.
 */
#define CONSOLE_CSP	"default-src 'none'; script-src 'self'; " \
			"style-src 'self'; img-src 'self'; font-src 'self'; " \
			"connect-src 'self'; form-action 'self'; " \
			"base-uri 'none'; frame-ancestors 'none'"

/* The file for a path below /console/ ("" is index.html), or NULL. */
static const struct console_file *
console_find(const char *name)
{
	if (name[0] == '\0')
		name = "index.html";
	for (size_t i = 0; i < console_nfiles; i++)
		if (strcmp(console_files[i].name, name) == 0)
			return &console_files[i];
	return NULL;
}

static void
security_headers(struct http_response *resp)
{
	http_add_header(resp, "Content-Security-Policy", CONSOLE_CSP);
	http_add_header(resp, "X-Content-Type-Options", "nosniff");
	http_add_header(resp, "Referrer-Policy", "no-referrer");
	http_add_header(resp, "X-Frame-Options", "DENY");
	http_add_header(resp, "Cache-Control", "no-cache");
}

void
api_console_file(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	const struct console_file *f;

	(void)arg;
	if ((f = console_find(req->param)) == NULL) {
		http_error(resp, ESEAL_ENOTFOUND, "no such console file");
		return;
	}
	/* The bytes are static; http copies them into the response. */
	http_set_body(resp, 200, f->content_type, f->data, f->len);
	security_headers(resp);
}

void
api_console_index(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	struct http_request r = *req;

	r.param[0] = '\0';
	api_console_file(arg, &r, resp);
}

/* GET /console: to /console/, where the files' relative names resolve. */
void
api_console_redirect(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	(void)arg;
	(void)req;
	http_set_body(resp, 308, "text/plain; charset=utf-8", "/console/\n",
	    11);
	http_add_header(resp, "Location", "/console/");
}
