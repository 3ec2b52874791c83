// SPDX-License-Identifier: GPL-2.0
/*
 * fz_vm.c: the VM fuzzers' random sequence and settings (fz_vm.h). The
 * sequence is a plain xorshift64 so that FZ_SEED replays a run exactly.
 */
#include <stdlib.h>

#include "fz_vm.h"

uint64_t rs;

uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

bool chance(unsigned int pct)
{
	return rndn(100) < pct;
}

long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}
