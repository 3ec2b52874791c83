# zlib-val.mk: the zlib front door (front/zlib, docs/zlib.md) validated by
# suites and tools nobody here wrote, included by tests/front/Makefile:
#   build/native/bin/t_zlib_python   Debian's Python test_zlib, test_gzip,
#                                    test_zipfile, test_tarfile, preloaded
#   build/native/bin/t_zlib_pigz     pigz and pigz -d preloaded, against gzip
#   build/native/bin/t_zlib_examples zlib's own examples (zlib1g-dev's
#                                    example.c, minigzip, zran, gzappend...)
#                                    built at run time, preloaded
#   build/native/bin/t_zlib_git      git preloaded: objects, packs, clone,
#                                    archives, against git unpreloaded
#   build/native/bin/t_zlib_gzfile   the gz* file API and the one-shots, a
#                                    program linked with -lwd_zlib
#   build/native/bin/t_zlib_gzfile-preload  the same program linked with -lz,
#                                    run with the library preloaded
#   build/native/bin/t_zlib_install  make -C front install, pkg-config, run
#   build/native/libexec/t_zlib_env.sh  the setup the scripts source
#   build/native/libexec/t_zlib_api.py  t_zlib_python's cases of Python's
#                                    zlib API on device-sized inputs
#   build/native/libexec/bench_zlib  make bench's threshold measurement
#                                    (tools/bench/bench.sh; docs/zlib.md)
# (tests/run.sh runs every executable of build/native/bin.) By hand, not
# built here: tests/front/vm_zlib.sh, pigz and t_zlib_gzfile* preloaded in
# the VM on /dev/uaN (one VM boot).
TZV_LIBDIR  := $(FRONT)/lib
TZV_LIB     := $(TZV_LIBDIR)/libwd_zlib.so.1
TZV_NLIBEXEC := $(TOP)/build/native/libexec
TZV_SCRIPTS := $(addprefix $(NBIN)/,t_zlib_python t_zlib_pigz t_zlib_install t_zlib_examples t_zlib_git)
TZV_CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread -I$(TOP)/front/zlib \
	       -DTZV_LIB='"$(TZV_LIB)"'
TZV_HDR     := zlib-val.mk $(TOP)/front/zlib/wd_zlib.h
TZV_WDZLIB  := -L$(TZV_LIBDIR) -Wl,-rpath,$(TZV_LIBDIR) -lwd_zlib
# (only once the tree has the library: front/zlib/build.mk)
ifneq ($(wildcard $(TOP)/front/zlib/build.mk),)
TF_ALL += $(TZV_SCRIPTS) $(TZV_NLIBEXEC)/t_zlib_env.sh $(TZV_NLIBEXEC)/t_zlib_api.py $(NBIN)/t_zlib_gzfile \
	  $(NBIN)/t_zlib_gzfile-preload $(TZV_NLIBEXEC)/bench_zlib
endif

$(TZV_SCRIPTS): $(NBIN)/%: %.sh | $(NBIN)
	cp $< $@
	chmod 755 $@

$(TZV_NLIBEXEC)/t_zlib_env.sh $(TZV_NLIBEXEC)/t_zlib_api.py: $(TZV_NLIBEXEC)/%: % | $(TZV_NLIBEXEC)
	cp $< $@

# linked with the front door as a program replacing -lz would be
$(NBIN)/t_zlib_gzfile: t_zlib_gzfile.c $(TZV_HDR) $(TZV_LIB) | $(NBIN)
	$(CC) $(TZV_CFLAGS) -o $@ $< $(TZV_WDZLIB)

# linked with the system zlib: the program re-executes itself with the front
# door in LD_PRELOAD
$(NBIN)/t_zlib_gzfile-preload: t_zlib_gzfile.c $(TZV_HDR) | $(NBIN)
	$(CC) $(TZV_CFLAGS) -DTZV_PRELOAD -o $@ $< -lz

$(TZV_NLIBEXEC)/bench_zlib: bench_zlib.c $(TZV_HDR) $(TZV_LIB) | $(TZV_NLIBEXEC)
	$(CC) $(TZV_CFLAGS) -o $@ $< $(TZV_WDZLIB)

$(TZV_NLIBEXEC):
	mkdir -p $@
