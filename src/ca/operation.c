/*
 * operation.c: the operations dual control runs (operation.h): an issuer
 * key, an admin account, a new crypto policy or module registry, an
 * issuer rotated or retired.  Each repeats its checks at execution time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "audit.h"
#include "issuer.h"
#include "operation.h"
#include "publish.h"
#include "rotate.h"

#define OP_FILE_MAX	(1024 * 1024)	/* as approval.c reads it */

static const char *
str(json_t *p, const char *k)
{
	return json_string_value(json_object_get(p, k));
}

static enum eseal_rc
op_keygen(struct operation_ctx *x, const struct store_op *op, json_t *p,
    const char *approvers, int64_t now, char *result, size_t len)
{
	unsigned char id[16];
	char hex[33], label[80];
	const char *type = str(p, "type"), *lab = str(p, "label");
	enum eseal_rc rc;
	int kt;

	if ((kt = key_type_parse(type)) < 0)
		return eseal_err(ESEAL_EINVAL, "operation: key type %s", type);
	/* The module's registry status and the crypto policy, now. */
	if ((rc = issuer_may_generate(x->ca, (enum key_type)kt, now,
	    approvers)) != ESEAL_OK)
		return rc;
	if (RAND_bytes(id, sizeof(id)) != 1)
		return eseal_err(ESEAL_EINTERNAL, "operation: no random CKA_ID");
	for (size_t i = 0; i < sizeof(id); i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(label, sizeof(label), "%s", lab ? lab : "eseal-key");
	if ((rc = p11_generate(x->ca->token, (enum key_type)kt, id, sizeof(id),
	    label)) != ESEAL_OK)
		return rc;
	if ((rc = audit_append(x->ca->store, now, op->proposer, "key.generate",
	    hex, "type=%s label=%s operation=%" PRId64 " approvers=%s", type,
	    label, op->id, approvers)) != ESEAL_OK)
		return rc;
	snprintf(result, len, "key generated on the token: %s id=%s label=%s",
	    type, hex, label);
	return ESEAL_OK;
}

static enum eseal_rc
op_admin(struct operation_ctx *x, const struct store_op *op, json_t *p,
    const char *approvers, int64_t now, char *result, size_t len)
{
	char pw[ACCOUNT_INITIAL_PW_SIZE], who[256];
	const char *user = str(p, "username");
	enum eseal_rc rc;

	snprintf(who, sizeof(who), "operation/%" PRId64 ":%s", op->id,
	    approvers);
	if ((rc = account_add(x->ca->store, x->acct, user, ROLE_ADMIN, now,
	    who, pw, sizeof(pw))) != ESEAL_OK)
		return rc;
	snprintf(result, len, "admin account %s created; initial password "
	    "(shown once, to be changed at first login): %s", user, pw);
	OPENSSL_cleanse(pw, sizeof(pw));
	return ESEAL_OK;
}

/* Reads a file of at most OP_FILE_MAX bytes; its SHA-256 in hex. */
static enum eseal_rc
slurp(const char *path, unsigned char **buf, size_t *n, char hex[65])
{
	unsigned char d[32];
	FILE *f;

	*buf = NULL;
	if ((f = fopen(path, "rb")) == NULL)
		return eseal_err(ESEAL_EINVAL, "operation: %s cannot be read",
		    path);
	if ((*buf = malloc(OP_FILE_MAX + 1)) == NULL) {
		fclose(f);
		return eseal_err(ESEAL_ENOMEM, "operation: out of memory");
	}
	*n = fread(*buf, 1, OP_FILE_MAX + 1, f);
	fclose(f);
	if (*n > OP_FILE_MAX) {
		free(*buf);
		*buf = NULL;
		return eseal_err(ESEAL_ETOOLARGE, "operation: %s is too large",
		    path);
	}
	EVP_Digest(*buf, *n, d, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return ESEAL_OK;
}

/* The file as approved, checked by its own reader, then put in place. */
static enum eseal_rc
op_replace(struct operation_ctx *x, const struct store_op *op, json_t *p,
    const char *approvers, int64_t now, char *result, size_t len)
{
	int policy = strcmp(op->kind, "crypto_policy.replace") == 0;
	const char *file = str(p, "file"), *want = str(p, "sha256");
	const char *dest = policy ? x->ca->conf->issue_crypto_policy :
	    x->ca->conf->hsm_registry;
	struct fips_registry *reg = NULL;
	struct policy *pol = NULL;
	unsigned char *buf;
	char hex[65];
	enum eseal_rc rc;
	size_t n = 0;

	if ((rc = slurp(file, &buf, &n, hex)) != ESEAL_OK)
		return rc;
	if (want == NULL || strcmp(hex, want) != 0) {
		rc = eseal_err(ESEAL_EEXIST, "operation: %s changed since it "
		    "was approved: its SHA-256 is %s, the approved %s", file,
		    hex, want ? want : "none");
		goto out;
	}
	if ((rc = policy ? policy_load(file, &pol) : fips_load(file, &reg))
	    != ESEAL_OK)
		goto out;
	if ((rc = publish_write_file(dest, buf, n)) != ESEAL_OK ||
	    (rc = ca_reload(x->ca, x->ca->conf)) != ESEAL_OK)
		goto out;
	rc = audit_append(x->ca->store, now, op->proposer, policy ?
	    "crypto_policy.replace" : "hsm_registry.replace", dest,
	    "sha256=%s from=%s operation=%" PRId64 " approvers=%s", hex, file,
	    op->id, approvers);
	if (rc == ESEAL_OK)
		snprintf(result, len, "%s replaced (sha256 %s) and reloaded",
		    dest, hex);
out:
	policy_free(pol);
	fips_free(reg);
	free(buf);
	return rc;
}

static enum eseal_rc
op_rotate(struct operation_ctx *x, const struct store_op *op, json_t *p,
    const char *approvers, int64_t now, char *result, size_t len)
{
	const struct conf *c = x->ca->conf;
	struct rotate_result res;
	struct rotate_req rq;
	struct profile *prof = NULL;
	char who[256];
	enum eseal_rc rc;

	memset(&rq, 0, sizeof(rq));
	rq.name = str(p, "name");
	rq.key_type = str(p, "key_type") ? key_type_parse(str(p, "key_type")) :
	    -1;
	rq.token = str(p, "token");
	snprintf(who, sizeof(who), "operation/%" PRId64 ":%s", op->id,
	    approvers);
	if ((rc = profile_load(c->issue_profiles_dir, c->issue_profile, &prof))
	    != ESEAL_OK)
		return rc;
	rq.profile = prof;
	rq.base_url = c->publish_base_url;
	rc = rotate_issuer(x->ca, &rq, who, (time_t)now, &res);
	profile_free(prof);
	if (rc == ESEAL_OK)
		snprintf(result, len, "issuer %s active, %s retiring; link "
		    "certificates %s and %s", rq.name, res.old_name,
		    res.link_by_old, res.link_by_new);
	return rc;
}

static enum eseal_rc
op_retire(struct operation_ctx *x, const struct store_op *op, json_t *p,
    const char *approvers, int64_t now, char *result, size_t len)
{
	const struct conf *c = x->ca->conf;
	struct crl_params cp;
	struct profile *prof = NULL;
	char who[256];
	enum eseal_rc rc;

	snprintf(who, sizeof(who), "operation/%" PRId64 ":%s", op->id,
	    approvers);
	memset(&cp, 0, sizeof(cp));
	cp.validity_secs = (int64_t)c->publish_crl_hours * 3600;
	cp.base_url = c->publish_base_url;
	cp.actor = who;
	cp.drop_expired = !c->publish_expired_on_crl;
	cp.delta = c->publish_delta_crl;
	if (profile_load(c->issue_profiles_dir, c->issue_profile, &prof)
	    == ESEAL_OK)
		cp.url_template = prof->crl_url;
	rc = rotate_retire(x->ca, str(p, "name"),
	    json_is_true(json_object_get(p, "force")), str(p, "reason"), &cp,
	    who, (time_t)now);
	profile_free(prof);
	if (rc == ESEAL_OK)
		snprintf(result, len, "issuer %s retired; its final CRL is "
		    "published", str(p, "name"));
	return rc;
}

enum eseal_rc
operation_execute(void *ctx, const struct store_op *op, const char *approvers,
    int64_t now, char *result, size_t len)
{
	struct operation_ctx *x = ctx;
	enum eseal_rc rc;
	json_t *p;
	int k;

	result[0] = '\0';
	if ((k = op_kind_parse(op->kind)) < 0 ||
	    (p = json_loads(op->params, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return eseal_err(ESEAL_EINVAL, "operation %" PRId64 ": its "
		    "stored kind or parameters do not parse", op->id);
	switch ((enum op_kind)k) {
	case OP_KEY_GENERATE:
		rc = op_keygen(x, op, p, approvers, now, result, len);
		break;
	case OP_ACCOUNT_CREATE_ADMIN:
		rc = op_admin(x, op, p, approvers, now, result, len);
		break;
	case OP_CRYPTO_POLICY_REPLACE:
	case OP_HSM_REGISTRY_REPLACE:
		rc = op_replace(x, op, p, approvers, now, result, len);
		break;
	case OP_ISSUER_ROTATE:
		rc = op_rotate(x, op, p, approvers, now, result, len);
		break;
	case OP_ISSUER_RETIRE:
		rc = op_retire(x, op, p, approvers, now, result, len);
		break;
	default:
		rc = eseal_err(ESEAL_EINVAL, "operation: unknown kind");
	}
	json_decref(p);
	return rc;
}
