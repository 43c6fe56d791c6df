# shellcheck shell=bash
# lib.sh: tiny TAP producer for the runner tests (run by prove, see runner.mk).
# Each test-*.sh sources it, writes a cfg with cfg_write and calls rt to run
# ./run_tests.sh in a scratch directory, then checks with the expect_* helpers.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FIX=$ROOT/build/runner/fixtures
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-rt.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
TESTNO=0
OUT="" ERR="" RC=0
# shellcheck disable=SC2034 # read by the test scripts
ELAPSED=0

ok() {
    TESTNO=$((TESTNO + 1))
    printf 'ok %d - %s\n' "$TESTNO" "$1"
}

not_ok() {
    TESTNO=$((TESTNO + 1))
    printf 'not ok %d - %s\n' "$TESTNO" "$1"
    shift
    local line
    for line in "$@"; do
        # A diagnostic may span lines: every line must stay a TAP comment.
        printf '%s\n' "$line" | sed 's/^/#   /'
    done
    printf '#   --- stdout ---\n'
    printf '%s\n' "$OUT" | sed 's/^/#   /'
    printf '#   --- stderr ---\n'
    printf '%s\n' "$ERR" | sed 's/^/#   /'
}

# cfg_write: $SCRATCH/unittests.cfg from stdin, @FIX@ replaced by the
# fixture directory.
cfg_write() {
    sed "s|@FIX@|$FIX|g" >"$SCRATCH/unittests.cfg"
}

# rt [VAR=value...] [-- ARGS...]: runs run_tests.sh in $SCRATCH with
# NVMX_CFG=$SCRATCH/unittests.cfg; sets OUT, ERR, RC and ELAPSED (seconds).
rt() {
    local -a envs=()
    while (($#)) && [[ $1 != -- ]]; do
        envs+=("$1")
        shift
    done
    (($#)) && shift
    local start=$EPOCHREALTIME
    RC=0
    # Not sharded by the CI job that runs these tests (CI_NODE_*: --shard).
    (cd "$SCRATCH" && env -u CI_NODE_INDEX -u CI_NODE_TOTAL -u NVMX_SHARD_TIMES \
        NVMX_CFG="$SCRATCH/unittests.cfg" "${envs[@]}" \
        "$ROOT/run_tests.sh" "$@" >"$SCRATCH/.out" 2>"$SCRATCH/.err") || RC=$?
    # shellcheck disable=SC2034 # read by the test scripts
    ELAPSED=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.2f", e - s }')
    OUT=$(cat "$SCRATCH/.out")
    ERR=$(cat "$SCRATCH/.err")
}

# expect_eq GOT WANT DESC
expect_eq() {
    if [[ $1 == "$2" ]]; then ok "$3"; else not_ok "$3" "got '$1', wanted '$2'"; fi
}

expect_rc() {
    if [[ $RC == "$1" ]]; then ok "$2 (exit $1)"; else not_ok "$2" "exit status $RC, wanted $1"; fi
}

# expect_out TEXT DESC / expect_err TEXT DESC: fixed string in stdout/stderr.
expect_out() {
    if grep -qF -- "$1" <<<"$OUT"; then ok "$2"; else not_ok "$2" "stdout lacks: $1"; fi
}

expect_err() {
    if grep -qF -- "$1" <<<"$ERR"; then ok "$2"; else not_ok "$2" "stderr lacks: $1"; fi
}

expect_no_out() {
    if grep -qE -- "$1" <<<"$OUT"; then not_ok "$2" "stdout matches: $1"; else ok "$2"; fi
}

expect_last_line() {
    local last
    last=$(tail -n1 <<<"$OUT")
    if [[ $last == "$1" ]]; then ok "$2"; else not_ok "$2" "last line '$last', wanted '$1'"; fi
}

# expect_file_has FILE TEXT DESC
expect_file_has() {
    if [[ -r $1 ]] && grep -qF -- "$2" "$1"; then
        ok "$3"
    else
        not_ok "$3" "$1 lacks: $2" "$(head -40 "$1" 2>/dev/null)"
    fi
}

done_testing() { printf '1..%d\n' "$TESTNO"; }

# bochs_ok: true when the Bochs backend can run here.
bochs_ok() {
    [[ -r $ROOT/scripts/backend-bochs.sh ]] || return 1
    (
        # shellcheck source=/dev/null
        source "$ROOT/scripts/backend-bochs.sh" && bochs_check
    ) >/dev/null 2>&1
}
