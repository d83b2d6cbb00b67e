/*
 * backup.c: backup create and verify (backup.h).  The store is copied
 * online (store_backup_copy), the manifest describes the copy and is
 * signed by the current issuer key on the token through the one signing
 * path (sign_verified), the archive (backup_pack.c) is encrypted with
 * OpenSSL's CMS API as AuthEnvelopedData with AES-256-GCM, and the file is
 * written atomically with mode 0600 to each destination that is not on
 * the store's device.  Verification undoes each step and checks it,
 * naming the rule that failed.  Restore and reconciliation are in
 * backup_restore.c.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "audit.h"
#include "backup.h"
#include "backup_int.h"
#include "issuer.h"
#include "log.h"
#include "publish.h"
#include "sign.h"
#include "store_backup.h"

#define CMS_RULE	"RFC 5083"	/* AuthEnvelopedData */

void
backup_report_clear(struct backup_report *r)
{
	if (r == NULL)
		return;
	backup_manifest_clear(&r->m);
	memset(r, 0, sizeof(*r));
}

int
backup_due(const struct backup_schedule *s, int64_t now)
{
	if (s->interval <= 0)
		return 0;
	if (s->last_try == 0)
		return 1;
	if (s->last_failed)
		return now - s->last_try >= (s->retry > 0 ? s->retry :
		    s->interval);
	return now - (s->last_ok ? s->last_ok : s->last_try) >= s->interval;
}

int
backup_split(char *list, const char **v, size_t max)
{
	size_t n = 0;
	char *p = list, *e;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, ",");
		v[n] = p;
		for (char *t = e; t > p && (t[-1] == ' ' || t[-1] == '\t'); t--)
			t[-1] = '\0';
		if (*p == '\0' || *p == ',')
			return eseal_err(ESEAL_ECONF, "backup: [backup] "
			    "destinations: an empty directory in \"%s\"", list),
			    -1;
		if (++n > max)
			return eseal_err(ESEAL_ECONF, "backup: [backup] "
			    "destinations: more than %zu directories", max), -1;
		if (*e == '\0')
			return (int)n;
		*e = '\0';
		p = e + 1;
	}
}

/* --- small helpers, shared with backup_restore.c ---------------------- */

enum eseal_rc
backup_read_file(const char *path, size_t max, unsigned char **out,
    size_t *len)
{
	struct stat st;
	unsigned char *b;
	size_t off = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return eseal_err(ESEAL_ENOTFOUND, "backup: %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return eseal_err(ESEAL_EINVAL, "backup: %s: not a regular file",
		    path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return eseal_err(ESEAL_EINVAL, "backup: %s: %lld bytes, more "
		    "than the %zu accepted", path, (long long)st.st_size, max);
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return eseal_err(ESEAL_ENOMEM, "backup: out of memory");
	}
	while (off < (size_t)st.st_size && (r = read(fd, b + off,
	    (size_t)st.st_size - off)) > 0)
		off += (size_t)r;
	close(fd);
	if (off != (size_t)st.st_size) {
		free(b);
		return eseal_err(ESEAL_ESTORE, "backup: %s: short read", path);
	}
	*out = b;
	*len = off;
	return ESEAL_OK;
}

void
backup_hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * n] = '\0';
}

enum eseal_rc
backup_sha256_hex(const unsigned char *b, size_t n,
    char out[STORE_HASH_HEX_MAX])
{
	unsigned char md[32];

	if (EVP_Digest(b, n, md, NULL, EVP_sha256(), NULL) != 1)
		return eseal_err(ESEAL_EINTERNAL, "backup: SHA-256 failed");
	backup_hex(md, sizeof(md), out);
	return ESEAL_OK;
}

/* Every certificate of a PEM file; NULL (message set) if none or bad. */
STACK_OF(X509) *
backup_load_certs(const char *path, const char *what)
{
	STACK_OF(X509) *sk;
	X509 *x;
	BIO *b;

	if ((b = BIO_new_file(path, "r")) == NULL) {
		eseal_err(ESEAL_ECONF, "backup: %s %s: cannot read: %s", what,
		    path, strerror(errno));
		return NULL;
	}
	if ((sk = sk_X509_new_null()) == NULL) {
		BIO_free(b);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	ERR_clear_error();
	BIO_free(b);
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		eseal_err(ESEAL_ECONF, "backup: %s %s: RFC 7468: no PEM "
		    "CERTIFICATE in it", what, path);
		return NULL;
	}
	return sk;
}

/* --- where a backup may go -------------------------------------------- */

/*
 * Whether dest may hold a backup of the store at store_path: not inside
 * the store's directory, and not on its device unless allowed (*same then
 * says it is).  ESEAL_EPOLICY naming both paths and the device.
 */
static enum eseal_rc
check_place(const char *store_path, const char *dest, int allow, int *same)
{
	char sdir[PATH_MAX], tmp[PATH_MAX], rdest[PATH_MAX];
	struct stat ss, ds;
	size_t n;

	*same = 0;
	snprintf(tmp, sizeof(tmp), "%s", store_path);
	if (realpath(dirname(tmp), sdir) == NULL || stat(sdir, &ss) == -1)
		return eseal_err(ESEAL_ESTORE, "backup: the store's directory "
		    "of %s: %s", store_path, strerror(errno));
	if (realpath(dest, rdest) == NULL || stat(rdest, &ds) == -1)
		return eseal_err(ESEAL_ENOTFOUND, "backup: destination %s: %s",
		    dest, strerror(errno));
	if (!S_ISDIR(ds.st_mode))
		return eseal_err(ESEAL_EINVAL, "backup: destination %s is not "
		    "a directory", dest);
	n = strlen(sdir);
	if (strncmp(rdest, sdir, n) == 0 && (rdest[n] == '\0' ||
	    rdest[n] == '/' || strcmp(sdir, "/") == 0))
		return eseal_err(ESEAL_EPOLICY, "backup: panel point 11: "
		    "destination %s is inside the store's directory %s: "
		    "one disaster would take both", rdest, sdir);
	if (ds.st_dev == ss.st_dev) {
		if (!allow)
			return eseal_err(ESEAL_EPOLICY, "backup: panel point 11: "
			    "point 11: destination %s is on the same device "
			    "(%u:%u) as the store %s: one disaster would take "
			    "both; choose another place (or --allow-same-device, "
			    "recorded as such)", rdest, major(ds.st_dev),
			    minor(ds.st_dev), store_path);
		*same = 1;
	}
	return ESEAL_OK;
}

/* --- making one ------------------------------------------------------- */

struct manifest_sign {
	const unsigned char	*tbs;
	size_t			 tbs_len;
	unsigned char		 sig[BACKUP_SIG_MAX];
	size_t			 sig_len;
};

static int
manifest_sign_cb(EVP_MD_CTX *mctx, void *arg)
{
	struct manifest_sign *m = arg;

	m->sig_len = sizeof(m->sig);
	return EVP_DigestSign(mctx, m->sig, &m->sig_len, m->tbs, m->tbs_len)
	    == 1;
}

int
backup_sig_check(EVP_PKEY *pub, const unsigned char *sig, size_t sig_len,
    const unsigned char *tbs, size_t tbs_len)
{
	EVP_MD_CTX *v;
	int ok;

	if ((v = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestVerifyInit(v, NULL, issuer_md(pub), NULL, pub) == 1 &&
	    EVP_DigestVerify(v, sig, sig_len, tbs, tbs_len) == 1;
	EVP_MD_CTX_free(v);
	ERR_clear_error();
	return ok;
}

static int
manifest_verify_cb(EVP_PKEY *pub, void *arg)
{
	struct manifest_sign *m = arg;

	return backup_sig_check(pub, m->sig, m->sig_len, m->tbs, m->tbs_len);
}

/* The manifest of the copy at db: its figures and its CRL numbers. */
static enum eseal_rc
describe(const char *db, struct backup_manifest *m)
{
	struct store_crl_number *nums = NULL;
	struct store_issuer *iss = NULL;
	struct store *s;
	size_t nn = 0, ni = 0;
	enum eseal_rc rc;

	if ((rc = store_open(db, &s)) != ESEAL_OK)
		return rc;
	if ((rc = store_stats_get(s, &m->stats)) != ESEAL_OK ||
	    (rc = store_crl_numbers(s, &nums, &nn)) != ESEAL_OK ||
	    (rc = store_issuer_list(s, &iss, &ni)) != ESEAL_OK)
		goto out;
	if (nn > 0 && (m->crls = calloc(nn, sizeof(*m->crls))) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "backup: out of memory");
		goto out;
	}
	for (size_t i = 0; i < nn; i++) {
		m->crls[i].issuer_id = nums[i].issuer_id;
		m->crls[i].shard = nums[i].shard;
		m->crls[i].number = nums[i].number;
		for (size_t k = 0; k < ni; k++)
			if (iss[k].id == nums[i].issuer_id)
				snprintf(m->crls[i].issuer,
				    sizeof(m->crls[i].issuer), "%s", iss[k].name);
	}
	m->ncrls = nn;
out:
	free(nums);
	store_issuer_list_free(iss, ni);
	store_close(s);
	return rc;
}

/* The encrypted file's bytes for the copy at db. */
static enum eseal_rc
seal(struct ca *ca, const struct backup_params *p, const char *db,
    int64_t now, unsigned char **out, size_t *out_len, char *sha)
{
	struct backup_manifest m;
	struct manifest_sign ms;
	struct backup_parts parts;
	struct sign_op op = { manifest_sign_cb, manifest_verify_cb, &ms,
	    "backup", "manifest signature", "issuer" };
	struct issuer *is = NULL;
	STACK_OF(X509) *rcpt = NULL;
	CMS_ContentInfo *cms = NULL;
	unsigned char *payload = NULL, *tar = NULL, *crt = NULL, *der = NULL;
	char *json = NULL;
	size_t plen, tlen, jlen;
	BIO *in = NULL;
	enum eseal_rc rc;
	int clen, dlen;

	memset(&m, 0, sizeof(m));
	*out = NULL;
	if ((rc = describe(db, &m)) != ESEAL_OK ||
	    (rc = backup_read_file(db, BACKUP_PAYLOAD_MAX, &payload, &plen))
	    != ESEAL_OK || (rc = backup_sha256_hex(payload, plen,
	    m.payload_sha256)) != ESEAL_OK ||
	    (rc = issuer_current(ca, &is)) != ESEAL_OK)
		goto out;
	m.version = BACKUP_VERSION;
	m.created = now;
	snprintf(m.label, sizeof(m.label), "%s", p->label ? p->label : "");
	m.payload_size = (int64_t)plen;
	snprintf(m.signer, sizeof(m.signer), "%s", is->rec.name);
	snprintf(sha, STORE_HASH_HEX_MAX, "%s", m.payload_sha256);
	if ((rc = backup_manifest_json(&m, &json, &jlen)) != ESEAL_OK)
		goto out;
	ms.tbs = (const unsigned char *)json;
	ms.tbs_len = jlen;
	if ((rc = sign_verified(ca, is->rec.key_id, is->rec.key_id_len,
	    is->pub, &op)) != ESEAL_OK)
		goto out;
	if ((clen = i2d_X509(is->cert, &crt)) <= 0) {
		rc = eseal_err(ESEAL_EINTERNAL, "backup: cannot encode the "
		    "issuer certificate");
		goto out;
	}
	parts = (struct backup_parts){ (unsigned char *)json, ms.sig, crt,
	    payload, jlen, ms.sig_len, (size_t)clen, plen };
	if ((rc = backup_pack(&parts, now, &tar, &tlen)) != ESEAL_OK)
		goto out;
	if ((rcpt = backup_load_certs(p->recipients, "[backup] recipients")) == NULL) {
		rc = ESEAL_ECONF;
		goto out;
	}
	if ((in = BIO_new_mem_buf(tar, (int)tlen)) == NULL ||
	    (cms = CMS_encrypt(rcpt, in, EVP_aes_256_gcm(), CMS_BINARY)) ==
	    NULL || (dlen = i2d_CMS_ContentInfo(cms, &der)) <= 0) {
		rc = eseal_err(ESEAL_EINTERNAL, "backup: %s: cannot encrypt to "
		    "the recipients of %s (RSA or EC certificates)", CMS_RULE,
		    p->recipients);
		ERR_clear_error();
		goto out;
	}
	*out = der;
	*out_len = (size_t)dlen;
	der = NULL;
out:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	sk_X509_pop_free(rcpt, X509_free);
	free(tar);
	OPENSSL_free(crt);
	free(json);
	free(payload);
	issuer_free(is);
	backup_manifest_clear(&m);
	return rc;
}

/* Records one destination's result: a store row and an audit record. */
static void
record(struct ca *ca, const struct backup_params *p, int64_t now,
    const struct backup_dest_result *d, const char *sha)
{
	struct store_backup_row r;

	memset(&r, 0, sizeof(r));
	r.created = now;
	snprintf(r.destination, sizeof(r.destination), "%s", d->path);
	snprintf(r.label, sizeof(r.label), "%s", p->label ? p->label : "");
	r.size = d->size;
	snprintf(r.sha256, sizeof(r.sha256), "%s", sha);
	r.same_device = d->same_device;
	r.ok = d->ok;
	snprintf(r.error, sizeof(r.error), "%s", d->error);
	snprintf(r.actor, sizeof(r.actor), "%s", p->actor);
	if (store_begin(ca->store) != ESEAL_OK)
		goto fail;
	if (store_backup_insert(ca->store, &r) != ESEAL_OK ||
	    audit_append(ca->store, now, p->actor, d->ok ? "backup.create" :
	    "backup.refuse", d->path, "label=\"%s\" size=%lld sha256=%s "
	    "same_device=%d%s%s", r.label, (long long)r.size, sha,
	    r.same_device, d->ok ? "" : " error=", d->error) != ESEAL_OK) {
		store_rollback(ca->store);
		goto fail;
	}
	if (store_commit(ca->store) == ESEAL_OK)
		return;
fail:
	log_error("msg=\"backup not recorded\" destination=\"%s\" error=\"%s\"",
	    d->path, eseal_errmsg());
}

/* Writes the sealed bytes to one destination directory. */
static enum eseal_rc
write_one(struct ca *ca, const struct backup_params *p, const char *dest,
    int64_t now, const unsigned char *der, size_t len,
    struct backup_dest_result *d)
{
	char stamp[32];
	struct tm tm;
	time_t t = (time_t)now;
	enum eseal_rc rc;

	snprintf(d->path, sizeof(d->path), "%s", dest);
	if ((rc = check_place(ca->conf->store_path, dest, p->allow_same_device,
	    &d->same_device)) != ESEAL_OK)
		return rc;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if ((size_t)snprintf(d->path, sizeof(d->path), "%s/eseal-backup-%s.p7m",
	    dest, stamp) >= sizeof(d->path))
		return eseal_err(ESEAL_EINVAL, "backup: destination %s: path "
		    "too long", dest);
	if (access(d->path, F_OK) == 0)
		return eseal_err(ESEAL_EEXIST, "backup: %s exists: one backup "
		    "a second per destination", d->path);
	if ((rc = publish_write_atomic("backup", d->path, der, len,
	    BACKUP_FILE_MODE)) != ESEAL_OK)
		return rc;
	d->size = (int64_t)len;
	return ESEAL_OK;
}

/* Removes dir and the files in it (one level: what backups put there). */
void
backup_rmdir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

enum eseal_rc
backup_create(struct ca *ca, const struct backup_params *p, int64_t now,
    struct backup_dest_result *res, char sha256[STORE_HASH_HEX_MAX])
{
	char tmp[PATH_MAX], db[PATH_MAX + 16], sha[STORE_HASH_HEX_MAX] = "";
	char why[BACKUP_ERR_MAX] = "";
	unsigned char *der = NULL;
	size_t len = 0;
	enum eseal_rc rc, first = ESEAL_OK;

	if (p->ndests == 0 || p->ndests > BACKUP_DESTS_MAX)
		return eseal_err(ESEAL_EINVAL, "backup: give from 1 to %d "
		    "destinations (--to DIR, or [backup] destinations)",
		    BACKUP_DESTS_MAX);
	if (p->recipients == NULL || p->recipients[0] == '\0')
		return eseal_err(ESEAL_ECONF, "backup: [backup] recipients: "
		    "no recipient certificates to encrypt to");
	memset(res, 0, p->ndests * sizeof(*res));
	/* The plaintext copy stays private, on the store's own device. */
	snprintf(tmp, sizeof(tmp), "%s", ca->conf->store_path);
	snprintf(db, sizeof(db), "%s", dirname(tmp));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.eseal-backup-XXXXXX", db)
	    >= sizeof(tmp) || mkdtemp(tmp) == NULL)
		return eseal_err(ESEAL_ESTORE, "backup: temporary directory "
		    "beside the store: %s", strerror(errno));
	snprintf(db, sizeof(db), "%s/store.db", tmp);
	if ((rc = store_backup_copy(ca->store, db)) == ESEAL_OK)
		rc = seal(ca, p, db, now, &der, &len, sha);
	if (rc != ESEAL_OK)
		snprintf(why, sizeof(why), "%s", eseal_errmsg());
	backup_rmdir(tmp);
	if (sha256 != NULL)
		snprintf(sha256, STORE_HASH_HEX_MAX, "%s", sha);
	for (size_t i = 0; i < p->ndests; i++) {
		enum eseal_rc r = rc;

		if (r == ESEAL_OK)
			r = write_one(ca, p, p->dests[i], now, der, len, &res[i]);
		else
			snprintf(res[i].path, sizeof(res[i].path), "%s",
			    p->dests[i]);
		res[i].ok = r == ESEAL_OK;
		if (!res[i].ok) {
			snprintf(res[i].error, sizeof(res[i].error), "%s",
			    rc != ESEAL_OK ? why : eseal_errmsg());
			if (first == ESEAL_OK)
				first = r;
		}
		record(ca, p, now, &res[i], sha);
		log_info("msg=\"backup %s\" destination=\"%s\" bytes=%lld%s%s",
		    res[i].ok ? "written" : "failed", res[i].path,
		    (long long)res[i].size, res[i].ok ? "" : " error=",
		    res[i].error);
	}
	OPENSSL_free(der);
	if (first != ESEAL_OK)
		for (size_t i = 0; i < p->ndests; i++)
			if (!res[i].ok)
				return eseal_err(first, "%s", res[i].error);
	return ESEAL_OK;
}
