/*
 * approval.c: dual control of sensitive operations (approval.h): the
 * kinds and their parameters, proposals, votes, and the checks run again
 * before an approved operation is handed to its executor.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "approval.h"
#include "audit.h"
#include "keytype.h"
#include "store_account.h"

#define APPROVAL_FILE_MAX	(1024 * 1024)	/* a policy or registry file */
#define APPROVERS_MAX		(STORE_OP_VOTES_MAX * 64)

/* One parameter a kind takes. */
struct param {
	const char	*name;
	int		 type;		/* JSON_STRING, JSON_TRUE (a boolean) */
	int		 required;
	size_t		 max;		/* string length */
	int		(*valid)(const char *);
};

static int
valid_keytype(const char *s)
{
	return key_type_parse(s) >= 0;
}

static int
valid_label(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static int
valid_path(const char *s)
{
	return s[0] == '/' && valid_label(s) && strstr(s, "/../") == NULL;
}

static int
valid_hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

#define P_END	{ NULL, 0, 0, 0, NULL }
static const struct param p_keygen[] = {
	{ "type", JSON_STRING, 1, 16, valid_keytype },
	{ "label", JSON_STRING, 0, 63, valid_label }, P_END };
static const struct param p_admin[] = {
	{ "username", JSON_STRING, 1, 63, valid_name }, P_END };
static const struct param p_file[] = {
	{ "file", JSON_STRING, 1, 1023, valid_path },
	{ "sha256", JSON_STRING, 0, 64, valid_hex64 }, P_END };
static const struct param p_rotate[] = {
	{ "name", JSON_STRING, 1, 63, valid_name },
	{ "key_type", JSON_STRING, 0, 16, valid_keytype },
	{ "token", JSON_STRING, 0, 63, valid_name }, P_END };
static const struct param p_retire[] = {
	{ "name", JSON_STRING, 1, 63, valid_name },
	{ "reason", JSON_STRING, 0, 200, valid_label },
	{ "force", JSON_TRUE, 0, 0, NULL }, P_END };

static const struct {
	const char		*name;
	enum role		 role;
	const struct param	*params;
	const char		*about;	/* for refusals: what it takes */
} kinds[OP_KIND_MAX] = {
	{ "key.generate", ROLE_ADMIN, p_keygen,
	  "type (ec-p256|ec-p384|rsa-3072|rsa-4096), label" },
	{ "account.create_admin", ROLE_ADMIN, p_admin, "username" },
	{ "crypto_policy.replace", ROLE_ADMIN, p_file,
	  "file (absolute path), sha256" },
	{ "hsm_registry.replace", ROLE_ADMIN, p_file,
	  "file (absolute path), sha256" },
	{ "issuer.rotate", ROLE_ADMIN, p_rotate, "name, key_type, token" },
	{ "issuer.retire", ROLE_ADMIN, p_retire,
	  "name, reason, force (boolean)" },
};

const char *
op_kind_name(enum op_kind k)
{
	return k < OP_KIND_MAX ? kinds[k].name : "unknown";
}

int
op_kind_parse(const char *s)
{
	for (int i = 0; s != NULL && i < OP_KIND_MAX; i++)
		if (strcmp(s, kinds[i].name) == 0)
			return i;
	return -1;
}

enum role
op_kind_role(enum op_kind k)
{
	return kinds[k].role;
}

/* Checks p against the kind's parameters; 0 with msg on a refusal. */
static int
check_params(enum op_kind k, json_t *p, char *msg, size_t len)
{
	const struct param *d;
	const char *key;
	json_t *v;
	int known;

	json_object_foreach(p, key, v) {
		known = 0;
		for (d = kinds[k].params; d->name != NULL; d++)
			known |= strcmp(d->name, key) == 0;
		if (!known) {
			snprintf(msg, len, "approval: %s takes the parameters "
			    "%s; \"%.40s\" is not one", kinds[k].name,
			    kinds[k].about, key);
			return 0;
		}
	}
	for (d = kinds[k].params; d->name != NULL; d++) {
		v = json_object_get(p, d->name);
		if (v == NULL && !d->required)
			continue;
		if (v == NULL || (d->type == JSON_TRUE && !json_is_boolean(v)) ||
		    (d->type == JSON_STRING && (!json_is_string(v) ||
		    json_string_length(v) > d->max ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    !d->valid(json_string_value(v))))) {
			snprintf(msg, len, "approval: %s: parameter %s is %s "
			    "(it takes %s)", kinds[k].name, d->name, v == NULL ?
			    "required" : "not valid", kinds[k].about);
			return 0;
		}
	}
	return 1;
}

enum eseal_rc
approval_request_parse(json_t *body, struct approval_request *out,
    char *msg, size_t msglen)
{
	json_t *kind, *p;
	int k;

	memset(out, 0, sizeof(*out));
	kind = json_object_get(body, "kind");
	p = json_object_get(body, "parameters");
	if (!json_is_object(body) || json_object_size(body) != 2 ||
	    !json_is_string(kind) || !json_is_object(p)) {
		snprintf(msg, msglen, "approval: the body is {\"kind\": K, "
		    "\"parameters\": {...}} and nothing else");
		return ESEAL_EINVAL;
	}
	if ((k = op_kind_parse(json_string_value(kind))) < 0) {
		snprintf(msg, msglen, "approval: kind must be one of "
		    "key.generate, account.create_admin, crypto_policy.replace, "
		    "hsm_registry.replace, issuer.rotate, issuer.retire");
		return ESEAL_EINVAL;
	}
	if (!check_params((enum op_kind)k, p, msg, msglen))
		return ESEAL_EINVAL;
	out->kind = (enum op_kind)k;
	out->params = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	if (out->params == NULL || strlen(out->params) > APPROVAL_PARAMS_MAX) {
		approval_request_clear(out);
		snprintf(msg, msglen, "approval: parameters over %d bytes",
		    APPROVAL_PARAMS_MAX);
		return ESEAL_ETOOLARGE;
	}
	return ESEAL_OK;
}

void
approval_request_clear(struct approval_request *r)
{
	if (r == NULL)
		return;
	free(r->params);
	r->params = NULL;
}

static void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[32];

	EVP_Digest(data, len, d, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The SHA-256 of a file of at most APPROVAL_FILE_MAX bytes. */
static enum eseal_rc
file_sha256(const char *path, char out[65])
{
	unsigned char *buf;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return eseal_err(ESEAL_EINVAL, "approval: %s cannot be read",
		    path);
	if ((buf = malloc(APPROVAL_FILE_MAX + 1)) == NULL) {
		fclose(f);
		return eseal_err(ESEAL_ENOMEM, "approval: out of memory");
	}
	n = fread(buf, 1, APPROVAL_FILE_MAX + 1, f);
	fclose(f);
	if (n > APPROVAL_FILE_MAX) {
		free(buf);
		return eseal_err(ESEAL_ETOOLARGE, "approval: %s is over %d "
		    "bytes", path, APPROVAL_FILE_MAX);
	}
	sha256_hex(buf, n, out);
	free(buf);
	return ESEAL_OK;
}

/* Replace kinds: the file's SHA-256 into the parameters. */
static enum eseal_rc
pin_file(struct approval_request *r)
{
	json_t *p;
	const char *given;
	char h[65];
	enum eseal_rc rc;

	if (r->kind != OP_CRYPTO_POLICY_REPLACE &&
	    r->kind != OP_HSM_REGISTRY_REPLACE)
		return ESEAL_OK;
	if ((p = json_loads(r->params, 0, NULL)) == NULL)
		return eseal_err(ESEAL_ENOMEM, "approval: out of memory");
	if ((rc = file_sha256(json_string_value(json_object_get(p, "file")),
	    h)) != ESEAL_OK)
		goto out;
	given = json_string_value(json_object_get(p, "sha256"));
	if (given != NULL && strcmp(given, h) != 0) {
		rc = eseal_err(ESEAL_EEXIST, "approval: the file's SHA-256 is "
		    "%s, not the %s proposed", h, given);
		goto out;
	}
	json_object_set_new(p, "sha256", json_string(h));
	free(r->params);
	if ((r->params = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		rc = eseal_err(ESEAL_ENOMEM, "approval: out of memory");
out:
	json_decref(p);
	return rc;
}

/* One refusal, one audit record (its own transaction); returns rc. */
static enum eseal_rc
refuse(struct store *s, int64_t now, const char *who, int64_t id,
    enum eseal_rc rc, const char *why)
{
	char obj[32], msg[512];

	snprintf(msg, sizeof(msg), "%s", why);
	snprintf(obj, sizeof(obj), "operation/%" PRId64, id);
	(void)audit_append(s, now, who, "operation.refuse", obj, "reason=\"%s\"",
	    msg);
	return eseal_err(rc, "%s", msg);
}

enum eseal_rc
approval_propose(struct store *s, const struct approval_conf *c,
    struct approval_request *r, const struct session_info *si, int64_t now,
    int64_t *id)
{
	struct store_op op;
	struct store_vote v;
	enum eseal_rc rc;
	char why[256];

	*id = 0;
	if (si->role != kinds[r->kind].role) {
		snprintf(why, sizeof(why), "approval: %s is proposed and "
		    "approved by the %s role only (docs/security.md, dual "
		    "control); %s is %s", kinds[r->kind].name,
		    role_name(kinds[r->kind].role), si->username,
		    role_name(si->role));
		return refuse(s, now, si->username, 0, ESEAL_EFORBIDDEN, why);
	}
	if ((rc = pin_file(r)) != ESEAL_OK) {
		snprintf(why, sizeof(why), "%s", eseal_errmsg());
		return refuse(s, now, si->username, 0, rc, why);
	}
	memset(&op, 0, sizeof(op));
	snprintf(op.kind, sizeof(op.kind), "%s", kinds[r->kind].name);
	op.params = r->params;
	sha256_hex(r->params, strlen(r->params), op.params_hash);
	snprintf(op.role, sizeof(op.role), "%s", role_name(kinds[r->kind].role));
	op.quorum = c->quorum;
	snprintf(op.proposer, sizeof(op.proposer), "%s", si->username);
	op.created = now;
	op.expires = now + c->expiry_secs;
	memset(&v, 0, sizeof(v));
	snprintf(v.account, sizeof(v.account), "%s", si->username);
	v.approve = 1;
	memcpy(v.params_hash, op.params_hash, sizeof(v.params_hash));
	v.ts = now;
	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = store_op_insert(s, &op, id)) != ESEAL_OK ||
	    (rc = store_op_vote(s, *id, &v)) != ESEAL_OK)
		goto fail;
	char obj[32];
	snprintf(obj, sizeof(obj), "operation/%" PRId64, *id);
	if ((rc = audit_append(s, now, si->username, "operation.propose", obj,
	    "kind=%s params=%s params_sha256=%s quorum=%d expires=%" PRId64,
	    op.kind, op.params, op.params_hash, op.quorum, op.expires))
	    != ESEAL_OK)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return rc;
}

/* Every approver still holds the role, is enabled and not compromised. */
static enum eseal_rc
approvers_valid(struct store *s, const struct store_op *op, char *why,
    size_t len)
{
	struct store_account a;

	for (int i = 0; i < op->nvotes; i++) {
		if (!op->votes[i].approve)
			continue;
		if (strcmp(op->votes[i].params_hash, op->params_hash) != 0) {
			snprintf(why, len, "approval: operation %" PRId64 ": "
			    "%s approved other parameters than the stored "
			    "ones", op->id, op->votes[i].account);
			return ESEAL_EEXIST;
		}
		if (store_account_by_name(s, op->votes[i].account, &a)
		    != ESEAL_OK || a.disabled || a.compromised ||
		    strcmp(a.role, op->role) != 0) {
			snprintf(why, len, "approval: operation %" PRId64 ": "
			    "approver %s is no longer a valid %s (missing, "
			    "disabled, compromised or another role)", op->id,
			    op->votes[i].account, op->role);
			return ESEAL_EFORBIDDEN;
		}
	}
	return ESEAL_OK;
}

/* The checks a vote must pass before it is recorded. */
static enum eseal_rc
vote_check(const struct store_op *op, const char *params_hash,
    const struct session_info *si, int64_t now, char *why, size_t len)
{
	if (strcmp(op->status, "pending") != 0) {
		snprintf(why, len, "approval: operation %" PRId64 " is %s, no "
		    "longer pending", op->id, op->status);
		return ESEAL_EEXIST;
	}
	if (now > op->expires) {
		snprintf(why, len, "approval: operation %" PRId64 " expired at "
		    "%" PRId64 " ([approval] expiry_hours)", op->id,
		    op->expires);
		return ESEAL_EEXIST;
	}
	if (strcmp(role_name(si->role), op->role) != 0) {
		snprintf(why, len, "approval: operation %" PRId64 " (%s) is "
		    "approved by the %s role only; %s is %s", op->id, op->kind,
		    op->role, si->username, role_name(si->role));
		return ESEAL_EFORBIDDEN;
	}
	for (int i = 0; i < op->nvotes; i++)
		if (strcmp(op->votes[i].account, si->username) == 0) {
			snprintf(why, len, "approval: %s has already voted on "
			    "operation %" PRId64 "; dual control needs %d "
			    "distinct operators", si->username, op->id,
			    op->quorum);
			return ESEAL_EEXIST;
		}
	if (params_hash == NULL || strcmp(params_hash, op->params_hash) != 0) {
		snprintf(why, len, "approval: operation %" PRId64 ": the "
		    "parameters reviewed (params_sha256 %.64s) differ from the "
		    "proposal's %s", op->id, params_hash ? params_hash : "none",
		    op->params_hash);
		return ESEAL_EEXIST;
	}
	return ESEAL_OK;
}

/* The approvers, proposer first: "a,b". */
static void
approvers_of(const struct store_op *op, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < op->nvotes; i++)
		if (op->votes[i].approve && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off ? "," : "", op->votes[i].account);
}

static int
approvals(const struct store_op *op)
{
	int n = 0;

	for (int i = 0; i < op->nvotes; i++)
		n += op->votes[i].approve;
	return n;
}

/* The vote, its audit record and (a rejection) the decision: one txn. */
static enum eseal_rc
record_vote(struct store *s, const struct store_op *op, const char *obj,
    const struct store_vote *v)
{
	enum eseal_rc rc;

	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	if ((rc = store_op_vote(s, op->id, v)) != ESEAL_OK ||
	    (!v->approve && (rc = store_op_decide(s, op->id, "rejected",
	    v->ts, "rejected by a second operator")) != ESEAL_OK) ||
	    (rc = audit_append(s, v->ts, v->account, v->approve ?
	    "operation.approve" : "operation.reject", obj, "kind=%s "
	    "params_sha256=%s approvals=%d quorum=%d", op->kind,
	    op->params_hash, approvals(op) + v->approve, op->quorum))
	    != ESEAL_OK) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s);
}

/* Runs the approved op; decision and its audit record in one txn. */
static enum eseal_rc
execute(struct store *s, const struct store_op *op, const char *obj,
    const char *who, int64_t now, approval_exec_fn exec, void *ctx,
    struct approval_outcome *out)
{
	char approvers[APPROVERS_MAX], why[512];
	enum eseal_rc rc, wrc;

	approvers_of(op, approvers, sizeof(approvers));
	sha256_hex(op->params, strlen(op->params), why);
	if (strcmp(why, op->params_hash) != 0) {
		snprintf(why, sizeof(why), "approval: operation %" PRId64 ": "
		    "the stored parameters no longer hash to the approved %s",
		    op->id, op->params_hash);
		rc = ESEAL_EEXIST;
	} else if ((rc = approvers_valid(s, op, why, sizeof(why))) == ESEAL_OK &&
	    (rc = exec(ctx, op, approvers, now, out->result,
	    sizeof(out->result))) != ESEAL_OK)
		snprintf(why, sizeof(why), "%s", eseal_errmsg());
	if ((wrc = store_begin(s)) != ESEAL_OK)
		return wrc;
	wrc = store_op_decide(s, op->id, rc == ESEAL_OK ? "executed" : "failed",
	    now, rc == ESEAL_OK ? out->result : why);
	if (wrc == ESEAL_OK)
		wrc = audit_append(s, now, who, rc == ESEAL_OK ?
		    "operation.execute" : "operation.fail", obj, "kind=%s "
		    "proposer=%s approvers=%s %s=\"%s\"", op->kind, op->proposer,
		    approvers, rc == ESEAL_OK ? "result" : "reason",
		    rc == ESEAL_OK ? out->result : why);
	if (wrc != ESEAL_OK) {
		store_rollback(s);
		return wrc;
	}
	if ((wrc = store_commit(s)) != ESEAL_OK)
		return wrc;
	snprintf(out->status, sizeof(out->status), "%s", rc == ESEAL_OK ?
	    "executed" : "failed");
	return rc == ESEAL_OK ? ESEAL_OK : eseal_err(rc, "%s", why);
}

/* One vote at a time in this process: the quorum runs an operation once. */
static pthread_mutex_t vote_mu = PTHREAD_MUTEX_INITIALIZER;

static enum eseal_rc
vote_locked(struct store *s, int64_t id, int approve, const char *params_hash,
    const struct session_info *si, int64_t now, approval_exec_fn exec,
    void *ctx, struct approval_outcome *out)
{
	struct store_op op;
	struct store_vote v;
	enum eseal_rc rc;
	char why[512], obj[32];

	snprintf(obj, sizeof(obj), "operation/%" PRId64, id);
	if ((rc = store_op_get(s, id, &op)) != ESEAL_OK)
		return rc;
	if ((rc = vote_check(&op, params_hash, si, now, why, sizeof(why)))
	    != ESEAL_OK) {
		if (strcmp(op.status, "pending") == 0 && now > op.expires &&
		    store_op_decide(s, id, "failed", now, "expired") == ESEAL_OK)
			snprintf(op.status, sizeof(op.status), "failed");
		rc = refuse(s, now, si->username, id, rc, why);
		goto out;
	}
	memset(&v, 0, sizeof(v));
	snprintf(v.account, sizeof(v.account), "%s", si->username);
	v.approve = approve;
	snprintf(v.params_hash, sizeof(v.params_hash), "%s", op.params_hash);
	v.ts = now;
	if ((rc = record_vote(s, &op, obj, &v)) != ESEAL_OK)
		goto out;
	op.votes[op.nvotes++] = v;
	out->approvals = approvals(&op);
	out->quorum = op.quorum;
	snprintf(out->status, sizeof(out->status), "%s", approve ? "pending" :
	    "rejected");
	if (approve && out->approvals >= op.quorum)
		rc = execute(s, &op, obj, si->username, now, exec, ctx, out);
out:
	store_op_clear(&op);
	return rc;
}

enum eseal_rc
approval_vote(struct store *s, int64_t id, int approve, const char *params_hash,
    const struct session_info *si, int64_t now, approval_exec_fn exec,
    void *ctx, struct approval_outcome *out)
{
	enum eseal_rc rc;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&vote_mu);
	rc = vote_locked(s, id, approve, params_hash, si, now, exec, ctx, out);
	pthread_mutex_unlock(&vote_mu);
	return rc;
}

enum eseal_rc
approval_list(struct store *s, const char *status, struct store_op **out,
    size_t *n)
{
	return store_op_list(s, status, APPROVAL_LIST_MAX, out, n);
}
