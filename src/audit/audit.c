/* audit.c: appending to and verifying the hash-chained audit log. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit.h"
#include "log.h"

static int
record_hash(const struct store_audit *a, unsigned char out[32])
{
	EVP_MD_CTX *md;
	unsigned char be[8];
	const char *strs[4] = { a->actor, a->action, a->object, a->detail };
	int64_t ints[2] = { a->seq, a->ts };
	int ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return 0;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(md, a->prev_hash, 32);
	for (int i = 0; ok && i < 2; i++) {
		for (int j = 0; j < 8; j++)
			be[j] = (unsigned char)((uint64_t)ints[i] >> (56 - 8 * j));
		ok = EVP_DigestUpdate(md, be, sizeof(be));
	}
	for (int i = 0; ok && i < 4; i++)
		ok = EVP_DigestUpdate(md, strs[i] ? strs[i] : "",
		    strlen(strs[i] ? strs[i] : "") + 1);
	ok = ok && EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	return ok;
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
	a.actor = (char *)actor;
	a.action = (char *)action;
	a.object = (char *)(object ? object : "");
	a.detail = detail;
	if (!record_hash(&a, a.hash)) {
		rc = eseal_err(ESEAL_EINTERNAL, "audit: cannot hash the record");
		goto fail;
	}
	if ((rc = store_audit_insert(s, &a)) != ESEAL_OK)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}

struct verify_state {
	unsigned char	 prev[32];
	int64_t		 n;
	int64_t		 bad;	/* first broken seq, 0 if none */
	const char	*why;
};

static int
verify_one(const struct store_audit *a, void *arg)
{
	struct verify_state *v = arg;
	unsigned char h[32];

	if (a->seq != v->n + 1)
		v->why = "sequence gap (a record was deleted or reordered)";
	else if (memcmp(a->prev_hash, v->prev, 32) != 0)
		v->why = "previous-hash link broken";
	else if (!record_hash(a, h) || memcmp(h, a->hash, 32) != 0)
		v->why = "record hash does not match its content";
	if (v->why != NULL) {
		v->bad = a->seq;
		return 1;
	}
	memcpy(v->prev, a->hash, 32);
	v->n++;
	return 0;
}

enum eseal_rc
audit_verify(struct store *s, int64_t *n)
{
	struct verify_state v;
	enum eseal_rc rc;

	memset(&v, 0, sizeof(v));
	*n = 0;
	if ((rc = store_audit_each(s, verify_one, &v)) != ESEAL_OK)
		return rc;
	if (v.why != NULL)
		return eseal_err(ESEAL_EINVAL, "audit: record %lld: %s",
		    (long long)v.bad, v.why);
	*n = v.n;
	return ESEAL_OK;
}
