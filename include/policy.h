/*
 * policy.h: the crypto policy (conf/crypto-policy.conf, docs/crypto-policy.md):
 * which subscriber keys, issuer key types and issuer signature algorithms
 * are allowed, each rule with optional from/until dates and the legal or
 * technical reference it rests on.  Every check takes the time as a
 * parameter, so "what happens on 2031-01-01" is testable.  A loaded policy
 * is immutable and may be shared by threads.
 */
#ifndef ESEAL_POLICY_H
#define ESEAL_POLICY_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "err.h"
#include "keytype.h"

#define POLICY_RULES_MAX	256	/* far more than any real policy has */
#define POLICY_NAME_MAX		32	/* rule name: [A-Za-z0-9._-] */
#define POLICY_REF_MAX		192	/* reference text, bytes */

struct policy;

/* One rule, as read from the file.  Strings are borrowed from the policy. */
struct policy_rule {
	const char	*name;		/* "rsa-2048", from [kind name] */
	const char	*kind;		/* "subscriber-key", "issuer-key", "signature" */
	const char	*type;		/* "rsa", "rsa-pss" or "ec" (key or signature scheme) */
	int		 min_bits, max_bits; /* RSA modulus range; 0 for ec and signature */
	int		 curve_nid;	/* ec keys; NID_undef otherwise */
	int		 md_nid;	/* signature hash; NID_undef otherwise */
	time_t		 from;		/* 00:00 UTC of the first allowed day; 0 = unbounded */
	time_t		 until;		/* 00:00 UTC of the last allowed day (allowed through
					   23:59:59 UTC of it); 0 = unbounded */
	const char	*reference;	/* why: law, notice, standard */
	int		 line;		/* line of the [kind name] header */
};

/*
 * Reads and checks the policy at path.  On success *out is a new policy to
 * free with policy_free().  On failure returns ESEAL_ECONF (or
 * ESEAL_ENOMEM) with the message "path:line: [kind name] key: what is
 * wrong".
 */
enum eseal_rc	policy_load(const char *path, struct policy **out);
void		policy_free(struct policy *);

/*
 * Checks a subscriber key (the public key of a CSR) at time now.  Returns
 * ESEAL_OK, or ESEAL_EPOLICY with one line naming the rule broken: an RSA
 * exponent or modulus that fails CA/B BR 6.1.6 / NIST SP 800-89, an EC key
 * with explicit parameters or an invalid point, a type, size or curve not
 * in the policy, or a rule that does not allow it at now.
 */
enum eseal_rc	policy_check_subscriber_key(const struct policy *,
		    EVP_PKEY *key, time_t now);

/* Checks that an issuer key of type t may be generated at time now. */
enum eseal_rc	policy_check_issuer_key(const struct policy *,
		    enum key_type t, time_t now);

/*
 * Checks an issuer signature algorithm at time now: pkey_type is
 * EVP_PKEY_EC (ECDSA), EVP_PKEY_RSA (PKCS#1 v1.5) or EVP_PKEY_RSA_PSS
 * (RSASSA-PSS), md_nid the hash (NID_sha256, ...).
 */
enum eseal_rc	policy_check_signature(const struct policy *, int pkey_type,
		    int md_nid, time_t now);

/* Every rule in file order, allowed now or not (for readiness reports). */
size_t		policy_nrules(const struct policy *);
/* Rule i, borrowed; NULL if i >= policy_nrules(). */
const struct policy_rule *policy_rule_at(const struct policy *, size_t i);
/* 1 if rule r allows use at time now (its from/until), else 0. */
int		policy_rule_allows(const struct policy_rule *r, time_t now);

#endif
