/*
 * ca.h: what the CA core works with: the configuration, the store and the
 * token, opened together by ca_open() for eseald and for esealctl.
 */
#ifndef ESEAL_CA_H
#define ESEAL_CA_H

#include "conf.h"
#include "err.h"
#include "p11.h"
#include "store.h"

struct ca {
	const struct conf	*conf;	/* borrowed */
	struct store		*store;
	struct p11_token	*token;
};

/*
 * Opens the store (applying migrations) and, if with_token, the token with
 * the PIN from the configured PIN file.  Fills *ca; close with ca_close().
 */
enum eseal_rc	ca_open(const struct conf *, int with_token, struct ca *ca);
void		ca_close(struct ca *);

#endif
