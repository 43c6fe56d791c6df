# check-runner: tests of run_tests.sh and its scripts, using the tiny fixture
# kernels in tests/runner/fixtures/ (32-bit multiboot, plain assembly, built
# with tools/probe/mini.inc). Included by the top Makefile; needs tools/tools.mk.

RUNNER_FIXTURE_SRCS := $(wildcard tests/runner/fixtures/*.S)
RUNNER_FIXTURES := $(patsubst tests/runner/fixtures/%.S,$(B)/runner/fixtures/%.flat,\
	$(RUNNER_FIXTURE_SRCS))
# Runner tests that boot Linux in Bochs (minutes): check-kvm only.
RUNNER_KVM_TESTS := tests/runner/test-kvm-in-bochs-boot.sh
RUNNER_TESTS := $(filter-out $(RUNNER_KVM_TESTS),$(sort $(wildcard tests/runner/test-*.sh)))
RUNNER_SHELL_FILES := run_tests.sh scripts/common.sh scripts/backend-qemu.sh scripts/backend-bochs.sh \
	$(wildcard scripts/runner-*.sh) scripts/stacks.sh scripts/progress.sh scripts/coverage.sh scripts/kvm-coverage.sh \
	scripts/mkstandalone.sh scripts/install-deps.sh scripts/bench.sh scripts/count-checks.sh .ci/run tests/runner/lib.sh $(RUNNER_TESTS) \
	tests/runner/fixtures/fake-bochs \
	scripts/backend-kvm-in-bochs.sh $(wildcard scripts/kvm-in-bochs/*.sh) $(RUNNER_KVM_TESTS) \
	tests/runner/fakes/bochs-kib.sh
PROVE_JOBS ?= 2

$(B)/runner/fixtures/%.o: tests/runner/fixtures/%.S tools/probe/mini.inc
	@mkdir -p $(dir $@)
	$(MINI_AS) -o $@ $<

$(B)/runner/fixtures/%.flat: $(B)/runner/fixtures/%.o
	$(LD) $(MINI_LDFLAGS) -o $@ $<

.PRECIOUS: $(B)/runner/fixtures/%.o
.PHONY: check-runner runner-fixtures shellcheck-runner check-kvm

runner-fixtures: $(RUNNER_FIXTURES)

shellcheck-runner:
	@if command -v shellcheck >/dev/null; then \
		shellcheck -x $(RUNNER_SHELL_FILES) && echo "shellcheck: clean"; \
	else echo "shellcheck not installed (apt-get install shellcheck): skipped"; fi

check-runner: host-tools runner-fixtures readme-example shellcheck-runner
	prove -j$(PROVE_JOBS) --exec bash $(RUNNER_TESTS)

# The README's "writing an EPT test" example, built from the README's own text
# (between the ept-example markers) like a kernel in x86/; test-readme.sh runs it.
README_EPT_EXAMPLE := $(B)/runner/readme/ept_example.flat

$(B)/runner/readme/ept_example.cc: README.md
	@mkdir -p $(dir $@)
	sed -n '/^<!-- ept-example: begin -->/,/^<!-- ept-example: end -->/p' README.md | \
		sed '/^<!-- /d; /^```/d' >$@

$(B)/runner/readme/ept_example.o: $(B)/runner/readme/ept_example.cc config.mak
	$(CXX) $(KERNEL_CXXFLAGS) -c -o $@ $<

$(B)/runner/readme/ept_example.elf: $(B)/runner/readme/ept_example.o $(KERNEL_COVERAGE_OBJS) \
		$(B)/lib.a lib/x86/flat.lds
	$(LD) $(KERNEL_LDFLAGS) -o $@ $< $(KERNEL_COVERAGE_OBJS) $(B)/lib.a $(KERNEL_LIBGCOV)

$(B)/runner/readme/ept_example.flat: $(B)/runner/readme/ept_example.elf
	$(OBJCOPY) -O elf32-i386 $< $@

.PHONY: readme-example
readme-example: $(README_EPT_EXAMPLE)

# check-kvm: the kvm-in-bochs pass (docs/kvm-in-bochs.md): every entry (-a:
# vmx, ept, the Haswell entries) under Linux KVM nested VMX inside Bochs, on
# KVM_JOBS L1s restored from the cached snapshot (the first run boots L1 and
# saves it), then the runner tests that boot Linux in Bochs (both run; the
# status is 1 if either failed). Not part of `make check`.
KVM_SELECT ?= -a
KVM_JOBS ?= 2
check-kvm: all runner-fixtures
	@rc=0; ACCEL=kvm-in-bochs ./run_tests.sh -j $(KVM_JOBS) $(KVM_SELECT) || rc=1; \
	prove --exec bash $(RUNNER_KVM_TESTS) || rc=1; exit $$rc
