#!/usr/bin/env bash
# bench.sh (`make bench`): runs the 'ept' and the 'vmx' group with
# ACCEL=bochs -j2 and prints a table per entry: wall time (the log's
# "# backend status: ... N s"), test cases, guest memory (cfg 'memory', or
# the runner's default) and VM exits (the kernel's "# vm-exits: N" line,
# lib/x86/vmx/guest.cc), then each group's total wall time. Fails when an
# entry's memory is above BENCH_MAX_MEM_MIB (512) or a run fails.
#
#   BENCH_GROUPS  groups to run (default: "ept vmx")
#   BENCH_ACCEL   backend (default: bochs)     BENCH_JOBS  -j (default: 2)
#   BENCH_DIR     where the logs go (default: build/bench)
#   NVMX_CFG      test list, as for run_tests.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GROUPS_TO_RUN=${BENCH_GROUPS:-ept vmx}
ACCEL_TO_USE=${BENCH_ACCEL:-bochs}
JOBS=${BENCH_JOBS:-2}
MAX_MEM=${BENCH_MAX_MEM_MIB:-512}
DIR=${BENCH_DIR:-$ROOT/build/bench}

# log_fields LOG: prints "seconds cases memory exits" for one entry log.
log_fields() {
    awk '
        /^# timeout: .*memory: [0-9]+ MiB/ { for (i = 1; i <= NF; i++) if ($i == "memory:") mem = $(i + 1) }
        /^==== serial output/ { serial = 1; next }
        /^==== end of serial output/ { serial = 0; next }
        serial && /^(not )?ok [0-9]/ { cases++ }
        serial && /^# vm-exits: [0-9]+/ { exits = $3 }
        /^# backend status: / { secs = $(NF - 1) }
        END { printf "%s %d %s %s\n", secs == "" ? "-" : secs, cases, mem == "" ? "-" : mem,
              exits == "" ? "-" : exits }
    ' "$1"
}

# bench_group GROUP: runs it, prints its table; returns 1 on a failed run or
# too much memory.
bench_group() {
    local group=$1 logdir=$DIR/$1 start end total rc=0 bad=0 name log secs cases mem exits
    start=$EPOCHREALTIME
    NVMX_LOGDIR=$logdir NVMX_PROGRESS=0 ACCEL=$ACCEL_TO_USE \
        "$ROOT/run_tests.sh" -j "$JOBS" -g "$group" >"$DIR/$group.out" 2>&1 || rc=$?
    end=$EPOCHREALTIME
    total=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
    printf '\n## group %s (ACCEL=%s -j%s)\n\n' "$group" "$ACCEL_TO_USE" "$JOBS"
    printf '| %-20s | %8s | %6s | %8s | %8s |\n' entry "wall s" cases "mem MiB" "VM exits"
    printf '|%s|%s|%s|%s|%s|\n' "----------------------" "----------" "--------" "----------" "----------"
    while IFS= read -r name; do
        log=$logdir/$name.log
        [[ -r $log ]] || continue
        read -r secs cases mem exits < <(log_fields "$log")
        printf '| %-20s | %8s | %6s | %8s | %8s |\n' "$name" "$secs" "$cases" "$mem" "$exits"
        if [[ $mem =~ ^[0-9]+$ ]] && ((mem > MAX_MEM)); then
            printf 'bench: entry %s uses %s MiB of guest memory, more than %s MiB\n' "$name" "$mem" "$MAX_MEM" >&2
            bad=1
        fi
    done < <(sed -n 's/^\(PASS\|FAIL\|SKIP\) \([^ ]*\).*/\2/p' "$DIR/$group.out")
    printf '\ngroup %s: total wall time %s s; %s\n' "$group" "$total" "$(grep '^SUMMARY:' "$DIR/$group.out" || echo 'no SUMMARY')"
    if ((bad == 0)); then
        printf 'group %s: every entry has at most %s MiB of guest memory\n' "$group" "$MAX_MEM"
    fi
    if ((rc != 0)); then
        printf 'bench: group %s: run_tests.sh exited %s; see %s\n' "$group" "$rc" "$DIR/$group.out" >&2
        sed 's/^/  /' "$DIR/$group.out" >&2
        return 1
    fi
    return "$bad"
}

main() {
    local g status=0
    mkdir -p "$DIR"
    printf '# nvmx-tests bench, %s, %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc) CPUs"
    for g in $GROUPS_TO_RUN; do
        bench_group "$g" || status=1
    done
    exit "$status"
}

main "$@"
