/*
 * publish_file.c: the files of the publish directory (publish.h), written
 * atomically (a temporary file, fsync, rename, fsync of the directory),
 * the link certificates among them, and the ETag they are served with.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"
#include "publish.h"

enum eseal_rc
publish_write_atomic(const char *who, const char *path, const void *data,
    size_t len, mode_t mode)
{
	char tmp[1100], dir[1024], *slash;
	ssize_t w;
	size_t off = 0;
	int fd;

	/* Make the parent directories. */
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			return eseal_err(ESEAL_ESTORE, "%s: mkdir %s: %s", who,
			    dir, strerror(errno));
		*slash = '/';
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	/*
	 * The temporary file is 0600 until it is complete, then gets mode
	 * whatever the umask.
	 */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600))
	    == -1)
		return eseal_err(ESEAL_ESTORE, "%s: %s: %s", who, tmp,
		    strerror(errno));
	while (off < len && (w = write(fd, (const char *)data + off,
	    len - off)) > 0)
		off += (size_t)w;
	if (off != len || fsync(fd) == -1 || fchmod(fd, mode) == -1) {
		close(fd);
		unlink(tmp);
		return eseal_err(ESEAL_ESTORE, "%s: write %s: %s", who, tmp,
		    off != len && errno == 0 ? "short write" : strerror(errno));
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		return eseal_err(ESEAL_ESTORE, "%s: rename to %s: %s", who,
		    path, strerror(errno));
	}
	/* The rename itself is durable once the directory is synced. */
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), "%s", slash == dir ? "/" : ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		int e = errno;

		if (fd != -1)
			close(fd);
		return eseal_err(ESEAL_ESTORE, "%s: fsync of directory %s: %s",
		    who, dir, strerror(e));
	}
	close(fd);
	return ESEAL_OK;
}

enum eseal_rc
publish_write_file(const char *path, const void *data, size_t len)
{
	/* CRLs and CA certificates are public: a web server reads them. */
	return publish_write_atomic("publish", path, data, len, 0644);
}

void
publish_etag(const unsigned char *der, size_t len,
    char out[PUBLISH_ETAG_MAX])
{
	unsigned char h[32];

	out[0] = '\0';
	if (!EVP_Digest(der, len, h, NULL, EVP_sha256(), NULL))
		return;
	out[0] = '"';
	for (int i = 0; i < 32; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", h[i]);
	out[65] = '"';
	out[66] = '\0';
}

/* The link certificates beside the CA certificates: ca/NEW.by-OLD.crt. */
void
publish_write_links(struct ca *ca, const char *dir,
    const struct store_issuer *v, size_t n)
{
	struct store_issuer_link *l = NULL;
	const char *sg, *sb;
	char path[1024];
	size_t nl = 0;

	if (dir == NULL || store_issuer_links(ca->store, &l, &nl)
	    != ESEAL_OK)
		return;
	for (size_t i = 0; i < nl; i++) {
		sg = sb = NULL;
		for (size_t j = 0; j < n; j++) {
			if (v[j].id == l[i].signer_id)
				sg = v[j].name;
			if (v[j].id == l[i].subject_id)
				sb = v[j].name;
		}
		if (sg == NULL || sb == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/ca/%s.by-%s.crt", dir, sb,
		    sg);
		if (publish_write_file(path, l[i].cert, l[i].cert_len)
		    != ESEAL_OK)
			log_error("msg=\"cannot write CA file\" error=\"%s\"",
			    eseal_errmsg());
	}
	store_issuer_links_free(l, nl);
}
