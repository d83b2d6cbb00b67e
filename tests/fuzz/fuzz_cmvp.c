/*
 * fuzz_cmvp.c: libFuzzer harness for cmvp_parse(), the reader of CMVP CSV
 * exports.  Beyond "does not crash" it aborts when an accepted CSV breaks
 * what cmvp.h promises (rows sorted and unique, valid certificate numbers,
 * statuses and dates, cmvp_find() finding each row), or a refusal does not
 * say "cmvp: ", does not name its line and rule, or lets a control byte
 * through to the operator's terminal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmvp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SECS_PER_DAY	86400

/* Shorter is smaller: certificate numbers have no leading zero. */
static int
cert_less(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return la != lb ? la < lb : strcmp(a, b) < 0;
}

static void
check_rows(const struct cmvp_rows *rows)
{
	const struct cmvp_row *r, *prev = NULL;
	const char *cert, *std;
	size_t n = cmvp_count(rows), len;

	if (n > CMVP_ROWS_MAX || cmvp_row_at(rows, n) != NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		if ((r = cmvp_row_at(rows, i)) == NULL)
			abort();
		cert = cmvp_row_cert(r);
		len = strlen(cert);
		if (len == 0 || len > 6 || cert[0] == '0' ||
		    strspn(cert, "0123456789") != len)
			abort();
		if (prev != NULL && !cert_less(cmvp_row_cert(prev), cert))
			abort();	/* not sorted, or a repeat kept */
		if (cmvp_find(rows, cert) != r)
			abort();
		if (cmvp_row_status(r) != FIPS_ACTIVE &&
		    cmvp_row_status(r) != FIPS_HISTORICAL &&
		    cmvp_row_status(r) != FIPS_REVOKED)
			abort();
		if (cmvp_row_sunset(r) % SECS_PER_DAY != 0 ||
		    cmvp_row_validated(r) % SECS_PER_DAY != 0 ||
		    cmvp_row_sunset(r) < 0 || cmvp_row_validated(r) < 0)
			abort();
		if (cmvp_row_sunset(r) != 0 && cmvp_row_validated(r) != 0 &&
		    cmvp_row_sunset(r) <= cmvp_row_validated(r))
			abort();
		std = cmvp_row_standard(r);
		if (*std != '\0' && strcmp(std, "FIPS 140-1") != 0 &&
		    strcmp(std, "FIPS 140-2") != 0 &&
		    strcmp(std, "FIPS 140-3") != 0)
			abort();
		if (cmvp_row_line(r) < 2)
			abort();	/* line 1 is the header */
		prev = r;
	}
}

/*
 * "cmvp: line N: RULE: ...", RULE a clause of RFC 4180, a limit of cmvp.h
 * or a column; or the size of the whole CSV.
 */
static int
names_rule(const char *msg)
{
	static const char *const rules[] = { "RFC 4180 2", "CMVP_FIELD_MAX: ",
	    "CMVP_ROWS_MAX: ", "CMVP_COLUMNS_MAX: ", "column \"" };
	int n = 0;

	if (strncmp(msg, "cmvp: CMVP_FILE_MAX: ", 21) == 0)
		return 1;
	if (sscanf(msg, "cmvp: line %*d: %n", &n) != 0 || n == 0)
		return 0;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strncmp(msg + n, rules[i], strlen(rules[i])) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmvp_rows *rows = (struct cmvp_rows *)1;
	const char *msg;
	char *copy;
	enum eseal_rc rc;

	/* A heap copy of exactly size bytes, so overreads are caught. */
	if ((copy = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = cmvp_parse(copy, size, &rows);
	if (rc == ESEAL_OK) {
		if (rows == NULL)
			abort();
		check_rows(rows);
	} else {
		if (rows != NULL)
			abort();
		msg = eseal_errmsg();
		if (strncmp(msg, "cmvp: ", 6) != 0)
			abort();
		if (rc == ESEAL_EINVAL && !names_rule(msg))
			abort();
		for (; *msg != '\0'; msg++)
			if (*msg < ' ' || *msg > '~')
				abort();
	}
	cmvp_free(rows);
	free(copy);
	return 0;
}
