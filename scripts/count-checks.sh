#!/usr/bin/env bash
# count-checks.sh: per entry of a `./run_tests.sh -t` TAP stream, how many
# result lines there are and what stands behind them (docs/ept-probes.md,
# "How we count"). Reads FILE, or stdin when FILE is absent or '-'.
#
#   scripts/count-checks.sh [FILE]
#
# Columns: result lines (all outcomes), pass, xfail, skip, fail (not ok
# without TODO, incl. ERROR); probes: distinct names with their last
# ": aspect" dropped (one L2 access / instruction / VM entry whose exit,
# qualification, GPA, data... are separate lines); user: probes whose name
# has "user " or "CPL3"/"CPL 3"; merged: probes left when "supervisor X"
# and "user X" count once (a CPL3 rerun with the same expectation).
# Distinct rule x condition pairs cannot be read from names: they are
# counted by hand in docs/ept-probes.md.
set -euo pipefail
PROG=count-checks.sh
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Prints usage on stdout.
usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# The table from TAP result lines "ok N - ENTRY: CASE: NAME..." on stdin.
count_tap() {
    awk '
    function add(e) { if (!(e in lines)) order[++n] = e; lines[e]++ }
    /^(not )?ok [0-9]+ - / {
        line = $0
        notok = (line ~ /^not ok/)
        todo = (line ~ / # TODO /)
        skip = (line ~ / # [Ss][Kk][Ii][Pp]/)
        sub(/^(not )?ok [0-9]+ - /, "", line)
        sub(/ # (TODO|[Ss][Kk][Ii][Pp]).*$/, "", line)
        split(line, part, ": ")
        e = part[1]
        add(e)
        if (skip) skips[e]++
        else if (todo && notok) xfails[e]++
        else if (notok) fails[e]++
        else passes[e]++
        probe = line
        if (index(probe, ": ") && probe ~ /: [^:]*$/) sub(/: [^:]*$/, "", probe)
        if (!((e, probe) in seen)) {
            seen[e, probe] = 1
            probes[e]++
            if (probe ~ /(user |CPL ?3)/) users[e]++
            merged = probe
            gsub(/(supervisor|user) /, "", merged)
            if (!((e, merged) in seenm)) { seenm[e, merged] = 1; merges[e]++ }
        }
    }
    END {
        printf "%-18s %7s %7s %6s %5s %5s %7s %6s %7s\n", "entry", "lines", "pass", "xfail", "skip", "fail", "probes", "user", "merged"
        for (i = 1; i <= n; i++) {
            e = order[i]
            printf "%-18s %7d %7d %6d %5d %5d %7d %6d %7d\n", e, lines[e], passes[e], xfails[e], skips[e], fails[e], probes[e], users[e], merges[e]
            tl += lines[e]; tp += passes[e]; tx += xfails[e]; ts += skips[e]; tf += fails[e]; tpr += probes[e]; tu += users[e]; tm += merges[e]
        }
        printf "%-18s %7d %7d %6d %5d %5d %7d %6d %7d\n", "total", tl, tp, tx, ts, tf, tpr, tu, tm
    }'
}

main() {
    case ${1:-} in
        -h | --help) usage; return 0 ;;
    esac
    (($# <= 1)) || nvmx_die "at most one FILE (see --help)"
    local file=${1:--}
    if [[ $file == - ]]; then
        count_tap
    else
        [[ -r $file ]] || nvmx_die "cannot read '$file'"
        count_tap <"$file"
    fi
}

main "$@"
