/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fz_vm.h: what the VM fuzzers (fz_ring, fz_sys) share: their random
 * sequence and their FZ_* settings (fz_vm.c).
 */
#ifndef WD_TESTS_FUZZ_FZ_VM_H
#define WD_TESTS_FUZZ_FZ_VM_H

#include <stdbool.h>
#include <stdint.h>

/* xorshift64: the state, seeded by FZ_SEED, and its draws */
extern uint64_t rs;
uint64_t rnd(void);
uint64_t rndn(uint64_t n);		/* in [0, n); 0 when n is 0 */
bool chance(unsigned int pct);		/* true pct times in 100 */

long env_long(const char *name, long def);	/* $name, or def unset/empty */

#endif
