/*
 * backup.h: backups of the store kept elsewhere, their verification, and
 * restores that never un-revoke (REQUIREMENTS.md points 11 and 12,
 * docs/disaster-recovery.md).
 *
 * A backup file is one DER CMS ContentInfo of type AuthEnvelopedData
 * (RFC 5083, AES-256-GCM, RFC 5084) to every recipient certificate of
 * [backup] recipients; its content is the archive of backup_pack.h (the
 * manifest, the issuer key's signature of it, the issuer's certificate,
 * the SQLite copy).  `openssl cms -decrypt -inform DER -in F -recip C
 * -inkey K | tar x` opens it.  Private keys are never in it: the store
 * holds none.
 */
#ifndef ESEAL_BACKUP_H
#define ESEAL_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "backup_pack.h"
#include "ca.h"

#define BACKUP_FILE_MAX		(BACKUP_PAYLOAD_MAX + 16 * 1024 * 1024)
					/* a backup file read back */
#define BACKUP_DESTS_MAX	8	/* --to DIR, or [backup] destinations */
#define BACKUP_ERR_MAX		512
#define BACKUP_PATH_MAX		1024
#define BACKUP_FILE_MODE	0600	/* the backup files written */
#define BACKUP_CRL_FILE_MAX	(64 * 1024 * 1024) /* a published CRL read */

/* What one destination got. */
struct backup_dest_result {
	char	 path[BACKUP_PATH_MAX];	/* the file written, or the
					   directory refused */
	int	 ok;
	int	 same_device;		/* written with allow_same_device */
	int64_t	 size;
	char	 error[BACKUP_ERR_MAX];
};

struct backup_params {
	const char *const	*dests;		/* directories, ndests of them */
	size_t			 ndests;
	const char		*label;		/* "" or NULL: none */
	const char		*recipients;	/* PEM file, one or more
						   certificates */
	int			 allow_same_device;
	const char		*actor;
};

/*
 * Takes one consistent online copy of ca's store (store_backup_copy),
 * writes its manifest and signs it with the current issuer's key on the
 * token (sign_verified), packs and encrypts it to the recipients, and
 * writes it to each destination in turn as
 * DIR/eseal-backup-YYYYMMDDTHHMMSSZ.p7m (mode 0600, temporary file, fsync,
 * rename, fsync of the directory).  A destination on the store's device,
 * or inside the store's directory, is refused naming both paths and the
 * device, unless allow_same_device (the store's directory itself is
 * refused always).  Each destination gets a store row and an audit
 * record ("backup.create" or "backup.refuse") and its entry in res[]
 * (p->ndests of them); sha256 (if not NULL) gets the payload's digest.
 * ESEAL_OK if every destination was written, else the first failure
 * (ESEAL_EPOLICY for a refused place).
 */
enum eseal_rc	backup_create(struct ca *, const struct backup_params *,
		    int64_t now, struct backup_dest_result *res,
		    char sha256[STORE_HASH_HEX_MAX]);

/* How to open and trust a backup. */
struct backup_keys {
	const char	*key;		/* the recipient's private key, PEM */
	const char	*cert;		/* its certificate, PEM; NULL: the one
					   in recipients that matches key */
	const char	*recipients;	/* [backup] recipients, or NULL */
	const char	*trust;		/* PEM issuer certificates, or NULL */
	const char	*trust_dir;	/* else a publish directory: its
					   ca/NAME.crt files */
};

/* What a verification found. */
struct backup_report {
	struct backup_manifest	 m;	/* free with backup_report_clear */
	int64_t			 audit_records;	/* the chain checked */
	char			 signer[256];	/* the signer's subject */
};
void		backup_report_clear(struct backup_report *);

/*
 * Reads and checks the backup file, then writes its store copy to db_path
 * (which must not exist; mode 0600) and checks it there: DER with nothing
 * after it, AuthEnvelopedData to this recipient, its authentication tag,
 * the archive, the manifest's version and signature (by a trusted issuer
 * certificate), the payload's size and SHA-256, PRAGMA integrity_check,
 * the audit chain up to the manifest's head and checkpoint, the counts
 * and CRL numbers.  ESEAL_EINVAL (ESEAL_EPOLICY for trust) naming the
 * rule otherwise, and db_path is removed.
 */
enum eseal_rc	backup_open(const char *file, const struct backup_keys *,
		    const char *db_path, struct backup_report *r);

/*
 * backup_open() into a private temporary directory ($TMPDIR or /tmp),
 * removed before returning: nothing is written anywhere else.
 */
enum eseal_rc	backup_verify(const char *file, const struct backup_keys *,
		    struct backup_report *r);

/*
 * Parses a backup file's bytes as one DER ContentInfo of type
 * AuthEnvelopedData with nothing after it: *out (CMS_ContentInfo *, free
 * with CMS_ContentInfo_free) or ESEAL_EINVAL naming the rule.
 */
enum eseal_rc	backup_cms_parse(const unsigned char *buf, size_t len,
		    void **out);

/* --- backup_restore.c ------------------------------------------------- */

enum reconcile_kind {
	RECON_REVOCATION,	/* a revocation re-imported */
	RECON_REASON,		/* a reason raised to the published one */
	RECON_UNKNOWN,		/* a serial the backup lacks: revoked-unknown */
	RECON_CRL_NUMBER,	/* the shard's numbers continue above */
	RECON_KIND_MAX
};
extern const char *const reconcile_kind_names[RECON_KIND_MAX];

/* One reconciled item, as reported. */
struct reconcile_item {
	enum reconcile_kind	 kind;
	char			 issuer[STORE_NAME_MAX];
	int			 shard;
	char			 serial[STORE_SERIAL_HEX_MAX];
	int			 reason;
	int64_t			 revoked_at;
	int64_t			 number;	/* the published CRL's */
	char			 source[BACKUP_PATH_MAX];
};

typedef void	(*reconcile_fn)(const struct reconcile_item *, void *arg);

/*
 * Brings store up to what was published after its backup: reads every
 * DIR/crl/ISSUER/SHARD.crl of the store's issuers (one DER CRL, nothing
 * after it, signed by that issuer), re-imports each listed revocation the
 * store lacks (reason, dates; audit "cert.revoke.reconcile" naming the
 * file and CRL number), raises a reason to keyCompromise when published
 * so, records serials the store never saw as revoked-unknown (never
 * issued, never good; audit "cert.revoke.reconcile.unknown"), raises the
 * shard's CRL number floor to the published number and marks its CRL
 * owed.  fn (if not NULL) sees each item; *n (if not NULL) counts them.
 * Idempotent: a second run finds nothing to do.
 */
enum eseal_rc	backup_reconcile(struct store *, const char *dir, int64_t now,
		    const char *actor, reconcile_fn fn, void *arg, int *n);

/*
 * The restore: to must not exist (nor its -wal, -journal).  backup_open()
 * into a temporary file beside to, backup_reconcile() with published (if
 * not NULL), then the file is linked to to.  On any failure nothing is
 * left at to or beside it.
 */
enum eseal_rc	backup_restore(const char *file, const struct backup_keys *,
		    const char *to, const char *published, int64_t now,
		    const char *actor, reconcile_fn fn, void *arg,
		    struct backup_report *r);

/*
 * For eseald's start-up: ESEAL_ECONF if a CRL in dir (publish layout),
 * signed by one of store's issuers, has a number above the store's
 * highest for its shard: the store is older than what relying parties
 * have, and must be reconciled first (the message says how).
 */
enum eseal_rc	backup_check_published(struct store *, const char *dir);

/*
 * Splits list, directories separated by commas (blanks around them
 * dropped), in place into v[]: the count, or -1 (message set) for none,
 * an empty one, or more than max.
 */
int		backup_split(char *list, const char **v, size_t max);

/* The newest audit checkpoint kept off the store, as found and checked. */
struct backup_ckpt {
	int64_t	 seq;
	char	 hash[STORE_HASH_HEX_MAX];
	char	 path[BACKUP_PATH_MAX];	/* its .txt file */
};

/*
 * The newest of the signed audit checkpoints published under
 * DIR/audit/checkpoint-SEQ.txt (and .sig; checkpoint.h), its message
 * parsed and its signature checked with the issuer certificate of store
 * that it names (audit_cp_check).  ESEAL_ENOTFOUND if dir has none;
 * ESEAL_EINVAL naming the file and why for one that does not parse or
 * verify.
 */
enum eseal_rc	backup_offstore_checkpoint(struct store *, const char *dir,
		    struct backup_ckpt *out);

/*
 * How many checkpoints DIR/audit/checkpoint-SEQ.txt have a SEQ above
 * base: after a restore, the evidence of the records lost with the
 * backup's age, to be archived before eseald writes checkpoints of the
 * restored history under the same names.
 */
int		backup_checkpoints_above(const char *dir, int64_t base);

/* When a scheduled backup is due ([backup] interval, retry). */
struct backup_schedule {
	int64_t	 interval;	/* seconds between good backups; 0: off */
	int64_t	 retry;		/* seconds after a failed one */
	int64_t	 last_ok;	/* 0: none yet */
	int64_t	 last_try;	/* 0: none yet */
	int	 last_failed;	/* the last try failed */
};

/*
 * 1 if a backup should start at now: none tried yet; the last failed
 * and retry seconds have passed since it; or interval seconds since the
 * last good one.  0 otherwise, and always 0 when interval is 0.
 */
int		backup_due(const struct backup_schedule *, int64_t now);

/*
 * --- backup_sched.c ---------------------------------------------------
 * eseald's scheduled backups, on a thread of their own so that a long
 * backup never holds up the main loop (its upkeep, the systemd watchdog):
 * every BACKUP_SCHED_TICK_SECS the thread reads [backup] from ca's current
 * configuration (SIGHUP applies) and, when backup_due() says so, runs
 * backup_create() to [backup] destinations as "eseald:schedule", logging
 * the result.  The schedule goes on from the newest good backup in the
 * store.  Stop joins the thread (a backup under way finishes first).
 */
#define BACKUP_SCHED_TICK_SECS	1

struct backup_sched;
enum eseal_rc	backup_sched_start(struct ca *, struct backup_sched **out);
void		backup_sched_stop(struct backup_sched *);

#endif
