# nvmx-tests top-level Makefile (GNU make). Run ./configure first.
ifeq ($(wildcard config.mak),)
$(error config.mak is missing: run ./configure first)
endif
include config.mak

B := build

# ---- guest kernels -------------------------------------------------------
KERNEL_CXXFLAGS := -std=c++20 -m64 -O2 -g -ffreestanding -fno-exceptions \
	-fno-rtti -nostdlib -mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie \
	-fno-stack-protector -fno-omit-frame-pointer -fno-threadsafe-statics \
	-fno-use-cxa-atexit -fno-asynchronous-unwind-tables -fno-strict-aliasing \
	-Wall -Wextra -Werror -I lib -MMD -MP
KERNEL_ASFLAGS := -m64 -g -I lib -MMD -MP
KERNEL_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 \
	-T lib/x86/flat.lds

ifeq ($(COVERAGE),yes)
COVERAGE_FLAGS := --coverage -fprofile-info-section -fprofile-update=single
KERNEL_CXXFLAGS += $(COVERAGE_FLAGS) -DNVMX_COVERAGE
# Only __gcov_info_to_gcda is pulled in (lib/coverage.cc provides the rest).
KERNEL_LIBGCOV := $(shell $(CXX) -print-file-name=libgcov.a)
# Linked before lib.a so that its strong coverage_dump() replaces the weak
# one in lib/x86/exit.cc (an archive member is never pulled in for that).
KERNEL_COVERAGE_OBJS := $(B)/lib/coverage.o
endif

# Test builds that simulate a hypervisor bug, to show that the checks catch
# it (tests for the tests; tests/runner/test-simulated-bugs.sh). Never for a
# real run: make SIMULATE_BUG="GLA_IS_GPA ..." (names in lib/x86/vmx/simulate.hh).
KERNEL_CXXFLAGS += $(foreach bug,$(SIMULATE_BUG),-DNVMX_SIMULATE_$(bug))

LIB_CXX_SRCS := $(shell find lib -name '*.cc' | sort)
LIB_ASM_SRCS := $(shell find lib -name '*.S' | sort)
LIB_OBJS := $(patsubst %.cc,$(B)/%.o,$(LIB_CXX_SRCS)) \
	$(patsubst %.S,$(B)/%.o,$(LIB_ASM_SRCS))
KERNEL_SRCS := $(wildcard x86/*.cc)
KERNELS := $(patsubst %.cc,%.flat,$(KERNEL_SRCS))

.PHONY: all kernels clean distclean check
all: kernels host-tools
kernels: $(KERNELS)

$(B)/%.o: %.cc config.mak
	@mkdir -p $(dir $@)
	$(CXX) $(KERNEL_CXXFLAGS) -c -o $@ $<

$(B)/%.o: %.S config.mak
	@mkdir -p $(dir $@)
	$(CXX) $(KERNEL_ASFLAGS) -c -o $@ $<

# The dumper itself is not instrumented: its counters would change while sent.
$(B)/lib/coverage.o: KERNEL_CXXFLAGS := $(filter-out $(COVERAGE_FLAGS),$(KERNEL_CXXFLAGS))

$(B)/lib.a: $(LIB_OBJS)
	@rm -f $@
	$(CROSS_PREFIX)ar rcs $@ $^

# The 64-bit ELF keeps symbols for addr2line; QEMU's multiboot loader wants
# a 32-bit ELF, hence the objcopy to elf32-i386 for the .flat.
x86/%.elf: $(B)/x86/%.o $(KERNEL_COVERAGE_OBJS) $(B)/lib.a lib/x86/flat.lds
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(B)/x86/$*.o $(KERNEL_COVERAGE_OBJS) $(B)/lib.a $(KERNEL_LIBGCOV)

x86/%.flat: x86/%.elf
	$(OBJCOPY) -O elf32-i386 $< $@

.PRECIOUS: x86/%.elf $(B)/%.o

# ---- host tools, host unit tests, runner tests (fragments) ---------------
HOST_CXXFLAGS := -std=c++20 -O1 -g -Wall -Wextra -Werror -I lib -MMD -MP
# Pure-logic kernel sources that the host unit tests also compile.
HOST_TEST_LIB_SRCS := lib/format.cc lib/glob.cc lib/backend_match.cc lib/argv.cc lib/tap.cc lib/x86/vmx/eptp.cc
-include $(wildcard tools/*.mk tests/host/*.mk tests/runner/*.mk)
host-tools::

check: all check-host check-runner
	./run_tests.sh

# The small L1 kernel of kvm-in-bochs from a Linux tree or tarball
# (docs/kvm-coverage.md): make kvm-kernel LINUX_SRC=DIR [KVM_COVERAGE=1].
.PHONY: kvm-kernel
kvm-kernel:
	LINUX_SRC='$(LINUX_SRC)' KVM_COVERAGE='$(KVM_COVERAGE)' scripts/kvm-in-bochs/kernel-build.sh

clean:
	rm -rf $(B) x86/*.elf x86/*.flat

distclean: clean
	rm -rf config.mak logs logs.old logs.lock tests/standalone

# build/kvm-kernel holds Linux trees and their builds (make kvm-kernel): not ours.
-include $(shell find $(B) -path $(B)/kvm-kernel -prune -o -name '*.d' -type f -print 2>/dev/null)
