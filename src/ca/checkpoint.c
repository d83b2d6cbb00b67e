/*
 * checkpoint.c: signing the audit chain head with the current issuer's
 * key and keeping the checkpoint in the store, the log and the publish
 * directory (checkpoint.h); the daemon's schedule for it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "audit.h"
#include "checkpoint.h"
#include "issuer.h"
#include "log.h"
#include "publish.h"
#include "sign.h"

/* The message and its signature, for sign_verified. */
struct cp_sig {
	const char	*msg;
	size_t		 len;
	const EVP_MD	*md;
	unsigned char	*sig;
	size_t		 siglen;
};

static int
cp_sign(EVP_MD_CTX *mctx, void *arg)
{
	struct cp_sig *c = arg;
	size_t n = 0;

	free(c->sig);
	c->sig = NULL;
	if (EVP_DigestSign(mctx, NULL, &n, (const unsigned char *)c->msg,
	    c->len) != 1 || (c->sig = malloc(n)) == NULL ||
	    EVP_DigestSign(mctx, c->sig, &n, (const unsigned char *)c->msg,
	    c->len) != 1)
		return 0;
	c->siglen = n;
	return 1;
}

static int
cp_verify(EVP_PKEY *pub, void *arg)
{
	struct cp_sig *c = arg;
	EVP_MD_CTX *m;
	int ok;

	if ((m = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestVerifyInit(m, NULL, c->md, NULL, pub) == 1 &&
	    EVP_DigestVerify(m, c->sig, c->siglen,
	    (const unsigned char *)c->msg, c->len) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

void
checkpoint_dir(const struct conf *c, char *buf, size_t len)
{
	size_t n = strlen(c->publish_dir);

	buf[0] = '\0';
	if (n > 0 && n + sizeof(CHECKPOINT_SUBDIR) + 1 <= len) {
		memcpy(buf, c->publish_dir, n);
		buf[n] = '/';
		memcpy(buf + n + 1, CHECKPOINT_SUBDIR,
		    sizeof(CHECKPOINT_SUBDIR));
	}
}

static const char *
md_name(const EVP_MD *md)
{
	switch (EVP_MD_get_type(md)) {
	case NID_sha384:
		return "sha384";
	case NID_sha512:
		return "sha512";
	default:
		return "sha256";
	}
}

/* The copies off the store: two files and a log line. */
static enum eseal_rc
keep(struct ca *ca, const struct store_audit_cp *cp, const char *issuer)
{
	char dir[CONF_PATH_MAX + 16], path[CONF_PATH_MAX + 64], b64[1024];
	enum eseal_rc rc;

	if (cp->sig_len * 4 / 3 + 8 < sizeof(b64))
		EVP_EncodeBlock((unsigned char *)b64, cp->signature,
		    (int)cp->sig_len);
	else
		b64[0] = '\0';
	log_info("msg=\"audit checkpoint\" id=%" PRId64 " seq=%" PRId64
	    " hash=%s issuer=%s signature=%s", cp->id, cp->seq, cp->hash,
	    issuer, b64);
	checkpoint_dir(ca->conf, dir, sizeof(dir));
	if (dir[0] == '\0')
		return ESEAL_OK;
	snprintf(path, sizeof(path), "%s/checkpoint-%" PRId64 ".sig", dir,
	    cp->seq);
	if ((rc = publish_write_file(path, cp->signature, cp->sig_len))
	    != ESEAL_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/checkpoint-%" PRId64 ".txt", dir,
	    cp->seq);
	return publish_write_file(path, cp->message, strlen(cp->message));
}

enum eseal_rc
checkpoint_make(struct ca *ca, int64_t now, int *made, int64_t *seq)
{
	struct store_audit_cp last, cp;
	struct audit_cp_msg m;
	struct issuer *is = NULL;
	struct cp_sig cs;
	unsigned char head[32], d[32];
	char msg[AUDIT_CP_MSG_MAX];
	enum eseal_rc rc;

	*made = 0;
	memset(&cs, 0, sizeof(cs));
	memset(&m, 0, sizeof(m));
	memset(&cp, 0, sizeof(cp));
	if ((rc = store_audit_last(ca->store, &m.seq, head)) != ESEAL_OK)
		return rc;
	if (seq != NULL)
		*seq = m.seq;
	if (m.seq == 0)
		return eseal_err(ESEAL_EINVAL, "audit: the trail is empty");
	if (store_audit_cp_last(ca->store, &last) == ESEAL_OK &&
	    last.seq >= m.seq) {
		store_audit_cp_clear(&last);
		return ESEAL_OK;
	}
	store_audit_cp_clear(&last);
	if ((rc = issuer_current(ca, &is)) != ESEAL_OK)
		return rc;
	for (int i = 0; i < 32; i++)
		snprintf(m.hash + 2 * i, 3, "%02x", head[i]);
	EVP_Digest(is->rec.cert, is->rec.cert_len, d, NULL, EVP_sha256(),
	    NULL);
	for (int i = 0; i < 32; i++)
		snprintf(m.cert_sha256 + 2 * i, 3, "%02x", d[i]);
	m.created = now;
	m.issuer_id = is->rec.id;
	cs.md = issuer_md(is->pub);
	snprintf(m.digest, sizeof(m.digest), "%s", md_name(cs.md));
	audit_cp_format(&m, msg, sizeof(msg));
	cs.msg = msg;
	cs.len = strlen(msg);
	struct sign_op op = { cp_sign, cp_verify, &cs, "audit checkpoint",
	    "docs/security.md (signed checkpoints)", "issuer" };
	if ((rc = sign_verified(ca, is->rec.key_id, is->rec.key_id_len,
	    is->pub, &op)) != ESEAL_OK)
		goto out;
	cp.seq = m.seq;
	snprintf(cp.hash, sizeof(cp.hash), "%s", m.hash);
	cp.created = now;
	cp.signature = cs.sig;
	cp.sig_len = cs.siglen;
	cp.issuer_id = m.issuer_id;
	cp.message = msg;
	if ((rc = store_audit_cp_insert(ca->store, &cp, &cp.id)) != ESEAL_OK)
		goto out;
	*made = 1;
	if ((rc = keep(ca, &cp, is->rec.name)) != ESEAL_OK)
		log_error("msg=\"audit checkpoint: cannot write its file\" "
		    "seq=%" PRId64 " error=\"%s\"", cp.seq, eseal_errmsg());
	rc = ESEAL_OK;
out:
	free(cs.sig);
	issuer_free(is);
	return rc;
}

/* Records added since the last checkpoint, and that checkpoint's time. */
static void
since_last(struct ca *ca, int64_t *added, int64_t *when)
{
	struct store_audit_cp last;
	unsigned char h[32];
	int64_t head = 0;

	*when = 0;
	(void)store_audit_last(ca->store, &head, h);
	if (store_audit_cp_last(ca->store, &last) == ESEAL_OK) {
		*added = head - last.seq;
		*when = last.created;
	} else
		*added = head;
	store_audit_cp_clear(&last);
}

void
checkpoint_tick(struct ca *ca, time_t now, struct checkpoint_sched *s)
{
	int64_t added, when, sealed = 0, seq;
	int made;
	enum eseal_rc rc;

	if (s->last == 0)
		s->last = now;
	if (s->retry_at != 0 && now < s->retry_at)
		return;
	if ((rc = audit_seal_owed(ca->store, now, 0, &sealed)) == ESEAL_OK &&
	    sealed > 0)
		log_info("msg=\"audit: sealed records written while the HSM "
		    "was away\" count=%" PRId64, sealed);
	since_last(ca, &added, &when);
	if (when > s->last)
		s->last = (time_t)when;
	if (rc == ESEAL_OK && (added <= 0 ||
	    (added < ca->conf->audit_cp_records &&
	    now - s->last < (time_t)ca->conf->audit_cp_minutes * 60)))
		return;
	if (rc == ESEAL_OK)
		rc = checkpoint_make(ca, now, &made, &seq);
	if (rc == ESEAL_OK) {
		if (s->failing)
			log_info("msg=\"audit checkpoint: signing works again\" "
			    "failures=%d", s->failing);
		s->last = now;
		s->retry_at = 0;
		s->backoff = 0;
		s->failing = 0;
		return;
	}
	s->failing++;
	s->backoff = s->backoff == 0 ? CHECKPOINT_BACKOFF_MIN :
	    s->backoff * 2 > CHECKPOINT_BACKOFF_MAX ? CHECKPOINT_BACKOFF_MAX :
	    s->backoff * 2;
	s->retry_at = now + s->backoff;
	log_warn("msg=\"audit checkpoint failed; next try in %d s\" "
	    "failures=%d error=\"%s\"", s->backoff, s->failing,
	    eseal_errmsg());
}
