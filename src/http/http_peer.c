/*
 * http_peer.c: a verified client certificate to the operator name it
 * carries (http.h, http_peer_der_cn): one certificate, one CN, no control
 * byte, so that no two parsers read two names out of the same bytes.
 */
#include <openssl/err.h>
#include <openssl/x509.h>

#include "http.h"
#include "log.h"

#define HTTP_PEER_CERT_MAX (64 * 1024)	/* a client certificate, DER: far
					   more than any sane one */

enum http_peer
http_peer_der_cn(const unsigned char *der, size_t len, char *cn, size_t cnlen)
{
	const unsigned char *p = der;
	const X509_NAME *name;
	unsigned char *utf8 = NULL;
	int i, n;
	X509 *x;

	cn[0] = '\0';
	/* The CN logs an operator in: the DER must be one certificate and
	 * nothing more (X.690 8.1.1), or OpenSSL and GnuTLS may each read
	 * another one out of the same bytes. */
	if (len == 0 || len > HTTP_PEER_CERT_MAX)
		return HTTP_PEER_UNTRUSTED;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return HTTP_PEER_UNTRUSTED;
	}
	if (p != der + len) {
		log_warn("msg=\"mTLS: X.690 8.1.1: %ld trailing bytes after "
		    "the client certificate; refused\"", (long)(der + len - p));
		X509_free(x);
		return HTTP_PEER_UNTRUSTED;
	}
	/* Exactly one CN, as UTF-8 without NUL or control bytes: "admin\0x"
	 * or two CNs must not pass for "admin" (RFC 5280 4.1.2.6). */
	name = X509_get_subject_name(x);
	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0 ||
	    (n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(name, i)))) <= 0 || (size_t)n >= cnlen) {
		OPENSSL_free(utf8);
		X509_free(x);
		ERR_clear_error();
		return HTTP_PEER_UNTRUSTED;
	}
	for (int k = 0; k < n; k++)
		if (utf8[k] < ' ' || utf8[k] == 0x7f) {
			log_warn("msg=\"mTLS: RFC 5280 4.1.2.6: a control "
			    "byte in the client certificate's CN; refused\"");
			OPENSSL_free(utf8);
			X509_free(x);
			return HTTP_PEER_UNTRUSTED;
		}
	memcpy(cn, utf8, (size_t)n);
	cn[n] = '\0';
	OPENSSL_free(utf8);
	X509_free(x);
	return HTTP_PEER_VERIFIED;
}
