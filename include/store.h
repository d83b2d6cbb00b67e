/*
 * store.h: the CA's records in SQLite, and the only code that speaks SQL.
 * A struct store is one connection; calls on it are serialised by an
 * internal mutex, so one may be shared by threads, and a thread that needs
 * its own connection opens its own.  Nothing outside src/store/ may depend
 * on SQLite (its files share src/store/store_int.h): a second backend is a
 * new file behind this header.
 */
#ifndef ESEAL_STORE_H
#define ESEAL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

#define STORE_SERIAL_HEX_MAX	41	/* 20 octets in hex, NUL */
#define STORE_NAME_MAX		64
#define STORE_TOKEN_MAX		33	/* [hsm "NAME"]: 32 bytes, NUL */

struct store;

struct store_issuer {
	int64_t		 id;
	char		 name[STORE_NAME_MAX];
	unsigned char	 key_id[64];
	size_t		 key_id_len;
	char		 key_type[16];
	unsigned char	*cert;		/* DER, owned by the record */
	size_t		 cert_len;
	int64_t		 not_before, not_after;
	int		 crl_shards;
	char		 status[16];	/* "pending", "active", "retiring",
					   "retired" (docs/key-rotation.md) */
	char		 token[STORE_TOKEN_MAX]; /* [hsm "NAME"] of the key,
					   "" the plain [hsm] */
	char		*chain;		/* external root: PEM of the parents
					   up to the root, owned, or NULL */
	int64_t		 changed;	/* when status last changed */
};

/* A link certificate (RFC 4210 4.4): signer's key certifies subject's. */
struct store_issuer_link {
	int64_t		 id, signer_id, subject_id;
	char		 serial[STORE_SERIAL_HEX_MAX];
	unsigned char	*cert;		/* DER, owned */
	size_t		 cert_len;
	int64_t		 not_before, not_after;
};

/* What an issuer still covers (its certificates issued, not failed). */
struct store_issuer_cover {
	int64_t		 unexpired;	/* not_after > now */
	int64_t		 unexpired_unrevoked;	/* ... and not revoked */
	int64_t		 last_not_after;	/* latest not_after, 0 none */
};

enum cert_status {
	CERT_PENDING,
	CERT_ISSUED,
	CERT_FAILED,
	CERT_STATUS_MAX
};

struct store_cert {
	char		 serial[STORE_SERIAL_HEX_MAX];	/* lower-case hex */
	int64_t		 issuer_id;
	enum cert_status status;
	unsigned char	*tbs;		/* DER TBSCertificate, owned */
	size_t		 tbs_len;
	unsigned char	*cert;		/* DER certificate or NULL, owned */
	size_t		 cert_len;
	char		*subject;	/* owned */
	unsigned char	 spki_sha256[32];
	int64_t		 not_before, not_after;
	int		 shard;
	char		*fail_reason;	/* owned, may be NULL */
	char		 org_identifier[128];	/* organizationIdentifier */
};

struct store_audit {
	int64_t		 seq;
	int64_t		 ts;
	char		*actor, *action, *object, *detail;	/* owned */
	unsigned char	 prev_hash[32];
	unsigned char	 hash[32];
	int		 fmt;		/* record format (audit.h) */
	char		*source;	/* client address, "" for none */
	unsigned char	 mac[32];	/* HMAC of hash by the HSM key */
	int		 has_mac;	/* 0: not sealed (yet) */
};

/* A signed audit checkpoint (schema/012_dual_control.sql). */
struct store_audit_cp {
	int64_t		 id;
	int64_t		 seq;		/* the chain head signed */
	char		 hash[65];	/* its hash, hex */
	int64_t		 created;
	unsigned char	*signature;	/* owned */
	size_t		 sig_len;
	int64_t		 issuer_id;
	char		*message;	/* the signed text, owned */
};

const char	*cert_status_name(enum cert_status);

/*
 * Opens (creating if needed) the store at path, applies the embedded
 * migrations not yet applied, each in its own transaction, and records the
 * applied version.  WAL, synchronous=FULL, foreign keys, busy timeout.
 */
enum eseal_rc	store_open(const char *path, struct store **out);
void		store_close(struct store *);

/* The highest applied migration. */
int		store_schema_version(struct store *);

/* Transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
enum eseal_rc	store_begin(struct store *);
enum eseal_rc	store_commit(struct store *);
void		store_rollback(struct store *);

/*
 * Copies the WAL into the database and truncates it to nothing
 * (PRAGMA wal_checkpoint(TRUNCATE)); run periodically, so that the WAL
 * stays bounded even when readers kept the automatic checkpoints (every
 * ~1 MiB, journal_size_limit 1 MiB) from finishing.
 */
enum eseal_rc	store_checkpoint(struct store *);

/*
 * on = 1: commits made by this thread skip the automatic checkpoint (a
 * CRL of megabytes is otherwise copied into the database file before its
 * commit returns); on = 0: they take it again, and a PASSIVE checkpoint
 * is run now for what was left.  For a caller that has something more
 * urgent to do between its commit and the copy (the publisher: serve the
 * CRL).  The WAL file stays bounded as before: the next commit of any
 * thread past the threshold checkpoints.
 */
void		store_checkpoint_defer(struct store *, int on);

#define STORE_HEALTH_ERR_MAX	512

/* What store_probe() saw. */
struct store_health {
	int	 writable;	/* the probe transaction committed */
	int64_t	 free_bytes;	/* on the store's filesystem; -1 unknown */
	char	 error[STORE_HEALTH_ERR_MAX];	/* why not writable */
};

/*
 * Health: the free space of the store's filesystem, and a write probe (a
 * one-row transaction, committed) that fails as a real write would (a
 * full disk: SQLITE_FULL).  Returns ESEAL_OK if the probe committed,
 * otherwise its error (also in h->error).
 */
enum eseal_rc	store_probe(struct store *, int64_t now,
		    struct store_health *h);

/*
 * Issuers.  *id gets the new row id.  EEXIST if the name is taken.  The
 * row gets is->status ("" means "active"), is->token and is->chain; a
 * "pending" row has no certificate (is->cert NULL).
 */
enum eseal_rc	store_issuer_insert(struct store *, const struct store_issuer *,
		    int64_t now, int64_t *id);
/*
 * Moves issuer id from status from to status to (EINVAL naming both if
 * it is not in from now; EEXIST if another issuer is active and to is
 * "active"), at now.  with (NULL: the status only) gives the certificate,
 * chain and validity of a pending issuer made active (import-cert).
 */
enum eseal_rc	store_issuer_set_status(struct store *, int64_t id,
		    const char *from, const char *to, int64_t now,
		    const struct store_issuer *with);
/* Deletes a pending issuer (a withdrawn external-root rotation). */
enum eseal_rc	store_issuer_delete_pending(struct store *, int64_t id);
/* What issuer id still covers at now. */
enum eseal_rc	store_issuer_covers(struct store *, int64_t id, int64_t now,
		    struct store_issuer_cover *out);
/* Link certificates.  *out is an array of *n, store_issuer_links_free. */
enum eseal_rc	store_issuer_link_insert(struct store *,
		    const struct store_issuer_link *, int64_t now);
enum eseal_rc	store_issuer_links(struct store *,
		    struct store_issuer_link **out, size_t *n);
void		store_issuer_links_free(struct store_issuer_link *, size_t);
/* ENOTFOUND if none.  Free the record's contents with store_issuer_clear. */
enum eseal_rc	store_issuer_by_name(struct store *, const char *name,
		    struct store_issuer *);
enum eseal_rc	store_issuer_by_id(struct store *, int64_t id,
		    struct store_issuer *);
/* The active issuer (one at most, migration 010): the one that issues now. */
enum eseal_rc	store_issuer_current(struct store *, struct store_issuer *);
/* All issuers but pending ones, oldest first: *out is an array of *n to
 * free with store_issuer_list_free. */
enum eseal_rc	store_issuer_list(struct store *, struct store_issuer **out,
		    size_t *n);
/* The same with the pending ones. */
enum eseal_rc	store_issuer_list_all(struct store *,
		    struct store_issuer **out, size_t *n);
void		store_issuer_list_free(struct store_issuer *, size_t);
void		store_issuer_clear(struct store_issuer *);
int		store_issuer_count(struct store *);
/*
 * A short text that changes whenever an issuer is added or changed, by
 * this process or another: for caches of parsed issuers.  Cheap while
 * nothing was committed: the issuers are read again only after another
 * connection's commit or this one's change to them.
 */
enum eseal_rc	store_issuer_generation(struct store *, char *buf, size_t len);

/* Certificates.  EEXIST if the serial was ever used. */
enum eseal_rc	store_cert_insert_pending(struct store *,
		    const struct store_cert *, int64_t now);
/* pending -> issued.  EEXIST if the row is not pending. */
enum eseal_rc	store_cert_mark_issued(struct store *, const char *serial,
		    const unsigned char *der, size_t len, int64_t now);
/* pending -> failed. */
enum eseal_rc	store_cert_mark_failed(struct store *, const char *serial,
		    const char *reason, int64_t now);
enum eseal_rc	store_cert_get(struct store *, const char *serial,
		    struct store_cert *);
/*
 * Only the status and issuer of the certificate with that serial, read
 * without its blobs (an OCSP answer needs no more).  ENOTFOUND if none.
 */
enum eseal_rc	store_cert_owner(struct store *, const char *serial,
		    enum cert_status *status, int64_t *issuer_id);
/* All pending rows: *out is an array of *n, free with store_cert_list_free. */
enum eseal_rc	store_cert_pending(struct store *, struct store_cert **out,
		    size_t *n);
/* The pending rows recorded at or before before, oldest first. */
enum eseal_rc	store_cert_pending_before(struct store *, int64_t before,
		    struct store_cert **out, size_t *n);
/* 1 if a certificate (any status) with this key exists, 0 if not, -1 error. */
int		store_cert_spki_exists(struct store *,
		    const unsigned char spki_sha256[32]);

enum key_conflict {
	KEY_FREE,		/* never certified, or only for this org */
	KEY_OTHER_ORG,		/* certified for another organisation */
	KEY_COMPROMISED,	/* a certificate with it was revoked for
				   keyCompromise */
	KEY_CONFLICT_MAX
};
/* What the store knows against certifying this key for org; -1 on error. */
int		store_cert_key_conflict(struct store *,
		    const unsigned char spki_sha256[32], const char *org);
/*
 * The newest issued certificate with this key for org, created at or after
 * since: its serial into serial.  ENOTFOUND if none.
 */
enum eseal_rc	store_cert_find_issued(struct store *,
		    const unsigned char spki_sha256[32], const char *org,
		    int64_t since, char serial[STORE_SERIAL_HEX_MAX]);
/* As store_cert_find_issued, for a pending row (the oldest). */
enum eseal_rc	store_cert_find_pending(struct store *,
		    const unsigned char spki_sha256[32], const char *org,
		    int64_t since, char serial[STORE_SERIAL_HEX_MAX]);
void		store_cert_clear(struct store_cert *);
void		store_cert_list_free(struct store_cert *, size_t);
/* Number of rows with that status, or -1. */
int64_t		store_cert_count(struct store *, enum cert_status);

/* Audit: the last record's hash (32 zero bytes for an empty log). */
enum eseal_rc	store_audit_last(struct store *, int64_t *seq,
		    unsigned char hash[32]);
enum eseal_rc	store_audit_insert(struct store *, const struct store_audit *);
/* Calls fn for each record in order; stops early if fn returns non-zero. */
enum eseal_rc	store_audit_each(struct store *,
		    int (*fn)(const struct store_audit *, void *), void *arg);
/* As store_audit_each, for the records from seq from to seq to. */
enum eseal_rc	store_audit_range(struct store *, int64_t from, int64_t to,
		    int (*fn)(const struct store_audit *, void *), void *arg);
/* The records matching f, by seq, at most f->limit (GET /api/v1/audit). */
struct store_audit_filter {
	int64_t		 after;		/* seq > after (paging) */
	int64_t		 from, to;	/* ts bounds, 0: none */
	const char	*actor, *action, *object;	/* exact, NULL: any */
	int64_t		 limit;
	int64_t		 offset;	/* rows skipped first */
};
enum eseal_rc	store_audit_search(struct store *,
		    const struct store_audit_filter *f,
		    int (*fn)(const struct store_audit *, void *), void *arg);
/* Seals record seq (one that has no MAC yet) with mac. */
enum eseal_rc	store_audit_set_mac(struct store *, int64_t seq,
		    const unsigned char mac[32]);
/*
 * Checkpoints, oldest first, or (newest) the last one: ENOTFOUND if none.
 * store_audit_cp_clear frees what a row owns.
 */
enum eseal_rc	store_audit_cp_insert(struct store *,
		    const struct store_audit_cp *, int64_t *id);
enum eseal_rc	store_audit_cp_each(struct store *,
		    int (*fn)(const struct store_audit_cp *, void *), void *arg);
enum eseal_rc	store_audit_cp_last(struct store *, struct store_audit_cp *);
void		store_audit_cp_clear(struct store_audit_cp *);

#endif
