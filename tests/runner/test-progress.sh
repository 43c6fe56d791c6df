#!/usr/bin/env bash
# Live progress: a terminal gets one updating line ("[n/N] entry Ts"), erased
# before each final line; a pipe or file gets exactly the plain lines.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
[fail]
file = @FIX@/fail.flat
[hang]
file = @FIX@/hang.flat
timeout = 2
CFG
rt ACCEL=tcg -- -j2
plain=$OUT
expect_rc 1 "plain run"
expect_eq "$plain" "PASS pass (2 tests)
FAIL fail (2 tests, 1 failed)
FAIL hang (timeout after 2s, 1 test before it)
SUMMARY: 4 passed, 2 failed, 0 skipped" "not a terminal: the plain lines, nothing else"
if grep -q $'[\r\033]' <<<"$plain$ERR"; then
    not_ok "no carriage return or escape sequence without a terminal"
else
    ok "no carriage return or escape sequence without a terminal"
fi
rt ACCEL=tcg NVMX_PROGRESS=0 -- -j2
expect_eq "$OUT" "$plain" "NVMX_PROGRESS=0 gives the same output"

if ! command -v script >/dev/null; then
    ok "terminal progress # SKIP script (util-linux) not installed"
    done_testing
    exit 0
fi
# Under script(1) stdout is a pseudo-terminal.
tty_out=$SCRATCH/tty.out
(cd "$SCRATCH" && env NVMX_CFG="$SCRATCH/unittests.cfg" ACCEL=tcg \
    script -qec "$(printf '%q ' "$ROOT/run_tests.sh" -j2)" /dev/null >"$tty_out" 2>&1) || true
raw=$(cat "$tty_out")
if grep -qE $'\r\033\\[K\\[[123]/3\\] (pass|fail|hang)( \\([0-9] running\\))? [0-9]+s' <<<"$raw"; then
    ok "terminal: progress line '[n/3] entry Ns'"
else
    not_ok "terminal: progress line" "$(od -c "$tty_out" | head -20)"
fi
if grep -qE $'\\[3/3\\] hang [12]s' <<<"$raw"; then
    ok "terminal: elapsed seconds advance while the entry runs"
else
    not_ok "terminal: elapsed seconds advance" "$(od -c "$tty_out" | head -20)"
fi
# Erase each progress line; what is left must be the plain output.
cleaned=$(perl -pe 's/\r\e\[K\[\d+\/\d+\][^\r\n]*//g; s/\r\e\[K//g; s/\r$//' "$tty_out")
expect_eq "$cleaned" "$plain" "terminal: final lines equal the plain output"
rt ACCEL=tcg -- -t pass
if grep -q $'\033' <<<"$OUT"; then not_ok "-t: no progress"; else ok "-t: no progress"; fi
# Issue 10 item 8: forced progress goes to stderr, the TAP on stdout stays TAP.
rt ACCEL=tcg NVMX_PROGRESS=1 -- -t hang
if grep -q $'[\r\033]' <<<"$OUT"; then
    not_ok "NVMX_PROGRESS=1 -t: no escape codes in the TAP on stdout"
else
    ok "NVMX_PROGRESS=1 -t: no escape codes in the TAP on stdout"
fi
if grep -q $'\033\\[K\\[1/1\\] hang' <<<"$ERR"; then
    ok "NVMX_PROGRESS=1: the progress line is on stderr"
else
    not_ok "NVMX_PROGRESS=1: the progress line is on stderr" "$(od -c <<<"$ERR" | head)"
fi

done_testing
