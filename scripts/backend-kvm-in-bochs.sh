# shellcheck shell=bash
# backend-kvm-in-bochs.sh: the kvm-in-bochs backend. Bochs plays the VMX
# hardware for a Debian Linux (L1) that loads kvm_intel nested=1 and runs the
# entries one after the other under qemu-system-x86_64 -accel kvm inside it, so
# the kernels test Linux KVM's nested VMX. One L1 boot per run (per Bochs CPU
# model); see docs/kvm-in-bochs.md. Sourced by run_tests.sh.
#
#   kib_usable           0 when the backend can run here; else KIB_STATE says why
#   kib_prepare          fetch the packages, build the base initramfs (dies on
#                        failure: status 2, logs kept)
#   kib_launch I...      runs the entries I... as one background job that writes
#                        $RUNTMP/<i>.result, <i>.done and $LOGDIR/<entry>.log
#                        like scripts/runner-exec.sh
#
# Knobs (environment): KIB_CACHE (image cache, default build/kvm-in-bochs),
# KIB_LINUX_PKG (kernel package), KIB_IPS (Bochs ips, 100000000), KIB_MEM (L1
# MiB, 1024), KIB_HANG_S (L1 silent on console and heartbeat this long: stop
# Bochs, default 180), KIB_BOOT_QUIET_S (no console output while booting, 1200),
# KIB_BOOT_MAX_S (L1 init not reached, 1800), KIB_MAX_BOOTS (boots per CPU model
# when an entry hangs L1, 3), KIB_POWEROFF_S (L1 still running this long after
# its last entry ended: stop Bochs, 120), KIB_CMDLINE_EXTRA (more L1 kernel
# parameters, e.g. kvm_intel.nested_early_check=1).

# shellcheck source=scripts/kvm-in-bochs/image.sh
source "$NVMX_ROOT/scripts/kvm-in-bochs/image.sh"
# shellcheck source=scripts/kvm-in-bochs/snapshot.sh
source "$NVMX_ROOT/scripts/kvm-in-bochs/snapshot.sh"

: "${KIB_IPS:=100000000}"
: "${KIB_MEM:=1024}"
: "${KIB_HANG_S:=180}"
: "${KIB_POWEROFF_S:=120}"
: "${KIB_BOOT_QUIET_S:=1200}"
: "${KIB_BOOT_MAX_S:=1800}"
: "${KIB_MAX_BOOTS:=3}"
: "${KIB_RESTORE_S:=300}"
# Host memory of one L1's Bochs beyond the guest memory (measured RSS ~60 MiB).
: "${KIB_BOCHS_MIB:=256}"
KIB_INST=""
: "${KIB_POLL_S:=1}"
KIB_STATE=""
KIB_MARK='@@KIB@@'

# kib_usable: Bochs, QEMU and the Debian tools to fetch and pack are there.
kib_usable() {
	if [[ -z $KIB_STATE ]]; then
		local t pkg missing=""
		if ! bochs_usable; then
			KIB_STATE="kvm-in-bochs needs Bochs: $BOCHS_STATE"
		elif ! qemu_usable; then
			KIB_STATE="kvm-in-bochs needs the host's QEMU: $QEMU_STATE"
		else
			while read -r t pkg; do
				command -v "$t" >/dev/null 2>&1 || missing+=" $t ($pkg)"
			done <<-EOF
				apt-get apt
				apt-cache apt
				dpkg-deb dpkg
				ldd libc-bin
				gzip gzip
				sha256sum coreutils
			EOF
			if [[ -n $missing ]]; then
				KIB_STATE="kvm-in-bochs: missing host tools:$missing"
			else
				KIB_STATE=ok
			fi
		fi
	fi
	[[ $KIB_STATE == ok ]]
}

# kib_label I: backend label of an entry.
kib_cpu_of() { bochs_cpu_of "$1"; }

# kib_prepare: the image (kib_image) + base initramfs, in the foreground,
# once per run. The build log is $LOGDIR/kvm-in-bochs/image.log.
kib_prepare() {
	# Once per log directory: run_tests.sh's kib_preflight prepares into a
	# directory of its own before the log directory rotates.
	[[ -n ${KIB_IMAGE_KEY:-} && ${KIB_LOGDIR:-} == "$LOGDIR/kvm-in-bochs" ]] && return 0
	KIB_LOGDIR=$LOGDIR/kvm-in-bochs
	mkdir -p "$KIB_LOGDIR" "$KIB_CACHE"
	KIB_IMAGE_LOG=$KIB_LOGDIR/image.log
	kib_log "kvm-in-bochs image ($(date -u '+%Y-%m-%d %H:%M:%S UTC')), cache $(display_path "$KIB_CACHE")"
	local err=$KIB_LOGDIR/.prepare.err
	if ! { kib_image && kib_base; } 2>"$err"; then
		kib_log "error: $(cat "$err")"
		nvmx_die "ACCEL=kvm-in-bochs: $(tr '\n' ' ' <"$err")(log: $(display_path "$KIB_IMAGE_LOG"))"
	fi
	rm -f "$err"
}

# kib_note I...: when entries I... include kvm-in-bochs ones, prepares the
# image and names L1's kernel in a TAP comment (stdout, after the version
# line) or on stderr.
kib_note() {
	local i line
	for i in "$@"; do
		[[ -z ${R_SKIP[i]} && ${R_BACKEND[i]} == kvm-in-bochs ]] || continue
		kib_prepare
		line="kvm-in-bochs: L1 Linux $KIB_LINUX_VER ($KIB_KERNEL_ORIGIN), kernels get --backend=$(kib_backend_name)"
		if ((TAP)); then printf '# %s\n' "$line"; else printf '%s: %s\n' "$PROG" "$line" >&2; fi
		return 0
	done
}

# kib_backend_name: what the kernels get as --backend: kvm-<KVM version>@<the
# Bochs backend name> (kvm-6.1.192@bochs-2.7), for errata keyed on either.
kib_backend_name() { printf 'kvm-%s@%s\n' "${KIB_KVM_VER:-unknown}" "$(bochs_backend_name)"; }

# _kib_q WORD: WORD single-quoted for ash.
_kib_q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# kib_launch I...: the kvm-in-bochs entries as up to $JOBS background jobs
# (instances), each with its own L1 (Bochs process) on a cost-balanced share
# of the entries; run_tests.sh prints the results in cfg order.
kib_launch() {
	(($#)) || return 0
	kib_prepare
	local n=${JOBS:-1} cap s i
	cap=$(_kib_mem_cap)
	if ((n > cap)); then
		printf '%s: kvm-in-bochs: -j %s capped at %s L1s: each needs ~%s MiB (L1 %s MiB + Bochs), %s MiB available\n' \
			"$PROG" "$n" "$cap" "$((KIB_MEM + KIB_BOCHS_MIB))" "$KIB_MEM" "$(_kib_mem_avail)" >&2
		n=$cap
	fi
	(($# < n)) && n=$#
	if ((n <= 1)); then
		(
			set +e
			_kib_job "$@"
		) &
		JOB_PIDS+=($!)
		return 0
	fi
	local -a share
	local -A taken=()
	KIB_COSTS=$(_kib_costs_file) || KIB_COSTS=""
	for ((s = 1; s <= n; s++)); do
		read -r -a share <<<"$(_kib_share "$s" "$n" "$@" || true)"
		((${#share[@]})) || continue
		for i in "${share[@]}"; do taken[$i]=1; done
		(
			set +e
			_kib_instance "$s" "${share[@]}"
		) &
		JOB_PIDS+=($!)
	done
	# Every entry ends with a result, even when the split went wrong.
	for i in "$@"; do
		[[ -n ${taken[$i]:-} ]] && continue
		_kib_entry_log "$i" "$(kib_cpu_of "$i")"
		_kib_result "$i" error 0 "runner error: no kvm-in-bochs instance took this entry (-j $n split)"
	done
}

# _kib_instance S I...: the entries I... as instance S of -j N (its boots
# are tagged <cpu>-i<S>-boot<n>).
_kib_instance() {
	KIB_INST=$1
	shift
	_kib_job "$@"
}

# _kib_mem_avail: the host's available memory in MiB.
_kib_mem_avail() { awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo; }

# _kib_mem_cap: how many L1s fit in the available memory (at least 1).
_kib_mem_cap() {
	local c
	c=$(($(_kib_mem_avail) / (KIB_MEM + KIB_BOCHS_MIB)))
	((c < 1)) && c=1
	printf '%s\n' "$c"
}

# _kib_costs_file: a "NAME SECONDS" file of L1 seconds per entry for the
# balancer: what this cache measured (costs.measured, appended by
# _kib_finish, the latest line of a name wins) over scripts/kvm-in-bochs/costs
# for entries never measured here. L1 seconds (Bochs' virtual time) do not
# depend on the host's load, so runs at any load agree. Kept beside the
# snapshots (kib_snap_root), whose L1s measured them. Prints its path.
_kib_costs_file() {
	local root measured out tmp
	root=$(kib_snap_root)
	measured=$root/costs.measured out=$root/costs.merged tmp=$root/costs.$$.$RANDOM
	if [[ ! -s $measured ]]; then
		printf '%s\n' "$KIB_DIR/costs"
		return 0
	fi
	# One line per entry, the latest; then the defaults for the others.
	tac "$measured" | awk 'NF == 2 && $2 ~ /^[0-9]+(\.[0-9]*)?$/ && !seen[$1]++' | tac >"$tmp" || true
	mv -f "$tmp" "$measured" || true
	{
		cat "$measured"
		grep -v '^#' "$KIB_DIR/costs"
	} | awk 'NF == 2 && !seen[$1]++' >"$tmp" || true
	if mv -f "$tmp" "$out"; then printf '%s\n' "$out"; else printf '%s\n' "$KIB_DIR/costs"; fi
}

# _kib_share S N I...: the entries (of I...) of instance S of N, by
# runner-shard.sh's balancer; costs from NVMX_SHARD_TIMES, else KIB_COSTS
# (_kib_costs_file).
_kib_share() {
	# shard_select works on these: locals shadow the run's own (dynamic scope).
	# shellcheck disable=SC2034 # SHARD_HEADER: set by shard_select, unused here
	local SHARD_I=$1 SHARD_N=$2 SHARD_HEADER=""
	shift 2
	local -a SELECTED=("$@")
	local NVMX_SHARD_TIMES=${NVMX_SHARD_TIMES:-${KIB_COSTS:-$KIB_DIR/costs}}
	shard_select
	printf '%s\n' "${SELECTED[*]}"
}

# _kib_job I...: the batch per Bochs CPU model, in cfg order of the models'
# first entries; every entry ends with a .result and a .done file.
_kib_job() {
	local i cpu
	local -a models=()
	local -A seen=()
	for i in "$@"; do
		if [[ ! -r $(kernel_path "$i") ]]; then
			_kib_entry_log "$i" "$(kib_cpu_of "$i")"
			_kib_result "$i" error 0 "kernel $(display_path "$(kernel_path "$i")") not found (run make)"
			continue
		fi
		cpu=$(kib_cpu_of "$i")
		[[ -n ${seen[$cpu]:-} ]] || models+=("$cpu")
		seen[$cpu]+=" $i"
	done
	for cpu in "${models[@]}"; do
		# shellcheck disable=SC2086 # the list is blank-separated indices
		(_kib_model "$cpu" ${seen[$cpu]}) ||
			printf '%s: kvm-in-bochs: internal error (status %s) for cpu=%s\n' "$PROG" "$?" "$cpu" >&2
		for i in ${seen[$cpu]}; do
			[[ -e $RUNTMP/$i.done ]] && continue
			_kib_result "$i" error 0 "runner error in the kvm-in-bochs backend (see $(display_path "$KIB_LOGDIR"))"
		done
	done
}

# _kib_result I RESULT DURATION [REASON]: the entry's result + done files.
_kib_result() {
	local i=$1
	{
		printf 'result=%s\nduration=%s\n' "$2" "$3"
		[[ -n ${4:-} ]] && printf 'reason=%s\n' "$4"
	} >"$RUNTMP/$i.result.tmp"
	mv -f "$RUNTMP/$i.result.tmp" "$RUNTMP/$i.result"
	: >"$RUNTMP/$i.done"
}

# _kib_model CPU I...: boots L1 on CPU as often as needed (an entry that stops
# L1 costs a boot) and runs the entries.
_kib_model() {
	local cpu=$1
	shift
	local -a ents=("$@")
	local from=0 boot=0
	while ((from < ${#ents[@]})); do
		boot=$((boot + 1))
		KIB_NEXT=${#ents[@]}
		_kib_boot "$cpu" "$boot" "$from" "${ents[@]}"
		from=$KIB_NEXT
		if ((from < ${#ents[@]})) && ((boot >= KIB_MAX_BOOTS || KIB_NO_RETRY)); then
			local p reason
			reason="not reached: $KIB_STOP_WHY; see $(display_path "$KIB_LOGDIR")"
			for ((p = from; p < ${#ents[@]}; p++)); do
				_kib_entry_log "${ents[p]}" "$cpu"
				printf '# %s\n' "$reason" >>"$LOGDIR/${E_NAME[ents[p]]}.log"
				[[ -n $KIB_FAIL_TEXT ]] && printf '%s\n' "$KIB_FAIL_TEXT" >>"$LOGDIR/${E_NAME[ents[p]]}.log"
				_kib_result "${ents[p]}" error 0 "$reason"
			done
			return 0
		fi
	done
}

# _kib_plan FILE I...: the ash script of run_entry lines; sets KIB_KERNELS
# (unique kernel files, kernel n is /run/k/n/<its file name> in L1: argv[0]
# names the kernel).
_kib_plan() {
	local plan=$1
	shift
	local i p=0 k kernel tmo cpu args w
	local -A knum=()
	KIB_KERNELS=()
	: >"$plan"
	for i in "$@"; do
		kernel=$(kernel_path "$i")
		if [[ -z ${knum[$kernel]:-} ]]; then
			knum[$kernel]=${#KIB_KERNELS[@]}
			KIB_KERNELS+=("$kernel")
		fi
		k=${knum[$kernel]}
		tmo=$(entry_timeout "$i")
		((tmo == 0)) && tmo=999999
		cpu=host
		in_list vmx "${E_REQ[i]}" && cpu=host,+vmx
		args=$(_kib_args "$i")
		local -a extra=()
		[[ -n ${E_QEMU[i]} ]] && IFS=$'\x1f' read -r -a extra <<<"${E_QEMU[i]}"
		{
			printf 'run_entry %s %s %s %s %s %s %s %s' "$p" "$(_kib_q "${E_NAME[i]}")" \
				"$tmo" "${E_MEM[i]}" "${E_SMP[i]}" "$(_kib_q "/run/k/$k/$(basename "$kernel")")" \
				"$(_kib_q "$args")" "$cpu"
			for w in "${extra[@]}"; do printf ' %s' "$(_kib_q "$w")"; done
			printf '\n'
		} >>"$plan"
		p=$((p + 1))
	done
}

_kib_args() { printf '%s\n' "--tap --backend=$(kib_backend_name)${E_ARGS[$1]:+ ${E_ARGS[$1]}}"; }

# _kib_boot CPU BOOT FROM I...: one L1 running entries FROM.. of I...: restored
# from the snapshot when there is one (a snapshot that does not restore is
# deleted and L1 boots cold), else booted cold (saving a snapshot at `ready`
# when this run may). Sets KIB_NEXT (first entry not finished), KIB_STOP_WHY,
# KIB_NO_RETRY, KIB_FAIL_TEXT.
_kib_boot() {
	local cpu=$1 boot=$2 from=$3
	shift 3
	local tag=${cpu}${KIB_INST:+-i$KIB_INST}-boot$boot
	if ! kib_iso 2>>"$KIB_IMAGE_LOG"; then
		KIB_NEXT=$from KIB_NO_RETRY=1 KIB_STOP_WHY="the L1 ISO could not be built (see $(display_path "$KIB_IMAGE_LOG"))"
		return 0
	fi
	_kib_start "$cpu" "$tag" restore "$from" "$@"
	((KIB_RESTORE_FAILED)) || return 0
	kib_snap_drop "$KIB_SNAP_KEY" "$KIB_STOP_WHY"
	printf '%s: kvm-in-bochs: the L1 snapshot did not restore (%s): deleted, booting cold\n' \
		"$PROG" "$KIB_STOP_WHY" >&2
	_kib_start "$cpu" "$tag-cold" cold "$from" "$@"
}

# _kib_start CPU TAG MODE FROM I...: starts one Bochs for entries FROM.. of
# I... and follows it to its end. MODE restore: from the snapshot if one
# exists (else as cold); cold: boot. Sets what _kib_boot sets, and
# KIB_RESTORE_FAILED (a restore that never delivered the payload).
_kib_start() {
	local cpu=$1 tag=$2 mode=$3 from=$4
	shift 4
	local -a ents=("$@")
	local dir console hb blog plan pid netns start rc key save=0 fd=""
	KIB_NO_RETRY=0 KIB_FAIL_TEXT="" KIB_STOP_WHY="L1 stopped" KIB_RESTORE_FAILED=0
	dir=$RUNTMP/kib-$tag
	mkdir -p "$dir"
	console=$KIB_LOGDIR/$tag.console.log
	hb=$dir/heartbeat
	blog=$KIB_LOGDIR/$tag.bochs.log
	plan=$dir/plan
	: >"$console"
	: >"$hb"
	: >"$blog"
	_kib_plan "$plan" "${ents[@]}"
	cp "$plan" "$KIB_LOGDIR/$tag.plan"
	ln -sfn "$(realpath "$KIB_ISO")" "$dir/boot.iso"
	ln -sfn "$(realpath "$console")" "$dir/serial"
	# The facts of this Bochs binary (display library, debugger) for the rc.
	if declare -F _bochs_probe >/dev/null; then _bochs_probe || true; fi
	_kib_write_rc "$dir" "$cpu" "$hb"
	key=$(kib_snap_key "$dir" "$cpu")
	KIB_SNAP_KEY=$key
	if [[ $mode == restore ]]; then
		mode=cold
		if kib_snap_usable && kib_snap_exists "$key"; then
			if kib_snap_instance "$key" "$dir"; then
				mode=restore
			else
				kib_snap_drop "$key" "incomplete (a file a restore needs is missing)"
			fi
		fi
	fi
	# The run flags (/run/flags in L1, shell assignments): the first entry
	# to run, and step 6 of docs/kvm-in-bochs-interface.md (L1 sends KVM's
	# gcov counters after the entries).
	KIB_FLAGS="kib_from=$from"
	[[ ${KIB_COVERAGE:-0} == 1 ]] && KIB_FLAGS+=$'\nkib_coverage=1'
	if [[ $mode == cold ]] && kib_snap_usable && kib_snap_claim "$key"; then
		save=1
		kib_payload "$dir/payload" "" "" || return 1
	elif ! kib_payload "$dir/payload" "$KIB_FLAGS" "$plan" "${KIB_KERNELS[@]}" 2>>"$KIB_IMAGE_LOG"; then
		KIB_NEXT=$from KIB_NO_RETRY=1 KIB_STOP_WHY="the payload could not be built (see $(display_path "$KIB_IMAGE_LOG"))"
		return 0
	fi
	local -a wrap=() rcargs=()
	local note=""
	((save)) && note=", saving a snapshot at ready"
	if grep -q '^display_library: rfb' "$dir/bochsrc"; then
		netns=$(_bochs_netns) || {
			KIB_NEXT=$from KIB_NO_RETRY=1 KIB_STOP_WHY="no network namespace for Bochs' VNC port"
			return 0
		}
		wrap=(unshare "$netns")
	fi
	[[ -e $dir/cmds ]] && rcargs=(-rc cmds)
	if [[ $mode == restore ]]; then
		rcargs+=(-r snap)
		printf '%s: kvm-in-bochs: restoring L1 (Linux %s, Bochs cpu=%s, snapshot %s, %s entries)\n' \
			"$PROG" "$KIB_LINUX_VER" "$cpu" "$key" "$((${#ents[@]} - from))" >&2
	else
		rcargs+=(-f bochsrc)
		printf '%s: kvm-in-bochs: booting L1 (Linux %s, Bochs cpu=%s, %s entries%s); Linux + kvm_intel take 2-12 min\n' \
			"$PROG" "$KIB_LINUX_VER" "$cpu" "$((${#ents[@]} - from))" "$note" >&2
	fi
	printf '%s %s: Bochs %s %s (cpu=%s ips=%s memory=%s MiB, entries %s..%s, ISO %s, snapshot key %s)\n' \
		"$(date -u +%H:%M:%S)" "$tag" "$BOCHS_BIN" "$([[ $mode == restore ]] && echo restoring || echo booting)" \
		"$cpu" "$KIB_IPS" "$KIB_MEM" "$from" "$((${#ents[@]} - 1))" "$(display_path "$KIB_ISO")" "$key" \
		>>"$KIB_LOGDIR/run.log"
	# Bochs asks its save questions on stdin: a fifo this shell holds open.
	rm -f "$dir/stdin"
	mkfifo "$dir/stdin"
	exec {fd}<>"$dir/stdin"
	start=$EPOCHREALTIME
	# Linux reads APERF/MPERF (0xe7/0xe8, absent in Bochs) all the time: those
	# "Unknown register" lines are dropped from the Bochs log.
	(cd "$dir" && exec "${wrap[@]}" "$BOCHS_BIN" -q "${rcargs[@]}") \
		<"$dir/stdin" > >(grep -av --line-buffered 'RDMSR: Unknown register 0xe[78]$' >>"$blog") 2>&1 &
	pid=$!
	# shellcheck disable=SC2064 # expand $pid now
	trap "kill $pid 2>/dev/null; exit 143" TERM
	KIB_SAVE=$save KIB_FD=$fd KIB_DIR_NOW=$dir
	_kib_watch "$pid" "$console" "$hb" "$blog" "$start" "$cpu" "$tag" "$from" "$mode" "${ents[@]}"
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	trap - TERM
	exec {fd}>&-
	((save)) && rm -rf "$(kib_snap_root)/$key.tmp"
	# Step 6: each L1 (instance, boot) sends its own .gcda archive.
	[[ ${KIB_COVERAGE:-0} == 1 ]] && _kib_coverage_save "$console" "$tag"
	printf '%s %s: Bochs ended (status %s) after %s s: %s\n' "$(date -u +%H:%M:%S)" "$tag" "$rc" \
		"$(elapsed_s "$start" "$EPOCHREALTIME")" "$KIB_STOP_WHY" >>"$KIB_LOGDIR/run.log"
}

# _kib_write_rc DIR CPU HB: DIR/bochsrc of an L1: the Bochs backend's rc with
# L1's memory and ips, COM2 to the heartbeat file HB, the payload CD-ROM as
# ata0-slave, and the save questions on stdin (textconfig, no GUI console).
_kib_write_rc() {
	local dir=$1 cpu=$2 hb=$3
	_bochs_write_rc "$dir" 1 "$KIB_MEM" "$cpu"
	sed -i -E "/^cpu:/{s/, ips=[0-9]+//; s/ignore_bad_msrs=0/ignore_bad_msrs=1, ips=$KIB_IPS/}" "$dir/bochsrc"
	sed -i 's/^display_library: rfb, options="timeout=0"$/display_library: rfb, options="timeout=0, no_gui_console"/' "$dir/bochsrc"
	{
		printf 'com2: enabled=1, mode=file, dev=%s\n' "$hb"
		printf 'ata0-slave: type=cdrom, path=%s, status=inserted\n' "$dir/payload"
		printf 'config_interface: textconfig\n'
	} >>"$dir/bochsrc"
}

# _kib_coverage_save CONSOLE TAG: the .gcda archive L1 sent (init.sh
# coverage_send) as $KIB_LOGDIR/TAG.kvm-gcov.tgz; run.log says what came.
# A stream cut short (L1 stopped while sending) keeps its complete files.
_kib_coverage_save() {
	local console=$1 tag=$2 out=$KIB_LOGDIR/$2.kvm-gcov.tgz b e note=""
	b=$(_kib_markers "$console" | grep -m1 '^coverage-begin ' || true)
	e=$(_kib_markers "$console" | grep -m1 '^coverage-end ' || true)
	if [[ -z $b ]]; then
		printf '%s %s: no KVM coverage from L1 (%s)\n' "$(date -u +%H:%M:%S)" "$tag" \
			"$(_kib_markers "$console" | grep -m1 '^coverage-none ' || echo 'L1 stopped before sending it')" \
			>>"$KIB_LOGDIR/run.log"
		return 0
	fi
	_kib_section "$console" coverage "" | tr -d '\r' | grep -v "^$KIB_MARK" | base64 -di >"$out.part" 2>/dev/null
	if [[ -n $e ]] && gzip -t "$out.part" 2>/dev/null; then
		mv -f "$out.part" "$out"
	elif _kib_coverage_salvage "$out.part" "$out"; then
		note="; cut short, kept the $(tar -tzf "$out" | grep -c '\.gcda$') complete files"
	else
		rm -f "$out.part"
		printf '%s %s: KVM coverage from L1 did not decode (%s)\n' "$(date -u +%H:%M:%S)" "$tag" "$b" >>"$KIB_LOGDIR/run.log"
		return 0
	fi
	rm -f "$out.part"
	printf '%s %s: KVM coverage %s (%s%s), sent in %s s of L1 time\n' "$(date -u +%H:%M:%S)" "$tag" \
		"$(display_path "$out")" "$b" "$note" \
		"$(awk -v b="${b##*uptime=}" -v e="${e##*uptime=}" 'BEGIN { if (e == "") print "?"; else printf "%.1f", e - b }')" \
		>>"$KIB_LOGDIR/run.log"
}

# _kib_coverage_salvage PART OUT: OUT from the complete .gcda files of a cut
# gzip'ed tar PART (a member shorter than its tar header says is dropped).
_kib_coverage_salvage() {
	local part=$1 out=$2 dir size name
	dir=$(mktemp -d "$RUNTMP/kibcov.XXXXXX") || return 1
	gzip -dc <"$part" 2>/dev/null | tar -x -C "$dir" 2>/dev/null
	while read -r _ _ size _ _ name; do
		[[ $name == *.gcda && -f $dir/$name ]] || continue
		[[ $(stat -c %s "$dir/$name") == "$size" ]] || rm -f "$dir/$name"
	done < <(gzip -dc <"$part" 2>/dev/null | tar -tv 2>/dev/null)
	if [[ -z $(find "$dir" -name '*.gcda' -print -quit) ]]; then
		rm -rf "$dir"
		return 1
	fi
	tar -C "$dir" -czf "$out" . && rm -rf "$dir"
}

# _kib_markers FILE: the marker lines of the console, text from the marker on;
# a last line still being written (no newline yet) is left for the next call
# (else "end 5 status=1 l1_seconds=46.58" could be read as "end 5 sta").
_kib_markers() {
	if [[ -n $(tail -c 1 "$1") ]]; then head -n -1 "$1"; else cat "$1"; fi |
		grep -a "$KIB_MARK " | tr -d '\r' | sed "s/^.*$KIB_MARK //"
}

# _kib_watch PID CONSOLE HB BOCHSLOG START CPU TAG FROM MODE I...: follows the
# console, saves the snapshot at `ready` ($KIB_SAVE) and then hands L1 the
# payload, finishes entries as their end markers arrive, stops Bochs when L1
# hangs (the watchdog). MODE restore: L1 must take the payload within
# KIB_RESTORE_S, else KIB_RESTORE_FAILED=1. Sets KIB_NEXT, KIB_STOP_WHY,
# KIB_NO_RETRY.
_kib_watch() {
	local pid=$1 console=$2 hb=$3 blog=$4 start=$5 cpu=$6 tag=$7 from=$8 mode=$9
	shift 9
	local -a ents=("$@")
	local nseen=0 size hsize last_size=-1 last_h=-1 t_con=$SECONDS t_any=$SECONDS
	local phase=boot cur=-1 cur_t0=0 cur_s=0 cur_b0=0 line word now stop="" n m eidx t_start=$SECONDS done_s=-1
	local boot_s="" kvm_s="" said first_begin=1
	local -a markers
	KIB_NEXT=$from
	KIB_PARAMS=""
	if [[ $mode == restore ]]; then
		phase=restore
		KIB_PARAMS=$(cat "$(kib_snap_root)/$KIB_SNAP_KEY/.nvmx-params" 2>/dev/null)
		boot_s="restored" kvm_s="restored"
	fi
	local alive=1
	while :; do
		# Once Bochs has ended, one more pass reads the last markers.
		kill -0 "$pid" 2>/dev/null || alive=0
		((alive)) && sleep "$KIB_POLL_S"
		now=$SECONDS
		size=$(stat -c %s "$console" 2>/dev/null || echo 0)
		hsize=$(stat -c %s "$hb" 2>/dev/null || echo 0)
		if [[ $size != "$last_size" ]]; then
			t_con=$now t_any=$now
		elif [[ $hsize != "$last_h" ]]; then
			t_any=$now
		fi
		last_h=$hsize
		if [[ $size != "$last_size" ]]; then
			last_size=$size
			mapfile -t markers < <(_kib_markers "$console")
			n=${#markers[@]}
			for ((m = nseen; m < n; m++)); do
				line=${markers[m]}
				word=${line%% *}
				case $word in
					init)
						phase=init
						boot_s=$(elapsed_s "$start" "$EPOCHREALTIME")
						printf '%s %s: L1 init after %s s (%s)\n' "$(date -u +%H:%M:%S)" "$tag" "$boot_s" "$line" \
							>>"$KIB_LOGDIR/run.log"
						;;
					ready)
						# A restored L1 has printed its `ready` before the save.
						[[ $phase == restore ]] && continue
						kvm_s=$(elapsed_s "$start" "$EPOCHREALTIME")
						KIB_PARAMS=$(_kib_section "$console" kvm-params "" | tr '\n' ' ')
						printf '%s %s: kvm_intel loaded, L1 ready after %s s (%s): %s\n' "$(date -u +%H:%M:%S)" \
							"$tag" "$kvm_s" "$line" "$KIB_PARAMS" >>"$KIB_LOGDIR/run.log"
						if ((KIB_SAVE)); then
							printf 'cold boot: init after %s s, ready after %s s (%s)\n' "$boot_s" "$kvm_s" "$line" \
								>"$KIB_DIR_NOW/ready"
							said=$(kib_snap_save "$pid" "$KIB_FD" "$KIB_DIR_NOW" "$KIB_SNAP_KEY" "$hb") ||
								printf '%s: kvm-in-bochs: no L1 snapshot: %s\n' "$PROG" "$said" >&2
							printf '%s %s: snapshot %s: %s\n' "$(date -u +%H:%M:%S)" "$tag" "$KIB_SNAP_KEY" "$said" \
								>>"$KIB_LOGDIR/run.log"
							t_any=$SECONDS t_con=$SECONDS
							if ! kib_payload "$KIB_DIR_NOW/payload" "$KIB_FLAGS" "$KIB_DIR_NOW/plan" "${KIB_KERNELS[@]}" \
								2>>"$KIB_IMAGE_LOG"; then
								stop="payload"
								KIB_NO_RETRY=1
								KIB_STOP_WHY="the payload could not be built (see $(display_path "$KIB_IMAGE_LOG"))"
							fi
						fi
						;;
					payload-begin)
						if [[ $phase == restore ]]; then
							phase=init
							kvm_s="restored in $(elapsed_s "$start" "$EPOCHREALTIME")"
							printf '%s %s: L1 restored, payload taken after %s s (%s)\n' "$(date -u +%H:%M:%S)" "$tag" \
								"$(elapsed_s "$start" "$EPOCHREALTIME")" "$line" >>"$KIB_LOGDIR/run.log"
						fi
						;;
					done)
						done_s=$SECONDS
						printf '%s %s: L1 done after %s s (%s)\n' "$(date -u +%H:%M:%S)" "$tag" \
							"$(elapsed_s "$start" "$EPOCHREALTIME")" "$line" >>"$KIB_LOGDIR/run.log"
						;;
					fail)
						stop="fail"
						KIB_NO_RETRY=1
						KIB_STOP_WHY="L1: ${line#fail }"
						KIB_FAIL_TEXT=$(printf 'L1 kernel messages (dmesg):\n'; _kib_section "$console" dmesg boot)
						;;
					begin)
						if ((first_begin)); then
							first_begin=0
							printf '%s %s: first entry began after %s s (%s) epoch=%s\n' "$(date -u +%H:%M:%S)" "$tag" \
								"$(elapsed_s "$start" "$EPOCHREALTIME")" "$line" "$EPOCHREALTIME" >>"$KIB_LOGDIR/run.log"
						fi
						read -r _ cur _ <<<"$line"
						# Entries before FROM ran in an earlier boot.
						((cur < from)) && cur=-1
						cur_t0=$EPOCHREALTIME cur_s=$SECONDS
						cur_b0=$(stat -c %s "$blog")
						;;
					end)
						read -r _ eidx _ <<<"$line"
						if [[ $eidx == "$cur" ]]; then
							_kib_finish "${ents[cur]}" "$cpu" "$tag" "$console" "$blog" "$cur" "$cur_t0" \
								"$cur_b0" "$line" "" "$boot_s" "$kvm_s"
							KIB_NEXT=$((cur + 1))
							cur=-1
						fi
						;;
				esac
			done
			nseen=$n
			if grep -aq 'Kernel panic - not syncing' "$console"; then
				stop=panic
				KIB_STOP_WHY="L1 Linux panicked: $(grep -a 'Kernel panic - not syncing' "$console" | head -n1 | tr -d '\r')"
			fi
		fi
		[[ -n $stop ]] && break
		((alive)) || break
		if ((done_s >= 0)); then
			# Every entry has ended; only the power-off is missing (the
			# heartbeat keeps the hang watchdog quiet).
			((now - done_s >= KIB_POWEROFF_S)) &&
				stop="L1 did not power off within $KIB_POWEROFF_S s after its last entry"
		elif [[ $phase == restore ]]; then
			if ((now - t_start >= KIB_RESTORE_S)); then
				stop="L1 did not take the payload within $KIB_RESTORE_S s of the restore"
				KIB_RESTORE_FAILED=1
			fi
		elif [[ $phase == boot ]]; then
			if ((now - t_con >= KIB_BOOT_QUIET_S)); then
				stop="watchdog: L1 printed nothing for $KIB_BOOT_QUIET_S s while booting"
			elif ((now - t_start >= KIB_BOOT_MAX_S)); then
				stop="watchdog: L1 init not reached after $KIB_BOOT_MAX_S s"
			fi
			[[ -n $stop ]] && KIB_NO_RETRY=1
		elif ((now - t_any >= KIB_HANG_S)); then
			stop="watchdog: L1 stopped (no console output, no heartbeat for $KIB_HANG_S s)"
		elif ((cur >= 0)); then
			local tmo limit
			tmo=$(entry_timeout "${ents[cur]}")
			limit=$((tmo * 5 + 120))
			if ((tmo > 0 && now - cur_s >= limit)); then
				stop="watchdog: entry still running after $limit s (its in-L1 timeout is ${tmo} s)"
			fi
		fi
		if [[ -n $stop ]]; then
			KIB_STOP_WHY=$stop
			break
		fi
	done
	if kill -0 "$pid" 2>/dev/null; then
		# Give a powering-off L1 a moment, then stop Bochs.
		if [[ $stop == fail ]]; then sleep 5; fi
		kill -TERM "$pid" 2>/dev/null
		sleep 2
		kill -KILL "$pid" 2>/dev/null
		printf '%s %s: Bochs stopped: %s\n' "$(date -u +%H:%M:%S)" "$tag" "$KIB_STOP_WHY" \
			>>"$KIB_LOGDIR/run.log"
	elif [[ -z $stop && $phase == restore ]]; then
		KIB_STOP_WHY="Bochs ended before the restored L1 took the payload (see $(display_path "$blog"))"
		KIB_RESTORE_FAILED=1
	elif [[ -z $stop && $phase != boot ]]; then
		KIB_STOP_WHY="L1 powered off"
	elif [[ -z $stop ]]; then
		KIB_STOP_WHY="Bochs ended before L1 init ran (see $(display_path "$blog"))"
		KIB_NO_RETRY=1
	fi
	if ((cur >= 0)); then
		_kib_finish "${ents[cur]}" "$cpu" "$tag" "$console" "$blog" "$cur" "$cur_t0" "$cur_b0" "" \
			"$KIB_STOP_WHY" "$boot_s" "$kvm_s"
		KIB_NEXT=$((cur + 1))
	elif [[ -z $stop && $KIB_NEXT -lt ${#ents[@]} && $phase != boot && $phase != restore ]]; then
		# L1 powered off without running them (a bug in the plan or init).
		KIB_NO_RETRY=1
		KIB_STOP_WHY="L1 powered off before running them"
	fi
}

# _kib_section CONSOLE WHAT IDX: the console lines between the markers
# "WHAT-begin IDX" and "WHAT-end IDX" (WHAT=serial: "begin IDX" and
# "qemu-stderr-begin IDX"; a missing end marker: to the end).
_kib_section() {
	local b e
	if [[ $2 == serial ]]; then
		b="$KIB_MARK begin $3" e="$KIB_MARK qemu-stderr-begin $3"
	else
		b="$KIB_MARK $2-begin${3:+ $3}" e="$KIB_MARK $2-end${3:+ $3}"
	fi
	awk -v b="$b" -v e="$e" '
		function at(s, m,   k, c) {
			k = index(s, m)
			if (!k) return 0
			c = substr(s, k + length(m), 1)
			return (c == "" || c == " ") ? k : 0
		}
		{ sub(/\r+$/, "") }
		!on { if (at($0, b)) on = 1; next }
		{ k = at($0, e); if (k) { if (k > 1) print substr($0, 1, k - 1); exit } print }
	' "$1"
}

# _kib_entry_log I CPU: the header of logs/<entry>.log (as runner-exec.sh).
_kib_entry_log() {
	local i=$1 cpu=$2 tmo
	tmo=$(entry_timeout "$i")
	{
		printf '# nvmx-tests run_tests.sh: entry %s (%s:%s)\n' "${E_NAME[i]}" "$CFG_SHOWN" "${E_LINE[i]}"
		printf '# date: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
		printf '# backend: %s\n' "$(backend_label "$i")"
		printf '# kernel: %s\n' "$(display_path "$(kernel_path "$i")")"
		printf '# kernel args: %s\n' "$(_kib_args "$i")"
		printf '# timeout: %ss, smp: %s, memory: %s MiB\n' "$tmo" "${E_SMP[i]}" "${E_MEM[i]}"
		printf '# L1: Linux %s (%s), kvm_intel nested=1, in Bochs %s cpu=%s ips=%s memory=%s MiB\n' \
			"${KIB_LINUX_VER:-?}" "${KIB_KERNEL_ORIGIN:-?}" "$BOCHS_BIN" "$cpu" "$KIB_IPS" "$KIB_MEM"
		printf '# command (in L1): timeout -s KILL %s qemu-system-x86_64 -nodefaults -accel kvm ... (see %s)\n' \
			"$tmo" "scripts/kvm-in-bochs/init.sh"
	} >"$LOGDIR/${E_NAME[i]}.log"
}

# _kib_finish I CPU TAG CONSOLE BOCHSLOG P T0 BOCHS_OFF0 END_MARKER STOPPED
# BOOT_S KVM_S: logs/<entry>.log and the result of plan entry P (= entry I).
# END_MARKER empty: L1 stopped during the entry (STOPPED says why).
_kib_finish() {
	local i=$1 cpu=$2 tag=$3 console=$4 blog=$5 p=$6 t0=$7 b0=$8 endm=$9 stopped=${10}
	local boot_s=${11} kvm_s=${12}
	local log=$LOGDIR/${E_NAME[i]}.log serial status="" l1s="" result=ran dur err
	dur=$(elapsed_s "$t0" "$EPOCHREALTIME")
	serial=$(_kib_section "$console" serial "$p")
	if [[ -n $endm ]]; then
		status=$(sed -n 's/.* status=\([0-9]*\).*/\1/p' <<<"$endm")
		l1s=$(sed -n 's/.* l1_seconds=\([0-9.]*\).*/\1/p' <<<"$endm")
		[[ $status == 137 ]] && result=timeout
		# The balancer's cost of this entry next time (one short line: atomic).
		if [[ $result == ran && -n $l1s ]] && mkdir -p "$(kib_snap_root)"; then
			printf '%s %s\n' "${E_NAME[i]}" "$l1s" >>"$(kib_snap_root)/costs.measured"
		fi
	else
		[[ $stopped == watchdog* ]] && result=timeout
	fi
	_kib_entry_log "$i" "$cpu"
	{
		printf '# kvm_intel: %s\n' "${KIB_PARAMS:-(parameters not read)}"
		printf '# L1 boot %s: Linux init after %s s, kvm_intel loaded after %s s (see %s)\n' "$tag" \
			"${boot_s:-?}" "${kvm_s:-?}" "$(display_path "$console")"
		printf '%s\n' "$SERIAL_BEGIN"
		[[ -n $serial ]] && printf '%s\n' "$serial"
		printf '%s\n' "$SERIAL_END"
		if [[ -n $endm ]]; then
			printf '# backend status: %s (%s), %s s (%s s in L1)\n' "$status" "$result" "$dur" "$l1s"
		else
			printf '# backend status: none (%s), %s s: %s\n' "$result" "$dur" "$stopped"
		fi
		printf '==== backend output ====\n'
		printf -- '-- L1 console: %s\n' "$(_kib_markers "$console" | grep -E "^begin $p( |$)")"
		printf -- '-- QEMU stderr in L1:\n'
		_kib_section "$console" qemu-stderr "$p"
		printf -- '-- L1 kernel messages during the entry (dmesg):\n'
		_kib_section "$console" dmesg "$p"
		printf -- '-- L1 console: %s\n' "${endm:-(no end marker: $stopped)}"
		printf -- '-- kvm_intel parameters: %s\n' "${KIB_PARAMS:-(not read)}"
		printf -- '-- Bochs log during the entry (%s):\n' "$(display_path "$blog")"
		# Unknown-MSR reads (DEBUGCTL at every vCPU load) counted, not listed.
		tail -c +"$((b0 + 1))" "$blog" | grep -av 'MSR: Unknown register' | head -n 100
		tail -c +"$((b0 + 1))" "$blog" | grep -a 'MSR: Unknown register' |
			sed 's/^[0-9]*e\[CPU0 *\] //' | sort | uniq -c | sed 's/^ */(lines omitted) /'
		if ! grep -q '^EXIT: STATUS=' <<<"$serial"; then
			err=$(_kib_section "$console" qemu-stderr "$p" | grep -v '^$' | head -n1)
			if [[ -n $endm && $status != 137 ]]; then
				printf 'BACKEND-ERROR: QEMU in L1 exited with status %s%s\n' "$status" "${err:+: $err}"
			elif [[ -z $endm && $stopped != watchdog* ]]; then
				printf 'BACKEND-ERROR: %s\n' "$stopped"
			fi
		fi
	} >>"$log"
	stacks_symbolize "$log" "$(kernel_path "$i" | sed 's/\.flat$/.elf/')"
	_kib_result "$i" "$result" "$dur"
}
