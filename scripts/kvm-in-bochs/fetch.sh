#!/usr/bin/env bash
# fetch.sh: downloads the Debian packages of the kvm-in-bochs L1 image
# (linux-image-<ver>-amd64, busybox-static) into build/kvm-in-bochs (or
# $KIB_CACHE) and unpacks the few files needed; installs nothing. Called by
# scripts/install-deps.sh; run_tests.sh does the same on first use.
set -euo pipefail
NVMX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROG=kvm-in-bochs-fetch
# shellcheck source=scripts/common.sh
source "$NVMX_ROOT/scripts/common.sh"
# shellcheck source=scripts/backend-qemu.sh
source "$NVMX_ROOT/scripts/backend-qemu.sh"
# shellcheck source=scripts/kvm-in-bochs/image.sh
source "$NVMX_ROOT/scripts/kvm-in-bochs/image.sh"
mkdir -p "$KIB_CACHE"
KIB_IMAGE_LOG=$KIB_CACHE/fetch.log
: >"$KIB_IMAGE_LOG"
if ! kib_image; then
    printf '%s: failed (log: %s)\n' "$PROG" "$(display_path "$KIB_IMAGE_LOG")" >&2
    exit 1
fi
printf '%s: Linux %s (%s) and busybox-static in %s\n' "$PROG" "$KIB_LINUX_VER" "$KIB_KERNEL_ORIGIN" "$(display_path "$KIB_CACHE")"
