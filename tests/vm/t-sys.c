// SPDX-License-Identifier: GPL-2.0
/*
 * t-sys.c: the harness's devices: wd_soft instances (new_device,
 * del_device), their attributes (sysfs) and debugfs files (hold,
 * fail_next), and the instance IDs of a program. The VM build uses the
 * kernel's files (these are ABI tests); the native build (T_NATIVE) the
 * same operations on the in-process device through wd_ctl.h: with
 * t-queue.c, the one place where the hosts differ.
 */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#ifdef T_NATIVE
#include "wd_ctl.h"
#endif

#define T_ID_REGISTRY	"/tmp/wd-test-ids"
#define T_ID_FIRST	100
#define T_ID_MAX	1023	/* wd_soft's largest */

/* ---- attributes ---- */

#ifndef T_NATIVE
static void t_attr_path(int ua, const char *attr, char *p, size_t len)
{
	snprintf(p, len, "/sys/class/uacce/ua%d/%s", ua, attr);
}
#endif

int t_attr_str(int ua, const char *attr, char *buf, size_t len)
{
#ifdef T_NATIVE
	char dev[32];

	return wd_ctl_attr_get(t_dev_path(ua, dev), attr, buf, len);
#else
	char p[256];
	int n;

	t_attr_path(ua, attr, p, sizeof(p));
	n = t_read_file(p, buf, len);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return n;
#endif
}

long long t_attr_ll(int ua, const char *attr)
{
	char buf[128], *end;
	long long v;
	int n = t_attr_str(ua, attr, buf, sizeof(buf));

	if (n < 0)
		T_FAIL("reading ua%d/%s: %s", ua, attr, t_errname(-n));
	errno = 0;
	v = strtoll(buf, &end, 0);
	if (errno || end == buf || *end)
		T_FAIL("ua%d/%s is \"%s\", not a number", ua, attr, buf);
	return v;
}

bool t_attr_exists(int ua, const char *attr)
{
#ifdef T_NATIVE
	char buf[512];

	return t_attr_str(ua, attr, buf, sizeof(buf)) != -ENOENT;
#else
	char p[256];

	t_attr_path(ua, attr, p, sizeof(p));
	return t_exists(p);
#endif
}

int t_attr_write(int ua, const char *attr, const char *s)
{
#ifdef T_NATIVE
	char dev[32];

	return wd_ctl_attr_set(t_dev_path(ua, dev), attr, s);
#else
	char p[256];

	t_attr_path(ua, attr, p, sizeof(p));
	return t_write_file(p, s);
#endif
}

bool t_wd_soft_loaded(void)
{
	return t_host_local || t_exists(T_BUS "/new_device");
}

int t_inst_new_raw(const char *s)
{
#ifdef T_NATIVE
	return wd_ctl_new_device(WD_CTL_LOCAL, s);
#else
	return t_write_file(T_BUS "/new_device", s);
#endif
}

int t_inst_del_raw(const char *s)
{
#ifdef T_NATIVE
	/* the kernel's syntax: one decimal ID, blanks around it */
	char *end;
	long id;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	id = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (errno || *end || id > T_ID_MAX)
		return -EINVAL;
	return wd_ctl_del_device(WD_CTL_LOCAL, (int)id);
#else
	return t_write_file(T_BUS "/del_device", s);
#endif
}

bool t_inst_exists(int id)
{
#ifdef T_NATIVE
	char p[32];

	return !wd_ctl_dev_path(WD_CTL_LOCAL, id, p, sizeof(p));
#else
	char p[128];

	snprintf(p, sizeof(p), T_BUS "/devices/wd_soft%d", id);
	return t_exists(p);
#endif
}

int t_inst_ua(int id)
{
#ifdef T_NATIVE
	/* in-process, uaN is the instance's own number: local/ID */
	return t_inst_exists(id) ? id : -1;
#else
	char p[128];
	DIR *d;
	struct dirent *e;
	int ua = -1;

	snprintf(p, sizeof(p), T_BUS "/devices/wd_soft%d/uacce", id);
	d = opendir(p);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "ua%d", &ua) == 1)
			break;
	closedir(d);
	return ua;
#endif
}

/* debugfs file @name of instance @id: 0 or -errno */
static int t_debugfs_write(int id, const char *name, const char *val)
{
#ifdef T_NATIVE
	char dev[32];

	return wd_ctl_attr_set(t_dev_path(id, dev), name, val);
#else
	char p[96];

	snprintf(p, sizeof(p), "/sys/kernel/debug/wd_soft/wd_soft%d/%s", id,
		 name);
	return t_write_file(p, val);
#endif
}

int t_hold_write(int id, const char *val)
{
	return t_debugfs_write(id, "hold", val);
}

void t_hold(int id, bool on)
{
	int r;

	/* EAGAIN: an engine still finishes its batch (held already): again */
	for (uint64_t end = t_now_ms() + T_HANG_MS;;) {
		r = t_debugfs_write(id, "hold", on ? "1" : "0");
		if (r != -EAGAIN || t_now_ms() >= end)
			break;
	}
	if (r)
		T_FAIL("wd_soft%d hold: %s (the engines' hold, issue 9)", id,
		       t_errname(-r));
}

int t_fail_next_write(int id, const char *val)
{
	return t_debugfs_write(id, "fail_next", val);
}

void t_fail_next(int id, int n)
{
	char s[16];
	int r;

	snprintf(s, sizeof(s), "%d", n);
	r = t_debugfs_write(id, "fail_next", s);
	if (r)
		T_FAIL("wd_soft%d fail_next: %s", id, t_errname(-r));
}

long long t_get_fail_next(int id)
{
	char buf[32];
	int n;
#ifdef T_NATIVE
	char dev[32];

	n = wd_ctl_attr_get(t_dev_path(id, dev), "fail_next", buf, sizeof(buf));
#else
	char p[96];

	snprintf(p, sizeof(p), "/sys/kernel/debug/wd_soft/wd_soft%d/fail_next", id);
	n = t_read_file(p, buf, sizeof(buf));
#endif
	if (n < 0)
		T_FAIL("wd_soft%d fail_next: %s", id, t_errname(-n));
	return strtoll(buf, NULL, 10);
}

long long t_debugfs_ll(int id, const char *name)
{
	char buf[64], *end;
	long long v;
	int n;
#ifdef T_NATIVE
	char dev[32];

	n = wd_ctl_attr_get(t_dev_path(id, dev), name, buf, sizeof(buf));
#else
	char p[128];

	snprintf(p, sizeof(p), "/sys/kernel/debug/wd_soft/wd_soft%d/%s", id,
		 name);
	n = t_read_file(p, buf, sizeof(buf) - 1);
	if (n >= 0)
		buf[n] = 0;
#endif
	if (n < 0)
		T_FAIL("wd_soft%d debugfs %s: %s", id, name, t_errname(-n));
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		T_FAIL("wd_soft%d debugfs %s is \"%s\", not a number", id,
		       name, buf);
	return v;
}

/*
 * Instance IDs. The runner takes T_NR_IDS consecutive IDs when it starts:
 * the first range (from T_ID_FIRST, clear of the devices the module makes
 * at load) that no live program holds and with no instance, recorded in
 * T_ID_REGISTRY ("base pid" lines) under flock(). So programs run at once
 * (the stress suite) never share one, and none is assigned by hand.
 */
static int t_ids = -1;

int t_id_base(void)
{
	if (t_ids < 0)
		T_FAIL("no wd_soft IDs: the runner took none");
	return t_ids;
}

struct t_ids_entry {
	int base;
	int pid;
};

static bool t_ids_free(int base, const struct t_ids_entry *held, int n)
{
	for (int i = 0; i < n; i++)
		if (held[i].base == base)
			return false;
	for (int id = base; id < base + T_NR_IDS; id++)
		if (t_inst_exists(id))
			return false;
	return true;
}

void t_sys_init(void)
{
	if (t_host_local) {
		/* in-process instances are this process's alone */
		t_ids = T_ID_FIRST;
		return;
	}

	struct t_ids_entry held[T_ID_MAX / T_NR_IDS + 1];
	int n = 0, base, pid, fd;
	char buf[8192], *p, *end;
	ssize_t len;
	FILE *f;

	fd = open(T_ID_REGISTRY, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX))
		T_FAIL("%s: %s", T_ID_REGISTRY, t_errname(errno));
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[len > 0 ? len : 0] = 0;
	/* keep the ranges of live programs; a dead program's is free again */
	for (p = buf; n < T_ID_MAX / T_NR_IDS; p = end) {
		base = (int)strtol(p, &end, 10);
		if (end == p)
			break;
		pid = (int)strtol(end, &end, 10);
		if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
			held[n++] = (struct t_ids_entry){ base, pid };
	}
	for (base = T_ID_FIRST; base + T_NR_IDS - 1 <= T_ID_MAX; base += T_NR_IDS)
		if (t_ids_free(base, held, n))
			break;
	if (base + T_NR_IDS - 1 > T_ID_MAX)
		T_FAIL("no free range of %d wd_soft IDs", T_NR_IDS);
	held[n++] = (struct t_ids_entry){ base, (int)getpid() };
	f = fdopen(fd, "w");
	if (!f || ftruncate(fd, 0))
		T_FAIL("%s: %s", T_ID_REGISTRY, t_errname(errno));
	for (int i = 0; i < n; i++)
		fprintf(f, "%d %d\n", held[i].base, held[i].pid);
	fclose(f);	/* and the lock */
	t_ids = base;
}

int t_free_id(void)
{
	int b = t_id_base();

	for (int id = b; id < b + T_NR_IDS; id++)
		if (!t_inst_exists(id))
			return id;
	T_FAIL("no free wd_soft ID in %d..%d", b, b + T_NR_IDS - 1);
}

char *t_dev_path(int ua, char *buf)
{
	sprintf(buf, t_host_local ? "local/%d" : "/dev/ua%d", ua);
	return buf;
}

struct t_inst t_inst_create(const char *opts)
{
	struct t_inst in = { .id = t_free_id(), .ua = -1 };
	char s[256], dev[32];
	int r;

	if (!t_wd_soft_loaded())
		T_FAIL("wd_soft is not loaded (no %s/new_device)", T_BUS);
	snprintf(s, sizeof(s), "%d%s%s", in.id, *opts ? " " : "", opts);
	r = t_inst_new_raw(s);
	if (r)
		T_FAIL("new_device \"%s\": %s", s, t_errname(-r));
	for (uint64_t end = t_now_ms() + T_HANG_MS; t_now_ms() < end;) {
		in.ua = t_inst_ua(in.id);
		/* in-process, the device is there when new_device returns */
		if (in.ua >= 0 && (t_host_local ||
				   t_exists(t_dev_path(in.ua, dev))))
			return in;
		t_msleep(10);
	}
	if (in.ua < 0)
		T_FAIL("new_device \"%s\": no %s/devices/wd_soft%d/uacce/uaN",
		       s, T_BUS, in.id);
	T_FAIL("new_device \"%s\": /dev/ua%d did not appear", s, in.ua);
}

void t_inst_delete(struct t_inst *in)
{
	char s[32];
	int r;

	snprintf(s, sizeof(s), "%d", in->id);
	r = t_inst_del_raw(s);
	if (r)
		T_FAIL("del_device \"%s\": %s", s, t_errname(-r));
	if (t_inst_exists(in->id))
		T_FAIL("wd_soft%d still exists after del_device", in->id);
}

/* ---- the runner's ---- */

void t_sys_cleanup(void)
{
	char s[32];

	if (!t_wd_soft_loaded())
		return;
	for (int id = t_ids; t_ids >= 0 && id < t_ids + T_NR_IDS; id++) {
		if (!t_inst_exists(id))
			continue;
		snprintf(s, sizeof(s), "%d", id);
		int r = t_inst_del_raw(s);

		if (r)
			printf("# %s: cleanup: del_device %d: %s\n", t_prog,
			       id, t_errname(-r));
	}
}
