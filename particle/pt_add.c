// SPDX-License-Identifier: GPL-2.0
/*
 * ip particle add: parse, plan (everything checked against the kernel's
 * state before anything changes), apply in three netlink exchanges, and
 * undo all of it if any step fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/veth.h>

#include "utils.h"
#include "ip_common.h"
#include "particle.h"

struct pt_plan {
	struct pt_job *job;
	struct pt_link vtep;
	int bridge_ifindex;	/* 0 while it is still to be created */
	int port_ifindex;	/* once add_port() made it */
	bool create_bridge;
	bool enslave_vtep;
	bool eth0_no_ipv6_ll;	/* eth0 comes up without a link-local address */
	__u32 mtu;
	struct pt_resv_count count;	/* the bridge's job ports, as read */
};

enum pt_phase { PH_LOOKUP, PH_NETNS, PH_LINK, PH_POOL, PH_LIMITS, PH_MAX };

static const char *const phase_names[PH_MAX] = {
	"lookup", "netns", "link", "pool", "limits",
};

/* ---- plan: read the kernel, decide, refuse early ---- */

static int plan_bridge(struct rtnl_handle *rth, struct pt_plan *plan)
{
	struct pt_job *job = plan->job;
	struct pt_link br;
	int err;

	if (strcmp(plan->vtep.kind, "bridge") == 0) {
		if (job->bridge[0] && strcmp(job->bridge, job->vtep)) {
			pt_error("argument \"%s\" is wrong: vtep \"%s\" is itself a bridge",
				 job->bridge, job->vtep);
			return -1;
		}
		strcpy(job->bridge, job->vtep);
		plan->bridge_ifindex = plan->vtep.ifindex;
		return 0;
	}

	if (plan->vtep.master) {
		err = pt_link_get(rth, NULL, plan->vtep.master, &br);
		if (err || strcmp(br.kind, "bridge")) {
			pt_error("vtep \"%s\" is enslaved to \"%s\", which is not a bridge",
				 job->vtep, err ? "?" : br.name);
			return -1;
		}
		if (job->bridge[0] && strcmp(job->bridge, br.name)) {
			pt_error("argument \"%s\" is wrong: vtep \"%s\" is already on bridge \"%s\"",
				 job->bridge, job->vtep, br.name);
			return -1;
		}
		strcpy(job->bridge, br.name);
		plan->bridge_ifindex = br.ifindex;
		return 0;
	}

	/* an unbridged VXLAN device: its bridge is ours to make */
	if (!job->bridge[0]) {
		if (strlen(job->vtep) + 3 >= IFNAMSIZ) {
			pt_error("vtep \"%s\" has no bridge and \"br-%s\" is too long a name: give \"bridge BR\"",
				 job->vtep, job->vtep);
			return -1;
		}
		snprintf(job->bridge, IFNAMSIZ, "br-%s", job->vtep);
	}
	plan->enslave_vtep = true;
	err = pt_link_get(rth, job->bridge, 0, &br);
	if (err == -ENODEV) {
		plan->create_bridge = true;
		return 0;
	}
	if (err || strcmp(br.kind, "bridge")) {
		pt_error("argument \"%s\" is wrong: device \"%s\" exists and is not a bridge",
			 job->bridge, job->bridge);
		return -1;
	}
	plan->bridge_ifindex = br.ifindex;
	return 0;
}

static int plan_vtep(struct rtnl_handle *rth, struct pt_plan *plan)
{
	struct pt_job *job = plan->job;
	int err = pt_link_get(rth, job->vtep, 0, &plan->vtep);

	if (err == -ENODEV) {
		pt_error("argument \"%s\" is wrong: vtep device \"%s\" does not exist in this namespace",
			 job->vtep, job->vtep);
		return -1;
	}
	if (err) {
		pt_error("cannot look up vtep \"%s\": %s", job->vtep,
			 strerror(-err));
		return -2;
	}
	if (strcmp(plan->vtep.kind, "vxlan") && strcmp(plan->vtep.kind, "bridge")) {
		pt_error("argument \"%s\" is wrong: vtep must be a vxlan or bridge device, \"%s\" is %s%s",
			 job->vtep, job->vtep,
			 plan->vtep.kind[0] ? "a " : "a device without a kind",
			 plan->vtep.kind);
		return -1;
	}
	plan->mtu = job->mtu ? job->mtu : plan->vtep.mtu;
	return plan_bridge(rth, plan);
}

struct span {
	__u64 first, end;	/* [first, end) of IPv4 addresses */
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * The lowest free range of count addresses in the bridge's IPv4 subnet:
 * whatever is taken (other jobs' IPv4 pools, the bridge's addresses)
 * sorted once, then one sweep past it.
 */
static int default_pool(struct pt_plan *plan, const struct pt_taken *brs,
			const struct pt_found_list *jobs)
{
	struct pt_job *job = plan->job;
	const struct pt_pool *bp = NULL;
	struct span *taken;
	unsigned int i, n = 0;
	struct pt_pool pool;
	__u64 first;
	int k;

	for (i = 0; i < brs->n; i++)
		if (brs->v[i].pool.family == AF_INET) {
			bp = &brs->v[i].pool;
			break;
		}
	if (!bp) {
		pt_error("bridge \"%s\" has no IPv4 address to take a default pool from: give \"pool ADDR/PLEN\"",
			 job->bridge);
		return -1;
	}
	pool = *bp;
	pool.arg = NULL;
	pool.first = pt_addr_add(pt_pool_network(bp), bp->plen < 31 ? 1 : 0);

	taken = malloc((brs->n + PT_POOLS_MAX * jobs->n + 1) * sizeof(*taken));
	if (!taken) {
		pt_error("out of memory");
		return -1;
	}
	for (i = 0; i < brs->n; i++)
		if (brs->v[i].pool.family == AF_INET) {
			taken[n].first = brs->v[i].pool.first.lo;
			taken[n++].end = brs->v[i].pool.first.lo + 1;
		}
	for (i = 0; i < jobs->n; i++) {
		const struct pt_found *f = &jobs->v[i];

		if (f->master_ifindex != plan->bridge_ifindex ||
		    !strcmp(f->job.name, job->name))
			continue;
		for (k = 0; k < f->job.npools; k++)
			if (f->job.pools[k].family == AF_INET) {
				taken[n].first = f->job.pools[k].first.lo;
				taken[n].end = taken[n].first + f->job.count;
				n++;
			}
	}
	qsort(taken, n, sizeof(*taken), span_cmp);

	first = pool.first.lo;
	for (i = 0; i < n; i++) {
		if (taken[i].end <= first)
			continue;
		if (taken[i].first >= first + job->count)
			break;
		first = taken[i].end;	/* skip past what is in the way */
	}
	free(taken);
	pool.first.lo = first;
	if (first <= 0xffffffffULL && pt_pool_room(&pool) >= job->count) {
		job->pools[job->npools++] = pool;
		return 0;
	}
	{
		char a[INET6_ADDRSTRLEN];

		pt_error("no free range of %u addresses left in %s/%u of bridge \"%s\": give \"pool ADDR/PLEN\"",
			 job->count,
			 pt_addr_format(AF_INET, &bp->first, a, sizeof(a)),
			 bp->plen, job->bridge);
	}
	return -1;
}

static int plan_pools(struct rtnl_handle *rth, struct pt_plan *plan,
		      const struct pt_found_list *jobs)
{
	struct pt_job *job = plan->job;
	struct pt_taken brs;
	int err;

	err = pt_taken_load(rth, plan->bridge_ifindex, job->bridge, &brs);
	if (err)
		return err;
	if (!job->npools && default_pool(plan, &brs, jobs))
		return -1;
	err = pt_pools_check(job, job->count, jobs, plan->bridge_ifindex,
			     &brs, NULL);
	if (err)
		return err;

	if (job->has_gateway && !pt_job_has_family(job, job->gw_family)) {
		char a[INET6_ADDRSTRLEN];

		pt_error("argument \"%s\" is wrong: gateway needs a pool of its address family",
			 pt_addr_format(job->gw_family, &job->gateway, a,
					sizeof(a)));
		return -1;
	}
	/* the count was checked against the mode in pt_parse_add(): the
	 * default pool is IPv4, so it changes no mode's limit */
	return 0;
}

static int plan_add(struct pt_plan *plan)
{
	struct pt_job *job = plan->job;
	struct pt_link port;
	bool ours;
	int err;

	switch (pt_netns_state(job->name, &ours)) {
	case PT_NS_NONE:
		break;
	case PT_NS_ORPHAN:
		pt_error("argument \"%s\" is wrong: job \"%s\" is damaged (an add was interrupted): remove it with \"ip%s particle del %s\"",
			 job->name, job->name, ours ? "" : " -n VTEPNS",
			 job->name);
		return -1;
	default:
		pt_error("argument \"%s\" is wrong: network namespace \"%s\" already exists",
			 job->name, job->name);
		return -1;
	}
	err = plan_vtep(&rth, plan);
	if (err)
		return err;

	if (pt_link_get(&rth, job->port, 0, &port) == 0) {
		pt_error("argument \"%s\" is wrong: its port name \"%s\" is taken by an existing device",
			 job->name, job->port);
		return -1;
	}
	return 0;
}

/* Under the bridge lock: the jobs as they are now, and the pool. */
static int plan_jobs(struct pt_plan *plan, const struct pt_lock *lk)
{
	struct pt_job *job = plan->job;
	struct pt_found_list jobs;
	const struct pt_found *f;
	int err;

	unsigned int nports, need;

	/* only the ports of this bridge: jobs elsewhere cost nothing */
	err = pt_resv_jobs(&rth, lk, plan->bridge_ifindex, job->bridge, job,
			   job->count, &jobs, &nports, &plan->count);
	if (err)
		return err;
	/* the job's port, and the vtep if it is still to join the bridge */
	need = 1 + (plan->enslave_vtep && plan->bridge_ifindex);
	f = pt_found_lookup(&jobs, job->name);
	if (nports + need > PT_BRIDGE_PORTS_MAX) {
		pt_error("bridge \"%s\" is full: it has %u ports and a Linux bridge holds at most %u: add the job on another VNI (another vtep and bridge)",
			 job->bridge, nports, PT_BRIDGE_PORTS_MAX);
		err = -1;
	} else if (f) {
		pt_error("argument \"%s\" is wrong: job \"%s\" already exists%s%s%s",
			 job->name, job->name, f->damaged ? " (damaged: " : "",
			 f->damaged ?: "", f->damaged ? ")" : "");
		err = -1;
	} else {
		err = plan_pools(&rth, plan, &jobs);
	}
	pt_found_list_free(&jobs);
	return err;
}

/* ---- apply ---- */

static int add_port(struct pt_plan *plan, int nsfd, bool *made)
{
	const struct pt_job *job = plan->job;
	struct pt_link_req req, alias;
	__u8 mac[ETH_ALEN];
	char record[256];
	int err;

	if (job->has_mac)
		memcpy(mac, job->mac, ETH_ALEN);
	else
		pt_default_mac(job, mac);

	/* the port, born on the bridge, with its peer born in the job */
	pt_req_port(&req, job->port, plan->mtu, plan->bridge_ifindex, nsfd,
		    mac);

	/* the job's record, marked "not whole yet" until the pool is in */
	if (pt_record_format(job, record, sizeof(record))) {
		pt_error("job \"%s\": record does not fit in an ifalias",
			 job->name);
		return -1;
	}
	pt_record_mark_busy(record, sizeof(record), "add");
	pt_req_record(&alias, 0, job->port, record);

	/*
	 * Two writes, not one: in one, a create that failed (a same-name
	 * race: the port's name is the claim, NLM_F_EXCL decides) would not
	 * stop the kernel from writing our record on the winner's port.
	 * Until the namespace is named, a port without record dies with us.
	 */
	err = pt_talk_create(&rth, &req.n);
	if (err > 0) {
		plan->port_ifindex = err;
		err = 0;
	}
	if (err == -EXFULL) {	/* a port more than we counted: refused whole */
		pt_error("bridge \"%s\" is full: a Linux bridge holds at most %u ports: add the job on another VNI (another vtep and bridge)",
			 job->bridge, PT_BRIDGE_PORTS_MAX);
		return -1;
	}
	if (err == -EEXIST) {
		pt_error("argument \"%s\" is wrong: job \"%s\" already exists (port \"%s\" was made meanwhile)",
			 job->name, job->name, job->port);
		return -1;
	}
	if (err) {
		pt_error("job \"%s\": the kernel refused to create port \"%s\": %s",
			 job->name, job->port, strerror(-err));
		return -2;	/* nothing was made */
	}
	*made = true;
	if (!plan->port_ifindex) {	/* a kernel that does not echo */
		err = pt_ifindex_in(&rth, job->port);
		if (err < 0) {
			pt_error("job \"%s\": port \"%s\" vanished: %s",
				 job->name, job->port, strerror(-err));
			return -2;
		}
		plan->port_ifindex = err;
	}
	/* before its carrier comes up (eth0, in the pool phase): no IPv6
	 * routes of its own; an IPv6 pool's index route needs IPv6 on it.
	 * Nor does eth0 need IPv6 then (see pt_req_link_up(); an IPv6
	 * gateway needs an IPv6 pool), when the kernel has it (the write
	 * tells). */
	if (!pt_job_has_family(job, AF_INET6))
		plan->eth0_no_ipv6_ll = !pt_link_ipv6_off(job->port);
	err = pt_talk(&rth, &alias.n);
	if (err) {
		pt_error("job \"%s\": the kernel refused the record on port \"%s\": %s",
			 job->name, job->port, strerror(-err));
		return -2;
	}
	return 0;
}

/* The pool is in: the record loses its busy mark. */
static int add_record_whole(const struct pt_job *job)
{
	struct pt_link_req req;
	char record[256];

	if (pt_record_format(job, record, sizeof(record)))
		return -1;
	pt_req_record(&req, 0, job->port, record);
	if (pt_talk(&rth, &req.n)) {
		pt_error("job \"%s\": writing its record on port \"%s\": %s",
			 job->name, job->port, strerror(errno));
		return -2;
	}
	return 0;
}

static int add_pool(struct pt_plan *plan, struct rtnl_handle *job_rth)
{
	const struct pt_job *job = plan->job;
	char what[128];
	struct pt_batch b;
	int ifindex, err;

	snprintf(what, sizeof(what), "job \"%s\"", job->name);
	ifindex = pt_ifindex_in(job_rth, PT_JOB_IFNAME);
	if (ifindex < 0) {
		pt_error("%s: %s did not appear in the job namespace: %s",
			 what, PT_JOB_IFNAME, strerror(-ifindex));
		return -2;
	}
	pt_rtnl_grow_buffers(job_rth);
	pt_batch_init(&b);
	/* eth0 comes up here: a veth peer cannot be created up */
	err = pt_req_netns_mark(&b, job_rth, job->name) ||
	      pt_req_link_up(&b, job_rth, 1 /* lo */, false) ||
	      pt_req_link_up(&b, job_rth, ifindex, plan->eth0_no_ipv6_ll) ||
	      pt_pool_requests(&b, job_rth, job, ifindex, 0, job->count) ||
	      (job->has_gateway &&
	       pt_req_gateway(&b, job_rth, ifindex, job->gw_family,
			      &job->gateway));
	if (err)
		err = -1;
	else
		err = pt_batch_commit(job_rth, &b, what);
	pt_batch_free(&b);
	return err;
}

/* Per-slot rates and counters on both ends (pt_tc.c); undo: none left. */
static int add_limits(struct pt_plan *plan, struct rtnl_handle *job_rth,
		      bool undo)
{
	const struct pt_job *job = plan->job;
	char what[128];
	int eth0, port;

	if (!pt_limits_on(&job->lim))
		return 0;	/* nothing asked of the kernel */
	eth0 = pt_ifindex_in(job_rth, PT_JOB_IFNAME);
	port = plan->port_ifindex;
	if (eth0 < 0 || port <= 0)
		return undo ? 0 : -2;
	if (undo)
		return pt_tc_apply(job_rth, eth0, port, job, NULL, NULL);
	snprintf(what, sizeof(what), "job \"%s\"", job->name);
	return pt_tc_apply(job_rth, eth0, port, NULL, job, what);
}

static int add_bridge(struct pt_plan *plan)
{
	const struct pt_job *job = plan->job;
	int err;

	if (plan->create_bridge) {
		err = pt_bridge_create(&rth, job->bridge);
		if (err < 0) {
			pt_error("creating bridge \"%s\": %s", job->bridge,
				 strerror(-err));
			return -2;
		}
		plan->bridge_ifindex = err;
	}
	err = pt_link_set(&rth, plan->vtep.ifindex, plan->bridge_ifindex, 1);
	if (err) {
		pt_error("enslaving vtep \"%s\" to bridge \"%s\": %s", job->vtep,
			 job->bridge, strerror(-err));
		return -2;
	}
	return 0;
}

static void undo_bridge(struct pt_plan *plan)
{
	if (plan->create_bridge && plan->bridge_ifindex) {
		pt_link_del(&rth, plan->bridge_ifindex, NULL);
		plan->bridge_ifindex = 0;
	} else {
		pt_link_set(&rth, plan->vtep.ifindex, 0, -1);
	}
	if (!(plan->vtep.flags & IFF_UP))
		pt_link_set(&rth, plan->vtep.ifindex, -1, 0);
}

/*
 * Order (crash consistency, see "Crashes" in HACKING): an unnamed
 * namespace; under the bridge lock the pool and the port with its record
 * marked busy; the name (/run/netns/JOB); the pool; the record unmarked.
 * A crash before the name leaves nothing (the namespace and the veth pair
 * die with this process); after it, a job show calls damaged until the
 * mark goes.
 */
int pt_do_add(int argc, char **argv)
{
	struct pt_nsjob ns;
	struct pt_job job;
	struct pt_plan plan = { .job = &job };
	struct pt_clock clk;
	struct pt_lock lk = { .fd = -1 };
	bool port_made = false, netns_named = false, bridge_kept = false;
	bool limits_made = false, counted = false;
	int err;

	pt_clock_start(&clk);
	err = pt_parse_add(argc, argv, &job);
	if (err)
		return err;
	if (pt_need_root("add"))
		return -1;
	err = plan_add(&plan);
	if (err)
		return err;
	pt_clock_mark(&clk, PH_LOOKUP);

	err = pt_netns_begin(&ns, job.name,
			     job.mode == PT_MODE_ANYIP &&
			     pt_job_has_family(&job, AF_INET6));
	if (err)
		return err;
	pt_fault("add:netns");
	pt_clock_mark(&clk, PH_NETNS);

	/* serialised per bridge: what the others see, and what we chose */
	err = pt_lock_bridge(&lk, job.bridge);
	if (err)
		goto undo;
	pt_fault("add:lock");
	if (plan.enslave_vtep) {
		/* another add may have made the bridge meanwhile */
		plan.create_bridge = false;
		plan.enslave_vtep = false;
		err = plan_vtep(&rth, &plan);
		if (err)
			goto undo;
	}
	err = plan_jobs(&plan, &lk);
	if (err)
		goto undo;
	if (plan.enslave_vtep) {
		err = add_bridge(&plan);
		if (err)
			goto undo;
	}
	/* the bridge's count of job ports, before the port (pt_resv.c) */
	pt_resv_count_move(&rth, plan.bridge_ifindex, 1, &plan.count);
	counted = true;
	err = add_port(&plan, ns.nsfd, &port_made);
	if (err)
		goto undo;
	/* its index entries, before others may look (no entry: read slowly) */
	pt_resv_add(&rth, plan.bridge_ifindex, plan.port_ifindex, &job);
	pt_unlock(&lk);
	bridge_kept = true;	/* others may join the bridge from now on */
	pt_fault("add:port");
	pt_clock_mark(&clk, PH_LINK);

	err = pt_netns_commit(&ns);
	if (err)
		goto undo;
	netns_named = true;
	pt_fault("add:mount");

	err = add_pool(&plan, &ns.rth);
	if (err)
		goto undo;
	pt_fault("add:pool");
	pt_clock_mark(&clk, PH_POOL);
	err = add_limits(&plan, &ns.rth, false);
	if (err)
		goto undo;
	limits_made = true;
	pt_clock_mark(&clk, PH_LIMITS);
	err = add_record_whole(&job);
	if (err)
		goto undo;
	pt_fault("add:done");
	pt_clock_mark(&clk, PH_POOL);

	pt_netns_abort(&ns);	/* closes our fds; the namespace has its name */
	if (show_stats)
		pt_clock_print(job.name, &clk, phase_names, PH_MAX,
			       pt_limits_on(&job.lim) ? ~0U : ~(1U << PH_LIMITS),
			       lk.wait_us);
	return 0;

undo:
	if (limits_made)
		add_limits(&plan, &ns.rth, true);
	/* name first, port last: a crash in between leaves a port whose
	 * record del and flush find */
	if (netns_named)
		pt_netns_remove(job.name);
	pt_netns_abort(&ns);
	if (port_made)
		pt_link_del(&rth, 0, job.port);
	/* after the bridge lock, a count left one too high is set right by
	 * the next add that reads the ports */
	if (counted && !bridge_kept)
		pt_resv_count_move(&rth, plan.bridge_ifindex, -1, &plan.count);
	if (plan.enslave_vtep && !bridge_kept)
		undo_bridge(&plan);
	pt_unlock(&lk);
	return err < 0 ? err : -2;
}
