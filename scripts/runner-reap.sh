# shellcheck shell=bash
# runner-reap.sh: what a killed run leaves behind. A run stopped by SIGKILL
# (kill -KILL of its process group) cannot clean up: its jobs (each in a
# process group of its own, see stop_jobs in run_tests.sh) and their QEMU or
# Bochs run on until their timeout, and its temporary directory stays. The
# next run with the same TMPDIR reaps them:
#
#   reap_mark_owner DIR   writes DIR/owner: "PID STARTTIME" of this runner
#                         (STARTTIME: field 22 of /proc/PID/stat, so that a
#                         reused PID is not taken for the owner)
#   reap_stale_runs TMP   for each TMP/nvmx-run.* of this user whose owner is
#                         gone: kills (KILL) every process whose environment
#                         holds TMPDIR=<dir>/tmp (run_job exports it, the
#                         backends inherit it), then removes the directory.
#
# No command substitution: this runs after run_tests.sh set its traps.

# _reap_start_time PID VAR: the start time of PID into VAR; 1 when PID is gone.
_reap_start_time() {
    local stat
    local -a f
    { read -r stat </proc/"$1"/stat; } 2>/dev/null || return 1
    stat=${stat##*) }
    read -r -a f <<<"$stat"
    printf -v "$2" '%s' "${f[19]:-}"
}

reap_mark_owner() {
    local st=""
    _reap_start_time "$$" st || return 1
    printf '%s %s\n' "$$" "$st" >"$1/owner"
}

# _reap_owner_alive DIR: the run that made DIR is still running (or DIR has
# no owner file yet: a run being set up, or an older runner's).
_reap_owner_alive() {
    local pid="" st="" now=""
    [[ -r $1/owner ]] || return 0
    read -r pid st <"$1/owner" || return 0
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    _reap_start_time "$pid" now || return 1
    [[ $now == "$st" ]]
}

reap_stale_runs() {
    local tmp=$1 d p
    for d in "$tmp"/nvmx-run.*; do
        [[ -d $d && ! -L $d && -O $d ]] || continue
        _reap_owner_alive "$d" && continue
        for p in /proc/[0-9]*; do
            [[ -O $p ]] || continue
            grep -qxzF -- "TMPDIR=$d/tmp" "$p/environ" 2>/dev/null &&
                kill -KILL "${p#/proc/}" 2>/dev/null
        done
        rm -rf -- "$d"
    done
    return 0
}
