// SPDX-License-Identifier: GPL-2.0
/*
 * fnlaunch.c: the C twin of fnlaunch.py (same arguments, same behaviour),
 * for particle/lab/bench.sh, which compiles it with cc when it can: a
 * fork of this small process costs a fraction of a fork of python, so the
 * function start-up does not drown the network setup being measured.
 *
 * Reads "NETNS_PATH ADDR" lines on stdin; for each, at once, forks a
 * function: setns(NETNS_PATH), unshare(mount, uts, ipc, pid), / made
 * rprivate, fork (the function is pid 1 of its pid namespace), then a TCP
 * connection from ADDR to LEADER:PORT, retried every INTERVAL seconds
 * (each try bounded by TIMEOUT) up to TRIES times.  Exit 0 if every
 * function got through, else 1.
 *
 * usage: fnlaunch LEADER PORT [TRIES] [INTERVAL] [TIMEOUT]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int try_connect(const char *addr, const char *leader, int port, int timeout_ms)
{
	struct sockaddr_storage src = {0}, dst = {0};
	socklen_t len;
	int fam = strchr(leader, ':') ? AF_INET6 : AF_INET;
	int s, err = 0;
	socklen_t el = sizeof(err);
	struct pollfd p;

	if (fam == AF_INET) {
		struct sockaddr_in *a = (void *)&src, *b = (void *)&dst;

		a->sin_family = b->sin_family = AF_INET;
		if (inet_pton(AF_INET, addr, &a->sin_addr) != 1 ||
		    inet_pton(AF_INET, leader, &b->sin_addr) != 1)
			return -2;
		b->sin_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&src, *b = (void *)&dst;

		a->sin6_family = b->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1 ||
		    inet_pton(AF_INET6, leader, &b->sin6_addr) != 1)
			return -2;
		b->sin6_port = htons(port);
		len = sizeof(*a);
	}
	s = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (bind(s, (void *)&src, len) < 0)
		goto fail;
	if (connect(s, (void *)&dst, len) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		p.fd = s;
		p.events = POLLOUT;
		if (poll(&p, 1, timeout_ms) != 1)
			goto fail;
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
			goto fail;
	}
	close(s);
	return 0;
fail:
	close(s);
	return -1;
}

static void function(const char *nspath, const char *addr, const char *leader,
		     int port, int tries, int interval_ms, int timeout_ms)
{
	int fd, status, i;
	pid_t pid;

	fd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "fnlaunch: setns %s: %s\n", nspath, strerror(errno));
		_exit(255);
	}
	close(fd);
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID) < 0 ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "fnlaunch: unshare: %s\n", strerror(errno));
		_exit(255);
	}
	pid = fork();
	if (pid < 0)
		_exit(255);
	if (pid > 0) {
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
			_exit(255);
		_exit(WEXITSTATUS(status));
	}
	/* pid 1 of the function's pid namespace */
	for (i = 1; i <= tries; i++) {
		int r = try_connect(addr, leader, port, timeout_ms);

		if (r == 0)
			_exit(i < 253 ? i : 253);
		if (r == -2) {
			fprintf(stderr, "fnlaunch: bad address %s or %s\n", addr, leader);
			_exit(255);
		}
		usleep(interval_ms * 1000);
	}
	_exit(254);
}

int main(int argc, char **argv)
{
	char line[4200], nspath[4097], addr[65];
	int children = 0, failed = 0, multi = 0, maxa = 0, port, tries, interval_ms, timeout_ms;

	if (argc < 3) {
		fprintf(stderr, "usage: fnlaunch LEADER PORT [TRIES] [INTERVAL] [TIMEOUT]\n");
		return 2;
	}
	port = atoi(argv[2]);
	tries = argc > 3 ? atoi(argv[3]) : 200;
	interval_ms = (int)(1000 * (argc > 4 ? atof(argv[4]) : 0.1));
	timeout_ms = (int)(1000 * (argc > 5 ? atof(argv[5]) : 0.5));
	while (fgets(line, sizeof(line), stdin)) {
		pid_t pid;

		if (sscanf(line, "%4096s %64s", nspath, addr) != 2)
			continue;
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			perror("fnlaunch: fork");
			failed++;
			continue;
		}
		if (pid == 0)
			function(nspath, addr, argv[1], port, tries, interval_ms, timeout_ms);
		children++;
	}
	while (children-- > 0) {
		int status, code;

		if (wait(&status) < 0)
			break;
		code = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
		if (code < 1 || code > 253) {
			failed++;
			continue;
		}
		multi += code > 1;
		maxa = code > maxa ? code : maxa;
	}
	if (failed)
		fprintf(stderr, "fnlaunch: %d functions failed\n", failed);
	if (getenv("FNLAUNCH_STATS"))
		fprintf(stderr, "fnlaunch: max tries %d, %d needed more than one\n", maxa, multi);
	return failed ? 1 : 0;
}
