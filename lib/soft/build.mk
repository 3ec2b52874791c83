# SPDX-License-Identifier: GPL-2.0 OR MIT
# The in-process wd_soft host's archives: the engine core and scheduler
# (engine/sources.mk's sources, compiled in unchanged) and the user-space
# host (sources.mk), into
#
#   build/native/libwd_soft_local.a        (and its objects)
#   build/native-asan/libwd_soft_local.a   the ASan+UBSan variant
#
# Included by lib/Makefile only, which puts the archives into libwd's: one
# make owns these rules, so no two makes build an archive at once. Needs
# TOP, and libs.mk included before.
include $(TOP)/lib/soft/sources.mk
include $(TOP)/engine/sources.mk

WDL_DIR   := $(TOP)/lib/soft
WDL_CFLAGS := -std=c11 -D_GNU_SOURCE -g -Wall -Wextra -Werror -fPIC \
	      -I$(TOP)/engine -I$(WDL_DIR) $(WDL_CPPFLAGS)
WDL_HDRS  := $(addprefix $(WDL_DIR)/,wd_soft_local.h wdl_internal.h libs.mk \
	       sources.mk build.mk) \
	     $(TOP)/engine/wd_soft_core.h $(TOP)/engine/wd_soft_core_priv.h \
	     $(TOP)/engine/wd_soft_sched.h \
	     $(TOP)/engine/compat-user.h $(TOP)/engine/zlib-user.h \
	     $(TOP)/engine/sha256-user.h \
	     $(TOP)/engine/sources.mk \
	     $(TOP)/include/uapi/misc/uacce/wd_soft.h \
	     $(TOP)/include/uapi/misc/uacce/uacce.h

WDL_N_OUT := $(TOP)/build/native
WDL_A_OUT := $(TOP)/build/native-asan
WDL_A      := $(WDL_N_OUT)/libwd_soft_local.a
WDL_ASAN_A := $(WDL_A_OUT)/libwd_soft_local.a
# objects of lib/soft in obj/soft/, the core's in obj/engine/
WDL_OBJS  := $(addprefix soft/,$(WDL_SRCS:.c=.o)) \
	     $(addprefix engine/,$(WD_SOFT_CORE_SRCS:.c=.o) $(WD_SOFT_SCHED_SRCS:.c=.o))
WDL_N_OBJS := $(addprefix $(WDL_N_OUT)/obj/,$(WDL_OBJS))
WDL_A_OBJS := $(addprefix $(WDL_A_OUT)/obj/,$(WDL_OBJS))

$(WDL_N_OUT)/obj/soft/%.o: $(WDL_DIR)/%.c $(WDL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(WDL_CFLAGS) -O2 $(EXTRA_CFLAGS) -c -o $@ $<
$(WDL_N_OUT)/obj/engine/%.o: $(TOP)/engine/%.c $(WDL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(WDL_CFLAGS) -O2 $(EXTRA_CFLAGS) -c -o $@ $<

$(WDL_A_OUT)/obj/soft/%.o: $(WDL_DIR)/%.c $(WDL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(WDL_CFLAGS) -O1 $(WDL_SANFLAGS) -c -o $@ $<
$(WDL_A_OUT)/obj/engine/%.o: $(TOP)/engine/%.c $(WDL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(WDL_CFLAGS) -O1 $(WDL_SANFLAGS) -c -o $@ $<

$(WDL_A): $(WDL_N_OBJS)
	rm -f $@ && $(AR) rcs $@ $^
$(WDL_ASAN_A): $(WDL_A_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

wdl-clean:
	rm -rf $(WDL_N_OUT)/obj/soft $(WDL_N_OUT)/obj/engine $(WDL_A_OUT)/obj/soft \
	       $(WDL_A_OUT)/obj/engine $(WDL_A) $(WDL_ASAN_A)

.PHONY: wdl-clean
