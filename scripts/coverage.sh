#!/usr/bin/env bash
# coverage.sh: turns the coverage streams that kernels of a coverage build
# (./configure --enable-coverage) print at exit into .gcda files next to the
# .gcno files under build/, adds up the entries that ran the same objects, and
# writes an lcov tracefile plus a genhtml report (line and branch coverage of
# lib/ and x86/). run_tests.sh --coverage DIR calls it; it also runs by hand:
#
#   scripts/coverage.sh [-o DIR] [-a TRACEFILE]... LOG...
#
# LOG: logs/<entry>.log of run_tests.sh, or a raw COM1 capture. The stream
# format is described in lib/coverage.cc and docs/coverage.md.
set -euo pipefail

PROG=coverage.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LCOV_RC=(--rc lcov_branch_coverage=1)

usage() {
    cat <<USAGE
Usage: scripts/coverage.sh [-o DIR] [-a TRACEFILE]... LOG...

  -o DIR        report directory (default: cov): DIR/index.html, DIR/coverage.info
  -a TRACEFILE  also add this lcov tracefile (e.g. host unit-test coverage)
  -q            quiet: only warnings and the summary line

LOG: serial logs of kernels built with ./configure --enable-coverage.
Exit status: 0 report written, 1 no usable coverage data or lcov failed,
2 usage error.
USAGE
}

die() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit "${2:-2}"
}
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }

OUT=cov QUIET=0
ADD=()
WORK=""

# gcov matching the kernel compiler (config.mak's CXX: PREFIX-g++-N -> PREFIX-gcov-N).
gcov_tool_for() {
    local what=$1 cxx="" gcov
    if [[ -r $ROOT/config.mak ]]; then
        cxx=$(sed -n 's/^CXX := //p' "$ROOT/config.mak")
    fi
    case $cxx in
        *g++*) gcov=${cxx/g++/$what} ;;
        *) gcov=$what ;;
    esac
    command -v "$gcov" >/dev/null 2>&1 || gcov=$what
    printf '%s\n' "$gcov"
}

# extract LOG DIR: writes DIR/<n>.b64 (base64 text of one .gcda) and
# DIR/manifest ("n<TAB>bytes<TAB>gcda path" per complete file). Fails when the
# log holds no complete stream (no "# GCOV-END: n" matching the file count).
extract() {
    local log=$1 dir=$2
    tr -d '\r' <"$log" | awk -v dir="$dir" '
        BEGIN { n = 0; cur = ""; ended = -1 }
        /^# GCOV-BEGIN: / {
            # A second stream in one log replaces the first.
            n = 0; ended = -1; printf "" > (dir "/manifest"); next
        }
        /^# GCOV-FILE: / {
            n++; path[n] = substr($0, 14); cur = dir "/" n ".b64"
            printf "" > cur; next
        }
        /^# GCOV: / { if (cur != "") print substr($0, 9) > cur; next }
        /^# GCOV-EOF: / {
            if (cur == "") next
            close(cur); cur = ""
            printf "%d\t%s\t%s\n", n, substr($0, 13), path[n] > (dir "/manifest")
            next
        }
        /^# GCOV-END: / { ended = substr($0, 13) + 0; next }
        END { close(dir "/manifest"); exit !(ended >= 0 && ended == n) }
    '
}

# relocate PATH: the .gcda path relative to ROOT whose .gcno exists (GCC
# records absolute compile-time paths; the tree may have moved since).
relocate() {
    local rest=${1#/}
    while :; do
        if [[ $rest == *.gcda && -e $ROOT/${rest%.gcda}.gcno ]]; then
            printf '%s\n' "$rest"
            return 0
        fi
        [[ $rest == */* ]] || return 1
        rest=${rest#*/}
    done
}

# decode_log LOG DIR: DIR/<relative>.gcda for every object in LOG.
decode_log() {
    local log=$1 dir=$2 n bytes path rel got
    mkdir -p "$dir/.b64"
    if ! extract "$log" "$dir/.b64"; then
        warn "$log: no complete coverage stream (crash, timeout or not a coverage build): skipped"
        return 1
    fi
    while IFS=$'\t' read -r n bytes path; do
        if ! rel=$(relocate "$path"); then
            warn "$log: no .gcno for $path under $ROOT: skipped"
            continue
        fi
        mkdir -p "$dir/$(dirname "$rel")"
        if ! base64 -d <"$dir/.b64/$n.b64" >"$dir/$rel" 2>/dev/null; then
            warn "$log: $path: bad base64: skipped"
            rm -f "$dir/$rel"
            continue
        fi
        got=$(stat -c %s "$dir/$rel")
        if [[ $got != "$bytes" ]]; then
            warn "$log: $path: $got bytes, the kernel sent $bytes: skipped"
            rm -f "$dir/$rel"
        fi
    done <"$dir/.b64/manifest"
    rm -rf "$dir/.b64"
}

# merge_into ACC DIR: adds the counters of DIR to ACC (both .gcda trees).
merge_into() {
    local acc=$1 dir=$2 gcov_tool
    if [[ ! -d $acc ]]; then
        mv "$dir" "$acc"
        return
    fi
    gcov_tool=$(gcov_tool_for gcov-tool)
    # gcov-tool merge writes every file of either input to the output.
    "$gcov_tool" merge -o "$acc.new" "$acc" "$dir" >"$WORK/merge.log" 2>&1 || {
        cat "$WORK/merge.log" >&2
        die "gcov-tool merge failed" 1
    }
    rm -rf "$acc" "$dir"
    mv "$acc.new" "$acc"
}

# install_gcda ACC: replaces every .gcda under ROOT/build by those of ACC.
install_gcda() {
    local acc=$1 rel
    # build/kvm-kernel (make kvm-kernel's Linux builds) is not the kernels'.
    find "$ROOT/build" -path "$ROOT/build/kvm-kernel" -prune -o -name '*.gcda' -type f -print0 | xargs -0 -r rm -f
    while IFS= read -r -d '' rel; do
        rel=${rel#"$acc"/}
        cp "$acc/$rel" "$ROOT/$rel"
    done < <(find "$acc" -name '*.gcda' -print0)
}

run_lcov() {
    local gcov info=$OUT/coverage.info log=$WORK/lcov.log
    gcov=$(gcov_tool_for gcov)
    # The kernels' objects only (not build/kvm-kernel's Linux .gcno files).
    local -a common=(--gcov-tool "$gcov" "${LCOV_RC[@]}" --base-directory "$ROOT" --directory "$ROOT/build/lib"
        --directory "$ROOT/build/x86")
    local -a add=(-a "$WORK/base.info" -a "$WORK/run.info")
    local t
    for t in "${ADD[@]}"; do add+=(-a "$t"); done
    {
        # The baseline lists objects no entry ran, at 0 %.
        lcov --quiet --capture --initial "${common[@]}" -o "$WORK/base.info" &&
            lcov --quiet --capture "${common[@]}" -o "$WORK/run.info" &&
            lcov --quiet "${LCOV_RC[@]}" "${add[@]}" -o "$WORK/all.info" &&
            lcov --quiet "${LCOV_RC[@]}" --extract "$WORK/all.info" \
                "$ROOT/lib/*" "$ROOT/x86/*" -o "$info" &&
            genhtml --quiet --branch-coverage --legend --title "nvmx-tests guest coverage" \
                --prefix "$ROOT" -o "$OUT" "$info"
    } >"$log" 2>&1 || {
        cat "$log" >&2
        die "lcov/genhtml failed" 1
    }
    ((QUIET)) || grep 'WARNING' "$log" >&2 || true
}

main() {
    local opt
    while getopts ":ho:a:q" opt; do
        case $opt in
            h) usage; exit 0 ;;
            o) OUT=$OPTARG ;;
            a) ADD+=("$OPTARG") ;;
            q) QUIET=1 ;;
            :) die "option -$OPTARG needs a value (see -h)" ;;
            *) die "unknown option '-$OPTARG' (see -h)" ;;
        esac
    done
    shift $((OPTIND - 1))
    (($#)) || die "no log given (see -h)"
    local tool
    for tool in lcov genhtml base64 "$(gcov_tool_for gcov)" "$(gcov_tool_for gcov-tool)"; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (Debian: apt-get install lcov gcc)"
    done
    local t
    for t in "${ADD[@]}"; do [[ -r $t ]] || die "tracefile $t not found"; done
    [[ -d $ROOT/build ]] || die "$ROOT/build is missing: build first"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-cov.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    local log k=0 used=0
    for log in "$@"; do
        [[ -r $log ]] || die "log $log not found"
        k=$((k + 1))
        decode_log "$log" "$WORK/e$k" || continue
        merge_into "$WORK/acc" "$WORK/e$k"
        used=$((used + 1))
    done
    ((used)) || die "no coverage data in ${k} log(s)" 1
    install_gcda "$WORK/acc"
    mkdir -p "$OUT"
    run_lcov
    local summary
    summary=$(lcov "${LCOV_RC[@]}" --summary "$OUT/coverage.info" 2>&1 |
        sed -n 's/^ *\(lines\|branches\)\.*: \([0-9.]*%\).*/\1 \2/p' | paste -sd' ')
    printf '%s: %s of %s logs; %s; report %s/index.html\n' \
        "$PROG" "$used" "$k" "${summary:-no summary}" "$OUT" >&2
}

main "$@"
