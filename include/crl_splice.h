/*
 * crl_splice.h: the incremental CRL path (issue 17 item 2).  A new CRL of
 * a shard is made from the encoded revokedCertificates of the shard's
 * latest recorded CRL: the serials owed since (store_crlscan_owed, what
 * changed since that CRL's scan) are spliced into the list at their place
 * in the scan's order, an entry of the same serial replaced or dropped,
 * and the rest of the list is copied as it lies; the TBSCertList is then
 * written, signed and checked as crl_stream_write_with() does.  The result
 * is byte for byte the TBSCertList a full build (crl_stream_write) would
 * give for the same store; where that cannot be known for sure the splice
 * refuses and the caller builds in full.
 */
#ifndef ESEAL_CRL_SPLICE_H
#define ESEAL_CRL_SPLICE_H

#include <stddef.h>
#include <stdint.h>

#include "crl_stream.h"

#define CRL_SPLICE_CHANGES_MAX	100000	/* more owed serials than this: a
					   full build is as quick */

/*
 * The CRL of p->shard with the entries of base (the DER of that shard's
 * CRL number base_number, the latest) plus the owed changes, signed as by
 * crl_stream_write(); *der (OPENSSL_free), *len, *nentries as there.
 * ESEAL_ENOTFOUND, with a message saying why, when the splice cannot be
 * exact: p->drop_expired (an entry may have to leave when it expires),
 * base not a full CRL of this shard with expiredCertsOnCRL (or a delta
 * CRL), its entries not in ascending serial order, an owed serial not in
 * the stored form (lower-case hex of the minimal octets) or listed twice
 * by the store, more than CRL_SPLICE_CHANGES_MAX owed.  Other results as
 * crl_stream_write().
 */
enum eseal_rc	crl_splice_write(struct ca *, const struct issuer *is,
		    const struct crl_stream_params *p,
		    const unsigned char *base, size_t base_len,
		    unsigned char **der, size_t *len, size_t *nentries);

/*
 * crl_splice_write() over the latest recorded CRL of (is, p->shard), if it
 * is number - 1 and has its body: what crl_generate() tries before a full
 * build of CRL number.  hint (may be NULL) is the caller's copy of CRL
 * hint_number of the shard, as recorded: used instead of reading the
 * body back when hint_number is number - 1 and the latest recorded.
 * ESEAL_ENOTFOUND as above, or if there is no such CRL.
 */
enum eseal_rc	crl_splice_next(struct ca *, const struct issuer *is,
		    const struct crl_stream_params *p, int64_t number,
		    const unsigned char *hint, size_t hint_len,
		    int64_t hint_number, unsigned char **der, size_t *len,
		    size_t *nentries);

#endif
