#!/usr/bin/env bash
# run_tests.sh: runs the test kernels listed in x86/unittests.cfg on QEMU
# (KVM or TCG) or Bochs and reports per test case. See usage() and
# docs/contract.md.
set -euo pipefail

PROG=run_tests.sh
NVMX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/common.sh
source "$NVMX_ROOT/scripts/common.sh"
# shellcheck source=scripts/backend-qemu.sh
source "$NVMX_ROOT/scripts/backend-qemu.sh"
# shellcheck source=scripts/runner-cfg.sh
source "$NVMX_ROOT/scripts/runner-cfg.sh"
# shellcheck source=scripts/runner-backend.sh
source "$NVMX_ROOT/scripts/runner-backend.sh"
# shellcheck source=scripts/runner-exec.sh
source "$NVMX_ROOT/scripts/runner-exec.sh"
# shellcheck source=scripts/stacks.sh
source "$NVMX_ROOT/scripts/stacks.sh"
# shellcheck source=scripts/progress.sh
source "$NVMX_ROOT/scripts/progress.sh"
# shellcheck source=scripts/runner-shard.sh
source "$NVMX_ROOT/scripts/runner-shard.sh"
# shellcheck source=scripts/backend-kvm-in-bochs.sh
source "$NVMX_ROOT/scripts/backend-kvm-in-bochs.sh"

usage() {
    cat <<USAGE
Usage: ./run_tests.sh [-h] [-v] [-a] [-g GROUP[,GROUP]] [-j N] [-t] [-l] [TEST...]

Runs the entries of x86/unittests.cfg (TEST: entry names, '*' and '?'
wildcards allowed; none = every entry not in group 'nodefault').

  -h        show this help
  -v        verbose: every test case, the backend and log of each entry
  -a        also run entries in group 'nodefault'
  -g GROUP  only entries in GROUP (repeat or comma-separate for several)
  -j N      run N entries in parallel (output stays in cfg order)
  -t        print one TAP13 stream for the whole run
  -l        list the selected entries and their backend instead of running
  --junit FILE  also write a JUnit XML report to FILE (one testcase per
            TAP line; see docs/junit.md)
  --shard I/N  run only shard I of N (1-based; deterministic, cost-balanced;
            GitLab's CI_NODE_INDEX/CI_NODE_TOTAL when not given). Join the
            shards' -t outputs with 'build/host/nvmx-tap merge' (README)
  --coverage DIR  coverage build (./configure --enable-coverage): turn the
            counters the kernels send into DIR/index.html and
            DIR/coverage.info (lcov; see docs/coverage.md)

Environment:
  ACCEL      kvm, tcg, bochs or kvm-in-bochs (default: KVM where it works,
             else TCG; requires=vmx entries: KVM with nested VMX, else
             Bochs). kvm-in-bochs: QEMU/KVM inside a Linux booted once in
             Bochs (minutes; docs/kvm-in-bochs.md)
  QEMU       qemu-system-x86_64 to use
  BOCHS_BIN  Bochs binary (default: bochs-bin; see scripts/backend-bochs.sh)
  BOCHS_CPU  Bochs CPU model when the entry sets no bochs_cpu
             (default: corei7_skylake_x)
  TIMEOUT    per-entry timeout in seconds for every entry (0: none)
  NVMX_CFG   test list to read (default: x86/unittests.cfg)
  NVMX_PROGRESS  0: no live progress line, 1: always (default: only
             when stdout is a terminal and -t is not given)
  NVMX_LOGDIR  log directory (default: logs; the previous run's goes to
             <dir>.old)
  NVMX_SHARD_TIMES  measured times balancing --shard: an earlier run's TAP
             report, its log directory, or "NAME SECONDS" lines

Logs: logs/<entry>.log. Exit status: 0 all passed (skips and known
deviations allowed), 1 something failed, 2 usage or configuration error.
USAGE
}

VERBOSE=0 ALL=0 JOBS=1 TAP=0 LIST=0 GROUPS_SEL="" JUNIT=""
COVERAGE_DIR=""
PATTERNS=()
RUNTMP=""
JOB_PIDS=()

parse_options() {
    local opt consumed
    while (($#)); do
        if [[ $1 == -- ]]; then
            shift
            PATTERNS+=("$@")
            break
        fi
        case $1 in
            --junit=?*) JUNIT=${1#--junit=}; shift; continue ;;
            --junit)
                [[ -n ${2:-} ]] || nvmx_die "option --junit needs a file name (see -h)"
                JUNIT=$2; shift 2; continue ;;
            --shard=?*) shard_parse "${1#--shard=}" --shard; shift; continue ;;
            --shard)
                [[ -n ${2:-} ]] || nvmx_die "option --shard needs I/N (see -h)"
                shard_parse "$2" --shard; shift 2; continue ;;
            --coverage=?*) COVERAGE_DIR=${1#--coverage=}; shift; continue ;;
            --coverage)
                [[ -n ${2:-} ]] || nvmx_die "option --coverage needs a directory (see -h)"
                COVERAGE_DIR=$2; shift 2; continue ;;
        esac
        [[ $1 == --?* ]] && nvmx_die "unknown option '$1' (see ./run_tests.sh -h)"
        OPTIND=1
        while getopts ":hvag:j:tl" opt; do
            case $opt in
                h) usage; exit 0 ;;
                v) VERBOSE=1 ;;
                a) ALL=1 ;;
                g) GROUPS_SEL+=" ${OPTARG//,/ }" ;;
                j)
                    [[ $OPTARG =~ ^[1-9][0-9]*$ ]] || nvmx_die "-j needs a positive number, got '$OPTARG'"
                    JOBS=$OPTARG
                    ;;
                t) TAP=1 ;;
                l) LIST=1 ;;
                :) nvmx_die "option -$OPTARG needs a value (see -h)" ;;
                *)
                    # "--long" after short options: the outer loop takes it.
                    [[ $OPTARG == - ]] && break
                    nvmx_die "unknown option '-$OPTARG' (see ./run_tests.sh -h)"
                    ;;
            esac
        done
        consumed=$((OPTIND - 1))
        if ((consumed > 0)) && [[ ${!consumed} == -- ]]; then
            shift "$consumed"
            PATTERNS+=("$@")
            break
        fi
        shift "$consumed"
        if (($#)) && ((consumed == 0)); then
            PATTERNS+=("$1")
            shift
        fi
    done
    GROUPS_SEL=${GROUPS_SEL# }
}

# coverage_report: scripts/coverage.sh over the logs of the entries that ran.
coverage_report() {
    local i
    local -a logs=()
    for i in "${SELECTED[@]}"; do
        [[ -z ${R_SKIP[i]} ]] && logs+=("$LOGDIR/${E_NAME[i]}.log")
    done
    ((${#logs[@]})) || { printf '%s: --coverage: no entry ran\n' "$PROG" >&2; return 1; }
    "$NVMX_ROOT/scripts/coverage.sh" -q -o "$COVERAGE_DIR" "${logs[@]}"
}

check_env() {
    case ${ACCEL:-} in
        "" | kvm | tcg | bochs | kvm-in-bochs) ;;
        *) nvmx_die "ACCEL must be kvm, tcg, bochs or kvm-in-bochs, not '$ACCEL'" ;;
    esac
    if [[ -n $COVERAGE_DIR ]] && ! grep -qx 'COVERAGE := yes' "$NVMX_ROOT/config.mak" 2>/dev/null; then
        nvmx_die "--coverage needs a coverage build: ./configure --enable-coverage && make"
    fi
    if [[ -n ${TIMEOUT:-} ]] && ! [[ $TIMEOUT =~ ^[0-9]+$ ]]; then
        nvmx_die "TIMEOUT must be a number of seconds, not '$TIMEOUT'"
    fi
    if [[ ${ACCEL:-} == bochs ]] && ! bochs_usable; then
        nvmx_die "ACCEL=bochs: $BOCHS_STATE"
    fi
    if [[ ${ACCEL:-} == kvm-in-bochs ]] && ! kib_usable; then
        nvmx_die "ACCEL=kvm-in-bochs: $KIB_STATE"
    fi
    [[ -x $NVMX_HOST_BIN/nvmx-tap ]] ||
        nvmx_die "host tool $(display_path "$NVMX_HOST_BIN/nvmx-tap") is missing: run 'make' first"
}

resolve_all() {
    local i
    R_BACKEND=() R_SKIP=()
    for i in "${SELECTED[@]}"; do
        resolve_backend "$i"
        if [[ ${R_BACKEND[i]} == qemu-* ]] && ! qemu_usable; then
            nvmx_die "entry ${E_NAME[i]}: $QEMU_STATE"
        fi
    done
}

list_entries() {
    local i
    for i in "${SELECTED[@]}"; do
        if [[ -n ${R_SKIP[i]} ]]; then
            printf '%s\tSKIP (%s)\n' "${E_NAME[i]}" "${R_SKIP[i]}"
        else
            printf '%s\t%s\n' "${E_NAME[i]}" "$(backend_label "$i")"
        fi
    done
}

rotate_logs() {
    local old=$LOGDIR.old
    if [[ -d $LOGDIR ]]; then
        rm -rf "$old"
        mv "$LOGDIR" "$old"
    fi
    mkdir -p "$LOGDIR"
}

# kill_tree PID: TERM to PID and all its descendants (children first).
# shellcheck disable=SC2317 # called from the EXIT trap
kill_tree() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do
        kill_tree "$child"
    done
    kill -TERM "$1" 2>/dev/null || true
}

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
    local pid
    for pid in "${JOB_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill_tree "$pid"
    done
    [[ -n $RUNTMP && -d $RUNTMP ]] && rm -rf "$RUNTMP"
    return 0
}

# report_entry I: prints the entry (human or TAP) through nvmx-tap.
report_entry() {
    local i=$1 result reason="" duration="" line
    local -a cmd=("$NVMX_HOST_BIN/nvmx-tap" entry --state "$RUNTMP/state" --name "${E_NAME[i]}")
    ((TAP)) && cmd+=(--tap)
    ((VERBOSE)) && cmd+=(--verbose)
    [[ -n $JUNIT ]] && cmd+=(--junit-part "$RUNTMP/junit.part")
    if [[ -n ${R_SKIP[i]} ]]; then
        cmd+=(--result skip --reason "${R_SKIP[i]}")
    else
        while IFS= read -r line; do
            case $line in
                result=*) result=${line#result=} ;;
                reason=*) reason=${line#reason=} ;;
                duration=*) duration=${line#duration=} ;;
            esac
        done <"$RUNTMP/$i.result"
        cmd+=(--result "$result" --timeout "$(entry_timeout "$i")"
            --backend "$(backend_label "$i")" --log "$(display_path "$LOGDIR")/${E_NAME[i]}.log"
            --duration "$duration")
        [[ -n $reason ]] && cmd+=(--reason "$reason")
    fi
    "${cmd[@]}"
}

run_all() {
    local n=${#SELECTED[@]} next_print=0 next_launch=0 done_count=0 launched=0 i
    # kvm-in-bochs entries: one batch, one L1 boot (scripts/backend-kvm-in-bochs.sh).
    local -a kib=()
    for i in "${SELECTED[@]}"; do
        [[ -z ${R_SKIP[i]} && ${R_BACKEND[i]} == kvm-in-bochs ]] && kib+=("$i")
    done
    kib_launch "${kib[@]}"
    while ((next_print < n)); do
        while ((next_launch < n && launched - done_count < JOBS)); do
            i=${SELECTED[next_launch]}
            next_launch=$((next_launch + 1))
            [[ -n ${R_SKIP[i]} || ${R_BACKEND[i]} == kvm-in-bochs ]] && continue
            run_job "$i" &
            JOB_PIDS+=($!)
            launched=$((launched + 1))
        done
        i=${SELECTED[next_print]}
        if [[ -n ${R_SKIP[i]} || -e $RUNTMP/$i.done ]]; then
            progress_clear
            report_entry "$i"
            next_print=$((next_print + 1))
            continue
        fi
        progress_show "$((next_print + 1))" "$n" "${E_NAME[i]}" "$((launched - done_count))"
        sleep 0.05
        done_count=$(find "$RUNTMP" -maxdepth 1 -name '*.done' | wc -l)
    done
    progress_clear
    wait
}

main() {
    parse_options "$@"
    check_env
    local cfg=${NVMX_CFG:-$NVMX_ROOT/x86/unittests.cfg}
    [[ $cfg == /* ]] || cfg=$PWD/$cfg
    CFG_SHOWN=$(display_path "$cfg")
    CFG_DIR=$(dirname "$cfg")
    LOGDIR=${NVMX_LOGDIR:-logs}
    cfg_load "$CFG_SHOWN"
    cfg_select "$ALL" "$GROUPS_SEL" "${PATTERNS[@]}"
    shard_from_env
    shard_select
    resolve_all
    if ((LIST)); then
        list_entries
        exit 0
    fi
    rotate_logs
    RUNTMP=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-run.XXXXXX")
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    ((TAP)) && printf 'TAP version 13\n'
    shard_note
    progress_init "$TAP"
    local start=$EPOCHREALTIME rc=0
    run_all
    local -a summary=("$NVMX_HOST_BIN/nvmx-tap" summary --state "$RUNTMP/state")
    ((TAP)) && summary+=(--tap)
    [[ -n $JUNIT ]] && summary+=(--junit-part "$RUNTMP/junit.part" --junit "$JUNIT")
    "${summary[@]}" || rc=$?
    if [[ -n $COVERAGE_DIR ]] && ! coverage_report; then
        ((rc)) || rc=1
    fi
    if ((VERBOSE)) && ((!TAP)); then
        printf '(%s entries in %s s, -j %s)\n' "${#SELECTED[@]}" "$(elapsed_s "$start" "$EPOCHREALTIME")" "$JOBS" >&2
    fi
    exit "$rc"
}

main "$@"
