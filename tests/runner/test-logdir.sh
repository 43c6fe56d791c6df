#!/usr/bin/env bash
# Issue 10 items 1, 2, 7: the log directory. Only a directory the runner made
# is rotated or deleted; two runs of one directory don't mix; everything the
# run writes is checked before anything moves.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
CFG

# Item 1: NVMX_LOGDIR naming a directory of other files, twice.
mkdir -p "$SCRATCH/docs"
echo "precious" >"$SCRATCH/docs/notes.md"
rt ACCEL=tcg NVMX_LOGDIR=docs
expect_rc 2 "NVMX_LOGDIR=docs (not made by the runner) is refused"
expect_err "log directory docs was not made by run_tests.sh" "the error names the directory"
rt ACCEL=tcg NVMX_LOGDIR=docs
expect_file_has "$SCRATCH/docs/notes.md" "precious" "docs/notes.md survives two runs"
if [[ ! -e $SCRATCH/docs.old ]]; then ok "docs was not rotated"; else not_ok "docs was not rotated"; fi
mkdir -p "$SCRATCH/mine.old"
echo "precious" >"$SCRATCH/mine.old/keep.md"
rt ACCEL=tcg NVMX_LOGDIR=mine
rt ACCEL=tcg NVMX_LOGDIR=mine
expect_rc 2 "a foreign <dir>.old is refused too"
expect_file_has "$SCRATCH/mine.old/keep.md" "precious" "mine.old/keep.md survives"

# The runner's own directories rotate as before.
rm -rf "$SCRATCH/logs" "$SCRATCH/logs.old"
rt ACCEL=tcg
rt ACCEL=tcg
expect_rc 0 "second run in the runner's own logs/"
if [[ -e $SCRATCH/logs.old/pass.log && -e $SCRATCH/logs/pass.log && -e $SCRATCH/logs/.nvmx-logdir ]]; then
    ok "logs/ rotated to logs.old/, marker in logs/"
else
    not_ok "logs/ rotated to logs.old/, marker in logs/" "$(ls -la "$SCRATCH"/logs*)"
fi
# logs/ of an older run_tests.sh (only *.log files, no marker) still rotates.
rm -rf "$SCRATCH/logs.old" "$SCRATCH/logs/.nvmx-logdir"
rt ACCEL=tcg
expect_rc 0 "logs/ without marker but only *.log files (older runner) rotates"

# Item 2: two runs of the same log directory at once.
cfg_write <<'CFG'
[slow]
file = @FIX@/hang.flat
timeout = 3
[pass]
file = @FIX@/pass.flat
CFG
(cd "$SCRATCH" && NVMX_CFG="$SCRATCH/unittests.cfg" ACCEL=tcg exec "$ROOT/run_tests.sh" -t \
    >"$SCRATCH/first.out" 2>"$SCRATCH/first.err") &
first=$!
for _ in $(seq 50); do
    [[ -s $SCRATCH/logs/slow.log ]] && break
    sleep 0.1
done
rt ACCEL=tcg -- -t pass
wait "$first"
expect_rc 0 "second run while the first is running"
expect_err "log directory logs is in use by another run (pid $first" "the second run says it waits, naming the first"
expect_file_has "$SCRATCH/first.out" "not ok 2 - slow: timeout after 3s" "first run: its own result"
expect_file_has "$SCRATCH/first.out" "ok 4 - pass: fixture: second" "first run: all its entries"
if [[ -s $SCRATCH/first.err ]]; then
    not_ok "first run: nothing on stderr" "$(cat "$SCRATCH/first.err")"
else
    ok "first run: nothing on stderr (no 'cannot read logs/...')"
fi
expect_file_has "$SCRATCH/logs.old/slow.log" "timeout after 3s" "the first run's log is whole in logs.old/"
(cd "$SCRATCH" && NVMX_CFG="$SCRATCH/unittests.cfg" ACCEL=tcg exec "$ROOT/run_tests.sh" slow \
    >/dev/null 2>&1) &
first=$!
for _ in $(seq 50); do
    [[ -s $SCRATCH/logs/slow.log ]] && break
    sleep 0.1
done
rt ACCEL=tcg NVMX_LOCK_WAIT=0 -- pass
wait "$first"
expect_rc 2 "NVMX_LOCK_WAIT=0: a second run fails instead of waiting"
expect_err "is in use by another run (pid $first" "and names the other run"

# prove -j2 --exec './run_tests.sh -t' (the kvm-unit-tests way).
cfg_write <<'CFG'
[a]
file = @FIX@/pass.flat
[b]
file = @FIX@/pass.flat
[c]
file = @FIX@/pass.flat
CFG
if (cd "$SCRATCH" && NVMX_CFG="$SCRATCH/unittests.cfg" ACCEL=tcg \
    prove -j2 --exec "$ROOT/run_tests.sh -t" a b c >"$SCRATCH/prove.out" 2>&1); then
    ok "prove -j2 --exec './run_tests.sh -t' a b c passes"
else
    not_ok "prove -j2 --exec './run_tests.sh -t' a b c passes" "$(cat "$SCRATCH/prove.out")"
fi

# Item 7: check what the run writes before running or rotating anything.
cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
CFG
rt ACCEL=tcg
before=$(cat "$SCRATCH/logs/pass.log")
rt ACCEL=tcg -- --junit "$SCRATCH/no/such/dir/r.xml"
expect_rc 2 "--junit into a directory that does not exist"
expect_err "--junit $SCRATCH/no/such/dir/r.xml: directory $SCRATCH/no/such/dir does not exist" \
    "the error names the directory"
expect_no_out "PASS" "nothing ran"
expect_eq "$(cat "$SCRATCH/logs/pass.log")" "$before" "--junit error: logs/ not rotated"
rt ACCEL=tcg TMPDIR=/nonexistent/tmp
expect_rc 2 "unwritable TMPDIR"
expect_err "cannot create a temporary directory in /nonexistent/tmp" "the error names TMPDIR"
expect_eq "$(cat "$SCRATCH/logs/pass.log")" "$before" "TMPDIR error: logs/ not rotated"
: >"$SCRATCH/afile"
rt ACCEL=tcg NVMX_LOGDIR=afile/logs
expect_rc 2 "NVMX_LOGDIR below a regular file"
expect_err "cannot create afile for the log directory afile/logs" "the error names it"
if ((EUID == 0)); then
    ok "read-only logs/ # SKIP root can write a read-only directory"
else
    chmod a-w "$SCRATCH/logs"
    rt ACCEL=tcg
    chmod u+w "$SCRATCH/logs"
    expect_rc 2 "read-only logs/"
    expect_err "log directory logs is not writable" "the error names logs/"
    expect_eq "$(cat "$SCRATCH/logs/pass.log")" "$before" "read-only logs/: nothing rotated"
fi

done_testing
