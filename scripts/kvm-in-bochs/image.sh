# shellcheck shell=bash
# image.sh: the kvm-in-bochs L1 image (docs/kvm-in-bochs-interface.md,
# section 1), cached under $KIB_CACHE (default build/kvm-in-bochs). Sourced by
# scripts/backend-kvm-in-bochs.sh.
#
#   kib_image        what L1 is made of: the kernel (KIB_KERNEL=bzImage, else
#                    the Debian package KIB_LINUX_PKG / the one
#                    linux-image-amd64 depends on), KVM (KIB_MODULES=DIR, else
#                    the package's modules, else built in), busybox-static;
#                    the version read from the bzImage. Packages: apt-get
#                    download + dpkg-deb -x of the few files needed, never
#                    installed on the host.
#   kib_base         base/<key>.cpio (uncompressed): /init, busybox, kvm
#                    modules, the ATA CD-ROM modules (the payload channel),
#                    the host's QEMU with the libraries ldd names and 4
#                    firmware files; key over their contents and these
#                    scripts.
#   kib_iso          a GRUB rescue ISO: Linux + base.cpio, one per image
#                    (no plan, no kernels: those come as the payload).
#   kib_payload OUT FLAGS PLAN KERNEL...
#                    the run's payload: a fixed-size raw "CD" with a header
#                    sector and a gzip'ed cpio of /run/plan, /run/flags and
#                    the kernels (/run/k/<n>/<file>); L1 reads it after
#                    `ready` (docs/kvm-in-bochs-interface.md, step 4).
# Every step appends to $KIB_IMAGE_LOG and says "built" or "reused" there.

KIB_DIR=$NVMX_ROOT/scripts/kvm-in-bochs
: "${KIB_CACHE:=$NVMX_ROOT/build/kvm-in-bochs}"
: "${KIB_IPS:=100000000}"
KIB_QEMU_FIRMWARE=(bios-256k.bin multiboot_dma.bin linuxboot_dma.bin kvmvapic.bin)
# Where Debian's QEMU looks for firmware (its --firmwarepath).
KIB_FIRMWARE_PATH=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)
KIB_ISOS_KEPT=6
# The payload CD's size, fixed: L1's sr driver reads the capacity once (at
# module load, before a snapshot), so every run's payload has the same size.
KIB_PAYLOAD_MIB=64
KIB_PAYLOAD_MAGIC=NVMXKIB-PAYLOAD-1
# Modules of the payload channel (ATA CD-ROM), in load order; a kernel that
# has them built in needs none (init.sh loads what is there).
KIB_ATA_MODULES=(scsi_common scsi_mod libata ata_piix cdrom sr_mod)

kib_log() { printf '%s\n' "$*" >>"$KIB_IMAGE_LOG"; }

# kib_linux_package: the kernel package to fetch. KIB_LINUX_PKG is a package
# name (linux-image-6.12.118+deb12-amd64), a meta-package (linux-image-amd64,
# linux-image-6.12-amd64: the kernel it depends on) or a glob
# ('linux-image-6.12*': the newest matching kernel package, generic flavour
# unless the glob only matches cloud/rt ones; -dbg and -unsigned excluded).
# Default: what linux-image-amd64 depends on. Prints nothing and the reason
# on stderr when apt knows no such package.
kib_linux_package() {
	local req=${KIB_LINUX_PKG:-linux-image-amd64}
	# apt-cache takes seconds: the answer is kept until the package lists change.
	local memo=$KIB_CACHE/linux-package key pkg
	key="lists $(stat -c %Y /var/lib/apt/lists 2>/dev/null) $req"
	if [[ -r $memo && $(head -n1 "$memo") == "$key" ]]; then
		sed -n 2p "$memo"
		return
	fi
	pkg=$(_kib_resolve_package "$req") || return 0
	if [[ -n $pkg ]] && mkdir -p "$KIB_CACHE"; then
		printf '%s\n%s\n' "$key" "$pkg" >"$memo.$$" && mv -f "$memo.$$" "$memo"
	fi
	printf '%s\n' "$pkg"
}

# _kib_resolve_package REQ: REQ (name, meta-package or glob, see
# kib_linux_package) as the name of a kernel package apt can download.
_kib_resolve_package() {
	local req=$1 pkg dep
	if [[ $req == *[*?[]* ]]; then
		pkg=$(_kib_glob_package "$req")
		[[ -n $pkg ]] || {
			printf "KIB_LINUX_PKG='%s' matches no kernel package apt knows (see apt-cache search --names-only '^linux-image-'; run apt-get update?)\n" "$req" >&2
			return 1
		}
		printf '%s\n' "$pkg"
		return 0
	fi
	pkg=$req
	for _ in 1 2 3; do
		if ! apt-cache show "$pkg" >/dev/null 2>&1; then
			printf "unknown Debian package '%s'%s (apt-cache show knows no such package; see apt-cache search --names-only '^linux-image-'; run apt-get update?)\n" \
				"$pkg" "$([[ $pkg != "$req" ]] && printf ' (the kernel %s depends on)' "$req")" >&2
			return 1
		fi
		# A meta-package (linux-image-amd64, linux-image-6.12-amd64) depends on
		# the kernel package; a kernel package depends on no linux-image-*.
		dep=$(apt-cache depends "$pkg" 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[^ <>]*\)$/\1/p' | grep -v -- '-dbg$' | head -n1)
		[[ -n $dep ]] || break
		pkg=$dep
	done
	printf '%s\n' "$pkg"
}

# _kib_glob_package GLOB: the newest kernel package whose name matches GLOB.
_kib_glob_package() {
	local glob=$1 name
	local -a names=() generic=()
	while read -r name; do
		# shellcheck disable=SC2053 # GLOB is a pattern
		[[ $name == $glob ]] || continue
		[[ $name =~ ^linux-image-[0-9]+\.[0-9]+[.-][0-9] ]] || continue
		[[ $name == *-dbg || $name == *-unsigned || $name == *-template ]] && continue
		names+=("$name")
		[[ $name == *-cloud-amd64 || $name == *-rt-amd64 ]] || generic+=("$name")
	done < <(apt-cache pkgnames linux-image- 2>/dev/null)
	((${#generic[@]})) && names=("${generic[@]}")
	((${#names[@]})) || return 0
	printf '%s\n' "${names[@]}" | sort -V | tail -n1
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

# _kib_unpack DEB DIR MEMBER...: the named members of DEB into DIR (once per
# member list).
_kib_unpack() {
	local deb=$1 dir=$2
	shift 2
	[[ -e $dir/.complete && $(cat "$dir/.complete") == "$*" ]] && return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards "$@"; then
		printf 'cannot unpack %s (dpkg-deb -x)\n' "$deb" >&2
		return 1
	fi
	kib_log "fetch: unpacked $(basename "$deb") into $(display_path "$dir")"
	printf '%s\n' "$*" >"$dir/.complete"
}

# kib_fetch: the image's Debian parts: busybox-static, and unless KIB_KERNEL
# is set the kernel package. Sets KIB_BUSYBOX and, for the package,
# KIB_VMLINUZ, KIB_KERNEL_ORIGIN and KIB_MODULE_FILES (its kvm modules).
kib_fetch() {
	local bdeb
	bdeb=$(_kib_download busybox-static) || return 1
	_kib_unpack "$bdeb" "$KIB_CACHE/unpacked/$(basename "$bdeb" .deb)" ./bin/busybox || return 1
	KIB_BUSYBOX=$KIB_CACHE/unpacked/$(basename "$bdeb" .deb)/bin/busybox
	[[ -n ${KIB_KERNEL:-} ]] || _kib_fetch_linux
}

# _kib_fetch_linux: the kernel package (kib_linux_package), unpacked once
# into $KIB_CACHE/unpacked/<deb>: boot/vmlinuz-* and the kvm modules
# (compressed ones, .ko.xz of Debian's 6.12, are decompressed in L1's image).
_kib_fetch_linux() {
	local pkg deb dir d
	pkg=$(kib_linux_package)
	[[ -n $pkg ]] || {
		[[ -n ${KIB_LINUX_PKG:-} ]] && return 1 # kib_linux_package said why
		echo "cannot tell which kernel linux-image-amd64 depends on (apt-cache depends linux-image-amd64 printed nothing); set KIB_LINUX_PKG or run apt-get update" >&2
		return 1
	}
	deb=$(_kib_download "$pkg") || return 1
	dir=$KIB_CACHE/unpacked/$(basename "$deb" .deb)
	local -a ata=()
	local m
	for m in "${KIB_ATA_MODULES[@]}"; do ata+=("*/$m.ko*"); done
	_kib_unpack "$deb" "$dir" './boot/vmlinuz-*' '*/kvm/kvm.ko*' '*/kvm/kvm-intel.ko*' \
		'*/virt/lib/irqbypass.ko*' "${ata[@]}" || return 1
	KIB_ATA_DIR=$dir/lib/modules
	KIB_VMLINUZ=$(find "$dir/boot" -name 'vmlinuz-*' | head -n1)
	[[ -r $KIB_VMLINUZ ]] || {
		echo "no boot/vmlinuz-* in $deb" >&2
		return 1
	}
	# linux-image-6.1.0-57-amd64_6.1.192-3_amd64.deb: Debian version 6.1.192-3.
	d=$(basename "$deb" .deb)
	d=${d#"${pkg}"_}
	KIB_KERNEL_ORIGIN="Debian $pkg ${d%_*}"
	[[ -n ${KIB_MODULES:-} ]] && return 0
	KIB_MODULES_DIR=$dir/lib/modules
	_kib_module_files "$KIB_MODULES_DIR" || return 1
}

# _kib_module_files DIR [DEPTH]: KIB_MODULE_FILES = irqbypass (optional), kvm
# and kvm-intel under DIR (at most DEPTH levels down), each NAME.ko or
# NAME.ko.xz/.zst/.gz.
_kib_module_files() {
	local dir=$1 depth=${2:-20} m f
	KIB_MODULE_FILES=()
	for m in irqbypass kvm kvm-intel; do
		f=$(find "$dir" -maxdepth "$depth" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" \) \
			-print 2>/dev/null | sort | head -n1)
		if [[ -z $f ]]; then
			[[ $m == irqbypass ]] && continue
			printf '%s has no %s.ko (nor %s.ko.xz, .zst, .gz)\n' "$dir" "$m" "$m" >&2
			return 1
		fi
		KIB_MODULE_FILES+=("$f")
	done
}

# _kib_ata_files: the payload channel's modules of the kernel package
# (KIB_ATA_MODULES, in load order, each NAME.ko or NAME.ko.xz/.zst/.gz), one
# path a line; none for KIB_KERNEL (its CD-ROM drivers must be built in:
# ATA_PIIX, BLK_DEV_SR).
_kib_ata_files() {
	local m
	[[ -z ${KIB_KERNEL:-} && -n ${KIB_ATA_DIR:-} ]] || return 0
	for m in "${KIB_ATA_MODULES[@]}"; do
		find "$KIB_ATA_DIR" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" \) \
			-print 2>/dev/null | sort | head -n1
	done
}

# _kib_user_kernel: KIB_KERNEL (if set) checked, a readable bzImage, into
# KIB_VMLINUZ and KIB_KERNEL_ORIGIN.
_kib_user_kernel() {
	local why
	[[ -n ${KIB_KERNEL:-} ]] || return 0
	[[ -f $KIB_KERNEL && -r $KIB_KERNEL ]] || {
		printf 'KIB_KERNEL=%s: no such file (a bzImage, e.g. arch/x86/boot/bzImage of a kernel build)\n' "$KIB_KERNEL" >&2
		return 1
	}
	why=$(kib_bzimage_version "$KIB_KERNEL") || {
		printf 'KIB_KERNEL=%s is %s\n' "$KIB_KERNEL" "$why" >&2
		return 1
	}
	KIB_VMLINUZ=$(realpath "$KIB_KERNEL")
	KIB_KERNEL_ORIGIN="bzImage $(display_path "$KIB_VMLINUZ")"
}

# _kib_user_modules: KIB_MODULES (if set) checked, a directory with kvm.ko and
# kvm-intel.ko (irqbypass.ko optional; .ko.xz/.zst/.gz too), into
# KIB_MODULES_DIR and KIB_MODULE_FILES.
_kib_user_modules() {
	local m
	[[ -n ${KIB_MODULES:-} ]] || return 0
	[[ -d $KIB_MODULES ]] || {
		printf 'KIB_MODULES=%s: no such directory (it must hold kvm.ko and kvm-intel.ko)\n' "$KIB_MODULES" >&2
		return 1
	}
	KIB_MODULES_DIR=$(realpath "$KIB_MODULES")
	for m in kvm kvm-intel; do
		[[ -n $(find "$KIB_MODULES_DIR" -maxdepth 1 -name "$m.ko*" -print -quit) ]] || {
			printf 'KIB_MODULES=%s has no %s.ko (it must hold kvm.ko and kvm-intel.ko; irqbypass.ko is optional)\n' \
				"$KIB_MODULES" "$m" >&2
			return 1
		}
	done
	_kib_module_files "$KIB_MODULES_DIR" 1
}

# kib_bzimage_version FILE: the kernel version string of a bzImage (setup
# header: "HdrS" at 0x202, the string at 0x200 + the word at 0x20E). When FILE
# is not one, prints what it is instead (for "FILE is ...") and returns 1.
kib_bzimage_version() {
	local f=$1 magic proto off v
	magic=$(od -An -c -j 514 -N 4 "$f" 2>/dev/null | tr -d ' ')
	[[ $magic == HdrS ]] || {
		echo "not a bzImage (no 'HdrS' setup-header magic at offset 0x202)"
		return 1
	}
	proto=$(od -An -tu2 -j 518 -N 2 "$f" | tr -d ' ')
	off=$(od -An -tu2 -j 526 -N 2 "$f" | tr -d ' ')
	((proto >= 0x200 && off > 0)) || {
		echo "a bzImage without a kernel version string (setup header 0x20E is 0)"
		return 1
	}
	v=$(tail -c +"$((off + 512 + 1))" "$f" | head -c 256 | tr '\0' '\n' | head -n1 | LC_ALL=C tr -cd '[:print:]')
	[[ $v =~ ^[0-9]+\.[0-9]+ ]] || {
		echo "a bzImage whose version string is not a Linux version ('${v:0:40}')"
		return 1
	}
	printf '%s\n' "$v"
}

# kib_kvm_version VERSION_STRING: MAJOR.MINOR.PATCH of the Linux release
# (Debian's "6.1.0-57-amd64 ... Debian 6.1.192-3": 6.1.192, its uname -r says
# 6.1.0), from the "Debian X.Y.Z" part if any, else from uname -r.
kib_kvm_version() {
	if [[ $1 =~ \ Debian\ ([0-9]+\.[0-9]+\.[0-9]+) ]]; then
		printf '%s\n' "${BASH_REMATCH[1]}"
	elif [[ $1 =~ ^([0-9]+)\.([0-9]+)(\.([0-9]+))? ]]; then
		printf '%s.%s.%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[4]:-0}"
	fi
}

# kib_image: what L1 is made of (docs/kvm-in-bochs-interface.md, section 1):
# sets KIB_VMLINUZ, KIB_LINUX_VER, KIB_KVM_VER, KIB_KERNEL_ORIGIN,
# KIB_MODULES_DIR (empty: KVM built in), KIB_MODULE_FILES, KIB_BUSYBOX,
# KIB_CMDLINE. Bad input: one message on stderr, status 1.
kib_image() {
	local v
	KIB_MODULES_DIR="" KIB_MODULE_FILES=() KIB_KERNEL_ORIGIN=""
	_kib_user_kernel && _kib_user_modules && kib_fetch || return 1
	[[ -n ${KIB_MODULES:-} ]] && KIB_KERNEL_ORIGIN+=", modules $(display_path "$KIB_MODULES_DIR")"
	v=$(kib_bzimage_version "$KIB_VMLINUZ") || {
		printf '%s is %s\n' "$KIB_VMLINUZ" "$v" >&2
		return 1
	}
	KIB_LINUX_VER=${v%% *}
	KIB_KVM_VER=$(kib_kvm_version "$v")
	KIB_CMDLINE="console=ttyS0,115200 nokaslr mitigations=off panic=-1 tsc_early_khz=$((KIB_IPS / 1000)) kvm.force_emulation_prefix=1 kvm_intel.nested=1"
	# KIB_CMDLINE_EXTRA: more L1 kernel parameters (kvm_intel.nested_early_check=1,
	# printk.time=1 initcall_debug, ...); they are part of the image key.
	if [[ -n ${KIB_CMDLINE_EXTRA:-} ]]; then
		if ! [[ $KIB_CMDLINE_EXTRA =~ ^[A-Za-z0-9_.,=:/+\ -]+$ ]]; then
			printf 'KIB_CMDLINE_EXTRA: only letters, digits, spaces and _.,=:/+- (kernel parameters), not %q\n' \
				"$KIB_CMDLINE_EXTRA" >&2
			return 1
		fi
		KIB_CMDLINE+=" $KIB_CMDLINE_EXTRA"
	fi
	kib_log "image: kernel command line: $KIB_CMDLINE"
	kib_log "image: Linux $KIB_LINUX_VER (KVM $KIB_KVM_VER; $KIB_KERNEL_ORIGIN), kvm modules: ${KIB_MODULE_FILES[*]:-none (built in)}"
	kib_log "image: version string: $v"
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

# _kib_base_key: what base.cpio depends on: the contents of the modules
# and busybox, the QEMU files (size:mtime), these scripts.
_kib_base_key() {
	local f
	{
		printf 'base-v2\n'
		for f in "${KIB_MODULE_FILES[@]}" "$KIB_BUSYBOX" $(_kib_ata_files); do
			printf '%s %s\n' "$(basename "$f")" "$(sha256sum <"$f" | cut -c1-64)"
		done
		while read -r f; do
			printf '%s %s\n' "$f" "$(stat -L -c %s:%Y "$f")"
		done < <(_kib_qemu_files)
		for f in "${KIB_QEMU_FIRMWARE[@]}"; do
			printf '%s %s\n' "$f" "$(stat -L -c %s:%Y "$(_kib_firmware "$f")")"
		done
		cat "$KIB_DIR/init.sh" "$KIB_DIR/image.sh"
	} | sha256sum | cut -c1-16
}

# _kib_module_copy FILE OUT: a kernel module as plain .ko (Debian 6.12 ships
# .ko.xz; busybox insmod takes plain ones).
_kib_module_copy() {
	case $1 in
		*.ko) cp "$1" "$2" ;;
		*.ko.xz) xz -dc "$1" >"$2" ;;
		*.ko.zst) zstd -qdc "$1" >"$2" ;;
		*.ko.gz) gzip -dc "$1" >"$2" ;;
		*) false ;;
	esac || {
		printf 'cannot decompress the module %s (xz, zstd and gzip are needed for .ko.xz/.zst/.gz)\n' "$1" >&2
		return 1
	}
}

# _kib_cpio DIR OUT [FILTER]: a newc archive of DIR (busybox cpio: no cpio
# here) through FILTER (default gzip -1; cat: uncompressed).
_kib_cpio() {
	local dir=$1 out=$2 filter=${3:-gzip -1}
	# A name of its own: two runs sharing the cache may build the same key.
	local tmp=$out.tmp.$BASHPID
	# shellcheck disable=SC2086 # FILTER is a command and its options
	if (cd "$dir" && find . | LC_ALL=C sort | "$KIB_BUSYBOX" cpio -o -H newc 2>/dev/null) |
		$filter >"$tmp"; then
		mv -f "$tmp" "$out"
	else
		rm -f "$tmp"
		return 1
	fi
}

# _kib_prune DIR GLOB: deletes the files GLOB of DIR beyond the newest
# $KIB_ISOS_KEPT, but none used (touched) in the last hour: another run that
# shares the cache may be about to boot it.
_kib_prune() {
	find "$1" -maxdepth 1 -name "$2" -printf '%T@ %p\n' | sort -rn |
		tail -n +$((KIB_ISOS_KEPT + 1)) | cut -d' ' -f2- |
		xargs -r -I{} find {} -maxdepth 0 -mmin +60 -delete
}

# kib_base: sets KIB_BASE (the cached base initramfs, one per key: images of
# other kernels stay cached), KIB_BASE_KEY and KIB_IMAGE_KEY.
kib_base() {
	local key root f fw start=$SECONDS
	key=$(_kib_base_key) || return 1
	KIB_BASE=$KIB_CACHE/base/$key.cpio
	KIB_IMAGE_KEY=$({
		printf '%s\n%s\n' "$key" "$KIB_CMDLINE"
		sha256sum <"$KIB_VMLINUZ"
	} | sha256sum | cut -c1-16)
	if [[ -r $KIB_BASE ]]; then
		touch "$KIB_BASE"
		kib_log "image: base initramfs reused ($(display_path "$KIB_BASE"), key $key)"
		return 0
	fi
	kib_log "image: building base initramfs (key $key)"
	mkdir -p "$KIB_CACHE/base"
	root=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-kib-root.XXXXXX") || return 1
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,lib/kvm,lib/ata,qemu/fw}
	cp "$KIB_BUSYBOX" "$root/bin/busybox"
	cp "$KIB_DIR/init.sh" "$root/init"
	chmod 755 "$root/init"
	for f in "${KIB_MODULE_FILES[@]}"; do
		_kib_module_copy "$f" "$root/lib/kvm/$(basename "${f%.ko*}").ko" || {
			rm -rf "$root"
			return 1
		}
	done
	# The payload channel's modules, in load order (none: built in).
	for f in $(_kib_ata_files); do
		_kib_module_copy "$f" "$root/lib/ata/$(basename "${f%.ko*}").ko" || {
			rm -rf "$root"
			return 1
		}
		basename "${f%.ko*}" >>"$root/lib/ata/order"
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
	# Uncompressed: L1's kernel unpacked the gzip'ed 58 MB in 9.5 s of its
	# own time (Bochs); GRUB loading the bigger file costs less wall time.
	_kib_cpio "$root" "$KIB_BASE" cat || {
		rm -rf "$root"
		echo "cannot build $KIB_BASE" >&2
		return 1
	}
	rm -rf "$root"
	# Keep the newest few (one per recent image).
	_kib_prune "$KIB_CACHE/base" '*.cpio'
	_kib_prune "$KIB_CACHE/base" '*.cpio.gz'
	kib_log "image: base initramfs built in $((SECONDS - start)) s ($(du -h "$KIB_BASE" | cut -f1))"
}

# kib_iso: sets KIB_ISO to the cached GRUB rescue ISO of this image (Linux,
# base.cpio, the command line); no plan and no kernels.
kib_iso() {
	local key dir start=$SECONDS
	key=$({
		printf 'iso-v2\n%s\n' "$KIB_IMAGE_KEY"
	} | sha256sum | cut -c1-16)
	mkdir -p "$KIB_CACHE/iso"
	KIB_ISO=$KIB_CACHE/iso/$key.iso
	if [[ -r $KIB_ISO ]]; then
		touch "$KIB_ISO"
		kib_log "image: ISO reused ($(display_path "$KIB_ISO"))"
		return 0
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-kib-iso.XXXXXX") || return 1
	mkdir -p "$dir/iso/boot/grub"
	cp "$KIB_VMLINUZ" "$dir/iso/boot/vmlinuz"
	cp "$KIB_BASE" "$dir/iso/boot/base.cpio"
	printf 'set timeout=0\nlinux /boot/vmlinuz %s\ninitrd /boot/base.cpio\nboot\n' \
		"$KIB_CMDLINE" >"$dir/iso/boot/grub/grub.cfg"
	if ! grub-mkrescue -d "$BOCHS_GRUB_DIR" -o "$KIB_ISO.tmp.$$" \
		--install-modules="linux normal configfile biosdisk iso9660" \
		--fonts= --locales= --themes= "$dir/iso" >"$dir/mkrescue.log" 2>&1; then
		kib_log "$(cat "$dir/mkrescue.log")"
		rm -rf "$dir" "$KIB_ISO.tmp.$$"
		echo "grub-mkrescue failed (see $(display_path "$KIB_IMAGE_LOG"))" >&2
		return 1
	fi
	mv -f "$KIB_ISO.tmp.$$" "$KIB_ISO"
	rm -rf "$dir"
	# Keep the newest few ISOs (one per recent image).
	_kib_prune "$KIB_CACHE/iso" '*.iso'
	kib_log "image: ISO built in $((SECONDS - start)) s ($(display_path "$KIB_ISO"), $(du -h "$KIB_ISO" | cut -f1); cmdline: $KIB_CMDLINE)"
}

# kib_payload OUT FLAGS PLAN KERNEL...: writes the payload file OUT (created
# or overwritten in place: a running Bochs may have it open). Sector 0 (2048
# bytes): "<magic> size=<bytes>" (or "<magic> empty" with no PLAN); then the
# gzip'ed newc cpio of /run/flags (FLAGS: shell assignments), /run/plan and
# /run/k/<n>/<file> (KERNEL n). The body is written before the header, so
# L1 never sees a header without its body.
kib_payload() {
	local out=$1 flags=$2 plan=${3:-}
	shift 3
	local dir k n=0 size max=$((KIB_PAYLOAD_MIB * 1024 * 1024))
	if [[ -z $plan ]]; then
		[[ -e $out ]] || truncate -s "$max" "$out" || return 1
		printf '%s empty\n' "$KIB_PAYLOAD_MAGIC" | dd of="$out" bs=2048 conv=sync,notrunc status=none
		return
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-kib-payload.XXXXXX") || return 1
	mkdir -p "$dir/root/run/k"
	printf '%s\n' "$flags" >"$dir/root/run/flags"
	cp "$plan" "$dir/root/run/plan"
	for k in "$@"; do
		mkdir -p "$dir/root/run/k/$n"
		cp "$k" "$dir/root/run/k/$n/"
		n=$((n + 1))
	done
	_kib_cpio "$dir/root" "$dir/body.cpio.gz" || {
		rm -rf "$dir"
		return 1
	}
	size=$(stat -c %s "$dir/body.cpio.gz")
	if ((size + 2048 > max)); then
		rm -rf "$dir"
		echo "the payload (plan and kernels, $size bytes gzip'ed) exceeds the payload CD's $KIB_PAYLOAD_MIB MiB" >&2
		return 1
	fi
	[[ -e $out ]] || truncate -s "$max" "$out" || return 1
	dd if="$dir/body.cpio.gz" of="$out" bs=2048 seek=1 conv=notrunc status=none &&
		printf '%s size=%s\n' "$KIB_PAYLOAD_MAGIC" "$size" | dd of="$out" bs=2048 conv=sync,notrunc status=none
	local rc=$?
	rm -rf "$dir"
	return "$rc"
}
