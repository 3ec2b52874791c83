# SPDX-License-Identifier: GPL-2.0 OR MIT
# The in-process device's own sources, relative to lib/soft/ (the engine
# core's are engine/sources.mk's): lib/soft/build.mk builds them into the
# archives, tests/fuzz compiles them into fz_local with libFuzzer's
# instrumentation.
WDL_SRCS := dev.c engine.c mem.c algs.c crc32c.c
