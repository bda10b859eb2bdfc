// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the command parser: the input is the argument
 * vector of "ip particle ..." with its words separated by NUL bytes.
 *
 * Words starting with "add" go to pt_parse_add(), whose every accepted
 * job must be valid and, if add could install it, read back from its
 * record unchanged.  Every input then goes through do_particle(), the
 * dispatch and each verb's own argument checks, as an unprivileged user
 * and with no rtnetlink socket, so no verb gets past its checks to the
 * kernel (see LLVMFuzzerInitialize).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/mount.h>

#include "utils.h"
#include "particle.h"
#include "fuzz_check.h"

#define FUZZ_ARGS	32
#define FUZZ_LEN	4096

int do_particle(int argc, char **argv);

/*
 * Runs the verbs as "nobody" (pt_need_root() refuses) in network and mount
 * namespaces of its own: should a verb get past its checks, it still
 * cannot change anything of the host.  Corpus and crash directories must
 * be writable by nobody (fuzz.sh sees to it).
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (geteuid() != 0)
		return 0;
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
		perror("fuzz_parse: leaving root");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[FUZZ_LEN + 1];
	char *argv[FUZZ_ARGS + 1];
	struct pt_job job;
	size_t off = 0;
	int argc = 0;

	if (size > FUZZ_LEN)
		return -1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* a trailing NUL ends the last word, it does not add an empty one */
	while (off < size && argc < FUZZ_ARGS) {
		argv[argc++] = buf + off;
		off += strlen(buf + off) + 1;
	}
	if (off < size)
		return -1;	/* too many words: not an interesting case */
	argv[argc] = NULL;

	if (argc > 0 && strncmp(argv[0], "add", 3) == 0 &&
	    pt_parse_add(argc - 1, argv + 1, &job) == 0) {
		fuzz_check_job(&job);
		FUZZ_ASSERT(strcmp(job.name, argv[1]) == 0);
		fuzz_check_roundtrip(&job);
	}
	if (argc > 0 && strcmp(argv[0], "count") == 0 && argc == 2) {
		__u32 count;

		/* set's number parser: accepted means exactly that number */
		if (pt_parse_count(argv[1], &count) == 0) {
			char back[16];

			snprintf(back, sizeof(back), "%u", count);
			FUZZ_ASSERT(count >= 1);
			FUZZ_ASSERT(strspn(argv[1], "0123456789") ==
				    strlen(argv[1]));
			FUZZ_ASSERT(strcmp(argv[1] + strspn(argv[1], "0"),
					   back) == 0);
		}
	}
	do_particle(argc, argv);
	return 0;
}
