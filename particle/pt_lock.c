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
 * What a command killed half way leaves, and how the verbs recognise it
 * (see "Crashes" in HACKING), is told by the busy mark of the record
 * (pt_record.c) and the mark of the namespace (pt_netns.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "utils.h"
#include "particle.h"

#define PT_LOCK_DIR	"/run/particle"
#define PT_LOCK_FILE	PT_LOCK_DIR "/lock"

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

/* The removal byte of a bridge: a second byte, far from every lock byte. */
static __u64 removal_offset(const char *bridge)
{
	return lock_offset(bridge) + (1ULL << 62);
}

static int lock_byte(struct pt_lock *lk, const char *bridge, __u64 offset,
		     short type, const char *what)
{
	struct flock fl = {
		.l_type = type,
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
	fl.l_start = offset;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fcntl(lk->fd, F_OFD_SETLKW, &fl)) {
		if (errno == EINTR)
			continue;
		pt_error("cannot lock %s \"%s\" in %s: %s", what, bridge,
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

int pt_lock_bridge(struct pt_lock *lk, const char *bridge)
{
	return lock_byte(lk, bridge, lock_offset(bridge), F_WRLCK, "bridge");
}

/*
 * Held (shared) by whoever removes a port of the bridge, from before the
 * port goes until the bridge's port count (pt_resv.c) is lowered: while
 * any is held, a count read under the bridge lock may be one too high
 * but never too low, and must not be set to what the ports show.
 */
int pt_lock_removal(struct pt_lock *lk, const char *bridge)
{
	return lock_byte(lk, bridge, removal_offset(bridge), F_RDLCK,
			 "removals on bridge");
}

/*
 * Under the bridge lock lk: true if no removal is under way on the
 * bridge (its removal byte could be taken, and was given back).
 */
bool pt_lock_no_removals(const struct pt_lock *lk, const char *bridge)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = removal_offset(bridge),
		.l_len = 1,
	};

	if (lk->fd < 0 || fcntl(lk->fd, F_OFD_SETLK, &fl))
		return false;
	fl.l_type = F_UNLCK;
	fcntl(lk->fd, F_OFD_SETLK, &fl);
	return true;
}

void pt_unlock(struct pt_lock *lk)
{
	if (lk->fd >= 0)
		close(lk->fd);	/* drops the OFD lock */
	lk->fd = -1;
}
