/*
 * fuzz_enrol.c: libFuzzer harness for the body of POST /api/v1/enrolments:
 * http_json_parse() then api_enrol_submission(), everything the route does
 * before the core sees the request.  Beyond "does not crash" it aborts
 * when a refusal's message does not name its rule or holds a control
 * byte, and when an accepted body yields a submission without its
 * required strings, with a key holder that does not exist, or with a
 * string shorter than the client sent (an embedded \u0000).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/api.h"
#include "enrol.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_msg(const char *msg)
{
	if (msg[0] == '\0')
		abort();
	for (; *msg != '\0'; msg++)
		if ((unsigned char)*msg < ' ' || *msg == 0x7f)
			abort();
}

/* The member's string as the client sent it, in full. */
static void
check_exact(json_t *j, const char *key, const char *got)
{
	json_t *v = json_object_get(j, key);

	if (got == NULL)
		return;
	if (!json_is_string(v) || json_string_value(v) != got ||
	    strlen(got) != json_string_length(v))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enrol_submission sub;
	unsigned char *copy;
	char msg[256];
	json_t *j;

	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	msg[0] = '\0';
	if ((j = http_json_parse(copy, size, msg, sizeof(msg))) == NULL) {
		if (strncmp(msg, "RFC 8259", 8) != 0)
			abort();
		check_msg(msg);
		free(copy);
		return 0;
	}
	if (api_enrol_submission(j, "default", &sub, msg, sizeof(msg)) ==
	    ESEAL_OK) {
		if (sub.code == NULL || sub.csr_der == NULL ||
		    sub.profile == NULL)
			abort();
		if (strcmp(key_holder_name(sub.holder), "?") == 0)
			abort();
		check_exact(j, "code", sub.code);
		check_exact(j, "csr", (const char *)sub.csr_der);
		if (sub.csr_len != strlen((const char *)sub.csr_der))
			abort();
		if (json_is_string(json_object_get(j, "profile")))
			check_exact(j, "profile", sub.profile);
	} else
		check_msg(msg);
	json_decref(j);
	free(copy);
	return 0;
}
