// SPDX-License-Identifier: MIT
/* wd_ctl.c: wd_ctl.h, thin calls to the transports (wd_priv.h) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "wd_ctl.h"
#include "wd_priv.h"

struct wd_ctl_q {
	struct wd_q q;		/* tp and tp_priv only: no driver */
};

static const struct wd_transport *wd_ctl_tp(enum wd_ctl_host h)
{
	return h == WD_CTL_LOCAL ? &wd_tp_local : &wd_tp_uacce;
}

int wd_ctl_new_device(enum wd_ctl_host h, const char *spec)
{
	return wd_ctl_tp(h)->new_device(spec);
}

int wd_ctl_del_device(enum wd_ctl_host h, int id)
{
	return wd_ctl_tp(h)->del_device(id);
}

int wd_ctl_dev_path(enum wd_ctl_host h, int id, char *buf, size_t len)
{
	return wd_ctl_tp(h)->dev_path(id, buf, len);
}

int wd_ctl_attr_get(const char *dev, const char *name, char *buf, size_t len)
{
	const struct wd_transport *tp = wd_tp_of(dev);

	if (!tp)
		return -EINVAL;
	if (!len)
		return -EOVERFLOW;
	return tp->attr_get(dev, name, buf, len);
}

int wd_ctl_attr_set(const char *dev, const char *name, const char *val)
{
	const struct wd_transport *tp = wd_tp_of(dev);

	return tp ? tp->attr_set(dev, name, val) : -EINVAL;
}

int wd_ctl_q_open(const char *dev, struct wd_ctl_q **qp)
{
	const struct wd_transport *tp = wd_tp_of(dev);
	struct wd_dev d = { .tp = tp };
	struct wd_ctl_q *q;
	int ret;

	if (!tp)
		return -EINVAL;
	if (!tp->open)
		return -ENODEV;		/* in-process device not built in */
	snprintf(d.path, sizeof(d.path), "%s", dev);
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	/* mode 0: ss_map() maps only; the test asks for the DMA address */
	q->q.tp = tp;
	ret = tp->open(&q->q, &d);
	if (ret) {
		free(q);
		return ret;
	}
	*qp = q;
	return 0;
}

int wd_ctl_q_region(struct wd_ctl_q *q, int qfrt, size_t size, void **addr)
{
	return q->q.tp->region(&q->q, qfrt, size, addr);
}

int wd_ctl_q_start(struct wd_ctl_q *q)
{
	return q->q.tp->start(&q->q);
}

int wd_ctl_q_stop(struct wd_ctl_q *q)
{
	return q->q.tp->stop(&q->q);
}

int wd_ctl_q_kick(struct wd_ctl_q *q)
{
	return q->q.tp->kick(&q->q);
}

int wd_ctl_q_cmd(struct wd_ctl_q *q, unsigned long cmd, void *arg)
{
	return q->q.tp->dev_cmd(&q->q, cmd, arg);
}

int wd_ctl_q_wait(struct wd_ctl_q *q, int timeout_ms)
{
	return q->q.tp->wait(&q->q, timeout_ms);
}

int wd_ctl_q_ss_map(struct wd_ctl_q *q, size_t size, void **addr)
{
	uint64_t dma;

	return q->q.tp->ss_map(&q->q, size, addr, &dma);
}

void wd_ctl_q_ss_unmap(struct wd_ctl_q *q, void *addr, size_t size)
{
	q->q.tp->ss_unmap(addr, size);
}

int wd_ctl_q_ss_dma(struct wd_ctl_q *q, uint64_t *dma)
{
	return q->q.tp->ss_dma(&q->q, dma);
}

int wd_ctl_q_share_ss(struct wd_ctl_q *owner, struct wd_ctl_q *target)
{
	return owner->q.tp->share_ss(&owner->q, &target->q);
}

void wd_ctl_q_close(struct wd_ctl_q *q)
{
	q->q.tp->close(&q->q);
	free(q);
}
