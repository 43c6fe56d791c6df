#!/usr/bin/env bash
# kvm-coverage.sh: KVM code coverage of kvm-in-bochs runs. Turns the .gcda
# archives that L1 sends at the end of a run (init.sh coverage_send; a kernel
# of `make kvm-kernel KVM_COVERAGE=1`) into an lcov tracefile, a genhtml
# report and a summary of the files nested VMX lives in. run_tests.sh
# --kvm-coverage DIR calls it; by hand (e.g. to add up shards):
#
#   scripts/kvm-coverage.sh -k BUILD [-o DIR] [-a TRACEFILE]... [ARCHIVE]...
#
# BUILD: the kernel's build directory (build/kvm-kernel/<key>, holding info
# and obj/ with the .gcno files). ARCHIVE: logs/kvm-in-bochs/*.kvm-gcov.tgz.
# TRACEFILE: another run's DIR/kvm.info (same kernel build). See
# docs/kvm-coverage.md.
set -euo pipefail

PROG=kvm-coverage.sh
LCOV_RC=(--rc lcov_branch_coverage=1)
# The files of the summary: path below the tree, and a function-name filter
# (an awk regex; empty: every function) for files whose part of interest is
# a set of functions (the EPT instance of paging_tmpl.h: FNAME() = ept_*).
SUMMARY_ROWS=(
    "arch/x86/kvm/vmx/nested.c|"
    "arch/x86/kvm/vmx/vmx.c|"
    "arch/x86/kvm/mmu/paging_tmpl.h|"
    "arch/x86/kvm/mmu/paging_tmpl.h|^ept_"
    "arch/x86/kvm/mmu/mmu.c|"
    "arch/x86/kvm/emulate.c|"
    "arch/x86/kvm/x86.c|"
    "arch/x86/kvm/x86.c|^emulator_"
)

usage() {
    cat <<USAGE
Usage: scripts/kvm-coverage.sh -k BUILD [-o DIR] [-a TRACEFILE]... [ARCHIVE]...

  -k BUILD      the kernel's build directory (build/kvm-kernel/<key>)
  -o DIR        report directory (default: kvm-cov): DIR/index.html,
                DIR/kvm.info (lcov tracefile), DIR/summary.txt
  -a TRACEFILE  also add this tracefile (another run's DIR/kvm.info)
  -q            quiet: only warnings and the summary

ARCHIVE: .kvm-gcov.tgz files of L1 (logs/kvm-in-bochs/). At least one
ARCHIVE or TRACEFILE. Exit status: 0 report written, 1 no usable data or lcov
failed, 2 usage error.
USAGE
}

die() {
    printf '%s: %s\n' "$PROG" "$1" >&2
    exit "${2:-2}"
}
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }

OUT=kvm-cov QUIET=0 BUILD=""
ADD=()
WORK=""
OBJ="" SRC=""

# build_info: OBJ and SRC from BUILD/info; dies unless it is a coverage build.
build_info() {
    [[ -r $BUILD/info ]] || die "-k $BUILD: no info file: not a build/kvm-kernel/<key> directory of make kvm-kernel"
    grep -qx 'coverage=1' "$BUILD/info" ||
        die "-k $BUILD: built without coverage (make kvm-kernel KVM_COVERAGE=1)"
    OBJ=$(sed -n 's/^obj=//p' "$BUILD/info")
    SRC=$(sed -n 's/^source=//p' "$BUILD/info")
    [[ -d $OBJ/arch/x86/kvm ]] || die "-k $BUILD: $OBJ/arch/x86/kvm is missing (rebuild the kernel)"
}

# relocate PATH: the path below OBJ whose .gcno exists for a .gcda path of L1
# (an absolute compile-time path under debugfs; ".." components folded).
relocate() {
    local rest
    rest=$(realpath -m -s "/$1")
    rest=${rest#/}
    while :; do
        if [[ $rest == *.gcda && -e $OBJ/${rest%.gcda}.gcno ]]; then
            printf '%s\n' "$rest"
            return 0
        fi
        [[ $rest == */* ]] || return 1
        rest=${rest#*/}
    done
}

# mirror DIR: DIR/<rel>.gcno links to every .gcno of arch/x86/kvm's objects.
mirror() {
    local dir=$1 g rel
    while IFS= read -r -d '' g; do
        rel=${g#"$OBJ"/}
        mkdir -p "$dir/$(dirname "$rel")"
        ln -s "$g" "$dir/$rel"
    done < <(find "$OBJ/arch/x86/kvm" "$OBJ/virt/kvm" -name '*.gcno' -print0 2>/dev/null)
}

# capture ARCHIVE N: WORK/run<N>.info from one archive; fails without data.
capture() {
    local archive=$1 n=$2
    local dir=$WORK/t$n f rel got=0
    mkdir -p "$dir/x"
    if ! tar -xzf "$archive" -C "$dir/x" 2>"$WORK/tar.err"; then
        warn "$archive: not a readable .tar.gz ($(head -n1 "$WORK/tar.err")): skipped"
        return 1
    fi
    mirror "$dir/m"
    while IFS= read -r -d '' f; do
        if ! rel=$(relocate "${f#"$dir/x"}"); then
            warn "$archive: no .gcno in $OBJ for ${f#"$dir/x"}: skipped"
            continue
        fi
        cp "$f" "$dir/m/$rel"
        got=$((got + 1))
    done < <(find "$dir/x" -name '*.gcda' -print0)
    ((got)) || {
        warn "$archive: no .gcda of this kernel build: skipped"
        return 1
    }
    lcov --quiet --capture "${LCOV_RC[@]}" --base-directory "$OBJ" --directory "$dir/m" \
        -o "$WORK/run$n.info" >>"$WORK/lcov.log" 2>&1 || return 1
    rm -rf "$dir"
}

# report: DIR/kvm.info (baseline + runs + -a files, KVM's sources only) and HTML.
report() {
    local -a add=(-a "$WORK/base.info")
    local f
    for f in "$WORK"/run*.info "${ADD[@]}"; do
        [[ -e $f ]] && add+=(-a "$f")
    done
    mirror "$WORK/base"
    {
        # The baseline lists the objects no run reached, at 0 %.
        lcov --quiet --capture --initial "${LCOV_RC[@]}" --base-directory "$OBJ" \
            --directory "$WORK/base" -o "$WORK/base.info" &&
            lcov --quiet "${LCOV_RC[@]}" "${add[@]}" -o "$WORK/all.info" &&
            lcov --quiet "${LCOV_RC[@]}" --extract "$WORK/all.info" \
                '*/arch/x86/kvm/*' '*/virt/kvm/*' -o "$OUT/kvm.info" &&
            genhtml --quiet --branch-coverage --function-coverage --legend \
                --title "KVM (arch/x86/kvm, virt/kvm) under nvmx-tests" \
                --prefix "$SRC" -o "$OUT" "$OUT/kvm.info"
    } >>"$WORK/lcov.log" 2>&1 || {
        cat "$WORK/lcov.log" >&2
        die "lcov/genhtml failed" 1
    }
}

# summary_row FILE FNREGEX: "lines functions branches" of FILE in DIR/kvm.info
# (with FNREGEX: only the lines and branches inside the matching functions).
summary_row() {
    awk -v file="$1" -v re="$2" '
        /^SF:/ { on = (substr($0, 4) ~ ("/" file "$")); delete start; nfn = 0; next }
        !on { next }
        /^FN:/ { split(substr($0, 4), a, ","); nfn++; fl[nfn] = a[1] + 0; fnm[nfn] = a[2]; next }
        /^FNDA:/ { split(substr($0, 6), a, ","); hit[a[2]] = (hit[a[2]] || a[1] > 0); next }
        /^DA:/ { split(substr($0, 4), a, ","); if (inside(a[1] + 0)) { lf++; lh += (a[2] > 0) } next }
        /^BRDA:/ { split(substr($0, 6), a, ","); if (inside(a[1] + 0)) { bf++; bh += (a[4] != "-" && a[4] > 0) } next }
        /^end_of_record/ {
            if (on) for (k = 1; k <= nfn; k++) if (re == "" || fnm[k] ~ re) { ff++; fh += hit[fnm[k]] }
            on = 0; next
        }
        # A line belongs to the function with the nearest start line above it
        # (of the instances of a template function, which share their lines,
        # the one matching FNREGEX).
        function inside(l,   k, best, bl) {
            if (re == "") return 1
            best = ""; bl = -1
            for (k = 1; k <= nfn; k++)
                if (fl[k] <= l && (fl[k] > bl || (fl[k] == bl && fnm[k] ~ re))) { bl = fl[k]; best = fnm[k] }
            return best != "" && best ~ re
        }
        function pct(h, n) { return n ? sprintf("%.1f %% (%d/%d)", 100 * h / n, h, n) : "-" }
        END { printf "%s\t%s\t%s\n", pct(lh, lf), pct(fh, ff), pct(bh, bf) }
    ' "$OUT/kvm.info"
}

# uncovered FILE N: the N largest uncovered regions of FILE: maximal runs of
# instrumented lines that never ran, inside one function (by its start line),
# as "lines<TAB>first-last<TAB>function", largest first. The last stage reads
# all of sort's output (sed, not head): head leaving early made sort die of
# SIGPIPE on a long list, and with pipefail that stopped the summary halfway.
uncovered() {
    awk -v file="$1" '
        /^SF:/ { on = (substr($0, 4) ~ ("/" file "$")); next }
        !on { next }
        /^FN:/ { split(substr($0, 4), a, ","); fl[++nfn] = a[1] + 0; fnm[nfn] = a[2]; next }
        /^DA:/ { split(substr($0, 4), a, ","); n++; ln[n] = a[1] + 0; cnt[n] = a[2] + 0; next }
        /^end_of_record/ { on = 0 }
        function fn_of(l,   k, best, bl) {
            best = "?"; bl = -1
            for (k = 1; k <= nfn; k++) if (fl[k] <= l && fl[k] > bl) { bl = fl[k]; best = fnm[k] }
            return best
        }
        # lcov lists DA lines in ascending order.
        END {
            run = 0
            for (k = 1; k <= n + 1; k++) {
                f = (k <= n) ? fn_of(ln[k]) : ""
                if (k <= n && cnt[k] == 0 && run && f == rf) { run++; last = ln[k]; continue }
                if (run) printf "%d\t%d-%d\t%s\n", run, first, last, rf
                run = 0
                if (k <= n && cnt[k] == 0) { run = 1; first = last = ln[k]; rf = f }
            }
        }
    ' "$OUT/kvm.info" | sort -t$'\t' -k1,1nr -k2,2n | sed -n "1,$2p"
}

# summary: DIR/summary.txt, a table of the SUMMARY_ROWS files.
summary() {
    local row file re
    {
        printf '%-44s %-22s %-20s %s\n' file lines functions branches
        for row in "${SUMMARY_ROWS[@]}"; do
            file=${row%%|*} re=${row#*|}
            IFS=$'\t' read -r l f b < <(summary_row "$file" "$re")
            printf '%-44s %-22s %-20s %s\n' "${file#arch/x86/kvm/}${re:+ [$re]}" "$l" "$f" "$b"
        done
        for file in vmx/nested.c mmu/paging_tmpl.h; do
            printf '\nlargest uncovered regions of %s (lines never run, first-last, function):\n' "$file"
            # paging_tmpl.h: its three instances share the lines: FNAME(name).
            uncovered "arch/x86/kvm/$file" 10 | sed -E 's/^/  /; s/\t(paging32|paging64|ept)_([a-z_0-9]*)$/\tFNAME(\2)/'
        done
    } >"$OUT/summary.txt"
}

main() {
    local opt
    while getopts ":hk:o:a:q" opt; do
        case $opt in
            h) usage; exit 0 ;;
            k) BUILD=$OPTARG ;;
            o) OUT=$OPTARG ;;
            a) ADD+=("$OPTARG") ;;
            q) QUIET=1 ;;
            :) die "option -$OPTARG needs a value (see -h)" ;;
            *) die "unknown option '-$OPTARG' (see -h)" ;;
        esac
    done
    shift $((OPTIND - 1))
    [[ -n $BUILD ]] || die "-k BUILD is required (the build/kvm-kernel/<key> directory of the kernel that ran)"
    (($# + ${#ADD[@]})) || die "no archive and no tracefile given (see -h)"
    local tool t a
    for tool in lcov genhtml gcov tar realpath; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (Debian: apt-get install lcov gcc)"
    done
    for t in "${ADD[@]}"; do [[ -r $t ]] || die "tracefile $t not found"; done
    for a in "$@"; do [[ -r $a ]] || die "archive $a not found"; done
    build_info
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-kvmcov.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    local k=0 used=0
    for a in "$@"; do
        k=$((k + 1))
        capture "$a" "$k" && used=$((used + 1))
    done
    ((used + ${#ADD[@]})) || die "no coverage data in $k archive(s)" 1
    mkdir -p "$OUT"
    report
    summary
    ((QUIET)) || cat "$OUT/summary.txt" >&2
    printf '%s: %s of %s archives%s; nested.c lines %s; report %s/index.html\n' "$PROG" "$used" "$k" \
        "${ADD[*]:+ + ${#ADD[@]} tracefile(s)}" "$(summary_row arch/x86/kvm/vmx/nested.c "" | cut -f1)" "$OUT" >&2
}

main "$@"
