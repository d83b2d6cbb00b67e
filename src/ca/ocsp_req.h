/*
 * ocsp_req.h: a parsed OCSP request as the responder (ocsp.c) reads it;
 * ocsp_req.c parses it (ocsp_request_parse in ocsp.h).  Private to
 * src/ca/.
 */
#ifndef ESEAL_OCSP_REQ_H
#define ESEAL_OCSP_REQ_H

#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "ocsp.h"
#include "store.h"

#define OCSP_SERIAL_OCTETS_MAX	20	/* RFC 5280 4.1.2.2 */

struct ocsp_id {
	OCSP_CERTID	*cid;		/* borrowed from the request */
	const EVP_MD	*md;		/* its hash algorithm */
	char		 serial[STORE_SERIAL_HEX_MAX];	/* "" if not positive */
};

struct ocsp_req {
	OCSP_REQUEST	*req;
	int		 n;
	int		 nonce;		/* 1 if it has a nonce */
	struct ocsp_id	 ids[OCSP_CERTIDS_MAX];
};

#endif
