/*
 * policy_int.h: what policy.c (reading the crypto policy) and
 * policy_check.c (checking keys and algorithms against it) share: the
 * kinds of rule, the algorithms, and the rules as read.
 */
#ifndef ESEAL_POLICY_INT_H
#define ESEAL_POLICY_INT_H

#include "policy.h"

#define POLICY_DAY_SECS	86400

enum kind {
	K_SUBSCRIBER,		/* [subscriber-key NAME]: keys in CSRs */
	K_ISSUER,		/* [issuer-key TYPE]: keys the CA generates */
	K_SIGNATURE,		/* [signature NAME]: what issuers sign with */
	K_MAX
};

enum alg {
	ALG_RSA,		/* rsaEncryption key; PKCS#1 v1.5 signature */
	ALG_RSA_PSS,		/* id-RSASSA-PSS key; RSASSA-PSS signature */
	ALG_EC,			/* id-ecPublicKey; ECDSA */
	ALG_MAX
};

struct policy_alg {
	const char	*name;		/* in the file */
	int		 pkey_type;	/* EVP_PKEY_* */
	const char	*label;		/* in messages */
};

/* rsa, rsa-pss, ec: defined in policy.c. */
extern const struct policy_alg policy_algs[ALG_MAX];

/* The keys of a rule's section. */
enum field {
	F_TYPE, F_MIN_BITS, F_MAX_BITS, F_CURVE, F_KEY, F_HASH,
	F_FROM, F_UNTIL, F_REFERENCE, F_MAX
};

struct rule {
	struct policy_rule pub;		/* what policy_rule_at() hands out */
	enum kind	 kind;
	int		 alg;		/* enum alg, -1 until given */
	enum key_type	 ktype;		/* issuer-key only */
	int		 lines[F_MAX];	/* where each key was given; 0 = not */
	char		 name[POLICY_NAME_MAX + 1];
	char		 reference[POLICY_REF_MAX];
};

struct policy {
	struct rule	*rules;
	size_t		 n;
};

#endif
