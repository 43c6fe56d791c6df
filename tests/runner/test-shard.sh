#!/usr/bin/env bash
# --shard I/N (and GitLab's CI_NODE_INDEX/CI_NODE_TOTAL): the shards cover the
# selection exactly once, and `nvmx-tap merge` of their TAP and JUnit equals
# the unsharded run case by case.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

TAPTOOL=$ROOT/build/host/nvmx-tap

cfg_write <<'CFG'
[pass]
file = @FIX@/pass.flat
[fail]
file = @FIX@/fail.flat
[xfail]
file = @FIX@/xfail.flat
[skipall]
file = @FIX@/skipall.flat
[triple]
file = @FIX@/triple.flat
[badsel]
file = @FIX@/badsel.flat
[vmx]
file = @FIX@/pass.flat
requires = vmx
[pass2]
file = @FIX@/pass.flat
timeout = 30
[never]
file = @FIX@/pass.flat
groups = nodefault
CFG

# names: the entry names of -l in $OUT, one a line.
names() { cut -f1 <<<"$OUT"; }

rt ACCEL=tcg -- -l
all=$(names)
expect_eq "$(wc -l <<<"$all")" 8 "unsharded selection: 8 entries (nodefault left out)"

for n in 1 2 3 5 9; do
    union=""
    for ((i = 1; i <= n; i++)); do
        rt ACCEL=tcg -- -l --shard "$i/$n"
        union+=$(names)$'\n'
    done
    union=$(grep -v '^$' <<<"$union" | sort)
    dups=$(uniq -d <<<"$union")
    expect_eq "$union" "$(sort <<<"$all")" "$n shards: their union is exactly the selection"
    expect_eq "$dups" "" "$n shards: no entry twice"
done

rt ACCEL=tcg -- -l --shard 2/3
by_option=$(names)
rt ACCEL=tcg NVMX_SHARD_FROM_CI=1 CI_NODE_INDEX=2 CI_NODE_TOTAL=3 -- -l
expect_eq "$(names)" "$by_option" "CI_NODE_INDEX=2 CI_NODE_TOTAL=3 picks shard 2/3"
rt ACCEL=tcg CI_NODE_TOTAL=1 -- -l
expect_eq "$(names)" "$all" "CI_NODE_TOTAL=1 alone (a job without parallel:) runs everything"
rt ACCEL=tcg NVMX_SHARD_FROM_CI=1 CI_NODE_INDEX=3 CI_NODE_TOTAL=3 -- -l --shard 2/3
expect_eq "$(names)" "$by_option" "--shard wins over CI_NODE_INDEX"

for bad in 0/2 3/2 2 a/b 1/0; do
    rt ACCEL=tcg -- -l --shard "$bad"
    expect_rc 2 "--shard $bad is refused"
done
expect_err "a shard is I/N with 1 <= I <= N" "... with a message saying what a shard is"
rt ACCEL=tcg NVMX_SHARD_FROM_CI=1 CI_NODE_INDEX=4 CI_NODE_TOTAL=3 -- -l
expect_rc 2 "CI_NODE_INDEX above CI_NODE_TOTAL is refused"

# Cost-balanced from measured times: the long entry gets a shard to itself.
printf 'pass 1.0\nfail 1.0\nxfail 1.0\nskipall 1.0\ntriple 1.0\nbadsel 1.0\nvmx 0.1\npass2 9.0\n' \
    >"$SCRATCH/times"
rt ACCEL=tcg NVMX_SHARD_TIMES="$SCRATCH/times" -- -l --shard 1/2
expect_eq "$(names)" "pass2" "NVMX_SHARD_TIMES: a 9 s entry alone in shard 1 of 2"
rt ACCEL=tcg NVMX_SHARD_TIMES="$SCRATCH/nonexistent" -- -l --shard 1/2
expect_rc 2 "NVMX_SHARD_TIMES naming nothing is an error"

# Unsharded vs merged shards, TAP and JUnit.
rt ACCEL=tcg -- -t --junit "$SCRATCH/full.xml"
full_rc=$RC
printf '%s\n' "$OUT" >"$SCRATCH/full.tap"
# Times from that report: the partition now follows measured durations.
shard_taps=() shard_xml=()
for i in 1 2 3; do
    rt ACCEL=tcg NVMX_SHARD_TIMES="$SCRATCH/full.tap" -- -t --shard "$i/3" --junit "$SCRATCH/s$i.xml"
    printf '%s\n' "$OUT" >"$SCRATCH/s$i.tap"
    shard_taps+=("$SCRATCH/s$i.tap")
    shard_xml+=(--junit-shard "$SCRATCH/s$i.xml")
done
if sed -n 2p "$SCRATCH/s2.tap" | grep -qE '^# shard 2/3: [0-9] of 8 entries: [0-9]=[a-z]'; then
    ok "shard header after the version line"
else
    not_ok "shard header after the version line" "$(head -n2 "$SCRATCH/s2.tap")"
fi
merge_rc=0
"$TAPTOOL" merge --junit "$SCRATCH/merged.xml" "${shard_xml[@]}" "${shard_taps[@]}" \
    >"$SCRATCH/merged.tap" 2>"$SCRATCH/merge.err" || merge_rc=$?
expect_eq "$merge_rc" "$full_rc" "merge exits like the unsharded run ($full_rc)"
# Result lines, plan and closing lines: everything but the per-entry timing comments.
results() { grep -vE '^# [A-Za-z0-9_.-]+: backend ' "$1"; }
diff_out=$(diff <(results "$SCRATCH/full.tap") <(results "$SCRATCH/merged.tap"))
expect_eq "$diff_out" "" "merged TAP equals the unsharded TAP case by case (numbers, plan, summary)"
expect_eq "$(grep -c '^# [a-z0-9]*: backend ' "$SCRATCH/merged.tap")" 8 "one backend comment per entry"
untimed() { sed 's/ time="[0-9.]*"//' "$1"; }
diff_out=$(diff <(untimed "$SCRATCH/full.xml") <(untimed "$SCRATCH/merged.xml"))
expect_eq "$diff_out" "" "merged JUnit equals the unsharded JUnit (but for times)"

merge_rc=0
"$TAPTOOL" merge "$SCRATCH/s1.tap" "$SCRATCH/s3.tap" >/dev/null 2>"$SCRATCH/merge.err" || merge_rc=$?
expect_eq "$merge_rc" 2 "merge with a shard missing fails"
expect_file_has "$SCRATCH/merge.err" "shard(s) 2 of 3 missing" "... naming the missing shard"
# Shards that split differently (other times) are caught, not merged.
rt ACCEL=tcg -- -t --shard 2/3
printf '%s\n' "$OUT" >"$SCRATCH/other2.tap"
merge_rc=0
"$TAPTOOL" merge "$SCRATCH/s1.tap" "$SCRATCH/other2.tap" "$SCRATCH/s3.tap" >/dev/null \
    2>"$SCRATCH/merge.err" || merge_rc=$?
if ((merge_rc == 2)) && grep -q "did not agree on the partition" "$SCRATCH/merge.err"; then
    ok "shards of different partitions are refused"
elif cmp -s <(results "$SCRATCH/other2.tap" | sed 's/ (cost: [^)]*)$//') \
    <(results "$SCRATCH/s2.tap" | sed 's/ (cost: [^)]*)$//'); then
    # Same partition by chance: the shard headers differ only in the cost source.
    ok "shards of different partitions are refused # SKIP both partitions happen to agree"
else
    not_ok "shards of different partitions are refused" "merge exit $merge_rc: $(cat "$SCRATCH/merge.err")"
fi

# The commands of .gitlab-ci.yml, as GitLab would run them (3 nodes, then the
# report job), in a scratch directory with this tree's runner and nvmx-tap.
if python3 -c 'import yaml' 2>/dev/null; then
    ci=$SCRATCH/ci
    mkdir -p "$ci/build/host"
    printf '#!/bin/sh\nexec %q "$@"\n' "$ROOT/run_tests.sh" >"$ci/run_tests.sh"
    chmod +x "$ci/run_tests.sh"
    ln -s "$TAPTOOL" "$ci/build/host/nvmx-tap"
    # ci_script JOB: the job's script lines that run the suite or merge.
    ci_script() {
        python3 -c 'import sys, yaml
for line in yaml.safe_load(open(sys.argv[1]))[sys.argv[2]]["script"]:
    if "run_tests.sh" in line or "nvmx-tap merge" in line or line.startswith("mkdir"):
        print(line)' "$ROOT/.gitlab-ci.yml" "$1"
    }
    nodes=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["suite"]["parallel"])' \
        "$ROOT/.gitlab-ci.yml")
    # The job's own variables (NVMX_SHARD_FROM_CI: the opt-in to CI_NODE_*).
    from_ci=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["suite"].get("variables", {}).get("NVMX_SHARD_FROM_CI", ""))' \
        "$ROOT/.gitlab-ci.yml")
    suite=$(ci_script suite) report=$(ci_script report)
    for ((i = 1; i <= nodes; i++)); do
        (cd "$ci" && NVMX_SHARD_FROM_CI=$from_ci CI_NODE_INDEX=$i CI_NODE_TOTAL=$nodes ACCEL=tcg NVMX_CFG="$SCRATCH/unittests.cfg" \
            bash -c "$suite") >/dev/null 2>&1
    done
    ci_rc=0
    (cd "$ci" && bash -c "$report") >"$ci/out" 2>&1 || ci_rc=$?
    expect_eq "$ci_rc" "$full_rc" ".gitlab-ci.yml: $nodes suite nodes + report job run; report exits like the unsharded run"
    diff_out=$(diff <(results "$SCRATCH/full.tap") <(results "$ci/report.tap") 2>&1)
    expect_eq "$diff_out" "" ".gitlab-ci.yml: report.tap equals the unsharded TAP case by case"
    expect_eq "$(grep -c '<testsuite ' "$ci/report.xml" 2>/dev/null)" 8 ".gitlab-ci.yml: report.xml has every entry"
else
    ok ".gitlab-ci.yml commands # SKIP python3-yaml not installed"
fi

done_testing
