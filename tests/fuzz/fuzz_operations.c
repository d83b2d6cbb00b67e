/*
 * fuzz_operations.c: libFuzzer harness for the body of POST
 * /api/v1/operations: http_json_parse() then approval_request_parse(),
 * everything the route does before a proposal is recorded.  Beyond "does
 * not crash" it aborts when a refusal's message is empty or holds a
 * control byte, and when an accepted body yields parameters that are not
 * in their canonical form (compact, keys sorted: what is hashed and
 * approved) or over APPROVAL_PARAMS_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "approval.h"
#include "http.h"

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct approval_request r;
	char msg[512] = "";
	json_t *j, *p;
	char *again;

	if ((j = http_json_parse(data, size, msg, sizeof(msg))) == NULL) {
		check_msg(msg);
		return 0;
	}
	if (approval_request_parse(j, &r, msg, sizeof(msg)) != ESEAL_OK)
		check_msg(msg);
	else {
		if (r.params == NULL || strlen(r.params) > APPROVAL_PARAMS_MAX ||
		    r.kind >= OP_KIND_MAX ||
		    (p = json_loads(r.params, 0, NULL)) == NULL)
			abort();
		again = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
		if (again == NULL || strcmp(again, r.params) != 0)
			abort();
		free(again);
		json_decref(p);
		approval_request_clear(&r);
	}
	json_decref(j);
	return 0;
}
