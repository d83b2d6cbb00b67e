/*
 * p11_ident.c: who the token is (CK_TOKEN_INFO, CK_INFO), which the FIPS
 * registry judges before every issuance.  Part of the p11 module: it
 * shares p11_int.h with p11.c.
 *
 * Read once and kept for P11_IDENT_MS under the load it was read in:
 * SoftHSM's C_GetTokenInfo reads the token's files, 7 % of an issuance
 * when asked per certificate.  The token must still be loaded and up for
 * every answer (p11_acquire), a reload forgets it, and it is read again
 * within a second, so a token whose files went away is still noticed here
 * as before, one second later at most, and the signature itself fails
 * anyway.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "p11_int.h"

#define P11_IDENT_MS	1000	/* the identity asked of the token again
				   after this long */

/* Copies a blank-padded PKCS#11 string into a NUL-terminated one. */
static void
padcpy(char *dst, size_t dstsz, const unsigned char *src, size_t srclen)
{
	size_t n = srclen;

	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum eseal_rc
p11_identity(struct p11_token *t, struct p11_identity *out)
{
	CK_TOKEN_INFO ti;
	CK_INFO ci;
	enum eseal_rc rc;
	CK_RV rv;
	unsigned long gen;
	int64_t now;
	int r = 1, hit;

	memset(out, 0, sizeof(*out));
	for (int tries = 0; r > 0 && tries < 2; tries++) {
		if ((rc = p11_acquire(t, &gen)) != ESEAL_OK)
			return rc;
		now = now_ms();
		pthread_mutex_lock(&t->hmu);
		if ((hit = t->ident_gen == gen &&
		    now - t->ident_at < P11_IDENT_MS))
			*out = t->ident;
		pthread_mutex_unlock(&t->hmu);
		if (hit) {
			pthread_rwlock_unlock(&t->lock);
			return ESEAL_OK;
		}
		rv = t->fl->C_GetTokenInfo(t->slot_id, &ti);
		if (rv == CKR_OK)
			rv = t->fl->C_GetInfo(&ci);
		pthread_rwlock_unlock(&t->lock);
		if (rv == CKR_OK)
			break;
		/* CKR_GENERAL_ERROR here is SoftHSM's token files gone. */
		if ((r = p11_fault_seen(t, gen, rv, "C_GetTokenInfo")) < 0)
			return p11_unavailable(t);
	}
	if (rv != CKR_OK)
		return eseal_err(ESEAL_EHSM, "p11: C_GetTokenInfo: %s",
		    p11_rv_str(rv));
	padcpy(out->label, sizeof(out->label), ti.label, sizeof(ti.label));
	padcpy(out->manufacturer, sizeof(out->manufacturer), ti.manufacturerID,
	    sizeof(ti.manufacturerID));
	padcpy(out->model, sizeof(out->model), ti.model, sizeof(ti.model));
	padcpy(out->serial, sizeof(out->serial), ti.serialNumber,
	    sizeof(ti.serialNumber));
	out->hw_major = ti.hardwareVersion.major;
	out->hw_minor = ti.hardwareVersion.minor;
	out->fw_major = ti.firmwareVersion.major;
	out->fw_minor = ti.firmwareVersion.minor;
	padcpy(out->lib_manufacturer, sizeof(out->lib_manufacturer),
	    ci.manufacturerID, sizeof(ci.manufacturerID));
	padcpy(out->lib_description, sizeof(out->lib_description),
	    ci.libraryDescription, sizeof(ci.libraryDescription));
	out->lib_major = ci.libraryVersion.major;
	out->lib_minor = ci.libraryVersion.minor;
	/* Kept under the load it was read in: a reload never sees it. */
	pthread_mutex_lock(&t->hmu);
	t->ident = *out;
	t->ident_gen = gen;
	t->ident_at = now;
	pthread_mutex_unlock(&t->hmu);
	return ESEAL_OK;
}

