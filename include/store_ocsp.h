/*
 * store_ocsp.h: the store's records of delegated OCSP signers (table
 * ocsp_signers of schema/006_ocsp_signer.sql).  Part of the store module:
 * store_ocsp.c is the only code that speaks SQL for them.  Each call holds
 * the store's lock around its statement, so a call may be made inside a
 * transaction opened with store_begin() or on its own.
 */
#ifndef ESEAL_STORE_OCSP_H
#define ESEAL_STORE_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct store_ocsp_signer {
	int64_t		 id;
	int64_t		 issuer_id;
	unsigned char	 key_id[64];	/* CKA_ID on the token */
	size_t		 key_id_len;
	char		 key_type[16];	/* key_type_name() */
	char		 serial[STORE_SERIAL_HEX_MAX];	/* of its certificate */
	unsigned char	*cert;		/* DER, owned by the record */
	size_t		 cert_len;
	int64_t		 not_before, not_after;
	int64_t		 created;
	char		 status[16];	/* "active", "retired" */
};

/*
 * Records an active signer created at now; *id gets its row id.  Its
 * certificate must be a row of certificates already.  ESEAL_EEXIST if the
 * key_id or the serial is recorded already.
 */
enum eseal_rc	store_ocsp_signer_insert(struct store *,
		    const struct store_ocsp_signer *, int64_t now, int64_t *id);

/*
 * Retires, at now, every active signer of issuer_id but keep_id (0: all);
 * *n (if not NULL) gets how many.
 */
enum eseal_rc	store_ocsp_signer_retire(struct store *, int64_t issuer_id,
		    int64_t keep_id, int64_t now, int *n);

/*
 * The newest active signer of issuer_id whose validity covers now
 * (not_before <= now < not_after).  ESEAL_ENOTFOUND if there is none.
 * Free the record's contents with store_ocsp_signer_clear.
 */
enum eseal_rc	store_ocsp_signer_current(struct store *, int64_t issuer_id,
		    int64_t now, struct store_ocsp_signer *);

/* Frees the certificate of *s and zeroes it.  Accepts NULL. */
void		store_ocsp_signer_clear(struct store_ocsp_signer *);

#endif
