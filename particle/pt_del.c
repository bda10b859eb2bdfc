// SPDX-License-Identifier: GPL-2.0
/*
 * del, flush and set: each starts from the job's record on its port.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/rtnetlink.h>

#include "utils.h"
#include "ip_common.h"
#include "particle.h"

/* A port whose record names no usable job: found by JOB's port name. */
static const struct pt_found *damaged_by_port(struct pt_found_list *jobs,
					      const char *name)
{
	char port[IFNAMSIZ];
	unsigned int i;

	pt_port_name(name, port);
	for (i = 0; i < jobs->n; i++)
		if (jobs->v[i].damaged && !jobs->v[i].job.name[0] &&
		    strcmp(jobs->v[i].job.port, port) == 0) {
			strcpy(jobs->v[i].job.name, name);
			return &jobs->v[i];
		}
	return NULL;
}

/*
 * JOB by its port's name, as the only entry of jobs: 0, -ENODEV when the
 * port does not hold JOB (the caller then looks further), -2 (said).
 */
static int by_name(const char *name, struct pt_found_list *jobs)
{
	struct pt_found f;
	int err = pt_job_get(&rth, name, &f);

	if (err)
		return err;
	jobs->v = malloc(sizeof(*jobs->v));
	if (!jobs->v) {
		pt_error("out of memory");
		return -2;
	}
	jobs->v[0] = f;
	jobs->n = jobs->cap = 1;
	return 0;
}

/*
 * The job named on the command line, read back from its port; jobs holds
 * every job of the namespace (set checks the others), freed by the caller.
 */
static const struct pt_found *find_job(const char *name,
				       struct pt_found_list *jobs, int *err)
{
	const struct pt_found *f;

	memset(jobs, 0, sizeof(*jobs));
	if (!pt_job_name_valid(name)) {
		pt_error("argument \"%s\" is wrong: not a valid JOB name", name);
		*err = -1;
		return NULL;
	}
	/* by its port's name: one request, however many jobs there are */
	*err = by_name(name, jobs);
	if (*err != -ENODEV)
		return *err ? NULL : &jobs->v[0];
	*err = pt_jobs_find(&rth, jobs);
	if (*err)
		return NULL;
	f = pt_found_lookup(jobs, name);
	if (!f)
		f = damaged_by_port(jobs, name);
	if (!f) {
		pt_error("argument \"%s\" is wrong: no particle job \"%s\" in this vtep namespace",
			 name, name);
		*err = -1;
	}
	return f;
}

/*
 * The kernel unlists a deleted device at once, but the DELLINK request
 * returns only after an RCU barrier and reference waits (tens of ms here,
 * whatever the pool size).  A detached grandchild makes the request; we
 * return as soon as the port is gone from the namespace, or with the
 * kernel's error.
 */
static int del_port(const struct pt_found *f)
{
	struct pollfd pfd;
	int sv[2], err = 0, tries;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return pt_link_del(&rth, f->port_ifindex, NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return pt_link_del(&rth, f->port_ifindex, NULL);
	}
	if (pid == 0) {
		struct rtnl_handle own;

		close(sv[0]);
		close(STDIN_FILENO);	/* see pt_netns.c */
		if (fork() == 0) {
			err = rtnl_open(&own, 0) < 0 ? -EIO :
			      pt_link_del(&own, f->port_ifindex, NULL);
			send(sv[1], &err, sizeof(err), MSG_NOSIGNAL);
		}
		_exit(0);
	}
	close(sv[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;

	pfd.fd = sv[0];
	pfd.events = POLLIN;
	for (tries = 0; tries < 100000; tries++) {	/* 10 s at most */
		const struct timespec tick = { 0, tries ? 100000 : 0 };
		struct pt_link link;

		if (ppoll(&pfd, 1, &tick, NULL) > 0) {
			if (recv(sv[0], &err, sizeof(err), 0) != sizeof(err))
				err = -EIO;
			break;
		}
		if (pt_link_get(&rth, NULL, f->port_ifindex, &link) == -ENODEV)
			break;
	}
	close(sv[0]);
	return err;
}

/*
 * Deleting the port takes eth0 and the pool with it, even while functions
 * still hold the namespace open; then the name goes.
 */
static int del_job(const struct pt_found *f)
{
	int err, cg = 0;

	/* the job's functions and cgroup groups first (see pt_cgroup.c) */
	if (f->job.name[0])
		cg = pt_cgroup_tidy(&f->job, 0);

	/*
	 * The name first, the port last: killed in between, the port and its
	 * record remain, which del and flush find again (the other order
	 * could leave a namespace that nothing names as a job).
	 */
	if (f->job.name[0] && pt_netns_state(f->job.name, NULL) != PT_NS_NONE) {
		err = pt_netns_remove(f->job.name);
		if (err)
			return err;
	}
	pt_fault("del:netns");
	err = del_port(f);
	if (err && err != -ENODEV) {
		pt_error("job \"%s\": removing port \"%s\": %s", f->job.name,
			 f->job.port, strerror(-err));
		return -2;
	}
	pt_fault("del:port");
	return cg;
}

/* A marked /run/netns entry that an interrupted add left unmounted. */
static void del_orphan(const char *name, void *arg)
{
	int *err = arg;

	if (pt_netns_remove(name))
		*err = -2;
}

static int one_job_arg(int argc, char **argv, const char *verb)
{
	if (argc < 1) {
		pt_error("missing JOB: ip particle %s JOB", verb);
		return -1;
	}
	if (argc > 1) {
		pt_error("unknown keyword \"%s\": %s takes only JOB", argv[1],
			 verb);
		return -1;
	}
	return 0;
}

int pt_do_del(int argc, char **argv)
{
	struct pt_found_list jobs;
	const struct pt_found *f;
	int err;

	err = one_job_arg(argc, argv, "del");
	if (err)
		return err;
	if (pt_need_root("del"))
		return -1;
	if (!pt_job_name_valid(argv[0])) {
		pt_error("argument \"%s\" is wrong: not a valid JOB name",
			 argv[0]);
		return -1;
	}
	memset(&jobs, 0, sizeof(jobs));
	err = by_name(argv[0], &jobs);
	if (err == -ENODEV)	/* no port holds it: look at every one */
		err = pt_jobs_find(&rth, &jobs);
	if (err)
		return err;
	f = pt_found_lookup(&jobs, argv[0]);
	if (!f)
		f = damaged_by_port(&jobs, argv[0]);
	if (f) {
		err = del_job(f);
	} else if (pt_netns_state(argv[0], NULL) == PT_NS_ORPHAN ||
		   (pt_netns_state(argv[0], NULL) == PT_NS_MOUNTED &&
		    pt_netns_is_job(argv[0]))) {
		/* a name without port: an interrupted add, or a port
		 * removed by hand */
		struct pt_job named = {};

		snprintf(named.name, sizeof(named.name), "%s", argv[0]);
		err = pt_cgroup_tidy(&named, 0);
		err = pt_netns_remove(argv[0]) ?: err;
	} else {
		pt_error("argument \"%s\" is wrong: no particle job \"%s\" in this vtep namespace",
			 argv[0], argv[0]);
		err = -1;
	}
	pt_found_list_free(&jobs);
	return err;
}

int pt_do_flush(int argc, char **argv)
{
	struct pt_found_list jobs;
	unsigned int i;
	int err, ret = 0;

	if (argc > 0) {
		pt_error("unknown keyword \"%s\": flush takes no arguments",
			 argv[0]);
		return -1;
	}
	if (pt_need_root("flush"))
		return -1;
	err = pt_jobs_find(&rth, &jobs);
	if (err)
		return err;
	for (i = 0; i < jobs.n; i++) {
		err = del_job(&jobs.v[i]);
		if (err)
			ret = err;
	}
	pt_found_list_free(&jobs);
	pt_netns_orphans(NULL, del_orphan, &ret);
	return ret;
}

static int set_record(const struct pt_found *f, const struct pt_job *job,
		      const char *busy)
{
	struct pt_link_req req;
	char record[256];

	if (pt_record_format(job, record, sizeof(record)))
		return -1;
	if (busy)
		pt_record_mark_busy(record, sizeof(record), busy);
	pt_link_req_init(&req, RTM_NEWLINK, 0, f->port_ifindex);
	addattr_l(&req.n, sizeof(req), IFLA_IFALIAS, record, strlen(record) + 1);
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
		if (len >= set_kws[i].minlen && len <= strlen(set_kws[i].name) &&
		    strncmp(arg, set_kws[i].name, len) == 0)
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
	f = find_job(argv[0], &jobs, &err);
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
		f = find_job(argv[0], &jobs, &err);
		if (!f)
			goto out;
		if (f->damaged) {
			pt_error("job \"%s\" is damaged (%s)", argv[0], f->damaged);
			err = -1;
			goto out;
		}
		/* the other jobs of the same bridge, no others */
		err = pt_resv_jobs(&rth, f->master_ifindex, f->job.bridge,
				   &f->job, count, &others, NULL) ?:
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
