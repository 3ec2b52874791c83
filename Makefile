# SPDX-License-Identifier: GPL-2.0
# WarpDrive top-level build.
#
#   make            build the kernel modules, library, tools and VM tests
#   make run        boot a VM with the modules loaded and run a demonstration
#   make check      install dependencies, build, static checks, all tests
#
# `run` and `check` start with scripts/deps.sh, so a fresh Debian machine
# needs nothing else.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
MAKEFLAGS += --no-print-directory

# The kernel to build for (and that tools/vm/wd-vm boots). Computed once and
# only when needed, so targets that do not build modules work without headers.
KVER = $(eval KVER := $$(shell scripts/kver.sh))$(KVER)
KDIR = /lib/modules/$(KVER)/build
KBUILD = $(MAKE) -C $(KDIR) M=$(CURDIR)/kernel
# (make sees a recipe is a make, and shares its jobs with it, only by a
# literal $(MAKE) in it: recipes calling $(KBUILD) start with '+')

CHECKPATCH := build/tools/checkpatch/checkpatch.pl
# Kernel code: kernel/, the kernel ABI headers include/uapi/ and the
# portable engine core (engine/), but not the user-space only files of
# engine/ (compat-user.h, zlib-user.h, selftest.c), nor the library's include/wd.h.
KSOURCES = $(shell find kernel include/uapi engine -name '*.[ch]' ! -name '*.mod.c' \
	! -name '*-user.h' ! -name selftest.c | LC_ALL=C sort)
# The kernel source tree the headers in $(KDIR) come from (Debian splits
# them: the -amd64 directory includes the -common one's Makefile).
KSRC = $(or $(shell sed -n 's|^include \(/.*\)/Makefile$$|\1|p' $(KDIR)/Makefile 2>/dev/null),$(KDIR))

.PHONY: all modules engine lib tools front vm-tests fuzz-tests kcheck run check clean distclean bench \
	install uninstall install-dkms uninstall-dkms check-packages

all: modules engine lib tools front vm-tests fuzz-tests

modules:
	+$(KBUILD) modules

# The portable engine core, compiled as a user-space host compiles it.
engine:
	$(MAKE) -C engine check

# The user library, once, into build/lib/: libwd.so, libwd.a (both with the
# in-process device, lib/soft), libwd-vm.a (static programs for the guest)
# and libwd-asan.a (sanitizer tests); then its tests (tests/lib), which link
# them. Everything else links these archives too.
lib:
	$(MAKE) -C lib

# The wd tool (native with libwd.a, static for the guest with libwd-vm.a),
# then its tests (tests/tools).
tools: lib
	$(MAKE) -C tools

# The user-space front doors (front/): the OpenSSL provider "wd" and the
# zlib-compatible library, then their tests (tests/front).
front: lib
	$(MAKE) -C front

# From source (docs/install.md), PREFIX (default /usr/local) under DESTDIR:
# libwd, the wd tool, the front doors (front/: libwd_zlib and the OpenSSL
# provider), the udev rule and modprobe.d file (dist/; without DESTDIR
# also the group uacce). The modules: install-dkms (dist/Makefile). Each
# install builds what it installs, and only that: libwd's variants (lib/),
# the wd tool alone (tools/), the front doors' products (front/ parts), not
# the tests nor the VM's programs.
install:
	$(MAKE) -C lib install
	$(MAKE) -C tools install
	$(MAKE) -C front install
	$(MAKE) -C dist install
uninstall:
	$(MAKE) -C lib uninstall
	$(MAKE) -C tools uninstall
	$(MAKE) -C front uninstall
	$(MAKE) -C dist uninstall
install-dkms uninstall-dkms:
	$(MAKE) -C dist $@

# The uacce/wd_soft semantics tests: static programs for the guest into
# build/vm/bin/, and the same programs on the in-process device (libwd.a,
# normal and ASan+UBSan) into build/native/bin/.
vm-tests: lib front
	$(MAKE) -C tests/vm

# The fuzzers (docs/reliability.md): VM programs into build/vm/, libFuzzer
# targets (clang) into build/fuzz/ with their bounded run as a program of
# build/native/bin/ (tests/run.sh runs it with the native tests).
fuzz-tests: lib
	$(MAKE) -C tests/fuzz
	$(MAKE) -C tests/stress

# checkpatch --strict on every kernel source and header, then a rebuild with
# W=1 and sparse on every file (C=2) where any warning fails. Cleaned first:
# gcc only warns about the files it compiles. checkpatch gets --root at the
# kernel sources and no git directory, so that, as in the kernel tree, it
# learns the kernel's own identifiers from its headers (zlib_deflateInit2 is
# not our CamelCase); it caches them in .checkpatch-camelcase.* (ignored).
kcheck:
	@test -x $(CHECKPATCH) || { echo "$(CHECKPATCH) missing: run scripts/deps.sh"; exit 1; }
	GIT_DIR=/nonexistent $(CHECKPATCH) --strict --no-tree --root=$(KSRC) --quiet \
		--show-types -f $(KSOURCES)
	@mkdir -p build
	+$(KBUILD) clean
	+$(KBUILD) W=1 C=2 modules 2>&1 | tee build/kcheck.log
	@if grep -i 'warning:' build/kcheck.log; then \
		echo "kcheck: warnings in the W=1/sparse build (above)"; exit 1; fi
	@echo "kcheck: clean"

run:
	scripts/deps.sh
	$(MAKE) all
	tools/vm/wd-vm --add tools/vm/demo.sh -- sh ./demo.sh

# wd-bench (tools/bench) natively and in the VM, each result beside its
# comparisons; the report (tables, CSV, plot, and results.json with every
# row and the project's targets) in build/bench/ (docs/performance.md).
bench:
	scripts/deps.sh
	$(MAKE) all
	tools/bench/bench.sh

check:
	scripts/deps.sh
	$(MAKE) all
	$(MAKE) kcheck
	tests/run.sh

# The Debian packages built, installed in a chroot made from Debian's
# packages, DKMS-built for the VM's kernel, used in the VM by a user in
# group uacce and one outside it, purged; then make install/uninstall from
# source (tests/pkg/check-packages.sh, docs/install.md). Not part of check.
check-packages:
	scripts/deps.sh
	$(MAKE) modules
	tests/pkg/check-packages.sh

# kbuild's objects beside the kernel sources (and engine/'s, through the
# link kernel/wd_soft/engine), then everything in build/ but the checkpatch
# copy deps.sh extracted: all user-space output is in build/. Never through
# a mount (check-packages' chroots bind /dev while they run).
clean:
	+if [[ -d "$(KDIR)" ]]; then $(KBUILD) clean; fi
	if [[ -d build ]]; then find build -mindepth 1 -maxdepth 1 ! -name tools -exec rm -rf --one-file-system {} +; fi

# clean, and also the checkpatch copy deps.sh extracted
distclean: clean
	rm -rf --one-file-system build

# ---- reliability (docs/reliability.md) ----------------------------------
#
#   make debug-kernel   build the debug kernel once per machine (cached in
#                       /var/cache/warpdrive/, see scripts/build-debug-kernel.sh)
#   make debug-modules  uacce.ko and wd_soft.ko built against it, in
#                       build/debug-modules/ (a copy of the sources, the
#                       link kernel/wd_soft/engine and the source lists
#                       included: kbuild writes next to them)
#   make check-debug    the VM suites on the debug kernel, then kmemleak
#   make fuzz           long libFuzzer runs (FUZZ_SECONDS each, default 3600)
#   make fuzz-ring      long ring fuzzer run in the VM (FZ_SECONDS, default 3600)
#   make fuzz-sys       long system-call fuzzer run in the VM (same)
#   make stress         long fault/load runs in the VM (ST_SECONDS per load
#                       phase, default 600; ST_ROUNDS, default 50), then the
#                       memory-pressure test in a 320 MiB VM
.PHONY: debug-kernel debug-modules check-debug fuzz fuzz-ring fuzz-sys stress

debug-kernel:
	scripts/build-debug-kernel.sh >/dev/null

DEBUG_MOD_SRCS = $(shell find kernel engine include -name '*.[ch]' ! -name '*.mod.c' \
	-o -name Kbuild -o -name '*.mk' -o -type l)
debug-modules: debug-kernel
	@mkdir -p build/debug-modules
	cp --parents -u -p -P $(DEBUG_MOD_SRCS) build/debug-modules/
	$(MAKE) -C "$$(scripts/build-debug-kernel.sh --dir)/linux" \
		M=$(CURDIR)/build/debug-modules/kernel modules

check-debug: all debug-modules
	tests/run.sh --debug-kernel

FUZZ_SECONDS ?= 3600
fuzz: fuzz-tests
	@for t in fz_core fz_kcore fz_local fz_libwd; do \
		mkdir -p build/fuzz/corpus/$$t build/fuzz/crashes; \
		seeds=build/fuzz/seeds/core; [[ $$t != fz_libwd ]] || seeds=tests/fuzz/regress/libwd; \
		echo "== $$t for $(FUZZ_SECONDS) s, corpus build/fuzz/corpus/$$t"; \
		build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=60 \
			-print_final_stats=1 -artifact_prefix=build/fuzz/crashes/$$t- \
			build/fuzz/corpus/$$t $$seeds || exit 1; \
	done

# WD_VM_ARGS=--debug-kernel runs them on the debug kernel (after
# make debug-modules); FZ_SEED picks another sequence.
FZ_SECONDS ?= 3600
FZ_SEED ?= 1
WD_VM_ARGS ?=
fuzz-ring: all
	tools/vm/wd-vm -v $(WD_VM_ARGS) --timeout $$(($(FZ_SECONDS) * 3 + 900)) --add build/vm -- \
		sh -c 'FZ_SEED=$(FZ_SEED) FZ_SECONDS=$(FZ_SECONDS) FZ_BATCHES=100000000 ./bin/fz_ring'
fuzz-sys: all
	tools/vm/wd-vm -v $(WD_VM_ARGS) --timeout $$(($(FZ_SECONDS) + 900)) --add build/vm -- \
		sh -c 'FZ_SEED=$(FZ_SEED) FZ_SECONDS=$(FZ_SECONDS) FZ_OPS=1000000000 ./bin/fz_sys'

ST_SECONDS ?= 600
ST_ROUNDS ?= 50
stress: all
	tools/vm/wd-vm -v $(WD_VM_ARGS) --timeout $$(($(ST_SECONDS) * 4 + $(ST_ROUNDS) * 60 + 900)) \
		--add build/vm -- sh -c 'ST_SECONDS=$(ST_SECONDS) ST_ROUNDS=$(ST_ROUNDS) sh ./suite-stress.sh'
	tools/vm/wd-vm -v $(WD_VM_ARGS) --allow-oom --mem $(if $(WD_VM_ARGS),512M,320M) \
		--timeout $$(($(ST_SECONDS) + 900)) -- sh -c 'ST_SECONDS=$(ST_SECONDS) st_mem'
