#!/usr/bin/env bash
# Bochs builds other than Debian's 2.7: version detection (--backend=bochs-X),
# a bochsrc fitted to the build's features (debugger, sound, speaker, nogui or
# rfb), CPU models filtered by the build's list. Fake builds
# (tests/runner/fixtures/fake-bochs) stand in for the versions not installed.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

FAKE_DIR=$SCRATCH/fake
mkdir -p "$FAKE_DIR"
CALLS=$SCRATCH/calls
MODELS="bx_generic corei7_skylake_x tigerlake"

# fake NAME VERSION FEATURES [MODELS]: writes $FAKE_DIR/NAME, a Bochs build.
fake() {
    printf '#!/bin/sh\nFAKE_BOCHS_VERSION=%q FAKE_BOCHS_FEATURES=%q FAKE_BOCHS_MODELS=%q \\\n' \
        "$2" "$3" "${4:-$MODELS}" >"$FAKE_DIR/$1"
    printf '  FAKE_BOCHS_CALLS=%q exec %q "$@"\n' "$CALLS" "$ROOT/tests/runner/fixtures/fake-bochs" \
        >>"$FAKE_DIR/$1"
    chmod +x "$FAKE_DIR/$1"
}
fake v28 2.8 "debugger sound speaker rfb" "$MODELS sapphire_rapids"
fake nodebug 3.0.devel "nogui sound speaker"
fake nosound 3.0 "debugger nogui"
fake nodisplay 3.0 "debugger sound speaker"
fake noversion "" "debugger nogui sound speaker"

# Removes the probe caches of the fake builds (keyed by their path).
cleanup_probe_cache() {
    local f
    for f in "$ROOT"/build/runner/bochs-probe-*.cache; do
        [[ -r $f ]] && grep -qF "$FAKE_DIR/" "$f" && rm -f "$f"
    done
    return 0
}

# rtb FAKE ARGS...: run_tests.sh on the fake build FAKE, BIOS files faked too.
rtb() {
    local bin=$FAKE_DIR/$1
    shift
    rt ACCEL=bochs BOCHS_BIN="$bin" BOCHS_BIOS="$bin" BOCHS_VGABIOS="$bin" -- "$@"
}

cfg_write <<'CFG'
[one]
file = @FIX@/pass.flat
[two]
file = @FIX@/pass.flat
[three]
file = @FIX@/pass.flat
[spr]
file = @FIX@/pass.flat
bochs_cpu = sapphire_rapids
[fixed]
file = @FIX@/pass.flat
test_args = xpass
CFG

grub_ok=1
for t in grub-mkrescue xorriso mformat; do
    command -v "$t" >/dev/null || grub_ok=0
done
[[ -e /usr/lib/grub/i386-pc/multiboot.mod ]] || grub_ok=0

if ((grub_ok)); then
    : >"$CALLS"
    rtb v28 -v -j2 one two three spr
    expect_rc 0 "Bochs 2.8 (fake): every entry passes"
    expect_out "  backend bochs-2.8 cpu=corei7_skylake_x" "backend label names the version"
    expect_out "  backend bochs-2.8 cpu=sapphire_rapids" "a model only 2.8 lists runs on 2.8"
    expect_file_has "$SCRATCH/logs/one.log" "# kernel args: --tap --backend=bochs-2.8" \
        "--backend=bochs-2.8 on the kernel command line"
    expect_file_has "$SCRATCH/logs/one.log" "'--backend=bochs-2.8'" "the kernel got it through GRUB"
    expect_file_has "$SCRATCH/logs/one.log" "# bochs: Bochs 2.8 (" "the log names the version"
    expect_file_has "$SCRATCH/logs/one.log" "debugger sound speaker display=rfb" \
        "the log names the probed features"
    expect_eq "$(grep -c -- '--help$' "$CALLS")" 1 "the version is probed once for 4 entries"
    : >"$CALLS"
    rtb v28 one
    expect_eq "$(grep -c -- '--help' "$CALLS")" 0 "the next run reads the cached probe"
    expect_eq "$(grep -c -- '-rc cmds' "$CALLS")" 1 "a build with the debugger gets -rc cmds"

    : >"$CALLS"
    rtb nodebug -v one
    expect_rc 0 "build without the debugger: runs"
    expect_eq "$(grep -c -- '-rc' "$CALLS")" 0 "... without -rc (it would be rejected)"
    expect_out "  backend bochs-3.0.devel cpu=" "a development version is named as printed"

    rtb v28 one fixed
    expect_rc 0 "an erratum that no longer applies is not a failure"
    expect_out "PASS fixed (2 tests, 1 xpass)" "the entry line counts the xpass"
    expect_out "XPASS: 1 - erratum no longer applies: fixed: fake: fixed" "the closing lines name it"
    rtb v28 -t one fixed
    expect_out "# XPASS: 1 - erratum no longer applies: fixed: fake: fixed" "... also in TAP mode, as a comment"

    rtb nosound -v one
    expect_rc 0 "build without sound and speaker: the bochsrc has neither line"
    expect_file_has "$SCRATCH/logs/one.log" "no-sound no-speaker display=nogui" "the log says so"

    rtb noversion -v one
    expect_rc 0 "a banner without a version: runs"
    expect_out "  backend bochs cpu=corei7_skylake_x" "... as plain 'bochs'"
    expect_file_has "$SCRATCH/logs/one.log" "'--tap' '--backend=bochs'" \
        "... and the kernel gets --backend=bochs"

    rtb nodebug -v spr one
    expect_rc 0 "a cfg bochs_cpu the build lacks"
    expect_out "SKIP spr (bochs_cpu: CPU model 'sapphire_rapids' is not one of the 3 models" \
        "... is a SKIP naming the model"
    expect_out "PASS one" "... and the other entries run"
else
    ok "# SKIP runs on fake builds: grub-mkrescue, xorriso, mtools or grub-pc-bin missing"
fi

rtb nodisplay one
expect_rc 2 "build without nogui and rfb: ACCEL=bochs is an error"
expect_err "has neither the 'nogui' nor the 'rfb' display library" "... naming the missing feature"

rt ACCEL=bochs BOCHS_BIN="$FAKE_DIR/nodebug" BOCHS_BIOS="$FAKE_DIR/nodebug" \
    BOCHS_VGABIOS="$FAKE_DIR/nodebug" BOCHS_CPU=sapphire_rapids -- one
expect_rc 2 "BOCHS_CPU the build does not list"
expect_err "BOCHS_CPU: CPU model 'sapphire_rapids' is not one of the 3 models of Bochs 3.0.devel" \
    "... is an error naming model and version"
expect_err "those with VMX and EPT: corei7_skylake_x tigerlake" "... listing the usable models"

rt ACCEL=bochs BOCHS_BIN="$FAKE_DIR/nodebug" BOCHS_BIOS="$FAKE_DIR/nodebug" \
    BOCHS_VGABIOS="$FAKE_DIR/nodebug" BOCHS_CPU=$'tigerlake\nmagic_break: enabled=1' -- one
expect_rc 2 "BOCHS_CPU with a newline"
expect_err "has characters outside [A-Za-z0-9_]" "... is refused before it reaches a bochsrc"

# The installed Bochs dressed up as 2.8: entry.urg-cs-rpl (fixed in 2.8) is no
# longer a known deviation there, so Bochs 2.7's behaviour now fails the case.
if bochs_ok && [[ -r $ROOT/x86/ept_features.flat ]]; then
    real=$(command -v bochs-bin)
    # shellcheck disable=SC2016 # $1, $@ belong to the wrapper
    printf '#!/bin/sh\n[ "$1" = --help ] && [ -z "$2" ] && { %q --help 2>&1 | %s; exit 0; }\nexec %q "$@"\n' \
        "$real" "sed 's/Emulator [0-9.]*/Emulator 2.8/'" "$real" >"$FAKE_DIR/as28"
    chmod +x "$FAKE_DIR/as28"
    printf '[urg]\nfile = %s/x86/ept_features.flat\nrequires = vmx\ntest_args = unrestricted_guest\n' \
        "$ROOT" | cfg_write
    rt ACCEL=bochs -- -v urg
    expect_out "XFAIL: urg: unrestricted_guest: real mode with CS selector RPL 1" "Bochs 2.7: the CS.RPL case is a known deviation"
    rt ACCEL=bochs BOCHS_BIN="$FAKE_DIR/as28" -- -v urg
    expect_out "  FAIL: urg: unrestricted_guest: real mode with CS selector RPL 1" "as Bochs 2.8 it is no longer one (fixed in 2.8)"
else
    ok "# SKIP erratum keyed on the version: Bochs or x86/ept_features.flat missing"
fi

cleanup_probe_cache
done_testing
