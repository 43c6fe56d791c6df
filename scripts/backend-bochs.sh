# shellcheck shell=bash
# Bochs backend: boots a multiboot test kernel from a GRUB rescue ISO in Bochs,
# headless, with COM1 going to a file. Sourced by run_tests.sh.
#
#   bochs_check
#   bochs_run KERNEL_FLAT SERIAL_LOG TIMEOUT_S SMP MEM_MIB CPU_MODEL KERNEL_ARGS
#   bochs_cpu_models
#   bochs_backend_name     bochs-<version> (bochs-2.7, bochs-3.0.devel), or
#                          bochs when the banner names no version
#   bochs_describe         one line: version and probed build features
#   bochs_model_problem M  prints why model M can't be used; 1 if it can
#
# The binary is probed once (version, debugger, sound, speaker, display
# libraries, CPU models) and the facts are cached per binary in
# $NVMX_STATE_DIR; the generated bochsrc uses only what the build has.
#
# Headless without a network listener: the `nogui` display when the build has
# it, else the `rfb` display (VNC, connection timeout 0; Debian's build has no
# `nogui`) inside a fresh, empty network namespace (`unshare -n`, or
# `unshare -rn` when not root); its port is reachable from nowhere and
# parallel runs cannot collide. See docs/bochs.md.

# Overridable locations.
: "${BOCHS_BIN:=bochs-bin}"
: "${BOCHS_BIOS:=/usr/share/bochs/BIOS-bochs-latest}"
: "${BOCHS_VGABIOS:=/usr/share/vgabios/vgabios.bin}"
: "${BOCHS_GRUB_DIR:=/usr/lib/grub/i386-pc}"

# Guest memory the generated bochsrc can give (host=min(MEM,2048) below):
# the largest host allocation Bochs accepts (config.cc: host 1..2048).
BOCHS_MAX_MEM_MIB=2048

# Models whose CPUID/VMX MSRs advertise VMX with EPT: the ten of Bochs 2.7
# measured by scripts/bochs/cpu-caps.sh, and the newer ones of Bochs 2.8+ (from
# Bochs' sources, not measured here; table in docs/bochs.md).
BOCHS_VMX_EPT_MODELS=(corei5_lynnfield_750 corei5_arrandale_m520
	corei7_sandy_bridge_2600k corei7_ivy_bridge_3770k corei7_haswell_4770
	broadwell_ult corei7_skylake_x corei3_cnl corei7_icelake_u tigerlake
	sapphire_rapids arrow_lake wildcat_lake)

# Prints "tool (Debian package)" for each missing host tool; returns 1 if any.
_bochs_missing() {
	local missing=0 t pkg
	while read -r t pkg; do
		case "$t" in
		/*) [[ -e "$t" ]] && continue ;;
		*) command -v "$t" >/dev/null 2>&1 && continue ;;
		esac
		echo "bochs: missing $t (install Debian package '$pkg')" >&2
		missing=1
	done <<-EOF
		$BOCHS_BIN bochs
		$BOCHS_BIOS bochsbios
		$BOCHS_VGABIOS vgabios
		grub-mkrescue grub-common
		$BOCHS_GRUB_DIR/multiboot.mod grub-pc-bin
		xorriso xorriso
		mformat mtools
		timeout coreutils
		unshare util-linux
	EOF
	return "$missing"
}

# Prints the unshare arguments that give this process an empty network namespace.
_bochs_netns() {
	if unshare -n true 2>/dev/null; then
		printf "%s\n" -n
	elif unshare -rn true 2>/dev/null; then
		printf "%s\n" -rn
	else
		return 1
	fi
}

# Facts about $BOCHS_BIN (set by _bochs_probe; BOCHS_P_KEY says which binary).
BOCHS_P_KEY=""
BOCHS_VERSION=""  # 2.7, 2.8, 3.0, 3.0.devel; "" when the banner names none
BOCHS_DEBUGGER=0  # built with the internal debugger: needs `-rc cmds`
BOCHS_SOUND=0     # the bochsrc accepts a `sound:` line
BOCHS_SPEAKER=0   # the bochsrc accepts a `speaker:` line
BOCHS_DISPLAY=""  # headless display library: nogui, rfb, or "" (none)
BOCHS_MODELS=""   # CPU models the binary lists, blank-separated

# What the probe results depend on: the binary's path, size and time, and
# where a plugin build looks for its (display, sound) plugins.
_bochs_probe_key() {
	local bin
	bin=$(command -v "$BOCHS_BIN" 2>/dev/null) || return 1
	bin=$(readlink -f "$bin")
	printf 'probe-v2 %s %s plugins=%s\n' "$bin" "$(stat -c '%s:%Y' "$bin")" \
		"${LTDL_LIBRARY_PATH:-default}"
}

# _bochs_accepts DIRECTIVE...: true when Bochs parses every bochsrc DIRECTIVE
# (it stops at the first one it rejects, so an unknown marker directive after
# them is reached only when all were accepted). Runs no simulation.
# In a subshell whose traps remove its directory: the probe runs before
# run_tests.sh sets its own, and Ctrl-C must not leave nvmx-bprobe.* behind.
_bochs_accepts() (
	local dir out sig
	dir=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-bprobe.XXXXXX") || return 1
	for sig in INT TERM HUP; do
		# shellcheck disable=SC2064 # expand $dir now
		trap "rm -rf '$dir'; trap - $sig EXIT; kill -$sig \$BASHPID" "$sig"
	done
	# shellcheck disable=SC2064
	trap "rm -rf '$dir'" EXIT
	out=$(cd "$dir" && timeout -k 2 10 "$BOCHS_BIN" -q -n "$@" 'nvmx_probe_end: 1' \
		</dev/null 2>&1)
	grep -q "'nvmx_probe_end' not understood" <<<"$out"
)

# _bochs_probe_now: runs the binary to fill the BOCHS_* facts.
_bochs_probe_now() {
	local help
	help=$(timeout -k 2 10 "$BOCHS_BIN" --help </dev/null 2>&1) || true
	BOCHS_VERSION=$(sed -n 's/.*Bochs x86 Emulator \([0-9][0-9]*\.[0-9][0-9A-Za-z.]*\).*/\1/p' \
		<<<"$help" | head -n1)
	BOCHS_DEBUGGER=0
	grep -q -- '-rc filename' <<<"$help" && BOCHS_DEBUGGER=1
	BOCHS_MODELS=$(timeout -k 2 10 "$BOCHS_BIN" --help cpu </dev/null 2>&1 |
		sed -n '/^Supported CPU models:/,$p' | grep -E '^[a-z0-9_]+$' | tr '\n' ' ')
	BOCHS_MODELS=${BOCHS_MODELS% }
	BOCHS_SOUND=0 BOCHS_SPEAKER=0 BOCHS_DISPLAY=""
	_bochs_accepts 'sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy' && BOCHS_SOUND=1
	_bochs_accepts 'speaker: enabled=0' && BOCHS_SPEAKER=1
	if _bochs_accepts 'display_library: nogui'; then
		BOCHS_DISPLAY=nogui
	elif _bochs_accepts 'display_library: rfb, options="timeout=0"'; then
		BOCHS_DISPLAY=rfb
	fi
}

# _bochs_probe: the BOCHS_* facts of $BOCHS_BIN, probed once per binary (in
# this shell, then from $NVMX_STATE_DIR/bochs-probe-*.cache). 1 if the binary
# can't be found.
_bochs_probe() {
	local key cache="" facts
	key=$(_bochs_probe_key) || return 1
	[[ $key == "$BOCHS_P_KEY" ]] && return 0
	if [[ -n ${NVMX_STATE_DIR:-} ]]; then
		cache=$NVMX_STATE_DIR/bochs-probe-$(cksum <<<"$key" | cut -d' ' -f1).cache
		if [[ -r $cache && $(head -n1 "$cache") == "$key" ]]; then
			facts=$(sed -n 2p "$cache")
			IFS=$'\t' read -r BOCHS_VERSION BOCHS_DEBUGGER BOCHS_SOUND BOCHS_SPEAKER \
				BOCHS_DISPLAY BOCHS_MODELS <<<"$facts"
			[[ $BOCHS_VERSION == - ]] && BOCHS_VERSION=""
			[[ $BOCHS_DISPLAY == - ]] && BOCHS_DISPLAY=""
			BOCHS_P_KEY=$key
			return 0
		fi
	fi
	_bochs_probe_now
	BOCHS_P_KEY=$key
	if [[ -n $cache ]] && mkdir -p "$NVMX_STATE_DIR" 2>/dev/null; then
		# Written whole, then renamed: a parallel run never reads half a file.
		printf '%s\n%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "${BOCHS_VERSION:--}" \
			"$BOCHS_DEBUGGER" "$BOCHS_SOUND" "$BOCHS_SPEAKER" "${BOCHS_DISPLAY:--}" \
			"$BOCHS_MODELS" >"$cache.$$" 2>/dev/null && mv -f "$cache.$$" "$cache"
	fi
	return 0
}

bochs_backend_name() {
	_bochs_probe || true
	printf 'bochs%s\n' "${BOCHS_VERSION:+-$BOCHS_VERSION}"
}

bochs_describe() {
	_bochs_probe || {
		printf 'bochs: %s not found\n' "$BOCHS_BIN"
		return 0
	}
	local -a f=()
	((BOCHS_DEBUGGER)) && f+=(debugger) || f+=(no-debugger)
	((BOCHS_SOUND)) && f+=(sound) || f+=(no-sound)
	((BOCHS_SPEAKER)) && f+=(speaker) || f+=(no-speaker)
	f+=("display=${BOCHS_DISPLAY:-none}")
	printf 'Bochs %s (%s): %s\n' "${BOCHS_VERSION:-of unknown version}" \
		"$(command -v "$BOCHS_BIN")" "${f[*]}"
}

# bochs_model_problem MODEL: prints why MODEL can't be given to this Bochs
# (a character outside [A-Za-z0-9_] could inject bochsrc lines; a model the
# binary does not list makes Bochs stop at start-up). Returns 1 when usable.
bochs_model_problem() {
	local m=$1
	if ! [[ $m =~ ^[A-Za-z0-9_]+$ ]]; then
		printf "CPU model '%s' has characters outside [A-Za-z0-9_]\n" "$(printf '%q' "$m")"
		return 0
	fi
	_bochs_probe || return 1
	[[ -z $BOCHS_MODELS ]] && return 1 # no list printed: let Bochs decide
	[[ " $BOCHS_MODELS " == *" $m "* ]] && return 1
	printf "CPU model '%s' is not one of the %s models of Bochs %s (%s --help cpu);" \
		"$m" "$(wc -w <<<"$BOCHS_MODELS")" "${BOCHS_VERSION:-?}" "$BOCHS_BIN"
	printf ' those with VMX and EPT: %s\n' "$(bochs_cpu_models | tr '\n' ' ' | sed 's/ $//')"
	return 0
}

bochs_check() {
	_bochs_missing || return 1
	_bochs_probe || return 1
	if [[ -z $BOCHS_DISPLAY ]]; then
		echo "bochs: $BOCHS_BIN (Bochs ${BOCHS_VERSION:-?}) has neither the 'nogui' nor" \
			"the 'rfb' display library, needed to run headless (build Bochs with" \
			"--with-nogui or --with-rfb)" >&2
		return 1
	fi
	if [[ $BOCHS_DISPLAY == rfb ]] && ! _bochs_netns >/dev/null; then
		echo "bochs: cannot create a network namespace (unshare -n needs root," \
			"unshare -rn needs unprivileged user namespaces); refusing to open" \
			"Bochs' VNC port on the host" >&2
		return 1
	fi
}

bochs_cpu_models() {
	local m
	_bochs_probe || return 0
	for m in "${BOCHS_VMX_EPT_MODELS[@]}"; do
		[[ " $BOCHS_MODELS " == *" $m "* ]] && echo "$m"
	done
	return 0
}

# Quotes one word for a GRUB script (single quotes, ' as '\'').
_bochs_grub_quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

# _bochs_make_iso KERNEL NAME ARGS DIR: writes DIR/boot.iso.
_bochs_make_iso() {
	local kernel=$1 name=$2 args=$3 dir=$4 line w
	local -a words
	mkdir -p "$dir/iso/boot/grub"
	cp "$kernel" "$dir/iso/boot/$name.flat"
	line="multiboot /boot/$name.flat $(_bochs_grub_quote "$name.flat")"
	read -r -a words <<<"$args"
	for w in "${words[@]}"; do
		line+=" $(_bochs_grub_quote "$w")"
	done
	printf 'set timeout=0\n%s\nboot\n' "$line" >"$dir/iso/boot/grub/grub.cfg"
	if ! grub-mkrescue -d "$BOCHS_GRUB_DIR" -o "$dir/boot.iso" \
		--install-modules="multiboot normal configfile biosdisk iso9660" \
		--fonts= --locales= --themes= "$dir/iso" >"$dir/mkrescue.log" 2>&1; then
		echo "bochs: grub-mkrescue failed:" >&2
		cat "$dir/mkrescue.log" >&2
		return 1
	fi
}

# _bochs_write_rc DIR SMP MEM_MIB CPU_MODEL: writes DIR/bochsrc (and DIR/cmds
# for a build with the debugger). Serial output goes to DIR/serial (a symlink
# to the caller's log, so any path works). Optional directives (sound,
# speaker) only when the build has them; ips pinned at 4 M (Bochs master's
# default of 50 M makes the BIOS and GRUB delays several times longer).
_bochs_write_rc() {
	local dir=$1 smp=$2 mem=$3 model=$4 host=$3 display
	((host > 2048)) && host=2048
	display='display_library: nogui'
	[[ $BOCHS_DISPLAY == rfb ]] && display='display_library: rfb, options="timeout=0"'
	{
		cat <<-EOF
			memory: guest=$mem, host=$host
			cpu: model=$model, count=$smp, ips=4000000, reset_on_triple_fault=0, ignore_bad_msrs=0
			romimage: file=$BOCHS_BIOS
			vgaromimage: file=$BOCHS_VGABIOS
			ata0-master: type=cdrom, path=$dir/boot.iso, status=inserted
			boot: cdrom
			com1: enabled=1, mode=file, dev=$dir/serial
			$display
			clock: sync=none, time0=local
			log: -
			panic: action=fatal
			error: action=report
		EOF
		# Without them the ALSA path of the default config aborts (docs/bochs.md).
		if ((BOCHS_SPEAKER)); then printf 'speaker: enabled=0\n'; fi
		if ((BOCHS_SOUND)); then
			printf 'sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy\n'
		fi
	} >"$dir/bochsrc"
	if ((BOCHS_DEBUGGER)); then printf 'c\nquit\n' >"$dir/cmds"; fi
	return 0
}

# Ends the timeout(1) process PID and so its Bochs (TERM, KILL after 5 s).
_bochs_stop() {
	[[ -n "${1:-}" ]] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	wait "$1" 2>/dev/null || true
}

# Body of bochs_run; runs in a subshell so its traps stay local.
_bochs_run() {
	local kernel=$1 serial=$2 tmo=$3 smp=${4:-1} mem=${5:-64}
	local model=${6:-corei7_skylake_x} args=${7:-} name dir netns pid rc problem
	local n
	# Timeout 0: none (timeout(1) semantics, as on QEMU).
	for n in "${tmo/#0/1}" "$smp" "$mem"; do
		[[ "$n" =~ ^[1-9][0-9]{0,8}$ ]] || {
			echo "bochs: bad number '$n'" >&2
			return 2
		}
	done
	if ((mem > BOCHS_MAX_MEM_MIB)); then
		echo "bochs: memory $mem MiB: the Bochs backend gives at most $BOCHS_MAX_MEM_MIB MiB" >&2
		return 2
	fi
	[[ -r "$kernel" ]] || {
		echo "bochs: no kernel $kernel" >&2
		return 2
	}
	if problem=$(bochs_model_problem "$model"); then
		echo "bochs: $problem" >&2
		return 2
	fi
	_bochs_probe || {
		bochs_check
		return 2
	}
	local -a wrap=() rc_args=()
	if [[ $BOCHS_DISPLAY == rfb ]]; then
		netns=$(_bochs_netns) || {
			bochs_check
			return 2
		}
		wrap=(unshare "$netns")
	fi
	if ((BOCHS_DEBUGGER)); then rc_args=(-rc cmds); fi
	# A stale log must never be mistaken for this run's result.
	if ! : >"$serial" || ! : >"$serial.bochs"; then
		return 2
	fi
	name=$(basename "$kernel" .flat)
	[[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || name=kernel
	dir=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-bochs.XXXXXX") || return 2
	pid=
	# shellcheck disable=SC2064 # expand $dir now
	trap "rm -rf '$dir'" EXIT
	local sig
	for sig in INT TERM HUP; do
		# Stop Bochs, clean up, then die of the same signal like a plain child.
		# shellcheck disable=SC2064
		trap "_bochs_stop \"\$pid\"; rm -rf '$dir'; trap - $sig EXIT;
			kill -$sig \$BASHPID" "$sig"
	done
	ln -s "$(realpath "$serial")" "$dir/serial"
	_bochs_make_iso "$kernel" "$name" "$args" "$dir" || return 2
	_bochs_write_rc "$dir" "$smp" "$mem" "$model"
	# cwd = $dir so nothing Bochs might drop lands in the caller's tree.
	(cd "$dir" && exec timeout -k 5 "$tmo" "${wrap[@]}" \
		"$BOCHS_BIN" -q -f bochsrc "${rc_args[@]}") \
		</dev/null >>"$serial.bochs" 2>&1 &
	pid=$!
	rc=0
	wait "$pid" || rc=$?
	pid=
	case "$rc" in
	124 | 137) return 124 ;;
	*) return 0 ;;
	esac
}

bochs_run() {
	(_bochs_run "$@")
}
