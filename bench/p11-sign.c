/*
 * p11-sign.c: signatures per second with one key on a PKCS#11 token, the
 * ceiling every issuance and OCSP figure of bench/ is read against.
 *
 *   p11-sign MODE KEYTYPE THREADS SECONDS MODULE TOKEN-LABEL PIN-FILE
 *
 * MODE p11: through the project's own layer, as the CA signs: one
 *           p11_with_key() per signature, EVP_DigestSign (SHA-256, SHA-384
 *           for P-384) of a 200-byte message, as sign.c does.
 * MODE raw: plain PKCS#11 calls, no libp11: C_SignInit + C_Sign of a
 *           prepared digest (CKM_ECDSA) or the message (CKM_SHA256_RSA_PKCS),
 *           one session per thread: what the token itself can do.
 * The key (CKA_ID "bench-KEYTYPE") is made on the token by the project's
 * p11_generate() if it is not there.  Prints one line: signatures per
 * second, all threads together.  A measuring tool: the one place outside
 * src/hsm/p11.c that calls PKCS#11 directly, on purpose.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <p11-kit/pkcs11.h>

#include "keytype.h"
#include "p11.h"

#define THREADS_MAX	64

static struct {
	int			 raw;
	enum key_type		 kt;
	double			 secs;
	struct p11_token	*tok;
	CK_FUNCTION_LIST_PTR	 f;
	CK_SLOT_ID		 slot;
	char			 pin[64];
	unsigned char		 id[32];
	size_t			 id_len;
	unsigned char		 msg[200];
} g;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
sign_one(EVP_PKEY *key, void *arg)
{
	const EVP_MD *md = g.kt == KEY_EC_P384 ? EVP_sha384() : EVP_sha256();
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	(void)arg;
	ok = m != NULL && EVP_DigestSignInit(m, NULL, md, NULL, key) == 1 &&
	    EVP_DigestSign(m, sig, &siglen, g.msg, sizeof(g.msg)) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

/* A session of our own, logged in (the first login counts for all). */
static CK_OBJECT_HANDLE
raw_key(CK_SESSION_HANDLE *s)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
	    { CKA_ID, g.id, g.id_len } };
	CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	CK_RV rv;

	if (g.f->C_OpenSession(g.slot, CKF_SERIAL_SESSION, NULL, NULL, s) !=
	    CKR_OK)
		return CK_INVALID_HANDLE;
	rv = g.f->C_Login(*s, CKU_USER, (CK_UTF8CHAR_PTR)g.pin, strlen(g.pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return CK_INVALID_HANDLE;
	if (g.f->C_FindObjectsInit(*s, t, 2) != CKR_OK ||
	    g.f->C_FindObjects(*s, &k, 1, &n) != CKR_OK || n != 1)
		k = CK_INVALID_HANDLE;
	g.f->C_FindObjectsFinal(*s);
	return k;
}

static void *
worker(void *arg)
{
	unsigned long *count = arg;
	unsigned char dg[SHA384_DIGEST_LENGTH], sig[1024];
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
	const unsigned char *in = dg;
	CK_ULONG inlen = 0, siglen;
	double end;

	if (g.raw) {
		if ((k = raw_key(&s)) == CK_INVALID_HANDLE)
			return NULL;
		if (g.kt == KEY_EC_P384) {
			SHA384(g.msg, sizeof(g.msg), dg);
			inlen = SHA384_DIGEST_LENGTH;
		} else if (g.kt == KEY_EC_P256) {
			SHA256(g.msg, sizeof(g.msg), dg);
			inlen = SHA256_DIGEST_LENGTH;
		} else {
			mech.mechanism = CKM_SHA256_RSA_PKCS;
			in = g.msg;
			inlen = sizeof(g.msg);
		}
	}
	end = now() + g.secs;
	while (now() < end)
		for (int i = 0; i < 16; i++) {
			if (g.raw) {
				siglen = sizeof(sig);
				if (g.f->C_SignInit(s, &mech, k) != CKR_OK ||
				    g.f->C_Sign(s, (CK_BYTE_PTR)in, inlen, sig,
				    &siglen) != CKR_OK)
					return NULL;
			} else if (p11_with_key(g.tok, g.id, g.id_len, sign_one,
			    NULL) != ESEAL_OK)
				return NULL;
			(*count)++;
		}
	if (g.raw)
		g.f->C_CloseSession(s);
	return count;
}

/* The slot whose token is labelled label (blank-padded in CK_TOKEN_INFO). */
static int
raw_open(const char *module, const char *label)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	CK_C_INITIALIZE_ARGS ia = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK,
	    NULL };
	CK_TOKEN_INFO ti;
	void *h;

	if ((h = dlopen(module, RTLD_NOW)) == NULL ||
	    (get = (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(h,
	    "C_GetFunctionList")) == NULL || get(&g.f) != CKR_OK ||
	    g.f->C_Initialize(&ia) != CKR_OK ||
	    g.f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return 0;
	for (CK_ULONG i = 0; i < n; i++) {
		size_t l = strlen(label);

		if (g.f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    l <= sizeof(ti.label) && memcmp(ti.label, label, l) == 0 &&
		    (l == sizeof(ti.label) || ti.label[l] == ' ')) {
			g.slot = slots[i];
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static unsigned long counts[THREADS_MAX];
	pthread_t th[THREADS_MAX];
	char uri[256];
	FILE *pf;
	int nth, kt;
	double t0, t1;
	unsigned long total = 0;

	if (argc != 8 || (kt = key_type_parse(argv[2])) < 0 ||
	    (nth = atoi(argv[3])) < 1 || nth > THREADS_MAX ||
	    (g.secs = atof(argv[4])) <= 0) {
		fprintf(stderr, "usage: p11-sign p11|raw KEYTYPE THREADS "
		    "SECONDS MODULE TOKEN-LABEL PIN-FILE\n");
		return 2;
	}
	g.raw = strcmp(argv[1], "raw") == 0;
	g.kt = (enum key_type)kt;
	memset(g.msg, 0xa5, sizeof(g.msg));
	g.id_len = (size_t)snprintf((char *)g.id, sizeof(g.id), "bench-%s",
	    argv[2]);
	if ((pf = fopen(argv[7], "r")) == NULL ||
	    fgets(g.pin, sizeof(g.pin), pf) == NULL)
		return 1;
	fclose(pf);
	g.pin[strcspn(g.pin, "\r\n")] = '\0';
	snprintf(uri, sizeof(uri), "pkcs11:token=%s", argv[6]);
	if (p11_open(argv[5], uri, g.pin, &g.tok) != ESEAL_OK) {
		fprintf(stderr, "p11-sign: %s\n", eseal_errmsg());
		return 1;
	}
	if (p11_generate(g.tok, g.kt, g.id, g.id_len, (char *)g.id) !=
	    ESEAL_OK && eseal_errmsg()[0] != '\0' &&
	    strstr(eseal_errmsg(), "exist") == NULL) {
		fprintf(stderr, "p11-sign: %s\n", eseal_errmsg());
		return 1;
	}
	if (g.raw) {
		p11_close(g.tok);	/* C_Finalize: the module is ours now */
		g.tok = NULL;
	}
	if (g.raw && !raw_open(argv[5], argv[6])) {
		fprintf(stderr, "p11-sign: %s: no token \"%s\"\n", argv[5],
		    argv[6]);
		return 1;
	}
	t0 = now();
	for (int i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, worker, &counts[i]);
	for (int i = 0; i < nth; i++) {
		void *r;

		pthread_join(th[i], &r);
		if (r == NULL) {
			fprintf(stderr, "p11-sign: a signature failed\n");
			return 1;
		}
		total += counts[i];
	}
	t1 = now();
	printf("%.0f\n", total / (t1 - t0));
	if (g.tok != NULL)
		p11_close(g.tok);
	return 0;
}
