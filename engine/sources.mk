# SPDX-License-Identifier: GPL-2.0 OR MIT
# The engine core's sources, relative to engine/: the one list every host
# compiles (kernel/wd_soft/Kbuild, lib/soft, engine/Makefile's check and
# self-test, tests/fuzz). A new file of the core is one line here.
WD_SOFT_CORE_SRCS := wd_soft_core.c
