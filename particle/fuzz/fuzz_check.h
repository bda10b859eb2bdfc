/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every job description must satisfy, whether it came from a command
 * line (pt_parse_add) or from a record (pt_record_parse): the fuzz
 * harnesses abort() on the first violation, so libFuzzer reports it.
 */
#ifndef _PT_FUZZ_CHECK_H_
#define _PT_FUZZ_CHECK_H_

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "particle.h"

#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s does not hold\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static inline int fuzz_fam_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* Fields both parsers promise. */
static inline void fuzz_check_job(const struct pt_job *job)
{
	int i;

	FUZZ_ASSERT(memchr(job->name, '\0', sizeof(job->name)));
	FUZZ_ASSERT(pt_job_name_valid(job->name));
	FUZZ_ASSERT(memchr(job->vtep, '\0', sizeof(job->vtep)));
	FUZZ_ASSERT(pt_ifname_valid(job->vtep));
	FUZZ_ASSERT(memchr(job->bridge, '\0', sizeof(job->bridge)));
	FUZZ_ASSERT(!job->bridge[0] || pt_ifname_valid(job->bridge));
	FUZZ_ASSERT(job->mode == PT_MODE_ADDRS || job->mode == PT_MODE_ANYIP);
	FUZZ_ASSERT(job->count >= 1 && job->count <= pt_count_max(job));
	FUZZ_ASSERT(job->npools >= 0 && job->npools <= PT_POOLS_MAX);
	for (i = 0; i < job->npools; i++) {
		const struct pt_pool *p = &job->pools[i];

		FUZZ_ASSERT(fuzz_fam_ok(p->family));
		FUZZ_ASSERT(p->plen <= (unsigned int)pt_addr_width(p->family));
		FUZZ_ASSERT(pt_pool_room(p) >= 1);
		if (p->family == AF_INET)
			FUZZ_ASSERT(p->first.hi == 0 && p->first.lo <= 0xffffffffULL);
	}
	if (job->npools == 2)
		FUZZ_ASSERT(job->pools[0].family != job->pools[1].family);
	if (job->has_gateway)
		FUZZ_ASSERT(fuzz_fam_ok(job->gw_family));
	FUZZ_ASSERT(!job->mtu || (job->mtu >= 68 && job->mtu <= 65535));
	if (job->has_mac) {
		static const __u8 zero[ETH_ALEN];

		FUZZ_ASSERT(!(job->mac[0] & 1));
		FUZZ_ASSERT(memcmp(job->mac, zero, ETH_ALEN));
	}
	{
		char port[IFNAMSIZ];

		pt_port_name(job->name, port);
		FUZZ_ASSERT(strcmp(port, job->port) == 0);
		FUZZ_ASSERT(pt_ifname_valid(port));
	}
}

/* Each block of the CIDR cover is aligned, and together they are the pool. */
struct fuzz_cover {
	int family;
	struct pt_addr next;
	__u64 left;
	unsigned int blocks;
};

static inline int fuzz_cover_block(const struct pt_addr *net,
				   unsigned int plen, void *arg)
{
	struct fuzz_cover *c = arg;
	unsigned int host = pt_addr_width(c->family) - plen;
	__u64 size;

	FUZZ_ASSERT(pt_addr_cmp(net, &c->next) == 0);
	FUZZ_ASSERT(host < 64);
	size = 1ULL << host;
	FUZZ_ASSERT((net->lo & (size - 1)) == 0);
	FUZZ_ASSERT(size <= c->left);
	c->left -= size;
	c->next = pt_addr_add(*net, size);
	c->blocks++;
	FUZZ_ASSERT(c->blocks <= 2 * 32);
	return 0;
}

/*
 * A pool that holds count slots: the last slot stays inside the prefix,
 * and anyip's covering routes are exactly slot 0 .. count-1.
 */
static inline void fuzz_check_pool_fits(const struct pt_pool *p, __u32 count)
{
	struct pt_addr last = pt_pool_slot(p, count - 1);
	struct pt_pool lp = *p;
	struct pt_addr n0 = pt_pool_network(p), n1;
	struct fuzz_cover c = { p->family, p->first, count, 0 };

	lp.first = last;
	n1 = pt_pool_network(&lp);
	FUZZ_ASSERT(pt_addr_cmp(&n0, &n1) == 0);
	FUZZ_ASSERT(pt_addr_cmp(&last, &p->first) >= 0);
	FUZZ_ASSERT(pt_pool_contains(p, count, &last));
	FUZZ_ASSERT(pt_cover(p->family, p->first, count, fuzz_cover_block,
			     &c) == 0);
	FUZZ_ASSERT(c.left == 0);
}

static inline int fuzz_pool_eq(const struct pt_pool *a, const struct pt_pool *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       pt_addr_cmp(&a->first, &b->first) == 0;
}

/* What the record keeps of a job (bridge, mac and mtu live elsewhere). */
static inline void fuzz_check_same(const struct pt_job *a,
				   const struct pt_job *b)
{
	int i;

	FUZZ_ASSERT(strcmp(a->name, b->name) == 0);
	FUZZ_ASSERT(strcmp(a->vtep, b->vtep) == 0);
	FUZZ_ASSERT(strcmp(a->port, b->port) == 0);
	FUZZ_ASSERT(a->mode == b->mode);
	FUZZ_ASSERT(a->count == b->count);
	FUZZ_ASSERT(a->npools == b->npools);
	for (i = 0; i < a->npools; i++)
		FUZZ_ASSERT(fuzz_pool_eq(&a->pools[i], &b->pools[i]));
	FUZZ_ASSERT(a->has_gateway == b->has_gateway);
	if (a->has_gateway)
		FUZZ_ASSERT(a->gw_family == b->gw_family &&
			    pt_addr_cmp(&a->gateway, &b->gateway) == 0);
}

/*
 * A job add would install: its record must read back as the same job.
 * Returns 0 if it was a job add could install (pools fit, gateway has a
 * pool of its family, record fits an ifalias).
 */
static inline int fuzz_check_roundtrip(const struct pt_job *job)
{
	struct pt_job back;
	const char *why = NULL;
	char rec[256];
	int i;

	if (!job->npools)
		return -1;
	for (i = 0; i < job->npools; i++)
		if (pt_pool_room(&job->pools[i]) < job->count)
			return -1;
	if (job->has_gateway) {
		for (i = 0; i < job->npools; i++)
			if (job->pools[i].family == job->gw_family)
				break;
		if (i == job->npools)
			return -1;
	}
	if (pt_record_format(job, rec, sizeof(rec)))
		return -1;
	if (pt_record_parse(rec, &back, &why)) {
		fprintf(stderr, "record \"%s\" refused: %s\n", rec,
			why ? why : "(no reason)");
		abort();
	}
	fuzz_check_same(job, &back);
	for (i = 0; i < back.npools; i++)
		fuzz_check_pool_fits(&back.pools[i], back.count);
	return 0;
}

#endif
