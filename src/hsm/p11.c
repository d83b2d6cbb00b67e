/*
 * p11.c: PKCS#11 through libp11, plus the raw function list of the same
 * loaded module for what libp11 does not offer (token info with versions,
 * mechanism list, EC key generation, the sign test).  We never call
 * C_Finalize from the raw side: libp11 owns the module's life.
 *
 * Recovery: every use goes through acquire(), which holds the read lock
 * on a loaded token.  When a use fails, the failure's CKR value (from
 * libp11's errors in the OpenSSL queue, or our own raw call) and the sign
 * test of p11_watch.c decide whether the token is at fault; if so the
 * whole context is released and loaded again under the write lock (unload:
 * C_Finalize; load: C_Initialize, find the token by URI, log in) and the
 * use is tried once more.  Lent EVP_PKEYs never outlive the read lock, and
 * the keys kept between signatures (private_key()) are freed by the unload
 * under the write lock, so a reload can never leave a caller holding a key
 * of a freed context.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <p11-kit/uri.h>

#include "p11_int.h"

#define P11_MAX_SLOTS	64	/* slots we look at when matching the URI */
#define P11_MAX_MECHS	512	/* mechanisms we list */

/*
 * Why the URI did not name exactly one token, in words an operator can act
 * on: the labels of the tokens the module does see, and where the module
 * looks for them (SoftHSM: SOFTHSM2_CONF).
 */
static void
match_error(const struct p11_token *t, unsigned int matches)
{
	char seen[512] = "";
	const char *conf = getenv("SOFTHSM2_CONF");
	size_t off = 0;

	for (unsigned int i = 0; i < t->nslots && i < P11_MAX_SLOTS; i++) {
		const PKCS11_SLOT *s = &t->slots[i];
		int n;

		if (s->token == NULL || !s->token->initialized ||
		    off >= sizeof(seen))
			continue;
		n = snprintf(seen + off, sizeof(seen) - off, "%s\"%s\"",
		    off ? ", " : "", s->token->label ? s->token->label : "");
		off = n < 0 ? sizeof(seen) : off + (size_t)n;
	}
	if (strstr(t->module_path, "softhsm") == NULL)
		eseal_err(ESEAL_EHSM, "p11: [hsm] token: %s tokens match \"%s\""
		    "; exactly one must; the module %s sees %s%s; check the "
		    "URI and the module's own configuration", matches ? "several"
		    : "no", t->uri, t->module_path, seen[0] ? "the tokens " :
		    "no initialised token", seen);
	else
		eseal_err(ESEAL_EHSM, "p11: [hsm] token: %s tokens match \"%s\""
		    "; exactly one must; the module %s sees %s%s; SoftHSM "
		    "finds its tokens through SOFTHSM2_CONF (%s%s)", matches ?
		    "several" : "no", t->uri, t->module_path, seen[0] ?
		    "the tokens " : "no initialised token", seen, conf ? "now "
		    : "unset: it reads /etc/softhsm/softhsm2.conf", conf ? conf
		    : "");
}

void
p11_unload_locked(struct p11_token *t)
{
	if (!t->loaded)
		return;
	pthread_mutex_lock(&t->kmu);
	for (int i = 0; i < t->nkeys; i++)
		EVP_PKEY_free(t->keys[i].pkey);
	t->nkeys = 0;
	pthread_mutex_unlock(&t->kmu);
	if (t->fl != NULL && t->session != CK_INVALID_HANDLE)
		(void)t->fl->C_CloseSession(t->session);
	t->session = CK_INVALID_HANDLE;
	t->fl = NULL;
	if (t->dl != NULL)
		dlclose(t->dl);
	t->dl = NULL;
	if (t->slots != NULL)
		PKCS11_release_all_slots(t->ctx, t->slots, t->nslots);
	t->slots = NULL;
	t->slot = NULL;
	if (t->ctx != NULL) {
		if (t->module_loaded)
			PKCS11_CTX_unload(t->ctx);
		PKCS11_CTX_free(t->ctx);
	}
	t->module_loaded = 0;
	t->ctx = NULL;
	t->loaded = 0;
}

unsigned long
p11_queued_rv(void)
{
	unsigned long e, rv = 0;

	while ((e = ERR_get_error()) != 0)
		if ((int)ERR_GET_LIB(e) == ERR_get_CKR_code())
			rv = (unsigned long)ERR_GET_REASON(e);
	return rv;
}

/* Loads the module, finds the token, logs in.  Caller holds the write lock. */
enum eseal_rc
p11_load_locked(struct p11_token *t)
{
	CK_RV (*getfl)(CK_FUNCTION_LIST_PTR_PTR);
	P11KitUri *uri = NULL;
	CK_TOKEN_INFO ti;
	PKCS11_SLOT *found = NULL;
	enum eseal_rc rc = ESEAL_EHSM;
	unsigned int matches = 0;
	CK_RV rv;
	int r;

	p11_unload_locked(t);
	t->load_rv = 0;
	t->gen++;
	if ((t->ctx = PKCS11_CTX_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "p11: out of memory");
	t->loaded = 1;
	if (PKCS11_CTX_load(t->ctx, t->module_path) != 0) {
		t->load_rv = p11_queued_rv();
		eseal_err(ESEAL_EHSM, "p11: cannot load PKCS#11 module %s%s%s",
		    t->module_path, t->load_rv ? ": " : "",
		    t->load_rv ? p11_rv_str(t->load_rv) : "");
		goto out;
	}
	t->module_loaded = 1;
	t->dl = dlopen(t->module_path, RTLD_NOW | RTLD_NOLOAD);
	if (t->dl == NULL ||
	    (getfl = (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(t->dl,
	    "C_GetFunctionList")) == NULL || getfl(&t->fl) != CKR_OK) {
		eseal_err(ESEAL_EHSM, "p11: %s: no C_GetFunctionList",
		    t->module_path);
		goto out;
	}
	if (PKCS11_enumerate_slots(t->ctx, &t->slots, &t->nslots) != 0) {
		eseal_err(ESEAL_EHSM, "p11: cannot list the module's slots");
		goto out;
	}
	if ((uri = p11_kit_uri_new()) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "p11: out of memory");
		goto out;
	}
	r = p11_kit_uri_parse(t->uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, uri);
	if (r != P11_KIT_URI_OK) {
		rc = eseal_err(ESEAL_ECONF, "p11: RFC 7512: token URI \"%s\": "
		    "%s", t->uri, p11_kit_uri_message(r));
		goto out;
	}
	for (unsigned int i = 0; i < t->nslots && i < P11_MAX_SLOTS; i++) {
		PKCS11_SLOT *s = &t->slots[i];

		if (s->token == NULL || !s->token->initialized)
			continue;
		rv = t->fl->C_GetTokenInfo(PKCS11_get_slotid_from_slot(s), &ti);
		if (rv != CKR_OK)
			continue;
		if (p11_kit_uri_match_token_info(uri, &ti)) {
			found = s;
			matches++;
		}
	}
	if (matches != 1) {
		match_error(t, matches);
		goto out;
	}
	t->slot = found;
	t->slot_id = PKCS11_get_slotid_from_slot(found);
	if (PKCS11_open_session(found, 1) != 0 ||
	    PKCS11_login(found, 0, t->pin) != 0) {
		unsigned long e = ERR_peek_last_error();

		eseal_err(ESEAL_EHSM, "p11: cannot log in to token \"%s\": %s",
		    t->uri, e ? ERR_reason_error_string(e) : "unknown error");
		t->load_rv = p11_queued_rv();
		goto out;
	}
	/*
	 * Our own session, for key generation and health checks; it also
	 * keeps the application's login alive whatever libp11 does.
	 */
	rv = t->fl->C_OpenSession(t->slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &t->session);
	if (rv != CKR_OK) {
		t->session = CK_INVALID_HANDLE;
		t->load_rv = rv;
		eseal_err(ESEAL_EHSM, "p11: C_OpenSession: %s", p11_rv_str(rv));
		goto out;
	}
	rc = ESEAL_OK;
out:
	p11_kit_uri_free(uri);
	if (rc != ESEAL_OK)
		p11_unload_locked(t);
	ERR_clear_error();
	return rc;
}

enum eseal_rc
p11_open(const char *module_path, const char *uri, const char *pin,
    struct p11_token **out)
{
	struct p11_token *t;
	enum eseal_rc rc;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "p11: out of memory");
	t->session = CK_INVALID_HANDLE;
	pthread_rwlock_init(&t->lock, NULL);
	pthread_mutex_init(&t->raw_mu, NULL);
	pthread_mutex_init(&t->kmu, NULL);
	pthread_mutex_init(&t->hmu, NULL);
	pthread_cond_init(&t->wcv, NULL);
	t->module_path = strdup(module_path);
	t->uri = strdup(uri);
	t->pin = strdup(pin);
	if (t->module_path == NULL || t->uri == NULL || t->pin == NULL) {
		p11_close(t);
		return eseal_err(ESEAL_ENOMEM, "p11: out of memory");
	}
	if ((rc = p11_load_locked(t)) != ESEAL_OK) {
		p11_close(t);
		return rc;
	}
	*out = t;
	return ESEAL_OK;
}

void
p11_close(struct p11_token *t)
{
	if (t == NULL)
		return;
	p11_watch_stop(t);
	p11_unload_locked(t);
	if (t->pin != NULL)
		OPENSSL_cleanse(t->pin, strlen(t->pin));
	free(t->pin);
	free(t->uri);
	free(t->module_path);
	pthread_cond_destroy(&t->wcv);
	pthread_mutex_destroy(&t->hmu);
	pthread_mutex_destroy(&t->raw_mu);
	pthread_mutex_destroy(&t->kmu);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

/*
 * Takes the read lock on a loaded token; *gen is the load it saw.  A
 * watched token that is down, or one whose PIN was refused, fails at once;
 * otherwise a token not loaded is reloaded first.  Returns ESEAL_OK with
 * the read lock held, or ESEAL_EHSM naming the fault with no lock held.
 */
static enum eseal_rc
acquire(struct p11_token *t, unsigned long *gen)
{
	int wait;

	for (int tries = 0; tries < 2; tries++) {
		if (p11_lock(t, 0) != 0)
			break;
		if (t->loaded) {
			*gen = t->gen;
			return ESEAL_OK;
		}
		pthread_rwlock_unlock(&t->lock);
		pthread_mutex_lock(&t->hmu);
		wait = t->watching || t->pin_refused;
		pthread_mutex_unlock(&t->hmu);
		if (wait)
			break;
		if (p11_lock(t, 1) != 0)
			break;
		if (!t->loaded)
			(void)p11_recover_locked(t);
		pthread_rwlock_unlock(&t->lock);
	}
	return p11_unavailable(t);
}

/* acquire() for the other files of this module (p11_int.h). */
enum eseal_rc
p11_acquire(struct p11_token *t, unsigned long *gen)
{
	return acquire(t, gen);
}

int
p11_alive(struct p11_token *t)
{
	struct p11_health h;
	enum p11_fault f;
	unsigned long gen;
	char why[P11_REASON_MAX];

	p11_health(t, &h);
	if (h.watched)
		return h.up;
	if (acquire(t, &gen) != ESEAL_OK)
		return 0;
	f = p11_probe_locked(t, why, sizeof(why));
	pthread_rwlock_unlock(&t->lock);
	if (f == P11_FAULT_NONE)
		return 1;
	(void)p11_fault_seen(t, gen, 0, "health check");
	return 0;
}

/* Finds a key by CKA_ID.  Caller holds the read lock. */
static enum eseal_rc
find_key(struct p11_token *t, const unsigned char *id, size_t id_len,
    int want_private, PKCS11_KEY **out)
{
	PKCS11_KEY *keys;
	unsigned int n;
	int r;

	*out = NULL;
	r = want_private ?
	    PKCS11_enumerate_keys(t->slot->token, &keys, &n) :
	    PKCS11_enumerate_public_keys(t->slot->token, &keys, &n);
	if (r != 0)
		return eseal_err(ESEAL_EHSM, "p11: cannot list keys on the "
		    "token (libp11 0.4.12 fails on tokens holding EdDSA keys: "
		    "keep them off CA tokens)");
	for (unsigned int i = 0; i < n; i++) {
		if (keys[i].id_len == id_len &&
		    memcmp(keys[i].id, id, id_len) == 0) {
			*out = &keys[i];
			return ESEAL_OK;
		}
	}
	return eseal_err(ESEAL_ENOTFOUND, "p11: no %s key with that CKA_ID "
	    "on the token", want_private ? "private" : "public");
}

/*
 * The private key with that CKA_ID as an EVP_PKEY of this load (a new
 * reference the caller frees), found on the token the first time only.
 * Caller holds the read lock.
 */
static enum eseal_rc
private_key(struct p11_token *t, const unsigned char *id, size_t id_len,
    EVP_PKEY **out, unsigned long *rv)
{
	PKCS11_KEY *key;
	EVP_PKEY *pkey;
	enum eseal_rc rc;

	pthread_mutex_lock(&t->kmu);
	for (int i = 0; i < t->nkeys; i++)
		if (t->keys[i].id_len == id_len &&
		    memcmp(t->keys[i].id, id, id_len) == 0 &&
		    EVP_PKEY_up_ref(t->keys[i].pkey) == 1) {
			*out = t->keys[i].pkey;
			pthread_mutex_unlock(&t->kmu);
			return ESEAL_OK;
		}
	pthread_mutex_unlock(&t->kmu);
	if ((rc = find_key(t, id, id_len, 1, &key)) != ESEAL_OK) {
		*rv = p11_queued_rv();
		return rc;
	}
	if ((pkey = PKCS11_get_private_key(key)) == NULL) {
		*rv = p11_queued_rv();
		return eseal_err(ESEAL_EHSM, "p11: cannot use the private key");
	}
	pthread_mutex_lock(&t->kmu);
	if (t->nkeys < P11_KEYS_CACHED && EVP_PKEY_up_ref(pkey) == 1) {
		memcpy(t->keys[t->nkeys].id, id, id_len);
		t->keys[t->nkeys].id_len = id_len;
		t->keys[t->nkeys++].pkey = pkey;
	}
	pthread_mutex_unlock(&t->kmu);
	*out = pkey;
	return ESEAL_OK;
}

/* One lending of the key; *rv gets the CKR of a failure if libp11 said. */
static enum eseal_rc
lend(struct p11_token *t, const unsigned char *id, size_t id_len,
    int (*fn)(EVP_PKEY *, void *), void *arg, unsigned long *rv)
{
	EVP_PKEY *pkey = NULL;
	enum eseal_rc rc;
	int ok;

	*rv = 0;
	ERR_clear_error();
	if ((rc = private_key(t, id, id_len, &pkey, rv)) != ESEAL_OK)
		return rc;
	__atomic_add_fetch(&t->uses, 1, __ATOMIC_RELAXED);
	ok = fn(pkey, arg);
	EVP_PKEY_free(pkey);
	if (ok) {
		/* The sign test uses the key the CA last used. */
		pthread_mutex_lock(&t->raw_mu);
		memcpy(t->probe_id, id, id_len);
		t->probe_id_len = id_len;
		pthread_mutex_unlock(&t->raw_mu);
		return ESEAL_OK;
	}
	*rv = p11_queued_rv();
	return eseal_err(ESEAL_EINTERNAL, "p11: signing with the token key "
	    "failed%s%s", *rv ? ": " : "", *rv ? p11_rv_str(*rv) : "");
}

enum eseal_rc
p11_with_key(struct p11_token *t, const unsigned char *id, size_t id_len,
    int (*fn)(EVP_PKEY *, void *), void *arg)
{
	char msg[P11_REASON_MAX], why[P11_REASON_MAX];
	enum p11_fault f;
	unsigned long gen, rv;
	enum eseal_rc rc;
	int r;

	if (id_len == 0 || id_len > P11_ID_MAX)
		return eseal_err(ESEAL_EINVAL, "p11: CKA_ID must be 1 to %d "
		    "bytes", P11_ID_MAX);
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((rc = acquire(t, &gen)) != ESEAL_OK)
			return rc;
		rc = lend(t, id, id_len, fn, arg, &rv);
		if (rc == ESEAL_OK || rc == ESEAL_ENOMEM) {
			pthread_rwlock_unlock(&t->lock);
			return rc;
		}
		/*
		 * Failed: was it the token?  Without a CKR that says so, the
		 * sign test decides, still under the read lock.
		 */
		snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
		f = rv != 0 ? p11_rv_fault(rv) : P11_FAULT_NONE;
		if ((f == P11_FAULT_NONE || f == P11_FAULT_REFUSED) &&
		    p11_probe_locked(t, why, sizeof(why)) == P11_FAULT_NONE) {
			pthread_rwlock_unlock(&t->lock);
			return eseal_err(rc, "%s", msg);
		}
		pthread_rwlock_unlock(&t->lock);
		if ((r = p11_fault_seen(t, gen, rv, "signing")) == 0)
			return eseal_err(rc, "%s", msg);
		if (r < 0)
			return p11_unavailable(t);
	}
	return eseal_err(ESEAL_EHSM, "p11: the token does not answer after "
	    "reloading it");
}

struct pub_arg {
	unsigned char	*der;
	int		 len;
};

static int
pub_cb(EVP_PKEY *key, void *arg)
{
	struct pub_arg *a = arg;

	a->len = i2d_PUBKEY(key, &a->der);
	return a->len > 0;
}

/*
 * The public half is read through the private key's EVP_PKEY (libp11 fills
 * it from the token's public key object): libp11 0.4.12's
 * PKCS11_get_public_key() leaks for EC keys.
 */
enum eseal_rc
p11_public_key(struct p11_token *t, const unsigned char *id, size_t id_len,
    EVP_PKEY **out)
{
	struct pub_arg a = { NULL, 0 };
	const unsigned char *p;
	enum eseal_rc rc;

	*out = NULL;
	if ((rc = p11_with_key(t, id, id_len, pub_cb, &a)) != ESEAL_OK) {
		OPENSSL_free(a.der);
		return rc == ESEAL_EINTERNAL ? eseal_err(ESEAL_EHSM, "p11: "
		    "cannot read the public key") : rc;
	}
	/* A standalone copy: no reference to the token survives. */
	p = a.der;
	*out = d2i_PUBKEY(NULL, &p, a.len);
	OPENSSL_free(a.der);
	if (*out == NULL)
		return eseal_err(ESEAL_EINTERNAL, "p11: cannot decode the "
		    "public key");
	return ESEAL_OK;
}

static enum eseal_rc
find_object(struct p11_token *t, CK_OBJECT_CLASS cls, const unsigned char *id,
    size_t id_len, int *found)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;
	CK_RV rv;

	rv = t->fl->C_FindObjectsInit(t->session, tmpl, 2);
	if (rv == CKR_OK) {
		rv = t->fl->C_FindObjects(t->session, &h, 1, &n);
		(void)t->fl->C_FindObjectsFinal(t->session);
	}
	if (rv != CKR_OK)
		return eseal_err(ESEAL_EHSM, "p11: C_FindObjects: %s",
		    p11_rv_str(rv));
	*found = n > 0;
	return ESEAL_OK;
}

enum eseal_rc
p11_generate(struct p11_token *t, enum key_type type, const unsigned char *id,
    size_t id_len, const char *label)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 0;
	CK_BYTE exponent[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_OBJECT_HANDLE pub, priv;
	unsigned char *params = NULL;
	enum eseal_rc rc;
	int nid = NID_undef, plen = 0, found = 0;
	unsigned long gen;
	CK_RV rv = CKR_OK;

	if (id_len == 0 || id_len > P11_ID_MAX)
		return eseal_err(ESEAL_EINVAL, "p11: CKA_ID must be 1 to %d "
		    "bytes", P11_ID_MAX);
	switch (type) {
	case KEY_EC_P256:
		nid = NID_X9_62_prime256v1;
		break;
	case KEY_EC_P384:
		nid = NID_secp384r1;
		break;
	case KEY_RSA_3072:
		bits = 3072;
		break;
	case KEY_RSA_4096:
		bits = 4096;
		break;
	default:
		return eseal_err(ESEAL_EINVAL, "p11: unknown key type");
	}
	if (nid != NID_undef) {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		/* CKA_EC_PARAMS: the curve's OID, DER-encoded by OpenSSL. */
		plen = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &params);
		if (plen <= 0)
			return eseal_err(ESEAL_EINTERNAL, "p11: cannot encode "
			    "the curve");
	} else
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;

	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ID, (void *)id, id_len },
		{ CKA_LABEL, (void *)label, strlen(label) },
		/* Last two differ by algorithm. */
		{ nid != NID_undef ? CKA_EC_PARAMS : CKA_MODULUS_BITS,
		  nid != NID_undef ? (void *)params : (void *)&bits,
		  nid != NID_undef ? (CK_ULONG)plen : sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent) },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_ID, (void *)id, id_len },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ULONG npub = nid != NID_undef ? 5 : 6;

	if ((rc = acquire(t, &gen)) != ESEAL_OK) {
		OPENSSL_free(params);
		return rc;
	}
	pthread_mutex_lock(&t->raw_mu);
	rc = find_object(t, CKO_PRIVATE_KEY, id, id_len, &found);
	if (rc == ESEAL_OK && found)
		rc = eseal_err(ESEAL_EEXIST, "p11: a key with this CKA_ID "
		    "already exists on the token");
	if (rc == ESEAL_OK) {
		rv = t->fl->C_GenerateKeyPair(t->session, &mech, pubt, npub,
		    privt, sizeof(privt) / sizeof(privt[0]), &pub, &priv);
		if (rv != CKR_OK)
			rc = eseal_err(ESEAL_EHSM, "p11: C_GenerateKeyPair "
			    "(%s): %s", key_type_name(type), p11_rv_str(rv));
	}
	pthread_mutex_unlock(&t->raw_mu);
	pthread_rwlock_unlock(&t->lock);
	OPENSSL_free(params);
	if (rc == ESEAL_EHSM && rv != CKR_OK &&
	    p11_rv_fault(rv) != P11_FAULT_REFUSED) {
		char msg[P11_REASON_MAX];

		snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
		(void)p11_fault_seen(t, gen, rv, "C_GenerateKeyPair");
		rc = eseal_err(rc, "%s", msg);
	}
	return rc;
}

enum eseal_rc
p11_mechanisms(struct p11_token *t, struct p11_mech **out, size_t *n)
{
	CK_MECHANISM_TYPE types[P11_MAX_MECHS];
	CK_ULONG count = P11_MAX_MECHS;
	CK_MECHANISM_INFO mi;
	struct p11_mech *m;
	enum eseal_rc rc;
	CK_RV rv;

	unsigned long gen;

	*out = NULL;
	*n = 0;
	if ((rc = acquire(t, &gen)) != ESEAL_OK)
		return rc;
	rv = t->fl->C_GetMechanismList(t->slot_id, types, &count);
	if (rv != CKR_OK) {
		pthread_rwlock_unlock(&t->lock);
		(void)p11_fault_seen(t, gen, rv, "C_GetMechanismList");
		return eseal_err(ESEAL_EHSM, "p11: C_GetMechanismList: %s",
		    p11_rv_str(rv));
	}
	if ((m = calloc(count ? count : 1, sizeof(*m))) == NULL) {
		pthread_rwlock_unlock(&t->lock);
		return eseal_err(ESEAL_ENOMEM, "p11: out of memory");
	}
	for (CK_ULONG i = 0; i < count; i++) {
		m[i].type = types[i];
		m[i].name = p11_mech_name(types[i]);
		if (t->fl->C_GetMechanismInfo(t->slot_id, types[i], &mi) ==
		    CKR_OK) {
			m[i].flags = mi.flags;
			m[i].min_key = mi.ulMinKeySize;
			m[i].max_key = mi.ulMaxKeySize;
		}
	}
	pthread_rwlock_unlock(&t->lock);
	*out = m;
	*n = count;
	return ESEAL_OK;
}

enum eseal_rc
p11_keys(struct p11_token *t, struct p11_key_info **out, size_t *n)
{
	PKCS11_KEY *keys[2];
	unsigned int nk[2];
	struct p11_key_info *ki;
	enum eseal_rc rc;
	size_t total, j = 0;
	unsigned long gen, rv;

	*out = NULL;
	*n = 0;
	if ((rc = acquire(t, &gen)) != ESEAL_OK)
		return rc;
	ERR_clear_error();
	if (PKCS11_enumerate_keys(t->slot->token, &keys[0], &nk[0]) != 0 ||
	    PKCS11_enumerate_public_keys(t->slot->token, &keys[1], &nk[1]) != 0) {
		rv = p11_queued_rv();
		pthread_rwlock_unlock(&t->lock);
		if (rv != 0)
			(void)p11_fault_seen(t, gen, rv, "listing keys");
		return eseal_err(ESEAL_EHSM, "p11: cannot list keys on the "
		    "token (libp11 0.4.12 fails on tokens holding EdDSA keys: "
		    "keep them off CA tokens)");
	}
	total = (size_t)nk[0] + nk[1];
	if ((ki = calloc(total ? total : 1, sizeof(*ki))) == NULL) {
		pthread_rwlock_unlock(&t->lock);
		return eseal_err(ESEAL_ENOMEM, "p11: out of memory");
	}
	for (int k = 0; k < 2; k++) {
		for (unsigned int i = 0; i < nk[k]; i++, j++) {
			PKCS11_KEY *key = &keys[k][i];
			size_t len = key->id_len < P11_ID_MAX ? key->id_len :
			    P11_ID_MAX;

			memcpy(ki[j].id, key->id, len);
			ki[j].id_len = len;
			if (key->label != NULL)
				snprintf(ki[j].label, sizeof(ki[j].label), "%s",
				    key->label);
			ki[j].is_private = k == 0;
			ki[j].pkey_type = PKCS11_get_key_type(key);
		}
	}
	pthread_rwlock_unlock(&t->lock);
	*out = ki;
	*n = total;
	return ESEAL_OK;
}

unsigned long
p11_key_uses(struct p11_token *t)
{
	return __atomic_load_n(&t->uses, __ATOMIC_RELAXED);
}
