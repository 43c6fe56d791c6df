#!/usr/bin/env bash
# -t: one TAP13 stream for the whole run that Perl's TAP::Parser accepts.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
[fail]
file = @FIX@/fail.flat
[xfail]
file = @FIX@/xfail.flat
[triple]
file = @FIX@/triple.flat
[badsel]
file = @FIX@/badsel.flat
[vmx]
file = @FIX@/pass.flat
requires = vmx
CFG
rt ACCEL=tcg -- -t
expect_rc 1 "-t run with failures"
expect_eq "$(head -n1 <<<"$OUT")" "TAP version 13" "starts with TAP version 13"
expect_out "# pass: backend qemu-tcg" "backend comment per entry"
expect_out "ok 2 - pass: fixture: second \\# with hash" "case lines prefixed, escapes kept"
expect_out "  expected: 0x10" "YAML diagnostics passed through"
expect_out "not ok 6 - xfail: fixture: deviates # TODO errata" "TODO directive kept"
expect_out "ok 11 - vmx # SKIP requires vmx" "skipped entry is one SKIP line"
expect_out "# XFAIL: 1 known deviation" "XFAIL as a comment"
expect_out "# SUMMARY: 5 passed, 3 failed, 2 skipped" "SUMMARY as a comment"
expect_last_line "1..11" "the plan covers every case and ends the stream"
bad=$(grep -vE '^(TAP version 13|(not )?ok [0-9]+ - .*|#.*|  .*|1\.\.[0-9]+)$' <<<"$OUT")
expect_eq "$bad" "" "-t: every stdout line is TAP (issue 10: no SUMMARY/XFAIL outside comments)"

parsed=$(perl -MTAP::Parser -e '
    local $/; my $tap = <STDIN>;
    my $p = TAP::Parser->new({ tap => $tap });
    1 while $p->next;
    my @e = $p->parse_errors;
    printf "errors=%d run=%d passed=%d failed=%d todo=%d skipped=%d plan=%s version=%d\n",
        scalar(@e), $p->tests_run, scalar($p->passed), scalar($p->failed),
        scalar($p->todo), scalar($p->skipped), $p->plan, $p->version;
    print "error: $_\n" for @e;
' <<<"$OUT")
if [[ $parsed == "errors=0 run=11 passed=8 failed=3 todo=1 skipped=2 plan=1..11 version=13" ]]; then
    ok "TAP::Parser: no parse errors, counts agree ($parsed)"
else
    not_ok "TAP::Parser: no parse errors, counts agree" "$parsed"
fi

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
CFG
rt ACCEL=tcg -- -t
expect_rc 0 "-t passing run"
if prove -e cat - <<<"$OUT" >/dev/null 2>&1 || prove --exec cat "$SCRATCH/.out" >/dev/null 2>&1; then
    ok "prove accepts the -t stream"
else
    not_ok "prove accepts the -t stream"
fi

done_testing
