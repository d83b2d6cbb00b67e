/*
 * fuzz_orgid.c: libFuzzer harness for orgid_parse(), orgid_parse_mem() and
 * the corporate-number validator.  Beyond "does not crash" it aborts when
 * the functions disagree with each other or an accepted value does not
 * round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "orgid.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct orgid o, o2;
	enum eseal_rc rc;
	int mem_ok, str_ok, nul;
	char *s;

	nul = size > 0 && memchr(data, '\0', size) != NULL;

	/* Counted bytes, as an ASN1_STRING or a JSON string would give. */
	mem_ok = orgid_parse_mem(data, size, &o) == ESEAL_OK;
	if (mem_ok && (nul || size != strlen(o.text) ||
	    memcmp(o.text, data, size) != 0))
		abort();

	/* A heap copy ending at the NUL, so overreads are caught. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if ((str_ok = orgid_parse(s, &o) == ESEAL_OK)) {
		if (strcmp(o.text, s) != 0 || o.scheme >= ORGID_SCHEME_MAX ||
		    strlen(o.country) != 2 || o.reference[0] == '\0')
			abort();
		if (o.scheme == ORGID_NTR && strcmp(o.country, "JP") == 0 &&
		    !valid_jp_corporate_number(o.reference))
			abort();
		if (orgid_parse(o.text, &o2) != ESEAL_OK ||
		    o2.scheme != o.scheme || strcmp(o2.text, o.text) != 0 ||
		    strcmp(o2.national, o.national) != 0 ||
		    strcmp(o2.country, o.country) != 0 ||
		    strcmp(o2.reference, o.reference) != 0)
			abort();
	}
	if (!nul && mem_ok != str_ok)
		abort();	/* the two entry points disagree */

	rc = orgid_from_jp_corporate_number(s, &o);
	if ((rc == ESEAL_OK) != valid_jp_corporate_number(s))
		abort();
	if (rc == ESEAL_OK && (strncmp(o.text, "NTRJP-", 6) != 0 ||
	    strcmp(o.reference, s) != 0))
		abort();
	free(s);
	return 0;
}
