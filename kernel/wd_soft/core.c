// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the portable engine core, compiled into the module.
 *
 * engine/wd_soft_core.c is shared with the user-space host; the functions
 * it needs from its host are in engine.c (wake-up, error reporting), mem.c
 * (memory access) and algs.c (algorithm backends).
 */
#include "../../engine/wd_soft_core.c"
