/*
 * account.c: operator accounts on top of store_account.c: roles, the
 * argon2id limits, initial passwords, and what an administrator does to
 * an account (add, reset, mark compromised, disable and enable, list).  Logins and sessions
 * are session.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "account.h"
#include "account_int.h"
#include "audit.h"
#include "conf.h"
#include "store_account.h"

#define INITIAL_PW_GROUPS	4	/* initial password: 4 groups of 5 */
#define INITIAL_PW_GROUP_LEN	5	/* characters, 57 symbols: ~117 bits */

_Static_assert(STORE_PWHASH_MAX >= crypto_pwhash_STRBYTES,
    "a password hash fits the store's field");
_Static_assert(ACCOUNT_NAME_MAX == STORE_ACCOUNT_NAME_MAX,
    "user names have one limit");
_Static_assert(INITIAL_PW_GROUPS * (INITIAL_PW_GROUP_LEN + 1) ==
    ACCOUNT_INITIAL_PW_SIZE, "an initial password fits its buffer");
_Static_assert(INITIAL_PW_GROUPS * INITIAL_PW_GROUP_LEN >= ACCOUNT_PASSWORD_MIN,
    "an initial password meets the length floor");

/* No 0/O, 1/l/I: an initial password is read out or copied by hand. */
static const char pw_alphabet[] =
    "23456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

static const char *const role_names[ROLE_MAX] = {
	[ROLE_ADMIN] = "admin",
	[ROLE_RA] = "ra",
	[ROLE_AUDITOR] = "auditor",
};

const char *
role_name(enum role r)
{
	return (r >= 0 && r < ROLE_MAX) ? role_names[r] : "?";
}

int
role_parse(const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < ROLE_MAX; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

void
account_params_default(struct account_params *p)
{
	memset(p, 0, sizeof(*p));
	p->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	p->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	p->idle_secs = 900;
	p->absolute_secs = 28800;
	p->lock_after = 5;
	p->lock_secs = 300;
}

int
valid_username(const char *name)
{
	size_t n;

	if (name == NULL || (n = strlen(name)) == 0 || n >= ACCOUNT_NAME_MAX)
		return 0;
	/* Not starting with '-' or '.': it is also a command-line argument. */
	if (!((name[0] >= 'a' && name[0] <= 'z') ||
	    (name[0] >= '0' && name[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '.' || name[i] == '_' || name[i] == '-'))
			return 0;
	return 1;
}

enum eseal_rc
account_ready(const struct account_params *p)
{
	if (sodium_init() < 0)
		return eseal_err(ESEAL_EINTERNAL, "account: libsodium cannot "
		    "start");
	if (p == NULL)
		return ESEAL_OK;
	if (p->opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	    p->opslimit > crypto_pwhash_OPSLIMIT_MAX ||
	    p->memlimit < crypto_pwhash_MEMLIMIT_MIN ||
	    p->memlimit > crypto_pwhash_MEMLIMIT_MAX)
		return eseal_err(ESEAL_ECONF, "account: [accounts] argon2: the "
		    "argon2id limits are out of libsodium's range");
	if (p->idle_secs <= 0 || p->absolute_secs <= 0 || p->lock_after <= 0 ||
	    p->lock_secs <= 0)
		return eseal_err(ESEAL_ECONF, "account: [accounts] "
		    "idle_timeout, absolute_timeout, lock_after and lock_secs "
		    "must be positive");
	return ESEAL_OK;
}

enum eseal_rc
account_pw_hash(const struct account_params *p, const char *pw, char *out)
{
	if (crypto_pwhash_str_alg(out, pw, strlen(pw), p->opslimit,
	    (size_t)p->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return eseal_err(ESEAL_ENOMEM, "account: argon2id: out of "
		    "memory");
	return ESEAL_OK;
}

/* A new initial password: four groups of five characters joined by "-". */
static void
initial_password(char *out)
{
	size_t o = 0;

	for (int g = 0; g < INITIAL_PW_GROUPS; g++) {
		if (g > 0)
			out[o++] = '-';
		for (int i = 0; i < INITIAL_PW_GROUP_LEN; i++)
			out[o++] = pw_alphabet[randombytes_uniform(
			    (uint32_t)(sizeof(pw_alphabet) - 1))];
	}
	out[o] = '\0';
}

static void
info_from(const struct store_account *a, struct account_info *ai)
{
	int r = role_parse(a->role);

	memset(ai, 0, sizeof(*ai));
	ai->id = a->id;
	snprintf(ai->username, sizeof(ai->username), "%s", a->username);
	ai->role = r < 0 ? ROLE_MAX : (enum role)r;	/* ROLE_MAX may nothing */
	ai->must_change = a->must_change;
	ai->compromised = a->compromised;
	ai->disabled = a->disabled;
	ai->locked_until = a->throttle.locked_until;
	ai->created = a->created;
	ai->updated = a->updated;
}

/* Looks up an account for an administrative action on it. */
static enum eseal_rc
lookup(struct store *s, const char *username, const char *actor,
    struct store_account *a)
{
	enum eseal_rc rc;

	memset(a, 0, sizeof(*a));
	if (actor == NULL || *actor == '\0')
		return eseal_err(ESEAL_EINVAL, "account: panel point 3: every "
		    "change names its actor for the audit record");
	if (!valid_username(username))	/* not echoed: it is not a name */
		return eseal_err(ESEAL_ENOTFOUND, "account: no such account");
	if ((rc = store_account_by_name(s, username, a)) == ESEAL_ENOTFOUND)
		return eseal_err(ESEAL_ENOTFOUND, "account: no account named "
		    "\"%s\"", username);
	return rc;
}

/* ESEAL_EEXIST for a name that has an account, saying if it is disabled. */
static enum eseal_rc
taken(struct store *s, const char *username)
{
	struct store_account a;
	int disabled;

	disabled = store_account_by_name(s, username, &a) == ESEAL_OK &&
	    a.disabled;
	sodium_memzero(&a, sizeof(a));
	if (disabled)
		return eseal_err(ESEAL_EEXIST, "account: panel point 3: \"%s\" "
		    "is a disabled account: its name stays reserved, so the "
		    "audit trail names one person (esealctl account enable "
		    "%s)", username, username);
	return eseal_err(ESEAL_EEXIST, "account: an account named \"%s\" "
	    "already exists", username);
}

enum eseal_rc
account_add(struct store *s, const struct account_params *p,
    const char *username, enum role role, int64_t now, const char *actor,
    char *pw_out, size_t pw_len)
{
	char hash[crypto_pwhash_STRBYTES];
	struct store_account a;
	enum eseal_rc rc;
	int64_t id;

	memset(&a, 0, sizeof(a));
	if (pw_out == NULL || pw_len < ACCOUNT_INITIAL_PW_SIZE)
		return eseal_err(ESEAL_EINVAL, "account: account.h "
		    "ACCOUNT_INITIAL_PW_SIZE: the password buffer needs %d "
		    "bytes", ACCOUNT_INITIAL_PW_SIZE);
	pw_out[0] = '\0';
	if ((rc = account_ready(p)) != ESEAL_OK)
		return rc;
	if (actor == NULL || *actor == '\0')
		return eseal_err(ESEAL_EINVAL, "account: panel point 3: every "
		    "change names its actor for the audit record");
	if (!valid_username(username))
		return eseal_err(ESEAL_EINVAL, "account: POSIX.1-2017 3.437 "
		    "(portable user names, in lower case): a user name is 1 to "
		    "%d of a-z 0-9 . _ -, starting with a letter or digit",
		    ACCOUNT_NAME_MAX - 1);
	if (strcmp(username, ACCOUNT_UNKNOWN_ACTOR) == 0)
		return eseal_err(ESEAL_EINVAL, "account: panel point 3: \"%s\" "
		    "is the audit trail's actor for names without an account, "
		    "so no account may have it", ACCOUNT_UNKNOWN_ACTOR);
	if (role < 0 || role >= ROLE_MAX)
		return eseal_err(ESEAL_EINVAL, "account: REQUIREMENTS.md \"Who "
		    "uses it\": a role is admin, ra or auditor");

	initial_password(pw_out);
	if ((rc = account_pw_hash(p, pw_out, hash)) != ESEAL_OK)
		goto out;
	snprintf(a.username, sizeof(a.username), "%s", username);
	snprintf(a.role, sizeof(a.role), "%s", role_name(role));
	memcpy(a.password_hash, hash, sizeof(hash));
	a.must_change = 1;
	if ((rc = store_begin(s)) != ESEAL_OK)
		goto out;
	if ((rc = store_account_insert(s, &a, now, &id)) != ESEAL_OK ||
	    (rc = audit_append(s, now, actor, "account.add", username,
	    "role=%s", role_name(role))) != ESEAL_OK) {
		store_rollback(s);
		if (rc == ESEAL_EEXIST)
			rc = taken(s, username);
		goto out;
	}
	rc = store_commit(s);
out:
	if (rc != ESEAL_OK)
		sodium_memzero(pw_out, pw_len);
	return rc;
}

enum eseal_rc
account_reset(struct store *s, const struct account_params *p,
    const char *username, int64_t now, const char *actor, char *pw_out,
    size_t pw_len)
{
	char hash[crypto_pwhash_STRBYTES];
	struct store_account a;
	enum eseal_rc rc;
	int64_t ended;

	if (pw_out == NULL || pw_len < ACCOUNT_INITIAL_PW_SIZE)
		return eseal_err(ESEAL_EINVAL, "account: account.h "
		    "ACCOUNT_INITIAL_PW_SIZE: the password buffer needs %d "
		    "bytes", ACCOUNT_INITIAL_PW_SIZE);
	pw_out[0] = '\0';
	if ((rc = account_ready(p)) != ESEAL_OK ||
	    (rc = lookup(s, username, actor, &a)) != ESEAL_OK)
		return rc;

	initial_password(pw_out);
	if ((rc = account_pw_hash(p, pw_out, hash)) != ESEAL_OK)
		goto out;
	if ((rc = store_begin(s)) != ESEAL_OK)
		goto out;
	if ((rc = store_account_set_password(s, a.id, hash, 1, 0, now))
	    != ESEAL_OK ||
	    (rc = store_session_delete_account(s, a.id, NULL, &ended))
	    != ESEAL_OK ||
	    (rc = audit_append(s, now, actor, "account.reset", username,
	    "initial password issued; %lld sessions ended", (long long)ended))
	    != ESEAL_OK) {
		store_rollback(s);
		goto out;
	}
	rc = store_commit(s);
out:
	if (rc != ESEAL_OK)
		sodium_memzero(pw_out, pw_len);
	return rc;
}

enum eseal_rc
account_compromise(struct store *s, const char *username, int64_t now,
    const char *actor)
{
	struct store_account a;
	enum eseal_rc rc;
	int64_t ended;

	if ((rc = account_ready(NULL)) != ESEAL_OK ||
	    (rc = lookup(s, username, actor, &a)) != ESEAL_OK)
		return rc;
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = store_account_set_compromised(s, a.id, now)) != ESEAL_OK ||
	    (rc = store_session_delete_account(s, a.id, NULL, &ended))
	    != ESEAL_OK ||
	    (rc = audit_append(s, now, actor, "account.compromise", username,
	    "password change forced; %lld sessions ended", (long long)ended))
	    != ESEAL_OK) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

enum eseal_rc
account_set_disabled(struct store *s, const char *username, int disabled,
    int64_t now, const char *actor)
{
	struct store_account a;
	enum eseal_rc rc;
	int64_t ended = 0;

	if ((rc = account_ready(NULL)) != ESEAL_OK ||
	    (rc = lookup(s, username, actor, &a)) != ESEAL_OK)
		goto out;
	if ((rc = store_begin(s)) != ESEAL_OK)
		goto out;
	/* Read again inside the transaction: the state may have changed. */
	if ((rc = store_account_by_id(s, a.id, &a)) != ESEAL_OK)
		goto fail;
	if ((a.disabled != 0) == (disabled != 0)) {
		rc = eseal_err(ESEAL_EEXIST, "account: \"%s\" is %s already",
		    username, disabled ? "disabled" : "enabled");
		goto fail;
	}
	if ((rc = store_account_set_disabled(s, a.id, disabled, now)) !=
	    ESEAL_OK ||
	    (disabled && (rc = store_session_delete_account(s, a.id, NULL,
	    &ended)) != ESEAL_OK))
		goto fail;
	if (disabled)
		rc = audit_append(s, now, actor, "account.disable", username,
		    "login refused; %lld sessions ended", (long long)ended);
	else
		rc = audit_append(s, now, actor, "account.enable", username,
		    "login allowed again");
	if (rc != ESEAL_OK)
		goto fail;
	rc = store_commit(s);
	goto out;
fail:
	store_rollback(s);
out:
	sodium_memzero(&a, sizeof(a));
	return rc;
}

enum eseal_rc
account_list(struct store *s, struct account_info **out, size_t *n)
{
	struct store_account *v;
	struct account_info *ai = NULL;
	enum eseal_rc rc;
	size_t cnt;

	*out = NULL;
	*n = 0;
	if ((rc = store_account_list(s, &v, &cnt)) != ESEAL_OK)
		return rc;
	if (cnt > 0 && (ai = calloc(cnt, sizeof(*ai))) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "account: out of memory");
		goto out;
	}
	for (size_t i = 0; i < cnt; i++)
		info_from(&v[i], &ai[i]);
	*out = ai;
	*n = cnt;
out:
	/* The records hold password hashes: leave no copy behind. */
	if (v != NULL)
		sodium_memzero(v, cnt * sizeof(*v));
	free(v);
	return rc;
}

enum eseal_rc
account_get(struct store *s, const char *username, struct account_info *ai)
{
	struct store_account a;
	enum eseal_rc rc;

	memset(ai, 0, sizeof(*ai));
	if (!valid_username(username))
		return eseal_err(ESEAL_ENOTFOUND, "account: no such account");
	rc = store_account_by_name(s, username, &a);
	if (rc == ESEAL_OK)
		info_from(&a, ai);
	else if (rc == ESEAL_ENOTFOUND)
		rc = eseal_err(ESEAL_ENOTFOUND, "account: no account named "
		    "\"%s\"", username);
	sodium_memzero(&a, sizeof(a));
	return rc;
}

void
account_params_conf(struct account_params *p, const struct conf *c)
{
	static const struct {
		unsigned long long	ops;
		size_t			mem;
	} argon[4] = {
		{ crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN },
		{ crypto_pwhash_OPSLIMIT_INTERACTIVE,
		  crypto_pwhash_MEMLIMIT_INTERACTIVE },
		{ crypto_pwhash_OPSLIMIT_MODERATE,
		  crypto_pwhash_MEMLIMIT_MODERATE },
		{ crypto_pwhash_OPSLIMIT_SENSITIVE,
		  crypto_pwhash_MEMLIMIT_SENSITIVE },
	};
	int i = c->acct_argon2 >= 0 && c->acct_argon2 < 4 ? c->acct_argon2 : 1;

	account_params_default(p);
	p->opslimit = argon[i].ops;
	p->memlimit = argon[i].mem;
	p->idle_secs = c->acct_idle;
	p->absolute_secs = c->acct_absolute;
	p->lock_after = c->acct_lock_after;
	p->lock_secs = c->acct_lock_secs;
}
