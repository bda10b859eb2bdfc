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
 *
 * Finding the ports without whole entries would take a dump of every
 * port of the bridge, so a second table counts the bridge's job ports:
 * one route to 0.0.0.0/32 through the bridge, protocol PT_RESV_COUNT,
 * metric = 1 + the count (a delete that names metric 0 takes any).  It
 * has a table of its own so that del reads one route, not the index.  add
 * raises it before it makes a port; whoever removes one holds the
 * bridge's removal lock (pt_lock.c) from before the port goes until the
 * count is lowered.  So the count is never below the ports that exist,
 * and when it equals the ports with whole entries, every job port of the
 * bridge has them: add reads the table and nothing else.  Otherwise (a
 * crash, a port gone down, a port removed by hand) the ports are read,
 * and the count is set to what they show when no removal is under way
 * (higher only, if one is).  Two count entries (a change cut short): the
 * larger one counts.  A job port moved to another bridge by hand keeps
 * its entries here and is not counted there: that is not supported.
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
#define PT_RESV_COUNT_BASE	0xe0000000U	/* | bridge ifindex */
#define PT_RESV_IFINDEX_MAX	0x0fffffff
#define PT_RESV_PROTO		0x70		/* + the job's pools, 1 or 2 */
#define PT_RESV_COUNT		(PT_RESV_PROTO + 3)	/* the port count */
/* ports of a bridge that no job owns (its vtep, and others): with fewer
 * free than this by the count, the ports are counted one by one */
#define PT_RESV_SPARE		8
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
	__u32 count_table;
	int bridge;
	struct resv_route *r;
	unsigned int nr, capr;
	struct resv_port *p;
	unsigned int np, capp;
	struct pt_resv_count c;
};

static __u32 resv_table(int bridge_ifindex, __u32 base)
{
	if (bridge_ifindex <= 0 || bridge_ifindex > PT_RESV_IFINDEX_MAX)
		return 0;
	return base | (__u32)bridge_ifindex;
}

/* The two tables of a bridge; .table 0: it has none (its ifindex). */
static void resv_dump_init(struct resv_dump *d, int bridge_ifindex)
{
	memset(d, 0, sizeof(*d));
	d->table = resv_table(bridge_ifindex, PT_RESV_TABLE_BASE);
	d->count_table = resv_table(bridge_ifindex, PT_RESV_COUNT_BASE);
	d->bridge = d->c.bridge = bridge_ifindex;
}

static void *grow(void *v, unsigned int *cap, size_t size)
{
	unsigned int n = *cap ? *cap * 2 : 64;
	void *nv = realloc(v, n * size);

	if (nv)
		*cap = n;
	return nv;
}

static int collect_count(struct nlmsghdr *n, struct resv_dump *d)
{
	struct rtmsg *rtm = NLMSG_DATA(n);
	struct rtattr *tb[RTA_MAX + 1];
	__u32 metric;

	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 32)
		return 0;
	parse_rtattr(tb, RTA_MAX, RTM_RTA(rtm), RTM_PAYLOAD(n));
	if (!tb[RTA_TABLE] || RTA_PAYLOAD(tb[RTA_TABLE]) != 4 ||
	    rta_getattr_u32(tb[RTA_TABLE]) != d->count_table ||
	    !tb[RTA_DST] || RTA_PAYLOAD(tb[RTA_DST]) != 4 ||
	    rta_getattr_u32(tb[RTA_DST]) != 0 ||
	    !tb[RTA_OIF] || RTA_PAYLOAD(tb[RTA_OIF]) != 4 ||
	    rta_getattr_u32(tb[RTA_OIF]) != (__u32)d->bridge)
		return 0;
	if (!tb[RTA_PRIORITY] || RTA_PAYLOAD(tb[RTA_PRIORITY]) != 4 ||
	    !rta_getattr_u32(tb[RTA_PRIORITY]))
		return 0;	/* not one of ours */
	metric = rta_getattr_u32(tb[RTA_PRIORITY]) - 1;
	if (d->c.n < PT_RESV_COUNTS)
		d->c.v[d->c.n] = metric;
	if (!d->c.n++ || metric > d->c.max)
		d->c.max = metric;
	return 0;
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
	if (rtm->rtm_protocol == PT_RESV_COUNT)
		return collect_count(n, d);
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
	struct pt_resv_count c = d->c;
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
		d->c = c;
	}
}

/* One of the bridge's tables (protocol: only the routes of one, 0: all). */
static int routes_dump(struct rtnl_handle *rth, int family, __u32 table,
		       __u8 protocol, struct resv_dump *d)
{
	struct pt_route_req req;

	pt_req_routedump(&req, family, table);
	req.r.rtm_protocol = protocol;
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
 * The index entry of the port whose routes start at r (d->r sorted by
 * oif): its pools and the largest count of their routes.  *next: the
 * next port's first route.  False when it is not whole (a pool missing).
 */
static bool entry_at(const struct resv_dump *d, const struct resv_route *r,
		     struct pt_job *job, const struct resv_route **next)
{
	const struct resv_route *end = d->r + d->nr;
	int fam[2] = { 0, 0 }, npools = 0, oif = r->oif, i;
	bool whole = true;

	memset(job, 0, sizeof(*job));
	for (; r < end && r->oif == oif; r++) {
		i = r->pool.family == AF_INET6;
		if (!fam[i]) {
			if (job->npools == PT_POOLS_MAX)
				whole = false;
			else
				job->pools[job->npools++] = r->pool;
			fam[i] = 1;
		}
		if (r->count > job->count)
			job->count = r->count;
		if (npools && npools != r->npools)
			whole = false;
		npools = r->npools;
	}
	*next = r;
	return whole && job->npools == npools;
}

/* The index entry of one port, or false when it has none or not whole. */
static bool index_entry(const struct resv_dump *d, int oif,
			struct pt_job *job)
{
	struct resv_route key = { .oif = oif };
	const struct resv_route *r, *next;

	r = bsearch(&key, d->r, d->nr, sizeof(*r), route_cmp);
	if (!r)
		return false;
	while (r > d->r && r[-1].oif == oif)
		r--;
	return entry_at(d, r, job, &next);
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

static int count_route(struct rtnl_handle *rth, const struct resv_dump *d,
		       int type, __u32 count)
{
	const struct pt_pool any = { .family = AF_INET, .plen = 32 };
	struct pt_route_req req;
	int err;

	pt_req_resv_route(&req, &any, d->count_table, d->bridge, PT_RESV_COUNT);
	req.n.nlmsg_type = type;
	req.n.nlmsg_flags = NLM_F_REQUEST |
		(type == RTM_NEWROUTE ? NLM_F_CREATE : 0);
	addattr32(&req.n, sizeof(req), RTA_PRIORITY, count + 1);
	err = pt_talk(rth, &req.n);
	return err == -EEXIST ? 0 : err;
}

/* One count entry, at value: the new one first, then the others go. */
static void count_set(struct rtnl_handle *rth, struct resv_dump *d,
		      __u32 value)
{
	struct pt_resv_count *c = &d->c;
	unsigned int i, n = c->n < PT_RESV_COUNTS ? c->n : PT_RESV_COUNTS;
	bool have = false;

	for (i = 0; i < n; i++)
		have |= c->v[i] == value;
	if (!have && count_route(rth, d, RTM_NEWROUTE, value))
		return;		/* a bridge that is down: not counted */
	for (i = 0; i < n; i++)
		if (c->v[i] != value)
			count_route(rth, d, RTM_DELROUTE, c->v[i]);
	c->n = 1;
	c->v[0] = c->max = value;
}

/*
 * Raise (before a port is made, under the bridge lock) or lower (after it
 * is gone, under the bridge lock and its removal lock) the bridge's count
 * of job ports by one.  known: the count as pt_resv_jobs() read it under
 * this hold of the lock, kept in step; NULL: read it.  A bridge without a
 * count is left so.
 */
void pt_resv_count_move(struct rtnl_handle *rth, int bridge_ifindex,
			int delta, struct pt_resv_count *known)
{
	struct resv_dump d;

	resv_dump_init(&d, bridge_ifindex);
	if (!d.table)
		return;
	if (known && known->bridge == bridge_ifindex) {
		d.c = *known;
	} else {
		pt_rtnl_strict(rth);
		if (routes_dump(rth, AF_INET, d.count_table, PT_RESV_COUNT,
				&d))
			return;
	}
	if (d.c.n)
		count_set(rth, &d, delta < 0 && d.c.max < (__u32)-delta ?
				   0 : d.c.max + delta);
	if (known)
		*known = d.c;
}

/* Index entries for every pool of job, at count (replacing old's). */
int pt_resv_update(struct rtnl_handle *rth, int bridge_ifindex,
		   int port_ifindex, const struct pt_job *job, __u32 old,
		   __u32 count)
{
	__u32 table = resv_table(bridge_ifindex, PT_RESV_TABLE_BASE);
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
 * When the count matches the ports with entries and all of them are
 * whole, every job port of the bridge is indexed: the list is made from
 * the entries alone (without names: name_clashes() reads those that are
 * in the way).  -1: it does not match (the list is empty), -2: no memory.
 */
static int jobs_from_index(const struct resv_dump *d, const char *bridge,
			   unsigned int noif, struct pt_found_list *list)
{
	const struct resv_route *r = d->r, *next;
	struct pt_found *f;
	struct pt_job idx;

	if (!d->c.n || d->c.max != noif ||
	    d->c.max + PT_RESV_SPARE > PT_BRIDGE_PORTS_MAX)
		return -1;
	list->v = malloc((noif ?: 1) * sizeof(*list->v));
	if (!list->v)
		return -2;
	list->cap = noif ?: 1;
	for (; r < d->r + d->nr; r = next) {
		if (!entry_at(d, r, &idx, &next)) {
			pt_found_list_free(list);
			return -1;
		}
		f = &list->v[list->n++];
		found_from_index(f, &idx, r->oif, "", d->bridge, bridge);
	}
	return 0;
}

/* The ports were read, and seen jobs on them: the count follows. */
static void count_repair(struct rtnl_handle *rth, const struct pt_lock *lk,
			 struct resv_dump *d, const char *bridge,
			 unsigned int seen)
{
	if (!pt_lock_no_removals(lk, bridge)) {
		/* a removal may lower it later: higher only */
		if (!d->c.n || seen <= d->c.max)
			return;
	} else if (d->c.n == 1 && d->c.max == seen) {
		return;
	}
	count_set(rth, d, seen);
}

/* Few jobs: every port's record (a master-filtered dump), and the
 * entries that are missing made. */
static int jobs_from_records(struct rtnl_handle *rth,
			     const struct pt_lock *lk, struct resv_dump *d,
			     const char *bridge, struct pt_found_list *list,
			     unsigned int *nports)
{
	struct pt_job idx;
	unsigned int i;
	int err;

	err = pt_bridge_jobs(rth, d->bridge, bridge, list, nports);
	if (err)
		return err;
	for (i = 0; i < list->n; i++) {
		const struct pt_found *g = &list->v[i];

		if (g->job.npools && g->job.count &&
		    (!index_entry(d, g->port_ifindex, &idx) ||
		     idx.count < g->job.count))
			pt_resv_update(rth, d->bridge, g->port_ifindex,
				       &g->job, 0, g->job.count);
	}
	count_repair(rth, lk, d, bridge, list->n);
	return 0;
}

/* Many jobs: the bridge's ports from one AF_BRIDGE dump, each port from
 * its entry, or from its record when it has none (or not whole). */
static int jobs_from_ports(struct rtnl_handle *rth, const struct pt_lock *lk,
			   struct resv_dump *d, const char *bridge,
			   unsigned int noif, struct pt_found_list *list,
			   unsigned int *nports)
{
	struct pt_found f;
	struct pt_job idx;
	unsigned int i;
	int err;

	if (ports_dump(rth, d)) {
		pt_error("cannot read the ports of bridge \"%s\": %s", bridge,
			 strerror(errno));
		return -2;
	}
	/* one allocation for the jobs (growing by doubling copied them) */
	list->v = malloc((d->np + noif) * sizeof(*list->v));
	if (!list->v)
		return -2;
	list->cap = d->np + noif;
	for (i = 0; i < d->np; i++) {
		const struct resv_port *p = &d->p[i];

		if (index_entry(d, p->ifindex, &idx)) {
			found_from_index(&f, &idx, p->ifindex, p->name,
					 d->bridge, bridge);
			err = list_add(list, &f) ? -2 : 0;
		} else {
			err = read_port(rth, d, p->ifindex, bridge, list,
					idx.npools ? &idx : NULL);
		}
		if (err)
			return err;
	}
	count_repair(rth, lk, d, bridge, list->n);
	/* entries of ports the port dump did not show: still reserved */
	qsort(d->p, d->np, sizeof(*d->p), port_cmp);
	for (i = 0; i < d->nr; i++) {
		struct resv_port key = { .ifindex = d->r[i].oif };

		if ((i && d->r[i].oif == d->r[i - 1].oif) ||
		    bsearch(&key, d->p, d->np, sizeof(*d->p), port_cmp) ||
		    !index_entry(d, d->r[i].oif, &idx))
			continue;
		found_from_index(&f, &idx, d->r[i].oif, "", d->bridge, bridge);
		if (list_add(list, &f))
			return -2;
	}
	if (nports)
		*nports = d->np;
	return 0;
}

/*
 * The jobs on one bridge and in *nports how many ports it has, like
 * pt_bridge_jobs(), under the bridge lock lk.  From the index (a route
 * dump of the bridge's table) when its count of job ports matches; then
 * *nports is the count of job ports, PT_RESV_SPARE or more below the
 * limit.  Otherwise also from the ports: one AF_BRIDGE dump of the
 * namespace's bridge ports (those without whole entries read one by one),
 * or with few jobs every port's record; then *nports is exact.
 * want/count (may be NULL/0): the pools about to be checked, so that a
 * clash can name its job.  *cnt (may be NULL): the count, for
 * pt_resv_count_move() under the same hold of the lock.
 */
int pt_resv_jobs(struct rtnl_handle *rth, const struct pt_lock *lk,
		 int bridge_ifindex, const char *bridge,
		 const struct pt_job *want, __u32 count,
		 struct pt_found_list *list, unsigned int *nports,
		 struct pt_resv_count *cnt)
{
	unsigned int i, noif = 0;
	struct resv_dump d;
	int err;

	resv_dump_init(&d, bridge_ifindex);
	if (!d.table)
		return pt_bridge_jobs(rth, bridge_ifindex, bridge, list, nports);
	pt_rtnl_strict(rth);
	memset(list, 0, sizeof(*list));
	if (routes_dump(rth, AF_INET, d.table, 0, &d) ||
	    routes_dump(rth, AF_INET6, d.table, 0, &d) ||
	    routes_dump(rth, AF_INET, d.count_table, PT_RESV_COUNT, &d)) {
		pt_error("cannot read the jobs of bridge \"%s\": %s", bridge,
			 strerror(errno));
		err = -2;
		goto out;
	}
	qsort(d.r, d.nr, sizeof(*d.r), route_cmp);
	for (i = 0; i < d.nr; i++)
		noif += !i || d.r[i].oif != d.r[i - 1].oif;

	err = jobs_from_index(&d, bridge, noif, list);
	if (!err && nports)
		*nports = d.c.max;
	else if (err == -1 && noif < PT_RESV_SMALL)
		err = jobs_from_records(rth, lk, &d, bridge, list, nports);
	else if (err == -1)
		err = jobs_from_ports(rth, lk, &d, bridge, noif, list, nports);
	if (!err)
		name_clashes(rth, list, want, count);
out:
	if (err)
		pt_found_list_free(list);
	if (cnt)
		*cnt = d.c;
	free(d.r);
	free(d.p);
	return err;
}
