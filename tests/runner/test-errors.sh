#!/usr/bin/env bash
# Bad inputs: clear message naming the problem, non-zero exit, logs kept.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
[other]
file = @FIX@/pass.flat
CFG
snapshot() { cat "$SCRATCH"/logs/*.log 2>/dev/null; }
rt ACCEL=tcg
expect_rc 0 "setup run"
logs_before=$(snapshot)

keeps_logs() {
    if [[ $(snapshot) == "$logs_before" ]]; then
        ok "$1: logs kept"
    else
        not_ok "$1: logs kept"
    fi
}

rt ACCEL=tcg -- nosuchtest
expect_rc 2 "unknown test name"
expect_err "unknown test 'nosuchtest'" "names the unknown test"
expect_err "available entries: pass other" "lists the available entries"
keeps_logs "unknown test"

rt ACCEL=tcg -- 'zz*'
expect_rc 2 "wildcard matching nothing"
expect_err "pattern 'zz*' matches no test entry" "names the pattern"

rt ACCEL=tcg -- -g nosuchgroup
expect_rc 2 "group matching nothing"
expect_err "unknown group 'nosuchgroup'" "names the group"

rt ACCEL=tcg -- -x
expect_rc 2 "unknown short option"
expect_err "unknown option '-x'" "names the option"
rt ACCEL=tcg -- --frobnicate
expect_rc 2 "unknown long option"
expect_err "unknown option '--frobnicate'" "names the long option"
rt ACCEL=tcg -- -j
expect_rc 2 "-j without a value"
rt ACCEL=tcg -- -j zero
expect_rc 2 "-j with a bad value"
rt ACCEL=hvf
expect_rc 2 "bad ACCEL"
expect_err "ACCEL must be kvm, tcg, bochs or kvm-in-bochs, not 'hvf'" "names the bad ACCEL"
rt ACCEL=tcg -- -h
expect_rc 0 "-h"
expect_out "Usage: ./run_tests.sh" "-h prints the usage"

rt ACCEL=tcg QEMU=/nonexistent/qemu-system-x86_64
expect_rc 2 "missing QEMU"
expect_err "apt-get install qemu-system-x86" "names the Debian package for QEMU"
keeps_logs "missing QEMU"
rt QEMU=/nonexistent/qemu-system-x86_64
expect_rc 2 "missing QEMU, ACCEL unset"

rt ACCEL=bochs BOCHS_BIN=/nonexistent/bochs-bin
expect_rc 2 "ACCEL=bochs without Bochs"
expect_err "apt-get install bochs bochsbios vgabios" "names the Debian packages for Bochs"
keeps_logs "missing Bochs"

cfg_write <<'CFG'
[vmx]
file = @FIX@/pass.flat
requires = vmx
CFG
rt BOCHS_BIN=/nonexistent/bochs-bin
expect_rc 0 "a VMX entry without any VMX backend is skipped, not failed"
expect_out "SKIP vmx (requires vmx: no VMX-capable backend" "SKIP says why"
expect_out "apt-get install bochs bochsbios vgabios" "the closing lines name the package to install"
rt ACCEL=tcg
expect_out "SKIP vmx (requires vmx: TCG can't emulate VMX" "ACCEL=tcg skips VMX entries"
expect_last_line "SUMMARY: 0 passed, 0 failed, 1 skipped" "a skipped entry counts as one skipped case"

logs_before=$(snapshot)

# Broken test lists name file:line.
check_cfg() {
    local want=$1 desc=$2
    cfg_write
    rt ACCEL=tcg
    expect_rc 2 "$desc"
    expect_err "unittests.cfg:$want" "$desc: names file:line"
}
check_cfg "3: unknown key 'bogus' in [a]" "unknown key" < <(printf '[a]\nfile = a.flat\nbogus = 1\n')
check_cfg "1: 'file' outside of any [section]" "text outside a section" < <(printf 'file = a.flat\n')
check_cfg "3: duplicate entry [a] (first defined at line 1)" "duplicate section" < <(printf '[a]\nfile = a.flat\n[a]\nfile = b.flat\n')
check_cfg "1: entry [a] has no 'file' key" "missing file" < <(printf '[a]\ngroups = x\n')
check_cfg "3: expected '[name]' or 'key = value'" "malformed line" < <(printf '[a]\nfile = a.flat\nthis is not a key\n')
check_cfg "3: bad timeout 'soon'" "bad timeout" < <(printf '[a]\nfile = a.flat\ntimeout = soon\n')
check_cfg "3: extra_params: unterminated double quote" "bad quoting" < <(printf '[a]\nfile = a.flat\nextra_params = -append "x\n')
keeps_logs "broken cfg"

rt ACCEL=tcg NVMX_CFG=/nonexistent.cfg
expect_rc 2 "missing cfg file"
expect_err "/nonexistent.cfg not found" "names the missing cfg"

done_testing
