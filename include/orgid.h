/*
 * orgid.h: organisation identifiers for e-seal certificates, the value of
 * the subject's organizationIdentifier (2.5.4.97) as ETSI EN 319 412-1
 * 5.1.4 shapes it, and the Japanese corporate number (法人番号) that goes
 * into "NTRJP-".  Input is taken strictly: nothing is trimmed or folded.
 */
#ifndef ESEAL_ORGID_H
#define ESEAL_ORGID_H

#include <stddef.h>

#include "err.h"

#define ORGID_MAX	128	/* value + NUL: up to 127 characters accepted */

enum orgid_scheme {
	ORGID_VAT,		/* "VAT": value added tax number */
	ORGID_NTR,		/* "NTR": national trade register */
	ORGID_PSD,		/* "PSD": PSD2 authorisation (TS 119 495) */
	ORGID_LEI,		/* "LEI": ISO 17442 Legal Entity Identifier */
	ORGID_NATIONAL,		/* "XX:": national scheme, local definition */
	ORGID_SCHEME_MAX
};

struct orgid {
	enum orgid_scheme scheme;
	char	national[3];		/* XX of "XX:" (national), else "" */
	char	country[3];		/* ISO 3166-1 alpha-2, upper case */
	char	reference[ORGID_MAX];	/* the part after "CC-" */
	char	text[ORGID_MAX];	/* the value, "NTRJP-7123456789012" */
};

/* Scheme name for logs and JSON: "VAT", "NTR", "PSD", "LEI", "national". */
const char	*orgid_scheme_name(enum orgid_scheme);

/*
 * 1 if s is exactly 13 ASCII digits whose first digit is the check digit
 * the Ministry of Finance ordinance computes from the other twelve, else 0.
 * Records no error message.
 */
int		 valid_jp_corporate_number(const char *s);

/*
 * Fills *out with "NTRJP-<number>" for a valid corporate number.  Otherwise
 * returns ESEAL_EINVAL, "orgid: corporate number ...: <why>", and zeroes *out.
 */
enum eseal_rc	 orgid_from_jp_corporate_number(const char *number,
		    struct orgid *out);

/*
 * Parses an organizationIdentifier value: "VAT", "NTR", "PSD" or "LEI", a
 * two-letter country code, "-" and a reference; or a national scheme "XX:"
 * followed by the same country code, "-" and reference ("EI:SE-2000...").
 * NTRJP references must be corporate numbers, LEI values are "LEIXG-" and
 * an ISO 17442 code, PSD references are "<NCA id>-<authorisation number>".
 * On success fills *out.  Otherwise returns ESEAL_EINVAL with a one-line
 * message naming the rule (it never echoes the raw input) and zeroes *out.
 * s is a C string: a caller holding counted bytes uses orgid_parse_mem().
 */
enum eseal_rc	 orgid_parse(const char *s, struct orgid *out);

/*
 * orgid_parse() for len bytes that are not NUL-terminated (an ASN1_STRING,
 * a JSON string): refuses an embedded NUL, which orgid_parse() cannot see.
 */
enum eseal_rc	 orgid_parse_mem(const void *buf, size_t len,
		    struct orgid *out);

#endif
