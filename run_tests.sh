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
# shellcheck source=scripts/runner-logdir.sh
source "$NVMX_ROOT/scripts/runner-logdir.sh"
# shellcheck source=scripts/runner-shard.sh
source "$NVMX_ROOT/scripts/runner-shard.sh"
# shellcheck source=scripts/runner-reap.sh
source "$NVMX_ROOT/scripts/runner-reap.sh"
# shellcheck source=scripts/backend-kvm-in-bochs.sh
source "$NVMX_ROOT/scripts/backend-kvm-in-bochs.sh"

usage() {
    cat <<USAGE
Usage: ./run_tests.sh [OPTION...] [TEST...] [-- CASE...]

Runs the entries of x86/unittests.cfg (TEST: entry names, '*' and '?'
wildcards allowed; none = every entry not in group 'nodefault', which are
listed as SKIP).

  -h, --help          show this help
  -v, --verbose       every test case, the backend and log of each entry
  -a, --all           also run entries in group 'nodefault'
  -g, --group GROUP   only entries in GROUP (repeat or comma-separate for
                      several), including its 'nodefault' entries; an unknown
                      or empty group is an error
  -j, --parallel N    run N entries in parallel (output stays in cfg order)
  -t, --tap13         print one TAP13 stream for the whole run; the closing
                      lines (SUMMARY, XFAIL) are TAP comments before the plan
  -l, --list          print the selected entry names, one a line (with -v:
                      and the backend or skip reason of each)
  --list-cases ENTRY  print the test cases of ENTRY, one a line (boots its
                      kernel with --list on its backend; logs/ is untouched)
  --junit FILE        also write a JUnit XML report to FILE (one testcase per
                      TAP line; see docs/junit.md)
  --shard I/N         run only shard I of N (1-based; deterministic,
                      cost-balanced; N at most the number of entries;
                      NVMX_SHARD_FROM_CI=1: GitLab's CI_NODE_INDEX/CI_NODE_TOTAL
                      when not given). Join the shards' -t outputs with
                      'build/host/nvmx-tap merge' (README)
  --coverage DIR      coverage build (./configure --enable-coverage): turn the
                      counters the kernels send into DIR/index.html and
                      DIR/coverage.info (lcov; see docs/coverage.md)
  --kvm-coverage DIR  ACCEL=kvm-in-bochs with KIB_KERNEL from make kvm-kernel
                      KVM_COVERAGE=1: KVM's own coverage (arch/x86/kvm) in
                      DIR/index.html, DIR/kvm.info, DIR/summary.txt (see
                      docs/kvm-coverage.md)

One test case: ENTRY:CASE (e.g. ept_access:access_4k), or CASE... after
'--' for every TEST named before it (./run_tests.sh ept_access -- access_4k
'access_2m_*' -access_2m_x). The cases replace the entry's own case
selection (test_args / -append); the kernel's selector rules apply
(wildcards, -NAME excludes; an unknown name is an error; words starting
with '--' are options, not cases, and are refused). Naming an entry both
whole and as ENTRY:CASE is an error.

Environment:
  ACCEL      kvm, tcg, bochs or kvm-in-bochs (default: KVM where it works,
             else TCG; requires=vmx entries: KVM with nested VMX, else
             Bochs). kvm-in-bochs: QEMU/KVM inside a Linux booted once in
             Bochs (minutes; docs/kvm-in-bochs.md). A backend named here that
             cannot run is an error (exit 2)
  QEMU       qemu-system-x86_64 to use
  BOCHS_BIN  Bochs binary (default: bochs-bin; see scripts/backend-bochs.sh)
  BOCHS_CPU  Bochs CPU model when the entry sets no bochs_cpu
             (default: corei7_skylake_x; must be a VMX+EPT model this Bochs
             knows)
  TIMEOUT    per-entry timeout for every entry: 90, 90s, 2m, 1h (0: none;
             the cfg's 'timeout' takes the same values)
  NVMX_CFG   test list to read (default: x86/unittests.cfg)
  NVMX_REQUIRE_VMX  1: entries that need VMX but find no VMX backend fail
             (default: they are skipped and the closing lines say so)
  NVMX_PROGRESS  0: no live progress line, 1: always, on stderr (default:
             only when stdout and stderr are a terminal and -t is not given)
  NVMX_LOGDIR  log directory (default: logs; the previous run's logs go to
             <dir>.old). Only a directory made by run_tests.sh (marker file
             .nvmx-logdir) or an empty one is ever written, moved or deleted.
             A run locks it (<dir>/.nvmx-lock, after every check): a second
             run of the same directory waits (NVMX_LOCK_WAIT=0: fails instead)
  NVMX_SHARD_TIMES  measured times balancing --shard: an earlier run's TAP
             report, its log directory, or "NAME SECONDS" lines
  NVMX_SHARD_FROM_CI  1: without --shard, take the shard from GitLab's
             CI_NODE_INDEX/CI_NODE_TOTAL (set it in a 'parallel: N' job only:
             GitLab sets them in 'parallel:matrix' jobs too)

Logs: logs/<entry>.log. Exit status: 0 all passed (skips and known
deviations allowed), 1 something failed, 2 usage or configuration error,
130/143 interrupted (logs of the running entries are kept, marked
"interrupted").
USAGE
}

VERBOSE=0 ALL=0 JOBS=1 TAP=0 LIST=0 GROUPS_SEL="" JUNIT="" LIST_CASES=""
GROUP_EMPTY=0
COVERAGE_DIR=""
KVM_COVERAGE_DIR=""
PATTERNS=()
CASE_ARGS=()
declare -A PATTERN_CASES=() BARE_TESTS=() PATTERN_SEEN=()
RUNTMP=""
JOB_PIDS=()
LAUNCHED=()
ORIG_ARGS=("$@")

# set_jobs N: -j / --parallel.
set_jobs() {
    [[ $1 =~ ^[1-9][0-9]*$ ]] || nvmx_die "-j needs a positive number, got '$1'"
    JOBS=$1
}

# add_pattern P: P into PATTERNS once (a word, never glob-expanded here).
add_pattern() {
    [[ -n ${PATTERN_SEEN[$1]:-} ]] && return 0
    PATTERN_SEEN[$1]=1
    PATTERNS+=("$1")
}

# add_test WORD: a TEST argument: an entry name or pattern, or ENTRY:CASE.
add_test() {
    local w=$1 p c
    [[ -n $w ]] || nvmx_die "empty test name (see ./run_tests.sh -l for the names)"
    if [[ $w == *:* ]]; then
        p=${w%%:*} c=${w#*:}
        [[ -n $p && -n $c ]] || nvmx_die "'$w': expected ENTRY:CASE"
        check_case_word "$c"
        PATTERN_CASES[$p]+="${PATTERN_CASES[$p]:+ }$c"
        add_pattern "$p"
    else
        BARE_TESTS[$w]=1
        add_pattern "$w"
    fi
}

# check_case_word WORD: one case selector for the kernel command line
# (a word starting with -- would be a kernel option: --backend, --list).
check_case_word() {
    [[ -n $1 && $1 != *[[:space:][:cntrl:]]* ]] ||
        nvmx_die "bad case selector '$1' (one word without blanks)"
    [[ $1 != --* ]] ||
        nvmx_die "'$1' after '--' or ':' is not a test case (cases are names, '-NAME' excludes;" \
            "options go before '--'; --list-cases ENTRY lists the cases)"
}

# add_groups LIST: -g / --group: comma-separated group names; an empty one
# is remembered (GROUP_EMPTY) and refused once the groups are known.
add_groups() {
    local g
    local -a parts=()
    IFS=, read -r -a parts <<<"$1,"
    [[ $1 == *,,* || $1 == ,* || -z $1 || $1 == *, ]] && GROUP_EMPTY=1
    for g in "${parts[@]}"; do
        [[ -n $g ]] && GROUPS_SEL+=" $g"
    done
    return 0
}

parse_options() {
    local opt consumed p
    while (($#)); do
        if [[ $1 == -- ]]; then
            shift
            CASE_ARGS+=("$@")
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
            --kvm-coverage=?*) KVM_COVERAGE_DIR=${1#--kvm-coverage=}; shift; continue ;;
            --kvm-coverage)
                [[ -n ${2:-} ]] || nvmx_die "option --kvm-coverage needs a directory (see -h)"
                KVM_COVERAGE_DIR=$2; shift 2; continue ;;
            --help) usage; exit 0 ;;
            --verbose) VERBOSE=1; shift; continue ;;
            --all) ALL=1; shift; continue ;;
            --tap13) TAP=1; shift; continue ;;
            --list) LIST=1; shift; continue ;;
            --group=*) add_groups "${1#--group=}"; shift; continue ;;
            --group)
                (($# >= 2)) || nvmx_die "option --group needs a group name (see -h)"
                add_groups "$2"; shift 2; continue ;;
            --list-cases=?*) LIST_CASES=${1#--list-cases=}; shift; continue ;;
            --list-cases)
                [[ -n ${2:-} ]] || nvmx_die "option --list-cases needs an entry name (see -h)"
                LIST_CASES=$2; shift 2; continue ;;
            --parallel=*) set_jobs "${1#--parallel=}"; shift; continue ;;
            --parallel)
                [[ -n ${2:-} ]] || nvmx_die "option --parallel needs a number (see -h)"
                set_jobs "$2"; shift 2; continue ;;
        esac
        [[ $1 == --?* ]] && nvmx_die "unknown option '$1' (see ./run_tests.sh -h)"
        OPTIND=1
        while getopts ":hvag:j:tl" opt; do
            case $opt in
                h) usage; exit 0 ;;
                v) VERBOSE=1 ;;
                a) ALL=1 ;;
                g) add_groups "$OPTARG" ;;
                j) set_jobs "$OPTARG" ;;
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
            CASE_ARGS+=("$@")
            break
        fi
        shift "$consumed"
        if (($#)) && ((consumed == 0)); then
            add_test "$1"
            shift
        fi
    done
    GROUPS_SEL=${GROUPS_SEL# }
    local c
    for c in "${CASE_ARGS[@]}"; do
        check_case_word "$c"
    done
    if [[ -n $LIST_CASES ]]; then
        ((${#PATTERNS[@]} == 0 && ${#CASE_ARGS[@]} == 0)) ||
            nvmx_die "--list-cases takes one entry and no other TEST or CASE"
        add_test "$LIST_CASES"
        [[ $LIST_CASES != *[*?:]* ]] || nvmx_die "--list-cases needs one entry name, not '$LIST_CASES'"
    fi
    for p in "${PATTERNS[@]}"; do
        [[ -n ${BARE_TESTS[$p]:-} && -n ${PATTERN_CASES[$p]:-} ]] &&
            nvmx_die "'$p' is named whole and as $p:CASE: name it once" \
                "(whole: $p; some cases: $p:CASE or $p -- CASE...)"
    done
    if ((${#CASE_ARGS[@]})) && ((${#PATTERNS[@]} == 0)); then
        nvmx_die "cases after '--' need the TEST they belong to before it" \
            "(e.g. ./run_tests.sh ept_access -- access_4k)"
    fi
}

# drop_nodefault_skips: the SKIP lines of a default run for 'nodefault'
# entries (kvm-unit-tests' habit) are for people: a TAP stream (-t) or a
# shard (--shard) leaves them out, so that the merged shards equal the
# unsharded TAP run.
drop_nodefault_skips() {
    local i
    local -a kept=()
    ((TAP || SHARD_N > 0)) || return 0
    for i in "${SELECTED[@]}"; do
        [[ -n ${E_NODEFAULT_SKIP[i]:-} ]] || kept+=("$i")
    done
    SELECTED=("${kept[@]}")
}

# apply_case_args: the cases named on the command line (ENTRY:CASE, or after
# --) replace the case selection of the entries they name.
apply_case_args() {
    local i p sel
    for i in "${SELECTED[@]}"; do
        sel=""
        for p in "${!PATTERN_CASES[@]}"; do
            # shellcheck disable=SC2053 # p is a glob pattern on purpose
            [[ ${E_NAME[i]} == $p ]] && sel+=" ${PATTERN_CASES[$p]}"
        done
        ((${#CASE_ARGS[@]})) && sel+=" ${CASE_ARGS[*]}"
        sel=${sel# }
        [[ -n $sel ]] && E_ARGS[i]=$sel
    done
    return 0
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

# kvm_coverage_check: --kvm-coverage needs kvm-in-bochs and a KIB_KERNEL of
# make kvm-kernel KVM_COVERAGE=1 (its directory's info says coverage=1).
kvm_coverage_check() {
    [[ ${ACCEL:-} == kvm-in-bochs ]] ||
        nvmx_die "--kvm-coverage measures Linux KVM inside Bochs: needs ACCEL=kvm-in-bochs"
    [[ -n ${KIB_KERNEL:-} ]] ||
        nvmx_die "--kvm-coverage needs KIB_KERNEL=build/kvm-kernel/<key>/bzImage of make kvm-kernel KVM_COVERAGE=1"
    local info
    info=$(dirname "$KIB_KERNEL")/info
    [[ -r $info ]] ||
        nvmx_die "--kvm-coverage: KIB_KERNEL=$KIB_KERNEL is not in a make kvm-kernel build directory (no $(display_path "$info"))"
    grep -qx 'coverage=1' "$info" ||
        nvmx_die "--kvm-coverage: KIB_KERNEL=$KIB_KERNEL was built without coverage (make kvm-kernel KVM_COVERAGE=1)"
    export KIB_COVERAGE=1
}

# kvm_coverage_report: scripts/kvm-coverage.sh over the archives L1 sent.
kvm_coverage_report() {
    local -a archives=()
    mapfile -t archives < <(find "$LOGDIR/kvm-in-bochs" -name '*.kvm-gcov.tgz' 2>/dev/null | sort)
    ((${#archives[@]})) || {
        printf '%s: --kvm-coverage: L1 sent no coverage data (see %s)\n' "$PROG" \
            "$(display_path "$LOGDIR/kvm-in-bochs/run.log")" >&2
        return 1
    }
    "$NVMX_ROOT/scripts/kvm-coverage.sh" -q -k "$(dirname "$KIB_KERNEL")" -o "$KVM_COVERAGE_DIR" "${archives[@]}"
}


check_env() {
    case ${ACCEL:-} in
        "" | kvm | tcg | bochs | kvm-in-bochs) ;;
        *) nvmx_die "ACCEL must be kvm, tcg, bochs or kvm-in-bochs, not '$ACCEL'" ;;
    esac
    if [[ -n $COVERAGE_DIR ]] && ! grep -qx 'COVERAGE := yes' "$NVMX_ROOT/config.mak" 2>/dev/null; then
        nvmx_die "--coverage needs a coverage build: ./configure --enable-coverage && make"
    fi
    [[ -z $KVM_COVERAGE_DIR ]] || kvm_coverage_check
    if [[ -n ${TIMEOUT:-} ]] && ! TIMEOUT_S=$(duration_s "$TIMEOUT"); then
        nvmx_die "TIMEOUT must be a duration like 90, 90s, 2m or 1h (0: none), not '$TIMEOUT'"
    fi
    local v
    for v in NVMX_REQUIRE_VMX NVMX_LOCK_WAIT NVMX_PROGRESS NVMX_SHARD_FROM_CI; do
        case ${!v:-0} in
            0 | 1) ;;
            *) nvmx_die "$v must be 0 or 1, not '${!v}'" ;;
        esac
    done
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
    R_BACKEND=() R_SKIP=() R_NOVMX=() R_LABEL=()
    if [[ ${ACCEL:-} == kvm ]] && ! probe_kvm kvm; then
        nvmx_die "ACCEL=kvm: KVM cannot run a kernel here ($(kvm_problem))"
    fi
    for i in "${SELECTED[@]}"; do
        if [[ -n ${E_NODEFAULT_SKIP[i]:-} ]]; then
            R_BACKEND[i]="" R_NOVMX[i]=""
            R_SKIP[i]="group nodefault: runs only by name, with -a or with -g GROUP"
            continue
        fi
        resolve_backend "$i"
        if [[ ${R_BACKEND[i]} == qemu-* ]] && ! qemu_usable; then
            # -l lists what a run would do; the run itself fails.
            ((LIST)) || nvmx_die "entry ${E_NAME[i]}: $QEMU_STATE"
            R_BACKEND[i]="" R_SKIP[i]=$QEMU_STATE
        fi
        R_LABEL[i]=""
        if [[ -n ${R_BACKEND[i]} ]]; then
            R_LABEL[i]=$(backend_label "$i")
        fi
    done
}

list_entries() {
    local i
    for i in "${SELECTED[@]}"; do
        [[ -n ${E_NODEFAULT_SKIP[i]:-} ]] && continue
        if ((!VERBOSE)); then
            printf '%s\n' "${E_NAME[i]}"
        elif [[ -n ${R_SKIP[i]} ]]; then
            printf '%s\tSKIP (%s)\n' "${E_NAME[i]}" "${R_SKIP[i]}"
        else
            printf '%s\t%s\n' "${E_NAME[i]}" "$(backend_label "$i")"
        fi
    done
}

# make_runtmp: the run's temporary directory RUNTMP (removed by cleanup),
# after reaping what killed runs left (runner-reap.sh).
make_runtmp() {
    local tmp=${TMPDIR:-/tmp}/nvmx-run.$$.$RANDOM$RANDOM
    reap_stale_runs "${TMPDIR:-/tmp}"
    # mkdir fails when the name is taken: nobody else's directory is used.
    mkdir -m 700 -- "$tmp" 2>/dev/null ||
        nvmx_die "cannot create a temporary directory in ${TMPDIR:-/tmp} (set TMPDIR to a writable directory)"
    RUNTMP=$tmp
    # A full disk lets mkdir pass but not a write.
    if ! reap_mark_owner "$RUNTMP" 2>/dev/null || ! mkdir "$RUNTMP/tmp" 2>/dev/null; then
        nvmx_die "cannot write in the temporary directory ${TMPDIR:-/tmp} (filesystem full?" \
            "set TMPDIR to a directory with free space)"
    fi
}

# list_cases_of: --list-cases ENTRY: boots the entry's kernel with --list
# (logs in the run's temporary directory) and prints its CASE lines.
list_cases_of() {
    local i=${SELECTED[0]} log cases
    ((${#SELECTED[@]} == 1)) || nvmx_die "--list-cases: '$LIST_CASES' is not one entry"
    [[ -z ${R_SKIP[i]} ]] || nvmx_die "--list-cases $LIST_CASES: the entry does not run here (${R_SKIP[i]})"
    [[ ${R_BACKEND[i]} != kvm-in-bochs ]] || nvmx_die "--list-cases: not on kvm-in-bochs (use ACCEL=bochs or tcg)"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    make_runtmp
    LOGDIR=$RUNTMP/logs LOGDIR_SHOWN=$RUNTMP/logs
    mkdir "$LOGDIR"
    E_ARGS[i]=--list
    run_job "$i"
    log=$LOGDIR/${E_NAME[i]}.log
    cases=$(sed -n "/^$SERIAL_BEGIN\$/,/^$SERIAL_END\$/s/^CASE: //p" "$log")
    if [[ -z $cases ]]; then
        nvmx_warn "--list-cases $LIST_CASES: the kernel listed no cases; its log:"
        sed 's/^/  /' "$log" >&2
        exit 1
    fi
    printf '%s\n' "$cases"
    exit 0
}

# kib_preflight: prepares the kvm-in-bochs image (packages, base initramfs)
# when an entry runs there, before the log directory rotates: its errors
# (offline, apt unavailable) leave the last run's logs where they are. Its
# build log goes to build/runner/kvm-in-bochs-prepare/; kib_launch prepares
# again in the new log directory (from the cache).
kib_preflight() {
    local i saved=$LOGDIR
    for i in "${SELECTED[@]}"; do
        [[ -z ${R_SKIP[i]} && ${R_BACKEND[i]} == kvm-in-bochs ]] || continue
        LOGDIR=$NVMX_STATE_DIR/kvm-in-bochs-prepare
        rm -rf -- "$LOGDIR"
        kib_prepare
        LOGDIR=$saved
        return 0
    done
}

# descendants PID: PID and all its descendants, children first.
# shellcheck disable=SC2317 # called from the EXIT trap
descendants() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do
        descendants "$child"
    done
    printf '%s\n' "$1"
}

# alive PID: PID exists and is no zombie (an orphan's zombie may never be
# reaped in a container whose init does not reap).
# shellcheck disable=SC2317 # called from the EXIT trap
alive() {
    local stat
    { read -r stat </proc/"$1"/stat; } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# stop_jobs: stops the running jobs and everything they started: TERM once
# to each process of their process groups (run_all starts each job in its
# own, so that orphans of a killed parent are found too) and their
# descendants (timeout(1) makes its own group); KILL to what is left after
# 2.5 s (a backend whose own trap failed).
# shellcheck disable=SC2317 # called from the EXIT trap
stop_jobs() {
    local pid n
    local -A sent=()
    local -a pids live
    for ((n = 0; n < 40; n++)); do
        pids=() live=()
        for pid in "${JOB_PIDS[@]}"; do
            mapfile -t -O "${#pids[@]}" pids < <(pgrep -g "$pid" 2>/dev/null; descendants "$pid")
        done
        for pid in "${pids[@]}"; do
            alive "$pid" && live+=("$pid")
        done
        ((${#live[@]})) || return 0
        for pid in "${live[@]}"; do
            if ((n >= 25)); then
                kill -KILL "$pid" 2>/dev/null || true
            elif [[ -z ${sent[$pid]:-} ]]; then
                sent[$pid]=1
                kill -TERM "$pid" 2>/dev/null || true
            fi
        done
        sleep 0.1
    done
    return 0
}

# cleanup: stops the entries still running, keeps what they captured in
# their logs (marked interrupted), removes the run's temporary directory.
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
    local pid i
    local -a kept=()
    set +e
    trap '' INT TERM
    stop_jobs
    for pid in "${JOB_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n $RUNTMP && -d $RUNTMP ]]; then
        for i in "${LAUNCHED[@]}"; do
            [[ -e $RUNTMP/$i.done ]] && continue
            entry_interrupted "$i" && kept+=("$LOGDIR_SHOWN/${E_NAME[i]}.log")
        done
        ((${#kept[@]})) && nvmx_warn "interrupted; kept the partial logs of the running entries: ${kept[*]}"
        rm -rf "$RUNTMP"
    fi
    return 0
}

# report_entry I: prints the entry (human or TAP) through nvmx-tap. No
# command substitution here or elsewhere in run_all's loop: bash 5.2 may run
# a signal's trap in the middle of parsing one and then fail with "trap: line
# 2: unexpected EOF while looking for matching `)'" (exit 2, not 130/143).
report_entry() {
    local i=$1 result="" reason="" duration="" line tmo=${E_TIMEOUT[$1]}
    [[ -n ${TIMEOUT:-} ]] && tmo=$TIMEOUT_S
    local -a cmd=("$NVMX_HOST_BIN/nvmx-tap" entry --state "$RUNTMP/state" --name "${E_NAME[i]}")
    ((TAP)) && cmd+=(--tap)
    ((VERBOSE)) && cmd+=(--verbose)
    [[ -n $JUNIT ]] && cmd+=(--junit-part "$RUNTMP/junit.part")
    if [[ -n ${R_NOVMX[i]:-} && ${NVMX_REQUIRE_VMX:-0} == 1 ]]; then
        cmd+=(--result error --reason "NVMX_REQUIRE_VMX=1 but no VMX backend ran it (${R_SKIP[i]})")
    elif [[ -n ${R_SKIP[i]} ]]; then
        cmd+=(--result skip --reason "${R_SKIP[i]}")
    else
        while IFS= read -r line; do
            case $line in
                result=*) result=${line#result=} ;;
                reason=*) reason=${line#reason=} ;;
                duration=*) duration=${line#duration=} ;;
            esac
        done <"$RUNTMP/$i.result"
        if [[ -z $result ]]; then
            result=error
            reason="the runner could not write its result file in ${TMPDIR:-/tmp} (filesystem full?)"
        fi
        cmd+=(--result "$result" --timeout "$tmo"
            --backend "${R_LABEL[i]}" --log "$LOGDIR_SHOWN/${E_NAME[i]}.log"
            --duration "$duration")
        [[ -n $reason ]] && cmd+=(--reason "$reason")
    fi
    "${cmd[@]}"
}

run_all() {
    local n=${#SELECTED[@]} next_print=0 next_launch=0 done_count=0 launched=0 i
    local -a dones
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
            # Own process group (set -m) for each job: see stop_jobs.
            set -m
            run_job "$i" {LOCK_FD}>&- &
            JOB_PIDS+=($!)
            set +m
            LAUNCHED+=("$i")
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
        # A glob, not $(find ...): no command substitution in the loop where a
        # signal usually lands (bash 5.2 can run a trap in the middle of
        # parsing one: "trap: line 2: unexpected EOF while looking for `)'").
        dones=("$RUNTMP"/*.done)
        done_count=${#dones[@]}
        [[ -e ${dones[0]} ]] || done_count=0
    done
    progress_clear
    wait
}

# no_vmx_note: the closing line when entries that need VMX found no VMX
# backend (TAP: a comment). Prints nothing when every such entry ran.
no_vmx_note() {
    local i n=0 why=""
    for i in "${SELECTED[@]}"; do
        [[ -n ${R_NOVMX[i]:-} ]] || continue
        n=$((n + 1))
        why=${R_NOVMX[i]}
    done
    ((n)) || return 0
    local text="NO VMX BACKEND: $n entries that need VMX did not run ($why)"
    if [[ ${NVMX_REQUIRE_VMX:-0} == 1 ]]; then
        text+="; NVMX_REQUIRE_VMX=1: counted as failures"
    else
        text+="; nothing VMX was tested (NVMX_REQUIRE_VMX=1 makes this a failure)"
    fi
    # TAP: on stderr, so that the stream is exactly TAP and shards merge.
    if ((TAP)); then printf '%s\n' "$text" >&2; else printf '%s\n' "$text"; fi
}

main() {
    parse_options "$@"
    check_env
    local cfg=${NVMX_CFG:-$NVMX_ROOT/x86/unittests.cfg}
    [[ $cfg == /* ]] || cfg=$PWD/$cfg
    CFG_SHOWN=$(display_path "$cfg")
    CFG_DIR=$(dirname "$cfg")
    cfg_load "$CFG_SHOWN"
    cfg_check_groups "$GROUPS_SEL" "$GROUP_EMPTY"
    cfg_select "$ALL" "$GROUPS_SEL" "${PATTERNS[@]}"
    shard_from_env
    drop_nodefault_skips
    shard_select
    apply_case_args
    resolve_all
    if ((LIST)); then
        list_entries
        exit 0
    fi
    [[ -n $LIST_CASES ]] && list_cases_of
    # Every check before anything is written, moved or locked.
    logdir_normalize
    LOGDIR_SHOWN=$(display_path "$LOGDIR")
    logdir_check
    [[ -n $JUNIT ]] && logdir_check_junit "$JUNIT"
    [[ -n $COVERAGE_DIR ]] && logdir_check_report_dir --coverage "$COVERAGE_DIR"
    [[ -n $KVM_COVERAGE_DIR ]] && logdir_check_report_dir --kvm-coverage "$KVM_COVERAGE_DIR"
    kib_preflight
    # Signal traps from here on, and no command substitution after them: bash
    # 5.2 may run a trap in the middle of parsing one (see report_entry).
    # Before them, a signal just ends the run, having created nothing.
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    make_runtmp
    logdir_prepare
    ((TAP)) && printf 'TAP version 13\n'
    shard_note
    kib_note "${SELECTED[@]}"
    progress_init "$TAP"
    local start=$EPOCHREALTIME rc=0
    run_all
    no_vmx_note
    local -a summary=("$NVMX_HOST_BIN/nvmx-tap" summary --state "$RUNTMP/state")
    ((TAP)) && summary+=(--tap)
    [[ -n $JUNIT ]] && summary+=(--junit-part "$RUNTMP/junit.part" --junit "$JUNIT")
    "${summary[@]}" || rc=$?
    if [[ -n $COVERAGE_DIR ]] && ! coverage_report; then
        ((rc)) || rc=1
    fi
    if [[ -n $KVM_COVERAGE_DIR ]] && ! kvm_coverage_report; then
        ((rc)) || rc=1
    fi
    if ((VERBOSE)) && ((!TAP)); then
        printf '(%s entries in %s s, -j %s)\n' "${#SELECTED[@]}" "$(elapsed_s "$start" "$EPOCHREALTIME")" "$JOBS" >&2
    fi
    exit "$rc"
}

main "$@"
