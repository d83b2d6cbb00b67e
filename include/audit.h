/*
 * audit.h: the hash-chained, HSM-sealed audit trail (docs/security.md).
 *
 * Format 1 (records written before schema 012): hash =
 * SHA-256(prev_hash || seq || ts || actor || action || object || detail).
 * Format 2 (every later record): hash = SHA-256(prev_hash || fmt || seq ||
 * ts || actor || action || object || detail || source), and the record is
 * sealed with mac = HMAC-SHA-256(hash) under a secret key that never
 * leaves the HSM (CKM_SHA256_HMAC, p11_hmac).  Integers are 8-byte
 * big-endian, strings NUL-terminated.  Deleting, editing or reordering a
 * record breaks the chain; appending a record with a recomputed hash
 * needs the HSM key; cutting the tail is caught by the signed checkpoints
 * (checkpoint.h), kept in the store, in the log and in files.
 */
#ifndef ESEAL_AUDIT_H
#define ESEAL_AUDIT_H

#include <stdint.h>

#include "err.h"
#include "p11.h"
#include "store.h"

#define AUDIT_DETAIL_MAX	1024	/* longer details are cut */
#define AUDIT_SOURCE_MAX	64	/* a client address and port */
#define AUDIT_FMT_LEGACY	1	/* before schema 012: no source, no MAC */
#define AUDIT_FMT		2	/* what audit_append writes */
#define AUDIT_MAC_ID		"eseal-audit-mac"	/* CKA_ID and label of
							   the MAC key */
#define AUDIT_OWED_MAX		100000	/* records kept to seal while the
					   HSM is away */

/*
 * Appends one record in its own transaction, or as part of the caller's if
 * one is open on this thread (store transactions nest).  The record's
 * source is this thread's (audit_set_source).  With a MAC key attached
 * the record is sealed; if the HSM cannot be reached the record is still
 * written (a state change must not be lost because the HSM is away) and
 * kept for audit_seal_owed to seal when it returns.
 */
enum eseal_rc	audit_append(struct store *, int64_t now, const char *actor,
		    const char *action, const char *object, const char *fmt, ...)
		    __attribute__((format(printf, 6, 7)));

/*
 * The source written into this thread's records from now on: the client
 * address of the request being served, "local" for esealctl; NULL or ""
 * clears it.  Cut to AUDIT_SOURCE_MAX.
 */
void		audit_set_source(const char *source);

/*
 * Seals this process's records with the MAC key on t (made on the token
 * if it has none yet): from now on audit_append seals and audit_verify
 * checks seals.  The token is borrowed until audit_mac_detach(t).
 */
enum eseal_rc	audit_mac_attach(struct p11_token *t);
void		audit_mac_detach(struct p11_token *t);
/* 1 if a MAC key is attached. */
int		audit_mac_attached(void);

/*
 * Seals the records this process wrote while the HSM was away.  With
 * earlier_runs, also every unsealed format-2 record in the store (those an
 * earlier run wrote while the HSM was away and did not live to seal), and
 * says so in an audit record ("audit.seal") and a warning.  *n gets the
 * number sealed.  ESEAL_EHSM if the HSM is still away.
 */
enum eseal_rc	audit_seal_owed(struct store *, int64_t now, int earlier_runs,
		    int64_t *n);

/* The record's hash by its format, into out: 1, or 0 on failure. */
int		audit_record_hash(const struct store_audit *,
		    unsigned char out[32]);

/* What audit_verify_full checked. */
struct audit_report {
	int64_t	records;	/* in the chain */
	int64_t	sealed;		/* MACs checked with the HSM key */
	int64_t	checkpoints;	/* store checkpoints checked */
	int64_t	files;		/* checkpoint files checked */
	int64_t	head_seq;	/* the last record */
	int64_t	cp_seq;		/* the newest checkpoint's seq, 0 none */
};

/*
 * Walks the whole chain: links, hashes, formats, and (with a MAC key
 * attached) every format-2 record's seal; then every checkpoint of the
 * store and every checkpoint file in cp_dir (NULL: none) against the
 * trail and its signature.  ESEAL_OK if intact; ESEAL_EINVAL naming the
 * first bad record ("audit: record 7: ...") or the checkpoint that no
 * longer matches ("audit: checkpoint 3 (seq 40): ...").
 */
enum eseal_rc	audit_verify_full(struct store *, const char *cp_dir,
		    struct audit_report *out);
/*
 * audit_verify_full, calling progress(arg, records checked, records in
 * all) every AUDIT_PROGRESS_EVERY records and once at the end of the walk.
 */
#define AUDIT_PROGRESS_EVERY	1000
enum eseal_rc	audit_verify_full_progress(struct store *, const char *cp_dir,
		    struct audit_report *out,
		    void (*progress)(void *, int64_t done, int64_t total),
		    void *arg);
/* audit_verify_full without files; *n = number of records. */
enum eseal_rc	audit_verify(struct store *, int64_t *n);

/* --- checkpoint messages (what an issuer key signs) ------------------ */

#define AUDIT_CP_MSG_MAX	512	/* a checkpoint message, generous */

struct audit_cp_msg {
	int64_t	seq;
	char	hash[65];		/* hex */
	int64_t	created;
	int64_t	issuer_id;
	char	cert_sha256[65];	/* hex SHA-256 of the issuer's
					   certificate (DER) */
	char	digest[16];		/* "sha256", "sha384", "sha512" */
};

/* Writes the message text (the exact bytes signed) into buf. */
int		audit_cp_format(const struct audit_cp_msg *, char *buf,
		    size_t len);
/*
 * Parses a message made by audit_cp_format; the text must be exactly what
 * audit_cp_format would make of it.  ESEAL_EINVAL naming the line.
 */
enum eseal_rc	audit_cp_parse(const char *text, size_t len,
		    struct audit_cp_msg *out);
/*
 * Checks sig over text with the certificate's public key (cert: DER),
 * whose SHA-256 must be the message's.  1 verifies, 0 not, with a reason.
 */
int		audit_cp_check(const char *text, size_t len,
		    const struct audit_cp_msg *m, const unsigned char *sig,
		    size_t siglen, const unsigned char *cert, size_t certlen,
		    char *why, size_t whylen);

/* --- the off-site bundle (audit_bundle.c) ---------------------------- */

#define AUDIT_BUNDLE_MAX	(256L * 1024 * 1024)	/* bytes: ~1M records */
#define AUDIT_BUNDLE_CERTS_MAX	1000	/* issuer certificates in a bundle */

struct audit_bundle_report {
	int64_t	first, last;		/* record seqs */
	int64_t	checkpoints;
	int64_t	certificates;
};

/*
 * Writes records from (1 or more) to the first checkpoint at or after to
 * (0: the newest checkpoint), the checkpoints among them and the issuer
 * certificates that signed those, as one canonical JSON document
 * (docs/security.md, "Export").  ESEAL_EINVAL if no checkpoint covers to.
 */
enum eseal_rc	audit_bundle_export(struct store *, int64_t from, int64_t to,
		    const char *path, struct audit_bundle_report *out);

/*
 * Checks a bundle with nothing but itself: canonical form, every hash and
 * link, every checkpoint's signature with the certificate it names, every
 * record covered by a checkpoint.  ESEAL_EINVAL naming the first failure.
 */
enum eseal_rc	audit_bundle_verify(const unsigned char *buf, size_t len,
		    struct audit_bundle_report *out);
/* audit_bundle_verify of the file at path (at most AUDIT_BUNDLE_MAX). */
enum eseal_rc	audit_bundle_verify_file(const char *path,
		    struct audit_bundle_report *out);

#endif
