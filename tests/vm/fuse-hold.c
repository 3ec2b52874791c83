// SPDX-License-Identifier: GPL-2.0
/*
 * fuse-hold: a FUSE file system that can leave reads unanswered, for the
 * tests of a device waiting on a page that does not come (t_fault,
 * t_fault_left).
 *
 * usage: fuse-hold MOUNTPOINT CTL_FD LOG_FD [hold]
 *
 * Serves the read-only files "0" .. "FH_NR_FILES - 1" of FH_FILE_SIZE bytes,
 * byte i of file f being fh_byte(f, i) (fuse-hold.h), mounted with
 * allow_other so that any user can read them (run it as root: no fusermount).
 *
 * LOG_FD gets one line per event, each in one write():
 *	READY					mounted, serving
 *	OPEN file=F uid=U gid=G pid=P
 *	READ file=F off=O size=S uid=U gid=G pid=P held=0|1
 * uid, gid and pid are those of the task the kernel sent the request for
 * (fuse_req_ctx()): for a page fault, the task that faulted.
 *
 * CTL_FD gives commands, one byte each:
 *	h	hold: from now on, READs are not answered
 *	r	release: answer every held READ, stop holding
 *	q	unmount and exit (so does EOF)
 * With "hold" it holds from the start. A READ that arrives while holding is
 * answered only on 'r'; readahead and page faults send their READs
 * asynchronously, and all of them are held.
 *
 * Killing it is fine: the kernel aborts the connection and fails whatever
 * was pending; the mount point then needs a (lazy) umount.
 */
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuse-hold.h"

#define ROOT_INO	FUSE_ROOT_ID	/* 1; file f is inode 2 + f */
#define TIMEOUT		3600.0		/* attributes never change */

struct held {
	fuse_req_t req;
	unsigned int file;
	off_t off;
	size_t size;
};

static int log_fd = -1;
static int holding;
static struct held *held;
static size_t nr_held, max_held;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && n < (int)sizeof(line))
		(void)!write(log_fd, line, n);	/* the test may be gone */
}

static int ino_file(fuse_ino_t ino)
{
	return ino >= 2 && ino < 2 + FH_NR_FILES ? (int)(ino - 2) : -1;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == ROOT_INO) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = FH_FILE_SIZE;
	}
}

static void fh_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .attr_timeout = TIMEOUT,
				      .entry_timeout = TIMEOUT };
	char *end;
	long f = strtol(name, &end, 10);

	if (parent != ROOT_INO || end == name || *end || f < 0 ||
	    f >= FH_NR_FILES) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = 2 + f;
	fill_attr(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void fh_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != ROOT_INO && ino_file(ino) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, TIMEOUT);
}

static void fh_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	int f = ino_file(ino);

	if (f < 0) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	logf_("OPEN file=%d uid=%u gid=%u pid=%u\n", f, (unsigned int)c->uid,
	      (unsigned int)c->gid, (unsigned int)c->pid);
	/* no keep_cache: every open starts with an empty page cache */
	fuse_reply_open(req, fi);
}

static void answer(fuse_req_t req, unsigned int file, off_t off, size_t size)
{
	static char buf[FH_FILE_SIZE];

	if (off < 0 || (uint64_t)off >= FH_FILE_SIZE)
		size = 0;
	else if (size > FH_FILE_SIZE - (uint64_t)off)
		size = FH_FILE_SIZE - off;
	for (size_t i = 0; i < size; i++)
		buf[i] = fh_byte(file, off + i);
	/* fails if the kernel gave up on the request: nothing to do then */
	fuse_reply_buf(req, buf, size);
}

static void fh_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	int f = ino_file(ino);

	(void)fi;
	if (f < 0) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	logf_("READ file=%d off=%lld size=%zu uid=%u gid=%u pid=%u held=%d\n",
	      f, (long long)off, size, (unsigned int)c->uid,
	      (unsigned int)c->gid, (unsigned int)c->pid, holding);
	if (!holding) {
		answer(req, f, off, size);
		return;
	}
	if (nr_held == max_held) {
		max_held = max_held ? 2 * max_held : 64;
		held = realloc(held, max_held * sizeof(*held));
		if (!held) {
			perror("fuse-hold: realloc");
			exit(1);
		}
	}
	held[nr_held++] = (struct held){ req, f, off, size };
}

static void release_all(void)
{
	holding = 0;
	for (size_t i = 0; i < nr_held; i++)
		answer(held[i].req, held[i].file, held[i].off, held[i].size);
	nr_held = 0;
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = fh_lookup,
	.getattr = fh_getattr,
	.open = fh_open,
	.read = fh_read,
};

int main(int argc, char **argv)
{
	char *opts[] = { argv[0], "-o", "allow_other,fsname=fuse-hold,subtype=hold", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, opts);
	struct fuse_buf buf = { .mem = NULL };
	struct fuse_session *se;
	int ctl, fd, ret = 1;

	if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "hold"))) {
		fprintf(stderr, "usage: %s MOUNTPOINT CTL_FD LOG_FD [hold]\n",
			argv[0]);
		return 2;
	}
	ctl = atoi(argv[2]);
	log_fd = atoi(argv[3]);
	holding = argc == 5;
	signal(SIGPIPE, SIG_IGN);

	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		return 1;
	if (fuse_session_mount(se, argv[1]))
		goto out_destroy;
	fd = fuse_session_fd(se);
	logf_("READY\n");

	/* single-threaded: a held READ costs a slot in held[], not a thread */
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { ctl, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("fuse-hold: poll");
			break;
		}
		if (p[1].revents) {
			char c = 'q';

			if (read(ctl, &c, 1) <= 0 || c == 'q') {
				ret = 0;
				break;
			}
			if (c == 'h')
				holding = 1;
			else if (c == 'r')
				release_all();
		}
		if (p[0].revents & POLLIN) {
			int r = fuse_session_receive_buf(se, &buf);

			if (r == -EINTR || r == -EAGAIN)
				continue;
			if (r <= 0)	/* unmounted, or the connection aborted */
				break;
			fuse_session_process_buf(se, &buf);
		} else if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			break;
		}
		if (fuse_session_exited(se))
			break;
	}
	free(buf.mem);
	fuse_session_unmount(se);
out_destroy:
	fuse_session_destroy(se);
	return ret;
}
