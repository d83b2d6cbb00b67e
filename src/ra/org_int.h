/*
 * org_int.h: what org.c lends enrol.c and nothing else may use: the
 * checks of one-line input, SHA-256, finding an enrolment code by its hash,
 * charging a code for a refused submission, and recording an
 * acknowledgement inside a transaction that enrol.c holds.
 */
#ifndef ESEAL_ORG_INT_H
#define ESEAL_ORG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "org.h"
#include "store_enrol.h"

#define ORG_HASH_LEN	STORE_HASH_LEN	/* SHA-256 of a code, a token */

/* The one answer for malformed, unknown, used and expired codes. */
#define ORG_MSG_BADCODE	"org: EN 319 411-1 6.2.2: invalid enrolment code"

/*
 * ESEAL_OK if s is one line of UTF-8 shorter than size bytes and at most
 * maxchars characters (0: no character limit); NULL or "" is ESEAL_OK
 * unless required.  ESEAL_EINVAL naming what otherwise.
 */
enum eseal_rc	org_check_line(const char *what, const char *s,
		    size_t size, size_t maxchars, int required);
/* The actor of an audit record: required, one line.  mod: "org", "enrol",
 * the module that refuses. */
enum eseal_rc	org_check_actor(const char *mod, const char *actor);
/* A client address as the front end reports it (NULL: none). */
enum eseal_rc	org_check_addr(const char *mod, const char *addr);

/* SHA-256 of buf into out; 0 on failure. */
int		org_sha256(const void *buf, size_t len,
		    unsigned char out[ORG_HASH_LEN]);
/* SHA-256 of a code's canonical form; 0 if code is no code. */
int		org_code_hash(const char *code,
		    unsigned char out[ORG_HASH_LEN]);

/*
 * Finds code (hash gets its hash, *c its row) and says whether it may be
 * used at now: ESEAL_EAUTH ORG_MSG_BADCODE alike for malformed, unknown,
 * used and expired, ESEAL_ETOOMANY for locked.
 */
enum eseal_rc	org_code_lookup(struct store *, const char *code,
		    int64_t now, unsigned char hash[ORG_HASH_LEN],
		    struct store_code *c);

/*
 * What refusal rc of a submission with a valid code costs the code: one
 * attempt if rc is ESEAL_EINVAL or ESEAL_EPOLICY (bad input, or refused by
 * a rule), with an audit record "enrol.code.refused" carrying the current
 * error message; nothing otherwise.  Returns rc with that message kept
 * (and the news that the code locked, if it did), or the store's error.
 * An invalid code is left alone.  The one place attempts are counted.
 */
enum eseal_rc	org_code_refused(struct store *, const char *code,
		    int64_t now, enum eseal_rc rc);

/*
 * Inside a transaction: records the acknowledgement of (version, sha256hex)
 * for org_id unless it is there already with the same hash (ESEAL_EEXIST
 * with another); *created says whether it was new.  As org_ack().
 */
enum eseal_rc	org_ack_record(struct store *, int64_t org_id,
		    const char *version, const char *sha256hex,
		    const char *signer_name, const char *signer_title,
		    const char *client_addr, int64_t now, int *created);

#endif
