#!/usr/bin/env bash
# Issue 10, kvm-unit-tests habits: long options, qemu_params, accel lists,
# -g running a group's nodefault entries, SKIP lines for nodefault entries in
# default runs, -l names only, one test case by ENTRY:CASE or `-- CASE`.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[alpha]
file = @FIX@/pass.flat
groups = g1
[beta]
file = @FIX@/pass.flat
groups = g2
[manual]
file = @FIX@/pass.flat
groups = g1 nodefault
CFG

# Long options.
rt ACCEL=tcg -- --help
expect_rc 0 "--help"
expect_out "--parallel N" "--help prints the usage with long options"
rt ACCEL=tcg -- --list
expect_eq "$OUT" "alpha
beta" "--list: the names, one a line"
rt ACCEL=tcg -- --list --all
expect_eq "$OUT" "alpha
beta
manual" "--all adds nodefault entries"
rt ACCEL=tcg -- --list --group g2
expect_eq "$OUT" "beta" "--group G"
rt ACCEL=tcg -- --list --group=g2
expect_eq "$OUT" "beta" "--group=G"
rt ACCEL=tcg -- --list --verbose
expect_out "alpha	qemu-tcg" "--list --verbose: the backend column"
rt ACCEL=tcg -- --tap13 --parallel 2 alpha beta
expect_rc 0 "--tap13 --parallel 2"
expect_eq "$(head -n1 <<<"$OUT")" "TAP version 13" "--tap13 prints TAP"
expect_last_line "1..4" "--tap13: the plan last"
rt ACCEL=tcg -- --parallel=0
expect_rc 2 "--parallel=0 rejected"
rt ACCEL=tcg -- --group
expect_rc 2 "--group without a value"

# -g GROUP runs the group's nodefault entries (as kvm-unit-tests does).
rt ACCEL=tcg -- -l -g g1
expect_eq "$OUT" "alpha
manual" "-g g1 includes its nodefault entry"
# A default run lists nodefault entries as SKIP.
rt ACCEL=tcg
expect_rc 0 "default run"
expect_out "SKIP manual (group nodefault: runs only by name, with -a or with -g GROUP)" \
    "default run: a SKIP line for the nodefault entry"
expect_last_line "SUMMARY: 4 passed, 0 failed, 1 skipped" "counted as one skip"
rt ACCEL=tcg -- alpha
expect_no_out "manual" "a run naming entries has no SKIP line for nodefault ones"

# -l is usable in for t in $(./run_tests.sh -l).
rt ACCEL=tcg -- -l
n=0
for t in $OUT; do
    [[ $t == alpha || $t == beta ]] && n=$((n + 1))
done
expect_eq "$n" "2" "for t in \$(./run_tests.sh -l) gives the names"

# qemu_params beside extra_params; accel lists.
cfg_write <<'CFG'
[qp]
file = @FIX@/pass.flat
qemu_params = -append 'from_qemu_params'
[either]
file = @FIX@/pass.flat
accel = kvm,tcg
CFG
rt ACCEL=tcg -- -t qp
expect_out "# qp: cmdline: $FIX/pass.flat --tap --backend=qemu-tcg from_qemu_params" "qemu_params -append reaches the kernel"
rt ACCEL=tcg -- -v -l either
expect_out "either	qemu-tcg" "accel = kvm,tcg: ACCEL=tcg runs it on TCG"
rt ACCEL=bochs BOCHS_BIN=/bin/true -- -v -l either
if [[ $OUT == *"SKIP (entry runs with accel=kvm,tcg only, ACCEL=bochs)"* || $RC == 2 ]]; then
    ok "accel = kvm,tcg: ACCEL=bochs does not run it"
else
    not_ok "accel = kvm,tcg: ACCEL=bochs does not run it"
fi
rt -- -v -l either
if [[ $OUT == "either	qemu-kvm" || $OUT == "either	qemu-tcg" ]]; then
    ok "accel = kvm,tcg: the automatic choice stays in the list ($OUT)"
else
    not_ok "accel = kvm,tcg: the automatic choice stays in the list"
fi

# One test case: ENTRY:CASE or TEST -- CASE...
cfg_write <<'CFG'
[p]
file = @FIX@/pass.flat
test_args = own_selection
[q]
file = @FIX@/pass.flat
CFG
rt ACCEL=tcg -- -t p:access_4k
expect_rc 0 "ENTRY:CASE"
expect_out "# p: cmdline: $FIX/pass.flat --tap --backend=qemu-tcg access_4k" \
    "ENTRY:CASE replaces the entry's case selection"
expect_no_out "# q:" "ENTRY:CASE runs only that entry"
rt ACCEL=tcg -- -t p:a p:b
expect_out "--backend=qemu-tcg a b" "several ENTRY:CASE for one entry add up"
rt ACCEL=tcg -- -t p q -- access_4k '-access_2m*'
expect_out "# p: cmdline: $FIX/pass.flat --tap --backend=qemu-tcg access_4k -access_2m*" "TEST -- CASE... (p)"
expect_out "# q: cmdline: $FIX/pass.flat --tap --backend=qemu-tcg access_4k -access_2m*" "TEST -- CASE... (q)"
rt ACCEL=tcg -- -- access_4k
expect_rc 2 "cases after -- without a TEST"
expect_err "cases after '--' need the TEST they belong to" "says so"
rt ACCEL=tcg -- p:
expect_rc 2 "ENTRY: without a case"
rt ACCEL=tcg -- p -- 'a b'
expect_rc 2 "a case selector with a blank"
if [[ -r $ROOT/x86/selftest.flat ]]; then
    cfg_write <<CFG
[selftest]
file = $ROOT/x86/selftest.flat
CFG
    rt ACCEL=tcg -- -t selftest:cmdline
    expect_rc 0 "a real kernel: selftest:cmdline"
    cases=$(grep -c '^ok ' <<<"$OUT")
    if ((cases > 0)) && ! grep -q '^ok .* - selftest: glob' <<<"$OUT"; then
        ok "selftest:cmdline runs only the cmdline case ($cases results)"
    else
        not_ok "selftest:cmdline runs only the cmdline case"
    fi
    rt ACCEL=tcg -- selftest -- nosuchcase
    expect_out "FAIL selftest (ERROR: unknown test case 'nosuchcase')" "an unknown case is the kernel's error"
else
    ok "# SKIP x86/selftest.flat not built"
fi

done_testing
