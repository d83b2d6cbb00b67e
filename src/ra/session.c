/*
 * session.c: operator logins and sessions on top of store_account.c.
 *
 * The slow part of a login (argon2id) runs outside any store transaction,
 * so one login does not hold up the store; the counters are then read again
 * and written inside a transaction, with the audit record, so concurrent
 * attempts are all counted.  A name with no account goes through the same
 * steps against a dummy hash and its own counters (login_failures, keyed by
 * SHA-256 of the name), so neither the answer, the time taken nor a
 * backoff tells whether an account exists.  The counting, per name and per
 * client address, is throttle.c's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "account_int.h"
#include "audit.h"
#include "metrics.h"
#include "session.h"
#include "store_account.h"
#include "store_totp.h"
#include "throttle_int.h"

#define TOKEN_BYTES		32	/* random bytes in a bearer token */

/* The refusals, each naming its rule; the first two are the same for every
 * name, so that they tell nothing about which accounts exist. */
#define MSG_BAD_LOGIN		"session: panel point 6: invalid username or " \
				    "password"
#define MSG_NAME_SLOW		"session: SP 800-63B 5.2.2, [accounts] " \
				    "lock_after: too many failed logins for " \
				    "this name; try again in %lld s"
#define MSG_ADDR_SLOW		"session: SP 800-63B 5.2.2, [accounts] " \
				    "lock_after: too many failed logins from " \
				    "this address; try again in %lld s"
#define MSG_ADDR_LOCKED		"session: SP 800-63B 5.2.2, [accounts] " \
				    "lock_after, lock_secs: too many failed " \
				    "logins from this address: it is locked " \
				    "for %lld s"
#define MSG_NO_SESSION		"session: SP 800-63B 7.1: not logged in, or " \
				    "the session ended"
#define MSG_EXPIRED		"session: SP 800-63B 7.2, [accounts] " \
				    "idle_timeout, absolute_timeout: the " \
				    "session expired; log in again"
#define MSG_NO_OPERATOR		"session: panel point 5: the client " \
				    "certificate's CN names no operator"
/* Said only to someone who knows the password (or holds the certificate). */
#define MSG_DISABLED		"session: EN 319 401 7.2 (human resources: " \
				    "access ends with the role): this account " \
				    "is disabled; an administrator can enable " \
				    "it (esealctl account enable)"

_Static_assert(SESSION_ADDR_MAX == STORE_ADDR_MAX,
    "client addresses have one limit");
_Static_assert(sodium_base64_ENCODED_LEN(TOKEN_BYTES,
    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == SESSION_TOKEN_LEN + 1,
    "a token is 43 characters of base64url");

/* 1 if s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int
valid_token(const char *t)
{
	if (t == NULL || strlen(t) != SESSION_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < SESSION_TOKEN_LEN; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '_'))
			return 0;
	return 1;
}

/*
 * Verifies pw against hash.  Overlong input is refused after the same work,
 * on an empty password, so that it costs what any other attempt costs.
 */
static int
pw_verify(const char *hash, const char *pw)
{
	size_t n = strlen(pw);
	int over = n > ACCOUNT_PASSWORD_MAX, ok;

	ok = crypto_pwhash_str_verify(hash, over ? "" : pw, over ? 0 : n) == 0;
	return ok && !over;
}

/*
 * A hash of a random password under the current limits, verified against
 * when the name has no account so that the attempt costs the same.  Made
 * once per set of limits.
 */
static pthread_mutex_t dummy_mu = PTHREAD_MUTEX_INITIALIZER;
static char dummy_hash[crypto_pwhash_STRBYTES];
static unsigned long long dummy_ops;
static size_t dummy_mem;

static enum eseal_rc
dummy_get(const struct account_params *p, char *out)
{
	unsigned char raw[16];
	char pw[2 * sizeof(raw) + 1];
	enum eseal_rc rc = ESEAL_OK;

	pthread_mutex_lock(&dummy_mu);
	if (dummy_hash[0] == '\0' || dummy_ops != p->opslimit ||
	    dummy_mem != p->memlimit) {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw));
		if ((rc = account_pw_hash(p, pw, dummy_hash)) == ESEAL_OK) {
			dummy_ops = p->opslimit;
			dummy_mem = p->memlimit;
		} else
			dummy_hash[0] = '\0';
		sodium_memzero(pw, sizeof(pw));
	}
	memcpy(out, dummy_hash, sizeof(dummy_hash));
	pthread_mutex_unlock(&dummy_mu);
	return rc;
}

static void
token_hash(const char *token, unsigned char out[STORE_TOKEN_HASH_LEN])
{
	crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

/* A new bearer token into out and its hash into hash. */
static void
token_new(char *out, unsigned char hash[STORE_TOKEN_HASH_LEN])
{
	unsigned char raw[TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	token_hash(out, hash);
}

static void
session_from(const struct store_account *a, int64_t expires,
    struct session_info *si)
{
	int r = role_parse(a->role);

	memset(si, 0, sizeof(*si));
	si->account_id = a->id;
	snprintf(si->username, sizeof(si->username), "%s", a->username);
	si->role = r < 0 ? ROLE_MAX : (enum role)r;
	si->must_change = a->must_change;
	si->expires = expires;
}

/*
 * The failure counters of a login name: the account's when it exists,
 * those kept for an unknown name (by name_hash) otherwise.
 */
static enum eseal_rc
throttle_get(struct store *s, int64_t id, const unsigned char *name_hash,
    struct store_account *a, struct store_throttle *t)
{
	enum eseal_rc rc;

	if (id == 0)
		return store_login_failure_get(s, name_hash, t);
	if ((rc = store_account_by_id(s, id, a)) == ESEAL_OK)
		*t = a->throttle;
	return rc;
}

/* One login attempt, as it goes from the slow check to the record. */
struct attempt {
	struct throttle_who who;	/* account, audit names, address */
	unsigned char	 name_hash[32];	/* key in login_failures */
	char		 hash[crypto_pwhash_STRBYTES];	 /* verified against */
	char		 rehash[crypto_pwhash_STRBYTES]; /* new limits, or "" */
	int		 ok;		/* the password verified */
	enum throttle_why why;		/* a throttle's refusal, or PASS */
	int64_t		 wait;		/* its seconds to wait */
	struct store_account account;	/* as read inside the transaction */
	struct store_session session;	/* the new session on success */
	const struct login_factors *lf;	/* besides the password */
	char		 factors[TOTP_FACTORS_MAX];	/* those used */
	char		 msg[320];	/* a second factor's refusal */
};

/* The refusal of a throttle, naming its rule and the wait. */
static enum eseal_rc
throttle_err(enum throttle_why why, int64_t wait)
{
	if (why == THROTTLE_ADDR_LOCKED)
		return eseal_err(ESEAL_ETOOMANY, MSG_ADDR_LOCKED, (long long)wait);
	if (why == THROTTLE_ADDR)
		return eseal_err(ESEAL_ETOOMANY, MSG_ADDR_SLOW, (long long)wait);
	return eseal_err(ESEAL_ETOOMANY, MSG_NAME_SLOW, (long long)wait);
}

/*
 * The second factor of a login whose password verified (totp_login), in
 * login_record's transaction: a refusal sets *refuse = ESEAL_EAUTH with
 * at->msg, counted as a failed login when a code was wrong or replayed.
 */
static enum eseal_rc
second_factor(struct store *s, const struct account_params *p,
    struct attempt *at, struct store_throttle *t, int64_t now,
    enum eseal_rc *refuse)
{
	struct throttle_who *w = &at->who;
	int r = role_parse(at->account.role), counts;
	enum eseal_rc rc;

	rc = totp_login(s, at->lf, w->id, r < 0 ? 0 : ROLE_BIT(r),
	    at->why == THROTTLE_NAME_FACTOR, now, at->factors,
	    sizeof(at->factors), &counts);
	if (rc != ESEAL_EAUTH)
		return rc;
	*refuse = ESEAL_EAUTH;
	snprintf(at->msg, sizeof(at->msg), "%s", eseal_errmsg());
	if (counts) {
		metrics_inc(M_LOGIN_FAIL, "");
		if ((rc = throttle_failed(s, p, w, t, now)) != ESEAL_OK ||
		    (rc = throttle_factor_failed(s, p, w, now)) != ESEAL_OK)
			return rc;
	}
	return audit_append(s, now, w->actor, "account.login_2fa_fail",
	    w->object, "%s zone=%s: %s", w->client_addr, at->lf->in_zone ?
	    "inside" : "outside", at->msg);
}

/*
 * The second half of a login: in one transaction, reads the counters again
 * (a concurrent attempt may have slowed the name or locked the address),
 * then records a refusal or the new session, with the audit records.  On
 * ESEAL_OK *refuse says whether the attempt was refused (ESEAL_ETOOMANY,
 * ESEAL_EAUTH, ESEAL_EFORBIDDEN) or let in; with at->why
 * THROTTLE_NAME_FACTOR any refusal is the name's backoff to the caller.
 */
static enum eseal_rc
login_record(struct store *s, const struct account_params *p,
    struct attempt *at, int64_t now, char *token_out, enum eseal_rc *refuse)
{
	struct throttle_who *w = &at->who;
	struct store_session *se = &at->session;
	struct store_throttle t;
	enum eseal_rc rc;
	int known, clear;

	*refuse = ESEAL_OK;
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	rc = throttle_get(s, w->id, at->name_hash, &at->account, &t);
	if (rc == ESEAL_ENOTFOUND) {
		/* The account went away meanwhile: refuse as unknown. */
		at->ok = 0;
		w->id = 0;
		w->actor = ACCOUNT_UNKNOWN_ACTOR;
		w->object = "";
		rc = store_login_failure_get(s, at->name_hash, &t);
	}
	if (rc != ESEAL_OK ||
	    (rc = throttle_check(s, w, &t, now, &at->why, &at->wait, &known))
	    != ESEAL_OK)
		goto out;
	if (at->why != THROTTLE_PASS && at->why != THROTTLE_NAME_FACTOR) {
		*refuse = ESEAL_ETOOMANY;
		goto out;
	}
	/* A password set meanwhile (reset, change) was not the one verified. */
	if (at->ok && strcmp(at->account.password_hash, at->hash) != 0)
		at->ok = 0;
	if (!at->ok) {
		*refuse = ESEAL_EAUTH;
		metrics_inc(M_LOGIN_FAIL, "");
		if ((rc = throttle_failed(s, p, w, &t, now)) == ESEAL_OK)
			rc = audit_append(s, now, w->actor, "account.login_fail",
			    w->object, "%s", w->client_addr);
		goto out;
	}
	/* Only now, the password verified, may the answer say disabled. */
	if (at->account.disabled) {
		*refuse = ESEAL_EFORBIDDEN;
		rc = audit_append(s, now, w->actor, "account.login_disabled",
		    w->object, "%s", w->client_addr);
		goto out;
	}

	if ((rc = second_factor(s, p, at, &t, now, refuse)) != ESEAL_OK ||
	    *refuse != ESEAL_OK)
		goto out;

	memset(se, 0, sizeof(*se));
	token_new(token_out, se->token_hash);
	se->account_id = w->id;
	se->created = se->last_used = now;
	se->expires = now + p->absolute_secs;
	snprintf(se->client_addr, sizeof(se->client_addr), "%s",
	    w->client_addr);
	if ((rc = throttle_success(s, w, known, now, &t, &clear)) != ESEAL_OK ||
	    (clear && (rc = store_account_set_throttle(s, w->id, &t, now)) !=
	    ESEAL_OK))
		goto out;
	if (at->rehash[0] != '\0' && (rc = store_account_rehash(s, w->id,
	    at->rehash, now)) != ESEAL_OK)
		goto out;
	if ((rc = store_session_prune(s, now, now - p->idle_secs)) != ESEAL_OK ||
	    (rc = store_session_insert(s, se)) != ESEAL_OK ||
	    (rc = store_session_set_factors(s, se->token_hash,
	    at->lf->in_zone, at->factors)) != ESEAL_OK)
		goto out;
	rc = audit_append(s, now, w->actor, "account.login", w->object,
	    "%s zone=%s factors=%s", w->client_addr, at->lf->in_zone ?
	    "inside" : "outside", at->factors);
out:
	if (rc != ESEAL_OK) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

enum eseal_rc
session_login(struct store *s, const struct account_params *p,
    const char *username, const char *password, const char *client_addr,
    int64_t now, char *token_out, struct session_info *si)
{
	static const struct login_factors inside = { 1, 0, NULL, 0, NULL };

	return session_login_factors(s, p, &inside, username, password,
	    client_addr, now, token_out, si);
}

enum eseal_rc
session_login_factors(struct store *s, const struct account_params *p,
    const struct login_factors *lf, const char *username,
    const char *password, const char *client_addr, int64_t now,
    char *token_out, struct session_info *si)
{
	char addr[SESSION_ADDR_MAX];
	struct store_account a;
	struct store_throttle t;
	struct attempt att, *at = &att;
	struct throttle_who *w = &at->who;
	enum eseal_rc rc, refuse;
	int known;

	memset(si, 0, sizeof(*si));
	memset(&a, 0, sizeof(a));
	memset(at, 0, sizeof(*at));
	token_out[0] = '\0';
	at->lf = lf;
	if ((rc = account_ready(p)) != ESEAL_OK)
		return rc;
	if (username == NULL)
		username = "";
	if (password == NULL)
		password = "";
	snprintf(addr, sizeof(addr), "%s", client_addr ? client_addr : "");
	w->client_addr = addr;
	w->actor = ACCOUNT_UNKNOWN_ACTOR;
	w->object = "";
	w->name_hash = at->name_hash;
	w->factor = (lf->code != NULL && lf->code[0] != '\0') || lf->cert;
	throttle_addr_key(w);

	/* Who: an account, or a name counted in login_failures. */
	crypto_hash_sha256(at->name_hash, (const unsigned char *)username,
	    strlen(username));
	if (valid_username(username)) {
		rc = store_account_by_name(s, username, &a);
		if (rc == ESEAL_OK) {
			w->id = a.id;
			w->actor = w->object = username;
		} else if (rc != ESEAL_ENOTFOUND)
			goto out;
		rc = ESEAL_OK;
	}
	if (w->id != 0)
		t = a.throttle;
	else if ((rc = store_login_failure_get(s, at->name_hash, &t))
	    != ESEAL_OK)
		goto out;
	/* Refused before the slow part: a throttled attempt costs nothing. */
	if ((rc = throttle_check(s, w, &t, now, &at->why, &at->wait, &known))
	    != ESEAL_OK)
		goto out;
	if (at->why != THROTTLE_PASS && at->why != THROTTLE_NAME_FACTOR) {
		rc = throttle_err(at->why, at->wait);
		goto out;
	}

	/* The slow part, outside any transaction. */
	if (w->id != 0)
		memcpy(at->hash, a.password_hash, sizeof(at->hash));
	else if ((rc = dummy_get(p, at->hash)) != ESEAL_OK)
		goto out;
	at->ok = pw_verify(at->hash, password) && w->id != 0;
	if (at->ok && crypto_pwhash_str_needs_rehash(at->hash, p->opslimit,
	    p->memlimit) != 0 &&
	    (rc = account_pw_hash(p, password, at->rehash)) != ESEAL_OK)
		goto out;

	if ((rc = login_record(s, p, at, now, token_out, &refuse)) != ESEAL_OK)
		goto out;
	/* Past the name's backoff on a second factor, any refusal is that
	 * backoff: it tells nothing about the password. */
	if (refuse == ESEAL_ETOOMANY || (refuse != ESEAL_OK &&
	    at->why == THROTTLE_NAME_FACTOR))
		rc = throttle_err(at->why, at->wait);
	else if (refuse == ESEAL_EFORBIDDEN)
		rc = eseal_err(ESEAL_EFORBIDDEN, MSG_DISABLED);
	else if (refuse != ESEAL_OK && at->msg[0] != '\0')
		rc = eseal_err(ESEAL_EAUTH, "%s", at->msg);
	else if (refuse != ESEAL_OK)
		rc = eseal_err(ESEAL_EAUTH, MSG_BAD_LOGIN);
	else {
		session_from(&at->account, at->session.expires, si);
		si->in_zone = lf->in_zone;
		memcpy(si->factors, at->factors, sizeof(si->factors));
		si->factors[sizeof(si->factors) - 1] = '\0';
	}
out:
	if (rc != ESEAL_OK) {
		sodium_memzero(token_out, SESSION_TOKEN_LEN + 1);
		memset(si, 0, sizeof(*si));
		si->retry_after = at->wait;
	}
	sodium_memzero(at, sizeof(*at));
	sodium_memzero(&a, sizeof(a));
	return rc;
}

/*
 * The live session of token into *se and its account into *a; deletes it
 * if it has expired.
 */
static enum eseal_rc
session_lookup(struct store *s, const struct account_params *p,
    const char *token, int64_t now, struct store_session *se,
    struct store_account *a)
{
	unsigned char th[STORE_TOKEN_HASH_LEN];
	enum eseal_rc rc;

	memset(a, 0, sizeof(*a));
	if (!valid_token(token))
		return eseal_err(ESEAL_EAUTH, MSG_NO_SESSION);
	token_hash(token, th);
	if ((rc = store_session_get(s, th, se)) == ESEAL_ENOTFOUND)
		return eseal_err(ESEAL_EAUTH, MSG_NO_SESSION);
	if (rc != ESEAL_OK)
		return rc;
	if (now >= se->expires || now - se->last_used >= p->idle_secs) {
		if ((rc = store_session_delete(s, th)) != ESEAL_OK &&
		    rc != ESEAL_ENOTFOUND)
			return rc;
		return eseal_err(ESEAL_EAUTH, MSG_EXPIRED);
	}
	if ((rc = store_account_by_id(s, se->account_id, a)) == ESEAL_ENOTFOUND)
		return eseal_err(ESEAL_EAUTH, MSG_NO_SESSION);
	/* Disabling ends the sessions; this holds if one slipped through. */
	if (rc == ESEAL_OK && a->disabled)
		return eseal_err(ESEAL_EAUTH, MSG_NO_SESSION);
	return rc;
}

enum eseal_rc
session_get(struct store *s, const struct account_params *p,
    const char *token, int64_t now, struct session_info *si)
{
	struct store_session se;
	struct store_account a;
	enum eseal_rc rc;

	memset(si, 0, sizeof(*si));
	if ((rc = account_ready(p)) != ESEAL_OK)
		return rc;
	if ((rc = session_lookup(s, p, token, now, &se, &a)) != ESEAL_OK)
		goto out;
	if (now > se.last_used &&
	    (rc = store_session_touch(s, se.token_hash, now)) != ESEAL_OK)
		goto out;
	session_from(&a, se.expires, si);
	if ((rc = store_session_factors(s, se.token_hash, &si->in_zone,
	    si->factors, sizeof(si->factors))) != ESEAL_OK)
		goto out;
out:
	sodium_memzero(&a, sizeof(a));
	return rc;
}

enum eseal_rc
session_logout(struct store *s, const char *token)
{
	int64_t now = (int64_t)time(NULL);
	unsigned char th[STORE_TOKEN_HASH_LEN];
	struct store_session se;
	struct store_account a;
	enum eseal_rc rc;

	memset(&a, 0, sizeof(a));
	if ((rc = account_ready(NULL)) != ESEAL_OK)
		return rc;
	if (!valid_token(token))
		return eseal_err(ESEAL_EAUTH, MSG_NO_SESSION);
	token_hash(token, th);
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = store_session_get(s, th, &se)) != ESEAL_OK ||
	    (rc = store_account_by_id(s, se.account_id, &a)) != ESEAL_OK ||
	    (rc = store_session_delete(s, th)) != ESEAL_OK ||
	    (rc = audit_append(s, now, a.username, "account.logout",
	    a.username, "%s", se.client_addr)) != ESEAL_OK) {
		store_rollback(s);
		if (rc == ESEAL_ENOTFOUND)
			rc = eseal_err(ESEAL_EAUTH, MSG_NO_SESSION);
		goto out;
	}
	rc = store_commit(s);
out:
	sodium_memzero(&a, sizeof(a));
	return rc;
}

enum eseal_rc
session_by_cert(struct store *s, const char *cn, struct session_info *si)
{
	struct store_account a;
	enum eseal_rc rc;

	memset(si, 0, sizeof(*si));
	if (!valid_username(cn))
		return eseal_err(ESEAL_EAUTH, MSG_NO_OPERATOR);
	if ((rc = store_account_by_name(s, cn, &a)) == ESEAL_OK && a.disabled)
		rc = eseal_err(ESEAL_EFORBIDDEN, MSG_DISABLED);
	else if (rc == ESEAL_OK)
		session_from(&a, 0, si);
	else if (rc == ESEAL_ENOTFOUND)
		rc = eseal_err(ESEAL_EAUTH, MSG_NO_OPERATOR);
	sodium_memzero(&a, sizeof(a));
	return rc;
}

/* The rules a new password must meet (SP 800-63B 5.1.1.2), or EINVAL. */
static enum eseal_rc
pw_acceptable(const char *username, const char *old_pw, const char *new_pw)
{
	size_t n = strlen(new_pw);

	if (n < ACCOUNT_PASSWORD_MIN)
		return eseal_err(ESEAL_EINVAL, "session: SP 800-63B 5.1.1.2: a "
		    "password is at least %d bytes long", ACCOUNT_PASSWORD_MIN);
	if (n > ACCOUNT_PASSWORD_MAX)
		return eseal_err(ESEAL_EINVAL, "session: SP 800-63B 5.1.1.2: a "
		    "password is at most %d bytes long", ACCOUNT_PASSWORD_MAX);
	if (!valid_utf8((const unsigned char *)new_pw, n))
		return eseal_err(ESEAL_EINVAL, "session: SP 800-63B 5.1.1.2, "
		    "RFC 3629: a password is valid UTF-8");
	if (strcasecmp(new_pw, username) == 0)
		return eseal_err(ESEAL_EINVAL, "session: SP 800-63B 5.1.1.2: a "
		    "password is not the user name");
	if (strlen(old_pw) == n && sodium_memcmp(old_pw, new_pw, n) == 0)
		return eseal_err(ESEAL_EINVAL, "session: panel point 6: the "
		    "new password differs from the old one");
	return ESEAL_OK;
}

/*
 * The second half of a password change, in one transaction: the counters
 * and hash as they are now, then the refusal or the new hash, the other
 * sessions ended and the audit record.  *refuse as in login_record.
 */
static enum eseal_rc
change_record(struct store *s, const struct account_params *p,
    const struct store_account *a, const struct store_session *se, int ok,
    const char *newhash, int64_t now, char *token_out, struct attempt *at,
    enum eseal_rc *refuse)
{
	char factors[TOTP_FACTORS_MAX];
	struct store_session ns;
	struct store_account cur;
	struct store_throttle t;
	enum eseal_rc rc;
	int64_t ended;
	int known, in_zone;

	*refuse = ESEAL_OK;
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = store_account_by_id(s, a->id, &cur)) != ESEAL_OK)
		goto out;
	t = cur.throttle;
	if ((rc = throttle_check(s, &at->who, &t, now, &at->why, &at->wait,
	    &known)) != ESEAL_OK)
		goto out;
	if (at->why != THROTTLE_PASS) {
		*refuse = ESEAL_ETOOMANY;
		goto out;
	}
	/* A password set meanwhile was not the one verified. */
	if (ok && strcmp(cur.password_hash, a->password_hash) != 0)
		ok = 0;
	if (!ok) {
		*refuse = ESEAL_EAUTH;
		metrics_inc(M_LOGIN_FAIL, "");
		if ((rc = throttle_failed(s, p, &at->who, &t, now)) ==
		    ESEAL_OK)
			rc = audit_append(s, now, a->username,
			    "account.password_fail", a->username, "%s",
			    se->client_addr);
		goto out;
	}
	/* Every session ends, this one too: a new one, on the new password,
	 * takes its place (panel point 6). */
	memset(&ns, 0, sizeof(ns));
	token_new(token_out, ns.token_hash);
	ns.account_id = a->id;
	ns.created = ns.last_used = now;
	ns.expires = now + p->absolute_secs;
	memcpy(ns.client_addr, se->client_addr, sizeof(ns.client_addr));
	/* The new session has what the old one was opened with. */
	if ((rc = store_session_factors(s, se->token_hash, &in_zone, factors,
	    sizeof(factors))) != ESEAL_OK ||
	    (rc = store_account_set_password(s, a->id, newhash, 0, 0, now))
	    != ESEAL_OK ||
	    (rc = store_session_delete_account(s, a->id, NULL, &ended))
	    != ESEAL_OK ||
	    (rc = store_session_insert(s, &ns)) != ESEAL_OK ||
	    (rc = store_session_set_factors(s, ns.token_hash, in_zone,
	    factors)) != ESEAL_OK)
		goto out;
	rc = audit_append(s, now, a->username, "account.password", a->username,
	    "%s; %lld sessions ended; new session", se->client_addr,
	    (long long)ended);
out:
	sodium_memzero(&cur, sizeof(cur));
	sodium_memzero(&ns, sizeof(ns));
	if (rc != ESEAL_OK) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

enum eseal_rc
session_change_password(struct store *s, const struct account_params *p,
    const char *token, const char *old_pw, const char *new_pw, int64_t now,
    char *token_out, struct session_info *si)
{
	char newhash[crypto_pwhash_STRBYTES];
	struct store_session se;
	struct store_account a;
	struct attempt att, *at = &att;
	enum eseal_rc rc, refuse;
	int ok, known;

	memset(&a, 0, sizeof(a));
	memset(at, 0, sizeof(*at));
	memset(si, 0, sizeof(*si));
	token_out[0] = '\0';
	newhash[0] = '\0';
	if ((rc = account_ready(p)) != ESEAL_OK)
		return rc;
	if (old_pw == NULL)
		old_pw = "";
	if (new_pw == NULL)
		new_pw = "";
	if ((rc = session_lookup(s, p, token, now, &se, &a)) != ESEAL_OK)
		goto out;
	at->who.id = a.id;
	at->who.actor = at->who.object = a.username;
	at->who.client_addr = se.client_addr;
	throttle_addr_key(&at->who);
	if ((rc = throttle_check(s, &at->who, &a.throttle, now, &at->why,
	    &at->wait, &known)) != ESEAL_OK)
		goto out;
	if (at->why != THROTTLE_PASS) {
		rc = throttle_err(at->why, at->wait);
		goto out;
	}
	if ((rc = pw_acceptable(a.username, old_pw, new_pw)) != ESEAL_OK)
		goto out;

	/* The slow part, outside any transaction. */
	ok = pw_verify(a.password_hash, old_pw);
	if (ok && (rc = account_pw_hash(p, new_pw, newhash)) != ESEAL_OK)
		goto out;

	if ((rc = change_record(s, p, &a, &se, ok, newhash, now, token_out,
	    at, &refuse)) != ESEAL_OK)
		goto out;
	if (refuse == ESEAL_ETOOMANY)
		rc = throttle_err(at->why, at->wait);
	else if (refuse != ESEAL_OK)
		rc = eseal_err(ESEAL_EAUTH, "session: panel point 6: the "
		    "current password is wrong");
	else {
		a.must_change = 0;
		session_from(&a, now + p->absolute_secs, si);
	}
out:
	if (rc != ESEAL_OK) {
		sodium_memzero(token_out, SESSION_TOKEN_LEN + 1);
		memset(si, 0, sizeof(*si));
		si->retry_after = at->wait;
	}
	sodium_memzero(newhash, sizeof(newhash));
	sodium_memzero(&a, sizeof(a));
	return rc;
}

enum eseal_rc
session_authorize(const struct session_info *si, unsigned roles_mask)
{
	char allowed[64] = "";

	if (si == NULL || si->account_id == 0)
		return eseal_err(ESEAL_EAUTH, MSG_NO_SESSION);
	if (si->must_change)
		return eseal_err(ESEAL_EFORBIDDEN, "session: panel point 6: "
		    "password change required (the initial password at first "
		    "login, or after a reset or compromise)");
	if (si->role >= 0 && si->role < ROLE_MAX &&
	    (roles_mask & ROLE_BIT(si->role)) != 0)
		return ESEAL_OK;
	for (int r = 0; r < ROLE_MAX; r++)
		if (roles_mask & ROLE_BIT(r)) {
			if (allowed[0] != '\0')
				strncat(allowed, ", ", sizeof(allowed) -
				    strlen(allowed) - 1);
			strncat(allowed, role_name((enum role)r),
			    sizeof(allowed) - strlen(allowed) - 1);
		}
	return eseal_err(ESEAL_EFORBIDDEN, "session: REQUIREMENTS.md \"Who "
	    "uses it\": role %s may not do this (allowed: %s)",
	    role_name(si->role),
	    allowed[0] != '\0' ? allowed : "nobody");
}

