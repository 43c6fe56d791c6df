# shellcheck shell=bash
# backend-qemu.sh: boots a test kernel under QEMU (KVM or TCG).
#
#   qemu_check
#       0 if $QEMU (default qemu-system-x86_64) can be run; else prints which
#       Debian package to install and returns 1.
#   qemu_command KERNEL SERIAL_LOG SMP MEM_MIB ACCEL KERNEL_ARGS [EXTRA...]
#       Sets the array QEMU_CMD to the command line (ACCEL: kvm or tcg).
#   qemu_run KERNEL SERIAL_LOG TIMEOUT_S SMP MEM_MIB ACCEL KERNEL_ARGS [EXTRA...]
#       Runs it; COM1 and a virtio console (lib/x86/virtio_console.hh: one
#       exit per line instead of one per byte under KVM) share SERIAL_LOG,
#       in order. Prints the command and QEMU's exit status on stdout.
#       Returns 124 on timeout (TIMEOUT_S 0: none), else 0:
#       QEMU's own status means little (isa-debug-exit gives (n << 1) | 1,
#       a triple fault gives 0 thanks to -no-reboot); the runner decides by
#       the kernel's "EXIT: STATUS=n" line. A line "BACKEND-ERROR: text" on
#       stdout says why the emulator stopped early (shown with the crash).

QEMU_PACKAGE=qemu-system-x86

qemu_binary() { printf '%s\n' "${QEMU:-qemu-system-x86_64}"; }

qemu_check() {
    local q
    q=$(qemu_binary)
    if ! command -v "$q" >/dev/null 2>&1; then
        printf "QEMU not found: '%s' cannot be run (Debian: apt-get install %s)\n" \
            "$q" "$QEMU_PACKAGE" >&2
        return 1
    fi
}

qemu_command() {
    local kernel=$1 serial=$2 smp=$3 mem=$4 accel=$5 args=$6
    shift 6
    local cpu=max
    [[ $accel == kvm ]] && cpu=host
    QEMU_CMD=("$(qemu_binary)" -nodefaults -display none -no-reboot
        -accel "$accel" -cpu "$cpu" -m "$mem" -smp "$smp"
        -device "isa-debug-exit,iobase=0xf4,iosize=4"
        -chardev "file,id=con,path=$serial,mux=on" -serial chardev:con
        -device "virtio-serial-pci,ioeventfd=off" -device "virtconsole,chardev=con"
        -kernel "$kernel" -append "$args" "$@")
}

qemu_run() {
    local kernel=$1 serial=$2 tmo=$3 smp=$4 mem=$5 accel=$6 args=$7
    shift 7
    qemu_command "$kernel" "$serial" "$smp" "$mem" "$accel" "$args" "$@"
    printf '+ timeout -k 5 %s %s\n' "$tmo" "$(quote_cmd "${QEMU_CMD[@]}")"
    local rc=0 err=$serial.qemu-stderr pid watcher
    # QEMU pauses the guest on a KVM internal error and would sit there until
    # the timeout: a watcher stops it at once.
    timeout -k 5 "$tmo" "${QEMU_CMD[@]}" </dev/null 2>"$err" &
    pid=$!
    (
        while kill -0 "$pid" 2>/dev/null; do
            if grep -q 'KVM internal error' "$err" 2>/dev/null; then
                : >"$err.kvm-error"
                kill -TERM "$pid" 2>/dev/null
                break
            fi
            sleep 0.2
        done
    ) &
    watcher=$!
    wait "$pid" || rc=$?
    kill "$watcher" 2>/dev/null || true
    wait "$watcher" 2>/dev/null || true
    cat "$err" >&2
    if [[ -e $err.kvm-error ]]; then
        printf 'BACKEND-ERROR: KVM internal error (guest stopped, QEMU killed)\n'
        rm -f "$err" "$err.kvm-error"
        return 0
    fi
    rm -f "$err"
    if ((rc == 124 || rc == 137)); then
        printf 'qemu_run: timeout after %ss\n' "$tmo"
        return 124
    fi
    if ((rc & 1)); then
        printf 'qemu_run: QEMU exit status %s (isa-debug-exit value %s, if the guest wrote it)\n' \
            "$rc" "$((rc >> 1))"
    else
        printf 'qemu_run: QEMU exit status %s\n' "$rc"
    fi
    return 0
}
