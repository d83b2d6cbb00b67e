/* test_orgid.c: corporate numbers, organizationIdentifier values, data. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orgid.h"
#include "testutil.h"

#define CORP	"orgid: corporate number (MoF ordinance): "
#define CHECK	"orgid: corporate number check digit (MoF ordinance): "
#define ETSI	"orgid: EN 319 412-1 5.1.4: "

/* The examples in the requirements, each with its check digit first. */
static const char *const corp_good[] = {
	"7123456789012",
	"4011001098993",
	"5835678256246",
	"2120901007402",
	"1180301018771",
};

START_TEST(test_corp_good)
{
	struct orgid o;

	ck_assert_int_eq(valid_jp_corporate_number(corp_good[_i]), 1);
	ck_assert_int_eq(orgid_from_jp_corporate_number(corp_good[_i], &o),
	    ESEAL_OK);
	ck_assert_int_eq(o.scheme, ORGID_NTR);
	ck_assert_str_eq(o.country, "JP");
	ck_assert_str_eq(o.national, "");
	ck_assert_str_eq(o.reference, corp_good[_i]);
	ck_assert_str_eq(o.text + 6, corp_good[_i]);
	ck_assert_int_eq(strncmp(o.text, "NTRJP-", 6), 0);
}
END_TEST

static const struct {
	const char *s;
	const char *want;	/* the whole message, or its start */
} corp_bad[] = {
	{ "7123456789013", CHECK "7123456789013 has check digit 7, the other "
	    "digits give 6" },
	{ "8123456789012", CHECK "8123456789012 has check digit 8" },
	{ "0123456789012", CHECK "first digit 0 is never a check digit" },
	{ "0000000000000", CHECK "first digit 0" },
	{ "712345678901", CORP "12 characters, not 13 digits" },
	{ "71234567890123", CORP "longer than 13 characters" },
	{ "712345678901A", CORP "character 13 is not an ASCII digit" },
	{ "7123-56789012", CORP "character 5 is not an ASCII digit" },
	{ "\xef\xbc\x97" "123456789012", CORP "longer than 13 characters" },
	{ "7123456789" "\xef\xbc\x90", CORP "character 11 is not an ASCII "
	    "digit" },
	{ "", CORP "0 characters" },
	{ "7123456" "\0" "789012", CORP "7 characters" },
	{ "712345 789012", CORP "character 7 is not an ASCII digit" },
	{ " 7123456789012", CORP "longer than 13 characters" },
	{ "7123456789012\n", CORP "longer than 13 characters" },
};

START_TEST(test_corp_bad)
{
	struct orgid o;

	memset(&o, 'x', sizeof(o));
	ck_assert_int_eq(valid_jp_corporate_number(corp_bad[_i].s), 0);
	ck_assert_int_eq(orgid_from_jp_corporate_number(corp_bad[_i].s, &o),
	    ESEAL_EINVAL);
	ck_assert_msg(strncmp(eseal_errmsg(), corp_bad[_i].want,
	    strlen(corp_bad[_i].want)) == 0, "error \"%s\" is not \"%s...\"",
	    eseal_errmsg(), corp_bad[_i].want);
	ck_assert_str_eq(o.text, "");		/* nothing half-filled */
}
END_TEST

/*
 * Every single-digit change of a valid number is caught but 0 <-> 9 in one
 * of the twelve (a change of 9 or 18 leaves the sum mod 9 alone): the
 * ordinance's scheme cannot see those, so neither can we.
 */
START_TEST(test_corp_one_digit)
{
	const char *good = "7123456789012";
	char s[14];
	int i, d, missed;

	for (i = 0; i < 13; i++)
		for (d = '0'; d <= '9'; d++) {
			if (good[i] == d)
				continue;
			strcpy(s, good);
			s[i] = (char)d;
			missed = valid_jp_corporate_number(s);
			ck_assert_msg(missed == (i > 0 &&
			    ((good[i] == '0' && d == '9') ||
			    (good[i] == '9' && d == '0'))),
			    "%s: %s", s, missed ? "accepted" : "refused");
		}
}
END_TEST

static const struct {
	const char *s;
	enum orgid_scheme scheme;
	const char *national, *country, *reference;
} parse_good[] = {
	{ "NTRJP-7123456789012", ORGID_NTR, "", "JP", "7123456789012" },
	{ "VATBE-0876866054", ORGID_VAT, "", "BE", "0876866054" },
	{ "VATEU-372009975", ORGID_VAT, "", "EU", "372009975" },
	{ "NTRDE-HRB12345", ORGID_NTR, "", "DE", "HRB12345" },
	{ "PSDBE-NBB-1234.567.890", ORGID_PSD, "", "BE", "NBB-1234.567.890" },
	{ "LEIXG-529900T8BM49AURSDO55", ORGID_LEI, "", "XG",
	    "529900T8BM49AURSDO55" },
	{ "EI:SE-200007292386", ORGID_NATIONAL, "EI", "SE", "200007292386" },
	{ "NTRGB-a-b_c/d", ORGID_NTR, "", "GB", "a-b_c/d" },
};

START_TEST(test_parse_good)
{
	struct orgid o;

	ck_assert_msg(orgid_parse(parse_good[_i].s, &o) == ESEAL_OK,
	    "%s: %s", parse_good[_i].s, eseal_errmsg());
	ck_assert_int_eq(o.scheme, parse_good[_i].scheme);
	ck_assert_str_eq(o.national, parse_good[_i].national);
	ck_assert_str_eq(o.country, parse_good[_i].country);
	ck_assert_str_eq(o.reference, parse_good[_i].reference);
	ck_assert_str_eq(o.text, parse_good[_i].s);
}
END_TEST

static const struct {
	const char *s;
	const char *want;	/* start of the message */
} parse_bad[] = {
	{ "", ETSI "empty value" },
	{ "ntrJP-7123456789012", ETSI "identity type is not VAT, NTR" },
	{ "NtrJP-7123456789012", ETSI "identity type" },
	{ "ABCJP-1", ETSI "identity type" },
	{ "NT", ETSI "identity type" },
	{ "e1:SE-1", ETSI "identity type" },
	{ "NTRjp-7123456789012", ETSI "no country code of two letters A-Z" },
	{ "NTR", ETSI "no country code" },
	{ "NTRJ", ETSI "no country code" },
	{ "NTR1P-1", ETSI "no country code" },
	{ "EI:200007292386", ETSI "no country code" },
	{ "NTRJP", ETSI "no \"-\" after the country code" },
	{ "NTRJP7123456789012", ETSI "no \"-\"" },
	{ "NTRJPN-7123456789012", ETSI "no \"-\"" },
	{ "NTRDE+BY-HRB12345", ETSI "no \"-\"" },
	{ "NTRJP-", ETSI "empty reference" },
	{ " NTRJP-7123456789012", ETSI "character 1 is not printable ASCII" },
	{ "NTRJP-7123456789012 ", ETSI "character 20 is not printable" },
	{ "NTRJP-7123456789012\n", ETSI "character 20 is not printable" },
	{ "NTRDE-HRB 1", ETSI "character 10 is not printable" },
	{ "NTRDE-M\xc3\xbcller", ETSI "character 8 is not printable" },
	{ "NTRDE-\x7f", ETSI "character 7 is not printable" },
	{ "NTRJP-7123456789013", CHECK "7123456789013 has check digit 7" },
	{ "NTRJP-0123456789012", CHECK "first digit 0" },
	{ "NTRJP-712345678901", CORP "12 characters" },
	{ "NTRJP-71234567890123", CORP "longer than 13 characters" },
	{ "NTRJP-7123-456789012", CORP "longer than 13 characters" },
	{ "NTRJP-712345678901\xef\xbc\x92", ETSI "character 19 is not" },
	{ "LEIJP-529900T8BM49AURSDO55", ETSI "LEI values take the country "
	    "code XG, not JP" },
	{ "LEIXG-529900T8BM49AURSDO56", "orgid: ISO 17442: LEI check digits "
	    "do not verify" },
	{ "LEIXG-529900T8BM49AURSOD55", "orgid: ISO 17442: LEI check digits" },
	{ "LEIXG-529900t8bm49aursdo55", "orgid: ISO 17442: LEI character 7 "
	    "is not 0-9 or A-Z" },
	{ "LEIXG-529900T8BM49AURSDOA5", "orgid: ISO 17442: LEI character 19 "
	    "is not a check digit" },
	{ "LEIXG-529900T8BM49AURSDO5", "orgid: ISO 17442: LEI of 19 "
	    "characters, not 20" },
	{ "LEIXG-529900T8BM49AURSDO555", "orgid: ISO 17442: LEI longer "
	    "than 20" },
	{ "PSDBE-1234.567.890", "orgid: TS 119 495 5.2.1: PSD reference" },
	{ "PSDBE-N-1", "orgid: TS 119 495 5.2.1:" },
	{ "PSDBE-ABCDEFGHI-1", "orgid: TS 119 495 5.2.1:" },
	{ "PSDBE-NBB-", "orgid: TS 119 495 5.2.1:" },
	{ "PSDBE-nbb-1", "orgid: TS 119 495 5.2.1:" },
};

START_TEST(test_parse_bad)
{
	struct orgid o;

	memset(&o, 'x', sizeof(o));
	ck_assert_int_eq(orgid_parse(parse_bad[_i].s, &o), ESEAL_EINVAL);
	ck_assert_msg(strncmp(eseal_errmsg(), parse_bad[_i].want,
	    strlen(parse_bad[_i].want)) == 0, "%s: error \"%s\" is not "
	    "\"%s...\"", parse_bad[_i].s, eseal_errmsg(), parse_bad[_i].want);
	ck_assert_ptr_null(strchr(eseal_errmsg(), '\n'));
	ck_assert_int_eq(o.scheme, 0);
	ck_assert_str_eq(o.text, "");
	ck_assert_str_eq(o.reference, "");
}
END_TEST

START_TEST(test_length)
{
	char s[ORGID_MAX + 1];
	struct orgid o;

	memset(s, 'A', sizeof(s));
	memcpy(s, "NTRDE-", 6);
	s[ORGID_MAX - 1] = '\0';		/* 127 characters: fits */
	ck_assert_int_eq(orgid_parse(s, &o), ESEAL_OK);
	ck_assert_str_eq(o.text, s);
	ck_assert_int_eq(strlen(o.reference), ORGID_MAX - 1 - 6);
	s[ORGID_MAX - 1] = 'A';
	s[ORGID_MAX] = '\0';			/* 128: does not */
	ck_assert_int_eq(orgid_parse(s, &o), ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), ETSI "longer than 127 characters");
	ck_assert_int_eq(orgid_parse_mem(s, ORGID_MAX, &o), ESEAL_EINVAL);
	ck_assert_int_eq(orgid_parse(NULL, &o), ESEAL_EINVAL);
	ck_assert_int_eq(orgid_from_jp_corporate_number(NULL, &o),
	    ESEAL_EINVAL);
}
END_TEST

START_TEST(test_parse_mem)
{
	static const char nul[] = "NTRJP-7123456789012\0X";
	struct orgid o;

	/* orgid_parse() sees only the part before the NUL; _mem sees all. */
	ck_assert_int_eq(orgid_parse(nul, &o), ESEAL_OK);
	ck_assert_int_eq(orgid_parse_mem(nul, sizeof(nul) - 1, &o),
	    ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), ETSI "embedded NUL");
	ck_assert_int_eq(orgid_parse_mem(nul, 19, &o), ESEAL_OK);
	ck_assert_str_eq(o.text, "NTRJP-7123456789012");
	ck_assert_int_eq(orgid_parse_mem(nul, 18, &o), ESEAL_EINVAL);
	ck_assert_int_eq(orgid_parse_mem("", 0, &o), ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), ETSI "empty value");
}
END_TEST

START_TEST(test_scheme_names)
{
	ck_assert_str_eq(orgid_scheme_name(ORGID_VAT), "VAT");
	ck_assert_str_eq(orgid_scheme_name(ORGID_NTR), "NTR");
	ck_assert_str_eq(orgid_scheme_name(ORGID_PSD), "PSD");
	ck_assert_str_eq(orgid_scheme_name(ORGID_LEI), "LEI");
	ck_assert_str_eq(orgid_scheme_name(ORGID_NATIONAL), "national");
	ck_assert_str_eq(orgid_scheme_name(ORGID_SCHEME_MAX), "unknown");
}
END_TEST

/*
 * Every file in tests/data/orgid/{good,bad}/ is one value, bytes as they
 * would come out of a certificate: good ones parse, bad ones are refused.
 * Returns how many files were tried.
 */
static int
data_dir(const char *which, int want_ok)
{
	const char *top = getenv("ESEAL_TOP");
	char dir[1024], path[2048];
	struct dirent *de;
	struct orgid o;
	unsigned char *b;
	size_t len;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/data/orgid/%s",
	    top ? top : ".", which);
	ck_assert_msg((d = opendir(dir)) != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_ptr_nonnull(b = tu_read(path, &len));
		if (want_ok) {
			ck_assert_msg(orgid_parse_mem(b, len, &o) == ESEAL_OK,
			    "%s: refused: %s", path, eseal_errmsg());
			ck_assert_str_eq(o.text, (char *)b);
			ck_assert_int_eq(orgid_parse((char *)b, &o), ESEAL_OK);
		} else {
			ck_assert_msg(orgid_parse_mem(b, len, &o) ==
			    ESEAL_EINVAL, "%s: accepted", path);
			ck_assert_msg(strncmp(eseal_errmsg(), "orgid: ", 7) ==
			    0 && strchr(eseal_errmsg(), '\n') == NULL,
			    "%s: message \"%s\"", path, eseal_errmsg());
		}
		free(b);
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(test_data_good)
{
	ck_assert_int_ge(data_dir("good", 1), 10);
}
END_TEST

START_TEST(test_data_bad)
{
	ck_assert_int_ge(data_dir("bad", 0), 30);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("orgid");
	TCase *tc = tcase_create("orgid");
	SRunner *sr;
	int nf;

	tcase_add_loop_test(tc, test_corp_good, 0,
	    sizeof(corp_good) / sizeof(corp_good[0]));
	tcase_add_loop_test(tc, test_corp_bad, 0,
	    sizeof(corp_bad) / sizeof(corp_bad[0]));
	tcase_add_test(tc, test_corp_one_digit);
	tcase_add_loop_test(tc, test_parse_good, 0,
	    sizeof(parse_good) / sizeof(parse_good[0]));
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    sizeof(parse_bad) / sizeof(parse_bad[0]));
	tcase_add_test(tc, test_length);
	tcase_add_test(tc, test_parse_mem);
	tcase_add_test(tc, test_scheme_names);
	tcase_add_test(tc, test_data_good);
	tcase_add_test(tc, test_data_bad);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
