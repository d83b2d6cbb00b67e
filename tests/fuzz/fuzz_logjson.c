/*
 * fuzz_logjson.c: libFuzzer harness for log_to_json(), which turns every
 * log line into JSON under [log] format = json.  Log lines carry values
 * clients chose (a request's path, its method), so the input is any bytes
 * up to a NUL.  The first byte picks the output size, from the smallest
 * allowed (64) to twice the longest line; whatever the input and size,
 * the output must fit and be one JSON object that jansson (a parser
 * nobody here wrote) accepts, UTF-8 included.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"

#define LINE_MAX_IN	2048	/* log.c's LOG_LINE_MAX */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char in[LINE_MAX_IN + 1], out[2 * LINE_MAX_IN + 1];
	size_t max, n, len;
	json_error_t e;
	json_t *j;

	if (size == 0)
		return 0;
	max = 64 + (size_t)data[0] * (2 * LINE_MAX_IN - 64) / 255;
	len = size - 1 < LINE_MAX_IN ? size - 1 : LINE_MAX_IN;
	memcpy(in, data + 1, len);
	in[len] = '\0';
	memset(out, 0x55, sizeof(out));
	n = log_to_json(in, out, max);
	if (n > max || out[max] != 0x55) {
		fprintf(stderr, "log_to_json wrote %zu bytes into %zu\n", n, max);
		abort();
	}
	if ((j = json_loadb(out, n, 0, &e)) == NULL || !json_is_object(j)) {
		fprintf(stderr, "not a JSON object (%s): %.*s\n", e.text,
		    (int)n, out);
		abort();
	}
	json_decref(j);
	return 0;
}
