#!/usr/bin/env bash
# Issue 10 items 5, 6: the kernel's own error and the backend's errors reach
# the result line; a kernel file that is no multiboot image fails at once.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

# Item 5: in TAP mode the kernel prints "# ERROR: ..." (a TAP comment).
cfg_write <<'CFG'
[a]
file = @FIX@/badsel_tap.flat
CFG
rt ACCEL=tcg
expect_rc 1 "a kernel rejecting its selection fails"
expect_out "FAIL a (ERROR: unknown test case 'nosuch')" "the kernel's TAP-comment ERROR is on the result line"
if [[ -r $ROOT/x86/selftest.flat ]]; then
    cfg_write <<CFG
[a]
file = $ROOT/x86/selftest.flat
test_args = nosuchcase
CFG
    rt ACCEL=tcg
    expect_out "FAIL a (ERROR: unknown test case 'nosuchcase')" "a real kernel: test_args = nosuchcase"
else
    ok "# SKIP x86/selftest.flat not built"
fi

# Item 6: kernels that are no multiboot image fail at once, with the reason.
head -c 20000 /dev/urandom >"$SCRATCH/random.flat"
: >"$SCRATCH/empty.flat"
cp "$FIX/pass.flat" "$SCRATCH/badsum.flat"
# Break the checksum of the fixture's header (third word after the magic).
perl -0777 -i -pe 's/\x02\xb0\xad\x1b(.{4})(.{4})/"\x02\xb0\xad\x1b$1" . pack("V", unpack("V", $2) + 1)/se' \
    "$SCRATCH/badsum.flat"
check_broken() {
    local accel=$1
    cfg_write <<CFG
[random]
file = random.flat
timeout = 60
[empty]
file = empty.flat
timeout = 60
[badsum]
file = badsum.flat
timeout = 60
CFG
    rt ACCEL="$accel"
    expect_rc 1 "$accel: broken kernels fail"
    expect_out "FAIL random (kernel random.flat is not a multiboot image (no 0x1BADB002 header with a valid checksum in its first 8 KiB))" \
        "$accel: random bytes: not a multiboot image"
    expect_out "FAIL empty (kernel empty.flat is empty)" "$accel: zero bytes: empty"
    expect_out "FAIL badsum (kernel badsum.flat is not a multiboot image" "$accel: bad checksum: not a multiboot image"
    if awk -v e="$ELAPSED" 'BEGIN { exit !(e < 10) }'; then
        ok "$accel: failed at once (${ELAPSED}s, timeout 60s)"
    else
        not_ok "$accel: failed at once" "took ${ELAPSED}s"
    fi
}
check_broken tcg

# An unknown QEMU option: QEMU's own error is on the result line.
cfg_write <<'CFG'
[badopt]
file = @FIX@/pass.flat
extra_params = -no-such-option
CFG
rt ACCEL=tcg
expect_rc 1 "unknown QEMU option fails"
expect_out "FAIL badopt (crash: qemu: -no-such-option: invalid option" "QEMU's error is on the result line"

# BOCHS_CPU: checked against the models this Bochs knows; no bochsrc injection.
cfg_write <<'CFG'
[vmx]
file = @FIX@/pass.flat
requires = vmx
CFG
if bochs_ok; then
    rt BOCHS_CPU=$'corei7_skylake_x\nips: 1'
    expect_rc 2 "BOCHS_CPU with a newline is refused"
    expect_err "has characters outside [A-Za-z0-9_]" "names the problem"
    check_broken bochs
    rt ACCEL=bochs BOCHS_CPU=nosuch
    expect_rc 2 "BOCHS_CPU=nosuch is refused before anything runs"
    expect_err "BOCHS_CPU: CPU model 'nosuch' is not one of the" "names the model"
    expect_err "corei7_skylake_x" "lists the known models"
    cfg_write <<'CFG'
[vmx]
file = @FIX@/pass.flat
requires = vmx
bochs_cpu = nosuch_model
CFG
    rt ACCEL=bochs
    expect_out "SKIP vmx (bochs_cpu: CPU model 'nosuch_model' is not one of the" \
        "an entry's unknown bochs_cpu: SKIP naming it"
    # Bochs' own error (here: a broken VGA BIOS image) reaches the result line.
    printf x >"$SCRATCH/tiny.bin"
    cfg_write <<'CFG'
[vmx]
file = @FIX@/pass.flat
requires = vmx
timeout = 60
CFG
    rt ACCEL=bochs BOCHS_VGABIOS="$SCRATCH/tiny.bin"
    expect_out "FAIL vmx (crash: bochs: ROM: ROM image size must be multiple of 512" \
        "Bochs' panic is on the result line"
else
    ok "# SKIP Bochs backend not usable here"
fi

done_testing
