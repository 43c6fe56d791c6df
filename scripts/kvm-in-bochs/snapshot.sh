# shellcheck shell=bash
# snapshot.sh: Bochs save/restore of an L1 at `ready` (docs/kvm-in-bochs-
# interface.md, section 2). Sourced by scripts/backend-kvm-in-bochs.sh.
#
#   kib_snap_key DIR CPU    the snapshot key of the instance whose bochsrc is
#                           DIR/bochsrc (KIB_IMAGE_KEY + Bochs binary + CPU +
#                           memory + ips + the bochsrc with DIR abstracted)
#   kib_snap_usable         0 when this Bochs can save (rfb header bar)
#   kib_snap_instance KEY DIR
#                           DIR/snap: the snapshot KEY for a restore in DIR
#                           (config paths moved to DIR, the rest linked)
#   kib_snap_claim KEY      the right to save KEY (one saver per key)
#   kib_snap_save PID FD DIR KEY
#                           makes the Bochs PID (stdin: the fifo open as FD,
#                           running in DIR) save its state as snapshot KEY
#   kib_snap_drop KEY WHY   deletes snapshot KEY, saying why in run.log
#
# Bochs 2.7 can only save from its GUI: the header bar's save/restore button
# (gui/gui.cc save_restore_handler), which the rfb display library lets a VNC
# client press (gui/rfb.cc rfbMouseMove -> headerbar_click). Bochs then asks
# for the folder and whether to continue through textconfig on its stdin
# (display option no_gui_console). `bochs -r DIR` restores: it reads DIR/config
# as its configuration, then every device's state and memory.ram.
#
# Knobs: KIB_SNAPSHOT (1: use and make snapshots, 0: always boot cold),
# KIB_SNAP_DIR (where snapshots are cached, $KIB_CACHE/snap), KIB_SNAPS_KEPT (snapshots kept, newest first; 8: make check-kvm alone uses one per CPU model, 5), KIB_SAVE_S (longest wait
# for a save, 600 s), KIB_VNCCLICK (the clicker, build/host/nvmx-vncclick).

: "${KIB_SNAPSHOT:=1}"
: "${KIB_SNAPS_KEPT:=8}"
: "${KIB_SAVE_S:=600}"
: "${KIB_VNCCLICK:=${NVMX_HOST_BIN:-$NVMX_ROOT/build/host}/nvmx-vncclick}"
# The save button: the second from the right (power 0..31, save 32..63).
KIB_SAVE_BUTTON_X=48

kib_snap_root() { printf '%s\n' "${KIB_SNAP_DIR:-$KIB_CACHE/snap}"; }

# kib_snap_key DIR CPU: prints the snapshot key.
kib_snap_key() {
	local dir=$1 cpu=$2
	{
		printf 'snap-v1 cpu=%s mem=%s ips=%s\n' "$cpu" "$KIB_MEM" "$KIB_IPS"
		printf 'image %s\n' "$KIB_IMAGE_KEY"
		printf 'iso %s\n' "$(basename "$KIB_ISO")"
		printf 'bochs %s version=%s\n' "$BOCHS_P_KEY" "$BOCHS_VERSION"
		sed "s|$dir/|DIR/|g" "$dir/bochsrc"
	} | sha256sum | cut -c1-16
}

# kib_snap_usable: the Bochs build shows the header bar over VNC and the
# clicker is built.
kib_snap_usable() {
	((KIB_SNAPSHOT)) && [[ $BOCHS_DISPLAY == rfb && -x $KIB_VNCCLICK ]]
}

# kib_snap_exists KEY: a complete snapshot KEY is cached.
kib_snap_exists() {
	[[ -e $(kib_snap_root)/$1/.nvmx-complete ]]
}

# kib_snap_instance KEY DIR: DIR/snap holds links to snapshot KEY's files and
# its config with the saving instance's directory replaced by DIR. 1 when the
# snapshot lacks a file a restore needs.
kib_snap_instance() {
	local snap dir=$2 f old
	snap=$(kib_snap_root)/$1
	for f in config cpu0 memory memory.ram .nvmx-dir; do
		[[ -r $snap/$f ]] || return 1
	done
	old=$(cat "$snap/.nvmx-dir")
	rm -rf "$dir/snap"
	mkdir -p "$dir/snap"
	for f in "$snap"/*; do
		[[ $(basename "$f") == config ]] && continue
		ln -s "$f" "$dir/snap/"
	done
	sed "s|$old/|$dir/|g" "$snap/config" >"$dir/snap/config"
	touch "$snap/.nvmx-complete"
}

# kib_snap_claim KEY: 0 when this run may save snapshot KEY (no other live run
# is saving it). The claim is the directory KEY.tmp with the owner's pid; a
# dead owner's claim is taken over.
kib_snap_claim() {
	local tmp owner
	tmp=$(kib_snap_root)/$1.tmp
	mkdir -p "$(kib_snap_root)"
	if ! mkdir "$tmp" 2>/dev/null; then
		owner=$(cat "$tmp/.nvmx-owner" 2>/dev/null)
		[[ -n $owner ]] && kill -0 "$owner" 2>/dev/null && return 1
		rm -rf "$tmp"
		mkdir "$tmp" 2>/dev/null || return 1
	fi
	printf '%s\n' "$BASHPID" >"$tmp/.nvmx-owner"
}

# _kib_snap_netns PID CMD...: runs CMD in the network namespace of PID (where
# Bochs' VNC port is).
_kib_snap_netns() {
	local pid=$1
	shift
	if ((EUID == 0)); then
		nsenter -t "$pid" -n "$@"
	else
		nsenter -t "$pid" -U -n --preserve-credentials "$@"
	fi
}

# kib_snap_save PID FD DIR KEY HB: clicks the save button of the Bochs PID,
# answers its two questions on FD (the folder, then "continue: yes"), waits
# until L1 runs again (its heartbeat file HB grows), then checks and
# publishes the snapshot. Prints what happened; 1 when no snapshot was made.
# Extra facts for restored instances: KIB_PARAMS, $DIR/ready.
kib_snap_save() {
	local pid=$1 fd=$2 dir=$3 key=$4 hb=$5 root tmp out h0=-1 t0=$SECONDS
	root=$(kib_snap_root)
	tmp=$root/$key.tmp
	if ! out=$(_kib_snap_netns "$pid" "$KIB_VNCCLICK" --lo-up --from-right "$KIB_SAVE_BUTTON_X" 2>&1); then
		printf 'the save button could not be clicked: %s\n' "$(tr '\n' ' ' <<<"$out")"
		rm -rf "$tmp"
		return 1
	fi
	# Bochs reads both answers with fgets: the folder, then "continue?".
	printf '%s\nyes\n' "$tmp" >&"$fd"
	# The simulation stands still while Bochs saves (config first): once
	# the config is there, L1's heartbeat grows again only after the save.
	local why=""
	while :; do
		if [[ -e $tmp/config ]]; then
			if ((h0 < 0)); then
				h0=$(stat -c %s "$hb")
			elif (($(stat -c %s "$hb") != h0)); then
				break
			fi
		elif ((SECONDS - t0 > 60)); then
			why="Bochs did not start saving within 60 s of the click"
		fi
		kill -0 "$pid" 2>/dev/null || why="Bochs ended during the save"
		((SECONDS - t0 > KIB_SAVE_S)) && why="Bochs did not resume within $KIB_SAVE_S s of the click"
		if [[ -n $why ]]; then
			printf '%s (%s)\n' "$why" "$out"
			rm -rf "$tmp"
			return 1
		fi
		sleep 0.5
	done
	local f
	for f in config cpu0 memory memory.ram; do
		if [[ ! -s $tmp/$f ]]; then
			printf 'the saved state lacks %s (%s)\n' "$f" "$out"
			rm -rf "$tmp"
			return 1
		fi
	done
	printf '%s\n' "$dir" >"$tmp/.nvmx-dir"
	printf '%s\n' "$KIB_PARAMS" >"$tmp/.nvmx-params"
	cp "$dir/ready" "$tmp/.nvmx-ready" 2>/dev/null
	rm -f "$tmp/.nvmx-owner"
	: >"$tmp/.nvmx-complete"
	rm -rf "${root:?}/$key"
	mv "$tmp" "$root/$key"
	_kib_snap_prune
	printf 'saved in %s s (%s)\n' "$((SECONDS - t0))" "$(du -sh "$root/$key" | cut -f1)"
}

# _kib_snap_prune: keeps the KIB_SNAPS_KEPT most recently used snapshots and
# removes the unfinished saves of runs that are gone.
_kib_snap_prune() {
	local d owner
	find "$(kib_snap_root)" -mindepth 2 -maxdepth 2 -name .nvmx-complete -printf '%T@ %h\n' |
		sort -rn | tail -n +$((KIB_SNAPS_KEPT + 1)) | cut -d' ' -f2- |
		while read -r d; do rm -rf "$d"; done
	for d in "$(kib_snap_root)"/*.tmp; do
		[[ -d $d ]] || continue
		owner=$(cat "$d/.nvmx-owner" 2>/dev/null)
		[[ -n $owner ]] && kill -0 "$owner" 2>/dev/null && continue
		rm -rf "$d"
	done
}

# kib_snap_drop KEY WHY: deletes snapshot KEY (it did not restore).
kib_snap_drop() {
	rm -rf "$(kib_snap_root)/${1:?}"
	printf '%s snapshot %s deleted: %s\n' "$(date -u +%H:%M:%S)" "$1" "$2" >>"$KIB_LOGDIR/run.log"
}
