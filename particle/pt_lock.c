// SPDX-License-Identifier: GPL-2.0
/*
 * Many "ip particle" processes at once, and crashes half way.
 *
 * The bridge lock: choosing and checking a pool and making it visible
 * (the port's record) is one critical section per bridge.  The lock is an
 * open file description lock on one byte of /run/particle/lock, at an
 * offset hashed from the vtep namespace (device and inode of its nsfs
 * file) and the bridge's name: jobs on different bridges do not wait for
 * each other, and the kernel drops the lock when the process dies.
 *
 * Remnants: what a command killed half way can leave, and how the verbs
 * recognise it (see "Crashes" in HACKING).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>

#include "utils.h"
#include "namespace.h"
#include "particle.h"

#define PT_LOCK_DIR	"/run/particle"
#define PT_LOCK_FILE	PT_LOCK_DIR "/lock"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC	0x6e736673
#endif

/* Test hook: PARTICLE_FAULT=STEP kills this process right after STEP. */
void pt_fault(const char *step)
{
	static const char *want;
	static bool read;

	if (!read) {
		want = getenv("PARTICLE_FAULT");
		read = true;
	}
	if (want && strcmp(want, step) == 0)
		kill(getpid(), SIGKILL);
}

/* The vtep namespace as "DEV:INO" of its nsfs file ("?" if unknown). */
const char *pt_vtepns_id(void)
{
	static char id[48];
	struct stat st;

	if (!id[0]) {
		if (stat("/proc/self/ns/net", &st))
			strcpy(id, "?");
		else
			snprintf(id, sizeof(id), "%llx:%llu",
				 (unsigned long long)st.st_dev,
				 (unsigned long long)st.st_ino);
	}
	return id;
}

static __u64 lock_offset(const char *bridge)
{
	const char *s[2] = { pt_vtepns_id(), bridge };
	__u64 h = 0xcbf29ce484222325ULL;
	int i;

	for (i = 0; i < 2; i++) {
		const unsigned char *p = (const unsigned char *)s[i];

		do {
			h ^= *p;
			h *= 0x100000001b3ULL;
		} while (*p++);
	}
	/* a positive off_t well below the top, so that offset + 1 fits */
	return h >> 2;
}

int pt_lock_bridge(struct pt_lock *lk, const char *bridge)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_len = 1,
	};
	struct timespec t0, t1;

	lk->fd = -1;
	lk->wait_us = 0;
	if (mkdir(PT_LOCK_DIR, 0755) && errno != EEXIST) {
		pt_error("cannot create %s for the bridge lock: %s",
			 PT_LOCK_DIR, strerror(errno));
		return -1;
	}
	lk->fd = open(PT_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk->fd < 0) {
		pt_error("cannot open the bridge lock %s: %s", PT_LOCK_FILE,
			 strerror(errno));
		return -1;
	}
	fl.l_start = lock_offset(bridge);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fcntl(lk->fd, F_OFD_SETLKW, &fl)) {
		if (errno == EINTR)
			continue;
		pt_error("cannot lock bridge \"%s\" in %s: %s", bridge,
			 PT_LOCK_FILE, strerror(errno));
		close(lk->fd);
		lk->fd = -1;
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	lk->wait_us = (t1.tv_sec - t0.tv_sec) * 1000000ULL +
		      (t1.tv_nsec - t0.tv_nsec) / 1000;
	return 0;
}

void pt_unlock(struct pt_lock *lk)
{
	if (lk->fd >= 0)
		close(lk->fd);	/* drops the OFD lock */
	lk->fd = -1;
}

/* ---- records of jobs that are not whole ---- */

/* The value of " KEY=" in a record, copied into val; 0 if present. */
static int record_value(const char *alias, const char *key, char *val,
			size_t len)
{
	size_t klen = strlen(key);
	const char *p = alias;

	while ((p = strchr(p, ' ')) != NULL) {
		p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " ");

			if (n >= len)
				return -1;
			memcpy(val, p + klen + 1, n);
			val[n] = '\0';
			return 0;
		}
	}
	return -1;
}

int pt_record_mark_busy(char *record, size_t len, const char *verb)
{
	size_t n = strlen(record);
	int m = snprintf(record + n, len - n, " " PT_BUSY_KEY "=%s", verb);

	if (m < 0 || (size_t)m >= len - n) {
		record[n] = '\0';	/* too long to mark: stays unmarked */
		return -1;
	}
	return 0;
}

/*
 * Called for every port whose ifalias starts with "particle:".  parsed is
 * the result of pt_record_parse() on it.  Sets f->damaged when the record
 * does not describe a whole job, and gives the job the name del, flush
 * and show must use for it (a damaged record's own name is trusted only
 * when it derives the port's name).
 */
void pt_found_check(struct pt_found *f, const char *alias, const char *ifname,
		    int parsed)
{
	char name[PT_JOB_MAX + 1], port[IFNAMSIZ], verb[16];

	if (parsed == 0) {
		pt_port_name(f->job.name, port);
		if (strcmp(port, ifname) == 0) {
			if (record_value(alias, PT_BUSY_KEY, verb,
					 sizeof(verb)) == 0)
				f->damaged = strcmp(verb, "set") == 0 ?
					     "set not finished" :
					     "add not finished";
			return;
		}
		f->damaged = "record names another job";
	} else {
		f->damaged = "record unreadable";
	}

	/* keep nothing of a record that cannot be trusted but a name */
	memset(&f->job, 0, sizeof(f->job));
	if (record_value(alias, "job", name, sizeof(name)) == 0 &&
	    pt_job_name_valid(name)) {
		pt_port_name(name, port);
		if (strcmp(port, ifname) == 0) {
			strcpy(f->job.name, name);
			return;
		}
	}
	if (strncmp(ifname, PT_PORT_PREFIX, strlen(PT_PORT_PREFIX)) == 0 &&
	    pt_job_name_valid(ifname + strlen(PT_PORT_PREFIX)))
		strcpy(f->job.name, ifname + strlen(PT_PORT_PREFIX));
	/* else: a hashed port name with no usable job name: "" */
}

/* ---- job namespaces that are not whole ---- */

int pt_netns_mark(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, PT_RECORD_TAG " job=%s vtepns=%s\n", name,
			 pt_vtepns_id());

	return n < 0 || (size_t)n >= len ? -1 : n;
}

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

/*
 * rtnl_dump_filter() for the jobs dump, which many processes make while
 * links come and go: it reports NLM_F_DUMP_INTR in *intr (the caller
 * dumps again) instead of printing "Dump was interrupted" for the user.
 */
int pt_dump(struct rtnl_handle *rth, rtnl_filter_t fn, void *arg, bool *intr)
{
	struct sockaddr_nl nladdr;
	struct iovec iov = {};
	struct msghdr msg = {
		.msg_name = &nladdr, .msg_namelen = sizeof(nladdr),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	size_t cap = 0;
	char *buf = NULL;
	int ret = -1;

	*intr = false;
	for (;;) {
		struct nlmsghdr *h;
		ssize_t len;

		iov.iov_base = NULL;
		iov.iov_len = 0;
		do {
			len = recvmsg(rth->fd, &msg, MSG_PEEK | MSG_TRUNC);
		} while (len < 0 && errno == EINTR);
		if (len <= 0)
			goto out;
		if ((size_t)len > cap) {
			char *nb = realloc(buf, len);

			if (!nb)
				goto out;
			buf = nb;
			cap = len;
		}
		iov.iov_base = buf;
		iov.iov_len = cap;
		do {
			len = recvmsg(rth->fd, &msg, 0);
		} while (len < 0 && errno == EINTR);
		if (len <= 0)
			goto out;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (__u32)len);
		     h = NLMSG_NEXT(h, len)) {
			if (nladdr.nl_pid || h->nlmsg_pid != rth->local.nl_pid ||
			    h->nlmsg_seq != rth->dump)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				*intr = true;
			if (h->nlmsg_type == NLMSG_DONE) {
				ret = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				errno = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ?
					-e->error : EIO;
				goto out;
			}
			if (fn(h, arg) < 0)
				goto out;
		}
	}
out:
	free(buf);
	return ret;
}
