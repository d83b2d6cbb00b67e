/*
 * policy_check.c: checks subscriber keys (RSA exponent and modulus, EC
 * named curves and points), issuer key types and issuer signature
 * algorithms against the rules policy.c read, at a given time.  A refusal
 * names the rule that refused, with its reference, or the standard broken.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "date.h"
#include "policy.h"
#include "policy_int.h"

#define RSA_E_MIN		65537	/* CA/B BR 6.1.6, NIST SP 800-89 5.3.3 */
#define RSA_E_MAX_BITS		256	/* e < 2^256, same references */
#define EC_NAME_MAX		64	/* longest curve name OpenSSL reports */

/* "P-256" for NIST curves, else OpenSSL's short name. */
static const char *
curve_name(int nid)
{
	const char *s;

	if ((s = EC_curve_nid2nist(nid)) == NULL &&
	    (s = OBJ_nid2sn(nid)) == NULL)
		s = "unknown";
	return s;
}

int
policy_rule_allows(const struct policy_rule *r, time_t now)
{
	if (r->from != 0 && now < r->from)
		return 0;
	if (r->until != 0 && now >= r->until + POLICY_DAY_SECS)
		return 0;
	return 1;
}

/* What a check looks for among the rules. */
struct want {
	enum kind	 kind;
	int		 alg;
	int		 bits;
	int		 curve_nid;
	int		 md_nid;
	enum key_type	 ktype;
};

static int
rule_matches(const struct rule *r, const struct want *w)
{
	if (r->kind != w->kind)
		return 0;
	switch (r->kind) {
	case K_SUBSCRIBER:
		if (r->alg != w->alg)
			return 0;
		if (r->alg == ALG_EC)
			return r->pub.curve_nid == w->curve_nid;
		return w->bits >= r->pub.min_bits && w->bits <= r->pub.max_bits;
	case K_ISSUER:
		return r->ktype == w->ktype;
	case K_SIGNATURE:
		return r->alg == w->alg && r->pub.md_nid == w->md_nid;
	case K_MAX:
		break;
	}
	return 0;
}

/* OK if a matching rule allows now; else names the first match, or what. */
static enum eseal_rc
check(const struct policy *p, const struct want *w, time_t now,
    const char *what)
{
	const struct rule *first = NULL;
	char day[16], lim[16];

	for (size_t i = 0; i < p->n; i++) {
		if (!rule_matches(&p->rules[i], w))
			continue;
		if (policy_rule_allows(&p->rules[i].pub, now))
			return ESEAL_OK;
		if (first == NULL)
			first = &p->rules[i];
	}
	if (first == NULL)
		return eseal_err(ESEAL_EPOLICY, "policy: %s is not in the "
		    "crypto policy", what);
	date_format_ymd(now, day, sizeof(day));
	if (first->pub.from != 0 && now < first->pub.from) {
		date_format_ymd(first->pub.from, lim, sizeof(lim));
		return eseal_err(ESEAL_EPOLICY, "policy: %s %s allowed from %s "
		    "(%s): refused at %s", first->pub.kind, first->name, lim,
		    first->reference, day);
	}
	date_format_ymd(first->pub.until, lim, sizeof(lim));
	return eseal_err(ESEAL_EPOLICY, "policy: %s %s allowed until %s (%s): "
	    "refused at %s", first->pub.kind, first->name, lim,
	    first->reference, day);
}

/* Public-key validation by OpenSSL: 1 if it passes. */
static int
public_check(EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* The cheap part of CA/B BR 6.1.6 / NIST SP 800-89 5.3.3; *bits = |n|. */
static enum eseal_rc
check_rsa(EVP_PKEY *key, int *bits)
{
	BIGNUM *n = NULL, *e = NULL;
	char ebuf[32];
	enum eseal_rc rc;
	int ebits;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
		ERR_clear_error();
		rc = eseal_err(ESEAL_EINTERNAL, "policy: cannot read the RSA "
		    "public key");
		goto out;
	}
	ebits = BN_num_bits(e);
	if (!BN_is_odd(e) || ebits > RSA_E_MAX_BITS ||
	    (ebits <= 17 && BN_get_word(e) < RSA_E_MIN)) {
		if (ebits <= 32)
			snprintf(ebuf, sizeof(ebuf), "%lu",
			    (unsigned long)BN_get_word(e));
		else
			snprintf(ebuf, sizeof(ebuf), "of %d bits", ebits);
		rc = eseal_err(ESEAL_EPOLICY, "policy: RSA public exponent %s: "
		    "must be odd, at least %d and less than 2^%d (CA/B BR "
		    "6.1.6, NIST SP 800-89 5.3.3)", ebuf, RSA_E_MIN,
		    RSA_E_MAX_BITS);
		goto out;
	}
	*bits = BN_num_bits(n);
	if (!BN_is_odd(n)) {
		rc = eseal_err(ESEAL_EPOLICY, "policy: RSA modulus is even "
		    "(CA/B BR 6.1.6)");
		goto out;
	}
	rc = ESEAL_OK;
out:
	BN_free(n);
	BN_free(e);
	return rc;
}

/* A named curve (RFC 5480 2.1.1); what names it. */
static enum eseal_rc
check_ec(EVP_PKEY *key, int *nid, char *what, size_t sz)
{
	char enc[32], group[EC_NAME_MAX];

	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING,
	    enc, sizeof(enc), NULL) ||
	    strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0 ||
	    !EVP_PKEY_get_group_name(key, group, sizeof(group), NULL)) {
		ERR_clear_error();
		return eseal_err(ESEAL_EPOLICY, "policy: EC key with explicit "
		    "curve parameters: only named curves are allowed (RFC 5480 "
		    "2.1.1)");
	}
	if ((*nid = EC_curve_nist2nid(group)) == NID_undef)
		*nid = OBJ_sn2nid(group);
	snprintf(what, sz, "curve %s",
	    *nid != NID_undef ? curve_name(*nid) : group);
	return ESEAL_OK;
}

enum eseal_rc
policy_check_subscriber_key(const struct policy *p, EVP_PKEY *key,
    time_t now)
{
	struct want w;
	const char *tn;
	char what[128];
	enum eseal_rc rc;

	memset(&w, 0, sizeof(w));
	w.kind = K_SUBSCRIBER;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		w.alg = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? ALG_RSA :
		    ALG_RSA_PSS;
		if ((rc = check_rsa(key, &w.bits)) != ESEAL_OK)
			return rc;
		snprintf(what, sizeof(what), "%s key of %d bits",
		    policy_algs[w.alg].label, w.bits);
		break;
	case EVP_PKEY_EC:
		w.alg = ALG_EC;
		if ((rc = check_ec(key, &w.curve_nid, what, sizeof(what))) !=
		    ESEAL_OK)
			return rc;
		break;
	default:
		tn = EVP_PKEY_get0_type_name(key);
		return eseal_err(ESEAL_EPOLICY, "policy: key type %s is not in "
		    "the crypto policy", tn != NULL ? tn : "unknown");
	}
	if ((rc = check(p, &w, now, what)) != ESEAL_OK)
		return rc;
	/* Last, as it costs a modular exponentiation: only allowed sizes. */
	if (public_check(key))
		return ESEAL_OK;
	if (w.alg == ALG_EC)
		return eseal_err(ESEAL_EPOLICY, "policy: EC public key is not a "
		    "valid point on the %s (SP 800-56A 5.6.2.3.3)", what);
	return eseal_err(ESEAL_EPOLICY, "policy: RSA modulus has a factor "
	    "smaller than 752 or is a prime power (CA/B BR 6.1.6, NIST SP "
	    "800-89 5.3.3)");
}

enum eseal_rc
policy_check_issuer_key(const struct policy *p, enum key_type t, time_t now)
{
	struct want w;
	char what[64];

	if ((int)t < 0 || t >= KEY_TYPE_MAX)
		return eseal_err(ESEAL_EINVAL, "policy: issuer key type %d does "
		    "not exist", (int)t);
	memset(&w, 0, sizeof(w));
	w.kind = K_ISSUER;
	w.ktype = t;
	snprintf(what, sizeof(what), "issuer key %s", key_type_name(t));
	return check(p, &w, now, what);
}

enum eseal_rc
policy_check_signature(const struct policy *p, int pkey_type, int md_nid,
    time_t now)
{
	struct want w;
	const char *pn, *mn;
	char what[128];
	int a;

	for (a = 0; a < ALG_MAX; a++)
		if (policy_algs[a].pkey_type == pkey_type)
			break;
	pn = a < ALG_MAX ? policy_algs[a].label : OBJ_nid2sn(pkey_type);
	mn = OBJ_nid2sn(md_nid);
	snprintf(what, sizeof(what), "signature %s with %s",
	    pn != NULL ? pn : "unknown", mn != NULL ? mn : "unknown hash");
	if (a == ALG_MAX)
		return eseal_err(ESEAL_EPOLICY, "policy: %s is not in the "
		    "crypto policy", what);
	memset(&w, 0, sizeof(w));
	w.kind = K_SIGNATURE;
	w.alg = a;
	w.md_nid = md_nid;
	return check(p, &w, now, what);
}
