# fusept top-level Makefile.
#   make / make module   build module/fusept.ko against the host's headers
#   make KERNEL_SRC=DIR [M=] [O=] [modules|modules_install|clean|compat-gen]
#                        kbuild with M= this directory, as Android's build.sh
#                        and Kleaf's kernel_module call it (docs/android.md)
#   make check           build + boot the kernel matrix in QEMU (root, Debian 12),
#                        check the plain kbuild build of each kernel, and
#                        the package lane: make deb, the .debs installed
#                        into a fresh Debian system booted with systemd
#                        make check KERNELS=6.1   (subset, by version prefix)
#                        make check KERNELS=debug (the debug kernel alone)
#                        make check KERNELS=pkg   (the package lane alone)
#                        make check KERNELS=arm64 (trixie's arm64 kernels,
#                        4 and 16 KiB pages, in qemu-system-aarch64)
#   make gki-check       the Android lane alone (make check KERNELS=gki):
#                        arm64 cross builds (4 and 16 KiB pages), the GKI
#                        symbol check (docs/android.md)
#   make gki-list        write android/abi_gki_aarch64_fusept from them
#   make check-debug     the debug kernel (KASAN, lockdep, kmemleak...) with
#                        the whole guest suite
#   make demo            boot the host-headers kernel and run the demo
#   make bench           passthrough benchmark -> docs/benchmarks.md (+ .png)
#                        make bench KERNELS="6.12 7"   (default: 7)
#                        under QEMU -icount (BENCH_CLOCK=icount, default)
#                        or plain wall-clock TCG: make bench BENCH_CLOCK=wall
#                        BENCH_PROFILE=1 make bench: a function_graph profile
#                        of random I/O and small files instead (docs/profile.md)
#   make fuzz            the hostile-daemon fuzzer (tests/guest/fuzz.sh) on
#                        one kernel (default: 7), as long as asked:
#                        make fuzz KERNELS=6.12 FUZZ_ROUNDS=100 FUZZ_SECS=20
#                        FUZZ_SEED=S (round R: seed S+R) FUZZ_WORKERS=N
#                        FUZZ_AVOID=LIST FUZZ_VERBOSE=1; on the kernel's
#                        own FUSE: FUSEPT_APPEND=fusept.dev=fuse
#                        (console log: results/fuzz-KVER/console.log)
#   make reliability-report  after make check: the figures of
#                        docs/reliability.md from its console logs
#   make deb             fusept-dkms and fusept-tools .debs -> dist/ (Debian
#                        trixie+: apt-get build-dep ./packaging first)
#   make rpm             dkms-fusept and fusept-tools .rpms -> dist/ (rpmbuild;
#                        Debian: apt-get install rpm elfutils file, and the
#                        build-deps as for make deb)
#   make clean           remove build artefacts from the tree
#   make vm-clean        remove the VM cache ($(FUSEPT_CACHE))
# The VM harness lives in tests/vm/ (see tests/vm/README.md).

ifneq ($(KERNEL_SRC),)
# Android's build.sh EXT_MODULES and Kleaf's kernel_module: kbuild with
# M= this directory (read through ./Kbuild), M absolute or relative to
# KERNEL_SRC, O= the kernel's output tree (relative: to KERNEL_SRC) and
# ARCH=, LLVM=, INSTALL_MOD_* passed on as given. With a relative M and
# an O, the objects and fusept's generated files go to O/M, never to
# this tree: kbuild 5.10 and 6.1 do that themselves (VPATH), 6.13 and
# later are told so by MO=, and 6.12 reads a stub Kbuild written there
# (it includes the real one; module/Kbuild finds the sources, see there;
# the others ignore it). Checked on Debian's 5.10, 6.1, 6.12 (amd64 and
# arm64) and 7.2 by tests/vm/kbuild-check.sh. fusept.ko is then
# O/M/fusept.ko, else ./fusept.ko; modules_install puts it at
# INSTALL_MOD_PATH/lib/modules/KVER/INSTALL_MOD_DIR/fusept.ko.
fusept-top := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
fusept-m := $(or $(M),$(fusept-top))
fusept-kobj := $(if $(O),$(realpath $(if $(filter /%,$(O)),$(O),$(KERNEL_SRC)/$(O))))
fusept-out := $(if $(O),$(if $(filter /%,$(fusept-m)),,$(fusept-kobj)/$(fusept-m)))

all: modules

modules modules_install clean:
	@test -z "$(O)" -o -n "$(fusept-kobj)" || { \
		echo "fusept: no kernel output tree at O=$(O)" >&2; exit 1; }
ifneq ($(fusept-out),)
	@mkdir -p $(fusept-out)
	@echo 'include $(fusept-top)/Kbuild' >$(fusept-out)/Kbuild
endif
	$(MAKE) -C $(KERNEL_SRC) M=$(fusept-m) \
		$(if $(fusept-out),MO=$(abspath $(fusept-out))) $@

# The compat probes' result for Kleaf's ddk_module (see BUILD.bazel)
compat-gen: modules
	cp $(or $(fusept-out),$(fusept-top))/module/compat-gen.h \
		$(fusept-top)/android/compat-gen.h

.PHONY: all modules modules_install clean compat-gen
else

# Kernel the host's linux-headers-amd64 points to (bookworm: 6.1.0-NN-amd64).
HOST_KVER := $(shell dpkg-query -W -f '$${Depends}' linux-headers-amd64 2>/dev/null | \
	grep -o 'linux-headers-[^ ,]*' | head -1 | sed 's/^linux-headers-//')
KVER ?= $(HOST_KVER)
KDIR ?= /usr/src/linux-headers-$(KVER)
KERNELS ?= 5.10 6.1 6.12 7 debug pkg gki arm64
FUSEPT_CACHE ?= /var/cache/fusept

all: module

module:
	@test -n "$(KVER)" || { echo "no kernel headers: apt-get install linux-headers-amd64 (or pass KVER= / KDIR=)"; exit 1; }
	$(MAKE) -C module KVER=$(KVER) KDIR=$(KDIR)

check:
	@KERNELS="$(KERNELS)" FUSEPT_CACHE="$(FUSEPT_CACHE)" bash tests/vm/check.sh

# The whole guest suite on the debug kernel (make check runs a subset there).
check-debug:
	@KERNELS=debug FUSEPT_DEBUG_FULL=1 FUSEPT_CACHE="$(FUSEPT_CACHE)" bash tests/vm/check.sh

gki-check:
	@KERNELS=gki FUSEPT_CACHE="$(FUSEPT_CACHE)" bash tests/vm/check.sh

gki-list:
	@KERNELS=gki FUSEPT_CACHE="$(FUSEPT_CACHE)" bash tests/vm/check.sh || true
	@cp $(FUSEPT_CACHE)/results/gki/abi_gki_aarch64_fusept android/
	@echo "android/abi_gki_aarch64_fusept: $$(grep -c '^  ' android/abi_gki_aarch64_fusept) symbols"

reliability-report:
	@python3 tests/vm/reliability-report.py docs/reliability.md \
		$(FUSEPT_CACHE)/results tests/vm/debug-kernel.config

demo:
	@FUSEPT_CACHE="$(FUSEPT_CACHE)" bash tests/vm/check.sh --demo

# Not part of check: about 15-20 minutes in QEMU TCG, more under icount.
BENCH_CLOCK ?= icount
bench:
	@KERNELS="$(if $(filter file,$(origin KERNELS)),7,$(KERNELS))" \
		FUSEPT_CACHE="$(FUSEPT_CACHE)" BENCH_CLOCK="$(BENCH_CLOCK)" \
		bash tests/vm/bench.sh

# Not part of check (its bounded version is the group "fuzz" of make check)
FUZZ_ROUNDS ?= 20
FUZZ_SECS ?= 20
FUZZ_SEED ?= 1
FUZZ_WORKERS ?= 4
FUZZ_ARGS = fusept.fuzz_rounds=$(FUZZ_ROUNDS) fusept.fuzz_secs=$(FUZZ_SECS) \
	fusept.fuzz_seed=$(FUZZ_SEED) fusept.fuzz_workers=$(FUZZ_WORKERS) \
	$(if $(FUZZ_AVOID),fusept.fuzz_avoid=$(FUZZ_AVOID)) \
	$(if $(FUZZ_VERBOSE),fusept.fuzz_verbose=$(FUZZ_VERBOSE))
fuzz:
	@KERNELS="$(if $(filter file,$(origin KERNELS)),7,$(KERNELS))" \
		FUSEPT_CACHE="$(FUSEPT_CACHE)" FUSEPT_SCRIPT=fuzz \
		FUSEPT_RESULT_TAG=fuzz- \
		FUSEPT_TIMEOUT=$${FUSEPT_TIMEOUT:-$$(( $(FUZZ_ROUNDS) * ($(FUZZ_SECS) + 90) + 600 ))} \
		FUSEPT_APPEND="$(strip $(FUSEPT_APPEND) $(FUZZ_ARGS))" \
		bash tests/vm/check.sh

# Packages, built in a copy of the tree (packaging/copy-tree.sh) so that no
# build junk is left here; the results go to dist/ (ignored by git).
DIST ?= dist
FUSEPT_VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
# rpmbuild outside an rpm-based system (Debian) cannot see the build
# dependencies, which come from dpkg there.
RPMBUILD_FLAGS ?= $(shell rpm -q --quiet rpm 2>/dev/null || echo --nodeps)

deb:
	@command -v dpkg-buildpackage >/dev/null || { echo "make deb: no dpkg-buildpackage: apt-get build-dep ./packaging" >&2; exit 1; }
	@set -e; t=$$(mktemp -d); trap 'rm -rf "$$t"' EXIT; \
	s=$$t/fusept-$(FUSEPT_VERSION); \
	packaging/copy-tree.sh $$s; rm -rf $$s/packaging; \
	cp -r packaging/debian $$s/debian; \
	(cd $$s && dpkg-buildpackage -us -uc -b); \
	mkdir -p $(DIST); \
	cp $$t/*.deb $$t/*.buildinfo $$t/*.changes $(DIST)/; \
	echo "make deb: built"; for f in $$t/*.deb; do echo "  $(DIST)/$${f##*/}"; done

rpm:
	@for c in rpmbuild eu-strip file; do command -v $$c >/dev/null || { \
		echo "make rpm: no $$c (Debian: apt-get install rpm elfutils file)" >&2; exit 1; }; done
	@set -e; t=$$(mktemp -d); trap 'rm -rf "$$t"' EXIT; \
	s=fusept-$$(sed -n 's/^Version:[[:space:]]*//p' packaging/rpm/fusept.spec); \
	packaging/copy-tree.sh $$t/$$s; mkdir $$t/SOURCES; \
	tar -czf $$t/SOURCES/$$s.tar.gz -C $$t $$s; \
	rpmbuild -bb $(RPMBUILD_FLAGS) --define "_topdir $$t" \
		packaging/rpm/fusept.spec; \
	mkdir -p $(DIST); \
	cp $$t/RPMS/*/*.rpm $(DIST)/; \
	echo "make rpm: built"; for f in $$t/RPMS/*/*.rpm; do echo "  $(DIST)/$${f##*/}"; done

clean:
	-$(MAKE) -C module KVER=$(KVER) KDIR=$(KDIR) clean
	-[ ! -f tools/Makefile ] || $(MAKE) -C tools clean

vm-clean:
	@for p in $(FUSEPT_CACHE)/chroot/*/proc; do ! mountpoint -q $$p || umount -l $$p; done
	rm -rf --one-file-system $(FUSEPT_CACHE)

.PHONY: all module check check-debug gki-check gki-list demo bench fuzz reliability-report deb rpm \
	clean vm-clean
endif
