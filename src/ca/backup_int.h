/*
 * backup_int.h: what backup.c, backup_open.c and backup_restore.c share
 * (private to src/ca/).
 */
#ifndef ESEAL_BACKUP_INT_H
#define ESEAL_BACKUP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "store_backup.h"

/*
 * The whole regular file at path, at most max bytes: *out malloc'd (one
 * spare byte), *len.  ESEAL_ENOTFOUND if it cannot be opened.
 */
enum eseal_rc	backup_read_file(const char *path, size_t max,
		    unsigned char **out, size_t *len);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void		backup_hex(const unsigned char *b, size_t n, char *out);
enum eseal_rc	backup_sha256_hex(const unsigned char *b, size_t n,
		    char out[STORE_HASH_HEX_MAX]);

/* Every certificate of a PEM file; NULL (message names what) if none. */
STACK_OF(X509)	*backup_load_certs(const char *path, const char *what);

/* 1 if sig is pub's signature of tbs (digest issuer_md(pub)), 0, -1. */
int		backup_sig_check(EVP_PKEY *pub, const unsigned char *sig,
		    size_t sig_len, const unsigned char *tbs, size_t tbs_len);

/*
 * The start check's walk of a published CRL, buf of len bytes read from
 * path (the messages name it and issuer): one DER CertificateList to its
 * last byte, signed over its TBS bytes by the key of ca_der (the issuer's
 * DER certificate) with the algorithm this CA signs with (issuer_sigalg),
 * its cRLNumber (> 0, from the crlExtensions, the last of the TBS) into
 * *number; no entry is decoded and no file read.  ESEAL_EINVAL naming
 * the rule (RFC 5280 5.1 / X.690 DER, 6.3.3, 5.2.3) otherwise, with
 * *undecided set if this walk cannot tell (another signature algorithm,
 * or ca_der unreadable): the caller then parses the CRL whole.
 */
enum eseal_rc	backup_crl_number(const unsigned char *buf, size_t len,
		    const unsigned char *ca_der, size_t ca_len,
		    const char *path, const char *issuer, int64_t *number,
		    int *undecided);

/* Removes dir and the plain files in it. */
void		backup_rmdir(const char *dir);

#endif
