/*
 * fuzz_file.h: for harnesses of parsers that read a file by path.  The
 * input is written to a file in a directory of the process's own under
 * $TMPDIR (tmpfs in practice), the same file every time; the message a
 * refusal leaves is checked the same way by every harness.
 */
#ifndef ESEAL_FUZZ_FILE_H
#define ESEAL_FUZZ_FILE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[256];

/* Writes data to DIR/name and returns the path (static); aborts if it
 * cannot, since every later verdict would be about a missing file. */
static const char *
fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[512];
	const char *tmp = getenv("TMPDIR");
	size_t off = 0;
	ssize_t n;
	int fd;

	if (fuzz_dir[0] == '\0') {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/eseal-fuzz-XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	while (off < size) {
		if ((n = write(fd, data + off, size - off)) <= 0)
			abort();
		off += (size_t)n;
	}
	close(fd);
	return path;
}

/* A refusal's message: starts with prefix, and holds no control byte
 * (it reaches an operator's terminal and the log). */
static void
fuzz_check_msg(const char *msg, const char *prefix)
{
	if (strncmp(msg, prefix, strlen(prefix)) != 0)
		abort();
	for (; *msg != '\0'; msg++)
		if ((unsigned char)*msg < ' ' || *msg == 0x7f)
			abort();
}

#endif
