#!/usr/bin/env bash
# Symbolized backtraces (scripts/stacks.sh): the "STACK:" line that selftest's
# 'recovery' case prints gets function names and file:line in its log.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

if [[ ! -r $ROOT/x86/selftest.elf ]] || ! command -v addr2line >/dev/null; then
    ok "symbolized stacks # SKIP needs x86/selftest.elf (make) and addr2line (binutils)"
    done_testing
    exit 0
fi

printf '[st]\nfile = %s/x86/selftest.flat\ntest_args = recovery\n' "$ROOT" | cfg_write
rt ACCEL=tcg -- st
expect_rc 0 "selftest recovery passes"
log=$SCRATCH/logs/st.log
expect_file_has "$log" "# STACK: 0x" "log has the STACK line"
if grep -A1 '^# STACK: 0x' "$log" | grep -qE '^# #0 0x[0-9a-f]+ .*test_recovery\(\) at x86/selftest\.cc:[0-9]+$'; then
    ok "frame #0 right after the STACK line: test_recovery at x86/selftest.cc:N"
else
    not_ok "frame #0 right after the STACK line" "$(grep -A6 STACK "$log")"
fi
expect_file_has "$log" "run_test_cases(Span<TestCase const>, int, char**) at lib/testcase.cc:" \
    "return addresses resolve to the calling line (demangled)"
rt ACCEL=tcg -- -t st
expect_out "# st: #0 0x" "frames are TAP comments in -t output"

# stacks_symbolize on a human-mode log (no "# "), twice on one line, no STACK.
addr=$(grep -oE '^# STACK: 0x[0-9a-f]+' "$log" | head -n1)
addr=${addr#"# STACK: "}
printf 'x\nSTACK: %s\ny\n' "$addr" >"$SCRATCH/h.log"
(
    # shellcheck source=scripts/stacks.sh
    source "$ROOT/scripts/stacks.sh"
    NVMX_ROOT=$ROOT stacks_symbolize "$SCRATCH/h.log" "$ROOT/x86/selftest.elf"
    printf 'no stack here\n' >"$SCRATCH/n.log"
    stacks_symbolize "$SCRATCH/n.log" "$ROOT/x86/selftest.elf"
    stacks_symbolize "$SCRATCH/n.log" "$SCRATCH/missing.elf"
)
expect_eq "$(sed -n 3p "$SCRATCH/h.log" | cut -c1-8)" "    #0 0" "human mode: indented frame after the STACK line"
expect_eq "$(tail -n1 "$SCRATCH/h.log")" "y" "the rest of the log stays"
expect_eq "$(cat "$SCRATCH/n.log")" "no stack here" "a log without STACK lines is untouched"

done_testing
