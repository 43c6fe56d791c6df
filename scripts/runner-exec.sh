# shellcheck shell=bash
# runner-exec.sh: runs one entry on its backend (as a background job) and
# writes logs/<entry>.log: a header, the serial output between markers that
# nvmx-tap looks for, then what the backend printed.
#
# Results go to $RUNTMP/<i>.result ("result=ran|timeout|error", "reason=",
# "duration=") and $RUNTMP/<i>.done marks the job finished.

SERIAL_BEGIN="==== serial output (COM1) ===="
SERIAL_END="==== end of serial output ===="

# kernel_path I: the entry's kernel, relative to the cfg file's directory.
kernel_path() {
    local f=${E_FILE[$1]}
    if [[ $f == /* ]]; then printf '%s\n' "$f"; else printf '%s\n' "$CFG_DIR/$f"; fi
}

entry_timeout() {
    local i=$1
    if [[ -n ${TIMEOUT:-} ]]; then printf '%s\n' "$TIMEOUT"; else printf '%s\n' "${E_TIMEOUT[i]}"; fi
}

# run_entry I: runs the entry, writes its log and result file.
run_entry() {
    local i=$1
    local name=${E_NAME[i]} kernel tmo args log serial backend_out start end rc=0 result=ran
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
        printf '# timeout: %ss, smp: %s, memory: %s MiB\n' "$tmo" "${E_SMP[i]}" "${E_MEM[i]}"
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
                ;;
        esac
    } >"$log"
    : >"$serial"
    start=$EPOCHREALTIME
    if [[ ! -r $kernel ]]; then
        result=error
        printf 'reason=kernel %s not found (run make)\n' "$(display_path "$kernel")" \
            >"$RUNTMP/$i.reason"
    else
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
    {
        printf '%s\n' "$SERIAL_BEGIN"
        cat "$serial"
        # A kernel that dies mid-line leaves no newline before the marker.
        [[ -s $serial && $(tail -c1 "$serial" | od -An -c | tr -d ' ') != '\n' ]] && printf '\n'
        printf '%s\n' "$SERIAL_END"
        printf '# backend status: %s (%s), %s s\n' "$rc" "$result" "$(elapsed_s "$start" "$end")"
        if [[ -s $backend_out ]]; then
            printf '==== backend output ====\n'
            cat "$backend_out"
        fi
    } >>"$log"
    # Frames of "STACK:" lines (scripts/stacks.sh), from the kernel's .elf.
    stacks_symbolize "$log" "${kernel%.flat}.elf"
    if [[ -e $serial.bochs ]]; then
        mv -f "$serial.bochs" "$LOGDIR/$name.bochs.log"
    fi
    {
        printf 'result=%s\n' "$result"
        printf 'duration=%s\n' "$(elapsed_s "$start" "$end")"
        [[ -r $RUNTMP/$i.reason ]] && cat "$RUNTMP/$i.reason"
    } >"$RUNTMP/$i.result.tmp"
    mv -f "$RUNTMP/$i.result.tmp" "$RUNTMP/$i.result"
    rm -f "$serial" "$backend_out"
}

# run_job I: run_entry in a subshell that can't take the runner down; always
# leaves $RUNTMP/I.done behind.
run_job() {
    local i=$1 rc=0
    (run_entry "$i") || rc=$?
    if [[ ! -r $RUNTMP/$i.result ]]; then
        printf 'result=error\nreason=runner error while running the entry (status %s)\n' \
            "$rc" >"$RUNTMP/$i.result"
    fi
    : >"$RUNTMP/$i.done"
}
