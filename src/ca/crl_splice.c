/*
 * crl_splice.c: the incremental CRL path (crl_splice.h).  The owed
 * serials of the shard are read first (each with its entry encoded by
 * crl_stream_entry, as the full build would), then the entries of the
 * base CRL are walked once: runs between two changes are copied as they
 * lie, an entry whose serial changed is dropped and the change's entry
 * (if the serial is still revoked) put at its place.  Serials compare as
 * the scan orders them (ORDER BY length(serial), serial): for the stored
 * form, lower-case hex of the minimal octets, that is by the number of
 * octets, then octet by octet.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crl.h"
#include "crl_splice.h"
#include "serial.h"
#include "store_crldelta.h"
#include "store_crlscan.h"

#define OID_EXPIRED_ON_CRL	"\x06\x03\x55\x1d\x3c"	/* 2.5.29.60 */
#define OID_DELTA_INDICATOR	"\x06\x03\x55\x1d\x1b"	/* 2.5.29.27 */
#define OID_TLV_LEN		5

/* One owed serial: its entry now, or none if it is not revoked. */
struct change {
	unsigned char	 der[CRL_ENTRY_DER_MAX];
	size_t		 len;		/* 0: not listed */
	unsigned char	 mag[STORE_SERIAL_HEX_MAX / 2];	/* serial octets */
	size_t		 mlen;
};

struct splice {
	const struct crl_stream_params	*p;
	int				 nshards;
	struct change			*v;
	size_t				 n, cap;
	const unsigned char		*ents;	/* the base's entries */
	size_t				 elen;
};

/* One DER header at *q before end: tag, content length; 0 if not. */
static int
hdr(const unsigned char **q, const unsigned char *end, unsigned char tag,
    size_t *clen)
{
	const unsigned char *c = *q;
	size_t n = 0, k;

	if (end - c < 2 || c[0] != tag)
		return 0;
	if (c[1] < 0x80) {
		n = c[1];
		c += 2;
	} else {
		k = c[1] & 0x7f;
		if (k == 0 || k > 3 || (size_t)(end - c) < 2 + k)
			return 0;
		for (size_t i = 0; i < k; i++)
			n = n << 8 | c[2 + i];
		c += 2 + k;
	}
	if ((size_t)(end - c) < n)
		return 0;
	*q = c;
	*clen = n;
	return 1;
}

/*
 * The serial octets of the entry at *q (its INTEGER without a leading
 * zero octet) and *q moved past the entry; 0 if it is no entry.
 */
static int
entry_serial(const unsigned char **q, const unsigned char *end,
    const unsigned char **mag, size_t *mlen)
{
	const unsigned char *c = *q, *i;
	size_t n, il;

	if (!hdr(&c, end, 0x30, &n))
		return 0;
	i = c;
	if (!hdr(&i, c + n, 0x02, &il) || il == 0)
		return 0;
	if (il > 1 && i[0] == 0) {
		i++;
		il--;
	}
	*mag = i;
	*mlen = il;
	*q = c + n;
	return 1;
}

/* <0, 0, >0 as serial a sorts before, with, after b in the scan. */
static int
serial_cmp(const unsigned char *a, size_t al, const unsigned char *b,
    size_t bl)
{
	if (al != bl)
		return al < bl ? -1 : 1;
	return memcmp(a, b, al);
}

static enum eseal_rc
take_change(const char *serial, const struct store_revocation *r,
    int found, void *arg)
{
	static const char hx[] = "0123456789abcdef";
	struct splice *s = arg;
	struct change *c;
	const unsigned char *q, *mag;
	char hex[STORE_SERIAL_HEX_MAX];
	enum eseal_rc rc;

	if (found > 1)
		return eseal_err(ESEAL_ENOTFOUND, "crl: splice: %s is listed "
		    "twice by the store", serial);
	if (s->n == CRL_SPLICE_CHANGES_MAX)
		return eseal_err(ESEAL_ENOTFOUND, "crl: splice: more than %d "
		    "serials owed", CRL_SPLICE_CHANGES_MAX);
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct change *nv = realloc(s->v, cap * sizeof(*nv));

		if (nv == NULL)
			return eseal_err(ESEAL_ENOMEM, "crl: out of memory");
		s->v = nv;
		s->cap = cap;
	}
	c = &s->v[s->n];
	memset(c, 0, sizeof(*c));
	/* Its place: the octets of the entry's INTEGER, as the base's. */
	if (r == NULL) {
		struct store_revocation z;

		memset(&z, 0, sizeof(z));
		snprintf(z.serial, sizeof(z.serial), "%s", serial);
		if (crl_stream_entry(&z, c->der, &c->len) != ESEAL_OK)
			return eseal_err(ESEAL_ENOTFOUND, "crl: splice: owed "
			    "serial %s has no place in the list", serial);
		rc = ESEAL_OK;
		c->len = 0;	/* not listed: only its place counts */
	} else
		rc = crl_stream_entry(r, c->der, &c->len);
	if (rc != ESEAL_OK)
		return rc;
	q = c->der;
	{
		size_t l = 0;
		const unsigned char *end = c->der + sizeof(c->der);

		if (!entry_serial(&q, end, &mag, &l) || 2 * l >= sizeof(hex))
			return eseal_err(ESEAL_EINTERNAL, "crl: splice: an "
			    "entry of %s does not walk", serial);
		c->mlen = l;
	}
	memcpy(c->mag, mag, c->mlen);
	for (size_t i = 0; i < c->mlen; i++) {
		hex[2 * i] = hx[c->mag[i] >> 4];
		hex[2 * i + 1] = hx[c->mag[i] & 15];
	}
	hex[2 * c->mlen] = '\0';
	/* Another stored form sorts elsewhere in the scan: not exact. */
	if (strcmp(hex, serial) != 0)
		return eseal_err(ESEAL_ENOTFOUND, "crl: splice: serial %s is "
		    "not in the stored form", serial);
	if (serial_shard(serial, s->nshards) != s->p->shard ||
	    (s->p->drop_expired && r != NULL &&
	    r->not_after <= s->p->this_update))
		c->len = 0;	/* as scan_one: not on this CRL */
	s->n++;
	return ESEAL_OK;
}

/* The merge of the base's entries and the changes into the new CRL. */
static enum eseal_rc
fill(struct crl_stream_sink *k, void *arg)
{
	struct splice *s = arg;
	const unsigned char *q = s->ents, *end = s->ents + s->elen;
	const unsigned char *run = q, *at, *mag, *prev = NULL;
	size_t mlen, plen = 0, j = 0, nrun = 0;
	enum eseal_rc rc;
	int d, drop;

	while (q < end) {
		at = q;
		if (!entry_serial(&q, end, &mag, &mlen))
			return eseal_err(ESEAL_ENOTFOUND, "crl: splice: the "
			    "base CRL's entries do not walk");
		if (prev != NULL && serial_cmp(prev, plen, mag, mlen) >= 0)
			return eseal_err(ESEAL_ENOTFOUND, "crl: splice: the "
			    "base CRL's entries are not in ascending order");
		prev = mag;
		plen = mlen;
		drop = 0;
		while (j < s->n && (d = serial_cmp(s->v[j].mag, s->v[j].mlen,
		    mag, mlen)) <= 0) {
			if ((rc = crl_stream_put(k, run, (size_t)(at - run),
			    nrun)) != ESEAL_OK ||
			    (rc = crl_stream_put(k, s->v[j].der, s->v[j].len,
			    s->v[j].len != 0)) != ESEAL_OK)
				return rc;
			run = at;
			nrun = 0;
			j++;
			drop = d == 0;
		}
		if (drop) {
			run = q;	/* the base's entry goes */
			nrun = 0;
		} else
			nrun++;
	}
	if ((rc = crl_stream_put(k, run, (size_t)(end - run), nrun))
	    != ESEAL_OK)
		return rc;
	for (; j < s->n; j++)
		if ((rc = crl_stream_put(k, s->v[j].der, s->v[j].len,
		    s->v[j].len != 0)) != ESEAL_OK)
			return rc;
	return ESEAL_OK;
}

/*
 * 1 if the crlExtensions at ext_off of base carry expiredCertsOnCRL and
 * no deltaCRLIndicator (a full CRL that keeps expired entries).
 */
static int
full_with_expired(const unsigned char *base, size_t base_len,
    size_t ext_off)
{
	const unsigned char *q = base + ext_off, *end = base + base_len, *e;
	size_t n, m;
	int expired = 0;

	if (!hdr(&q, end, 0xa0, &n) || !hdr(&q, q + n, 0x30, &n))
		return 0;
	for (e = q + n; q < e; q += m) {
		if (!hdr(&q, e, 0x30, &m) || m < OID_TLV_LEN)
			return 0;
		if (memcmp(q, OID_DELTA_INDICATOR, OID_TLV_LEN) == 0)
			return 0;
		if (memcmp(q, OID_EXPIRED_ON_CRL, OID_TLV_LEN) == 0)
			expired = 1;
	}
	return expired;
}

enum eseal_rc
crl_splice_write(struct ca *ca, const struct issuer *is,
    const struct crl_stream_params *p, const unsigned char *base,
    size_t base_len, unsigned char **der, size_t *len, size_t *nentries)
{
	struct splice s;
	size_t off, ext;
	enum eseal_rc rc;

	*der = NULL;
	*len = 0;
	if (nentries != NULL)
		*nentries = 0;
	memset(&s, 0, sizeof(s));
	s.p = p;
	s.nshards = is->rec.crl_shards;
	if (p->drop_expired)
		return eseal_err(ESEAL_ENOTFOUND, "crl: splice: with "
		    "drop_expired an entry leaves when it expires");
	if (p->revoked_since != 0)
		return eseal_err(ESEAL_ENOTFOUND, "crl: splice: a delta CRL "
		    "is made from the store");
	if (crl_stream_entries(base, base_len, &off, &s.elen, &ext)
	    != ESEAL_OK || !full_with_expired(base, base_len, ext))
		return eseal_err(ESEAL_ENOTFOUND, "crl: splice: the base is "
		    "no full CRL with expiredCertsOnCRL");
	s.ents = base + off;
	if ((rc = store_crlscan_owed(ca->store, is->rec.id, p->shard,
	    take_change, &s, NULL)) == ESEAL_OK)
		rc = crl_stream_write_with(ca, is, p, fill, &s, der, len,
		    nentries);
	free(s.v);
	return rc;
}

enum eseal_rc
crl_splice_next(struct ca *ca, const struct issuer *is,
    const struct crl_stream_params *p, int64_t number,
    const unsigned char *hint, size_t hint_len, int64_t hint_number,
    unsigned char **der, size_t *len, size_t *nentries)
{
	struct store_crl base;
	enum eseal_rc rc;

	*der = NULL;
	*len = 0;
	if (p->drop_expired)
		return eseal_err(ESEAL_ENOTFOUND, "crl: splice: with "
		    "drop_expired an entry leaves when it expires");
	/* The caller's copy, if it is the latest: its number, no body read. */
	if (hint != NULL && hint_len > 0 && hint_number == number - 1 &&
	    store_crl_delta_base(ca->store, is->rec.id, p->shard, &base) ==
	    ESEAL_OK) {
		rc = base.number == hint_number ? ESEAL_OK : ESEAL_ENOTFOUND;
		store_crl_clear(&base);
		if (rc == ESEAL_OK)
			return crl_splice_write(ca, is, p, hint, hint_len, der,
			    len, nentries);
	}
	if ((rc = crl_latest(ca, is->rec.id, p->shard, &base)) != ESEAL_OK)
		return rc == ESEAL_ENOTFOUND ? eseal_err(rc, "crl: splice: no "
		    "CRL of the shard yet") : rc;
	if (base.number != number - 1 || base.der == NULL)
		rc = eseal_err(ESEAL_ENOTFOUND, "crl: splice: the latest CRL "
		    "is %lld, not %lld", (long long)base.number,
		    (long long)(number - 1));
	else
		rc = crl_splice_write(ca, is, p, base.der, base.der_len, der,
		    len, nentries);
	store_crl_clear(&base);
	return rc;
}
