/*
 * store_backup.h: what backups need of the store (schema/013_backup.sql):
 * a consistent online copy of the whole store, the figures a backup's
 * manifest records, the row each backup leaves, and what a restore
 * reconciles from the CRLs published after its backup (serials the backup
 * did not know, revoked; CRL number floors).  Part of the store module:
 * store_backup.c is the only code that speaks SQL for it.
 */
#ifndef ESEAL_STORE_BACKUP_H
#define ESEAL_STORE_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"
#include "store_revoke.h"

#define STORE_HASH_HEX_MAX	65	/* SHA-256 in hex, NUL */
#define STORE_BACKUP_TEXT_MAX	512	/* destination, label, error */

/* The figures of a store a manifest records and a verification checks. */
struct store_stats {
	int	 schema_version;
	int64_t	 issuers, certificates, revocations, audit;
	int64_t	 revoked_unknown;	/* reconciled serials (013) */
	int64_t	 audit_seq;		/* the chain head: 0 for none */
	char	 audit_hash[STORE_HASH_HEX_MAX];
	int	 has_checkpoints;	/* table audit_checkpoints exists */
	int64_t	 ckpt_seq;		/* the newest checkpoint, 0: none */
	char	 ckpt_hash[STORE_HASH_HEX_MAX];
	int64_t	 ckpt_created;
	int64_t	 last_cert_created;	/* the high-water mark: newest
					   certificate row, 0: none */
};

/* The highest CRL number of one issuer and shard (its floor counted). */
struct store_crl_number {
	int64_t	 issuer_id;
	int	 shard;
	int64_t	 number;
};

/* One backup written to, or refused at, one destination. */
struct store_backup_row {
	int64_t	 created;
	char	 destination[STORE_BACKUP_TEXT_MAX];
	char	 label[STORE_BACKUP_TEXT_MAX];
	int64_t	 size;
	char	 sha256[STORE_HASH_HEX_MAX];
	int	 same_device;
	int	 ok;
	char	 error[STORE_BACKUP_TEXT_MAX];
	char	 actor[STORE_ACTOR_MAX];
};

/*
 * Copies the whole store, as of one moment, into a new SQLite file at
 * path (which must not exist) through SQLite's online backup API in one
 * step, from a connection of its own: writers are not blocked.  The copy
 * is a single file (rollback journal, no WAL), mode 0600.
 */
enum eseal_rc	store_backup_copy(struct store *, const char *path);

/*
 * PRAGMA integrity_check of the SQLite file at path, opened read-only:
 * ESEAL_OK if it says "ok", ESEAL_ESTORE with SQLite's first complaint
 * otherwise (also for a file that is not a database).
 */
enum eseal_rc	store_integrity_check(const char *path);

/* The figures of the store into *st. */
enum eseal_rc	store_stats_get(struct store *, struct store_stats *st);

/*
 * Every (issuer, shard) that has a CRL or a floor, with its highest
 * number: *out is an array of *n (NULL if none), freed with free().
 */
enum eseal_rc	store_crl_numbers(struct store *,
		    struct store_crl_number **out, size_t *n);

/*
 * Whether a record of the audit chain with this seq has this hash (hex):
 * *found 1 if the seq exists, *match 1 if its hash is that one.
 */
enum eseal_rc	store_audit_has(struct store *, int64_t seq,
		    const char *hash_hex, int *found, int *match);

/* Records one backup row. */
enum eseal_rc	store_backup_insert(struct store *,
		    const struct store_backup_row *);

/* The newest good backup's time into *created, 0 if none. */
enum eseal_rc	store_backup_last_ok(struct store *, int64_t *created);

/* The newest backup row into *r.  ESEAL_ENOTFOUND if none. */
enum eseal_rc	store_backup_last(struct store *, struct store_backup_row *r);

/*
 * Records serial (not a certificate of this store) as revoked by
 * issuer_id, from a published CRL named by source.  ESEAL_EEXIST if it is
 * recorded already, or is a certificate of the store.
 */
enum eseal_rc	store_revoked_unknown_insert(struct store *,
		    int64_t issuer_id, const struct store_revocation *r,
		    const char *source, int64_t now);

/* The revocation of such a serial into *r; ESEAL_ENOTFOUND if none. */
enum eseal_rc	store_revoked_unknown_get(struct store *, const char *serial,
		    int64_t *issuer_id, struct store_revocation *r);

/*
 * CRL numbers of (issuer_id, shard) continue above number from now on
 * (store_crl_next_number): raises the floor, never lowers it.
 */
enum eseal_rc	store_crl_floor_raise(struct store *, int64_t issuer_id,
		    int shard, int64_t number, const char *source);

#endif
