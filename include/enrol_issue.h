/*
 * enrol_issue.h: issuing an approved enrolment request: the vetted
 * organisation's record, the stored CSR and the request's profile and key
 * holder go through the issuance pipeline; the request ends issued or
 * failed.
 */
#ifndef ESEAL_ENROL_ISSUE_H
#define ESEAL_ENROL_ISSUE_H

#include <stdint.h>

#include "ca.h"
#include "csr.h"
#include "enrol.h"
#include "issue.h"
#include "profile.h"

/*
 * Checks a request before it is recorded (the CSR's key against the
 * policy, known keys and the HSM module; the profile exists).  Used at
 * submission, so a bad request is refused at once.
 */
enum eseal_rc	enrol_issue_check(struct ca *, const struct org_rec *,
		    const struct csr *, const char *profile,
		    enum key_holder, int qscd, int64_t now);

/* 1 if the profile named issues without an RA's approval. */
int		enrol_profile_auto(struct ca *, const char *profile);

/*
 * Issues request id (which must be approved).  On success serial gets the
 * new certificate's serial; on failure the request is marked failed with
 * the reason, and the error is returned.  ESEAL_ETOOMANY (nothing done)
 * while another thread of this process issues the same request.
 */
enum eseal_rc	enrol_issue(struct ca *, int64_t id, const char *actor,
		    int64_t now, char serial[STORE_SERIAL_HEX_MAX]);

/*
 * An RA officer's (or the auto-approval's) approval: request id goes from
 * pending to approved by actor in the transaction that records its pending
 * certificate, then is issued as by enrol_issue().  A request left
 * approved by HSM or store trouble during an earlier issuance is issued
 * again.  ESEAL_ENOTFOUND, ESEAL_EEXIST if it is neither pending nor
 * approved; otherwise as enrol_issue().
 */
enum eseal_rc	enrol_issue_approve(struct ca *, int64_t id,
		    const char *actor, int64_t now,
		    char serial[STORE_SERIAL_HEX_MAX]);

/* Who finishes an approved request left behind (enrol_issue_resume). */
#define ENROL_RESUME_ACTOR	"resume"
/*
 * How long the running daemon leaves an approved request or a pending
 * certificate alone before it takes it as left behind: longer than any
 * issuance under way takes (seconds).
 */
#define ENROL_RESUME_GRACE_SECS	60
#define ENROL_RESUME_EVERY_SECS	30	/* the daemon's resume rounds */

/* What enrol_issue_resume() did. */
struct enrol_resume {
	int	finished;	/* pending certificates signed and issued */
	int	failed;		/* pending certificates failed for good */
	int	issued;		/* approved requests finished issued */
	int	refused;	/* approved requests finished failed */
};

/*
 * Resume, don't wait: finishes the pending certificate rows recorded at
 * or before now - grace (issue_recover_before), then issues every
 * enrolment request approved at or before now - grace that has no
 * certificate yet (enrol_issue(), by ENROL_RESUME_ACTOR), reusing the
 * certificate already signed or recorded for it, never a second one.
 * Stops at HSM or store trouble (returned; the next round tries again).
 * The daemon calls it at start-up with grace 0 and every
 * ENROL_RESUME_EVERY_SECS with ENROL_RESUME_GRACE_SECS.
 */
enum eseal_rc	enrol_issue_resume(struct ca *, int64_t now, int64_t grace,
		    struct enrol_resume *out);

/* Who approves what a profile lets through (auto_approve). */
#define ENROL_AUTO_ACTOR	"auto-approval"

/* What a submission came to. */
struct enrol_outcome {
	int64_t			 id;
	char			 token[ENROL_TOKEN_LEN + 1];	/* shown once */
	enum enrol_status	 status;	/* pending; or issued, failed or
						   approved (to retry) after an
						   auto-approval */
	char			 serial[STORE_SERIAL_HEX_MAX];	/* if issued */
};

/*
 * A subscriber's submission from start to end: enrol_request_create() with
 * the CA's check (enrol_issue_check()) in its place, so that a key or
 * profile the CA would refuse is refused at once and costs the code an
 * attempt; then, if the profile allows issuance without an RA
 * (auto_approve), enrol_issue_approve() by ENROL_AUTO_ACTOR.  Returns what
 * enrol_request_create() returns; once the request exists it is ESEAL_OK
 * and out->status says how far it went (a failed auto-approval is logged
 * and kept with the request, as any failed issuance).
 */
enum eseal_rc	enrol_issue_submit(struct ca *,
		    const struct enrol_submission *, int64_t now,
		    struct enrol_outcome *out);

#endif
