// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the engine scheduler, compiled into the module.
 *
 * engine/wd_soft_sched.c is shared with the user-space host; what it needs
 * from its host (the lock, sleeping, waking, a batch) is in engine.c.
 */
#include "../../engine/wd_soft_sched.c"
