/*
 * revoke.c: revoking a certificate: check the serial and the reason, then
 * record the revocation and its audit record in one transaction.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/bn.h>

#include "audit.h"
#include "log.h"
#include "metrics.h"
#include "revoke.h"
#include "serial.h"
#include "store_ocsppre.h"
#include "store_publish.h"

static const char *const reason_names[REVOKE_REASON_MAX] = {
	[REVOKE_UNSPECIFIED] = "unspecified",
	[REVOKE_KEY_COMPROMISE] = "keyCompromise",
	[REVOKE_CA_COMPROMISE] = "cACompromise",
	[REVOKE_AFFILIATION_CHANGED] = "affiliationChanged",
	[REVOKE_SUPERSEDED] = "superseded",
	[REVOKE_CESSATION_OF_OPERATION] = "cessationOfOperation",
	[REVOKE_CERTIFICATE_HOLD] = "certificateHold",
	[REVOKE_REMOVE_FROM_CRL] = "removeFromCRL",
	[REVOKE_PRIVILEGE_WITHDRAWN] = "privilegeWithdrawn",
	[REVOKE_AA_COMPROMISE] = "aACompromise",
};

const char *
revoke_reason_name(enum revoke_reason r)
{
	if (r < 0 || r >= REVOKE_REASON_MAX || reason_names[r] == NULL)
		return "?";
	return reason_names[r];
}

enum eseal_rc
revoke_reason_parse(const char *s, enum revoke_reason *out)
{
	for (int i = 0; i < REVOKE_REASON_MAX; i++)
		if (reason_names[i] != NULL && strcmp(s, reason_names[i]) == 0) {
			*out = (enum revoke_reason)i;
			return ESEAL_OK;
		}
	return eseal_err(ESEAL_EINVAL, "revoke: RFC 5280 5.3.1: \"%.40s\" is "
	    "not a CRLReason (unspecified, keyCompromise, affiliationChanged, "
	    "superseded, cessationOfOperation, privilegeWithdrawn)", s);
}

int
revoke_reason_offered(enum revoke_reason r)
{
	switch (r) {
	case REVOKE_UNSPECIFIED:
	case REVOKE_KEY_COMPROMISE:
	case REVOKE_AFFILIATION_CHANGED:
	case REVOKE_SUPERSEDED:
	case REVOKE_CESSATION_OF_OPERATION:
	case REVOKE_PRIVILEGE_WITHDRAWN:
		return 1;
	default:
		return 0;
	}
}

/* Why a reason is not offered: the rule, for the refusal. */
static enum eseal_rc
refuse_reason(enum revoke_reason r)
{
	switch (r) {
	case REVOKE_CA_COMPROMISE:
		return eseal_err(ESEAL_EPOLICY, "revoke: RFC 5280 5.3.1: "
		    "cACompromise is for a CA's own key; revoking an issuer is "
		    "a separate operation (end-entity certificates: "
		    "keyCompromise or cessationOfOperation)");
	case REVOKE_AA_COMPROMISE:
		return eseal_err(ESEAL_EPOLICY, "revoke: RFC 5280 5.3.1: "
		    "aACompromise is for attribute certificates");
	case REVOKE_CERTIFICATE_HOLD:
	case REVOKE_REMOVE_FROM_CRL:
		return eseal_err(ESEAL_EPOLICY, "revoke: CA/B Forum BR 4.9.13: "
		    "%s is not offered: a revocation here is final",
		    revoke_reason_name(r));
	default:
		return eseal_err(ESEAL_EINVAL, "revoke: RFC 5280 5.3.1: reason "
		    "code %d is not a CRLReason", (int)r);
	}
}

/* The stored form of a serial: hex digits only, as serial_hex() writes it. */
static enum eseal_rc
canon_serial(const char *in, char out[STORE_SERIAL_HEX_MAX])
{
	BIGNUM *bn = NULL;
	size_t n = in ? strlen(in) : 0;
	int ok;

	if (n == 0 || n >= STORE_SERIAL_HEX_MAX)
		return eseal_err(ESEAL_EINVAL, "revoke: RFC 5280 4.1.2.2: a "
		    "serial is 1 to 20 octets, given in hex");
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)in[i]))
			return eseal_err(ESEAL_EINVAL, "revoke: RFC 5280 "
			    "4.1.2.2: the serial must be hex digits only");
	ok = BN_hex2bn(&bn, in) == (int)n && serial_hex(bn, out);
	BN_free(bn);
	if (!ok)
		return eseal_err(ESEAL_ENOMEM, "revoke: out of memory");
	return ESEAL_OK;
}

static enum eseal_rc
check_request(const struct revoke_request *req, int64_t now,
    char serial[STORE_SERIAL_HEX_MAX])
{
	enum eseal_rc rc;

	if ((rc = canon_serial(req->serial, serial)) != ESEAL_OK)
		return rc;
	if (req->actor == NULL || req->actor[0] == '\0' ||
	    strlen(req->actor) >= STORE_ACTOR_MAX)
		return eseal_err(ESEAL_EINVAL, "revoke: the requester must be "
		    "named, in at most %d bytes", STORE_ACTOR_MAX - 1);
	if (req->reason < 0 || req->reason >= REVOKE_REASON_MAX ||
	    !revoke_reason_offered(req->reason))
		return refuse_reason(req->reason);
	if (req->invalidity_date < 0 || req->invalidity_date > now)
		return eseal_err(ESEAL_EINVAL, "revoke: RFC 5280 5.3.2: the "
		    "invalidity date is when the key became unfit: not in the "
		    "future");
	return ESEAL_OK;
}

/* Inside the transaction: the revocation, or the raise of its reason. */
static enum eseal_rc
record(struct ca *ca, const struct revoke_request *req, int64_t now,
    const char *serial, struct store_revocation *rev)
{
	struct store_cert cert;
	struct store_revocation old;
	enum eseal_rc rc;
	int64_t issuer_id;
	int status, shard;

	if ((rc = store_cert_get(ca->store, serial, &cert)) != ESEAL_OK)
		return rc == ESEAL_ENOTFOUND ? eseal_err(rc, "revoke: no "
		    "certificate with serial %s", serial) : rc;
	status = cert.status;
	issuer_id = cert.issuer_id;
	shard = cert.shard;
	store_cert_clear(&cert);
	if (status != CERT_ISSUED)
		return eseal_err(ESEAL_ENOTFOUND, "revoke: certificate %s was "
		    "never issued (it is %s)", serial,
		    cert_status_name((enum cert_status)status));
	/* Its shard's CRL is owed from this transaction on (publish.c). */
	if ((rc = store_crl_owe(ca->store, issuer_id, shard, serial, now))
	    != ESEAL_OK)
		return rc;
	/* A presigned "good" (or the old reason) is never served again. */
	if ((rc = store_ocsppre_invalidate(ca->store, serial)) != ESEAL_OK)
		return rc;

	rc = store_revocation_get(ca->store, serial, &old);
	if (rc == ESEAL_OK) {
		if (req->reason != REVOKE_KEY_COMPROMISE ||
		    old.reason == REVOKE_KEY_COMPROMISE)
			return eseal_err(ESEAL_EEXIST, "revoke: RFC 5280 5.3.1: "
			    "certificate %s is already revoked (%s); only a "
			    "raise to keyCompromise is accepted", serial,
			    revoke_reason_name((enum revoke_reason)old.reason));
		if ((rc = store_revocation_set_reason(ca->store, serial,
		    req->reason, req->invalidity_date)) != ESEAL_OK ||
		    (rc = audit_append(ca->store, now, req->actor,
		    "cert.revoke.upgrade", serial, "issuer_id=%lld reason=%s "
		    "was=%s invalidity_date=%lld", (long long)issuer_id,
		    revoke_reason_name(req->reason),
		    revoke_reason_name((enum revoke_reason)old.reason),
		    (long long)req->invalidity_date)) != ESEAL_OK)
			return rc;
		return store_revocation_get(ca->store, serial, rev);
	}
	if (rc != ESEAL_ENOTFOUND)
		return rc;

	memset(rev, 0, sizeof(*rev));
	memcpy(rev->serial, serial, sizeof(rev->serial));
	rev->reason = req->reason;
	rev->revoked_at = now;
	rev->invalidity_date = req->invalidity_date;
	snprintf(rev->requested_by, sizeof(rev->requested_by), "%s",
	    req->actor);
	if ((rc = store_revocation_insert(ca->store, rev)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, now, req->actor, "cert.revoke",
	    serial, "issuer_id=%lld reason=%s invalidity_date=%lld",
	    (long long)issuer_id, revoke_reason_name(req->reason),
	    (long long)req->invalidity_date)) != ESEAL_OK)
		return rc;
	return store_revocation_get(ca->store, serial, rev);
}

/* eseal_revocations_total{issuer,reason}: one look-up, after the commit. */
static void
count_revocation(struct ca *ca, const char *serial, int reason)
{
	struct store_cert cert;
	struct store_issuer is;
	char lab[METRICS_LABELS_MAX];

	memset(&is, 0, sizeof(is));
	if (store_cert_get(ca->store, serial, &cert) == ESEAL_OK) {
		if (store_issuer_by_id(ca->store, cert.issuer_id, &is) !=
		    ESEAL_OK)
			snprintf(is.name, sizeof(is.name), "unknown");
		store_cert_clear(&cert);
	}
	metrics_inc(M_REVOKED, metrics_labels(lab, sizeof(lab), "issuer",
	    is.name, "reason", revoke_reason_name((enum revoke_reason)reason),
	    NULL));
	store_issuer_clear(&is);
}

enum eseal_rc
revoke_cert(struct ca *ca, const struct revoke_request *req, int64_t now,
    struct store_revocation *out)
{
	struct store_revocation rev;
	char serial[STORE_SERIAL_HEX_MAX];
	enum eseal_rc rc;

	if ((rc = check_request(req, now, serial)) != ESEAL_OK)
		return rc;
	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		return rc;
	if ((rc = record(ca, req, now, serial, &rev)) != ESEAL_OK) {
		store_rollback(ca->store);
		return rc;
	}
	if ((rc = store_commit(ca->store)) != ESEAL_OK)
		return rc;
	count_revocation(ca, serial, rev.reason);
	log_info("msg=\"certificate revoked\" serial=%s reason=%s actor=%s",
	    serial, revoke_reason_name((enum revoke_reason)rev.reason),
	    req->actor);
	if (out != NULL)
		*out = rev;
	return ESEAL_OK;
}
