#!/usr/bin/env bash
# KVM coverage (--kvm-coverage, scripts/kvm-coverage.sh) and make kvm-kernel's
# argument checks, without a Linux build or a boot: a stand-in "kernel build"
# (one gcc --coverage object under build/kvm-kernel's layout, a fake bzImage)
# and the Bochs stand-in tests/runner/fakes/bochs-kib.sh, which sends the
# .gcda archive like init.sh's coverage_send. The real path is measured in
# docs/kvm-coverage.md (make check-kvm boots for real).
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

FAKE=$ROOT/tests/runner/fakes/bochs-kib.sh
debs=$ROOT/build/kvm-in-bochs/debs

# fake_build DIR COVERAGE: DIR/info, DIR/bzImage (a bzImage header only) and
# DIR/obj with arch/x86/kvm/vmx/nested.{o,gcno} compiled from src/ with
# --coverage; DIR/gcov.tgz: the .gcda of one run laid out as under L1's
# /sys/kernel/debug/gcov (absolute object path). NESTED_EXTRA: a file of
# more C appended to nested.c. Fails when gcc fails.
fake_build() {
    local dir=$1 cov=$2 src=$1/src obj=$1/obj
    mkdir -p "$src/arch/x86/kvm/vmx" "$obj/arch/x86/kvm/vmx" "$dir/g"
    cat >"$src/arch/x86/kvm/vmx/nested.c" <<'C'
int nested_vmx_run(int x)
{
	if (x > 0)
		return x + 1;
	return 0;
}
int nested_vmx_never(int x)
{
	return x * 2;
}
C
    [[ -z ${NESTED_EXTRA:-} ]] || cat "$NESTED_EXTRA" >>"$src/arch/x86/kvm/vmx/nested.c"
    printf 'int nested_vmx_run(int);\nint main(void) { return nested_vmx_run(1) != 2; }\n' >"$src/main.c"
    (cd "$obj" && gcc -O0 --coverage -c "$src/arch/x86/kvm/vmx/nested.c" -o arch/x86/kvm/vmx/nested.o &&
        gcc --coverage -o "$dir/run" arch/x86/kvm/vmx/nested.o "$src/main.c") || return 1
    "$dir/run" || return 1
    mkdir -p "$dir/g$obj/arch/x86/kvm/vmx"
    mv "$obj/arch/x86/kvm/vmx/nested.gcda" "$dir/g$obj/arch/x86/kvm/vmx/"
    tar -C "$dir/g" -czf "$dir/gcov.tgz" .
    # A second archive whose last member is 30 KB of noise (a cut stream loses it).
    head -c 30000 /dev/urandom >"$dir/g$obj/zz_last.gcda"
    tar -C "$dir/g" --sort=name -czf "$dir/gcov-cut.tgz" .
    printf 'LINUX_SRC=%s\nsource=%s\ncoverage=%s\nobj=%s\n' "$src" "$src" "$cov" "$obj" >"$dir/info"
    # A bzImage header: "HdrS" at 0x202, the boot protocol version (0x206),
    # the version string pointer (0x20e) + 0x200.
    head -c 2048 /dev/zero >"$dir/bzImage"
    printf 'HdrS' | dd of="$dir/bzImage" bs=1 seek=$((0x202)) conv=notrunc 2>/dev/null
    printf '\x0f\x02' | dd of="$dir/bzImage" bs=1 seek=$((0x206)) conv=notrunc 2>/dev/null # boot protocol 2.15
    printf '\x00\x01' | dd of="$dir/bzImage" bs=1 seek=$((0x20e)) conv=notrunc 2>/dev/null
    printf '6.12.0-fake (runner test) #1' | dd of="$dir/bzImage" bs=1 seek=$((0x300)) conv=notrunc 2>/dev/null
}

K=$SCRATCH/kk/cov
fake_build "$K" 1 || { not_ok "stand-in kernel build (gcc --coverage)"; done_testing; exit 0; }
fake_build "$SCRATCH/kk/plain" 0 || true

# ---- option and configuration errors (no boot) ----------------------------
cfg_write <<'CFG'
[first]
file = @FIX@/pass.flat
CFG
rt -- --kvm-coverage
expect_rc 2 "--kvm-coverage without a directory"
expect_err "option --kvm-coverage needs a directory" "the error says so"
rt ACCEL=bochs -- --kvm-coverage "$SCRATCH/kc"
expect_rc 2 "--kvm-coverage on another backend"
expect_err "needs ACCEL=kvm-in-bochs" "the error names the backend"
rt ACCEL=kvm-in-bochs -- --kvm-coverage "$SCRATCH/kc"
expect_rc 2 "--kvm-coverage without KIB_KERNEL"
expect_err "needs KIB_KERNEL=build/kvm-kernel/<key>/bzImage" "the error names KIB_KERNEL"
rt ACCEL=kvm-in-bochs "KIB_KERNEL=$SCRATCH/kk/cov/src/main.c" -- --kvm-coverage "$SCRATCH/kc"
expect_rc 2 "--kvm-coverage with a kernel outside a kvm-kernel build"
expect_err "is not in a make kvm-kernel build directory" "the error says where the kernel must come from"
rt ACCEL=kvm-in-bochs "KIB_KERNEL=$SCRATCH/kk/plain/bzImage" -- --kvm-coverage "$SCRATCH/kc"
expect_rc 2 "--kvm-coverage with a kernel built without coverage"
expect_err "was built without coverage (make kvm-kernel KVM_COVERAGE=1)" "the error names the build flag"
printf 'a file\n' >"$SCRATCH/kcfile"
rt ACCEL=kvm-in-bochs "KIB_KERNEL=$K/bzImage" -- --kvm-coverage "$SCRATCH/kcfile"
expect_rc 2 "--kvm-coverage DIR that is a file"
expect_err "--kvm-coverage $SCRATCH/kcfile: exists and is not a directory" "the error names it"
expect_file_has "$SCRATCH/kcfile" "a file" "the file is left alone"
if [[ ! -e $SCRATCH/logs ]]; then
    ok "a bad --kvm-coverage DIR is refused before the log directory is made"
else
    not_ok "a bad --kvm-coverage DIR is refused before the log directory is made" "$(ls "$SCRATCH/logs")"
fi
if [[ ! -e $SCRATCH/kc ]]; then
    ok "nothing written on a configuration error"
else
    not_ok "nothing written on a configuration error" "$(ls -R "$SCRATCH/kc")"
fi

# ---- scripts/kvm-coverage.sh by hand ----------------------------------------
kc() {
    RC=0
    OUT=$("$ROOT/scripts/kvm-coverage.sh" "$@" 2>"$SCRATCH/.err") || RC=$?
    ERR=$(cat "$SCRATCH/.err")
}
kc -o "$SCRATCH/r1" "$K/gcov.tgz"
expect_rc 2 "kvm-coverage.sh without -k"
kc -k "$SCRATCH/kk/plain" -o "$SCRATCH/r1" "$K/gcov.tgz"
expect_rc 2 "kvm-coverage.sh on a build without coverage"
kc -k "$K" -o "$SCRATCH/r1" "$SCRATCH/nosuch.tgz"
expect_rc 2 "kvm-coverage.sh: a missing archive"
expect_err "archive $SCRATCH/nosuch.tgz not found" "the error names it"
printf 'not a tarball\n' >"$SCRATCH/bad.tgz"
kc -k "$K" -o "$SCRATCH/r1" "$SCRATCH/bad.tgz"
expect_rc 1 "kvm-coverage.sh: no usable archive"
expect_err "bad.tgz: not a readable .tar.gz" "the bad archive is named"
kc -k "$K" -o "$SCRATCH/r1" "$K/gcov.tgz"
expect_rc 0 "kvm-coverage.sh: one archive"
expect_file_has "$SCRATCH/r1/summary.txt" "vmx/nested.c                                 50.0 % (3/6)           50.0 % (1/2)         50.0 % (1/2)" \
    "summary: nested.c as run (lines 1-3, 5 of nested_vmx_run; not its return 0 nor nested_vmx_never)"
expect_file_has "$SCRATCH/r1/summary.txt" "  2	7-9	nested_vmx_never" "uncovered regions: the function never called, largest first"
expect_file_has "$SCRATCH/r1/summary.txt" "  1	5-5	nested_vmx_run" "uncovered regions: the branch not taken"
if [[ -s $SCRATCH/r1/index.html ]]; then ok "HTML report written"; else not_ok "HTML report written"; fi
expect_file_has "$SCRATCH/r1/kvm.info" "DA:3,1" "the tracefile counts the run"
kc -k "$K" -o "$SCRATCH/r2" -a "$SCRATCH/r1/kvm.info" "$K/gcov.tgz"
expect_rc 0 "kvm-coverage.sh: an archive plus a shard's tracefile"
expect_file_has "$SCRATCH/r2/kvm.info" "DA:3,2" "shards add up (the line ran once in each)"

# 4000 functions never called: the uncovered-region list is longer than a
# pipe buffer (64 KiB), so a stage that stops reading early (head) kills
# sort with SIGPIPE, and under pipefail the summary stopped halfway.
for i in $(seq 4000); do printf 'int nested_vmx_unused_%d(int x)\n{\n\treturn x * %d;\n}\n' "$i" "$i"; done >"$SCRATCH/extra.c"
if NESTED_EXTRA=$SCRATCH/extra.c fake_build "$SCRATCH/kk/many" 1; then
    kc -k "$SCRATCH/kk/many" -o "$SCRATCH/r3" "$SCRATCH/kk/many/gcov.tgz"
    expect_rc 0 "kvm-coverage.sh: an uncovered-region list longer than a pipe buffer"
    expect_file_has "$SCRATCH/r3/summary.txt" "largest uncovered regions of mmu/paging_tmpl.h" \
        "the summary goes on after the long list"
    n=$(sed -n '/^largest uncovered regions of vmx\/nested.c/,/^$/p' "$SCRATCH/r3/summary.txt" | grep -c '^  [0-9]' || true)
    if ((n == 10)); then ok "the long list is cut to ten"; else not_ok "the long list is cut to ten" "$n lines"; fi
else
    not_ok "stand-in kernel build with 4000 functions (gcc --coverage)"
fi

# ---- make kvm-kernel: bad LINUX_SRC / KVM_COVERAGE (refused before building) --
kk() {
    RC=0
    OUT=$(env KVM_KERNEL_BUILD="$SCRATCH/kkb" "$@" "$ROOT/scripts/kvm-in-bochs/kernel-build.sh" 2>"$SCRATCH/.err") || RC=$?
    ERR=$(cat "$SCRATCH/.err")
}
kk LINUX_SRC=
expect_rc 2 "kvm-kernel without LINUX_SRC"
expect_err "LINUX_SRC is not set" "the error says what to set"
kk LINUX_SRC="$SCRATCH/nosuch"
expect_rc 2 "kvm-kernel: LINUX_SRC does not exist"
expect_err "LINUX_SRC=$SCRATCH/nosuch: no such file or directory" "the error names it"
kk LINUX_SRC="$K/src"
expect_rc 2 "kvm-kernel: LINUX_SRC is not a Linux tree"
expect_err "is not a Linux source tree" "the error says so"
kk LINUX_SRC="$K/info"
expect_rc 2 "kvm-kernel: a file that is not a source tarball"
expect_err "is neither a directory nor a .tar" "the error says what is expected"
tar -C "$K" -cJf "$SCRATCH/linux-bogus.tar.xz" src
kk LINUX_SRC="$SCRATCH/linux-bogus.tar.xz"
expect_rc 2 "kvm-kernel: a tarball without a Linux tree"
expect_err "does not hold one Linux source tree" "the error says so"
if [[ -z $(ls -A "$SCRATCH/kkb/src" 2>/dev/null) ]]; then
    ok "nothing left of the failed extraction"
else
    not_ok "nothing left of the failed extraction" "$(ls -A "$SCRATCH/kkb/src")"
fi
kk LINUX_SRC="$K/src" KVM_COVERAGE=yes
expect_rc 2 "kvm-kernel: KVM_COVERAGE not 0 or 1"
expect_err "KVM_COVERAGE=yes: expected 0 or 1" "the error names the value"

# ---- --kvm-coverage through the backend (Bochs stand-in) --------------------
if ! bochs_ok || ! command -v xorriso >/dev/null ||
    ! compgen -G "$debs/busybox-static_*.deb" >/dev/null; then
    ok "# SKIP kvm-in-bochs packages not fetched (scripts/install-deps.sh) or Bochs unusable"
    done_testing
    exit 0
fi
FAST=(ACCEL=kvm-in-bochs "BOCHS_BIN=$FAKE" KIB_HANG_S=30 KIB_POLL_S=0.2 "KIB_KERNEL=$K/bzImage")
rt "${FAST[@]}" "FAKE_KIB_GCOV=$K/gcov.tgz" -- --kvm-coverage "$SCRATCH/kc"
expect_rc 0 "--kvm-coverage: the run passes and the report is written"
expect_err "nested.c lines 50.0 % (3/6); report $SCRATCH/kc/index.html" "the run prints the nested.c figure"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/run.log" "KVM coverage logs/kvm-in-bochs/corei7_skylake_x-boot1.kvm-gcov.tgz" \
    "run.log names the archive L1 sent"
expect_file_has "$SCRATCH/logs/first.log" "# L1: Linux 6.12.0-fake" "the entry log names the built kernel"
rt "${FAST[@]}" "FAKE_KIB_GCOV=$K/gcov-cut.tgz" FAKE_KIB_GCOV_CUT=2000 -- --kvm-coverage "$SCRATCH/kc3"
expect_rc 0 "--kvm-coverage: a stream cut short still gives a report"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/run.log" "cut short, kept the 1 complete files" "run.log: the complete files are kept"
expect_err "nested.c lines 50.0 % (3/6)" "the report counts the complete file"
# -j2: two L1 instances, each sends its own archive; the report adds them up.
# Twice: a cold boot saving a snapshot of the coverage kernel, then restored.
cfg_write <<'CFG'
[first]
file = @FIX@/pass.flat
[second]
file = @FIX@/pass.flat
CFG
for how in cold restored; do
    rt "${FAST[@]}" "FAKE_KIB_GCOV=$K/gcov.tgz" KIB_VNCCLICK=/bin/true "KIB_SNAP_DIR=$SCRATCH/snap" \
        -- -j2 --kvm-coverage "$SCRATCH/kcj-$how"
    expect_rc 0 "-j2 --kvm-coverage ($how): the run passes"
    n=$(find "$SCRATCH/logs/kvm-in-bochs" -name '*-i[12]-boot1.kvm-gcov.tgz' | wc -l)
    expect_eq "$n" 2 "-j2 --kvm-coverage ($how): each instance sent its archive"
    expect_file_has "$SCRATCH/kcj-$how/kvm.info" "DA:3,2" "-j2 --kvm-coverage ($how): the instances add up"
done
expect_file_has "$SCRATCH/logs/kvm-in-bochs/run.log" "Bochs $FAKE restoring" "the second -j2 run restored the snapshot"
cfg_write <<'CFG'
[first]
file = @FIX@/pass.flat
CFG
rt "${FAST[@]}" -- --kvm-coverage "$SCRATCH/kc2"
expect_rc 1 "--kvm-coverage: L1 without gcov fails the run"
expect_err "L1 sent no coverage data" "the error says so"
expect_file_has "$SCRATCH/logs/kvm-in-bochs/run.log" "no KVM coverage from L1 (coverage-none" "run.log says why"
done_testing
