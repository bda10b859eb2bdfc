// SPDX-License-Identifier: GPL-2.0
/*
 * Command line to job description.  Nothing here touches the kernel, and
 * nothing exits: in -batch -force mode a bad line must not end the batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <math.h>
#include <sys/socket.h>

#include "utils.h"
#include "particle.h"

/* add's keywords; an abbreviation must be at least minlen long. */
enum pt_kw {
	KW_VTEP, KW_COUNT, KW_POOL, KW_MODE, KW_BRIDGE, KW_MAC, KW_MTU,
	KW_GATEWAY, KW_RATE, KW_SLOT_RATE, KW_SLOT_CEIL, KW_COUNTERS, KW_MAX
};

static const struct {
	const char *name;
	size_t minlen;
} keywords[KW_MAX] = {
	[KW_VTEP]	= { "vtep", 1 },
	[KW_COUNT]	= { "count", 1 },
	[KW_POOL]	= { "pool", 1 },
	[KW_MODE]	= { "mode", 2 },
	[KW_BRIDGE]	= { "bridge", 1 },
	[KW_MAC]	= { "mac", 2 },
	[KW_MTU]	= { "mtu", 2 },
	[KW_GATEWAY]	= { "gateway", 1 },
	[KW_RATE]	= { "rate", 1 },
	[KW_SLOT_RATE]	= { "slot-rate", 6 },
	[KW_SLOT_CEIL]	= { "slot-ceil", 6 },
	[KW_COUNTERS]	= { "counters", 6 },
};

static int keyword(const char *arg)
{
	size_t len = strlen(arg);
	int i;

	for (i = 0; i < KW_MAX; i++)
		if (len >= keywords[i].minlen &&
		    matches(arg, keywords[i].name) == 0)
			return i;
	return -1;
}

/* A decimal number of 32 bits: digits only (strtoul alone would take
 * " 2", "+2" and "-4294967295"), range-checked by get_u32(). */
int pt_get_u32(const char *arg, __u32 *v)
{
	if (!*arg || strspn(arg, "0123456789") != strlen(arg))
		return -1;
	return get_u32(v, arg, 10);
}

int pt_parse_count(const char *arg, __u32 *count)
{
	__u32 v;

	if (pt_get_u32(arg, &v) || v == 0) {
		pt_error("argument \"%s\" is wrong: count must be a whole number of slots, at least 1",
			 arg);
		return -1;
	}
	*count = v;
	return 0;
}

/* Limits of each mode, said up front rather than found half way. */
int pt_check_count(const struct pt_job *job, __u32 count)
{
	__u32 max = pt_count_max(job);

	if (count > max) {
		pt_error("count %u is more than mode %s holds: at most %u slots%s",
			 count, pt_mode_name(job->mode), max,
			 job->mode == PT_MODE_ADDRS ?
			 " (mode anyip holds more)" : "");
		return -1;
	}
	return 0;
}

int pt_pool_parse(const char *arg, struct pt_pool *pool)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	__u32 plen;

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (!slash) {
		pt_error("argument \"%s\" is wrong: pool needs a prefix length, as in 10.0.0.2/24",
			 arg);
		return -1;
	}
	*slash++ = '\0';
	if (pt_addr_parse_any(buf, &pool->family, &pool->first))
		goto bad;
	if (pt_get_u32(slash, &plen) ||
	    plen > (__u32)pt_addr_width(pool->family)) {
		pt_error("argument \"%s\" is wrong: prefix length must be 0 to %d",
			 arg, pt_addr_width(pool->family));
		return -1;
	}
	pool->plen = plen;
	pool->arg = arg;
	if (!pt_pool_room(pool)) {	/* outside the usable range */
		struct pt_addr net = pt_pool_network(pool);

		pt_error("argument \"%s\" is wrong: %s is the %s address of its subnet, not a usable one",
			 arg, buf,
			 pt_addr_cmp(&pool->first, &net) == 0 ? "network"
							      : "broadcast");
		return -1;
	}
	return 0;
bad:
	pt_error("argument \"%s\" is wrong: pool must be ADDR/PLEN with an IPv4 or IPv6 address",
		 arg);
	return -1;
}

/*
 * RATE as tc writes it (lib/utils_math.c's get_rate64(), the parser tc
 * uses, is in libutil and linked into ip), or "none" (0).  get_rate64()
 * itself accepts negative, fractional and absurd values: refuse them.
 */
int pt_rate_parse(const char *kw, const char *arg, __u64 *rate)
{
	double v;
	char *end;

	if (strcmp(arg, "none") == 0) {
		*rate = 0;
		return 0;
	}
	v = strtod(arg, &end);
	if (end == arg || !isfinite(v) || v <= 0 || get_rate64(rate, arg) ||
	    v > 1e15) {
		pt_error("argument \"%s\" is wrong: %s must be a rate as tc writes it (100mbit, 1gbit, 12500kbps, ...) or none",
			 arg, kw);
		return -1;
	}
	if (*rate < 1) {
		pt_error("argument \"%s\" is wrong: %s must be at least 8bit (1 byte per second)",
			 arg, kw);
		return -1;
	}
	if (*rate >= PT_TC_UNLIMITED) {
		pt_error("argument \"%s\" is wrong: %s must be below 8.8Tbit",
			 arg, kw);
		return -1;
	}
	return 0;
}

/* A rate for the user, in tc's units (show, and refusals) */
const char *pt_rate_str(__u64 rate, char *buf, size_t len)
{
	/* tc's units, as print_rate() writes them */
	static const char *const units[] = { "bit", "Kbit", "Mbit", "Gbit",
					     "Tbit" };
	__u64 r = rate * 8;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(units) - 1; i++) {
		if (r < 1000 || (r % 1000 && r < 1000000))
			break;
		r /= 1000;
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)r, units[i]);
	return buf;
}

/*
 * Whether job's limits hold together for count slots; 0 or -1 with the
 * refusal said.  arg names the word the user typed when it is not a
 * limit (set's count), else NULL.
 */
int pt_limits_check(const struct pt_job *job, __u32 count, const char *arg)
{
	const struct pt_limits *l = &job->lim;
	char a[32], b[32];

	if (!pt_limits_on(l))
		return 0;
	if (count > PT_TC_SLOTS_MAX) {
		pt_error("argument \"%s\" is wrong: a job with rates or counters has at most %u slots (HTB class ids are 16 bits), not %u",
			 arg ? arg : "count", PT_TC_SLOTS_MAX, count);
		return -1;
	}
	if (l->rate && l->slot_rate > l->rate) {
		pt_error("argument \"slot-rate\" is wrong: slot-rate %s is more than the job's rate %s",
			 pt_rate_str(l->slot_rate, a, sizeof(a)),
			 pt_rate_str(l->rate, b, sizeof(b)));
		return -1;
	}
	if (l->slot_ceil && l->slot_rate > l->slot_ceil) {
		pt_error("argument \"slot-ceil\" is wrong: slot-ceil %s is less than slot-rate %s",
			 pt_rate_str(l->slot_ceil, a, sizeof(a)),
			 pt_rate_str(l->slot_rate, b, sizeof(b)));
		return -1;
	}
	/* guarantees beyond the job's rate would let it exceed that rate */
	if (l->rate && l->slot_rate &&
	    (double)l->slot_rate * count > (double)l->rate) {
		pt_error("argument \"%s\" is wrong: %u slots of slot-rate %s guarantee more than the job's rate %s",
			 arg ? arg : "slot-rate", count,
			 pt_rate_str(l->slot_rate, a, sizeof(a)),
			 pt_rate_str(l->rate, b, sizeof(b)));
		return -1;
	}
	return 0;
}

static int parse_mac(const char *arg, __u8 *mac)
{
	unsigned int b[ETH_ALEN];
	char tail;
	int i;

	if (sscanf(arg, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &tail) != ETH_ALEN ||
	    strlen(arg) != 17) {
		pt_error("argument \"%s\" is wrong: mac must be LLADDR, as in 02:00:00:00:00:01",
			 arg);
		return -1;
	}
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = b[i];
	if ((mac[0] & 1) || !(b[0] | b[1] | b[2] | b[3] | b[4] | b[5])) {
		pt_error("argument \"%s\" is wrong: mac must be a unicast address, not multicast or all zeros",
			 arg);
		return -1;
	}
	return 0;
}

/* rate, slot-rate, slot-ceil RATE|none and counters on|off (add and set) */
int pt_parse_limit(const char *kw, const char *arg, struct pt_limits *l)
{
	if (strcmp(kw, "counters") == 0) {
		if (strcmp(arg, "on") && strcmp(arg, "off")) {
			pt_error("argument \"%s\" is wrong: counters must be on or off",
				 arg);
			return -1;
		}
		l->counters = strcmp(arg, "on") == 0;
		return 0;
	}
	return pt_rate_parse(kw, arg, strcmp(kw, "rate") == 0 ? &l->rate :
			     strcmp(kw, "slot-rate") == 0 ? &l->slot_rate :
			     &l->slot_ceil);
}

static int parse_value(int kw, const char *arg, struct pt_job *job)
{
	switch (kw) {
	case KW_VTEP:
	case KW_BRIDGE: {
		char *dst = kw == KW_VTEP ? job->vtep : job->bridge;

		if (!pt_ifname_valid(arg)) {
			pt_error("argument \"%s\" is wrong: %s must be a device name of 1 to %d characters",
				 arg, keywords[kw].name, IFNAMSIZ - 1);
			return -1;
		}
		strcpy(dst, arg);
		return 0;
	}
	case KW_COUNT:
		return pt_parse_count(arg, &job->count);
	case KW_POOL: {
		struct pt_pool *p = &job->pools[job->npools];

		if (job->npools == PT_POOLS_MAX) {
			pt_error("argument \"%s\" is wrong: pool may be given at most twice, once per family",
				 arg);
			return -1;
		}
		if (pt_pool_parse(arg, p))
			return -1;
		if (pt_job_has_family(job, p->family)) {
			pt_error("argument \"%s\" is wrong: a second pool must be of the other address family",
				 arg);
			return -1;
		}
		job->npools++;
		return 0;
	}
	case KW_MODE:
		if (strcmp(arg, "addrs") == 0) {
			job->mode = PT_MODE_ADDRS;
		} else if (strcmp(arg, "anyip") == 0) {
			job->mode = PT_MODE_ANYIP;
		} else {
			pt_error("argument \"%s\" is wrong: mode must be addrs or anyip",
				 arg);
			return -1;
		}
		return 0;
	case KW_MAC:
		job->has_mac = true;
		return parse_mac(arg, job->mac);
	case KW_MTU: {
		__u32 v;

		if (pt_get_u32(arg, &v) || v < 68 || v > 65535) {
			pt_error("argument \"%s\" is wrong: mtu must be a number from 68 to 65535",
				 arg);
			return -1;
		}
		job->mtu = v;
		return 0;
	}
	case KW_GATEWAY:
		if (pt_addr_parse_any(arg, &job->gw_family, &job->gateway)) {
			pt_error("argument \"%s\" is wrong: gateway must be an IPv4 or IPv6 address",
				 arg);
			return -1;
		}
		job->has_gateway = true;
		return 0;
	case KW_RATE:
	case KW_SLOT_RATE:
	case KW_SLOT_CEIL:
	case KW_COUNTERS:
		return pt_parse_limit(keywords[kw].name, arg, &job->lim);
	}
	return -1;
}

int pt_parse_add(int argc, char **argv, struct pt_job *job)
{
	unsigned int seen = 0;

	memset(job, 0, sizeof(*job));
	if (argc < 1) {
		pt_error("missing JOB: ip particle add JOB vtep DEV count N ...");
		return -1;
	}
	if (!pt_job_name_valid(*argv)) {
		pt_error("argument \"%s\" is wrong: JOB must be 1 to %d characters of A-Z a-z 0-9 _ . -, not starting with \".\" or \"-\"",
			 *argv, PT_JOB_MAX);
		return -1;
	}
	strcpy(job->name, *argv);
	pt_port_name(job->name, job->port);
	NEXT_ARG_FWD();

	while (argc > 0) {
		int kw = keyword(*argv);

		if (kw < 0) {
			pt_error("unknown keyword \"%s\": expected vtep, count, pool, mode, bridge, mac, mtu, gateway, rate, slot-rate, slot-ceil or counters",
				 *argv);
			return -1;
		}
		if ((seen & (1U << kw)) && kw != KW_POOL) {
			pt_error("keyword \"%s\" given twice", keywords[kw].name);
			return -1;
		}
		seen |= 1U << kw;
		if (argc < 2) {
			pt_error("keyword \"%s\" needs a value", keywords[kw].name);
			return -1;
		}
		NEXT_ARG_FWD();
		if (parse_value(kw, *argv, job))
			return -1;
		NEXT_ARG_FWD();
	}

	if (!(seen & (1U << KW_VTEP))) {
		pt_error("missing \"vtep DEV\": the VXLAN device or bridge of the overlay");
		return -1;
	}
	if (!(seen & (1U << KW_COUNT))) {
		pt_error("missing \"count N\": how many function slots");
		return -1;
	}
	return pt_check_count(job, job->count) ?:
	       pt_limits_check(job, job->count, NULL);
}

/* exec and guard both start with JOB slot K. */
static int parse_job_slot(int argc, char **argv, const char *verb,
			  struct pt_fn_args *fa)
{
	if (argc < 1) {
		pt_error("missing JOB: ip particle %s JOB slot K ...", verb);
		return -1;
	}
	if (!pt_job_name_valid(argv[0])) {
		pt_error("argument \"%s\" is wrong: not a valid JOB name", argv[0]);
		return -1;
	}
	if (argc < 2 || strcmp(argv[1], "slot")) {
		pt_error("%s \"%s\": expected \"slot K\" after JOB",
			 argc < 2 ? "missing" : "unknown keyword",
			 argc < 2 ? "slot" : argv[1]);
		return -1;
	}
	if (argc < 3 || pt_get_u32(argv[2], &fa->slot)) {
		pt_error("argument \"%s\" is wrong: slot K needs a number (0 to count-1)",
			 argc < 3 ? "" : argv[2]);
		return -1;
	}
	fa->job = argv[0];
	fa->slot_arg = argv[2];
	return 0;
}

/* exec JOB slot K CMD [ARG...] */
int pt_parse_exec(int argc, char **argv, struct pt_fn_args *fa)
{
	memset(fa, 0, sizeof(*fa));
	if (parse_job_slot(argc, argv, "exec", fa))
		return -1;
	if (argc < 4) {
		pt_error("missing CMD: ip particle exec JOB slot K CMD [ ARG ... ]");
		return -1;
	}
	fa->cmd = argv + 3;
	return 0;
}

/* guard JOB slot K { pid PID | cgroup PATH } */
int pt_parse_guard(int argc, char **argv, struct pt_fn_args *fa)
{
	memset(fa, 0, sizeof(*fa));
	if (parse_job_slot(argc, argv, "guard", fa))
		return -1;
	if (argc < 5 || (strcmp(argv[3], "pid") && strcmp(argv[3], "cgroup"))) {
		pt_error("%s: ip particle guard JOB slot K { pid PID | cgroup PATH }",
			 argc < 4 ? "missing \"pid PID\" or \"cgroup PATH\"" :
			 argc < 5 ? "a value is missing" : "expected pid or cgroup");
		return -1;
	}
	if (argc > 5) {
		pt_error("unknown keyword \"%s\": guard takes one pid or cgroup",
			 argv[5]);
		return -1;
	}
	fa->target_arg = argv[4];
	if (strcmp(argv[3], "cgroup") == 0) {
		fa->cgroup = argv[4];
		return 0;
	}
	if (get_s32(&fa->pid, argv[4], 10) || fa->pid <= 0) {
		pt_error("argument \"%s\" is wrong: pid needs a process id", argv[4]);
		return -1;
	}
	return 0;
}
