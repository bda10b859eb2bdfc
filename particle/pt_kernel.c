// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel knows: devices of the vtep namespace, the jobs recorded
 * on their ports, the bridge's addresses, and eth0 of a job (read from the
 * vtep namespace through the peer's netns id, without entering the job).
 * Reads only: the requests are built in pt_nlbatch.c, which also writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>

#include "utils.h"
#include "particle.h"

/*
 * Attributes read back are checked like user input: a number of the wrong
 * size or out of its range, or a string without its NUL, counts as absent.
 */
static bool attr_u32(const struct rtattr *rta, __u32 *v)
{
	if (!rta || RTA_PAYLOAD(rta) != sizeof(__u32))
		return false;
	*v = rta_getattr_u32(rta);
	return true;
}

static int attr_ifindex(const struct rtattr *rta)
{
	__u32 v;

	return attr_u32(rta, &v) && v > 0 && v <= INT_MAX ? (int)v : 0;
}

/* An MTU a veth, bridge or VXLAN device can have, or 0. */
static __u32 attr_mtu(const struct rtattr *rta)
{
	__u32 v;

	return attr_u32(rta, &v) && v >= 68 && v <= 65535 ? v : 0;
}

static const char *attr_str(const struct rtattr *rta)
{
	const char *s;

	if (!rta || !RTA_PAYLOAD(rta))
		return NULL;
	s = RTA_DATA(rta);
	return memchr(s, '\0', RTA_PAYLOAD(rta)) ? s : NULL;
}

static void link_from_msg(struct nlmsghdr *n, struct pt_link *link)
{
	struct ifinfomsg *ifi = NLMSG_DATA(n);
	struct rtattr *tb[IFLA_MAX + 1];

	memset(link, 0, sizeof(*link));
	parse_rtattr_flags(tb, IFLA_MAX, IFLA_RTA(ifi), IFLA_PAYLOAD(n),
			   NLA_F_NESTED);
	link->ifindex = ifi->ifi_index > 0 ? ifi->ifi_index : 0;
	link->flags = ifi->ifi_flags;
	if (attr_str(tb[IFLA_IFNAME]))
		snprintf(link->name, sizeof(link->name), "%s",
			 rta_getattr_str(tb[IFLA_IFNAME]));
	link->master = attr_ifindex(tb[IFLA_MASTER]);
	link->mtu = attr_mtu(tb[IFLA_MTU]);
	if (attr_str(tb[IFLA_IFALIAS]))
		snprintf(link->alias, sizeof(link->alias), "%s",
			 rta_getattr_str(tb[IFLA_IFALIAS]));
	if (tb[IFLA_LINKINFO]) {
		struct rtattr *li[IFLA_INFO_MAX + 1];

		parse_rtattr_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO]);
		if (attr_str(li[IFLA_INFO_KIND]))
			snprintf(link->kind, sizeof(link->kind), "%s",
				 rta_getattr_str(li[IFLA_INFO_KIND]));
	}
}

/* One device by name (ifindex 0) or by index; -ENODEV if absent. */
int pt_link_get(struct rtnl_handle *rth, const char *name, int ifindex,
		struct pt_link *link)
{
	struct pt_link_req req;
	struct nlmsghdr *answer;
	int err;

	pt_req_getlink(&req, name, ifindex, -1, false);
	err = rtnl_talk_suppress_rtnl_errmsg(rth, &req.n, &answer);
	if (err < 0)
		return errno ? -errno : -ENODEV;
	link_from_msg(answer, link);
	free(answer);
	return 0;
}

int pt_ifindex_in(struct rtnl_handle *rth, const char *name)
{
	struct pt_link link;
	int err = pt_link_get(rth, name, 0, &link);

	return err ? err : link.ifindex;
}

/*
 * A job from its port's RTM_NEWLINK: 0, or -1 if the port holds no record.
 * "particle:" and anything after it is ours: a damaged record is listed
 * too (f->damaged), never skipped.
 */
static int found_from_msg(struct nlmsghdr *n, struct rtattr **tb,
			  struct pt_found *f)
{
	struct ifinfomsg *ifi = NLMSG_DATA(n);
	const char *alias, *ifname, *why = NULL;
	int parsed;
	__u32 nsid;

	alias = attr_str(tb[IFLA_IFALIAS]);
	ifname = attr_str(tb[IFLA_IFNAME]);
	/* "particle:" and anything after it is ours, damaged or not */
	if (!alias || strncmp(alias, "particle:", 9) || !ifname)
		return -1;
	memset(f, 0, sizeof(*f));
	parsed = pt_record_parse(alias, &f->job, &why);
	pt_found_check(f, alias, ifname, parsed);
	if (parsed && why)
		f->damaged = why;	/* what is wrong with it, for show */
	f->port_ifindex = ifi->ifi_index > 0 ? ifi->ifi_index : 0;
	f->peer_nsid = -1;
	snprintf(f->job.port, sizeof(f->job.port), "%s", ifname);
	f->master_ifindex = attr_ifindex(tb[IFLA_MASTER]);
	f->peer_ifindex = attr_ifindex(tb[IFLA_LINK]);
	if (attr_u32(tb[IFLA_LINK_NETNSID], &nsid) && nsid <= INT_MAX)
		f->peer_nsid = nsid;
	f->port_mtu = attr_mtu(tb[IFLA_MTU]);
	return 0;
}

/* Bridges seen in a dump, so that their ports' jobs name them for free. */
struct br_name {
	int ifindex;
	char name[IFNAMSIZ];
};

struct job_dump {
	struct pt_found_list *list;
	int master;		/* only ports of this device; 0: all */
	const char *bridge;	/* its name */
	unsigned int nports;	/* every device seen with that master */
	struct br_name *br;
	unsigned int nbr, capbr;
};

static int remember_bridge(struct job_dump *d, struct nlmsghdr *n,
			   struct rtattr **tb)
{
	struct rtattr *li[IFLA_INFO_MAX + 1];
	struct br_name *v;

	if (!tb[IFLA_LINKINFO] || !tb[IFLA_IFNAME])
		return 0;
	parse_rtattr_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO]);
	if (!li[IFLA_INFO_KIND] ||
	    strcmp(rta_getattr_str(li[IFLA_INFO_KIND]), "bridge"))
		return 0;
	if (d->nbr == d->capbr) {
		unsigned int cap = d->capbr ? d->capbr * 2 : 8;

		v = realloc(d->br, cap * sizeof(*v));
		if (!v)
			return -1;
		d->br = v;
		d->capbr = cap;
	}
	v = &d->br[d->nbr++];
	v->ifindex = ((struct ifinfomsg *)NLMSG_DATA(n))->ifi_index;
	snprintf(v->name, sizeof(v->name), "%s",
		 rta_getattr_str(tb[IFLA_IFNAME]));
	return 0;
}

static int collect_job(struct nlmsghdr *n, void *arg)
{
	struct job_dump *d = arg;
	struct pt_found_list *list = d->list;
	struct ifinfomsg *ifi = NLMSG_DATA(n);
	struct rtattr *tb[IFLA_MAX + 1];

	if (n->nlmsg_type != RTM_NEWLINK)
		return 0;
	parse_rtattr_flags(tb, IFLA_MAX, IFLA_RTA(ifi), IFLA_PAYLOAD(n),
			   NLA_F_NESTED);
	if (d->master) {
		/* the kernel filters; a kernel that does not, we do */
		if (!tb[IFLA_MASTER] ||
		    rta_getattr_u32(tb[IFLA_MASTER]) != (__u32)d->master)
			return 0;
		d->nports++;
	} else if (remember_bridge(d, n, tb)) {
		return -1;
	}

	if (list->n == list->cap) {
		unsigned int cap = list->cap ? list->cap * 2 : 16;
		struct pt_found *v = realloc(list->v, cap * sizeof(*v));

		if (!v)
			return -1;
		list->v = v;
		list->cap = cap;
	}
	if (found_from_msg(n, tb, &list->v[list->n]))
		return 0;
	if (d->master)
		strcpy(list->v[list->n].job.bridge, d->bridge);
	list->n++;
	return 0;
}

static int ifindex_name(struct rtnl_handle *rth, int ifindex, char *name)
{
	struct pt_link link;

	if (pt_link_get(rth, NULL, ifindex, &link))
		return -1;
	strcpy(name, link.name);
	return 0;
}

static int jobs_dump(struct rtnl_handle *rth, struct job_dump *d)
{
	bool dump_intr;
	int err, tries = 0;

again:
	memset(d->list, 0, sizeof(*d->list));
	d->nports = d->nbr = 0;
	err = pt_req_linkdump(rth, d->master);
	if (err < 0) {
		pt_error("cannot ask the kernel for devices: %s",
			 strerror(errno));
		return -2;
	}
	if (pt_dump(rth, collect_job, d, &dump_intr) < 0) {
		pt_error("cannot read the devices of this namespace");
		pt_found_list_free(d->list);
		return -2;
	}
	/* links changed during the dump (another ip particle at work): the
	 * kernel may have skipped a device, and a job missed is a pool given
	 * twice */
	if (dump_intr && ++tries < 20) {
		pt_found_list_free(d->list);
		goto again;
	}
	return 0;
}

/* Every job whose port lives in this namespace, in ifindex order. */
int pt_jobs_find(struct rtnl_handle *rth, struct pt_found_list *list)
{
	struct job_dump d = { .list = list };
	unsigned int i, k;
	int err;

	err = jobs_dump(rth, &d);
	if (err) {
		free(d.br);
		return err;
	}
	/* the bridges came in the same dump; ask only for other masters */
	for (i = 0; i < list->n; i++) {
		struct pt_found *f = &list->v[i];

		for (k = 0; k < d.nbr; k++)
			if (d.br[k].ifindex == f->master_ifindex)
				break;
		if (k < d.nbr)
			strcpy(f->job.bridge, d.br[k].name);
		else if (i && f->master_ifindex == list->v[i - 1].master_ifindex)
			strcpy(f->job.bridge, list->v[i - 1].job.bridge);
		else if (!f->master_ifindex ||
			 ifindex_name(rth, f->master_ifindex, f->job.bridge))
			strcpy(f->job.bridge, "-");
	}
	free(d.br);
	return 0;
}

/*
 * The jobs on one bridge, from a dump the kernel filters by master (jobs
 * elsewhere cost nothing), and in *nports how many ports the bridge has.
 */
int pt_bridge_jobs(struct rtnl_handle *rth, int bridge_ifindex,
		   const char *bridge, struct pt_found_list *list,
		   unsigned int *nports)
{
	struct job_dump d = {
		.list = list, .master = bridge_ifindex, .bridge = bridge,
	};
	int err;

	if (nports)
		*nports = 0;
	if (!bridge_ifindex) {	/* a bridge still to be made has none */
		memset(list, 0, sizeof(*list));
		return 0;
	}
	err = jobs_dump(rth, &d);
	if (!err && nports)
		*nports = d.nports;
	return err;
}

/*
 * The job named JOB, by its port's name (one request, however many jobs
 * the host has).  Returns 0, -ENODEV if there is no such job (-ENXIO:
 * not even a device of that name), -2 (said) if the kernel could not be
 * asked.
 */
int pt_job_get(struct rtnl_handle *rth, const char *name, struct pt_found *f)
{
	struct rtattr *tb[IFLA_MAX + 1];
	struct nlmsghdr *answer;
	struct pt_link_req req;
	char port[IFNAMSIZ];
	int err;

	pt_port_name(name, port);
	pt_req_getlink(&req, port, 0, -1, false);
	if (rtnl_talk_suppress_rtnl_errmsg(rth, &req.n, &answer) < 0) {
		if (errno == ENODEV || !errno)
			return -ENXIO;
		pt_error("cannot ask the kernel for device \"%s\": %s", port,
			 strerror(errno));
		return -2;
	}
	parse_rtattr_flags(tb, IFLA_MAX, IFLA_RTA(NLMSG_DATA(answer)),
			   IFLA_PAYLOAD(answer), NLA_F_NESTED);
	err = found_from_msg(answer, tb, f);
	free(answer);
	if (err)
		return -ENODEV;
	if (!f->job.name[0] && f->damaged)
		strcpy(f->job.name, name);	/* a record without a usable name */
	else if (strcmp(f->job.name, name))
		return -ENODEV;	/* a hashed port name of another job */
	if (!f->master_ifindex ||
	    ifindex_name(rth, f->master_ifindex, f->job.bridge))
		strcpy(f->job.bridge, "-");
	return 0;
}

/*
 * The job on the port with this ifindex (one request): 0, -ENODEV if the
 * device is gone or holds no record, -2 if the kernel could not be asked.
 */
int pt_port_found(struct rtnl_handle *rth, int ifindex, struct pt_found *f)
{
	struct rtattr *tb[IFLA_MAX + 1];
	struct nlmsghdr *answer;
	struct pt_link_req req;
	int err;

	pt_req_getlink(&req, NULL, ifindex, -1, false);
	if (rtnl_talk_suppress_rtnl_errmsg(rth, &req.n, &answer) < 0)
		return errno == ENODEV || !errno ? -ENODEV : -2;
	parse_rtattr_flags(tb, IFLA_MAX, IFLA_RTA(NLMSG_DATA(answer)),
			   IFLA_PAYLOAD(answer), NLA_F_NESTED);
	err = found_from_msg(answer, tb, f);
	free(answer);
	return err ? -ENODEV : 0;
}

void pt_found_list_free(struct pt_found_list *list)
{
	free(list->v);
	memset(list, 0, sizeof(*list));
}

const struct pt_found *pt_found_lookup(const struct pt_found_list *list,
				       const char *job)
{
	unsigned int i;

	for (i = 0; i < list->n; i++)
		if (strcmp(list->v[i].job.name, job) == 0)
			return &list->v[i];
	return NULL;
}

/* A port whose record names no usable job: found by JOB's port name. */
static const struct pt_found *damaged_by_port(struct pt_found_list *jobs,
					      const char *name)
{
	char port[IFNAMSIZ];
	unsigned int i;

	pt_port_name(name, port);
	for (i = 0; i < jobs->n; i++)
		if (jobs->v[i].damaged && !jobs->v[i].job.name[0] &&
		    strcmp(jobs->v[i].job.port, port) == 0) {
			strcpy(jobs->v[i].job.name, name);
			return &jobs->v[i];
		}
	return NULL;
}

/*
 * JOB by its port's name, as the only entry of jobs: 0, -ENODEV when the
 * port does not hold JOB (the caller then looks further), -ENXIO when
 * there is no such port, -2 (said).
 */
static int by_name(struct rtnl_handle *rth, const char *name,
		   struct pt_found_list *jobs)
{
	struct pt_found f;
	int err = pt_job_get(rth, name, &f);

	if (err)
		return err;
	jobs->v = malloc(sizeof(*jobs->v));
	if (!jobs->v) {
		pt_error("out of memory");
		return -2;
	}
	jobs->v[0] = f;
	jobs->n = jobs->cap = 1;
	return 0;
}

/*
 * The job named on the command line (del, set, show JOB, slots): by its
 * port's name, one request however many jobs there are; a dump of every
 * port only when that port exists but holds no job (PT_FIND_WHOLE: no
 * whole job).  No such port: no such job (a record always names the job
 * whose port name is the port's, pt_record.c), and no dump.
 * PT_FIND_PORT also finds a damaged record without a usable name by JOB's
 * port name; PT_FIND_SAY says "no particle job".  jobs holds what was
 * read, freed by the caller.  Returns the job, or NULL with *err -ENODEV
 * (not found, said only with PT_FIND_SAY, then -1), -1 or -2 (said).
 */
const struct pt_found *pt_job_find(struct rtnl_handle *rth, const char *name,
				   unsigned int flags,
				   struct pt_found_list *jobs, int *err)
{
	const struct pt_found *f;

	memset(jobs, 0, sizeof(*jobs));
	if (!pt_job_name_valid(name)) {
		pt_error("argument \"%s\" is wrong: not a valid JOB name", name);
		*err = -1;
		return NULL;
	}
	*err = by_name(rth, name, jobs);
	if (!*err && (flags & PT_FIND_WHOLE) && jobs->v[0].damaged) {
		pt_found_list_free(jobs);	/* look at every port */
		*err = -ENODEV;
	}
	if (*err != -ENODEV && *err != -ENXIO)
		return *err ? NULL : &jobs->v[0];
	f = NULL;
	if (*err == -ENODEV) {
		*err = pt_jobs_find(rth, jobs);
		if (*err)
			return NULL;
		f = pt_found_lookup(jobs, name);
		if (!f && (flags & PT_FIND_PORT))
			f = damaged_by_port(jobs, name);
	}
	if (!f) {
		*err = -ENODEV;
		if (flags & PT_FIND_SAY) {
			pt_error_no_job(name);
			*err = -1;
		}
	}
	return f;
}

struct addr_filter {
	int ifindex, family, max, n;
	struct pt_pool *out;
};

static int collect_addr(struct nlmsghdr *n, void *arg)
{
	struct addr_filter *f = arg;
	struct ifaddrmsg *ifa = NLMSG_DATA(n);
	struct rtattr *tb[IFA_MAX + 1];
	struct rtattr *a;

	if (n->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != f->ifindex ||
	    ifa->ifa_family != f->family || f->n == f->max)
		return 0;
	parse_rtattr(tb, IFA_MAX, IFA_RTA(ifa), IFA_PAYLOAD(n));
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || RTA_PAYLOAD(a) != (unsigned int)pt_addr_width(f->family) / 8 ||
	    ifa->ifa_prefixlen > pt_addr_width(f->family))
		return 0;
	memset(&f->out[f->n], 0, sizeof(f->out[f->n]));
	f->out[f->n].family = ifa->ifa_family;
	f->out[f->n].plen = ifa->ifa_prefixlen;
	pt_addr_from_bytes(ifa->ifa_family, RTA_DATA(a), &f->out[f->n].first);
	f->n++;
	return 0;
}

/* Addresses of one device (each as a one-address "pool" with its plen). */
int pt_link_addrs(struct rtnl_handle *rth, int ifindex, int family,
		  struct pt_pool *out, int max)
{
	struct addr_filter f = {
		.ifindex = ifindex, .family = family, .max = max, .out = out,
	};
	bool intr;
	int tries = 0;

	/* without strict checking (ip -batch) the kernel would dump every
	 * address of the namespace, one link-local per port */
	pt_rtnl_strict(rth);
	do {
		f.n = 0;
		if (pt_req_addrdump(rth, family, ifindex) < 0 ||
		    pt_dump(rth, collect_addr, &f, &intr) < 0) {
			pt_error("cannot read addresses of device #%d", ifindex);
			return -2;
		}
	} while (intr && ++tries < 20);	/* addresses changed meanwhile */
	return f.n;
}

/* eth0's MAC and MTU, asked from here with IFLA_TARGET_NETNSID. */
int pt_peer_info(struct rtnl_handle *rth, const struct pt_found *f, __u8 *mac,
		 __u32 *mtu)
{
	struct pt_link_req req;
	struct rtattr *tb[IFLA_MAX + 1];
	struct nlmsghdr *answer;
	struct ifinfomsg *ifi;
	int err;

	if (f->peer_nsid < 0 || !f->peer_ifindex)
		return -1;
	pt_req_getlink(&req, NULL, f->peer_ifindex, f->peer_nsid, false);
	err = rtnl_talk_suppress_rtnl_errmsg(rth, &req.n, &answer);
	if (err < 0)
		return -1;
	ifi = NLMSG_DATA(answer);
	parse_rtattr(tb, IFLA_MAX, IFLA_RTA(ifi), IFLA_PAYLOAD(answer));
	if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == ETH_ALEN)
		memcpy(mac, RTA_DATA(tb[IFLA_ADDRESS]), ETH_ALEN);
	if (tb[IFLA_MTU])
		*mtu = rta_getattr_u32(tb[IFLA_MTU]);
	free(answer);
	return 0;
}

/*
 * rtnl_dump_filter() for the jobs dump, which many processes make while
 * links come and go: it reports NLM_F_DUMP_INTR in *intr (the caller
 * dumps again) instead of printing "Dump was interrupted" for the user.
 */
int pt_dump(struct rtnl_handle *rth, rtnl_filter_t fn, void *arg, bool *intr)
{
	struct sockaddr_nl nladdr;
	struct iovec iov = {};
	struct msghdr msg = {
		.msg_name = &nladdr, .msg_namelen = sizeof(nladdr),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	size_t cap = 0;
	char *buf = NULL;
	int ret = -1;

	*intr = false;
	for (;;) {
		struct nlmsghdr *h;
		ssize_t len;

		iov.iov_base = NULL;
		iov.iov_len = 0;
		do {
			len = recvmsg(rth->fd, &msg, MSG_PEEK | MSG_TRUNC);
		} while (len < 0 && errno == EINTR);
		if (len <= 0)
			goto out;
		if ((size_t)len > cap) {
			char *nb = realloc(buf, len);

			if (!nb)
				goto out;
			buf = nb;
			cap = len;
		}
		iov.iov_base = buf;
		iov.iov_len = cap;
		do {
			len = recvmsg(rth->fd, &msg, 0);
		} while (len < 0 && errno == EINTR);
		if (len <= 0)
			goto out;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (__u32)len);
		     h = NLMSG_NEXT(h, len)) {
			if (nladdr.nl_pid || h->nlmsg_pid != rth->local.nl_pid ||
			    h->nlmsg_seq != rth->dump)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				*intr = true;
			if (h->nlmsg_type == NLMSG_DONE) {
				ret = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				errno = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ?
					-e->error : EIO;
				goto out;
			}
			if (fn(h, arg) < 0)
				goto out;
		}
	}
out:
	free(buf);
	return ret;
}
