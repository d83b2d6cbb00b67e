/*
 * test_cidr.c: the CIDR list reader of secure_zone and trusted_proxies:
 * what good lists hold, which addresses lie inside (IPv4, IPv6, IPv4
 * mapped into IPv6, edges of a network), and every hostile list in
 * tests/data/cidr/bad/ refused with a message naming the list and rule.
 */
#include <sys/socket.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "testutil.h"

START_TEST(test_mixed)
{
	struct cidr_list l;

	ck_assert_int_eq(cidr_list_parse("10.0.0.0/8, 2001:db8::/32 "
	    "192.168.1.7", "secure_zone", &l), ESEAL_OK);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_int_eq(l.net[0].family, AF_INET);
	ck_assert_uint_eq(l.net[0].prefix, 8);
	ck_assert_int_eq(l.net[1].family, AF_INET6);
	ck_assert_uint_eq(l.net[1].prefix, 32);
	ck_assert_uint_eq(l.net[2].prefix, 32);
	ck_assert_int_eq(cidr_list_match_text(&l, "10.0.0.0"), 1);
	ck_assert_int_eq(cidr_list_match_text(&l, "10.255.255.255"), 1);
	ck_assert_int_eq(cidr_list_match_text(&l, "11.0.0.0"), 0);
	ck_assert_int_eq(cidr_list_match_text(&l, "9.255.255.255"), 0);
	ck_assert_int_eq(cidr_list_match_text(&l, "192.168.1.7"), 1);
	ck_assert_int_eq(cidr_list_match_text(&l, "192.168.1.8"), 0);
	ck_assert_int_eq(cidr_list_match_text(&l, "2001:db8:ffff::1"), 1);
	ck_assert_int_eq(cidr_list_match_text(&l, "2001:db9::1"), 0);
	/* A dual-stack socket's view of an IPv4 peer. */
	ck_assert_int_eq(cidr_list_match_text(&l, "::ffff:10.1.2.3"), 1);
	ck_assert_int_eq(cidr_list_match_text(&l, "::ffff:11.1.2.3"), 0);
	/* Not an address: never inside. */
	ck_assert_int_eq(cidr_list_match_text(&l, "10.0.0"), 0);
	ck_assert_int_eq(cidr_list_match_text(&l, ""), 0);
	ck_assert_int_eq(cidr_list_match_text(&l, "10.0.0.1, 1.1.1.1"), 0);
}
END_TEST

START_TEST(test_edges)
{
	struct cidr_list l;

	ck_assert_int_eq(cidr_list_parse("", "z", &l), ESEAL_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(cidr_list_match_text(&l, "127.0.0.1"), 0);
	ck_assert_int_eq(cidr_list_parse(" \t ", "z", &l), ESEAL_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(cidr_list_parse("0.0.0.0/0", "z", &l), ESEAL_OK);
	ck_assert_int_eq(cidr_list_match_text(&l, "203.0.113.9"), 1);
	ck_assert_int_eq(cidr_list_match_text(&l, "2001:db8::1"), 0);
	ck_assert_int_eq(cidr_list_parse("::/0", "z", &l), ESEAL_OK);
	ck_assert_int_eq(cidr_list_match_text(&l, "2001:db8::1"), 1);
	ck_assert_int_eq(cidr_list_match_text(&l, "203.0.113.9"), 0);
	ck_assert_int_eq(cidr_list_parse("172.16.0.0/12", "z", &l), ESEAL_OK);
	ck_assert_int_eq(cidr_list_match_text(&l, "172.31.255.255"), 1);
	ck_assert_int_eq(cidr_list_match_text(&l, "172.32.0.0"), 0);
	ck_assert_int_eq(cidr_list_parse("::ffff:192.168.0.0/112", "z", &l),
	    ESEAL_OK);
	ck_assert_int_eq(l.net[0].family, AF_INET);
	ck_assert_uint_eq(l.net[0].prefix, 16);
	ck_assert_int_eq(cidr_list_match_text(&l, "192.168.4.4"), 1);
	ck_assert_int_eq(cidr_list_parse("::1", "z", &l), ESEAL_OK);
	ck_assert_int_eq(cidr_list_match_text(&l, "::1"), 1);
	ck_assert_int_eq(cidr_list_match_text(&l, "::2"), 0);
	ck_assert_int_eq(cidr_list_match_text(&l, "127.0.0.1"), 0);
}
END_TEST

START_TEST(test_messages)
{
	struct cidr_list l;

	ck_assert_int_eq(cidr_list_parse("10.0.0.1/8", "secure_zone", &l),
	    ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "secure_zone: RFC 4632 3.1: "
	    "\"10.0.0.1/8\" has host bits set below its prefix");
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(cidr_list_parse("10.0.0.0/8, 10.0.0.0/33",
	    "trusted_proxies", &l), ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "trusted_proxies: RFC 4632 3.1: "
	    "prefix \"/33\" of \"10.0.0.0\" is not a decimal from 0 to 32");
	ck_assert_int_eq(cidr_list_parse("fe80::1%eth0", "z", &l),
	    ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "z: RFC 4007 11: a zone index has no "
	    "place in a network (\"fe80::1%eth0\")");
	ck_assert_int_eq(cidr_list_parse("a,,b", "z", &l), ESEAL_EINVAL);
	ck_assert_ptr_nonnull(strstr(eseal_errmsg(), "empty item"));
	ck_assert_int_eq(cidr_list_parse("localhost", "z", &l), ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "z: RFC 4632/RFC 4291 2.3: "
	    "\"localhost\" is not an IPv4 or IPv6 address");
}
END_TEST

START_TEST(test_forwarded)
{
	struct cidr_list t;
	char out[CIDR_ADDR_MAX];

	ck_assert_int_eq(cidr_list_parse("127.0.0.1, 10.9.0.0/16", "t", &t),
	    ESEAL_OK);
	/* Not from a trusted proxy: the header is the client's word only. */
	ck_assert_int_eq(cidr_client_addr(&t, "192.0.2.1", "10.1.1.1", out,
	    sizeof(out)), ESEAL_OK);
	ck_assert_str_eq(out, "192.0.2.1");
	/* From one: the last hop not trusted, read from the right. */
	ck_assert_int_eq(cidr_client_addr(&t, "127.0.0.1", "203.0.113.5, "
	    "192.0.2.9,10.9.1.1", out, sizeof(out)), ESEAL_OK);
	ck_assert_str_eq(out, "192.0.2.9");
	ck_assert_int_eq(cidr_client_addr(&t, "::ffff:127.0.0.1",
	    "2001:DB8::1", out, sizeof(out)), ESEAL_OK);
	ck_assert_str_eq(out, "2001:db8::1");
	/* Every hop trusted: the leftmost. */
	ck_assert_int_eq(cidr_client_addr(&t, "127.0.0.1", "10.9.0.7, "
	    "127.0.0.1", out, sizeof(out)), ESEAL_OK);
	ck_assert_str_eq(out, "10.9.0.7");
	/* No header: the proxy itself. */
	ck_assert_int_eq(cidr_client_addr(&t, "127.0.0.1", NULL, out,
	    sizeof(out)), ESEAL_OK);
	ck_assert_str_eq(out, "127.0.0.1");
	/* Malformed from a trusted proxy: refused, naming the hop. */
	ck_assert_int_eq(cidr_client_addr(&t, "127.0.0.1", "1.2.3.4, nope",
	    out, sizeof(out)), ESEAL_EINVAL);
	ck_assert_str_eq(eseal_errmsg(), "X-Forwarded-For: hop 2 is not an "
	    "IPv4 or IPv6 address (RFC 7239 5.2: no ports, no names, no "
	    "brackets)");
	ck_assert_int_eq(cidr_client_addr(&t, "127.0.0.1", "1.2.3.4:80", out,
	    sizeof(out)), ESEAL_EINVAL);
	ck_assert_int_eq(cidr_client_addr(&t, "127.0.0.1", "[2001:db8::1]",
	    out, sizeof(out)), ESEAL_EINVAL);
	ck_assert_int_eq(cidr_client_addr(&t, "127.0.0.1", "1.2.3.4,,", out,
	    sizeof(out)), ESEAL_EINVAL);
	ck_assert_int_eq(cidr_client_addr(&t, "127.0.0.1", "1.2.3.4 5.6.7.8",
	    out, sizeof(out)), ESEAL_EINVAL);
	ck_assert_int_eq(cidr_client_addr(&t, "127.0.0.1", "", out,
	    sizeof(out)), ESEAL_EINVAL);
}
END_TEST

/* Parses every file of tests/data/cidr/WHICH; returns how many. */
static int
data_dir(const char *which, int want_ok)
{
	const char *top = getenv("ESEAL_TOP");
	char dir[1024], path[2048];
	struct cidr_list l;
	struct dirent *de;
	unsigned char *b;
	size_t len;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/data/cidr/%s",
	    top ? top : ".", which);
	ck_assert_msg((d = opendir(dir)) != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_ptr_nonnull(b = tu_read(path, &len));
		ck_assert_msg(memchr(b, '\0', len) == NULL, "%s: a NUL", path);
		if (want_ok) {
			ck_assert_msg(cidr_list_parse((char *)b, "z", &l) ==
			    ESEAL_OK, "%s: refused: %s", path, eseal_errmsg());
		} else {
			ck_assert_msg(cidr_list_parse((char *)b, "z", &l) ==
			    ESEAL_EINVAL, "%s: accepted", path);
			ck_assert_msg(strncmp(eseal_errmsg(), "z: ", 3) == 0 &&
			    strchr(eseal_errmsg(), '\n') == NULL,
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
	ck_assert_int_ge(data_dir("good", 1), 6);
}
END_TEST

START_TEST(test_data_bad)
{
	ck_assert_int_ge(data_dir("bad", 0), 28);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("cidr");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_mixed);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_messages);
	tcase_add_test(tc, test_forwarded);
	tcase_add_test(tc, test_data_good);
	tcase_add_test(tc, test_data_bad);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
