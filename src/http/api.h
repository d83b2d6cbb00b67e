/*
 * api.h: the JSON API under /api/v1/ (ARCHITECTURE.md routes) and the
 * disclosure route.  Each handler parses, authorises, calls the core and
 * renders; none of them speaks SQL or PKCS#11.
 */
#ifndef ESEAL_API_H
#define ESEAL_API_H

#include "session.h"
#include "app.h"
#include "http.h"

/*
 * Authenticates the request (Authorization: Bearer session token, or a
 * verified mTLS client certificate whose CN is an operator's username) and
 * authorises one of roles_mask (1 << ROLE_x).  On refusal fills resp
 * (401/403) and returns non-zero.
 */
int	api_auth(struct app *, const struct http_request *,
	    struct http_response *, unsigned roles_mask,
	    struct session_info *si);

/* POST /api/v1/session, POST /api/v1/session/password, DELETE /api/v1/session */
void	api_session_login(void *, const struct http_request *,
	    struct http_response *);
void	api_session_password(void *, const struct http_request *,
	    struct http_response *);
void	api_session_totp(void *, const struct http_request *,
	    struct http_response *);
void	api_audit_list(void *, const struct http_request *,
	    struct http_response *);
void	api_session_logout(void *, const struct http_request *,
	    struct http_response *);

/* RA: organisations, enrolment codes, the approval queue. */
void	api_org_create(void *, const struct http_request *,
	    struct http_response *);
void	api_org_code(void *, const struct http_request *,
	    struct http_response *);
void	api_requests_list(void *, const struct http_request *,
	    struct http_response *);
void	api_request_approve(void *, const struct http_request *,
	    struct http_response *);
void	api_request_reject(void *, const struct http_request *,
	    struct http_response *);

/* Dual control (api_operations.c). */
void	api_op_propose(void *, const struct http_request *,
	    struct http_response *);
void	api_op_approve(void *, const struct http_request *,
	    struct http_response *);
void	api_op_reject(void *, const struct http_request *,
	    struct http_response *);
void	api_op_list(void *, const struct http_request *,
	    struct http_response *);

/* Subscribers and anyone. */
void	api_disclosure(void *, const struct http_request *,
	    struct http_response *);
/*
 * The body of POST /api/v1/enrolments to a submission (pointers into j; the
 * disclosure and client address are the caller's); on refusal a sentence
 * naming the rule in msg.
 */
struct json_t;
struct enrol_submission;
enum eseal_rc api_enrol_submission(struct json_t *j,
	    const char *default_profile, struct enrol_submission *sub,
	    char *msg, size_t msglen);
void	api_enrol_create(void *, const struct http_request *,
	    struct http_response *);
void	api_enrol_get(void *, const struct http_request *,
	    struct http_response *);
void	api_cert_get(void *, const struct http_request *,
	    struct http_response *);
/* POST /api/v1/certificates/{serial}/revoke: an RA officer, or the
 * subscriber with its enrolment's request token or code. */
void	api_cert_revoke(void *, const struct http_request *,
	    struct http_response *);

/* Read-only views for the console (api_status.c): organisations, a
 * certificate search by serial or organisation, the admin status page. */
void	api_orgs_list(void *, const struct http_request *,
	    struct http_response *);
void	api_certs_search(void *, const struct http_request *,
	    struct http_response *);
void	api_status(void *, const struct http_request *,
	    struct http_response *);

/* The web console's static files (api_console.c), HTTPS only. */
void	api_console_index(void *, const struct http_request *,
	    struct http_response *);
void	api_console_file(void *, const struct http_request *,
	    struct http_response *);
void	api_console_redirect(void *, const struct http_request *,
	    struct http_response *);

#endif
