#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages nvmx-tests needs to build and
# run (g++, binutils, QEMU, Bochs + GRUB rescue ISO tools, GoogleTest, lcov,
# xmllint, shellcheck, perl). Only missing packages are installed; needs root
# (or sudo) for that. Prints nothing to do when everything is present. Then
# fetches (never installs) the Debian kernel and busybox-static of the
# kvm-in-bochs backend into build/kvm-in-bochs (scripts/kvm-in-bochs/fetch.sh);
# a failed fetch (offline) is only a warning.
#   --kvm-kernel  also what `make kvm-kernel` needs to build a Linux kernel
#                 (bc bison flex libelf-dev libssl-dev); with SOURCE (6.1 or
#                 6.12), Debian's linux-source-SOURCE too (/usr/src tarball).
set -euo pipefail

PACKAGES=(g++ make binutils perl qemu-system-x86 bochs bochsbios vgabios grub-pc-bin
    grub-common xorriso mtools libgtest-dev libxml2-utils lcov shellcheck util-linux)

KVM_KERNEL_PACKAGES=(bc bison flex libelf-dev libssl-dev)
case ${1:-} in
    "") ;;
    --kvm-kernel) PACKAGES+=("${KVM_KERNEL_PACKAGES[@]}") ;;
    --kvm-kernel=6.1 | --kvm-kernel=6.12) PACKAGES+=("${KVM_KERNEL_PACKAGES[@]}" "linux-source-${1#--kvm-kernel=}") ;;
    *)
        echo "install-deps: unknown option '$1' (--kvm-kernel[=6.1|6.12])" >&2
        exit 2
        ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$'; then
        missing+=("$p")
    fi
done
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# fetch_kib: the optional kvm-in-bochs download; its failure (offline) is a
# warning: the main path (./configure && make) must not stop, and the
# backend fetches on first use.
fetch_kib() {
    "$root/scripts/kvm-in-bochs/fetch.sh" ||
        echo "install-deps: warning: the kvm-in-bochs packages could not be fetched" \
            "(offline?); ACCEL=kvm-in-bochs fetches them on first use" >&2
    return 0
}
if ((${#missing[@]} == 0)); then
    echo "install-deps: all Debian packages present"
    fetch_kib
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
    if ! command -v sudo >/dev/null; then
        echo "install-deps: not root and no sudo: install ${missing[*]} by hand" >&2
        exit 1
    fi
    sudo=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q </dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fetch_kib
