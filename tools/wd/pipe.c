// SPDX-License-Identifier: MIT
/*
 * The ordered multi-queue pipeline of wd zip (wdtool.h): a ring of slots
 * indexed by sequence number, chunk seq on queue seq % n, received oldest
 * first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wdtool.h"

int wdt_pipe_open(struct wdt_pipe *p, const char *alg, const char *spec, int n)
{
	int ret;

	memset(p, 0, sizeof(*p));
	ret = wdt_queues_open(&p->qs, alg, spec, n);
	if (ret)
		wdt_err("%s: %s%s", alg, wdt_qerr(ret),
			ret == -ENODEV ? " (modprobe wd_soft, or --device local)" : "");
	return ret;
}

int wdt_pipe_slots(struct wdt_pipe *p, int depth, size_t slot_size, size_t per)
{
	p->spq = depth;
	p->slot_size = slot_size;
	p->per = per;
	for (int i = 0; i < p->qs.n; i++) {
		if ((uint32_t)p->spq > p->qs.q[i].depth)
			p->spq = (int)p->qs.q[i].depth;
		while (per && p->spq > 1 && per * (size_t)p->spq > p->qs.q[i].ss_max)
			p->spq--;
	}
	for (int i = 0; i < p->qs.n && per; i++) {
		p->mem[i] = wdt_reserve(&p->qs.q[i], per, &p->spq);
		if (!p->mem[i]) {
			int ret = -errno;

			wdt_err("%s: cannot reserve device memory: %s",
				p->qs.q[i].dev_path, wdt_memerr(errno));
			return ret;
		}
	}
	/* after the reservations: they may have lowered spq */
	p->slots = calloc((size_t)wdt_pipe_nslots(p), slot_size);
	if (!p->slots) {
		wdt_err("%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

void wdt_pipe_close(struct wdt_pipe *p)
{
	wdt_queues_close(&p->qs);
	free(p->slots);
	p->slots = NULL;
}

int wdt_pipe_nslots(const struct wdt_pipe *p)
{
	return p->qs.n * p->spq;
}

/* the slot's index: queue seq % n, and in it the (seq / n)th modulo spq */
static size_t index_of(const struct wdt_pipe *p, uint64_t seq)
{
	uint64_t nq = (uint64_t)p->qs.n;

	return (size_t)((seq % nq) * (uint64_t)p->spq + (seq / nq) % (uint64_t)p->spq);
}

void *wdt_pipe_slot(const struct wdt_pipe *p, uint64_t seq)
{
	return p->slots + index_of(p, seq) * p->slot_size;
}

struct wd_queue *wdt_pipe_queue(struct wdt_pipe *p, uint64_t seq)
{
	return &p->qs.q[seq % (uint64_t)p->qs.n];
}

uint8_t *wdt_pipe_mem(const struct wdt_pipe *p, uint64_t seq)
{
	return p->mem[seq % (uint64_t)p->qs.n] +
	       p->per * ((seq / (uint64_t)p->qs.n) % (uint64_t)p->spq);
}

bool wdt_pipe_full(const struct wdt_pipe *p)
{
	return p->sub - p->done == (uint64_t)wdt_pipe_nslots(p);
}

void wdt_pipe_flush(struct wdt_pipe *p)
{
	for (int i = 0; i < p->qs.n; i++)
		wd_flush(&p->qs.q[i]);
}
