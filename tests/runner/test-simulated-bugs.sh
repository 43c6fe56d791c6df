#!/usr/bin/env bash
# Tests for the tests: kernels built with simulated hypervisor bugs (make
# SIMULATE_BUG="...", lib/x86/vmx/simulate.hh) in a copy of the tree must
# FAIL the case that checks the rule each bug breaks, on Bochs, in exactly
# the checks of that rule (the same cases pass in the normal build: the
# suite itself). One build with every bug (each touches other checks). ~30 s.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

skip_all() {
    ok "simulated hypervisor bugs # SKIP $1"
    done_testing
    exit 0
}
bochs_ok || skip_all "needs the Bochs backend"

# bug, kernel, case, the text in the name of every check the bug must fail
# (and of no other failing check).
BUGS=(
    "GLA_IS_GPA ept_access access_4k guest-linear address"
    "PML_TWICE ept_features pml_precise once, page-aligned"
    "PDPTE_LOAD_WRITE ept_pae pae_pdpte_load_ad_read EPT D still clear"
    "INVEPT_IGNORES_BIT7 ept_invept invept_bad_eptp single-context, EPTP with reserved bit 7"
)

# build_with BUGS KERNELS: the copy of the tree at $TREE, its KERNELS built
# with every bug of BUGS.
TREE=$SCRATCH/tree
build_with() {
    local -a flats=()
    local k
    for k in $2; do flats+=("x86/$k.flat"); done
    mkdir -p "$TREE"
    tar -C "$ROOT" --exclude=./build --exclude='./logs*' --exclude=./tests/standalone \
        --exclude='*.o' --exclude='*.d' --exclude='*.elf' --exclude='*.flat' -cf - \
        configure Makefile run_tests.sh lib x86 scripts tools tests | tar -C "$TREE" -xf -
    (cd "$TREE" && ./configure && make -j"${PROVE_JOBS:-2}" SIMULATE_BUG="$1" "${flats[@]}") \
        >"$SCRATCH/build.log" 2>&1
}

bugs="" kernels=""
for row in "${BUGS[@]}"; do
    read -r bug kernel _ <<<"$row"
    bugs+=" $bug" kernels+=" $kernel"
done
if ! build_with "$bugs" "$kernels"; then
    not_ok "build with SIMULATE_BUG=${bugs# }" "$(tail -20 "$SCRATCH/build.log")"
    done_testing
    exit 0
fi
ok "build with SIMULATE_BUG=${bugs# }"

for row in "${BUGS[@]}"; do
    read -r bug kernel case check <<<"$row"
    printf '[%s]\nfile = %s/x86/%s.flat\ngroups = vmx\nrequires = vmx\n' "$kernel" "$TREE" "$kernel" | cfg_write
    rt ACCEL=bochs -- -v "$kernel:$case"
    expect_rc 1 "$bug: $kernel:$case fails"
    fails=$(grep -c '^  FAIL: ' <<<"$OUT")
    others=$(grep '^  FAIL: ' <<<"$OUT" | grep -vcF -- "$check")
    if ((fails > 0 && others == 0)); then
        ok "$bug: $fails checks fail, each one naming '$check'"
    else
        not_ok "$bug: only checks naming '$check' fail" "$fails fail, $others of them others"
    fi
done
done_testing
