/*
 * rotate.c: making issuers (rotate.h, issuer_create of issuer.h): a new
 * key on a token, its self-signed CA certificate or its PKCS#10, the link
 * certificates between the old key and the new (RFC 4210 4.4), and the one
 * transaction that records them.  Everything is signed and checked before
 * the transaction begins, so that a failure leaves nothing recorded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "log.h"
#include "rotate_int.h"
#include "serial.h"
#include "sign.h"

enum eseal_rc
rotate_may_generate(struct ca *ca, struct p11_token *tok, const char *tokname,
    enum key_type type, time_t now, const char *actor)
{
	const struct conf_hsm *h;
	const char *want;
	struct fips_verdict v;
	enum eseal_rc rc;

	ca_rdlock(ca);
	h = conf_hsm_find(ca->conf, tokname);
	want = h != NULL ? h->registry_entry : ca->conf->hsm_registry_entry;
	if ((rc = ca_fips_allow_on(ca, tok, FIPS_USE_KEYGEN, now, actor))
	    == ESEAL_OK && want[0] != '\0' &&
	    (rc = ca_fips_verdict_on(ca, tok, now, &v)) == ESEAL_OK &&
	    (v.entry == NULL || strcmp(fips_entry_id(v.entry), want) != 0))
		rc = eseal_err(ESEAL_EPOLICY, "fips: token %s: registry_entry "
		    "= %s, but the token matches %s%s in the HSM module "
		    "registry; issuer keys may not be generated on it",
		    ca_token_label(tokname), want, v.entry ? "[module " :
		    "no entry", v.entry ? fips_entry_id(v.entry) : "");
	if (rc == ESEAL_OK)
		rc = policy_check_issuer_key(ca->policy, type, now);
	ca_unlock(ca);
	return rc;
}

enum eseal_rc
rotate_new_key(struct p11_token *tok, enum key_type type, const char *name,
    unsigned char key_id[ROTATE_KEY_ID_BYTES], EVP_PKEY **pub)
{
	char label[80];
	enum eseal_rc rc;

	*pub = NULL;
	if (RAND_bytes(key_id, ROTATE_KEY_ID_BYTES) != 1)
		return eseal_err(ESEAL_EINTERNAL, "issuer: the CSPRNG failed");
	snprintf(label, sizeof(label), "eseal-issuer-%s", name);
	if ((rc = p11_generate(tok, type, key_id, ROTATE_KEY_ID_BYTES, label))
	    != ESEAL_OK)
		return rc;
	return p11_public_key(tok, key_id, ROTATE_KEY_ID_BYTES, pub);
}

/* C, O and CN of the CA into a new name. */
static enum eseal_rc
ca_name(const struct org *o, X509_NAME **out)
{
	X509_NAME *name;

	if ((*out = name = X509_NAME_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	if (!X509_NAME_add_entry_by_NID(name, NID_countryName, MBSTRING_ASC,
	    (const unsigned char *)o->country, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(name, NID_organizationName,
	    MBSTRING_UTF8, (const unsigned char *)o->name, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)o->common_name, -1, -1, 0)) {
		X509_NAME_free(name);
		*out = NULL;
		return eseal_err(ESEAL_EINVAL, "issuer: RFC 5280 4.1.2.6: CA "
		    "subject attribute not valid or too long");
	}
	return ESEAL_OK;
}

/*
 * A CA certificate to be signed: subject with pub, issued by issuer_name,
 * valid from now to not_after, basicConstraints, keyUsage.
 */
static enum eseal_rc
ca_cert_base(const X509_NAME *subject, const X509_NAME *issuer_name,
    EVP_PKEY *pub, int64_t now, int64_t not_after, X509 **out,
    char hex[STORE_SERIAL_HEX_MAX])
{
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	X509 *x;
	enum eseal_rc rc;

	if ((*out = x = X509_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	if ((rc = serial_new(&bn, hex)) != ESEAL_OK)
		goto out;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    !X509_set_serialNumber(x, sn) ||
	    !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, issuer_name) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) == NULL ||
	    !X509_set_pubkey(x, pub)) {
		rc = eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
		goto out;
	}
	if ((rc = profile_add_ext(x, x, NID_basic_constraints,
	    "critical,CA:TRUE")) == ESEAL_OK)
		rc = profile_add_ext(x, x, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
out:
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	if (rc != ESEAL_OK) {
		X509_free(x);
		*out = NULL;
	}
	return rc;
}

/* Encodes x's TBS and has the key key_id on tok sign it into *der. */
static enum eseal_rc
sign_tbs(struct ca *ca, struct p11_token *tok, const unsigned char *key_id,
    size_t key_id_len, EVP_PKEY *signer_pub, X509 *x, unsigned char **der,
    size_t *der_len)
{
	unsigned char *tbs = NULL;
	enum eseal_rc rc;
	int tbs_len;

	if ((rc = issuer_set_sigalg(signer_pub, x)) != ESEAL_OK)
		return rc;
	if ((tbs_len = i2d_re_X509_tbs(x, &tbs)) <= 0)
		return eseal_err(ESEAL_EINTERNAL, "issuer: cannot encode TBS");
	rc = issuer_sign_on(ca, tok, key_id, key_id_len, signer_pub, tbs,
	    (size_t)tbs_len, der, der_len);
	OPENSSL_free(tbs);
	return rc;
}

/* The new self-signed CA certificate of the key key_id (pub) on tok. */
static enum eseal_rc
self_signed(struct ca *ca, struct p11_token *tok, const struct issuer_params
    *ip, const unsigned char *key_id, EVP_PKEY *pub, int64_t now,
    unsigned char **der, size_t *der_len)
{
	char hex[STORE_SERIAL_HEX_MAX];
	X509_NAME *name = NULL;
	X509 *x = NULL;
	enum eseal_rc rc;

	if ((rc = ca_name(ip->subject, &name)) != ESEAL_OK)
		return rc;
	if ((rc = ca_cert_base(name, name, pub, now, now +
	    (int64_t)ip->validity_days * 86400, &x, hex)) == ESEAL_OK &&
	    (rc = profile_add_ext(x, x, NID_subject_key_identifier, "hash"))
	    == ESEAL_OK &&
	    (rc = profile_add_ext(x, x, NID_authority_key_identifier,
	    "keyid:always")) == ESEAL_OK)
		rc = sign_tbs(ca, tok, key_id, ROTATE_KEY_ID_BYTES, pub, x, der,
		    der_len);
	X509_free(x);
	X509_NAME_free(name);
	return rc;
}

/* One side of a link: an issuer key with its CA certificate. */
struct side {
	const char		*name;
	struct p11_token	*tok;
	const unsigned char	*key_id;
	size_t			 key_id_len;
	X509			*cert;
	EVP_PKEY		*pub;
	int64_t			 not_after;
	int			 crl_shards;
};

/*
 * The link certificate in which signer's key certifies subject's: the
 * subject's name, key and SKI, the signer's name as issuer, its AKI, CRL
 * DP and AIA caIssuers, valid until the earlier notAfter.
 */
static enum eseal_rc
make_link(struct ca *ca, const struct side *signer, const struct side *subj,
    const struct rotate_req *rq, int64_t now, struct store_issuer_link *l)
{
	char url[PROFILE_URL_MAX + 32], val[PROFILE_URL_MAX + 48];
	int64_t na = signer->not_after < subj->not_after ? signer->not_after :
	    subj->not_after;
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(subj->cert);
	X509 *x = NULL;
	enum eseal_rc rc;

	if (ski == NULL)
		return eseal_err(ESEAL_EINVAL, "issuer: RFC 5280 4.2.1.2: the "
		    "CA certificate of %s has no subjectKeyIdentifier",
		    subj->name);
	if ((rc = ca_cert_base(X509_get_subject_name(subj->cert),
	    X509_get_subject_name(signer->cert), subj->pub, now, na, &x,
	    l->serial)) != ESEAL_OK)
		return rc;
	if (!X509_add1_ext_i2d(x, NID_subject_key_identifier,
	    (void *)ski, 0, X509V3_ADD_REPLACE))
		rc = eseal_err(ESEAL_ENOMEM, "issuer: out of memory");
	else
		rc = profile_add_ext(x, signer->cert,
		    NID_authority_key_identifier, "keyid:always");
	if (rc == ESEAL_OK && rq->profile != NULL &&
	    rq->profile->crl_url[0] != '\0') {
		if ((rc = crl_url(rq->profile->crl_url, rq->base_url,
		    signer->name, serial_shard(l->serial, signer->crl_shards),
		    url, sizeof(url))) == ESEAL_OK) {
			snprintf(val, sizeof(val), "URI:%s", url);
			rc = profile_add_ext(x, signer->cert,
			    NID_crl_distribution_points, val);
		}
	}
	if (rc == ESEAL_OK && rq->profile != NULL &&
	    rq->profile->ca_issuers_url[0] != '\0' &&
	    profile_url(rq->profile->ca_issuers_url, rq->base_url,
	    signer->name, 0, url, sizeof(url))) {
		snprintf(val, sizeof(val), "caIssuers;URI:%s", url);
		rc = profile_add_ext(x, signer->cert, NID_info_access, val);
	}
	if (rc == ESEAL_OK)
		rc = sign_tbs(ca, signer->tok, signer->key_id,
		    signer->key_id_len, signer->pub, x, &l->cert, &l->cert_len);
	l->not_before = now;
	l->not_after = na;
	X509_free(x);
	return rc;
}

/* The subject of a new CA: [ca] country, organization, common_name. */
static void
conf_subject(const struct conf *c, struct org *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->country, sizeof(o->country), "%s", c->ca_country);
	snprintf(o->name, sizeof(o->name), "%.*s", (int)sizeof(o->name) - 1,
	    c->ca_organization);
	snprintf(o->common_name, sizeof(o->common_name), "%.*s",
	    (int)sizeof(o->common_name) - 1, c->ca_common_name);
}

enum eseal_rc
issuer_create(struct ca *ca, const struct issuer_params *ip, int64_t now,
    const char *actor, struct issuer **out)
{
	struct store_issuer rec;
	struct issuer *cur = NULL;
	unsigned char key_id[ROTATE_KEY_ID_BYTES], *der = NULL;
	const char *tokname = ip->token != NULL ? ip->token : "";
	struct p11_token *tok;
	EVP_PKEY *pub = NULL;
	size_t der_len = 0;
	enum eseal_rc rc;
	int64_t id;

	if (out != NULL)
		*out = NULL;
	if (strcmp(tokname, "default") == 0)
		tokname = "";
	if ((rc = ca_token(ca, tokname, &tok)) != ESEAL_OK)
		return rc;
	/* The module may generate issuer keys now; the policy allows the type. */
	if ((rc = rotate_may_generate(ca, tok, tokname, ip->key_type, now,
	    actor)) != ESEAL_OK ||
	    (rc = rotate_new_key(tok, ip->key_type, ip->name, key_id, &pub))
	    != ESEAL_OK ||
	    (rc = self_signed(ca, tok, ip, key_id, pub, now, &der, &der_len))
	    != ESEAL_OK)
		goto out;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.name, sizeof(rec.name), "%s", ip->name);
	memcpy(rec.key_id, key_id, sizeof(key_id));
	rec.key_id_len = sizeof(key_id);
	snprintf(rec.key_type, sizeof(rec.key_type), "%s",
	    key_type_name(ip->key_type));
	snprintf(rec.token, sizeof(rec.token), "%s", tokname);
	rec.cert = der;
	rec.cert_len = der_len;
	rec.not_before = now;
	rec.not_after = now + (int64_t)ip->validity_days * 86400;
	rec.crl_shards = ip->crl_shards;
	(void)issuer_current(ca, &cur);
	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		goto out;
	if ((cur != NULL && (rc = store_issuer_set_status(ca->store,
	    cur->rec.id, "active", "retiring", now, NULL)) != ESEAL_OK) ||
	    (rc = store_issuer_insert(ca->store, &rec, now, &id)) != ESEAL_OK ||
	    (rc = audit_append(ca->store, now, actor, "issuer.create",
	    ip->name, "key_type=%s crl_shards=%d validity_days=%d token=%s%s%s",
	    rec.key_type, rec.crl_shards, ip->validity_days,
	    ca_token_label(tokname), cur ? " replaces=" : "",
	    cur ? cur->rec.name : "")) != ESEAL_OK) {
		store_rollback(ca->store);
		goto out;
	}
	if ((rc = store_commit(ca->store)) != ESEAL_OK)
		goto out;
	log_info("msg=\"issuer created\" issuer=%s key_type=%s token=%s",
	    ip->name, rec.key_type, ca_token_label(tokname));
	if (out != NULL)
		rc = issuer_by_id(ca, id, out);
out:
	issuer_free(cur);
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	return rc;
}

/* --- rotate_issuer ----------------------------------------------------- */

/* What a rotation has made so far, freed by rotation_clear. */
struct rotation {
	struct issuer		*old;
	struct p11_token	*tok;		/* the new key's */
	const char		*tokname;	/* "" the default */
	enum key_type		 type;
	int			 days, shards;
	unsigned char		 key_id[ROTATE_KEY_ID_BYTES];
	EVP_PKEY		*pub;
	struct store_issuer	 rec;		/* the new issuer's row */
	X509			*cert;		/* its certificate, parsed */
	struct store_issuer_link links[2];	/* by old, by new */
};

static void
rotation_clear(struct rotation *r)
{
	issuer_free(r->old);
	EVP_PKEY_free(r->pub);
	X509_free(r->cert);
	OPENSSL_free(r->rec.cert);
	for (int i = 0; i < 2; i++)
		OPENSSL_free(r->links[i].cert);
}

/* The checks before anything is made; fills r's choices. */
static enum eseal_rc
rotation_check(struct ca *ca, const struct rotate_req *rq, const char *actor,
    time_t now, struct rotation *r)
{
	struct store_issuer other;
	enum eseal_rc rc;

	if (rq->name == NULL || !conf_valid_issuer_name(rq->name))
		return eseal_err(ESEAL_EINVAL, "rotate: the new issuer's name "
		    "must be 1-63 characters of a-z, 0-9 and '-' (it is used "
		    "in URLs: /ca/{issuer}.crt)");
	if ((rc = store_issuer_by_name(ca->store, rq->name, &other))
	    == ESEAL_OK) {
		rc = eseal_err(ESEAL_EEXIST, "rotate: an issuer named \"%s\" "
		    "already exists (%s)", rq->name, other.status);
		store_issuer_clear(&other);
		return rc;
	}
	if (rc != ESEAL_ENOTFOUND)
		return rc;
	if ((rc = issuer_current(ca, &r->old)) != ESEAL_OK)
		return rc;
	r->tokname = rq->token != NULL ? rq->token : r->old->rec.token;
	if (strcmp(r->tokname, "default") == 0)
		r->tokname = "";
	if ((rc = ca_token(ca, r->tokname, &r->tok)) != ESEAL_OK)
		return rc;
	if (rq->key_type >= 0)
		r->type = (enum key_type)rq->key_type;
	else if ((r->type = (enum key_type)key_type_parse(
	    r->old->rec.key_type)) >= KEY_TYPE_MAX)
		return eseal_err(ESEAL_EINVAL, "rotate: the current issuer's "
		    "key type %s is unknown; give --key-type",
		    r->old->rec.key_type);
	r->days = rq->validity_days > 0 ? rq->validity_days :
	    ca->conf->ca_validity_days;
	r->shards = rq->crl_shards > 0 ? rq->crl_shards :
	    r->old->rec.crl_shards;
	return rotate_may_generate(ca, r->tok, r->tokname, r->type, now,
	    actor);
}

/* The new key's self-signed certificate and both link certificates. */
static enum eseal_rc
rotation_sign(struct ca *ca, const struct rotate_req *rq, int64_t now,
    struct rotation *r)
{
	struct issuer_params ip;
	struct side olds, news;
	struct org subj;
	const unsigned char *p;
	enum eseal_rc rc;

	conf_subject(ca->conf, &subj);
	memset(&ip, 0, sizeof(ip));
	ip.name = rq->name;
	ip.key_type = r->type;
	ip.subject = &subj;
	ip.validity_days = r->days;
	ip.crl_shards = r->shards;
	if ((rc = self_signed(ca, r->tok, &ip, r->key_id, r->pub, now,
	    &r->rec.cert, &r->rec.cert_len)) != ESEAL_OK)
		return rc;
	p = r->rec.cert;
	if ((r->cert = d2i_X509(NULL, &p, (long)r->rec.cert_len)) == NULL)
		return eseal_err(ESEAL_EINTERNAL, "rotate: the new CA "
		    "certificate does not parse");
	olds = (struct side){ r->old->rec.name, NULL, r->old->rec.key_id,
	    r->old->rec.key_id_len, r->old->cert, r->old->pub,
	    r->old->rec.not_after, r->old->rec.crl_shards };
	if ((rc = ca_token(ca, r->old->rec.token, &olds.tok)) != ESEAL_OK)
		return rc;
	news = (struct side){ rq->name, r->tok, r->key_id, ROTATE_KEY_ID_BYTES,
	    r->cert, r->pub, now + (int64_t)r->days * 86400, r->shards };
	if ((rc = make_link(ca, &olds, &news, rq, now, &r->links[0]))
	    != ESEAL_OK)
		return rc;
	return make_link(ca, &news, &olds, rq, now, &r->links[1]);
}

/* The new issuer's row, from what was made. */
static void
rotation_rec(const struct rotate_req *rq, int64_t now, struct rotation *r,
    const char *status)
{
	struct store_issuer *rec = &r->rec;

	snprintf(rec->name, sizeof(rec->name), "%s", rq->name);
	memcpy(rec->key_id, r->key_id, ROTATE_KEY_ID_BYTES);
	rec->key_id_len = ROTATE_KEY_ID_BYTES;
	snprintf(rec->key_type, sizeof(rec->key_type), "%s",
	    key_type_name(r->type));
	snprintf(rec->token, sizeof(rec->token), "%s", r->tokname);
	snprintf(rec->status, sizeof(rec->status), "%s", status);
	rec->not_before = now;
	rec->not_after = rec->cert != NULL ? now + (int64_t)r->days * 86400 :
	    now;
	rec->crl_shards = r->shards;
}

/* The self-signed shape's one transaction. */
static enum eseal_rc
rotation_record(struct ca *ca, const struct rotate_req *rq, const char *actor,
    int64_t now, struct rotation *r, struct rotate_result *out)
{
	struct store *s = ca->store;
	enum eseal_rc rc;
	int64_t id;

	if ((rc = store_begin(s)) != ESEAL_OK)
		return rc;
	r->links[0].signer_id = r->links[1].subject_id = r->old->rec.id;
	if ((rc = store_issuer_set_status(s, r->old->rec.id, "active",
	    "retiring", now, NULL)) != ESEAL_OK ||
	    (rc = store_issuer_insert(s, &r->rec, now, &id)) != ESEAL_OK)
		goto fail;
	r->links[0].subject_id = r->links[1].signer_id = id;
	if ((rc = store_issuer_link_insert(s, &r->links[0], now)) != ESEAL_OK ||
	    (rc = store_issuer_link_insert(s, &r->links[1], now)) != ESEAL_OK ||
	    (rc = audit_append(s, now, actor, "issuer.rotate", rq->name,
	    "from=%s key_type=%s token=%s validity_days=%d crl_shards=%d "
	    "link_by_old=%s link_by_new=%s", r->old->rec.name,
	    r->rec.key_type, ca_token_label(r->tokname), r->days, r->shards,
	    r->links[0].serial, r->links[1].serial)) != ESEAL_OK)
		goto fail;
	if ((rc = store_commit(s)) != ESEAL_OK)
		return rc;
	if (out != NULL) {
		out->old_id = r->old->rec.id;
		out->new_id = id;
		snprintf(out->old_name, sizeof(out->old_name), "%s",
		    r->old->rec.name);
		snprintf(out->link_by_old, sizeof(out->link_by_old), "%s",
		    r->links[0].serial);
		snprintf(out->link_by_new, sizeof(out->link_by_new), "%s",
		    r->links[1].serial);
	}
	return ESEAL_OK;
fail:
	store_rollback(s);
	return rc;
}

/* Signs a PKCS#10 on the HSM and checks it with the public key. */
static int
csr_sign(EVP_MD_CTX *mctx, void *arg)
{
	return X509_REQ_sign_ctx(arg, mctx) > 0;
}

static int
csr_verify(EVP_PKEY *pub, void *arg)
{
	int v = X509_REQ_verify(arg, pub);

	if (v < 0)
		eseal_err(ESEAL_EINTERNAL, "rotate: RFC 2986: cannot check the "
		    "PKCS#10 signature");
	return v < 0 ? -1 : v == 1;
}

/* The external-root shape: the PKCS#10 of the new key, written to path. */
static enum eseal_rc
write_csr(struct ca *ca, struct rotation *r, const char *path)
{
	struct sign_op op = { csr_sign, csr_verify, NULL, "rotate",
	    "RFC 2986 4.2", "new issuer's" };
	char tmp[CONF_PATH_MAX + 16];
	X509_NAME *name = NULL;
	X509_REQ *req;
	struct org subj;
	enum eseal_rc rc;
	FILE *f;

	conf_subject(ca->conf, &subj);
	if ((req = X509_REQ_new()) == NULL)
		return eseal_err(ESEAL_ENOMEM, "rotate: out of memory");
	op.arg = req;
	if ((rc = ca_name(&subj, &name)) != ESEAL_OK)
		goto out;
	if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, r->pub)) {
		rc = eseal_err(ESEAL_ENOMEM, "rotate: out of memory");
		goto out;
	}
	if ((rc = sign_verified_on(ca, r->tok, r->key_id, ROTATE_KEY_ID_BYTES,
	    r->pub, &op)) != ESEAL_OK)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "wx")) == NULL) {
		rc = eseal_err(ESEAL_EINVAL, "rotate: --csr-out %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	if (PEM_write_X509_REQ(f, req) != 1 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		rc = eseal_err(ESEAL_EINVAL, "rotate: --csr-out %s: cannot "
		    "write", tmp);
		fclose(f);
		unlink(tmp);
		goto out;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		rc = eseal_err(ESEAL_EINVAL, "rotate: --csr-out %s: %s", path,
		    strerror(errno));
		unlink(tmp);
	}
out:
	X509_NAME_free(name);
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}

/* The external-root shape's transaction: the pending row. */
static enum eseal_rc
pending_record(struct ca *ca, const struct rotate_req *rq, const char *actor,
    int64_t now, struct rotation *r, struct rotate_result *out)
{
	enum eseal_rc rc;
	int64_t id;

	if ((rc = store_begin(ca->store)) != ESEAL_OK)
		return rc;
	if ((rc = store_issuer_insert(ca->store, &r->rec, now, &id))
	    != ESEAL_OK ||
	    (rc = audit_append(ca->store, now, actor, "issuer.csr", rq->name,
	    "key_type=%s token=%s csr=%s replaces=%s", r->rec.key_type,
	    ca_token_label(r->tokname), rq->csr_out, r->old->rec.name))
	    != ESEAL_OK) {
		store_rollback(ca->store);
		return rc;
	}
	if ((rc = store_commit(ca->store)) == ESEAL_OK && out != NULL) {
		out->old_id = r->old->rec.id;
		out->new_id = id;
		snprintf(out->old_name, sizeof(out->old_name), "%s",
		    r->old->rec.name);
	}
	return rc;
}

enum eseal_rc
rotate_issuer(struct ca *ca, const struct rotate_req *rq, const char *actor,
    time_t now, struct rotate_result *out)
{
	struct rotation r;
	enum eseal_rc rc;
	char msg[512];

	memset(&r, 0, sizeof(r));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((rc = rotation_check(ca, rq, actor, now, &r)) != ESEAL_OK ||
	    (rc = rotate_new_key(r.tok, r.type, rq->name, r.key_id, &r.pub))
	    != ESEAL_OK)
		goto out;
	if (rq->csr_out != NULL) {
		rotation_rec(rq, (int64_t)now, &r, "pending");
		if ((rc = write_csr(ca, &r, rq->csr_out)) == ESEAL_OK &&
		    (rc = pending_record(ca, rq, actor, (int64_t)now, &r, out))
		    != ESEAL_OK) {
			snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
			unlink(rq->csr_out);
			eseal_err(rc, "%s", msg);
		}
	} else if ((rc = rotation_sign(ca, rq, (int64_t)now, &r)) == ESEAL_OK) {
		rotation_rec(rq, (int64_t)now, &r, "active");
		rc = rotation_record(ca, rq, actor, (int64_t)now, &r, out);
	}
	if (rc == ESEAL_OK)
		log_info("msg=\"issuer rotated\" issuer=%s from=%s key_type=%s "
		    "token=%s shape=%s", rq->name, r.old->rec.name,
		    key_type_name(r.type), ca_token_label(r.tokname),
		    rq->csr_out ? "external-root (pending)" : "self-signed");
out:
	rotation_clear(&r);
	return rc;
}
