/*
 * replay.c: runs a libFuzzer harness over files without libFuzzer, so that
 * `make check` replays every corpus with the normal (or sanitizer) build.
 * usage: replay_NAME FILE|DIR ...
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define REPLAY_MAX	(1024 * 1024)	/* larger inputs are skipped */

static int
one(const char *path)
{
	static uint8_t buf[REPLAY_MAX];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int
main(int argc, char **argv)
{
	struct dirent *de;
	struct stat sb;
	char path[4096];
	int count = 0, bad = 0;
	DIR *d;

	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) == -1 || !S_ISDIR(sb.st_mode)) {
			bad |= one(argv[i]);
			count++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			bad |= one(path);
			count++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", count);
	return bad;
}
