# SPDX-License-Identifier: GPL-2.0
# Included from ip/Makefile: adds the particle object's sources to ip.
# Objects are built in ip/ from ../particle/*.c through vpath, so the
# source directory stays clean.

PARTICLE_SRCS := $(notdir $(wildcard ../particle/*.c))
PARTICLE_OBJS := $(PARTICLE_SRCS:.c=.o)

vpath %.c ../particle

IPOBJ += $(PARTICLE_OBJS)

$(PARTICLE_OBJS): $(wildcard ../particle/*.h) ../particle/particle.mk
$(PARTICLE_OBJS): CFLAGS += -Wextra -I. -I../particle
