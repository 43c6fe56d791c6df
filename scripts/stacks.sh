# shellcheck shell=bash
# stacks.sh: symbolizes the backtraces that kernels print when an exception
# is not expected (lib/x86/exceptions.cc, print_backtrace):
#
#   STACK: 0xRIP 0xRET1 0xRET2 ...        (human mode)
#   # STACK: 0xRIP 0xRET1 0xRET2 ...      (TAP mode: a TAP comment)
#
#   stacks_symbolize LOG ELF
#       Rewrites LOG: after each STACK line, one line per frame (and per
#       inlined call) with the same prefix, e.g.
#         # #0 0x40062f test_recovery() at x86/selftest.cc:200
#         # #1 0x403b65 run_guarded(TestCase const&) at lib/testcase.cc:43
#       via binutils `addr2line -C -f -i -p -e ELF` (ELF: the 64-bit x86/NAME.elf
#       that keeps the symbols). Return addresses are looked up at address - 1,
#       the call instruction. Source paths under the tree are shown relative to
#       it. Returns 0 and leaves LOG alone when there is no STACK line, no ELF or
#       no addr2line; returns 1 and leaves LOG alone (with a message on stderr)
#       when the rewritten log cannot be written (disk full).

# _stacks_frames ELF PREFIX ADDR...: prints the frame lines of one STACK line.
_stacks_frames() {
    local elf=$1 prefix=$2
    shift 2
    local -a addrs=("$@") lookup=()
    local a k=0 line n=-1 root=${NVMX_ROOT:-}
    for a in "${addrs[@]}"; do
        if ((k == 0)); then
            lookup+=("$a")
        else
            lookup+=("$(printf '%#x' $((a - 1)))")
        fi
        k=$((k + 1))
    done
    while IFS= read -r line; do
        [[ -n $root ]] && line=${line//"$root/"/}
        if [[ $line == " (inlined by) "* ]]; then
            printf '%s   %s\n' "$prefix" "${line# }" || return 1
        else
            n=$((n + 1))
            printf '%s#%d %s %s\n' "$prefix" "$n" "${addrs[n]:-?}" "$line" || return 1
        fi
    done < <(addr2line -C -f -i -p -e "$elf" "${lookup[@]}" 2>/dev/null)
}

stacks_symbolize() {
    local log=$1 elf=$2 tmp
    [[ -r $log && -r $elf ]] || return 0
    grep -qE '^(# )?STACK: 0x' "$log" || return 0
    command -v addr2line >/dev/null 2>&1 || return 0
    tmp=$log.stacks.$$
    # Written whole to a temporary file, checked, then renamed: a full disk
    # leaves the log as it was.
    if ! _stacks_rewrite "$log" "$elf" >"$tmp" 2>/dev/null ||
        (($(stat -c %s -- "$tmp") < $(stat -c %s -- "$log"))); then
        rm -f -- "$tmp"
        printf '%s: cannot symbolize the STACK lines of %s: writing %s failed (No space left on device on its filesystem?); the log is kept as it was\n' \
            "${PROG:-stacks.sh}" "$log" "$tmp" >&2
        return 1
    fi
    mv -f -- "$tmp" "$log"
}

# _stacks_rewrite LOG ELF: prints LOG with the frames after each STACK line;
# fails when a write failed.
_stacks_rewrite() {
    local log=$1 elf=$2 line prefix rest
    while IFS= read -r line || [[ -n $line ]]; do
        printf '%s\n' "$line" || return 1
        if [[ $line =~ ^(# )?STACK:((\ 0x[0-9a-fA-F]+)+)[[:space:]]*$ ]]; then
            prefix=${BASH_REMATCH[1]:-"    "}
            rest=${BASH_REMATCH[2]}
            local -a addrs=()
            read -r -a addrs <<<"$rest"
            _stacks_frames "$elf" "$prefix" "${addrs[@]}" || return 1
        fi
    done <"$log"
}
