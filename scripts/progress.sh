# shellcheck shell=bash
# progress.sh: the live progress line of run_tests.sh, on stderr (stdout
# carries only results, so -t stays exactly TAP). Only when stdout and stderr
# are a terminal and the output is not TAP (-t); otherwise every function is a
# no-op. NVMX_PROGRESS=0 turns it off, =1 forces it (still on stderr).
#
#   progress_init TAP      decides once per run (sets PROGRESS_ON)
#   progress_show N TOTAL ENTRY RUNNING
#                          "[N/TOTAL] ENTRY (RUNNING running) Ts" on one line,
#                          redrawn in place when the text changes
#   progress_clear         erases the line (before each final line)

PROGRESS_ON=0
PROGRESS_START=""
PROGRESS_LAST=""

progress_init() {
    local tap=$1
    PROGRESS_ON=0
    case ${NVMX_PROGRESS:-} in
        0) return 0 ;;
        1) PROGRESS_ON=1 ;;
        *) [[ -t 1 && -t 2 ]] && ((!tap)) && PROGRESS_ON=1 ;;
    esac
    PROGRESS_START=$EPOCHREALTIME
    PROGRESS_LAST=""
    return 0
}

progress_show() {
    ((PROGRESS_ON)) || return 0
    local n=$1 total=$2 entry=$3 running=$4 secs text
    # Whole seconds without a subprocess ($EPOCHREALTIME in microseconds).
    secs=$(((10#${EPOCHREALTIME//[!0-9]/} - 10#${PROGRESS_START//[!0-9]/}) / 1000000))
    text="[$n/$total] $entry"
    ((running > 1)) && text+=" ($running running)"
    text+=" ${secs}s"
    ((${#text} > 79)) && text=${text:0:79}
    [[ $text == "$PROGRESS_LAST" ]] && return 0
    printf '\r\033[K%s' "$text" >&2
    PROGRESS_LAST=$text
}

progress_clear() {
    ((PROGRESS_ON)) || return 0
    [[ -n $PROGRESS_LAST ]] && printf '\r\033[K' >&2
    PROGRESS_LAST=""
    return 0
}
