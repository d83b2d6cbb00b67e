/*
 * issue.c: one issuance, recorded before it is signed.
 *   draw serial -> build TBS -> record pending (committed) -> HSM signs
 *   -> verify -> mark issued + audit (one transaction) -> hand out.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "audit.h"
#include "issue.h"
#include "issuer.h"
#include "lint.h"
#include "log.h"
#include "serial.h"

void
issue_result_clear(struct issue_result *r)
{
	if (r == NULL)
		return;
	OPENSSL_free(r->der);
	memset(r, 0, sizeof(*r));
}

/* issue_check() with the ca read lock held. */
static enum eseal_rc
check_locked(struct ca *ca, const struct issue_request *req, int64_t now)
{
	enum eseal_rc rc;
	int r;

	if ((rc = policy_check_subscriber_key(ca->policy, csr_pubkey(req->csr),
	    (time_t)now)) != ESEAL_OK)
		return rc;
	if ((r = issuer_key_in_use(ca, csr_pubkey(req->csr))) != 0)
		return r < 0 ? ESEAL_ESTORE : eseal_err(ESEAL_EPOLICY, "csr: "
		    "the request's key is an issuer key of this CA");
	r = store_cert_key_conflict(ca->store, csr_pubkey_sha256(req->csr),
	    req->org->identifier);
	if (r < 0)
		return eseal_err(ESEAL_ESTORE, "store: cannot check the key");
	if (r == KEY_OTHER_ORG)
		return eseal_err(ESEAL_EPOLICY, "csr: the request's key is "
		    "already certified for another organisation");
	if (r == KEY_COMPROMISED)
		return eseal_err(ESEAL_EPOLICY, "csr: RFC 5280 5.3.1: a "
		    "certificate for the request's key was revoked for "
		    "keyCompromise");
	return ca_fips_allow(ca, FIPS_USE_ISSUE, (time_t)now, req->actor);
}

enum eseal_rc
issue_check(struct ca *ca, const struct issue_request *req, int64_t now)
{
	enum eseal_rc rc;

	ca_rdlock(ca);
	rc = check_locked(ca, req, now);
	ca_unlock(ca);
	return rc;
}

/* Steps 3-5: returns the issuer used; the row is pending when this returns. */
static enum eseal_rc
prepare(struct ca *ca, const struct issue_request *req, int64_t now,
    struct issuer **isp, char serial[STORE_SERIAL_HEX_MAX])
{
	struct profile_input in;
	struct store_cert row;
	struct issuer *is = NULL;
	unsigned char *tbs = NULL;
	BIGNUM *bn = NULL;
	X509 *x = NULL;
	char *subj = NULL;
	enum eseal_rc rc;
	struct lint_input li;
	int64_t not_after;
	int tbs_len, tries, days;

	*isp = NULL;
	if ((rc = check_locked(ca, req, now)) != ESEAL_OK)
		return rc;
	if ((rc = issuer_current(ca, &is)) != ESEAL_OK)
		return rc;
	days = req->validity_days > 0 &&
	    req->validity_days < req->profile->max_validity_days ?
	    req->validity_days : req->profile->max_validity_days;
	not_after = now + (int64_t)days * 86400;
	if (not_after > is->rec.not_after)
		not_after = is->rec.not_after;	/* never outlive the CA */

	for (tries = 0; tries < ISSUE_SERIAL_TRIES; tries++) {
		BN_free(bn);
		X509_free(x);
		OPENSSL_free(tbs);
		OPENSSL_free(subj);
		bn = NULL, x = NULL, tbs = NULL, subj = NULL;
		if ((rc = serial_new(&bn, serial)) != ESEAL_OK)
			goto out;
		memset(&in, 0, sizeof(in));
		in.profile = req->profile;
		in.org = req->org;
		in.issuer = is->cert;
		in.issuer_name = is->rec.name;
		in.base_url = ca->conf->publish_base_url;
		in.shard = serial_shard(serial, is->rec.crl_shards);
		in.subject_key = csr_pubkey(req->csr);
		in.serial = bn;
		in.not_before = now;
		in.not_after = not_after;
		in.qscd = req->qscd;
		if ((rc = profile_build(&in, &x)) != ESEAL_OK ||
		    (rc = issuer_set_sigalg(is->pub, x)) != ESEAL_OK)
			goto out;
		if (req->test_tamper != NULL) {
			req->test_tamper(x);
			(void)issuer_set_sigalg(is->pub, x);
		}
		/* Step 4: lint.  A failure never reaches the HSM. */
		memset(&li, 0, sizeof(li));
		li.profile = req->profile;
		li.issuer = is->cert;
		li.policy = ca->policy;
		li.now = now;
		li.qscd = req->qscd;
		li.org = req->org;
		li.subject_key = csr_pubkey(req->csr);
		if ((rc = lint_cert(&li, x)) != ESEAL_OK)
			goto out;
		if ((tbs_len = i2d_re_X509_tbs(x, &tbs)) <= 0) {
			rc = eseal_err(ESEAL_EINTERNAL, "issue: cannot encode "
			    "the TBS");
			goto out;
		}
		if ((subj = X509_NAME_oneline(X509_get_subject_name(x), NULL,
		    0)) == NULL) {
			rc = eseal_err(ESEAL_ENOMEM, "issue: out of memory");
			goto out;
		}
		memset(&row, 0, sizeof(row));
		memcpy(row.serial, serial, sizeof(row.serial));
		row.issuer_id = is->rec.id;
		row.tbs = tbs;
		row.tbs_len = (size_t)tbs_len;
		row.subject = subj;
		memcpy(row.spki_sha256, csr_pubkey_sha256(req->csr), 32);
		row.not_before = now;
		row.not_after = not_after;
		row.shard = in.shard;
		snprintf(row.org_identifier, sizeof(row.org_identifier), "%s",
		    req->org->identifier);
		/* Step 5: durable (WAL, synchronous=FULL) before the HSM signs. */
		rc = store_cert_insert_pending(ca->store, &row, now);
		if (rc != ESEAL_EEXIST)
			break;
		log_warn("msg=\"serial collision, drawing again\" serial=%s",
		    serial);
	}
	if (rc == ESEAL_OK) {
		*isp = is;
		is = NULL;
	}
out:
	issuer_free(is);
	BN_free(bn);
	X509_free(x);
	OPENSSL_free(tbs);
	OPENSSL_free(subj);
	return rc;
}

/* Steps 6-7 for a pending row. */
static enum eseal_rc
finish(struct ca *ca, const struct issuer *is, const char *serial,
    const unsigned char *tbs, size_t tbs_len, const char *actor, int64_t now,
    unsigned char **der, size_t *der_len)
{
	enum eseal_rc rc, rc2;
	char why[256];

	rc = issuer_sign(ca, is->rec.key_id, is->rec.key_id_len, is->pub, tbs,
	    tbs_len, der, der_len);
	if (rc != ESEAL_OK) {
		/*
		 * The HSM is unreachable: leave the row pending, to be finished
		 * at the next open.  Anything else (a signature that does not
		 * verify, a TBS that does not parse) is final: fail the row.
		 */
		if (rc == ESEAL_EHSM)
			return rc;
		snprintf(why, sizeof(why), "%s", eseal_errmsg());
		if (store_begin(ca->store) == ESEAL_OK) {
			if (store_cert_mark_failed(ca->store, serial, why, now)
			    == ESEAL_OK && audit_append(ca->store, now, actor,
			    "cert.fail", serial, "%s", why) == ESEAL_OK)
				(void)store_commit(ca->store);
			else
				store_rollback(ca->store);
		}
		return eseal_err(rc, "%s", why);
	}
	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		goto fail;
	if ((rc = store_cert_mark_issued(ca->store, serial, *der, *der_len,
	    now)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, now, actor, "cert.issue", serial,
	    "issuer=%s", is->rec.name)) != ESEAL_OK) {
		store_rollback(ca->store);
		goto fail;
	}
	if ((rc2 = store_commit(ca->store)) != ESEAL_OK) {
		rc = rc2;
		goto fail;
	}
	return ESEAL_OK;
fail:
	/* Not recorded as issued: nobody may see it.  The row stays pending. */
	OPENSSL_free(*der);
	*der = NULL;
	*der_len = 0;
	return rc;
}

enum eseal_rc
issue_prepare(struct ca *ca, const struct issue_request *req, int64_t now,
    char serial[STORE_SERIAL_HEX_MAX])
{
	struct issuer *is = NULL;
	enum eseal_rc rc;

	ca_rdlock(ca);
	rc = prepare(ca, req, now, &is, serial);
	ca_unlock(ca);
	issuer_free(is);
	return rc;
}

enum eseal_rc
issue_cert(struct ca *ca, const struct issue_request *req, int64_t now,
    struct issue_result *res)
{
	struct store_cert row;
	struct issuer *is = NULL;
	enum eseal_rc rc;

	memset(res, 0, sizeof(*res));
	ca_rdlock(ca);
	rc = prepare(ca, req, now, &is, res->serial);
	ca_unlock(ca);
	if (rc != ESEAL_OK)
		return rc;
	if ((rc = store_cert_get(ca->store, res->serial, &row)) == ESEAL_OK) {
		rc = finish(ca, is, res->serial, row.tbs, row.tbs_len,
		    req->actor, now, &res->der, &res->der_len);
		store_cert_clear(&row);
	}
	issuer_free(is);
	if (rc == ESEAL_OK)
		log_info("msg=\"certificate issued\" serial=%s actor=%s",
		    res->serial, req->actor);
	return rc;
}

enum eseal_rc
issue_recover(struct ca *ca, int64_t now, int *finished, int *failed)
{
	struct store_cert *rows = NULL;
	struct issuer *is;
	unsigned char *der;
	size_t n = 0, der_len;
	enum eseal_rc rc;

	*finished = *failed = 0;
	if ((rc = store_cert_pending(ca->store, &rows, &n)) != ESEAL_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = issuer_by_id(ca, rows[i].issuer_id, &is)) == ESEAL_OK) {
			rc = finish(ca, is, rows[i].serial, rows[i].tbs,
			    rows[i].tbs_len, "recovery", now, &der, &der_len);
			issuer_free(is);
		} else if (rc != ESEAL_ESTORE)
			(void)store_cert_mark_failed(ca->store, rows[i].serial,
			    eseal_errmsg(), now);
		if (rc == ESEAL_OK) {
			OPENSSL_free(der);
			(*finished)++;
			log_info("msg=\"pending certificate finished\" "
			    "serial=%s", rows[i].serial);
			continue;
		}
		if (rc == ESEAL_EHSM || rc == ESEAL_ESTORE)
			break;	/* try again at the next open */
		(*failed)++;
		log_warn("msg=\"pending certificate failed\" serial=%s "
		    "reason=\"%s\"", rows[i].serial, eseal_errmsg());
		rc = ESEAL_OK;
	}
	store_cert_list_free(rows, n);
	return rc;
}
