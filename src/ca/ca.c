/*
 * ca.c: opening the store, the token and the cache of parsed issuers
 * together for the CA core.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "ca.h"
#include "issuer.h"
#include "log.h"

enum eseal_rc
ca_open(const struct conf *c, int with_token, struct ca *ca)
{
	char pin[CONF_PIN_MAX];
	enum eseal_rc rc;

	memset(ca, 0, sizeof(*ca));
	ca->conf = c;
	pthread_rwlock_init(&ca->lock, NULL);
	if ((rc = store_open(c->store_path, &ca->store)) != ESEAL_OK)
		return rc;
	if ((rc = issuer_cache_new(&ca->issuers)) != ESEAL_OK ||
	    (rc = policy_load(c->issue_crypto_policy, &ca->policy)) != ESEAL_OK ||
	    (rc = fips_load(c->hsm_registry, &ca->fips)) != ESEAL_OK) {
		ca_close(ca);
		return rc;
	}
	if (!with_token)
		return ESEAL_OK;
	if ((rc = conf_read_pin(c, pin, sizeof(pin))) == ESEAL_OK)
		rc = p11_open(c->hsm_module, c->hsm_token, pin, &ca->token);
	for (int i = 0; rc == ESEAL_OK && i < c->hsm_nnamed; i++) {
		const struct conf_hsm *h = &c->hsm_named[i];
		char sec[CONF_HSM_NAME_MAX + 8];

		snprintf(sec, sizeof(sec), "[hsm \"%s\"]", h->name);
		snprintf(ca->named_name[i], sizeof(ca->named_name[i]), "%s",
		    h->name);
		ca->nnamed = i + 1;
		if ((rc = conf_read_pin_file(sec, h->pin_file, pin,
		    sizeof(pin))) == ESEAL_OK &&
		    (rc = p11_open(h->module, h->token, pin, &ca->named[i]))
		    != ESEAL_OK)
			eseal_err(rc, "%s: %s", sec, eseal_errmsg());
	}
	OPENSSL_cleanse(pin, sizeof(pin));
	/* Every audit record from now on is sealed by the HSM (audit.h). */
	if (rc == ESEAL_OK)
		rc = audit_mac_attach(ca->token);
	if (rc != ESEAL_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
		ca_close(ca);
		eseal_err(rc, "%s", msg);
	}
	return rc;
}

void
ca_close(struct ca *ca)
{
	audit_mac_detach(ca->token);
	p11_close(ca->token);
	for (int i = 0; i < CONF_HSM_MAX; i++)
		p11_close(ca->named[i]);
	issuer_cache_free(ca->issuers);
	store_close(ca->store);
	policy_free(ca->policy);
	fips_free(ca->fips);
	if (ca->conf != NULL)
		pthread_rwlock_destroy(&ca->lock);
	memset(ca, 0, sizeof(*ca));
}

void
ca_rdlock(struct ca *ca)
{
	pthread_rwlock_rdlock(&ca->lock);
}

void
ca_unlock(struct ca *ca)
{
	pthread_rwlock_unlock(&ca->lock);
}

enum eseal_rc
ca_reload(struct ca *ca, const struct conf *c)
{
	struct policy *pol = NULL, *oldpol;
	struct fips_registry *reg = NULL, *oldreg;
	enum eseal_rc rc;

	if ((rc = policy_load(c->issue_crypto_policy, &pol)) != ESEAL_OK)
		return rc;
	if ((rc = fips_load(c->hsm_registry, &reg)) != ESEAL_OK) {
		policy_free(pol);
		return rc;
	}
	pthread_rwlock_wrlock(&ca->lock);
	oldpol = ca->policy;
	oldreg = ca->fips;
	ca->policy = pol;
	ca->fips = reg;
	ca->conf = c;
	pthread_rwlock_unlock(&ca->lock);
	policy_free(oldpol);
	fips_free(oldreg);
	return ESEAL_OK;
}

const char *
ca_token_label(const char *name)
{
	return name[0] == '\0' ? "default" : name;
}

enum eseal_rc
ca_token(struct ca *ca, const char *name, struct p11_token **out)
{
	*out = NULL;
	if (name[0] == '\0' || strcmp(name, "default") == 0) {
		if ((*out = ca->token) == NULL)
			return eseal_err(ESEAL_EHSM, "hsm: the default token "
			    "([hsm]) is not open");
		return ESEAL_OK;
	}
	for (int i = 0; i < ca->nnamed; i++) {
		if (strcmp(ca->named_name[i], name) != 0)
			continue;
		if ((*out = ca->named[i]) == NULL)
			return eseal_err(ESEAL_EHSM, "hsm: the token [hsm "
			    "\"%s\"] is not open", name);
		return ESEAL_OK;
	}
	return eseal_err(ESEAL_ENOTFOUND, "hsm: no token \"%s\" in the "
	    "configuration (an [hsm \"%s\"] section names one)", name, name);
}

const char *
ca_token_uri(const struct ca *ca, const char *name)
{
	const struct conf_hsm *h;

	if (name[0] == '\0' || strcmp(name, "default") == 0)
		return ca->conf->hsm_token;
	return (h = conf_hsm_find(ca->conf, name)) != NULL ? h->token : "";
}

enum eseal_rc
ca_fips_verdict(struct ca *ca, time_t now, struct fips_verdict *out)
{
	return ca_fips_verdict_on(ca, ca->token, now, out);
}

enum eseal_rc
ca_fips_verdict_on(struct ca *ca, struct p11_token *tok, time_t now,
    struct fips_verdict *out)
{
	struct p11_identity id;
	enum eseal_rc rc;

	if (tok == NULL)
		return eseal_err(ESEAL_EHSM, "hsm: the token is not open");
	if ((rc = p11_identity(tok, &id)) != ESEAL_OK)
		return rc;
	fips_evaluate(ca->fips, &id, now, out);
	return ESEAL_OK;
}

enum eseal_rc
ca_fips_allow(struct ca *ca, enum fips_use use, time_t now, const char *actor)
{
	return ca_fips_allow_on(ca, ca->token, use, now, actor);
}

enum eseal_rc
ca_fips_allow_on(struct ca *ca, struct p11_token *tok, enum fips_use use,
    time_t now, const char *actor)
{
	struct fips_verdict v;
	enum eseal_rc rc;
	char msg[512];

	if ((rc = ca_fips_verdict_on(ca, tok, now, &v)) != ESEAL_OK)
		return rc;
	if ((rc = fips_check(&v, use)) == ESEAL_OK) {
		if (v.warn)
			log_warn("msg=\"HSM module not Active\" module=\"%s\" "
			    "status=\"%s\" reason=\"%s\" use=%s", v.module,
			    fips_status_name(v.status), v.reason,
			    fips_use_name(use));
		return ESEAL_OK;
	}
	snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
	(void)audit_append(ca->store, now, actor, "fips.refuse",
	    fips_use_name(use), "%s", msg);
	return eseal_err(rc, "%s", msg);
}
