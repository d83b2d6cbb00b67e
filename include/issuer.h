/*
 * issuer.h: issuer keys and CA certificates.  An issuer is a key on the
 * token (found by CKA_ID, on the token its row names) with its CA
 * certificate; the one active issuer (rotate.h: the lifecycle)
 * is the one that issues now.  Every certificate the CA makes is signed by
 * issuer_sign(): the HSM signs exactly the TBS bytes given (through the one
 * signing path, sign.h), and the result is checked against the issuer's
 * public key before anyone sees it.
 */
#ifndef ESEAL_ISSUER_H
#define ESEAL_ISSUER_H

#include <stdint.h>

#include <openssl/x509.h>

#include "ca.h"
#include "keytype.h"
#include "profile.h"

struct issuer {
	struct store_issuer	 rec;
	X509			*cert;	/* the CA certificate */
	EVP_PKEY		*pub;	/* its public key (no HSM reference) */
};

/* What `esealctl init` and `issuer create` make. */
struct issuer_params {
	const char	*name;		/* [a-z0-9-], used in URLs */
	enum key_type	 key_type;
	const struct org *subject;	/* C, O, CN of the CA */
	int		 validity_days;
	int		 crl_shards;
	const char	*token;		/* NULL or "": the default [hsm] */
};

/*
 * Generates the key on the token, self-signs the CA certificate
 * (basicConstraints cA critical, keyUsage keyCertSign+cRLSign critical,
 * SKI, AKI) and records the issuer, active, with an audit record; an
 * issuer active before becomes retiring in the same transaction (the
 * ceremony with link certificates is rotate_issuer, rotate.h).  *out (if
 * not NULL) gets the new issuer.  In src/ca/rotate.c.
 */
enum eseal_rc	issuer_create(struct ca *, const struct issuer_params *,
		    int64_t now, const char *actor, struct issuer **out);

/*
 * The issuers of a ca with their CA certificates parsed, one cache per
 * struct ca (ca_open makes it, ca_close frees it): each stored CA
 * certificate is parsed once, and all of them again when an issuer is
 * added or changed, by this process or another (store_issuer_generation).
 * A stored certificate that does not parse, or has bytes after it, is
 * refused (ESEAL_ESTORE naming the issuer).  Safe to use from several
 * threads.
 */
struct issuer_cache;
enum eseal_rc	issuer_cache_new(struct issuer_cache **out);
void		issuer_cache_free(struct issuer_cache *);

/*
 * The issuer that issues now (the one active), or the one with that
 * store id / name: *out is the caller's (issuer_free); its certificate and
 * public key are shared with the cache (reference counted) and must not be
 * changed.  ESEAL_ENOTFOUND if there is none.
 */
enum eseal_rc	issuer_current(struct ca *, struct issuer **out);
enum eseal_rc	issuer_by_id(struct ca *, int64_t id, struct issuer **out);
enum eseal_rc	issuer_by_name(struct ca *, const char *name,
		    struct issuer **out);
void		issuer_free(struct issuer *);

/*
 * Calls fn(is, arg) for every issuer, oldest first, until fn returns
 * non-zero.  is is the cache's own, lent for the call (the cache is locked
 * meanwhile: fn must not keep is or call the issuer_* functions).
 * ESEAL_ESTORE, before fn sees it, for an issuer whose stored certificate
 * is refused.
 */
enum eseal_rc	issuer_each(struct ca *,
		    int (*fn)(const struct issuer *, void *), void *arg);

/*
 * A copy of is for the caller (issuer_free), its certificate and public
 * key shared (reference counted): what fn of issuer_each may take away.
 */
enum eseal_rc	issuer_dup(const struct issuer *is, struct issuer **out);

/*
 * Whether an issuer key of that type may be generated (or imported) on
 * the token now: the module's FIPS status (a refusal leaves an audit
 * record) and the crypto policy.
 */
enum eseal_rc	issuer_may_generate(struct ca *, enum key_type, int64_t now,
		    const char *actor);

/*
 * 1 if key is the key of any issuer, past or present (those whose stored
 * certificate is refused aside); 0 if not; -1 error.
 */
int		issuer_key_in_use(struct ca *, EVP_PKEY *key);

/*
 * Sets the TBS signature algorithm of x for this issuer's key, so that the
 * TBS encoded now is the TBS that will be signed.
 */
enum eseal_rc	issuer_set_sigalg(EVP_PKEY *issuer_pub, X509 *x);

/*
 * The AlgorithmIdentifier this issuer's key signs with (issuer_md's
 * digest; RFC 4055 NULL parameters for RSA, absent for ECDSA) into alg.
 * ESEAL_EINVAL for a key type that cannot sign here.
 */
enum eseal_rc	issuer_sigalg(EVP_PKEY *issuer_pub, X509_ALGOR *alg);

/*
 * The digest the CA signs with for an issuer key, matched to its strength
 * (TS 119 312): P-256 SHA-256, P-384 SHA-384, P-521 SHA-512, RSA-3072
 * SHA-256, RSA-4096 SHA-384.
 */
const EVP_MD	*issuer_md(EVP_PKEY *issuer_pub);

/*
 * Signs the DER TBSCertificate tbs with the issuer key on the token and
 * returns the DER certificate in *der (caller frees with OPENSSL_free),
 * after checking that it parses, that its TBS is byte for byte tbs, and
 * that its signature verifies with the issuer's public key.
 */
enum eseal_rc	issuer_sign(struct ca *, const unsigned char *key_id,
		    size_t key_id_len, EVP_PKEY *issuer_pub,
		    const unsigned char *tbs, size_t tbs_len,
		    unsigned char **der, size_t *der_len);
/* The same with the key on the token tok (a key not yet recorded). */
enum eseal_rc	issuer_sign_on(struct ca *, struct p11_token *tok,
		    const unsigned char *key_id, size_t key_id_len,
		    EVP_PKEY *issuer_pub, const unsigned char *tbs,
		    size_t tbs_len, unsigned char **der, size_t *der_len);

/*
 * The token the key key_id is on: that of the issuer whose key it is
 * (its row's token), else the default token (ca->token, maybe NULL).
 */
struct p11_token *issuer_key_token(struct ca *, const unsigned char *key_id,
		    size_t key_id_len);


#endif
