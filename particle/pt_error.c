// SPDX-License-Identifier: GPL-2.0
/*
 * Refusals in iproute2's words: "Error: ...." on stderr.  The lowest layer
 * of particle/: every other file may call it, it calls none of them.
 */
#include <stdio.h>
#include <stdarg.h>
#include <unistd.h>

#include "particle.h"

void pt_error(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(".\n", stderr);
}

int pt_need_root(const char *verb)
{
	if (geteuid() == 0)
		return 0;
	pt_error("ip particle %s needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)",
		 verb);
	return -1;
}

/* del, set, show JOB and slots JOB of a job that is not there */
void pt_error_no_job(const char *name)
{
	pt_error("argument \"%s\" is wrong: no particle job \"%s\" in this vtep namespace",
		 name, name);
}
