// SPDX-License-Identifier: GPL-2.0
/*
 * The requests that put a pool on eth0 of a job (or take part of it off):
 * used by add for the whole pool and by set for the slots that change.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "utils.h"
#include "particle.h"

struct pt_blocks {
	unsigned int n;
	struct {
		struct pt_addr net;
		unsigned int plen;
	} v[2 * 128];
};

static int add_block(const struct pt_addr *net, unsigned int plen, void *arg)
{
	struct pt_blocks *bl = arg;

	if (bl->n == sizeof(bl->v) / sizeof(bl->v[0]))
		return -1;
	bl->v[bl->n].net = *net;
	bl->v[bl->n].plen = plen;
	bl->n++;
	return 0;
}

static bool has_block(const struct pt_blocks *bl, const struct pt_addr *net,
		      unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < bl->n; i++)
		if (bl->v[i].plen == plen && !pt_addr_cmp(&bl->v[i].net, net))
			return true;
	return false;
}

/* Local routes in 'want' and not in 'have' get cmd (new or del). */
static int route_diff(struct pt_batch *b, struct rtnl_handle *rth, int cmd,
		      int ifindex, int family, const struct pt_blocks *want,
		      const struct pt_blocks *have)
{
	unsigned int i;

	for (i = 0; i < want->n; i++) {
		if (has_block(have, &want->v[i].net, want->v[i].plen))
			continue;
		if (pt_req_local_route(b, rth, cmd, ifindex, family,
				       &want->v[i].net, want->v[i].plen))
			return -1;
	}
	return 0;
}

static int slot_requests(struct pt_batch *b, struct rtnl_handle *rth,
			 const struct pt_job *job, const struct pt_pool *pool,
			 int ifindex, __u32 from, __u32 to, bool add)
{
	int addr_cmd = add ? RTM_NEWADDR : RTM_DELADDR;
	__u32 k;

	if (job->mode == PT_MODE_ADDRS) {
		for (k = from; k < to; k++) {
			struct pt_addr a = pt_pool_slot(pool, k);

			if (pt_req_addr(b, rth, addr_cmd, ifindex, pool, &a,
					k > 0))
				return -1;
		}
		return 0;
	}
	/* anyip: slot 0 keeps a real address for the on-link route and
	 * source selection; IPv6 also needs an ND answer per slot */
	if (from == 0 && add &&
	    pt_req_addr(b, rth, RTM_NEWADDR, ifindex, pool, &pool->first,
			false))
		return -1;
	if (pool->family == AF_INET6) {
		for (k = from; k < to; k++) {
			struct pt_addr a = pt_pool_slot(pool, k);

			if (pt_req_proxy_neigh(b, rth,
					       add ? RTM_NEWNEIGH : RTM_DELNEIGH,
					       ifindex, &a))
				return -1;
		}
	}
	return 0;
}

/*
 * Requests that take the job's pools from old_count to new_count slots
 * (old_count 0: a new job).  Slots below min(old, new) are not touched.
 */
int pt_pool_requests(struct pt_batch *b, struct rtnl_handle *rth,
		     const struct pt_job *job, int ifindex, __u32 old_count,
		     __u32 new_count)
{
	int i;

	for (i = 0; i < job->npools; i++) {
		const struct pt_pool *pool = &job->pools[i];

		if (new_count > old_count &&
		    slot_requests(b, rth, job, pool, ifindex, old_count,
				  new_count, true))
			return -1;
		if (new_count < old_count &&
		    slot_requests(b, rth, job, pool, ifindex, new_count,
				  old_count, false))
			return -1;
		if (job->mode == PT_MODE_ANYIP) {
			struct pt_blocks want = {}, have = {};

			if (pt_cover(pool->family, pool->first, new_count,
				     add_block, &want) ||
			    (old_count && pt_cover(pool->family, pool->first,
						   old_count, add_block, &have)))
				return -1;
			/* remove the old blocks first: a block may change
			 * from one route to two smaller ones */
			if (route_diff(b, rth, RTM_DELROUTE, ifindex,
				       pool->family, &have, &want) ||
			    route_diff(b, rth, RTM_NEWROUTE, ifindex,
				       pool->family, &want, &have))
				return -1;
		}
	}
	return 0;
}
