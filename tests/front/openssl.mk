# SPDX-License-Identifier: MIT
# The OpenSSL provider's tests (front/openssl, docs/openssl.md), included
# by tests/front/Makefile; into build/native/bin (tests/run.sh runs them):
#   t_ossl         EVP against the default provider, on the in-process
#                  device (tests/front/t_ossl.c); loads build/front/
#                  ossl-modules/wd.so, and ossl-test/wd.so (test hooks)
#   t_ossl-asan    the same, ASan+UBSan, loading build/front/ossl-asan/wd.so
#                  (the provider and libwd sanitized too)
#   t_ossl_cli     the openssl command: dgst against sha256sum, speed,
#                  openssl.cnf, make install (t_ossl_cli.sh)
# and build/native/libexec/ossl_crossover, the threshold's measurement
# (tools/bench/openssl.sh runs it; not a test). For the VM (tests/vm/
# suite.sh runs t_ossl when it is there), into build/vm/bin: t_ossl
# (dynamic: libcrypto; the guest gets its libraries), ossl-modules/wd.so
# (the same module: libwd.a drives /dev/uaN too) and ossl_crossover.
.DEFAULT_GOAL := all

OSSL_LIBEXEC := $(TOP)/build/native/libexec
OSSL_TCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread \
		-I$(TOP)/include -I$(TOP)/lib -I$(TOP)/tests/vm
OSSL_TDEPS   := t_ossl.c $(T_HARNESS_SRCS) $(T_HARNESS_HDRS) openssl.mk

$(NBIN)/t_ossl: $(OSSL_TDEPS) $(LIB)/libwd.a | $(NBIN)
	$(CC) $(OSSL_TCFLAGS) -DT_NATIVE -o $@ t_ossl.c $(T_HARNESS_SRCS) \
		$(T_NATIVE_LDFLAGS) $(LIB)/libwd.a $(WDL_LDLIBS)

$(NBIN)/t_ossl-asan: $(OSSL_TDEPS) $(LIB)/libwd-asan.a | $(NBIN)
	$(CC) $(OSSL_TCFLAGS) -O1 $(WDL_SANFLAGS) -DT_NATIVE \
		-DT_OSSL_DIR='"ossl-asan"' -DT_OSSL_TEST_DIR='"ossl-asan"' \
		-o $@ t_ossl.c $(T_HARNESS_SRCS) $(T_NATIVE_LDFLAGS) \
		$(LIB)/libwd-asan.a $(WDL_LDLIBS)

$(NBIN)/t_ossl_cli: t_ossl_cli.sh | $(NBIN)
	cp $< $@
	chmod 755 $@

$(OSSL_LIBEXEC)/ossl_crossover: ossl_crossover.c openssl.mk
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror -o $@ $< -lcrypto

OSSL_VBIN := $(TOP)/build/vm/bin

$(OSSL_VBIN)/t_ossl: $(OSSL_TDEPS) $(LIB)/libwd-vm.a
	@mkdir -p $(@D)
	$(CC) $(OSSL_TCFLAGS) -o $@ t_ossl.c $(T_HARNESS_SRCS) \
		$(LIB)/libwd-vm.a -lcrypto

$(OSSL_VBIN)/ossl-modules/wd.so: $(FRONT)/ossl-modules/wd.so
	@mkdir -p $(@D)
	cp $< $@

$(OSSL_VBIN)/ossl_crossover: $(OSSL_LIBEXEC)/ossl_crossover
	@mkdir -p $(@D)
	cp $< $@

TF_ALL += $(OSSL_VBIN)/t_ossl $(OSSL_VBIN)/ossl-modules/wd.so \
	  $(OSSL_VBIN)/ossl_crossover

TF_ALL += $(NBIN)/t_ossl $(NBIN)/t_ossl-asan $(NBIN)/t_ossl_cli \
	  $(OSSL_LIBEXEC)/ossl_crossover
