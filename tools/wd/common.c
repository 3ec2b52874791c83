// SPDX-License-Identifier: MIT
/*
 * common.c: messages, queues over devices, atomic output files, progress.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "wdtool.h"

int wdt_verbose;
const char *wdt_prog = "wd";
static int wdt_stdout_errno;	/* a flush of stdout here failed: why */

void wdt_vmsg(const char *fmt, va_list ap)
{
	/* what stdout says comes first; its error is for wdt_stdout_close() */
	if (fflush(stdout) && !wdt_stdout_errno)
		wdt_stdout_errno = errno;
	fprintf(stderr, "%s: ", wdt_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void wdt_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wdt_vmsg(fmt, ap);
	va_end(ap);
}

void wdt_info(const char *fmt, ...)
{
	va_list ap;

	if (!wdt_verbose)
		return;
	va_start(ap, fmt);
	wdt_vmsg(fmt, ap);
	va_end(ap);
}

/*
 * A closed 0, 1 or 2 would be the next file opened, and messages or output
 * would go into it. Fill them with /dev/null, opened the wrong way round so
 * that reading stdin or writing stdout fails with EBADF as on a closed fd.
 */
void wdt_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", fd ? O_RDONLY : O_WRONLY);
		if (nfd < 0)
			_exit(1);	/* nowhere to say it */
		if (nfd != fd) {	/* cannot be: the lowest free fd is fd */
			close(nfd);
			_exit(1);
		}
	}
}

int wdt_stdout_close(int status)
{
	bool earlier = ferror(stdout);
	int err = wdt_stdout_errno;

	if (fflush(stdout))
		err = errno;
	/* close() too: some file systems report a write error only there */
	else if (!earlier && close(STDOUT_FILENO))
		err = errno;
	if (!err && !earlier)
		return status;
	if (err)
		wdt_err("write error: %s", strerror(err));
	else
		wdt_err("write error");
	return 1;
}

const char *wdt_qerr(int err)
{
	static _Thread_local char msg[160];

	/* libwd's -EINVAL for the in-process device's environment */
	if (err == -EINVAL && wdt_have_local() && wd_local_engines() < 0) {
		snprintf(msg, sizeof(msg),
			 "WD_LOCAL_ENGINES: invalid value '%.64s' (a number from 1 to %d)",
			 secure_getenv("WD_LOCAL_ENGINES"), WD_LOCAL_ENGINES_MAX);
		return msg;
	}
	switch (err) {
	case -ENODEV: return "no device offers it";
	case -ENOENT: return "no such device";
	case -EBUSY: return "no free queue on the devices that offer it";
	case -EIO: return "the devices that offer it are isolated";
	/* libwd names the device and the group to join (or CAP_SYS_RAWIO) */
	case -EACCES: return wd_strerror(err);
	case -EPERM: return wd_strerror(err);
	case -EPROTONOSUPPORT: return "the device's api has no libwd driver";
	case -EINVAL: return "invalid device name";
	default: return strerror(-err);
	}
}

uint64_t wdt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int wdt_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *suf; int shift; } units[] = {
		{ "", 0 }, { "b", 0 }, { "k", 10 }, { "kb", 10 }, { "kib", 10 },
		{ "m", 20 }, { "mb", 20 }, { "mib", 20 },
		{ "g", 30 }, { "gb", 30 }, { "gib", 30 },
	};
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s < '0' || *s > '9')
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suf))
			continue;
		/* a size the shift would wrap is no size */
		if (v > UINT64_MAX >> units[i].shift)
			return -ERANGE;
		*out = (uint64_t)v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

/* min..max */
static int wdt_parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || (*s != '-' && (*s < '0' || *s > '9')) ||
	    v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* (0, max] */
static int wdt_parse_secs(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0 && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

int wdt_opt_int(const char *cmd, const char *name, const char *arg, int min,
		int max, int *out)
{
	if (!wdt_parse_int(arg, min, max, out))
		return 0;
	wdt_err("%s--%s: invalid value '%s' (%d to %d)", cmd, name, arg, min, max);
	return 1;
}

int wdt_opt_secs(const char *cmd, const char *name, const char *arg, double max,
		 double *out)
{
	if (!wdt_parse_secs(arg, max, out))
		return 0;
	wdt_err("%s--%s: invalid value '%s' (0 < SECS <= %g)", cmd, name, arg, max);
	return 1;
}

int wdt_opt_no_operands(const char *cmd, int argc, char **argv)
{
	if (optind >= argc)
		return 0;
	wdt_err("%sunexpected argument '%s'", cmd, argv[optind]);
	return 1;
}

bool wdt_have_local(void)
{
#ifdef WDT_HAVE_LOCAL
	return true;
#else
	return false;
#endif
}

/* ---- JSON ---- */

/* the length of the valid UTF-8 sequence at @s, or 0 */
static int utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* a JSON string; a byte that is not UTF-8 becomes U+FFFD */
void wdt_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		int n = utf8_len(s);

		if (!n) {
			fputs("\\ufffd", f);
			n = 1;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s);
		} else if (*s < 0x20) {
			fprintf(f, "\\u%04x", *s);
		} else {
			fwrite(s, 1, (size_t)n, f);
		}
		s += n;
	}
	fputc('"', f);
}

const char *wdt_mode_name(uint32_t f)
{
	return f & WD_DEV_SVA ? "sva" : f & WD_DEV_PASID ? "pasid" :
	       f & WD_DEV_NOIOMMU ? "noiommu" : "?";
}

/* ---- queues ---- */

static void wdt_queues_fit_memlock(struct wdt_queues *qs);

int wdt_queues_open(struct wdt_queues *qs, const char *alg, const char *spec,
		    int n)
{
	char devs[WDT_MAX_QUEUES][WD_DEV_PATH_MAX];
	int nd = 0, i, ret = 0;
	/* libwd's rule: not the caller's to choose for a setuid wd */
	const char *env = secure_getenv("WD_DEV_PATH");

	memset(qs, 0, sizeof(*qs));
	if (n < 1)
		n = 1;
	if (n > WDT_MAX_QUEUES)
		n = WDT_MAX_QUEUES;
	if (spec && *spec) {
		const char *p = spec;

		while (*p && nd < WDT_MAX_QUEUES) {
			size_t len = strcspn(p, ",");

			if (len >= WD_DEV_PATH_MAX)
				return -EINVAL;
			memcpy(devs[nd], p, len);
			devs[nd++][len] = 0;
			p += len;
			if (*p == ',')
				p++;
		}
	} else {
		devs[nd++][0] = 0;	/* any device (or WD_DEV_PATH) */
	}
	if (n < nd)
		n = nd;

	for (i = 0; i < n; i++) {
		struct wd_queue *q = &qs->q[i];

		memset(q, 0, sizeof(*q));
		q->capa.alg = alg;
		snprintf(q->dev_path, sizeof(q->dev_path), "%s", devs[i % nd]);
		ret = wd_request_queue(q);
		if (ret == -ENODEV && i == 0 && !(spec && *spec) &&
		    !(env && *env) && wdt_have_local()) {
			wdt_info("no kernel device offers %s: using the in-process device",
				 alg);
			snprintf(devs[0], sizeof(devs[0]), "%s", WD_DEV_LOCAL_PATH);
			memset(q, 0, sizeof(*q));
			q->capa.alg = alg;
			snprintf(q->dev_path, sizeof(q->dev_path), "%s", devs[0]);
			ret = wd_request_queue(q);
		}
		if (ret) {
			if (i > 0 && ret == -EBUSY)
				break;	/* fewer queues, still fine */
			while (i-- > 0)
				wd_release_queue(&qs->q[i]);
			return ret;
		}
		wdt_info("%s queue %d on %s (%s mode, depth %u)", alg, i,
			 q->dev_path, wdt_mode_name(q->dev_flags), q->depth);
	}
	qs->n = i;
	wdt_queues_fit_memlock(qs);
	return 0;
}

/* kB of a "Name:   N kB" line of /proc/self/status, 0 if none */
static unsigned long long wdt_status_kb(const char *name)
{
	unsigned long long v = 0;
	size_t n = strlen(name);
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

size_t wdt_memlock_room(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	unsigned long long locked;
	struct rlimit rl;

	/* CAP_IPC_LOCK exempts the process (root, usually) */
	if (!syscall(SYS_capget, &h, d) &&
	    (d[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32))))
		return SIZE_MAX;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return SIZE_MAX;
	locked = (wdt_status_kb("VmLck") + wdt_status_kb("VmPin")) << 10;
	return rl.rlim_cur > locked ? (size_t)(rl.rlim_cur - locked) : 0;
}

const char *wdt_memerr(int err)
{
	static _Thread_local char msg[240];
	struct rlimit rl;

	if (err != ENOMEM || wdt_memlock_room() == SIZE_MAX ||
	    getrlimit(RLIMIT_MEMLOCK, &rl))
		return strerror(err);
	snprintf(msg, sizeof(msg),
		 "%s (the locked-memory limit, ulimit -l, is %llu KiB for all of this user's processes together: raise it for the group, docs/install.md)",
		 strerror(err), (unsigned long long)rl.rlim_cur >> 10);
	return msg;
}

void *wdt_reserve(struct wd_queue *q, size_t per, int *n)
{
	void *mem;

	for (;;) {
		mem = wd_reserve_memory(q, per * (size_t)*n);
		if (mem || errno != ENOMEM || *n == 1)
			return mem;
		/* the limit counts the user's other processes: fewer slots */
		*n = (*n + 1) / 2;
		wdt_info("%s: less device memory, %d requests in flight",
			 q->dev_path, *n);
	}
}

/*
 * A kernel device's reserved memory counts in RLIMIT_MEMLOCK (docs/uacce.md):
 * an unprivileged user's is small (8 MiB by default), so each queue's
 * ss_max, which sizes what the commands reserve, is brought within its
 * share of what the limit leaves it (the kernel counts pinned pages per
 * user: another wd of the same user running meanwhile finds less, and
 * wdt_reserve() then takes fewer slots, or fails naming the limit). The
 * in-process device locks nothing.
 */
static void wdt_queues_fit_memlock(struct wdt_queues *qs)
{
	size_t room = wdt_memlock_room(), share;
	int kernel = 0;

	for (int i = 0; i < qs->n; i++)
		kernel += !(qs->q[i].dev_flags & WD_DEV_LOCAL);
	if (room == SIZE_MAX || !kernel)
		return;
	share = room / (size_t)kernel & ~(size_t)4095;
	for (int i = 0; i < qs->n; i++) {
		struct wd_queue *q = &qs->q[i];

		if (!(q->dev_flags & WD_DEV_LOCAL) && q->ss_max > share) {
			wdt_info("%s: %zu KiB of device memory (the locked-memory limit's share)",
				 q->dev_path, share >> 10);
			q->ss_max = share;
		}
	}
}

void wdt_queues_close(struct wdt_queues *qs)
{
	for (int i = 0; i < qs->n; i++)
		wd_release_queue(&qs->q[i]);
	qs->n = 0;
}

/* ---- atomic output ---- */

static char *volatile wdt_tmp_live;	/* unlinked by a fatal signal */
static volatile sig_atomic_t wdt_pipe_status;	/* SIGPIPE: exit with it */

static void wdt_on_signal(int sig)
{
	char *t = wdt_tmp_live;

	if (t)
		unlink(t);
	if (sig == SIGPIPE && wdt_pipe_status)
		_exit(wdt_pipe_status);
	signal(sig, SIG_DFL);
	raise(sig);
}

void wdt_signals_init(int pipe_status)
{
	/* gzip's list: the signals that end a process and leave time to clean up */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXCPU,
				    SIGXFSZ };
	struct sigaction sa = { .sa_handler = wdt_on_signal };

	wdt_pipe_status = pipe_status;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* leave ignored signals ignored (nohup) */
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

static int wdt_out_exists(const char *path)
{
	wdt_err("%s: already exists; not overwritten (use -f)", path);
	return -EEXIST;
}

int wdt_out_open(struct wdt_out *o, const char *path, bool force, bool sync)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	int len = slash ? (int)(slash - path) + 1 : 0;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->sync = sync;
	o->replace = force;
	/* early, to spare the work; wdt_out_place() is what guarantees it */
	if (!force && !lstat(path, &st))
		return wdt_out_exists(path);
	o->path = strdup(path);
	if (!o->path || asprintf(&o->tmp, "%.*s.wd-tmp.XXXXXX", len, path) < 0) {
		free(o->path);
		wdt_err("%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		int e = errno;

		wdt_err("%s: cannot create a temporary file in its directory: %s",
			path, strerror(e));
		free(o->tmp);
		free(o->path);
		o->tmp = o->path = NULL;
		return -e;
	}
	wdt_tmp_live = o->tmp;
	return 0;	/* mode 0600 (mkostemp) until wdt_out_attrs() */
}

int wdt_out_attrs(struct wdt_out *o, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	/* a user may not give the file away: the group still gets set */
	if (fchown(o->fd, (uid_t)-1, st->st_gid)) {
		/* best effort, as gzip */
	}
	if (fchmod(o->fd, st->st_mode & 0777))
		return -errno;
	if (fchown(o->fd, st->st_uid, (gid_t)-1)) {
		/* best effort, as gzip */
	}
	return futimens(o->fd, ts) ? -errno : 0;
}

void wdt_out_stdout(struct wdt_out *o)
{
	memset(o, 0, sizeof(*o));
	o->fd = STDOUT_FILENO;
	o->is_stdout = true;
}

int wdt_out_write(struct wdt_out *o, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The temporary file takes the final name; an existing file there (one
 * that appeared while the output was written, too) is replaced only with
 * -f. Without RENAME_NOREPLACE in the file system, link() + unlink() does
 * the same. 0 or -errno (-EEXIST: the name is taken).
 */
static int wdt_out_place(struct wdt_out *o)
{
	if (o->replace)
		return rename(o->tmp, o->path) ? -errno : 0;
	if (!renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (link(o->tmp, o->path))
		return -errno;
	unlink(o->tmp);
	return 0;
}

int wdt_out_commit(struct wdt_out *o)
{
	int ret = 0;

	if (o->is_stdout)
		return 0;
	if (o->sync && fsync(o->fd))
		ret = -errno;
	if (close(o->fd) && !ret)
		ret = -errno;
	o->fd = -1;
	if (!ret)
		ret = wdt_out_place(o);
	if (ret) {
		if (ret == -EEXIST)
			wdt_out_exists(o->path);
		else
			wdt_err("%s: %s", o->path, strerror(-ret));
		unlink(o->tmp);
	}
	wdt_tmp_live = NULL;
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	return ret;
}

void wdt_out_abort(struct wdt_out *o)
{
	if (o->is_stdout || !o->tmp)
		return;
	if (o->fd >= 0)
		close(o->fd);
	unlink(o->tmp);
	wdt_tmp_live = NULL;
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	o->fd = -1;
}

ssize_t wdt_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* ---- progress ---- */

#define WDT_PROGRESS_MIN	(64ull << 20)

void wdt_progress_start(struct wdt_progress *p, const char *name,
			uint64_t total, bool allowed)
{
	memset(p, 0, sizeof(*p));
	p->on = allowed && total >= WDT_PROGRESS_MIN && isatty(STDERR_FILENO);
	p->total = total;
	p->name = name;
	p->start_ns = wdt_now_ns();
}

static void wdt_progress_draw(struct wdt_progress *p, uint64_t now)
{
	char bar[31];
	/* the total is the size at the start: a growing input reads past it */
	uint64_t done = p->done < p->total ? p->done : p->total;
	int pct = p->total ? (int)(done * 100 / p->total) : 100;
	int fill = pct * 30 / 100;
	double secs = (double)(now - p->start_ns) / 1e9;
	double mibs = secs > 0 ? (double)p->done / secs / (1 << 20) : 0;

	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(30 - fill));
	bar[30] = 0;
	fprintf(stderr, "\r%-.30s [%s] %3d%% %7.1f MiB/s", p->name, bar, pct, mibs);
}

void wdt_progress_add(struct wdt_progress *p, uint64_t n)
{
	uint64_t now;

	p->done += n;
	if (!p->on)
		return;
	now = wdt_now_ns();
	if (now - p->last_ns < 100000000u)
		return;
	p->last_ns = now;
	wdt_progress_draw(p, now);
}

void wdt_progress_end(struct wdt_progress *p)
{
	if (!p->on)
		return;
	wdt_progress_draw(p, wdt_now_ns());
	fputc('\n', stderr);
	p->on = false;
}
