# shellcheck shell=bash
# runner-logdir.sh: the log directory of run_tests.sh ($LOGDIR, default logs/).
#
#   logdir_prepare   before a run: checks that everything the run will write
#                    can be written (exit 2 otherwise, before anything moves),
#                    takes the lock of $LOGDIR (waits for another run of the
#                    same directory, saying so), then moves $LOGDIR to
#                    $LOGDIR.old and makes a fresh $LOGDIR.
#
# Only a directory the runner made is ever moved or deleted: it holds the
# marker file $LOGDIR_MARKER (or, made by an older run_tests.sh, nothing but
# *.log files). Anything else is refused with an error naming it.
#
# The lock is flock(1) on $LOGDIR.lock, held by the runner for the whole run
# (fd $LOCK_FD, closed in the entries' jobs). The file names the holder.
#
# No command substitution in here: this runs after run_tests.sh set its
# signal traps (see report_entry in run_tests.sh).

LOGDIR_MARKER=.nvmx-logdir
LOCK_FD=""

# logdir_owned DIR: true when run_tests.sh made DIR (see above).
logdir_owned() {
    local dir=$1 f
    [[ -e $dir/$LOGDIR_MARKER ]] && return 0
    for f in "$dir"/* "$dir"/.[!.]* "$dir"/..?*; do
        [[ -e $f || -L $f ]] || continue
        [[ -f $f && ! -L $f && $f == *.log ]] || return 1
    done
    return 0
}

# logdir_refuse DIR: the error for a directory the runner did not make.
logdir_refuse() {
    nvmx_die "log directory $1 was not made by run_tests.sh (no $LOGDIR_MARKER in it):" \
        "refusing to move or delete it; set NVMX_LOGDIR to a new directory"
}

# _probe_writable DIR WHAT: creates and removes a file in DIR, or dies.
_probe_writable() {
    local dir=$1 what=$2 f=$1/.nvmx-probe.$$.$RANDOM
    if ! { : >"$f"; } 2>/dev/null; then
        nvmx_die "$what $dir is not writable"
    fi
    rm -f "$f"
}

# _dirname PATH VAR: dirname(1) into VAR, without a subprocess.
_dirname() {
    local p=$1
    while [[ $p == ?*/ ]]; do p=${p%/}; done
    if [[ $p != */* ]]; then
        p=.
    else
        p=${p%/*}
        [[ -n $p ]] || p=/
    fi
    printf -v "$2" '%s' "$p"
}

# logdir_check_junit FILE: FILE (--junit) can be written; dies otherwise.
logdir_check_junit() {
    local f=$1 dir
    _dirname "$f" dir
    [[ -d $dir ]] || nvmx_die "--junit $f: directory $dir does not exist"
    [[ -d $f ]] && nvmx_die "--junit $f: is a directory"
    if [[ -e $f ]]; then
        [[ -w $f ]] || nvmx_die "--junit $f: file is not writable"
    else
        _probe_writable "$dir" "--junit $f: directory"
    fi
}

# _logdir_lock: takes the lock, waiting (with a message) while another run
# holds it.
_logdir_lock() {
    local lock=$LOGDIR.lock holder="" cmd now
    exec {LOCK_FD}>>"$lock" || nvmx_die "cannot create the lock file $lock"
    if ! flock -n "$LOCK_FD"; then
        read -r holder <"$lock" || true
        if [[ ${NVMX_LOCK_WAIT:-1} == 0 ]]; then
            nvmx_die "log directory $LOGDIR is in use by another run (${holder:-unknown})"
        fi
        nvmx_warn "log directory $LOGDIR is in use by another run (${holder:-unknown});" \
            "waiting for it to finish (NVMX_LOCK_WAIT=0: fail instead)"
        flock "$LOCK_FD"
    fi
    printf -v cmd '%q ' "$PROG" "${ORIG_ARGS[@]}"
    printf -v now '%(%H:%M:%S)T' -1
    printf 'pid %s, %s, since %s\n' "$$" "${cmd% }" "$now" >"$lock"
}

logdir_prepare() {
    local parent old=$LOGDIR.old
    [[ -n $LOGDIR ]] || nvmx_die "NVMX_LOGDIR is empty"
    _dirname "$LOGDIR" parent
    mkdir -p "$parent" 2>/dev/null || nvmx_die "cannot create $parent for the log directory $LOGDIR"
    _probe_writable "$parent" "directory"
    _logdir_lock
    if [[ -e $LOGDIR ]]; then
        [[ -d $LOGDIR ]] || nvmx_die "log directory $LOGDIR exists and is not a directory"
        logdir_owned "$LOGDIR" || logdir_refuse "$LOGDIR"
        _probe_writable "$LOGDIR" "log directory"
    fi
    if [[ -e $old ]]; then
        [[ -d $old ]] || nvmx_die "$old exists and is not a directory"
        logdir_owned "$old" || logdir_refuse "$old"
        _probe_writable "$old" "old log directory"
    fi
    if [[ -d $LOGDIR ]]; then
        rm -rf "$old" || nvmx_die "cannot remove $old"
        mv "$LOGDIR" "$old" || nvmx_die "cannot move $LOGDIR to $old"
    fi
    mkdir "$LOGDIR" || nvmx_die "cannot create the log directory $LOGDIR"
    : >"$LOGDIR/$LOGDIR_MARKER"
}
