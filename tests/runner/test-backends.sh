#!/usr/bin/env bash
# Backend choice: KVM probe (cached in build/runner/), Bochs for VMX entries.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[plain]
file = @FIX@/pass.flat
[vmx]
file = @FIX@/pass.flat
requires = vmx
bochs_cpu = tigerlake
CFG

rt -- -v plain
expect_rc 0 "auto backend runs a plain entry"
backend=$(sed -n 's/^  backend \([a-z-]*\),.*/\1/p' <<<"$OUT")
kvm_probe=$(sed -n 2p "$ROOT/build/runner/probe-kvm.cache" 2>/dev/null)
if [[ -e /dev/kvm && $kvm_probe == yes && $backend == qemu-kvm ]] ||
    [[ $kvm_probe != yes && $backend == qemu-tcg ]]; then
    ok "auto picks KVM only where the probe ran a kernel (probe: ${kvm_probe:-none}, got $backend)"
else
    not_ok "auto backend choice" "probe '${kvm_probe}', backend '$backend'"
fi

rt ACCEL=tcg -- -t plain
expect_out "# plain: backend qemu-tcg" "ACCEL=tcg forces TCG"

if bochs_ok; then
    rt -- -v vmx
    vmx_probe=$(sed -n 2p "$ROOT/build/runner/probe-kvm-vmx.cache" 2>/dev/null)
    if [[ $vmx_probe == yes ]]; then
        expect_out "  backend qemu-kvm" "requires=vmx runs on KVM with nested VMX"
    else
        expect_out " cpu=tigerlake, " "requires=vmx falls back to Bochs, entry CPU model"
    fi
    expect_rc 0 "VMX entry passes on its backend (${ELAPSED}s)"
    rt ACCEL=bochs BOCHS_CPU=corei7_icelake_u -- -v plain
    expect_out " cpu=corei7_icelake_u, " "ACCEL=bochs, BOCHS_CPU picks the model"
    expect_out "PASS plain (2 tests)" "a plain entry passes on Bochs (${ELAPSED}s)"
    expect_file_has "$SCRATCH/logs/plain.log" "# command: bochs_run" "Bochs log has the command"
else
    ok "# SKIP Bochs backend not usable here"
fi

done_testing
