#!/usr/bin/env bash
# bochs-kib.sh: a stand-in for bochs-bin in the kvm-in-bochs runner tests
# (BOCHS_BIN=this). For "-q [-rc cmds] -f bochsrc" it plays the L1 Linux of
# scripts/kvm-in-bochs/init.sh in a few seconds: boots to `ready`, then
# waits for the payload on the ata0-slave "CD" (a header sector, then a
# gzip'ed cpio of /run/flags and /run/plan), writes the console markers to
# COM1 and a heartbeat to COM2. While it waits it plays Bochs' save dialog:
# a folder name on stdin (after the backend's click) makes it write a
# snapshot there (config = its bochsrc, cpu0, memory, memory.ram), then it
# reads the "continue?" answer. "-r DIR" restores: DIR/config is the rc, and
# L1 is at `ready` at once (FAKE_KIB_BAD_RESTORE=1: Bochs fails to restore).
# Per entry name: hang* stops L1 (no output, no heartbeat), slow* ends by
# the in-L1 timeout (status 137), qemufail* is QEMU failing to start in L1,
# xpass* passes a check whose erratum no longer applies, anything else passes
# one case. FAKE_KIB_NO_KVM=1: kvm_intel does not load; FAKE_KIB_VERMAGIC=1:
# kvm.ko was built for another kernel (insmod refuses it);
# FAKE_KIB_NO_INIT=1: Linux never reaches init (prints, then nothing).
# Run flags with kib_coverage=1 (step 6): L1 sends FAKE_KIB_GCOV (a .tar.gz of
# .gcda files) between coverage markers, or coverage-none when it is unset;
# FAKE_KIB_GCOV_CUT=N: the last N base64 characters and the end are lost.
# Every other invocation (probes, --help) goes to the real bochs-bin.
set -u
rc="" restore=""
args=("$@")
while (($#)); do
    case $1 in
        -q) ;;
        -rc) shift ;;
        -f) rc=$2; shift ;;
        -r) restore=$2; rc=$2/config; shift ;;
        *) exec bochs-bin "${args[@]}" ;;
    esac
    shift
done
[[ -n $rc ]] || exec bochs-bin "${args[@]}"
if [[ -n $restore && -n ${FAKE_KIB_BAD_RESTORE:-} ]]; then
    echo "fake bochs: cannot restore $restore"
    exit 1
fi
con=$(sed -n 's/^com1:.*dev="\{0,1\}\([^,"]*\).*/\1/p' "$rc")
hb=$(sed -n 's/^com2:.*dev="\{0,1\}\([^,"]*\).*/\1/p' "$rc")
payload=$(sed -n 's/^ata0-slave:.*path="\{0,1\}\([^,"]*\).*/\1/p' "$rc")
bb=$(find "${KIB_CACHE:-$(dirname "$0")/../../../build/kvm-in-bochs}/unpacked" -path '*busybox*/bin/busybox' | head -n1)
exec >>"$con"
(while :; do printf . >>"$hb"; sleep 0.3; done) &
beat=$!
if [[ -z $restore ]]; then
    printf 'Linux version fake (kvm-in-bochs runner test)\r\n'
    if [[ -n ${FAKE_KIB_NO_INIT:-} ]]; then
        kill "$beat"
        exec sleep 600
    fi
    printf '@@KIB@@ init uptime=1.00 kernel=fake\r\n'
    if [[ -n ${FAKE_KIB_VERMAGIC:-} ]]; then
        printf '@@KIB@@ fail insmod kvm.ko failed (status 1)\r\n'
        printf '@@KIB@@ dmesg-begin boot\r\n[    9.000000] kvm: version magic '"'"'6.1.0-57-amd64 SMP preempt mod_unload modversions '"'"' should be '"'"'6.9.3-test SMP preempt mod_unload '"'"'\r\n'
        printf '@@KIB@@ dmesg-end boot\r\n@@KIB@@ poweroff uptime=9.10\r\n'
        kill "$beat"
        exit 1
    fi
    if [[ -n ${FAKE_KIB_NO_KVM:-} ]]; then
        printf '@@KIB@@ fail kvm_intel did not load (insmod kvm-intel.ko nested=1: status 1)\r\n'
        printf '@@KIB@@ dmesg-begin boot\r\n[    9.000000] kvm: no hardware support for '"'"'kvm_intel'"'"'\r\n'
        printf '@@KIB@@ dmesg-end boot\r\n@@KIB@@ poweroff uptime=9.10\r\n'
        kill "$beat"
        exit 1
    fi
    printf '@@KIB@@ kvm-params-begin\r\nnested=Y\r\nept=Y\r\n'
    printf '@@KIB@@ kvm-params-end\r\n@@KIB@@ ready uptime=2.00\r\n'
fi
# The save dialog (a folder, then "continue?") or the payload, whichever comes.
until [[ $(head -n1 "$payload" 2>/dev/null) == NVMXKIB-PAYLOAD-1\ size=* ]]; do
    if read -r -t 0.2 folder; then
        cp "$rc" "$folder/config"
        for f in cpu0 memory memory.ram; do echo "fake $f" >"$folder/$f"; done
        read -r -t 5 _
    fi
done
size=$(head -n1 "$payload" | sed 's/.*size=//')
printf '@@KIB@@ payload-begin dev=/dev/sr1 bytes=%s uptime=2.50\r\n' "$size"
pdir=$(mktemp -d)
dd if="$payload" bs=2048 skip=1 count=$(((size + 2047) / 2048)) status=none | head -c "$size" |
    gzip -d | (cd "$pdir" && "$bb" cpio -i -d 2>/dev/null)
printf '@@KIB@@ payload-end uptime=2.60\r\n'
# shellcheck disable=SC2317 # called by the plan
run_entry() {
    local idx=$1 name=$2
    ((idx < ${kib_from:-0})) && return 0
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
        xpass*)
            printf 'TAP version 13\r\nok 1 - fake: %s # TODO errata: fixed in this KVM (SDM)\r\n1..1\r\nEXIT: STATUS=0' "$name"
            set -- 1
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
source "$pdir/run/flags"
# shellcheck source=/dev/null
source "$pdir/run/plan"
rm -rf "$pdir"
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
