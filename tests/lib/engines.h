/* SPDX-License-Identifier: MIT */
/*
 * The in-process device's engine threads of this process, as a test sees
 * them from outside: by their names ("wdlD/E", lib/soft/engine.c) in
 * /proc/self/task. One reader for t_libwd, t_libwd_setuid and bench_guard.
 */
#ifndef T_ENGINES_H
#define T_ENGINES_H

struct eng_tid {
	int tid;
	unsigned int dev, idx;		/* wdl<dev>/<idx> */
};

/*
 * The engine threads: their number (the first @max into @e, which may be
 * NULL), and every thread of the process into *@all (if not NULL). -1 if
 * /proc/self/task cannot be read.
 */
int eng_tids(struct eng_tid *e, int max, int *all);

#endif
