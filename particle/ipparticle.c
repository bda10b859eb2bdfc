// SPDX-License-Identifier: GPL-2.0
/*
 * ipparticle.c	"ip particle": per-job overlay namespaces with a pool
 *		of per-function addresses (see ip-particle(8)).
 */
#include <stdio.h>
#include <string.h>

#include "utils.h"
#include "ip_common.h"
#include "particle.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: ip particle add JOB vtep DEV count N [ pool ADDR/PLEN ]\n"
		"                       [ mode { addrs | anyip } ] [ bridge BR ]\n"
		"                       [ mac LLADDR ] [ mtu MTU ] [ gateway ADDR ]\n"
		"                       [ rate RATE ] [ slot-rate RATE ] [ slot-ceil RATE ]\n"
		"                       [ counters { on | off } ]\n"
		"       ip particle set JOB { count N | rate RATE | slot-rate RATE |\n"
		"                             slot-ceil RATE | counters { on | off } } ...\n"
		"       ip particle del JOB\n"
		"       ip particle flush\n"
		"       ip particle show [ JOB ]\n"
		"       ip particle slots JOB\n"
		"       ip particle exec JOB slot K CMD [ ARG ... ]\n"
		"       ip particle guard JOB slot K { pid PID | cgroup PATH }\n"
		"       ip particle help\n"
		"pool may be given twice, once per address family (dual stack).\n"
		"RATE as tc writes it (100mbit, 1gbit, 12500kbps) or none; ip -s particle\n"
		"slots JOB prints per-slot counters, ip -s particle show the job's totals.\n");
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

static const struct {
	const char *verb;
	int (*fn)(int argc, char **argv);
} verbs[] = {
	/* order decides abbreviations: "s" is show, as everywhere in ip */
	{ "show",	pt_do_show },
	{ "list",	pt_do_show },
	{ "lst",	pt_do_show },
	{ "slots",	pt_do_slots },
	{ "set",	pt_do_set },
	{ "add",	pt_do_add },
	{ "delete",	pt_do_del },
	{ "flush",	pt_do_flush },
	{ "exec",	pt_do_exec },
	{ "guard",	pt_do_guard },
	{ "help",	do_help },
};

/*
 * Whether "ip -n NS particle ARGS" needs the private mount namespace of
 * ip -n (see particle_netns_finish()): exec only, found as do_particle
 * finds its verb.
 */
bool particle_needs_mount_ns(int argc, char **argv)
{
	unsigned int i;

	if (argc < 1)
		return false;
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (matches(*argv, verbs[i].verb) == 0)
			return verbs[i].fn == pt_do_exec;
	return false;
}

int do_particle(int argc, char **argv)
{
	unsigned int i;

	if (argc < 1)
		return pt_do_show(0, NULL);

	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (matches(*argv, verbs[i].verb) == 0)
			return verbs[i].fn(argc - 1, argv + 1);

	pt_error("unknown command \"%s\": try \"ip particle help\"", *argv);
	return -1;
}
