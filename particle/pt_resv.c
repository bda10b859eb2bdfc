// SPDX-License-Identifier: GPL-2.0
/*
 * The pools in use on a bridge, without reading every port's record.
 *
 * Reading a port's record (its ifalias) costs the kernel a linear walk of
 * the vtep namespace's netns ids (IFLA_LINK_NETNSID, one id per job), so
 * a dump of a bridge's J ports is O(J^2).  Each job therefore also keeps
 * an index entry in a routing table of the vtep namespace that no rule
 * consults: one route per pool, to the pool's first address (/32, /128),
 * through the job's port, metric = count, protocol PT_RESV_PROTO + the
 * job's number of pools.  A route dies with its port (and when the port
 * goes down), so an entry never outlives its job; a port of the bridge
 * without all of its routes is read the slow way and indexed again.  The
 * record stays the authority: an entry only ever reserves as much as a
 * record did (set grows the entry before the record, shrinks it after).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>

#include "utils.h"
#include "particle.h"

#define PT_RESV_TABLE_BASE	0xf0000000U	/* | bridge ifindex */
#define PT_RESV_IFINDEX_MAX	0x0fffffff
#define PT_RESV_PROTO		0x70		/* + the job's pools, 1 or 2 */
/* fewer indexed ports than this: the master-filtered dump costs less than
 * listing every bridge port of the namespace */
#define PT_RESV_SMALL		24
#define PT_RESV_TRIES		20

struct resv_route {
	int oif;
	int npools;		/* the job's, from the protocol */
	struct pt_pool pool;
	__u32 count;
};

struct resv_port {
	int ifindex;
	char name[IFNAMSIZ];
};

struct resv_dump {
	__u32 table;
	int bridge;
	struct resv_route *r;
	unsigned int nr, capr;
	struct resv_port *p;
	unsigned int np, capp;
};

static __u32 resv_table(int bridge_ifindex)
{
	if (bridge_ifindex <= 0 || bridge_ifindex > PT_RESV_IFINDEX_MAX)
		return 0;
	return PT_RESV_TABLE_BASE | (__u32)bridge_ifindex;
}

static void *grow(void *v, unsigned int *cap, size_t size)
{
	unsigned int n = *cap ? *cap * 2 : 64;
	void *nv = realloc(v, n * size);

	if (nv)
		*cap = n;
	return nv;
}

static int collect_route(struct nlmsghdr *n, void *arg)
{
	struct resv_dump *d = arg;
	struct rtmsg *rtm = NLMSG_DATA(n);
	struct rtattr *tb[RTA_MAX + 1];
	struct resv_route *e;
	int width;

	if (n->nlmsg_type != RTM_NEWROUTE ||
	    n->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return 0;
	width = pt_addr_width(rtm->rtm_family);
	if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) ||
	    rtm->rtm_dst_len != width ||
	    (rtm->rtm_protocol != PT_RESV_PROTO + 1 &&
	     rtm->rtm_protocol != PT_RESV_PROTO + 2))
		return 0;
	parse_rtattr(tb, RTA_MAX, RTM_RTA(rtm), RTM_PAYLOAD(n));
	if (!tb[RTA_TABLE] || RTA_PAYLOAD(tb[RTA_TABLE]) != 4 ||
	    rta_getattr_u32(tb[RTA_TABLE]) != d->table ||
	    !tb[RTA_DST] || RTA_PAYLOAD(tb[RTA_DST]) != (unsigned)width / 8 ||
	    !tb[RTA_OIF] || RTA_PAYLOAD(tb[RTA_OIF]) != 4 ||
	    !tb[RTA_PRIORITY] || RTA_PAYLOAD(tb[RTA_PRIORITY]) != 4)
		return 0;
	if (d->nr == d->capr) {
		e = grow(d->r, &d->capr, sizeof(*e));
		if (!e)
			return -1;
		d->r = e;
	}
	e = &d->r[d->nr];
	memset(e, 0, sizeof(*e));
	e->oif = rta_getattr_u32(tb[RTA_OIF]);
	e->count = rta_getattr_u32(tb[RTA_PRIORITY]);
	e->npools = rtm->rtm_protocol - PT_RESV_PROTO;
	e->pool.family = rtm->rtm_family;
	e->pool.plen = width;
	pt_addr_from_bytes(rtm->rtm_family, RTA_DATA(tb[RTA_DST]),
			   &e->pool.first);
	if (e->oif <= 0 || !e->count)
		return 0;
	d->nr++;
	return 0;
}

static int collect_port(struct nlmsghdr *n, void *arg)
{
	struct resv_dump *d = arg;
	struct ifinfomsg *ifi = NLMSG_DATA(n);
	struct rtattr *tb[IFLA_MAX + 1];
	struct resv_port *p;

	if (n->nlmsg_type != RTM_NEWLINK ||
	    n->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) || ifi->ifi_index <= 0)
		return 0;
	parse_rtattr_flags(tb, IFLA_MAX, IFLA_RTA(ifi), IFLA_PAYLOAD(n),
			   NLA_F_NESTED);
	if (!tb[IFLA_MASTER] || RTA_PAYLOAD(tb[IFLA_MASTER]) != 4 ||
	    rta_getattr_u32(tb[IFLA_MASTER]) != (__u32)d->bridge ||
	    !tb[IFLA_IFNAME] || !memchr(RTA_DATA(tb[IFLA_IFNAME]), '\0',
					RTA_PAYLOAD(tb[IFLA_IFNAME])))
		return 0;
	/* a port whose own driver answers too comes twice */
	if (d->np && d->p[d->np - 1].ifindex == ifi->ifi_index)
		return 0;
	if (d->np == d->capp) {
		p = grow(d->p, &d->capp, sizeof(*p));
		if (!p)
			return -1;
		d->p = p;
	}
	p = &d->p[d->np++];
	p->ifindex = ifi->ifi_index;
	snprintf(p->name, sizeof(p->name), "%s",
		 rta_getattr_str(tb[IFLA_IFNAME]));
	return 0;
}

/*
 * One dump, again while the kernel says it was interrupted (entries may
 * have been missed).  The kernel answers ENOENT for a table that does not
 * exist yet: no entries.
 */
static int resv_dump_req(struct rtnl_handle *rth, struct nlmsghdr *req,
			 rtnl_filter_t fn, struct resv_dump *d, bool routes)
{
	unsigned int nr = d->nr, np = d->np;
	int tries = 0;
	bool intr;

	for (;;) {
		req->nlmsg_seq = rth->dump = ++rth->seq;
		if (send(rth->fd, req, req->nlmsg_len, 0) < 0)
			return -1;
		if (pt_dump(rth, fn, d, &intr) < 0)
			return routes && errno == ENOENT ? 0 : -1;
		if (!intr || ++tries >= PT_RESV_TRIES)
			return 0;
		d->nr = nr;
		d->np = np;
	}
}

static int routes_dump(struct rtnl_handle *rth, int family,
		       struct resv_dump *d)
{
	struct pt_route_req req;

	pt_req_routedump(&req, family, d->table);
	return resv_dump_req(rth, &req.n, collect_route, d, true);
}

/* Every bridge port of the namespace (AF_BRIDGE: no netns id, no alias),
 * those of our bridge kept. */
static int ports_dump(struct rtnl_handle *rth, struct resv_dump *d)
{
	struct pt_link_req req;

	pt_link_req_init(&req, RTM_GETLINK, NLM_F_DUMP, 0);
	req.ifi.ifi_family = AF_BRIDGE;
	return resv_dump_req(rth, &req.n, collect_port, d, false);
}

static int port_cmp(const void *a, const void *b)
{
	const struct resv_port *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

static int route_cmp(const void *a, const void *b)
{
	const struct resv_route *x = a, *y = b;

	return x->oif < y->oif ? -1 : x->oif > y->oif;
}

/*
 * The index entry of one port: its pools and the largest count of their
 * routes, or false when it is not whole (a pool missing).
 */
static bool index_entry(const struct resv_dump *d, int oif,
			struct pt_job *job)
{
	struct resv_route key = { .oif = oif };
	const struct resv_route *r, *end = d->r + d->nr;
	int fam[2] = { 0, 0 }, npools = 0, i;

	r = bsearch(&key, d->r, d->nr, sizeof(*r), route_cmp);
	if (!r)
		return false;
	while (r > d->r && r[-1].oif == oif)
		r--;
	memset(job, 0, sizeof(*job));
	for (; r < end && r->oif == oif; r++) {
		i = r->pool.family == AF_INET6;
		if (!fam[i]) {
			if (job->npools == PT_POOLS_MAX)
				return false;
			job->pools[job->npools++] = r->pool;
			fam[i] = 1;
		}
		if (r->count > job->count)
			job->count = r->count;
		if (npools && npools != r->npools)
			return false;
		npools = r->npools;
	}
	return job->npools == npools;
}

static int list_add(struct pt_found_list *list, const struct pt_found *f)
{
	if (list->n == list->cap) {
		struct pt_found *v = grow(list->v, &list->cap, sizeof(*v));

		if (!v)
			return -1;
		list->v = v;
	}
	list->v[list->n++] = *f;
	return 0;
}

static void found_from_index(struct pt_found *f, const struct pt_job *idx,
			     int ifindex, const char *port, int bridge,
			     const char *brname)
{
	memset(f, 0, sizeof(*f));
	f->job = *idx;
	f->port_ifindex = ifindex;
	f->master_ifindex = bridge;
	f->peer_nsid = -1;
	snprintf(f->job.bridge, sizeof(f->job.bridge), "%s", brname);
	snprintf(f->job.port, sizeof(f->job.port), "%s", port);
	/* "pt-JOB" names its job; a hashed name does not (read on demand) */
	if (!strncmp(port, PT_PORT_PREFIX, strlen(PT_PORT_PREFIX)))
		snprintf(f->job.name, sizeof(f->job.name), "%s",
			 port + strlen(PT_PORT_PREFIX));
}

/* Index entries for every pool of job, at count (replacing old's). */
int pt_resv_update(struct rtnl_handle *rth, int bridge_ifindex,
		   int port_ifindex, const struct pt_job *job, __u32 old,
		   __u32 count)
{
	__u32 table = resv_table(bridge_ifindex);
	int i, err = 0;

	if (!table || port_ifindex <= 0 || !job->npools)
		return -1;
	for (i = 0; i < job->npools; i++) {
		const struct pt_pool *p = &job->pools[i];
		struct pt_route_req req;
		int k;

		pt_req_resv_route(&req, p, table, port_ifindex,
				  PT_RESV_PROTO + job->npools);
		/* the old entry first: never two of one pool (a dump resumed
		 * inside a route's aliases could miss one) */
		for (k = 0; k < 2; k++) {
			__u32 metric = k ? count : old;
			struct rtattr *prio;

			if (!metric || (!k && old == count))
				continue;
			req.n.nlmsg_type = k ? RTM_NEWROUTE : RTM_DELROUTE;
			req.n.nlmsg_flags = NLM_F_REQUEST |
				(k ? NLM_F_CREATE | NLM_F_REPLACE : 0);
			prio = (struct rtattr *)((char *)&req.n +
						 NLMSG_ALIGN(req.n.nlmsg_len));
			addattr32(&req.n, sizeof(req), RTA_PRIORITY, metric);
			if (pt_talk(rth, &req.n) && k)
				err = -1;
			req.n.nlmsg_len = (char *)prio - (char *)&req.n;
		}
	}
	return err;
}

/* The index entries of a new job's port (under the bridge lock). */
int pt_resv_add(struct rtnl_handle *rth, int bridge_ifindex, int port,
		const struct pt_job *job)
{
	return pt_resv_update(rth, bridge_ifindex, port, job, 0, job->count);
}

/* A port not (wholly) indexed: its record, and its entries made again. */
static int read_port(struct rtnl_handle *rth, struct resv_dump *d,
		     int ifindex, const char *brname,
		     struct pt_found_list *list, const struct pt_job *idx)
{
	struct pt_found f;
	int err = pt_port_found(rth, ifindex, &f);

	if (err == -ENODEV)
		return 0;	/* gone meanwhile, or no job */
	if (err)
		return err;
	strcpy(f.job.bridge, brname);
	f.master_ifindex = d->bridge;
	if (idx && idx->count > f.job.count && f.job.npools)
		f.job.count = idx->count;	/* the larger reservation */
	if (f.job.npools && f.job.count)
		pt_resv_update(rth, d->bridge, ifindex, &f.job, 0, f.job.count);
	return list_add(list, &f) ? -2 : 0;
}

/* Entries without a job name that are in want's way: their records. */
static void name_clashes(struct rtnl_handle *rth, struct pt_found_list *list,
			 const struct pt_job *want, __u32 count)
{
	unsigned int i;
	int a, b;

	for (i = 0; want && count && i < list->n; i++) {
		struct pt_found *f = &list->v[i], g;
		bool clash = false;

		if (f->job.name[0])
			continue;
		for (a = 0; a < want->npools; a++)
			for (b = 0; b < f->job.npools; b++)
				clash |= pt_pools_overlap(&want->pools[a], count,
							  &f->job.pools[b],
							  f->job.count);
		if (!clash || pt_port_found(rth, f->port_ifindex, &g))
			continue;
		snprintf(f->job.name, sizeof(f->job.name), "%s", g.job.name);
		snprintf(f->job.port, sizeof(f->job.port), "%s", g.job.port);
	}
}

/*
 * The jobs on one bridge and in *nports how many ports it has, like
 * pt_bridge_jobs(), from the index: a route dump of the bridge's table
 * and one AF_BRIDGE dump of the namespace's bridge ports (its ports
 * without whole entries are read one by one).  want/count (may be NULL/0):
 * the pools about to be checked, so that a clash can name its job.
 */
int pt_resv_jobs(struct rtnl_handle *rth, int bridge_ifindex,
		 const char *bridge, const struct pt_job *want, __u32 count,
		 struct pt_found_list *list, unsigned int *nports)
{
	struct resv_dump d = {
		.table = resv_table(bridge_ifindex), .bridge = bridge_ifindex,
	};
	unsigned int i, noif = 0;
	struct pt_found f;
	struct pt_job idx;
	int err = -2;

	if (!d.table)
		return pt_bridge_jobs(rth, bridge_ifindex, bridge, list, nports);
	pt_rtnl_strict(rth);
	memset(list, 0, sizeof(*list));
	if (routes_dump(rth, AF_INET, &d) || routes_dump(rth, AF_INET6, &d)) {
		pt_error("cannot read the jobs of bridge \"%s\": %s", bridge,
			 strerror(errno));
		goto out;
	}
	qsort(d.r, d.nr, sizeof(*d.r), route_cmp);
	for (i = 0; i < d.nr; i++)
		noif += !i || d.r[i].oif != d.r[i - 1].oif;

	if (noif < PT_RESV_SMALL) {
		/* few jobs: every port's record, and the missing entries */
		err = pt_bridge_jobs(rth, bridge_ifindex, bridge, list, nports);
		for (i = 0; !err && i < list->n; i++) {
			const struct pt_found *g = &list->v[i];

			if (g->job.npools && g->job.count &&
			    (!index_entry(&d, g->port_ifindex, &idx) ||
			     idx.count < g->job.count))
				pt_resv_update(rth, bridge_ifindex,
					       g->port_ifindex, &g->job, 0,
					       g->job.count);
		}
		goto out;
	}

	if (ports_dump(rth, &d)) {
		pt_error("cannot read the ports of bridge \"%s\": %s", bridge,
			 strerror(errno));
		goto out;
	}
	/* one allocation for the jobs (growing by doubling copied them) */
	list->v = malloc((d.np + noif) * sizeof(*list->v));
	if (!list->v)
		goto out;
	list->cap = d.np + noif;
	for (i = 0; i < d.np; i++) {
		const struct resv_port *p = &d.p[i];

		if (index_entry(&d, p->ifindex, &idx)) {
			found_from_index(&f, &idx, p->ifindex, p->name,
					 bridge_ifindex, bridge);
			err = list_add(list, &f) ? -2 : 0;
		} else {
			err = read_port(rth, &d, p->ifindex, bridge, list,
					idx.npools ? &idx : NULL);
		}
		if (err)
			goto out;
	}
	/* entries of ports the port dump did not show: still reserved */
	qsort(d.p, d.np, sizeof(*d.p), port_cmp);
	for (i = 0; i < d.nr; i++) {
		struct resv_port key = { .ifindex = d.r[i].oif };

		if ((i && d.r[i].oif == d.r[i - 1].oif) ||
		    bsearch(&key, d.p, d.np, sizeof(*d.p), port_cmp) ||
		    !index_entry(&d, d.r[i].oif, &idx))
			continue;
		found_from_index(&f, &idx, d.r[i].oif, "", bridge_ifindex,
				 bridge);
		if (list_add(list, &f)) {
			err = -2;
			goto out;
		}
	}
	name_clashes(rth, list, want, count);
	if (nports)
		*nports = d.np;
	err = 0;
out:
	if (err)
		pt_found_list_free(list);
	free(d.r);
	free(d.p);
	return err;
}
