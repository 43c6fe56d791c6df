# shellcheck shell=bash disable=SC2034 # globals are used by the sourcing scripts
# common.sh: helpers shared by run_tests.sh and the scripts it sources.

NVMX_ROOT=${NVMX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
NVMX_HOST_BIN=$NVMX_ROOT/build/host
NVMX_STATE_DIR=$NVMX_ROOT/build/runner
PROG=${PROG:-run_tests.sh}

# Debian packages the Bochs backend needs (BACKENDS.md).
BOCHS_PACKAGES="bochs bochsbios vgabios"

nvmx_warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# Exits with status 2: configuration or usage error, nothing was run.
nvmx_die() {
    nvmx_warn "$@"
    exit 2
}

# Prints a command line with shell quoting, so it can be pasted.
quote_cmd() {
    local out="" a
    for a in "$@"; do
        out+="${out:+ }$(printf '%q' "$a")"
    done
    printf '%s\n' "$out"
}

# Path relative to the current directory when below it (for messages).
display_path() {
    local p=$1
    case $p in
        "$PWD"/*) printf '%s\n' "${p#"$PWD"/}" ;;
        *) printf '%s\n' "$p" ;;
    esac
}

# Fractional seconds between two $EPOCHREALTIME values.
elapsed_s() {
    local start=$1 end=$2
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }'
}

# True when the word $1 is in the blank-separated list $2.
in_list() {
    local w
    for w in $2; do
        [[ $w == "$1" ]] && return 0
    done
    return 1
}

# duration_s TEXT: the timeout grammar of TIMEOUT and the cfg's 'timeout'
# (90, 90s, 2m, 1h; 0: none) in seconds; fails on anything else.
duration_s() {
    local n unit
    [[ $1 =~ ^0*([0-9]{1,6})([smh]?)$ ]] || return 1
    n=$((10#${BASH_REMATCH[1]})) unit=${BASH_REMATCH[2]}
    ((n <= 100000)) || return 1
    case $unit in
        m) n=$((n * 60)) ;;
        h) n=$((n * 3600)) ;;
    esac
    printf '%s\n' "$n"
}
