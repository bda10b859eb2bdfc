// SPDX-License-Identifier: GPL-2.0
/*
 * exec and guard: a function gets the address of its slot.
 *
 * exec JOB slot K CMD...: ip forks (clone with CLONE_NEWPID) a small init,
 * pid 1 of the function's PID namespace.  The init joins the caller's
 * mount namespace and the job's network namespace (as "ip netns exec":
 * new mount namespace, /sys of the job, /etc/netns/JOB), makes UTS and IPC
 * namespaces and /proc of its own, names the host "JOB-sK", moves into the
 * slot's cgroup (guard attached), tells ip it is ready, and forks CMD as
 * pid 2.  Signals sent to ip go to the init, which passes them to CMD
 * (signals of the terminal reach CMD directly: they are not passed twice).
 * When CMD ends the init ends with CMD's status (128+N when killed by
 * signal N), the kernel kills what CMD left behind in its PID namespace,
 * and ip exits with that status.  Until "ready" every failure is the
 * init's to report and undo; ip then exits 1 or 2 like any refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <linux/sched.h>

#include "utils.h"
#include "namespace.h"
#include "ip_common.h"
#include "particle.h"

static const int fwd_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH,
};

static void fwd_set(sigset_t *set)
{
	unsigned int i;

	sigemptyset(set);
	for (i = 0; i < ARRAY_SIZE(fwd_signals); i++)
		sigaddset(set, fwd_signals[i]);
	sigaddset(set, SIGCHLD);
}

/* The job of fa, read from its port, with fa's slot checked against it. */
static int job_slot(const struct pt_fn_args *fa, const char *verb,
		    struct pt_job *job)
{
	struct pt_found f;
	int err;

	if (pt_need_root(verb))
		return -1;
	/* one request for the job's port, whatever else the host holds */
	err = pt_job_get(&rth, fa->job, &f);
	if (err == -2)
		return err;
	if (err) {
		pt_error("argument \"%s\" is wrong: no particle job \"%s\" in this vtep namespace",
			 fa->job, fa->job);
		return -1;
	}
	if (f.damaged || !f.job.count || !f.job.npools) {
		pt_error("job \"%s\" is damaged (%s): \"ip particle del %s\" removes it",
			 fa->job, f.damaged ? f.damaged : "no slots", fa->job);
		return -1;
	}
	if (fa->slot >= f.job.count) {
		pt_error("argument \"%s\" is wrong: job \"%s\" has slots 0 to %u",
			 fa->slot_arg, fa->job, f.job.count - 1);
		return -1;
	}
	*job = f.job;
	return 0;
}

/* CMD as execvp would find it, into path; -1 when there is none. */
static int find_cmd(const char *cmd, char *path, size_t len)
{
	const char *dirs = getenv("PATH"), *p;
	struct stat st;

	if (strchr(cmd, '/')) {
		snprintf(path, len, "%s", cmd);
		return access(path, X_OK) || stat(path, &st) ||
		       !S_ISREG(st.st_mode) ? -1 : 0;
	}
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (p = dirs; ; p += strcspn(p, ":") + 1) {
		int n = strcspn(p, ":");

		snprintf(path, len, "%.*s%s%s", n, n ? p : ".", "/", cmd);
		if (access(path, X_OK) == 0 && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return 0;
		if (!p[n])
			return -1;
	}
}

static void nop_handler(int sig)
{
	(void)sig;
}

/* The init's life after "ready": pass signals on, wait for CMD. */
static void __attribute__((noreturn)) init_loop(pid_t cmd)
{
	sigset_t set;

	fwd_set(&set);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si), status;
		pid_t pid;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* the terminal signals the whole process group */
			if (si.si_code != SI_KERNEL)
				kill(cmd, sig);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid != cmd)
				continue;
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) :
			      128 + WTERMSIG(status));
		}
	}
}

struct exec_ctx {
	struct pt_slot slot;
	char path[PATH_MAX];	/* CMD found */
	char **argv;		/* CMD ARG... */
	sigset_t oldmask;
	unsigned int ignored;	/* fwd_signals[i] ignored by ip's caller */
	int slotfd;		/* the slot's cgroup, CMD is born in it */
	pid_t parent;
	int ready;		/* write end: one byte when ready */
};

/*
 * /etc/netns/JOB/FILE over /etc/FILE, as "ip netns exec" does (a job
 * rarely has any: the directory is usually missing).
 */
static void bind_etc_files(const char *job)
{
	char dir[sizeof(NETNS_ETC_DIR) + PT_JOB_MAX + 2];
	char from[PATH_MAX], to[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", NETNS_ETC_DIR, job);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(from, sizeof(from), "%s/%s", dir, de->d_name);
		snprintf(to, sizeof(to), "/etc/%s", de->d_name);
		if (mount(from, to, "none", MS_BIND, NULL))
			fprintf(stderr, "Bind %s -> %s failed: %s\n", from, to,
				strerror(errno));
	}
	closedir(d);
}

/*
 * The job's network namespace, in the mount namespace that "ip -n" made
 * for this one ip process (ip.c's netns_switch: a copy of the caller's,
 * slave to it): the function takes that one over instead of copying it
 * again.  Copying a mount namespace costs time in proportion to the
 * host's mounts (every named network namespace is one), so this halves
 * the mount work of an exec.  /sys of the job goes on top of the vtep's
 * (no unmount: that would wait for an RCU grace period); ip itself uses
 * nothing of the file system any more (only ip -batch does: there the
 * init makes a namespace of its own, as without -n).
 */
static int job_netns_here(const char *job)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, job);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (setns(fd, CLONE_NEWNET)) {
		close(fd);
		return -1;
	}
	close(fd);
	if (mount(job, "/sys", "sysfs", 0, NULL))
		return -1;
	bind_etc_files(job);
	return 0;
}

/* The init, until "ready": returns the exit status of a refusal. */
static int init_setup(struct exec_ctx *c, int *in)
{
	struct pt_cgroot root;
	char host[HOST_NAME_MAX + 1], num[16], err[512] = "";
	unsigned int created = 0;
	bool own_ns = pt_saved_mntns >= 0 && !batch_mode;
	int i, slotfd, ret, cwd;

	/* ip's death kills the function; ip waits for "ready" before it
	 * can go, so the parent cannot die before this */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		return 2;
	/*
	 * The cgroup2 root is in the caller's mount namespace; "ip -n" has a
	 * private copy of it whose /sys is a plain sysfs.  The function's
	 * namespace is made from that copy (as "ip netns exec" would from
	 * the caller's: /sys replaced): replacing a plain /sys is cheaper
	 * than detaching the caller's with every cgroup mount below it.
	 * Entering a mount namespace moves to its root: the cwd is kept.
	 */
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pt_saved_mntns >= 0) {
		int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

		if (own < 0 || setns(pt_saved_mntns, CLONE_NEWNS)) {
			pt_error("entering the caller's mount namespace failed: %s",
				 strerror(errno));
			return 2;
		}
		pt_saved_mntns = -1;
		ret = pt_cgroup_open(&root);
		if (setns(own, CLONE_NEWNS)) {
			pt_error("returning to ip's mount namespace failed: %s",
				 strerror(errno));
			return 2;
		}
		close(own);
	} else {
		ret = pt_cgroup_open(&root);
	}
	if (ret == -ENOENT) {
		pt_error("no cgroup2 file system is mounted (see /proc/self/mountinfo): the slot guard needs cgroup v2, e.g. \"mount -t cgroup2 none /sys/fs/cgroup\"");
		return 1;
	}
	if (ret) {
		pt_error("opening the cgroup2 root failed: %s", strerror(-ret));
		return 2;
	}
	if (own_ns ? job_netns_here(c->slot.job) : netns_switch(c->slot.job)) {
		pt_error("job \"%s\": cannot enter its network namespace",
			 c->slot.job);
		ret = 2;
		goto close;
	}
	if (cwd >= 0) {
		if (fchdir(cwd))
			chdir("/");
		close(cwd);
		cwd = -1;
	}
	if (unshare(CLONE_NEWUTS | CLONE_NEWIPC)) {
		pt_error("new UTS and IPC namespaces failed: %s", strerror(errno));
		ret = 2;
		goto close;
	}
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL)) {
		pt_error("mounting /proc of the function failed: %s",
			 strerror(errno));
		ret = 2;
		goto close;
	}
	snprintf(num, sizeof(num), "-s%u", c->slot.slot);
	snprintf(host, sizeof(host), "%.*s%s",
		 (int)(HOST_NAME_MAX - strlen(num)), c->slot.job, num);
	if (sethostname(host, strlen(host))) {
		pt_error("setting the hostname failed: %s", strerror(errno));
		ret = 2;
		goto close;
	}

	slotfd = pt_cgroup_slot_dir(&root, c->slot.job, c->slot.slot, true,
				    &created);
	if (slotfd < 0) {
		pt_error("cgroup %s/%s/%s/slot-%u: %s", root.mnt, PT_CGROUP_DIR,
			 c->slot.job, c->slot.slot, strerror(-slotfd));
		ret = 2;
		goto close;
	}
	/* one guard per slot group, even when execs race */
	while (flock(slotfd, LOCK_EX) && errno == EINTR)
		;
	ret = pt_guard_apply(slotfd, &c->slot, err, sizeof(err));
	flock(slotfd, LOCK_UN);
	if (ret) {
		if (created & 4)
			pt_guard_remove(slotfd, NULL);
		close(slotfd);
		pt_cgroup_slot_undo(&root, c->slot.job, c->slot.slot, created);
		pt_error("job \"%s\" slot %u: %s", c->slot.job, c->slot.slot, err);
		ret = 2;
		goto close;
	}
	c->slotfd = slotfd;
	pt_cgroup_close(&root);

	setenv("PARTICLE_JOB", c->slot.job, 1);
	snprintf(num, sizeof(num), "%u", c->slot.slot);
	setenv("PARTICLE_SLOT", num, 1);
	if (c->slot.has4)
		setenv("PARTICLE_ADDR", c->slot.addr4, 1);
	else
		setenv("PARTICLE_ADDR", c->slot.addr6, 1);
	if (c->slot.has4 && c->slot.has6)
		setenv("PARTICLE_ADDR6", c->slot.addr6, 1);

	/* pid 1 only hears signals it has a handler for */
	for (i = 0; i < (int)ARRAY_SIZE(fwd_signals); i++)
		signal(fwd_signals[i], nop_handler);
	/* keep the caller's stdin away from libc's exit-time cleanup */
	*in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	close(STDIN_FILENO);
	return 0;
close:
	if (cwd >= 0)
		close(cwd);
	pt_cgroup_close(&root);
	return ret;
}

/*
 * CMD is born in the slot's group (clone3 with CLONE_INTO_CGROUP): moving
 * a process by writing cgroup.procs takes the kernel's threadgroup lock
 * for writing, an RCU grace period, milliseconds.  The init itself stays
 * where ip was.  Where clone3 is missing (older kernels, valgrind) the
 * child moves itself.
 */
static pid_t fork_into(int cg)
{
	pid_t pid;
#ifdef SYS_clone3
	struct clone_args args = {
		.flags = CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = (__u64)cg,
	};

	pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL))
		return pid;
#endif
	pid = fork();
	if (pid == 0 && pt_cgroup_move(cg, 0)) {
		fprintf(stderr, "Error: moving into the slot's cgroup failed: %s.\n",
			strerror(errno));
		_exit(126);
	}
	return pid;
}

static void __attribute__((noreturn)) init_main(struct exec_ctx *c)
{
	int in = -1, ret;
	pid_t cmd;

	ret = init_setup(c, &in);
	if (ret)
		_exit(ret);
	cmd = fork_into(c->slotfd);
	if (cmd == 0) {
		unsigned int i;

		/* what ip's caller chose (nohup ignores SIGHUP) */
		for (i = 0; i < ARRAY_SIZE(fwd_signals); i++)
			signal(fwd_signals[i], c->ignored & (1U << i) ?
			       SIG_IGN : SIG_DFL);
		if (in >= 0)
			dup2(in, STDIN_FILENO);
		sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
		execv(c->path, c->argv);
		fprintf(stderr, "Error: %s: %s.\n", c->argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (in >= 0)
		close(in);
	close(c->slotfd);
	if (cmd < 0) {
		pt_error("forking the function failed: %s", strerror(errno));
		_exit(2);
	}
	/* ready: from now on the status is CMD's */
	while (write(c->ready, "", 1) < 0 && errno == EINTR)
		;
	close(c->ready);
	init_loop(cmd);
}

int pt_do_exec(int argc, char **argv)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, oldchld;
	struct exec_ctx c = {};
	struct pt_fn_args fa;
	struct pt_job job;
	int pfd[2], status, err;
	unsigned int i;
	sigset_t set;
	bool ready = false;
	pid_t pid;
	char b;

	if (pt_parse_exec(argc, argv, &fa))
		return -1;
	err = job_slot(&fa, "exec", &job);
	if (err)
		return err;
	if (find_cmd(fa.cmd[0], c.path, sizeof(c.path))) {
		pt_error("argument \"%s\" is wrong: command not found (or not executable)",
			 fa.cmd[0]);
		return -1;
	}
	pt_slot_init(&c.slot, &job, fa.slot);
	c.argv = fa.cmd;
	c.parent = getpid();
	for (i = 0; i < ARRAY_SIZE(fwd_signals); i++) {
		struct sigaction sa;

		if (sigaction(fwd_signals[i], NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_IGN)
			c.ignored |= 1U << i;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		pt_error("pipe: %s", strerror(errno));
		return -2;
	}
	c.ready = pfd[1];

	fflush(stdout);
	fflush(stderr);
	fwd_set(&set);
	sigaction(SIGCHLD, &dfl, &oldchld);	/* waitpid must see the init */
	sigprocmask(SIG_BLOCK, &set, &c.oldmask);
	/* fork into a new PID namespace: the child is its pid 1 */
	pid = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		close(pfd[0]);
		init_main(&c);
	}
	close(pfd[1]);
	if (pid < 0) {
		pt_error("creating the function's PID namespace failed: %s",
			 strerror(errno));
		close(pfd[0]);
		err = -2;
		goto out;
	}
	while ((err = read(pfd[0], &b, 1)) < 0 && errno == EINTR)
		;
	ready = err == 1;
	close(pfd[0]);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid || (w < 0 && errno == ECHILD))
				break;
			continue;
		}
		if (si.si_code != SI_KERNEL)
			kill(pid, sig);
	}
	if (!WIFEXITED(status))
		err = -(128 + WTERMSIG(status));
	else if (ready)
		err = -WEXITSTATUS(status);
	else
		err = WEXITSTATUS(status) == 1 ? -1 : -2;
out:
	sigprocmask(SIG_SETMASK, &c.oldmask, NULL);
	sigaction(SIGCHLD, &oldchld, NULL);
	return err;
}

/* --- guard ------------------------------------------------------------ */

/* The cgroup v2 group of pid, relative to the cgroup2 root, into rel. */
static int pid_cgroup(int pid, char *rel, size_t len)
{
	char path[64], line[PATH_MAX + 8];
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(rel, len, "%.*s", (int)len - 1, line[4] ? line + 4 : ".");
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* Only pid in the group, and no group below it? */
static bool group_own(int dir, int pid)
{
	FILE *f = pt_cgroup_fopen(dir, "cgroup.procs");
	bool own = true, seen = false;
	char buf[64];
	int p;

	if (!f)
		return false;
	while (fscanf(f, "%d", &p) == 1) {
		if (p == pid)
			seen = true;
		else
			own = false;
	}
	fclose(f);
	if (!own || !seen)
		return false;
	/* a group with groups below it is shared too */
	f = pt_cgroup_fopen(dir, "cgroup.stat");
	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f))
		if (strncmp(buf, "nr_descendants ", 15) == 0 &&
		    atoi(buf + 15) != 0)
			own = false;
	fclose(f);
	return own;
}

int pt_do_guard(int argc, char **argv)
{
	char rel[PATH_MAX], err[512] = "", what[PT_JOB_MAX + 32];
	unsigned int created = 0;
	struct pt_cgroot root;
	struct pt_fn_args fa;
	struct pt_slot slot;
	struct statfs sfs;
	struct pt_job job;
	int ret, pid, target = -1, slotfd = -1;
	bool moved = false;
	__u32 k;

	if (pt_parse_guard(argc, argv, &fa))
		return -1;
	ret = job_slot(&fa, "guard", &job);
	if (ret)
		return ret;
	k = fa.slot;
	pid = fa.pid;
	if (pid) {
		ret = pid_cgroup(pid, rel, sizeof(rel));
		if (ret) {
			pt_error("argument \"%s\" is wrong: %s", fa.target_arg,
				 ret == -ENOENT ? "no such process, or it is in no cgroup v2 group" :
				 strerror(-ret));
			return -1;
		}
	}
	pt_slot_init(&slot, &job, k);

	ret = pt_cgroup_open(&root);
	if (ret) {
		pt_error(ret == -ENOENT ?
			 "no cgroup2 file system is mounted: the slot guard needs cgroup v2%s" :
			 "opening the cgroup2 root failed%s", "");
		return ret == -ENOENT ? -1 : -2;
	}
	if (!pid) {
		const char *p = fa.cgroup;
		size_t m = strlen(root.mnt);

		if (strncmp(p, root.mnt, m) == 0 && (p[m] == '/' || !p[m]))
			p += m;
		while (*p == '/')
			p++;
		if (strlen(p) >= sizeof(rel)) {
			pt_error("argument \"%s\" is wrong: path too long", fa.cgroup);
			pt_cgroup_close(&root);
			return -1;
		}
		strcpy(rel, *p ? p : ".");
	}
	snprintf(what, sizeof(what), "%s/%s/slot-%u", PT_CGROUP_DIR, job.name, k);
	target = openat(root.fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (target < 0 || fstatfs(target, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		pt_error("argument \"%s\" is wrong: not a cgroup v2 group under %s",
			 fa.target_arg, root.mnt);
		ret = -1;
		goto out;
	}
	if (pid && (strcmp(rel, ".") == 0 || strncmp(rel, PT_CGROUP_DIR "/", 9) == 0 ||
		    !group_own(target, pid))) {
		/* shared (or ours): the process moves into the slot's group */
		close(target);
		target = -1;
		slotfd = pt_cgroup_slot_dir(&root, job.name, k, true, &created);
		if (slotfd < 0) {
			snprintf(err, sizeof(err), "cgroup %.200s/%s/%s/slot-%u: %s",
				 root.mnt, PT_CGROUP_DIR, job.name, k,
				 strerror(-slotfd));
			ret = slotfd;
			goto fail;
		}
		while (flock(slotfd, LOCK_EX) && errno == EINTR)
			;
		ret = pt_guard_apply(slotfd, &slot, err, sizeof(err));
		if (!ret) {
			ret = pt_cgroup_move(slotfd, pid);
			if (ret)
				snprintf(err, sizeof(err),
					 "moving process %d into the slot's cgroup failed: %s",
					 pid, strerror(-ret));
			else
				moved = true;
		}
		if (ret && (created & 4))
			pt_guard_remove(slotfd, NULL);
	} else if (strncmp(rel, PT_CGROUP_DIR "/", 9) == 0 && strcmp(rel, what)) {
		pt_error("argument \"%s\" is wrong: the group of another particle job or slot",
			 fa.target_arg);
		ret = -1;
		goto out;
	} else {
		ret = pt_guard_apply(target, &slot, err, sizeof(err));
		if (!ret && strncmp(rel, PT_CGROUP_DIR "/", 9)) {
			ret = pt_cgroup_remember(&root, job.name, k, target);
			if (ret) {
				snprintf(err, sizeof(err),
					 "noting the guarded group on the job's cgroup failed: %s",
					 strerror(-ret));
				pt_guard_remove(target, &slot);
			}
		}
	}
fail:
	if (ret) {
		if (slotfd >= 0) {
			close(slotfd);
			slotfd = -1;
		}
		if (!moved)
			pt_cgroup_slot_undo(&root, job.name, k, created);
		pt_error("job \"%s\" slot %u: %s", job.name, k, err);
		ret = -2;
	}
out:
	if (slotfd >= 0)
		close(slotfd);
	if (target >= 0)
		close(target);
	pt_cgroup_close(&root);
	return ret;
}
