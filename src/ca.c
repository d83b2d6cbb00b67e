/* ca.c: opening the store and the token together for the CA core. */
#include <string.h>

#include <openssl/crypto.h>

#include "ca.h"

enum eseal_rc
ca_open(const struct conf *c, int with_token, struct ca *ca)
{
	char pin[CONF_PIN_MAX];
	enum eseal_rc rc;

	memset(ca, 0, sizeof(*ca));
	ca->conf = c;
	if ((rc = store_open(c->store_path, &ca->store)) != ESEAL_OK)
		return rc;
	if (!with_token)
		return ESEAL_OK;
	if ((rc = conf_read_pin(c, pin, sizeof(pin))) == ESEAL_OK)
		rc = p11_open(c->hsm_module, c->hsm_token, pin, &ca->token);
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rc != ESEAL_OK) {
		store_close(ca->store);
		ca->store = NULL;
	}
	return rc;
}

void
ca_close(struct ca *ca)
{
	p11_close(ca->token);
	store_close(ca->store);
	memset(ca, 0, sizeof(*ca));
}
