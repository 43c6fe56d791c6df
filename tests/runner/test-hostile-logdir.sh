#!/usr/bin/env bash
# Issue 16 items 1, 2, 4, 6, 16, 17 (-logs): the log directory and the disk
# under hostile settings. Nothing the runner did not create is written; no
# check fails after something moved; a full disk is an error naming it.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
CFG

# listing PATH: the names below PATH with their sizes (to compare).
listing() { (cd "$1" && find . -path ./.out -prune -o -path ./.err -prune -o -printf '%p %s %l\n' | sort); }

# Item 1: a file next to NVMX_LOGDIR is never written.
echo 'GEM' >"$SCRATCH/Gemfile"
echo 'precious gem lock' >"$SCRATCH/Gemfile.lock"
echo 'precious cargo lock' >"$SCRATCH/Cargo.lock"
rt ACCEL=tcg NVMX_LOGDIR=Gemfile -- selftest
rt ACCEL=tcg NVMX_LOGDIR=Gemfile
expect_rc 2 "item 1: NVMX_LOGDIR=Gemfile (a file) is refused"
expect_file_has "$SCRATCH/Gemfile.lock" "precious gem lock" "item 1: Gemfile.lock is not overwritten"
rt ACCEL=tcg NVMX_LOGDIR=Cargo
expect_rc 0 "item 1: NVMX_LOGDIR=Cargo runs"
expect_eq "$(cat "$SCRATCH/Cargo.lock")" "precious cargo lock" "item 1: Cargo.lock is not overwritten"
mkdir -p "$SCRATCH/docs"
echo "precious" >"$SCRATCH/docs/notes.md"
before=$(listing "$SCRATCH")
rt ACCEL=tcg NVMX_LOGDIR=docs
rt ACCEL=tcg "NVMX_LOGDIR=$SCRATCH/docs"
rt ACCEL=tcg NVMX_LOGDIR=Gemfile
expect_rc 2 "item 1: refused runs"
expect_eq "$(listing "$SCRATCH")" "$before" "item 1: refused runs leave no file (no docs.lock, -logs.lock)"

# Item 2: trailing slash.
rm -rf "$SCRATCH/mylogs" "$SCRATCH/mylogs.old"
rt ACCEL=tcg NVMX_LOGDIR=mylogs/
expect_rc 0 "item 2: NVMX_LOGDIR=mylogs/ with no directory yet"
rt ACCEL=tcg NVMX_LOGDIR=mylogs/
expect_rc 0 "item 2: NVMX_LOGDIR=mylogs/ again (rotates)"
if [[ -e $SCRATCH/mylogs.old/pass.log && -e $SCRATCH/mylogs/pass.log && ! -e $SCRATCH/mylogs/mylogs ]]; then
    ok "item 2: mylogs/ rotated to mylogs.old/"
else
    not_ok "item 2: mylogs/ rotated to mylogs.old/" "$(ls -laR "$SCRATCH"/mylogs*)"
fi
mkdir -p "$SCRATCH/empty"
rt ACCEL=tcg NVMX_LOGDIR=empty/
rt ACCEL=tcg NVMX_LOGDIR=empty
expect_rc 0 "item 2: an existing empty directory is used, and again"
(cd "$SCRATCH" && NVMX_CFG="$SCRATCH/unittests.cfg" ACCEL=tcg NVMX_LOGDIR=mylogs/ \
    exec "$ROOT/run_tests.sh" -- -l >/dev/null 2>&1)
(cd "$SCRATCH" && flock -n mylogs/.nvmx-lock true) || true
(
    cd "$SCRATCH" && exec {fd}>>mylogs/.nvmx-lock && flock "$fd" &&
        NVMX_CFG="$SCRATCH/unittests.cfg" ACCEL=tcg NVMX_LOGDIR=mylogs NVMX_LOCK_WAIT=0 \
            "$ROOT/run_tests.sh" >/dev/null 2>"$SCRATCH/lock.err"
) && true
expect_file_has "$SCRATCH/lock.err" "log directory mylogs is in use" "item 2: mylogs and mylogs/ share one lock"

# Item 17: NVMX_LOGDIR starting with '-'.
rt ACCEL=tcg NVMX_LOGDIR=-logs
expect_rc 0 "item 17: NVMX_LOGDIR=-logs runs"
expect_file_has "$SCRATCH/-logs/pass.log" "fixture: first" "item 17: -logs/pass.log written"

# Item 16: a symlinked log directory keeps its target.
mkdir -p "$SCRATCH/target"
ln -s target "$SCRATCH/linked"
rt ACCEL=tcg NVMX_LOGDIR=linked
rt ACCEL=tcg NVMX_LOGDIR=linked
expect_rc 0 "item 16: symlinked log directory, two runs"
if [[ -L $SCRATCH/linked && -e $SCRATCH/target/pass.log && -e $SCRATCH/linked.old/pass.log ]]; then
    ok "item 16: the symlink stays, logs reach its target, the old ones rotate"
else
    not_ok "item 16: the symlink stays, logs reach its target" "$(ls -laR "$SCRATCH"/linked* "$SCRATCH/target")"
fi

# in_ns SCRIPT: runs bash SCRIPT in a private mount namespace (tmpfs mounts
# vanish with it); 1 when this machine can't.
in_ns() { unshare -m bash -c "$@"; }
# shellcheck disable=SC2016 # $0 expands in the namespace's shell
if ! in_ns 'mount -t tmpfs -o size=64k tmpfs "$0"' "$SCRATCH" 2>/dev/null; then
    ok "# SKIP no private mount namespace here (unshare -m): items 4, 16 (mount point)"
    done_testing
    exit 0
fi
run_env() {
    printf 'cd %q && env -u CI_NODE_INDEX -u CI_NODE_TOTAL NVMX_CFG=%q ACCEL=tcg' "$SCRATCH" "$SCRATCH/unittests.cfg"
}

# Item 16: a mount point as log directory (rotates its contents).
mkdir -p "$SCRATCH/mnt"
in_ns "mount -t tmpfs -o size=4m tmpfs $SCRATCH/mnt && $(run_env) NVMX_LOGDIR=mnt \
    $ROOT/run_tests.sh >$SCRATCH/m1.out 2>&1 && $(run_env) NVMX_LOGDIR=mnt $ROOT/run_tests.sh \
    >$SCRATCH/m2.out 2>&1; echo \$? >$SCRATCH/m.rc; ls -A mnt mnt.old >$SCRATCH/m.ls 2>&1"
expect_eq "$(cat "$SCRATCH/m.rc")" 0 "item 16: a mount point as log directory, two runs"
expect_file_has "$SCRATCH/m.ls" "pass.log" "item 16: logs in the mount point and in mnt.old"

# Item 4: a full TMPDIR is an error naming it.
mkdir -p "$SCRATCH/fulltmp"
in_ns "mount -t tmpfs -o size=64k tmpfs $SCRATCH/fulltmp && dd if=/dev/zero of=$SCRATCH/fulltmp/fill bs=4k 2>/dev/null;
    $(run_env) TMPDIR=$SCRATCH/fulltmp $ROOT/run_tests.sh >$SCRATCH/t.out 2>$SCRATCH/t.err; echo \$? >$SCRATCH/t.rc"
expect_eq "$(cat "$SCRATCH/t.rc")" 2 "item 4: full TMPDIR: exit 2"
expect_file_has "$SCRATCH/t.err" "cannot write in the temporary directory $SCRATCH/fulltmp (filesystem full?" \
    "item 4: the error names TMPDIR and the disk"
if grep -q 'unbound variable' "$SCRATCH/t.err"; then not_ok "item 4: no 'unbound variable'"; else ok "item 4: no 'unbound variable'"; fi

# Item 4: stacks_symbolize on a full disk leaves the log whole.
mkdir -p "$SCRATCH/fulllog"
elf=$ROOT/x86/selftest.elf; [[ -r $elf ]] || elf=""
if [[ -z $elf ]]; then
    ok "# SKIP item 4 (symbolize): no kernel .elf built"
else
    in_ns "mount -t tmpfs -o size=64k tmpfs $SCRATCH/fulllog &&
        printf '# STACK: 0x400000 0x400010\nEXIT: STATUS=0\n' >$SCRATCH/fulllog/e.log &&
        dd if=/dev/zero of=$SCRATCH/fulllog/fill bs=4k 2>/dev/null;
        source $ROOT/scripts/common.sh; source $ROOT/scripts/stacks.sh;
        stacks_symbolize $SCRATCH/fulllog/e.log $elf 2>$SCRATCH/s.err; echo \$? >$SCRATCH/s.rc;
        cp $SCRATCH/fulllog/e.log $SCRATCH/s.log"
    expect_file_has "$SCRATCH/s.log" "EXIT: STATUS=0" "item 4: a failed rewrite keeps the log"
    expect_file_has "$SCRATCH/s.err" "cannot symbolize the STACK lines of $SCRATCH/fulllog/e.log: writing" "item 4: and says the disk is full"
fi

done_testing
