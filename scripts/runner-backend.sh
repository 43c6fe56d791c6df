# shellcheck shell=bash disable=SC2034 # globals are used by the sourcing scripts
# runner-backend.sh: picks the backend of each entry (qemu-kvm, qemu-tcg,
# bochs) or the reason to skip it, probing KVM once per run (cached in
# build/runner/ while QEMU, the host kernel, /dev/kvm and the probe kernel
# stay the same).

NVMX_ARCH=x86_64
NVMX_PROBE_KERNEL=$NVMX_HOST_BIN/probe.flat
NO_VMX_BACKEND_REASON="no VMX-capable backend: KVM has no nested VMX, Bochs is not usable"
TCG_VMX_REASON="requires vmx: TCG can't emulate VMX (QEMU TCG lacks CPUID.01H:ECX.vmx)"

declare -A PROBE_MEMO=()
BOCHS_STATE=""      # "", ok, or the reason Bochs can't be used
QEMU_STATE=""       # "", ok, or the reason QEMU can't be used

qemu_usable() {
    if [[ -z $QEMU_STATE ]]; then
        local msg
        if msg=$(qemu_check 2>&1); then
            QEMU_STATE=ok
        else
            QEMU_STATE=$msg
        fi
    fi
    [[ $QEMU_STATE == ok ]]
}

# bochs_usable: the backend script exists and its bochs_check passes (it looks
# for $BOCHS_BIN, default bochs-bin, the BIOS images and the GRUB tools).
# Sets BOCHS_STATE.
bochs_usable() {
    if [[ -z $BOCHS_STATE ]]; then
        local script=$NVMX_ROOT/scripts/backend-bochs.sh msg
        if [[ ! -r $script ]]; then
            BOCHS_STATE="Bochs backend missing: scripts/backend-bochs.sh is not there yet"
        else
            # shellcheck source=/dev/null
            source "$script"
            if ! declare -F bochs_check >/dev/null || ! declare -F bochs_run >/dev/null; then
                BOCHS_STATE="scripts/backend-bochs.sh does not define bochs_check and bochs_run"
            elif msg=$(bochs_check 2>&1); then
                BOCHS_STATE=ok
            else
                msg=$(printf '%s' "$msg" | tr '\n' ' ')
                BOCHS_STATE="Bochs unusable: ${msg% } (apt-get install $BOCHS_PACKAGES)"
            fi
        fi
    fi
    [[ $BOCHS_STATE == ok ]]
}

# probe_key: what the cached probe result depends on.
probe_key() {
    local q
    q=$(command -v "$(qemu_binary)")
    printf '%s' "qemu=$(readlink -f "$q"):$(stat -c %Y "$q") host=$(uname -r)" \
        " kvm=$(stat -c %t:%T:%a /dev/kvm 2>/dev/null || echo none)" \
        " rw=$([[ -r /dev/kvm && -w /dev/kvm ]] && echo y || echo n)" \
        " probe=$(stat -c %Y "$NVMX_PROBE_KERNEL" 2>/dev/null || echo none)"
}

# probe_kvm WHAT: WHAT is "kvm" (KVM runs a kernel to its EXIT line) or
# "kvm-vmx" (same with -cpu host,+vmx,enforce, and the guest sees VMX).
probe_kvm() {
    local what=$1 key cache result log
    if [[ -n ${PROBE_MEMO[$what]:-} ]]; then
        [[ ${PROBE_MEMO[$what]} == yes ]]
        return
    fi
    result=no
    if [[ ! -e /dev/kvm ]] || ! qemu_usable; then
        PROBE_MEMO[$what]=no
        return 1
    fi
    [[ -r $NVMX_PROBE_KERNEL ]] ||
        nvmx_die "probe kernel $(display_path "$NVMX_PROBE_KERNEL") is missing: run 'make' first"
    mkdir -p "$NVMX_STATE_DIR"
    cache=$NVMX_STATE_DIR/probe-$what.cache
    key=$(probe_key)
    if [[ -r $cache && $(head -n1 "$cache") == "$key" ]]; then
        result=$(sed -n 2p "$cache")
    else
        log=$NVMX_STATE_DIR/probe-$what.log
        local -a extra=()
        [[ $what == kvm-vmx ]] && extra=(-cpu "host,+vmx,enforce")
        qemu_run "$NVMX_PROBE_KERNEL" "$log.serial" 30 1 64 kvm "--tap" "${extra[@]}" \
            >"$log" 2>&1 || true
        if grep -q '^EXIT: STATUS=0' "$log.serial" 2>/dev/null &&
            grep -q '^# probe: exceptions=ok' "$log.serial"; then
            result=yes
            if [[ $what == kvm-vmx ]] && ! grep -q '^# probe: vmx=1' "$log.serial"; then
                result=no
            fi
        fi
        printf '%s\n%s\n' "$key" "$result" >"$cache"
    fi
    PROBE_MEMO[$what]=$result
    [[ $result == yes ]]
}

# kvm_problem: why KVM cannot run a kernel here (after probe_kvm failed).
kvm_problem() {
    if [[ ! -e /dev/kvm ]]; then
        printf '/dev/kvm does not exist\n'
    elif [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
        printf '/dev/kvm is not readable and writable for this user\n'
    elif ! qemu_usable; then
        printf '%s\n' "$QEMU_STATE"
    else
        printf 'the probe kernel did not run; see build/runner/probe-kvm.log\n'
    fi
}

# no_vmx I WHY [DETAIL]: entry I needs VMX and no backend allowed here gives
# it. The closing lines of the run show WHY and DETAIL once (no_vmx_note).
no_vmx() {
    R_SKIP[$1]="requires vmx: $2"
    R_NOVMX[$1]="$2${3:+ [$3]}"
}

# resolve_backend I: sets R_BACKEND[I] (qemu-kvm, qemu-tcg, bochs) or
# R_SKIP[I] (the reason; R_NOVMX[I] too when the entry needs VMX and no VMX
# backend is there). Uses $ACCEL; the entry's accel list (blank-separated)
# restricts the automatic choice.
resolve_backend() {
    local i=$1 acc="${E_ACCEL[$1]}" vmx=0 c path want found
    R_BACKEND[i]="" R_SKIP[i]="" R_NOVMX[i]=""
    if [[ -n ${E_ARCH[i]} && ${E_ARCH[i]} != "$NVMX_ARCH" ]]; then
        R_SKIP[i]="arch ${E_ARCH[i]}: these kernels are $NVMX_ARCH"
        return
    fi
    for c in ${E_CHECK[i]}; do
        path=${c%%=*} want=${c#*=}
        # At most one line of at most 4 KiB (a device such as /dev/zero
        # never ends); 5 s for one that blocks (a FIFO).
        found=$(timeout 5 head -c 4096 -- "$path" 2>/dev/null | tr -d '\0' | sed -n 1p) ||
            found="(unreadable)"
        if [[ $found != "$want" ]]; then
            R_SKIP[i]="check failed: $path is '$found', wants '$want'"
            return
        fi
    done
    in_list vmx "${E_REQ[i]}" && vmx=1
    if [[ -n ${ACCEL:-} && -n $acc ]] && ! in_list "$ACCEL" "$acc"; then
        R_SKIP[i]="entry runs with accel=${acc// /,} only, ACCEL=$ACCEL"
        return
    fi
    [[ -n ${ACCEL:-} ]] && acc=$ACCEL
    case $acc in
        tcg)
            if ((vmx)); then no_vmx "$i" "${TCG_VMX_REASON#requires vmx: }"; else R_BACKEND[i]=qemu-tcg; fi
            ;;
        kvm)
            if ((vmx)) && ! probe_kvm kvm-vmx; then
                no_vmx "$i" "KVM here exposes no nested VMX (-cpu host,+vmx,enforce fails)"
            elif ((!vmx)) && ! probe_kvm kvm; then
                R_SKIP[i]="accel=kvm: KVM cannot run a kernel here (see build/runner/probe-kvm.log)"
            else
                R_BACKEND[i]=qemu-kvm
            fi
            ;;
        bochs)
            if bochs_usable; then R_BACKEND[i]=bochs; else R_SKIP[i]=$BOCHS_STATE; fi
            ;;
        kvm-in-bochs)
            if kib_usable; then R_BACKEND[i]=kvm-in-bochs; else R_SKIP[i]=$KIB_STATE; fi
            ;;
        *)
            # Automatic choice among the entry's accel list (none: all).
            local allowed=${acc:-kvm tcg bochs}
            if ((vmx)); then
                if in_list kvm "$allowed" && probe_kvm kvm-vmx; then
                    R_BACKEND[i]=qemu-kvm
                elif in_list bochs "$allowed" && bochs_usable; then
                    R_BACKEND[i]=bochs
                elif in_list bochs "$allowed"; then
                    no_vmx "$i" "$NO_VMX_BACKEND_REASON" "$BOCHS_STATE"
                else
                    no_vmx "$i" "accel=${acc// /,}: no VMX-capable backend among them"
                fi
            elif in_list kvm "$allowed" && probe_kvm kvm; then
                R_BACKEND[i]=qemu-kvm
            elif in_list tcg "$allowed"; then
                R_BACKEND[i]=qemu-tcg
            elif in_list bochs "$allowed" && bochs_usable; then
                R_BACKEND[i]=bochs
            else
                R_SKIP[i]="accel=${acc// /,}: none of these backends can run here"
            fi
            ;;
    esac
    [[ ${R_BACKEND[i]} == bochs || ${R_BACKEND[i]} == kvm-in-bochs ]] && bochs_model_filter "$i"
    return 0
}

# bochs_model_filter I: an entry's bochs_cpu this Bochs lacks is a SKIP; a
# BOCHS_CPU it lacks (or with characters outside [A-Za-z0-9_]), or one
# without VMX and EPT, is an error: it would test nothing. So is a memory
# size Bochs cannot give.
bochs_model_filter() {
    local i=$1 why model
    if [[ ${R_BACKEND[i]} == bochs ]] && ((E_MEM[i] > BOCHS_MAX_MEM_MIB)); then
        nvmx_die "entry ${E_NAME[i]} ($CFG_SHOWN:${E_LINE[i]}): memory = ${E_MEM[i]} MiB;" \
            "the Bochs backend gives at most $BOCHS_MAX_MEM_MIB MiB"
    fi
    model=$(bochs_cpu_of "$i")
    if why=$(bochs_model_problem "$model"); then
        if [[ -z ${E_BCPU[i]} && -n ${BOCHS_CPU:-} ]]; then
            nvmx_die "BOCHS_CPU: $why"
        fi
        R_BACKEND[i]="" R_SKIP[i]="bochs_cpu: $why"
    elif [[ -z ${E_BCPU[i]} && -n ${BOCHS_CPU:-} ]] && ! in_list "$model" "${BOCHS_VMX_EPT_MODELS[*]}"; then
        nvmx_die "BOCHS_CPU: CPU model '$model' has no VMX with EPT; use one of:" \
            "$(bochs_cpu_models | tr '\n' ' ' | sed 's/ $//')"
    fi
    return 0
}

# Label of the backend for logs, -v and the TAP comment.
backend_label() {
    local i=$1
    case ${R_BACKEND[i]} in
        bochs) printf '%s cpu=%s\n' "$(bochs_backend_name)" "$(bochs_cpu_of "$i")" ;;
        kvm-in-bochs) printf 'kvm-in-bochs cpu=%s\n' "$(bochs_cpu_of "$i")" ;;
        *) printf '%s\n' "${R_BACKEND[i]}" ;;
    esac
}

bochs_cpu_of() {
    local i=$1
    printf '%s\n' "${E_BCPU[i]:-${BOCHS_CPU:-corei7_skylake_x}}"
}
