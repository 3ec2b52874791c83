# SPDX-License-Identifier: GPL-2.0
# The test harness (t.h): its sources, for every Makefile that builds with
# it (tests/vm, tests/lib, tests/fuzz, tests/stress). Native builds
# (-DT_NATIVE) link libwd (wd_ctl.h) and T_NATIVE_LDFLAGS.
T_HARNESS_DIR     := $(TOP)/tests/vm
T_HARNESS_SRCS    := $(addprefix $(T_HARNESS_DIR)/,t.c t-sys.c t-queue.c)
T_HARNESS_HDRS    := $(T_HARNESS_DIR)/t.h $(T_HARNESS_DIR)/harness.mk
# the native queues' fds: close() also closes the in-process queue
T_NATIVE_LDFLAGS  := -Wl,--wrap=close
