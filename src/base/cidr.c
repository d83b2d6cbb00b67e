/*
 * cidr.c: the one reader of CIDR network lists (RFC 4632 for IPv4,
 * RFC 4291 2.3 for IPv6) and the membership test the secure zone and the
 * trusted proxies use.  Strict: a network with host bits set below its
 * prefix is refused rather than silently widened or narrowed, since a
 * typo in a zone is a security setting read the wrong way.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "cidr.h"

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

enum eseal_rc
cidr_addr_parse(const char *text, int *family, unsigned char addr[16])
{
	unsigned char a6[16];

	memset(addr, 0, 16);
	if (strchr(text, ':') == NULL) {
		if (inet_pton(AF_INET, text, addr) != 1)
			return eseal_err(ESEAL_EINVAL, "cidr: RFC 4632: "
			    "not an IPv4 address");
		*family = AF_INET;
		return ESEAL_OK;
	}
	if (inet_pton(AF_INET6, text, a6) != 1)
		return eseal_err(ESEAL_EINVAL, "cidr: RFC 4291 2.2: "
		    "not an IPv6 address");
	if (memcmp(a6, v4mapped, sizeof(v4mapped)) == 0) {
		memcpy(addr, a6 + 12, 4);
		*family = AF_INET;
	} else {
		memcpy(addr, a6, 16);
		*family = AF_INET6;
	}
	return ESEAL_OK;
}

/* Reads a decimal prefix of at most max; -1 if it is not one. */
static int
prefix_parse(const char *s, unsigned max)
{
	unsigned v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -1;
	}
	return (int)v;
}

/* 1 if a and b agree in their first bits bits. */
static int
bits_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Parses one item (NUL-terminated, no blanks) into *net. */
static enum eseal_rc
item_parse(char *item, const char *what, struct cidr *net)
{
	char *slash = strchr(item, '/');
	unsigned char masked[16];
	unsigned max, len;
	int p, mapped;

	if (strchr(item, '%') != NULL)
		return eseal_err(ESEAL_EINVAL, "%s: RFC 4007 11: a zone index "
		    "has no place in a network (\"%s\")", what, item);
	if (slash != NULL)
		*slash++ = '\0';
	mapped = strchr(item, ':') != NULL;
	if (cidr_addr_parse(item, &net->family, net->addr) != ESEAL_OK)
		return eseal_err(ESEAL_EINVAL, "%s: RFC 4632/RFC 4291 2.3: "
		    "\"%s\" is not an IPv4 or IPv6 address", what, item);
	/* An IPv4-mapped network is written with an IPv6 prefix (>= 96). */
	max = net->family == AF_INET && !mapped ? 32 : 128;
	if (slash == NULL)
		p = (int)max;
	else if ((p = prefix_parse(slash, max)) < 0)
		return eseal_err(ESEAL_EINVAL, "%s: RFC 4632 3.1: prefix "
		    "\"/%s\" of \"%s\" is not a decimal from 0 to %u", what,
		    slash, item, max);
	if (net->family == AF_INET && mapped) {
		if (p < 96)
			return eseal_err(ESEAL_EINVAL, "%s: RFC 4291 2.5.5.2: "
			    "an IPv4-mapped network needs a prefix of 96 or "
			    "more (\"%s/%d\")", what, item, p);
		p -= 96;
	}
	net->prefix = (unsigned)p;
	len = net->family == AF_INET ? 4 : 16;
	memset(masked, 0, sizeof(masked));
	memcpy(masked, net->addr, len);
	for (unsigned b = net->prefix; b < len * 8; b++)
		masked[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
	if (memcmp(masked, net->addr, len) != 0)
		return eseal_err(ESEAL_EINVAL, "%s: RFC 4632 3.1: \"%s/%s\" has "
		    "host bits set below its prefix", what, item, slash);
	return ESEAL_OK;
}

enum eseal_rc
cidr_list_parse(const char *text, const char *what, struct cidr_list *out)
{
	char buf[CIDR_TEXT_MAX + 1], *item, *save = NULL;
	size_t len = strlen(text);
	enum eseal_rc rc;

	out->n = 0;
	if (len > CIDR_TEXT_MAX)
		return eseal_err(ESEAL_EINVAL, "%s: list longer than %d bytes",
		    what, CIDR_TEXT_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < ' ' && text[i] != '\t')
			return eseal_err(ESEAL_EINVAL, "%s: a control byte in "
			    "the list", what);
	/* An empty item: two commas with nothing but blanks between. */
	for (const char *c = text, *last = NULL; *c != '\0'; c++) {
		if (*c == ' ' || *c == '\t')
			continue;
		if (*c == ',' && (last == NULL || *last == ','))
			return eseal_err(ESEAL_EINVAL, "%s: an empty item in "
			    "the list (\",\" with no network before it)", what);
		last = c;
		if (c[1] == '\0' && *c == ',')
			return eseal_err(ESEAL_EINVAL, "%s: an empty item at "
			    "the end of the list", what);
	}
	memcpy(buf, text, len + 1);
	for (item = strtok_r(buf, ", \t", &save); item != NULL;
	    item = strtok_r(NULL, ", \t", &save)) {
		if (out->n == CIDR_LIST_MAX)
			rc = eseal_err(ESEAL_EINVAL, "%s: more than %d "
			    "networks", what, CIDR_LIST_MAX);
		else if (strlen(item) >= CIDR_ADDR_MAX)
			rc = eseal_err(ESEAL_EINVAL, "%s: an item longer "
			    "than %d bytes", what, CIDR_ADDR_MAX - 1);
		else
			rc = item_parse(item, what, &out->net[out->n]);
		if (rc != ESEAL_OK) {
			out->n = 0;
			return rc;
		}
		out->n++;
	}
	return ESEAL_OK;
}

int
cidr_list_match(const struct cidr_list *l, int family,
    const unsigned char addr[16])
{
	for (size_t i = 0; i < l->n; i++)
		if (l->net[i].family == family &&
		    bits_equal(l->net[i].addr, addr, l->net[i].prefix))
			return 1;
	return 0;
}

int
cidr_list_match_text(const struct cidr_list *l, const char *addr)
{
	unsigned char a[16];
	int family;

	if (strlen(addr) >= CIDR_ADDR_MAX ||
	    cidr_addr_parse(addr, &family, a) != ESEAL_OK) {
		eseal_errclear();
		return 0;
	}
	return cidr_list_match(l, family, a);
}

/* The canonical text of an address (inet_ntop) into out. */
static void
addr_text(int family, const unsigned char *a, char *out, size_t len)
{
	if (inet_ntop(family, a, out, (socklen_t)len) == NULL)
		snprintf(out, len, "unknown");
}

enum eseal_rc
cidr_client_addr(const struct cidr_list *trusted, const char *peer,
    const char *xff, char *out, size_t len)
{
	unsigned char a[16], best[16];
	char buf[CIDR_XFF_MAX + 1], *hop[CIDR_XFF_HOPS];
	size_t n = 0, xl;
	int family, bfam;

	snprintf(out, len, "%s", peer);
	if (cidr_addr_parse(peer, &bfam, best) != ESEAL_OK) {
		eseal_errclear();
		return ESEAL_OK;	/* "unknown": never inside */
	}
	addr_text(bfam, best, out, len);
	if (!cidr_list_match(trusted, bfam, best) || xff == NULL)
		return ESEAL_OK;
	if ((xl = strlen(xff)) > CIDR_XFF_MAX)
		return eseal_err(ESEAL_EINVAL, "X-Forwarded-For: longer than "
		    "%d bytes", CIDR_XFF_MAX);
	memcpy(buf, xff, xl + 1);
	for (char *p = buf, *e; ; p = e + 1) {
		e = p + strcspn(p, ",");
		if (n == CIDR_XFF_HOPS)
			return eseal_err(ESEAL_EINVAL, "X-Forwarded-For: more "
			    "than %d hops", CIDR_XFF_HOPS);
		hop[n++] = p;
		if (*e == '\0')
			break;
		*e = '\0';
	}
	/* From the right: the proxies we trust appended; the first hop we
	 * do not trust is the client (RFC 7239 5.2's reading of the list). */
	for (size_t i = n; i-- > 0; ) {
		char *h = hop[i] + strspn(hop[i], " \t");
		size_t hl = strcspn(h, " \t");

		if (h[hl] != '\0' && h[hl + strspn(h + hl, " \t")] != '\0')
			return eseal_err(ESEAL_EINVAL, "X-Forwarded-For: hop "
			    "%zu holds a blank inside", i + 1);
		h[hl] = '\0';
		if (hl == 0 || hl >= CIDR_ADDR_MAX ||
		    cidr_addr_parse(h, &family, a) != ESEAL_OK)
			return eseal_err(ESEAL_EINVAL, "X-Forwarded-For: hop "
			    "%zu is not an IPv4 or IPv6 address (RFC 7239 "
			    "5.2: no ports, no names, no brackets)", i + 1);
		bfam = family;
		memcpy(best, a, sizeof(best));
		if (!cidr_list_match(trusted, family, a))
			break;
	}
	addr_text(bfam, best, out, len);
	return ESEAL_OK;
}
