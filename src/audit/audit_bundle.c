/*
 * audit_bundle.c: the audit trail as one self-describing file for an
 * investigator (audit.h, docs/security.md "Export"): records, the
 * checkpoints that sign them and the issuer certificates, as canonical
 * JSON (compact, keys sorted, one spelling), checked with nothing but the
 * file.  A bundle has no byte that no check covers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "audit.h"

#define BUNDLE_FORMAT	"eseal-ca audit bundle 1"
#define BUNDLE_ABOUT	"Audit records of an eseal-ca CA.  Each record's " \
	"hash is SHA-256 over prev_hash and its fields (docs/security.md); " \
	"each checkpoint message names a record's seq and hash and is " \
	"signed by the issuer certificate whose SHA-256 it names.  Check " \
	"with: esealctl audit verify --bundle FILE"
#define BUNDLE_JSON	(JSON_COMPACT | JSON_SORT_KEYS)
#define REC_KEYS	10	/* members of a record object */

/* --- encoding -------------------------------------------------------- */

static void
tohex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static json_t *
b64(const unsigned char *b, size_t n)
{
	char *s;
	json_t *j;

	if (n > (size_t)(AUDIT_BUNDLE_MAX / 2) || (s = malloc(4 * ((n + 2) / 3)
	    + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, b, (int)n);
	j = json_string(s);
	free(s);
	return j;
}

struct export {
	json_t		*records, *cps, *certs;
	struct store	*store;
	int64_t		 from, to;	/* to: the checkpoint ending it */
	int64_t		 n, last;
	int		 fail;
	int64_t		 ids[AUDIT_BUNDLE_CERTS_MAX];	/* issuers */
	size_t		 nids;
};

static int
rec_out(const struct store_audit *a, void *arg)
{
	struct export *e = arg;
	char ph[65], h[65];
	json_t *r;

	tohex(a->prev_hash, 32, ph);
	tohex(a->hash, 32, h);
	r = json_pack("{sIsIsssssssssssIssss}", "seq", (json_int_t)a->seq,
	    "ts", (json_int_t)a->ts, "actor", a->actor ? a->actor : "",
	    "action", a->action ? a->action : "", "object",
	    a->object ? a->object : "", "detail", a->detail ? a->detail : "",
	    "source", a->source ? a->source : "", "fmt", (json_int_t)a->fmt,
	    "prev_hash", ph, "hash", h);
	if (r == NULL || json_array_append_new(e->records, r) != 0) {
		e->fail = 1;
		return 1;
	}
	e->n++;
	e->last = a->seq;
	return 0;
}

/* The first checkpoint at or after e->to (e->to 0: the newest). */
static int
cp_end(const struct store_audit_cp *cp, void *arg)
{
	struct export *e = arg;
	int64_t want = e->to > e->from ? e->to : e->from;

	if (cp->seq < want)
		return 0;
	if (e->to == 0 ? cp->seq > e->last : (e->last == 0 ||
	    cp->seq < e->last))
		e->last = cp->seq;
	return 0;
}

static int
cp_out(const struct store_audit_cp *cp, void *arg)
{
	struct export *e = arg;
	json_t *c;

	if (cp->seq < e->from || cp->seq > e->to)
		return 0;
	c = json_pack("{ssso*}", "message", cp->message ? cp->message : "",
	    "signature", b64(cp->signature, cp->sig_len));
	if (c == NULL || json_array_append_new(e->cps, c) != 0)
		goto fail;
	for (size_t i = 0; i < e->nids; i++)
		if (e->ids[i] == cp->issuer_id)
			return 0;
	if (e->nids == AUDIT_BUNDLE_CERTS_MAX)
		goto fail;
	e->ids[e->nids++] = cp->issuer_id;
	return 0;
fail:
	e->fail = 1;
	return 1;
}

/* The certificates of the issuers that signed the checkpoints. */
static enum eseal_rc
certs_out(struct export *e)
{
	struct store_issuer is;
	enum eseal_rc rc;
	json_t *c;

	for (size_t i = 0; i < e->nids; i++) {
		if ((rc = store_issuer_by_id(e->store, e->ids[i], &is))
		    != ESEAL_OK)
			return rc;
		c = json_pack("{sIso*}", "id", (json_int_t)e->ids[i],
		    "certificate", b64(is.cert, is.cert_len));
		store_issuer_clear(&is);
		if (c == NULL || json_array_append_new(e->certs, c) != 0)
			return eseal_err(ESEAL_ENOMEM, "audit export: out of "
			    "memory");
	}
	return ESEAL_OK;
}

enum eseal_rc
audit_bundle_export(struct store *s, int64_t from, int64_t to,
    const char *path, struct audit_bundle_report *out)
{
	static struct export e;	/* ids[] is large for a stack */
	enum eseal_rc rc;
	json_t *root = NULL;
	FILE *f;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	e.store = s;
	e.from = from < 1 ? 1 : from;
	e.to = to;
	if ((rc = store_audit_cp_each(s, cp_end, &e)) != ESEAL_OK)
		return rc;
	if (e.last == 0)
		return eseal_err(ESEAL_EINVAL, "audit export: no signed "
		    "checkpoint at or after seq %" PRId64 " (esealctl audit "
		    "checkpoint)", to ? to : e.from);
	e.to = e.last;
	e.last = 0;
	e.records = json_array();
	e.cps = json_array();
	e.certs = json_array();
	if ((rc = store_audit_range(s, e.from, e.to, rec_out, &e)) == ESEAL_OK)
		rc = store_audit_cp_each(s, cp_out, &e);
	if (rc == ESEAL_OK && !e.fail)
		rc = certs_out(&e);
	if (rc == ESEAL_OK && e.n == 0)
		rc = eseal_err(ESEAL_EINVAL, "audit export: no records from seq "
		    "%" PRId64, e.from);
	if (rc == ESEAL_OK && (e.fail || (root = json_pack("{sssssOsOsO}",
	    "format", BUNDLE_FORMAT, "about", BUNDLE_ABOUT, "records",
	    e.records, "checkpoints", e.cps, "certificates", e.certs)) == NULL))
		rc = eseal_err(ESEAL_ENOMEM, "audit export: out of memory");
	if (rc == ESEAL_OK) {
		int bad = (f = fopen(path, "w")) == NULL;

		bad = bad || json_dumpf(root, f, BUNDLE_JSON) != 0 ||
		    fputc('\n', f) == EOF;
		if ((f != NULL && fclose(f) != 0) || bad)
			rc = eseal_err(ESEAL_EINVAL, "audit export: cannot write "
			    "%s", path);
		out->first = e.from;
		out->last = e.to;
		out->checkpoints = (int64_t)json_array_size(e.cps);
		out->certificates = (int64_t)json_array_size(e.certs);
	}
	json_decref(root);
	json_decref(e.records);
	json_decref(e.cps);
	json_decref(e.certs);
	return rc;
}

/* --- verifying ------------------------------------------------------- */

struct cert {
	int64_t		 id;
	unsigned char	*der;
	size_t		 len;
};

struct check {
	struct cert	*certs;
	size_t		 ncerts;
	unsigned char	*hashes;	/* 32 per record, from first */
	int64_t		 first, n;
	char		 where[96];	/* what failed, for the message */
};

/* Strict base64: the one encoding of some bytes.  Malloc'd, or NULL. */
static unsigned char *
unb64(const char *s, size_t *len)
{
	size_t sl = strlen(s), pad = 0;
	unsigned char *out;
	char *again;
	int n;

	if (sl == 0 || sl % 4 != 0 || sl > (size_t)AUDIT_BUNDLE_MAX)
		return NULL;
	pad = (s[sl - 1] == '=') + (sl > 1 && s[sl - 2] == '=');
	if ((out = malloc(sl / 4 * 3)) == NULL)
		return NULL;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)sl)) < 0 ||
	    (size_t)n < pad || (again = malloc(sl + 1)) == NULL) {
		free(out);
		return NULL;
	}
	*len = (size_t)n - pad;
	EVP_EncodeBlock((unsigned char *)again, out, (int)*len);
	n = strcmp(again, s);
	free(again);
	if (n != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int
unhex32(const char *s, unsigned char out[32])
{
	if (s == NULL || strlen(s) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	for (int i = 0; i < 32; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
	return 1;
}

static enum eseal_rc
bad(struct check *c, const char *fmt, const char *what)
{
	return eseal_err(ESEAL_EINVAL, "audit bundle: %s: %s", c->where,
	    what != NULL ? what : fmt);
}

static enum eseal_rc
read_certs(json_t *arr, struct check *c)
{
	size_t i;
	json_t *o;
	json_int_t id;
	const char *s;

	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > AUDIT_BUNDLE_CERTS_MAX)
		return eseal_err(ESEAL_EINVAL, "audit bundle: certificates: "
		    "an array of 1 to %d issuer certificates is required",
		    AUDIT_BUNDLE_CERTS_MAX);
	if ((c->certs = calloc(json_array_size(arr), sizeof(*c->certs)))
	    == NULL)
		return eseal_err(ESEAL_ENOMEM, "audit bundle: out of memory");
	json_array_foreach(arr, i, o) {
		snprintf(c->where, sizeof(c->where), "certificates[%zu]", i);
		if (!json_is_object(o) || json_object_size(o) != 2 ||
		    json_unpack(o, "{sIss}", "id", &id, "certificate", &s) != 0)
			return bad(c, "an object of id and certificate", NULL);
		if ((c->certs[i].der = unb64(s, &c->certs[i].len)) == NULL)
			return bad(c, "certificate is not strict base64", NULL);
		c->certs[i].id = id;
		c->ncerts++;
	}
	return ESEAL_OK;
}

static enum eseal_rc
one_record(json_t *o, struct check *c, size_t i)
{
	struct store_audit a;
	unsigned char h[32];
	json_int_t seq, ts, fmt;
	const char *ph, *hh;

	snprintf(c->where, sizeof(c->where), "records[%zu]", i);
	memset(&a, 0, sizeof(a));
	if (!json_is_object(o) || json_object_size(o) != REC_KEYS ||
	    json_unpack(o, "{sIsIsssssssssssIssss}", "seq", &seq, "ts", &ts,
	    "actor", &a.actor, "action", &a.action, "object", &a.object,
	    "detail", &a.detail, "source", &a.source, "fmt", &fmt,
	    "prev_hash", &ph, "hash", &hh) != 0)
		return bad(c, "a record has exactly seq, ts, actor, action, "
		    "object, detail, source, fmt, prev_hash, hash", NULL);
	snprintf(c->where, sizeof(c->where), "record %" PRId64, (int64_t)seq);
	a.seq = seq;
	a.ts = ts;
	a.fmt = (int)fmt;
	if (!unhex32(ph, a.prev_hash) || !unhex32(hh, a.hash))
		return bad(c, "prev_hash and hash are 64 lower-case hex", NULL);
	if (i == 0)
		c->first = a.seq;
	else if (a.seq != c->first + (int64_t)i)
		return bad(c, "sequence gap (a record was deleted or "
		    "reordered)", NULL);
	else if (memcmp(a.prev_hash, c->hashes + 32 * (i - 1), 32) != 0)
		return bad(c, "previous-hash link broken", NULL);
	if (fmt != AUDIT_FMT && fmt != AUDIT_FMT_LEGACY)
		return bad(c, "unknown record format", NULL);
	if (!audit_record_hash(&a, h) || memcmp(h, a.hash, 32) != 0)
		return bad(c, "record hash does not match its content", NULL);
	memcpy(c->hashes + 32 * i, a.hash, 32);
	return ESEAL_OK;
}

static enum eseal_rc
read_records(json_t *arr, struct check *c)
{
	size_t i, n = json_array_size(arr);
	enum eseal_rc rc;
	json_t *o;

	if (!json_is_array(arr) || n == 0)
		return eseal_err(ESEAL_EINVAL, "audit bundle: records: a "
		    "non-empty array is required");
	if ((c->hashes = malloc(32 * n)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "audit bundle: out of memory");
	json_array_foreach(arr, i, o)
		if ((rc = one_record(o, c, i)) != ESEAL_OK)
			return rc;
	c->n = (int64_t)n;
	return ESEAL_OK;
}

static enum eseal_rc
one_cp(json_t *o, struct check *c, size_t i, int64_t *maxseq)
{
	struct audit_cp_msg m;
	const struct cert *ct = NULL;
	unsigned char *sig, h[32];
	const char *msg, *s;
	char why[320];
	size_t siglen;
	int ok;

	snprintf(c->where, sizeof(c->where), "checkpoints[%zu]", i);
	if (!json_is_object(o) || json_object_size(o) != 2 ||
	    json_unpack(o, "{ssss}", "message", &msg, "signature", &s) != 0)
		return bad(c, "an object of message and signature", NULL);
	if (audit_cp_parse(msg, strlen(msg), &m) != ESEAL_OK) {
		snprintf(why, sizeof(why), "%s", eseal_errmsg());
		return bad(c, NULL, why);
	}
	snprintf(c->where, sizeof(c->where), "checkpoint at seq %" PRId64,
	    m.seq);
	for (size_t k = 0; k < c->ncerts; k++)
		if (c->certs[k].id == m.issuer_id)
			ct = &c->certs[k];
	if (ct == NULL)
		return bad(c, "no certificate for its issuer_id", NULL);
	if ((sig = unb64(s, &siglen)) == NULL)
		return bad(c, "signature is not strict base64", NULL);
	ok = audit_cp_check(msg, strlen(msg), &m, sig, siglen, ct->der,
	    ct->len, why, sizeof(why));
	free(sig);
	if (!ok)
		return bad(c, NULL, why);
	if (m.seq < c->first || m.seq >= c->first + c->n)
		return bad(c, "its seq is not among the records", NULL);
	unhex32(m.hash, h);
	if (memcmp(h, c->hashes + 32 * (m.seq - c->first), 32) != 0)
		return bad(c, "no longer matches: the record at its seq has "
		    "another hash", NULL);
	if (m.seq > *maxseq)
		*maxseq = m.seq;
	return ESEAL_OK;
}

/* Format, members and the one canonical spelling of the document. */
static enum eseal_rc
read_root(const unsigned char *buf, size_t len, json_t **out)
{
	json_error_t err;
	const char *f, *a;
	json_t *j;
	char *again;
	int same;

	*out = NULL;
	if (len == 0 || len > (size_t)AUDIT_BUNDLE_MAX || buf[len - 1] != '\n')
		return eseal_err(ESEAL_EINVAL, "audit bundle: 1 byte to %ld "
		    "bytes of JSON ending in a newline", AUDIT_BUNDLE_MAX);
	if ((j = json_loadb((const char *)buf, len - 1, JSON_REJECT_DUPLICATES,
	    &err)) == NULL)
		return eseal_err(ESEAL_EINVAL, "audit bundle: not JSON "
		    "(RFC 8259): %s at byte %d", err.text, err.position);
	if (!json_is_object(j) || json_object_size(j) != 5 ||
	    json_unpack(j, "{ssss}", "format", &f, "about", &a) != 0 ||
	    strcmp(f, BUNDLE_FORMAT) != 0 || strcmp(a, BUNDLE_ABOUT) != 0) {
		json_decref(j);
		return eseal_err(ESEAL_EINVAL, "audit bundle: not an \""
		    BUNDLE_FORMAT "\" document (format, about, records, "
		    "checkpoints, certificates)");
	}
	again = json_dumps(j, BUNDLE_JSON);
	same = again != NULL && strlen(again) == len - 1 &&
	    memcmp(again, buf, len - 1) == 0;
	free(again);
	if (!same) {
		json_decref(j);
		return eseal_err(ESEAL_EINVAL, "audit bundle: not in its "
		    "canonical form (compact JSON, keys sorted, as exported): "
		    "it was changed");
	}
	*out = j;
	return ESEAL_OK;
}

enum eseal_rc
audit_bundle_verify(const unsigned char *buf, size_t len,
    struct audit_bundle_report *out)
{
	struct check c;
	enum eseal_rc rc;
	int64_t maxseq = 0;
	json_t *j, *arr, *o;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if ((rc = read_root(buf, len, &j)) != ESEAL_OK)
		return rc;
	if ((rc = read_certs(json_object_get(j, "certificates"), &c))
	    != ESEAL_OK ||
	    (rc = read_records(json_object_get(j, "records"), &c)) != ESEAL_OK)
		goto out;
	arr = json_object_get(j, "checkpoints");
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		rc = eseal_err(ESEAL_EINVAL, "audit bundle: checkpoints: a "
		    "non-empty array is required");
		goto out;
	}
	json_array_foreach(arr, i, o)
		if ((rc = one_cp(o, &c, i, &maxseq)) != ESEAL_OK)
			goto out;
	if (maxseq != c.first + c.n - 1) {
		rc = eseal_err(ESEAL_EINVAL, "audit bundle: record %" PRId64
		    ": not covered by a signed checkpoint (the newest is at "
		    "seq %" PRId64 ")", maxseq + 1, maxseq);
		goto out;
	}
	out->first = c.first;
	out->last = c.first + c.n - 1;
	out->checkpoints = (int64_t)json_array_size(arr);
	out->certificates = (int64_t)c.ncerts;
out:
	for (size_t k = 0; k < c.ncerts; k++)
		free(c.certs[k].der);
	free(c.certs);
	free(c.hashes);
	json_decref(j);
	return rc;
}

enum eseal_rc
audit_bundle_verify_file(const char *path, struct audit_bundle_report *out)
{
	unsigned char *buf;
	enum eseal_rc rc;
	size_t n;
	long sz;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return eseal_err(ESEAL_EINVAL, "audit bundle: %s cannot be "
		    "opened", path);
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    sz > AUDIT_BUNDLE_MAX || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)sz + 1)) == NULL) {
		fclose(f);
		return eseal_err(ESEAL_EINVAL, "audit bundle: %s: not a file "
		    "of at most %ld bytes", path, AUDIT_BUNDLE_MAX);
	}
	n = fread(buf, 1, (size_t)sz, f);
	fclose(f);
	rc = n == (size_t)sz ? audit_bundle_verify(buf, n, out) :
	    eseal_err(ESEAL_EINVAL, "audit bundle: %s: short read", path);
	free(buf);
	return rc;
}
