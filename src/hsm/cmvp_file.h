/*
 * cmvp_file.h: the registry file as cmvp.c reads, checks and replaces it
 * (cmvp_file.c).  Every function returns ESEAL_OK or records a one-line
 * message starting "cmvp: " that names the file.
 */
#ifndef ESEAL_CMVP_FILE_H
#define ESEAL_CMVP_FILE_H

#include <sys/stat.h>

#include <stddef.h>

#include "err.h"
#include "fips.h"

/*
 * Reads the whole registry at path, a regular file of at most
 * CMVP_REGISTRY_MAX bytes, into *buf (malloc'd, *len bytes); sb gets what
 * fstat said.  ESEAL_EEXIST if it changed size while being read.
 */
enum eseal_rc	cmvp_file_read(const char *path, char **buf, size_t *len,
		    struct stat *sb);

/* 1 if a and b are the same file, unchanged (inode, size, mtime). */
int		cmvp_file_same(const struct stat *a, const struct stat *b);

/*
 * fips_load() of the rewritten registry at path, for the registry reg:
 * a refusal names the line of the updated text.
 */
enum eseal_rc	cmvp_file_load(const char *reg, const char *path,
		    struct fips_registry **out);

/*
 * cmvp_file_load() of len bytes of text held in memory only (dry run), by
 * a memfd; *checked is 0 (and ESEAL_OK returned) if the system has no
 * memfd or /proc to do it with.
 */
enum eseal_rc	cmvp_file_load_memory(const char *reg, const char *text,
		    size_t len, struct fips_registry **out, int *checked);

/*
 * A temporary file beside path holding text, with the mode and owner of
 * sb, written and fsync'd; its name goes to tmp.
 */
enum eseal_rc	cmvp_file_write_temp(const char *path, const struct stat *sb,
		    const char *text, size_t len, char *tmp, size_t tmpsz);

/* fsync of the directory holding path, so that a rename is on disk. */
void		cmvp_file_sync_dir(const char *path);

#endif
