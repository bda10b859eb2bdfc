// SPDX-License-Identifier: GPL-2.0
/*
 * The slot classifier: a cls_bpf program (not direct-action) that returns
 * the HTB class of a packet's slot, computed from its address in constant
 * time whatever the job's size:
 *
 *	slot = addr - first;  classid = 1:(slot + 1)  if slot < max
 *	0 (no class: HTB sends it directly) otherwise
 *
 * The address is the source on eth0 (traffic from the functions) and the
 * destination on the port (traffic to them), IPv4 and IPv6.  The program
 * is a few hand-written instructions, loaded by pt_bpf.c: no compiler,
 * no object file, no map.
 */
#include <string.h>
#include <errno.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>

#include "particle.h"

struct prog {
	struct bpf_insn v[64];
	unsigned int n;
};

static void emit(struct prog *p, __u8 code, __u8 dst, __u8 src, __s16 off,
		 __s32 imm)
{
	struct bpf_insn *i = &p->v[p->n++];

	memset(i, 0, sizeof(*i));
	i->code = code;
	i->dst_reg = dst;
	i->src_reg = src;
	i->off = off;
	i->imm = imm;
}

/* dst = a 64-bit constant (two instructions) */
static void emit_ld64(struct prog *p, __u8 dst, __u64 v)
{
	emit(p, BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (__u32)v);
	emit(p, 0, 0, 0, 0, (__u32)(v >> 32));
}

/* r0 = ntohl(32 bits at the network header + off); r1-r5 clobbered */
static void emit_net_word(struct prog *p, int off)
{
	emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, 0, SKF_NET_OFF + off);
}

/* A forward jump whose target is set later with patch(). */
static unsigned int emit_jmp(struct prog *p, __u8 op, __u8 src, __u8 dst,
			     __s32 imm)
{
	emit(p, BPF_JMP | op | src, dst, 0, 0, imm);
	return p->n - 1;
}

static void patch(struct prog *p, unsigned int at)
{
	p->v[at].off = p->n - at - 1;
}

/* r7 = slot + 0x10001 (the classid) when r7 < max; else exit 0 */
static void emit_classid(struct prog *p, unsigned int max, unsigned int *miss,
			 unsigned int *nmiss)
{
	miss[(*nmiss)++] = emit_jmp(p, BPF_JGE, BPF_K, BPF_REG_7, max);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_7, 0, 0, 0x10001);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_7, 0, 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static void build(struct prog *p, const struct pt_job *job, bool dst,
		  unsigned int max)
{
	unsigned int miss[8], nmiss = 0, to4 = 0, to6 = 0, i;
	const struct pt_pool *p4 = NULL, *p6 = NULL;
	int k;

	for (k = 0; k < job->npools; k++) {
		if (job->pools[k].family == AF_INET)
			p4 = &job->pools[k];
		else
			p6 = &job->pools[k];
	}
	p->n = 0;
	/* r6 = ctx (LD_ABS wants it there); r2 = skb->protocol */
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	emit(p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1,
	     offsetof(struct __sk_buff, protocol), 0);
	if (p4)
		to4 = emit_jmp(p, BPF_JEQ, BPF_K, BPF_REG_2, htons(ETH_P_IP));
	if (p6)
		to6 = emit_jmp(p, BPF_JEQ, BPF_K, BPF_REG_2, htons(ETH_P_IPV6));
	miss[nmiss++] = emit_jmp(p, BPF_JA, 0, 0, 0);

	if (p4) {
		patch(p, to4);
		emit_net_word(p, dst ? 16 : 12);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
		emit_ld64(p, BPF_REG_1, p4->first.lo);
		emit(p, BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_7, BPF_REG_1, 0, 0);
		emit_classid(p, max, miss, &nmiss);
	}
	if (p6) {
		int off = dst ? 24 : 8;
		unsigned int noborrow;

		patch(p, to6);
		/* r7:r8 = the address, high and low 64 bits */
		emit_net_word(p, off);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
		emit(p, BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_7, 0, 0, 32);
		emit_net_word(p, off + 4);
		emit(p, BPF_ALU64 | BPF_OR | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
		emit_net_word(p, off + 8);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0);
		emit(p, BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_8, 0, 0, 32);
		emit_net_word(p, off + 12);
		emit(p, BPF_ALU64 | BPF_OR | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0);
		/* 128-bit subtraction of first, with the borrow */
		emit_ld64(p, BPF_REG_1, p6->first.lo);
		emit_ld64(p, BPF_REG_2, p6->first.hi);
		noborrow = emit_jmp(p, BPF_JGE, BPF_X, BPF_REG_8, 0);
		p->v[noborrow].src_reg = BPF_REG_1;
		emit(p, BPF_ALU64 | BPF_SUB | BPF_K, BPF_REG_7, 0, 0, 1);
		patch(p, noborrow);
		emit(p, BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_8, BPF_REG_1, 0, 0);
		emit(p, BPF_ALU64 | BPF_SUB | BPF_X, BPF_REG_7, BPF_REG_2, 0, 0);
		miss[nmiss++] = emit_jmp(p, BPF_JNE, BPF_K, BPF_REG_7, 0);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_8, 0, 0);
		emit_classid(p, max, miss, &nmiss);
	}
	for (i = 0; i < nmiss; i++)
		patch(p, miss[i]);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/*
 * Load the classifier of job for one direction (dst: match destination
 * addresses) for slots below max.  Returns a program fd or a negative
 * errno, with the verifier's words in log when it refused.
 */
int pt_slot_prog_load(const struct pt_job *job, bool dst, unsigned int max,
		      char *log, size_t loglen)
{
	struct prog p;
	int fd;

	build(&p, job, dst, max);
	fd = pt_bpf_load(BPF_PROG_TYPE_SCHED_CLS, 0,
			 dst ? "pt_slot_dst" : "pt_slot_src", p.v, p.n, log,
			 loglen);
	return fd >= 0 ? fd : -errno;
}
