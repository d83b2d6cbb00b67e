/*
 * audit_verify.c: checking the audit trail where it is kept: the chain
 * (links, hashes, formats), each record's seal by the HSM's MAC key, and
 * the signed checkpoints of the store and of the checkpoint files
 * (audit.h).  Also the checkpoint message, the exact bytes an issuer key
 * signs, shared with the off-site bundle (audit_bundle.c).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit.h"
#include "audit_int.h"

#define AUDIT_CP_FILES_MAX	100000	/* checkpoint files read from a dir */
#define AUDIT_CP_FILE_MAX	4096	/* one message or signature file */
#define AUDIT_CP_HEADER		"eseal-ca audit checkpoint\nformat: 1\n"

/* --- checkpoint messages --------------------------------------------- */

int
audit_cp_format(const struct audit_cp_msg *m, char *buf, size_t len)
{
	int n = snprintf(buf, len, AUDIT_CP_HEADER "seq: %" PRId64 "\n"
	    "hash: %s\ncreated: %" PRId64 "\nissuer_id: %" PRId64 "\n"
	    "issuer_cert_sha256: %s\ndigest: %s\n", m->seq, m->hash,
	    m->created, m->issuer_id, m->cert_sha256, m->digest);

	return n > 0 && (size_t)n < len;
}

static int
valid_hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

enum eseal_rc
audit_cp_parse(const char *text, size_t len, struct audit_cp_msg *out)
{
	char buf[AUDIT_CP_MSG_MAX], again[AUDIT_CP_MSG_MAX];
	long long seq, created, iid;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf) || memchr(text, '\0', len) != NULL)
		return eseal_err(ESEAL_EINVAL, "audit: a checkpoint message is "
		    "1 to %d bytes of text", AUDIT_CP_MSG_MAX - 1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strncmp(buf, AUDIT_CP_HEADER, strlen(AUDIT_CP_HEADER)) != 0)
		return eseal_err(ESEAL_EINVAL, "audit: not a checkpoint message "
		    "(its first lines are \"eseal-ca audit checkpoint\", "
		    "\"format: 1\")");
	if (sscanf(buf + strlen(AUDIT_CP_HEADER), "seq: %lld\nhash: %64s\n"
	    "created: %lld\nissuer_id: %lld\nissuer_cert_sha256: %64s\n"
	    "digest: %15s\n", &seq, out->hash, &created, &iid,
	    out->cert_sha256, out->digest) != 6 || seq < 1 || created < 0 ||
	    iid < 1 || !valid_hex64(out->hash) ||
	    !valid_hex64(out->cert_sha256) ||
	    (strcmp(out->digest, "sha256") != 0 &&
	    strcmp(out->digest, "sha384") != 0 &&
	    strcmp(out->digest, "sha512") != 0))
		return eseal_err(ESEAL_EINVAL, "audit: checkpoint message: "
		    "lines seq, hash (64 hex), created, issuer_id, "
		    "issuer_cert_sha256 (64 hex), digest (sha256|sha384|"
		    "sha512) are required, in that order");
	out->seq = seq;
	out->created = created;
	out->issuer_id = iid;
	/* One spelling only: what we would write ourselves. */
	if (!audit_cp_format(out, again, sizeof(again)) ||
	    strcmp(again, buf) != 0)
		return eseal_err(ESEAL_EINVAL, "audit: checkpoint message is "
		    "not in its one canonical form");
	return ESEAL_OK;
}

static void
hex32(const unsigned char *b, char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int
audit_cp_check(const char *text, size_t len, const struct audit_cp_msg *m,
    const unsigned char *sig, size_t siglen, const unsigned char *cert,
    size_t certlen, char *why, size_t whylen)
{
	const unsigned char *p = cert;
	unsigned char d[32];
	char dh[65];
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pub;
	X509 *x;
	int ok = 0;

	if (EVP_Digest(cert, certlen, d, NULL, EVP_sha256(), NULL) != 1)
		return snprintf(why, whylen, "cannot hash"), 0;
	hex32(d, dh);
	if (strcmp(dh, m->cert_sha256) != 0) {
		snprintf(why, whylen, "the issuer certificate is not the one "
		    "the checkpoint names (issuer_cert_sha256)");
		return 0;
	}
	if ((x = d2i_X509(NULL, &p, (long)certlen)) == NULL ||
	    p != cert + certlen) {
		X509_free(x);
		snprintf(why, whylen, "the issuer certificate does not parse "
		    "(RFC 5280 4.1)");
		return 0;
	}
	if ((pub = X509_get0_pubkey(x)) != NULL &&
	    (md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, EVP_get_digestbyname(m->digest),
	    NULL, pub) == 1 && EVP_DigestVerify(md, sig, siglen,
	    (const unsigned char *)text, len) == 1)
		ok = 1;
	else
		snprintf(why, whylen, "the signature does not verify with the "
		    "issuer's public key");
	EVP_MD_CTX_free(md);
	X509_free(x);
	return ok;
}

/* --- the checkpoints to hold the trail against ------------------------ */

struct cp_item {
	char		 name[64];	/* "checkpoint 3" or the file's name */
	int64_t		 seq;
	unsigned char	 hash[32];
	char		 hashhex[65];
	int		 seen;		/* its record was reached */
};

struct cps {
	struct cp_item	*v;
	size_t		 n, cap;
	struct store	*store;
	const char	*err;		/* first failure, with rc */
	enum eseal_rc	 rc;
};

static int
cp_add(struct cps *c, const char *name, const struct audit_cp_msg *m)
{
	struct cp_item *n;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		if ((n = realloc(c->v, cap * sizeof(*n))) == NULL)
			return 0;
		c->v = n;
		c->cap = cap;
	}
	n = &c->v[c->n++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->seq = m->seq;
	snprintf(n->hashhex, sizeof(n->hashhex), "%s", m->hash);
	for (int i = 0; i < 32; i++)
		sscanf(m->hash + 2 * i, "%2hhx", &n->hash[i]);
	return 1;
}

/* Checks a signed message against the issuer's certificate in the store. */
static enum eseal_rc
cp_signed(struct store *s, const char *name, const char *text, size_t len,
    const unsigned char *sig, size_t siglen, struct audit_cp_msg *m)
{
	struct store_issuer is;
	char why[160];
	enum eseal_rc rc;
	int ok;

	if ((rc = audit_cp_parse(text, len, m)) != ESEAL_OK)
		return eseal_err(ESEAL_EINVAL, "audit: %s: %s", name,
		    eseal_errmsg());
	if ((rc = store_issuer_by_id(s, m->issuer_id, &is)) != ESEAL_OK)
		return eseal_err(ESEAL_EINVAL, "audit: %s (seq %" PRId64 "): "
		    "no issuer %" PRId64 " in the store", name, m->seq,
		    m->issuer_id);
	ok = audit_cp_check(text, len, m, sig, siglen, is.cert, is.cert_len,
	    why, sizeof(why));
	store_issuer_clear(&is);
	if (!ok)
		return eseal_err(ESEAL_EINVAL, "audit: %s (seq %" PRId64 ") no "
		    "longer matches: %s", name, m->seq, why);
	return ESEAL_OK;
}

static int
cp_row(const struct store_audit_cp *cp, void *arg)
{
	struct cps *c = arg;
	struct audit_cp_msg m;
	char name[64];
	const char *text = cp->message ? cp->message : "";

	snprintf(name, sizeof(name), "checkpoint %" PRId64, cp->id);
	if ((c->rc = cp_signed(c->store, name, text, strlen(text),
	    cp->signature, cp->sig_len, &m)) != ESEAL_OK)
		return 1;
	if (m.seq != cp->seq || m.issuer_id != cp->issuer_id ||
	    strcmp(m.hash, cp->hash) != 0) {
		c->rc = eseal_err(ESEAL_EINVAL, "audit: %s (seq %" PRId64 ") "
		    "no longer matches: its columns differ from its signed "
		    "message", name, cp->seq);
		return 1;
	}
	if (!cp_add(c, name, &m)) {
		c->rc = eseal_err(ESEAL_ENOMEM, "audit: out of memory");
		return 1;
	}
	return 0;
}

/* Reads at most max bytes of path into buf; the length, or -1. */
static long
read_small(const char *path, unsigned char *buf, size_t max)
{
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	n = fread(buf, 1, max, f);
	if (!feof(f) || ferror(f))
		n = max + 1;
	fclose(f);
	return n > max ? -1 : (long)n;
}

/* One checkpoint file pair, NAME.txt and NAME.sig, in dir. */
static enum eseal_rc
cp_file(struct cps *c, const char *dir, const char *txt)
{
	unsigned char text[AUDIT_CP_FILE_MAX], sig[AUDIT_CP_FILE_MAX];
	char path[1200];
	struct audit_cp_msg m;
	long tl, sl;
	enum eseal_rc rc;

	snprintf(path, sizeof(path), "%s/%s", dir, txt);
	if ((tl = read_small(path, text, sizeof(text) - 1)) < 0)
		return eseal_err(ESEAL_EINVAL, "audit: checkpoint file %s "
		    "cannot be read (or is over %d bytes)", path,
		    AUDIT_CP_FILE_MAX);
	memcpy(path + strlen(path) - 4, ".sig", 4);
	if ((sl = read_small(path, sig, sizeof(sig))) < 0)
		return eseal_err(ESEAL_EINVAL, "audit: checkpoint file %s "
		    "cannot be read", path);
	if ((rc = cp_signed(c->store, txt, (const char *)text, (size_t)tl,
	    sig, (size_t)sl, &m)) != ESEAL_OK)
		return rc;
	return cp_add(c, txt, &m) ? ESEAL_OK : eseal_err(ESEAL_ENOMEM,
	    "audit: out of memory");
}

static enum eseal_rc
cp_files(struct cps *c, const char *dir, int64_t *nfiles)
{
	struct dirent *de;
	enum eseal_rc rc = ESEAL_OK;
	DIR *d;
	size_t l;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? ESEAL_OK : eseal_err(ESEAL_EINVAL,
		    "audit: %s: %s", dir, strerror(errno));
	while (rc == ESEAL_OK && (de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (strncmp(de->d_name, "checkpoint-", 11) != 0 || l < 16 ||
		    strcmp(de->d_name + l - 4, ".txt") != 0)
			continue;
		if (++*nfiles > AUDIT_CP_FILES_MAX)
			rc = eseal_err(ESEAL_EINVAL, "audit: %s: more than %d "
			    "checkpoint files", dir, AUDIT_CP_FILES_MAX);
		else
			rc = cp_file(c, dir, de->d_name);
	}
	closedir(d);
	return rc;
}

/* --- the walk -------------------------------------------------------- */

struct verify_state {
	unsigned char	 prev[32];
	int64_t		 n, sealed;
	int		 mac;		/* check seals */
	int		 seen_fmt2;
	int64_t		 bad;		/* first broken seq, 0 if none */
	const char	*why;
	struct cps	*cps;
	void		(*progress)(void *, int64_t, int64_t);
	void		*parg;
	int64_t		 total;		/* the last seq, for progress */
};

static const char *
check_seal(const struct store_audit *a, struct verify_state *v,
    struct p11_token *t)
{
	unsigned char m[32];

	if (a->has_mac == 0)
		return "not sealed by the HSM's MAC key: a forged record, or "
		    "one written while the HSM was away and not sealed since";
	if (a->has_mac < 0)
		return "its MAC is not 32 bytes";
	if (p11_hmac(t, (const unsigned char *)AUDIT_MAC_ID,
	    strlen(AUDIT_MAC_ID), a->hash, 32, m) != ESEAL_OK)
		return NULL;	/* the HSM failed: reported by the caller */
	if (memcmp(m, a->mac, 32) != 0)
		return "its MAC does not match (forged or edited)";
	v->sealed++;
	return "";
}

static int
verify_one(const struct store_audit *a, void *arg)
{
	struct verify_state *v = arg;
	unsigned char h[32];

	if (a->seq != v->n + 1)
		v->why = "sequence gap (a record was deleted or reordered)";
	else if (memcmp(a->prev_hash, v->prev, 32) != 0)
		v->why = "previous-hash link broken";
	else if (a->fmt != AUDIT_FMT && a->fmt != AUDIT_FMT_LEGACY)
		v->why = "unknown record format";
	else if (a->fmt == AUDIT_FMT_LEGACY && v->seen_fmt2)
		v->why = "a format-1 record after format-2 ones (format 1 "
		    "ended with schema 012)";
	else if (!audit_record_hash(a, h) || memcmp(h, a->hash, 32) != 0)
		v->why = "record hash does not match its content";
	else if (a->fmt == AUDIT_FMT && v->mac) {
		const char *w = check_seal(a, v, audit_mac_token());

		if (w == NULL)
			v->why = "the HSM could not check its MAC";
		else if (*w != '\0')
			v->why = w;
	}
	if (v->why != NULL) {
		v->bad = a->seq;
		return 1;
	}
	v->seen_fmt2 |= a->fmt == AUDIT_FMT;
	for (size_t i = 0; i < v->cps->n; i++)
		if (v->cps->v[i].seq == a->seq) {
			if (memcmp(v->cps->v[i].hash, a->hash, 32) != 0) {
				v->bad = -1 - (int64_t)i;
				return 1;
			}
			v->cps->v[i].seen = 1;
		}
	memcpy(v->prev, a->hash, 32);
	v->n++;
	if (v->progress != NULL && v->n % AUDIT_PROGRESS_EVERY == 0)
		v->progress(v->parg, v->n, v->total);
	return 0;
}

enum eseal_rc
audit_verify_full(struct store *s, const char *cp_dir, struct audit_report *out)
{
	return audit_verify_full_progress(s, cp_dir, out, NULL, NULL);
}

enum eseal_rc
audit_verify_full_progress(struct store *s, const char *cp_dir,
    struct audit_report *out, void (*progress)(void *, int64_t, int64_t),
    void *arg)
{
	unsigned char head[32];
	struct cps c;
	struct verify_state v;
	enum eseal_rc rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	memset(&v, 0, sizeof(v));
	v.progress = progress;
	v.parg = arg;
	if (progress != NULL &&
	    (rc = store_audit_last(s, &v.total, head)) != ESEAL_OK)
		return rc;
	c.store = s;
	v.cps = &c;
	v.mac = audit_mac_attached();
	if ((rc = store_audit_cp_each(s, cp_row, &c)) != ESEAL_OK ||
	    (rc = c.rc) != ESEAL_OK)
		goto out;
	out->checkpoints = (int64_t)c.n;
	if (cp_dir != NULL && (rc = cp_files(&c, cp_dir, &out->files))
	    != ESEAL_OK)
		goto out;
	if ((rc = store_audit_each(s, verify_one, &v)) != ESEAL_OK)
		goto out;
	if (progress != NULL)
		progress(arg, v.n, v.total);
	if (v.why != NULL) {
		rc = eseal_err(ESEAL_EINVAL, "audit: record %" PRId64 ": %s",
		    v.bad, v.why);
		goto out;
	}
	if (v.bad < 0) {
		struct cp_item *i = &c.v[-1 - v.bad];

		rc = eseal_err(ESEAL_EINVAL, "audit: %s (seq %" PRId64 ") no "
		    "longer matches: record %" PRId64 " has another hash than "
		    "the signed %s", i->name, i->seq, i->seq, i->hashhex);
		goto out;
	}
	for (size_t k = 0; k < c.n; k++) {
		if (!c.v[k].seen) {
			rc = eseal_err(ESEAL_EINVAL, "audit: %s (seq %" PRId64
			    ") no longer matches: the trail ends at seq %"
			    PRId64 " (records were cut from its tail)",
			    c.v[k].name, c.v[k].seq, v.n);
			goto out;
		}
		if (c.v[k].seq > out->cp_seq)
			out->cp_seq = c.v[k].seq;
	}
	out->records = v.n;
	out->head_seq = v.n;
	out->sealed = v.sealed;
out:
	free(c.v);
	return rc;
}

enum eseal_rc
audit_verify(struct store *s, int64_t *n)
{
	struct audit_report r;
	enum eseal_rc rc;

	rc = audit_verify_full(s, NULL, &r);
	*n = r.records;
	return rc;
}
