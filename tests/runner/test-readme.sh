#!/usr/bin/env bash
# Issue 10 item 9: the README's examples work as written. Its unittests.cfg
# example is accepted (comments after values) and selects the cases it says;
# a duplicated case name fails the entry; the "writing an EPT test" kernel
# (built by runner.mk from the README's text) passes on Bochs.
# shellcheck source=tests/runner/lib.sh
source "$(dirname "$0")/lib.sh"

# The first ```ini block after "## x86/unittests.cfg".
sed -n '/^## x86\/unittests.cfg/,$p' "$ROOT/README.md" |
    sed -n "/^\`\`\`ini/,/^\`\`\`/p" | sed '1d;$d' >"$SCRATCH/readme.cfg"
if [[ -s $SCRATCH/readme.cfg ]]; then ok "README has a unittests.cfg example"; else not_ok "README has a unittests.cfg example"; fi
rec=$("$ROOT/build/host/nvmx-cfg" "$SCRATCH/readme.cfg" 2>&1)
expect_eq "$?" "0" "the README's cfg example is accepted as written ($rec)"
expect_eq "$(grep -o $'\targs=[^\t]*' <<<"$rec")" $'\targs=access_4k -access_1g' \
    "the example's kernel args are its case selectors, nothing else"
expect_eq "$(grep -o $'\taccel=[^\t]*' <<<"$rec")" $'\taccel=kvm bochs' "accel list"
rt NVMX_CFG="$SCRATCH/readme.cfg" -- -l
expect_rc 0 "run_tests.sh -l takes the README's example"
expect_eq "$OUT" "ept_access" "and lists its entry"

# A duplicated case name (e.g. a duplicated table row) fails the entry.
cfg_write <<'CFG'
[dup]
file = @FIX@/dupname.flat
CFG
rt ACCEL=tcg
expect_rc 1 "duplicate case names fail"
expect_out "FAIL dup (duplicate case name 'RX write: EPT violation' (case names must be unique within an entry))" \
    "the result line names the duplicate"

# The "writing an EPT test" example.
example=$ROOT/build/runner/readme/ept_example.flat
if [[ ! -r $example ]]; then
    not_ok "README EPT example built" "$example missing (make readme-example)"
elif bochs_ok; then
    cfg_write <<CFG
[ept_example]
file = $example
requires = vmx
CFG
    rt ACCEL=bochs -- -v
    expect_rc 0 "the README's EPT example passes on Bochs"
    expect_out "PASS ept_example (6 tests)" "6 checks"
    expect_out "PASS: ept_example: ro_write: write: qualification bits 5:3 = R" "the violation's qualification is checked"
    rt ACCEL=bochs -- -t ept_example:ro_read
    expect_last_line "1..2" "ept_example:ro_read runs only that case"
else
    ok "README EPT example built # SKIP Bochs backend not usable here"
fi

# Issue 16 item 19: the README's counts match the tree: the entries of -g ept,
# and the kvm-in-bochs `ept` group's cases in the prose equal its table row.
readme_n=$(sed -n 's/.*-g ept` (\([0-9]*\) entries).*/\1/p' "$ROOT/README.md" | head -n1)
real_n=$(cd "$ROOT" && ./run_tests.sh -l -g ept | wc -l)
expect_eq "$readme_n" "$real_n" "item 19: README's '-g ept (N entries)' is the number -l -g ept lists"
# shellcheck disable=SC2016 # backquotes of the README's Markdown
row=$(grep -F '| `ACCEL=kvm-in-bochs ./run_tests.sh -j2 -g ept`, first run' "$ROOT/README.md" | head -n1)
table_sum=$(grep -oE '[0-9]+ (passed|skipped|XFAIL)' <<<"$row" | awk '{ s += $1 } END { print s + 0 }')
# shellcheck disable=SC2016 # backquotes of the README's Markdown
prose=$(sed -n 's/.*the `ept` group, \([0-9]*\) cases.*/\1/p' "$ROOT/README.md" | head -n1)
expect_eq "$prose" "$table_sum" "item 19: the kvm-in-bochs ept group's case count in the text equals its table row"

done_testing
