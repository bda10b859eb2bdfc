// SPDX-License-Identifier: GPL-2.0
/*
 * set: grow or shrink a live job's pool, change its limits; it starts
 * from the job's record on its port, like del.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "utils.h"
#include "ip_common.h"
#include "particle.h"

static int set_record(const struct pt_found *f, const struct pt_job *job,
		      const char *busy)
{
	struct pt_link_req req;
	char record[256];

	if (pt_record_format(job, record, sizeof(record)))
		return -1;
	if (busy)
		pt_record_mark_busy(record, sizeof(record), busy);
	pt_req_record(&req, f->port_ifindex, NULL, record);
	return pt_talk(&rth, &req.n) ? -2 : 0;
}

/* Requests that take the pool from 'from' to 'to' slots, sent at once. */
static int resize(struct rtnl_handle *job_rth, const struct pt_job *job,
		  int ifindex, __u32 from, __u32 to, const char *what)
{
	struct pt_batch b;
	int err;

	pt_batch_init(&b);
	err = pt_pool_requests(&b, job_rth, job, ifindex, from, to) ?
	      -1 : pt_batch_commit(job_rth, &b, what);
	pt_batch_free(&b);
	return err;
}

/* set's keywords; an abbreviation must be at least minlen long */
static const struct {
	const char *name;
	size_t minlen;
} set_kws[] = {
	{ "count", 1 }, { "rate", 1 }, { "slot-rate", 6 }, { "slot-ceil", 6 },
	{ "counters", 6 },
};

static int set_keyword(const char *arg)
{
	size_t len = strlen(arg);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(set_kws); i++)
		if (len >= set_kws[i].minlen &&
		    matches(arg, set_kws[i].name) == 0)
			return i;
	return -1;
}

#define SET_USAGE "ip particle set JOB KEYWORD VALUE [ KEYWORD VALUE ]..., KEYWORD one of count, rate, slot-rate, slot-ceil, counters"

/* What set changes: count (0: unchanged) and the limits given. */
struct set_args {
	__u32 count;
	const char *count_arg;
	unsigned int seen;	/* bit i: set_kws[i] given */
	struct pt_limits lim;	/* the values of those given */
};

static int parse_set(int argc, char **argv, struct set_args *sa)
{
	int i, kw;

	memset(sa, 0, sizeof(*sa));
	if (argc < 1) {
		pt_error("missing JOB: " SET_USAGE);
		return -1;
	}
	if (argc < 2) {
		pt_error("missing what to change: " SET_USAGE);
		return -1;
	}
	for (i = 1; i < argc; i += 2) {
		kw = set_keyword(argv[i]);
		if (kw < 0) {
			pt_error("unknown keyword \"%s\": set takes count, rate, slot-rate, slot-ceil or counters",
				 argv[i]);
			return -1;
		}
		if (sa->seen & (1U << kw)) {
			pt_error("keyword \"%s\" given twice", set_kws[kw].name);
			return -1;
		}
		sa->seen |= 1U << kw;
		if (i + 1 >= argc) {
			pt_error("keyword \"%s\" needs a value", set_kws[kw].name);
			return -1;
		}
		if (kw == 0) {
			if (pt_parse_count(argv[i + 1], &sa->count))
				return -1;
			sa->count_arg = argv[i + 1];
		} else if (pt_parse_limit(set_kws[kw].name, argv[i + 1],
					  &sa->lim)) {
			return -1;
		}
	}
	return 0;
}

static void set_limits(const struct set_args *sa, struct pt_limits *l)
{
	if (sa->seen & (1U << 1))
		l->rate = sa->lim.rate;
	if (sa->seen & (1U << 2))
		l->slot_rate = sa->lim.slot_rate;
	if (sa->seen & (1U << 3))
		l->slot_ceil = sa->lim.slot_ceil;
	if (sa->seen & (1U << 4))
		l->counters = sa->lim.counters;
}

/*
 * Grow or shrink a live pool, change its limits; slots that stay keep
 * their addresses and classes (a change of limits changes the classes in
 * place).  Order: new addresses, limits, removed addresses, record; each
 * step undone if a later one fails.
 */
int pt_do_set(int argc, char **argv)
{
	struct rtnl_handle job_rth = { .fd = -1 };
	struct pt_lock lk = { .fd = -1 };
	struct pt_found_list jobs, others = {};
	const struct pt_found *f;
	struct set_args sa;
	struct pt_job job, want, mark;
	char what[128], record[256];
	bool tc_change, tc_done = false;
	__u32 count, old;
	int ifindex = -1, err;

	if (parse_set(argc, argv, &sa))
		return -1;
	if (pt_need_root("set"))
		return -1;
	f = pt_job_find(&rth, argv[0], PT_FIND_PORT | PT_FIND_SAY, &jobs, &err);
	if (!f)
		goto out;
	if (f->damaged) {
		pt_error("argument \"%s\" is wrong: job \"%s\" is damaged (%s): remove it with \"ip particle del %s\"",
			 argv[0], argv[0], f->damaged, argv[0]);
		err = -1;
		goto out;
	}
	/* everything that needs no other job is checked first */
	want = f->job;
	count = sa.count ? sa.count : want.count;
	want.count = count;
	set_limits(&sa, &want.lim);
	err = pt_check_count(&want, count) ?:
	      pt_limits_check(&want, count, sa.count_arg);
	if (!err && pt_record_format(&want, record, sizeof(record))) {
		pt_error("job \"%s\": its record with these limits does not fit in an ifalias (255 bytes)",
			 want.name);
		err = -1;
	}
	if (err)
		goto out;
	if (count > f->job.count) {
		struct pt_taken brs;
		char bridge[IFNAMSIZ];

		/* a grow takes addresses: check and record under the lock,
		 * against the jobs as they are once we hold it */
		strcpy(bridge, f->job.bridge);
		pt_found_list_free(&jobs);
		err = pt_lock_bridge(&lk, bridge);
		if (err)
			goto out;
		f = pt_job_find(&rth, argv[0], PT_FIND_PORT | PT_FIND_SAY, &jobs, &err);
		if (!f)
			goto out;
		if (f->damaged) {
			pt_error("job \"%s\" is damaged (%s)", argv[0], f->damaged);
			err = -1;
			goto out;
		}
		/* the other jobs of the same bridge, no others */
		err = pt_resv_jobs(&rth, &lk, f->master_ifindex,
				   f->job.bridge, &f->job, count, &others,
				   NULL, NULL) ?:
		      pt_taken_load(&rth, f->master_ifindex, f->job.bridge,
				    &brs) ?:
		      pt_pools_check(&f->job, count, &others, f->master_ifindex,
				     &brs, sa.count_arg);
		pt_found_list_free(&others);
		if (err)
			goto out;
	}
	job = f->job;
	old = job.count;
	want = job;
	want.count = count;
	set_limits(&sa, &want.lim);
	tc_change = memcmp(&want.lim, &job.lim, sizeof(job.lim)) ||
		    (pt_limits_on(&want.lim) && count != old);
	if (count == old && !tc_change)
		goto out;

	/* the busy record reserves the larger range until done */
	mark = job;
	if (count > old)
		mark.count = count;
	if (count > old)	/* the index reserves the range first */
		pt_resv_update(&rth, f->master_ifindex, f->port_ifindex, &job,
			       old, count);
	err = set_record(f, &mark, "set");
	pt_unlock(&lk);
	if (err)
		goto out;
	pt_fault("set:record");

	err = pt_netns_open_rtnl(job.name, &job_rth);
	if (err)
		goto restore;
	snprintf(what, sizeof(what), "job \"%s\"", job.name);
	ifindex = pt_ifindex_in(&job_rth, PT_JOB_IFNAME);
	if (ifindex < 0) {
		pt_error("%s: no %s in the job namespace", what, PT_JOB_IFNAME);
		err = -2;
		goto close;
	}
	pt_rtnl_grow_buffers(&job_rth);
	/* new addresses, the limits (classes changed in place), removed
	 * addresses, the record; each undone if a later one fails */
	if (count > old) {
		err = resize(&job_rth, &job, ifindex, old, count, what);
		if (err)
			goto undo;
	}
	if (tc_change) {
		err = pt_tc_apply(&job_rth, ifindex, f->port_ifindex, &job,
				  &want, what);
		if (err)
			goto undo;
		tc_done = true;
	}
	if (count < old) {
		err = resize(&job_rth, &job, ifindex, old, count, what);
		if (err)
			goto undo;
	}
	pt_fault("set:resize");
	err = set_record(f, &want, NULL);
	if (!err) {
		if (count < old)	/* the index follows the record */
			pt_resv_update(&rth, f->master_ifindex,
				       f->port_ifindex, &job, old, count);
		if (count < old)	/* empty groups of gone slots */
			pt_cgroup_tidy(&job, count);
		pt_fault("set:done");
		goto close;
	}
	pt_error("%s: the kernel refused its new record", what);
undo:
	/* best effort, quietly: kernel and record back in agreement */
	if (tc_done)
		pt_tc_apply(&job_rth, ifindex, f->port_ifindex, &want, &job,
			    NULL);
	if (count != old)
		resize(&job_rth, &job, ifindex, count, old, NULL);
close:
	rtnl_close(&job_rth);
restore:
	if (err)
		set_record(f, &job, NULL);
	if (err && count > old)
		pt_resv_update(&rth, f->master_ifindex, f->port_ifindex, &job,
			       count, old);
out:
	pt_unlock(&lk);
	pt_found_list_free(&jobs);
	return err;
}
