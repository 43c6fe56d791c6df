#!/usr/bin/env bash
# Passing, failing, known-deviation and all-skipped kernels; logs and their
# rotation; kernel arguments reaching the kernel.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
extra_params = -append 'sel_a sel_b'
test_args = -excl
CFG
rt ACCEL=tcg
expect_rc 0 "a passing kernel passes"
expect_out "PASS pass (2 tests)" "one PASS line for the entry"
expect_last_line "SUMMARY: 2 passed, 0 failed, 0 skipped" "SUMMARY counts cases and is last"
expect_file_has "$SCRATCH/logs/pass.log" "# backend: qemu-tcg" "log names the backend"
expect_file_has "$SCRATCH/logs/pass.log" "# command: timeout -k 5 90 qemu-system-x86_64" \
    "log holds the command line"
expect_file_has "$SCRATCH/logs/pass.log" "ok 2 - fixture: second" "log holds the serial output"
expect_file_has "$SCRATCH/logs/pass.log" "pass.flat --tap --backend=qemu-tcg sel_a sel_b -excl" \
    "kernel gets --tap, -append args and test_args"

rt ACCEL=tcg -- -v
expect_out "  backend qemu-tcg" "-v names the backend"
expect_out "  PASS: pass: fixture: second # with hash" "-v lists each case, unescaped"
if [[ -r $SCRATCH/logs.old/pass.log && -r $SCRATCH/logs/pass.log ]]; then
    ok "previous logs moved to logs.old/"
else
    not_ok "previous logs moved to logs.old/"
fi

cfg_write <<'CFG'
[fail]
file = @FIX@/fail.flat
[xfail]
file = @FIX@/xfail.flat
[skipall]
file = @FIX@/skipall.flat
[badsel]
file = @FIX@/badsel.flat
[missing]
file = missing.flat
CFG
rt ACCEL=tcg -- -v
expect_rc 1 "a failing case fails the run"
expect_out "FAIL fail (2 tests, 1 failed)" "FAIL line with the failed count"
expect_out "    expected: 0x10" "-v shows the YAML diagnostics"
expect_out "PASS xfail (3 tests, 1 skipped, 1 xfail)" "known deviation is no failure"
expect_out "SKIP skipall (1 test, all skipped)" "all-skipped kernel is SKIP"
expect_out "FAIL badsel (ERROR: no case matches 'nosuch')" "exit 2 shows the kernel's ERROR"
expect_out "FAIL missing (kernel missing.flat not found (run make))" "missing kernel fails"
expect_out "XFAIL: 1 known deviation (see errata)" "XFAIL line before SUMMARY"
expect_last_line "SUMMARY: 2 passed, 3 failed, 2 skipped" "per-case SUMMARY"

cfg_write <<'CFG'
[xfail]
file = @FIX@/xfail.flat
CFG
rt ACCEL=tcg
expect_rc 0 "known deviations alone do not fail the run"
expect_last_line "SUMMARY: 1 passed, 0 failed, 1 skipped" "xfail counted neither passed nor failed"

done_testing
