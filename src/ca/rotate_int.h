/*
 * rotate_int.h: what rotate.c and rotate_state.c share (private to
 * src/ca/): the checks of a target token and key type, and the state
 * changes recorded with their audit record in one transaction.
 */
#ifndef ESEAL_ROTATE_INT_H
#define ESEAL_ROTATE_INT_H

#include "issuer.h"
#include "rotate.h"

#define ROTATE_KEY_ID_BYTES	16	/* CKA_ID of a new issuer key */

/*
 * Whether an issuer key of type may be made on the token called tokname
 * (tok, open) now: the module registry's verdict (and registry_entry if
 * configured) and the crypto policy.  A refusal names the rule.
 */
enum eseal_rc	rotate_may_generate(struct ca *, struct p11_token *tok,
		    const char *tokname, enum key_type type, time_t now,
		    const char *actor);

/* A new key on tok: its random CKA_ID into key_id, its public key. */
enum eseal_rc	rotate_new_key(struct p11_token *tok, enum key_type type,
		    const char *name, unsigned char key_id[ROTATE_KEY_ID_BYTES],
		    EVP_PKEY **pub);

#endif
