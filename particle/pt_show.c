// SPDX-License-Identifier: GPL-2.0
/*
 * show and slots: everything comes from the kernel (the ports' records
 * and eth0 of each job), through the json_print helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>

#include "utils.h"
#include "json_print.h"
#include "rt_names.h"
#include "ip_common.h"
#include "particle.h"

/* name: "pool" for the one pool of a job, NULL inside the dual array */
static void print_pool(const char *name, const struct pt_pool *p, __u32 count)
{
	char first[INET6_ADDRSTRLEN], last[INET6_ADDRSTRLEN];
	struct pt_addr l = pt_pool_slot(p, count - 1);

	pt_addr_format(p->family, &p->first, first, sizeof(first));
	pt_addr_format(p->family, &l, last, sizeof(last));
	open_json_object(name);
	print_string(PRINT_ANY, "first", " pool %s", first);
	print_string(PRINT_ANY, "last", "-%s", last);
	print_uint(PRINT_ANY, "prefixlen", "/%u", p->plen);
	close_json_object();
}

/* Why a job is not whole (see pt_lock.c), or NULL. */
static const char *job_damage(const struct pt_found *f)
{
	if (f->damaged)
		return f->damaged;
	switch (pt_netns_state(f->job.name, NULL)) {
	case PT_NS_MOUNTED:
		return NULL;
	case PT_NS_NONE:
		return "namespace missing";
	default:
		return "namespace not mounted";
	}
}

/* A job of which only a name and a port can be trusted. */
static void print_damaged(const char *name, const char *damage,
			  const struct pt_found *f)
{
	char netns[PATH_MAX];

	snprintf(netns, sizeof(netns), "%s/%s", NETNS_RUN_DIR, name);
	open_json_object(NULL);
	print_string(PRINT_ANY, "job", "%s", name[0] ? name : "?");
	if (name[0])
		print_string(PRINT_JSON, "netns", NULL, netns);
	print_string(PRINT_ANY, "damaged", " damaged \"%s\"", damage);
	if (f) {
		print_string(PRINT_ANY, "bridge", " bridge %s", f->job.bridge);
		print_string(PRINT_ANY, "port", " port %s", f->job.port);
	}
	print_nl();
	close_json_object();
}

static void print_orphan(const char *name, void *arg)
{
	const char *only = arg;

	if (!only || strcmp(only, name) == 0)
		print_damaged(name, "namespace not mounted (add interrupted)",
			      NULL);
}

static void print_job(const struct pt_found *f, const struct pt_cgroot *cg)
{
	const struct pt_job *job = &f->job;
	const char *damage = job_damage(f);
	char netns[PATH_MAX], buf[64];
	__u8 mac[ETH_ALEN] = {};
	__u32 mtu = f->port_mtu;
	bool have_mac;
	int i;

	if (!job->count || !job->npools) {
		print_damaged(job->name, damage, f);
		return;
	}
	have_mac = pt_peer_info(&rth, f, mac, &mtu) == 0;
	snprintf(netns, sizeof(netns), "%s/%s", NETNS_RUN_DIR, job->name);

	open_json_object(NULL);
	print_string(PRINT_ANY, "job", "%s", job->name);
	print_string(PRINT_JSON, "netns", NULL, netns);
	print_string(PRINT_ANY, "mode", " mode %s", pt_mode_name(job->mode));
	/* one pool: an object; dual stack: an array of two */
	if (job->npools == 1) {
		print_pool("pool", &job->pools[0], job->count);
	} else {
		open_json_array(PRINT_JSON, "pool");
		for (i = 0; i < job->npools; i++)
			print_pool(NULL, &job->pools[i], job->count);
		close_json_array(PRINT_JSON, NULL);
	}
	print_uint(PRINT_ANY, "count", " count %u", job->count);
	print_string(PRINT_ANY, "mac", " mac %s",
		     have_mac ? ll_addr_n2a(mac, ETH_ALEN, 0, buf, sizeof(buf))
			      : "unknown");
	print_uint(PRINT_ANY, "mtu", " mtu %u", mtu);
	print_string(PRINT_ANY, "vtep", " vtep %s", job->vtep);
	print_string(PRINT_ANY, "bridge", " bridge %s", job->bridge);
	print_string(PRINT_ANY, "port", " port %s", job->port);
	if (job->has_gateway)
		print_string(PRINT_ANY, "gateway", " gateway %s",
			     pt_addr_format(job->gw_family, &job->gateway, buf,
					    sizeof(buf)));
	pt_limits_print(&job->lim);
	/* last, so that parsers of the fields before it keep working */
	print_uint(PRINT_ANY, "functions", " functions %u",
		   pt_cgroup_functions(cg, job));
	if (damage)
		print_string(PRINT_ANY, "damaged", " damaged \"%s\"", damage);
	else if (show_stats)
		pt_job_totals_print(f);
	print_nl();
	close_json_object();
}

int pt_do_show(int argc, char **argv)
{
	struct pt_found_list jobs;
	const struct pt_found *f = NULL;
	struct pt_cgroot cg;
	const char *only = NULL;
	unsigned int i;
	bool ours;
	int err;

	if (argc > 1) {
		pt_error("unknown keyword \"%s\": show takes at most JOB",
			 argv[1]);
		return -1;
	}
	if (argc > 0) {	/* a whole job: found by its port's name */
		only = argv[0];
		f = pt_job_find(&rth, only, PT_FIND_WHOLE, &jobs, &err);
		if (!f && err != -ENODEV)
			return err;
		if (!f && !(pt_netns_state(only, &ours) == PT_NS_ORPHAN &&
			    ours)) {
			pt_error_no_job(only);
			pt_found_list_free(&jobs);
			return -1;
		}
	} else {
		err = pt_jobs_find(&rth, &jobs);
		if (err)
			return err;
	}

	if (jobs.n == 0 || pt_cgroup_open(&cg))
		cg.fd = -1;	/* no cgroup2: no functions */
	new_json_obj(json);
	for (i = 0; i < jobs.n; i++)
		if (!only || strcmp(jobs.v[i].job.name, only) == 0)
			print_job(&jobs.v[i], &cg);
	if (!only || !f)
		pt_netns_orphans(&jobs, print_orphan, (void *)only);
	delete_json_obj();
	pt_cgroup_close(&cg);
	pt_found_list_free(&jobs);
	return 0;
}

int pt_do_slots(int argc, char **argv)
{
	struct pt_slot_counters *ctr = NULL;
	struct pt_found_list jobs;
	const struct pt_found *f;
	const struct pt_job *job;
	__u32 k;
	int err, i;

	if (argc != 1) {
		if (argc < 1)
			pt_error("missing JOB: ip particle slots JOB");
		else
			pt_error("unknown keyword \"%s\": slots takes only JOB",
				 argv[1]);
		return -1;
	}
	f = pt_job_find(&rth, argv[0], PT_FIND_WHOLE | PT_FIND_SAY, &jobs,
			&err);
	if (!f) {
		pt_found_list_free(&jobs);
		return err;
	}
	job = &f->job;
	if (!job->count || !job->npools) {
		pt_error("argument \"%s\" is wrong: job \"%s\" is damaged (%s): remove it with \"ip particle del %s\"",
			 argv[0], argv[0], f->damaged, argv[0]);
		pt_found_list_free(&jobs);
		return -1;
	}
	if (show_stats) {
		err = pt_slot_counters_read(f, &ctr);
		if (err) {
			pt_found_list_free(&jobs);
			return err;
		}
		if (!ctr)
			fprintf(stderr,
				"Job \"%s\" has no per-slot counters: \"ip particle set %s counters on\" turns them on.\n",
				job->name, job->name);
	}

	new_json_obj(json);
	for (k = 0; k < job->count; k++) {
		open_json_object(NULL);
		print_uint(PRINT_ANY, "slot", "%u", k);
		for (i = 0; i < job->npools; i++) {
			char a[INET6_ADDRSTRLEN];
			struct pt_addr addr = pt_pool_slot(&job->pools[i], k);

			pt_addr_format(job->pools[i].family, &addr, a, sizeof(a));
			print_string(PRINT_ANY,
				     job->npools > 1 &&
				     job->pools[i].family == AF_INET6 ?
				     "address6" : "address", " %s", a);
		}
		if (ctr)
			pt_slot_counters_print(ctr, k);
		print_nl();
		close_json_object();
	}
	delete_json_obj();
	pt_slot_counters_free(ctr);
	pt_found_list_free(&jobs);
	return 0;
}
