// SPDX-License-Identifier: GPL-2.0
/*
 * The slot guard: six cgroup programs (BPF_PROG_TYPE_CGROUP_SOCK_ADDR),
 * written out here instruction by instruction with the slot's addresses
 * as immediates, one per hook:
 *
 *   b4/b6  bind:     wildcard -> the slot's address (same port); the
 *                    slot's address and loopback pass; anything else EPERM
 *   c4/c6  connect:  an unbound socket is bound to the slot's address
 *                    (bpf_bind(), address only: the port comes at connect)
 *   s4/s6  sendmsg:  an unbound UDP send leaves from the slot's address;
 *                    a source that is neither the slot's nor loopback EPERM
 *
 * Destinations are never changed.  An IPv6 socket of an IPv4-only job is
 * bound to ::ffff:<slot's IPv4 address>; a v4-mapped destination makes
 * connect bind that address.  Each program's name carries a hash of job,
 * slot and addresses, so a group that already holds the right guard keeps
 * it, and del finds exactly the programs of its job.
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stddef.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "bpf_util.h"
#include "particle.h"

static const struct {
	enum bpf_attach_type type;
	const char *kind;
} hooks[PT_GUARD_HOOKS] = {
	{ BPF_CGROUP_INET4_BIND,	"b4" },
	{ BPF_CGROUP_INET6_BIND,	"b6" },
	{ BPF_CGROUP_INET4_CONNECT,	"c4" },
	{ BPF_CGROUP_INET6_CONNECT,	"c6" },
	{ BPF_CGROUP_UDP4_SENDMSG,	"s4" },
	{ BPF_CGROUP_UDP6_SENDMSG,	"s6" },
};

#define CTX(field)	offsetof(struct bpf_sock_addr, field)
#define R(n)		BPF_REG_##n

static __u32 fnv1a32(__u32 h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--) {
		h ^= *p++;
		h *= 16777619U;
	}
	return h;
}

/* The slot K of a job, as the guard needs it. */
void pt_slot_init(struct pt_slot *s, const struct pt_job *job, __u32 k)
{
	__u32 h = 2166136261U;
	int i;

	memset(s, 0, sizeof(*s));
	snprintf(s->job, sizeof(s->job), "%s", job->name);
	s->slot = k;
	for (i = 0; i < job->npools; i++) {
		struct pt_addr a = pt_pool_slot(&job->pools[i], k);

		if (job->pools[i].family == AF_INET) {
			s->has4 = true;
			pt_addr_to_bytes(AF_INET, &a, &s->a4);
			pt_addr_format(AF_INET, &a, s->addr4, sizeof(s->addr4));
		} else {
			s->has6 = true;
			pt_addr_to_bytes(AF_INET6, &a, s->a6);
			pt_addr_format(AF_INET6, &a, s->addr6, sizeof(s->addr6));
		}
	}
	h = fnv1a32(h, s->job, strlen(s->job) + 1);
	h = fnv1a32(h, &k, sizeof(k));
	h = fnv1a32(h, &s->a4, sizeof(s->a4));
	h = fnv1a32(h, s->a6, sizeof(s->a6));
	s->tag = h;
}

static void prog_name(const struct pt_slot *s, int hook, char *name)
{
	snprintf(name, BPF_OBJ_NAME_LEN, "pt_%s_%08x", hooks[hook].kind, s->tag);
}

/* --- the instructions ------------------------------------------------- */

static void j32(struct pt_bpf_prog *p, int op, int reg, __u32 imm, int label)
{
	pt_bpf_jump(p, BPF_RAW_INSN(BPF_JMP32 | op | BPF_K, reg, 0, 0, (__s32)imm),
		    label);
}

static void ja(struct pt_bpf_prog *p, int label)
{
	pt_bpf_jump(p, BPF_RAW_INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), label);
}

static void ret(struct pt_bpf_prog *p, int verdict)
{
	pt_bpf_emit(p, BPF_MOV64_IMM(R(0), verdict));
	pt_bpf_emit(p, BPF_EXIT_INSN());
}

static void ld(struct pt_bpf_prog *p, int reg, int off)
{
	pt_bpf_emit(p, BPF_LDX_MEM(BPF_W, reg, R(6), off));
}

/* ctx stores must come from a register */
static void st(struct pt_bpf_prog *p, int off, __u32 val)
{
	pt_bpf_emit(p, BPF_MOV32_IMM(R(7), (__s32)val));
	pt_bpf_emit(p, BPF_STX_MEM(BPF_W, R(6), R(7), off));
}

static void st6(struct pt_bpf_prog *p, int off, const __u32 a[4])
{
	int i;

	for (i = 0; i < 4; i++)
		st(p, off + 4 * i, a[i]);
}

/* reg holds an IPv4 address: jump when it is in 127.0.0.0/8 */
static void if_loop4(struct pt_bpf_prog *p, int reg, int label)
{
	pt_bpf_emit(p, BPF_MOV32_REG(R(7), reg));
	pt_bpf_emit(p, BPF_ALU32_IMM(BPF_AND, R(7), (__s32)htonl(0xff000000)));
	j32(p, BPF_JEQ, R(7), htonl(0x7f000000), label);
}

/* r2..r5 hold an IPv6 address: jump when it is :: */
static void if_any6(struct pt_bpf_prog *p, int label)
{
	pt_bpf_emit(p, BPF_MOV32_REG(R(7), R(2)));
	pt_bpf_emit(p, BPF_ALU32_REG(BPF_OR, R(7), R(3)));
	pt_bpf_emit(p, BPF_ALU32_REG(BPF_OR, R(7), R(4)));
	pt_bpf_emit(p, BPF_ALU32_REG(BPF_OR, R(7), R(5)));
	j32(p, BPF_JEQ, R(7), 0, label);
}

/* ... when it is ::1 */
static void if_loop6(struct pt_bpf_prog *p, int label)
{
	int no = pt_bpf_new_label(p);

	pt_bpf_emit(p, BPF_MOV32_REG(R(7), R(2)));
	pt_bpf_emit(p, BPF_ALU32_REG(BPF_OR, R(7), R(3)));
	pt_bpf_emit(p, BPF_ALU32_REG(BPF_OR, R(7), R(4)));
	j32(p, BPF_JNE, R(7), 0, no);
	j32(p, BPF_JEQ, R(5), htonl(1), label);
	pt_bpf_label(p, no);
}

/* ... when it is v4-mapped (::ffff:a.b.c.d; r5 then holds a.b.c.d) */
static void if_mapped(struct pt_bpf_prog *p, int label)
{
	int no = pt_bpf_new_label(p);

	j32(p, BPF_JNE, R(2), 0, no);
	j32(p, BPF_JNE, R(3), 0, no);
	j32(p, BPF_JEQ, R(4), htonl(0xffff), label);
	pt_bpf_label(p, no);
}

/* ... when it is a */
static void if_addr6(struct pt_bpf_prog *p, const __u32 a[4], int label)
{
	int no = pt_bpf_new_label(p);

	j32(p, BPF_JNE, R(2), a[0], no);
	j32(p, BPF_JNE, R(3), a[1], no);
	j32(p, BPF_JNE, R(4), a[2], no);
	j32(p, BPF_JEQ, R(5), a[3], label);
	pt_bpf_label(p, no);
}

static void ld6(struct pt_bpf_prog *p, int off)
{
	int i;

	for (i = 0; i < 4; i++)
		ld(p, R(2 + i), off + 4 * i);
}

/* bpf_bind(ctx, sockaddr on the stack, len): the address, port 0 */
static void call_bind4(struct pt_bpf_prog *p, __u32 a4)
{
	pt_bpf_emit(p, BPF_ST_MEM(BPF_H, R(10), -16, AF_INET));
	pt_bpf_emit(p, BPF_ST_MEM(BPF_H, R(10), -14, 0));
	pt_bpf_emit(p, BPF_ST_MEM(BPF_W, R(10), -12, (__s32)a4));
	pt_bpf_emit(p, BPF_ST_MEM(BPF_W, R(10), -8, 0));
	pt_bpf_emit(p, BPF_ST_MEM(BPF_W, R(10), -4, 0));
	pt_bpf_emit(p, BPF_MOV64_REG(R(1), R(6)));
	pt_bpf_emit(p, BPF_MOV64_REG(R(2), R(10)));
	pt_bpf_emit(p, BPF_ALU64_IMM(BPF_ADD, R(2), -16));
	pt_bpf_emit(p, BPF_MOV64_IMM(R(3), 16));
	pt_bpf_emit(p, BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_bind));
}

static void call_bind6(struct pt_bpf_prog *p, const __u32 a[4])
{
	int i;

	pt_bpf_emit(p, BPF_ST_MEM(BPF_H, R(10), -32, AF_INET6));
	pt_bpf_emit(p, BPF_ST_MEM(BPF_H, R(10), -30, 0));
	pt_bpf_emit(p, BPF_ST_MEM(BPF_W, R(10), -28, 0));	/* flowinfo */
	for (i = 0; i < 4; i++)
		pt_bpf_emit(p, BPF_ST_MEM(BPF_W, R(10), -24 + 4 * i, (__s32)a[i]));
	pt_bpf_emit(p, BPF_ST_MEM(BPF_W, R(10), -8, 0));	/* scope id */
	pt_bpf_emit(p, BPF_ST_MEM(BPF_W, R(10), -4, 0));
	pt_bpf_emit(p, BPF_MOV64_REG(R(1), R(6)));
	pt_bpf_emit(p, BPF_MOV64_REG(R(2), R(10)));
	pt_bpf_emit(p, BPF_ALU64_IMM(BPF_ADD, R(2), -32));
	pt_bpf_emit(p, BPF_MOV64_IMM(R(3), 28));	/* sizeof(sockaddr_in6) */
	pt_bpf_emit(p, BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_bind));
}

static void gen_bind4(struct pt_bpf_prog *p, const struct pt_slot *s)
{
	int allow = pt_bpf_new_label(p), wild = pt_bpf_new_label(p);

	ld(p, R(2), CTX(user_ip4));
	j32(p, BPF_JEQ, R(2), 0, wild);
	if (s->has4)
		j32(p, BPF_JEQ, R(2), s->a4, allow);
	if_loop4(p, R(2), allow);
	ret(p, 0);
	pt_bpf_label(p, wild);
	if (!s->has4) {
		ret(p, 0);	/* no IPv4 address for this slot */
	} else {
		st(p, CTX(user_ip4), s->a4);
	}
	pt_bpf_label(p, allow);
	ret(p, 1);
}

static void gen_bind6(struct pt_bpf_prog *p, const struct pt_slot *s)
{
	int allow = pt_bpf_new_label(p), deny = pt_bpf_new_label(p);
	int wild = pt_bpf_new_label(p), wild4 = pt_bpf_new_label(p);
	int mapped = pt_bpf_new_label(p);
	const __u32 m4[4] = { 0, 0, htonl(0xffff), s->a4 };

	ld6(p, CTX(user_ip6));
	if_any6(p, wild);
	if_mapped(p, mapped);
	if (s->has6)
		if_addr6(p, s->a6, allow);
	if_loop6(p, allow);
	ja(p, deny);

	pt_bpf_label(p, mapped);
	j32(p, BPF_JEQ, R(5), 0, wild4);
	if (s->has4)
		j32(p, BPF_JEQ, R(5), s->a4, allow);
	if_loop4(p, R(5), allow);
	pt_bpf_label(p, deny);
	ret(p, 0);

	pt_bpf_label(p, wild);
	if (s->has6)
		st6(p, CTX(user_ip6), s->a6);
	else if (s->has4)
		st6(p, CTX(user_ip6), m4);
	else
		ja(p, deny);
	ja(p, allow);

	pt_bpf_label(p, wild4);
	if (!s->has4)
		ja(p, deny);
	else
		st(p, CTX(user_ip6[3]), s->a4);
	pt_bpf_label(p, allow);
	ret(p, 1);
}

static void gen_connect4(struct pt_bpf_prog *p, const struct pt_slot *s)
{
	int out = pt_bpf_new_label(p);

	if (s->has4) {
		ld(p, R(2), CTX(user_ip4));
		if_loop4(p, R(2), out);
		call_bind4(p, s->a4);	/* fails harmlessly when bound */
	}
	pt_bpf_label(p, out);
	ret(p, 1);
}

static void gen_connect6(struct pt_bpf_prog *p, const struct pt_slot *s)
{
	int out = pt_bpf_new_label(p), mapped = pt_bpf_new_label(p);
	const __u32 m4[4] = { 0, 0, htonl(0xffff), s->a4 };

	ld6(p, CTX(user_ip6));
	if_mapped(p, mapped);
	if (s->has6) {
		if_loop6(p, out);
		call_bind6(p, s->a6);
	}
	ja(p, out);
	pt_bpf_label(p, mapped);
	if (s->has4) {
		if_loop4(p, R(5), out);
		call_bind6(p, m4);
	}
	pt_bpf_label(p, out);
	ret(p, 1);
}

static void gen_sendmsg4(struct pt_bpf_prog *p, const struct pt_slot *s)
{
	int out = pt_bpf_new_label(p), set = pt_bpf_new_label(p);

	ld(p, R(2), CTX(user_ip4));
	if_loop4(p, R(2), out);
	ld(p, R(3), CTX(msg_src_ip4));
	j32(p, BPF_JEQ, R(3), 0, set);
	if (s->has4)
		j32(p, BPF_JEQ, R(3), s->a4, out);
	if_loop4(p, R(3), out);
	ret(p, 0);
	pt_bpf_label(p, set);
	if (s->has4)
		st(p, CTX(msg_src_ip4), s->a4);
	pt_bpf_label(p, out);
	ret(p, 1);
}

static void gen_sendmsg6(struct pt_bpf_prog *p, const struct pt_slot *s)
{
	int out = pt_bpf_new_label(p), set = pt_bpf_new_label(p);

	ld6(p, CTX(user_ip6));
	if_mapped(p, out);
	if_loop6(p, out);
	ld6(p, CTX(msg_src_ip6));
	if_any6(p, set);
	if (s->has6)
		if_addr6(p, s->a6, out);
	if_loop6(p, out);
	ret(p, 0);
	pt_bpf_label(p, set);
	if (s->has6)
		st6(p, CTX(msg_src_ip6), s->a6);
	pt_bpf_label(p, out);
	ret(p, 1);
}

static int gen(struct pt_bpf_prog *p, int hook, const struct pt_slot *s)
{
	static void (*const fn[PT_GUARD_HOOKS])(struct pt_bpf_prog *,
						const struct pt_slot *) = {
		gen_bind4, gen_bind6, gen_connect4, gen_connect6,
		gen_sendmsg4, gen_sendmsg6,
	};

	memset(p, 0, sizeof(*p));
	pt_bpf_emit(p, BPF_MOV64_REG(R(6), R(1)));
	fn[hook](p, s);
	return pt_bpf_finish(p);
}

/* --- on a cgroup ------------------------------------------------------- */

#define IDS_MAX	64

/*
 * Detach from cg the guard programs of one hook: those named 'keep' stay
 * (at most one; *kept tells), those of slot 'only' go (NULL: every
 * program named pt_*).
 */
static int sweep(int cg, int hook, const char *keep, const struct pt_slot *only,
		 bool *kept)
{
	__u32 ids[IDS_MAX], n = IDS_MAX, i;
	char prefix[8], mine[BPF_OBJ_NAME_LEN];
	int ret = 0;

	*kept = false;
	snprintf(prefix, sizeof(prefix), "pt_%s_", hooks[hook].kind);
	if (only)
		prog_name(only, hook, mine);
	if (pt_bpf_query(cg, hooks[hook].type, ids, &n) && errno != ENOSPC)
		return -errno;
	for (i = 0; i < n; i++) {
		char name[BPF_OBJ_NAME_LEN];
		int fd = pt_bpf_prog_by_id(ids[i], name);

		if (fd < 0)
			continue;
		if (strncmp(name, prefix, strlen(prefix)) == 0) {
			if (keep && !*kept && strcmp(name, keep) == 0)
				*kept = true;
			else if ((!only || strcmp(name, mine) == 0) &&
				 pt_bpf_detach(fd, cg, hooks[hook].type) &&
				 errno != ENOENT)
				ret = -errno;
		}
		close(fd);
	}
	return ret;
}

/*
 * Put the guard of slot s on the cgroup cg (an fd of its directory),
 * replacing older guards there and keeping one that is already right.
 * On failure nothing of this call stays attached; err explains.
 */
int pt_guard_apply(int cg, const struct pt_slot *s, char *err, size_t errlen)
{
	int fds[PT_GUARD_HOOKS], i, ret = 0;
	static char log[8192];

	for (i = 0; i < PT_GUARD_HOOKS; i++)
		fds[i] = -1;
	for (i = 0; i < PT_GUARD_HOOKS; i++) {
		char name[BPF_OBJ_NAME_LEN];
		struct pt_bpf_prog p;
		bool kept;

		prog_name(s, i, name);
		ret = sweep(cg, i, name, NULL, &kept);
		if (ret) {
			snprintf(err, errlen,
				 "the kernel refused the slot guard: querying the cgroup's programs failed: %s (a kernel with CONFIG_CGROUP_BPF is needed)",
				 strerror(-ret));
			break;
		}
		if (kept)
			continue;
		if (gen(&p, i, s)) {
			snprintf(err, errlen, "internal error: guard program %s", name);
			ret = -EINVAL;
			break;
		}
		fds[i] = pt_bpf_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
				     hooks[i].type, name, p.insn, p.n, log,
				     sizeof(log));
		if (fds[i] < 0) {
			ret = -errno;
			snprintf(err, errlen,
				 "the kernel refused to load the slot guard (%s): %s%s%.200s",
				 name, strerror(errno),
				 log[0] ? ": " : " (a kernel with CONFIG_CGROUP_BPF is needed)",
				 log);
			break;
		}
		if (pt_bpf_attach(fds[i], cg, hooks[i].type, BPF_F_ALLOW_MULTI)) {
			ret = -errno;
			snprintf(err, errlen,
				 "the kernel refused to attach the slot guard (%s) to the cgroup: %s",
				 name, strerror(errno));
			close(fds[i]);
			fds[i] = -1;
			break;
		}
	}
	for (i = 0; i < PT_GUARD_HOOKS; i++) {
		if (fds[i] < 0)
			continue;
		if (ret)
			pt_bpf_detach(fds[i], cg, hooks[i].type);
		close(fds[i]);
	}
	return ret;
}

/* Take the guard of slot s (NULL: every guard) off the cgroup cg. */
int pt_guard_remove(int cg, const struct pt_slot *s)
{
	int i, ret = 0;
	bool kept;

	for (i = 0; i < PT_GUARD_HOOKS; i++) {
		int err = sweep(cg, i, NULL, s, &kept);

		if (err && err != -EINVAL && !ret)
			ret = err;
	}
	return ret;
}
