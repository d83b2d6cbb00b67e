/*
 * test_p11.c: the PKCS#11 layer on a SoftHSM token made for each test: key
 * generation for each type, keys found by CKA_ID, sign and verify, token
 * identity, non-extractable keys, recovery from lost sessions and from
 * token files that go away and come back (SoftHSM then answers
 * CKR_GENERAL_ERROR until the module is initialised again), the watcher,
 * a refused PIN that is never tried again, and a PKCS#11 call that never
 * returns (a thread holding the token's lock) which makes the others give
 * up after P11_STUCK_SECS with the token marked down, instead of waiting.
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "hsm/p11_int.h"
#include "p11.h"
#include "testutil.h"

static const unsigned char ID1[] = { 0xe5, 0xea, 0x01 };
static const unsigned char ID2[] = { 0xe5, 0xea, 0x02 };

static struct p11_token *
open_token(void)
{
	const char *dir = tu_tmpdir();
	char *pin = tu_softhsm(dir, "unit");
	struct p11_token *t = NULL;

	ck_assert_int_eq(p11_open(SOFTHSM_MODULE, "pkcs11:token=unit", pin,
	    &t), ESEAL_OK);
	free(pin);
	return t;
}

struct sig {
	unsigned char	 buf[1024];
	size_t		 len;
};

static int
sign_cb(EVP_PKEY *key, void *arg)
{
	struct sig *s = arg;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	s->len = sizeof(s->buf);
	ok = EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(m, s->buf, &s->len, (const unsigned char *)"tbs",
	    3) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

static int
verifies(EVP_PKEY *pub, const struct sig *s)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	ok = EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(m, s->buf, s->len, (const unsigned char *)"tbs",
	    3) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

static const struct {
	enum key_type	type;
	int		pkey_type;
	int		bits;
} types[] = {
	{ KEY_EC_P256, EVP_PKEY_EC, 256 },
	{ KEY_EC_P384, EVP_PKEY_EC, 384 },
	{ KEY_RSA_3072, EVP_PKEY_RSA, 3072 },
	{ KEY_RSA_4096, EVP_PKEY_RSA, 4096 },
};

START_TEST(test_keygen_each_type)
{
	struct p11_token *t = open_token();
	EVP_PKEY *pub = NULL;
	struct sig s;

	ck_assert_int_eq(p11_generate(t, types[_i].type, ID1, sizeof(ID1),
	    "k"), ESEAL_OK);
	ck_assert_int_eq(p11_public_key(t, ID1, sizeof(ID1), &pub), ESEAL_OK);
	ck_assert_int_eq(EVP_PKEY_get_base_id(pub), types[_i].pkey_type);
	ck_assert_int_eq(EVP_PKEY_get_bits(pub), types[_i].bits);
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_OK);
	ck_assert(verifies(pub, &s));
	EVP_PKEY_free(pub);
	p11_close(t);
}
END_TEST

START_TEST(test_find_by_id)
{
	struct p11_token *t = open_token();
	struct p11_key_info *k = NULL;
	EVP_PKEY *p1 = NULL, *p2 = NULL;
	struct sig s;
	size_t n = 0;

	ck_assert_int_eq(p11_generate(t, KEY_EC_P256, ID1, sizeof(ID1), "a"),
	    ESEAL_OK);
	ck_assert_int_eq(p11_generate(t, KEY_EC_P256, ID2, sizeof(ID2), "b"),
	    ESEAL_OK);
	/* The same CKA_ID again is refused. */
	ck_assert_int_eq(p11_generate(t, KEY_EC_P384, ID1, sizeof(ID1), "c"),
	    ESEAL_EEXIST);
	ck_assert_int_eq(p11_public_key(t, ID1, sizeof(ID1), &p1), ESEAL_OK);
	ck_assert_int_eq(p11_public_key(t, ID2, sizeof(ID2), &p2), ESEAL_OK);
	ck_assert_int_ne(EVP_PKEY_eq(p1, p2), 1);
	/* A signature by ID2 verifies with ID2's key, not ID1's. */
	ck_assert_int_eq(p11_with_key(t, ID2, sizeof(ID2), sign_cb, &s),
	    ESEAL_OK);
	ck_assert(verifies(p2, &s));
	ck_assert(!verifies(p1, &s));
	/* Unknown id. */
	ck_assert_int_eq(p11_with_key(t, (const unsigned char *)"zz", 2,
	    sign_cb, &s), ESEAL_ENOTFOUND);
	ck_assert_int_eq(p11_keys(t, &k, &n), ESEAL_OK);
	ck_assert_uint_eq(n, 4);	/* two private, two public */
	free(k);
	EVP_PKEY_free(p1);
	EVP_PKEY_free(p2);
	p11_close(t);
}
END_TEST

/* A thread inside an HSM call that does not return: it holds the lock. */
struct stuck {
	struct p11_token	*t;
	int			 write;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 holding, release;
};

static void *
stuck_main(void *arg)
{
	struct stuck *st = arg;

	if (st->write)
		pthread_rwlock_wrlock(&st->t->lock);
	else
		pthread_rwlock_rdlock(&st->t->lock);
	pthread_mutex_lock(&st->mu);
	st->holding = 1;
	pthread_cond_broadcast(&st->cv);
	while (!st->release)
		pthread_cond_wait(&st->cv, &st->mu);
	pthread_mutex_unlock(&st->mu);
	pthread_rwlock_unlock(&st->t->lock);
	return NULL;
}

/*
 * Case 0: the watcher's sign test stuck inside the HSM with the read lock
 * (what SoftHSM did in t_rotation when its token files were swapped under
 * it); a failure seen meanwhile wants the write lock to reload.  Case 1: a
 * reload stuck with the write lock; a caller wants to sign.  Either gives
 * up after P11_STUCK_SECS: the token is down, the reason says an HSM call
 * has not returned, and the caller hears EHSM instead of waiting forever.
 */
START_TEST(test_stuck_call_gives_up)
{
	struct p11_token *t = open_token();
	struct stuck st = { t, _i, PTHREAD_MUTEX_INITIALIZER,
	    PTHREAD_COND_INITIALIZER, 0, 0 };
	struct p11_identity id;
	struct p11_health h;
	pthread_t th;

	ck_assert_int_eq(p11_identity(t, &id), ESEAL_OK);
	pthread_create(&th, NULL, stuck_main, &st);
	pthread_mutex_lock(&st.mu);
	while (!st.holding)
		pthread_cond_wait(&st.cv, &st.mu);
	pthread_mutex_unlock(&st.mu);
	if (_i == 0)
		ck_assert_int_eq(p11_fault_seen(t, t->gen, CKR_GENERAL_ERROR,
		    "C_GetTokenInfo"), -1);
	else {
		ck_assert_int_eq(p11_identity(t, &id), ESEAL_EHSM);
		ck_assert_msg(strstr(eseal_errmsg(), "has not returned for 5 s")
		    != NULL, "%s", eseal_errmsg());
	}
	p11_health(t, &h);
	ck_assert_int_eq(h.up, 0);
	ck_assert_int_eq(h.fault, P11_FAULT_DEVICE);
	ck_assert_msg(strstr(h.reason, "a PKCS#11 call has not returned for "
	    "5 s (the HSM hangs)") != NULL, "%s", h.reason);
	pthread_mutex_lock(&st.mu);
	st.release = 1;
	pthread_cond_broadcast(&st.cv);
	pthread_mutex_unlock(&st.mu);
	pthread_join(th, NULL);
	/* The call came back: the token is used again. */
	ck_assert_int_eq(p11_identity(t, &id), ESEAL_OK);
	p11_close(t);
}
END_TEST

START_TEST(test_identity_and_mechanisms)
{
	struct p11_token *t = open_token();
	struct p11_identity id;
	struct p11_mech *m = NULL;
	size_t n = 0;
	int ecdsa = 0, ecgen = 0;

	ck_assert_int_eq(p11_identity(t, &id), ESEAL_OK);
	ck_assert_str_eq(id.label, "unit");
	ck_assert_str_eq(id.manufacturer, "SoftHSM project");
	ck_assert_str_eq(id.model, "SoftHSM v2");
	ck_assert_int_eq(id.fw_major, 2);
	ck_assert_int_eq(id.fw_minor, 6);
	ck_assert_str_eq(id.lib_manufacturer, "SoftHSM");
	ck_assert(strlen(id.serial) > 0);
	ck_assert_int_eq(p11_mechanisms(t, &m, &n), ESEAL_OK);
	for (size_t i = 0; i < n; i++) {
		if (m[i].type == CKM_ECDSA && (m[i].flags & CKF_SIGN))
			ecdsa = 1;
		if (m[i].type == CKM_EC_KEY_PAIR_GEN &&
		    (m[i].flags & CKF_GENERATE_KEY_PAIR))
			ecgen = 1;
	}
	ck_assert(ecdsa && ecgen);
	ck_assert_str_eq(p11_mech_name(CKM_ECDSA_SHA384), "CKM_ECDSA_SHA384");
	free(m);
	p11_close(t);
}
END_TEST

/* The raw function list of the loaded module, as an outsider sees it. */
static CK_FUNCTION_LIST_PTR
raw(void)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST_PTR fl = NULL;
	void *dl = dlopen(SOFTHSM_MODULE, RTLD_NOW | RTLD_NOLOAD);

	ck_assert_ptr_nonnull(dl);
	get = (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(dl,
	    "C_GetFunctionList");
	ck_assert_int_eq(get(&fl), CKR_OK);
	dlclose(dl);
	return fl;
}

static CK_SLOT_ID
raw_slot(CK_FUNCTION_LIST_PTR fl)
{
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	CK_TOKEN_INFO ti;

	ck_assert_int_eq(fl->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (CK_ULONG i = 0; i < n; i++)
		if (fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, "unit ", 5) == 0)
			return slots[i];
	ck_abort_msg("token not found");
	return 0;
}

START_TEST(test_not_extractable)
{
	struct p11_token *t = open_token();
	CK_FUNCTION_LIST_PTR fl;
	CK_SESSION_HANDLE sh;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE find[] = { { CKA_CLASS, &cls, sizeof(cls) },
	    { CKA_ID, (void *)ID1, sizeof(ID1) } };
	CK_BBOOL extractable = CK_TRUE, sensitive = CK_FALSE;
	CK_ATTRIBUTE get[] = {
		{ CKA_EXTRACTABLE, &extractable, sizeof(extractable) },
		{ CKA_SENSITIVE, &sensitive, sizeof(sensitive) } };
	CK_ATTRIBUTE value = { CKA_VALUE, NULL, 0 };
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;

	ck_assert_int_eq(p11_generate(t, KEY_EC_P256, ID1, sizeof(ID1), "k"),
	    ESEAL_OK);
	fl = raw();
	ck_assert_int_eq(fl->C_OpenSession(raw_slot(fl), CKF_SERIAL_SESSION,
	    NULL, NULL, &sh), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsInit(sh, find, 2), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjects(sh, &h, 1, &n), CKR_OK);
	fl->C_FindObjectsFinal(sh);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(fl->C_GetAttributeValue(sh, h, get, 2), CKR_OK);
	ck_assert_int_eq(extractable, CK_FALSE);
	ck_assert_int_eq(sensitive, CK_TRUE);
	/* The private value cannot be read. */
	ck_assert_int_eq(fl->C_GetAttributeValue(sh, h, &value, 1),
	    CKR_ATTRIBUTE_SENSITIVE);
	fl->C_CloseSession(sh);
	p11_close(t);
}
END_TEST

START_TEST(test_lost_session_recovered)
{
	struct p11_token *t = open_token();
	CK_FUNCTION_LIST_PTR fl;
	EVP_PKEY *pub = NULL;
	struct sig s;

	ck_assert_int_eq(p11_generate(t, KEY_EC_P256, ID1, sizeof(ID1), "k"),
	    ESEAL_OK);
	ck_assert_int_eq(p11_public_key(t, ID1, sizeof(ID1), &pub), ESEAL_OK);
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_OK);
	ck_assert(p11_alive(t));
	/* The module closes every session underneath us (and logs out). */
	fl = raw();
	ck_assert_int_eq(fl->C_CloseAllSessions(raw_slot(fl)), CKR_OK);
	/* The next operation still succeeds, without a restart. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_OK);
	ck_assert(verifies(pub, &s));
	ck_assert(p11_alive(t));
	/* And again, through the health check path first. */
	fl = raw();
	ck_assert_int_eq(fl->C_CloseAllSessions(raw_slot(fl)), CKR_OK);
	ck_assert(!p11_alive(t));
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_OK);
	ck_assert(verifies(pub, &s));
	EVP_PKEY_free(pub);
	p11_close(t);
}
END_TEST

START_TEST(test_token_files_moved_away_and_back)
{
	const char *dir = tu_tmpdir();
	char *pin = tu_softhsm(dir, "unit"), cmd[1024];
	struct p11_token *t = NULL;
	EVP_PKEY *pub = NULL;
	struct sig s;
	enum eseal_rc rc;

	ck_assert_int_eq(p11_open(SOFTHSM_MODULE, "pkcs11:token=unit", pin,
	    &t), ESEAL_OK);
	ck_assert_int_eq(p11_generate(t, KEY_EC_P256, ID1, sizeof(ID1), "k"),
	    ESEAL_OK);
	ck_assert_int_eq(p11_public_key(t, ID1, sizeof(ID1), &pub), ESEAL_OK);
	/* The token goes away: sessions die and a reload cannot find it. */
	ck_assert_int_eq(raw()->C_CloseAllSessions(raw_slot(raw())), CKR_OK);
	snprintf(cmd, sizeof(cmd), "mv %s/tokens %s/away", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	rc = p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s);
	ck_assert_int_eq(rc, ESEAL_EHSM);
	ck_assert_msg(strstr(eseal_errmsg(), "p11:") != NULL, "%s",
	    eseal_errmsg());
	/* It comes back: the next operation succeeds, same process. */
	snprintf(cmd, sizeof(cmd), "mv %s/away %s/tokens", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_OK);
	ck_assert(verifies(pub, &s));
	EVP_PKEY_free(pub);
	p11_close(t);
	free(pin);
}
END_TEST

START_TEST(test_open_errors)
{
	const char *dir = tu_tmpdir();
	char *pin = tu_softhsm(dir, "unit");
	struct p11_token *t = NULL;

	ck_assert_int_eq(p11_open(SOFTHSM_MODULE, "pkcs11:token=unit",
	    "wrong-pin", &t), ESEAL_EHSM);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "cannot log in"));
	ck_assert_int_eq(p11_open(SOFTHSM_MODULE, "pkcs11:token=nosuch", pin,
	    &t), ESEAL_EHSM);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "no tokens match"));
	/* Issue 11 item 10: what the module sees, and where SoftHSM looks. */
	ck_assert_msg(strstr(eseal_errmsg(), "sees the tokens \"unit\"") !=
	    NULL, "%s", eseal_errmsg());
	ck_assert_msg(strstr(eseal_errmsg(), "SOFTHSM2_CONF (now ") != NULL,
	    "%s", eseal_errmsg());
	ck_assert_int_ne(p11_open(SOFTHSM_MODULE, "token=unit", pin, &t),
	    ESEAL_OK);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "RFC 7512"));
	ck_assert_int_eq(p11_open("/nonexistent/module.so",
	    "pkcs11:token=unit", pin, &t), ESEAL_EHSM);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "cannot load"));
	ck_assert_ptr_null(t);
	free(pin);
}
END_TEST


START_TEST(test_rv_classes)
{
	ck_assert_int_eq(p11_rv_fault(CKR_OK), P11_FAULT_NONE);
	ck_assert_int_eq(p11_rv_fault(CKR_SESSION_HANDLE_INVALID),
	    P11_FAULT_SESSION);
	ck_assert_int_eq(p11_rv_fault(CKR_USER_NOT_LOGGED_IN),
	    P11_FAULT_SESSION);
	ck_assert_int_eq(p11_rv_fault(CKR_OBJECT_HANDLE_INVALID),
	    P11_FAULT_SESSION);
	ck_assert_int_eq(p11_rv_fault(CKR_TOKEN_NOT_PRESENT), P11_FAULT_TOKEN);
	ck_assert_int_eq(p11_rv_fault(CKR_DEVICE_REMOVED), P11_FAULT_TOKEN);
	ck_assert_int_eq(p11_rv_fault(CKR_GENERAL_ERROR), P11_FAULT_DEVICE);
	ck_assert_int_eq(p11_rv_fault(CKR_DEVICE_ERROR), P11_FAULT_DEVICE);
	ck_assert_int_eq(p11_rv_fault(CKR_PIN_INCORRECT), P11_FAULT_PIN);
	ck_assert_int_eq(p11_rv_fault(CKR_PIN_LOCKED), P11_FAULT_PIN);
	ck_assert_int_eq(p11_rv_fault(CKR_MECHANISM_INVALID),
	    P11_FAULT_REFUSED);
	ck_assert_int_eq(p11_rv_fault(0x8000abcdUL), P11_FAULT_REFUSED);
	ck_assert_str_eq(p11_rv_name(CKR_GENERAL_ERROR), "CKR_GENERAL_ERROR");
	ck_assert_ptr_null(p11_rv_name(0x8000abcdUL));
	ck_assert_str_eq(p11_fault_name(P11_FAULT_DEVICE), "device_error");
	ck_assert_str_eq(p11_fault_name(P11_FAULT_PIN), "pin_refused");
}
END_TEST

static void
mv(const char *dir, const char *from, const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "mv %s/%s %s/%s", dir, from, dir, to);
	ck_assert_int_eq(system(cmd), 0);
}

/*
 * The fault as it happens: the files go, the sessions stay (and
 * C_GetSessionInfo keeps saying CKR_OK).  Unwatched, a use after the
 * return reloads the module on the spot.
 */
START_TEST(test_files_gone_sessions_kept)
{
	const char *dir = tu_tmpdir();
	char *pin = tu_softhsm(dir, "unit");
	struct p11_token *t = NULL;
	struct p11_health h;
	EVP_PKEY *pub = NULL;
	struct sig s;

	ck_assert_int_eq(p11_open(SOFTHSM_MODULE, "pkcs11:token=unit", pin,
	    &t), ESEAL_OK);
	ck_assert_int_eq(p11_generate(t, KEY_EC_P256, ID1, sizeof(ID1), "k"),
	    ESEAL_OK);
	ck_assert_int_eq(p11_public_key(t, ID1, sizeof(ID1), &pub), ESEAL_OK);
	mv(dir, "tokens", "away");
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_EHSM);
	ck_assert_msg(strstr(eseal_errmsg(), "unavailable") != NULL, "%s",
	    eseal_errmsg());
	p11_health(t, &h);
	ck_assert(!h.up);
	ck_assert_msg(h.fault == P11_FAULT_DEVICE || h.fault ==
	    P11_FAULT_TOKEN, "%s", p11_fault_name(h.fault));
	ck_assert_msg(strstr(h.reason, "CKR_") != NULL || strstr(h.reason,
	    "no tokens match") != NULL, "%s", h.reason);
	ck_assert(h.down_since > 0);
	ck_assert(!p11_alive(t));
	mv(dir, "away", "tokens");
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_OK);
	ck_assert(verifies(pub, &s));
	p11_health(t, &h);
	ck_assert(h.up);
	ck_assert_uint_eq(h.recoveries, 1);
	ck_assert(p11_alive(t));
	EVP_PKEY_free(pub);
	p11_close(t);
	free(pin);
}
END_TEST

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to secs for the watched token to be up (want 1) or down. */
static double
wait_health(struct p11_token *t, int want, double secs)
{
	struct p11_health h;
	double start = now_s();

	while (now_s() - start < secs) {
		p11_health(t, &h);
		if (h.up == want)
			return now_s() - start;
		usleep(20000);
	}
	return -1;
}

START_TEST(test_watch_recovers)
{
	const char *dir = tu_tmpdir();
	char *pin = tu_softhsm(dir, "unit");
	struct p11_token *t = NULL;
	struct p11_health h;
	EVP_PKEY *pub = NULL;
	struct sig s;
	double took, t0;

	ck_assert_int_eq(p11_open(SOFTHSM_MODULE, "pkcs11:token=unit", pin,
	    &t), ESEAL_OK);
	ck_assert_int_eq(p11_generate(t, KEY_EC_P256, ID1, sizeof(ID1), "k"),
	    ESEAL_OK);
	ck_assert_int_eq(p11_public_key(t, ID1, sizeof(ID1), &pub), ESEAL_OK);
	ck_assert_int_eq(p11_watch(t, 100, 100), ESEAL_OK);
	mv(dir, "tokens", "away");
	/* Nobody uses it: the watcher's sign test notices. */
	ck_assert_msg(wait_health(t, 0, 2) >= 0, "fault not noticed");
	p11_health(t, &h);
	ck_assert(h.watched);
	ck_assert_msg(strlen(h.reason) > 0, "no reason");
	ck_assert(!p11_alive(t));
	/* While it is down, a use fails at once. */
	t0 = now_s();
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_EHSM);
	ck_assert_msg(now_s() - t0 < 0.05, "took %.3f s", now_s() - t0);
	ck_assert_msg(strstr(eseal_errmsg(), "unavailable") != NULL, "%s",
	    eseal_errmsg());
	mv(dir, "away", "tokens");
	took = wait_health(t, 1, 5);
	ck_assert_msg(took >= 0, "not back within 5 s");
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_OK);
	ck_assert(verifies(pub, &s));
	p11_health(t, &h);
	ck_assert_uint_eq(h.recoveries, 1);
	ck_assert(h.last_probe > 0);
	EVP_PKEY_free(pub);
	p11_close(t);
	free(pin);
}
END_TEST

static void
change_pin(const char *from, const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "pkcs11-tool --module %s --token-label "
	    "unit --login --pin %s --change-pin --new-pin %s >/dev/null 2>&1",
	    SOFTHSM_MODULE, from, to);
	ck_assert_int_eq(system(cmd), 0);
}

/* A PIN refused at a reload is never tried again (lockout). */
START_TEST(test_pin_refused_not_retried)
{
	const char *dir = tu_tmpdir();
	char *pin = tu_softhsm(dir, "unit");
	struct p11_token *t = NULL;
	struct p11_health h;
	struct sig s;

	ck_assert_int_eq(p11_open(SOFTHSM_MODULE, "pkcs11:token=unit", pin,
	    &t), ESEAL_OK);
	ck_assert_int_eq(p11_generate(t, KEY_EC_P256, ID1, sizeof(ID1), "k"),
	    ESEAL_OK);
	ck_assert_int_eq(p11_watch(t, 100, 100), ESEAL_OK);
	change_pin(pin, "0011223344556677");
	mv(dir, "tokens", "away");
	ck_assert(wait_health(t, 0, 2) >= 0);
	mv(dir, "away", "tokens");
	/* The reload logs in with the old PIN: refused. */
	for (int i = 0; i < 100; i++) {
		p11_health(t, &h);
		if (h.fault == P11_FAULT_PIN)
			break;
		usleep(20000);
	}
	ck_assert_str_eq(p11_fault_name(h.fault), "pin_refused");
	ck_assert_msg(strstr(h.reason, "log in") != NULL, "%s", h.reason);
	/* The right PIN again: still not tried, however long one waits. */
	change_pin("0011223344556677", pin);
	usleep(600000);
	p11_health(t, &h);
	ck_assert(!h.up);
	ck_assert_int_eq(h.fault, P11_FAULT_PIN);
	ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb, &s),
	    ESEAL_EHSM);
	ck_assert_msg(strstr(eseal_errmsg(), "not retried") != NULL, "%s",
	    eseal_errmsg());
	p11_close(t);
	free(pin);
}
END_TEST

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Reloads release everything they took: no fd or session piles up. */
START_TEST(test_reloads_do_not_leak)
{
	struct p11_token *t = open_token();
	struct p11_health h;
	struct sig s;
	int fds = 0;

	ck_assert_int_eq(p11_generate(t, KEY_EC_P256, ID1, sizeof(ID1), "k"),
	    ESEAL_OK);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(raw()->C_CloseAllSessions(raw_slot(raw())),
		    CKR_OK);
		ck_assert_int_eq(p11_with_key(t, ID1, sizeof(ID1), sign_cb,
		    &s), ESEAL_OK);
		if (i == 0)
			fds = open_fds();
	}
	ck_assert_int_eq(open_fds(), fds);
	p11_health(t, &h);
	ck_assert_uint_eq(h.recoveries, 20);
	p11_close(t);
}
END_TEST

START_TEST(test_hmac_key_found_again)
{
	static const unsigned char MID[] = { 0xe5, 0xea, 0x03 };
	const char *dir = tu_tmpdir();
	char *pin = tu_softhsm(dir, "unit"), cmd[1024];
	struct p11_token *t = NULL;
	unsigned char m1[P11_MAC_LEN], m2[P11_MAC_LEN], m3[P11_MAC_LEN];

	ck_assert_int_eq(p11_open(SOFTHSM_MODULE, "pkcs11:token=unit", pin,
	    &t), ESEAL_OK);
	ck_assert_int_eq(p11_secret_ensure(t, MID, sizeof(MID), "mac", 1),
	    ESEAL_OK);
	ck_assert_int_eq(p11_hmac(t, MID, sizeof(MID), (const unsigned char *)
	    "rec", 3, m1), ESEAL_OK);
	/* The handle kept from the first: the same key, the same MAC. */
	ck_assert_int_eq(p11_hmac(t, MID, sizeof(MID), (const unsigned char *)
	    "rec", 3, m2), ESEAL_OK);
	ck_assert_int_eq(memcmp(m1, m2, sizeof(m1)), 0);
	/* Destroyed by another process: never the gone key's handle. */
	snprintf(cmd, sizeof(cmd), "pkcs11-tool --module %s --token-label "
	    "unit --login --pin %s --delete-object --type secrkey --id e5ea03 "
	    ">/dev/null 2>&1", SOFTHSM_MODULE, pin);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(p11_hmac(t, MID, sizeof(MID), (const unsigned char *)
	    "rec", 3, m3), ESEAL_ENOTFOUND);
	/* Made again: found again, a new key, another MAC. */
	ck_assert_int_eq(p11_secret_ensure(t, MID, sizeof(MID), "mac", 1),
	    ESEAL_OK);
	ck_assert_int_eq(p11_hmac(t, MID, sizeof(MID), (const unsigned char *)
	    "rec", 3, m3), ESEAL_OK);
	ck_assert_int_ne(memcmp(m1, m3, sizeof(m1)), 0);
	p11_close(t);
	free(pin);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("p11");
	TCase *tc = tcase_create("p11");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_keygen_each_type, 0,
	    sizeof(types) / sizeof(types[0]));
	tcase_add_test(tc, test_find_by_id);
	tcase_add_test(tc, test_identity_and_mechanisms);
	tcase_add_test(tc, test_hmac_key_found_again);
	tcase_add_test(tc, test_not_extractable);
	tcase_add_test(tc, test_lost_session_recovered);
	tcase_add_test(tc, test_token_files_moved_away_and_back);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_rv_classes);
	tcase_add_test(tc, test_files_gone_sessions_kept);
	tcase_add_test(tc, test_watch_recovers);
	tcase_add_test(tc, test_pin_refused_not_retried);
	tcase_add_test(tc, test_reloads_do_not_leak);
	tcase_add_loop_test(tc, test_stuck_call_gives_up, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
