/*
 * ca.h: what the CA core works with: the configuration, the store and the
 * token, opened together by ca_open() for eseald and for esealctl.
 */
#ifndef ESEAL_CA_H
#define ESEAL_CA_H

#include <time.h>

#include "conf.h"
#include "err.h"
#include "fips.h"
#include "p11.h"
#include "policy.h"
#include "store.h"

#include <pthread.h>

struct issuer_cache;

struct ca {
	const struct conf	*conf;	/* borrowed */
	struct store		*store;
	struct p11_token	*token;	/* the default token, [hsm] */
	/*
	 * [hsm "NAME"]: named[i] is the token of conf->hsm_named[i] as at
	 * ca_open, called named_name[i] (a reload does not move them).
	 */
	struct p11_token	*named[CONF_HSM_MAX];
	char			 named_name[CONF_HSM_MAX][CONF_HSM_NAME_MAX + 1];
	int			 nnamed;
	/*
	 * Read-held while conf, policy or fips are used, write-held by
	 * ca_reload() to swap them (SIGHUP).
	 */
	pthread_rwlock_t	 lock;
	struct policy		*policy;	/* crypto policy */
	struct fips_registry	*fips;		/* HSM module registry */
	struct issuer_cache	*issuers;	/* parsed CA certificates
						   (issuer.h), own lock */
};

/*
 * Opens the store (applying migrations), reads the crypto policy and the
 * HSM module registry and, if with_token, opens the token with the PIN from
 * the configured PIN file, and every [hsm "NAME"] token with its own.
 * Fills *ca; close with ca_close().
 */
enum eseal_rc	ca_open(const struct conf *, int with_token, struct ca *ca);
void		ca_close(struct ca *);

/*
 * Re-reads the crypto policy and the HSM module registry named by conf and,
 * if both are valid, swaps them and conf in.  On any error the old ones are
 * kept and the error returned.  conf must outlive the ca.
 */
enum eseal_rc	ca_reload(struct ca *, const struct conf *conf);

/*
 * The token called name into *out: "" or "default" the plain [hsm], else
 * an [hsm "NAME"].  ESEAL_ENOTFOUND naming it if it is not configured,
 * ESEAL_EHSM if it is not open (*out NULL).
 */
enum eseal_rc	ca_token(struct ca *, const char *name, struct p11_token **out);
/* Its RFC 7512 URI from the configuration ("" if none). */
const char	*ca_token_uri(const struct ca *, const char *name);
/* "default" for "", else name. */
const char	*ca_token_label(const char *name);

/* Hold the read lock while using conf, policy or fips. */
void		ca_rdlock(struct ca *);
void		ca_unlock(struct ca *);

/*
 * The token's FIPS 140 verdict now (asks the token for its identity).
 * ESEAL_EHSM if the token cannot say who it is.  Caller holds the read
 * lock while it uses out->entry.
 */
enum eseal_rc	ca_fips_verdict(struct ca *, time_t now,
		    struct fips_verdict *out);
/* The same for another token. */
enum eseal_rc	ca_fips_verdict_on(struct ca *, struct p11_token *,
		    time_t now, struct fips_verdict *out);

/*
 * Whether the token may be used for use now.  A refusal is ESEAL_EPOLICY
 * naming the module, its CMVP certificate, its status and why, and leaves
 * an audit record (actor, action "fips.refuse").  Caller holds the read
 * lock.
 */
enum eseal_rc	ca_fips_allow(struct ca *, enum fips_use use, time_t now,
		    const char *actor);
/* The same for another token. */
enum eseal_rc	ca_fips_allow_on(struct ca *, struct p11_token *,
		    enum fips_use use, time_t now, const char *actor);

#endif
