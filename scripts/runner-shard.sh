# shellcheck shell=bash disable=SC2034 # globals are used by the sourcing scripts
# runner-shard.sh: `--shard I/N` (or GitLab's CI_NODE_INDEX/CI_NODE_TOTAL of a
# `parallel:` job) keeps in SELECTED the entries of shard I of N. Every shard
# computes the same partition: cost-balanced (longest first, each entry to the
# least loaded shard; ties by cfg order), from inputs all shards share:
#   - NVMX_SHARD_TIMES: measured seconds per entry from an earlier run, as its
#     TAP report (`-t` output or `nvmx-tap merge` output), its log directory,
#     or a file of "NAME SECONDS" lines;
#   - otherwise the entry's timeout (cfg `timeout =`, or TIMEOUT).
# An entry the times lack costs the mean of the measured ones. Never the
# current log directory by itself: shards on one machine would see each
# other's partial logs and split differently. `nvmx-tap merge` joins the
# shards' reports (checking that they cover the selection exactly once).

SHARD_I=0 SHARD_N=0  # 0/0: no sharding
SHARD_HEADER=""      # the TAP comment naming this shard's entries

# shard_parse SPEC ORIGIN: sets SHARD_I/SHARD_N from "I/N"; dies when malformed.
shard_parse() {
    local spec=$1 origin=$2
    if ! [[ $spec =~ ^([1-9][0-9]{0,8})/([1-9][0-9]{0,8})$ ]] ||
        ((BASH_REMATCH[1] > BASH_REMATCH[2])); then
        nvmx_die "$origin: a shard is I/N with 1 <= I <= N (e.g. 2/4), not '$spec'"
    fi
    SHARD_I=${BASH_REMATCH[1]} SHARD_N=${BASH_REMATCH[2]}
}

# shard_from_env: without --shard and with NVMX_SHARD_FROM_CI=1, the shard
# of a GitLab `parallel: N` job (CI_NODE_INDEX is 1-based). Opt-in: GitLab
# sets the same variables in `parallel:matrix` jobs, where each job is a
# different configuration, not a shard.
shard_from_env() {
    ((SHARD_N)) && return 0
    [[ ${NVMX_SHARD_FROM_CI:-0} == 1 ]] || return 0
    [[ -n ${CI_NODE_INDEX:-} ]] ||
        nvmx_die "NVMX_SHARD_FROM_CI=1 but CI_NODE_INDEX is not set (not a GitLab 'parallel: N' job)"
    shard_parse "$CI_NODE_INDEX/${CI_NODE_TOTAL:-}" "CI_NODE_INDEX/CI_NODE_TOTAL"
}

# _shard_times SOURCE: prints "NAME CENTISECONDS" per measured entry.
_shard_times() {
    local src=$1
    if [[ -d $src ]]; then
        local f
        for f in "$src"/*.log; do
            [[ -r $f ]] || continue
            sed -n 's/^# backend status: .*, \([0-9][0-9.]*\) s$/\1/p' "$f" | tail -n1 |
                awk -v n="$(basename "$f" .log)" '{ printf "%s %d\n", n, $1 * 100 + 1 }'
        done
    else
        # TAP: "# NAME: backend B, 1.23 s, log L"; plain: "NAME 1.23".
        awk '
            /^# [A-Za-z0-9_.-]+: backend .*, [0-9.]+ s(,|$)/ {
                name = substr($2, 1, length($2) - 1)
                if (match($0, /, [0-9.]+ s(,|$)/)) {
                    split(substr($0, RSTART + 2), w, " ")
                    printf "%s %d\n", name, w[1] * 100 + 1
                }
                next
            }
            NF == 2 && $1 ~ /^[A-Za-z0-9_.-]+$/ && $2 ~ /^[0-9]+(\.[0-9]*)?$/ {
                printf "%s %d\n", $1, $2 * 100 + 1
            }' "$src"
    fi
}

# _shard_timeout_cs T: a timeout (90, 90s, 2m, 1h; timeout(1) grammar) in
# centiseconds; none (0) or unreadable counts as 90 s.
_shard_timeout_cs() {
    local n=90 unit=1
    if [[ $1 =~ ^([0-9]+)([smhd]?)$ ]] && ((10#${BASH_REMATCH[1]} > 0)); then
        n=$((10#${BASH_REMATCH[1]}))
        case ${BASH_REMATCH[2]} in
            m) unit=60 ;;
            h) unit=3600 ;;
            d) unit=86400 ;;
        esac
    fi
    printf '%s\n' "$((n * unit * 100))"
}

# shard_select: keeps in SELECTED (cfg order) the entries of shard SHARD_I of
# SHARD_N and sets SHARD_HEADER. Needs entry_timeout (runner-exec.sh).
shard_select() {
    ((SHARD_N)) || return 0
    ((SHARD_N <= ${#E_NAME[@]})) ||
        nvmx_die "shard $SHARD_I/$SHARD_N: N is at most the number of entries (${#E_NAME[@]})"
    local -A measured=()
    local -a cost=() load=() mine=() names=()
    local name cs sum=0 count=0 mean=0 p i s best from="cfg timeouts"
    local total=${#SELECTED[@]}
    if [[ -n ${NVMX_SHARD_TIMES:-} ]]; then
        [[ -d $NVMX_SHARD_TIMES || (-f $NVMX_SHARD_TIMES && -r $NVMX_SHARD_TIMES) ]] ||
            nvmx_die "NVMX_SHARD_TIMES: '$NVMX_SHARD_TIMES' is neither a log directory nor a readable file"
        while read -r name cs; do
            measured[$name]=$cs
        done < <(_shard_times "$NVMX_SHARD_TIMES")
        from="times from $NVMX_SHARD_TIMES"
    fi
    for p in "${!SELECTED[@]}"; do
        name=${E_NAME[SELECTED[p]]}
        if [[ -n ${measured[$name]:-} ]]; then
            sum=$((sum + measured[$name])) count=$((count + 1))
        fi
    done
    ((count)) && mean=$((sum / count))
    for p in "${!SELECTED[@]}"; do
        i=${SELECTED[p]}
        name=${E_NAME[i]}
        if [[ -n ${measured[$name]:-} ]]; then
            cost[p]=${measured[$name]}
        elif ((count)); then
            cost[p]=$mean
        else
            cost[p]=$(_shard_timeout_cs "$(entry_timeout "$i")")
        fi
    done
    for ((s = 1; s <= SHARD_N; s++)); do load[s]=0; done
    # Longest first; each to the least loaded shard (lowest index on a tie).
    while read -r cs p; do
        best=1
        for ((s = 2; s <= SHARD_N; s++)); do
            ((load[s] < load[best])) && best=$s
        done
        load[best]=$((load[best] + cs))
        ((best == SHARD_I)) && mine[p]=1
    done < <(for p in "${!cost[@]}"; do printf '%s %s\n' "${cost[p]}" "$p"; done |
        sort -k1,1nr -k2,2n)
    local -a kept=()
    for p in "${!SELECTED[@]}"; do
        [[ -n ${mine[p]:-} ]] || continue
        kept+=("${SELECTED[p]}")
        names+=("$((p + 1))=${E_NAME[SELECTED[p]]}")
    done
    SELECTED=("${kept[@]}")
    SHARD_HEADER="# shard $SHARD_I/$SHARD_N: ${#kept[@]} of $total entries:${names[*]:+ ${names[*]}} (cost: $from)"
}

# shard_note: the shard header on stdout in TAP mode (after the version
# line), for `nvmx-tap merge`; on stderr otherwise.
shard_note() {
    ((SHARD_N)) || return 0
    if ((TAP)); then printf '%s\n' "$SHARD_HEADER"; else printf '%s\n' "${SHARD_HEADER#\# }" >&2; fi
}
