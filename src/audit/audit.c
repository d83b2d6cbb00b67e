/*
 * audit.c: appending to the hash-chained audit trail and sealing its
 * records with the HSM's MAC key (audit.h).  Verification is
 * audit_verify.c's, the off-site bundle audit_bundle.c's.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit.h"
#include "audit_int.h"
#include "log.h"

/* The client address of the request this thread serves. */
static _Thread_local char thread_source[AUDIT_SOURCE_MAX];

/* A record written while the HSM was away, to seal when it returns. */
struct owed {
	int64_t		seq;
	unsigned char	hash[32];
};

/* The process's MAC key and what it owes. */
static struct {
	pthread_mutex_t		 mu;
	struct p11_token	*token;	/* borrowed; NULL: records unsealed */
	struct owed		*owed;
	size_t			 nowed, capowed;
} mac = { PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0, 0 };

void
audit_set_source(const char *source)
{
	snprintf(thread_source, sizeof(thread_source), "%s",
	    source != NULL ? source : "");
}

enum eseal_rc
audit_mac_attach(struct p11_token *t)
{
	enum eseal_rc rc;

	if ((rc = p11_secret_ensure(t, (const unsigned char *)AUDIT_MAC_ID,
	    strlen(AUDIT_MAC_ID), AUDIT_MAC_ID, 1)) != ESEAL_OK)
		return rc;
	pthread_mutex_lock(&mac.mu);
	mac.token = t;
	pthread_mutex_unlock(&mac.mu);
	return ESEAL_OK;
}

void
audit_mac_detach(struct p11_token *t)
{
	pthread_mutex_lock(&mac.mu);
	if (mac.token == t && t != NULL) {
		mac.token = NULL;
		free(mac.owed);
		mac.owed = NULL;
		mac.nowed = mac.capowed = 0;
	}
	pthread_mutex_unlock(&mac.mu);
}

struct p11_token *
audit_mac_token(void)
{
	struct p11_token *t;

	pthread_mutex_lock(&mac.mu);
	t = mac.token;
	pthread_mutex_unlock(&mac.mu);
	return t;
}

int
audit_mac_attached(void)
{
	int r;

	pthread_mutex_lock(&mac.mu);
	r = mac.token != NULL;
	pthread_mutex_unlock(&mac.mu);
	return r;
}

static int
hash_str(EVP_MD_CTX *md, const char *s)
{
	s = s != NULL ? s : "";
	return EVP_DigestUpdate(md, s, strlen(s) + 1);
}

static int
hash_int(EVP_MD_CTX *md, int64_t v)
{
	unsigned char be[8];

	for (int j = 0; j < 8; j++)
		be[j] = (unsigned char)((uint64_t)v >> (56 - 8 * j));
	return EVP_DigestUpdate(md, be, sizeof(be));
}

int
audit_record_hash(const struct store_audit *a, unsigned char out[32])
{
	EVP_MD_CTX *md;
	int ok;

	if (a->fmt != AUDIT_FMT_LEGACY && a->fmt != AUDIT_FMT)
		return 0;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(md, a->prev_hash, 32);
	if (ok && a->fmt == AUDIT_FMT)
		ok = hash_int(md, a->fmt);
	ok = ok && hash_int(md, a->seq) && hash_int(md, a->ts) &&
	    hash_str(md, a->actor) && hash_str(md, a->action) &&
	    hash_str(md, a->object) && hash_str(md, a->detail);
	if (ok && a->fmt == AUDIT_FMT)
		ok = hash_str(md, a->source);
	ok = ok && EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	return ok;
}

/* Remembers a record to seal later; caller holds mac.mu. */
static void
owe(int64_t seq, const unsigned char hash[32])
{
	struct owed *n;

	if (mac.nowed == mac.capowed) {
		size_t cap = mac.capowed ? mac.capowed * 2 : 64;

		if (cap > AUDIT_OWED_MAX || (n = realloc(mac.owed,
		    cap * sizeof(*n))) == NULL) {
			log_error("msg=\"audit: cannot remember more records "
			    "to seal; the next start seals them\" seq=%lld",
			    (long long)seq);
			return;
		}
		mac.owed = n;
		mac.capowed = cap;
	}
	mac.owed[mac.nowed].seq = seq;
	memcpy(mac.owed[mac.nowed++].hash, hash, 32);
}

/* Seals a: the MAC of its hash, or unsealed and owed if the HSM is away. */
static void
seal(struct store_audit *a)
{
	pthread_mutex_lock(&mac.mu);
	if (mac.token != NULL) {
		if (p11_hmac(mac.token, (const unsigned char *)AUDIT_MAC_ID,
		    strlen(AUDIT_MAC_ID), a->hash, 32, a->mac) == ESEAL_OK)
			a->has_mac = 1;
		else {
			log_warn("msg=\"audit record written unsealed: the "
			    "HSM is away; sealed when it returns\" seq=%lld "
			    "error=\"%s\"", (long long)a->seq, eseal_errmsg());
			owe(a->seq, a->hash);
		}
	}
	pthread_mutex_unlock(&mac.mu);
}

enum eseal_rc
audit_append(struct store *s, int64_t now, const char *actor,
    const char *action, const char *object, const char *fmt, ...)
{
	char detail[AUDIT_DETAIL_MAX];
	struct store_audit a;
	enum eseal_rc rc;
	va_list ap;

	int n;

	va_start(ap, fmt);
	n = vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* The API request that caused it, as in its log lines (X-Request-Id). */
	if (log_request_id()[0] != '\0' && n >= 0 &&
	    (size_t)n < sizeof(detail))
		snprintf(detail + n, sizeof(detail) - (size_t)n, "%srid=%s",
		    n > 0 ? " " : "", log_request_id());
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	memset(&a, 0, sizeof(a));
	if ((rc = store_audit_last(s, &a.seq, a.prev_hash)) != ESEAL_OK)
		goto fail;
	a.seq++;
	a.ts = now;
	a.fmt = AUDIT_FMT;
	a.actor = (char *)actor;
	a.action = (char *)action;
	a.object = (char *)(object ? object : "");
	a.detail = detail;
	a.source = thread_source;
	if (!audit_record_hash(&a, a.hash)) {
		rc = eseal_err(ESEAL_EINTERNAL, "audit: cannot hash the record");
		goto fail;
	}
	seal(&a);
	if ((rc = store_audit_insert(s, &a)) != ESEAL_OK)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}

/* The unsealed format-2 records of the store. */
struct unsealed {
	struct owed	*v;
	size_t		 n, cap;
	int		 oom;
};

static int
unsealed_one(const struct store_audit *a, void *arg)
{
	struct unsealed *u = arg;
	struct owed *n;

	if (a->fmt != AUDIT_FMT || a->has_mac)
		return 0;
	if (u->n == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 16;
		if (u->cap > AUDIT_OWED_MAX ||
		    (n = realloc(u->v, u->cap * sizeof(*n))) == NULL) {
			u->oom = 1;
			return 1;
		}
		u->v = n;
	}
	u->v[u->n].seq = a->seq;
	memcpy(u->v[u->n++].hash, a->hash, 32);
	return 0;
}

/* Seals the records in v; *n counts them.  Caller holds mac.mu. */
static enum eseal_rc
seal_list(struct store *s, const struct owed *v, size_t nv, int64_t *n)
{
	unsigned char m[32];
	enum eseal_rc rc;

	for (size_t i = 0; i < nv; i++) {
		if ((rc = p11_hmac(mac.token, (const unsigned char *)
		    AUDIT_MAC_ID, strlen(AUDIT_MAC_ID), v[i].hash, 32, m))
		    != ESEAL_OK)
			return rc;
		if ((rc = store_audit_set_mac(s, v[i].seq, m)) != ESEAL_OK)
			return rc;
		(*n)++;
	}
	return ESEAL_OK;
}

enum eseal_rc
audit_seal_owed(struct store *s, int64_t now, int earlier_runs, int64_t *n)
{
	struct unsealed u = { NULL, 0, 0, 0 };
	enum eseal_rc rc = ESEAL_OK;

	*n = 0;
	if (!earlier_runs) {		/* the common case: nothing owed */
		int idle;

		pthread_mutex_lock(&mac.mu);
		idle = mac.token == NULL || mac.nowed == 0;
		pthread_mutex_unlock(&mac.mu);
		if (idle)
			return ESEAL_OK;
	}
	/*
	 * The store first, then mac.mu, in the order audit_append() takes
	 * them (its transaction, then seal()): the other order deadlocks
	 * with a thread appending meanwhile (checkpoint_tick calls this
	 * while the API issues; ThreadSanitizer's lock-order-inversion).
	 * One transaction for all the MACs; what was sealed before the HSM
	 * went away again is kept.
	 */
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	pthread_mutex_lock(&mac.mu);
	if (mac.token == NULL)
		goto out;
	if (earlier_runs) {
		if ((rc = store_audit_each(s, unsealed_one, &u)) == ESEAL_OK &&
		    u.oom)
			rc = eseal_err(ESEAL_ENOMEM, "audit: too many unsealed "
			    "records");
		if (rc == ESEAL_OK)
			rc = seal_list(s, u.v, u.n, n);
		free(mac.owed);
		mac.owed = NULL;
		mac.nowed = mac.capowed = 0;
	} else if ((rc = seal_list(s, mac.owed, mac.nowed, n)) == ESEAL_OK)
		mac.nowed = 0;
out:
	pthread_mutex_unlock(&mac.mu);
	if (rc == ESEAL_ESTORE)
		store_rollback(s);
	else {
		enum eseal_rc rc2 = store_commit(s);

		if (rc2 != ESEAL_OK) {
			*n = 0;
			rc = rc2;
		}
	}
	if (rc == ESEAL_OK && earlier_runs && *n > 0) {
		log_warn("msg=\"audit: sealed records an earlier run wrote "
		    "while the HSM was away\" count=%lld first=%lld last=%lld",
		    (long long)*n, (long long)u.v[0].seq,
		    (long long)u.v[u.n - 1].seq);
		rc = audit_append(s, now, "system", "audit.seal", "",
		    "sealed=%lld first=%lld last=%lld reason=\"written while "
		    "the HSM was away by an earlier run\"", (long long)*n,
		    (long long)u.v[0].seq, (long long)u.v[u.n - 1].seq);
	}
	free(u.v);
	return rc;
}
