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
	struct p11_token	*token;
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
 * the configured PIN file.  Fills *ca; close with ca_close().
 */
enum eseal_rc	ca_open(const struct conf *, int with_token, struct ca *ca);
void		ca_close(struct ca *);

/*
 * Re-reads the crypto policy and the HSM module registry named by conf and,
 * if both are valid, swaps them and conf in.  On any error the old ones are
 * kept and the error returned.  conf must outlive the ca.
 */
enum eseal_rc	ca_reload(struct ca *, const struct conf *conf);

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

/*
 * Whether the token may be used for use now.  A refusal is ESEAL_EPOLICY
 * naming the module, its CMVP certificate, its status and why, and leaves
 * an audit record (actor, action "fips.refuse").  Caller holds the read
 * lock.
 */
enum eseal_rc	ca_fips_allow(struct ca *, enum fips_use use, time_t now,
		    const char *actor);

#endif
