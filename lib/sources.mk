# SPDX-License-Identifier: MIT
# libwd's sources (relative to lib/), for every build of it: lib/Makefile's
# variants and the fuzzers' instrumented copy (tests/fuzz).
WD_LIB_SRCS := wd.c discover.c mem.c drv_wd_soft.c transport_uacce.c \
	       transport_local.c wd_ctl.c stream.c errors.c
