// SPDX-License-Identifier: MIT
/* The in-process device's engine threads, from /proc (engines.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "engines.h"

int eng_tids(struct eng_tid *e, int max, int *all)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0, total = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[64], comm[32];
		unsigned int dev, idx;
		int tid = atoi(de->d_name), named;
		FILE *f;

		if (tid <= 0)
			continue;
		total++;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		f = fopen(path, "r");
		if (!f)
			continue;	/* it has exited since readdir() */
		named = fgets(comm, sizeof(comm), f) &&
			sscanf(comm, "wdl%u/%u", &dev, &idx) == 2;
		fclose(f);
		if (!named)
			continue;
		if (e && n < max)
			e[n] = (struct eng_tid){ tid, dev, idx };
		n++;
	}
	closedir(d);
	if (all)
		*all = total;
	return n;
}
