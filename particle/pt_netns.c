// SPDX-License-Identifier: GPL-2.0
/*
 * Job namespaces: /run/netns/JOB, bind-mounted the way "ip netns add"
 * does, so every tool that knows named namespaces finds them.
 *
 * The namespace is made by a short-lived forked child: it unshares a new
 * network namespace, bind-mounts it, opens the rtnetlink socket we use
 * inside it and passes both back, then exits.  This process never changes
 * namespace, and no device ever moves between namespaces.
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
#include <sys/socket.h>
#include <time.h>

#include "utils.h"
#include "namespace.h"
#include "ip_common.h"
#include "particle.h"


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

/*
 * The helper child: forked (valgrind follows fork, not clone with shared
 * memory), does the namespace work and hands back up to two fds and a
 * result over a socketpair.
 */
enum ns_op { NS_CREATE, NS_REMOVE, NS_SOCKET };

struct ns_result {
	int err;		/* errno of the step that failed, or 0 */
	char failed[96];	/* the step that failed */
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

static int enter_saved_mntns(void)
{
	return pt_saved_mntns >= 0 ? setns(pt_saved_mntns, CLONE_NEWNS) : 0;
}

static int remove_mount(const char *path)
{
	if (umount2(path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		return -1;
	if (unlink(path) && errno != ENOENT)
		return -1;
	return 0;
}

/* In the child: returns the step that failed (errno set), or NULL. */
static const char *child_work(enum ns_op op, const char *path, int nsfd,
			      bool proxy_nd, int fds[2])
{
	struct rtnl_handle rth;

	switch (op) {
	case NS_REMOVE:
		if (enter_saved_mntns())
			return "entering the caller's mount namespace";
		return remove_mount(path) ? "unmounting the namespace" : NULL;
	case NS_CREATE:
		if (enter_saved_mntns())
			return "entering the caller's mount namespace";
		if (make_run_dir_shared())
			return "making " NETNS_RUN_DIR " a shared mount";
		if (unshare(CLONE_NEWNET))
			return "creating a network namespace";
		if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL))
			return "bind-mounting the new namespace";
		/*
		 * IPv6 anyip: /proc/sys/net shows the namespace of whoever
		 * opens it.  eth0, made later, inherits "default": proxy ND
		 * answers for the pool; binding to a pool address that is
		 * local by route only needs ip_nonlocal_bind in IPv6.
		 */
		if (proxy_nd &&
		    (write_sysctl("/proc/sys/net/ipv6/conf/default/forwarding", "1") ||
		     write_sysctl("/proc/sys/net/ipv6/conf/default/proxy_ndp", "1") ||
		     write_sysctl("/proc/sys/net/ipv6/ip_nonlocal_bind", "1")))
			return "enabling IPv6 anyip (proxy ND, nonlocal bind)";
		fds[1] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (fds[1] < 0)
			return "opening the new namespace";
		break;
	case NS_SOCKET:
		if (setns(nsfd, CLONE_NEWNET))
			return "entering the job namespace";
		break;
	}
	if (rtnl_open(&rth, 0) < 0)
		return "opening rtnetlink in the job namespace";
	fds[0] = rth.fd;
	return NULL;
}

static void child_reply(int sock, const struct ns_result *res, const int *fds,
			int nfds)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = {};
	struct iovec iov = { (void *)res, sizeof(*res) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *cm;

		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	while (sendmsg(sock, &msg, 0) < 0 && errno == EINTR)
		;
}

/* Returns 0, or -1 with res filled in; fds[] get what the child sent. */
static int run_child(enum ns_op op, const char *path, int nsfd, bool proxy_nd,
		     struct ns_result *res, int fds[2])
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { res, sizeof(*res) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int sv[2], status;
	ssize_t n;
	pid_t pid;

	fds[0] = fds[1] = -1;
	memset(res, 0, sizeof(*res));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		res->err = errno;
		strcpy(res->failed, "creating a socketpair");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		res->err = errno;
		strcpy(res->failed, "forking a helper");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		int out[2] = { -1, -1 };
		const char *failed;

		close(sv[0]);
		/* "ip -batch" reads stdin: a child must not move its shared
		 * offset (valgrind's exit-time libc cleanup would) */
		close(STDIN_FILENO);
		failed = child_work(op, path, nsfd, proxy_nd, out);
		if (failed) {
			res->err = errno ? errno : EIO;
			snprintf(res->failed, sizeof(res->failed), "%s", failed);
		}
		child_reply(sv[1], res, out, failed ? 0 :
			    (out[0] >= 0) + (out[1] >= 0));
		_exit(failed ? 1 : 0);
	}

	close(sv[1]);
	do {
		n = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(*res)) {
		res->err = n < 0 ? errno : EIO;
		strcpy(res->failed, "hearing from the helper");
		return -1;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(fds, CMSG_DATA(cm),
			       cm->cmsg_len - CMSG_LEN(0));
	}
	return res->err ? -1 : 0;
}

/* libnetlink's handle around a socket the helper opened for us. */
static int adopt_rtnl(struct rtnl_handle *rth, int fd)
{
	socklen_t len = sizeof(rth->local);

	memset(rth, 0, sizeof(*rth));
	rth->fd = fd;
	rth->proto = NETLINK_ROUTE;
	rth->seq = time(NULL);
	if (getsockname(fd, (struct sockaddr *)&rth->local, &len) < 0) {
		close(fd);
		rth->fd = -1;
		return -1;
	}
	return 0;
}

int pt_netns_create(const char *name, struct rtnl_handle *job_rth, int *nsfd,
		    bool proxy_nd)
{
	char path[PATH_MAX];
	struct ns_result res;
	int fds[2], fd;

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
	if (run_child(NS_CREATE, path, -1, proxy_nd, &res, fds) ||
	    fds[0] < 0 || fds[1] < 0 || adopt_rtnl(job_rth, fds[0])) {
		if (!res.err) {
			res.err = EIO;
			strcpy(res.failed, "receiving the namespace");
		}
		pt_error("job namespace \"%s\": %s failed: %s%s", name,
			 res.failed, strerror(res.err),
			 res.err == ENOSPC ?
			 " (the user.max_net_namespaces limit is reached)" : "");
		if (fds[0] >= 0 && job_rth->fd < 0)
			close(fds[0]);
		if (job_rth->fd >= 0)
			rtnl_close(job_rth);
		if (fds[1] >= 0)
			close(fds[1]);
		pt_netns_remove(name);
		return -2;
	}
	*nsfd = fds[1];
	return 0;
}

int pt_netns_remove(const char *name)
{
	char path[PATH_MAX];
	struct ns_result res = {};
	int fds[2];

	netns_path(name, path, sizeof(path));
	if (pt_saved_mntns < 0) {
		if (!remove_mount(path))
			return 0;
		res.err = errno;
		strcpy(res.failed, "unmounting the namespace");
	} else if (!run_child(NS_REMOVE, path, -1, false, &res, fds)) {
		return 0;
	}
	pt_error("job namespace \"%s\": %s failed: %s", name, res.failed,
		 strerror(res.err));
	return -2;
}

/* An rtnetlink socket inside an existing job namespace (for set). */
int pt_netns_open_rtnl(const char *name, struct rtnl_handle *job_rth)
{
	char path[PATH_MAX];
	struct ns_result res;
	int fds[2], nsfd, ret;

	netns_path(name, path, sizeof(path));
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		pt_error("cannot open job namespace %s: %s", path,
			 strerror(errno));
		return -1;
	}
	job_rth->fd = -1;
	ret = run_child(NS_SOCKET, path, nsfd, false, &res, fds);
	close(nsfd);
	if (ret || fds[0] < 0 || adopt_rtnl(job_rth, fds[0])) {
		pt_error("job namespace \"%s\": %s failed: %s", name,
			 res.err ? res.failed : "receiving a socket",
			 strerror(res.err ? res.err : EIO));
		return -2;
	}
	return 0;
}
