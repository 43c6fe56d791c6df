# Host tools used by run_tests.sh (built into build/host/ by `make host-tools`,
# which `make all` runs), plus the tiny probe kernel that run_tests.sh boots to
# find out whether KVM (and nested VMX under KVM) really works here.
#
# Included by the top Makefile; uses HOST_CXX, HOST_CXXFLAGS, B, LD, CROSS_PREFIX.

HOST_B := $(B)/host
HOST_TOOLS_CXXFLAGS = $(HOST_CXXFLAGS) -I tools

NVMX_TOOLS_COMMON_SRCS := tools/common/strutil.cc
NVMX_CFG_LIB_SRCS := tools/cfg/cfg.cc $(NVMX_TOOLS_COMMON_SRCS)
NVMX_TAP_LIB_SRCS := tools/tap/tapmerge.cc tools/tap/junit.cc tools/tap/merge.cc \
	$(NVMX_TOOLS_COMMON_SRCS)
HOST_TEST_LIB_SRCS += tools/tap/merge.cc
host_obj = $(patsubst %.cc,$(HOST_B)/%.o,$(1))

# Objects of host sources (tools, host tests, lib/ code compiled for the host).
$(HOST_B)/%.o: %.cc config.mak
	@mkdir -p $(dir $@)
	$(HOST_CXX) $(HOST_TOOLS_CXXFLAGS) -c -o $@ $<

$(HOST_B)/nvmx-cfg: $(call host_obj,tools/cfg/main.cc $(NVMX_CFG_LIB_SRCS))
	$(HOST_CXX) -o $@ $^

$(HOST_B)/nvmx-tap: $(call host_obj,tools/tap/main.cc $(NVMX_TAP_LIB_SRCS))
	$(HOST_CXX) -o $@ $^

# Clicks Bochs' save-state button over VNC (kvm-in-bochs snapshots).
$(HOST_B)/nvmx-vncclick: $(call host_obj,tools/vncclick/main.cc)
	$(HOST_CXX) -o $@ $^

# 32-bit multiboot kernels in plain assembly (probe + runner test fixtures).
MINI_AS := $(CROSS_PREFIX)as --32 -I tools/probe
MINI_LDFLAGS := -m elf_i386 -nostdlib -static -N -Ttext=0x100000 -e _start --build-id=none \
	-z noexecstack --no-warn-rwx-segments

$(HOST_B)/probe.o: tools/probe/probe.S tools/probe/mini.inc
	@mkdir -p $(dir $@)
	$(MINI_AS) -o $@ $<

$(HOST_B)/probe.flat: $(HOST_B)/probe.o
	$(LD) $(MINI_LDFLAGS) -o $@ $<

host-tools:: $(HOST_B)/nvmx-cfg $(HOST_B)/nvmx-tap $(HOST_B)/nvmx-vncclick $(HOST_B)/probe.flat

.PHONY: host-tools
