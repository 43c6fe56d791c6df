# shellcheck shell=bash disable=SC2034 # globals are used by the sourcing scripts
# runner-cfg.sh: loads unittests.cfg (through build/host/nvmx-cfg) into the
# E_* arrays, one element per entry in cfg order, and selects entries.

# cfg_load CFG_PATH: fills E_NAME E_LINE E_FILE E_ARGS E_QEMU E_GROUPS
# E_TIMEOUT E_SMP E_MEM E_ACCEL E_ARCH E_CHECK E_REQ E_BCPU. E_QEMU holds the
# extra QEMU words separated by \x1f. Dies (status 2) on a broken file.
cfg_load() {
    local cfg=$1 records rc=0 line kv key val n
    local tool=$NVMX_HOST_BIN/nvmx-cfg
    [[ -x $tool ]] || nvmx_die "host tool $(display_path "$tool") is missing: run 'make' first"
    [[ -e $cfg ]] || nvmx_die "test list $cfg not found (set NVMX_CFG to use another file)"
    [[ -d $cfg ]] && nvmx_die "test list $cfg is a directory, not a file (NVMX_CFG)"
    [[ -r $cfg ]] || nvmx_die "test list $cfg is not readable"
    records=$("$tool" "$cfg") || rc=$?
    if ((rc != 0)); then
        nvmx_die "errors in the test list $cfg (see above)"
    fi
    E_NAME=() E_LINE=() E_FILE=() E_ARGS=() E_QEMU=() E_GROUPS=() E_TIMEOUT=()
    E_SMP=() E_MEM=() E_ACCEL=() E_ARCH=() E_CHECK=() E_REQ=() E_BCPU=()
    n=0
    while IFS= read -r line; do
        [[ -n $line ]] || continue
        local -a fields=()
        IFS=$'\t' read -r -a fields <<<"$line"
        for kv in "${fields[@]}"; do
            key=${kv%%=*}
            val=${kv#*=}
            case $key in
                name) E_NAME[n]=$val ;;
                line) E_LINE[n]=$val ;;
                file) E_FILE[n]=$val ;;
                args) E_ARGS[n]=$val ;;
                qemu) E_QEMU[n]=$val ;;
                groups) E_GROUPS[n]=$val ;;
                timeout) E_TIMEOUT[n]=$val ;;
                smp) E_SMP[n]=$val ;;
                memory) E_MEM[n]=$val ;;
                accel) E_ACCEL[n]=$val ;;
                arch) E_ARCH[n]=$val ;;
                check) E_CHECK[n]=$val ;;
                requires) E_REQ[n]=$val ;;
                bochs_cpu) E_BCPU[n]=$val ;;
                *) nvmx_die "internal error: nvmx-cfg printed unknown field '$key'" ;;
            esac
        done
        n=$((n + 1))
    done <<<"$records"
    ((n)) || nvmx_die "test list $cfg has no entries (expected [name] sections with 'file = ...')"
}

# Prints the available entry names, indented, on stderr.
cfg_list_available() {
    local i
    {
        printf 'available entries:'
        for i in "${!E_NAME[@]}"; do
            printf ' %s' "${E_NAME[i]}"
        done
        printf '\n'
    } >&2
}

# cfg_groups: the groups of the cfg's entries, sorted, blank-separated.
cfg_groups() {
    local i g
    local -A seen=()
    for i in "${!E_NAME[@]}"; do
        for g in ${E_GROUPS[i]}; do seen[$g]=1; done
    done
    printf '%s\n' "${!seen[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# cfg_check_groups GROUPS EMPTY: dies (listing the groups) when a group of
# the blank-separated GROUPS is no entry's, or EMPTY is 1 (-g '').
cfg_check_groups() {
    local groups=$1 empty=$2 g all
    all=$(cfg_groups)
    [[ -n $all ]] || all="none: no entry has 'groups ='"
    ((empty)) && nvmx_die "empty group name in -g/--group (groups: $all)"
    for g in $groups; do
        in_list "$g" "$all" || nvmx_die "unknown group '$g' (groups: $all)"
    done
    return 0
}

# cfg_select ALL GROUPS PATTERN...: sets SELECTED to the indices of the chosen
# entries in cfg order. GROUPS is a blank-separated list ("" = any). Entries in
# the group "nodefault" only run when ALL is 1, when named exactly or when
# GROUPS is given (-g names one of their groups); a default run (no names,
# no groups) selects them with E_NODEFAULT_SKIP[i]=1, to be shown as SKIP.
# Dies when a pattern or group matches nothing.
cfg_select() {
    local all=$1 groups=$2
    shift 2
    local -a patterns=("$@")
    local i p g hit in_group named exact
    local -A matched=() hidden=()
    SELECTED=() E_NODEFAULT_SKIP=()
    for i in "${!E_NAME[@]}"; do
        named=0 exact=0
        if ((${#patterns[@]})); then
            for p in "${patterns[@]}"; do
                # shellcheck disable=SC2053 # p is a glob pattern on purpose
                if [[ ${E_NAME[i]} == $p ]]; then
                    named=1
                    [[ ${E_NAME[i]} == "$p" ]] && exact=1
                fi
            done
            ((named)) || continue
        fi
        if [[ -n $groups ]]; then
            in_group=0
            for g in $groups; do
                in_list "$g" "${E_GROUPS[i]}" && in_group=1
            done
            ((in_group)) || continue
        fi
        if in_list nodefault "${E_GROUPS[i]}" && ((all == 0 && exact == 0)) && [[ -z $groups ]]; then
            if ((${#patterns[@]})); then
                for p in "${patterns[@]}"; do
                    # shellcheck disable=SC2053 # p is a glob pattern on purpose
                    [[ ${E_NAME[i]} == $p ]] && hidden[$p]+=" ${E_NAME[i]}"
                done
                continue
            fi
            E_NODEFAULT_SKIP[i]=1
        fi
        for p in "${patterns[@]}"; do
            # shellcheck disable=SC2053 # p is a glob pattern on purpose
            [[ ${E_NAME[i]} == $p ]] && matched[$p]=1
        done
        SELECTED+=("$i")
    done
    for p in "${patterns[@]}"; do
        if [[ -z ${matched[$p]:-} ]]; then
            if [[ -n ${hidden[$p]:-} ]]; then
                nvmx_die "pattern '$p' matches only entries of group 'nodefault' (${hidden[$p]# }):" \
                    "name them exactly, or add -a or -g GROUP"
            elif [[ -n $groups ]]; then
                nvmx_warn "'$p' has no entry in group(s) '$groups'"
            elif [[ $p == *[*?]* ]]; then
                nvmx_warn "pattern '$p' matches no test entry"
            else
                nvmx_warn "unknown test '$p'"
            fi
            cfg_list_available
            exit 2
        fi
    done
    if ((${#SELECTED[@]} == 0)) && [[ -n $groups ]]; then
        hit=""
        ((${#patterns[@]})) && hit=" among the named tests"
        nvmx_warn "no test entry in group(s) '$groups'$hit"
        cfg_list_available
        exit 2
    fi
}
