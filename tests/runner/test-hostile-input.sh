#!/usr/bin/env bash
# Issue 16 items 3, 8-14, 17, 18: nonsense the runner must refuse (exit 2
# with a message) instead of hanging or passing with nothing tested.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

# groups_cfg: two entries in ordinary groups, two only in nodefault (items
# 8 and 11 select among them).
groups_cfg() {
    cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
groups = selftest
[pass2]
file = @FIX@/pass.flat
groups = other
[alpha]
file = @FIX@/pass.flat
groups = nodefault
[another]
file = @FIX@/pass.flat
groups = nodefault
CFG
}

groups_cfg

# Item 8: a huge shard count is refused at once, not looped over.
rt ACCEL=tcg -- -l --shard 1/99999999999999999999
expect_rc 2 "item 8: --shard 1/99999999999999999999 refused"
expect_eq "$(awk -v e="$ELAPSED" 'BEGIN { print (e < 10) }')" 1 "item 8: at once ($ELAPSED s)"
rt ACCEL=tcg -- -l --shard 1/20000
expect_rc 2 "item 8: --shard 1/20000 (more shards than entries) refused"
expect_err "N is at most the number of entries (4)" "item 8: the error says the bound"

# Item 9: TIMEOUT out of range.
for t in 9223372036854775808 18446744073709551617; do
    rt ACCEL=tcg TIMEOUT=$t -- pass
    expect_rc 2 "item 9: TIMEOUT=$t refused"
    expect_err "TIMEOUT must be a duration" "item 9: TIMEOUT=$t: the error names TIMEOUT"
done

# Item 10: a check on an endless file reads one line.
cfg_write <<'CFG'
[zero]
file = @FIX@/pass.flat
check = /dev/zero=1
CFG
rt ACCEL=tcg -- -v -l
expect_eq "$(awk -v e="$ELAPSED" 'BEGIN { print (e < 10) }')" 1 "item 10: check = /dev/zero=1 does not hang -l ($ELAPSED s)"
expect_out "SKIP (check failed: /dev/zero is" "item 10: and is a failed check"

# Item 10: memory Bochs cannot give.
if bochs_ok; then
    cfg_write <<'CFG'
[big]
file = @FIX@/pass.flat
memory = 1048576
CFG
    rt ACCEL=bochs -- big
    expect_rc 2 "item 10: memory = 1048576 on Bochs refused"
    expect_err "memory = 1048576 MiB; the Bochs backend gives at most 2048 MiB" "item 10: the error names the limit"
    # Item 3: a BOCHS_CPU without VMX or without EPT tests nothing.
    cfg_write <<'CFG'
[vmx]
file = @FIX@/pass.flat
requires = vmx
CFG
    for m in p4_prescott_celeron_336 core2_penryn_t9600; do
        rt ACCEL=bochs NVMX_REQUIRE_VMX=1 BOCHS_CPU=$m -- vmx
        expect_rc 2 "item 3: BOCHS_CPU=$m (no VMX+EPT) is a configuration error"
        expect_err "BOCHS_CPU: CPU model '$m' has no VMX with EPT" "item 3: the error names the model"
        rt ACCEL=bochs BOCHS_CPU=$m -- -v -l
        expect_rc 2 "item 3: -v -l does not list BOCHS_CPU=$m as a backend"
    done
else
    ok "# SKIP Bochs backend not usable here (items 3, 10 memory)"
fi

groups_cfg
# Item 11: patterns and groups that select nothing real.
rt ACCEL=tcg -- 'a*'
expect_rc 2 "item 11: a pattern matching only nodefault entries is an error"
expect_err "pattern 'a*' matches only entries of group 'nodefault' (alpha another)" "item 11: naming them"
rt ACCEL=tcg -- -a 'a*'
expect_rc 0 "item 11: with -a it runs them"
rt ACCEL=tcg -- -g ''
expect_rc 2 "item 11: -g '' is an error"
expect_err "empty group name in -g/--group (groups: nodefault other selftest)" "item 11: listing the groups"
rt ACCEL=tcg -- -g selftest,nosuch
expect_rc 2 "item 11: -g selftest,nosuch is an error"
expect_err "unknown group 'nosuch' (groups: nodefault other selftest)" "item 11: naming the typo"
rt ACCEL=tcg -- --group= -l
expect_rc 2 "item 11: --group= is an error"
expect_err "empty group name" "item 11: --group= says so (not 'unknown option')"
rt ACCEL=tcg -- --group=other -l
expect_eq "$OUT" "pass2" "item 11: --group=other still selects"

# Item 12: the 0/1 variables are validated.
for v in NVMX_LOCK_WAIT=no NVMX_PROGRESS=yes NVMX_SHARD_FROM_CI=true; do
    rt ACCEL=tcg "$v" -- pass
    expect_rc 2 "item 12: $v refused"
    expect_err "${v%%=*} must be 0 or 1, not '${v#*=}'" "item 12: $v: the error names it"
done

# Item 13: option-like words after --; --list-cases.
rt ACCEL=tcg -- pass -- --backend=qemu-kvm
expect_rc 2 "item 13: -- --backend=qemu-kvm is refused"
expect_err "'--backend=qemu-kvm' after '--' or ':' is not a test case" "item 13: naming the word"
rt ACCEL=tcg -- pass -- --list
expect_rc 2 "item 13: -- --list is refused"
rt ACCEL=tcg -- pass:--list
expect_rc 2 "item 13: pass:--list is refused"
cfg_write <<CFG
[selftest]
file = $ROOT/x86/selftest.flat
CFG
if [[ -r $ROOT/x86/selftest.flat ]]; then
    rm -rf "$SCRATCH/logs"
    rt ACCEL=tcg -- --list-cases selftest
    expect_rc 0 "item 13: --list-cases selftest"
    expect_out "paging" "item 13: lists the case paging"
    expect_no_out "CASE:|ok |TAP" "item 13: only the names"
    if [[ ! -e $SCRATCH/logs ]]; then ok "item 13: --list-cases leaves logs/ alone"; else not_ok "item 13: --list-cases leaves logs/ alone"; fi
else
    ok "# SKIP x86/selftest.flat not built (item 13 --list-cases)"
fi
rt ACCEL=tcg -- --list-cases nosuch
expect_rc 2 "item 13: --list-cases of an unknown entry"

# Item 14: an entry named whole and as ENTRY:CASE.
rt ACCEL=tcg -- selftest selftest:paging
expect_rc 2 "item 14: selftest selftest:paging is an error, not a silent 'paging only'"
expect_err "'selftest' is named whole and as selftest:CASE" "item 14: the error says so"

# Item 17: file = ., a huge command line, QEMU failing, --junit /dev/stdout,
# -l with QEMU missing.
big=$(head -c 600000 /dev/zero | tr '\0' 'a')
cfg_write <<CFG
[dot]
file = .
[big]
file = @FIX@/pass.flat
test_args = $big
CFG
rt ACCEL=tcg
expect_out "FAIL dot (kernel . is not a readable file)" "item 17: file = . is named, not a crash"
if grep -q ' od: ' <<<"$ERR"; then not_ok "item 17: no stray od error"; else ok "item 17: no stray od error"; fi
expect_out "FAIL big (kernel command line of 600025 bytes (test_args or cases); the kernels take at most 4095)" \
    "item 17: a huge test_args is an error naming the limit"
cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
CFG
rt ACCEL=tcg QEMU=/bin/false
expect_out "FAIL pass (crash: QEMU exited 1 before the kernel ran;" "item 17: QEMU=/bin/false says QEMU exited 1"
rt ACCEL=tcg -- --junit /dev/stdout
expect_rc 2 "item 17: --junit /dev/stdout is refused"
expect_err "--junit /dev/stdout: is" "item 17: saying why"
rt QEMU=/nonexistent/qemu -- -l
expect_rc 0 "item 17: -l with QEMU missing lists"
expect_eq "$OUT" "pass" "item 17: the entry"
rt QEMU=/nonexistent/qemu -- -v -l
expect_rc 0 "item 17: -v -l with QEMU missing lists"
expect_out "pass	SKIP (QEMU not found" "item 17: with the reason"
rt QEMU=/nonexistent/qemu
expect_rc 2 "item 17: a run with QEMU missing is still an error"

# Item 17: make distclean removes what the runner and make standalone made.
clean=$(make -s -n -C "$ROOT" distclean 2>/dev/null)
for f in logs.lock tests/standalone; do
    if grep -qw -- "$f" <<<"$clean"; then ok "item 17: make distclean removes $f"; else not_ok "item 17: make distclean removes $f" "$clean"; fi
done

# Item 18: CI_NODE_* only with NVMX_SHARD_FROM_CI=1.
cfg_write <<'CFG'
[a]
file = @FIX@/pass.flat
[b]
file = @FIX@/pass.flat
CFG
rt ACCEL=tcg CI_NODE_INDEX=2 CI_NODE_TOTAL=2 -- -l
expect_eq "$OUT" $'a\nb' "item 18: CI_NODE_INDEX/TOTAL alone (a parallel:matrix job) shard nothing"
rt ACCEL=tcg CI_NODE_INDEX=2 CI_NODE_TOTAL=2 NVMX_SHARD_FROM_CI=1 -- -l
expect_eq "$(wc -l <<<"$OUT")" 1 "item 18: NVMX_SHARD_FROM_CI=1 takes the shard"
rt ACCEL=tcg NVMX_SHARD_FROM_CI=1 -- -l
expect_rc 2 "item 18: NVMX_SHARD_FROM_CI=1 outside a parallel job is an error"

done_testing
