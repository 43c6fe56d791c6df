#!/usr/bin/env bash
# scripts/bench.sh (make bench): per-entry table (wall s, cases, memory, VM
# exits), total per group, the 512 MiB memory limit. Fixtures on TCG here;
# `make bench` itself runs the ept and vmx groups on Bochs.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
groups = small
memory = 64
[xfail]
file = @FIX@/xfail.flat
groups = small
[big]
file = @FIX@/pass.flat
groups = big
memory = 600
CFG

# bench GROUPS: runs bench.sh on the scratch cfg; sets OUT, ERR, RC.
bench() {
    RC=0
    OUT=$(NVMX_CFG=$SCRATCH/unittests.cfg BENCH_ACCEL=tcg BENCH_GROUPS=$1 BENCH_DIR=$SCRATCH/bench \
        "$ROOT/scripts/bench.sh" 2>"$SCRATCH/.err") || RC=$?
    ERR=$(cat "$SCRATCH/.err")
}

bench small
expect_rc 0 "bench of a passing group"
if grep -qE '^\| pass +\| +[0-9]+\.[0-9]+ \| +2 \| +64 \| +- \|$' <<<"$OUT"; then
    ok "row: wall seconds, 2 cases, 64 MiB from the cfg, no VM exits"
else
    not_ok "row for pass"
fi
if grep -qE '^\| xfail +\| +[0-9.]+ \| +[0-9]+ \| +256 \|' <<<"$OUT"; then
    ok "memory without a cfg value: the runner's default"
else
    not_ok "default memory in the xfail row"
fi
expect_out "group small: total wall time " "total wall time of the group"
expect_out "group small: every entry has at most 512 MiB of guest memory" "memory check printed"

bench big
expect_rc 1 "an entry above 512 MiB fails the bench"
expect_err "bench: entry big uses 600 MiB of guest memory, more than 512 MiB" "names the entry"

# vm-exits: read from the kernel's "# vm-exits: N" line in the log.
mkdir -p "$SCRATCH/bench/x"
printf '# timeout: 90s, smp: 1, memory: 128 MiB\n==== serial output (COM1) ====\nok 1 - a\n# vm-exits: 17\nEXIT: STATUS=0\n==== end of serial output ====\n# backend status: 0 (ran), 1.25 s\n' \
    >"$SCRATCH/x.log"
fields=$(bash -c 'source <(sed -n "/^log_fields()/,/^}/p" "$1"); log_fields "$2"' _ "$ROOT/scripts/bench.sh" "$SCRATCH/x.log")
expect_eq "$fields" "1.25 1 128 17 -" "log fields: seconds, cases, memory, VM exits (no L1 time)"
# kvm-in-bochs: the entry's L1 seconds from its backend status line.
printf '# timeout: 90s, smp: 1, memory: 128 MiB\n# backend status: 0 (ran), 13.30 s (4.70 s in L1)\n' >"$SCRATCH/k.log"
fields=$(bash -c 'source <(sed -n "/^log_fields()/,/^}/p" "$1"); log_fields "$2"' _ "$ROOT/scripts/bench.sh" "$SCRATCH/k.log")
expect_eq "$fields" "13.30 0 128 - 4.70" "kvm-in-bochs log fields: wall and L1 seconds"

done_testing
