# shellcheck shell=bash
# runner-logdir.sh: the log directory of run_tests.sh ($LOGDIR, default logs/).
#
#   logdir_normalize  sets LOGDIR from NVMX_LOGDIR once: trailing slashes go
#                     (logs/ and logs are one directory); dies when empty.
#   logdir_check      before anything is written: dies (exit 2) unless the
#                     run can use $LOGDIR and $LOGDIR.old. Writes nothing.
#   logdir_prepare    after every check of the run passed: makes $LOGDIR,
#                     takes its lock (waits for another run of the same
#                     directory, saying so), then moves the previous run's
#                     logs into $LOGDIR.old.
#
# Only a directory the runner made is ever written, moved or deleted: it
# holds the marker file $LOGDIR_MARKER (or, made by an older run_tests.sh,
# nothing but *.log files), or it is empty. Anything else is refused with an
# error naming it. The logs rotate by moving the directory's contents, not
# the directory: a symlinked log directory keeps its target, a mount point
# works, and the lock stays where it is.
#
# The lock is flock(1) on $LOGDIR/$LOGDIR_LOCK (inside the runner's own
# directory: no file of another tool is ever opened), held for the whole run
# (fd $LOCK_FD, closed in the entries' jobs). The file names the holder.
#
# No command substitution in logdir_prepare: it runs after run_tests.sh set
# its signal traps (see report_entry in run_tests.sh).

LOGDIR_MARKER=.nvmx-logdir
LOGDIR_LOCK=.nvmx-lock
LOCK_FD=""

# logdir_normalize: LOGDIR from NVMX_LOGDIR (default logs), without trailing
# slashes; dies when empty.
logdir_normalize() {
    LOGDIR=${NVMX_LOGDIR-logs}
    [[ -n $LOGDIR ]] || nvmx_die "NVMX_LOGDIR is empty"
    while [[ $LOGDIR == ?*/ ]]; do LOGDIR=${LOGDIR%/}; done
    [[ $LOGDIR == / ]] && nvmx_die "NVMX_LOGDIR=/: refusing the root directory as log directory"
    return 0
}

# logdir_owned DIR: true when run_tests.sh made DIR (see above).
logdir_owned() {
    local dir=$1 f
    [[ -e $dir/$LOGDIR_MARKER ]] && return 0
    for f in "$dir"/* "$dir"/.[!.]* "$dir"/..?*; do
        [[ -e $f || -L $f ]] || continue
        [[ ${f##*/} == "$LOGDIR_LOCK" ]] && continue
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
    if ! { printf 'nvmx\n' >"$f"; } 2>/dev/null; then
        nvmx_die "$what $dir is not writable"
    fi
    rm -f -- "$f"
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
    # The report is written whole at the end: into stdout or a device it
    # would truncate or mix with the run's own output.
    [[ -e $f && ! -f $f ]] && nvmx_die "--junit $f: is not a regular file (the report needs a file of its own)"
    [[ -e $f && ($f -ef /dev/stdout || $f -ef /dev/stderr) ]] &&
        nvmx_die "--junit $f: is the run's stdout or stderr (the report needs a file of its own)"
    if [[ -e $f ]]; then
        [[ -w $f ]] || nvmx_die "--junit $f: file is not writable"
    else
        _probe_writable "$dir" "--junit $f: directory"
    fi
}

# logdir_check_report_dir OPTION DIR: the report directory DIR of OPTION
# (--coverage, --kvm-coverage) is a writable directory, or can be created
# (its nearest existing ancestor is a writable directory); dies otherwise.
logdir_check_report_dir() {
    local opt=$1 dir=$2 up
    if [[ -L $dir && ! -e $dir ]]; then
        nvmx_die "$opt $dir: is a symlink to nothing"
    fi
    if [[ -e $dir ]]; then
        [[ -d $dir ]] || nvmx_die "$opt $dir: exists and is not a directory"
        _probe_writable "$dir" "$opt directory"
        return 0
    fi
    _dirname "$dir" up
    while [[ ! -e $up && ! -L $up ]]; do _dirname "$up" up; done
    [[ -d $up ]] || nvmx_die "$opt $dir: cannot be created ($up is not a directory)"
    _probe_writable "$up" "$opt $dir: directory"
}

# _logdir_check_dir DIR WHAT: DIR (when it exists) is a runner-made,
# writable directory; a symlink must lead to one.
_logdir_check_dir() {
    local dir=$1 what=$2
    if [[ -L $dir && ! -e $dir ]]; then
        nvmx_die "$what $dir is a symlink to nothing"
    fi
    [[ -e $dir ]] || return 0
    [[ -d $dir ]] || nvmx_die "$what $dir exists and is not a directory"
    logdir_owned "$dir" || logdir_refuse "$dir"
    _probe_writable "$dir" "$what"
}

# logdir_check: everything logdir_prepare will need, checked without
# writing anything but a probe file in a directory it may write.
logdir_check() {
    local parent p old=$LOGDIR.old
    _logdir_check_dir "$LOGDIR" "log directory"
    _logdir_check_dir "$old" "old log directory"
    _dirname "$LOGDIR" parent
    # The nearest existing ancestor must be a directory we can write in
    # (for $LOGDIR, its parents and $LOGDIR.old).
    p=$parent
    while [[ ! -e $p && ! -L $p ]]; do _dirname "$p" p; done
    [[ -d $p ]] || nvmx_die "cannot create $parent for the log directory $LOGDIR ($p is not a directory)"
    _probe_writable "$p" "directory"
}

# _logdir_lock: takes the lock, waiting (with a message) while another run
# holds it.
_logdir_lock() {
    local lock=$LOGDIR/$LOGDIR_LOCK holder="" cmd now
    [[ -L $lock || (-e $lock && ! -f $lock) ]] && nvmx_die "lock $lock is not a regular file"
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

# _logdir_has_logs DIR: DIR holds something besides the marker and the lock.
_logdir_has_logs() {
    local f
    for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        [[ -e $f || -L $f ]] || continue
        [[ ${f##*/} == "$LOGDIR_LOCK" || ${f##*/} == "$LOGDIR_MARKER" ]] && continue
        return 0
    done
    return 1
}

# _logdir_rotate: moves the contents of $LOGDIR (all but the lock) into a
# fresh $LOGDIR.old.
_logdir_rotate() {
    local old=$LOGDIR.old f
    _logdir_check_dir "$old" "old log directory"
    rm -rf -- "$old" || nvmx_die "cannot remove $old"
    mkdir -- "$old" || nvmx_die "cannot create $old"
    : >"$old/$LOGDIR_MARKER" || nvmx_die "cannot write in $old"
    for f in "$LOGDIR"/* "$LOGDIR"/.[!.]* "$LOGDIR"/..?*; do
        [[ -e $f || -L $f ]] || continue
        [[ ${f##*/} == "$LOGDIR_LOCK" || ${f##*/} == "$LOGDIR_MARKER" ]] && continue
        mv -- "$f" "$old/" || nvmx_die "cannot move $f to $old"
    done
}

logdir_prepare() {
    logdir_check
    mkdir -p -- "$LOGDIR" || nvmx_die "cannot create the log directory $LOGDIR"
    _logdir_lock
    # Checked again under the lock: another run may have changed it.
    logdir_owned "$LOGDIR" || logdir_refuse "$LOGDIR"
    : >"$LOGDIR/$LOGDIR_MARKER" || nvmx_die "cannot write in the log directory $LOGDIR"
    if _logdir_has_logs "$LOGDIR"; then
        _logdir_rotate
    fi
}
