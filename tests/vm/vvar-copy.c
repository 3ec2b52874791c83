// SPDX-License-Identifier: GPL-2.0
/*
 * vvar-copy /dev/uaN: COPYs of 64 bytes from each page of [vvar] through
 * a queue of an SVA device, by a process that never touched [vvar] itself
 * (no vDSO call: nanosleep, not clock_gettime), so the device finds its
 * pages missing. t_trust runs it (not a test program: no t_ prefix).
 * Prints the statuses; exits 0 once every COPY completed, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "uapi/misc/uacce/uacce.h"
#include "uapi/misc/uacce/wd_soft.h"

int main(int argc, char **argv)
{
	static char dst[64];
	unsigned long lo = 0, hi = 0, pg = (unsigned long)getpagesize();
	char line[256];
	unsigned int n = 0;
	FILE *f;
	int fd;

	if (argc != 2 || (fd = open(argv[1], O_RDWR | O_CLOEXEC)) < 0) {
		fprintf(stderr, "usage: vvar-copy /dev/uaN (%s)\n", strerror(errno));
		return 2;
	}
	volatile struct wd_soft_mmio *mmio = mmap(NULL, WD_SOFT_MMIO_SIZE,
		PROT_READ | PROT_WRITE, MAP_SHARED, fd, UACCE_QFRT_MMIO * pg);
	char *dus = mmap(NULL, WD_SOFT_DUS_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, UACCE_QFRT_DUS * pg);

	if (mmio == MAP_FAILED || dus == MAP_FAILED ||
	    ioctl(fd, UACCE_CMD_START_Q)) {
		fprintf(stderr, "vvar-copy: queue: %s\n", strerror(errno));
		return 2;
	}
	volatile struct wd_soft_dus_hdr *hdr = (void *)dus;
	struct wd_soft_sqe *sq = (void *)(dus + hdr->sq_off);
	volatile struct wd_soft_cqe *cq = (void *)(dus + hdr->cq_off);

	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[vvar]"))
			sscanf(line, "%lx-%lx", &lo, &hi);
	if (!lo) {
		fprintf(stderr, "vvar-copy: no [vvar]\n");
		return 2;
	}
	for (unsigned long a = lo; a < hi && n < 64; a += pg, n++) {
		sq[n] = (struct wd_soft_sqe){ .user_data = n,
			.op = WD_SOFT_OP_COPY, .src = a, .dst = (uintptr_t)dst,
			.src_len = sizeof(dst), .dst_len = sizeof(dst) };
		/* wd_soft_v3: the phase last, lap 0's is 1 */
		__atomic_store_n(&sq[n].phase, WD_SOFT_PHASE(n, hdr->depth),
				 __ATOMIC_RELEASE);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (mmio->status & WD_SOFT_ST_NEED_WAKEUP)
		ioctl(fd, WD_SOFT_CMD_KICK);
	/* a bound, not a verdict on speed: 60 s */
	for (int i = 0; hdr->cq_tail != n && i < 60000; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	printf("%u COPYs from [vvar]:", n);
	for (unsigned int i = 0; i < hdr->cq_tail && i < n; i++)
		printf(" %u", cq[i].status);
	printf("\n");
	return hdr->cq_tail == n ? 0 : 1;
}
