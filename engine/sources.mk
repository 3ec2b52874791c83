# SPDX-License-Identifier: GPL-2.0 OR MIT
# The engine's sources, relative to engine/: the lists every host compiles
# (kernel/wd_soft/Kbuild, lib/soft, engine/Makefile's check and self-test,
# tests/fuzz). A new file is one line here.
#
#   WD_SOFT_CORE_SRCS   the core: what the device does with a queue
#   WD_SOFT_SCHED_SRCS  the scheduler: for hosts with engine threads (the
#                       kernel, lib/soft); the self-test and fz_core drive
#                       the core directly
WD_SOFT_CORE_SRCS := wd_soft_core.c wd_soft_buf.c wd_soft_ops.c wd_soft_stream.c
WD_SOFT_SCHED_SRCS := wd_soft_sched.c
