# SPDX-License-Identifier: MIT
# libwd_zlib's tests (front/zlib), included by tests/front/Makefile:
#   t_zlib       linked with the tests' build of libwd_zlib.so (no libz;
#                build/front/zlib/test: the product plus the hook
#                wd_zlib_test_device), the system's libz.so.1 loaded beside
#                it as the reference
#   t_zlib-asan  the same test over the same objects, linked statically
#                (wd_zlib-asan-all.o: libwd_zlib's code and libwd-asan.a
#                under ASan+UBSan; libz.a's objects as they are)
#   build/native/libexec/t_zlib_preload  linked with -lz: t_zlib runs it
#                with LD_PRELOAD=libwd_zlib.so.1 (symbol versions bind)
# included before the Makefile's own `all`: keep it the default goal
.DEFAULT_GOAL := all
TZ_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread -I$(TOP)/front/zlib
TZ_LIBS   := -pthread $(filter-out -lz,$(WDL_LDLIBS)) -ldl
TZ_DEPS   := t_zlib.c zlib.mk $(TOP)/front/zlib/wd_zlib.h

$(NBIN)/t_zlib: $(TZ_DEPS) $(FRONT)/zlib/test/libwd_zlib.so | $(NBIN)
	$(CC) $(TZ_CFLAGS) -o $@ $< -L$(FRONT)/zlib/test -lwd_zlib \
		-Wl,-rpath,$(FRONT)/zlib/test -ldl

$(NBIN)/t_zlib-asan: $(TZ_DEPS) $(FRONT)/zlib/wd_zlib-asan-all.o | $(NBIN)
	$(CC) $(TZ_CFLAGS) -O1 $(WDL_SANFLAGS) -o $@ $< $(FRONT)/zlib/wd_zlib-asan-all.o \
		$(TZ_LIBS)

# linked with the system's zlib, run by t_zlib's "preload" test
$(TOP)/build/native/libexec/t_zlib_preload: t_zlib_preload.c zlib.mk \
		$(TOP)/front/zlib/wd_zlib.h
	@mkdir -p $(@D)
	$(CC) $(TZ_CFLAGS) -o $@ $< -lz -ldl

TF_ALL += $(NBIN)/t_zlib $(NBIN)/t_zlib-asan $(TOP)/build/native/libexec/t_zlib_preload
