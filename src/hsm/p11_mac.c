/*
 * p11_mac.c: keyed MACs computed inside the token: a generic secret key
 * (found, or made once) and HMAC-SHA-256 under it.  The audit trail seals
 * each record with it (audit.h), so whoever can write the store but not
 * use the HSM cannot forge a record.  Part of the p11 module: it shares
 * p11_int.h and the raw session with p11.c.
 */
#include <pthread.h>
#include <string.h>

#include "p11_int.h"

#define P11_SECRET_BYTES	32	/* HMAC-SHA-256 key: one block's worth
					   of entropy */

/* The secret key's handle, or 0.  Caller holds the read lock and raw_mu. */
static CK_RV
find_secret(struct p11_token *t, const unsigned char *id, size_t id_len,
    CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_ULONG n = 0;
	CK_RV rv;

	*h = 0;
	rv = t->fl->C_FindObjectsInit(t->session, tmpl, 2);
	if (rv == CKR_OK) {
		rv = t->fl->C_FindObjects(t->session, h, 1, &n);
		(void)t->fl->C_FindObjectsFinal(t->session);
	}
	if (n == 0)
		*h = 0;
	return rv;
}

static CK_RV
make_secret(struct p11_token *t, const unsigned char *id, size_t id_len,
    const char *label, CK_OBJECT_HANDLE *h)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG len = P11_SECRET_BYTES;
	CK_MECHANISM mech = { CKM_GENERIC_SECRET_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &no, sizeof(no) },
		{ CKA_DECRYPT, &no, sizeof(no) },
		{ CKA_ID, (void *)id, id_len },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};

	return t->fl->C_GenerateKey(t->session, &mech, tmpl,
	    sizeof(tmpl) / sizeof(tmpl[0]), h);
}

/* A failure of the token itself is handed to recovery; the message kept. */
static enum eseal_rc
token_failed(struct p11_token *t, unsigned long gen, CK_RV rv,
    const char *what)
{
	char msg[P11_REASON_MAX];

	snprintf(msg, sizeof(msg), "p11: %s: %s", what, p11_rv_str(rv));
	if (p11_rv_fault(rv) != P11_FAULT_REFUSED)
		(void)p11_fault_seen(t, gen, rv, what);
	return eseal_err(ESEAL_EHSM, "%s", msg);
}

enum eseal_rc
p11_secret_ensure(struct p11_token *t, const unsigned char *id,
    size_t id_len, const char *label, int create)
{
	CK_OBJECT_HANDLE h = 0;
	unsigned long gen;
	const char *what = "C_FindObjects";
	enum eseal_rc rc;
	CK_RV rv;

	if (id_len == 0 || id_len > P11_ID_MAX)
		return eseal_err(ESEAL_EINVAL, "p11: CKA_ID must be 1 to %d "
		    "bytes", P11_ID_MAX);
	if ((rc = p11_acquire(t, &gen)) != ESEAL_OK)
		return rc;
	pthread_mutex_lock(&t->raw_mu);
	rv = find_secret(t, id, id_len, &h);
	if (rv == CKR_OK && h == 0 && create) {
		what = "C_GenerateKey (CKM_GENERIC_SECRET_KEY_GEN)";
		rv = make_secret(t, id, id_len, label, &h);
	}
	pthread_mutex_unlock(&t->raw_mu);
	pthread_rwlock_unlock(&t->lock);
	if (rv != CKR_OK)
		return token_failed(t, gen, rv, what);
	if (h == 0)
		return eseal_err(ESEAL_ENOTFOUND, "p11: no secret key \"%s\" "
		    "on the token", label);
	return ESEAL_OK;
}

/*
 * The MAC key's handle for id, under raw_mu: the one found before under
 * this load gen (*cached 1), or found now and kept.
 */
static CK_RV
secret_handle(struct p11_token *t, unsigned long gen, const unsigned char *id,
    size_t id_len, CK_OBJECT_HANDLE *h, int *cached)
{
	CK_RV rv;

	*cached = t->secret_gen == gen && t->secret_id_len == id_len &&
	    memcmp(t->secret_id, id, id_len) == 0;
	if (*cached) {
		*h = t->secret_h;
		return CKR_OK;
	}
	if ((rv = find_secret(t, id, id_len, h)) == CKR_OK && *h != 0 &&
	    id_len <= sizeof(t->secret_id)) {
		memcpy(t->secret_id, id, id_len);
		t->secret_id_len = id_len;
		t->secret_h = *h;
		t->secret_gen = gen;
	}
	return rv;
}

enum eseal_rc
p11_hmac(struct p11_token *t, const unsigned char *id, size_t id_len,
    const unsigned char *data, size_t len, unsigned char out[P11_MAC_LEN])
{
	CK_MECHANISM mech = { CKM_SHA256_HMAC, NULL, 0 };
	CK_OBJECT_HANDLE h = 0;
	CK_ULONG outlen = P11_MAC_LEN;
	const char *what = "C_FindObjects";
	unsigned long gen;
	enum eseal_rc rc;
	CK_RV rv;
	int cached;

	if ((rc = p11_acquire(t, &gen)) != ESEAL_OK)
		return rc;
	pthread_mutex_lock(&t->raw_mu);
	rv = secret_handle(t, gen, id, id_len, &h, &cached);
	if (rv == CKR_OK && h != 0) {
		what = "C_SignInit (CKM_SHA256_HMAC)";
		rv = t->fl->C_SignInit(t->session, &mech, h);
		if (cached && (rv == CKR_KEY_HANDLE_INVALID ||
		    rv == CKR_OBJECT_HANDLE_INVALID)) {
			/* The key was destroyed (or made again) since. */
			t->secret_gen = 0;
			what = "C_FindObjects";
			if ((rv = secret_handle(t, gen, id, id_len, &h,
			    &cached)) == CKR_OK && h != 0) {
				what = "C_SignInit (CKM_SHA256_HMAC)";
				rv = t->fl->C_SignInit(t->session, &mech, h);
			}
		}
	}
	if (rv == CKR_OK && h != 0) {
		what = "C_Sign (CKM_SHA256_HMAC)";
		rv = t->fl->C_Sign(t->session, (CK_BYTE_PTR)data, len, out,
		    &outlen);
	}
	if (rv != CKR_OK)
		t->secret_gen = 0;	/* found again next time */
	pthread_mutex_unlock(&t->raw_mu);
	pthread_rwlock_unlock(&t->lock);
	if (rv != CKR_OK)
		return token_failed(t, gen, rv, what);
	if (h == 0)
		return eseal_err(ESEAL_ENOTFOUND, "p11: the audit MAC key is "
		    "not on the token");
	if (outlen != P11_MAC_LEN)
		return eseal_err(ESEAL_EHSM, "p11: CKM_SHA256_HMAC gave %lu "
		    "bytes, not %d", (unsigned long)outlen, P11_MAC_LEN);
	return ESEAL_OK;
}
