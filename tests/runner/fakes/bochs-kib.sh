#!/usr/bin/env bash
# bochs-kib.sh: a stand-in for bochs-bin in the kvm-in-bochs runner tests
# (BOCHS_BIN=this). For "-q -f bochsrc ..." it plays the L1 Linux of
# scripts/kvm-in-bochs/init.sh in a few seconds: it reads ./plan (the run
# plan the backend wrote next to the bochsrc) and kib_from from the ISO's
# grub.cfg, writes the console markers to COM1 and a heartbeat to COM2.
# Per entry name: hang* stops L1 (no output, no heartbeat), slow* ends by
# the in-L1 timeout (status 137), qemufail* is QEMU failing to start in L1,
# anything else passes one case. FAKE_KIB_NO_KVM=1: kvm_intel does not load;
# FAKE_KIB_NO_INIT=1: Linux never reaches init (prints, then nothing).
# A plan with kib_coverage=1 (step 6): L1 sends FAKE_KIB_GCOV (a .tar.gz of
# .gcda files) between coverage markers, or coverage-none when it is unset;
# FAKE_KIB_GCOV_CUT=N: the last N base64 characters and the end are lost.
# Every other invocation (probes, --help) goes to the real bochs-bin.
set -u
[[ ${1:-} == -q && ${2:-} == -f ]] || exec bochs-bin "$@"
rc=$3
con=$(sed -n 's/^com1:.*dev=\([^,]*\).*/\1/p' "$rc")
hb=$(sed -n 's/^com2:.*dev=\([^,]*\).*/\1/p' "$rc")
iso=$(sed -n 's/^ata0-master:.*path=\([^,]*\).*/\1/p' "$rc")
xorriso -osirrox on -indev "$iso" -extract /boot/grub/grub.cfg grub.cfg >/dev/null 2>&1
from=$(sed -n 's/.*kib_from=\([0-9]*\).*/\1/p' grub.cfg)
exec >>"$con"
(while :; do printf . >>"$hb"; sleep 0.3; done) &
beat=$!
printf 'Linux version fake (kvm-in-bochs runner test)\r\n'
if [[ -n ${FAKE_KIB_NO_INIT:-} ]]; then
    kill "$beat"
    exec sleep 600
fi
printf '@@KIB@@ init uptime=1.00 kernel=fake\r\n'
if [[ -n ${FAKE_KIB_NO_KVM:-} ]]; then
    printf '@@KIB@@ fail kvm_intel did not load (insmod kvm-intel.ko nested=1: status 1)\r\n'
    printf '@@KIB@@ dmesg-begin boot\r\n[    9.000000] kvm: no hardware support for '"'"'kvm_intel'"'"'\r\n'
    printf '@@KIB@@ dmesg-end boot\r\n@@KIB@@ poweroff uptime=9.10\r\n'
    kill "$beat"
    exit 1
fi
printf '@@KIB@@ kvm-params-begin\r\nnested=Y\r\nept=Y\r\n'
printf '@@KIB@@ kvm-params-end\r\n@@KIB@@ ready uptime=2.00\r\n'
# shellcheck disable=SC2317 # called by the plan
run_entry() {
    local idx=$1 name=$2
    ((idx < ${from:-0})) && return 0
    printf '@@KIB@@ begin %s %s uptime=3.00\r\n' "$idx" "$name"
    case $name in
        hang*)
            printf 'TAP version 13\r\nok 1 - fake: before the hang\r\n'
            kill "$beat"
            exec sleep 600
            ;;
        qemufail*)
            printf '@@KIB@@ qemu-stderr-begin %s\r\nqemu-system-x86_64: error while loading shared libraries: libfake.so.1\r\n' "$idx"
            printf '@@KIB@@ qemu-stderr-end %s\r\n@@KIB@@ end %s status=127 l1_seconds=0.10\r\n' "$idx" "$idx"
            return 0
            ;;
        slow*)
            printf 'TAP version 13\r\nok 1 - fake: before the timeout\r\n'
            set -- 137
            ;;
        *)
            printf 'TAP version 13\r\nok 1 - fake: %s\r\n1..1\r\nEXIT: STATUS=0' "$name"
            set -- 1
            ;;
    esac
    printf '@@KIB@@ qemu-stderr-begin %s\r\n@@KIB@@ qemu-stderr-end %s\r\n' "$idx" "$idx"
    printf '@@KIB@@ dmesg-begin %s\r\n@@KIB@@ dmesg-end %s\r\n' "$idx" "$idx"
    printf '@@KIB@@ end %s status=%s l1_seconds=0.50\r\n' "$idx" "$1"
    sleep 0.2
}
# shellcheck source=/dev/null
source ./plan
if [[ ${kib_coverage:-0} == 1 && -n ${FAKE_KIB_GCOV:-} ]]; then
    printf '@@KIB@@ coverage-begin files=1 bytes=%s uptime=8.00\r\n' "$(stat -c %s "$FAKE_KIB_GCOV")"
    if [[ -n ${FAKE_KIB_GCOV_CUT:-} ]]; then
        # L1 powered off with the last FAKE_KIB_GCOV_CUT characters unsent.
        base64 "$FAKE_KIB_GCOV" | head -c -"$FAKE_KIB_GCOV_CUT" | sed 's/$/\r/'
        kill "$beat"
        exit 1
    fi
    base64 "$FAKE_KIB_GCOV" | sed 's/$/\r/'
    printf '@@KIB@@ coverage-end uptime=8.50\r\n'
elif [[ ${kib_coverage:-0} == 1 ]]; then
    printf '@@KIB@@ coverage-none no /sys/kernel/debug/gcov: not a KVM_COVERAGE=1 kernel\r\n'
fi
printf '@@KIB@@ done uptime=9.00\r\n'
kill "$beat"
exit 1
