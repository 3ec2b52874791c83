/* SPDX-License-Identifier: GPL-2.0 */
/*
 * local.h: what the in-process device shows and the kernel's does not, for
 * the tests that say T_NEED_LOCAL(): its engines' counters (the "stats"
 * attribute, in-process only).
 */
#ifndef WD_TESTS_VM_LOCAL_H
#define WD_TESTS_VM_LOCAL_H

#include "t.h"

#include <stdio.h>

/* engine/wd_soft_sched.h: struct wd_soft_sched_stats, summed over engines */
struct t_stats {
	unsigned long long rounds, looks, batches, requests, parks, kicks,
			   sleeps;
};

static inline void t_local_stats(int ua, struct t_stats *st)
{
	char buf[512];

	T_ASSERT_MSG(t_attr_str(ua, "stats", buf, sizeof(buf)) > 0,
		     "no stats attribute");
	T_ASSERT_MSG(sscanf(buf, "rounds %llu looks %llu batches %llu requests "
			    "%llu parks %llu kicks %llu sleeps %llu",
			    &st->rounds, &st->looks, &st->batches,
			    &st->requests, &st->parks, &st->kicks,
			    &st->sleeps) == 7, "stats: \"%s\"", buf);
}

#endif
