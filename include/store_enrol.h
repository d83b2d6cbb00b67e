/*
 * store_enrol.h: the store's records of enrolment (tables organizations,
 * disclosure_acks, enrolment_codes and enrolment_requests of
 * schema/005_enrolment.sql).  Part of the store module: store_enrol.c is the
 * only code that speaks SQL for them.  Each call holds the store's lock
 * around its statement, so a call may be made inside a transaction opened
 * with store_begin() or on its own.  No checking of content happens here
 * beyond what the schema enforces: enrol.c validates first.
 */
#ifndef ESEAL_STORE_ENROL_H
#define ESEAL_STORE_ENROL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

#define STORE_ORG_NAME_MAX	(64 * 3 + 1)	/* 64 characters, mostly 3-byte
						   UTF-8 (= PROFILE_ATTR_MAX) */
#define STORE_ORGID_MAX		128	/* organizationIdentifier (= ORGID_MAX) */
#define STORE_TEXT_MAX		256	/* evidence, reasons, signer names */
#define STORE_ACTOR_NAME_MAX	64	/* who registered, decided */
#define STORE_ADDR_MAX		64	/* client address "[v6]:port" */
#define STORE_PROFILE_MAX	64	/* profile name */
#define STORE_VERSION_MAX	32	/* disclosure version (=
					   DISCLOSURE_VERSION_MAX) */
#define STORE_HASH_LEN		32	/* SHA-256 of a code or token */

struct store_org {
	int64_t	 id;
	char	 name[STORE_ORG_NAME_MAX];
	char	 english_name[STORE_ORG_NAME_MAX];
	char	 country[3];
	char	 corporate_number[14];	/* "" = none (stored NULL) */
	char	 identifier[STORE_ORGID_MAX];
	char	 evidence[STORE_TEXT_MAX];
	int64_t	 created;
	char	 created_by[STORE_ACTOR_NAME_MAX];
};

struct store_ack {
	int64_t	 org_id;
	char	 version[STORE_VERSION_MAX];
	char	 sha256[65];		/* lower-case hex */
	char	 signer_name[STORE_TEXT_MAX];
	char	 signer_title[STORE_TEXT_MAX];
	char	 client_addr[STORE_ADDR_MAX];
	int64_t	 acknowledged_at;
};

struct store_code {
	unsigned char	 hash[STORE_HASH_LEN];
	int64_t		 org_id;
	int64_t		 created, expires;
	int		 attempts_left;
	int64_t		 used_at;	/* 0 = not used */
	char		 created_by[STORE_ACTOR_NAME_MAX];
};

struct store_enrol_req {
	int64_t		 id;
	int64_t		 org_id;
	char		 status[16];	/* pending approved rejected issued
					   failed */
	unsigned char	*csr;		/* DER, owned (malloc); NULL in lists */
	size_t		 csr_len;
	char		 profile[STORE_PROFILE_MAX];
	char		 key_holder[16];	/* key_holder_name() */
	int		 qscd;
	unsigned char	 token_hash[STORE_HASH_LEN];
	unsigned char	 code_hash[STORE_HASH_LEN];
	char		 disclosure_version[STORE_VERSION_MAX];
	char		 client_addr[STORE_ADDR_MAX];
	int64_t		 created;
	char		 decided_by[STORE_ACTOR_NAME_MAX];	/* "" if none */
	int64_t		 decided_at;			/* 0 if none */
	char		 reason[STORE_TEXT_MAX];	/* "" if none */
	char		 serial[STORE_SERIAL_HEX_MAX];	/* "" until issued */
	int64_t		 finished_at;	/* issued or failed; 0 before */
};

/* Organisations.  *id gets the new row id; EEXIST if the identifier (or
 * the corporate number) is registered already. */
enum eseal_rc	store_org_insert(struct store *, const struct store_org *,
		    int64_t *id);
/* ENOTFOUND if there is no organisation id. */
enum eseal_rc	store_org_get(struct store *, int64_t id, struct store_org *);
/* ENOTFOUND if no organisation has that organizationIdentifier. */
enum eseal_rc	store_org_by_identifier(struct store *, const char *identifier,
		    struct store_org *);

/* Acknowledgements.  EEXIST if (org_id, version) is recorded already,
 * ENOTFOUND if the organisation does not exist. */
enum eseal_rc	store_ack_insert(struct store *, const struct store_ack *);
/* ENOTFOUND if the organisation never acknowledged that version. */
enum eseal_rc	store_ack_get(struct store *, int64_t org_id,
		    const char *version, struct store_ack *);

/* Codes.  EEXIST if the hash is taken (never, with 120 random bits). */
enum eseal_rc	store_code_insert(struct store *, const struct store_code *);
/* ENOTFOUND if no code has that hash. */
enum eseal_rc	store_code_get(struct store *,
		    const unsigned char hash[STORE_HASH_LEN], struct store_code *);
/*
 * Marks the code used at now, only if it is unused, unexpired at now and
 * has attempts left; EEXIST otherwise (someone used it meanwhile).
 */
enum eseal_rc	store_code_consume(struct store *,
		    const unsigned char hash[STORE_HASH_LEN], int64_t now);
/* One failed attempt: attempts_left down by one (not below 0); *left gets
 * what remains.  ENOTFOUND if no code has that hash. */
enum eseal_rc	store_code_fail(struct store *,
		    const unsigned char hash[STORE_HASH_LEN], int *left);

/* Requests.  The row is inserted pending; *id gets its id.  ESTORE if a
 * foreign key (organisation, code, acknowledgement) does not hold. */
enum eseal_rc	store_enrol_req_insert(struct store *,
		    const struct store_enrol_req *, int64_t created, int64_t *id);
/* The request that was issued serial.  ENOTFOUND if none. */
enum eseal_rc	store_enrol_req_by_serial(struct store *, const char *serial,
		    int64_t *id);
/* The request whose token hash (is_code 0) or code hash (is_code 1) is
 * hash.  ENOTFOUND if none. */
enum eseal_rc	store_enrol_req_by_hash(struct store *,
		    const unsigned char hash[STORE_HASH_LEN], int is_code,
		    int64_t *id);
/* With the CSR.  ENOTFOUND if none.  Free with store_enrol_req_clear. */
enum eseal_rc	store_enrol_req_get(struct store *, int64_t id,
		    struct store_enrol_req *);
/*
 * Requests with that status (NULL: all), oldest first, without their CSRs:
 * *out is an array of *n (NULL if none) to free with
 * store_enrol_req_list_free.
 */
enum eseal_rc	store_enrol_req_list(struct store *, const char *status,
		    struct store_enrol_req **out, size_t *n);
/*
 * pending -> status ("approved" or "rejected") by actor at now, reason
 * ("" for none).  ENOTFOUND if no such request, EEXIST if not pending.
 */
enum eseal_rc	store_enrol_req_decide(struct store *, int64_t id,
		    const char *status, const char *actor, const char *reason,
		    int64_t now);
/*
 * approved -> "issued" with serial, or -> "failed" with reason.  ENOTFOUND
 * if no such request (or, for issued, no certificate with that serial),
 * EEXIST if not approved.
 */
enum eseal_rc	store_enrol_req_finish(struct store *, int64_t id,
		    const char *status, const char *serial, const char *reason,
		    int64_t now);
void		store_enrol_req_clear(struct store_enrol_req *);
void		store_enrol_req_list_free(struct store_enrol_req *, size_t);

#endif
