# shellcheck shell=bash
# runner-exec.sh: runs one entry on its backend (as a background job) and
# writes logs/<entry>.log: a header, the serial output between markers that
# nvmx-tap looks for, then what the backend printed.
#
# Results go to $RUNTMP/<i>.result ("result=ran|timeout|error|interrupted",
# "reason=", "duration=") and $RUNTMP/<i>.done marks the job finished.
# $RUNTMP/<i>.start (the start time) exists from the start of the backend to
# the end of the log, so that an interrupted run can still close the log
# (entry_interrupted).

SERIAL_BEGIN="==== serial output (COM1) ===="
SERIAL_END="==== end of serial output ===="
# The kernels' command line buffer (lib/x86/setup.cc g_cmdline[4096]).
KERNEL_CMDLINE_MAX=4095

# kernel_path I: the entry's kernel. A relative `file` is looked up next to
# the cfg file, then in x86/ of this tree (README: x86/unittests.cfg).
kernel_path() {
    local f=${E_FILE[$1]}
    if [[ $f == /* ]]; then
        printf '%s\n' "$f"
    elif [[ -e $CFG_DIR/$f || ! -e $NVMX_ROOT/x86/$f ]]; then
        printf '%s\n' "$CFG_DIR/$f"
    else
        printf '%s\n' "$NVMX_ROOT/x86/$f"
    fi
}

entry_timeout() {
    local i=$1
    if [[ -n ${TIMEOUT:-} ]]; then printf '%s\n' "$TIMEOUT_S"; else printf '%s\n' "${E_TIMEOUT[i]}"; fi
}

# multiboot_problem KERNEL: prints why KERNEL is not a multiboot v1 image
# (nothing when it is one): the header (magic 0x1BADB002, flags, checksum
# with magic + flags + checksum = 0 mod 2^32) must sit 4-byte aligned in the
# first 8 KiB.
multiboot_problem() {
    local kernel=$1
    if [[ ! -s $kernel ]]; then
        printf 'is empty\n'
        return
    fi
    od -An -v -tu4 -N8192 "$kernel" | awk '
        { for (i = 1; i <= NF; i++) w[n++] = $i }
        END {
            for (k = 0; k + 2 < n; k++)
                if (w[k] == 464367618 && (w[k] + w[k + 1] + w[k + 2]) % 4294967296 == 0)
                    exit 0
            print "is not a multiboot image (no 0x1BADB002 header with a valid checksum in its first 8 KiB)"
        }'
}

# backend_errors I BACKEND_OUT SERIAL: "BACKEND-ERROR: text" lines for the
# errors the backend printed when the kernel never reached its EXIT line
# (QEMU's "qemu-system-x86_64: ..." lines, Bochs' PANIC/ERROR/FATAL lines).
backend_errors() {
    local i=$1 out=$2 serial=$3
    grep -q '^EXIT: STATUS=' "$serial" 2>/dev/null && return 0
    case ${R_BACKEND[i]} in
        qemu-*)
            grep -E "^[^ ]*qemu-system[^ :]*: " "$out" 2>/dev/null | head -n3 |
                sed 's/^[^ ]*qemu-system[^ :]*: /BACKEND-ERROR: qemu: /'
            # Nothing on the serial port and a failing QEMU: it never ran the kernel.
            if [[ ! -s $serial ]]; then
                sed -n 's/^qemu_run: QEMU exit status \([1-9][0-9]*\).*/BACKEND-ERROR: QEMU exited \1 before the kernel ran/p' \
                    "$out" 2>/dev/null
            fi
            ;;
        bochs)
            # Panics (">>PANIC<<"), else errors of no device (bochsrc errors).
            {
                grep -E '^[0-9]+p\[' "$serial.bochs" 2>/dev/null ||
                    grep -E '^[0-9]+e\[ *\] ' "$serial.bochs" 2>/dev/null
                grep -E '^bochs: ' "$out" 2>/dev/null
            } | head -n3 | sed -E 's/^[0-9]+[pe]\[[^]]*\] *//; s/^>>PANIC<< //; s/^bochs: //;
                s/^/BACKEND-ERROR: bochs: /'
            ;;
    esac
}

# log_tail I RC RESULT DURATION: appends the serial output and what the
# backend printed to the entry's log; moves Bochs' log next to it.
log_tail() {
    local i=$1 rc=$2 result=$3 duration=$4 bad=0
    local name=${E_NAME[i]} serial=$RUNTMP/$i.serial backend_out=$RUNTMP/$i.backend
    local log=$LOGDIR/$name.log
    # Every write is checked (bad=1): a full disk must not look like a crash.
    {
        printf '%s\n' "$SERIAL_BEGIN" || bad=1
        if [[ -r $serial ]]; then cat "$serial" || bad=1; fi
        # A kernel that dies mid-line leaves no newline before the marker.
        if [[ -s $serial && $(tail -c1 "$serial" | od -An -c | tr -d ' ') != '\n' ]]; then
            printf '\n' || bad=1
        fi
        printf '%s\n' "$SERIAL_END" || bad=1
        printf '# backend status: %s (%s), %s s\n' "$rc" "$result" "$duration" || bad=1
        if [[ -s $backend_out ]]; then
            printf '==== backend output ====\n' || bad=1
            cat "$backend_out" || bad=1
        fi
        if [[ $result == ran ]]; then backend_errors "$i" "$backend_out" "$serial" || true; fi
    } >>"$log" || bad=1
    ((bad)) && log_write_failed "$i" "$log"
    if [[ -e $serial.bochs ]]; then
        mv -f -- "$serial.bochs" "$LOGDIR/$name.bochs.log" || log_write_failed "$i" "$LOGDIR/$name.bochs.log"
    fi
    return 0
}

# log_write_failed I FILE: the entry's log could not be written (a full
# disk): its result becomes an error naming the file, not a crash.
log_write_failed() {
    printf 'reason=cannot write %s (filesystem full?); the log is incomplete\n' "$2" >"$RUNTMP/$1.reason"
    printf '%s: cannot write %s (filesystem full?)\n' "$PROG" "$2" >&2
}

# run_entry I: runs the entry, writes its log and result file.
run_entry() {
    local i=$1
    local name=${E_NAME[i]} kernel tmo args log serial backend_out start end rc=0 result=ran
    local problem
    kernel=$(kernel_path "$i")
    tmo=$(entry_timeout "$i")
    # --backend names the backend to the kernel, which looks up its errata
    # (Bochs with its version: bochs-2.7).
    local kbackend=${R_BACKEND[i]}
    [[ $kbackend == bochs ]] && kbackend=$(bochs_backend_name)
    args="--tap --backend=$kbackend${E_ARGS[i]:+ ${E_ARGS[i]}}"
    log=$LOGDIR/$name.log
    serial=$RUNTMP/$i.serial
    backend_out=$RUNTMP/$i.backend
    local -a extra=()
    if [[ -n ${E_QEMU[i]} ]]; then
        IFS=$'\x1f' read -r -a extra <<<"${E_QEMU[i]}"
    fi
    if [[ ${R_BACKEND[i]} == qemu-kvm ]] && in_list vmx "${E_REQ[i]}"; then
        extra=(-cpu "host,+vmx" "${extra[@]}")
    fi
    {
        printf '# nvmx-tests run_tests.sh: entry %s (%s:%s)\n' "$name" "$CFG_SHOWN" "${E_LINE[i]}"
        printf '# date: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        printf '# backend: %s\n' "$(backend_label "$i")"
        printf '# kernel: %s\n' "$(display_path "$kernel")"
        printf '# kernel args: %s\n' "$args"
        printf '# timeout: %s, smp: %s, memory: %s MiB\n' \
            "$( ((tmo)) && printf '%ss' "$tmo" || printf 'none')" "${E_SMP[i]}" "${E_MEM[i]}"
        case ${R_BACKEND[i]} in
            qemu-*)
                qemu_command "$kernel" "$serial" "${E_SMP[i]}" "${E_MEM[i]}" \
                    "${R_BACKEND[i]#qemu-}" "$args" "${extra[@]}"
                printf '# command: timeout -k 5 %s %s\n' "$tmo" "$(quote_cmd "${QEMU_CMD[@]}")"
                ;;
            bochs)
                printf '# bochs: %s\n' "$(bochs_describe)"
                printf '# command: %s\n' "$(quote_cmd bochs_run "$kernel" "$serial" "$tmo" \
                    "${E_SMP[i]}" "${E_MEM[i]}" "$(bochs_cpu_of "$i")" "$args")"
                if ((${#extra[@]})); then
                    printf '# note: extra_params ignored on Bochs (only -append, -smp, -m apply): %s\n' \
                        "$(quote_cmd "${extra[@]}")"
                fi
                ;;
        esac
    } >"$log"
    : >"$serial"
    start=$EPOCHREALTIME
    if [[ ! -e $kernel ]]; then
        result=error
        printf 'reason=kernel %s not found (run make)\n' "$(display_path "$kernel")" \
            >"$RUNTMP/$i.reason"
    elif [[ ! -f $kernel || ! -r $kernel ]]; then
        result=error
        printf 'reason=kernel %s is not a readable file\n' "$(display_path "$kernel")" >"$RUNTMP/$i.reason"
    elif ((${#args} > KERNEL_CMDLINE_MAX)); then
        result=error
        printf 'reason=kernel command line of %s bytes (test_args or cases); the kernels take at most %s\n' \
            "${#args}" "$KERNEL_CMDLINE_MAX" >"$RUNTMP/$i.reason"
    elif problem=$(multiboot_problem "$kernel") && [[ -n $problem ]]; then
        result=error
        printf 'reason=kernel %s %s\n' "$(display_path "$kernel")" "$problem" >"$RUNTMP/$i.reason"
    else
        printf '%s\n' "$start" >"$RUNTMP/$i.start"
        case ${R_BACKEND[i]} in
            qemu-*)
                qemu_run "$kernel" "$serial" "$tmo" "${E_SMP[i]}" "${E_MEM[i]}" \
                    "${R_BACKEND[i]#qemu-}" "$args" "${extra[@]}" >"$backend_out" 2>&1 || rc=$?
                ;;
            bochs)
                bochs_run "$kernel" "$serial" "$tmo" "${E_SMP[i]}" "${E_MEM[i]}" \
                    "$(bochs_cpu_of "$i")" "$args" >"$backend_out" 2>&1 || rc=$?
                ;;
        esac
        ((rc == 124)) && result=timeout
    fi
    end=$EPOCHREALTIME
    log_tail "$i" "$rc" "$result" "$(elapsed_s "$start" "$end")"
    [[ -e $RUNTMP/$i.reason ]] && result=error
    rm -f "$RUNTMP/$i.start"
    # Frames of "STACK:" lines (scripts/stacks.sh), from the kernel's .elf.
    stacks_symbolize "$log" "${kernel%.flat}.elf"
    {
        printf 'result=%s\n' "$result"
        printf 'duration=%s\n' "$(elapsed_s "$start" "$end")"
        [[ -r $RUNTMP/$i.reason ]] && cat "$RUNTMP/$i.reason"
    } >"$RUNTMP/$i.result.tmp"
    mv -f "$RUNTMP/$i.result.tmp" "$RUNTMP/$i.result"
    rm -f "$serial" "$backend_out"
}

# entry_interrupted I: after the job of entry I was killed (Ctrl-C, SIGTERM):
# keeps what its backend captured in the log, marked "interrupted", and
# writes result=interrupted. Returns 1 when there was nothing to close.
entry_interrupted() {
    local i=$1 start
    [[ -r $RUNTMP/$i.start && ! -e $RUNTMP/$i.result ]] || return 1
    start=$(<"$RUNTMP/$i.start")
    log_tail "$i" "-" interrupted "$(elapsed_s "$start" "$EPOCHREALTIME")"
    printf '# interrupted: the run was stopped (signal) before this entry ended\n' \
        >>"$LOGDIR/${E_NAME[i]}.log"
    printf 'result=interrupted\nreason=interrupted\n' >"$RUNTMP/$i.result"
}

# run_job I: run_entry in a subshell that can't take the runner down; always
# leaves $RUNTMP/I.done behind. Temporary files of the backend (Bochs' ISO,
# grub-mkrescue's grub.*) go below $RUNTMP, removed at the end of the run
# even when it is interrupted.
run_job() {
    local i=$1 rc=0
    export TMPDIR=$RUNTMP/tmp
    (run_entry "$i") || rc=$?
    if [[ ! -r $RUNTMP/$i.result ]]; then
        printf 'result=error\nreason=runner error while running the entry (status %s)\n' \
            "$rc" >"$RUNTMP/$i.result"
    fi
    : >"$RUNTMP/$i.done"
}
