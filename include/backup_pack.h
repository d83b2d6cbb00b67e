/*
 * backup_pack.h: the plaintext inside a backup, written and read without
 * any key: a POSIX ustar archive of exactly four members, in this order,
 *   manifest.json  what the backup holds (struct backup_manifest)
 *   manifest.sig   the issuer key's signature of manifest.json's bytes
 *   signer.crt     the signing issuer's CA certificate, DER
 *   store.db       the SQLite copy of the store (the payload)
 * followed by the two zero blocks that end an archive and nothing else,
 * so that `openssl cms -decrypt ... | tar x` opens it with no eseal tool.
 * Reading is strict: every refusal names the rule (ustar, the manifest's
 * field, its format version).
 */
#ifndef ESEAL_BACKUP_PACK_H
#define ESEAL_BACKUP_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store_backup.h"

#define BACKUP_FORMAT		"eseal-backup"
#define BACKUP_VERSION		1	/* the manifest format written and read */
#define BACKUP_MANIFEST_MAX	(1024 * 1024)	/* thousands of shards */
#define BACKUP_SIG_MAX		2048	/* an RSA-4096 or ECDSA signature */
#define BACKUP_CERT_MAX		(64 * 1024)	/* one CA certificate */
#define BACKUP_PAYLOAD_MAX	(4LL * 1024 * 1024 * 1024) /* a store copy;
					   ustar's 11 octal digits reach 8 GiB */
#define BACKUP_CRLS_MAX		65536	/* (issuer, shard) pairs in a manifest */
#define BACKUP_LABEL_MAX	256

/* One (issuer, shard)'s highest CRL number, as recorded. */
struct backup_crlnum {
	char	 issuer[STORE_NAME_MAX];
	int64_t	 issuer_id;
	int	 shard;
	int64_t	 number;
};

struct backup_manifest {
	int			 version;
	int64_t			 created;
	char			 label[BACKUP_LABEL_MAX];
	struct store_stats	 stats;	/* schema, counts, audit head,
					   checkpoint, high-water mark */
	struct backup_crlnum	*crls;	/* owned */
	size_t			 ncrls;
	int64_t			 payload_size;
	char			 payload_sha256[STORE_HASH_HEX_MAX];
	char			 signer[STORE_NAME_MAX];	/* issuer name */
};

/* The members of an archive, borrowed from the buffer they were read from. */
struct backup_parts {
	const unsigned char	*manifest, *sig, *cert, *payload;
	size_t			 manifest_len, sig_len, cert_len, payload_len;
};

/* The manifest as JSON text (*out malloc'd, *len bytes, no NUL counted). */
enum eseal_rc	backup_manifest_json(const struct backup_manifest *,
		    char **out, size_t *len);

/*
 * Parses manifest JSON of len bytes into *m (free with
 * backup_manifest_clear): every field present with its type, nothing
 * else, format BACKUP_FORMAT and version BACKUP_VERSION.  ESEAL_EINVAL
 * naming the field or the version otherwise.
 */
enum eseal_rc	backup_manifest_parse(const unsigned char *json, size_t len,
		    struct backup_manifest *m);
void		backup_manifest_clear(struct backup_manifest *);

/* The archive of the four parts: *out malloc'd, *len bytes. */
enum eseal_rc	backup_pack(const struct backup_parts *, int64_t mtime,
		    unsigned char **out, size_t *len);

/*
 * Splits an archive into its four parts (pointing into buf).  ESEAL_EINVAL
 * naming the rule for anything else: a short or misaligned archive, a bad
 * header checksum, a member out of order, of another type or over its
 * limit, a missing end, or bytes after it.
 */
enum eseal_rc	backup_unpack(const unsigned char *buf, size_t len,
		    struct backup_parts *p);

#endif
