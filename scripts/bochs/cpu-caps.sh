#!/bin/bash
# Boots a tiny probe kernel (cpu-caps.S) on Bochs CPU models and prints which VMX
# features each advertises (CPUID.1:ECX.VMX and the IA32_VMX_* capability MSRs).
# Usage: scripts/bochs/cpu-caps.sh [MODEL...]   (default: every model Bochs knows)
# Needs gcc with -m32 support and ld, plus what bochs_check wants.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/backend-bochs.sh
source "$here/../backend-bochs.sh"
bochs_check

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nvmx-cpucaps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/probe.ld" <<'LD'
ENTRY(_start)
SECTIONS {
	. = 0x100000;
	.mbh : { *(.mbh) }
	.text : { *(.text) }
	.data : { *(.data) }
}
LD
gcc -m32 -c "$here/cpu-caps.S" -o "$tmp/probe.o"
ld -m elf_i386 --no-warn-rwx-segments -T "$tmp/probe.ld" "$tmp/probe.o" \
	-o "$tmp/probe.flat"

if (($# == 0)); then
	mapfile -t models < <("$BOCHS_BIN" --help cpu 2>&1 |
		sed -n '/^Supported CPU models:/,/quit_sim/p' | grep -E '^[a-z0-9_]+$')
else
	models=("$@")
fi

# bit N of the 64-bit value "HIGH:LOW" (hex)
bit() {
	local v=${1/:/}
	(((0x$v >> $2) & 1))
}

yn() { if bit "$1" "$2"; then printf ' %5s' yes; else printf ' %5s' -; fi; }

printf '%-26s' model
printf ' %5s' VMX EPT VPID UG EPTAD PML VMFN VE MBEC MTF PREEM 5LVL
echo
for m in "${models[@]}"; do
	log="$tmp/$m.log"
	bochs_run "$tmp/probe.flat" "$log" 30 1 32 "$m" "" || true
	declare -A v=()
	while IFS='=' read -r k val; do
		[[ "$val" =~ ^[0-9A-F]{8}:[0-9A-F]{8}$ ]] && v[$k]=$val
	done <"$log"
	if ! grep -q '^EXIT: STATUS=0' "$log"; then
		printf '%-26s probe failed (see %s.bochs)\n' "$m" "$log"
		continue
	fi
	printf '%-26s' "$m"
	if [[ -z "${v[VMX_BASIC]:-}" ]]; then
		printf ' %5s\n' -
		unset v
		continue
	fi
	p2=${v[VMX_PROCBASED2]:-00000000:00000000}
	ept=${v[VMX_EPT_VPID_CAP]:-00000000:00000000}
	printf ' %5s' yes
	# allowed-1 bits of a control MSR are its high dword
	yn "$p2" $((32 + 1))
	yn "$p2" $((32 + 5))
	yn "$p2" $((32 + 7))
	if bit "$p2" 33; then yn "$ept" 21; else printf ' %5s' -; fi
	yn "$p2" $((32 + 17))
	yn "$p2" $((32 + 13))
	yn "$p2" $((32 + 18))
	yn "$p2" $((32 + 22))
	yn "${v[VMX_PROCBASED]}" $((32 + 27))
	yn "${v[VMX_PINBASED]}" $((32 + 6))
	yn "$ept" 7
	echo
	unset v
done
