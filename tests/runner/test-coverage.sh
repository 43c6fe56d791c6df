#!/usr/bin/env bash
# Guest coverage (./configure --enable-coverage, run_tests.sh --coverage DIR,
# scripts/coverage.sh): builds selftest in coverage mode in a copy of the tree
# (~10 s), runs two entries of it on QEMU TCG and checks the report, the sum
# over entries, TAP validity, a moved tree and an incomplete stream.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

skip_all() {
    ok "guest coverage # SKIP $1"
    done_testing
    exit 0
}
for tool in lcov genhtml gcov-tool qemu-system-x86_64 perl; do
    command -v "$tool" >/dev/null || skip_all "needs $tool"
done
perl -MTAP::Parser -e1 2>/dev/null || skip_all "needs TAP::Parser (perl)"

# A copy of the sources (no build outputs), built in coverage mode.
TREE=$SCRATCH/tree
mkdir -p "$TREE"
tar -C "$ROOT" --exclude=./build --exclude='./logs*' --exclude=./tests/standalone \
    --exclude='*.o' --exclude='*.d' --exclude='*.elf' --exclude='*.flat' -cf - \
    configure Makefile run_tests.sh lib x86 scripts tools tests | tar -C "$TREE" -xf -
if (cd "$TREE" && ./configure --enable-coverage &&
    make -j"${PROVE_JOBS:-2}" x86/selftest.flat host-tools) >"$SCRATCH/build.log" 2>&1; then
    ok "coverage build of selftest"
else
    not_ok "coverage build of selftest" "$(tail -20 "$SCRATCH/build.log")"
    done_testing
    exit 0
fi
ROOT=$TREE # rt runs the copy's run_tests.sh

printf '[fmt]\nfile = %s/x86/selftest.flat\ntest_args = format*\n\n[glob]\nfile = %s/x86/selftest.flat\ntest_args = glob*\n' \
    "$TREE" "$TREE" | cfg_write
rt ACCEL=tcg -- --coverage cov fmt glob
expect_rc 0 "two entries with --coverage pass"
expect_err "coverage.sh: 2 of 2 logs;" "coverage.sh used both logs"
expect_file_has "$SCRATCH/logs/fmt.log" "# GCOV-END: " "the log holds a complete coverage stream"
expect_file_has "$SCRATCH/cov/index.html" "nvmx-tests guest coverage" "cov/index.html written"
info=$SCRATCH/cov/coverage.info
expect_file_has "$info" "FNDA:2,kernel_entry" "counters add up over entries (kernel_entry ran twice)"
expect_file_has "$info" "SF:$TREE/lib/x86/vmx/ept.cc" "objects no entry ran are listed (baseline)"
hit=$(awk -v f="SF:$TREE/lib/glob.cc" '$0 == f { on = 1 } on && /^LH:/ { print substr($0, 4); exit }' "$info")
if ((${hit:-0} > 0)); then ok "lib/glob.cc lines hit: $hit"; else not_ok "lib/glob.cc lines hit" "LH: '${hit:-}'"; fi
if grep -q '^BRDA:' "$info"; then ok "branch data present"; else not_ok "branch data present"; fi

rt ACCEL=tcg -- -t --coverage cov2 fmt glob
expect_rc 0 "-t --coverage passes"
expect_no_out "GCOV" "the coverage stream stays out of the TAP output"
errors=$(perl -MTAP::Parser -e 'local $/; my $p = TAP::Parser->new({tap => <STDIN>});
    1 while $p->next; print scalar($p->parse_errors), " ", $p->tests_run' <<<"$OUT")
expect_eq "${errors% *}" 0 "TAP::Parser: no parse errors (${errors#* } tests)"
raw=$(sed -n '/^==== serial output (COM1) ====$/,/^==== end of serial output ====$/p' \
    "$SCRATCH/logs/fmt.log" | sed '1d;$d' | tr -d '\r')
errors=$(perl -MTAP::Parser -e 'local $/; my $p = TAP::Parser->new({tap => <STDIN>});
    1 while $p->next; print scalar($p->parse_errors)' <<<"$raw")
expect_eq "$errors" 0 "the kernel's own TAP with the stream parses"

# The tree moved after the run: .gcda paths are relocated to the new place.
mv "$TREE" "$SCRATCH/moved"
RC=0
"$SCRATCH/moved/scripts/coverage.sh" -q -o "$SCRATCH/cov3" "$SCRATCH/logs/fmt.log" \
    >/dev/null 2>"$SCRATCH/.err" || RC=$?
ERR=$(cat "$SCRATCH/.err")
expect_rc 0 "coverage.sh in a moved tree"
expect_file_has "$SCRATCH/cov3/coverage.info" "FNDA:1,kernel_entry" "moved tree: counters found"

# An incomplete stream (no GCOV-END) is skipped with a warning.
grep -v '^# GCOV-END' "$SCRATCH/logs/fmt.log" >"$SCRATCH/cut.log"
RC=0
"$SCRATCH/moved/scripts/coverage.sh" -q -o "$SCRATCH/cov4" "$SCRATCH/cut.log" "$SCRATCH/logs/glob.log" \
    >/dev/null 2>"$SCRATCH/.err" || RC=$?
ERR=$(cat "$SCRATCH/.err")
expect_rc 0 "incomplete stream: the report is still written"
expect_err "cut.log: no complete coverage stream" "incomplete stream: warned"
expect_file_has "$SCRATCH/cov4/coverage.info" "FNDA:1,kernel_entry" "incomplete stream: not counted"

# --coverage without a coverage build is a configuration error.
ROOT=$SCRATCH/moved
sed -i 's/^COVERAGE := yes$/COVERAGE := no/' "$ROOT/config.mak"
rt ACCEL=tcg -- --coverage cov5 fmt
expect_rc 2 "--coverage needs a coverage build"
expect_err "--coverage needs a coverage build" "says how to get one"

done_testing
