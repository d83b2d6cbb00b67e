/*
 * enrol.h: enrolment requests.  The subscriber submits a CSR with a
 * one-time enrolment code of its organisation (org.h) and the disclosure
 * version its contracting party acknowledged (REQUIREMENTS.md points 1 and
 * 8); the RA approves or rejects; approval leads to issue_cert() and the
 * request is finished with the serial or the failure.  Every change writes
 * its audit record in the same transaction.  The HTTP handlers (api_enrol,
 * api_ra) sit on top.
 *
 * A request token is 32 bytes of RAND_bytes in base64url without padding;
 * the store keeps only its SHA-256.
 */
#ifndef ESEAL_ENROL_H
#define ESEAL_ENROL_H

#include <stddef.h>
#include <stdint.h>

#include "csr.h"
#include "disclosure.h"
#include "err.h"
#include "org.h"
#include "profile.h"
#include "store.h"

#define ENROL_TOKEN_LEN		43	/* base64url of 32 random bytes */
#define ENROL_ACTOR_MAX		64	/* operator names, with NUL */
#define ENROL_TEXT_MAX		256	/* reasons */
#define ENROL_ADDR_MAX		64	/* client address, with NUL */

/* The states of a request.  pending -> approved|rejected; approved ->
 * issued|failed. */
enum enrol_status {
	ENROL_PENDING,
	ENROL_APPROVED,
	ENROL_REJECTED,
	ENROL_ISSUED,
	ENROL_FAILED,
	ENROL_STATUS_MAX
};

/* "pending", "approved", ... */
const char	*enrol_status_name(enum enrol_status);
/* The status named s, or -1. */
int		 enrol_status_parse(const char *s);

/*
 * A subscriber's submission.  disclosure is the current disclosure;
 * (disclosure_version, disclosure_sha256) is the acknowledgement that comes
 * with the submission (both NULL: none), which must name the current one.
 * With disclosure NULL the caller vouches for the version itself: then the
 * pair is required and only its form is checked.  signer_name and
 * signer_title (the contracting party) are required when the organisation
 * has not acknowledged that version yet, and ignored otherwise.
 */
struct enrol_submission {
	const char		*code;
	const unsigned char	*csr_der;	/* DER or PEM, MAX_CSR_BYTES */
	size_t			 csr_len;
	const char		*profile;	/* [a-z0-9-]: conf/profiles/ */
	enum key_holder		 holder;
	int			 qscd;		/* 0 or 1 */
	const char		*disclosure_version;
	const char		*disclosure_sha256;
	const char		*signer_name;
	const char		*signer_title;
	const char		*client_addr;	/* "" or NULL if unknown */
	const struct disclosure	*disclosure;	/* current, or NULL: above */
};

struct csr;

/*
 * A check of a submission that this layer cannot make itself: the CA's
 * (the key against the crypto policy, known keys and the HSM module; the
 * profile), enrol_issue_check() behind it.  rec is the code's
 * organisation, csr the request as parsed.
 */
typedef enum eseal_rc (*enrol_check_fn)(void *arg, const struct org_rec *rec,
    const struct csr *csr, const struct enrol_submission *sub, int64_t now);

/*
 * The enrolment rules for a submission, in their order, then a pending
 * request:
 *  1. the code, as org_code_check() does (EAUTH, ETOOMANY): nothing about
 *     the body is said to someone without a valid code;
 *  2. the acknowledgement (panel point 1): ESEAL_ESTALE if the one given is
 *     not of the current disclosure version and text, ESEAL_ENOACK if the
 *     organisation has not acknowledged the current version and the
 *     submission does not (with the contracting party's name and title);
 *     neither costs the code anything;
 *  3. the body (profile name, key holder, qscd, client address, the CSR
 *     with csr_parse()), then check(check_arg, ...) if check is not NULL.
 *     A refusal as bad input (EINVAL) or by a rule (EPOLICY) costs the
 *     code one attempt, with its audit record "enrol.code.refused"; at
 *     ORG_CODE_ATTEMPTS the code locks and the RA must hand out a new one.
 *     Store and memory failures cost nothing;
 *  4. in one transaction: the code is consumed, the acknowledgement
 *     recorded if the organisation had none for that version, the CSR
 *     stored as DER, and the audit records written.
 * *id gets the request id, token_out (ENROL_TOKEN_LEN + 1 bytes) the
 * request token, shown once and stored hashed.
 */
enum eseal_rc	enrol_request_create(struct store *,
		    const struct enrol_submission *, enrol_check_fn check,
		    void *check_arg, int64_t now, int64_t *id,
		    char *token_out);

struct enrol_request {
	int64_t		 id;
	int64_t		 org_id;
	char		 status[16];	/* enrol_status_name() */
	unsigned char	*csr;		/* DER, owned; NULL in lists */
	size_t		 csr_len;
	char		 profile[64];
	enum key_holder	 holder;
	int		 qscd;
	char		 disclosure_version[DISCLOSURE_VERSION_MAX];
	char		 client_addr[ENROL_ADDR_MAX];
	int64_t		 created;
	char		 decided_by[ENROL_ACTOR_MAX];	/* "" while pending */
	int64_t		 decided_at;			/* 0 while pending */
	char		 reason[ENROL_TEXT_MAX];	/* rejection, failure */
	char		 serial[STORE_SERIAL_HEX_MAX];	/* once issued */
	int64_t		 finished_at;			/* issued or failed */
};

/* ENOTFOUND if none.  Free the CSR with enrol_request_clear. */
enum eseal_rc	enrol_request_get(struct store *, int64_t id,
		    struct enrol_request *);
void		enrol_request_clear(struct enrol_request *);

/*
 * Authorises a subscriber's read of request id: token_or_code is its
 * request token, or the enrolment code that created it (used or expired
 * alike).  Hashes are compared in constant time.  ESEAL_EAUTH with the
 * same message for an unknown id and a wrong secret.
 */
enum eseal_rc	enrol_request_auth(struct store *, int64_t id,
		    const char *token_or_code);

/*
 * Which request token_or_code (a request token or the enrolment code that
 * created a request) belongs to: *id gets it.  ESEAL_EAUTH (the message of
 * enrol_request_auth) if it belongs to none.  For saying "your credential
 * does not cover that" (403) rather than "who are you" (401).
 */
enum eseal_rc	enrol_request_find(struct store *, const char *token_or_code,
		    int64_t *id);

/* What an RA officer sees of a request before deciding (issue 11). */
struct enrol_request_detail {
	char		 org_name[ORG_NAME_CHARS * 3 + 1];	/* UTF-8 */
	char		 org_identifier[ORGID_MAX];
	char		 key_type[CSR_KEY_DESC_MAX];	/* csr_key_describe() */
	char		 key_sha256[2 * CSR_SPKI_SHA256_LEN + 1];	/* hex,
						   of the DER SPKI */
	char		 ack_name[ORG_TEXT_MAX];	/* who acknowledged the */
	char		 ack_title[ORG_TEXT_MAX];	/* request's disclosure
							   version */
	int64_t		 ack_at;
};

/*
 * Fills d for request id: its organisation, the key of its CSR, and the
 * acknowledgement of its disclosure version.  ENOTFOUND for no such
 * request; EINVAL if its stored CSR no longer parses (never, for a request
 * made through enrol_request_create).
 */
enum eseal_rc	enrol_request_detail(struct store *, int64_t id,
		    struct enrol_request_detail *d);

/*
 * Requests with status (NULL or "": all), oldest first, without CSRs.
 * EINVAL for an unknown status.  *out is an array of *n (NULL if none) to
 * free with enrol_request_list_free.
 */
enum eseal_rc	enrol_request_list(struct store *, const char *status,
		    struct enrol_request **out, size_t *n);
void		enrol_request_list_free(struct enrol_request *, size_t);

/*
 * pending -> approved (approve != 0) or rejected, by actor at now.  reason
 * (one line, < ENROL_TEXT_MAX bytes) is required to reject, optional to
 * approve.  ENOTFOUND for no such request, EEXIST if it is not pending.
 * Audit record "enrol.approve" or "enrol.reject".
 */
enum eseal_rc	enrol_request_decide(struct store *, int64_t id, int approve,
		    const char *actor, const char *reason, int64_t now);

/*
 * approved -> issued with serial (lower-case hex of a certificate in the
 * store), or -> failed with fail_reason (one line of UTF-8; cut to
 * ENROL_TEXT_MAX - 1 bytes at a character boundary): exactly one of them.  ENOTFOUND for
 * no such request or certificate, EEXIST if it is not approved.  Audit
 * record "enrol.issued" or "enrol.failed", by the approver.
 */
enum eseal_rc	enrol_request_finish(struct store *, int64_t id,
		    const char *serial, const char *fail_reason, int64_t now);

#endif
