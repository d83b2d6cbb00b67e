/*
 * app.h: the daemon's shared state, handed to every request handler.
 * Published objects (CA certificates) are kept in memory so relying parties
 * never wait on the HSM or the store; the lock guards their replacement.
 */
#ifndef ESEAL_APP_H
#define ESEAL_APP_H

#include <pthread.h>
#include <time.h>

#include "account.h"
#include "ca.h"
#include "disclosure.h"
#include "publish.h"
#include "totp.h"

struct pub_cert {
	char		 name[2 * 64 + 4];	/* issuer name, or NEW.by-OLD
					   for a link certificate */
	unsigned char	*der;
	size_t		 der_len;
	char		*pem;		/* NULL for a link certificate */
};

struct app {
	const struct conf	*conf;		/* as at start-up */
	struct ca		 ca;
	time_t			 started;
	pthread_rwlock_t	 pub_lock;	/* guards pub, npub */
	struct pub_cert		*pub;
	size_t			 npub;
	char			 pub_gen[128];	/* store_issuer_generation() of
						   pub, under pub_lock */
	struct publisher	*publisher;	/* CRLs */
	struct account_params	 acct;		/* argon2id limits, sessions */
	struct disclosure	*disclosure;	/* the current version */
	int			 code_ttl;	/* enrolment codes, seconds */
	pthread_mutex_t		 sec_mu;	/* guards totp, require_roles
						   (replaced on SIGHUP) */
	struct totp_key		 totp;		/* [security] totp_key_file */
	unsigned		 require_roles;	/* [security]
						   require_second_factor */
};

#endif
