#!/usr/bin/env bash
# Issue 10 item 4: a run never passes with nothing tested. A backend named in
# ACCEL that cannot run is an error (exit 2, one message); with the automatic
# choice the closing lines say that no VMX backend ran, once, and
# NVMX_REQUIRE_VMX=1 makes it a failure. Empty test lists are errors.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

# A QEMU that cannot run anything: the KVM probe fails on any host.
fake_qemu=$SCRATCH/qemu-broken
printf '#!/bin/sh\necho "qemu-broken: cannot run" >&2\nexit 1\n' >"$fake_qemu"
chmod +x "$fake_qemu"

cfg_write <<'CFG'
[plain]
file = @FIX@/pass.flat
CFG
rt ACCEL=kvm QEMU="$fake_qemu"
expect_rc 2 "ACCEL=kvm where KVM cannot run a kernel: error"
expect_err "ACCEL=kvm: KVM cannot run a kernel here" "one message says so"
expect_eq "$(wc -l <<<"$ERR")" "1" "exactly one line on stderr"
expect_no_out "SKIP" "no SKIP lines"

cfg_write <<'CFG'
[vmx1]
file = @FIX@/pass.flat
requires = vmx
[vmx2]
file = @FIX@/pass.flat
requires = vmx
[vmx3]
file = @FIX@/pass.flat
requires = vmx
CFG
rt QEMU="$fake_qemu" BOCHS_BIN=/nonexistent/bochs-bin
expect_rc 0 "automatic choice, no VMX backend: SKIPs, exit 0"
expect_out "SKIP vmx1 (requires vmx: no VMX-capable backend" "the entry says why it skipped"
expect_out "NO VMX BACKEND: 3 entries that need VMX did not run" "the closing lines say no VMX backend ran"
expect_out "nothing VMX was tested (NVMX_REQUIRE_VMX=1 makes this a failure)" "and how CI makes it fail"
expect_eq "$(grep -c 'apt-get install bochs' <<<"$OUT$ERR")" "1" "the install hint is printed once"
expect_last_line "SUMMARY: 0 passed, 0 failed, 3 skipped" "SUMMARY stays the last line"

rt QEMU="$fake_qemu" BOCHS_BIN=/nonexistent/bochs-bin NVMX_REQUIRE_VMX=1
expect_rc 1 "NVMX_REQUIRE_VMX=1: no VMX backend is a failure"
expect_out "FAIL vmx1 (NVMX_REQUIRE_VMX=1 but no VMX backend ran it" "each VMX entry fails"
expect_last_line "SUMMARY: 0 passed, 3 failed, 0 skipped" "counted as failures"
rt QEMU="$fake_qemu" BOCHS_BIN=/nonexistent/bochs-bin NVMX_REQUIRE_VMX=1 -- -t
expect_err "NO VMX BACKEND: 3 entries" "-t: the closing line goes to stderr (the stream stays TAP)"
expect_last_line "1..3" "-t: the plan ends the stream"
rt NVMX_REQUIRE_VMX=yes
expect_rc 2 "NVMX_REQUIRE_VMX must be 0 or 1"

if bochs_ok; then
    cfg_write <<'CFG'
[vmx1]
file = @FIX@/pass.flat
requires = vmx
CFG
    rt QEMU="$fake_qemu" NVMX_REQUIRE_VMX=1
    expect_rc 0 "NVMX_REQUIRE_VMX=1 with Bochs: the VMX entry runs"
    expect_no_out "NO VMX BACKEND" "no closing note when a VMX backend ran"
else
    ok "# SKIP Bochs backend not usable here"
fi

# Empty test lists.
: >"$SCRATCH/unittests.cfg"
rt ACCEL=tcg
expect_rc 2 "empty cfg"
expect_err "has no entries" "empty cfg: says it has no entries"
printf '# only a comment\n\n# and another\n' >"$SCRATCH/unittests.cfg"
rt ACCEL=tcg
expect_rc 2 "comments-only cfg"
expect_err "has no entries" "comments-only cfg: says it has no entries"
rt ACCEL=tcg NVMX_CFG="$SCRATCH"
expect_rc 2 "NVMX_CFG naming a directory"
expect_err "is a directory, not a file" "names the problem"

done_testing
