/*
 * totp.c: second factors by TOTP (totp.h).  liboath computes and checks
 * the codes; this file keeps the secrets sealed (AES-256-GCM, a fresh
 * 96-bit nonce each time, the account id as associated data so a sealed
 * secret copied onto another account does not open) and refuses replays
 * through the step recorded in the store.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liboath/oath.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "audit.h"
#include "store_account.h"
#include "store_totp.h"
#include "totp.h"

#define NONCE_LEN	12	/* GCM's 96-bit IV (SP 800-38D 8.2) */
#define TAG_LEN		16
#define BLOB_LEN	(NONCE_LEN + TOTP_SECRET_LEN + TAG_LEN)
#define KEY_FILE_MAX	256	/* bytes read from the key file */

#define MSG_NO_KEY	"totp: [security] totp_key_file is not set: second " \
			    "factors cannot be enrolled or checked"
#define MSG_WRONG	"totp: RFC 6238 5.2: wrong code"
#define MSG_REPLAY	"totp: RFC 6238 5.2: code already used (replay)"

_Static_assert(BLOB_LEN <= STORE_TOTP_BLOB_MAX, "a sealed secret fits");

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_ok;

static void
oath_start(void)
{
	oath_ok = oath_init() == OATH_OK;
}

enum eseal_rc
totp_key_load(const char *path, struct totp_key *out)
{
	char buf[KEY_FILE_MAX + 1];
	struct stat sb;
	size_t len, bin = 0;
	ssize_t n;
	int fd;

	memset(out, 0, sizeof(*out));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return eseal_err(ESEAL_ECONF, "[security] totp_key_file %s: "
		    "cannot open: %s", path, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return eseal_err(ESEAL_ECONF, "[security] totp_key_file %s: "
		    "not a regular file", path);
	}
	if ((sb.st_mode & 077) != 0) {
		close(fd);
		return eseal_err(ESEAL_ECONF, "[security] totp_key_file %s: "
		    "mode %04o lets group or others read it; the key must be "
		    "readable by its owner only (chmod 600)", path,
		    (unsigned)(sb.st_mode & 07777));
	}
	n = read(fd, buf, KEY_FILE_MAX);
	close(fd);
	if (n < 0)
		return eseal_err(ESEAL_ECONF, "[security] totp_key_file %s: %s",
		    path, strerror(errno));
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	if (len != 2 * TOTP_KEY_LEN || strspn(buf + len, "\r\n") !=
	    (size_t)n - len || sodium_hex2bin(out->key, TOTP_KEY_LEN, buf, len,
	    NULL, &bin, NULL) != 0 || bin != TOTP_KEY_LEN) {
		sodium_memzero(buf, sizeof(buf));
		sodium_memzero(out, sizeof(*out));
		return eseal_err(ESEAL_ECONF, "[security] totp_key_file %s: "
		    "must hold %d hexadecimal digits (an AES-256 key, e.g. "
		    "openssl rand -hex 32)", path, 2 * TOTP_KEY_LEN);
	}
	sodium_memzero(buf, sizeof(buf));
	out->set = 1;
	return ESEAL_OK;
}

/* The associated data binding a sealed secret to its account. */
static int
aad(int64_t id, char *buf, size_t len)
{
	return snprintf(buf, len, "eseal-totp-v1:%lld", (long long)id);
}

/* Seals secret into blob (BLOB_LEN bytes). */
static enum eseal_rc
seal(const struct totp_key *k, int64_t id, const unsigned char *secret,
    unsigned char *blob)
{
	EVP_CIPHER_CTX *c;
	char ad[48];
	int n, adl = aad(id, ad, sizeof(ad)), ok;

	randombytes_buf(blob, NONCE_LEN);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "totp: out of memory");
	ok = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->key, blob) &&
	    EVP_EncryptUpdate(c, NULL, &n, (unsigned char *)ad, adl) &&
	    EVP_EncryptUpdate(c, blob + NONCE_LEN, &n, secret,
	    TOTP_SECRET_LEN) && n == TOTP_SECRET_LEN &&
	    EVP_EncryptFinal_ex(c, blob + NONCE_LEN + n, &n) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    blob + NONCE_LEN + TOTP_SECRET_LEN);
	EVP_CIPHER_CTX_free(c);
	return ok ? ESEAL_OK : eseal_err(ESEAL_EINTERNAL, "totp: AES-256-GCM "
	    "encryption failed");
}

/* Opens blob into secret (TOTP_SECRET_LEN bytes). */
static enum eseal_rc
unseal(const struct totp_key *k, int64_t id, const unsigned char *blob,
    size_t len, unsigned char *secret)
{
	unsigned char tag[TAG_LEN];
	EVP_CIPHER_CTX *c;
	char ad[48];
	int n, adl = aad(id, ad, sizeof(ad)), ok;

	if (len != BLOB_LEN)
		return eseal_err(ESEAL_EINTERNAL, "totp: account %lld: the "
		    "sealed secret is %zu bytes, not %d", (long long)id, len,
		    BLOB_LEN);
	memcpy(tag, blob + NONCE_LEN + TOTP_SECRET_LEN, TAG_LEN);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "totp: out of memory");
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->key, blob) &&
	    EVP_DecryptUpdate(c, NULL, &n, (unsigned char *)ad, adl) &&
	    EVP_DecryptUpdate(c, secret, &n, blob + NONCE_LEN,
	    TOTP_SECRET_LEN) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) &&
	    EVP_DecryptFinal_ex(c, secret + n, &n) > 0;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		sodium_memzero(secret, TOTP_SECRET_LEN);
		return eseal_err(ESEAL_EINTERNAL, "totp: account %lld: the "
		    "sealed secret does not open under [security] "
		    "totp_key_file (another key, or the row was altered)",
		    (long long)id);
	}
	return ESEAL_OK;
}

/* Base32 of secret into out, without padding (as authenticator apps
 * take it). */
static enum eseal_rc
b32(const unsigned char *secret, char *out, size_t len)
{
	char *e = NULL;
	size_t n = 0;

	if (oath_base32_encode((const char *)secret, TOTP_SECRET_LEN, &e, &n)
	    != OATH_OK || n >= len) {
		free(e);
		return eseal_err(ESEAL_EINTERNAL, "totp: base32 failed");
	}
	while (n > 0 && e[n - 1] == '=')
		n--;
	memcpy(out, e, n);
	out[n] = '\0';
	sodium_memzero(e, n);
	free(e);
	return ESEAL_OK;
}

enum eseal_rc
totp_enrol(struct store *s, const struct totp_key *k, int64_t id,
    const char *username, int64_t now, struct totp_enrolment *out)
{
	unsigned char secret[TOTP_SECRET_LEN], blob[BLOB_LEN];
	struct store_totp t;
	enum eseal_rc rc;

	memset(out, 0, sizeof(*out));
	pthread_once(&oath_once, oath_start);
	if (!k->set)
		return eseal_err(ESEAL_EPOLICY, MSG_NO_KEY);
	if (!oath_ok)
		return eseal_err(ESEAL_EINTERNAL, "totp: liboath did not start");
	randombytes_buf(secret, sizeof(secret));
	if ((rc = seal(k, id, secret, blob)) != ESEAL_OK ||
	    (rc = b32(secret, out->secret_b32, sizeof(out->secret_b32))) !=
	    ESEAL_OK)
		goto out;
	/* Key URI format: otpauth://totp/ISSUER:USER?secret=...; user names
	 * are [a-z0-9._-], nothing to escape. */
	snprintf(out->uri, sizeof(out->uri), "otpauth://totp/%s:%s?secret=%s"
	    "&issuer=%s&algorithm=SHA1&digits=%d&period=%d", TOTP_ISSUER,
	    username, out->secret_b32, TOTP_ISSUER, TOTP_DIGITS, TOTP_STEP);
	if ((rc = store_begin(s)) != ESEAL_OK)
		goto out;
	if ((rc = store_totp_get(s, id, &t)) != ESEAL_OK)
		goto fail;
	if (t.blob_len > 0 && t.confirmed) {
		rc = eseal_err(ESEAL_EEXIST, "totp: panel point 6: this account "
		    "has a confirmed second factor; an administrator resets it "
		    "first (esealctl account totp-reset %s)", username);
		goto fail;
	}
	if ((rc = store_totp_set(s, id, blob, sizeof(blob), now)) != ESEAL_OK ||
	    (rc = audit_append(s, now, username, "account.totp_enrol",
	    username, "unconfirmed until its first code")) != ESEAL_OK)
		goto fail;
	rc = store_commit(s);
	goto out;
fail:
	store_rollback(s);
out:
	sodium_memzero(secret, sizeof(secret));
	if (rc != ESEAL_OK)
		sodium_memzero(out, sizeof(*out));
	return rc;
}

/* 1 if code is exactly TOTP_DIGITS ASCII digits. */
static int
valid_code(const char *code)
{
	if (code == NULL || strlen(code) != TOTP_DIGITS)
		return 0;
	return strspn(code, "0123456789") == TOTP_DIGITS;
}

enum eseal_rc
totp_verify(struct store *s, const struct totp_key *k, int64_t id,
    const char *code, int64_t now, int allow_pending)
{
	unsigned char secret[TOTP_SECRET_LEN];
	struct store_totp t;
	enum eseal_rc rc;
	int pos = 0, r;

	pthread_once(&oath_once, oath_start);
	if (!k->set)
		return eseal_err(ESEAL_EPOLICY, MSG_NO_KEY);
	if ((rc = store_totp_get(s, id, &t)) != ESEAL_OK)
		return rc;
	if (t.blob_len == 0 || (!t.confirmed && !allow_pending))
		return eseal_err(ESEAL_ENOTFOUND, "totp: no second factor "
		    "enrolled");
	if (!valid_code(code))
		return eseal_err(ESEAL_EAUTH, MSG_WRONG);
	if (!oath_ok)
		return eseal_err(ESEAL_EINTERNAL, "totp: liboath did not start");
	if ((rc = unseal(k, id, t.blob, t.blob_len, secret)) != ESEAL_OK)
		return rc;
	r = oath_totp_validate2((const char *)secret, sizeof(secret),
	    (time_t)now, TOTP_STEP, 0, TOTP_WINDOW, &pos, code);
	sodium_memzero(secret, sizeof(secret));
	if (r < 0)
		return eseal_err(ESEAL_EAUTH, MSG_WRONG);
	/* The step of the code, not of the clock: a code one step ahead
	 * spends that step, so the clock's next code cannot be replayed. */
	if ((rc = store_totp_use(s, id, now / TOTP_STEP + pos, now)) ==
	    ESEAL_EEXIST)
		return eseal_err(ESEAL_EAUTH, MSG_REPLAY);
	return rc;
}

enum eseal_rc
totp_confirm(struct store *s, const struct totp_key *k, int64_t id,
    const char *username, const char *code, int64_t now)
{
	struct store_totp t;
	enum eseal_rc rc, vr;

	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = store_totp_get(s, id, &t)) != ESEAL_OK)
		goto fail;
	if (t.blob_len == 0) {
		rc = eseal_err(ESEAL_ENOTFOUND, "totp: nothing to confirm: "
		    "POST /api/v1/session/totp without a code enrols first");
		goto fail;
	}
	if (t.confirmed) {
		rc = eseal_err(ESEAL_EEXIST, "totp: the second factor is "
		    "confirmed already");
		goto fail;
	}
	vr = totp_verify(s, k, id, code, now, 1);
	if (vr == ESEAL_EAUTH) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
		if ((rc = audit_append(s, now, username, "account.totp_fail",
		    username, "confirmation: %s", msg)) != ESEAL_OK)
			goto fail;
		if ((rc = store_commit(s)) != ESEAL_OK)
			return rc;
		return eseal_err(ESEAL_EAUTH, "%s", msg);
	}
	if ((rc = vr) != ESEAL_OK ||
	    (rc = audit_append(s, now, username, "account.totp_confirm",
	    username, "second factor in force")) != ESEAL_OK)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}

int
totp_enrolled(struct store *s, int64_t id)
{
	struct store_totp t;

	if (store_totp_get(s, id, &t) != ESEAL_OK) {
		eseal_errclear();
		return 0;
	}
	return t.blob_len > 0 && t.confirmed;
}

/* The account named username, refusing an unknown one. */
static enum eseal_rc
by_name(struct store *s, const char *username, struct store_account *a)
{
	enum eseal_rc rc;

	if ((rc = store_account_by_name(s, username, a)) == ESEAL_ENOTFOUND)
		return eseal_err(ESEAL_ENOTFOUND, "account: no account \"%s\"",
		    username);
	return rc;
}

enum eseal_rc
totp_reset(struct store *s, const char *username, int64_t now,
    const char *actor)
{
	struct store_account a;
	struct store_totp t;
	enum eseal_rc rc;

	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = by_name(s, username, &a)) != ESEAL_OK ||
	    (rc = store_totp_get(s, a.id, &t)) != ESEAL_OK)
		goto fail;
	if (t.blob_len == 0) {
		rc = eseal_err(ESEAL_EEXIST, "account: \"%s\" has no second "
		    "factor to reset", username);
		goto fail;
	}
	if ((rc = store_totp_set(s, a.id, NULL, 0, now)) != ESEAL_OK ||
	    (rc = audit_append(s, now, actor, "account.totp_reset", username,
	    "second factor removed (%s)", t.confirmed ? "confirmed" :
	    "unconfirmed")) != ESEAL_OK)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}

enum eseal_rc
totp_require(struct store *s, const char *username, int on, int64_t now,
    const char *actor)
{
	struct store_account a;
	enum eseal_rc rc;

	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = by_name(s, username, &a)) != ESEAL_OK ||
	    (rc = store_totp_require(s, a.id, on, now)) != ESEAL_OK ||
	    (rc = audit_append(s, now, actor, "account.require_2fa", username,
	    "%s", on ? "second factor required even inside the zone" :
	    "second factor required outside the zone only")) != ESEAL_OK)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}

enum eseal_rc
totp_login(struct store *s, const struct login_factors *lf, int64_t id,
    unsigned role_bit, int slowed, int64_t now, char *factors, size_t len,
    int *counts)
{
	static const struct totp_key none;
	struct store_totp t;
	enum eseal_rc rc;
	const char *why;

	*counts = 0;
	snprintf(factors, len, "password");
	if ((rc = store_totp_get(s, id, &t)) != ESEAL_OK)
		return rc;
	if (lf->in_zone && !t.require_2fa && !(lf->require_roles & role_bit) &&
	    !slowed)
		return ESEAL_OK;
	why = !lf->in_zone ? "from outside [security] secure_zone" :
	    t.require_2fa ? "for this account (esealctl account "
	    "require-2fa)" : (lf->require_roles & role_bit) ? "for this role "
	    "([security] require_second_factor)" : "to pass this name's "
	    "failed-login backoff";
	if (lf->cert) {
		snprintf(factors, len, "password+cert");
		return ESEAL_OK;
	}
	if (t.blob_len == 0 || !t.confirmed)
		return eseal_err(ESEAL_EAUTH, "session: panel point 6: a second "
		    "factor is needed %s, and this account has none: enrol "
		    "one from inside the zone (POST /api/v1/session/totp) or "
		    "use an operator client certificate", why);
	if (lf->code == NULL || lf->code[0] == '\0')
		return eseal_err(ESEAL_EAUTH, "session: panel point 6: a second "
		    "factor is needed %s: send the current TOTP code as "
		    "\"totp\"", why);
	rc = totp_verify(s, lf->key != NULL ? lf->key : &none, id, lf->code,
	    now, 0);
	if (rc == ESEAL_EAUTH)
		*counts = 1;
	if (rc == ESEAL_OK)
		snprintf(factors, len, "password+totp");
	return rc;
}
