/*
 * org.h: the organisations the RA has vetted, the one-time enrolment codes
 * it hands each of them, and each organisation's acknowledgements of the
 * important-matters disclosure (REQUIREMENTS.md point 1).  Every change
 * writes its audit record in the same transaction.  Requests made with a
 * code are enrol.h's.
 *
 * An enrolment code is ORG_CODE_LEN characters of RFC 4648 base32 (A-Z,
 * 2-7) from 15 bytes of RAND_bytes (120 bits); the store keeps only its
 * SHA-256 (120 random bits need no slow hash).  Codes are read
 * case-insensitively and may be grouped with '-' for reading aloud
 * ("ABCD-EFGH-..."): both are dropped before hashing.
 */
#ifndef ESEAL_ORG_H
#define ESEAL_ORG_H

#include <stdint.h>

#include "err.h"
#include "orgid.h"
#include "profile.h"
#include "store.h"

#define ORG_CODE_LEN		24	/* enrolment code: base32 of 15 random
					   bytes, ungrouped */
#define ORG_CODE_INPUT_MAX	64	/* longest code accepted, with '-' */
#define ORG_CODE_ATTEMPTS	5	/* refused submissions before a code
					   locks */
#define ORG_CODE_TTL_MAX	(30 * 86400)	/* a code lives 30 days at
						   most */
#define ORG_NAME_CHARS		64	/* ub-organization-name (X.520) */
#define ORG_ACTOR_MAX		64	/* operator names, with NUL */
#define ORG_TEXT_MAX		256	/* evidence, signer names and titles */
#define ORG_ADDR_MAX		64	/* client address, with NUL */

/* A vetted organisation. */
struct org_rec {
	int64_t	 id;
	char	 name[PROFILE_ATTR_MAX];	/* organizationName, UTF-8 */
	char	 english_name[PROFILE_ATTR_MAX];	/* "" if none */
	char	 country[3];			/* ISO 3166-1 alpha-2 */
	char	 corporate_number[14];		/* 法人番号, JP only */
	char	 identifier[ORGID_MAX];		/* organizationIdentifier */
	char	 evidence[ORG_TEXT_MAX];	/* vetting evidence reference */
	int64_t	 created;
};

/*
 * Registers a vetted organisation.  For country JP the corporate number
 * must pass the check digit (ESEAL_EINVAL naming the Ministry of Finance
 * ordinance) and the identifier becomes "NTRJP-<number>" (an identifier
 * given must be that one).  Other countries give no corporate number and an
 * explicit identifier that orgid_parse() accepts, with their own country
 * code (LEI: XG).  name: 1 to 64 characters of one-line UTF-8 (and at most
 * PROFILE_ATTR_MAX - 1 bytes), not equal to the identifier; english_name
 * likewise or ""; evidence (where the vetting record is) required.
 * ESEAL_EEXIST if the identifier is registered already.  On success
 * rec->id, rec->identifier and rec->created are filled, with an audit
 * record "org.register" by actor.
 */
enum eseal_rc	org_register(struct store *, struct org_rec *rec,
		    int64_t now, const char *actor);
/* ESEAL_ENOTFOUND if there is no organisation id. */
enum eseal_rc	org_get(struct store *, int64_t id, struct org_rec *);
/*
 * The registered organisation ref names: its id in decimal ("1"), or its
 * organizationIdentifier exactly as registered ("NTRJP-7123456789012").
 * ESEAL_ENOTFOUND naming ref if there is none.
 */
enum eseal_rc	org_find(struct store *, const char *ref, struct org_rec *);
/*
 * ESEAL_OK if name is NULL or the registered name of rec; ESEAL_EEXIST
 * naming EN 319 412-1 5.1.4 and the registered record otherwise (one
 * identifier, one name).
 */
enum eseal_rc	org_same_name(const struct org_rec *rec, const char *name);
/*
 * org_register (*created = 1), or, if rec's identifier is registered
 * already under the same name, that record into *rec (*created = 0, no
 * audit record, the rest of rec not compared).  Under another name:
 * org_same_name's ESEAL_EEXIST.  For offline issuance, which names or
 * registers the organisation in one command.
 */
enum eseal_rc	org_register_or_find(struct store *, struct org_rec *rec,
		    int64_t now, const char *actor, int *created);
/* The certificate subject for issuance: country, name, identifier; the
 * commonName is the name; no unit or locality. */
void		org_to_subject(const struct org_rec *, struct org *out);

/*
 * A new one-time enrolment code for org_id, expiring ttl_secs (1 to
 * ORG_CODE_TTL_MAX) after now, with ORG_CODE_ATTEMPTS attempts.
 * code_out (ORG_CODE_LEN + 1 bytes) gets the code: it is shown once and
 * never stored.  Other codes of the organisation stay valid.  ENOTFOUND
 * for an unknown organisation.  Audit record "enrol.code.issue".
 */
enum eseal_rc	org_code_new(struct store *, int64_t org_id, int ttl_secs,
		    int64_t now, const char *actor, char *code_out);

/*
 * Checks a code without consuming it, and gives its organisation.
 * ESEAL_EAUTH "enrol: invalid enrolment code" alike for malformed,
 * unknown, used and expired codes; ESEAL_ETOOMANY for a code locked by
 * ORG_CODE_ATTEMPTS refused submissions (only its holder can learn that).
 */
enum eseal_rc	org_code_check(struct store *, const char *code,
		    int64_t now, int64_t *org_id);

/*
 * Records the contracting party's acknowledgement of disclosure
 * (version, sha256) for org_id, with the party's name and title (one-line
 * UTF-8, required).  Once per organisation and version: acknowledging a
 * version again with the same sha256 is ESEAL_OK and keeps the first
 * record; with another sha256 it is ESEAL_EEXIST (a version's text never
 * changes).  The caller checks (version, sha256) against the current
 * disclosure (disclosure_check) when the acknowledgement comes from
 * outside.  Audit record "disclosure.ack" for a new record.
 */
enum eseal_rc	org_ack(struct store *, int64_t org_id, const char *version,
		    const char *sha256, const char *signer_name,
		    const char *signer_title, const char *client_addr,
		    int64_t now);
/* 1 if org_id acknowledged version, 0 if not, -1 on a store error. */
int		org_ack_exists(struct store *, int64_t org_id,
		    const char *version);

#endif
