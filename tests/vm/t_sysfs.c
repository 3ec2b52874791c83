// SPDX-License-Identifier: GPL-2.0
/* t_sysfs: the attributes of /sys/class/uacce/uaN/ (docs/uacce.md, "sysfs") */
#include "t.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>


static const char *const ro_attrs[] = {
	"id", "api", "flags", "available_instances", "algorithms",
	"qfrs_offset", "region_mmio_size", "region_dko_size",
	"region_dus_size", "numa_distance", "node_id", "isolate",
};
#define NR_RO (sizeof(ro_attrs) / sizeof(ro_attrs[0]))

TEST(attributes_present)
{
	struct t_inst in = t_inst_create("");
	char buf[4096];

	for (unsigned int i = 0; i < NR_RO; i++) {
		int n = t_attr_str(in.ua, ro_attrs[i], buf, sizeof(buf));

		T_ASSERT_MSG(n > 0, "ua%d/%s: %s", in.ua, ro_attrs[i],
			     n < 0 ? t_errname(-n) : "empty");
	}
	T_ASSERT_MSG(t_attr_str(in.ua, "isolate_strategy", buf,
				sizeof(buf)) > 0, "no isolate_strategy");
}

TEST(id_matches_name)
{
	struct t_inst in = t_inst_create("");
	struct t_inst in2 = t_inst_create("");
	char p[64], buf[64];
	struct stat st;
	unsigned int ma, mi;

	T_EQ(t_attr_ll(in.ua, "id"), in.ua);
	T_EQ(t_attr_ll(in2.ua, "id"), in2.ua);
	T_ASSERT(in.ua != in2.ua);
	/* the kernel's only: in-process there is no char device */
	if (t_host_local)
		return;
	/* /dev/uaN is the char device of the class device uaN */
	T_OK(stat(t_dev_path(in.ua, p), &st));
	T_ASSERT(S_ISCHR(st.st_mode));
	T_ASSERT(t_attr_str(in.ua, "dev", buf, sizeof(buf)) > 0);
	T_EQ(sscanf(buf, "%u:%u", &ma, &mi), 2);
	T_EQ(major(st.st_rdev), ma);
	T_EQ(minor(st.st_rdev), mi);
}

TEST(bus_path_is_class_device)
{
	struct t_inst in = t_inst_create("");
	char a[PATH_MAX], b[PATH_MAX], p[256];

	T_NEED_KERNEL("the sysfs tree: the class device under the bus device");
	snprintf(p, sizeof(p), "/sys/class/uacce/ua%d", in.ua);
	T_ASSERT(realpath(p, a));
	snprintf(p, sizeof(p), T_BUS "/devices/wd_soft%d/uacce/ua%d", in.id,
		 in.ua);
	T_ASSERT(realpath(p, b));
	T_STREQ(a, b);
}

TEST(api)
{
	struct t_inst in = t_inst_create("");
	char buf[64];

	T_ASSERT(t_attr_str(in.ua, "api", buf, sizeof(buf)) > 0);
	T_STREQ(buf, WD_SOFT_API);
}

static void check_flags(const char *mode, long long want)
{
	struct t_inst in = t_inst_create(mode);

	T_EQ(t_attr_ll(in.ua, "flags"), want);
}

TEST(flags_sva)
{
	check_flags("mode=sva", UACCE_DEV_SVA);
	T_EQ(UACCE_DEV_SVA, 6);
}

TEST(flags_pasid)
{
	check_flags("mode=pasid", UACCE_DEV_PASID);
}

TEST(flags_noiommu)
{
	check_flags("mode=noiommu", UACCE_DEV_NOIOMMU);
}

TEST(flags_default_sva)
{
	check_flags("", UACCE_DEV_SVA);
}

TEST(algorithms)
{
	/* docs/interfaces.md, 2: at least these */
	static const char *const need[] = {
		"nop", "copy", "crc32c", "sha256", "deflate", "zlib", "gzip" };
	struct t_inst in = t_inst_create("");
	char buf[4096], raw[4096], p[128];
	char *lines[64];
	int n = 0;

	/*
	 * raw: one name per line, each line ending in a newline (the sysfs
	 * file's; in-process the value comes without the last newline)
	 */
	if (t_host_local) {
		T_ASSERT(t_attr_str(in.ua, "algorithms", raw, sizeof(raw)) > 0);
	} else {
		snprintf(p, sizeof(p), "/sys/class/uacce/ua%d/algorithms",
			 in.ua);
		T_ASSERT(t_read_file(p, raw, sizeof(raw)) > 0);
		T_ASSERT_MSG(raw[strlen(raw) - 1] == '\n',
			     "algorithms does not end with a newline");
	}
	T_ASSERT(t_attr_str(in.ua, "algorithms", buf, sizeof(buf)) > 0);
	for (char *s = strtok(buf, "\n"); s && n < 64; s = strtok(NULL, "\n"))
		lines[n++] = s;
	T_ASSERT_MSG(!strstr(raw, "\n\n"), "algorithms has an empty line");
	for (int i = 0; i < n; i++) {
		T_ASSERT_MSG(!strpbrk(lines[i], " \t"),
			     "algorithms line \"%s\" is not one name", lines[i]);
		for (int j = 0; j < i; j++)
			T_ASSERT_MSG(strcmp(lines[i], lines[j]),
				     "algorithm %s listed twice", lines[i]);
	}
	for (unsigned int k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
		bool found = false;

		for (int i = 0; i < n; i++)
			found |= !strcmp(lines[i], need[k]);
		T_ASSERT_MSG(found, "algorithms lacks \"%s\"", need[k]);
	}
}

static void check_regions(const char *mode)
{
	struct t_inst in = t_inst_create(mode);
	static const char *const sz[] = {
		"region_mmio_size", "region_dko_size", "region_dus_size" };
	char buf[256], extra[8];
	long long off[4], size[3];

	T_ASSERT(t_attr_str(in.ua, "qfrs_offset", buf, sizeof(buf)) > 0);
	T_ASSERT_MSG(sscanf(buf, "%lld %lld %lld %lld %7s", &off[0], &off[1],
			    &off[2], &off[3], extra) == 4,
		     "%s: qfrs_offset \"%s\" is not 4 numbers", mode, buf);
	for (int r = 0; r < 3; r++) {
		size[r] = t_attr_ll(in.ua, sz[r]);
		T_ASSERT_MSG(size[r] >= 0 && size[r] % t_page == 0,
			     "%s: %s = %lld", mode, sz[r], size[r]);
		T_ASSERT_MSG((off[r] == -1) == (size[r] == 0),
			     "%s: region %d: offset %lld but size %lld", mode,
			     r, off[r], size[r]);
	}
	for (int r = 0; r < 4; r++)
		T_ASSERT_MSG(off[r] == -1 || off[r] == (long long)(r * t_page),
			     "%s: qfrs_offset \"%s\": region %d at %lld, "
			     "expected %zu or -1", mode, buf, r, off[r],
			     r * t_page);
	/* wd_soft_v1: MMIO and DUS of the protocol's sizes */
	T_EQ(size[UACCE_QFRT_MMIO], WD_SOFT_MMIO_SIZE);
	T_EQ(size[UACCE_QFRT_DUS], (WD_SOFT_DUS_SIZE + t_page - 1) &
	     ~(t_page - 1));
	/* SS: offered when the device has a limit for it */
	long long ss = t_ss_max(in.ua);

	if (ss >= 0) {
		T_ASSERT(ss % t_page == 0);
		T_ASSERT_MSG((off[3] == -1) == (ss == 0),
			     "%s: SS offset %lld but region_ss_max_size %lld",
			     mode, off[3], ss);
	}
	/* PASID and NOIOMMU devices need SS to do anything */
	if (strcmp(mode, "mode=sva"))
		T_ASSERT_MSG(off[3] != -1, "%s: no SS region", mode);
}

TEST(qfrs_offset_and_sizes_sva)
{
	check_regions("mode=sva");
}

TEST(qfrs_offset_and_sizes_pasid)
{
	check_regions("mode=pasid");
}

TEST(qfrs_offset_and_sizes_noiommu)
{
	check_regions("mode=noiommu");
}

static int distance(int from, int to)
{
	char p[128], buf[512], *s = buf;

	snprintf(p, sizeof(p), "/sys/devices/system/node/node%d/distance", from);
	if (t_read_file(p, buf, sizeof(buf)) <= 0)
		return -1;
	for (int i = 0; i < to; i++) {
		strtol(s, &s, 10);
		if (!*s)
			return -1;
	}
	return strtol(s, NULL, 10);
}

TEST(node_id_and_distance)
{
	struct t_inst in = t_inst_create("node=0");
	struct t_inst def = t_inst_create("");
	unsigned int cpu, node;
	long long nid;

	T_EQ(t_attr_ll(in.ua, "node_id"), 0);
	nid = t_attr_ll(def.ua, "node_id");
	T_ASSERT_MSG(nid == -1 || (nid >= 0 && nid < 1024),
		     "default node_id %lld", nid);
	if (!t_exists("/sys/devices/system/node/node0"))
		t_skip("no NUMA information in sysfs");
	/* pin to one CPU so the reader's node is known */
	T_OK(getcpu(&cpu, &node));
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	T_OK(sched_setaffinity(0, sizeof(set), &set));
	T_OK(getcpu(&cpu, &node));
	int want = distance(node, 0);

	T_ASSERT(want > 0);
	T_EQ(t_attr_ll(in.ua, "numa_distance"), want);
	/* a device on no node: docs/uacce.md says 10 (local) */
	if (nid == -1)
		T_EQ(t_attr_ll(def.ua, "numa_distance"), 10);
}

TEST(isolate_zero)
{
	struct t_inst in = t_inst_create("");

	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
}

TEST(isolate_strategy_rw)
{
	struct t_inst in = t_inst_create("");
	char p[128];
	struct stat st;

	/* the sysfs file's mode: the kernel's only */
	if (!t_host_local) {
		snprintf(p, sizeof(p), "/sys/class/uacce/ua%d/isolate_strategy",
			 in.ua);
		T_OK(stat(p, &st));
		T_ASSERT_MSG(st.st_mode & S_IWUSR, "isolate_strategy mode %o",
			     st.st_mode & 0777);
	}
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "5"), 0);
	T_EQ(t_attr_ll(in.ua, "isolate_strategy"), 5);
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "17\n"), 0);
	T_EQ(t_attr_ll(in.ua, "isolate_strategy"), 17);
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "0"), 0);
	T_EQ(t_attr_ll(in.ua, "isolate_strategy"), 0);
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "65535"), 0);
	T_EQ(t_attr_ll(in.ua, "isolate_strategy"), 65535);
	/* writing it does not isolate anything */
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	int fd = t_open_raw(in.ua);

	T_ASSERT_MSG(fd >= 0, "open after writing isolate_strategy: %s",
		     t_errname(-fd));
	close(fd);
}

TEST(isolate_strategy_garbage_einval)
{
	static const char *const bad[] = {
		"abc", "-1", "99999999999", "\n", "5abc", "0x", "1 2",
		"4294967296", "65536",
	};
	struct t_inst in = t_inst_create("");

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "7"), 0);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = t_attr_write(in.ua, "isolate_strategy", bad[i]);

		T_ASSERT_MSG(r == -EINVAL, "writing \"%s\" to isolate_strategy:"
			     " %s, expected EINVAL", bad[i],
			     r ? t_errname(-r) : "accepted");
		T_EQ(t_attr_ll(in.ua, "isolate_strategy"), 7);
	}
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
}

TEST(read_only_not_writable)
{
	struct t_inst in = t_inst_create("queues=3");
	char p[128], before[4096], after[4096];

	for (unsigned int i = 0; i < NR_RO; i++) {
		struct stat st;
		int fd, r;

		if (t_host_local) {
			/* in-process: no file, no mode; the write is refused */
			T_ASSERT(t_attr_str(in.ua, ro_attrs[i], before,
					    sizeof(before)) > 0);
			r = t_attr_write(in.ua, ro_attrs[i], "1\n");
			T_ASSERT_MSG(r == -EACCES, "%s: write: %s, expected "
				     "EACCES", ro_attrs[i],
				     r ? t_errname(-r) : "accepted");
			T_ASSERT(t_attr_str(in.ua, ro_attrs[i], after,
					    sizeof(after)) > 0);
			T_STREQ(after, before);
			continue;
		}
		snprintf(p, sizeof(p), "/sys/class/uacce/ua%d/%s", in.ua,
			 ro_attrs[i]);
		T_OK(stat(p, &st));
		T_ASSERT_MSG(!(st.st_mode & 0222), "%s has mode %o", ro_attrs[i],
			     st.st_mode & 0777);
		T_ASSERT(t_read_file(p, before, sizeof(before)) > 0);
		fd = open(p, O_WRONLY);
		if (fd >= 0) {
			ssize_t n = write(fd, "1\n", 2);

			T_ASSERT_MSG(n < 0, "%s: write accepted", ro_attrs[i]);
			close(fd);
		} else {
			T_ASSERT_MSG(errno == EACCES || errno == EPERM,
				     "%s: open for write: %s", ro_attrs[i],
				     t_errname(errno));
		}
		T_ASSERT(t_read_file(p, after, sizeof(after)) > 0);
		T_STREQ(after, before);
	}
}

/* the default instance from module load (nr_devs default 1): wd_soft0, SVA */
TEST(default_instance_from_load)
{
	int ua;

	T_NEED_KERNEL("module load: wd_soft's nr_devs instances");
	if (!t_inst_exists(0))
		t_skip("wd_soft0 is gone (the module may have been loaded "
		       "with nr_devs=0 or the instance deleted)");
	ua = t_inst_ua(0);
	T_ASSERT(ua >= 0);
	T_EQ(t_attr_ll(ua, "flags"), UACCE_DEV_SVA);
	T_EQ(t_attr_ll(ua, "id"), ua);
}
