/*
 * revoke.h: revoking end-entity certificates with an RFC 5280 CRLReason.
 * A revocation is final: certificateHold and removeFromCRL are not offered.
 * A second revocation of the same certificate is a conflict, except that
 * the reason may be raised to keyCompromise (the revocation time is kept,
 * as RFC 5280 5.3.1 and CA/B Forum BR 4.9.1.1 expect).
 */
#ifndef ESEAL_REVOKE_H
#define ESEAL_REVOKE_H

#include <stdint.h>

#include "ca.h"
#include "store_revoke.h"

/* RFC 5280 5.3.1 CRLReason: the values are the codes on the wire. */
enum revoke_reason {
	REVOKE_UNSPECIFIED = 0,
	REVOKE_KEY_COMPROMISE = 1,
	REVOKE_CA_COMPROMISE = 2,
	REVOKE_AFFILIATION_CHANGED = 3,
	REVOKE_SUPERSEDED = 4,
	REVOKE_CESSATION_OF_OPERATION = 5,
	REVOKE_CERTIFICATE_HOLD = 6,
	/* 7 is not used */
	REVOKE_REMOVE_FROM_CRL = 8,
	REVOKE_PRIVILEGE_WITHDRAWN = 9,
	REVOKE_AA_COMPROMISE = 10,
	REVOKE_REASON_MAX
};

/* The RFC 5280 name ("keyCompromise", ...); "?" for 7 or out of range. */
const char	*revoke_reason_name(enum revoke_reason);

/*
 * Parses an RFC 5280 reason name, exactly as spelled there (case
 * matters).  ESEAL_EINVAL if s is none of them.  Parsing succeeds for
 * reasons that revoke_cert() refuses, so that the refusal can say why.
 */
enum eseal_rc	revoke_reason_parse(const char *s, enum revoke_reason *out);

/*
 * 1 if the reason may be given for an end-entity certificate here:
 * unspecified, keyCompromise, affiliationChanged, superseded,
 * cessationOfOperation, privilegeWithdrawn.
 */
int		revoke_reason_offered(enum revoke_reason);

struct revoke_request {
	const char		*serial;	/* hex, any case, leading zeros optional */
	enum revoke_reason	 reason;
	int64_t			 invalidity_date; /* RFC 5280 5.3.2; 0 = none */
	const char		*actor;		/* who asked: kept and audited */
};

/*
 * Revokes the issued certificate with that serial at time now, with one
 * audit record ("cert.revoke", or "cert.revoke.upgrade" when the reason
 * is raised to keyCompromise) in the same transaction.  Returns:
 *   ESEAL_OK        revoked (or reason raised); *out (if not NULL) holds
 *                   the revocation as recorded;
 *   ESEAL_EINVAL    bad serial, actor, or an invalidity date in the future;
 *   ESEAL_EPOLICY   a reason that is not offered (cACompromise,
 *                   certificateHold, removeFromCRL, aACompromise);
 *   ESEAL_ENOTFOUND no certificate with that serial was ever issued
 *                   (unknown, still pending, or failed);
 *   ESEAL_EEXIST    already revoked, and not a raise to keyCompromise.
 */
enum eseal_rc	revoke_cert(struct ca *, const struct revoke_request *,
		    int64_t now, struct store_revocation *out);

#endif
