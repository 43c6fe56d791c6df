#!/usr/bin/env bash
# --junit FILE: well-formed JUnit XML (xmllint), one testcase per TAP line.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

# tap_count: result lines in $OUT. junit_count FILE: testcases in FILE.
tap_count() { grep -cE '^(not )?ok [0-9]' <<<"$OUT" || true; }
junit_count() { grep -c '<testcase ' "$1" || true; }

# expect_wellformed FILE DESC
expect_wellformed() {
    local msg
    if ! command -v xmllint >/dev/null; then
        ok "$2 # SKIP xmllint not installed (apt-get install libxml2-utils)"
    elif msg=$(xmllint --noout "$1" 2>&1); then
        ok "$2"
    else
        not_ok "$2" "$msg"
    fi
}

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
[fail]
file = @FIX@/fail.flat
[xfail]
file = @FIX@/xfail.flat
[triple]
file = @FIX@/triple.flat
[hang]
file = @FIX@/hang.flat
timeout = 2
[badsel]
file = @FIX@/badsel.flat
[vmx]
file = @FIX@/pass.flat
requires = vmx
[missing]
file = @FIX@/does-not-exist.flat
CFG
rt ACCEL=tcg -- -t
tap=$(tap_count)
rt ACCEL=tcg -- -j2 --junit "$SCRATCH/j.xml"
expect_rc 1 "--junit run with failures"
expect_wellformed "$SCRATCH/j.xml" "fixtures: JUnit is well-formed"
expect_eq "$(junit_count "$SCRATCH/j.xml")" "$tap" "fixtures: testcase count = TAP count ($tap)"
expect_file_has "$SCRATCH/j.xml" '<testsuite name="fail" tests="2" failures="1"' "suite per entry with counts"
expect_file_has "$SCRATCH/j.xml" '<failure message="file: x86/fixture.cc; line: 42; expected: 0x10; actual: 0x20"' \
    "failure message from the YAML diagnostics"
expect_file_has "$SCRATCH/j.xml" '<skipped message="known deviation: errata' "TODO is a skipped known deviation"
expect_file_has "$SCRATCH/j.xml" '<skipped message="requires vmx' "skipped entry"
expect_file_has "$SCRATCH/j.xml" '<testcase classname="triple" name="crash (no EXIT line; see logs/triple.log)">' \
    "crash is a failing testcase"
expect_file_has "$SCRATCH/j.xml" '--- log excerpt (logs/triple.log) ---' "crash has a log excerpt"
expect_file_has "$SCRATCH/j.xml" '<testcase classname="hang" name="timeout after 2s">' "timeout is a failing testcase"
expect_file_has "$SCRATCH/j.xml" 'not found (run make)' "missing kernel is a failing testcase"
expect_out "SUMMARY: " "console report unchanged by --junit"

rt ACCEL=tcg -- --junit="$SCRATCH/k.xml" pass
expect_rc 0 "--junit=FILE form"
expect_file_has "$SCRATCH/k.xml" '<testsuites name="nvmx-tests" tests="2" failures="0"' "totals on testsuites"

rt ACCEL=tcg -- --junit
expect_rc 2 "--junit without a file is a usage error"

# The real selftest kernel: ./run_tests.sh --junit j.xml selftest vs -t.
if [[ -r $ROOT/x86/selftest.flat ]]; then
    printf '[selftest]\nfile = %s/x86/selftest.flat\n' "$ROOT" | cfg_write
    rt ACCEL=tcg -- -t selftest
    tap=$(tap_count)
    rt ACCEL=tcg -- --junit "$SCRATCH/s.xml" selftest
    expect_rc 0 "selftest with --junit"
    expect_wellformed "$SCRATCH/s.xml" "selftest: JUnit is well-formed"
    expect_eq "$(junit_count "$SCRATCH/s.xml")" "$tap" "selftest: testcase count = TAP count ($tap)"
else
    ok "selftest JUnit # SKIP x86/selftest.flat not built"
fi

done_testing
