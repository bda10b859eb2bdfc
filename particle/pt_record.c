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

/* Returns 0 for a well-formed record, -1 for anything else. */
int pt_record_parse(const char *alias, struct pt_job *job)
{
	char buf[256];
	char *tok, *save = NULL;
	bool have_count = false;
	size_t taglen = strlen(PT_RECORD_TAG);

	if (strncmp(alias, PT_RECORD_TAG " ", taglen + 1) != 0 ||
	    strlen(alias) >= sizeof(buf))
		return -1;
	memset(job, 0, sizeof(*job));
	strcpy(buf, alias + taglen + 1);

	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *val = strchr(tok, '=');

		if (!val)
			return -1;
		*val++ = '\0';
		if (strcmp(tok, "job") == 0) {
			if (!pt_job_name_valid(val))
				return -1;
			strcpy(job->name, val);
		} else if (strcmp(tok, "vtep") == 0) {
			if (strlen(val) >= IFNAMSIZ)
				return -1;
			strcpy(job->vtep, val);
		} else if (strcmp(tok, "mode") == 0) {
			if (strcmp(val, "addrs") == 0)
				job->mode = PT_MODE_ADDRS;
			else if (strcmp(val, "anyip") == 0)
				job->mode = PT_MODE_ANYIP;
			else
				return -1;
		} else if (strcmp(tok, "count") == 0) {
			char *end;

			errno = 0;
			job->count = strtoul(val, &end, 10);
			if (*end || errno || !job->count)
				return -1;
			have_count = true;
		} else if (strcmp(tok, "pool") == 0) {
			if (job->npools == PT_POOLS_MAX)
				return -1;
			/* quiet: a foreign alias is not an error to report */
			{
				char *slash = strchr(val, '/');
				struct pt_pool *p = &job->pools[job->npools];

				if (!slash)
					return -1;
				*slash = '\0';
				if (pt_addr_parse_any(val, &p->family,
						      &p->first))
					return -1;
				p->plen = atoi(slash + 1);
				if (p->plen > (unsigned int)pt_addr_width(p->family))
					return -1;
			}
			job->npools++;
		} else if (strcmp(tok, "gw") == 0) {
			if (pt_addr_parse_any(val, &job->gw_family,
					      &job->gateway))
				return -1;
			job->has_gateway = true;
		} else if (pt_limits_parse_kv(tok, val, &job->lim) < 0) {
			return -1;
		}
		/* unknown keys: written by a newer version, ignore */
	}
	if (!job->name[0] || !have_count || !job->npools)
		return -1;
	pt_port_name(job->name, job->port);
	return 0;
}
