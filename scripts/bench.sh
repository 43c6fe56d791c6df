#!/usr/bin/env bash
# bench.sh (`make bench`): runs the 'ept' and the 'vmx' group with
# ACCEL=bochs -j2 and prints a table per entry: wall time (the log's
# "# backend status: ... N s"), test cases, guest memory (cfg 'memory', or
# the runner's default) and VM exits (the kernel's "# vm-exits: N" line,
# lib/x86/vmx/guest.cc), then each group's total wall time. Fails when an
# entry's memory is above BENCH_MAX_MEM_MIB (512) or a run fails.
# With BENCH_ACCEL=kvm-in-bochs (`make bench-kvm`) each entry also has its L1
# seconds (Bochs' virtual time, independent of the host's load), and each
# group lists its L1s: cold boot or restore, L1 uptime at ready and at the
# payload, and the time from run_tests.sh's start to the first entry.
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

# log_fields LOG: prints "seconds cases memory exits l1-seconds" for one
# entry log (l1-seconds: "-" outside kvm-in-bochs).
log_fields() {
    awk '
        /^# timeout: .*memory: [0-9]+ MiB/ { for (i = 1; i <= NF; i++) if ($i == "memory:") mem = $(i + 1) }
        /^==== serial output/ { serial = 1; next }
        /^==== end of serial output/ { serial = 0; next }
        serial && /^(not )?ok [0-9]/ { cases++ }
        serial && /^# vm-exits: [0-9]+/ { exits = $3 }
        /^# backend status: / {
            secs = $(NF - 1)
            if (match($0, /, [0-9.]+ s \([0-9.]+ s in L1\)$/)) {
                split(substr($0, RSTART + 2), w, " ")
                secs = w[1]; l1 = substr(w[3], 2)
            }
        }
        END { printf "%s %d %s %s %s\n", secs == "" ? "-" : secs, cases, mem == "" ? "-" : mem,
              exits == "" ? "-" : exits, l1 == "" ? "-" : l1 }
    ' "$1"
}

# bench_group GROUP: runs it, prints its table; returns 1 on a failed run or
# too much memory.
bench_group() {
    local group=$1 logdir=$DIR/$1 start end total rc=0 bad=0 name log secs cases mem exits l1
    start=$EPOCHREALTIME
    NVMX_LOGDIR=$logdir NVMX_PROGRESS=0 ACCEL=$ACCEL_TO_USE \
        "$ROOT/run_tests.sh" -j "$JOBS" -g "$group" >"$DIR/$group.out" 2>&1 || rc=$?
    end=$EPOCHREALTIME
    total=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
    printf '\n## group %s (ACCEL=%s -j%s)\n\n' "$group" "$ACCEL_TO_USE" "$JOBS"
    # L1 seconds: kvm-in-bochs only.
    local l1col=0
    [[ $ACCEL_TO_USE == kvm-in-bochs ]] && l1col=1
    if ((l1col)); then
        printf '| %-20s | %8s | %8s | %6s | %8s | %8s |\n' entry "wall s" "L1 s" cases "mem MiB" "VM exits"
        printf '|%s|%s|%s|%s|%s|%s|\n' "----------------------" "----------" "----------" "--------" "----------" "----------"
    else
        printf '| %-20s | %8s | %6s | %8s | %8s |\n' entry "wall s" cases "mem MiB" "VM exits"
        printf '|%s|%s|%s|%s|%s|\n' "----------------------" "----------" "--------" "----------" "----------"
    fi
    while IFS= read -r name; do
        log=$logdir/$name.log
        [[ -r $log ]] || continue
        read -r secs cases mem exits l1 < <(log_fields "$log")
        if ((l1col)); then
            printf '| %-20s | %8s | %8s | %6s | %8s | %8s |\n' "$name" "$secs" "$l1" "$cases" "$mem" "$exits"
        else
            printf '| %-20s | %8s | %6s | %8s | %8s |\n' "$name" "$secs" "$cases" "$mem" "$exits"
        fi
        if [[ $mem =~ ^[0-9]+$ ]] && ((mem > MAX_MEM)); then
            printf 'bench: entry %s uses %s MiB of guest memory, more than %s MiB\n' "$name" "$mem" "$MAX_MEM" >&2
            bad=1
        fi
    done < <(sed -n 's/^\(PASS\|FAIL\|SKIP\) \([^ ]*\).*/\2/p' "$DIR/$group.out")
    printf '\ngroup %s: total wall time %s s; %s\n' "$group" "$total" "$(grep '^SUMMARY:' "$DIR/$group.out" || echo 'no SUMMARY')"
    [[ $ACCEL_TO_USE == kvm-in-bochs ]] && kib_lines "$logdir/kvm-in-bochs/run.log" "$start"
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

# kib_lines RUNLOG START: the L1s of a kvm-in-bochs run (run.log lines), and
# the seconds from START (the run's start, EPOCHREALTIME) to its first entry.
kib_lines() {
    local runlog=$1 start=$2 first
    [[ -r $runlog ]] || return 0
    printf '\nL1s (from %s):\n' "$runlog"
    grep -E 'restoring|booting \(|ready after|payload taken|snapshot|first entry|L1 done|deleted' "$runlog" |
        sed 's/ epoch=[0-9.]*$//; s/^/    /'
    first=$(sed -n 's/.* first entry began .* epoch=\([0-9.]*\)$/\1/p' "$runlog" | sort -n | head -n1)
    [[ -n $first ]] && awk -v s="$start" -v e="$first" \
        'BEGIN { printf "run_tests.sh start to the first entry running: %.1f s\n", e - s }'
    return 0
}

main() {
    local g status=0
    mkdir -p "$DIR"
    printf '# nvmx-tests bench, %s, %s, ACCEL=%s, load average %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
        "$(nproc) CPUs" "$ACCEL_TO_USE" "$(cut -d' ' -f1-3 /proc/loadavg)"
    for g in $GROUPS_TO_RUN; do
        bench_group "$g" || status=1
    done
    exit "$status"
}

main "$@"
