/*
 * crl_stream.c: the streaming CRL writer (crl_stream.h).  One growing
 * buffer holds the CRL as it will be published: room at the front for the
 * TBSCertList header, then each entry encoded from its store row as the
 * scan hands it over, then the crlExtensions; once the length of the
 * entries is known the header is written into the room before them, the
 * HSM signs the TBSCertList bytes where they lie and the signature and the
 * outer SEQUENCE are put around them.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crl_stream.h"
#include "revoke.h"
#include "serial.h"
#include "sign.h"
#include "store_crlscan.h"

#define DER_HDR_MAX	6	/* tag and a length of up to 4 octets */
#define BUF_FIRST	(64 * 1024)

/* The CRL being written. */
struct wbuf {
	unsigned char	*p;		/* OPENSSL_malloc */
	size_t		 len, cap;
	size_t		 room;		/* where the entries start */
	size_t		 tbs_start, tbs_end;
	size_t		 start;		/* where the signed CRL starts */
	size_t		 nentries;
	unsigned char	*alg;		/* the AlgorithmIdentifier DER */
	int		 alglen;
	size_t		 sig_at;	/* the BIT STRING's first octet */
};

static size_t
der_hdr(unsigned char *o, unsigned char tag, size_t n)
{
	size_t k = 0;

	o[0] = tag;
	if (n < 0x80) {
		o[1] = (unsigned char)n;
		return 2;
	}
	for (size_t v = n; v != 0; v >>= 8)
		k++;
	o[1] = (unsigned char)(0x80 | k);
	for (size_t i = 0; i < k; i++)
		o[2 + i] = (unsigned char)(n >> (8 * (k - 1 - i)));
	return 2 + k;
}

static size_t
der_hdr_size(size_t n)
{
	unsigned char o[DER_HDR_MAX];

	return der_hdr(o, 0, n);
}

/*
 * ASN1_TIME_set's choice: UTCTime for 1950 to 2049, else GeneralizedTime;
 * gen forces GeneralizedTime (invalidityDate).  0 if t has no encoding.
 */
static size_t
put_time(unsigned char *o, int64_t t, int gen)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[24];
	int year, n;

	if (gmtime_r(&tt, &tm) == NULL)
		return 0;
	year = tm.tm_year + 1900;
	if (year < 0 || year > 9999)
		return 0;
	if (!gen && year >= 1950 && year < 2050)
		n = snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ",
		    year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	else {
		gen = 1;
		n = snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", year,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	}
	o[0] = gen ? 0x18 : 0x17;
	o[1] = (unsigned char)n;
	memcpy(o + 2, s, (size_t)n);
	return 2 + (size_t)n;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The INTEGER TLV of a hex serial, minimal and positive.  0 if not hex. */
static size_t
put_serial(unsigned char *o, const char *hex)
{
	unsigned char v[STORE_SERIAL_HEX_MAX / 2 + 1];
	size_t h = strlen(hex), n = (h + 1) / 2, i = 0, k;

	if (h == 0 || n > sizeof(v) - 1)
		return 0;
	for (size_t j = 0; j < n; j++) {
		int hi = 0, lo;

		if (j == 0 && (h & 1))
			lo = hexval(hex[0]);
		else {
			size_t at = 2 * j - (h & 1);

			hi = hexval(hex[at]);
			lo = hexval(hex[at + 1]);
		}
		if (hi < 0 || lo < 0)
			return 0;
		v[j] = (unsigned char)(hi << 4 | lo);
	}
	while (i < n - 1 && v[i] == 0)
		i++;
	k = n - i;
	o[0] = 0x02;
	if (v[i] & 0x80) {
		o[1] = (unsigned char)(k + 1);
		o[2] = 0;
		memcpy(o + 3, v + i, k);
		return 3 + k;
	}
	o[1] = (unsigned char)k;
	memcpy(o + 2, v + i, k);
	return 2 + k;
}

enum eseal_rc
crl_stream_entry(const struct store_revocation *r,
    unsigned char out[CRL_ENTRY_DER_MAX], size_t *len)
{
	/* Extension { id-ce-cRLReasons 2.5.29.21, OCTET STRING { ENUM } } */
	static const unsigned char reason[] = { 0x30, 0x0a, 0x06, 0x03, 0x55,
	    0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01 };
	/* Extension { id-ce-invalidityDate 2.5.29.24, OCTET STRING { GT } } */
	static const unsigned char inval[] = { 0x30, 0x18, 0x06, 0x03, 0x55,
	    0x1d, 0x18, 0x04, 0x11 };
	unsigned char c[CRL_ENTRY_DER_MAX], e[64];
	size_t n, m, en = 0;

	*len = 0;
	if (r->reason < 0 || r->reason >= REVOKE_REASON_MAX || r->reason == 7)
		return eseal_err(ESEAL_ESTORE, "crl: RFC 5280 5.3.1: revocation "
		    "of %s has reason code %d, which is not a CRLReason",
		    r->serial, r->reason);
	if ((n = put_serial(c, r->serial)) == 0)
		return eseal_err(ESEAL_ESTORE, "crl: RFC 5280 4.1.2.2: the "
		    "stored serial \"%s\" is not hex of at most 20 octets",
		    r->serial);
	if ((m = put_time(c + n, r->revoked_at, 0)) == 0)
		return eseal_err(ESEAL_ESTORE, "crl: RFC 5280 5.1.2.6: the "
		    "revocation date of %s has no encoding", r->serial);
	n += m;
	if (r->reason != REVOKE_UNSPECIFIED) {
		memcpy(e, reason, sizeof(reason));
		e[sizeof(reason)] = (unsigned char)r->reason;
		en = sizeof(reason) + 1;
	}
	if (r->invalidity_date != 0) {
		memcpy(e + en, inval, sizeof(inval));
		if (put_time(e + en + sizeof(inval), r->invalidity_date, 1)
		    != 17)
			return eseal_err(ESEAL_ESTORE, "crl: RFC 5280 5.3.2: "
			    "the invalidity date of %s has no encoding",
			    r->serial);
		en += sizeof(inval) + 17;
	}
	if (en > 0) {
		n += der_hdr(c + n, 0x30, en);
		memcpy(c + n, e, en);
		n += en;
	}
	m = der_hdr(out, 0x30, n);
	memcpy(out + m, c, n);
	*len = m + n;
	return ESEAL_OK;
}

static enum eseal_rc
wb_reserve(struct wbuf *b, size_t more)
{
	unsigned char *np;
	size_t cap = b->cap != 0 ? b->cap : BUF_FIRST;

	if (b->len + more <= b->cap)
		return ESEAL_OK;
	while (cap < b->len + more)
		cap *= 2;
	if ((np = OPENSSL_realloc(b->p, cap)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "crl: out of memory for a CRL "
		    "of %zu bytes", cap);
	b->p = np;
	b->cap = cap;
	return ESEAL_OK;
}

/* The scan's state: which rows go in, where they go. */
struct scan_arg {
	struct wbuf			*b;
	const struct crl_stream_params	*p;
	int				 nshards;
	struct ca			*ca;
	int64_t				 issuer_id;
};

static enum eseal_rc
scan_one(const struct store_revocation *r, void *arg)
{
	struct scan_arg *a = arg;
	size_t n;
	enum eseal_rc rc;

	if (serial_shard(r->serial, a->nshards) != a->p->shard)
		return ESEAL_OK;
	if (a->p->drop_expired && r->not_after <= a->p->this_update)
		return ESEAL_OK;	/* RFC 5280 3.3: may leave after expiry */
	if (r->revoked_at < a->p->revoked_since)
		return ESEAL_OK;	/* RFC 5280 5.2.4: in the base CRL */
	if ((rc = wb_reserve(a->b, CRL_ENTRY_DER_MAX)) != ESEAL_OK ||
	    (rc = crl_stream_entry(r, a->b->p + a->b->len, &n)) != ESEAL_OK)
		return rc;
	a->b->len += n;
	a->b->nentries++;
	return ESEAL_OK;
}

/*
 * The start of the TBSCertList, up to nextUpdate: version v2, signature,
 * issuer, thisUpdate, nextUpdate.  *out OPENSSL_malloc.
 */
static enum eseal_rc
tbs_head(const struct issuer *is, const struct crl_stream_params *p,
    const struct wbuf *b, unsigned char **out, size_t *len)
{
	static const unsigned char v2[] = { 0x02, 0x01, 0x01 };
	unsigned char *name = NULL, *o;
	int nlen;
	size_t n;

	*out = NULL;
	if ((nlen = i2d_X509_NAME(X509_get_subject_name(is->cert), &name))
	    <= 0)
		return eseal_err(ESEAL_EINTERNAL, "crl: cannot encode the "
		    "issuer name of %s", is->rec.name);
	if ((o = OPENSSL_malloc(sizeof(v2) + (size_t)b->alglen +
	    (size_t)nlen + 2 * 17)) == NULL) {
		OPENSSL_free(name);
		return eseal_err(ESEAL_ENOMEM, "crl: out of memory");
	}
	memcpy(o, v2, sizeof(v2));
	n = sizeof(v2);
	memcpy(o + n, b->alg, (size_t)b->alglen);
	n += (size_t)b->alglen;
	memcpy(o + n, name, (size_t)nlen);
	n += (size_t)nlen;
	OPENSSL_free(name);
	{
		size_t t1 = put_time(o + n, p->this_update, 0), t2;

		t2 = t1 == 0 ? 0 : put_time(o + n + t1, p->next_update, 0);
		if (t2 == 0) {
			OPENSSL_free(o);
			return eseal_err(ESEAL_EINVAL, "crl: RFC 5280 5.1.2.4: "
			    "thisUpdate or nextUpdate has no encoding");
		}
		n += t1 + t2;
	}
	*out = o;
	*len = n;
	return ESEAL_OK;
}

/* crlExtensions [0] EXPLICIT SEQUENCE OF Extension, after the entries. */
static enum eseal_rc
tbs_tail(struct wbuf *b, const STACK_OF(X509_EXTENSION) *exts)
{
	size_t n = 0, at;
	int k = sk_X509_EXTENSION_num(exts);
	enum eseal_rc rc;

	for (int i = 0; i < k; i++) {
		int l = i2d_X509_EXTENSION(sk_X509_EXTENSION_value(exts, i),
		    NULL);

		if (l <= 0)
			return eseal_err(ESEAL_EINTERNAL, "crl: cannot encode "
			    "a CRL extension");
		n += (size_t)l;
	}
	if (k <= 0)
		return ESEAL_OK;
	if ((rc = wb_reserve(b, n + 2 * DER_HDR_MAX)) != ESEAL_OK)
		return rc;
	b->len += der_hdr(b->p + b->len, 0xa0, der_hdr_size(n) + n);
	b->len += der_hdr(b->p + b->len, 0x30, n);
	at = b->len;
	for (int i = 0; i < k; i++) {
		unsigned char *q = b->p + b->len;

		b->len += (size_t)i2d_X509_EXTENSION(
		    sk_X509_EXTENSION_value(exts, i), &q);
	}
	return b->len - at == n ? ESEAL_OK : eseal_err(ESEAL_EINTERNAL,
	    "crl: a CRL extension changed its length while encoded");
}

/* Writes head before the entries (at b->room) and the TBS header. */
static void
tbs_frame(struct wbuf *b, const unsigned char *head, size_t hlen,
    size_t ents_end)
{
	size_t elen = ents_end - b->room, rh = 0, content, at;
	unsigned char h[DER_HDR_MAX];

	if (b->nentries > 0)
		rh = der_hdr(h, 0x30, elen);
	content = hlen + rh + elen + (b->len - ents_end);
	at = b->room - rh;
	memcpy(b->p + at, h, rh);
	at -= hlen;
	memcpy(b->p + at, head, hlen);
	at -= der_hdr_size(content);
	der_hdr(b->p + at, 0x30, content);
	b->tbs_start = at;
	b->tbs_end = b->len;
}

/* Inside the HSM session: signs the TBS, puts the CertificateList round. */
static int
stream_sign(EVP_MD_CTX *mctx, void *arg)
{
	struct wbuf *b = arg;
	unsigned char *sig = NULL, h[DER_HDR_MAX];
	size_t siglen = 0, tbslen = b->tbs_end - b->tbs_start, body, hn;
	int ok;

	b->len = b->tbs_end;		/* a second call replaces the first */
	ok = EVP_DigestSign(mctx, NULL, &siglen, b->p + b->tbs_start,
	    tbslen) == 1 && (sig = OPENSSL_malloc(siglen)) != NULL &&
	    EVP_DigestSign(mctx, sig, &siglen, b->p + b->tbs_start,
	    tbslen) == 1 &&
	    wb_reserve(b, (size_t)b->alglen + DER_HDR_MAX + 1 + siglen) ==
	    ESEAL_OK;
	if (ok) {
		memcpy(b->p + b->len, b->alg, (size_t)b->alglen);
		b->len += (size_t)b->alglen;
		b->sig_at = b->len;
		b->len += der_hdr(b->p + b->len, 0x03, siglen + 1);
		b->p[b->len++] = 0;	/* no unused bits */
		memcpy(b->p + b->len, sig, siglen);
		b->len += siglen;
		body = b->len - b->tbs_start;
		hn = der_hdr(h, 0x30, body);
		b->start = b->tbs_start - hn;
		memcpy(b->p + b->start, h, hn);
	}
	OPENSSL_free(sig);
	return ok;
}

/* One TLV at *p of what is left before end: its content; 0 if not tag. */
static int
walk(const unsigned char **p, const unsigned char *end, int tag,
    const unsigned char **content, long *clen)
{
	const unsigned char *q = *p;
	int t, cls, r;

	r = ASN1_get_object(&q, clen, &t, &cls, end - *p);
	if ((r & 0x80) || t != tag || cls != V_ASN1_UNIVERSAL ||
	    *clen > end - q)
		return 0;
	*content = q;
	*p = q + *clen;
	return 1;
}

/*
 * What a relying party will parse, checked without parsing the entries:
 * one CertificateList to the last byte, the TBS where it was signed, the
 * AlgorithmIdentifier written, a BIT STRING signature that verifies with
 * pub over the TBS bytes.
 */
static int
stream_verify(EVP_PKEY *pub, void *arg)
{
	struct wbuf *b = arg;
	const unsigned char *p = b->p + b->start, *end = b->p + b->len, *c;
	const unsigned char *tbs, *sig;
	EVP_MD_CTX *vctx;
	long n, tlen;
	int v;

	if (!walk(&p, end, V_ASN1_SEQUENCE, &c, &n) || p != end ||
	    (tbs = c, !walk(&c, end, V_ASN1_SEQUENCE, &p, &tlen)) ||
	    c != b->p + b->tbs_end || tbs != b->p + b->tbs_start ||
	    (size_t)(end - c) < (size_t)b->alglen ||
	    memcmp(c, b->alg, (size_t)b->alglen) != 0 ||
	    (c += b->alglen, !walk(&c, end, V_ASN1_BIT_STRING, &sig, &n)) ||
	    c != end || n < 2 || sig[0] != 0) {
		eseal_err(ESEAL_EINTERNAL, "crl: RFC 5280 5.1: the signed CRL "
		    "is not one DER CertificateList");
		return -1;
	}
	if ((vctx = EVP_MD_CTX_new()) == NULL) {
		eseal_err(ESEAL_ENOMEM, "crl: out of memory");
		return -1;
	}
	v = EVP_DigestVerifyInit(vctx, NULL, issuer_md(pub), NULL, pub) == 1 &&
	    EVP_DigestVerify(vctx, sig + 1, (size_t)n - 1, tbs,
	    b->tbs_end - b->tbs_start) == 1;
	EVP_MD_CTX_free(vctx);
	return v;
}

static enum eseal_rc
stream_alg(const struct issuer *is, struct wbuf *b)
{
	X509_ALGOR *alg;
	enum eseal_rc rc;

	if ((alg = X509_ALGOR_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "crl: out of memory");
	if ((rc = issuer_sigalg(is->pub, alg)) == ESEAL_OK &&
	    (b->alglen = i2d_X509_ALGOR(alg, &b->alg)) <= 0)
		rc = eseal_err(ESEAL_EINTERNAL, "crl: cannot encode the "
		    "signature algorithm");
	X509_ALGOR_free(alg);
	return rc;
}

/* What a fill function appends to: the CRL being written. */
struct crl_stream_sink {
	struct wbuf	*b;
};

enum eseal_rc
crl_stream_put(struct crl_stream_sink *k, const unsigned char *der,
    size_t len, size_t n)
{
	enum eseal_rc rc;

	if ((rc = wb_reserve(k->b, len)) != ESEAL_OK)
		return rc;
	memcpy(k->b->p + k->b->len, der, len);
	k->b->len += len;
	k->b->nentries += n;
	return ESEAL_OK;
}

/* The full path: every row of the shard from the store. */
static enum eseal_rc
scan_fill(struct crl_stream_sink *k, void *arg)
{
	struct scan_arg *a = arg;

	a->b = k->b;
	return store_crlscan(a->ca->store, a->issuer_id, scan_one, a, NULL);
}

enum eseal_rc
crl_stream_write(struct ca *ca, const struct issuer *is,
    const struct crl_stream_params *p, unsigned char **der, size_t *len,
    size_t *nentries)
{
	struct scan_arg a = { NULL, p, is->rec.crl_shards, ca, is->rec.id };

	return crl_stream_write_with(ca, is, p, scan_fill, &a, der, len,
	    nentries);
}

enum eseal_rc
crl_stream_write_with(struct ca *ca, const struct issuer *is,
    const struct crl_stream_params *p, crl_stream_fill_fn fill, void *arg,
    unsigned char **der, size_t *len, size_t *nentries)
{
	struct wbuf b;
	struct crl_stream_sink k = { &b };
	struct sign_op op = { stream_sign, stream_verify, &b, "crl",
	    "RFC 5280 6.3.3", "issuer" };
	unsigned char *head = NULL;
	size_t hlen = 0, ents_end;
	enum eseal_rc rc;

	*der = NULL;
	*len = 0;
	if (nentries != NULL)
		*nentries = 0;
	memset(&b, 0, sizeof(b));
	if ((rc = stream_alg(is, &b)) != ESEAL_OK ||
	    (rc = tbs_head(is, p, &b, &head, &hlen)) != ESEAL_OK)
		goto out;
	b.room = hlen + 3 * DER_HDR_MAX;
	if ((rc = wb_reserve(&b, b.room)) != ESEAL_OK)
		goto out;
	b.len = b.room;
	if ((rc = fill(&k, arg)) != ESEAL_OK)
		goto out;
	ents_end = b.len;
	if ((rc = tbs_tail(&b, p->exts)) != ESEAL_OK)
		goto out;
	tbs_frame(&b, head, hlen, ents_end);
	if ((rc = sign_verified(ca, is->rec.key_id, is->rec.key_id_len,
	    is->pub, &op)) != ESEAL_OK)
		goto out;
	*len = b.len - b.start;
	memmove(b.p, b.p + b.start, *len);
	*der = b.p;
	b.p = NULL;
	if (nentries != NULL)
		*nentries = b.nentries;
out:
	OPENSSL_free(b.p);
	OPENSSL_free(b.alg);
	OPENSSL_free(head);
	ERR_clear_error();
	return rc;
}

enum eseal_rc
crl_stream_entries(const unsigned char *der, size_t len, size_t *off,
    size_t *elen, size_t *ext_off)
{
	const unsigned char *p = der, *end = der + len, *c, *q, *e;
	long n;

	*off = *elen = *ext_off = 0;
	/* CertificateList { TBSCertList { version, signature, issuer, ... */
	if (!walk(&p, end, V_ASN1_SEQUENCE, &c, &n) ||
	    !walk(&c, c + n, V_ASN1_SEQUENCE, &q, &n))
		goto bad;
	e = q + n;
	if (!walk(&q, e, V_ASN1_INTEGER, &c, &n) ||
	    !walk(&q, e, V_ASN1_SEQUENCE, &c, &n) ||
	    !walk(&q, e, V_ASN1_SEQUENCE, &c, &n))
		goto bad;
	/* thisUpdate, then nextUpdate if present: UTCTime or GeneralizedTime. */
	for (int i = 0; i < 2 && q < e && (*q == 0x17 || *q == 0x18); i++)
		if (!walk(&q, e, *q, &c, &n))
			goto bad;
	*off = (size_t)(q - der);
	if (q < e && *q == 0x30) {
		if (!walk(&q, e, V_ASN1_SEQUENCE, &c, &n))
			goto bad;
		*off = (size_t)(c - der);
		*elen = (size_t)n;
	}
	*ext_off = (size_t)(q - der);
	return ESEAL_OK;
bad:
	return eseal_err(ESEAL_EINVAL, "crl: RFC 5280 5.1: not a DER "
	    "CertificateList");
}

enum eseal_rc
crl_stream_count(const unsigned char *der, size_t len, int64_t *entries)
{
	const unsigned char *r, *re, *c;
	size_t off, elen, ext;
	long n;
	int64_t k = 0;

	*entries = 0;
	if (crl_stream_entries(der, len, &off, &elen, &ext) != ESEAL_OK)
		return ESEAL_EINVAL;
	for (r = der + off, re = r + elen; r < re; k++)
		if (!walk(&r, re, V_ASN1_SEQUENCE, &c, &n))
			return eseal_err(ESEAL_EINVAL, "crl: RFC 5280 5.1: not "
			    "a DER CertificateList");
	*entries = k;
	return ESEAL_OK;
}
