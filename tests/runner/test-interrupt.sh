#!/usr/bin/env bash
# Issue 10 item 3: SIGTERM / Ctrl-C mid-run keeps what the running entries
# captured (serial output, Bochs' log), marks them interrupted, and leaves no
# temporary files (the run's directory, grub-mkrescue's grub.*) behind.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
[hang]
file = @FIX@/hang.flat
timeout = 60
CFG
mkdir -p "$SCRATCH/tmp"

# interrupt SIGNAL WAIT_FOR_FILE TEXT [ENV...]: starts a run, sends SIGNAL
# once WAIT_FOR_FILE holds TEXT, waits for the run to end; sets RC.
interrupt() {
    local sig=$1 file=$2 text=$3 pid
    shift 3
    rm -rf "$SCRATCH/logs" "$SCRATCH/logs.old"
    (cd "$SCRATCH" && exec env NVMX_CFG="$SCRATCH/unittests.cfg" TMPDIR="$SCRATCH/tmp" "$@" \
        "$ROOT/run_tests.sh" >"$SCRATCH/.out" 2>"$SCRATCH/.err") &
    pid=$!
    for _ in $(seq 300); do
        grep -qF -- "$text" "$file" 2>/dev/null && break
        sleep 0.1
    done
    kill "-$sig" "$pid"
    RC=0
    wait "$pid" || RC=$?
    OUT=$(cat "$SCRATCH/.out")
    ERR=$(cat "$SCRATCH/.err")
}

# tmp_left: what the run left in its TMPDIR.
tmp_left() { (cd "$SCRATCH/tmp" && find . -mindepth 1 | head -5); }

# QEMU: the hang fixture printed one result before it hangs; wait for it in
# the run's serial file (below TMPDIR).
interrupt TERM "$SCRATCH/.out" "PASS pass" ACCEL=tcg
expect_rc 143 "SIGTERM: exit 143"
expect_out "PASS pass" "the finished entry was reported"
expect_file_has "$SCRATCH/logs/pass.log" "ok 2 - fixture: second" "the finished entry's log is whole"
expect_file_has "$SCRATCH/logs/hang.log" "# nvmx-tests run_tests.sh: entry hang" "the running entry's log has its header"
expect_file_has "$SCRATCH/logs/hang.log" "==== serial output (COM1) ====" "and the serial output section"
expect_file_has "$SCRATCH/logs/hang.log" "(interrupted)" "marked interrupted"
expect_err "interrupted; kept the partial logs of the running entries: logs/hang.log" "stderr names the kept log"
expect_eq "$(tmp_left)" "" "no temporary files left in TMPDIR"

# The serial output captured before the signal is kept: wait until QEMU
# wrote the line, then interrupt.
serial_of_run() { find "$SCRATCH/tmp" -name '*.serial' -size +0 2>/dev/null | head -n1; }
(cd "$SCRATCH" && exec env NVMX_CFG="$SCRATCH/unittests.cfg" TMPDIR="$SCRATCH/tmp" ACCEL=tcg \
    "$ROOT/run_tests.sh" hang >/dev/null 2>&1) &
pid=$!
for _ in $(seq 300); do
    s=$(serial_of_run)
    [[ -n $s ]] && grep -q 'before the hang' "$s" && break
    sleep 0.1
done
kill -INT "$pid"
RC=0
wait "$pid" || RC=$?
expect_rc 130 "SIGINT: exit 130"
expect_file_has "$SCRATCH/logs/hang.log" "ok 1 - fixture: before the hang" "the partial serial output is kept"
expect_eq "$(tmp_left)" "" "no temporary files left after SIGINT"

if bochs_ok; then
    # Bochs: interrupted while grub-mkrescue builds the ISO, then while Bochs runs.
    interrupt TERM "$SCRATCH/logs/hang.log" "entry hang" ACCEL=bochs
    expect_rc 143 "Bochs, SIGTERM early: exit 143"
    expect_eq "$(tmp_left)" "" "Bochs, SIGTERM early: no grub.* or ISO left in TMPDIR"
    (cd "$SCRATCH" && exec env NVMX_CFG="$SCRATCH/unittests.cfg" TMPDIR="$SCRATCH/tmp" ACCEL=bochs \
        "$ROOT/run_tests.sh" hang >/dev/null 2>&1) &
    pid=$!
    for _ in $(seq 300); do
        s=$(serial_of_run)
        [[ -n $s ]] && grep -q 'before the hang' "$s" && break
        sleep 0.1
    done
    kill -TERM "$pid"
    wait "$pid"
    expect_file_has "$SCRATCH/logs/hang.log" "ok 1 - fixture: before the hang" "Bochs: the partial serial output is kept"
    expect_file_has "$SCRATCH/logs/hang.bochs.log" "Bochs" "Bochs: its own log is kept"
    expect_eq "$(tmp_left)" "" "Bochs: no temporary files left"
else
    ok "# SKIP Bochs backend not usable here"
fi

# Item 8: SIGTERM at random moments never gives a trap parse error (bash 5.2
# runs a trap in the middle of parsing a command substitution).
cfg_write <<'CFG'
[p1]
file = @FIX@/pass.flat
[p2]
file = @FIX@/pass.flat
[h1]
file = @FIX@/hang.flat
[p3]
file = @FIX@/pass.flat
CFG
bad=""
for n in $(seq 16); do
    (cd "$SCRATCH" && exec env NVMX_CFG="$SCRATCH/unittests.cfg" TMPDIR="$SCRATCH/tmp" ACCEL=tcg \
        "$ROOT/run_tests.sh" -j2 >/dev/null 2>"$SCRATCH/.err") &
    pid=$!
    sleep "0.$((RANDOM % 6 + 1))"
    kill -TERM "$pid"
    RC=0
    wait "$pid" || RC=$?
    if ((RC != 143)) || grep -q 'unexpected EOF' "$SCRATCH/.err"; then
        bad+="run $n: exit $RC: $(cat "$SCRATCH/.err") "
    fi
done
expect_eq "$bad" "" "16 SIGTERMs at random moments: exit 143, no trap parse error"
expect_eq "$(tmp_left)" "" "and no temporary files left"

done_testing
