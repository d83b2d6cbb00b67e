/*
 * backup_restore.c: restores that never un-revoke (backup.h).  A restored
 * store is older than what relying parties hold: the CRLs published after
 * its backup list revocations it lacks, and carry numbers it would reuse.
 * backup_reconcile() reads those CRLs (each checked as outside input: one
 * DER CRL, signed by the store's issuer), re-imports what they list, and
 * makes each shard's numbers continue above them; backup_check_published()
 * is how eseald refuses a store that was not reconciled.
 */
#include <sys/stat.h>

#include <dirent.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "backup.h"
#include "crl_stream.h"
#include "issuer.h"
#include "checkpoint.h"
#include "backup_int.h"
#include "log.h"
#include "profile.h"
#include "revoke.h"
#include "serial.h"
#include "store_backup.h"
#include "store_crldelta.h"
#include "store_ocsppre.h"
#include "store_publish.h"
#include "store_revoke.h"

const char *const reconcile_kind_names[RECON_KIND_MAX] = {
	[RECON_REVOCATION] = "revocation re-imported",
	[RECON_REASON] = "reason raised",
	[RECON_UNKNOWN] = "revoked-unknown-certificate",
	[RECON_CRL_NUMBER] = "CRL number continues above",
};

/* One published CRL of one shard, parsed and checked. */
struct pub_crl {
	X509_CRL	*crl;
	int		 shard;
	int64_t		 number;
	char		 path[BACKUP_PATH_MAX];
};

static int64_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/*
 * The next CRL number of (issuer_id, shard), base or delta (RFC 5280
 * 5.2.3: one sequence), above a restore's floor.
 */
static enum eseal_rc
next_number(struct store *s, int64_t issuer_id, int shard, int64_t *next)
{
	int64_t delta = 0;
	enum eseal_rc rc;

	if ((rc = store_crl_next_number(s, issuer_id, shard, next)) ==
	    ESEAL_OK && (rc = store_crl_delta_max(s, issuer_id, shard, &delta))
	    == ESEAL_OK && delta >= *next)
		*next = delta + 1;
	return rc;
}

/* The published files of a shard: its CRL and its delta CRL. */
static const char *const pub_suffix[] = { ".crl", PROFILE_DELTA_SUFFIX };
#define NPUB	(sizeof(pub_suffix) / sizeof(pub_suffix[0]))

/*
 * Starts *pc for shard of is and reads its file DIR/crl/ISSUER/SHARD.crl
 * (or SHARD-delta.crl, sfx) into *buf (free()), at most
 * BACKUP_CRL_FILE_MAX bytes; ESEAL_ENOTFOUND if there is none.
 */
static enum eseal_rc
read_pub_file(const char *dir, const struct store_issuer *is, int shard,
    const char *sfx, struct pub_crl *pc, unsigned char **buf, size_t *len)
{
	memset(pc, 0, sizeof(*pc));
	pc->shard = shard;
	snprintf(pc->path, sizeof(pc->path), "%s/crl/%s/%d%s", dir, is->name,
	    shard, sfx);
	return backup_read_file(pc->path, BACKUP_CRL_FILE_MAX, buf, len);
}

/*
 * Reads DIR/crl/ISSUER/SHARD.crl (or SHARD-delta.crl, sfx) for is:
 * ESEAL_ENOTFOUND if there is none, ESEAL_EINVAL naming the rule if it is
 * not one DER CRL of that issuer.
 */
static enum eseal_rc
read_published(const char *dir, const struct store_issuer *is, int shard,
    const char *sfx, struct pub_crl *pc)
{
	const unsigned char *p, *cp = is->cert;
	unsigned char *buf = NULL;
	ASN1_INTEGER *num = NULL;
	X509 *ca = NULL;
	size_t len;
	enum eseal_rc rc;
	int crit;

	if ((rc = read_pub_file(dir, is, shard, sfx, pc, &buf, &len)) !=
	    ESEAL_OK)
		return rc;
	p = buf;
	if ((pc->crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL ||
	    p != buf + len) {
		rc = eseal_err(ESEAL_EINVAL, "reconcile: %s: RFC 5280 5.1 / "
		    "X.690 DER: not one DER CertificateList", pc->path);
		goto out;
	}
	if ((ca = d2i_X509(NULL, &cp, (long)is->cert_len)) == NULL ||
	    X509_CRL_verify(pc->crl, X509_get0_pubkey(ca)) != 1) {
		rc = eseal_err(ESEAL_EINVAL, "reconcile: %s: RFC 5280 6.3.3: "
		    "its signature does not verify with the key of issuer %s",
		    pc->path, is->name);
		goto out;
	}
	if ((num = X509_CRL_get_ext_d2i(pc->crl, NID_crl_number, &crit,
	    NULL)) == NULL || (pc->number = (int64_t)ASN1_INTEGER_get(num))
	    <= 0) {
		rc = eseal_err(ESEAL_EINVAL, "reconcile: %s: RFC 5280 5.2.3: no "
		    "usable cRLNumber", pc->path);
		goto out;
	}
	rc = ESEAL_OK;
out:
	ASN1_INTEGER_free(num);
	X509_free(ca);
	free(buf);
	ERR_clear_error();
	if (rc != ESEAL_OK) {
		X509_CRL_free(pc->crl);
		pc->crl = NULL;
	}
	return rc;
}

/* One TLV at *p before end: its content; 0 if it is not tag (universal). */
static int
tlv(const unsigned char **p, const unsigned char *end, int tag, int cls,
    const unsigned char **content, long *clen)
{
	const unsigned char *q = *p;
	int t, c, r;

	if (*p >= end)
		return 0;
	r = ASN1_get_object(&q, clen, &t, &c, end - *p);
	if ((r & 0x80) || t != tag || c != cls || *clen > end - q)
		return 0;
	*content = q;
	*p = q + *clen;
	return 1;
}

static enum eseal_rc
not_one_der(const char *path)
{
	return eseal_err(ESEAL_EINVAL, "reconcile: %s: RFC 5280 5.1 / X.690 "
	    "DER: not one DER CertificateList", path);
}

/*
 * The start check's read of a published CRL (backup_int.h): the
 * CertificateList walked, its signature checked over the TBS bytes with
 * the key of the issuer whose certificate is ca (DER) and the algorithm
 * this CA signs with, the number taken from the crlExtensions alone; its
 * entries are never decoded (a million of them take seconds to parse).
 */
enum eseal_rc
backup_crl_number(const unsigned char *buf, size_t len,
    const unsigned char *ca_der, size_t ca_len, const char *path,
    const char *issuer, int64_t *number, int *undecided)
{
	const unsigned char *p, *end, *c, *tbs, *tbs_end, *sig, *e, *cp;
	unsigned char *alg = NULL;
	X509_EXTENSIONS *exts = NULL;
	ASN1_INTEGER *num = NULL;
	X509_ALGOR *a = NULL;
	EVP_MD_CTX *v = NULL;
	X509 *ca = NULL;
	size_t off, elen, ext_off;
	long n, sn;
	int alen, crit;
	enum eseal_rc rc;

	*undecided = 0;
	*number = 0;
	rc = not_one_der(path);
	p = buf;
	end = buf + len;
	if (!tlv(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &c, &n) ||
	    p != end || (tbs = c, !tlv(&c, end, V_ASN1_SEQUENCE,
	    V_ASN1_UNIVERSAL, &e, &n)))
		goto out;
	tbs_end = c;
	if (crl_stream_entries(buf, len, &off, &elen, &ext_off) != ESEAL_OK ||
	    buf + ext_off > tbs_end) {
		rc = not_one_der(path);	/* crl_stream's names no file */
		goto out;
	}
	/* The signature algorithm this CA writes, then the BIT STRING. */
	if ((ca = d2i_X509(NULL, (cp = ca_der, &cp), (long)ca_len)) == NULL ||
	    (a = X509_ALGOR_new()) == NULL ||
	    issuer_sigalg(X509_get0_pubkey(ca), a) != ESEAL_OK ||
	    (alen = i2d_X509_ALGOR(a, &alg)) <= 0 ||
	    (size_t)(end - c) < (size_t)alen || memcmp(c, alg, (size_t)alen)
	    != 0) {
		*undecided = 1;
		goto out;
	}
	c += alen;
	if (!tlv(&c, end, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL, &sig, &sn) ||
	    c != end || sn < 2 || sig[0] != 0)
		goto out;
	if ((v = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(v, NULL, issuer_md(X509_get0_pubkey(ca)),
	    NULL, X509_get0_pubkey(ca)) != 1 ||
	    EVP_DigestVerify(v, sig + 1, (size_t)sn - 1, tbs,
	    (size_t)(tbs_end - tbs)) != 1) {
		rc = eseal_err(ESEAL_EINVAL, "reconcile: %s: RFC 5280 6.3.3: "
		    "its signature does not verify with the key of issuer %s",
		    path, issuer);
		goto out;
	}
	/* crlExtensions [0] EXPLICIT Extensions, the last of the TBS. */
	p = buf + ext_off;
	if (p == tbs_end || !tlv(&p, tbs_end, 0, V_ASN1_CONTEXT_SPECIFIC, &e,
	    &n) || p != tbs_end || (exts = d2i_X509_EXTENSIONS(NULL, &e, n))
	    == NULL || e != tbs_end ||
	    (num = X509V3_get_d2i(exts, NID_crl_number, &crit, NULL)) == NULL ||
	    (*number = (int64_t)ASN1_INTEGER_get(num)) <= 0) {
		rc = eseal_err(ESEAL_EINVAL, "reconcile: %s: RFC 5280 5.2.3: no "
		    "usable cRLNumber", path);
		goto out;
	}
	rc = ESEAL_OK;
out:
	ASN1_INTEGER_free(num);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	EVP_MD_CTX_free(v);
	OPENSSL_free(alg);
	X509_ALGOR_free(a);
	X509_free(ca);
	ERR_clear_error();
	return rc;
}

/*
 * The start check's read of DIR/crl/ISSUER/SHARD.crl (or the delta, sfx):
 * its cRLNumber into pc->number by backup_crl_number().  ESEAL_ENOTFOUND
 * if there is no file; ESEAL_EINVAL if it is no CRL of this issuer, with
 * *undecided set if this read cannot tell (another signature algorithm):
 * read_published() then decides.
 */
static enum eseal_rc
published_number(const char *dir, const struct store_issuer *is, int shard,
    const char *sfx, struct pub_crl *pc, int *undecided)
{
	unsigned char *buf = NULL;
	size_t len;
	enum eseal_rc rc;

	*undecided = 0;
	if ((rc = read_pub_file(dir, is, shard, sfx, pc, &buf, &len)) !=
	    ESEAL_OK)
		return rc;
	rc = backup_crl_number(buf, len, is->cert, is->cert_len, pc->path,
	    is->name, &pc->number, undecided);
	free(buf);
	return rc;
}

/* One CRL entry as a revocation; 0 if its serial is not one of ours. */
static int
entry(X509_REVOKED *x, struct store_revocation *r)
{
	ASN1_ENUMERATED *reason;
	ASN1_GENERALIZEDTIME *inv;
	BIGNUM *bn;
	int ok, crit;

	memset(r, 0, sizeof(*r));
	bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(x), NULL);
	ok = bn != NULL && !BN_is_zero(bn) && serial_hex(bn, r->serial);
	BN_free(bn);
	if (!ok)
		return 0;
	r->revoked_at = asn1_time(X509_REVOKED_get0_revocationDate(x));
	if ((reason = X509_REVOKED_get_ext_d2i(x, NID_crl_reason, &crit,
	    NULL)) != NULL) {
		r->reason = (int)ASN1_ENUMERATED_get(reason);
		ASN1_ENUMERATED_free(reason);
	}
	if ((inv = X509_REVOKED_get_ext_d2i(x, NID_invalidity_date, &crit,
	    NULL)) != NULL) {
		r->invalidity_date = asn1_time(inv);
		ASN1_GENERALIZEDTIME_free(inv);
	}
	ERR_clear_error();
	return r->revoked_at > 0 && r->reason >= 0 &&
	    r->reason < REVOKE_REASON_MAX;
}

/* Reconciles one entry of a published CRL (in the caller's transaction). */
static enum eseal_rc
one_entry(struct store *s, const struct store_issuer *is,
    const struct pub_crl *pc, struct store_revocation *r, int64_t now,
    const char *actor, struct reconcile_item *it)
{
	struct store_revocation have;
	struct store_cert c;
	enum eseal_rc rc;
	int shard = serial_shard(r->serial, is->crl_shards);

	it->shard = shard;
	snprintf(it->serial, sizeof(it->serial), "%s", r->serial);
	it->reason = r->reason;
	it->revoked_at = r->revoked_at;
	/* The CRL by issuer, shard and number: the path is in the audit. */
	snprintf(r->requested_by, sizeof(r->requested_by), "reconcile:crl/"
	    "%.63s/%d.crl#%lld", is->name, pc->shard, (long long)pc->number);
	if ((rc = store_cert_get(s, r->serial, &c)) == ESEAL_ENOTFOUND) {
		it->kind = RECON_UNKNOWN;
		rc = store_revoked_unknown_insert(s, is->id, r, r->requested_by,
		    now);
		if (rc == ESEAL_EEXIST)
			return ESEAL_EEXIST;	/* done by an earlier run */
		if (rc == ESEAL_OK)
			rc = audit_append(s, now, actor,
			    "cert.revoke.reconcile.unknown", r->serial,
			    "issuer=%s reason=%d revoked_at=%lld source=%s "
			    "crl_number=%lld", is->name, r->reason,
			    (long long)r->revoked_at, pc->path,
			    (long long)pc->number);
	} else if (rc == ESEAL_OK) {
		store_cert_clear(&c);
		if ((rc = store_revocation_get(s, r->serial, &have)) ==
		    ESEAL_ENOTFOUND) {
			it->kind = RECON_REVOCATION;
			rc = store_revocation_insert(s, r);
		} else if (rc == ESEAL_OK && r->reason ==
		    REVOKE_KEY_COMPROMISE && have.reason != r->reason) {
			it->kind = RECON_REASON;
			rc = store_revocation_set_reason(s, r->serial, r->reason,
			    r->invalidity_date);
		} else
			return rc == ESEAL_OK ? ESEAL_EEXIST : rc;
		/* The backup's presigned answer states the old status. */
		if (rc == ESEAL_OK)
			rc = store_ocsppre_invalidate(s, r->serial);
		if (rc == ESEAL_OK)
			rc = audit_append(s, now, actor, "cert.revoke.reconcile",
			    r->serial, "issuer=%s reason=%d revoked_at=%lld "
			    "source=%s crl_number=%lld what=\"%s\"", is->name,
			    r->reason, (long long)r->revoked_at, pc->path,
			    (long long)pc->number, reconcile_kind_names[it->kind]);
	}
	if (rc == ESEAL_OK)
		rc = store_crl_owe(s, is->id, shard, r->serial, now);
	return rc;
}

/* The published CRL of one shard against the store, in one transaction. */
static enum eseal_rc
one_shard(struct store *s, const struct store_issuer *is,
    struct pub_crl *pc, int shard, int64_t now, const char *actor,
    reconcile_fn fn, void *arg, int *n)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(pc->crl);
	struct store_revocation r;
	struct reconcile_item it;
	int64_t next;
	enum eseal_rc rc;

	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		memset(&it, 0, sizeof(it));
		snprintf(it.issuer, sizeof(it.issuer), "%s", is->name);
		it.number = pc->number;
		snprintf(it.source, sizeof(it.source), "%s", pc->path);
		if (!entry(sk_X509_REVOKED_value(revs, i), &r)) {
			rc = eseal_err(ESEAL_EINVAL, "reconcile: %s: RFC 5280 "
			    "5.1.2.6: entry %d has no usable serial, date or "
			    "reason", pc->path, i + 1);
			goto fail;
		}
		if ((rc = one_entry(s, is, pc, &r, now, actor, &it)) ==
		    ESEAL_EEXIST)
			continue;
		if (rc != ESEAL_OK)
			goto fail;
		if (fn != NULL)
			fn(&it, arg);
		(*n)++;
	}
	if ((rc = next_number(s, is->id, shard, &next)) != ESEAL_OK)
		goto fail;
	if (next <= pc->number) {
		memset(&it, 0, sizeof(it));
		it.kind = RECON_CRL_NUMBER;
		snprintf(it.issuer, sizeof(it.issuer), "%s", is->name);
		it.shard = shard;
		it.number = pc->number;
		snprintf(it.source, sizeof(it.source), "%s", pc->path);
		if ((rc = store_crl_floor_raise(s, is->id, shard, pc->number,
		    pc->path)) != ESEAL_OK ||
		    (rc = audit_append(s, now, actor, "crl.number.reconcile",
		    pc->path, "issuer=%s shard=%d published=%lld next=%lld",
		    is->name, shard, (long long)pc->number,
		    (long long)pc->number + 1)) != ESEAL_OK)
			goto fail;
		if (fn != NULL)
			fn(&it, arg);
		(*n)++;
	}
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}

enum eseal_rc
backup_reconcile(struct store *s, const char *dir, int64_t now,
    const char *actor, reconcile_fn fn, void *arg, int *nitems)
{
	struct store_issuer *is = NULL;
	struct pub_crl pc;
	size_t ni = 0;
	enum eseal_rc rc;
	int n = 0;

	if ((rc = store_issuer_list(s, &is, &ni)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; rc == ESEAL_OK && i < ni; i++)
		for (int k = 0; rc == ESEAL_OK && k < is[i].crl_shards *
		    (int)NPUB; k++) {
			int sh = k / (int)NPUB;

			if ((rc = read_published(dir, &is[i], sh,
			    pub_suffix[k % NPUB], &pc)) == ESEAL_ENOTFOUND) {
				rc = ESEAL_OK;	/* never published */
				continue;
			}
			if (rc == ESEAL_OK)
				rc = one_shard(s, &is[i], &pc, sh, now, actor,
				    fn, arg, &n);
			X509_CRL_free(pc.crl);
		}
	store_issuer_list_free(is, ni);
	if (rc == ESEAL_OK)
		rc = audit_append(s, now, actor, "backup.reconcile", dir,
		    "items=%d", n);
	if (nitems != NULL)
		*nitems = n;
	return rc;
}

enum eseal_rc
backup_check_published(struct store *s, const char *dir)
{
	struct store_issuer *is = NULL;
	struct pub_crl pc;
	int64_t next;
	size_t ni = 0;
	enum eseal_rc rc;

	if (dir == NULL || dir[0] == '\0')
		return ESEAL_OK;
	if ((rc = store_issuer_list(s, &is, &ni)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; rc == ESEAL_OK && i < ni; i++)
		for (int k = 0; rc == ESEAL_OK && k < is[i].crl_shards *
		    (int)NPUB; k++) {
			int sh = k / (int)NPUB, undecided;

			/*
			 * Not ours or not there: the publisher replaces it.
			 * Its number read without parsing its entries.
			 */
			if ((rc = published_number(dir, &is[i], sh,
			    pub_suffix[k % NPUB], &pc, &undecided)) != ESEAL_OK
			    && undecided)
				rc = read_published(dir, &is[i], sh,
				    pub_suffix[k % NPUB], &pc);
			if (rc != ESEAL_OK) {
				rc = ESEAL_OK;
				continue;
			}
			if ((rc = next_number(s, is[i].id, sh, &next)) ==
			    ESEAL_OK && next <= pc.number)
				rc = eseal_err(ESEAL_ECONF, "RFC 5280 5.2.3: the "
				    "store's CRL numbers of %s/%d end at %lld, "
				    "but %s, already published, is number %lld: "
				    "the store is older than what relying "
				    "parties hold (restored from a backup?); run "
				    "`esealctl backup reconcile --published %s` "
				    "before starting eseald", is[i].name, sh,
				    (long long)next - 1, pc.path,
				    (long long)pc.number, dir);
			X509_CRL_free(pc.crl);
		}
	store_issuer_list_free(is, ni);
	return rc;
}

/* The -wal, -shm and -journal names beside path. */
static int
side_exists(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		if (access(p, F_OK) == 0)
			return 1;
	}
	return 0;
}

static void
unlink_sides(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

enum eseal_rc
backup_restore(const char *file, const struct backup_keys *k, const char *to,
    const char *published, int64_t now, const char *actor, reconcile_fn fn,
    void *arg, struct backup_report *r)
{
	char tmp[PATH_MAX];
	struct store *s;
	enum eseal_rc rc;
	int fd;

	memset(r, 0, sizeof(*r));
	if (side_exists(to))
		return eseal_err(ESEAL_EEXIST, "restore: %s exists: a restore "
		    "writes a new store, never over one", to);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.restore-XXXXXX", to) >=
	    sizeof(tmp) || (fd = mkstemp(tmp)) == -1)
		return eseal_err(ESEAL_ESTORE, "restore: temporary file beside "
		    "%s: %s", to, strerror(errno));
	close(fd);
	unlink(tmp);		/* backup_open makes it, exclusively */
	if ((rc = backup_open(file, k, tmp, r)) != ESEAL_OK)
		return rc;
	if (published != NULL && published[0] != '\0') {
		if ((rc = store_open(tmp, &s)) != ESEAL_OK)
			goto fail;
		rc = backup_reconcile(s, published, now, actor, fn, arg, NULL);
		store_close(s);
		if (rc != ESEAL_OK)
			goto fail;
	}
	/* link() never replaces: a store made at to meanwhile is kept. */
	if (link(tmp, to) == -1) {
		rc = eseal_err(ESEAL_EEXIST, "restore: %s: %s", to,
		    strerror(errno));
		goto fail;
	}
	unlink_sides(tmp);
	return ESEAL_OK;
fail:
	unlink_sides(tmp);
	return rc;
}

/*
 * The highest SEQ of DIR/checkpoint-SEQ.txt (0 if none); *above (if not
 * NULL) counts those above base.
 */
static int64_t
newest_checkpoint(const char *dir, int64_t base, int *above)
{
	struct dirent *e;
	int64_t best = 0, v;
	char tail[8];
	DIR *d;

	if (above != NULL)
		*above = 0;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (sscanf(e->d_name, "checkpoint-%" SCNd64 "%7s", &v, tail)
		    != 2 || strcmp(tail, ".txt") != 0)
			continue;
		if (v > best)
			best = v;
		if (above != NULL && v > base)
			(*above)++;
	}
	closedir(d);
	return best;
}

int
backup_checkpoints_above(const char *dir, int64_t base)
{
	char cdir[BACKUP_PATH_MAX];
	int n;

	snprintf(cdir, sizeof(cdir), "%s/%s", dir, CHECKPOINT_SUBDIR);
	(void)newest_checkpoint(cdir, base, &n);
	return n;
}

enum eseal_rc
backup_offstore_checkpoint(struct store *s, const char *dir,
    struct backup_ckpt *out)
{
	struct store_issuer is;
	struct audit_cp_msg m;
	char cdir[BACKUP_PATH_MAX - 64], sig[BACKUP_PATH_MAX], why[256];
	unsigned char *text = NULL, *sg = NULL;
	size_t tlen, slen;
	int64_t seq;
	enum eseal_rc rc;

	memset(out, 0, sizeof(*out));
	memset(&is, 0, sizeof(is));
	if ((size_t)snprintf(cdir, sizeof(cdir), "%s/%s", dir,
	    CHECKPOINT_SUBDIR) >= sizeof(cdir))
		return eseal_err(ESEAL_EINVAL, "reconcile: %.200s: path too "
		    "long", dir);
	if ((seq = newest_checkpoint(cdir, 0, NULL)) == 0)
		return eseal_err(ESEAL_ENOTFOUND, "reconcile: no checkpoint "
		    "under %s", cdir);
	snprintf(out->path, sizeof(out->path), "%s/checkpoint-%" PRId64 ".txt",
	    cdir, seq);
	snprintf(sig, sizeof(sig), "%s/checkpoint-%" PRId64 ".sig", cdir, seq);
	if ((rc = backup_read_file(out->path, AUDIT_CP_MSG_MAX, &text, &tlen))
	    != ESEAL_OK || (rc = backup_read_file(sig, BACKUP_SIG_MAX, &sg,
	    &slen)) != ESEAL_OK)
		goto out;
	if ((rc = audit_cp_parse((const char *)text, tlen, &m)) != ESEAL_OK ||
	    (rc = store_issuer_by_id(s, m.issuer_id, &is)) != ESEAL_OK)
		goto bad;
	if (m.seq != seq || audit_cp_check((const char *)text, tlen, &m, sg,
	    slen, is.cert, is.cert_len, why, sizeof(why)) != 1) {
		rc = eseal_err(ESEAL_EINVAL, "reconcile: %s: not the signed "
		    "checkpoint of seq %" PRId64 " (%s)", out->path, seq,
		    m.seq != seq ? "another seq inside" : why);
		goto out;
	}
	out->seq = m.seq;
	snprintf(out->hash, sizeof(out->hash), "%s", m.hash);
	goto out;
bad:
	rc = eseal_err(ESEAL_EINVAL, "reconcile: %s: %s", out->path,
	    eseal_errmsg());
out:
	store_issuer_clear(&is);
	free(text);
	free(sg);
	return rc;
}

