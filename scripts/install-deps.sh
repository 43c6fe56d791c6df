#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages nvmx-tests needs to build and
# run (g++, binutils, QEMU, Bochs + GRUB rescue ISO tools, GoogleTest, lcov,
# xmllint, shellcheck, perl). Only missing packages are installed; needs root
# (or sudo) for that. Prints nothing to do when everything is present.
set -euo pipefail

PACKAGES=(g++ make binutils perl qemu-system-x86 bochs bochsbios vgabios grub-pc-bin
    grub-common xorriso mtools libgtest-dev libxml2-utils lcov shellcheck util-linux)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$'; then
        missing+=("$p")
    fi
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all Debian packages present"
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
