# shellcheck shell=bash
# image.sh: the kvm-in-bochs L1 image, cached under $KIB_CACHE (default
# build/kvm-in-bochs). Sourced by scripts/backend-kvm-in-bochs.sh.
#
#   kib_fetch        Debian's linux-image-<ver>-amd64 (the one linux-image-amd64
#                    depends on, or $KIB_LINUX_PKG) and busybox-static: apt-get
#                    download + dpkg-deb -x of the few files needed; never
#                    installed on the host.
#   kib_base         base.cpio.gz: /init, busybox, kvm modules, the host's QEMU
#                    with the libraries ldd names and 4 firmware files. Rebuilt
#                    when its key (packages, QEMU files, these scripts) changes.
#   kib_iso PLAN KERNEL... OUT_VAR
#                    a GRUB rescue ISO: Linux + base.cpio.gz + a small cpio with
#                    the plan and the kernels (/run/k/<n>/<file>); cached by key.
# Every step appends to $KIB_IMAGE_LOG and says "built" or "reused" there.

KIB_DIR=$NVMX_ROOT/scripts/kvm-in-bochs
: "${KIB_CACHE:=$NVMX_ROOT/build/kvm-in-bochs}"
KIB_QEMU_FIRMWARE=(bios-256k.bin multiboot_dma.bin linuxboot_dma.bin kvmvapic.bin)
# Where Debian's QEMU looks for firmware (its --firmwarepath).
KIB_FIRMWARE_PATH=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)
KIB_ISOS_KEPT=6

kib_log() { printf '%s\n' "$*" >>"$KIB_IMAGE_LOG"; }

# kib_linux_package: the kernel package to fetch.
kib_linux_package() {
	if [[ -n ${KIB_LINUX_PKG:-} ]]; then
		printf '%s\n' "$KIB_LINUX_PKG"
		return
	fi
	# apt-cache takes seconds: the answer is kept until the package lists change.
	local memo=$KIB_CACHE/linux-package key pkg
	key="lists $(stat -c %Y /var/lib/apt/lists 2>/dev/null)"
	if [[ -r $memo && $(head -n1 "$memo") == "$key" ]]; then
		sed -n 2p "$memo"
		return
	fi
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*-amd64\)$/\1/p' | head -n1)
	if [[ -n $pkg ]] && mkdir -p "$KIB_CACHE"; then
		printf '%s\n%s\n' "$key" "$pkg" >"$memo.$$" && mv -f "$memo.$$" "$memo"
	fi
	printf '%s\n' "$pkg"
}

# _kib_download PKG: $KIB_CACHE/debs/PKG_*.deb, downloaded when missing.
# Prints the .deb path; on failure prints apt-get's words on stderr.
_kib_download() {
	local pkg=$1 deb out
	mkdir -p "$KIB_CACHE/debs"
	deb=$(find "$KIB_CACHE/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n1)
	if [[ -n $deb ]]; then
		kib_log "fetch: $pkg: reused $(basename "$deb")"
		printf '%s\n' "$deb"
		return 0
	fi
	kib_log "fetch: apt-get download $pkg"
	if ! out=$(cd "$KIB_CACHE/debs" && apt-get download "$pkg" </dev/null 2>&1); then
		kib_log "$out"
		printf 'cannot download Debian package %s (apt-get download: %s); try apt-get update\n' \
			"$pkg" "$(grep -E '^(E|Err):' <<<"$out" | head -n1)" >&2
		return 1
	fi
	kib_log "$out"
	deb=$(find "$KIB_CACHE/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n1)
	[[ -n $deb ]] || {
		printf 'apt-get download %s left no .deb in %s\n' "$pkg" "$KIB_CACHE/debs" >&2
		return 1
	}
	printf '%s\n' "$deb"
}

# _kib_unpack DEB DIR MEMBER...: the named members of DEB into DIR (once).
_kib_unpack() {
	local deb=$1 dir=$2
	shift 2
	[[ -e $dir/.complete ]] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards "$@"; then
		printf 'cannot unpack %s (dpkg-deb -x)\n' "$deb" >&2
		return 1
	fi
	kib_log "fetch: unpacked $(basename "$deb") into $(display_path "$dir")"
	: >"$dir/.complete"
}

# kib_fetch: sets KIB_LINUX_DIR (boot/vmlinuz-*, the 3 modules), KIB_BUSYBOX,
# KIB_LINUX_VER.
kib_fetch() {
	local pkg deb bdeb
	if [[ -n ${KIB_KERNEL:-} ]]; then
		_kib_own_kernel || return 1
	else
		_kib_fetch_linux || return 1
	fi
	bdeb=$(_kib_download busybox-static) || return 1
	_kib_unpack "$bdeb" "$KIB_CACHE/unpacked/$(basename "$bdeb" .deb)" ./bin/busybox || return 1
	KIB_BUSYBOX=$KIB_CACHE/unpacked/$(basename "$bdeb" .deb)/bin/busybox
}

# _kib_bzimage_version FILE: the "uname -r" a bzImage carries (boot protocol:
# 0x202 "HdrS", the 16-bit pointer at 0x20e + 0x200 to the version string).
# Fails for a file that is not a bzImage.
_kib_bzimage_version() {
	local f=$1 off
	[[ $(dd if="$f" bs=1 skip=$((0x202)) count=4 2>/dev/null) == HdrS ]] || return 1
	off=$(od -An -tu2 -j $((0x20e)) -N2 "$f" | tr -d ' ')
	dd if="$f" bs=1 skip=$((off + 0x200)) count=200 2>/dev/null | tr '\0' '\n' | head -n1 | cut -d' ' -f1
}

# _kib_own_kernel: KIB_KERNEL (a bzImage with KVM built in, e.g. from `make
# kvm-kernel`) instead of Debian's package; no modules. Stand-in for the full
# image-source work of issue 13 (kernel matrix).
_kib_own_kernel() {
	[[ -r $KIB_KERNEL ]] || {
		echo "KIB_KERNEL=$KIB_KERNEL: no such file" >&2
		return 1
	}
	KIB_LINUX_VER=$(_kib_bzimage_version "$KIB_KERNEL") || {
		echo "KIB_KERNEL=$KIB_KERNEL is not a bzImage (no HdrS magic at 0x202)" >&2
		return 1
	}
	KIB_VMLINUZ=$(realpath "$KIB_KERNEL")
	KIB_LINUX_DIR=""
	kib_log "image: kernel $KIB_VMLINUZ (Linux $KIB_LINUX_VER, KVM built in)"
}

# _kib_fetch_linux: Debian's kernel package (vmlinuz and the 3 modules).
_kib_fetch_linux() {
	local pkg deb
	pkg=$(kib_linux_package)
	[[ -n $pkg ]] || {
		echo "cannot tell which kernel linux-image-amd64 depends on (apt-cache depends linux-image-amd64 printed nothing); set KIB_LINUX_PKG or run apt-get update" >&2
		return 1
	}
	deb=$(_kib_download "$pkg") || return 1
	# shellcheck disable=SC2034 # used by backend-kvm-in-bochs.sh
	KIB_LINUX_VER=${pkg#linux-image-}
	KIB_LINUX_DIR=$KIB_CACHE/unpacked/$(basename "$deb" .deb)
	_kib_unpack "$deb" "$KIB_LINUX_DIR" './boot/vmlinuz-*' '*/kvm/kvm.ko' '*/kvm/kvm-intel.ko' \
		'*/virt/lib/irqbypass.ko' || return 1
	KIB_VMLINUZ=$(find "$KIB_LINUX_DIR/boot" -name 'vmlinuz-*' | head -n1)
	[[ -r $KIB_VMLINUZ ]] || {
		echo "no boot/vmlinuz-* in $deb" >&2
		return 1
	}
}

# _kib_firmware NAME: the path of a QEMU firmware file.
_kib_firmware() {
	local d
	for d in "${KIB_FIRMWARE_PATH[@]}"; do
		[[ -r $d/$1 ]] && {
			readlink -f "$d/$1"
			return 0
		}
	done
	return 1
}

# _kib_qemu_files: QEMU's binary and the libraries ldd names (+ the loader),
# one absolute path a line.
_kib_qemu_files() {
	local q
	q=$(command -v "$(qemu_binary)") || return 1
	printf '%s\n' "$q"
	ldd "$q" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

# _kib_base_key: what base.cpio.gz depends on.
_kib_base_key() {
	local f
	{
		printf 'base-v1 linux=%s busybox=%s\n' "$(basename "$KIB_LINUX_DIR")" "$KIB_BUSYBOX"
		while read -r f; do
			printf '%s %s\n' "$f" "$(stat -L -c %s:%Y "$f")"
		done < <(_kib_qemu_files)
		for f in "${KIB_QEMU_FIRMWARE[@]}"; do
			printf '%s %s\n' "$f" "$(stat -L -c %s:%Y "$(_kib_firmware "$f")")"
		done
		cat "$KIB_DIR/init.sh" "$KIB_DIR/image.sh"
	} | sha256sum | cut -c1-16
}

# _kib_cpio DIR OUT: a gzip'ed newc archive of DIR (busybox cpio: no cpio here).
_kib_cpio() {
	local dir=$1 out=$2
	(cd "$dir" && find . | LC_ALL=C sort | "$KIB_BUSYBOX" cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$out.tmp" && mv -f "$out.tmp" "$out"
}

# kib_base: sets KIB_BASE (the cached base initramfs) and KIB_BASE_KEY.
kib_base() {
	local key root f fw start=$SECONDS
	key=$(_kib_base_key) || return 1
	KIB_BASE=$KIB_CACHE/base.cpio.gz
	KIB_BASE_KEY=$key
	if [[ -r $KIB_BASE && $(cat "$KIB_CACHE/base.key" 2>/dev/null) == "$key" ]]; then
		kib_log "image: base initramfs reused ($(display_path "$KIB_BASE"), key $key)"
		return 0
	fi
	kib_log "image: building base initramfs (key $key; was $(cat "$KIB_CACHE/base.key" 2>/dev/null || echo none))"
	root=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-kib-root.XXXXXX") || return 1
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,lib/kvm,qemu/fw}
	cp "$KIB_BUSYBOX" "$root/bin/busybox"
	cp "$KIB_DIR/init.sh" "$root/init"
	chmod 755 "$root/init"
	for f in irqbypass kvm kvm-intel; do
		[[ -n $KIB_LINUX_DIR ]] || break
		cp "$(find "$KIB_LINUX_DIR" -name "$f.ko" | head -n1)" "$root/lib/kvm/$f.ko" || {
			rm -rf "$root"
			echo "no $f.ko in $KIB_LINUX_DIR" >&2
			return 1
		}
	done
	while read -r f; do
		if [[ $f == "$(command -v "$(qemu_binary)")" ]]; then
			cp -L "$f" "$root/qemu/qemu-system-x86_64"
		else
			mkdir -p "$root$(dirname "$f")"
			cp -L "$f" "$root$f"
		fi
	done < <(_kib_qemu_files)
	for f in "${KIB_QEMU_FIRMWARE[@]}"; do
		fw=$(_kib_firmware "$f") || {
			rm -rf "$root"
			echo "QEMU firmware $f not found in ${KIB_FIRMWARE_PATH[*]} (Debian: qemu-system-data, seabios)" >&2
			return 1
		}
		cp "$fw" "$root/qemu/fw/$f"
	done
	_kib_cpio "$root" "$KIB_BASE" || {
		rm -rf "$root"
		echo "cannot build $KIB_BASE" >&2
		return 1
	}
	rm -rf "$root"
	printf '%s\n' "$key" >"$KIB_CACHE/base.key"
	kib_log "image: base initramfs built in $((SECONDS - start)) s ($(du -h "$KIB_BASE" | cut -f1))"
}

# kib_iso PLAN_FILE KERNEL...: sets KIB_ISO to a cached GRUB rescue ISO with
# Linux, base.cpio.gz and a cpio of /run/plan + /run/k/<n>/<file> (KERNEL n).
# The kernel command line takes "kib_from=N" from $KIB_FROM (default 0).
kib_iso() {
	local plan=$1
	shift
	local key dir k n=0 start=$SECONDS cmdline
	cmdline="console=ttyS0,115200 nokaslr mitigations=off panic=-1 tsc_early_khz=$((KIB_IPS / 1000)) kvm.force_emulation_prefix=1 kvm_intel.nested=1 kib_from=${KIB_FROM:-0}"
	key=$({
		printf '%s\n%s\n%s\n' "$KIB_BASE_KEY" "$(sha256sum <"$KIB_VMLINUZ")" "$cmdline"
		cat "$plan"
		for k in "$@"; do sha256sum <"$k"; done
	} | sha256sum | cut -c1-16)
	mkdir -p "$KIB_CACHE/iso"
	KIB_ISO=$KIB_CACHE/iso/$key.iso
	if [[ -r $KIB_ISO ]]; then
		touch "$KIB_ISO"
		kib_log "image: ISO reused ($(display_path "$KIB_ISO"))"
		return 0
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-kib-iso.XXXXXX") || return 1
	mkdir -p "$dir/run/run/k" "$dir/iso/boot/grub"
	cp "$plan" "$dir/run/run/plan"
	for k in "$@"; do
		mkdir -p "$dir/run/run/k/$n"
		cp "$k" "$dir/run/run/k/$n/"
		n=$((n + 1))
	done
	_kib_cpio "$dir/run" "$dir/iso/boot/run.cpio.gz" || {
		rm -rf "$dir"
		return 1
	}
	cp "$KIB_VMLINUZ" "$dir/iso/boot/vmlinuz"
	cp "$KIB_BASE" "$dir/iso/boot/base.cpio.gz"
	printf 'set timeout=0\nlinux /boot/vmlinuz %s\ninitrd /boot/base.cpio.gz /boot/run.cpio.gz\nboot\n' \
		"$cmdline" >"$dir/iso/boot/grub/grub.cfg"
	if ! grub-mkrescue -d "$BOCHS_GRUB_DIR" -o "$KIB_ISO.tmp" \
		--install-modules="linux normal configfile biosdisk iso9660" \
		--fonts= --locales= --themes= "$dir/iso" >"$dir/mkrescue.log" 2>&1; then
		kib_log "$(cat "$dir/mkrescue.log")"
		rm -rf "$dir"
		echo "grub-mkrescue failed (see $(display_path "$KIB_IMAGE_LOG"))" >&2
		return 1
	fi
	mv -f "$KIB_ISO.tmp" "$KIB_ISO"
	rm -rf "$dir"
	# Keep the newest few ISOs (one per recent selection).
	find "$KIB_CACHE/iso" -name '*.iso' -printf '%T@ %p\n' | sort -rn |
		tail -n +$((KIB_ISOS_KEPT + 1)) | cut -d' ' -f2- | xargs -r rm -f
	kib_log "image: ISO built in $((SECONDS - start)) s ($(display_path "$KIB_ISO"), $(du -h "$KIB_ISO" | cut -f1); cmdline: $cmdline)"
}
