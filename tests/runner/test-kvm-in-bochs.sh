#!/usr/bin/env bash
# kvm-in-bochs backend, fast: the real image build (cached packages) with a
# stand-in for Bochs (tests/runner/fakes/bochs-kib.sh) that plays L1 in
# seconds: result pipeline, watchdog on an L1 hang, reboot after it, "not
# reached", image reuse, bad entry names, a missing kernel package. The real
# boot is tests/runner/test-kvm-in-bochs-boot.sh (make check-kvm).
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

FAKE=$ROOT/tests/runner/fakes/bochs-kib.sh
debs=$ROOT/build/kvm-in-bochs/debs
if ! bochs_ok || ! command -v xorriso >/dev/null ||
    ! compgen -G "$debs/linux-image-*.deb" >/dev/null || ! compgen -G "$debs/busybox-static_*.deb" >/dev/null; then
    ok "# SKIP kvm-in-bochs packages not fetched (scripts/install-deps.sh) or Bochs unusable"
    done_testing
    exit 0
fi
FAST=(ACCEL=kvm-in-bochs "BOCHS_BIN=$FAKE" KIB_HANG_S=3 KIB_POLL_S=0.2)

cfg_write <<'CFG'
[first]
file = @FIX@/pass.flat
requires = vmx
[hang_l1]
file = @FIX@/pass.flat
[after]
file = @FIX@/pass.flat
[slow_entry]
file = @FIX@/pass.flat
timeout = 7
[nokernel]
file = @FIX@/nosuch.flat
CFG

rt "${FAST[@]}" -- -v -l
expect_out "first	kvm-in-bochs cpu=corei7_skylake_x" "-v -l names the backend"

rt "${FAST[@]}" -- -t --junit "$SCRATCH/j.xml"
expect_rc 1 "a hang fails the run"
expect_out "ok 1 - first: fake: first" "entry before the hang passes"
expect_out "not ok 3 - hang_l1: timeout after 90s" "L1 hang: watchdog makes it a timeout"
expect_out "ok 4 - after: fake: after" "the entry after the hang runs (second boot)"
expect_out "not ok 6 - slow_entry: timeout after 7s" "in-L1 timeout (status 137) is a timeout"
expect_out "not ok 7 - nokernel: kernel" "missing kernel file: error for that entry"
expect_out "# SUMMARY: 4 passed, 3 failed, 0 skipped" "summary counts every entry"
expect_last_line "1..7" "the plan ends the TAP stream"
expect_file_has "$SCRATCH/logs/first.log" "# kvm_intel: nested=Y ept=Y" "entry log has the kvm_intel parameters"
expect_file_has "$SCRATCH/logs/first.log" "# kernel args: --tap --backend=kvm-6.1." \
    "kernels get --backend=kvm-<KVM version>@bochs-<version>"
expect_file_has "$SCRATCH/logs/first.log" "@bochs-2.7" "... with the Bochs version"
expect_file_has "$SCRATCH/logs/first.log" "# L1: Linux 6.1.0-" "the entry log names L1's kernel"
expect_file_has "$SCRATCH/logs/first.log" "(Debian linux-image-6.1.0-" "... and where it came from"
expect_out "# kvm-in-bochs: L1 Linux 6.1.0-" "the TAP header comment names L1's kernel"
expect_file_has "$SCRATCH/logs/hang_l1.log" "watchdog: L1 stopped" "hang log names the watchdog"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/run.log" "corei7_skylake_x-boot2: Bochs" "a second boot ran the rest"
expect_file_has "$SCRATCH/j.xml" '<testcase classname="after" name="fake: after"/>' "JUnit has the entries"
if grep -q 'image: base initramfs' "$SCRATCH/logs/kvm-in-bochs/image.log"; then
    ok "image build visible in the log"
else
    not_ok "image build visible in the log" "$(cat "$SCRATCH/logs/kvm-in-bochs/image.log")"
fi

rt "${FAST[@]}" KIB_MAX_BOOTS=1
expect_rc 1 "no reboot allowed"
expect_out "FAIL after (not reached: watchdog: L1 stopped" "entry after the hang: not reached"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/image.log" "image: base initramfs reused" "second run reuses the initramfs"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/image.log" "image: ISO reused" "second run reuses the ISO"

cfg_write <<'CFG'
[qemufail]
file = @FIX@/pass.flat
[second]
file = @FIX@/pass.flat
CFG
rt "${FAST[@]}"
expect_rc 1 "QEMU failing in L1 fails the run"
expect_out "FAIL qemufail (crash: QEMU in L1 exited with status 127: qemu-system-x86_64: error while loading shared libraries" "QEMU's failure is named"
expect_out "PASS second" "the next entry runs"

rt "${FAST[@]}" FAKE_KIB_NO_KVM=1
expect_rc 1 "kvm_intel not loading fails the run"
expect_out "FAIL qemufail (not reached: L1: kvm_intel did not load" "the entries name the cause"
expect_file_has "$SCRATCH/logs/second.log" "kvm: no hardware support for 'kvm_intel'" "entry logs show L1's dmesg lines"

rt "${FAST[@]}" FAKE_KIB_NO_INIT=1 KIB_BOOT_MAX_S=2
expect_rc 1 "L1 that never reaches init fails the run"
expect_out "FAIL second (not reached: watchdog: L1 init not reached after 2 s" "boot watchdog: entries not reached"
if awk -v e="$ELAPSED" 'BEGIN { exit !(e < 30) }'; then
    ok "boot watchdog stops Bochs (${ELAPSED}s)"
else
    not_ok "boot watchdog stops Bochs" "run took ${ELAPSED}s"
fi

rt "${FAST[@]}" -- second nosuch_entry
expect_rc 2 "unknown entry name"
expect_err "unknown test 'nosuch_entry'" "the error names it"

rt "${FAST[@]}" KIB_CACHE="$SCRATCH/cache" KIB_LINUX_PKG=linux-image-0.0.0-nosuch-amd64 -- second
expect_rc 2 "unknown kernel package: configuration error"
expect_err "unknown Debian package 'linux-image-0.0.0-nosuch-amd64'" "the error names the package"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/image.log" "unknown Debian package 'linux-image-0.0.0-nosuch-amd64'" "image log kept"
rt "${FAST[@]}" KIB_CACHE="$SCRATCH/cache" 'KIB_LINUX_PKG=linux-image-0.0*' -- second
expect_rc 2 "a package glob that matches nothing: configuration error"
expect_err "KIB_LINUX_PKG='linux-image-0.0*' matches no kernel package" "the error names the glob"

# Debian 12's 6.12 through its meta-package (when its package is fetched:
# 107 MB, not downloaded by this test).
p612=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-6\.12[^ ]*-amd64\)$/\1/p' | head -n1)
if [[ -n $p612 ]] && compgen -G "$debs/${p612}_*.deb" >/dev/null; then
    rt "${FAST[@]}" KIB_LINUX_PKG=linux-image-6.12-amd64 -- -t second
    expect_rc 0 "KIB_LINUX_PKG=linux-image-6.12-amd64: the run passes"
    expect_out "# kvm-in-bochs: L1 Linux ${p612#linux-image-} (Debian $p612 " "... on the kernel that meta-package depends on"
    expect_out "kernels get --backend=kvm-6.12." "... keyed as KVM 6.12"
    expect_file_has "$SCRATCH/logs/kvm-in-bochs/image.log" "kvm/kvm-intel.ko.xz" "... with its .ko.xz modules"
else
    ok "# SKIP Debian's 6.12 kernel package not fetched (apt-get download into $debs)"
fi

rt ACCEL=kvm-in-bochs BOCHS_BIN=/nonexistent/bochs -- second
expect_rc 2 "no Bochs: configuration error"
expect_err "ACCEL=kvm-in-bochs: kvm-in-bochs needs Bochs" "the error says what is missing"

done_testing
