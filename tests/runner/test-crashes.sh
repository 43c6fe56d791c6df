#!/usr/bin/env bash
# Kernels that hang, triple-fault or stop without the EXIT line: FAIL, never PASS.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[hang]
file = @FIX@/hang.flat
timeout = 2
[triple]
file = @FIX@/triple.flat
[noexit]
file = @FIX@/noexit.flat
CFG
rt ACCEL=tcg -- -t
expect_rc 1 "crashes fail the run"
expect_out "not ok 2 - hang: timeout after 2s" "hang: timeout case"
expect_out "not ok 4 - triple: crash (no EXIT line; see logs/triple.log)" "triple fault: crash case"
expect_out "not ok 6 - noexit: crash (no EXIT line; see logs/noexit.log)" "no EXIT line: crash case"
expect_out "# SUMMARY: 3 passed, 3 failed, 0 skipped" "results before the crash still count"
if awk -v e="$ELAPSED" 'BEGIN { exit !(e < 15) }'; then
    ok "timeout enforced (run took ${ELAPSED}s)"
else
    not_ok "timeout enforced" "run took ${ELAPSED}s"
fi

rt ACCEL=tcg
expect_out "FAIL hang (timeout after 2s, 1 test before it)" "human line for the timeout"
expect_out "FAIL triple (crash: no EXIT line; see logs/triple.log)" "human line for the triple fault"
expect_out "FAIL noexit (crash: no EXIT line; see logs/noexit.log)" "human line for no EXIT"
expect_no_out "^PASS" "nothing passes"
expect_file_has "$SCRATCH/logs/hang.log" "timeout after 2s" "hang log records the timeout"

cfg_write <<'CFG'
[hang]
file = @FIX@/hang.flat
CFG
rt ACCEL=tcg TIMEOUT=1
expect_out "FAIL hang (timeout after 1s, 1 test before it)" "TIMEOUT overrides the cfg timeout"

done_testing
