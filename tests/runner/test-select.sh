#!/usr/bin/env bash
# Selection (names, wildcards, groups, nodefault, -l), skips by arch/check/
# accel, and -j ordering.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

cfg_write <<'CFG'
[alpha]
file = @FIX@/pass.flat
groups = g1
[beta]
file = @FIX@/pass.flat
groups = g2
[gamma]
file = @FIX@/pass.flat
groups = g1 g2
[slow]
file = @FIX@/pass.flat
groups = nodefault
[arch32]
file = @FIX@/pass.flat
arch = i386
[checked]
file = @FIX@/pass.flat
check = /nonexistent/param=Y
[kvmonly]
file = @FIX@/pass.flat
accel = kvm
CFG
names() { awk '{ print $1 }' <<<"$OUT" | tr '\n' ' '; }

rt ACCEL=tcg -- -l
expect_rc 0 "-l lists"
expect_eq "$(names)" "alpha beta gamma arch32 checked kvmonly " "-l: default selection skips nodefault"
expect_eq "$OUT" "alpha
beta
gamma
arch32
checked
kvmonly" "-l: names only, one a line"
rt ACCEL=tcg -- -v -l
expect_out "arch32	SKIP (arch i386: these kernels are x86_64)" "-v -l shows skip reasons"
expect_out "alpha	qemu-tcg" "-v -l shows the backend"
rt ACCEL=tcg -- -l -a
expect_eq "$(names)" "alpha beta gamma slow arch32 checked kvmonly " "-a adds nodefault"
rt ACCEL=tcg -- -l slow
expect_eq "$(names)" "slow " "nodefault entry runs when named"
rt ACCEL=tcg -- -l -g g2
expect_eq "$(names)" "beta gamma " "-g selects a group"
rt ACCEL=tcg -- -l -g g1,g2
expect_eq "$(names)" "alpha beta gamma " "-g accepts a comma list"
rt ACCEL=tcg -- -l 'g*' alpha
expect_eq "$(names)" "alpha gamma " "wildcards and names, in cfg order"
rt ACCEL=tcg -- -l -g g2 'a*'
expect_rc 2 "group and names with an empty intersection"
rt ACCEL=tcg -- -l '?eta'
expect_eq "$(names)" "beta " "'?' wildcard"

rt ACCEL=tcg -- arch32 checked kvmonly
expect_rc 0 "skipped entries do not fail the run"
expect_out "SKIP arch32 (arch i386: these kernels are x86_64)" "arch mismatch skipped"
expect_out "SKIP checked (check failed: /nonexistent/param is '(unreadable)', wants 'Y')" \
    "failed check skipped"
expect_out "SKIP kvmonly (entry runs with accel=kvm only, ACCEL=tcg)" "accel mismatch skipped"

# -j2: output stays in cfg order although the first entry finishes last.
cfg_write <<'CFG'
[h1]
file = @FIX@/hang.flat
timeout = 3
[p1]
file = @FIX@/pass.flat
[h2]
file = @FIX@/hang.flat
timeout = 3
[p2]
file = @FIX@/pass.flat
CFG
# A QEMU wrapper logs when each kernel starts and ends, so parallelism is
# seen as overlapping runs, not guessed from wall time on a loaded machine.
cat >"$SCRATCH/qemu-times.sh" <<WRAP
#!/usr/bin/env bash
real=\$(command -v qemu-system-x86_64)
echo "start \$\$ \$EPOCHREALTIME" >>"$SCRATCH/qemu-times"
"\$real" "\$@" &
child=\$!
trap 'kill \$child 2>/dev/null; echo "end \$\$ \$EPOCHREALTIME" >>"$SCRATCH/qemu-times"; exit 143' TERM INT
wait \$child
rc=\$?
echo "end \$\$ \$EPOCHREALTIME" >>"$SCRATCH/qemu-times"
exit \$rc
WRAP
chmod +x "$SCRATCH/qemu-times.sh"
: >"$SCRATCH/qemu-times"
rt ACCEL=tcg QEMU="$SCRATCH/qemu-times.sh" -- -j2
expect_rc 1 "-j2 run"
order=$(awk '/^(PASS|FAIL|SKIP) /{ print $2 }' <<<"$OUT" | tr '\n' ' ')
expect_eq "$order" "h1 p1 h2 p2 " "-j2 prints in cfg order"
# The most kernels running at once (starts and ends sorted by time).
most=$(sort -k3,3n "$SCRATCH/qemu-times" |
    awk '$1 == "start" { n++ } $1 == "end" { n-- } n > m { m = n } END { print m + 0 }')
expect_eq "$most" "2" "-j2 runs two kernels at once ($(grep -c start "$SCRATCH/qemu-times") runs, ${ELAPSED}s)"
rt ACCEL=tcg -- -j2 -t
expect_out "not ok 2 - h1: timeout after 3s" "-j2 -t numbering follows cfg order (1)"
expect_out "ok 7 - p2: fixture: first" "-j2 -t numbering follows cfg order (2)"

done_testing
