#!/usr/bin/env bash
# Issue 10 item 8: smaller defects. An empty test name, one timeout grammar
# for TIMEOUT and the cfg, QEMU-only extra_params on Bochs said in the log,
# `file =` of a cfg outside x86/ (next to the cfg, else x86/).
# (NVMX_PROGRESS=1 -t: test-progress.sh; the trap parse error on SIGTERM:
# test-interrupt.sh.)
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
CFG
rt ACCEL=tcg -- ''
expect_rc 2 "an empty test name is a usage error"
expect_err "empty test name" "says so (no bash 'bad array subscript')"
if grep -q "bad array subscript" <<<"$ERR"; then not_ok "no bash error"; else ok "no bash error"; fi

# One timeout grammar: 90, 90s, 2m, 1h; 0 = none, in TIMEOUT and the cfg.
for t in 90s 2m 1h 45 0; do
    rt ACCEL=tcg TIMEOUT=$t
    expect_rc 0 "TIMEOUT=$t accepted"
done
rt ACCEL=tcg TIMEOUT=0
expect_file_has "$SCRATCH/logs/pass.log" "# timeout: none" "TIMEOUT=0: no timeout, said in the log"
rt ACCEL=tcg TIMEOUT=2m
expect_file_has "$SCRATCH/logs/pass.log" "# timeout: 120s" "TIMEOUT=2m is 120 s"
rt ACCEL=tcg TIMEOUT=soon
expect_rc 2 "TIMEOUT=soon rejected"
expect_err "TIMEOUT must be a duration like 90, 90s, 2m or 1h (0: none), not 'soon'" "names the grammar"
cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
timeout = 0
CFG
rt ACCEL=tcg
expect_rc 0 "timeout = 0 accepted in the cfg"
expect_file_has "$SCRATCH/logs/pass.log" "# timeout: none" "cfg timeout = 0: no timeout"

# `file =` relative to the cfg's directory, else x86/ of the tree.
if [[ -r $ROOT/x86/selftest.flat ]]; then
    cfg_write <<'CFG'
[st]
file = selftest.flat
test_args = cmdline
CFG
    rt ACCEL=tcg
    expect_out "PASS st" "a cfg outside x86/: 'file = selftest.flat' is found in x86/"
    expect_file_has "$SCRATCH/logs/st.log" "# kernel: $ROOT/x86/selftest.flat" "the log names x86/selftest.flat"
    cp "$FIX/pass.flat" "$SCRATCH/selftest.flat"
    rt ACCEL=tcg
    expect_file_has "$SCRATCH/logs/st.log" "# kernel: selftest.flat" "a kernel next to the cfg comes first"
else
    ok "# SKIP x86/selftest.flat not built"
fi

# Bochs: QEMU-only extra_params are named in the log.
if bochs_ok; then
    cfg_write <<'CFG'
[vmx]
file = @FIX@/pass.flat
requires = vmx
extra_params = -cpu max -append 'a b'
CFG
    rt ACCEL=bochs
    expect_out "PASS vmx" "entry with QEMU options runs on Bochs"
    expect_file_has "$SCRATCH/logs/vmx.log" "# note: extra_params ignored on Bochs (only -append, -smp, -m apply): -cpu max" \
        "the log says which extra_params Bochs ignores"
    expect_file_has "$SCRATCH/logs/vmx.log" " a b" "-append still applies (kernel args end in a b)"
    rt ACCEL=bochs TIMEOUT=0
    expect_out "PASS vmx" "TIMEOUT=0 (none) works on Bochs"
else
    ok "# SKIP Bochs backend not usable here"
fi

done_testing
