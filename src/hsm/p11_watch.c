/*
 * p11_watch.c: what a PKCS#11 failure means and what to do about it.
 * Return values are classified (lost session, lost token, failing device,
 * refused PIN, refused operation); the sign test (C_GetTokenInfo, our
 * session still logged in, the CA's key found, one raw signature) tells a
 * dead token from a refused request, where C_GetSessionInfo alone keeps
 * answering CKR_OK while SoftHSM's token files are gone; a fault marks the
 * token down, releases the libp11 context and loads it again; the watcher
 * thread repeats the sign test on a schedule and retries the reload while
 * the token is down, so it comes back without a restart.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "p11_int.h"

#define P11_PROBE_SIG_MAX	1024	/* RSA-4096 signs 512 bytes */
#define STR(x)			#x
#define STUCK_TEXT_(x)		STR(x)
#define STUCK_TEXT		STUCK_TEXT_(P11_STUCK_SECS)
#define P11_PROBE_DATA_LEN	32	/* the "digest" the sign test signs */

static const struct {
	unsigned long	 rv;
	const char	*name;
	enum p11_fault	 fault;
} rvs[] = {
	{ CKR_OK, "CKR_OK", P11_FAULT_NONE },
	{ CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN",
	  P11_FAULT_NONE },
	{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID",
	  P11_FAULT_SESSION },
	{ CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", P11_FAULT_SESSION },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", P11_FAULT_SESSION },
	{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID",
	  P11_FAULT_SESSION },
	{ CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", P11_FAULT_SESSION },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", P11_FAULT_TOKEN },
	{ CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED",
	  P11_FAULT_TOKEN },
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", P11_FAULT_TOKEN },
	{ CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", P11_FAULT_TOKEN },
	{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", P11_FAULT_DEVICE },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", P11_FAULT_DEVICE },
	{ CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", P11_FAULT_DEVICE },
	{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", P11_FAULT_DEVICE },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED",
	  P11_FAULT_DEVICE },
	{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", P11_FAULT_PIN },
	{ CKR_PIN_INVALID, "CKR_PIN_INVALID", P11_FAULT_PIN },
	{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", P11_FAULT_PIN },
	{ CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", P11_FAULT_PIN },
	{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED", P11_FAULT_PIN },
	{ CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED",
	  P11_FAULT_PIN },
	{ CKR_HOST_MEMORY, "CKR_HOST_MEMORY", P11_FAULT_REFUSED },
	{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", P11_FAULT_REFUSED },
	{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID", P11_FAULT_REFUSED },
	{ CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED",
	  P11_FAULT_REFUSED },
	{ CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED",
	  P11_FAULT_REFUSED },
};

static const char *const fault_names[P11_FAULT_MAX] = {
	[P11_FAULT_NONE] = "none",
	[P11_FAULT_SESSION] = "session_lost",
	[P11_FAULT_TOKEN] = "token_lost",
	[P11_FAULT_DEVICE] = "device_error",
	[P11_FAULT_PIN] = "pin_refused",
	[P11_FAULT_REFUSED] = "refused",
};

enum p11_fault
p11_rv_fault(unsigned long rv)
{
	for (size_t i = 0; i < sizeof(rvs) / sizeof(rvs[0]); i++)
		if (rvs[i].rv == rv)
			return rvs[i].fault;
	return P11_FAULT_REFUSED;
}

const char *
p11_fault_name(enum p11_fault f)
{
	if (f < 0 || f >= P11_FAULT_MAX)
		return "?";
	return fault_names[f];
}

const char *
p11_rv_name(unsigned long rv)
{
	for (size_t i = 0; i < sizeof(rvs) / sizeof(rvs[0]); i++)
		if (rvs[i].rv == rv)
			return rvs[i].name;
	return NULL;
}

const char *
p11_rv_str(unsigned long rv)
{
	static _Thread_local char buf[32];
	const char *n = p11_rv_name(rv);

	if (n != NULL)
		return n;
	snprintf(buf, sizeof(buf), "CKR 0x%lx", rv);
	return buf;
}

/* The signature of the sign test, on our raw session.  Holds raw_mu. */
static enum p11_fault
sign_test(struct p11_token *t, const char **what, CK_RV *rvp)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_ID, t->probe_id, t->probe_id_len },
	};
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE kta = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	CK_SESSION_INFO si;
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0, siglen = P11_PROBE_SIG_MAX;
	unsigned char data[P11_PROBE_DATA_LEN], sig[P11_PROBE_SIG_MAX];
	CK_RV rv;

	*what = "C_GetSessionInfo";
	if ((rv = t->fl->C_GetSessionInfo(t->session, &si)) == CKR_OK &&
	    si.state != CKS_RW_USER_FUNCTIONS &&
	    si.state != CKS_RO_USER_FUNCTIONS)
		rv = CKR_USER_NOT_LOGGED_IN;
	if (rv == CKR_OK) {
		*what = "C_FindObjects";
		rv = t->fl->C_FindObjectsInit(t->session, tmpl,
		    t->probe_id_len > 0 ? 3 : 2);
	}
	if (rv == CKR_OK) {
		rv = t->fl->C_FindObjects(t->session, &h, 1, &n);
		(void)t->fl->C_FindObjectsFinal(t->session);
	}
	if (rv == CKR_OK && n == 0) {
		/* No key yet is fine; losing the one we sign with is not. */
		*rvp = CKR_OK;
		return t->probe_id_len > 0 ? P11_FAULT_TOKEN : P11_FAULT_NONE;
	}
	if (rv == CKR_OK) {
		*what = "C_GetAttributeValue";
		rv = t->fl->C_GetAttributeValue(t->session, h, &kta, 1);
	}
	if (rv == CKR_OK && kt != CKK_EC && kt != CKK_RSA)
		return P11_FAULT_NONE;	/* nothing we know how to test */
	if (rv == CKR_OK) {
		if (kt == CKK_RSA)
			mech.mechanism = CKM_RSA_PKCS;
		memset(data, 0x5a, sizeof(data));
		*what = "C_SignInit";
		rv = t->fl->C_SignInit(t->session, &mech, h);
	}
	if (rv == CKR_OK) {
		*what = "C_Sign";
		rv = t->fl->C_Sign(t->session, data, sizeof(data), sig, &siglen);
	}
	*rvp = rv;
	/* A mechanism this key refuses says nothing about the token. */
	if (rv == CKR_OK || p11_rv_fault(rv) == P11_FAULT_REFUSED)
		return P11_FAULT_NONE;
	return p11_rv_fault(rv);
}

enum p11_fault
p11_probe_locked(struct p11_token *t, char *why, size_t len)
{
	const char *what = "C_GetTokenInfo";
	enum p11_fault f;
	CK_TOKEN_INFO ti;
	CK_RV rv;

	why[0] = '\0';
	if (!t->loaded) {
		snprintf(why, len, "the token is not loaded");
		return P11_FAULT_TOKEN;
	}
	if ((rv = t->fl->C_GetTokenInfo(t->slot_id, &ti)) != CKR_OK) {
		f = p11_rv_fault(rv);
		if (f == P11_FAULT_NONE || f == P11_FAULT_REFUSED)
			f = P11_FAULT_DEVICE;
	} else if (ti.flags & CKF_USER_PIN_LOCKED) {
		snprintf(why, len, "sign test: the token says the user PIN is "
		    "locked (CKF_USER_PIN_LOCKED)");
		return P11_FAULT_PIN;
	} else {
		pthread_mutex_lock(&t->raw_mu);
		f = sign_test(t, &what, &rv);
		pthread_mutex_unlock(&t->raw_mu);
	}
	if (f == P11_FAULT_NONE) {
		pthread_mutex_lock(&t->hmu);
		t->last_probe = time(NULL);
		pthread_mutex_unlock(&t->hmu);
	} else if (rv == CKR_OK)
		snprintf(why, len, "sign test: the key last used is no longer "
		    "on the token");
	else
		snprintf(why, len, "sign test: %s: %s", what, p11_rv_str(rv));
	return f;
}

void
p11_mark_down(struct p11_token *t, enum p11_fault f, const char *reason)
{
	int first, changed;

	pthread_mutex_lock(&t->hmu);
	first = !t->down;
	changed = t->fault != f || strcmp(t->reason, reason) != 0;
	if (first)
		t->down_since = time(NULL);
	t->down = 1;
	t->fault = f;
	snprintf(t->reason, sizeof(t->reason), "%s", reason);
	pthread_mutex_unlock(&t->hmu);
	if (first)
		log_error("msg=\"HSM unavailable\" fault=%s reason=\"%s\"",
		    p11_fault_name(f), reason);
	else if (changed)
		log_info("msg=\"HSM still unavailable\" fault=%s reason=\"%s\"",
		    p11_fault_name(f), reason);
}

static void
mark_up(struct p11_token *t)
{
	time_t since = 0;

	pthread_mutex_lock(&t->hmu);
	if (t->down) {
		since = t->down_since;
		t->recoveries++;
	}
	t->down = 0;
	t->fault = P11_FAULT_NONE;
	t->reason[0] = '\0';
	t->down_since = 0;
	pthread_mutex_unlock(&t->hmu);
	if (since != 0)
		log_info("msg=\"HSM recovered without a restart\" "
		    "down_seconds=%lld", (long long)(time(NULL) - since));
}

int
p11_recover_locked(struct p11_token *t)
{
	char why[P11_REASON_MAX];
	enum p11_fault f;
	int pin;

	p11_unload_locked(t);
	pthread_mutex_lock(&t->hmu);
	pin = t->pin_refused;
	pthread_mutex_unlock(&t->hmu);
	if (pin)
		return 0;	/* each login would count toward the lockout */
	if (p11_load_locked(t) != ESEAL_OK) {
		f = t->load_rv != 0 ? p11_rv_fault(t->load_rv) :
		    P11_FAULT_TOKEN;
		if (f == P11_FAULT_NONE || f == P11_FAULT_REFUSED)
			f = P11_FAULT_TOKEN;
		if (f == P11_FAULT_PIN) {
			pthread_mutex_lock(&t->hmu);
			t->pin_refused = 1;
			pthread_mutex_unlock(&t->hmu);
		}
		p11_mark_down(t, f, eseal_errmsg());
		return 0;
	}
	if ((f = p11_probe_locked(t, why, sizeof(why))) != P11_FAULT_NONE) {
		p11_mark_down(t, f, why);
		p11_unload_locked(t);
		return 0;
	}
	mark_up(t);
	return 1;
}

int
p11_lock(struct p11_token *t, int write)
{
	struct timespec until;
	int r;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += P11_STUCK_SECS;
	r = write ? pthread_rwlock_timedwrlock(&t->lock, &until) :
	    pthread_rwlock_timedrdlock(&t->lock, &until);
	if (r == 0)
		return 0;
	p11_mark_down(t, P11_FAULT_DEVICE, r == ETIMEDOUT ? "a PKCS#11 call "
	    "has not returned for " STUCK_TEXT " s (the HSM hangs): restart "
	    "eseald if it does not come back" : strerror(r));
	return -1;
}

int
p11_fault_seen(struct p11_token *t, unsigned long gen, unsigned long rv,
    const char *what)
{
	char why[P11_REASON_MAX], reason[2 * P11_REASON_MAX];
	enum p11_fault f = rv != 0 ? p11_rv_fault(rv) : P11_FAULT_NONE, pf;
	int ret;

	if (p11_lock(t, 1) != 0)
		return -1;
	if (t->gen != gen || !t->loaded) {
		/* Another thread saw it first: reloaded, or down. */
		ret = t->loaded ? 1 : -1;
		pthread_rwlock_unlock(&t->lock);
		return ret;
	}
	pf = p11_probe_locked(t, why, sizeof(why));
	if (pf == P11_FAULT_NONE &&
	    (f == P11_FAULT_NONE || f == P11_FAULT_REFUSED)) {
		pthread_rwlock_unlock(&t->lock);
		return 0;
	}
	if (pf == P11_FAULT_NONE) {
		pf = f;
		snprintf(reason, sizeof(reason), "%s: %s", what,
		    p11_rv_str(rv));
	} else if (rv != 0)
		snprintf(reason, sizeof(reason), "%s: %s; %s", what,
		    p11_rv_str(rv), why);
	else
		snprintf(reason, sizeof(reason), "%s failed; %s", what, why);
	p11_mark_down(t, pf, reason);
	if (pf == P11_FAULT_PIN) {
		pthread_mutex_lock(&t->hmu);
		t->pin_refused = 1;
		pthread_mutex_unlock(&t->hmu);
	}
	ret = p11_recover_locked(t) ? 1 : -1;
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

void
p11_health(struct p11_token *t, struct p11_health *out)
{
	memset(out, 0, sizeof(*out));
	if (t == NULL) {
		out->fault = P11_FAULT_TOKEN;
		snprintf(out->reason, sizeof(out->reason), "no token is open");
		return;
	}
	pthread_mutex_lock(&t->hmu);
	out->up = !t->down;
	out->watched = t->watching;
	out->fault = t->fault;
	snprintf(out->reason, sizeof(out->reason), "%s", t->reason);
	out->down_since = t->down_since;
	out->last_probe = t->last_probe;
	out->recoveries = t->recoveries;
	pthread_mutex_unlock(&t->hmu);
}

enum eseal_rc
p11_unavailable(struct p11_token *t)
{
	struct p11_health h;
	time_t now = time(NULL);

	p11_health(t, &h);
	if (h.up)
		return eseal_err(ESEAL_EHSM, "p11: the token is being "
		    "reloaded");
	return eseal_err(ESEAL_EHSM, "p11: the HSM is unavailable (%s, for "
	    "%lld s%s): %s", p11_fault_name(h.fault),
	    (long long)(h.down_since ? now - h.down_since : 0),
	    h.fault == P11_FAULT_PIN ? ", not retried: fix the PIN and "
	    "restart" : "", h.reason);
}

/* One round of the watcher: the sign test, or a reload while down. */
static void
watch_once(struct p11_token *t)
{
	char why[P11_REASON_MAX];
	enum p11_fault f = P11_FAULT_NONE;
	unsigned long gen;
	int loaded;

	if (p11_lock(t, 0) != 0)
		return;		/* marked down: someone is stuck in the HSM */
	loaded = t->loaded;
	gen = t->gen;
	if (loaded)
		f = p11_probe_locked(t, why, sizeof(why));
	pthread_rwlock_unlock(&t->lock);
	if (loaded && f == P11_FAULT_NONE)
		return;
	if (loaded) {
		(void)p11_fault_seen(t, gen, 0, "probe");
		return;
	}
	if (p11_lock(t, 1) != 0)
		return;
	if (!t->loaded)
		(void)p11_recover_locked(t);
	pthread_rwlock_unlock(&t->lock);
}

static void *
watch_main(void *arg)
{
	struct p11_token *t = arg;
	struct timespec until;
	long ms;
	int pin;

	pthread_mutex_lock(&t->hmu);
	while (!t->stop) {
		ms = t->down ? t->down_ms : t->up_ms;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ms / 1000;
		until.tv_nsec += (ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&t->wcv, &t->hmu, &until);
		if (t->stop)
			break;
		pin = t->pin_refused;
		pthread_mutex_unlock(&t->hmu);
		if (!pin)
			watch_once(t);
		pthread_mutex_lock(&t->hmu);
	}
	pthread_mutex_unlock(&t->hmu);
	return NULL;
}

enum eseal_rc
p11_watch(struct p11_token *t, int up_ms, int down_ms)
{
	pthread_mutex_lock(&t->hmu);
	if (t->watching) {
		pthread_mutex_unlock(&t->hmu);
		return ESEAL_OK;
	}
	t->up_ms = up_ms > 0 ? up_ms : P11_PROBE_UP_MS;
	t->down_ms = down_ms > 0 ? down_ms : P11_PROBE_DOWN_MS;
	t->stop = 0;
	if (pthread_create(&t->watcher, NULL, watch_main, t) != 0) {
		pthread_mutex_unlock(&t->hmu);
		return eseal_err(ESEAL_EINTERNAL, "p11: cannot start the HSM "
		    "watcher thread");
	}
	t->watching = 1;
	pthread_mutex_unlock(&t->hmu);
	return ESEAL_OK;
}

void
p11_watch_stop(struct p11_token *t)
{
	pthread_mutex_lock(&t->hmu);
	if (!t->watching) {
		pthread_mutex_unlock(&t->hmu);
		return;
	}
	t->stop = 1;
	pthread_cond_signal(&t->wcv);
	pthread_mutex_unlock(&t->hmu);
	pthread_join(t->watcher, NULL);
	pthread_mutex_lock(&t->hmu);
	t->watching = 0;
	pthread_mutex_unlock(&t->hmu);
}
