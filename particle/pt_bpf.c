// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and attaching small hand-written BPF programs with the bpf(2)
 * system call (through iproute2's own bpf() wrapper, so that ip needs no
 * libbpf and no clang).  Nothing here knows what a program does: the slot
 * guard (pt_guard.c) uses it for cgroup programs, and any other part of ip
 * particle can load, say, a classifier with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "bpf_util.h"
#include "particle.h"

static __u64 ptr_u64(const void *p)
{
	return (__u64)(unsigned long)p;
}

/* Emitting instructions with forward jumps to labels. */
void pt_bpf_emit(struct pt_bpf_prog *p, struct bpf_insn insn)
{
	if (p->n < PT_BPF_INSNS_MAX)
		p->insn[p->n] = insn;
	p->n++;
}

void pt_bpf_jump(struct pt_bpf_prog *p, struct bpf_insn insn, int label)
{
	if (p->nfix < PT_BPF_FIXUPS_MAX) {
		p->fix[p->nfix].at = p->n;
		p->fix[p->nfix].label = label;
	}
	p->nfix++;
	pt_bpf_emit(p, insn);
}

int pt_bpf_new_label(struct pt_bpf_prog *p)
{
	return p->nlabels++;
}

void pt_bpf_label(struct pt_bpf_prog *p, int label)
{
	if (label >= 0 && label < PT_BPF_LABELS_MAX)
		p->label[label] = p->n + 1;	/* 0: not placed */
}

/* Resolves the jumps; -1 when the program overflowed or a label is
 * missing (a bug in the generator, never input). */
int pt_bpf_finish(struct pt_bpf_prog *p)
{
	unsigned int i;

	if (p->n > PT_BPF_INSNS_MAX || p->nfix > PT_BPF_FIXUPS_MAX)
		return -1;
	for (i = 0; i < p->nfix; i++) {
		int l = p->fix[i].label;

		if (l < 0 || l >= PT_BPF_LABELS_MAX || !p->label[l])
			return -1;
		p->insn[p->fix[i].at].off = (p->label[l] - 1) - p->fix[i].at - 1;
	}
	return 0;
}

/*
 * Load a program of type 'type' for the attach type 'expected' (0 where
 * the type needs none) from 'cnt' instructions.  Returns its fd, or -1
 * with errno set; 'log' (may be NULL) gets the verifier's words.
 */
int pt_bpf_load(enum bpf_prog_type type, enum bpf_attach_type expected,
		const char *name, const struct bpf_insn *insns, unsigned int cnt,
		char *log, size_t loglen)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.expected_attach_type = expected;
	attr.insns = ptr_u64(insns);
	attr.insn_cnt = cnt;
	attr.license = ptr_u64("GPL");
	if (name)
		strncpy(attr.prog_name, name, sizeof(attr.prog_name) - 1);
	fd = bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0 && log && loglen) {
		int err = errno;

		/* again, for the verifier's reasons */
		memset(log, 0, loglen);
		attr.log_buf = ptr_u64(log);
		attr.log_size = loglen;
		attr.log_level = 1;
		fd = bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
		if (fd >= 0) {
			close(fd);
			fd = -1;
		}
		errno = err;
	}
	return fd;	/* the kernel makes bpf fds close-on-exec */
}

int pt_bpf_attach(int prog_fd, int target_fd, enum bpf_attach_type type,
		  __u32 flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = target_fd;
	attr.attach_bpf_fd = prog_fd;
	attr.attach_type = type;
	attr.attach_flags = flags;
	return bpf(BPF_PROG_ATTACH, &attr, sizeof(attr));
}

int pt_bpf_detach(int prog_fd, int target_fd, enum bpf_attach_type type)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = target_fd;
	attr.attach_bpf_fd = prog_fd;
	attr.attach_type = type;
	return bpf(BPF_PROG_DETACH, &attr, sizeof(attr));
}

/* Ids of the programs attached to target_fd for 'type' (at most *cnt). */
int pt_bpf_query(int target_fd, enum bpf_attach_type type, __u32 *ids,
		 __u32 *cnt)
{
	union bpf_attr attr;
	int ret;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = target_fd;
	attr.query.attach_type = type;
	attr.query.prog_ids = ptr_u64(ids);
	attr.query.prog_cnt = *cnt;
	ret = bpf(BPF_PROG_QUERY, &attr, sizeof(attr));
	if (ret == 0 || errno == ENOSPC)
		*cnt = attr.query.prog_cnt < *cnt ? attr.query.prog_cnt : *cnt;
	else
		*cnt = 0;
	return ret;
}

/* An fd for program 'id' and its name (name: BPF_OBJ_NAME_LEN bytes). */
int pt_bpf_prog_by_id(__u32 id, char *name)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	fd = bpf(BPF_PROG_GET_FD_BY_ID, &attr, sizeof(attr));
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = ptr_u64(&info);
	if (bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr))) {
		close(fd);
		return -1;
	}
	memcpy(name, info.name, BPF_OBJ_NAME_LEN);
	name[BPF_OBJ_NAME_LEN - 1] = '\0';
	return fd;
}
