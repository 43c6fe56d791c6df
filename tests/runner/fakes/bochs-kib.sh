#!/usr/bin/env bash
# bochs-kib.sh: a stand-in for bochs-bin in the kvm-in-bochs runner tests
# (BOCHS_BIN=this). For "-q -f bochsrc ..." it plays the L1 Linux of
# scripts/kvm-in-bochs/init.sh in a few seconds: it reads ./plan (the run
# plan the backend wrote next to the bochsrc) and kib_from from the ISO's
# grub.cfg, writes the console markers to COM1 and a heartbeat to COM2.
# Per entry name: hang* stops L1 (no output, no heartbeat), slow* ends by
# the in-L1 timeout (status 137), anything else passes one case. Every other
# invocation (probes, --help) goes to the real bochs-bin.
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
printf '@@KIB@@ init uptime=1.00 kernel=fake\r\n@@KIB@@ kvm-params-begin\r\nnested=Y\r\nept=Y\r\n'
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
printf '@@KIB@@ done uptime=9.00\r\n'
kill "$beat"
exit 1
