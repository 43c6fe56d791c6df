#!/usr/bin/env bash
# kvm-in-bochs backend, real boot (minutes; run by `make check-kvm`, not by
# `make check`): Linux in Bochs runs fixture kernels under QEMU/KVM; a kernel
# that hangs in L1 becomes a timeout and the rest still runs; a missing
# kernel file is an error of that entry; the L1 is restored from the
# snapshot when one is cached (else booted cold and saved); a second run
# reuses the image (booted cold, stopped at once by the boot watchdog: its
# entries are "not reached").
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

if ! bochs_ok; then
    ok "# SKIP Bochs backend not usable here"
    done_testing
    exit 0
fi

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
[hang]
file = @FIX@/hang.flat
timeout = 5
[vmx_after]
file = @FIX@/pass.flat
requires = vmx
[nokernel]
file = @FIX@/nosuch.flat
CFG

rt ACCEL=kvm-in-bochs -- -t
expect_rc 1 "the hang fails the run"
expect_out "ok 1 - pass: " "a kernel passes under KVM in L1 (${ELAPSED}s)"
expect_out "not ok 4 - hang: timeout after 5s" "a kernel that hangs in L1: timeout of its entry"
expect_out "ok 5 - vmx_after: fixture: first" "the entry after the hang still runs"
expect_out "not ok 7 - nokernel: kernel" "a missing kernel file: error of that entry"
expect_out "# SUMMARY: 5 passed, 2 failed, 0 skipped" "summary"
expect_last_line "1..7" "the plan ends the TAP stream"
expect_file_has "$SCRATCH/logs/pass.log" "nested=Y" "log shows kvm_intel nested=Y"
expect_file_has "$SCRATCH/logs/vmx_after.log" "# kernel args: --tap --backend=kvm-6." "kernel gets --backend=kvm-<version>@bochs-<version>"
expect_file_has "$SCRATCH/logs/pass.log" "(Debian linux-image-" "the entry log names L1's kernel package"
expect_file_has "$SCRATCH/logs/hang.log" "status=137" "the in-L1 timeout killed QEMU"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/run.log" "first entry began after" "boot or restore times logged"
if grep -qE 'snapshot [0-9a-f]+: saved|L1 restored, payload taken' "$SCRATCH/logs/kvm-in-bochs/run.log"; then
    ok "L1 was saved at ready or restored from the snapshot"
else
    not_ok "L1 was saved at ready or restored from the snapshot" "$(cat "$SCRATCH/logs/kvm-in-bochs/run.log")"
fi
expect_file_has "$SCRATCH/logs/kvm-in-bochs/image.log" "image: ISO" "image build logged"

rt ACCEL=kvm-in-bochs KIB_SNAPSHOT=0 KIB_BOOT_MAX_S=1 -- pass vmx_after
expect_rc 1 "boot watchdog: entries fail"
expect_out "FAIL pass (not reached: watchdog: L1 init not reached after 1 s" "entries that never ran: not reached"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/image.log" "image: base initramfs reused" "second run: initramfs not rebuilt"
if grep -q 'image: base initramfs built' "$SCRATCH/logs/kvm-in-bochs/image.log"; then
    not_ok "second run builds nothing" "$(cat "$SCRATCH/logs/kvm-in-bochs/image.log")"
else
    ok "second run builds nothing"
fi

done_testing
