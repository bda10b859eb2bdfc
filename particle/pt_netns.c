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
#include <sys/vfs.h>
#include <dirent.h>
#include <time.h>
#include <linux/magic.h>

#include "utils.h"
#include "namespace.h"
#include "ip_common.h"
#include "particle.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC	0x6e736673
#endif


/*
 * "ip -n NS" moves ip into a private mount namespace, where a bind mount
 * would be seen by nobody else; the caller's is kept (before the switch)
 * so that job namespaces are mounted and unmounted there.  -1: ip is in
 * the caller's mount namespace.
 */
int pt_saved_mntns = -1;

/*
 * setns(CLONE_NEWNS) puts the caller at the root of that namespace: in a
 * chroot (or a pivot_root'ed container whose mount namespace is the host's)
 * the helper would act outside it.  The caller's root and working
 * directory are saved with the mount namespace and restored after setns.
 */
static int pt_saved_root = -1, pt_saved_cwd = -1;

static void netns_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", NETNS_RUN_DIR, name);
}

static void save_mount_ns(void)
{
	if (pt_saved_mntns >= 0)
		return;
	pt_saved_mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	pt_saved_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	pt_saved_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/*
 * ip -n NS in two steps (ip.c, patch 0001).  netns_switch() enters NS's
 * network namespace, then copies the caller's mount namespace to give ip
 * NS's /sys and /etc/netns/NS files.  The copy costs in proportion to the
 * host's mounts (one per named network namespace, paid again when ip
 * exits: HACKING has what it cost add and del at 1000 jobs), and only
 * exec uses it (its function takes it over).  So -n enters the network namespace at once, with
 * netns_switch()'s errors, and the rest of the switch waits for the end
 * of ip's options: particle_netns_finish() does it, unless the command
 * is a particle verb other than exec outside -batch, which then stays in
 * the caller's mount namespace as without -n.  A second -n first
 * finishes the first one's switch, as ip did.
 */
static char *pt_netns_pending;	/* entered, mount namespace not yet made */
static bool pt_netns_copied;	/* ip is in a private mount namespace */

int particle_netns_enter(char *name)
{
	char path[PATH_MAX];
	int fd;

	if (pt_netns_pending) {
		if (netns_switch(pt_netns_pending))
			return -1;
		pt_netns_copied = true;
	}
	save_mount_ns();
	netns_path(name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "Cannot open network namespace \"%s\": %s\n",
			name, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "setting the network namespace \"%s\" failed: %s\n",
			name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	pt_netns_pending = name;
	return 0;
}

int particle_netns_finish(bool own_mounts)
{
	char *name = pt_netns_pending;

	if (!name)
		return 0;
	pt_netns_pending = NULL;
	if (own_mounts || pt_netns_copied)
		return netns_switch(name);
	/* still in the caller's mount namespace: nothing to go back to */
	close(pt_saved_mntns);
	close(pt_saved_root);
	close(pt_saved_cwd);
	pt_saved_mntns = pt_saved_root = pt_saved_cwd = -1;
	return 0;
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

/*
 * IPv6 off on a link of the namespace ip is in (/proc/sys/net follows the
 * opener's network namespace).  For a job's port, a bridge port that
 * carries frames only: otherwise its link-local address and multicast
 * route join the namespace's IPv6 table, which the kernel walks whole each
 * time any link there comes up or goes down, so that every add and del
 * paid for every job already on the host.  Best effort: without IPv6 in
 * the kernel there is nothing to turn off, and the job works either way;
 * returns 0 when IPv6 was there and is now off.
 */
int pt_link_ipv6_off(const char *ifname)
{
	char path[64 + IFNAMSIZ];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	return write_sysctl(path, "1");
}

static int enter_saved_mntns(void)
{
	if (pt_saved_mntns < 0)
		return 0;
	if (setns(pt_saved_mntns, CLONE_NEWNS))
		return -1;
	if (pt_saved_root >= 0 && (fchdir(pt_saved_root) || chroot(".")))
		return -1;
	if (pt_saved_cwd >= 0 && fchdir(pt_saved_cwd))
		return -1;
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

/*
 * The second half of NS_CREATE, when the parent asks for it: claim
 * /run/netns/NAME with a file that says it is a particle namespace (so
 * that a crash between the two steps leaves a remnant del and flush
 * recognise), then bind-mount the namespace onto it.
 */
static const char *child_mount(const char *path, const char *mark)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return "claiming the name";
	n = write(fd, mark, strlen(mark));
	close(fd);
	if (n != (ssize_t)strlen(mark)) {
		unlink(path);
		return "marking the name";
	}
	if (getenv("PARTICLE_FAULT") &&
	    strcmp(getenv("PARTICLE_FAULT"), "add:claim") == 0) {
		kill(getppid(), SIGKILL);	/* test hook: see HACKING */
		raise(SIGKILL);
	}
	if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL)) {
		int e = errno;

		unlink(path);
		errno = e;
		return "bind-mounting the new namespace";
	}
	return NULL;
}

/*
 * Returns 0, or -1 with res filled in; fds[] get what the child sent.
 * With keep (NS_CREATE only), the child stays, waiting to mount: keep
 * gets its pid and our end of the socket.
 */
static int run_child(enum ns_op op, const char *path, int nsfd, bool proxy_nd,
		     struct ns_result *res, int fds[2], struct pt_nsjob *keep)
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
		char mark[256];

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
		if (failed || !keep)
			_exit(failed ? 1 : 0);
		if (out[0] >= 0)
			close(out[0]);
		/* the mark to write, or end of file: the parent gave up */
		do {
			n = recv(sv[1], mark, sizeof(mark) - 1, 0);
		} while (n < 0 && errno == EINTR);
		if (n <= 0)
			_exit(0);
		mark[n] = '\0';
		memset(res, 0, sizeof(*res));
		errno = 0;
		failed = child_mount(path, mark);
		if (failed) {
			res->err = errno ? errno : EIO;
			snprintf(res->failed, sizeof(res->failed), "%s", failed);
		}
		child_reply(sv[1], res, NULL, 0);
		_exit(failed ? 1 : 0);
	}

	close(sv[1]);
	do {
		n = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (keep && n == sizeof(*res) && !res->err) {
		keep->pid = pid;
		keep->sock = sv[0];
	} else {
		close(sv[0]);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
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

static void helper_end(struct pt_nsjob *ns)
{
	if (ns->sock >= 0)
		close(ns->sock);
	ns->sock = -1;
	if (ns->pid > 0)
		while (waitpid(ns->pid, NULL, 0) < 0 && errno == EINTR)
			;
	ns->pid = 0;
}

/*
 * Step 1 of a job namespace: a new, unnamed network namespace (nsfd) and
 * an rtnetlink socket in it.  Nobody else can see it yet, and it vanishes
 * with this process unless pt_netns_commit() names it.
 */
int pt_netns_begin(struct pt_nsjob *ns, const char *name, bool proxy_nd)
{
	struct ns_result res;
	int fds[2];

	memset(ns, 0, sizeof(*ns));
	ns->sock = -1;
	ns->nsfd = -1;
	ns->rth.fd = -1;
	snprintf(ns->name, sizeof(ns->name), "%s", name);
	netns_path(name, ns->path, sizeof(ns->path));
	if (mkdir(NETNS_RUN_DIR, 0755) && errno != EEXIST) {
		pt_error("cannot create %s: %s", NETNS_RUN_DIR, strerror(errno));
		return -1;
	}
	if (run_child(NS_CREATE, ns->path, -1, proxy_nd, &res, fds, ns) ||
	    fds[0] < 0 || fds[1] < 0 || adopt_rtnl(&ns->rth, fds[0])) {
		if (!res.err) {
			res.err = EIO;
			strcpy(res.failed, "receiving the namespace");
		}
		pt_error("job namespace \"%s\": %s failed: %s%s", name,
			 res.failed, strerror(res.err),
			 res.err == ENOSPC ?
			 " (the user.max_net_namespaces limit is reached)" : "");
		if (fds[0] >= 0 && ns->rth.fd < 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		pt_netns_abort(ns);
		return -2;
	}
	ns->nsfd = fds[1];
	return 0;
}

/* Step 2: /run/netns/NAME, marked, then bind-mounted.  -1 if the name was
 * taken meanwhile, -2 for other failures. */
int pt_netns_commit(struct pt_nsjob *ns)
{
	struct ns_result res = {};
	char mark[256];
	ssize_t n;

	if (pt_netns_mark(ns->name, mark, sizeof(mark)) < 0 ||
	    send(ns->sock, mark, strlen(mark), MSG_NOSIGNAL) < 0) {
		res.err = errno ? errno : EIO;
		strcpy(res.failed, "asking the helper to mount");
	} else {
		do {
			n = recv(ns->sock, &res, sizeof(res), 0);
		} while (n < 0 && errno == EINTR);
		if (n != sizeof(res)) {
			res.err = n < 0 ? errno : EIO;
			strcpy(res.failed, "hearing from the helper");
		}
	}
	helper_end(ns);
	if (!res.err)
		return 0;
	if (res.err == EEXIST) {
		pt_error("argument \"%s\" is wrong: network namespace \"%s\" already exists",
			 ns->name, ns->name);
		return -1;
	}
	pt_error("job namespace \"%s\": %s failed: %s", ns->name, res.failed,
		 strerror(res.err));
	return -2;
}

/* Close what begin opened; an uncommitted namespace goes with it. */
void pt_netns_abort(struct pt_nsjob *ns)
{
	helper_end(ns);
	if (ns->rth.fd >= 0)
		rtnl_close(&ns->rth);
	ns->rth.fd = -1;
	if (ns->nsfd >= 0)
		close(ns->nsfd);
	ns->nsfd = -1;
}

int pt_netns_create(const char *name, struct rtnl_handle *job_rth, int *nsfd,
		    bool proxy_nd)
{
	struct pt_nsjob ns;
	int err;

	if (pt_netns_exists(name)) {
		pt_error("network namespace \"%s\" already exists", name);
		return -1;
	}
	err = pt_netns_begin(&ns, name, proxy_nd);
	if (err)
		return err;
	err = pt_netns_commit(&ns);
	if (err) {
		pt_netns_abort(&ns);
		return err;
	}
	*job_rth = ns.rth;
	*nsfd = ns.nsfd;
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
	} else if (!run_child(NS_REMOVE, path, -1, false, &res, fds, NULL)) {
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
	ret = run_child(NS_SOCKET, path, nsfd, false, &res, fds, NULL);
	close(nsfd);
	if (ret || fds[0] < 0 || adopt_rtnl(job_rth, fds[0])) {
		pt_error("job namespace \"%s\": %s failed: %s", name,
			 res.err ? res.failed : "receiving a socket",
			 strerror(res.err ? res.err : EIO));
		return -2;
	}
	return 0;
}

/* ---- job namespaces that are not whole (see pt_lock.c) ---- */

/*
 * What /run/netns/NAME is: PT_NS_NONE, PT_NS_MOUNTED (a namespace),
 * PT_NS_ORPHAN (the marked file an add makes just before its bind mount,
 * left unmounted by a crash; *ours tells whether it was made from this
 * vtep namespace) or PT_NS_OTHER.
 */
int pt_netns_state(const char *name, bool *ours)
{
	char path[PATH_MAX], buf[256], mark[256];
	struct statfs sfs;
	ssize_t n;
	int fd, ret = PT_NS_OTHER;
	size_t pre;

	if (ours)
		*ours = false;
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? PT_NS_NONE : PT_NS_OTHER;
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == NSFS_MAGIC) {
		close(fd);
		return PT_NS_MOUNTED;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || pt_netns_mark(name, mark, sizeof(mark)) < 0)
		return PT_NS_OTHER;
	buf[n] = '\0';
	/* "particle:1 job=NAME vtepns=" */
	pre = strstr(mark, " vtepns=") - mark + strlen(" vtepns=");
	if (strncmp(buf, mark, pre) == 0) {
		ret = PT_NS_ORPHAN;
		if (ours)
			*ours = strcmp(buf, mark) == 0;
	}
	return ret;
}

/* fn(name, arg) for every marked, unmounted /run/netns entry of this vtep
 * namespace that no port of jobs claims. */
int pt_netns_orphans(const struct pt_found_list *jobs,
		     void (*fn)(const char *name, void *arg), void *arg)
{
	struct dirent *de;
	DIR *dir = opendir(NETNS_RUN_DIR);
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)) != NULL) {
		bool ours;

		if (!pt_job_name_valid(de->d_name) ||
		    (jobs && pt_found_lookup(jobs, de->d_name)))
			continue;
		if (pt_netns_state(de->d_name, &ours) == PT_NS_ORPHAN && ours) {
			fn(de->d_name, arg);
			n++;
		}
	}
	closedir(dir);
	return n;
}

/* Is the mounted /run/netns/NAME a job of this vtep namespace (lo's mark)? */
bool pt_netns_is_job(const char *name)
{
	struct rtnl_handle jrth = { .fd = -1 };
	struct pt_link lo;
	char mark[256];
	int n = pt_netns_mark(name, mark, sizeof(mark));
	bool ours = false;

	if (n < 0 || pt_netns_open_rtnl(name, &jrth))
		return false;
	mark[n - 1] = '\0';
	if (pt_link_get(&jrth, NULL, 1, &lo) == 0)
		ours = strcmp(lo.alias, mark) == 0;
	rtnl_close(&jrth);
	return ours;
}
