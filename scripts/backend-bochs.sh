# shellcheck shell=bash
# Bochs backend: boots a multiboot test kernel from a GRUB rescue ISO in Bochs,
# headless, with COM1 going to a file. Sourced by run_tests.sh.
#
#   bochs_check
#   bochs_run KERNEL_FLAT SERIAL_LOG TIMEOUT_S SMP MEM_MIB CPU_MODEL KERNEL_ARGS
#   bochs_cpu_models
#
# Headless without a network listener: Debian's Bochs has no `nogui`, so the
# `rfb` display (VNC, connection timeout 0) is used inside a fresh, empty network
# namespace (`unshare -n`, or `unshare -rn` when not root); its port is reachable
# from nowhere and parallel runs cannot collide. See docs/bochs.md.

# Overridable locations.
: "${BOCHS_BIN:=bochs-bin}"
: "${BOCHS_BIOS:=/usr/share/bochs/BIOS-bochs-latest}"
: "${BOCHS_VGABIOS:=/usr/share/vgabios/vgabios.bin}"
: "${BOCHS_GRUB_DIR:=/usr/lib/grub/i386-pc}"

# Models of the installed Bochs 2.7 whose CPUID/VMX MSRs advertise VMX with EPT,
# measured by scripts/bochs/cpu-caps.sh (table in docs/bochs.md).
BOCHS_VMX_EPT_MODELS=(corei5_lynnfield_750 corei5_arrandale_m520
	corei7_sandy_bridge_2600k corei7_ivy_bridge_3770k corei7_haswell_4770
	broadwell_ult corei7_skylake_x corei3_cnl corei7_icelake_u tigerlake)

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

bochs_check() {
	_bochs_missing || return 1
	if ! _bochs_netns >/dev/null; then
		echo "bochs: cannot create a network namespace (unshare -n needs root," \
			"unshare -rn needs unprivileged user namespaces); refusing to open" \
			"Bochs' VNC port on the host" >&2
		return 1
	fi
}

bochs_cpu_models() {
	local have m
	have=$("$BOCHS_BIN" --help cpu 2>&1) || true
	for m in "${BOCHS_VMX_EPT_MODELS[@]}"; do
		grep -qx "$m" <<<"$have" && echo "$m"
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

# _bochs_write_rc DIR SMP MEM_MIB CPU_MODEL: writes DIR/bochsrc. Serial output
# goes to DIR/serial (a symlink to the caller's log, so any path works).
_bochs_write_rc() {
	local dir=$1 smp=$2 mem=$3 model=$4 host=$3
	((host > 2048)) && host=2048
	cat >"$dir/bochsrc" <<-EOF
		memory: guest=$mem, host=$host
		cpu: model=$model, count=$smp, reset_on_triple_fault=0, ignore_bad_msrs=0
		romimage: file=$BOCHS_BIOS
		vgaromimage: file=$BOCHS_VGABIOS
		ata0-master: type=cdrom, path=$dir/boot.iso, status=inserted
		boot: cdrom
		com1: enabled=1, mode=file, dev=$dir/serial
		display_library: rfb, options="timeout=0"
		clock: sync=none, time0=local
		speaker: enabled=0
		sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
		log: -
		panic: action=fatal
		error: action=report
	EOF
	printf 'c\nquit\n' >"$dir/cmds"
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
	local model=${6:-corei7_skylake_x} args=${7:-} name dir netns pid rc
	local n
	# Timeout 0: none (timeout(1) semantics, as on QEMU).
	for n in "${tmo/#0/1}" "$smp" "$mem"; do
		[[ "$n" =~ ^[1-9][0-9]*$ ]] || {
			echo "bochs: bad number '$n'" >&2
			return 2
		}
	done
	[[ -r "$kernel" ]] || {
		echo "bochs: no kernel $kernel" >&2
		return 2
	}
	netns=$(_bochs_netns) || {
		bochs_check
		return 2
	}
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
	(cd "$dir" && exec timeout -k 5 "$tmo" unshare "$netns" \
		"$BOCHS_BIN" -q -f bochsrc -rc cmds) \
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
