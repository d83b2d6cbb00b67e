/*
 * orgid.c: checks organizationIdentifier values (ETSI EN 319 412-1 5.1.4)
 * and Japanese corporate numbers, and builds "NTRJP-" values from them.
 * Pure string work: no allocation, no OpenSSL.
 */
#include <stdio.h>
#include <string.h>

#include "orgid.h"

#define JP_CORPNUM_LEN	13	/* digits in a corporate number, check first */
#define LEI_LEN		20	/* ISO 17442: 18 characters + 2 check digits */
#define PSD_NCA_MIN	2	/* TS 119 495 5.2.1: NCA identifier length */
#define PSD_NCA_MAX	8
#define PREFIX_LEN	6	/* "NTRJP-", "EI:SE-" */

#define R_ETSI	"orgid: EN 319 412-1 5.1.4: "
#define R_CORP	"orgid: corporate number (MoF ordinance): "
#define R_CHECK	"orgid: corporate number check digit (MoF ordinance): "
#define R_LEI	"orgid: ISO 17442: "
#define R_PSD	"orgid: TS 119 495 5.2.1: "

static const char *const schemes[ORGID_SCHEME_MAX] = {
	[ORGID_VAT] = "VAT",
	[ORGID_NTR] = "NTR",
	[ORGID_PSD] = "PSD",
	[ORGID_LEI] = "LEI",
	[ORGID_NATIONAL] = "national",
};

const char *
orgid_scheme_name(enum orgid_scheme s)
{
	if (s < 0 || s >= ORGID_SCHEME_MAX)
		return "unknown";
	return schemes[s];
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* Printable ASCII other than space. */
static int
is_graph(char c)
{
	return c > ' ' && c <= '~';
}

/*
 * The check digit of the twelve digits d: with P_n the n-th digit counted
 * from the right and Q_n 1 for odd n, 2 for even n, 9 - (sum P_n Q_n mod 9).
 */
static int
corpnum_check(const char *d)
{
	int i, n, sum = 0;

	for (i = 0; i < JP_CORPNUM_LEN - 1; i++) {
		n = JP_CORPNUM_LEN - 1 - i;
		sum += (d[i] - '0') * (n % 2 ? 1 : 2);
	}
	return 9 - sum % 9;
}

/* Checks a corporate number; on failure records why and returns EINVAL. */
static enum eseal_rc
corpnum_verify(const char *s)
{
	size_t i, len = strnlen(s, JP_CORPNUM_LEN + 1);
	int want;

	if (len > JP_CORPNUM_LEN)
		return eseal_err(ESEAL_EINVAL, R_CORP "longer than 13 "
		    "characters");
	if (len < JP_CORPNUM_LEN)
		return eseal_err(ESEAL_EINVAL, R_CORP "%zu characters, not 13 "
		    "digits", len);
	for (i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return eseal_err(ESEAL_EINVAL, R_CORP "character %zu "
			    "is not an ASCII digit", i + 1);
	if (s[0] == '0')
		return eseal_err(ESEAL_EINVAL, R_CHECK "first digit 0 is "
		    "never a check digit (9 - x mod 9 is 1 to 9)");
	if ((want = corpnum_check(s + 1)) != s[0] - '0')
		return eseal_err(ESEAL_EINVAL, R_CHECK "%s has check digit "
		    "%c, the other digits give %d", s, s[0], want);
	return ESEAL_OK;
}

int
valid_jp_corporate_number(const char *s)
{
	size_t i;

	if (s == NULL || strnlen(s, JP_CORPNUM_LEN + 1) != JP_CORPNUM_LEN)
		return 0;
	for (i = 0; i < JP_CORPNUM_LEN; i++)
		if (!is_digit(s[i]))
			return 0;
	return s[0] - '0' == corpnum_check(s + 1);
}

/*
 * ISO 17442: 18 characters [0-9A-Z] and two check digits, ISO 7064
 * MOD 97-10: read with A = 10 ... Z = 35, the number is 1 mod 97, and the
 * check digits are 02 to 98.
 */
static enum eseal_rc
lei_verify(const char *s)
{
	size_t i, len = strnlen(s, LEI_LEN + 1);
	int cd, r = 0;

	if (len > LEI_LEN)
		return eseal_err(ESEAL_EINVAL, R_LEI "LEI longer than 20 "
		    "characters");
	if (len < LEI_LEN)
		return eseal_err(ESEAL_EINVAL, R_LEI "LEI of %zu characters, "
		    "not 20", len);
	for (i = 0; i < LEI_LEN; i++) {
		if (is_digit(s[i]))
			r = (r * 10 + (s[i] - '0')) % 97;
		else if (is_upper(s[i]) && i < LEI_LEN - 2)
			r = (r * 100 + (s[i] - 'A' + 10)) % 97;
		else
			return eseal_err(ESEAL_EINVAL, R_LEI "LEI character "
			    "%zu is not %s", i + 1, i < LEI_LEN - 2 ?
			    "0-9 or A-Z" : "a check digit 0-9");
	}
	cd = (s[18] - '0') * 10 + (s[19] - '0');
	if (cd < 2 || cd > 98 || r != 1)
		return eseal_err(ESEAL_EINVAL, R_LEI "LEI check digits do not "
		    "verify (ISO 7064 MOD 97-10)");
	return ESEAL_OK;
}

/* TS 119 495 5.2.1: "<NCA id: 2-8 of A-Z>-<authorisation number>". */
static enum eseal_rc
psd_verify(const char *s)
{
	size_t n = 0;

	while (is_upper(s[n]))
		n++;
	if (n < PSD_NCA_MIN || n > PSD_NCA_MAX || s[n] != '-' ||
	    s[n + 1] == '\0')
		return eseal_err(ESEAL_EINVAL, R_PSD "PSD reference is not "
		    "an NCA identifier of 2 to 8 letters A-Z, \"-\" and an "
		    "authorisation number");
	return ESEAL_OK;
}

enum eseal_rc
orgid_parse(const char *s, struct orgid *out)
{
	enum eseal_rc rc = ESEAL_EINVAL;
	const char *cc;
	size_t i, len;
	int sc;

	memset(out, 0, sizeof(*out));
	if (s == NULL || (len = strnlen(s, ORGID_MAX)) == 0) {
		eseal_err(rc, R_ETSI "empty value");
		goto out;
	}
	if (len == ORGID_MAX) {
		eseal_err(rc, R_ETSI "longer than %d characters",
		    ORGID_MAX - 1);
		goto out;
	}
	for (i = 0; i < len; i++)
		if (!is_graph(s[i])) {
			eseal_err(rc, R_ETSI "character %zu is not printable "
			    "ASCII or is a space", i + 1);
			goto out;
		}
	if (len >= 3 && s[2] == ':' && is_upper(s[0]) && is_upper(s[1])) {
		out->scheme = ORGID_NATIONAL;
		memcpy(out->national, s, 2);
	} else {
		for (sc = 0; sc < ORGID_NATIONAL; sc++)
			if (len >= 3 && memcmp(s, schemes[sc], 3) == 0)
				break;
		if (sc == ORGID_NATIONAL) {
			eseal_err(rc, R_ETSI "identity type is not VAT, NTR, "
			    "PSD, LEI or two letters A-Z and \":\"");
			goto out;
		}
		out->scheme = (enum orgid_scheme)sc;
	}
	cc = s + 3;		/* stops at the NUL: is_upper('\0') is 0 */
	if (!is_upper(cc[0]) || !is_upper(cc[1])) {
		eseal_err(rc, R_ETSI "no country code of two letters A-Z "
		    "(ISO 3166-1 alpha-2) after the identity type");
		goto out;
	}
	if (cc[2] != '-') {
		eseal_err(rc, R_ETSI "no \"-\" after the country code");
		goto out;
	}
	if (cc[3] == '\0') {
		eseal_err(rc, R_ETSI "empty reference after \"-\"");
		goto out;
	}
	memcpy(out->country, cc, 2);
	memcpy(out->reference, cc + 3, len - PREFIX_LEN + 1);
	memcpy(out->text, s, len + 1);

	switch (out->scheme) {
	case ORGID_NTR:
		if (strcmp(out->country, "JP") == 0 &&
		    (rc = corpnum_verify(out->reference)) != ESEAL_OK)
			goto out;
		break;
	case ORGID_LEI:
		if (strcmp(out->country, "XG") != 0) {
			eseal_err(rc, R_ETSI "LEI values take the country "
			    "code XG, not %s", out->country);
			goto out;
		}
		if ((rc = lei_verify(out->reference)) != ESEAL_OK)
			goto out;
		break;
	case ORGID_PSD:
		if ((rc = psd_verify(out->reference)) != ESEAL_OK)
			goto out;
		break;
	default:
		break;
	}
	rc = ESEAL_OK;
out:
	if (rc != ESEAL_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

enum eseal_rc
orgid_parse_mem(const void *buf, size_t len, struct orgid *out)
{
	char s[ORGID_MAX];

	memset(out, 0, sizeof(*out));
	if (len >= ORGID_MAX)
		return eseal_err(ESEAL_EINVAL, R_ETSI "longer than %d "
		    "characters", ORGID_MAX - 1);
	if (len > 0 && memchr(buf, '\0', len) != NULL)
		return eseal_err(ESEAL_EINVAL, R_ETSI "embedded NUL");
	if (len > 0)
		memcpy(s, buf, len);
	s[len] = '\0';
	return orgid_parse(s, out);
}

enum eseal_rc
orgid_from_jp_corporate_number(const char *number, struct orgid *out)
{
	char s[ORGID_MAX];

	memset(out, 0, sizeof(*out));
	if (number == NULL)
		return eseal_err(ESEAL_EINVAL, R_CORP "none given");
	if (corpnum_verify(number) != ESEAL_OK)
		return ESEAL_EINVAL;
	snprintf(s, sizeof(s), "NTRJP-%s", number);
	return orgid_parse(s, out);
}
