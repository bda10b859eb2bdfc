// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup v2 groups of jobs and slots:
 *
 *	<cgroup2 mount>/particle/JOB/slot-K
 *
 * wherever cgroup2 is mounted in the caller's mount namespace (the first
 * cgroup2 mount of /proc/self/mountinfo: /sys/fs/cgroup on a pure v2 host,
 * /sys/fs/cgroup/unified on a hybrid one).  No controller is enabled: the
 * groups exist to carry the slot guard and to find a job's processes.
 * A slot's group and its guard live as long as the slot (del, flush and
 * a shrinking set remove them); a group of somebody else's that "guard"
 * put a slot guard on is remembered in an extended attribute of the
 * job's group, trusted.particle.<inode> = "K PATH", so that del takes
 * the guard off it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/magic.h>

#include "utils.h"
#include "particle.h"

#define XATTR_PREFIX	"trusted.particle."

/* mountinfo escapes blanks, tabs, newlines and backslashes as \ooo */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0');
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* The first cgroup2 mount of this mount namespace, or -ENOENT. */
static int find_mount(char *mnt, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char *fld[5], *save = NULL, *p = line;
		int i;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		*sep = '\0';
		for (i = 0; i < 5; i++, p = NULL) {
			fld[i] = strtok_r(p, " ", &save);
			if (!fld[i])
				break;
		}
		if (i < 5)
			continue;
		unescape(fld[4]);
		if (strlen(fld[4]) < len) {
			strcpy(mnt, fld[4]);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int open_here(struct pt_cgroot *r)
{
	struct statfs sfs;
	int err = find_mount(r->mnt, sizeof(r->mnt));

	if (err)
		return err;
	r->fd = open(r->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	if (fstatfs(r->fd, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		close(r->fd);
		r->fd = -1;
		return -ENOENT;
	}
	return 0;
}

struct root_reply {
	int err;
	char mnt[PATH_MAX];
};

/*
 * "ip -n" runs in a private mount namespace without the caller's /sys:
 * a forked helper opens the cgroup2 root in the caller's namespace and
 * passes it back.
 */
static int open_saved(struct pt_cgroot *r)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {};
	struct root_reply rep = {};
	struct iovec iov = { &rep, sizeof(rep) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int sv[2];
	ssize_t n;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		struct pt_cgroot here = { .fd = -1 };

		close(sv[0]);
		close(STDIN_FILENO);	/* see pt_netns.c */
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		if (setns(pt_saved_mntns, CLONE_NEWNS))
			rep.err = -errno;
		else
			rep.err = open_here(&here);
		if (!rep.err) {
			strcpy(rep.mnt, here.mnt);
			msg.msg_control = cbuf;
			msg.msg_controllen = sizeof(cbuf);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &here.fd, sizeof(int));
		}
		while (sendmsg(sv[1], &msg, 0) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(sv[1]);
	do {
		n = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(rep))
		return -EIO;
	if (rep.err)
		return rep.err;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EIO;
	memcpy(&r->fd, CMSG_DATA(cm), sizeof(int));
	memcpy(r->mnt, rep.mnt, sizeof(r->mnt));
	return 0;
}

/* 0, -ENOENT when cgroup2 is not mounted, or another -errno. */
int pt_cgroup_open(struct pt_cgroot *r)
{
	r->fd = -1;
	r->mnt[0] = '\0';
	return pt_saved_mntns >= 0 ? open_saved(r) : open_here(r);
}

void pt_cgroup_close(struct pt_cgroot *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static int open_dir(int at, const char *path)
{
	return openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The job's group (particle/JOB), or -1 with errno set. */
static int open_job_dir(const struct pt_cgroot *r, const char *job)
{
	char path[PATH_MAX];

	if (r->fd < 0) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", PT_CGROUP_DIR, job);
	return open_dir(r->fd, path);
}

static int write_at(int dir, const char *file, const char *val)
{
	int fd = openat(dir, file, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/* A cgroup file under dir as a stream, or NULL. */
FILE *pt_cgroup_fopen(int dir, const char *file)
{
	int fd = openat(dir, file, O_RDONLY | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* The entries of dir, on a copy of the fd so that dir stays open. */
static DIR *list_dir(int dir)
{
	int fd = dup(dir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d && fd >= 0)
		close(fd);
	return d;
}

/* 1 when the group holds a process (cgroup.events "populated 1"). */
int pt_cgroup_populated(int dir)
{
	char buf[256], *p;
	int fd = openat(dir, "cgroup.events", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	p = strstr(buf, "populated ");
	return p && p[10] == '1';
}

int pt_cgroup_move(int dir, int pid)
{
	char s[24];

	snprintf(s, sizeof(s), "%d", (int)pid);
	return write_at(dir, "cgroup.procs", s);
}

/*
 * The group of slot k of job (made when 'create', with its parents; bits
 * 1, 2, 4 of *created tell which of particle/, JOB/, slot-K/ this call
 * made).  Returns an fd of its directory or -errno.
 */
int pt_cgroup_slot_dir(const struct pt_cgroot *r, const char *job, __u32 k,
		       bool create, unsigned int *created)
{
	char path[3][PATH_MAX];
	int i, tries, fd;

	*created = 0;
	snprintf(path[0], sizeof(path[0]), "%s", PT_CGROUP_DIR);
	snprintf(path[1], sizeof(path[1]), "%s/%s", PT_CGROUP_DIR, job);
	snprintf(path[2], sizeof(path[2]), "%s/%s/slot-%u", PT_CGROUP_DIR, job, k);
	fd = open_dir(r->fd, path[2]);
	if (fd >= 0 || !create || errno != ENOENT)
		return fd >= 0 ? fd : -errno;

	/* a concurrent del may remove an empty particle/ or JOB/ meanwhile */
	for (tries = 0; tries < 10; tries++) {
		for (i = 0; i < 3; i++) {
			if (mkdirat(r->fd, path[i], 0755) == 0)
				*created |= 1U << i;
			else if (errno != EEXIST)
				break;
		}
		if (i == 3)
			break;
		if (errno != ENOENT)
			return -errno;
	}
	fd = open_dir(r->fd, path[2]);
	return fd >= 0 ? fd : -errno;
}

/* Remove what pt_cgroup_slot_dir made (empty groups only). */
void pt_cgroup_slot_undo(const struct pt_cgroot *r, const char *job, __u32 k,
			 unsigned int created)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/slot-%u", PT_CGROUP_DIR, job, k);
	if (created & 4)
		unlinkat(r->fd, path, AT_REMOVEDIR);
	if (created & 2) {
		*strrchr(path, '/') = '\0';
		unlinkat(r->fd, path, AT_REMOVEDIR);
	}
	if (created & 1)
		unlinkat(r->fd, PT_CGROUP_DIR, AT_REMOVEDIR);
}

/* Remember a group of somebody else's that carries the guard of slot k. */
int pt_cgroup_remember(const struct pt_cgroot *r, const char *job, __u32 k,
		       int group)
{
	char path[PATH_MAX], link[64], name[64], val[PATH_MAX + 16], *rel;
	unsigned int created;
	struct stat st;
	int jfd, ret;

	if (fstat(group, &st))
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", group);
	ret = readlink(link, path, sizeof(path) - 1);
	if (ret < 0)
		return -errno;
	path[ret] = '\0';
	rel = path + strlen(r->mnt);
	if (strncmp(path, r->mnt, strlen(r->mnt)) || (*rel && *rel != '/'))
		return -EXDEV;
	snprintf(name, sizeof(name), XATTR_PREFIX "%llu",
		 (unsigned long long)st.st_ino);
	snprintf(val, sizeof(val), "%u %s", k, *rel ? rel + 1 : ".");
	/* the job's group carries the note */
	jfd = open_job_dir(r, job);
	if (jfd < 0 && errno == ENOENT) {
		ret = pt_cgroup_slot_dir(r, job, k, true, &created);
		if (ret < 0)
			return ret;
		close(ret);
		jfd = open_job_dir(r, job);
	}
	if (jfd < 0)
		return -errno;
	ret = fsetxattr(jfd, name, val, strlen(val), 0) ? -errno : 0;
	close(jfd);
	return ret;
}

/*
 * Call fn for every remembered group of job that still exists (same
 * inode), with the slot it guards.
 */
static int foreign_each(const struct pt_cgroot *r, int jfd,
			int (*fn)(int group, __u32 k, void *arg), void *arg)
{
	char list[4096], *name;
	ssize_t len = flistxattr(jfd, list, sizeof(list));
	int count = 0;

	if (len < 0)
		return 0;
	for (name = list; name < list + len; name += strlen(name) + 1) {
		char val[PATH_MAX + 16], *rel;
		unsigned long long ino;
		struct stat st;
		ssize_t n;
		__u32 k;
		int g;

		if (strncmp(name, XATTR_PREFIX, strlen(XATTR_PREFIX)))
			continue;
		ino = strtoull(name + strlen(XATTR_PREFIX), NULL, 10);
		n = fgetxattr(jfd, name, val, sizeof(val) - 1);
		if (n <= 0)
			continue;
		val[n] = '\0';
		k = strtoul(val, &rel, 10);
		if (*rel != ' ')
			continue;
		g = open_dir(r->fd, rel + 1);
		if (g < 0)
			continue;
		if (fstat(g, &st) == 0 && st.st_ino == ino)
			count += fn(g, k, arg);
		close(g);
	}
	return count;
}

struct foreign_arg {
	const struct pt_job *job;
};

static int foreign_unguard(int group, __u32 k, void *arg)
{
	const struct foreign_arg *fa = arg;
	struct pt_slot s;

	pt_slot_init(&s, fa->job, k);
	pt_guard_remove(group, &s);
	return 0;
}

static int foreign_populated(int group, __u32 k, void *arg)
{
	(void)k;
	(void)arg;
	return pt_cgroup_populated(group) == 1;
}

/* SIGKILL everything in dir and below (for kernels without cgroup.kill) */
static void kill_tree(int dir)
{
	FILE *f = pt_cgroup_fopen(dir, "cgroup.procs");
	struct dirent *de;
	DIR *d;

	if (f) {
		int pid;

		while (fscanf(f, "%d", &pid) == 1)
			kill(pid, SIGKILL);
		fclose(f);
	}
	d = list_dir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = open_dir(dir, de->d_name);
		if (sub >= 0) {
			kill_tree(sub);
			close(sub);
		}
	}
	closedir(d);
}

/* Take the guards off dir and everything below it, then remove it all. */
static int remove_tree(int parent, const char *name)
{
	struct dirent *de;
	int dir, ret = 0;
	DIR *d;

	dir = open_dir(parent, name);
	if (dir < 0)
		return errno == ENOENT ? 0 : -errno;
	d = list_dir(dir);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_type == DT_DIR && de->d_name[0] != '.') {
				int err = remove_tree(dir, de->d_name);

				if (err && !ret)
					ret = err;
			}
		}
		closedir(d);
	}
	pt_guard_remove(dir, NULL);
	close(dir);
	if (unlinkat(parent, name, AT_REMOVEDIR) && errno != ENOENT && !ret)
		ret = -errno;
	return ret;
}

/*
 * del and flush: every process in the job's groups is killed (SIGKILL,
 * through cgroup.kill), then the guards come off and the groups go; on
 * remembered groups of others only the guard comes off.
 */
int pt_cgroup_job_remove(const struct pt_cgroot *r, const struct pt_job *job)
{
	struct foreign_arg fa = { job };
	int pdir, jfd, ret, i;

	if (r->fd < 0)
		return 0;
	pdir = open_dir(r->fd, PT_CGROUP_DIR);
	if (pdir < 0)
		return errno == ENOENT ? 0 : -errno;
	jfd = open_dir(pdir, job->name);
	if (jfd < 0) {
		ret = errno == ENOENT ? 0 : -errno;
		close(pdir);
		return ret;
	}
	foreign_each(r, jfd, foreign_unguard, &fa);
	if (pt_cgroup_populated(jfd) == 1) {
		if (write_at(jfd, "cgroup.kill", "1"))
			kill_tree(jfd);
		/* up to 10 s for the processes to go */
		for (i = 0; i < 10000 && pt_cgroup_populated(jfd) == 1; i++) {
			const struct timespec ms = { 0, 1000000 };

			nanosleep(&ms, NULL);
			if (i % 1000 == 999)
				kill_tree(jfd);
		}
	}
	close(jfd);
	ret = remove_tree(pdir, job->name);
	/* the last job takes particle/ with it (a busy one stays) */
	unlinkat(r->fd, PT_CGROUP_DIR, AT_REMOVEDIR);
	close(pdir);
	return ret;
}

/* set: the groups of slots >= count go, when nothing runs in them. */
int pt_cgroup_trim(const struct pt_cgroot *r, const struct pt_job *job,
		   __u32 count)
{
	struct dirent *de;
	int jfd;
	DIR *d;

	jfd = open_job_dir(r, job->name);
	if (jfd < 0)
		return 0;
	d = list_dir(jfd);
	if (!d) {
		close(jfd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		unsigned int k;
		char end;
		int s;

		if (sscanf(de->d_name, "slot-%u%c", &k, &end) != 1 || k < count)
			continue;
		s = open_dir(jfd, de->d_name);
		if (s < 0)
			continue;
		if (pt_cgroup_populated(s) == 0) {
			close(s);
			remove_tree(jfd, de->d_name);
		} else {
			close(s);
		}
	}
	closedir(d);
	close(jfd);
	return 0;
}

/* show: how many slots of job have a process running (its functions). */
unsigned int pt_cgroup_functions(const struct pt_cgroot *r,
				 const struct pt_job *job)
{
	unsigned int n = 0;
	struct dirent *de;
	int jfd;
	DIR *d;

	jfd = open_job_dir(r, job->name);
	if (jfd < 0)
		return 0;
	n += foreign_each(r, jfd, foreign_populated, NULL);
	d = list_dir(jfd);
	if (!d) {
		close(jfd);
		return n;
	}
	while ((de = readdir(d))) {
		int s;

		if (strncmp(de->d_name, "slot-", 5))
			continue;
		s = open_dir(jfd, de->d_name);
		if (s < 0)
			continue;
		n += pt_cgroup_populated(s) == 1;
		close(s);
	}
	closedir(d);
	close(jfd);
	return n;
}

/*
 * del, flush (keep 0) and a shrinking set (keep = the new count): the
 * job's groups beyond keep.  Without cgroup2 there is nothing to tidy.
 */
int pt_cgroup_tidy(const struct pt_job *job, __u32 keep)
{
	struct pt_cgroot r;
	int ret;

	if (pt_cgroup_open(&r))
		return 0;
	ret = keep ? pt_cgroup_trim(&r, job, keep) : pt_cgroup_job_remove(&r, job);
	if (ret)
		pt_error("job \"%s\": removing its cgroup groups under %s/%s failed: %s",
			 job->name, r.mnt, PT_CGROUP_DIR, strerror(-ret));
	pt_cgroup_close(&r);
	return ret ? -2 : 0;
}
