/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ip particle: one network namespace per job, one veth pair into the
 * overlay bridge, and a pool of per-function addresses installed in one
 * netlink batch (Thomas et al., "Particle", SoCC '20).
 */
#ifndef _PARTICLE_H_
#define _PARTICLE_H_

#include <stdbool.h>
#include <stdio.h>
#include <limits.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>
#include <linux/if.h>
#include <linux/if_ether.h>

#include "libnetlink.h"

#define PT_JOB_MAX		64
#define PT_PORT_PREFIX		"pt-"
#define PT_PORT_HASHED		"pt~"
#define PT_RECORD_TAG		"particle:1"
#define PT_JOB_IFNAME		"eth0"
#define PT_ADDRS_MAX		65536U
#define PT_ANYIP_MAX		(1U << 24)
#define PT_ANYIP6_MAX		65536U	/* one proxy-ND entry per address */
#define PT_POOLS_MAX		2
/* a Linux bridge numbers its ports 1 .. BR_MAX_PORTS - 1 (1024 - 1) */
#define PT_BRIDGE_PORTS_MAX	1023U

/* A host-order 128-bit address value; IPv4 lives in the low 32 bits. */
struct pt_addr {
	__u64 hi, lo;
};

struct pt_pool {
	int family;		/* AF_INET or AF_INET6 */
	struct pt_addr first;	/* slot 0 */
	unsigned int plen;	/* the overlay's on-link prefix */
	const char *arg;	/* as the user typed it, for errors; or NULL */
};

enum pt_mode {
	PT_MODE_ADDRS,
	PT_MODE_ANYIP,
};

/* Per-slot rates (bytes per second, 0: none) and counters (issue 12). */
#define PT_TC_SLOTS_MAX		65534U	/* class minors 1..N, 0xffff the job's */
#define PT_TC_UNLIMITED		(1ULL << 40)	/* bytes/s: ~8.8 Tbit, no limit */
struct pt_limits {
	__u64 rate;		/* the whole job */
	__u64 slot_rate;	/* each slot's guarantee */
	__u64 slot_ceil;	/* each slot's maximum */
	bool counters;		/* per-slot classes even without limits */
};

/* Everything that describes a job: parsed from the command line by add,
 * or read back from the port's ifalias record by every other verb. */
struct pt_job {
	char name[PT_JOB_MAX + 1];
	char vtep[IFNAMSIZ];
	char bridge[IFNAMSIZ];
	char port[IFNAMSIZ];
	enum pt_mode mode;
	__u32 count;
	int npools;
	struct pt_pool pools[PT_POOLS_MAX];
	bool has_gateway;
	int gw_family;
	struct pt_addr gateway;
	bool has_mac;
	__u8 mac[ETH_ALEN];
	__u32 mtu;		/* 0: the vtep's */
	struct pt_limits lim;
};

/* A job found in the vtep namespace: its record plus kernel facts. */
struct pt_found {
	struct pt_job job;
	int port_ifindex;
	int master_ifindex;
	int peer_ifindex;	/* eth0's ifindex inside the job namespace */
	int peer_nsid;		/* the job namespace's id seen from here */
	__u32 port_mtu;
	const char *damaged;	/* why it is not a whole job, or NULL */
};

struct pt_found_list {
	struct pt_found *v;
	unsigned int n, cap;
};

/* A device in the vtep namespace. */
struct pt_link {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[32];
	int master;
	__u32 mtu;
	unsigned int flags;
	char alias[256];
};

/* pt_error.c: the lowest layer, called by every other file */
void pt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int pt_need_root(const char *verb);
void pt_error_no_job(const char *name);

/* pt_pool.c */
const char *pt_mode_name(enum pt_mode mode);
int pt_addr_width(int family);
int pt_addr_parse(int family, const char *s, struct pt_addr *a);
int pt_addr_parse_any(const char *s, int *family, struct pt_addr *a);
const char *pt_addr_format(int family, const struct pt_addr *a, char *buf,
			   size_t len);
void pt_addr_to_bytes(int family, const struct pt_addr *a, void *bytes);
void pt_addr_from_bytes(int family, const void *bytes, struct pt_addr *a);
struct pt_addr pt_addr_add(struct pt_addr a, __u64 n);
int pt_addr_cmp(const struct pt_addr *a, const struct pt_addr *b);
__u64 pt_pool_room(const struct pt_pool *pool);
struct pt_addr pt_pool_slot(const struct pt_pool *pool, __u64 slot);
struct pt_addr pt_pool_network(const struct pt_pool *pool);
bool pt_pool_contains(const struct pt_pool *pool, __u32 count,
		      const struct pt_addr *a);
bool pt_pools_overlap(const struct pt_pool *a, __u32 na,
		      const struct pt_pool *b, __u32 nb);
int pt_cover(int family, struct pt_addr first, __u64 count,
	     int (*fn)(const struct pt_addr *net, unsigned int plen,
		       void *arg),
	     void *arg);

/* pt_check.c: may a pool take count slots? */
#define PT_TAKEN_MAX		64
struct pt_taken {
	unsigned int n;
	struct {
		struct pt_pool pool;
		const char *owner;	/* the bridge's name */
	} v[PT_TAKEN_MAX];
};

int pt_taken_load(struct rtnl_handle *rth, int bridge_ifindex,
		  const char *bridge, struct pt_taken *t);
bool pt_pool_clashes(const struct pt_pool *pool, __u32 count, const char *self,
		     const struct pt_found_list *jobs, int bridge,
		     const struct pt_taken *brs, const char *arg);
int pt_pools_check(const struct pt_job *job, __u32 count,
		   const struct pt_found_list *jobs, int bridge,
		   const struct pt_taken *brs, const char *arg);

/* pt_record.c */
int pt_job_name_valid(const char *name);
void pt_port_name(const char *job, char *port);
void pt_default_mac(const struct pt_job *job, __u8 *mac);
int pt_record_format(const struct pt_job *job, char *buf, size_t len);
int pt_record_parse(const char *alias, struct pt_job *job, const char **why);
int pt_record_check_port(const struct pt_job *job, const char *ifname,
			 const char **why);
int pt_ifname_valid(const char *name);
__u32 pt_count_max(const struct pt_job *job);
bool pt_job_has_family(const struct pt_job *job, int family);
bool pt_limits_on(const struct pt_limits *l);
int pt_limits_format(const struct pt_limits *l, char *buf, size_t len);
int pt_limits_parse_kv(const char *key, const char *val, struct pt_limits *l);

/* pt_parse.c */
int pt_parse_add(int argc, char **argv, struct pt_job *job);
int pt_parse_count(const char *arg, __u32 *count);
int pt_get_u32(const char *arg, __u32 *v);
int pt_check_count(const struct pt_job *job, __u32 count);
int pt_parse_limit(const char *kw, const char *arg, struct pt_limits *l);
int pt_pool_parse(const char *arg, struct pt_pool *pool);
int pt_rate_parse(const char *kw, const char *arg, __u64 *rate);
const char *pt_rate_str(__u64 rate, char *buf, size_t len);
int pt_limits_check(const struct pt_job *job, __u32 count, const char *arg);

/* exec and guard, as typed: which function, and what to run or guard */
struct pt_fn_args {
	const char *job;	/* JOB, a valid name */
	__u32 slot;		/* K, not yet checked against the job */
	const char *slot_arg;	/* K as typed, for errors */
	char **cmd;		/* exec: CMD [ARG...], NULL-terminated */
	int pid;		/* guard pid PID, else 0 */
	const char *cgroup;	/* guard cgroup PATH, else NULL */
	const char *target_arg;	/* guard: PID or PATH as typed */
};

int pt_parse_exec(int argc, char **argv, struct pt_fn_args *fa);
int pt_parse_guard(int argc, char **argv, struct pt_fn_args *fa);

/* pt_nlbatch.c: every rtnetlink request built; many requests, one write,
 * answers read together */
struct pt_batch {
	char *buf;
	size_t len, cap;
	unsigned int nmsgs;
	__u32 first_seq;
};

void pt_batch_init(struct pt_batch *b);
void pt_batch_free(struct pt_batch *b);
int pt_batch_add(struct pt_batch *b, struct rtnl_handle *rth,
		 struct nlmsghdr *n);
int pt_batch_commit(struct rtnl_handle *rth, struct pt_batch *b,
		    const char *what);
int pt_rtnl_grow_buffers(struct rtnl_handle *rth);
int pt_req_addr(struct pt_batch *b, struct rtnl_handle *rth, int cmd,
		int ifindex, const struct pt_pool *pool, const struct pt_addr *a,
		bool secondary);
int pt_req_local_route(struct pt_batch *b, struct rtnl_handle *rth, int cmd,
		       int ifindex, int family, const struct pt_addr *net,
		       unsigned int plen);
int pt_req_proxy_neigh(struct pt_batch *b, struct rtnl_handle *rth, int cmd,
		       int ifindex, const struct pt_addr *a);
int pt_req_gateway(struct pt_batch *b, struct rtnl_handle *rth, int ifindex,
		   int family, const struct pt_addr *gw);
int pt_req_link_up(struct pt_batch *b, struct rtnl_handle *rth, int ifindex,
		    bool no_ipv6_ll);
int pt_req_netns_mark(struct pt_batch *b, struct rtnl_handle *rth,
		      const char *name);

/* An RTM_*LINK request with room for attributes (a veth peer included). */
struct pt_link_req {
	struct nlmsghdr n;
	struct ifinfomsg ifi;
	char buf[1024];
};

struct pt_route_req {
	struct nlmsghdr n;
	struct rtmsg r;
	char buf[128];
};

void pt_req_routedump(struct pt_route_req *req, int family, __u32 table);
void pt_req_resv_route(struct pt_route_req *req, const struct pt_pool *p,
		       __u32 table, int oif, __u8 proto);
void pt_rtnl_strict(struct rtnl_handle *rth);
void pt_link_req_init(struct pt_link_req *req, __u16 type, __u16 flags,
		      int ifindex);
void pt_req_getlink(struct pt_link_req *req, const char *name, int ifindex,
		    int nsid, bool stats);
int pt_req_linkdump(struct rtnl_handle *rth, int master);
int pt_req_addrdump(struct rtnl_handle *rth, int family, int ifindex);
void pt_req_record(struct pt_link_req *req, int ifindex, const char *name,
		   const char *record);
void pt_req_port(struct pt_link_req *req, const char *port, __u32 mtu,
		 int master, int nsfd, const __u8 *mac);
/* single requests, each one rtnl_talk(): writes */
int pt_talk(struct rtnl_handle *rth, struct nlmsghdr *n);
int pt_talk_create(struct rtnl_handle *rth, struct nlmsghdr *n);
int pt_link_del(struct rtnl_handle *rth, int ifindex, const char *name);
int pt_link_set(struct rtnl_handle *rth, int ifindex, int master, int up);
int pt_bridge_create(struct rtnl_handle *rth, const char *name);

/* pt_install.c */
int pt_pool_requests(struct pt_batch *b, struct rtnl_handle *rth,
		     const struct pt_job *job, int ifindex, __u32 old_count,
		     __u32 new_count);
/* pt_netns.c */
extern int pt_saved_mntns;
int pt_netns_exists(const char *name);
int pt_netns_create(const char *name, struct rtnl_handle *job_rth,
		    int *nsfd, bool proxy_nd);
int pt_netns_remove(const char *name);
/* a job namespace in two steps: unnamed first, named (mounted) later */
struct pt_nsjob {
	char name[PT_JOB_MAX + 1];
	char path[PATH_MAX];
	pid_t pid;		/* the helper, waiting to mount */
	int sock;		/* to the helper */
	int nsfd;		/* the new namespace */
	struct rtnl_handle rth;	/* rtnetlink inside it */
};

int pt_netns_begin(struct pt_nsjob *ns, const char *name, bool proxy_nd);
int pt_netns_commit(struct pt_nsjob *ns);
void pt_netns_abort(struct pt_nsjob *ns);
int pt_netns_open_rtnl(const char *name, struct rtnl_handle *job_rth);
int pt_link_ipv6_off(const char *ifname);

/* pt_kernel.c: facts read from the kernel (reads only) */
int pt_link_get(struct rtnl_handle *rth, const char *name, int ifindex,
		struct pt_link *link);
int pt_jobs_find(struct rtnl_handle *rth, struct pt_found_list *list);
int pt_bridge_jobs(struct rtnl_handle *rth, int bridge_ifindex,
		   const char *bridge, struct pt_found_list *list,
		   unsigned int *nports);
int pt_job_get(struct rtnl_handle *rth, const char *name, struct pt_found *f);
#define PT_FIND_WHOLE	1	/* a damaged job's port: look at every port */
#define PT_FIND_PORT	2	/* a nameless damaged record by JOB's port */
#define PT_FIND_SAY	4	/* say "no particle job" */
const struct pt_found *pt_job_find(struct rtnl_handle *rth, const char *name,
				   unsigned int flags,
				   struct pt_found_list *jobs, int *err);
void pt_found_list_free(struct pt_found_list *list);
int pt_port_found(struct rtnl_handle *rth, int ifindex, struct pt_found *f);
const struct pt_found *pt_found_lookup(const struct pt_found_list *list,
				       const char *job);
int pt_link_addrs(struct rtnl_handle *rth, int ifindex, int family,
		  struct pt_pool *out, int max);
int pt_peer_info(struct rtnl_handle *rth, const struct pt_found *f,
		 __u8 *mac, __u32 *mtu);
int pt_ifindex_in(struct rtnl_handle *rth, const char *name);

/* pt_clock.c: -s, where a verb's time went */
#define PT_PHASES_MAX		8
struct pt_clock {
	struct timespec last;
	__u64 us[PT_PHASES_MAX];
};

void pt_clock_start(struct pt_clock *c);
void pt_clock_mark(struct pt_clock *c, unsigned int phase);
void pt_clock_print(const char *job, const struct pt_clock *c,
		    const char *const *names, unsigned int n,
		    unsigned int shown, __u64 lock_us);

/* pt_lock.c: many processes at once (the bridge lock), crashes half way */
#define PT_BUSY_KEY		"busy"	/* record key while add/set work */
struct pt_lock {
	int fd;
	__u64 wait_us;		/* how long pt_lock_bridge() waited */
};

enum { PT_NS_NONE, PT_NS_MOUNTED, PT_NS_ORPHAN, PT_NS_OTHER };

void pt_fault(const char *step);
const char *pt_vtepns_id(void);
int pt_lock_bridge(struct pt_lock *lk, const char *bridge);
int pt_lock_removal(struct pt_lock *lk, const char *bridge);
bool pt_lock_no_removals(const struct pt_lock *lk, const char *bridge);
void pt_unlock(struct pt_lock *lk);
/* pt_record.c: marks of what is not whole */
int pt_record_mark_busy(char *record, size_t len, const char *verb);
void pt_found_check(struct pt_found *f, const char *alias, const char *ifname,
		    int parsed);
int pt_netns_mark(const char *name, char *buf, size_t len);
/* pt_netns.c: job namespaces that are not whole */
int pt_netns_state(const char *name, bool *ours);
int pt_netns_orphans(const struct pt_found_list *jobs,
		     void (*fn)(const char *name, void *arg), void *arg);
bool pt_netns_is_job(const char *name);
/* pt_kernel.c: a dump that says when it was interrupted */
int pt_dump(struct rtnl_handle *rth, rtnl_filter_t fn, void *arg, bool *intr);

/* pt_add.c, pt_del.c, pt_show.c: the verbs */
int pt_do_add(int argc, char **argv);
int pt_do_set(int argc, char **argv);
int pt_do_del(int argc, char **argv);
int pt_do_flush(int argc, char **argv);
int pt_do_show(int argc, char **argv);
int pt_do_slots(int argc, char **argv);

/* pt_tc.c, pt_slotbpf.c: per-slot rates and counters */
struct pt_slot_counters;
int pt_tc_apply(struct rtnl_handle *job_rth, int eth0, int port,
		const struct pt_job *old, const struct pt_job *new,
		const char *what);
int pt_slot_counters_read(const struct pt_found *f,
			  struct pt_slot_counters **out);
void pt_slot_counters_free(struct pt_slot_counters *c);
void pt_slot_counters_print(const struct pt_slot_counters *c, __u32 slot);
void pt_limits_print(const struct pt_limits *l);
void pt_job_totals_print(const struct pt_found *f);
int pt_slot_prog_load(const struct pt_job *job, bool dst, unsigned int max,
		      char *log, size_t loglen);

/* pt_resv.c: the index of the pools in use on a bridge (issue 13) */
#define PT_RESV_COUNTS		8	/* count entries kept to be tidied */
struct pt_resv_count {		/* a bridge's count of job ports */
	int bridge;
	unsigned int n;		/* count entries (0: not counted) */
	__u32 v[PT_RESV_COUNTS];
	__u32 max;		/* what counts */
};
int pt_resv_jobs(struct rtnl_handle *rth, const struct pt_lock *lk,
		 int bridge_ifindex, const char *bridge,
		 const struct pt_job *want, __u32 count,
		 struct pt_found_list *list, unsigned int *nports,
		 struct pt_resv_count *cnt);
void pt_resv_count_move(struct rtnl_handle *rth, int bridge_ifindex,
			int delta, struct pt_resv_count *known);
int pt_resv_update(struct rtnl_handle *rth, int bridge_ifindex,
		   int port_ifindex, const struct pt_job *job, __u32 old,
		   __u32 count);
int pt_resv_add(struct rtnl_handle *rth, int bridge_ifindex, int port,
		const struct pt_job *job);


/* pt_bpf.c: small hand-written BPF programs, loaded with bpf(2) */
#include <linux/bpf.h>
#define PT_BPF_INSNS_MAX	128
#define PT_BPF_FIXUPS_MAX	32
#define PT_BPF_LABELS_MAX	16
struct pt_bpf_prog {
	struct bpf_insn insn[PT_BPF_INSNS_MAX];
	unsigned int n, nfix, nlabels;
	struct {
		unsigned int at;
		int label;
	} fix[PT_BPF_FIXUPS_MAX];
	unsigned int label[PT_BPF_LABELS_MAX];
};

void pt_bpf_emit(struct pt_bpf_prog *p, struct bpf_insn insn);
void pt_bpf_jump(struct pt_bpf_prog *p, struct bpf_insn insn, int label);
int pt_bpf_new_label(struct pt_bpf_prog *p);
void pt_bpf_label(struct pt_bpf_prog *p, int label);
int pt_bpf_finish(struct pt_bpf_prog *p);
int pt_bpf_load(enum bpf_prog_type type, enum bpf_attach_type expected,
		const char *name, const struct bpf_insn *insns, unsigned int cnt,
		char *log, size_t loglen);
int pt_bpf_attach(int prog_fd, int target_fd, enum bpf_attach_type type,
		  __u32 flags);
int pt_bpf_detach(int prog_fd, int target_fd, enum bpf_attach_type type);
int pt_bpf_query(int target_fd, enum bpf_attach_type type, __u32 *ids,
		 __u32 *cnt);
int pt_bpf_prog_by_id(__u32 id, char *name);

/* pt_guard.c: the slot guard (cgroup bind/connect/sendmsg programs) */
#define PT_GUARD_HOOKS		6
struct pt_slot {
	char job[PT_JOB_MAX + 1];
	__u32 slot;
	bool has4, has6;
	__u32 a4;		/* network order */
	__u32 a6[4];		/* network order */
	char addr4[16], addr6[48];
	__u32 tag;		/* hash of job, slot and addresses */
};

void pt_slot_init(struct pt_slot *s, const struct pt_job *job, __u32 k);
int pt_guard_apply(int cg, const struct pt_slot *s, char *err, size_t errlen);
int pt_guard_remove(int cg, const struct pt_slot *s);

/* pt_cgroup.c: <cgroup2>/particle/JOB/slot-K */
#define PT_CGROUP_DIR		"particle"
struct pt_cgroot {
	int fd;			/* the cgroup2 mount's root directory */
	char mnt[4096];		/* where it is mounted */
};

int pt_cgroup_open(struct pt_cgroot *r);
void pt_cgroup_close(struct pt_cgroot *r);
int pt_cgroup_populated(int dir);
FILE *pt_cgroup_fopen(int dir, const char *file);
int pt_cgroup_move(int dir, int pid);
int pt_cgroup_slot_dir(const struct pt_cgroot *r, const char *job, __u32 k,
		       bool create, unsigned int *created);
void pt_cgroup_slot_undo(const struct pt_cgroot *r, const char *job, __u32 k,
			 unsigned int created);
int pt_cgroup_remember(const struct pt_cgroot *r, const char *job, __u32 k,
		       int group);
int pt_cgroup_job_remove(const struct pt_cgroot *r, const struct pt_job *job);
int pt_cgroup_trim(const struct pt_cgroot *r, const struct pt_job *job,
		   __u32 count);
unsigned int pt_cgroup_functions(const struct pt_cgroot *r,
				 const struct pt_job *job);

int pt_cgroup_tidy(const struct pt_job *job, __u32 keep);

/* pt_exec.c: exec and guard */
int pt_do_exec(int argc, char **argv);
int pt_do_guard(int argc, char **argv);

#endif /* _PARTICLE_H_ */
