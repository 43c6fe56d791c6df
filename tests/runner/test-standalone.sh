#!/usr/bin/env bash
# make standalone (scripts/mkstandalone.sh): a generated script runs from a
# directory outside the tree, prints the kernel's TAP and a SUMMARY, and its
# exit status says pass/fail/crash/timeout/skip.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<CFG
[selftest]
file = $ROOT/x86/selftest.flat
[recovery]
file = $ROOT/x86/selftest.flat
test_args = recovery
[fail]
file = @FIX@/fail.flat
[triple]
file = @FIX@/triple.flat
[hang]
file = @FIX@/hang.flat
[vmx]
file = @FIX@/pass.flat
requires = vmx
CFG
gen=$SCRATCH/gen
if NVMX_CFG=$SCRATCH/unittests.cfg "$ROOT/scripts/mkstandalone.sh" -o "$gen" >"$SCRATCH/gen.out" 2>&1; then
    ok "mkstandalone.sh generates the scripts"
else
    not_ok "mkstandalone.sh generates the scripts" "$(cat "$SCRATCH/gen.out")"
fi
# Elsewhere: a directory with nothing but the script, and a clean environment.
away=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-sa-away.XXXXXX")
trap 'rm -rf "$SCRATCH" "$away"' EXIT
cp "$gen"/* "$away/"

# sa NAME [VAR=value...]: runs $away/NAME; sets OUT and RC.
sa() {
    local name=$1
    shift
    RC=0
    OUT=$(cd "$away" && env -i PATH="$PATH" TMPDIR="${TMPDIR:-/tmp}" ACCEL=tcg "$@" "./$name" 2>&1) || RC=$?
    ERR=""
}

if [[ -r $ROOT/x86/selftest.flat ]]; then
    sa selftest
    expect_rc 0 "standalone selftest passes outside the tree"
    expect_out "TAP version 13" "prints the kernel's TAP"
    expect_out "ok 1 - " "prints the result lines"
    expect_last_line "$(grep -o '^SUMMARY: selftest: PASS (.*; backend qemu-tcg)$' <<<"$OUT")" "ends with a SUMMARY line"
    expect_out "SUMMARY: selftest: PASS (" "SUMMARY says PASS"
    sa recovery
    expect_out "1..1" "test_args of the entry are embedded (one case)"
else
    ok "standalone selftest # SKIP x86/selftest.flat not built"
fi
sa fail
expect_rc 1 "failing kernel: exit 1"
expect_out "SUMMARY: fail: FAIL" "failing kernel: SUMMARY FAIL"
sa triple
expect_rc 3 "crash: exit 3"
expect_out "crash (no EXIT line)" "crash reported"
sa hang TIMEOUT=2
expect_rc 124 "TIMEOUT honoured: exit 124"
sa vmx
expect_rc 77 "requires=vmx under ACCEL=tcg: skipped (77)"
sa selftest QEMU=/nonexistent/qemu
expect_rc 77 "QEMU honoured: missing emulator is a skip"

done_testing
