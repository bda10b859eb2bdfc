// SPDX-License-Identifier: GPL-2.0
/*
 * Address arithmetic for pools: slot k is the k-th address after slot 0,
 * inside the pool's prefix, network and broadcast addresses excluded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "particle.h"

const char *pt_mode_name(enum pt_mode mode)
{
	return mode == PT_MODE_ANYIP ? "anyip" : "addrs";
}

int pt_addr_width(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

void pt_addr_from_bytes(int family, const void *bytes, struct pt_addr *a)
{
	const __u8 *p = bytes;
	int i;

	a->hi = a->lo = 0;
	if (family == AF_INET) {
		for (i = 0; i < 4; i++)
			a->lo = (a->lo << 8) | p[i];
		return;
	}
	for (i = 0; i < 8; i++)
		a->hi = (a->hi << 8) | p[i];
	for (i = 8; i < 16; i++)
		a->lo = (a->lo << 8) | p[i];
}

void pt_addr_to_bytes(int family, const struct pt_addr *a, void *bytes)
{
	__u8 *p = bytes;
	int i;

	if (family == AF_INET) {
		for (i = 0; i < 4; i++)
			p[i] = a->lo >> (24 - 8 * i);
		return;
	}
	for (i = 0; i < 8; i++)
		p[i] = a->hi >> (56 - 8 * i);
	for (i = 0; i < 8; i++)
		p[8 + i] = a->lo >> (56 - 8 * i);
}

int pt_addr_parse(int family, const char *s, struct pt_addr *a)
{
	__u8 bytes[16];

	if (inet_pton(family, s, bytes) != 1)
		return -1;
	pt_addr_from_bytes(family, bytes, a);
	return 0;
}

int pt_addr_parse_any(const char *s, int *family, struct pt_addr *a)
{
	*family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return pt_addr_parse(*family, s, a);
}

const char *pt_addr_format(int family, const struct pt_addr *a, char *buf,
			   size_t len)
{
	__u8 bytes[16];

	pt_addr_to_bytes(family, a, bytes);
	return inet_ntop(family, bytes, buf, len);
}

struct pt_addr pt_addr_add(struct pt_addr a, __u64 n)
{
	__u64 lo = a.lo + n;

	if (lo < a.lo)
		a.hi++;
	a.lo = lo;
	return a;
}

int pt_addr_cmp(const struct pt_addr *a, const struct pt_addr *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

/* a - b, for a >= b, saturated to 64 bits */
static __u64 pt_addr_diff(const struct pt_addr *a, const struct pt_addr *b)
{
	__u64 hi = a->hi - b->hi - (a->lo < b->lo);

	return hi ? ~0ULL : a->lo - b->lo;
}

/* The host part of a prefix: 2^bits - 1 as a 128-bit value. */
static struct pt_addr host_mask(unsigned int bits)
{
	struct pt_addr m = { 0, 0 };

	if (bits >= 128) {
		m.hi = m.lo = ~0ULL;
	} else if (bits >= 64) {
		m.lo = ~0ULL;
		m.hi = bits == 64 ? 0 : (~0ULL >> (128 - bits));
	} else if (bits > 0) {
		m.lo = ~0ULL >> (64 - bits);
	}
	return m;
}

struct pt_addr pt_pool_network(const struct pt_pool *pool)
{
	struct pt_addr m = host_mask(pt_addr_width(pool->family) - pool->plen);
	struct pt_addr net = { pool->first.hi & ~m.hi, pool->first.lo & ~m.lo };

	return net;
}

/* The usable range of the pool's prefix: network and broadcast excluded
 * for IPv4 (except /31 and /32), the subnet-router anycast for IPv6. */
static void usable_range(const struct pt_pool *pool, struct pt_addr *lo,
			 struct pt_addr *hi)
{
	int width = pt_addr_width(pool->family);
	struct pt_addr m = host_mask(width - pool->plen);
	struct pt_addr net = pt_pool_network(pool);

	*lo = net;
	hi->hi = net.hi | m.hi;
	hi->lo = net.lo | m.lo;
	if (width - pool->plen < 2)
		return;
	*lo = pt_addr_add(net, 1);
	if (pool->family == AF_INET)
		hi->lo--;
}

/* How many slots fit from slot 0 to the last usable address. */
__u64 pt_pool_room(const struct pt_pool *pool)
{
	struct pt_addr lo, hi;
	__u64 d;

	usable_range(pool, &lo, &hi);
	if (pt_addr_cmp(&pool->first, &hi) > 0 ||
	    pt_addr_cmp(&pool->first, &lo) < 0)
		return 0;
	d = pt_addr_diff(&hi, &pool->first);
	return d == ~0ULL ? d : d + 1;
}

struct pt_addr pt_pool_slot(const struct pt_pool *pool, __u64 slot)
{
	return pt_addr_add(pool->first, slot);
}

bool pt_pool_contains(const struct pt_pool *pool, __u32 count,
		      const struct pt_addr *a)
{
	struct pt_addr last = pt_pool_slot(pool, count - 1);

	return pt_addr_cmp(a, &pool->first) >= 0 && pt_addr_cmp(a, &last) <= 0;
}

bool pt_pools_overlap(const struct pt_pool *a, __u32 na,
		      const struct pt_pool *b, __u32 nb)
{
	struct pt_addr alast = pt_pool_slot(a, na - 1);
	struct pt_addr blast = pt_pool_slot(b, nb - 1);

	if (a->family != b->family)
		return false;
	return pt_addr_cmp(&a->first, &blast) <= 0 &&
	       pt_addr_cmp(&b->first, &alast) <= 0;
}

/*
 * Call fn for each block of the fewest CIDR blocks covering exactly
 * first .. first+count-1: at each step the largest aligned block that
 * still fits.  count < 2^32 here, so at most 2 * 32 blocks.
 */
int pt_cover(int family, struct pt_addr first, __u64 count,
	     int (*fn)(const struct pt_addr *net, unsigned int plen, void *arg),
	     void *arg)
{
	int width = pt_addr_width(family);

	while (count) {
		unsigned int k = first.lo ? __builtin_ctzll(first.lo) : 64;
		int err;

		if (k > (unsigned int)width)
			k = width;
		while (k > 0 && (k >= 64 || (1ULL << k) > count))
			k--;
		err = fn(&first, width - k, arg);
		if (err)
			return err;
		first = pt_addr_add(first, 1ULL << k);
		count -= 1ULL << k;
	}
	return 0;
}
