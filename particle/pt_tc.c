// SPDX-License-Identifier: GPL-2.0
/*
 * Network resources per function (issue 12): per-slot rates and counters.
 *
 * A job with limits or counters has the same tree on both ends of its
 * veth: on eth0 in the job namespace (traffic from the functions) and on
 * the port in the vtep namespace (traffic to them):
 *
 *	qdisc htb 1: (default 0: what no slot owns, ARP and ND, goes direct)
 *	  class 1:ffff  rate = ceil = the job's rate (or unlimited)
 *	    class 1:1 .. 1:N   one per slot: rate slot-rate, ceil slot-ceil
 *	  filter bpf: classid = 1:(address - first + 1)   (pt_slotbpf.c)
 *
 * The limits themselves are in the job's record (the port's ifalias), so
 * show and set read them back without parsing HTB's parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/pkt_cls.h>
#include <linux/gen_stats.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include "utils.h"
#include "json_print.h"
#include "ip_common.h"
#include "particle.h"

#define PT_TC_HANDLE	0x00010000U	/* qdisc 1: */
#define PT_TC_JOBCLASS	0x0001ffffU	/* class 1:ffff */
#define PT_TC_FLOOR	1ULL		/* rate of a slot without slot-rate */
#define PT_TC_QUANTUM	131072U		/* > one GSO packet: equal turns */

static __u32 slot_classid(__u32 slot)
{
	return PT_TC_HANDLE | (slot + 1);
}

/* ---- requests ---- */

struct tc_req {
	struct nlmsghdr n;
	struct tcmsg t;
	char buf[256];
};

static void tc_req_init(struct tc_req *r, int type, int flags, int ifindex,
			__u32 handle, __u32 parent)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	r->n.nlmsg_type = type;
	r->n.nlmsg_flags = NLM_F_REQUEST | flags;
	r->t.tcm_family = AF_UNSPEC;
	r->t.tcm_ifindex = ifindex;
	r->t.tcm_handle = handle;
	r->t.tcm_parent = parent;
}

static int req_qdisc(struct pt_batch *b, struct rtnl_handle *rth, int ifindex,
		     bool add)
{
	struct tc_htb_glob glob = {
		.version = 3, .rate2quantum = 10, .defcls = 0,
	};
	struct tc_req r;
	struct rtattr *opt;

	tc_req_init(&r, add ? RTM_NEWQDISC : RTM_DELQDISC,
		    add ? NLM_F_CREATE | NLM_F_EXCL : 0, ifindex,
		    PT_TC_HANDLE, TC_H_ROOT);
	if (add) {
		addattr_l(&r.n, sizeof(r), TCA_KIND, "htb", 4);
		opt = addattr_nest(&r.n, sizeof(r), TCA_OPTIONS);
		addattr_l(&r.n, sizeof(r), TCA_HTB_INIT, &glob, sizeof(glob));
		addattr_nest_end(&r.n, opt);
	}
	return pt_batch_add(b, rth, &r.n);
}

/* PSCHED ticks to send size bytes at rate (tc's tc_calc_xmittime()). */
static __u32 xmit_ticks(__u64 rate, __u64 size)
{
	static double ticks_per_us;
	double t;

	if (!ticks_per_us) {
		FILE *fp = fopen("/proc/net/psched", "r");
		__u32 t2us, us2t, res;

		/* tc's tick_in_usec: 1000 / 64 on every kernel since 2.6.x */
		ticks_per_us = 15.625;
		if (fp) {
			if (fscanf(fp, "%08x%08x%08x", &t2us, &us2t, &res) == 3 &&
			    t2us && us2t && res == 1000000)
				ticks_per_us = (double)t2us / us2t;
			fclose(fp);
		}
	}
	t = 1e6 * (double)size / (double)rate * ticks_per_us;
	return t >= 4294967295.0 ? 0xffffffffU : (__u32)t;
}

static void ratespec(struct tc_ratespec *r, __u64 rate)
{
	memset(r, 0, sizeof(*r));
	r->linklayer = TC_LINKLAYER_ETHERNET;	/* no rate table wanted */
	r->rate = rate >= (1ULL << 32) ? ~0U : rate;
}

/* Burst: 5 ms at the rate, and at least two GSO packets. */
static __u64 burst_bytes(__u64 rate)
{
	__u64 b = rate / 200;

	return b < 2 * 65536 ? 2 * 65536 : b;
}

enum cl_op { CL_ADD, CL_CHANGE, CL_DEL };

static int req_class(struct pt_batch *b, struct rtnl_handle *rth, int ifindex,
		     enum cl_op op, __u32 classid, __u32 parent, __u64 rate,
		     __u64 ceil)
{
	struct tc_htb_opt opt = {};
	struct rtattr *nest;
	struct tc_req r;

	/* a change is RTM_NEWTCLASS without NLM_F_CREATE: the class stays */
	tc_req_init(&r, op == CL_DEL ? RTM_DELTCLASS : RTM_NEWTCLASS,
		    op == CL_ADD ? NLM_F_CREATE | NLM_F_EXCL : 0,
		    ifindex, classid, parent);
	if (op == CL_DEL)
		return pt_batch_add(b, rth, &r.n);
	ratespec(&opt.rate, rate);
	ratespec(&opt.ceil, ceil);
	opt.buffer = xmit_ticks(rate, burst_bytes(rate));
	opt.cbuffer = xmit_ticks(ceil, burst_bytes(ceil));
	opt.quantum = PT_TC_QUANTUM;
	addattr_l(&r.n, sizeof(r), TCA_KIND, "htb", 4);
	nest = addattr_nest(&r.n, sizeof(r), TCA_OPTIONS);
	addattr_l(&r.n, sizeof(r), TCA_HTB_PARMS, &opt, sizeof(opt));
	if (rate >= (1ULL << 32))
		addattr64(&r.n, sizeof(r), TCA_HTB_RATE64, rate);
	if (ceil >= (1ULL << 32))
		addattr64(&r.n, sizeof(r), TCA_HTB_CEIL64, ceil);
	addattr_nest_end(&r.n, nest);
	return pt_batch_add(b, rth, &r.n);
}

static int req_filter(struct pt_batch *b, struct rtnl_handle *rth, int ifindex,
		      int fd, bool dst)
{
	struct rtattr *nest;
	struct tc_req r;
	const char *name = dst ? "particle-dst" : "particle-src";

	tc_req_init(&r, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex, 1,
		    PT_TC_HANDLE);
	r.t.tcm_info = TC_H_MAKE(1U << 16, htons(ETH_P_ALL));
	addattr_l(&r.n, sizeof(r), TCA_KIND, "bpf", 4);
	nest = addattr_nest(&r.n, sizeof(r), TCA_OPTIONS);
	addattr32(&r.n, sizeof(r), TCA_BPF_FD, fd);
	addattr_l(&r.n, sizeof(r), TCA_BPF_NAME, name, strlen(name) + 1);
	addattr_nest_end(&r.n, nest);
	return pt_batch_add(b, rth, &r.n);
}

static void job_class_rates(const struct pt_limits *l, __u64 *rate, __u64 *ceil)
{
	*rate = *ceil = l->rate ? l->rate : PT_TC_UNLIMITED;
}

static void slot_class_rates(const struct pt_limits *l, __u64 *rate,
			     __u64 *ceil)
{
	*rate = l->slot_rate ? l->slot_rate : PT_TC_FLOOR;
	*ceil = l->slot_ceil ? l->slot_ceil :
		l->rate ? l->rate : PT_TC_UNLIMITED;
	if (*ceil < *rate)
		*ceil = *rate;
}

/*
 * The requests that take one device from old to new (either may have no
 * limits: then the device has no tree).  prog: the classifier to attach
 * when the tree is made.
 */
static int dev_requests(struct pt_batch *b, struct rtnl_handle *rth,
			int ifindex, const struct pt_job *old,
			const struct pt_job *new, int prog, bool dst)
{
	bool had = old && pt_limits_on(&old->lim);
	bool has = new && pt_limits_on(&new->lim);
	__u64 orate, oceil, nrate, nceil, osr, osc, nsr, nsc;
	__u32 k, from = 0, keep = 0;

	if (had && !has)
		return req_qdisc(b, rth, ifindex, false);
	if (!has)
		return 0;
	job_class_rates(&new->lim, &nrate, &nceil);
	slot_class_rates(&new->lim, &nsr, &nsc);
	if (!had) {
		if (req_qdisc(b, rth, ifindex, true) ||
		    req_class(b, rth, ifindex, CL_ADD, PT_TC_JOBCLASS,
			      PT_TC_HANDLE, nrate, nceil))
			return -1;
	} else {
		job_class_rates(&old->lim, &orate, &oceil);
		slot_class_rates(&old->lim, &osr, &osc);
		if ((orate != nrate || oceil != nceil) &&
		    req_class(b, rth, ifindex, CL_CHANGE,
			      PT_TC_JOBCLASS, PT_TC_HANDLE, nrate, nceil))
			return -1;
		keep = old->count < new->count ? old->count : new->count;
		from = keep;
		/* changed limits: every slot that stays, in place */
		if (osr != nsr || osc != nsc)
			from = 0;
		for (k = old->count; k-- > new->count;)
			if (req_class(b, rth, ifindex, CL_DEL,
				      slot_classid(k), PT_TC_JOBCLASS, 0, 0))
				return -1;
	}
	for (k = from; k < new->count; k++)
		if (req_class(b, rth, ifindex,
			      k < keep ? CL_CHANGE : CL_ADD,
			      slot_classid(k), PT_TC_JOBCLASS, nsr, nsc))
			return -1;
	if (!had)
		return req_filter(b, rth, ifindex, prog, dst);
	return 0;
}

static int dev_apply(struct rtnl_handle *rth, int ifindex,
		     const struct pt_job *old, const struct pt_job *new,
		     bool dst, const char *what)
{
	const struct pt_job *job = new ? new : old;
	bool load = new && pt_limits_on(&new->lim) &&
		    !(old && pt_limits_on(&old->lim));
	struct pt_batch b;
	int prog = -1, err;

	if (load) {
		char log[4096];

		prog = pt_slot_prog_load(job, dst, PT_TC_SLOTS_MAX, log,
					 sizeof(log));
		if (prog < 0) {
			if (what)
				pt_error("%s: the kernel refused the slot classifier (BPF_PROG_TYPE_SCHED_CLS): %s%s%s",
					 what, strerror(-prog),
					 log[0] ? ": " : "", log);
			return -2;
		}
	}
	pt_batch_init(&b);
	err = dev_requests(&b, rth, ifindex, old, new, prog, dst);
	if (err)
		err = -1;
	else if (b.nmsgs)
		err = (b.nmsgs > 64 ? pt_rtnl_grow_buffers(rth) : 0) ?:
		      pt_batch_commit(rth, &b, what);
	pt_batch_free(&b);
	if (prog >= 0)
		close(prog);	/* the filter holds it now */
	return err;
}

/*
 * Take both ends of a job from old to new limits (and slot counts); old
 * or new NULL: no tree before or after.  All or nothing: on a refusal
 * what was changed is changed back and -2 returned, said with what.
 */
int pt_tc_apply(struct rtnl_handle *job_rth, int eth0, int port,
		const struct pt_job *old, const struct pt_job *new,
		const char *what)
{
	int err;

	err = dev_apply(job_rth, eth0, old, new, false, what);
	if (err)
		goto undo_eth0;
	err = dev_apply(&rth, port, old, new, true, what);
	if (!err)
		return 0;
	dev_apply(&rth, port, new, old, true, NULL);
undo_eth0:
	dev_apply(job_rth, eth0, new, old, false, NULL);
	return err < 0 ? err : -2;
}

/* ---- counters ---- */

struct slot_stats {
	__u64 bytes, packets, drops;
};

struct class_dump {
	__u32 count;
	struct slot_stats *v;	/* count entries */
	struct slot_stats total;	/* the job class */
};

static void stats_from(struct rtattr **st, struct slot_stats *s)
{
	if (st[TCA_STATS_BASIC]) {
		struct gnet_stats_basic bs = {};

		memcpy(&bs, RTA_DATA(st[TCA_STATS_BASIC]),
		       MIN(RTA_PAYLOAD(st[TCA_STATS_BASIC]), sizeof(bs)));
		s->bytes = bs.bytes;
		s->packets = bs.packets;
	}
	if (st[TCA_STATS_PKT64])
		s->packets = rta_getattr_u64(st[TCA_STATS_PKT64]);
	if (st[TCA_STATS_QUEUE]) {
		struct gnet_stats_queue q = {};

		memcpy(&q, RTA_DATA(st[TCA_STATS_QUEUE]),
		       MIN(RTA_PAYLOAD(st[TCA_STATS_QUEUE]), sizeof(q)));
		s->drops = q.drops;
	}
}

static int collect_class(struct nlmsghdr *n, void *arg)
{
	struct class_dump *d = arg;
	struct tcmsg *t = NLMSG_DATA(n);
	struct rtattr *tb[TCA_MAX + 1], *st[TCA_STATS_MAX + 1];
	struct slot_stats s = {};
	__u32 minor;

	if (n->nlmsg_type != RTM_NEWTCLASS ||
	    TC_H_MAJ(t->tcm_handle) != PT_TC_HANDLE)
		return 0;
	parse_rtattr(tb, TCA_MAX, TCA_RTA(t), n->nlmsg_len - NLMSG_LENGTH(sizeof(*t)));
	if (!tb[TCA_STATS2])
		return 0;
	parse_rtattr_nested(st, TCA_STATS_MAX, tb[TCA_STATS2]);
	stats_from(st, &s);
	minor = TC_H_MIN(t->tcm_handle);
	if (t->tcm_handle == PT_TC_JOBCLASS)
		d->total = s;
	else if (minor >= 1 && minor <= d->count)
		d->v[minor - 1] = s;
	return 0;
}

static int dump_classes(struct rtnl_handle *rth, int ifindex,
			struct class_dump *d)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex };

	if (rtnl_dump_request(rth, RTM_GETTCLASS, &t, sizeof(t)) < 0 ||
	    rtnl_dump_filter(rth, collect_class, d) < 0) {
		pt_error("cannot read the classes of device #%d", ifindex);
		return -2;
	}
	return 0;
}

static void print_dir(const char *name, const struct slot_stats *s)
{
	char fmt[32];

	open_json_object(name);
	snprintf(fmt, sizeof(fmt), "%s    %s bytes %%llu", _SL_, name);
	print_lluint(PRINT_ANY, "bytes", fmt, s->bytes);
	print_lluint(PRINT_ANY, "packets", " packets %llu", s->packets);
	print_lluint(PRINT_ANY, "dropped", " dropped %llu", s->drops);
	close_json_object();
}

static int open_job(const struct pt_found *f, struct rtnl_handle *job_rth,
		    int *eth0)
{
	int err = pt_netns_open_rtnl(f->job.name, job_rth);

	if (err)
		return err;
	*eth0 = pt_ifindex_in(job_rth, PT_JOB_IFNAME);
	if (*eth0 < 0) {
		pt_error("job \"%s\": no %s in the job namespace", f->job.name,
			 PT_JOB_IFNAME);
		rtnl_close(job_rth);
		return -2;
	}
	return 0;
}

/* Per-slot counters of a job: tx[k], rx[k] for k < count. */
struct pt_slot_counters {
	struct slot_stats *tx, *rx;
};

int pt_slot_counters_read(const struct pt_found *f,
			  struct pt_slot_counters **out)
{
	struct class_dump tx = { .count = f->job.count };
	struct class_dump rx = { .count = f->job.count };
	struct rtnl_handle job_rth = { .fd = -1 };
	struct pt_slot_counters *c;
	int eth0, err;

	*out = NULL;
	if (!pt_limits_on(&f->job.lim) || f->job.count > PT_TC_SLOTS_MAX)
		return 0;
	c = calloc(1, sizeof(*c));
	tx.v = calloc(f->job.count, sizeof(*tx.v));
	rx.v = calloc(f->job.count, sizeof(*rx.v));
	if (!c || !tx.v || !rx.v) {
		pt_error("out of memory for the counters of %u slots",
			 f->job.count);
		err = -1;
		goto fail;
	}
	err = open_job(f, &job_rth, &eth0);
	if (err)
		goto fail;
	pt_rtnl_grow_buffers(&job_rth);
	err = dump_classes(&job_rth, eth0, &tx) ?:
	      dump_classes(&rth, f->port_ifindex, &rx);
	rtnl_close(&job_rth);
	if (err)
		goto fail;
	c->tx = tx.v;
	c->rx = rx.v;
	*out = c;
	return 0;
fail:
	free(tx.v);
	free(rx.v);
	free(c);
	return err;
}

void pt_slot_counters_free(struct pt_slot_counters *c)
{
	if (!c)
		return;
	free(c->tx);
	free(c->rx);
	free(c);
}

void pt_slot_counters_print(const struct pt_slot_counters *c, __u32 slot)
{
	print_dir("tx", &c->tx[slot]);
	print_dir("rx", &c->rx[slot]);
}

/* ---- show: limits and totals ---- */

void pt_limits_print(const struct pt_limits *l)
{
	char b[32];

	if (l->rate)
		print_lluint(PRINT_JSON, "rate", NULL, l->rate);
	if (l->rate)
		print_string(PRINT_FP, NULL, " rate %s",
			     pt_rate_str(l->rate, b, sizeof(b)));
	if (l->slot_rate) {
		print_lluint(PRINT_JSON, "slot_rate", NULL, l->slot_rate);
		print_string(PRINT_FP, NULL, " slot-rate %s",
			     pt_rate_str(l->slot_rate, b, sizeof(b)));
	}
	if (l->slot_ceil) {
		print_lluint(PRINT_JSON, "slot_ceil", NULL, l->slot_ceil);
		print_string(PRINT_FP, NULL, " slot-ceil %s",
			     pt_rate_str(l->slot_ceil, b, sizeof(b)));
	}
	if (pt_limits_on(l))
		print_bool(PRINT_ANY, "counters", " counters", true);
}

/* The root qdisc's counters on a device (-1 without one). */
static int qdisc_stats(struct rtnl_handle *rth, int ifindex,
		       struct slot_stats *s)
{
	struct rtattr *tb[TCA_MAX + 1], *st[TCA_STATS_MAX + 1];
	struct nlmsghdr *answer = NULL;
	struct tcmsg *t;
	struct tc_req r;

	/* a get answers to the multicast group unless we ask for an echo */
	tc_req_init(&r, RTM_GETQDISC, NLM_F_ECHO, ifindex, 0, TC_H_ROOT);
	if (rtnl_talk_suppress_rtnl_errmsg(rth, &r.n, &answer) < 0)
		return -1;
	t = NLMSG_DATA(answer);
	parse_rtattr(tb, TCA_MAX, TCA_RTA(t),
		     answer->nlmsg_len - NLMSG_LENGTH(sizeof(*t)));
	if (!tb[TCA_STATS2]) {
		free(answer);
		return -1;
	}
	parse_rtattr_nested(st, TCA_STATS_MAX, tb[TCA_STATS2]);
	stats_from(st, s);
	free(answer);
	return 0;
}

/* IFLA_STATS64 of a device here (nsid < 0) or in the namespace nsid. */
static int link_stats(struct rtnl_handle *rth, int ifindex, int nsid,
		      struct rtnl_link_stats64 *s)
{
	struct pt_link_req req;
	struct rtattr *tb[IFLA_MAX + 1];
	struct nlmsghdr *answer;
	struct ifinfomsg *ifi;

	memset(s, 0, sizeof(*s));
	pt_req_getlink(&req, NULL, ifindex, nsid, true);
	if (rtnl_talk_suppress_rtnl_errmsg(rth, &req.n, &answer) < 0)
		return -1;
	ifi = NLMSG_DATA(answer);
	parse_rtattr(tb, IFLA_MAX, IFLA_RTA(ifi), IFLA_PAYLOAD(answer));
	if (tb[IFLA_STATS64])
		memcpy(s, RTA_DATA(tb[IFLA_STATS64]),
		       MIN(RTA_PAYLOAD(tb[IFLA_STATS64]), sizeof(*s)));
	free(answer);
	return 0;
}

/*
 * The job's totals: tx is what left eth0 (the port received it), rx what
 * left the port toward the job; dropped counts the qdiscs' drops too.
 */
void pt_job_totals_print(const struct pt_found *f)
{
	struct rtnl_link_stats64 port, peer;
	struct slot_stats tx = {}, rx = {};

	if (link_stats(&rth, f->port_ifindex, -1, &port))
		return;
	tx.bytes = port.rx_bytes;
	tx.packets = port.rx_packets;
	rx.bytes = port.tx_bytes;
	rx.packets = port.tx_packets;
	rx.drops = port.tx_dropped;
	if (f->peer_nsid >= 0 && f->peer_ifindex &&
	    !link_stats(&rth, f->peer_ifindex, f->peer_nsid, &peer))
		tx.drops = peer.tx_dropped;
	/* shaped: what the qdiscs passed, counted as the slots' classes are */
	if (pt_limits_on(&f->job.lim)) {
		struct rtnl_handle job_rth = { .fd = -1 };
		struct slot_stats q;
		int eth0;

		if (!qdisc_stats(&rth, f->port_ifindex, &q)) {
			rx.bytes = q.bytes;
			rx.packets = q.packets;
			rx.drops += q.drops;
		}
		if (!open_job(f, &job_rth, &eth0)) {
			if (!qdisc_stats(&job_rth, eth0, &q)) {
				tx.bytes = q.bytes;
				tx.packets = q.packets;
				tx.drops += q.drops;
			}
			rtnl_close(&job_rth);
		}
	}
	print_dir("tx", &tx);
	print_dir("rx", &rx);
}
