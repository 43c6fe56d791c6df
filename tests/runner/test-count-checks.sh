#!/usr/bin/env bash
# scripts/count-checks.sh (issue 15, "Count honestly"): result lines, outcomes,
# probes (names without their last ": aspect") and CPL3 twins per entry of a
# TAP stream; bad input is a clear error with exit status 2.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

COUNT=$ROOT/scripts/count-checks.sh
cat >"$SCRATCH/run.tap" <<'END_TAP'
TAP version 13
ok 1 - alpha: c1: R read: EPT violation
ok 2 - alpha: c1: R read: exit qualification
not ok 3 - alpha: c1: R write: EPT violation # TODO errata: something
ok 4 - alpha: c1: R write: guest-physical address
ok 5 - alpha: c2: bit 7 # SKIP no 1 GiB leaves
ok 6 - beta: leaf: PTE R: supervisor fetch: EPT violation
ok 7 - beta: leaf: PTE R: user fetch: EPT violation
ok 8 - beta: leaf: PTE R: user fetch: guest-linear address
not ok 9 - beta: leaf: PTE X: supervisor read: EPT violation
# SUMMARY: not a result line
1..9
END_TAP
OUT=$("$COUNT" "$SCRATCH/run.tap" 2>&1) RC=$?
expect_rc 0 "a TAP file is counted"
read_row() { awk -v e="$1" '$1 == e { $1 = ""; sub(/^ /, ""); print }' <<<"$OUT"; }
# lines pass xfail skip fail probes user merged
expect_eq "$(read_row alpha)" "5 3 1 1 0 3 0 3" \
    "alpha: 5 lines, 1 XFAIL, 1 SKIP; 3 probes (R read, R write, c2)"
expect_eq "$(read_row beta)" "4 3 0 0 1 3 1 2" \
    "beta: a user fetch is a CPL3 probe; merged with its supervisor twin: 2"
expect_eq "$(read_row total)" "9 6 1 1 1 6 1 5" "totals"
OUT=$("$COUNT" <"$SCRATCH/run.tap" 2>&1) RC=$?
expect_eq "$(read_row total)" "9 6 1 1 1 6 1 5" "stdin is read when no FILE is given"
ERR=$("$COUNT" "$SCRATCH/missing.tap" 2>&1 >/dev/null) RC=$?
expect_rc 2 "a missing file"
expect_err "cannot read '$SCRATCH/missing.tap'" "the error names the file"
done_testing
