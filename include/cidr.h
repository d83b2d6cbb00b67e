/*
 * cidr.h: lists of IPv4 and IPv6 networks in CIDR notation (RFC 4632,
 * RFC 4291 2.3), as [security] secure_zone and trusted_proxies name them,
 * and the test whether an address lies in one of them.  IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4
 * peer) are tested as the IPv4 address they carry.
 */
#ifndef ESEAL_CIDR_H
#define ESEAL_CIDR_H

#include <stddef.h>

#include "err.h"

#define CIDR_LIST_MAX	64	/* networks in one list: more is a mistake,
				   not a zone */
#define CIDR_TEXT_MAX	4096	/* bytes of one list as written in config */
#define CIDR_ADDR_MAX	64	/* bytes of one address or network, with the
				   prefix: longer than any IPv6 text form */

struct cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* network, 4 or 16 bytes used */
	unsigned	 prefix;	/* 0..32 or 0..128 */
};

struct cidr_list {
	size_t		 n;
	struct cidr	 net[CIDR_LIST_MAX];
};

/*
 * Parses "10.0.0.0/8, 2001:db8::/32 192.168.1.7" (commas and/or blanks
 * between items; a bare address is a /32 or /128) into *out.  An empty or
 * blank text is the empty list.  Refused with ESEAL_EINVAL and a message
 * naming the item and the rule: an empty item, a bad address, a prefix
 * that is not a decimal in range, host bits set below the prefix, a zone
 * index (%eth0), more than CIDR_LIST_MAX items, text over CIDR_TEXT_MAX.
 * what names the list in messages ("secure_zone").
 */
enum eseal_rc	 cidr_list_parse(const char *text, const char *what,
		    struct cidr_list *out);

/*
 * Parses one address (no prefix) into *family and addr; IPv4-mapped IPv6
 * becomes AF_INET.  ESEAL_EINVAL if it is not an address.
 */
enum eseal_rc	 cidr_addr_parse(const char *text, int *family,
		    unsigned char addr[16]);

/* 1 if the address lies in one of the list's networks, else 0. */
int		 cidr_list_match(const struct cidr_list *, int family,
		    const unsigned char addr[16]);

/* The same for an address in text; 0 if the text is not an address. */
int		 cidr_list_match_text(const struct cidr_list *,
		    const char *addr);

#define CIDR_XFF_MAX	1024	/* bytes of an X-Forwarded-For header */
#define CIDR_XFF_HOPS	32	/* hops in it */

/*
 * The client's address of a request from peer (its socket's address) with
 * the X-Forwarded-For header xff (NULL: none), into out (canonical text,
 * IPv4-mapped written as IPv4): peer itself unless peer lies in trusted;
 * then the last hop of xff, read from the right, that is not in trusted
 * (the leftmost if all are).  ESEAL_EINVAL naming the hop and rule if a
 * trusted proxy sent a header that is not a list of addresses.  A peer
 * that is not an address is copied as is (and matches no list).
 */
enum eseal_rc	 cidr_client_addr(const struct cidr_list *trusted,
		    const char *peer, const char *xff, char *out, size_t len);

#endif
