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

/* Grow or shrink a live pool; slots that stay are not touched. */
int pt_do_set(int argc, char **argv)
{
	struct rtnl_handle job_rth = { .fd = -1 };
	struct pt_lock lk = { .fd = -1 };
	struct pt_found_list jobs;
	const struct pt_found *f;
	struct pt_job job;
	char what[128];
	__u32 count, old;
	int ifindex, err;

	if (argc < 1) {
		pt_error("missing JOB: ip particle set JOB count N");
		return -1;
	}
	if (argc < 2) {
		pt_error("missing \"count N\": ip particle set JOB count N");
		return -1;
	}
	if (matches(argv[1], "count")) {
		pt_error("unknown keyword \"%s\": set takes only count", argv[1]);
		return -1;
	}
	if (argc < 3) {
		pt_error("keyword \"count\" needs a value");
		return -1;
	}
	if (argc > 3) {
		pt_error("unknown keyword \"%s\": set takes only count", argv[3]);
		return -1;
	}
	if (pt_parse_count(argv[2], &count))
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
	err = pt_check_count(&f->job, count);
	if (err || count == f->job.count)
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
		job = f->job;
		err = pt_taken_load(&rth, f->master_ifindex, job.bridge, &brs) ?:
		      pt_pools_check(&job, count, &jobs, f->master_ifindex, &brs,
				     argv[2]);
		job.count = count;	/* the record reserves the new range */
	} else {
		job = f->job;		/* and keeps the old one until done */
	}
	old = f->job.count;
	if (!err)
		err = set_record(f, &job, "set");
	pt_unlock(&lk);
	if (err)
		goto out;
	pt_fault("set:record");

	job.count = old;
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
	err = resize(&job_rth, &job, ifindex, old, count, what);
	if (!err) {
		pt_fault("set:resize");
		job.count = count;
		err = set_record(f, &job, NULL);
		/* keep kernel and record in agreement (quietly, best effort) */
		if (err)
			resize(&job_rth, &job, ifindex, count, old, NULL);
		else if (count < old)
			pt_cgroup_tidy(&job, count);	/* empty groups of gone slots */
		if (!err)
			pt_fault("set:done");
	} else if (count > old) {
		/* undo the part of a grow that went in */
		resize(&job_rth, &job, ifindex, count, old, NULL);
	}
close:
	rtnl_close(&job_rth);
restore:
	if (err) {
		job.count = old;
		set_record(f, &job, NULL);
	}
out:
	pt_unlock(&lk);
	pt_found_list_free(&jobs);
	return err;
}
