#!/usr/bin/env bash
# kvm-in-bochs with any L1 kernel, fast (the stand-in Bochs of
# tests/runner/fakes/bochs-kib.sh, no boot): KIB_KERNEL=bzImage and
# KIB_MODULES=DIR, the kernel version read from the bzImage into every entry
# log, the TAP header and --backend=kvm-<version>@bochs-<version> (the key of
# the errata rows), bad input refused before Bochs starts, what only L1 can
# see (a module for another kernel) as an entry failure with L1's dmesg.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

FAKE=$ROOT/tests/runner/fakes/bochs-kib.sh
debs=$ROOT/build/kvm-in-bochs/debs
if ! bochs_ok || ! command -v xorriso >/dev/null || ! compgen -G "$debs/busybox-static_*.deb" >/dev/null; then
    ok "# SKIP busybox-static not fetched (scripts/install-deps.sh) or Bochs unusable"
    done_testing
    exit 0
fi
FAST=(ACCEL=kvm-in-bochs "BOCHS_BIN=$FAKE" KIB_HANG_S=3 KIB_POLL_S=0.2)

# bzimage FILE VERSION: a stand-in bzImage: setup-header magic HdrS at 0x202,
# boot protocol 2.06, the version string at 0x200 + the word at 0x20E.
bzimage() {
    head -c 2048 /dev/zero >"$1"
    printf 'HdrS\x06\x02' | dd of="$1" bs=1 seek=$((0x202)) conv=notrunc status=none
    printf '\x00\x02' | dd of="$1" bs=1 seek=$((0x20e)) conv=notrunc status=none
    printf '%s\0' "$2" | dd of="$1" bs=1 seek=$((0x400)) conv=notrunc status=none
}

cfg_write <<'CFG'
[one]
file = @FIX@/pass.flat
requires = vmx
[xpass_fixed]
file = @FIX@/pass.flat
CFG

BZ=$SCRATCH/bzImage
bzimage "$BZ" "6.9.3-test (builder@host) (gcc 12) #1 SMP PREEMPT_DYNAMIC"

rt "${FAST[@]}" "KIB_KERNEL=$BZ" -- -t
expect_rc 0 "KIB_KERNEL: the run passes"
expect_out "# kvm-in-bochs: L1 Linux 6.9.3-test (bzImage bzImage), kernels get --backend=kvm-6.9.3@bochs-" \
    "the TAP header names the bzImage's version and the backend key"
expect_file_has "$SCRATCH/logs/one.log" "# L1: Linux 6.9.3-test (bzImage bzImage)" "the entry log names it"
expect_file_has "$SCRATCH/logs/one.log" "# kernel args: --tap --backend=kvm-6.9.3@bochs-2.7" \
    "the kernels get the KVM version from the bzImage"
expect_out "# XPASS: 1 - erratum no longer applies: xpass_fixed: fake: xpass_fixed" \
    "an erratum a KVM version no longer has: XPASS, visible in the closing lines"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/image.log" "kvm modules: none (built in)" \
    "no KIB_MODULES: the image has no modules (KVM built in)"

MODS=$SCRATCH/mods
mkdir -p "$MODS"
printf 'not really a module\n' >"$MODS/kvm.ko"
printf 'not really a module\n' | xz >"$MODS/kvm-intel.ko.xz"
rt "${FAST[@]}" "KIB_KERNEL=$BZ" "KIB_MODULES=$MODS" -- one
expect_rc 0 "KIB_KERNEL + KIB_MODULES: the run passes"
expect_file_has "$SCRATCH/logs/one.log" "(bzImage bzImage, modules mods)" "the entry log names the modules"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/image.log" "kvm modules: $MODS/kvm.ko $MODS/kvm-intel.ko.xz" \
    "the image takes the modules of KIB_MODULES (irqbypass.ko optional)"
# base_key: the base initramfs key of the last run (image.log).
base_key() { sed -n 's/^image: .*base initramfs.*[ (]key \([0-9a-f]*\)).*/\1/p' "$SCRATCH/logs/kvm-in-bochs/image.log" | tail -n1; }
key1=$(base_key)
printf 'rebuilt\n' >"$MODS/kvm.ko"
rt "${FAST[@]}" "KIB_KERNEL=$BZ" "KIB_MODULES=$MODS" -- one
key2=$(base_key)
if [[ -n $key1 && -n $key2 && $key1 != "$key2" ]]; then
    ok "a module rebuilt under the same name: another base initramfs ($key1, $key2)"
else
    not_ok "a module rebuilt under the same name: another base initramfs" "keys: '$key1' '$key2'"
fi

rt "${FAST[@]}" "KIB_KERNEL=$BZ" "KIB_MODULES=$MODS" FAKE_KIB_VERMAGIC=1 -- -t one
expect_rc 1 "a module L1 refuses: the entries fail"
expect_out "not ok 1 - one: not reached: L1: insmod kvm.ko failed (status 1)" "... naming the step"
expect_file_has "$SCRATCH/logs/one.log" "version magic '6.1.0-57-amd64" "... the entry log has L1's dmesg"

# Bad input: exit 2 before Bochs starts, one message.
bad() {
    local what=$1 msg=$2
    shift 2
    rt "${FAST[@]}" "$@" -- one
    expect_rc 2 "$what: configuration error"
    expect_err "$msg" "$what: the message"
    if [[ -e $SCRATCH/logs/kvm-in-bochs/run.log ]] && grep -q 'Bochs .* started' "$SCRATCH/logs/kvm-in-bochs/run.log"; then
        not_ok "$what: Bochs did not start" "$(cat "$SCRATCH/logs/kvm-in-bochs/run.log")"
    else
        ok "$what: Bochs did not start"
    fi
    rm -rf "$SCRATCH/logs"
}
rm -rf "$SCRATCH/logs"
bad "missing KIB_KERNEL" "KIB_KERNEL=$SCRATCH/nosuch: no such file" "KIB_KERNEL=$SCRATCH/nosuch"
bad "KIB_KERNEL not a bzImage" "KIB_KERNEL=$FIX/pass.flat is not a bzImage (no 'HdrS' setup-header magic at offset 0x202)" \
    "KIB_KERNEL=$FIX/pass.flat"
bad "KIB_CMDLINE_EXTRA with a quote" "KIB_CMDLINE_EXTRA: only letters, digits, spaces and _.,=:/+- (kernel parameters)" \
    "KIB_KERNEL=$BZ" 'KIB_CMDLINE_EXTRA=quiet" x'
rt "${FAST[@]}" "KIB_KERNEL=$BZ" "KIB_CMDLINE_EXTRA=printk.time=1 kvm_intel.nested_early_check=1" -- one
expect_file_has "$SCRATCH/logs/kvm-in-bochs/image.log" "image: kernel command line: console=ttyS0,115200 nokaslr mitigations=off panic=-1 tsc_early_khz=100000 kvm.force_emulation_prefix=1 kvm_intel.nested=1 printk.time=1 kvm_intel.nested_early_check=1" \
    "KIB_CMDLINE_EXTRA: on L1's kernel command line"
rm -rf "$SCRATCH/logs"
bzimage "$SCRATCH/nover" ""
printf '\0\0' | dd of="$SCRATCH/nover" bs=1 seek=$((0x20e)) conv=notrunc status=none
bad "bzImage without a version string" "is a bzImage without a kernel version string" "KIB_KERNEL=$SCRATCH/nover"
bad "missing KIB_MODULES" "KIB_MODULES=$SCRATCH/nodir: no such directory" "KIB_KERNEL=$BZ" "KIB_MODULES=$SCRATCH/nodir"
rm "$MODS/kvm-intel.ko.xz"
bad "KIB_MODULES without kvm-intel.ko" "KIB_MODULES=$MODS has no kvm-intel.ko" "KIB_KERNEL=$BZ" "KIB_MODULES=$MODS"

done_testing
