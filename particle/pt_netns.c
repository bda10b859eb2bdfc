// SPDX-License-Identifier: GPL-2.0
/*
 * Job namespaces: /run/netns/JOB, bind-mounted the way "ip netns add"
 * does, so every tool that knows named namespaces finds them.
 *
 * The namespace is made by a short-lived clone(CLONE_NEWNET) child sharing
 * our memory and file table: it bind-mounts its namespace and opens the
 * rtnetlink socket we use inside it, then exits.  This process never
 * changes namespace, and no device ever moves between namespaces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "utils.h"
#include "namespace.h"
#include "ip_common.h"
#include "particle.h"

#define PT_CHILD_STACK	(64 * 1024)

/*
 * "ip -n NS" moves ip into a private mount namespace, where a bind mount
 * would be seen by nobody else; ip.c calls this before switching so that
 * job namespaces are mounted and unmounted in the caller's mount namespace.
 */
int pt_saved_mntns = -1;

void particle_save_mount_ns(void)
{
	if (pt_saved_mntns < 0)
		pt_saved_mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
}

static void netns_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", NETNS_RUN_DIR, name);
}

int pt_netns_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	netns_path(name, path, sizeof(path));
	return lstat(path, &st) == 0;
}

/* What "ip netns add" does first: NETNS_RUN_DIR as a shared mount point,
 * so that mounts under it propagate to every mount namespace. */
static int make_run_dir_shared(void)
{
	if (mkdir(NETNS_RUN_DIR, 0755) && errno != EEXIST)
		return -1;
	while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL)) {
		if (errno != EINVAL)
			return -1;
		if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none",
			  MS_BIND | MS_REC, NULL))
			return -1;
	}
	return 0;
}

struct ns_child {
	const char *path;
	struct rtnl_handle *rth;
	int nsfd;		/* in: namespace to enter, or -1 for a new one */
	int out_nsfd;		/* out: the namespace, for IFLA_NET_NS_FD */
	const char *failed;	/* out: the step that failed */
	int err;
	bool proxy_nd;		/* create: answer ND for proxy entries */
	enum { CHILD_CREATE, CHILD_REMOVE, CHILD_SOCKET } op;
};

static int write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

static int enter_saved_mntns(struct ns_child *c)
{
	if (pt_saved_mntns >= 0 && setns(pt_saved_mntns, CLONE_NEWNS)) {
		c->failed = "entering the caller's mount namespace";
		return -1;
	}
	return 0;
}

static int remove_mount(const char *path)
{
	if (umount2(path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		return -1;
	if (unlink(path) && errno != ENOENT)
		return -1;
	return 0;
}

static int ns_child_main(void *arg)
{
	struct ns_child *c = arg;

	c->err = 0;
	switch (c->op) {
	case CHILD_CREATE:
		if (enter_saved_mntns(c))
			break;
		if (make_run_dir_shared()) {
			c->failed = "making " NETNS_RUN_DIR " a shared mount";
			break;
		}
		if (mount("/proc/self/ns/net", c->path, "none", MS_BIND, NULL)) {
			c->failed = "bind-mounting the new namespace";
			break;
		}
		c->out_nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (c->out_nsfd < 0) {
			c->failed = "opening the new namespace";
			break;
		}
		if (rtnl_open(c->rth, 0) < 0) {
			c->failed = "opening rtnetlink in the new namespace";
			break;
		}
		/*
		 * IPv6 anyip: /proc/sys/net shows the namespace of whoever
		 * opens it.  eth0, made later, inherits "default": proxy ND
		 * answers for the pool; binding to a pool address that is
		 * local by route only needs ip_nonlocal_bind in IPv6.
		 */
		if (c->proxy_nd &&
		    (write_sysctl("/proc/sys/net/ipv6/conf/default/forwarding", "1") ||
		     write_sysctl("/proc/sys/net/ipv6/conf/default/proxy_ndp", "1") ||
		     write_sysctl("/proc/sys/net/ipv6/ip_nonlocal_bind", "1"))) {
			c->failed = "enabling IPv6 anyip (proxy ND, nonlocal bind)";
			break;
		}
		return 0;
	case CHILD_REMOVE:
		if (enter_saved_mntns(c))
			break;
		if (remove_mount(c->path))
			c->failed = "unmounting the namespace";
		else
			return 0;
		break;
	case CHILD_SOCKET:
		if (setns(c->nsfd, CLONE_NEWNET)) {
			c->failed = "entering the job namespace";
			break;
		}
		if (rtnl_open(c->rth, 0) < 0) {
			c->failed = "opening rtnetlink in the job namespace";
			break;
		}
		return 0;
	}
	c->err = errno ? errno : EIO;
	return 1;
}

/* Run ns_child_main in a child sharing memory and fds; wait for it. */
static int run_child(struct ns_child *c, int flags)
{
	char *stack = malloc(PT_CHILD_STACK);
	int status;
	pid_t pid;

	if (!stack) {
		c->err = ENOMEM;
		c->failed = "allocating a stack";
		return -1;
	}
	c->err = EIO;
	c->failed = "starting a helper process";
	pid = clone(ns_child_main, stack + PT_CHILD_STACK,
		    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD | flags, c);
	if (pid < 0) {
		c->err = errno;
		free(stack);
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	free(stack);
	return c->err ? -1 : 0;
}

int pt_netns_create(const char *name, struct rtnl_handle *job_rth, int *nsfd,
		    bool proxy_nd)
{
	char path[PATH_MAX];
	struct ns_child c = {
		.path = path, .rth = job_rth, .nsfd = -1, .out_nsfd = -1,
		.proxy_nd = proxy_nd, .op = CHILD_CREATE,
	};
	int fd;

	netns_path(name, path, sizeof(path));
	if (mkdir(NETNS_RUN_DIR, 0755) && errno != EEXIST) {
		pt_error("cannot create %s: %s", NETNS_RUN_DIR, strerror(errno));
		return -1;
	}
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		if (errno == EEXIST)
			pt_error("network namespace \"%s\" already exists", name);
		else
			pt_error("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);

	job_rth->fd = -1;
	if (run_child(&c, CLONE_NEWNET)) {
		pt_error("job namespace \"%s\": %s failed: %s", name, c.failed,
			 strerror(c.err));
		if (job_rth->fd >= 0)
			rtnl_close(job_rth);
		if (c.out_nsfd >= 0)
			close(c.out_nsfd);
		pt_netns_remove(name);
		return -2;
	}
	*nsfd = c.out_nsfd;
	return 0;
}

int pt_netns_remove(const char *name)
{
	char path[PATH_MAX];
	struct ns_child c = { .path = path, .op = CHILD_REMOVE };

	netns_path(name, path, sizeof(path));
	if (pt_saved_mntns < 0) {
		if (!remove_mount(path))
			return 0;
		c.err = errno;
		c.failed = "unmounting the namespace";
	} else if (!run_child(&c, 0)) {
		return 0;
	}
	pt_error("job namespace \"%s\": %s failed: %s", name, c.failed,
		 strerror(c.err));
	return -2;
}

/* An rtnetlink socket inside an existing job namespace (for set). */
int pt_netns_open_rtnl(const char *name, struct rtnl_handle *job_rth)
{
	char path[PATH_MAX];
	struct ns_child c = { .rth = job_rth, .op = CHILD_SOCKET };
	int ret;

	netns_path(name, path, sizeof(path));
	c.nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (c.nsfd < 0) {
		pt_error("cannot open job namespace %s: %s", path,
			 strerror(errno));
		return -1;
	}
	job_rth->fd = -1;
	ret = run_child(&c, 0);
	close(c.nsfd);
	if (ret) {
		pt_error("job namespace \"%s\": %s failed: %s", name, c.failed,
			 strerror(c.err));
		if (job_rth->fd >= 0)
			rtnl_close(job_rth);
		return -2;
	}
	return 0;
}
