#!/usr/bin/env bash
# mkstandalone.sh: writes one self-contained script per unittests.cfg entry
# (`make standalone`), to run on a CI host without the source tree. Each
# script embeds the kernel (base64), the entry's settings and the backend
# scripts; it needs only the emulator: QEMU (qemu-system-x86_64), or for
# requires=vmx entries Bochs plus grub-mkrescue/xorriso/mtools.
#
#   scripts/mkstandalone.sh [-o DIR] [ENTRY...]   (default: every entry,
#                                                  DIR: tests/standalone)
#
# Running tests/standalone/NAME [CASE...] prints the kernel's TAP13 and a
# SUMMARY line (CASE...: these cases instead of the entry's own selection);
# it exits 0 (passed), 1 (failed), 2 (kernel error, or a usage error named on
# stderr), 77 (skipped: no usable backend, or every case skipped), 3 (crash:
# no EXIT line, or the backend failed before the kernel ran; the line says
# which) or 124 (timeout).
# Environment: ACCEL (tcg, kvm, bochs; default tcg, bochs for requires=vmx),
# QEMU, TIMEOUT (90, 90s, 2m, 1h; 0: none), BOCHS_BIN, BOCHS_CPU (a VMX+EPT
# model).
set -euo pipefail

# shellcheck disable=SC2034 # read by scripts/common.sh
PROG=mkstandalone.sh
NVMX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/common.sh
source "$NVMX_ROOT/scripts/common.sh"
# shellcheck source=scripts/runner-cfg.sh
source "$NVMX_ROOT/scripts/runner-cfg.sh"
# shellcheck source=scripts/runner-exec.sh
source "$NVMX_ROOT/scripts/runner-exec.sh"

# The generated script's own logic (the backends are pasted in before it).
standalone_main() {
    # quote_cmd (used by qemu_run) comes from scripts/common.sh as it is.
    printf '# quote_cmd, duration_s: from scripts/common.sh.\n'
    declare -f quote_cmd duration_s
    cat <<'MAIN'

sa_skip() {
    printf 'TAP version 13\n1..0 # SKIP %s\nSUMMARY: %s: SKIP (%s)\n' "$1" "$NAME" "$1"
    exit 77
}

sa_usage_error() {
    echo "$NAME: $*" >&2
    exit 2
}

# sa_cases CASE...: the cases named on the command line replace the entry's
# own selection (the kernel's rules: wildcards, -NAME excludes).
sa_cases() {
    local c
    for c in "$@"; do
        [[ -n $c && $c != *[[:space:][:cntrl:]]* && $c != --* ]] ||
            sa_usage_error "'$c' is not a test case name (usage: $NAME [CASE...])"
    done
    (($#)) && TEST_ARGS="$*"
    return 0
}

sa_main() {
    local tmo accel backend dir serial rc=0 status msg
    tmo=$(duration_s "${TIMEOUT:-$DEF_TIMEOUT}") ||
        sa_usage_error "TIMEOUT must be a duration like 90, 90s, 2m or 1h (0: none), not '$TIMEOUT'"
    ((tmo == 0)) && tmo=86400
    sa_cases "$@"
    accel=${ACCEL:-}
    [[ -z $accel ]] && { if ((REQ_VMX)); then accel=bochs; else accel=tcg; fi; }
    case $accel in
        tcg) ((REQ_VMX)) && sa_skip "requires vmx: TCG can't emulate VMX"; backend=qemu-tcg ;;
        kvm) backend=qemu-kvm ;;
        bochs) backend=bochs ;;
        *) echo "$NAME: ACCEL must be kvm, tcg or bochs, not '$accel'" >&2; exit 2 ;;
    esac
    if [[ $backend == bochs ]]; then
        msg=$(bochs_check 2>&1) || sa_skip "Bochs unusable: $(tr '\n' ' ' <<<"$msg")"
        if msg=$(bochs_model_problem "${BOCHS_CPU:-$DEF_BOCHS_CPU}"); then
            sa_usage_error "BOCHS_CPU: $msg"
        fi
        if [[ -n ${BOCHS_CPU:-} && " ${BOCHS_VMX_EPT_MODELS[*]} " != *" $BOCHS_CPU "* ]]; then
            sa_usage_error "BOCHS_CPU: CPU model '$BOCHS_CPU' has no VMX with EPT"
        fi
    else
        msg=$(qemu_check 2>&1) || sa_skip "$msg"
        if [[ $backend == qemu-kvm ]] && [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
            sa_skip "ACCEL=kvm: /dev/kvm is missing or not readable and writable"
        fi
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-sa.XXXXXX")
    # shellcheck disable=SC2064 # expand $dir now
    trap "rm -rf '$dir'" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    base64 -d >"$dir/$NAME.flat" <<<"$KERNEL_B64"
    serial=$dir/serial
    local kbackend=$backend
    [[ $backend == bochs ]] && kbackend=$(bochs_backend_name) # bochs-2.7: errata per version
    local args="--tap --backend=$kbackend${TEST_ARGS:+ $TEST_ARGS}"
    local -a extra=("${QEMU_EXTRA[@]}")
    [[ $backend == qemu-kvm ]] && ((REQ_VMX)) && extra=(-cpu "host,+vmx" "${extra[@]}")
    if [[ $backend == bochs ]]; then
        bochs_run "$dir/$NAME.flat" "$serial" "$tmo" "$SMP" "$MEM" \
            "${BOCHS_CPU:-$DEF_BOCHS_CPU}" "$args" >"$dir/backend.log" 2>&1 || rc=$?
    else
        qemu_run "$dir/$NAME.flat" "$serial" "$tmo" "$SMP" "$MEM" "${backend#qemu-}" \
            "$args" "${extra[@]}" >"$dir/backend.log" 2>&1 || rc=$?
    fi
    [[ -r $serial ]] && sed '/^EXIT: STATUS=/,$d' "$serial"
    if ((rc == 124)); then
        printf 'not ok - %s: timeout after %ss\nSUMMARY: %s: FAIL (timeout after %ss)\n' \
            "$NAME" "$tmo" "$NAME" "$tmo"
        exit 124
    fi
    status=""
    [[ -r $serial ]] && status=$(sed -n 's/^EXIT: STATUS=\([0-9]*\).*/\1/p' "$serial" | tail -n1)
    if [[ -z $status ]]; then
        local why="crash: no EXIT line" line="crash (no EXIT line)" qrc
        if [[ ! -s $serial ]]; then
            why="the backend ($backend) failed before the kernel ran: status $rc"
            qrc=$(sed -n 's/^qemu_run: QEMU exit status \([0-9]*\).*/\1/p' "$dir/backend.log" | tail -n1)
            [[ -n $qrc ]] && why="QEMU exited $qrc before the kernel ran"
            line=$why
        fi
        printf 'not ok - %s: %s\n' "$NAME" "$line"
        local f
        for f in "$dir/backend.log" "$serial.bochs"; do
            [[ -r $f ]] && tail -n 20 "$f" | sed 's/^/# backend: /'
        done
        printf 'SUMMARY: %s: FAIL (%s)\n' "$NAME" "$why"
        exit 3
    fi
    local counts verdict
    counts=$(sed -n 's/^# SUMMARY: //p' "$serial" | tail -n1)
    case $status in
        0) verdict=PASS ;;
        77) verdict=SKIP ;;
        1) verdict=FAIL ;;
        *) verdict="ERROR (EXIT: STATUS=$status)" ;;
    esac
    printf 'SUMMARY: %s: %s (%s; backend %s)\n' "$NAME" "$verdict" "${counts:-no counts}" \
        "$(if [[ $backend == bochs ]]; then echo "bochs cpu=${BOCHS_CPU:-$DEF_BOCHS_CPU}"; else echo "$backend"; fi)"
    exit "$status"
}

sa_main "$@"
MAIN
}

# generate I OUT: writes the script of entry I to OUT.
generate() {
    local i=$1 out=$2 kernel vmx=0 w
    kernel=$(kernel_path "$i")
    [[ -r $kernel ]] || nvmx_die "entry ${E_NAME[i]}: kernel $(display_path "$kernel") not found (run make)"
    in_list vmx "${E_REQ[i]}" && vmx=1
    local -a extra=()
    [[ -n ${E_QEMU[i]} ]] && IFS=$'\x1f' read -r -a extra <<<"${E_QEMU[i]}"
    {
        printf '#!/usr/bin/env bash\n'
        printf '# Standalone nvmx-tests entry %s (%s), generated by make standalone.\n' \
            "${E_NAME[i]}" "$(display_path "$kernel")"
        printf '# Run without the source tree; see scripts/mkstandalone.sh for the\n'
        printf '# environment (ACCEL QEMU TIMEOUT BOCHS_BIN BOCHS_CPU) and exit statuses.\n'
        printf '# shellcheck disable=SC2317 # backend helpers not every entry needs\nset -euo pipefail\n'
        printf 'NAME=%q\n' "${E_NAME[i]}"
        printf 'TEST_ARGS=%q\n' "${E_ARGS[i]}"
        printf 'SMP=%q MEM=%q DEF_TIMEOUT=%q REQ_VMX=%d\n' "${E_SMP[i]}" "${E_MEM[i]}" \
            "${E_TIMEOUT[i]}" "$vmx"
        printf 'DEF_BOCHS_CPU=%q\n' "${E_BCPU[i]:-corei7_skylake_x}"
        printf 'QEMU_EXTRA=('
        for w in "${extra[@]}"; do printf ' %q' "$w"; done
        printf ' )\n'
        printf '\n# ---- scripts/backend-qemu.sh ----\n'
        cat "$NVMX_ROOT/scripts/backend-qemu.sh"
        printf '\n# ---- scripts/backend-bochs.sh ----\n'
        cat "$NVMX_ROOT/scripts/backend-bochs.sh"
        printf '\n# ---- main ----\n'
        standalone_main
        printf '\nKERNEL_B64=%s\n' "'"
        base64 -w 76 "$kernel"
        printf "'\n"
    } >"$out.tmp"
    # The kernel goes last: move the sa_main call after it.
    sed -i '/^sa_main "\$@"$/d' "$out.tmp"
    printf 'sa_main "$@"\n' >>"$out.tmp"
    chmod +x "$out.tmp"
    mv -f "$out.tmp" "$out"
}

main() {
    local outdir=$NVMX_ROOT/tests/standalone i
    if [[ ${1:-} == -o ]]; then
        [[ -n ${2:-} ]] || nvmx_die "-o needs a directory"
        outdir=$2
        shift 2
    fi
    local cfg=${NVMX_CFG:-$NVMX_ROOT/x86/unittests.cfg}
    [[ $cfg == /* ]] || cfg=$PWD/$cfg
    CFG_SHOWN=$(display_path "$cfg")
    # shellcheck disable=SC2034 # read by kernel_path (runner-exec.sh)
    CFG_DIR=$(dirname "$cfg")
    cfg_load "$CFG_SHOWN"
    cfg_select 1 "" "$@"
    mkdir -p "$outdir"
    for i in "${SELECTED[@]}"; do
        generate "$i" "$outdir/${E_NAME[i]}"
        printf '  STANDALONE %s\n' "$(display_path "$outdir/${E_NAME[i]}")"
    done
}

main "$@"
