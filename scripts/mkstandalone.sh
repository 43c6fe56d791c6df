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
# Running tests/standalone/NAME prints the kernel's TAP13 and a SUMMARY line;
# it exits 0 (passed), 1 (failed), 2 (kernel error), 77 (skipped: no usable
# backend, or every case skipped), 3 (crash: no EXIT line) or 124 (timeout).
# Environment: ACCEL (tcg, kvm, bochs; default tcg, bochs for requires=vmx),
# QEMU, TIMEOUT (seconds), BOCHS_BIN, BOCHS_CPU.
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
    printf '# quote_cmd: from scripts/common.sh.\n'
    declare -f quote_cmd
    cat <<'MAIN'

sa_skip() {
    printf 'TAP version 13\n1..0 # SKIP %s\nSUMMARY: %s: SKIP (%s)\n' "$1" "$NAME" "$1"
    exit 77
}

sa_main() {
    local tmo=${TIMEOUT:-$DEF_TIMEOUT} accel backend dir serial rc=0 status msg
    [[ $tmo =~ ^[0-9]+$ ]] || { echo "$NAME: TIMEOUT must be a number" >&2; exit 2; }
    ((tmo == 0)) && tmo=86400
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
    else
        msg=$(qemu_check 2>&1) || sa_skip "$msg"
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
    status=$(sed -n 's/^EXIT: STATUS=\([0-9]*\).*/\1/p' "$serial" 2>/dev/null | tail -n1)
    if [[ -z $status ]]; then
        printf 'not ok - %s: crash (no EXIT line)\n' "$NAME"
        local f
        for f in "$dir/backend.log" "$serial.bochs"; do
            [[ -r $f ]] && tail -n 20 "$f" | sed 's/^/# backend: /'
        done
        printf 'SUMMARY: %s: FAIL (crash: no EXIT line)\n' "$NAME"
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
