/*
 * backup_int.h: what backup.c, backup_open.c and backup_restore.c share
 * (private to src/ca/).
 */
#ifndef ESEAL_BACKUP_INT_H
#define ESEAL_BACKUP_INT_H

#include <stddef.h>

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

/* Removes dir and the plain files in it. */
void		backup_rmdir(const char *dir);

#endif
