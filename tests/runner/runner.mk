# check-runner: tests of run_tests.sh and its scripts, using the tiny fixture
# kernels in tests/runner/fixtures/ (32-bit multiboot, plain assembly, built
# with tools/probe/mini.inc). Included by the top Makefile; needs tools/tools.mk.

RUNNER_FIXTURE_SRCS := $(wildcard tests/runner/fixtures/*.S)
RUNNER_FIXTURES := $(patsubst tests/runner/fixtures/%.S,$(B)/runner/fixtures/%.flat,\
	$(RUNNER_FIXTURE_SRCS))
RUNNER_TESTS := $(sort $(wildcard tests/runner/test-*.sh))
RUNNER_SHELL_FILES := run_tests.sh scripts/common.sh scripts/backend-qemu.sh \
	$(wildcard scripts/runner-*.sh) scripts/stacks.sh scripts/progress.sh scripts/coverage.sh \
	scripts/mkstandalone.sh scripts/bench.sh .ci/run tests/runner/lib.sh $(RUNNER_TESTS)
PROVE_JOBS ?= 2

$(B)/runner/fixtures/%.o: tests/runner/fixtures/%.S tools/probe/mini.inc
	@mkdir -p $(dir $@)
	$(MINI_AS) -o $@ $<

$(B)/runner/fixtures/%.flat: $(B)/runner/fixtures/%.o
	$(LD) $(MINI_LDFLAGS) -o $@ $<

.PRECIOUS: $(B)/runner/fixtures/%.o
.PHONY: check-runner runner-fixtures shellcheck-runner

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
