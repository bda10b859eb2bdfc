// SPDX-License-Identifier: GPL-2.0
/*
 * Whether a pool may take count slots: it must fit its subnet, hold no
 * address of the bridge and overlap no other job's pool on that bridge.
 * add checks a new pool, set a pool that grows.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "particle.h"

static void taken_add(struct pt_taken *t, const struct pt_pool *pool,
		      const char *owner)
{
	if (t->n < PT_TAKEN_MAX) {
		t->v[t->n].pool = *pool;
		t->v[t->n].owner = owner;
		t->n++;
	}
}

/* The bridge's own addresses, which no pool may contain. */
int pt_taken_load(struct rtnl_handle *rth, int bridge_ifindex,
		  const char *bridge, struct pt_taken *t)
{
	struct pt_pool addrs[PT_TAKEN_MAX];
	int fam, i, n;

	memset(t, 0, sizeof(*t));
	if (!bridge_ifindex)
		return 0;	/* a bridge still to be made has none */
	for (fam = 0; fam < 2; fam++) {
		n = pt_link_addrs(rth, bridge_ifindex, fam ? AF_INET6 : AF_INET,
				  addrs, PT_TAKEN_MAX - t->n);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++)
			taken_add(t, &addrs[i], bridge);
	}
	return 0;
}

/*
 * True if pool[0 .. count-1] holds a bridge address or overlaps a pool of
 * another job (not 'self') on the same bridge.  With arg set, says so,
 * naming arg as the wrong argument.
 */
bool pt_pool_clashes(const struct pt_pool *pool, __u32 count, const char *self,
		     const struct pt_found_list *jobs, int bridge,
		     const struct pt_taken *brs, const char *arg)
{
	char first[INET6_ADDRSTRLEN], last[INET6_ADDRSTRLEN];
	char ofirst[INET6_ADDRSTRLEN], olast[INET6_ADDRSTRLEN];
	char word[INET6_ADDRSTRLEN + 8];
	struct pt_addr end = pt_pool_slot(pool, count - 1);
	unsigned int i;
	int k;

	pt_addr_format(pool->family, &pool->first, first, sizeof(first));
	pt_addr_format(pool->family, &end, last, sizeof(last));
	if (pool->arg)
		snprintf(word, sizeof(word), "%s", pool->arg);
	else
		snprintf(word, sizeof(word), "%s/%u", first, pool->plen);
	for (i = 0; i < brs->n; i++) {
		const struct pt_pool *bp = &brs->v[i].pool;

		if (bp->family != pool->family ||
		    !pt_pool_contains(pool, count, &bp->first))
			continue;
		if (arg)
			pt_error("argument \"%s\" is wrong: pool %s-%s contains %s, an address of bridge \"%s\"",
				 *arg ? arg : word, first, last,
				 pt_addr_format(bp->family, &bp->first, ofirst,
						sizeof(ofirst)),
				 brs->v[i].owner);
		return true;
	}
	for (i = 0; i < jobs->n; i++) {
		const struct pt_found *f = &jobs->v[i];

		if (f->master_ifindex != bridge || !strcmp(f->job.name, self))
			continue;
		for (k = 0; k < f->job.npools; k++) {
			const struct pt_pool *op = &f->job.pools[k];
			struct pt_addr oend = pt_pool_slot(op, f->job.count - 1);

			if (!pt_pools_overlap(pool, count, op, f->job.count))
				continue;
			if (arg)
				pt_error("argument \"%s\" is wrong: pool %s-%s overlaps job \"%s\" (%s-%s)",
					 *arg ? arg : word, first, last,
					 f->job.name,
					 pt_addr_format(op->family, &op->first,
							ofirst, sizeof(ofirst)),
					 pt_addr_format(op->family, &oend,
							olast, sizeof(olast)));
			return true;
		}
	}
	return false;
}

/*
 * Every pool of job can take count slots.  Errors name arg (for set, the
 * count), or the pool itself when arg is NULL.
 */
int pt_pools_check(const struct pt_job *job, __u32 count,
		   const struct pt_found_list *jobs, int bridge,
		   const struct pt_taken *brs, const char *arg)
{
	int i;

	for (i = 0; i < job->npools; i++) {
		const struct pt_pool *p = &job->pools[i];
		__u64 room = pt_pool_room(p);

		if (room < count) {
			char a[INET6_ADDRSTRLEN], word[INET6_ADDRSTRLEN + 8];

			pt_addr_format(p->family, &p->first, a, sizeof(a));
			if (p->arg)
				snprintf(word, sizeof(word), "%s", p->arg);
			else
				snprintf(word, sizeof(word), "%s/%u", a, p->plen);
			pt_error("argument \"%s\" is wrong: count %u overflows the subnet of pool %s, only %llu slots fit from %s",
				 arg ? arg : word, count, word,
				 (unsigned long long)room, a);
			return -1;
		}
		if (pt_pool_clashes(p, count, job->name, jobs, bridge, brs,
				    arg ? arg : ""))
			return -1;
	}
	return 0;
}
