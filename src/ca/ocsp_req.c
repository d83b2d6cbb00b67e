/*
 * ocsp_req.c: parsing and checking an OCSPRequest from outside (RFC 6960
 * 4.1) before the responder looks at it: exactly one DER value within the
 * size limit, 1 to OCSP_CERTIDS_MAX CertIDs with a hash algorithm we
 * answer for and hashes of its length, serials of at most 20 octets, at
 * most one nonce of 1 to 32 octets, no critical extension we do not know.
 * Needs neither store nor HSM, so it is fuzzed on its own
 * (tests/fuzz/fuzz_ocsp.c).
 */
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ocsp_req.h"
#include "serial.h"

/* RFC 8954 2.1: 1 to 32 octets (in an OCTET STRING, or bare as sent). */
static enum eseal_rc
check_nonce(const ASN1_OCTET_STRING *v)
{
	const unsigned char *d = ASN1_STRING_get0_data(v), *p = d;
	ASN1_OCTET_STRING *inner;
	int len = ASN1_STRING_length(v), n = len;

	if ((inner = d2i_ASN1_OCTET_STRING(NULL, &p, len)) != NULL &&
	    p == d + len)
		n = ASN1_STRING_length(inner);
	ASN1_OCTET_STRING_free(inner);
	if (n < 1 || n > OCSP_NONCE_MAX)
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 8954 2.1: the nonce "
		    "must be 1 to %d octets, not %d", OCSP_NONCE_MAX, n);
	return ESEAL_OK;
}

/*
 * RFC 6960 4.4: a critical extension we do not understand is refused.
 * *nonce gets 1 if there is a nonce.
 */
static enum eseal_rc
check_request_exts(OCSP_REQUEST *req, int *nonce)
{
	X509_EXTENSION *ext;
	enum eseal_rc rc;
	int n = OCSP_REQUEST_get_ext_count(req), nonces = 0, nid;

	for (int i = 0; i < n; i++) {
		ext = OCSP_REQUEST_get_ext(req, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (nid == NID_id_pkix_OCSP_Nonce) {
			if (++nonces > 1)
				return eseal_err(ESEAL_EINVAL, "ocsp: RFC 5280 "
				    "4.2: the nonce extension appears twice");
			if ((rc = check_nonce(X509_EXTENSION_get_data(ext)))
			    != ESEAL_OK)
				return rc;
		} else if (nid != NID_id_pkix_OCSP_acceptableResponses &&
		    X509_EXTENSION_get_critical(ext))
			return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.4: "
			    "critical request extension not understood");
	}
	*nonce = nonces > 0;
	return ESEAL_OK;
}

/* One Request: its CertID and its singleRequestExtensions. */
static enum eseal_rc
parse_one(OCSP_ONEREQ *one, int i, struct ocsp_id *id)
{
	ASN1_OCTET_STRING *name_hash, *key_hash;
	ASN1_OBJECT *alg;
	ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	int nid, ok;

	for (int e = 0; e < OCSP_ONEREQ_get_ext_count(one); e++)
		if (X509_EXTENSION_get_critical(OCSP_ONEREQ_get_ext(one, e)))
			return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.4: "
			    "CertID %d: critical singleRequestExtension not "
			    "understood", i);
	id->cid = OCSP_onereq_get0_id(one);
	if (id->cid == NULL || !OCSP_id_get0_info(&name_hash, &alg, &key_hash,
	    &sn, id->cid))
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: CertID %d "
		    "is incomplete", i);
	nid = OBJ_obj2nid(alg);
	if (nid == NID_sha1)
		id->md = EVP_sha1();
	else if (nid == NID_sha256)
		id->md = EVP_sha256();
	else
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.3: CertID %d: "
		    "hash algorithm %s is not supported (SHA-1, SHA-256)", i,
		    nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown OID)");
	if (ASN1_STRING_length(name_hash) != EVP_MD_get_size(id->md) ||
	    ASN1_STRING_length(key_hash) != EVP_MD_get_size(id->md))
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: CertID %d: "
		    "issuerNameHash and issuerKeyHash must be %s hashes", i,
		    OBJ_nid2sn(nid));
	if (ASN1_STRING_length(sn) > OCSP_SERIAL_OCTETS_MAX)
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 5280 4.1.2.2: CertID "
		    "%d: a serial is at most %d octets", i,
		    OCSP_SERIAL_OCTETS_MAX);
	id->serial[0] = '\0';
	if (ASN1_STRING_type(sn) != V_ASN1_INTEGER)
		return ESEAL_OK;	/* negative: not ours, unknown */
	ok = (bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL;
	if (ok && !BN_is_zero(bn))
		ok = serial_hex(bn, id->serial);
	BN_free(bn);
	return ok ? ESEAL_OK : eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
}

enum eseal_rc
ocsp_request_parse(const unsigned char *der, size_t len, struct ocsp_req **out)
{
	struct ocsp_req *r;
	const unsigned char *p = der;
	enum eseal_rc rc = ESEAL_OK;
	int n;

	*out = NULL;
	if (len == 0)
		return eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: empty "
		    "request");
	if (len > OCSP_REQUEST_MAX)
		return eseal_err(ESEAL_EINVAL, "ocsp: OCSP_REQUEST_MAX: the "
		    "request has %zu bytes, more than the limit of %d", len,
		    OCSP_REQUEST_MAX);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return eseal_err(ESEAL_ENOMEM, "ocsp: out of memory");
	if ((r->req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: not a DER "
		    "OCSPRequest");
		goto out;
	}
	if (p != der + len) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: %zu trailing "
		    "bytes after the OCSPRequest", (size_t)(der + len - p));
		goto out;
	}
	n = OCSP_request_onereq_count(r->req);
	if (n < 1) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: RFC 6960 4.1.1: the "
		    "requestList is empty");
		goto out;
	}
	if (n > OCSP_CERTIDS_MAX) {
		rc = eseal_err(ESEAL_EINVAL, "ocsp: OCSP_CERTIDS_MAX: %d CertIDs "
		    "in one request, more than the limit of %d", n,
		    OCSP_CERTIDS_MAX);
		goto out;
	}
	if ((rc = check_request_exts(r->req, &r->nonce)) != ESEAL_OK)
		goto out;
	for (int i = 0; i < n; i++)
		if ((rc = parse_one(OCSP_request_onereq_get0(r->req, i), i,
		    &r->ids[i])) != ESEAL_OK)
			goto out;
	r->n = n;
	*out = r;
	r = NULL;
out:
	ocsp_req_free(r);
	ERR_clear_error();
	return rc;
}

int
ocsp_req_count(const struct ocsp_req *r)
{
	return r->n;
}

void
ocsp_req_free(struct ocsp_req *r)
{
	if (r == NULL)
		return;
	OCSP_REQUEST_free(r->req);
	free(r);
}
