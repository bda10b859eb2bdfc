# SPDX-License-Identifier: GPL-2.0
# Build a patched iproute2 whose "ip" has the "particle" object.
#
# Upstream is Debian 12's iproute2 source package, fetched with a private apt
# configuration under build/ and checked against upstream/iproute2.sha256.
# IPROUTE2_SRC=dir-or-tarball uses a local tree or tarball instead.

IPROUTE2_VERSION := 6.1.0
IPROUTE2_DEBIAN_VERSION := 6.1.0-3
# ./configure --iproute2-src=PATH remembers PATH here
-include build/config.mk
IPROUTE2_SRC ?=

TOP := $(CURDIR)
BUILD := $(TOP)/build
SRC := $(BUILD)/iproute2-$(IPROUTE2_VERSION)
IP := $(SRC)/ip/ip
ORIG_TARBALL := $(BUILD)/src/iproute2_$(IPROUTE2_VERSION).orig.tar.xz

DEPS_FOUND := $(BUILD)/.deps-found
PATCHES := $(shell cat patches/series)
PARTICLE_FILES := $(wildcard particle/*.c particle/*.h) particle/particle.mk
MAN_PAGE := man/man8/ip-particle.8

export NETNS_RUN_DIR := /run/netns

.PHONY: all deps demo check check-valgrind check-package bench bench-full \
	bench-evpn deb install clean distclean help FORCE check-upstream
.PHONY: fuzz fuzz-regress check-asan structure
.DELETE_ON_ERROR:

all: $(BUILD)/.built

help:
	@echo "make              build build/iproute2-$(IPROUTE2_VERSION)/ip/ip (patched)"
	@echo "./configure       check what the build needs (--install-deps, --iproute2-src=)"
	@echo "make demo         install deps, build, run the two-node demo (root)"
	@echo "make check        install deps, build, run testsuite/ (root)"
	@echo "make check-valgrind  the add/del/show tests under valgrind"
	@echo "make check-upstream  iproute2's own testsuite: patched vs unpatched build"
	@echo "make check-asan   testsuite/ against an ASan+UBSan ip (build/asan, root)"
	@echo "make fuzz         libFuzzer harnesses, FUZZ_SECONDS in total (build/fuzz)"
	@echo "make fuzz-regress replay particle/fuzz/regress and corpus once"
	@echo "make bench        quick benchmark (root); bench-full: full sweep"
	@echo "make install      install like upstream (DESTDIR, PREFIX honoured)"
	@echo "make structure    particle/'s layers, circles and paths (REV=rev)"

deps:
	@scripts/deps.sh build

# ./configure's checks, first of all: stop at once, naming the Debian
# packages, when something the build needs is missing.  What they found is
# in $(DEPS_FOUND), rewritten only when it changes, so that installing a
# library later re-runs configure.
$(DEPS_FOUND): FORCE
	@mkdir -p $(BUILD)
	@IPROUTE2_SRC="$(IPROUTE2_SRC)" ./configure --check=$@

ifeq ($(IPROUTE2_SRC),)
$(ORIG_TARBALL): upstream/iproute2.sha256 scripts/fetch-upstream.sh | $(DEPS_FOUND)
	@mkdir -p $(BUILD)/src
	scripts/fetch-upstream.sh $(BUILD) $(IPROUTE2_DEBIAN_VERSION) \
		$(TOP)/upstream/iproute2.sha256
	@touch $@
UPSTREAM := $(ORIG_TARBALL)
else
UPSTREAM := $(IPROUTE2_SRC)
endif

# Unpack a fresh tree, link our sources in, apply patches/ in series order.
$(BUILD)/.patched: $(UPSTREAM) patches/series $(addprefix patches/,$(PATCHES)) \
		| $(DEPS_FOUND)
	rm -rf $(SRC) $(BUILD)/.configured $(BUILD)/.built
	mkdir -p $(SRC)
	if [ -d "$(UPSTREAM)" ]; then \
		cp -a "$(UPSTREAM)/." $(SRC)/; \
	else \
		tar -xf "$(UPSTREAM)" -C $(SRC) --strip-components=1; \
	fi
	ln -sfn $(TOP)/particle $(SRC)/particle
	ln -sfn $(TOP)/$(MAN_PAGE) $(SRC)/man/man8/ip-particle.8
	set -e; for p in $(PATCHES); do \
		patch -d $(SRC) -p1 --forward --quiet < patches/$$p; \
	done
	touch $@

# ./configure runs upstream's and fails unless it found libmnl, libelf, libbpf.
$(BUILD)/.configured: $(BUILD)/.patched $(DEPS_FOUND) configure
	IPROUTE2_SRC="$(IPROUTE2_SRC)" ./configure --tree=$(SRC)
	touch $@

$(BUILD)/.built: $(BUILD)/.configured $(PARTICLE_FILES) $(MAN_PAGE)
	$(MAKE) -C $(SRC)
	touch $@

demo: deps
	@scripts/deps.sh test
	$(MAKE) all
	particle/demo.sh $(IP)

# lab: FRR and python3 for testsuite/evpn.bats (its lab starts its own FRR
# daemons inside the lab's namespaces)
check: deps
	@scripts/deps.sh test lab
	$(MAKE) all
	IP=$(IP) bats --print-output-on-failure testsuite/

check-valgrind: deps
	@scripts/deps.sh test
	$(MAKE) all
	IP=$(IP) bats --print-output-on-failure \
		testsuite/valgrind.bats

# Sanitizer and fuzzing builds (issue 10): trees of their own under
# build/asan and build/fuzz, built by clang from the same source + patches.
check-asan: deps $(UPSTREAM)
	@scripts/deps.sh test fuzz
	scripts/check-asan.sh $(UPSTREAM)

fuzz: deps $(UPSTREAM)
	@scripts/deps.sh fuzz
	particle/fuzz/fuzz.sh run $(UPSTREAM)

fuzz-regress: deps $(UPSTREAM)
	@scripts/deps.sh fuzz
	particle/fuzz/fuzz.sh regress $(UPSTREAM)

bench: deps
	@scripts/deps.sh bench
	$(MAKE) all
	IP=$(IP) particle/bench/run.sh --quick

bench-full: deps
	@scripts/deps.sh bench
	$(MAKE) all
	IP=$(IP) particle/bench/run.sh --full
	$(MAKE) bench-evpn

# Fig. 6 of the paper on the multi-node FRR EVPN lab (particle/lab/).
bench-evpn: deps
	@scripts/deps.sh bench
	$(MAKE) all
	IP=$(IP) particle/lab/bench.sh

# iproute2's own testsuite (make alltests) against our build and an
# unpatched build of the same source, side by side; fails on any test whose
# result differs (scripts/check-upstream.sh, TAP output).
UNPATCHED := $(BUILD)/unpatched/iproute2-$(IPROUTE2_VERSION)
$(BUILD)/unpatched/.built: $(UPSTREAM) $(DEPS_FOUND)
	rm -rf $(BUILD)/unpatched
	mkdir -p $(UNPATCHED)
	if [ -d "$(UPSTREAM)" ]; then \
		cp -a "$(UPSTREAM)/." $(UNPATCHED)/; \
	else \
		tar -xf "$(UPSTREAM)" -C $(UNPATCHED) --strip-components=1; \
	fi
	cd $(UNPATCHED) && ./configure --prefix=/usr > $(BUILD)/unpatched/configure.log
	$(MAKE) -C $(UNPATCHED)
	touch $@

check-upstream: deps
	@scripts/deps.sh test
	$(MAKE) all $(BUILD)/unpatched/.built
	scripts/check-upstream.sh $(SRC) $(UNPATCHED)

# particle/'s structure (particle/tools/structure.sh): at REV, or the tree
structure: all
	particle/tools/structure.sh $(REV)

# A Debian package of the whole patched iproute2 (Debian's source package
# plus patches/ in debian/patches), and its install test in a debootstrap root.
deb: deps
	@scripts/deps.sh deb
	packaging/build-deb.sh $(BUILD) $(IPROUTE2_DEBIAN_VERSION)

# packaging/tests/: install.bats (the .deb) and build.bats (a clean clone's
# make in a fresh root, from the same upstream source)
check-package: deb $(UPSTREAM)
	@scripts/deps.sh test
	IPROUTE2_SRC="$(UPSTREAM)" bats --print-output-on-failure packaging/tests/

# Upstream's install, plus the completion: bash-completion loads files in
# /etc/bash_completion.d eagerly, which lets ours wrap its "ip" completion.
install: all
	$(MAKE) -C $(SRC) install DESTDIR=$(DESTDIR)
	install -m 0755 -d $(DESTDIR)/etc/bash_completion.d
	install -m 0644 particle/bash-completion/ip-particle \
		$(DESTDIR)/etc/bash_completion.d/ip-particle

clean:
	[ ! -d $(SRC) ] || $(MAKE) -C $(SRC) clean
	rm -f $(BUILD)/.built

distclean:
	rm -rf $(BUILD)
