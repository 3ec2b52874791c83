# SPDX-License-Identifier: MIT
# The OpenSSL 3 provider "wd" (docs/openssl.md), included by front/Makefile:
#   build/front/ossl-modules/wd.so   the provider, libwd linked in statically
#                                    (libwd.a, -fPIC), exporting only
#                                    OSSL_provider_init; needs at run time
#                                    only what libwd.a needs (libcrypto, libz,
#                                    libisal)
#   build/front/ossl-test/wd.so      the same with the test hooks (wd_ossl.h:
#                                    a device lost on purpose), for t_ossl
#   build/front/ossl-asan/wd.so      the test build under ASan+UBSan, with
#                                    libwd-asan.a, for t_ossl-asan (loadable
#                                    only by a program with the sanitizers'
#                                    runtime: a sanitized test, not openssl)
#   make install: wd.so into $(DESTDIR)$(OSSL_MODULESDIR), by default
#   $(LIBDIR)/ossl-modules (Debian's own is /usr/lib/x86_64-linux-gnu/
#   ossl-modules: `openssl version -m`)
# EXTRA_CFLAGS and EXTRA_LDFLAGS reach the installed module only (libwd.a
# takes lib/Makefile's): a distribution's hardening flags (debian/rules
# passes dpkg-buildflags')
.DEFAULT_GOAL := all

OSSL_DIR        := $(TOP)/front/openssl
OSSL_MODULESDIR ?= $(LIBDIR)/ossl-modules
OSSL_SO         := $(OUT)/ossl-modules/wd.so
OSSL_TEST_SO    := $(OUT)/ossl-test/wd.so
OSSL_ASAN_SO    := $(OUT)/ossl-asan/wd.so
OSSL_SRCS       := $(addprefix $(OSSL_DIR)/,wd_prov.c wd_digest.c wd_queue.c)
OSSL_DEPS       := $(OSSL_SRCS) $(OSSL_DIR)/wd_ossl.h $(OSSL_DIR)/wd.map \
		   $(OSSL_DIR)/build.mk $(TOP)/include/wd.h \
		   $(TOP)/engine/sha256-user.h
# sha256-user.h: SHA256_CTX, deprecated in OpenSSL 3 but built (engine/)
OSSL_CFLAGS     := -std=c11 -D_GNU_SOURCE -DOPENSSL_SUPPRESS_DEPRECATED -g \
		   -Wall -Wextra -Werror -fPIC -fvisibility=hidden -pthread \
		   -I$(TOP)/include -I$(TOP)/engine
# -z nodelete: the thread key's destructor and the atexit handler stay
# mapped after OpenSSL unloads the provider
OSSL_LDFLAGS    := -shared -pthread -Wl,--version-script=$(OSSL_DIR)/wd.map \
		   -Wl,-z,defs -Wl,-z,nodelete

$(OSSL_SO): $(OSSL_DEPS) $(LIB)/libwd.a
	@mkdir -p $(@D)
	$(CC) $(OSSL_CFLAGS) -O2 $(EXTRA_CFLAGS) $(OSSL_LDFLAGS) $(EXTRA_LDFLAGS) -o $@ \
		$(OSSL_SRCS) $(LIB)/libwd.a $(WDL_LDLIBS)

$(OSSL_TEST_SO): $(OSSL_DEPS) $(LIB)/libwd.a
	@mkdir -p $(@D)
	$(CC) $(OSSL_CFLAGS) -O2 -DWD_OSSL_TEST -I$(TOP)/lib $(OSSL_LDFLAGS) \
		-o $@ $(OSSL_SRCS) $(LIB)/libwd.a $(WDL_LDLIBS)

# -z defs is left out: the sanitizers' runtime comes with the program
$(OSSL_ASAN_SO): $(OSSL_DEPS) $(LIB)/libwd-asan.a
	@mkdir -p $(@D)
	$(CC) $(OSSL_CFLAGS) -O1 $(WDL_SANFLAGS) -DWD_OSSL_TEST -I$(TOP)/lib \
		-shared -pthread -Wl,--version-script=$(OSSL_DIR)/wd.map \
		-Wl,-z,nodelete -o $@ $(OSSL_SRCS) $(LIB)/libwd-asan.a $(WDL_LDLIBS)

ossl-install: $(OSSL_SO)
	install -d $(DESTDIR)$(OSSL_MODULESDIR) $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(OSSL_SO) $(DESTDIR)$(OSSL_MODULESDIR)/wd.so
	install -m 644 $(OSSL_DIR)/wd_openssl.7 $(DESTDIR)$(MANDIR)/man7/

ossl-uninstall:
	rm -f $(DESTDIR)$(OSSL_MODULESDIR)/wd.so $(DESTDIR)$(MANDIR)/man7/wd_openssl.7
	@# the directories install made, if that emptied them
	rmdir $(DESTDIR)$(OSSL_MODULESDIR) $(DESTDIR)$(MANDIR)/man7 2>/dev/null || :

FRONT_ALL       += $(OSSL_SO) $(OSSL_TEST_SO) $(OSSL_ASAN_SO)
FRONT_INSTALL   += ossl-install
FRONT_PRODUCTS  += $(OSSL_SO)
FRONT_UNINSTALL += ossl-uninstall
