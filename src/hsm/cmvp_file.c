/*
 * cmvp_file.c: the registry file for cmvp_apply(): read whole, checked with
 * fips_load() from a path or from memory, and replaced without a window in
 * which it is missing or half written (a temporary file beside it with its
 * mode and owner, fsync, rename, fsync of the directory).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmvp.h"
#include "cmvp_file.h"

#define MSG_MAX		512	/* one refusal */

/* Reads the whole registry; sb gets what fstat said. */
enum eseal_rc
cmvp_file_read(const char *path, char **buf, size_t *len, struct stat *sb)
{
	enum eseal_rc rc = ESEAL_OK;
	size_t cap;
	ssize_t r;
	int fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return eseal_err(ESEAL_ECONF, "cmvp: %s: cannot open: %s", path,
		    strerror(errno));
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		rc = eseal_err(ESEAL_ECONF, "cmvp: %s: not a regular file",
		    path);
		goto out;
	}
	if (sb->st_size > CMVP_REGISTRY_MAX) {
		rc = eseal_err(ESEAL_ECONF, "cmvp: %s: CMVP_REGISTRY_MAX: %lld "
		    "bytes, more than %d", path, (long long)sb->st_size,
		    CMVP_REGISTRY_MAX);
		goto out;
	}
	cap = (size_t)sb->st_size + 1;
	if ((*buf = malloc(cap)) == NULL) {
		rc = eseal_err(ESEAL_ENOMEM, "cmvp: out of memory");
		goto out;
	}
	while (*len < cap && (r = read(fd, *buf + *len, cap - *len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = eseal_err(ESEAL_ECONF, "cmvp: %s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		*len += (size_t)r;
	}
	if (*len != (size_t)sb->st_size)
		rc = eseal_err(ESEAL_EEXIST, "cmvp: %s changed while being "
		    "read; nothing written, run the import again", path);
out:
	close(fd);
	if (rc != ESEAL_OK) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

int
cmvp_file_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static enum eseal_rc
write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;
	size_t off = 0;

	while (off < len) {
		if ((w = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return ESEAL_ECONF;
		}
		off += (size_t)w;
	}
	return ESEAL_OK;
}

/*
 * fips_load() of text, as `updated`; the message of a refusal names the
 * line in the updated text.  path is where the text is.
 */
enum eseal_rc
cmvp_file_load(const char *reg, const char *path, struct fips_registry **out)
{
	char msg[MSG_MAX];
	size_t n = strlen(path);

	if (fips_load(path, out) == ESEAL_OK)
		return ESEAL_OK;
	snprintf(msg, sizeof(msg), "%s", eseal_errmsg());
	if (strncmp(msg, path, n) == 0 && msg[n] == ':')
		return eseal_err(ESEAL_ECONF, "cmvp: %s: the updated registry "
		    "would not load, so it is left as it was: updated line %s",
		    reg, msg + n + 1);
	return eseal_err(ESEAL_ECONF, "cmvp: %s: the updated registry would "
	    "not load, so it is left as it was: %s", reg, msg);
}

/* fips_load() of text held in memory only (dry run). */
enum eseal_rc
cmvp_file_load_memory(const char *reg, const char *text, size_t len,
    struct fips_registry **out, int *checked)
{
	char path[64];
	enum eseal_rc rc;
	int fd;

	*out = NULL;
	*checked = 0;
	if ((fd = memfd_create("eseal-cmvp", MFD_CLOEXEC)) == -1)
		return ESEAL_OK;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (write_all(fd, text, len) != ESEAL_OK || access(path, R_OK) == -1) {
		close(fd);
		return ESEAL_OK;	/* no /proc: the report says so */
	}
	*checked = 1;
	rc = cmvp_file_load(reg, path, out);
	close(fd);
	return rc;
}

/* A temporary file beside path with text, the mode and owner of sb. */
enum eseal_rc
cmvp_file_write_temp(const char *path, const struct stat *sb, const char *text,
    size_t len, char *tmp, size_t tmpsz)
{
	struct stat nb;
	int fd, n;

	n = snprintf(tmp, tmpsz, "%s.cmvp-XXXXXX", path);
	if (n < 0 || (size_t)n >= tmpsz)
		return eseal_err(ESEAL_ECONF, "cmvp: %s: path too long", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return eseal_err(ESEAL_ECONF, "cmvp: cannot create a file "
		    "beside %s: %s", path, strerror(errno));
	if (fchmod(fd, sb->st_mode & 07777) == -1 || fstat(fd, &nb) == -1)
		goto fail;
	if ((nb.st_uid != sb->st_uid || nb.st_gid != sb->st_gid) &&
	    fchown(fd, sb->st_uid, sb->st_gid) == -1) {
		close(fd);
		unlink(tmp);
		return eseal_err(ESEAL_ECONF, "cmvp: %s: cannot give the new "
		    "file the registry's owner %ld:%ld (%s); run as that user "
		    "or as root", path, (long)sb->st_uid, (long)sb->st_gid,
		    strerror(errno));
	}
	if (write_all(fd, text, len) != ESEAL_OK || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		unlink(tmp);
		return eseal_err(ESEAL_ECONF, "cmvp: %s: %s", tmp,
		    strerror(errno));
	}
	return ESEAL_OK;
fail:
	n = errno;
	close(fd);
	unlink(tmp);
	return eseal_err(ESEAL_ECONF, "cmvp: %s: %s", tmp, strerror(n));
}

/* fsync of the directory holding path, so the rename is on disk. */
void
cmvp_file_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

