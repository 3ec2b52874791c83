// SPDX-License-Identifier: MIT
/*
 * transport_uacce.c: queues of kernel devices, /dev/uaN (docs/uacce.md).
 * The queue is the file descriptor; regions are mmap()ed at
 * qfrt * page size; control goes through ioctl(); waiting is poll().
 * Device operations are the files of wd_soft's bus (new_device,
 * del_device), of uacce's class in sysfs and of wd_soft's debugfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
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

static int wd_u_dev_cmd(struct wd_q *q, unsigned long cmd, void *arg)
{
	return wd_u_ioctl(q, cmd, (unsigned long)arg);
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

static int wd_u_ss_dma(struct wd_q *q, uint64_t *dma)
{
	__u64 d = 0;
	int ret = wd_u_ioctl(q, UACCE_CMD_GET_SS_DMA, (unsigned long)&d);

	if (!ret)
		*dma = d;
	return ret;
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
		ret = wd_u_ss_dma(q, dma);
		if (ret) {
			munmap(*addr, size);
			u->map[UACCE_QFRT_SS].addr = NULL;
			return ret;
		}
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

/* ---- device operations ---- */

#define WD_BUS		"/sys/bus/wd_soft"
#define WD_CLASS	"/sys/class/uacce"
#define WD_DEBUGFS	"/sys/kernel/debug/wd_soft"

static int wd_u_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	e = errno;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == strlen(s) ? 0 : -EMSGSIZE;
}

static int wd_u_new_device(const char *spec)
{
	return wd_u_write(WD_BUS "/new_device", spec);
}

static int wd_u_del_device(int id)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", id);
	return wd_u_write(WD_BUS "/del_device", s);
}

static int wd_u_dev_path(int id, char *buf, size_t len)
{
	char p[96];
	struct dirent *e;
	int ua = -1;
	DIR *d;

	snprintf(p, sizeof(p), WD_BUS "/devices/wd_soft%d/uacce", id);
	d = opendir(p);
	if (!d)
		return errno == ENOENT ? -ENODEV : -errno;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "ua%d", &ua) == 1)
			break;
	closedir(d);
	if (ua < 0)
		return -ENODEV;
	return (size_t)snprintf(buf, len, "/dev/ua%d", ua) < len ? 0 :
	       -ENAMETOOLONG;
}

/*
 * The file of attribute @name of "/dev/uaN": wd_soft's debugfs for hold,
 * fail_next, page_requests, ctx_bytes, bytes_mapped and bytes_copied (the
 * directory of the instance that is the uacce device's parent), uacce's
 * sysfs for the rest.
 */
static int wd_u_attr_path(const char *dev, const char *name, char *p,
			  size_t len)
{
	char link[256], cls[64];
	const char *b;
	unsigned int ua;
	int n = 0;
	ssize_t l;

	if (sscanf(dev, "/dev/ua%u%n", &ua, &n) != 1 || dev[n] ||
	    strchr(name, '/'))
		return -EINVAL;
	snprintf(cls, sizeof(cls), WD_CLASS "/ua%u", ua);
	if (strcmp(name, "hold") && strcmp(name, "fail_next") &&
	    strcmp(name, "page_requests") && strcmp(name, "ctx_bytes") &&
	    strcmp(name, "bytes_mapped") && strcmp(name, "bytes_copied")) {
		snprintf(p, len, "%s/%s", cls, name);
		return 0;
	}
	strcat(cls, "/device");
	l = readlink(cls, link, sizeof(link) - 1);
	if (l < 0)
		return -errno;
	link[l] = 0;
	b = strrchr(link, '/');
	b = b ? b + 1 : link;
	if (strlen(b) > 64 || strlen(name) > 64)
		return -ENAMETOOLONG;
	snprintf(p, len, WD_DEBUGFS "/%.64s/%.64s", b, name);
	return 0;
}

static int wd_u_attr_get(const char *dev, const char *name, char *buf,
			 size_t len)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd, ret = wd_u_attr_path(dev, name, p, sizeof(p));

	if (ret)
		return ret;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	ret = -errno;
	close(fd);
	if (n < 0)
		return ret;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return (int)n;
}

static int wd_u_attr_set(const char *dev, const char *name, const char *val)
{
	char p[PATH_MAX];
	int ret = wd_u_attr_path(dev, name, p, sizeof(p));

	return ret ? ret : wd_u_write(p, val);
}

const struct wd_transport wd_tp_uacce = {
	.name = "uacce",
	.open = wd_u_open,
	.region = wd_u_region,
	.start = wd_u_start,
	.stop = wd_u_stop,
	.kick = wd_u_kick,
	.dev_cmd = wd_u_dev_cmd,
	.wait = wd_u_wait,
	.ss_map = wd_u_ss_map,
	.ss_unmap = wd_u_ss_unmap,
	.ss_dma = wd_u_ss_dma,
	.share_ss = wd_u_share_ss,
	.close = wd_u_close,
	.abandon = wd_u_abandon,
	.new_device = wd_u_new_device,
	.del_device = wd_u_del_device,
	.dev_path = wd_u_dev_path,
	.attr_get = wd_u_attr_get,
	.attr_set = wd_u_attr_set,
};
