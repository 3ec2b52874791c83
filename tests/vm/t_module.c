// SPDX-License-Identifier: GPL-2.0
/*
 * t_module: unloading and loading uacce and wd_soft around open queues
 * (docs/uacce.md, "Device removal with queues open": nothing in the kernel
 * is leaked and the module can be unloaded after the last close;
 * docs/soft-device.md, "Instances": nr_devs, devices), with the modules in
 * /lib/modules/wd (uacce.ko, wd_soft.ko).
 * Every test leaves both modules loaded with default parameters.
 */
#include "t.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>


#define KO_DIR T_KO_DIR
#define loaded t_mod_loaded
#define insmod t_insmod

static int rmmod(const char *name)
{
	uint64_t end = t_now_ms() + T_HANG_MS;

	/* rmmod(8) semantics: no waiting in the kernel */
	for (;;) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		if (t_now_ms() > end)
			return -errno;
		t_msleep(20);	/* references dropped asynchronously */
	}
}

static void need_modules(void)
{
	T_NEED_KERNEL("module load/unload (uacce.ko, wd_soft.ko)");
	if (!t_exists(KO_DIR "/uacce.ko") || !t_exists(KO_DIR "/wd_soft.ko"))
		t_skip("no " KO_DIR "/{uacce,wd_soft}.ko in this system");
	if (!loaded("uacce") || !loaded("wd_soft"))
		T_FAIL("uacce and wd_soft must be loaded before the test");
}

/* back to both loaded, default parameters (runs in the runner) */
static void restore(void)
{
	if (!t_exists(KO_DIR "/uacce.ko"))
		return;
	if (!loaded("uacce"))
		insmod("uacce", "");
	if (!loaded("wd_soft"))
		insmod("wd_soft", "");
}

__attribute__((constructor)) static void set_hook(void)
{
	t_after_test = restore;
}

static void must_rmmod(const char *name)
{
	int r = rmmod(name);

	if (r)
		T_FAIL("rmmod %s: %s", name, t_errname(-r));
	T_ASSERT(!loaded(name));
}

static void must_insmod(const char *name, const char *params)
{
	int r = insmod(name, params);

	if (r)
		T_FAIL("insmod %s %s: %s", name, params, t_errname(-r));
}

static void nop_works(int ua)
{
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(1);

	t_q_setup(&q, ua);
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
	char *src = malloc(1 << 20), *dst = malloc(1 << 20);

	t_q_copy_check(&q, src, dst, 1 << 20);
	t_q_close(&q);
}

static int wait_ua(int id)
{
	uint64_t end = t_now_ms() + T_HANG_MS;

	while (t_now_ms() < end) {
		int ua = t_inst_ua(id);
		char dev[32];

		if (ua >= 0 && t_exists(t_dev_path(ua, dev)))
			return ua;
		t_msleep(10);
	}
	T_FAIL("wd_soft%d has no usable uacce device", id);
}

TEST(reload_default)
{
	need_modules();
	must_rmmod("wd_soft");
	T_ASSERT(!t_exists(T_BUS));
	T_EQ(t_count_dir("/sys/class/uacce"), 0);
	must_rmmod("uacce");
	must_insmod("uacce", "");
	T_EQ(t_count_dir("/sys/class/uacce"), 0);
	must_insmod("wd_soft", "");
	T_ASSERT(t_inst_exists(0));
	T_EQ(t_count_dir(T_BUS "/devices"), 1);
	int ua = wait_ua(0);

	T_EQ(t_attr_ll(ua, "flags"), UACCE_DEV_SVA);
	nop_works(ua);
}

TEST(nr_devs_param)
{
	need_modules();
	must_rmmod("wd_soft");
	must_insmod("wd_soft", "nr_devs=3");
	T_EQ(t_count_dir(T_BUS "/devices"), 3);
	for (int id = 0; id < 3; id++) {
		int ua = wait_ua(id);

		T_EQ(t_attr_ll(ua, "flags"), UACCE_DEV_SVA);
		nop_works(ua);
	}
	must_rmmod("wd_soft");
	T_EQ(t_count_dir("/sys/class/uacce"), 0);
	must_insmod("wd_soft", "nr_devs=0");
	T_EQ(t_count_dir(T_BUS "/devices"), 0);
	/* new_device works without load-time instances */
	struct t_inst in = t_inst_create("mode=pasid");

	T_EQ(t_attr_ll(in.ua, "flags"), UACCE_DEV_PASID);
	must_rmmod("wd_soft");
	T_EQ(t_count_dir("/sys/class/uacce"), 0);
}

/*
 * devices: new_device strings at load, after the nr_devs instances
 * (docs/install.md: instances set at boot through modprobe.d); a bad one
 * fails the load and leaves nothing.
 */
TEST(devices_param)
{
	int ua;

	need_modules();
	must_rmmod("wd_soft");
	must_insmod("wd_soft", "nr_devs=1 devices=\"8 mode=pasid queues=4; 9 mode=noiommu\"");
	T_EQ(t_count_dir(T_BUS "/devices"), 3);
	T_EQ(t_attr_ll(wait_ua(0), "flags"), UACCE_DEV_SVA);
	ua = wait_ua(8);
	T_EQ(t_attr_ll(ua, "flags"), UACCE_DEV_PASID);
	T_EQ(t_attr_ll(ua, "available_instances"), 4);
	T_EQ(t_attr_ll(wait_ua(9), "flags"), UACCE_DEV_NOIOMMU);
	must_rmmod("wd_soft");
	/* an ID twice, or a bad string: no module, no instance */
	T_EQ(insmod("wd_soft", "devices=\"8;8\""), -EEXIST);
	T_EQ(insmod("wd_soft", "devices=\"8 mode=bogus\""), -EINVAL);
	T_ASSERT(!loaded("wd_soft"));
	T_EQ(t_count_dir("/sys/class/uacce"), 0);
	must_insmod("wd_soft", "");
}

/* del_device with a queue open and mapped; after the last close, unload */
TEST(rmmod_after_zombie_closed)
{
	struct t_inst in;
	struct t_q q;

	need_modules();
	in = t_inst_create("mode=pasid");
	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, 4 * t_page);
	t_inst_delete(&in);
	t_q_close(&q);
	must_rmmod("wd_soft");
	must_rmmod("uacce");
}

/*
 * del_device with stream contexts open (a deflate stream in progress),
 * the queue closed after: nothing left (the driver warns at removal if
 * its count of context bytes is not 0), both modules unload
 */
TEST(rmmod_after_del_device_with_contexts)
{
	static const uint16_t ops[] = { WD_SOFT_OP_DEFLATE, WD_SOFT_OP_INFLATE,
		WD_SOFT_OP_GZIP_COMP, WD_SOFT_OP_SHA256, WD_SOFT_OP_CRC32C };
	struct wd_soft_ctx_cmd c;
	struct wd_soft_sqe s;
	struct t_inst in;
	struct t_q q;
	uint32_t ctx[5];
	char *src = malloc(65536), *dst = malloc(65536);

	need_modules();
	T_ASSERT(src && dst);
	in = t_inst_create("");
	t_q_setup(&q, in.ua);
	for (int i = 0; i < 5; i++) {
		c = (struct wd_soft_ctx_cmd){ .cmd = WD_SOFT_CTX_OPEN,
					      .op = ops[i] };
		T_EQ(t_q_cmd(&q, WD_SOFT_CMD_CTX, (unsigned long)&c), 0);
		ctx[i] = c.ctx;
	}
	t_fill_random(src, 65536, 3);
	s = (struct wd_soft_sqe){ .user_data = 1, .op = WD_SOFT_OP_DEFLATE,
				  .src = (uintptr_t)src, .dst = (uintptr_t)dst,
				  .src_len = 65536, .dst_len = 65536,
				  .ctx = ctx[0] };
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
	T_ASSERT(t_debugfs_ll(in.id, "ctx_bytes") > 0);
	t_inst_delete(&in);
	t_q_close(&q);
	must_rmmod("wd_soft");
	must_rmmod("uacce");
}

/* instances of every mode, some with queues that were used, then unload */
TEST(rmmod_with_many_instances)
{
	need_modules();
	for (int i = 0; i < 6; i++) {
		struct t_inst in = t_inst_create(i % 3 == 0 ? "mode=sva" :
						 i % 3 == 1 ? "mode=pasid" :
						 "mode=noiommu");
		if (i < 3) {
			struct t_q q;
			struct wd_soft_sqe s = t_sqe_nop(i);

			t_q_setup(&q, in.ua);
			t_q_map_ss(&q, t_page);
			T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
			t_q_close(&q);
		}
	}
	must_rmmod("wd_soft");
	T_EQ(t_count_dir("/sys/class/uacce"), 0);
	must_rmmod("uacce");
}

/*
 * rmmod wd_soft while a queue is open, started and mapped: the fixed
 * interface (docs/interfaces.md) allows
 * either refusing (EBUSY/EAGAIN: the queue keeps working) or removing the
 * devices (the queue then behaves as after a removal). Both must hold up.
 */
TEST(rmmod_with_queue_open_consistent)
{
	struct t_inst in;
	struct t_q q;
	int r;

	need_modules();
	in = t_inst_create("");
	t_q_setup(&q, in.ua);
	r = syscall(SYS_delete_module, "wd_soft", O_NONBLOCK) ? -errno : 0;
	if (r) {
		T_ASSERT_MSG(r == -EBUSY || r == -EAGAIN || r == -EWOULDBLOCK,
			     "rmmod wd_soft with a queue open: %s",
			     t_errname(-r));
		T_ASSERT(loaded("wd_soft"));
		struct wd_soft_sqe s = t_sqe_nop(3);

		T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
		t_note("rmmod wd_soft with a queue open: refused (%s)",
		       t_errname(-r));
	} else {
		T_CMD_ERR(&q, UACCE_CMD_PUT_Q, 0, ENODEV);
		T_EQ(t_touch(q.dus_map, false), SIGBUS);
		t_note("rmmod wd_soft with a queue open: devices removed");
	}
	t_q_close(&q);
	if (loaded("wd_soft"))
		must_rmmod("wd_soft");
	must_rmmod("uacce");
}

/* the uacce module with no driver: loads and unloads alone */
TEST(uacce_alone)
{
	need_modules();
	must_rmmod("wd_soft");
	must_rmmod("uacce");
	for (int i = 0; i < 3; i++) {
		must_insmod("uacce", "");
		T_ASSERT(t_exists("/sys/class/uacce"));
		must_rmmod("uacce");
	}
}
