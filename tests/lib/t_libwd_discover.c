// SPDX-License-Identifier: MIT
/*
 * t_libwd: discovery: which device wd_request_queue() picks (the VM's sysfs).
 * One of the files of t_libwd (t_libwd.h).
 */
#include "t_libwd.h"

static int ua_of(const struct wd_queue *q)
{
	int n = -1;

	sscanf(q->dev_path, "/dev/ua%d", &n);
	return n;
}

static void fail_next(int id, int n)
{
	char p[128], s[16];

	snprintf(p, sizeof(p), "/sys/kernel/debug/wd_soft/wd_soft%d/fail_next", id);
	snprintf(s, sizeof(s), "%d", n);
	if (t_write_file(p, s))
		t_skip("no %s", p);
}

TEST(discover_busy)
{
	struct wd_queue q1, q2;
	struct t_inst a;
	char path[32];

	vm_only();
	unsetenv("WD_DEV_PATH");
	a = t_inst_create("mode=pasid queues=1");
	t_dev_path(a.ua, path);
	memset(&q1, 0, sizeof(q1));
	q1.capa.alg = "copy";
	q1.capa.flags = WD_DEV_PASID;	/* the only pasid device */
	T_EQ(wd_request_queue(&q1), 0);
	T_EQ(ua_of(&q1), a.ua);
	q2 = (struct wd_queue){ .capa = q1.capa };
	T_EQ(wd_request_queue(&q2), -EBUSY);
	T_EQ(q_try(&q2, "copy", path), -EBUSY);
	wd_release_queue(&q1);
	q2 = (struct wd_queue){ .capa = q1.capa };
	T_EQ(wd_request_queue(&q2), 0);
	wd_release_queue(&q2);
}

TEST(discover_isolated)
{
	struct wd_queue q, q2;
	struct wd_copy_req req;
	struct t_inst a, b;
	char path[32];

	vm_only();
	unsetenv("WD_DEV_PATH");
	a = t_inst_create("mode=pasid queues=4");
	t_dev_path(a.ua, path);
	T_EQ(t_attr_write(a.ua, "isolate_strategy", "1"), 0);
	q_open_on(&q, "nop", path);
	fail_next(a.id, 1);
	wd_prep_copy(&req, NULL, NULL, 0);
	run(&q, &req);
	T_EQ(req.status, -EIO);
	T_EQ(t_attr_ll(a.ua, "isolate"), 1);
	/* the queue it has keeps working */
	run(&q, &req);
	T_EQ(req.status, 0);

	T_EQ(q_try(&q2, "copy", path), -EIO);
	q2 = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q2), -EIO);
	b = t_inst_create("mode=pasid queues=4");
	q2 = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q2), 0);
	T_EQ(ua_of(&q2), b.ua);
	wd_release_queue(&q2);
	T_EQ(t_attr_write(a.ua, "isolate_strategy", "0"), 0);
	T_EQ(q_try(&q2, "copy", path), 0);
	wd_release_queue(&q2);
	wd_release_queue(&q);
}

TEST(discover_most_available)
{
	struct wd_queue q, hold[4];
	struct t_inst a, b;

	vm_only();
	unsetenv("WD_DEV_PATH");
	a = t_inst_create("mode=pasid queues=4");
	b = t_inst_create("mode=pasid queues=8");
	q = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q), 0);
	T_EQ(ua_of(&q), b.ua);		/* 8 free against 4 */
	for (int i = 0; i < 4; i++) {	/* b: 3 left */
		char path[32];

		q_open_on(&hold[i], "copy", t_dev_path(b.ua, path));
	}
	wd_release_queue(&q);		/* b: 4 left, a: 4: by id */
	q = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q), 0);
	T_EQ(ua_of(&q), a.ua < b.ua ? a.ua : b.ua);
	wd_release_queue(&q);
	wd_release_queue(&hold[0]);	/* b: 5 */
	q = (struct wd_queue){ .capa = { "copy", WD_DEV_PASID } };
	T_EQ(wd_request_queue(&q), 0);
	T_EQ(ua_of(&q), b.ua);
	wd_release_queue(&q);
	for (int i = 1; i < 4; i++)
		wd_release_queue(&hold[i]);
}

TEST(discover_permission)
{
	struct t_inst a, c;
	char path[32], cpath[32];
	struct stat st;
	pid_t pid;

	vm_only();
	unsetenv("WD_DEV_PATH");
	a = t_inst_create("mode=sva");
	c = t_inst_create("mode=noiommu");
	t_dev_path(a.ua, path);
	t_dev_path(c.ua, cpath);
	T_OK(stat(path, &st));
	if (st.st_mode & 0006)
		t_skip("%s is open to everyone", path);

	/* no CAP_SYS_RAWIO: NOIOMMU devices are out of reach */
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;

		t_drop_cap(CAP_SYS_RAWIO);
		T_EQ(q_try(&q, "copy", cpath), -EPERM);
		q = (struct wd_queue){ .capa = { "copy", WD_DEV_NOIOMMU } };
		T_EQ(wd_request_queue(&q), -EPERM);
		/* others still are */
		T_EQ(q_try(&q, "copy", path), 0);
		wd_release_queue(&q);
		_exit(0);
	}
	t_wait_ok(pid, 30000);

	/* an unprivileged user may not open the devices at all */
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;

		T_OK(setgid(65534));
		T_OK(setuid(65534));
		T_EQ(q_try(&q, "copy", path), -EACCES);
		T_EQ(q_try(&q, "copy", ""), -EACCES);
		T_EQ(q_try(&q, "md5", ""), -ENODEV);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
}

/* a file's contents, to put back after the test changed it ("" if none) */
static char *save_file(const char *path)
{
	char *buf = calloc(1, 65536);

	T_ASSERT(buf);
	if (t_read_file(path, buf, 65536) < 0)
		buf[0] = 0;
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	T_ASSERT(f);
	fputs(text, f);
	T_EQ(fclose(f), 0);
}

/* in a child, as uid/gid 65534 with @ngroups supplementary groups @groups:
 * wd_request_queue() on @dev gives @want and wd_strerror() holds each of
 * the strings of @has (NULL-terminated) */
static void refused_as_user(const char *dev, int want, int ngroups,
			    const gid_t *groups, const char *const *has)
{
	pid_t pid = t_fork();

	if (!pid) {
		struct wd_queue q;
		const char *msg;
		int r;

		T_OK(setgroups(ngroups, groups));
		T_OK(setgid(65534));
		T_OK(setuid(65534));
		r = q_try(&q, "copy", dev);
		if (!r)
			wd_release_queue(&q);
		T_EQ(r, want);
		msg = wd_strerror(r);
		printf("# %s: %s\n", dev[0] ? dev : "(any)", msg);
		for (; *has; has++)
			T_ASSERT_MSG(strstr(msg, *has), "wd_strerror(%d) \"%s\" lacks \"%s\"",
				     r, msg, *has);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
}

/*
 * The refused caller is told which device refused and what grants access
 * (wd_strerror(), docs/install.md): the group owning the node, "log in
 * again" for a member whose session predates it, root only for a node the
 * udev rule did not touch, CAP_SYS_RAWIO for a NOIOMMU device.
 */
TEST(discover_permission_message)
{
	static const gid_t grp = 4242;
	char path[32], cpath[32], dev[80], want[96];
	char *group, *passwd;
	struct t_inst a, c;
	struct stat st;

	vm_only();
	unsetenv("WD_DEV_PATH");
	a = t_inst_create("mode=sva");
	c = t_inst_create("mode=noiommu");
	t_dev_path(a.ua, path);
	t_dev_path(c.ua, cpath);
	T_OK(stat(path, &st));
	if (st.st_mode & 0006)
		t_skip("%s is open to everyone", path);
	group = save_file("/etc/group");
	passwd = save_file("/etc/passwd");
	/* an empty password field is valid: wdtother (GID 65534) is not
	 * the caller, whatever a parser skipping empty fields thinks */
	write_file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n"
		   "wdtother::4243:65534::/:/bin/sh\n"
		   "wdtuser:x:65534:65534::/:/bin/sh\n");
	write_file("/etc/group", "root:x:0:\nwdtgrp:x:4242:\n");

	/* as the udev rule leaves it: root:GROUP 0660 */
	T_OK(chown(path, 0, grp));
	T_OK(chmod(path, 0660));
	snprintf(dev, sizeof(dev), "permission denied on %s", path);
	refused_as_user(path, -EACCES, 0, NULL, (const char *[]){ dev,
			"join the group 'wdtgrp'", "adduser wdtuser wdtgrp", NULL });
	/* with no device named, the one a group may open is named (not the
	 * module's root-only instance 0) */
	refused_as_user("", -EACCES, 0, NULL, (const char *[]){ dev,
			"join the group 'wdtgrp'", NULL });
	/* listed in the group (whose password field is empty), but not in
	 * this session */
	write_file("/etc/group", "root:x:0:\nwdtgrp::4242:daemon,wdtuser\n");
	refused_as_user(path, -EACCES, 0, NULL, (const char *[]){ dev,
			"is in group 'wdtgrp' but this session is not", "log in again", NULL });
	/* in the group: it opens */
	refused_as_user(path, 0, 1, &grp, (const char *[]){ "success", NULL });

	/* root's alone (no udev rule): says so, and names the rule's group */
	T_OK(chown(path, 0, 0));
	T_OK(chmod(path, 0600));
	refused_as_user(path, -EACCES, 1, &grp, (const char *[]){ dev,
			"only root may open it", "group 'uacce'", NULL });

	/* NOIOMMU: the group does not help; CAP_SYS_RAWIO is named */
	T_OK(chown(cpath, 0, grp));
	T_OK(chmod(cpath, 0660));
	snprintf(want, sizeof(want), "%s is a NOIOMMU device", cpath);
	refused_as_user(cpath, -EPERM, 1, &grp,
			(const char *[]){ want, "CAP_SYS_RAWIO", NULL });
	T_OK(chown(cpath, 0, 0));
	T_OK(chmod(cpath, 0600));

	write_file("/etc/group", group);
	write_file("/etc/passwd", passwd);
	free(group);
	free(passwd);
}

/* two NUMA nodes (wd-vm --numa): the queue comes from the caller's node */
TEST(discover_numa)
{
	char buf[64];
	struct t_inst n0, n1;

	vm_only();
	unsetenv("WD_DEV_PATH");
	if (t_read_file("/sys/devices/system/node/online", buf, sizeof(buf)) < 0 ||
	    strncmp(buf, "0-1", 3))
		t_skip("needs two NUMA nodes (wd-vm --numa)");
	n0 = t_inst_create("mode=sva node=0 queues=1024");
	n1 = t_inst_create("mode=sva node=1 queues=1024");
	for (int node = 0; node < 2; node++) {
		char p[64], cpus[32];
		cpu_set_t set;
		struct wd_queue q;
		int cpu;

		snprintf(p, sizeof(p), "/sys/devices/system/node/node%d/cpulist",
			 node);
		T_ASSERT(t_read_file(p, cpus, sizeof(cpus)) > 0);
		cpu = atoi(cpus);
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		T_OK(sched_setaffinity(0, sizeof(set), &set));
		q = (struct wd_queue){ .capa = { "copy", 0 } };
		T_EQ(wd_request_queue(&q), 0);
		T_EQ(q.node, node);
		T_EQ(ua_of(&q), node ? n1.ua : n0.ua);
		wd_release_queue(&q);
	}
}
