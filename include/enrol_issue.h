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
 * the reason, and the error is returned.
 */
enum eseal_rc	enrol_issue(struct ca *, int64_t id, const char *actor,
		    int64_t now, char serial[STORE_SERIAL_HEX_MAX]);

#endif
