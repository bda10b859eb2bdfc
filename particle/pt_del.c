// SPDX-License-Identifier: GPL-2.0
/*
 * del and flush: each starts from the job's record on its port.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/rtnetlink.h>

#include "utils.h"
#include "ip_common.h"
#include "particle.h"

/* The bridge's count of job ports (pt_resv.c), once the port is gone. */
static void del_counted(struct rtnl_handle *rth, const struct pt_found *f)
{
	struct pt_lock lk = { .fd = -1 };

	if (pt_lock_bridge(&lk, f->job.bridge))
		return;		/* said; the count stays one too high */
	pt_resv_count_move(rth, f->master_ifindex, -1, NULL);
	pt_unlock(&lk);
}

/*
 * The helper that lowers the count: it waits for del's word that the port
 * is gone (none: del failed or was killed, and the count stays high until
 * an add mends it), and holds the removal lock (its copy of del's fd)
 * until it is done.
 */
static void __attribute__((noreturn)) count_helper(const struct pt_found *f,
						   int go)
{
	struct rtnl_handle own;
	char word;

	if (read(go, &word, 1) == 1 && rtnl_open(&own, 0) == 0) {
		pt_fault("del:count");
		del_counted(&own, f);
		rtnl_close(&own);
	}
	_exit(0);
}

/* Without helpers (no socket, no fork): the port, then the count. */
static int del_port_here(const struct pt_found *f, bool counted)
{
	int err = pt_link_del(&rth, f->port_ifindex, NULL);

	if (counted && (!err || err == -ENODEV))
		del_counted(&rth, f);
	return err;
}

/*
 * The kernel unlists a deleted device at once, but the DELLINK request
 * holds the RTNL lock for the rest of the bridge's work (every port's
 * state is recomputed: 1.5 ms at J = 0, 4 ms at J = 1000 here), and
 * returns only after an RCU barrier and reference waits (tens of ms,
 * whatever the pool size).  A detached grandchild makes the request; we
 * return as soon as the port is gone from the namespace, or with the
 * kernel's error.  When the port is counted (del holds the removal lock
 * in *removal), a second grandchild then lowers the bridge's count: that
 * takes the RTNL lock, so it waits for the request's end, not del.
 * We look with SIOCGIFNAME: a GETLINK of a port would cost the kernel a
 * walk of every job's netns id (IFLA_LINK_NETNSID), each time.
 */
static int del_port(const struct pt_found *f, bool counted,
		    struct pt_lock *removal)
{
	int sv[2], go[2] = { -1, -1 }, err = 0, tries;
	struct pollfd pfd;
	bool gone = false;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return del_port_here(f, counted);
	if (counted && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, go)) {
		close(sv[0]);
		close(sv[1]);
		return del_port_here(f, counted);
	}
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		if (go[0] >= 0) {
			close(go[0]);
			close(go[1]);
		}
		return del_port_here(f, counted);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		struct rtnl_handle own;

		close(sv[0]);
		close(STDIN_FILENO);	/* see pt_netns.c */
		/* nor keep a pipe on our output open ($(ip particle del)
		 * would wait for the request's end); the helpers say nothing */
		if (null > STDERR_FILENO) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			close(null);
		}
		if (go[1] >= 0)
			close(go[1]);
		if (fork() == 0) {
			/* not the removal lock: this one lives long */
			pt_unlock(removal);
			if (go[0] >= 0)
				close(go[0]);
			err = rtnl_open(&own, 0) < 0 ? -EIO :
			      pt_link_del(&own, f->port_ifindex, NULL);
			send(sv[1], &err, sizeof(err), MSG_NOSIGNAL);
			_exit(0);
		}
		/* no helper: told nothing, the count stays high */
		if (go[0] >= 0 && fork() == 0) {
			close(sv[1]);
			count_helper(f, go[0]);
		}
		_exit(0);
	}
	close(sv[1]);
	if (go[0] >= 0)
		close(go[0]);

	pfd.fd = sv[0];
	pfd.events = POLLIN;
	for (tries = 0; tries < 100000; tries++) {	/* 10 s at most */
		const struct timespec tick = { 0, tries ? 100000 : 0 };
		char name[IF_NAMESIZE];

		if (ppoll(&pfd, 1, &tick, NULL) > 0) {
			if (recv(sv[0], &err, sizeof(err), 0) != sizeof(err))
				err = -EIO;
			gone = !err || err == -ENODEV;
			break;
		}
		/* glibc turns the kernel's ENODEV into ENXIO */
		if (!if_indextoname(f->port_ifindex, name) &&
		    (errno == ENXIO || errno == ENODEV)) {
			gone = true;
			break;
		}
	}
	close(sv[0]);
	pt_fault("del:port");
	if (go[1] >= 0) {
		/* not sent (the helper is gone): the count stays high */
		if (gone)
			send(go[1], "1", 1, MSG_NOSIGNAL);
		close(go[1]);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return err;
}

enum del_phase { DEL_LOOKUP, DEL_NETNS, DEL_PORT, DEL_MAX };

static const char *const del_phase_names[DEL_MAX] = {
	"lookup", "netns", "port",
};

/*
 * Deleting the port takes eth0 and the pool with it, even while functions
 * still hold the namespace open; then the name goes.
 */
static int del_job(const struct pt_found *f, struct pt_clock *clk,
		   __u64 *lock_us)
{
	struct pt_lock removal = { .fd = -1 };
	bool counted = f->master_ifindex > 0 && strcmp(f->job.bridge, "-");
	int err, cg = 0;

	/* the port may go with the namespace: held from before that */
	if (counted && pt_lock_removal(&removal, f->job.bridge))
		return -1;
	*lock_us = removal.wait_us;

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
			goto out;
	}
	pt_fault("del:netns");
	pt_clock_mark(clk, DEL_NETNS);
	err = del_port(f, counted, &removal);
	if (err && err != -ENODEV) {
		pt_error("job \"%s\": removing port \"%s\": %s", f->job.name,
			 f->job.port, strerror(-err));
		err = -2;
		goto out;
	}
	pt_clock_mark(clk, DEL_PORT);
	err = cg;
out:
	pt_unlock(&removal);
	return err;
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
	struct pt_clock clk;
	__u64 lock_us = 0;
	int err;

	pt_clock_start(&clk);
	err = one_job_arg(argc, argv, "del");
	if (err)
		return err;
	if (pt_need_root("del"))
		return -1;
	f = pt_job_find(&rth, argv[0], PT_FIND_PORT, &jobs, &err);
	if (!f && err != -ENODEV)
		return err;
	pt_clock_mark(&clk, DEL_LOOKUP);
	if (f) {
		err = del_job(f, &clk, &lock_us);
		if (!err && show_stats)
			pt_clock_print(f->job.name, &clk, del_phase_names,
				       DEL_MAX, ~0U, lock_us);
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
		pt_error_no_job(argv[0]);
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
		struct pt_clock clk;
		__u64 lock_us;

		pt_clock_start(&clk);	/* -s shows del's phases only */
		err = del_job(&jobs.v[i], &clk, &lock_us);
		if (err)
			ret = err;
	}
	pt_found_list_free(&jobs);
	pt_netns_orphans(NULL, del_orphan, &ret);
	return ret;
}
