// SPDX-License-Identifier: GPL-2.0
/*
 * -s on add and del: the verb's time, phase by phase.
 */
#include <stdio.h>
#include <time.h>

#include "utils.h"
#include "json_print.h"
#include "particle.h"

void pt_clock_start(struct pt_clock *c)
{
	*c = (struct pt_clock){};
	clock_gettime(CLOCK_MONOTONIC, &c->last);
}

/* The time since the last mark goes to phase. */
void pt_clock_mark(struct pt_clock *c, unsigned int phase)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (phase < PT_PHASES_MAX)
		c->us[phase] += (now.tv_sec - c->last.tv_sec) * 1000000ULL +
				(now.tv_nsec - c->last.tv_nsec) / 1000;
	c->last = now;
}

/* One line (one JSON object) per verb: phases whose bit is in shown. */
void pt_clock_print(const char *job, const struct pt_clock *c,
		    const char *const *names, unsigned int n,
		    unsigned int shown, __u64 lock_us)
{
	__u64 total = 0;
	unsigned int i;

	/* one object, not an array: it describes this verb only */
	new_json_obj_plain(json);
	open_json_object(NULL);
	print_string(PRINT_ANY, "job", "%s phases", job);
	open_json_object("phases");
	for (i = 0; i < n && i < PT_PHASES_MAX; i++) {
		char fmt[32];

		if (!(shown & (1U << i)))
			continue;
		snprintf(fmt, sizeof(fmt), " %s %%lluus", names[i]);
		print_lluint(PRINT_ANY, names[i], fmt, c->us[i]);
		total += c->us[i];
	}
	print_lluint(PRINT_ANY, "total", " total %lluus", total);
	/* part of the phases: the waits for our locks (JSON only) */
	print_lluint(PRINT_JSON, "lock", NULL, lock_us);
	close_json_object();
	close_json_object();
	delete_json_obj_plain();
	if (!json)
		printf("\n");
}
