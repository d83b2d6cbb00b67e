/*
 * fuzz_cidr.c: libFuzzer harness for cidr_list_parse() and the membership
 * test.  Beyond "does not crash" it aborts when an accepted list breaks
 * cidr.h's contract (at most CIDR_LIST_MAX networks, prefixes in range,
 * no host bit set, every network containing its own address and, below
 * a full prefix, its last address) or a refusal's message does not name
 * the list or holds a control byte; and the same bytes read as an
 * X-Forwarded-For header give one canonical address or a refusal.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A refusal starts with prefix and holds no control byte. */
static void
check_msg_prefix(const char *msg, const char *prefix)
{
	if (strncmp(msg, prefix, strlen(prefix)) != 0)
		abort();
	for (; *msg != '\0'; msg++)
		if ((unsigned char)*msg < ' ' || *msg == 0x7f)
			abort();
}

static void
check_net(const struct cidr_list *l, const struct cidr *c)
{
	unsigned len = c->family == AF_INET ? 4 : 16;
	unsigned char last[16];

	if ((c->family != AF_INET && c->family != AF_INET6) ||
	    c->prefix > len * 8)
		abort();
	if (!cidr_list_match(l, c->family, c->addr))
		abort();
	memcpy(last, c->addr, 16);
	for (unsigned b = c->prefix; b < len * 8; b++) {
		if (c->addr[b / 8] & (0x80u >> (b % 8)))
			abort();
		last[b / 8] |= (unsigned char)(0x80u >> (b % 8));
	}
	if (!cidr_list_match(l, c->family, last))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr_list *l;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	if ((l = malloc(sizeof(*l))) == NULL) {
		free(s);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	if (cidr_list_parse(s, "fuzz", l) == ESEAL_OK) {
		if (l->n > CIDR_LIST_MAX)
			abort();
		for (size_t i = 0; i < l->n; i++)
			check_net(l, &l->net[i]);
	} else {
		check_msg_prefix(eseal_errmsg(), "fuzz: ");
		if (l->n != 0)
			abort();
	}
	(void)cidr_list_match_text(l, s);
	/* The same bytes as an X-Forwarded-For header from a trusted proxy:
	 * refused, or one canonical address. */
	{
		static struct cidr_list proxies;
		char out[CIDR_ADDR_MAX];
		int family;
		unsigned char a[16];

		if (proxies.n == 0 && cidr_list_parse("127.0.0.0/8, ::1",
		    "p", &proxies) != ESEAL_OK)
			abort();
		if (cidr_client_addr(&proxies, "127.0.0.1", s, out,
		    sizeof(out)) == ESEAL_OK) {
			if (cidr_addr_parse(out, &family, a) != ESEAL_OK)
				abort();
		} else
			check_msg_prefix(eseal_errmsg(), "X-Forwarded-For: ");
	}
	free(l);
	free(s);
	return 0;
}
