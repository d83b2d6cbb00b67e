/*
 * backup_open.c: reading a backup back (backup_open, backup_verify): each
 * layer is checked as outside input, in the order it was made, and the
 * first that fails is named: DER (X.690) and RFC 5652 / 5083 for the CMS
 * file, its recipient and authentication tag, ustar for the archive, the
 * manifest's version and signature, the payload's SHA-256, then SQLite's
 * integrity_check, the audit chain and the counts of the store copy.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "audit.h"
#include "backup.h"
#include "backup_int.h"
#include "store_backup.h"

#define DR	"docs/disaster-recovery.md"	/* the format and its checks */

enum eseal_rc
backup_cms_parse(const unsigned char *buf, size_t len, void **out)
{
	const unsigned char *p = buf;
	CMS_ContentInfo *cms;

	*out = NULL;
	if (len == 0 || len > BACKUP_FILE_MAX)
		return eseal_err(ESEAL_EINVAL, "backup: RFC 5652 3: empty, or "
		    "larger than %lld bytes", (long long)BACKUP_FILE_MAX);
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return eseal_err(ESEAL_EINVAL, "backup: RFC 5652 3 / X.690 DER: "
		    "not one CMS ContentInfo (truncated, or not a backup)");
	}
	if (p != buf + len) {
		CMS_ContentInfo_free(cms);
		return eseal_err(ESEAL_EINVAL, "backup: X.690 DER: %zu trailing "
		    "bytes after the ContentInfo", (size_t)(buf + len - p));
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_id_smime_ct_authEnvelopedData) {
		char t[80];

		OBJ_obj2txt(t, sizeof(t), CMS_get0_type(cms), 0);
		CMS_ContentInfo_free(cms);
		return eseal_err(ESEAL_EINVAL, "backup: RFC 5083: content type "
		    "is %s, not id-ct-authEnvelopedData", t);
	}
	*out = cms;
	return ESEAL_OK;
}

/* The recipient's key and certificate. */
static enum eseal_rc
load_recipient(const struct backup_keys *k, EVP_PKEY **key, X509 **cert)
{
	STACK_OF(X509) *sk;
	BIO *b;

	*key = NULL;
	*cert = NULL;
	if (k->key == NULL)
		return eseal_err(ESEAL_EINVAL, "backup: the recipient's private "
		    "key is needed to open a backup (--key FILE)");
	if ((b = BIO_new_file(k->key, "r")) == NULL ||
	    (*key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		BIO_free(b);
		ERR_clear_error();
		return eseal_err(ESEAL_EINVAL, "backup: --key %s: RFC 7468: not "
		    "a PEM private key", k->key);
	}
	BIO_free(b);
	if ((sk = backup_load_certs(k->cert ? k->cert : k->recipients,
	    k->cert ? "--cert" : "[backup] recipients")) == NULL)
		goto fail;
	for (int i = 0; i < sk_X509_num(sk) && *cert == NULL; i++)
		if (X509_check_private_key(sk_X509_value(sk, i), *key) == 1)
			*cert = X509_dup(sk_X509_value(sk, i));
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	if (*cert != NULL)
		return ESEAL_OK;
	eseal_err(ESEAL_EINVAL, "backup: no certificate in %s is for the key "
	    "%s", k->cert ? k->cert : k->recipients, k->key);
fail:
	EVP_PKEY_free(*key);
	*key = NULL;
	return ESEAL_EINVAL;
}

/* Decrypts cms for key and cert: *out malloc'd, *len. */
static enum eseal_rc
decrypt(CMS_ContentInfo *cms, EVP_PKEY *key, X509 *cert, unsigned char **out,
    size_t *len)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(cms);
	BIO *mem = NULL;
	BUF_MEM *bm;
	int found = 0;

	*out = NULL;
	for (int i = 0; i < sk_CMS_RecipientInfo_num(ris) && !found; i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);

		if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_TRANS ||
		    CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0)
			found = 1;	/* key agreement: let OpenSSL match */
	}
	ERR_clear_error();
	if (!found) {
		char subj[256];

		X509_NAME_oneline(X509_get_subject_name(cert), subj,
		    sizeof(subj));
		return eseal_err(ESEAL_EINVAL, "backup: RFC 5652 6.2.1: the "
		    "backup is not encrypted to %s (wrong key, or a backup "
		    "for other recipients)", subj);
	}
	if ((mem = BIO_new(BIO_s_mem())) == NULL ||
	    CMS_decrypt(cms, key, cert, NULL, mem, CMS_BINARY) != 1) {
		BIO_free(mem);
		ERR_clear_error();
		return eseal_err(ESEAL_EINVAL, "backup: RFC 5083 2.2 / RFC "
		    "5084: the content does not decrypt and authenticate "
		    "(AES-256-GCM tag): the file was changed, or the key is "
		    "wrong");
	}
	BIO_get_mem_ptr(mem, &bm);
	if ((*out = malloc(bm->length + 1)) == NULL) {
		BIO_free(mem);
		return eseal_err(ESEAL_ENOMEM, "backup: out of memory");
	}
	memcpy(*out, bm->data, bm->length);
	*len = bm->length;
	BIO_free(mem);
	return ESEAL_OK;
}

/* The trusted issuer certificates: --trust, or DIR/ca/NAME.crt files. */
static STACK_OF(X509) *
load_trust(const struct backup_keys *k)
{
	char path[PATH_MAX + 264], dir[PATH_MAX];
	STACK_OF(X509) *sk;
	unsigned char *b;
	const unsigned char *p;
	struct dirent *e;
	size_t len, n;
	DIR *d;
	X509 *x;

	if (k->trust != NULL)
		return backup_load_certs(k->trust, "--trust");
	if (k->trust_dir == NULL || k->trust_dir[0] == '\0') {
		eseal_err(ESEAL_EPOLICY, "backup: no trusted issuer certificate "
		    "to check the manifest's signature with: give --trust "
		    "CERT, --published DIR, or [publish] dir");
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s/ca", k->trust_dir);
	if ((sk = sk_X509_new_null()) == NULL || (d = opendir(dir)) == NULL) {
		sk_X509_free(sk);
		eseal_err(ESEAL_EPOLICY, "backup: %s: %s: no issuer "
		    "certificates to check the manifest's signature with "
		    "(give --trust CERT)", dir, strerror(errno));
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".crt") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (backup_read_file(path, BACKUP_CERT_MAX, &b, &len) != ESEAL_OK)
			continue;
		p = b;
		if ((x = d2i_X509(NULL, &p, (long)len)) != NULL &&
		    (p != b + len || !sk_X509_push(sk, x)))
			X509_free(x);
		free(b);
	}
	closedir(d);
	ERR_clear_error();
	return sk;
}

/* The manifest's signature, by a trusted issuer certificate. */
static enum eseal_rc
check_signature(const struct backup_parts *parts, const struct backup_keys *k,
    struct backup_report *r)
{
	const unsigned char *p = parts->cert;
	STACK_OF(X509) *trust;
	X509 *signer;
	int trusted = 0, v;

	if ((signer = d2i_X509(NULL, &p, (long)parts->cert_len)) == NULL ||
	    p != parts->cert + parts->cert_len) {
		X509_free(signer);
		ERR_clear_error();
		return eseal_err(ESEAL_EINVAL, "backup: RFC 5280 4.1: signer.crt "
		    "is not one DER certificate");
	}
	X509_NAME_oneline(X509_get_subject_name(signer), r->signer,
	    sizeof(r->signer));
	if ((trust = load_trust(k)) == NULL) {
		X509_free(signer);
		return ESEAL_EPOLICY;
	}
	for (int i = 0; i < sk_X509_num(trust); i++)
		if (X509_cmp(sk_X509_value(trust, i), signer) == 0)
			trusted = 1;
	sk_X509_pop_free(trust, X509_free);
	if (!trusted) {
		X509_free(signer);
		return eseal_err(ESEAL_EPOLICY, "backup: the manifest is signed "
		    "by %s, which is not a trusted issuer certificate", r->signer);
	}
	v = backup_sig_check(X509_get0_pubkey(signer), parts->sig,
	    parts->sig_len, parts->manifest, parts->manifest_len);
	X509_free(signer);
	if (v != 1)
		return eseal_err(ESEAL_EINVAL, "backup: manifest signature ("
		    DR "): the "
		    "signature of manifest.json does not verify with the public "
		    "key of %s (the manifest was changed)", r->signer);
	return ESEAL_OK;
}

/* Decrypts, unpacks and checks the manifest: r->m, and the payload. */
static enum eseal_rc
open_layers(const char *file, const struct backup_keys *k,
    struct backup_report *r, unsigned char **plain, struct backup_parts *parts)
{
	CMS_ContentInfo *cms = NULL;
	unsigned char *buf = NULL;
	char sha[STORE_HASH_HEX_MAX];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	size_t len, plen = 0;
	void *c;
	enum eseal_rc rc;

	*plain = NULL;
	if ((rc = backup_read_file(file, BACKUP_FILE_MAX, &buf, &len))
	    != ESEAL_OK || (rc = backup_cms_parse(buf, len, &c)) != ESEAL_OK)
		goto out;
	cms = c;
	if ((rc = load_recipient(k, &key, &cert)) != ESEAL_OK ||
	    (rc = decrypt(cms, key, cert, plain, &plen)) != ESEAL_OK ||
	    (rc = backup_unpack(*plain, plen, parts)) != ESEAL_OK ||
	    (rc = backup_manifest_parse(parts->manifest, parts->manifest_len,
	    &r->m)) != ESEAL_OK ||
	    (rc = check_signature(parts, k, r)) != ESEAL_OK ||
	    (rc = backup_sha256_hex(parts->payload, parts->payload_len, sha))
	    != ESEAL_OK)
		goto out;
	if ((int64_t)parts->payload_len != r->m.payload_size ||
	    strcmp(sha, r->m.payload_sha256) != 0)
		rc = eseal_err(ESEAL_EINVAL, "backup: payload (" DR "): "
		    "store.db (%zu "
		    "bytes, SHA-256 %s) does not match the manifest (%lld "
		    "bytes, %s)", parts->payload_len, sha,
		    (long long)r->m.payload_size, r->m.payload_sha256);
out:
	if (rc != ESEAL_OK) {
		free(*plain);
		*plain = NULL;
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	CMS_ContentInfo_free(cms);
	free(buf);
	return rc;
}

/* One figure of the copy against the manifest. */
static enum eseal_rc
same(const char *what, int64_t manifest, int64_t copy)
{
	if (manifest == copy)
		return ESEAL_OK;
	return eseal_err(ESEAL_EINVAL, "backup: manifest counts (" DR "): "
	    "%s: the "
	    "manifest says %lld, the store copy has %lld", what,
	    (long long)manifest, (long long)copy);
}

/* The CRL numbers of the copy against the manifest's. */
static enum eseal_rc
same_crls(struct store *s, const struct backup_manifest *m)
{
	struct store_crl_number *v = NULL;
	enum eseal_rc rc;
	size_t n;

	if ((rc = store_crl_numbers(s, &v, &n)) != ESEAL_OK)
		return rc;
	if (n != m->ncrls)
		rc = same("CRL shards", (int64_t)m->ncrls, (int64_t)n);
	for (size_t i = 0; rc == ESEAL_OK && i < n; i++)
		if (v[i].issuer_id != m->crls[i].issuer_id ||
		    v[i].shard != m->crls[i].shard ||
		    v[i].number != m->crls[i].number)
			rc = eseal_err(ESEAL_EINVAL, "backup: manifest CRL "
			    "numbers (" DR "): issuer %lld shard %d: the "
			    "manifest says "
			    "%lld, the store copy has %lld",
			    (long long)v[i].issuer_id, v[i].shard,
			    (long long)m->crls[i].number, (long long)v[i].number);
	free(v);
	return rc;
}

/* The store copy at db against the manifest. */
static enum eseal_rc
check_copy(const char *db, struct backup_report *r)
{
	const struct store_stats *ms = &r->m.stats;
	struct store_stats st;
	struct store *s;
	enum eseal_rc rc;
	int found, match;

	if ((rc = store_integrity_check(db)) != ESEAL_OK ||
	    (rc = store_open(db, &s)) != ESEAL_OK)
		return rc;
	if ((rc = audit_verify(s, &r->audit_records)) != ESEAL_OK ||
	    (rc = store_stats_get(s, &st)) != ESEAL_OK ||
	    (rc = same("issuers", ms->issuers, st.issuers)) != ESEAL_OK ||
	    (rc = same("certificates", ms->certificates, st.certificates))
	    != ESEAL_OK ||
	    (rc = same("revocations", ms->revocations, st.revocations))
	    != ESEAL_OK ||
	    (rc = same("audit records", ms->audit, st.audit)) != ESEAL_OK ||
	    (rc = same("revoked-unknown serials", ms->revoked_unknown,
	    st.revoked_unknown)) != ESEAL_OK ||
	    (rc = same("audit chain head", ms->audit_seq, st.audit_seq))
	    != ESEAL_OK || (rc = same_crls(s, &r->m)) != ESEAL_OK)
		goto out;
	if (strcmp(ms->audit_hash, st.audit_hash) != 0) {
		rc = eseal_err(ESEAL_EINVAL, "backup: audit chain (" DR "): "
		    "the head "
		    "%lld has hash %s, the manifest says %s",
		    (long long)st.audit_seq, st.audit_hash, ms->audit_hash);
		goto out;
	}
	if (ms->ckpt_seq > 0 && ((rc = store_audit_has(s, ms->ckpt_seq,
	    ms->ckpt_hash, &found, &match)) != ESEAL_OK || !match)) {
		if (rc == ESEAL_OK)
			rc = eseal_err(ESEAL_EINVAL, "backup: audit chain (" DR "): "
			    "record %lld is %s the manifest's checkpoint %s",
			    (long long)ms->ckpt_seq, found ? "not" : "missing "
			    "for", ms->ckpt_hash);
		goto out;
	}
	if (ms->schema_version > store_schema_version(s))
		rc = eseal_err(ESEAL_EINVAL, "backup: schema version (" DR
		    ") %d is "
		    "newer than this program's %d", ms->schema_version,
		    store_schema_version(s));
out:
	store_close(s);
	return rc;
}

enum eseal_rc
backup_open(const char *file, const struct backup_keys *k, const char *db,
    struct backup_report *r)
{
	struct backup_parts parts;
	unsigned char *plain = NULL;
	size_t off = 0;
	ssize_t w;
	enum eseal_rc rc;
	int fd;

	memset(r, 0, sizeof(*r));
	if ((rc = open_layers(file, k, r, &plain, &parts)) != ESEAL_OK)
		return rc;
	if ((fd = open(db, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600))
	    == -1) {
		rc = eseal_err(ESEAL_EEXIST, "backup: %s: %s", db,
		    strerror(errno));
		free(plain);
		return rc;
	}
	while (off < parts.payload_len && (w = write(fd, parts.payload + off,
	    parts.payload_len - off)) > 0)
		off += (size_t)w;
	if (off != parts.payload_len || fsync(fd) == -1)
		rc = eseal_err(ESEAL_ESTORE, "backup: write %s: %s", db,
		    strerror(errno));
	close(fd);
	free(plain);
	if (rc == ESEAL_OK)
		rc = check_copy(db, r);
	if (rc != ESEAL_OK) {
		char side[PATH_MAX + 8];

		unlink(db);
		snprintf(side, sizeof(side), "%s-wal", db);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", db);
		unlink(side);
	}
	return rc;
}

enum eseal_rc
backup_verify(const char *file, const struct backup_keys *k,
    struct backup_report *r)
{
	const char *t = getenv("TMPDIR");
	char dir[PATH_MAX], db[PATH_MAX + 16];
	enum eseal_rc rc;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/eseal-verify-XXXXXX",
	    t && t[0] ? t : "/tmp") >= sizeof(dir) || mkdtemp(dir) == NULL)
		return eseal_err(ESEAL_ESTORE, "backup: temporary directory: %s",
		    strerror(errno));
	snprintf(db, sizeof(db), "%s/store.db", dir);
	rc = backup_open(file, k, db, r);
	backup_rmdir(dir);
	return rc;
}
