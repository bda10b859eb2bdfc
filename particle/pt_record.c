// SPDX-License-Identifier: GPL-2.0
/*
 * The job's record lives in the kernel, as the ifalias of its port:
 *
 *   particle:1 job=JOB vtep=DEV mode=addrs count=N pool=A/P [pool=A/P] [gw=A]
 *	[rate=B] [srate=B] [sceil=B] [acct=1]	(limits in bytes/s, pt_tc.c)
 *
 * so that no daemon or state file is needed and show can rebuild a job
 * from what the kernel holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>

#include "utils.h"
#include "particle.h"

int pt_job_name_valid(const char *name)
{
	size_t len = strlen(name);
	size_t i;

	if (len < 1 || len > PT_JOB_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/*
 * "pt-JOB" while it fits IFNAMSIZ; longer names get a 48-bit FNV-1a hash
 * behind "pt~", a character no job name has, so the two forms never meet.
 */
static __u64 fnv1a(__u64 h, const void *data, size_t len)
{
	const __u8 *p = data;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_OFFSET	0xcbf29ce484222325ULL

void pt_port_name(const char *job, char *port)
{
	__u64 h;

	if (strlen(job) + strlen(PT_PORT_PREFIX) < IFNAMSIZ) {
		snprintf(port, IFNAMSIZ, PT_PORT_PREFIX "%s", job);
		return;
	}
	h = fnv1a(FNV_OFFSET, job, strlen(job));
	snprintf(port, IFNAMSIZ, PT_PORT_HASHED "%012llx",
		 (unsigned long long)(h & 0xffffffffffffULL));
}

/*
 * eth0's MAC unless "mac" is given: locally administered, derived from
 * the job's name and slot 0, so a job made again with the same pool keeps
 * its MAC and the ARP caches of its peers stay right, while jobs of the
 * same name on other nodes (other pools) get other MACs.
 */
void pt_default_mac(const struct pt_job *job, __u8 *mac)
{
	__u8 slot0[16];
	__u64 h;
	int i;

	pt_addr_to_bytes(job->pools[0].family, &job->pools[0].first, slot0);
	h = fnv1a(FNV_OFFSET, job->name, strlen(job->name));
	h = fnv1a(h, slot0, job->pools[0].family == AF_INET6 ? 16 : 4);
	/* FNV mixes short, similar inputs poorly: finish with fmix64 */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	mac[0] = 0x02;
	for (i = 1; i < ETH_ALEN; i++)
		mac[i] = h >> (8 * (i - 1));
}

int pt_record_format(const struct pt_job *job, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t off;
	int i, n;

	n = snprintf(buf, len, PT_RECORD_TAG " job=%s vtep=%s mode=%s count=%u",
		     job->name, job->vtep, pt_mode_name(job->mode), job->count);
	if (n < 0 || (size_t)n >= len)
		return -1;
	off = n;
	for (i = 0; i < job->npools; i++) {
		const struct pt_pool *p = &job->pools[i];

		n = snprintf(buf + off, len - off, " pool=%s/%u",
			     pt_addr_format(p->family, &p->first, a, sizeof(a)),
			     p->plen);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += n;
	}
	if (job->has_gateway) {
		n = snprintf(buf + off, len - off, " gw=%s",
			     pt_addr_format(job->gw_family, &job->gateway, a,
					    sizeof(a)));
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += n;
	}
	return pt_limits_format(&job->lim, buf + off, len - off);
}

/* Whether a job has a tc tree (pt_tc.c) */
bool pt_limits_on(const struct pt_limits *l)
{
	return l->rate || l->slot_rate || l->slot_ceil || l->counters;
}

/* ---- the record: " rate=B srate=B sceil=B acct=1", bytes per second ---- */

int pt_limits_format(const struct pt_limits *l, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	if (l->rate)
		n += snprintf(buf + n, len - n, " rate=%llu",
			      (unsigned long long)l->rate);
	if (l->slot_rate && (size_t)n < len)
		n += snprintf(buf + n, len - n, " srate=%llu",
			      (unsigned long long)l->slot_rate);
	if (l->slot_ceil && (size_t)n < len)
		n += snprintf(buf + n, len - n, " sceil=%llu",
			      (unsigned long long)l->slot_ceil);
	if (l->counters && (size_t)n < len)
		n += snprintf(buf + n, len - n, " acct=1");
	return (size_t)n < len ? 0 : -1;
}

/* 1: key is ours and val good; 0: not ours; -1: ours and damaged */
int pt_limits_parse_kv(const char *key, const char *val, struct pt_limits *l)
{
	__u64 *dst;

	if (strcmp(key, "acct") == 0) {
		if (strcmp(val, "1"))
			return -1;
		l->counters = true;
		return 1;
	}
	if (strcmp(key, "rate") == 0)
		dst = &l->rate;
	else if (strcmp(key, "srate") == 0)
		dst = &l->slot_rate;
	else if (strcmp(key, "sceil") == 0)
		dst = &l->slot_ceil;
	else
		return 0;
	/* checked like a number the user typed: no blank or sign first */
	if (val[0] < '0' || val[0] > '9' || get_u64(dst, val, 10) ||
	    !*dst || *dst >= PT_TC_UNLIMITED)
		return -1;
	return 1;
}

/* A device name the kernel would accept (dev_valid_name) and add takes. */
int pt_ifname_valid(const char *name)
{
	return check_ifname(name) == 0 && !strchr(name, ':') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

/* A count or prefix length as pt_record_format writes it: digits only,
 * no leading zero, within 32 bits. */
static int record_u32(const char *val, __u32 *v)
{
	if ((val[0] == '0' && val[1]) || !*val ||
	    strspn(val, "0123456789") != strlen(val))
		return -1;
	return get_u32(v, val, 10);
}

static int record_pool(char *val, struct pt_pool *p)
{
	char *slash = strchr(val, '/');
	__u32 plen;

	if (!slash)
		return -1;
	*slash = '\0';
	if (pt_addr_parse_any(val, &p->family, &p->first) ||
	    record_u32(slash + 1, &plen) ||
	    plen > (__u32)pt_addr_width(p->family))
		return -1;
	p->plen = plen;
	p->arg = NULL;
	return 0;
}

/* Whether one of the job's pools (so far) is of this address family. */
bool pt_job_has_family(const struct pt_job *job, int family)
{
	int i;

	for (i = 0; i < job->npools; i++)
		if (job->pools[i].family == family)
			return true;
	return false;
}

/* The most slots a job of this mode and these pools may have. */
__u32 pt_count_max(const struct pt_job *job)
{
	if (job->mode != PT_MODE_ANYIP)
		return PT_ADDRS_MAX;
	return pt_job_has_family(job, AF_INET6) ? PT_ANYIP6_MAX : PT_ANYIP_MAX;
}

static int refuse(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

/*
 * Everything read back is checked as add checks what a user types: a
 * record that is not exactly what add could have written is refused.
 * Returns 0 for a well-formed record; otherwise -1, and *why (if why is
 * not NULL) says what is wrong in words fit for "damaged: ...".
 */
int pt_record_parse(const char *alias, struct pt_job *job, const char **why)
{
	enum { F_JOB = 1, F_VTEP = 2, F_MODE = 4, F_COUNT = 8, F_GW = 16 };
	size_t taglen = strlen(PT_RECORD_TAG);
	const char *dummy;
	unsigned int seen = 0;
	char *tok, *save = NULL;
	char buf[256];
	int i;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(job, 0, sizeof(*job));
	if (strncmp(alias, PT_RECORD_TAG " ", taglen + 1) != 0)
		return refuse(why, "not a " PT_RECORD_TAG " record");
	if (strlen(alias) >= sizeof(buf))
		return refuse(why, "record longer than an ifalias holds");
	strcpy(buf, alias + taglen + 1);

	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *val = strchr(tok, '=');
		unsigned int f = 0;

		if (!val)
			return refuse(why, "a word without \"=\"");
		*val++ = '\0';
		if (strcmp(tok, "job") == 0) {
			f = F_JOB;
			if (!pt_job_name_valid(val))
				return refuse(why, "job is not a valid JOB name");
			strcpy(job->name, val);
		} else if (strcmp(tok, "vtep") == 0) {
			f = F_VTEP;
			if (!pt_ifname_valid(val))
				return refuse(why, "vtep is not a valid device name");
			strcpy(job->vtep, val);
		} else if (strcmp(tok, "mode") == 0) {
			f = F_MODE;
			if (strcmp(val, "addrs") == 0)
				job->mode = PT_MODE_ADDRS;
			else if (strcmp(val, "anyip") == 0)
				job->mode = PT_MODE_ANYIP;
			else
				return refuse(why, "mode is neither addrs nor anyip");
		} else if (strcmp(tok, "count") == 0) {
			f = F_COUNT;
			if (record_u32(val, &job->count) || !job->count)
				return refuse(why, "count is not a number from 1 to 4294967295");
		} else if (strcmp(tok, "pool") == 0) {
			struct pt_pool *p = &job->pools[job->npools];

			if (job->npools == PT_POOLS_MAX)
				return refuse(why, "more than two pools");
			if (record_pool(val, p))
				return refuse(why, "pool is not ADDR/PLEN");
			for (i = 0; i < job->npools; i++)
				if (job->pools[i].family == p->family)
					return refuse(why, "two pools of one address family");
			job->npools++;
		} else if (strcmp(tok, "gw") == 0) {
			f = F_GW;
			if (pt_addr_parse_any(val, &job->gw_family,
					      &job->gateway))
				return refuse(why, "gw is not an address");
			job->has_gateway = true;
		} else if (pt_limits_parse_kv(tok, val, &job->lim) < 0) {
			return refuse(why, "a rate limit is not a number of bytes/s");
		}
		/* unknown keys: written by a newer version, ignore */
		if (seen & f)
			return refuse(why, "a field given twice");
		seen |= f;
	}
	if (!(seen & F_JOB))
		return refuse(why, "no job");
	if (!(seen & F_VTEP))
		return refuse(why, "no vtep");
	if (!(seen & F_MODE))
		return refuse(why, "no mode");
	if (!(seen & F_COUNT))
		return refuse(why, "no count");
	if (!job->npools)
		return refuse(why, "no pool");
	if (job->count > pt_count_max(job))
		return refuse(why, "count is more than its mode holds");
	for (i = 0; i < job->npools; i++)
		if (pt_pool_room(&job->pools[i]) < job->count)
			return refuse(why, "pool does not fit its prefix for count slots");
	if (job->has_gateway) {
		for (i = 0; i < job->npools; i++)
			if (job->pools[i].family == job->gw_family)
				break;
		if (i == job->npools)
			return refuse(why, "gw has no pool of its address family");
	}
	pt_port_name(job->name, job->port);
	return 0;
}

/* The port a record sits on must be the one its job's name gives. */
int pt_record_check_port(const struct pt_job *job, const char *ifname,
			 const char **why)
{
	char port[IFNAMSIZ];

	pt_port_name(job->name, port);
	if (!ifname || strcmp(ifname, port)) {
		if (why)
			*why = "record on a port not named after its job";
		return -1;
	}
	return 0;
}

/* ---- records of jobs that are not whole (see pt_lock.c) ---- */

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

/* The mark of a job namespace's claim file (and of its lo): who made it. */
int pt_netns_mark(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, PT_RECORD_TAG " job=%s vtepns=%s\n", name,
			 pt_vtepns_id());

	return n < 0 || (size_t)n >= len ? -1 : n;
}
