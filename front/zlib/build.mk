# SPDX-License-Identifier: MIT
# libwd_zlib (front/zlib, README-dev): zlib's API and ABI over libwd devices,
# included by front/Makefile. Everything is built from facts of the system's
# zlib (Debian zlib1g-dev's libz.a, the symbol table of libz.so.1), never
# from copied source:
#
#   zengine.o   libz.a's deflate/inflate engine, its stream functions renamed
#               wdz_real_* (the private software zlib); checksums, zError,
#               zlibVersion and zlibCompileFlags keep their names
#   zgz.o       libz.a's gz*, compress, uncompress objects unrenamed: they
#               call our public deflate()/inflate(), so they offload too
#   libwd-priv.a  a copy of libwd.a with the same renaming (its in-process
#               engine calls zlib: the private one, never our wrappers)
#   wd_zlib-all.o  all of them with wd_zlib.c, `ld -r`, every global but
#               the exports made local (so nothing but zlib's API leaks)
#   build/front/lib/libwd_zlib.so.1.0.0 (+ .so.1, .so)  with zlib's symbol
#               versions, generated from libz.so.1's dynamic table; -z text:
#               libz.a's objects must be PIC (Debian's are), or no link
#   wd_zlib-asan-all.o  the same over libwd-asan.a and a sanitized wd_zlib.c,
#               for the tests' static ASan+UBSan program
#   zlib/test/libwd_zlib.so.1  the tests' build (-DWD_ZLIB_TEST): also
#               exports wd_zlib_test_device (WD_ZLIB_PRIVATE), the hook that
#               takes the in-process device away; the asan object has it too
# EXTRA_CFLAGS and EXTRA_LDFLAGS reach the installed library only (wd_zlib.o
# and its link; libwd.a, copied into libwd-priv.a, takes lib/Makefile's):
# a distribution's hardening flags (debian/rules passes dpkg-buildflags')
# included before front/Makefile's own `all`: keep it the default goal
.DEFAULT_GOAL := all
ZL_DIR     := $(TOP)/front/zlib
ZL_B       := $(OUT)/zlib
ZL_LIBDIR  := $(OUT)/lib
ZL_VER     := 1.0.0
ZL_SO      := $(ZL_LIBDIR)/libwd_zlib.so.$(ZL_VER)
ZL_LIBZ_A  ?= /usr/lib/x86_64-linux-gnu/libz.a
ZL_LIBZ_SO ?= $(firstword $(wildcard /lib/x86_64-linux-gnu/libz.so.1 /usr/lib/x86_64-linux-gnu/libz.so.1))
ZL_ENGINE  := deflate.o trees.o inflate.o inffast.o inftrees.o infback.o zutil.o adler32.o crc32.o
ZL_GZ      := gzclose.o gzlib.o gzread.o gzwrite.o compress.o uncompr.o
ZL_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O2 -Wall -Wextra -Werror -fPIC -pthread \
	      -fvisibility=hidden -I$(TOP)/include -I$(TOP)/lib -I$(ZL_DIR)
ZL_LDLIBS  := -pthread $(filter-out -lz,$(WDL_LDLIBS))
ZL_DEPS    := $(ZL_DIR)/wd_zlib.c $(ZL_DIR)/wd_zlib.h $(ZL_DIR)/build.mk $(TOP)/include/wd.h

FRONT_ALL       += zlib
FRONT_INSTALL   += zlib-install
FRONT_PRODUCTS  += $(ZL_LIBDIR)/libwd_zlib.so $(ZL_LIBDIR)/wd_zlib.pc
FRONT_UNINSTALL += zlib-uninstall

zlib: $(ZL_LIBDIR)/libwd_zlib.so $(ZL_B)/wd_zlib-asan-all.o $(ZL_LIBDIR)/wd_zlib.pc \
	$(ZL_B)/test/libwd_zlib.so

# libz.a's members, extracted
$(ZL_B)/zobj/.done: $(ZL_LIBZ_A)
	rm -rf $(@D) && mkdir -p $(@D)
	cd $(@D) && ar x $(ZL_LIBZ_A) $(ZL_ENGINE) $(ZL_GZ)
	touch $@

# the renaming: every deflate*/inflate* the engine defines -> wdz_real_*
$(ZL_B)/rename.txt: $(ZL_B)/zobj/.done
	nm -g --defined-only $(addprefix $(ZL_B)/zobj/,$(ZL_ENGINE)) | \
		awk 'NF == 3 && $$3 ~ /^(deflate|inflate)/ { print $$3, "wdz_real_" $$3 }' | \
		sort -u > $@.tmp && test -s $@.tmp && mv $@.tmp $@

$(ZL_B)/zengine.o: $(ZL_B)/zobj/.done $(ZL_B)/rename.txt
	ld -r -o $@.tmp $(addprefix $(ZL_B)/zobj/,$(ZL_ENGINE))
	objcopy --redefine-syms=$(ZL_B)/rename.txt $@.tmp $@ && rm -f $@.tmp

$(ZL_B)/zgz.o: $(ZL_B)/zobj/.done
	ld -r -o $@ $(addprefix $(ZL_B)/zobj/,$(ZL_GZ))

# libwd's engine must call the private zlib: no deflate*/inflate* left
# unrenamed (they would be our wrappers: endless recursion)
zl_priv = objcopy --redefine-syms=$(ZL_B)/rename.txt $1 $@.tmp && \
	if nm $@.tmp | grep -E ' U (deflate|inflate)'; then \
		echo "$@: zlib calls left unrenamed"; rm -f $@.tmp; exit 1; fi && mv $@.tmp $@
$(ZL_B)/libwd-priv.a: $(LIB)/libwd.a $(ZL_B)/rename.txt
	$(call zl_priv,$(LIB)/libwd.a)
$(ZL_B)/libwd-asan-priv.a: $(LIB)/libwd-asan.a $(ZL_B)/rename.txt
	$(call zl_priv,$(LIB)/libwd-asan.a)

# what we export: libz.so.1's functions, and ours (the tests' build: and
# the hook)
$(ZL_B)/exports.txt: $(ZL_LIBZ_SO) $(ZL_DIR)/build.mk
	@mkdir -p $(@D)
	{ objdump -T $(ZL_LIBZ_SO) | awk '$$2 == "g" && $$3 == "DF" { print $$NF }'; \
	  echo wd_zlib_get_stats; } | sort -u > $@.tmp && \
		test $$(wc -l < $@.tmp) -gt 80 && mv $@.tmp $@
$(ZL_B)/exports-test.txt: $(ZL_B)/exports.txt
	{ cat $<; echo wd_zlib_test_device; } > $@

# the version script: libz.so.1's versions, each inheriting the one before;
# its base (unversioned) symbols are left out, so they stay unversioned
$(ZL_B)/wd_zlib.map: $(ZL_LIBZ_SO) $(ZL_DIR)/build.mk
	@mkdir -p $(@D)
	objdump -T $(ZL_LIBZ_SO) | awk '$$2 == "g" && $$3 == "DF" && $$(NF-1) ~ /^ZLIB_/ \
		{ print $$(NF-1), $$NF }' | sort -V -k1,1 -k2,2 | awk ' \
		$$1 != v { if (v != "") printf "}%s;\n", p; p = (v == "" ? "" : " " v); \
			   v = $$1; printf "%s {\n  global:\n", v } \
		{ printf "    %s;\n", $$2 } \
		END { printf "}%s;\nWD_ZLIB_1.0 {\n  global:\n    wd_zlib_get_stats;\n};\n", p }' \
		> $@.tmp && grep -q deflatePrime $@.tmp && mv $@.tmp $@
$(ZL_B)/wd_zlib-test.map: $(ZL_B)/wd_zlib.map
	{ cat $<; printf 'WD_ZLIB_PRIVATE {\n  global:\n    wd_zlib_test_device;\n};\n'; } > $@

$(ZL_B)/wd_zlib.o: $(ZL_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ZL_CFLAGS) $(EXTRA_CFLAGS) -c -o $@ $<
$(ZL_B)/wd_zlib-test.o: $(ZL_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ZL_CFLAGS) -DWD_ZLIB_TEST -c -o $@ $<
$(ZL_B)/wd_zlib-asan.o: $(ZL_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ZL_CFLAGS) -DWD_ZLIB_TEST -O1 $(WDL_SANFLAGS) -c -o $@ $<

# one relocatable object, only the exports ($3) global
zl_merge = ld -r -o $@.tmp $1 $(ZL_B)/zengine.o $(ZL_B)/zgz.o --whole-archive $2 && \
	objcopy --keep-global-symbols=$3 $@.tmp $@ && rm -f $@.tmp
$(ZL_B)/wd_zlib-all.o: $(ZL_B)/wd_zlib.o $(ZL_B)/zengine.o $(ZL_B)/zgz.o \
		$(ZL_B)/libwd-priv.a $(ZL_B)/exports.txt
	$(call zl_merge,$(ZL_B)/wd_zlib.o,$(ZL_B)/libwd-priv.a,$(ZL_B)/exports.txt)
$(ZL_B)/wd_zlib-test-all.o: $(ZL_B)/wd_zlib-test.o $(ZL_B)/zengine.o $(ZL_B)/zgz.o \
		$(ZL_B)/libwd-priv.a $(ZL_B)/exports-test.txt
	$(call zl_merge,$(ZL_B)/wd_zlib-test.o,$(ZL_B)/libwd-priv.a,$(ZL_B)/exports-test.txt)
$(ZL_B)/wd_zlib-asan-all.o: $(ZL_B)/wd_zlib-asan.o $(ZL_B)/zengine.o $(ZL_B)/zgz.o \
		$(ZL_B)/libwd-asan-priv.a $(ZL_B)/exports-test.txt
	$(call zl_merge,$(ZL_B)/wd_zlib-asan.o,$(ZL_B)/libwd-asan-priv.a,$(ZL_B)/exports-test.txt)

# the shared library from a merged object ($1), its version script ($2),
# export list ($3) and extra linker flags ($4)
zl_link = $(CC) -shared $4 -Wl,-soname,libwd_zlib.so.1 -Wl,--version-script=$2 \
		-Wl,-z,defs -Wl,-z,text -Wl,-z,nodelete -o $@ $1 $(ZL_LDLIBS) && \
	bad=$$(nm -D --defined-only $@ | awk '{print $$3}' | sed 's/@.*//' | \
		grep -vxF -f $3 | grep -v '^ZLIB_\|^WD_ZLIB_'); \
	if [ -n "$$bad" ]; then echo "libwd_zlib exports too much: $$bad"; rm -f $@; exit 1; fi
$(ZL_SO): $(ZL_B)/wd_zlib-all.o $(ZL_B)/wd_zlib.map
	@mkdir -p $(@D)
	@# nothing of libwd, lib/soft or the renamed zlib may be exported
	$(call zl_link,$<,$(ZL_B)/wd_zlib.map,$(ZL_B)/exports.txt,$(EXTRA_LDFLAGS))
	@# gz* and compress must call our deflate/inflate, not the renamed ones
	@! nm $(ZL_B)/zgz.o | grep -q wdz_real_
$(ZL_B)/test/libwd_zlib.so.$(ZL_VER): $(ZL_B)/wd_zlib-test-all.o $(ZL_B)/wd_zlib-test.map
	@mkdir -p $(@D)
	$(call zl_link,$<,$(ZL_B)/wd_zlib-test.map,$(ZL_B)/exports-test.txt)
$(ZL_B)/test/libwd_zlib.so: $(ZL_B)/test/libwd_zlib.so.$(ZL_VER)
	ln -sf libwd_zlib.so.$(ZL_VER) $(@D)/libwd_zlib.so.1
	ln -sf libwd_zlib.so.$(ZL_VER) $@

$(ZL_LIBDIR)/libwd_zlib.so: $(ZL_SO)
	ln -sf libwd_zlib.so.$(ZL_VER) $(ZL_LIBDIR)/libwd_zlib.so.1
	ln -sf libwd_zlib.so.$(ZL_VER) $@

ZL_PC = printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	'Name: wd_zlib' 'Description: zlib API and ABI over WarpDrive devices (libwd)' \
	'Version: $(ZL_VER)' 'Libs: -L$${libdir} -lwd_zlib' 'Cflags: -I$${includedir}'
$(ZL_LIBDIR)/wd_zlib.pc: $(ZL_DIR)/build.mk
	@mkdir -p $(@D)
	$(ZL_PC) > $@

zlib-install: $(ZL_LIBDIR)/libwd_zlib.so $(ZL_LIBDIR)/wd_zlib.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(MANDIR)/man7
	install -m 644 $(ZL_DIR)/wd_zlib.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 755 $(ZL_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libwd_zlib.so.$(ZL_VER) $(DESTDIR)$(LIBDIR)/libwd_zlib.so.1
	ln -sf libwd_zlib.so.$(ZL_VER) $(DESTDIR)$(LIBDIR)/libwd_zlib.so
	install -m 644 $(ZL_DIR)/wd_zlib.h $(DESTDIR)$(INCDIR)/
	$(ZL_PC) > $(DESTDIR)$(PCDIR)/wd_zlib.pc

zlib-uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libwd_zlib.so.$(ZL_VER) $(DESTDIR)$(LIBDIR)/libwd_zlib.so.1 \
	      $(DESTDIR)$(LIBDIR)/libwd_zlib.so $(DESTDIR)$(INCDIR)/wd_zlib.h \
	      $(DESTDIR)$(PCDIR)/wd_zlib.pc $(DESTDIR)$(MANDIR)/man7/wd_zlib.7
	@# the directories install made, if that emptied them (libwd's
	@# uninstall, which runs first, leaves PCDIR to the last one out)
	rmdir $(DESTDIR)$(PCDIR) $(DESTDIR)$(MANDIR)/man7 2>/dev/null || :

.PHONY: zlib zlib-install zlib-uninstall
