/*
 * issuer.c: issuer keys and CA certificates: creating an issuer, the cache
 * of parsed issuers every lookup goes through, and signing certificates.
 *
 * Signing takes the TBS as bytes, not as an X509 object: the HSM signs
 * exactly what was recorded in the store (through the one signing path,
 * sign.c), and the certificate is assembled from those bytes, the
 * algorithm and the signature with OpenSSL's ASN.1 templates.  The same
 * path finishes a pending row after a crash.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "issuer.h"
#include "sign.h"

/* Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signatureValue } */
typedef struct {
	ASN1_TYPE	*tbs;		/* the recorded DER, re-emitted as is */
	X509_ALGOR	*alg;
	ASN1_BIT_STRING	*sig;
} CERT_PARTS;

DECLARE_ASN1_ITEM(CERT_PARTS)
ASN1_SEQUENCE(CERT_PARTS) = {
	ASN1_SIMPLE(CERT_PARTS, tbs, ASN1_ANY),
	ASN1_SIMPLE(CERT_PARTS, alg, X509_ALGOR),
	ASN1_SIMPLE(CERT_PARTS, sig, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(CERT_PARTS)

const EVP_MD *
issuer_md(EVP_PKEY *pub)
{
	int bits = EVP_PKEY_get_bits(pub);

	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC)
		return bits > 384 ? EVP_sha512() : bits > 256 ?
		    EVP_sha384() : EVP_sha256();
	return bits >= 4096 ? EVP_sha384() : EVP_sha256();
}

enum eseal_rc
issuer_sigalg(EVP_PKEY *pub, X509_ALGOR *alg)
{
	int base = EVP_PKEY_get_base_id(pub), signid;
	const EVP_MD *md = issuer_md(pub);

	if (base != EVP_PKEY_EC && base != EVP_PKEY_RSA)
		return eseal_err(ESEAL_EINVAL, "issuer: key type %s cannot "
		    "sign certificates here", OBJ_nid2sn(base));
	if (!OBJ_find_sigid_by_algs(&signid, EVP_MD_get_type(md), base))
		return eseal_err(ESEAL_EINTERNAL, "issuer: no signature OID");
	/* RFC 4055 / RFC 5758: NULL parameters for RSA, absent for ECDSA. */
	if (!X509_ALGOR_set0(alg, OBJ_nid2obj(signid),
	    base == EVP_PKEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF, NULL))
		return eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	return ESEAL_OK;
}

enum eseal_rc
issuer_set_sigalg(EVP_PKEY *issuer_pub, X509 *x)
{
	/* get0 is const, but the field is the certificate's own to set. */
	X509_ALGOR *alg = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
	enum eseal_rc rc;

	if ((rc = issuer_sigalg(issuer_pub, alg)) != ESEAL_OK)
		return rc;
	/* The signed encoding is cached: re-encode from the fields. */
	if (i2d_re_X509_tbs(x, NULL) <= 0)
		return eseal_err(ESEAL_EINTERNAL, "issuer: cannot encode TBS");
	return ESEAL_OK;
}

/* A certificate being signed: the recorded TBS, then what is made of it. */
struct cert_sign {
	const unsigned char	*tbs;
	size_t			 tbs_len;
	CERT_PARTS		*parts;		/* tbs and alg set */
	unsigned char		*sig;		/* OPENSSL_malloc */
	size_t			 sig_len;
	unsigned char		*der;		/* the certificate, once checked */
	int			 der_len;
};

/* The HSM signs the TBS bytes exactly as recorded. */
static int
cert_sign(EVP_MD_CTX *mctx, void *arg)
{
	struct cert_sign *c = arg;
	size_t len = 0;

	OPENSSL_free(c->sig);
	c->sig = NULL;
	c->sig_len = 0;
	if (EVP_DigestSign(mctx, NULL, &len, c->tbs, c->tbs_len) != 1 ||
	    (c->sig = OPENSSL_malloc(len)) == NULL ||
	    EVP_DigestSign(mctx, c->sig, &len, c->tbs, c->tbs_len) != 1)
		return 0;
	c->sig_len = len;
	return 1;
}

/*
 * 1 if the signature AlgorithmIdentifier inside the TBS (RFC 5280 4.1.2.3,
 * after the optional [0] version and the serial) is alg, as X509_verify
 * would insist; read in place, without decoding the rest of the TBS.
 */
static int
tbs_sigalg_is(const unsigned char *tbs, size_t tbs_len, const X509_ALGOR *alg)
{
	const unsigned char *p = tbs, *end = tbs + tbs_len;
	X509_ALGOR *in;
	long len;
	int tag, xclass, same;

	if ((ASN1_get_object(&p, &len, &tag, &xclass, (long)tbs_len) & 0x80) ||
	    tag != V_ASN1_SEQUENCE)
		return 0;
	for (int skip = 0; skip < 2; skip++) {
		const unsigned char *q = p;

		if ((ASN1_get_object(&q, &len, &tag, &xclass, end - p) & 0x80))
			return 0;
		if (skip == 0 && !(xclass == V_ASN1_CONTEXT_SPECIFIC &&
		    tag == 0))
			skip++;		/* no version: this is the serial */
		p = q + len;
	}
	if ((in = d2i_X509_ALGOR(NULL, &p, end - p)) == NULL)
		return 0;
	same = X509_ALGOR_cmp(in, alg) == 0;
	X509_ALGOR_free(in);
	return same;
}

/*
 * Assembles the certificate from the TBS, the algorithm and the signature
 * and checks what the relying party will check: the DER certificate's TBS
 * is byte for byte the recorded one, and the signature over those bytes
 * verifies with pub.  The signature is checked over the TBS bytes already
 * held, with the issuer key already parsed: decoding the whole certificate
 * again (d2i_X509 decodes the subject key through the OpenSSL 3 decoders)
 * cost as much CPU as the rest of the signing step (issue 16).
 */
static int
cert_verify(EVP_PKEY *pub, void *arg)
{
	struct cert_sign *c = arg;
	CERT_PARTS *parts = c->parts;
	const unsigned char *p;
	EVP_MD_CTX *mctx = NULL;
	long len;
	int tag, xclass, v = -1;

	if (!ASN1_BIT_STRING_set(parts->sig, c->sig, (int)c->sig_len)) {
		eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
		return -1;
	}
	/* No unused bits in a signature BIT STRING. */
	parts->sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	parts->sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	OPENSSL_free(c->der);
	c->der = NULL;
	if ((c->der_len = ASN1_item_i2d((ASN1_VALUE *)parts, &c->der,
	    ASN1_ITEM_rptr(CERT_PARTS))) <= 0) {
		eseal_err(ESEAL_EINTERNAL, "issuer: cannot encode the "
		    "certificate");
		goto out;
	}
	/* Certificate ::= SEQUENCE { tbsCertificate, ... }: the TBS first. */
	p = c->der;
	if ((ASN1_get_object(&p, &len, &tag, &xclass, c->der_len) & 0x80) ||
	    tag != V_ASN1_SEQUENCE || p + len != c->der + c->der_len ||
	    (size_t)len < c->tbs_len || memcmp(p, c->tbs, c->tbs_len) != 0) {
		eseal_err(ESEAL_EINTERNAL, "issuer: the certificate's TBS "
		    "differs from the recorded TBS");
		goto out;
	}
	if (!tbs_sigalg_is(c->tbs, c->tbs_len, parts->alg)) {
		eseal_err(ESEAL_EINTERNAL, "issuer: RFC 5280 4.1.1.2: the "
		    "TBS's signature algorithm is not the certificate's");
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, NULL, issuer_md(pub), NULL, pub) != 1) {
		eseal_err(ESEAL_EINTERNAL, "issuer: cannot set up the "
		    "signature check");
		goto out;
	}
	v = EVP_DigestVerify(mctx, c->sig, c->sig_len, c->tbs,
	    c->tbs_len) == 1;
out:
	EVP_MD_CTX_free(mctx);
	return v;
}

enum eseal_rc
issuer_sign(struct ca *ca, const unsigned char *key_id, size_t key_id_len,
    EVP_PKEY *issuer_pub, const unsigned char *tbs, size_t tbs_len,
    unsigned char **der, size_t *der_len)
{
	return issuer_sign_on(ca, issuer_key_token(ca, key_id, key_id_len),
	    key_id, key_id_len, issuer_pub, tbs, tbs_len, der, der_len);
}

enum eseal_rc
issuer_sign_on(struct ca *ca, struct p11_token *tok,
    const unsigned char *key_id, size_t key_id_len, EVP_PKEY *issuer_pub,
    const unsigned char *tbs, size_t tbs_len, unsigned char **der,
    size_t *der_len)
{
	struct cert_sign c = { tbs, tbs_len, NULL, NULL, 0, NULL, 0 };
	struct sign_op op = { cert_sign, cert_verify, &c, "issuer",
	    "RFC 5280 6.1.3", "issuer" };
	const unsigned char *p;
	enum eseal_rc rc = ESEAL_OK;

	*der = NULL;
	*der_len = 0;
	if ((c.parts = (CERT_PARTS *)ASN1_item_new(ASN1_ITEM_rptr(CERT_PARTS)))
	    == NULL)
		return eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	ASN1_TYPE_free(c.parts->tbs);
	p = tbs;
	if ((c.parts->tbs = d2i_ASN1_TYPE(NULL, &p, (long)tbs_len)) == NULL)
		rc = eseal_err(ESEAL_EINVAL, "issuer: RFC 5280 4.1: the TBS "
		    "does not parse");
	else if (p != tbs + tbs_len)
		rc = eseal_err(ESEAL_EINVAL, "issuer: RFC 5280 4.1: %zu "
		    "trailing bytes after the TBS", (size_t)(tbs + tbs_len - p));
	else if (c.parts->tbs->type != V_ASN1_SEQUENCE)
		rc = eseal_err(ESEAL_EINVAL, "issuer: RFC 5280 4.1: the TBS is "
		    "not a SEQUENCE");
	if (rc != ESEAL_OK)
		goto out;
	if ((rc = issuer_sigalg(issuer_pub, c.parts->alg)) != ESEAL_OK ||
	    (rc = sign_verified_on(ca, tok, key_id, key_id_len, issuer_pub,
	    &op)) != ESEAL_OK)
		goto out;
	*der = c.der;
	*der_len = (size_t)c.der_len;
	c.der = NULL;
out:
	OPENSSL_free(c.sig);
	OPENSSL_free(c.der);
	ASN1_item_free((ASN1_VALUE *)c.parts, ASN1_ITEM_rptr(CERT_PARTS));
	ERR_clear_error();
	return rc;
}

/* --- the parsed issuers ------------------------------------------------ */

/*
 * One cache per struct ca (ca_open makes it): every stored CA certificate
 * parsed once, all of them read again when store_issuer_generation() says
 * an issuer was added or changed, by this process or another.  Readers
 * hold the lock shared while they copy or look; a refresh parses outside
 * it and swaps the new entries in under it held exclusively.
 */
#define ISSUER_GEN_MAX	128	/* store_issuer_generation() text */
#define ISSUER_WHY_MAX	160	/* why a stored certificate is refused */

struct cached {
	struct issuer	*is;		/* is->cert NULL: refused, see why */
	char		 why[ISSUER_WHY_MAX];
};

struct issuer_cache {
	pthread_rwlock_t lock;
	int		 loaded;
	char		 gen[ISSUER_GEN_MAX];
	struct cached	*v;		/* oldest (lowest id) first */
	size_t		 n;
};

void
issuer_free(struct issuer *is)
{
	if (is == NULL)
		return;
	store_issuer_clear(&is->rec);
	X509_free(is->cert);
	EVP_PKEY_free(is->pub);
	free(is);
}

/*
 * Parses the stored CA certificate of rec (taking rec's contents) into a
 * new issuer.  A certificate that does not parse, or with bytes after it,
 * leaves is->cert NULL and says why.
 */
static enum eseal_rc
parse_rec(struct store_issuer *rec, struct cached *c)
{
	const unsigned char *p;
	struct issuer *is;

	if ((is = calloc(1, sizeof(*is))) == NULL) {
		store_issuer_clear(rec);
		return eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	}
	is->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	c->is = is;
	p = is->rec.cert;
	if ((is->cert = d2i_X509(NULL, &p, (long)is->rec.cert_len)) == NULL ||
	    (is->pub = X509_get_pubkey(is->cert)) == NULL)
		snprintf(c->why, sizeof(c->why), "issuer: RFC 5280 4.1: the "
		    "stored CA certificate of \"%s\" does not parse",
		    is->rec.name);
	else if (p != is->rec.cert + is->rec.cert_len)
		snprintf(c->why, sizeof(c->why), "issuer: RFC 5280 4.1: the "
		    "stored CA certificate of \"%s\" has %zu trailing bytes",
		    is->rec.name, (size_t)(is->rec.cert + is->rec.cert_len - p));
	if (c->why[0] != '\0') {
		X509_free(is->cert);
		EVP_PKEY_free(is->pub);
		is->cert = NULL;
		is->pub = NULL;
	}
	ERR_clear_error();
	return ESEAL_OK;
}

static void
entries_free(struct cached *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		issuer_free(v[i].is);
	free(v);
}

enum eseal_rc
issuer_cache_new(struct issuer_cache **out)
{
	struct issuer_cache *c;
	pthread_rwlockattr_t ra;
	int e;

	if ((*out = c = calloc(1, sizeof(*c))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	/*
	 * A refresh must not wait forever behind a stream of OCSP readers;
	 * nobody takes the lock twice, so writers may go first.
	 */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	e = pthread_rwlock_init(&c->lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	if (e != 0) {
		free(c);
		*out = NULL;
		return eseal_err(ESEAL_ENOMEM, "issuer: no lock for the cache");
	}
	return ESEAL_OK;
}

void
issuer_cache_free(struct issuer_cache *c)
{
	if (c == NULL)
		return;
	entries_free(c->v, c->n);
	pthread_rwlock_destroy(&c->lock);
	free(c);
}

/* Reads and parses every issuer again if the store's generation moved. */
static enum eseal_rc
cache_fresh(struct ca *ca, struct issuer_cache *c)
{
	struct store_issuer *recs = NULL;
	struct cached *v = NULL, *old;
	char gen[ISSUER_GEN_MAX];
	size_t nrecs = 0, made = 0, oldn;
	enum eseal_rc rc;
	int same;

	if ((rc = store_issuer_generation(ca->store, gen, sizeof(gen)))
	    != ESEAL_OK)
		return rc;
	pthread_rwlock_rdlock(&c->lock);
	same = c->loaded && strcmp(c->gen, gen) == 0;
	pthread_rwlock_unlock(&c->lock);
	if (same)
		return ESEAL_OK;
	if ((rc = store_issuer_list(ca->store, &recs, &nrecs)) != ESEAL_OK)
		return rc;
	if (nrecs > 0 && (v = calloc(nrecs, sizeof(*v))) == NULL)
		rc = eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	for (; rc == ESEAL_OK && made < nrecs; made++)
		rc = parse_rec(&recs[made], &v[made]);
	store_issuer_list_free(recs, nrecs);	/* what parse_rec did not take */
	if (rc != ESEAL_OK) {
		entries_free(v, made);
		return rc;
	}
	pthread_rwlock_wrlock(&c->lock);
	old = c->v;
	oldn = c->n;
	c->v = v;
	c->n = nrecs;
	snprintf(c->gen, sizeof(c->gen), "%s", gen);
	c->loaded = 1;
	pthread_rwlock_unlock(&c->lock);
	entries_free(old, oldn);
	return ESEAL_OK;
}

/*
 * Runs fn over the cached issuers, the lock held shared, after a refresh
 * if needed.  A ca opened without a cache gets a cache for this one call.
 */
static enum eseal_rc
with_cache(struct ca *ca, enum eseal_rc (*fn)(const struct cached *, size_t,
    void *), void *arg)
{
	struct issuer_cache *c = ca->issuers, *tmp = NULL;
	enum eseal_rc rc;

	if (c == NULL) {
		if ((rc = issuer_cache_new(&tmp)) != ESEAL_OK)
			return rc;
		c = tmp;
	}
	if ((rc = cache_fresh(ca, c)) == ESEAL_OK) {
		pthread_rwlock_rdlock(&c->lock);
		rc = fn(c->v, c->n, arg);
		pthread_rwlock_unlock(&c->lock);
	}
	issuer_cache_free(tmp);
	return rc;
}

enum eseal_rc
issuer_dup(const struct issuer *from, struct issuer **out)
{
	struct issuer *is;

	*out = NULL;
	if ((is = calloc(1, sizeof(*is))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	is->rec = from->rec;
	if ((is->rec.cert = malloc(from->rec.cert_len)) == NULL) {
		free(is);
		return eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	}
	memcpy(is->rec.cert, from->rec.cert, from->rec.cert_len);
	if (from->rec.chain != NULL &&
	    (is->rec.chain = strdup(from->rec.chain)) == NULL) {
		free(is->rec.cert);
		free(is);
		return eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	}
	X509_up_ref(from->cert);
	EVP_PKEY_up_ref(from->pub);
	is->cert = from->cert;
	is->pub = from->pub;
	*out = is;
	return ESEAL_OK;
}

/* A copy of a cached issuer for the caller: the parsed parts shared. */
static enum eseal_rc
issuer_copy(const struct cached *e, struct issuer **out)
{
	*out = NULL;
	if (e->is->cert == NULL)
		return eseal_err(ESEAL_ESTORE, "%s", e->why);
	return issuer_dup(e->is, out);
}

/* Which issuer a lookup wants: by id, by name, or the current one. */
struct wanted {
	int64_t		 id;
	const char	*name;
	struct issuer	**out;
};

static enum eseal_rc
find(const struct cached *v, size_t n, void *arg)
{
	struct wanted *w = arg;
	const struct store_issuer *r;

	for (size_t i = n; i-- > 0;) {
		r = &v[i].is->rec;
		if (w->id != 0 ? r->id == w->id : w->name != NULL ?
		    strcmp(r->name, w->name) == 0 :
		    strcmp(r->status, "active") == 0)
			return issuer_copy(&v[i], w->out);
	}
	if (w->id == 0 && w->name == NULL)
		return eseal_err(ESEAL_ENOTFOUND, "issuer: no active issuer; "
		    "run esealctl init");
	return w->name != NULL ? eseal_err(ESEAL_ENOTFOUND, "issuer: no issuer "
	    "named \"%s\"", w->name) : eseal_err(ESEAL_ENOTFOUND, "issuer: "
	    "no issuer with id %lld", (long long)w->id);
}

enum eseal_rc
issuer_current(struct ca *ca, struct issuer **out)
{
	struct wanted w = { 0, NULL, out };

	*out = NULL;
	return with_cache(ca, find, &w);
}

enum eseal_rc
issuer_by_id(struct ca *ca, int64_t id, struct issuer **out)
{
	struct wanted w = { id, NULL, out };

	*out = NULL;
	if (id == 0)
		return eseal_err(ESEAL_ENOTFOUND, "issuer: no issuer with id 0");
	return with_cache(ca, find, &w);
}

enum eseal_rc
issuer_by_name(struct ca *ca, const char *name, struct issuer **out)
{
	struct wanted w = { 0, name, out };

	*out = NULL;
	return with_cache(ca, find, &w);
}

struct each {
	int	(*fn)(const struct issuer *, void *);
	void	 *arg;
	int	  skip_refused;
};

static enum eseal_rc
each(const struct cached *v, size_t n, void *arg)
{
	struct each *e = arg;

	for (size_t i = 0; i < n; i++) {
		if (v[i].is->cert == NULL) {
			if (e->skip_refused)
				continue;
			return eseal_err(ESEAL_ESTORE, "%s", v[i].why);
		}
		if (e->fn(v[i].is, e->arg) != 0)
			break;
	}
	return ESEAL_OK;
}

enum eseal_rc
issuer_each(struct ca *ca, int (*fn)(const struct issuer *, void *),
    void *arg)
{
	struct each e = { fn, arg, 0 };

	return with_cache(ca, each, &e);
}

struct key_search {
	EVP_PKEY	*key;
	int		 found;
};

static int
same_key(const struct issuer *is, void *arg)
{
	struct key_search *k = arg;

	return k->found = EVP_PKEY_eq(is->pub, k->key) == 1;
}

struct key_token {
	const unsigned char	*id;
	size_t			 len;
	char			 token[STORE_TOKEN_MAX];
	int			 found;
};

static int
same_key_id(const struct issuer *is, void *arg)
{
	struct key_token *k = arg;

	if (is->rec.key_id_len != k->len ||
	    memcmp(is->rec.key_id, k->id, k->len) != 0)
		return 0;
	snprintf(k->token, sizeof(k->token), "%s", is->rec.token);
	return k->found = 1;
}

struct p11_token *
issuer_key_token(struct ca *ca, const unsigned char *key_id,
    size_t key_id_len)
{
	struct key_token k = { key_id, key_id_len, "", 0 };
	struct each e = { same_key_id, &k, 1 };
	struct p11_token *tok;

	/* One token only: nothing to look up. */
	if (ca->nnamed == 0)
		return ca->token;
	if (with_cache(ca, each, &e) != ESEAL_OK || !k.found)
		return ca->token;
	(void)ca_token(ca, k.token, &tok);	/* NULL: signing says so */
	return tok;
}

int
issuer_key_in_use(struct ca *ca, EVP_PKEY *key)
{
	struct key_search k = { key, 0 };
	struct each e = { same_key, &k, 1 };

	/* An issuer whose certificate is refused cannot issue: skipped. */
	if (with_cache(ca, each, &e) != ESEAL_OK)
		return -1;
	return k.found;
}

enum eseal_rc
issuer_may_generate(struct ca *ca, enum key_type type, int64_t now,
    const char *actor)
{
	enum eseal_rc rc;

	ca_rdlock(ca);
	if ((rc = ca_fips_allow(ca, FIPS_USE_KEYGEN, (time_t)now, actor))
	    == ESEAL_OK)
		rc = policy_check_issuer_key(ca->policy, type, (time_t)now);
	ca_unlock(ca);
	return rc;
}
