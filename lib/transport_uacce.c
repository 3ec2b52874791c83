// SPDX-License-Identifier: MIT
/*
 * transport_uacce.c: queues of kernel devices, /dev/uaN (docs/uacce.md).
 * The queue is the file descriptor; regions are mmap()ed at
 * qfrt * page size; control goes through ioctl(); waiting is poll().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uapi/misc/uacce/uacce.h"
#include "uapi/misc/uacce/wd_soft.h"
#include "wd_priv.h"

struct wd_uq {
	int fd;
	struct {
		void *addr;
		size_t size;
	} map[UACCE_QFRT_MAX];
};

static struct wd_uq *uq(struct wd_q *q)
{
	return q->tp_priv;
}

static int wd_u_open(struct wd_q *q, const struct wd_dev *dev)
{
	struct wd_uq *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->fd = open(dev->path, O_RDWR | O_CLOEXEC);
	if (u->fd < 0) {
		int ret = -errno;

		free(u);
		return ret;
	}
	q->tp_priv = u;
	return 0;
}

static int wd_u_region(struct wd_q *q, int qfrt, size_t size, void **addr)
{
	struct wd_uq *u = uq(q);
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, u->fd,
		 (off_t)qfrt * sysconf(_SC_PAGESIZE));
	if (p == MAP_FAILED)
		return -errno;
	u->map[qfrt].addr = p;
	u->map[qfrt].size = size;
	*addr = p;
	return 0;
}

static int wd_u_ioctl(struct wd_q *q, unsigned long cmd, unsigned long arg)
{
	return ioctl(uq(q)->fd, cmd, arg) ? -errno : 0;
}

static int wd_u_start(struct wd_q *q)
{
	return wd_u_ioctl(q, UACCE_CMD_START_Q, 0);
}

static int wd_u_stop(struct wd_q *q)
{
	return wd_u_ioctl(q, UACCE_CMD_PUT_Q, 0);
}

static int wd_u_kick(struct wd_q *q)
{
	return wd_u_ioctl(q, WD_SOFT_CMD_KICK, 0);
}

static int wd_u_wait(struct wd_q *q, int timeout_ms)
{
	struct pollfd pfd = { .fd = uq(q)->fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return -errno;
	if (!n)
		return 0;
	if (pfd.revents & POLLHUP)
		return -ENODEV;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	/*
	 * POLLERR: for the owner (the fork check keeps everyone else out),
	 * the device stopped the queue (BROKEN): the driver finds out.
	 */
	return 1;
}

static int wd_u_ss_map(struct wd_q *q, size_t size, void **addr, uint64_t *dma)
{
	struct wd_uq *u = uq(q);
	int ret;

	*dma = 0;
	if (u->map[UACCE_QFRT_SS].addr)
		return -EEXIST;
	ret = wd_u_region(q, UACCE_QFRT_SS, size, addr);
	if (ret)
		return ret;
	if (q->mode == WD_DEV_NOIOMMU) {
		__u64 d = 0;

		ret = wd_u_ioctl(q, UACCE_CMD_GET_SS_DMA, (unsigned long)&d);
		if (ret) {
			munmap(*addr, size);
			u->map[UACCE_QFRT_SS].addr = NULL;
			return ret;
		}
		*dma = d;
	}
	/* the SS mapping belongs to struct wd_ss from now on: it may
	 * outlive this queue when shared */
	u->map[UACCE_QFRT_SS].addr = NULL;
	return 0;
}

static void wd_u_ss_unmap(void *addr, size_t size)
{
	munmap(addr, size);
}

static int wd_u_share_ss(struct wd_q *owner, struct wd_q *target)
{
	return wd_u_ioctl(target, UACCE_CMD_SHARE_SVAS, (unsigned long)uq(owner)->fd);
}

static void wd_u_close(struct wd_q *q)
{
	struct wd_uq *u = uq(q);

	for (int i = 0; i < UACCE_QFRT_MAX; i++)
		if (u->map[i].addr)
			munmap(u->map[i].addr, u->map[i].size);
	close(u->fd);
	free(u);
	q->tp_priv = NULL;
}

/* fork child: no mappings were inherited; the fd copy is ours to close */
static void wd_u_abandon(struct wd_q *q)
{
	struct wd_uq *u = uq(q);

	close(u->fd);
	free(u);
	q->tp_priv = NULL;
}

const struct wd_transport wd_tp_uacce = {
	.name = "uacce",
	.open = wd_u_open,
	.region = wd_u_region,
	.start = wd_u_start,
	.stop = wd_u_stop,
	.kick = wd_u_kick,
	.wait = wd_u_wait,
	.ss_map = wd_u_ss_map,
	.ss_unmap = wd_u_ss_unmap,
	.share_ss = wd_u_share_ss,
	.close = wd_u_close,
	.abandon = wd_u_abandon,
};
