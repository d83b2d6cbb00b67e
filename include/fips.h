/*
 * fips.h: the HSM module registry (conf/hsm-modules.conf) and the effective
 * FIPS 140 (NIST CMVP) status of a token at a given time.  The registry maps
 * a token (CK_TOKEN_INFO manufacturer, model, firmware) to its CMVP
 * certificate, listed status and sunset date; fips_evaluate() is a pure
 * function of (registry, token identity, time) and fips_check() turns its
 * verdict into a refusal for one use.  See docs/hsm-modules.md.
 *
 * A loaded registry is immutable: any number of threads may evaluate
 * against it.  To reload (SIGHUP), load a new one and free the old one when
 * no verdict pointing into it is in use.
 */
#ifndef ESEAL_FIPS_H
#define ESEAL_FIPS_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "p11.h"

#define FIPS_ID_MAX		32	/* longest module id in "[module <id>]" */
#define FIPS_CERT_DIGITS_MAX	6	/* CMVP certificates: 1..5 digits today */
#define FIPS_YEAR_MIN		1995	/* CMVP started validating in 1995 */
#define FIPS_YEAR_MAX		2199	/* a date beyond this is a typo */
#define FIPS_ENTRIES_MAX	256	/* most [module] sections in a registry */
#define FIPS_MODULE_DESC_MAX	160	/* struct fips_verdict.module */
/* The registry file: 256 entries of 13 lines of 198 bytes, with comments. */
#define FIPS_FILE_MAX		(1024 * 1024)

/* 2026-09-22T00:00:00Z: every FIPS 140-2 validation moved to Historical. */
#define FIPS_140_2_HISTORICAL	((time_t)1790035200)

enum fips_status {
	FIPS_ACTIVE,		/* CMVP Active */
	FIPS_HISTORICAL,	/* CMVP Historical: existing applications only */
	FIPS_REVOKED,		/* CMVP Revoked */
	FIPS_NOT_VALIDATED,	/* in the registry as status = not-validated */
	FIPS_UNLISTED,		/* matches no registry entry */
	FIPS_STATUS_MAX
};

/* "Active", "Historical", "Revoked", "not validated", "unlisted". */
const char	*fips_status_name(enum fips_status);

enum fips_use {
	FIPS_USE_KEYGEN,	/* generate or import an issuer key */
	FIPS_USE_ISSUE,		/* issue certificates with a key on it */
	FIPS_USE_STATUS_SIGN,	/* sign CRLs, OCSP responses, audit checkpoints */
	FIPS_USE_MAX
};

/* "keygen", "issue", "status-sign". */
const char	*fips_use_name(enum fips_use);

struct fips_registry;
struct fips_entry;

/*
 * Reads and checks the registry at path, a regular file of at most
 * FIPS_FILE_MAX bytes.  On success *out is a new registry freed with
 * fips_free().  On any error returns ESEAL_ECONF (ESEAL_ENOMEM), sets *out
 * to NULL and leaves the message "path:line: [section] key: what is wrong".
 * Refused besides bad values: every line the INI reader refuses (ini.h:
 * lines inih would misread), unknown sections and keys, a key or section
 * given twice, a section without keys, a validated entry without
 * cmvp_cert, standard, level or checked, a FIPS 140-3 entry without
 * sunset, and two entries that can match the same token with the same
 * specificity (both with, or both without, a firmware range).  [policy]
 * keys default to refuse.
 */
enum eseal_rc	 fips_load(const char *path, struct fips_registry **out);
void		 fips_free(struct fips_registry *);

/* Number of [module] entries, and the i-th in file order (borrowed). */
size_t		 fips_count(const struct fips_registry *);
const struct fips_entry *fips_entry_at(const struct fips_registry *, size_t i);

/* Accessors; strings are borrowed from the registry, "" when not given. */
const char	*fips_entry_id(const struct fips_entry *);	/* section id */
const char	*fips_entry_manufacturer(const struct fips_entry *);
const char	*fips_entry_model(const struct fips_entry *);
const char	*fips_entry_cert(const struct fips_entry *);	/* "4962" or "" */
const char	*fips_entry_standard(const struct fips_entry *); /* "FIPS 140-3" or "" */
int		 fips_entry_level(const struct fips_entry *);	/* 1..4, 0 if none */
/* The status written in the registry (never FIPS_UNLISTED). */
enum fips_status fips_entry_listed(const struct fips_entry *);
time_t		 fips_entry_sunset(const struct fips_entry *);	/* 0 if none */
time_t		 fips_entry_checked(const struct fips_entry *);	/* 0 if none */
const char	*fips_entry_source(const struct fips_entry *);
/* Writes the firmware range: "7.3 to 7.9", "7.3 or later", "up to 7.9", "any". */
void		 fips_entry_firmware(const struct fips_entry *, char *buf,
		    size_t bufsz);

struct fips_verdict {
	enum fips_status	 status;	/* effective status now */
	const struct fips_entry	*entry;		/* matched entry (borrowed) or NULL */
	char			 module[FIPS_MODULE_DESC_MAX];
					/* "luna-7 (Thales Luna K7, CMVP #4962)" */
	char			 reason[256];	/* why this status, citing the rule */
	int			 allowed[FIPS_USE_MAX];	/* what the module may do now */
	int			 warn;		/* 1 unless Active: tell operators */
	int			 degraded;	/* 1 if issuing is refused: health "degraded" */
	time_t			 historical_from;
					/* when a date rule (sunset, 140-2) makes it
					   Historical, past or future; 0 if none */
};

/*
 * Pure: the effective status of the token with identity id at time now.
 * Revoked if listed Revoked; Historical if listed Historical, or now >= its
 * sunset day 00:00 UTC, or it is FIPS 140-2 and now >= 2026-09-22 00:00 UTC;
 * otherwise Active.  Unlisted and not-validated modules follow [policy]:
 * allow permits every use with warn = 1; refuse refuses keygen and issue.
 * Status signing is always allowed.  A token matches an entry when
 * manufacturer and model are equal (exactly) and its firmware lies in the
 * entry's range; an entry with a range wins over one without.  A NULL
 * registry treats every token as unlisted under refuse.  out->entry points
 * into the registry: it lives as long as the registry.
 */
void		 fips_evaluate(const struct fips_registry *,
		    const struct p11_identity *id, time_t now,
		    struct fips_verdict *out);

/*
 * ESEAL_OK if the verdict allows use.  Otherwise ESEAL_EPOLICY with one
 * line naming the module, its CMVP certificate, its effective status, why,
 * and what is refused: "fips: module luna-7 (Thales Luna K7, CMVP #4962) is
 * Historical: listed Historical in the registry; issuer keys may not be
 * generated or imported on it".
 */
enum eseal_rc	 fips_check(const struct fips_verdict *, enum fips_use);

#endif
