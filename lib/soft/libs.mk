# SPDX-License-Identifier: GPL-2.0 OR MIT
# What a program linking build/native/libwd_soft_local.a needs; include this
# file from another Makefile (lib/Makefile does) and link with
# $(WDL_LDLIBS). libdeflate (Debian: libdeflate-dev) is required: the
# one-shot deflate of requests without a context (lib/soft/algs.c). ISA-L (Debian: libisal-dev) is used for crc32c when its
# header is there at build time; without it the built-in slicing-by-8 is.
WDL_ISAL     := $(wildcard /usr/include/isa-l/crc.h)
WDL_CPPFLAGS := $(if $(WDL_ISAL),-DWDL_HAVE_ISAL)
WDL_LDLIBS   := -ldeflate -lz -lcrypto -lpthread $(if $(WDL_ISAL),-lisal)
# the sanitizer variant (build/native-asan/): the same flags for every
# object linked with it
WDL_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer
