/*
 * crl_stream.h: the streaming CRL writer (RFC 5280 5.1).  The
 * revokedCertificates of a CRL are encoded in DER straight from the
 * store's rows (store_crlscan, ascending serial order as X509_CRL_sort
 * leaves them) into the one buffer that becomes the CRL; no per-entry
 * structure of the list is ever held.  The TBSCertList is then signed by
 * the HSM over its bytes, the signature checked with the issuer's public
 * key over the same bytes and the outer encoding walked, without parsing
 * the whole CRL back.  Memory: about one byte per byte of CRL.
 */
#ifndef ESEAL_CRL_STREAM_H
#define ESEAL_CRL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ca.h"
#include "issuer.h"
#include "store_revoke.h"

#define CRL_ENTRY_DER_MAX	96	/* one revokedCertificates entry:
					   serial <= 20 octets, two dates,
					   two extensions */

/* What goes around the entries of one CRL. */
struct crl_stream_params {
	int		 shard;		/* whose entries: serial_shard() */
	int64_t		 this_update, next_update;
	int		 drop_expired;	/* 1: skip entries with not_after <=
					   this_update */
	int64_t		 revoked_since;	/* a delta CRL: only revocations at
					   or after; 0: every one */
	/* The crlExtensions, encoded in this order (AKI, number, IDP...). */
	const STACK_OF(X509_EXTENSION) *exts;
};

/*
 * The DER of one revokedCertificates entry of r, byte for byte what
 * OpenSSL's X509_REVOKED gets from the old builder: userCertificate
 * (INTEGER of the hex serial), revocationDate (UTCTime before 2050,
 * GeneralizedTime after), crlEntryExtensions reasonCode (absent for
 * unspecified, RFC 5280 5.3.1) then invalidityDate (GeneralizedTime, RFC
 * 5280 5.3.2) when set.  Into out (CRL_ENTRY_DER_MAX bytes); *len its
 * length.  ESEAL_ESTORE naming the rule for a serial that is not hex of at
 * most 20 octets or a reason that is no CRLReason.
 */
enum eseal_rc	crl_stream_entry(const struct store_revocation *r,
		    unsigned char out[CRL_ENTRY_DER_MAX], size_t *len);

/*
 * Writes, signs (HSM, through sign_verified) and checks the CRL of issuer
 * is with p: the entries of p->shard read by store_crlscan, the
 * extensions p->exts.  On success *der (OPENSSL_free) is the DER
 * CertificateList of *len bytes and *nentries (if not NULL) its number of
 * entries.  ESEAL_EHSM if the token cannot sign, ESEAL_ESTORE for a row
 * that cannot be encoded, ESEAL_EINTERNAL if the signature or encoding
 * does not check.
 */
enum eseal_rc	crl_stream_write(struct ca *, const struct issuer *is,
		    const struct crl_stream_params *p, unsigned char **der,
		    size_t *len, size_t *nentries);

/* What a fill function appends a CRL's entries to (crl_stream_write_with). */
struct crl_stream_sink;

/*
 * Puts the revokedCertificates entries of a CRL into the sink, in order,
 * through crl_stream_put; any other result than ESEAL_OK stops the CRL.
 */
typedef enum eseal_rc	(*crl_stream_fill_fn)(struct crl_stream_sink *,
			    void *arg);

/* Appends len bytes holding n whole encoded entries.  ESEAL_ENOMEM. */
enum eseal_rc	crl_stream_put(struct crl_stream_sink *,
		    const unsigned char *der, size_t len, size_t n);

/*
 * crl_stream_write() with the entries from fill instead of the store's
 * scan: the same header, extensions, signature and checks, so the same
 * entries give the same TBSCertList byte for byte (crl_splice.h).
 */
enum eseal_rc	crl_stream_write_with(struct ca *, const struct issuer *is,
		    const struct crl_stream_params *p, crl_stream_fill_fn fill,
		    void *arg, unsigned char **der, size_t *len,
		    size_t *nentries);

/*
 * Where the entries of the DER CRL der lie, found by walking the encoding:
 * the content of revokedCertificates at *off for *elen bytes (0 if it has
 * none) and the crlExtensions (or the end of the TBSCertList) at
 * *ext_off.  ESEAL_EINVAL if der is not a CertificateList.
 */
enum eseal_rc	crl_stream_entries(const unsigned char *der, size_t len,
		    size_t *off, size_t *elen, size_t *ext_off);

/*
 * The number of revokedCertificates entries of the DER CRL der, counted by
 * walking the encoding (no entry is decoded).  ESEAL_EINVAL if der is not
 * a CertificateList.
 */
enum eseal_rc	crl_stream_count(const unsigned char *der, size_t len,
		    int64_t *entries);

#endif
