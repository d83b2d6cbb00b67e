/*
 * sign.h: the one signing path of the CA.  Certificates, CRLs and OCSP
 * responses are all signed here: a key on the token, found by CKA_ID,
 * signs through an EVP_MD_CTX with the digest matched to the key
 * (issuer_md), and the result is then checked with the matching public key
 * as a relying party would check it, before anyone sees it: a fault of the
 * HSM (a wrong or corrupted signature) stops here.
 */
#ifndef ESEAL_SIGN_H
#define ESEAL_SIGN_H

#include <stddef.h>

#include <openssl/evp.h>

#include "ca.h"

/* One signature: how to make it and how to check it. */
struct sign_op {
	/*
	 * Signs the object with mctx, set up by EVP_DigestSignInit with the
	 * token key and issuer_md(pub): 1 on success, 0 on failure.  May be
	 * called a second time (after a lost token session), so it must
	 * replace what a first call made.
	 */
	int		(*sign)(EVP_MD_CTX *mctx, void *arg);
	/*
	 * Checks what sign made with pub, on the bytes the relying party
	 * will get: 1 if the signature verifies, 0 if it does not, -1 if it
	 * could not tell (it said why with eseal_err).
	 */
	int		(*verify)(EVP_PKEY *pub, void *arg);
	void		*arg;
	const char	*who;	/* the caller, for messages: "crl" */
	const char	*rule;	/* the rule the check applies: "RFC 5280
				   6.3.3" */
	const char	*whose;	/* whose public key: "issuer", "OCSP
				   signer's" */
};

/*
 * Signs with the key key_id on the token through op->sign, then requires
 * op->verify to accept the signature with pub.  ESEAL_EHSM if no token is
 * open or it cannot be reached, ESEAL_ENOTFOUND if the key is not on it,
 * ESEAL_EINTERNAL "<who>: <rule>: the HSM's signature does not verify with the
 * <whose> public key" when the check fails (nothing signed may then be
 * handed out), or ESEAL_EINTERNAL with op->verify's reason.
 */
enum eseal_rc	sign_verified(struct ca *, const unsigned char *key_id,
		    size_t key_id_len, EVP_PKEY *pub, const struct sign_op *op);

/*
 * The same on the token tok.  sign_verified() signs on the token of the
 * issuer whose key key_id is (issuer_key_token), the default token for
 * any other key (delegated OCSP signers live there).
 */
enum eseal_rc	sign_verified_on(struct ca *, struct p11_token *tok,
		    const unsigned char *key_id, size_t key_id_len,
		    EVP_PKEY *pub, const struct sign_op *op);

#endif
