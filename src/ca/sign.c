/*
 * sign.c: the one signing path (sign.h).  Every signature the CA makes is
 * made inside p11_with_key() by the one callback below, and checked with
 * the public key before the caller may hand anything out.
 */
#include <openssl/err.h>
#include <openssl/evp.h>

#include "issuer.h"
#include "metrics.h"
#include "sign.h"

struct hsm_arg {
	const struct sign_op	*op;
	const EVP_MD		*md;
};

/* Inside p11_with_key: the HSM signs (again, if the session was lost). */
static int
hsm_sign(EVP_PKEY *key, void *arg)
{
	struct hsm_arg *a = arg;
	EVP_MD_CTX *mctx;
	int ok;

	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestSignInit(mctx, NULL, a->md, NULL, key) == 1 &&
	    a->op->sign(mctx, a->op->arg) == 1;
	EVP_MD_CTX_free(mctx);
	return ok;
}

enum eseal_rc
sign_verified(struct ca *ca, const unsigned char *key_id, size_t key_id_len,
    EVP_PKEY *pub, const struct sign_op *op)
{
	return sign_verified_on(ca, issuer_key_token(ca, key_id, key_id_len),
	    key_id, key_id_len, pub, op);
}

enum eseal_rc
sign_verified_on(struct ca *ca, struct p11_token *tok,
    const unsigned char *key_id, size_t key_id_len, EVP_PKEY *pub,
    const struct sign_op *op)
{
	struct hsm_arg a = { op, issuer_md(pub) };
	enum eseal_rc rc;
	double t0;
	int v;

	(void)ca;
	if (tok == NULL)
		return eseal_err(ESEAL_EHSM, "%s: no token is open to sign",
		    op->who);
	t0 = metrics_now();
	rc = p11_with_key(tok, key_id, key_id_len, hsm_sign, &a);
	if (rc != ESEAL_OK) {
		metrics_inc(M_HSM_ERRORS, "");
		return rc;
	}
	metrics_observe(M_HSM_SIGN, "", metrics_now() - t0);
	if ((v = op->verify(pub, op->arg)) == 1)
		rc = ESEAL_OK;
	else if (v == 0)
		rc = eseal_err(ESEAL_EINTERNAL, "%s: %s: the HSM's signature "
		    "does not verify with the %s public key", op->who, op->rule,
		    op->whose);
	else
		rc = ESEAL_EINTERNAL;	/* op->verify said why */
	ERR_clear_error();
	return rc;
}
