#!/usr/bin/env bash
# Tests for the tests: kernels built with a simulated hypervisor bug (make
# SIMULATE_BUG=NAME, lib/x86/vmx/simulate.hh) in a copy of the tree must FAIL
# the case that checks the rule the bug breaks, on Bochs, naming the check
# (the same case passes in the normal build: the suite itself). ~40 s.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

skip_all() {
    ok "simulated hypervisor bugs # SKIP $1"
    done_testing
    exit 0
}
bochs_ok || skip_all "needs the Bochs backend"

# bug, kernel, case, the text every failing check's name ends with: the
# bug fails those checks and no other.
BUGS=(
    "GLA_IS_GPA ept_access access_4k guest-linear address"
    "PML_TWICE ept_features pml_precise once, page-aligned"
)

# build_with BUG KERNEL: the copy of the tree at $SCRATCH/BUG, built with the bug.
build_with() {
    local tree=$SCRATCH/$1
    mkdir -p "$tree"
    tar -C "$ROOT" --exclude=./build --exclude='./logs*' --exclude=./tests/standalone \
        --exclude='*.o' --exclude='*.d' --exclude='*.elf' --exclude='*.flat' -cf - \
        configure Makefile run_tests.sh lib x86 scripts tools tests | tar -C "$tree" -xf -
    (cd "$tree" && ./configure && make -j"${PROVE_JOBS:-2}" SIMULATE_BUG="$1" "x86/$2.flat") \
        >"$SCRATCH/$1.build.log" 2>&1
}

for row in "${BUGS[@]}"; do
    read -r bug kernel case check <<<"$row"
    if ! build_with "$bug" "$kernel"; then
        not_ok "$bug: build" "$(tail -20 "$SCRATCH/$bug.build.log")"
        continue
    fi
    printf '[%s]\nfile = %s/x86/%s.flat\ngroups = vmx\nrequires = vmx\n' \
        "$kernel" "$SCRATCH/$bug" "$kernel" | cfg_write
    rt ACCEL=bochs -- -v "$kernel:$case"
    expect_rc 1 "$bug: $kernel:$case fails"
    fails=$(grep -c '^  FAIL: ' <<<"$OUT")
    others=$(grep '^  FAIL: ' <<<"$OUT" | grep -vcF -- "$check")
    if ((fails > 0 && others == 0)); then
        ok "$bug: $fails checks fail, each one ending '$check'"
    else
        not_ok "$bug: only checks ending '$check' fail" "$fails fail, $others of them others"
    fi
done
done_testing
