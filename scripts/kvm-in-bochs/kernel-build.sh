#!/usr/bin/env bash
# kernel-build.sh: `make kvm-kernel LINUX_SRC=... [KVM_COVERAGE=1]`. Builds a
# small L1 kernel (KVM and kvm-intel built in, serial console, initramfs; see
# kernel.config) from a Linux tree for the kvm-in-bochs backend
# (KIB_KERNEL=build/kvm-kernel/<key>/bzImage; docs/kvm-coverage.md).
#   LINUX_SRC    a Linux source directory (a git checkout, /work/src/...) or a
#                source tarball (/usr/src/linux-source-6.12.tar.xz), which is
#                extracted once into build/kvm-kernel/src/. Never written to.
#   KVM_COVERAGE 1: gcov for arch/x86/kvm only (kernel-gcov.config).
#   KVM_KERNEL_JOBS  make -j (default: the number of CPUs).
# The build is out of tree in build/kvm-kernel/<key>/obj, <key> hashing the
# tree's path (or the tarball's identity), the config fragments, the coverage
# flag and the compiler, so a rebuild after editing a file of the tree is
# incremental. Prints the bzImage path on stdout (last line).
set -euo pipefail
NVMX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROG=kvm-kernel
# shellcheck source=scripts/common.sh
source "$NVMX_ROOT/scripts/common.sh"

KK_DIR=$NVMX_ROOT/scripts/kvm-in-bochs
KK_BUILD=${KVM_KERNEL_BUILD:-$NVMX_ROOT/build/kvm-kernel}
# Build tools a kernel build needs beyond gcc/make (install-deps.sh --kvm-kernel).
KK_TOOLS="bc bison flex perl"

# Dies unless the build tools and libelf/openssl headers are there.
kk_check_tools() {
    local t missing=""
    for t in $KK_TOOLS ${CC:-gcc} make; do
        command -v "$t" >/dev/null || missing+=" $t"
    done
    [[ -e /usr/include/libelf.h || -e /usr/include/elfutils/libelf.h ]] || missing+=" libelf-dev"
    [[ -e /usr/include/openssl/ssl.h ]] || missing+=" libssl-dev"
    [[ -z $missing ]] ||
        nvmx_die "missing kernel build dependencies:$missing (run: scripts/install-deps.sh --kvm-kernel)"
}

# True when DIR looks like a Linux source tree with KVM.
kk_is_tree() { [[ -f $1/Makefile && -f $1/Kconfig && -f $1/arch/x86/kvm/vmx/nested.c ]]; }

# Echoes the source directory for LINUX_SRC: the directory itself, or the
# tarball's tree extracted (once, atomically) under $KK_BUILD/src/<id>/.
kk_source_dir() {
    local src=$1 id dest tmp top
    if [[ -d $src ]]; then
        kk_is_tree "$src" ||
            nvmx_die "LINUX_SRC=$src is not a Linux source tree (no Makefile, Kconfig or arch/x86/kvm/vmx/nested.c)"
        [[ ! -e $src/.config ]] ||
            nvmx_die "LINUX_SRC=$src has a .config: an out-of-tree build needs a clean tree (make mrproper there)"
        (cd "$src" && pwd -P)
        return
    fi
    [[ -f $src ]] || nvmx_die "LINUX_SRC=$src: no such file or directory"
    case $src in
        *.tar.xz | *.tar.gz | *.tar.bz2 | *.tar | *.tgz) ;;
        *) nvmx_die "LINUX_SRC=$src is neither a directory nor a .tar[.xz|.gz|.bz2] source tarball" ;;
    esac
    id=$(stat -Lc '%s-%Y' "$src")-$(basename "$src")
    dest=$KK_BUILD/src/${id%%.tar*}
    if [[ ! -d $dest ]]; then
        mkdir -p "$KK_BUILD/src"
        tmp=$(mktemp -d "$KK_BUILD/src/.extract.XXXXXX")
        nvmx_warn "extracting $src into $(display_path "$dest")"
        tar -xf "$src" -C "$tmp" || { rm -rf "$tmp"; nvmx_die "LINUX_SRC=$src: tar could not extract it"; }
        top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d)
        if [[ $(printf '%s\n' "$top" | wc -l) -ne 1 ]] || ! kk_is_tree "$top"; then
            rm -rf "$tmp"
            nvmx_die "LINUX_SRC=$src does not hold one Linux source tree"
        fi
        mv "$top" "$dest"
        rm -rf "$tmp"
    fi
    printf '%s\n' "$dest"
}

# Writes the config fragment of this build (kernel.config [+ kernel-gcov.config]).
kk_fragment() {
    cat "$KK_DIR/kernel.config"
    [[ ${KVM_COVERAGE:-0} != 1 ]] || cat "$KK_DIR/kernel-gcov.config"
}

# Echoes the build key: tree identity, fragment, coverage flag, compiler.
kk_key() {
    local srcid=$1
    {
        printf 'src=%s\n' "$srcid"
        kk_fragment
        printf 'coverage=%s\n' "${KVM_COVERAGE:-0}"
        ${CC:-gcc} --version | head -n 1
    } | sha256sum | cut -c1-16
}

# Lists the fragment's lines that the generated .config ($1) does not have
# (a symbol this tree lacks or whose dependencies are not met).
kk_config_missing() {
    local config=$1 line sym val
    while IFS= read -r line; do
        [[ $line == CONFIG_*=* ]] || continue
        sym=${line%%=*} val=${line#*=}
        if [[ $val == n ]]; then
            ! grep -qx "$sym=.*" "$config" || printf '%s\n' "$line"
        else
            grep -qx "$line" "$config" || printf '%s\n' "$line"
        fi
    done
}

# The make command line of this build (the GCOV_PROFILE --eval for coverage:
# instruments only objects built by arch/x86/kvm's Makefile, which includes
# virt/kvm, without touching the source tree).
kk_make() {
    local src=$1 obj=$2
    shift 2
    local -a cmd=(make -C "$src" O="$obj" ARCH=x86_64 -j"${KVM_KERNEL_JOBS:-$(nproc)}")
    # shellcheck disable=SC2016 # $(obj) is for make
    [[ ${KVM_COVERAGE:-0} != 1 ]] ||
        cmd+=(--eval='$(if $(filter arch/x86/kvm,$(obj)),$(eval GCOV_PROFILE := y))')
    "${cmd[@]}" "$@"
}

main() {
    local src srcdir srcid key dir obj frag missing t0 t1 ver
    src=${LINUX_SRC:-}
    [[ -n $src ]] || nvmx_die "LINUX_SRC is not set (a Linux source directory or tarball, e.g. make kvm-kernel LINUX_SRC=/usr/src/linux-source-6.12.tar.xz)"
    case ${KVM_COVERAGE:-0} in 0 | 1) ;; *) nvmx_die "KVM_COVERAGE=$KVM_COVERAGE: expected 0 or 1" ;; esac
    kk_check_tools
    srcdir=$(kk_source_dir "$src")
    if [[ -d $src ]]; then srcid=$srcdir; else srcid="tarball:$(stat -Lc '%s-%Y' "$src"):$(basename "$src")"; fi
    key=$(kk_key "$srcid")
    dir=$KK_BUILD/$key obj=$KK_BUILD/$key/obj
    mkdir -p "$obj"
    frag=$dir/fragment.config
    kk_fragment >"$frag"
    t0=$EPOCHREALTIME
    if [[ ! -f $obj/.config ]]; then
        kk_make "$srcdir" "$obj" KCONFIG_ALLCONFIG="$frag" allnoconfig >"$dir/config.log" 2>&1 ||
            { rm -f "$obj/.config"; nvmx_die "allnoconfig failed (log: $(display_path "$dir/config.log"))"; }
        missing=$(kk_config_missing "$obj/.config" <"$frag")
        if [[ -n $missing ]]; then
            mv "$obj/.config" "$dir/rejected.config"
            nvmx_die "this tree's Kconfig did not take: $(echo "$missing" | tr '\n' ' ')(config: $(display_path "$dir/rejected.config"))"
        fi
    fi
    printf 'LINUX_SRC=%s\nsource=%s\ncoverage=%s\nobj=%s\n' "$src" "$srcdir" "${KVM_COVERAGE:-0}" "$obj" >"$dir/info"
    nvmx_warn "building $(display_path "$dir") from $src (log: $(display_path "$dir/build.log"))"
    if ! kk_make "$srcdir" "$obj" bzImage >"$dir/build.log" 2>&1; then
        tail -n 20 "$dir/build.log" >&2
        printf '%s: build failed (log: %s)\n' "$PROG" "$(display_path "$dir/build.log")" >&2
        exit 1
    fi
    t1=$EPOCHREALTIME
    cp "$obj/arch/x86/boot/bzImage" "$dir/bzImage.tmp" && mv "$dir/bzImage.tmp" "$dir/bzImage"
    ver=$(cat "$obj/include/config/kernel.release" 2>/dev/null || echo '?')
    printf 'kernel=%s\nbuild_seconds=%s\n' "$ver" "$(elapsed_s "$t0" "$t1")" >>"$dir/info"
    nvmx_warn "Linux $ver built in $(elapsed_s "$t0" "$t1") s ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)); use KIB_KERNEL=$(display_path "$dir/bzImage")"
    printf '%s\n' "$dir/bzImage"
}

main "$@"
