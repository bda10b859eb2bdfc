// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the record parser: the input is a port's ifalias.
 *
 * A refused record must come with a reason.  An accepted one must be a
 * job add could have made (count within its mode, each pool holding count
 * slots inside its prefix, names valid), must mean exactly what its words
 * say (a number that does not fit is not read as another number), and
 * must be written back and read again unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils.h"
#include "particle.h"
#include "fuzz_check.h"

#define FUZZ_LEN	512

/* Each known word of the record against what the parser made of it. */
static void check_words(const char *alias, const struct pt_job *job)
{
	char buf[FUZZ_LEN + 1], v[64];
	char *tok, *save = NULL;
	int pool = 0;

	snprintf(buf, sizeof(buf), "%s", alias);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *val = strchr(tok, '=');

		if (!val)
			continue;	/* the tag */
		*val++ = '\0';
		if (strcmp(tok, "job") == 0) {
			FUZZ_ASSERT(strcmp(val, job->name) == 0);
		} else if (strcmp(tok, "vtep") == 0) {
			FUZZ_ASSERT(strcmp(val, job->vtep) == 0);
		} else if (strcmp(tok, "mode") == 0) {
			FUZZ_ASSERT(strcmp(val, pt_mode_name(job->mode)) == 0);
		} else if (strcmp(tok, "count") == 0) {
			snprintf(v, sizeof(v), "%u", job->count);
			FUZZ_ASSERT(strcmp(val, v) == 0);
		} else if (strcmp(tok, "pool") == 0) {
			const struct pt_pool *p = &job->pools[pool++];
			char *slash = strchr(val, '/');
			struct pt_addr a;
			int family;

			FUZZ_ASSERT(pool <= job->npools && slash);
			*slash = '\0';
			FUZZ_ASSERT(pt_addr_parse_any(val, &family, &a) == 0);
			FUZZ_ASSERT(family == p->family &&
				    pt_addr_cmp(&a, &p->first) == 0);
			snprintf(v, sizeof(v), "%u", p->plen);
			FUZZ_ASSERT(strcmp(slash + 1, v) == 0);
		}
	}
	FUZZ_ASSERT(pool == job->npools);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char alias[FUZZ_LEN + 1];
	static int must_refuse = -1;
	struct pt_job job;
	const char *why = NULL;
	int i;

	if (size > FUZZ_LEN)
		return -1;
	memcpy(alias, data, size);
	alias[size] = '\0';

	if (pt_record_parse(alias, &job, &why)) {
		FUZZ_ASSERT(why && *why);
		return 0;
	}
	/* replaying regress/record/: every one of those must be refused */
	if (must_refuse < 0)
		must_refuse = getenv("PT_FUZZ_REFUSE") != NULL;
	if (must_refuse) {
		fprintf(stderr, "record accepted: \"%s\"\n", alias);
		abort();
	}
	FUZZ_ASSERT(why == NULL);
	fuzz_check_job(&job);
	FUZZ_ASSERT(job.npools >= 1);
	FUZZ_ASSERT(pt_record_check_port(&job, job.port, NULL) == 0);
	/* no job's port is "pt-": a record found there is someone else's */
	FUZZ_ASSERT(pt_record_check_port(&job, "pt-", &why) && why);
	FUZZ_ASSERT(pt_record_check_port(&job, NULL, NULL));
	for (i = 0; i < job.npools; i++)
		fuzz_check_pool_fits(&job.pools[i], job.count);
	check_words(alias, &job);
	FUZZ_ASSERT(fuzz_check_roundtrip(&job) == 0 ||
		    strlen(alias) > 200);	/* unknown words made it long */
	{
		__u8 mac[ETH_ALEN];

		pt_default_mac(&job, mac);
		FUZZ_ASSERT(mac[0] == 0x02);
	}
	return 0;
}
