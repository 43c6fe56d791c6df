// Merges the TAP13 that each test kernel prints (docs/contract.md) into the
// run's report: one TAP13 stream numbered across entries, or one human line
// per entry, plus the SUMMARY counted per test case.
//
// Pure logic (no I/O) so that tests/host/tapmerge_test.cc covers it.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvmx::tap {

enum class Directive { None, Skip, Todo };
enum class Kind { Pass, Fail, Skip, XFail, XPass };

struct Case {
    bool ok = false;
    std::string desc;                 // TAP-escaped ('\#', '\\'), without "- "
    Directive directive = Directive::None;
    std::string reason;               // directive text after SKIP/TODO
    std::vector<std::string> yaml;    // "  ---" ... "  ..." block, verbatim
    std::vector<std::string> comments_before; // comment texts, without "# "
    bool from_runner = false;         // made by the runner (crash, timeout, ...)
    Kind kind() const;
};

// Parses one TAP result line ("ok 3 - x # SKIP y"); nullopt if it is not one.
std::optional<Case> parse_result_line(std::string_view line);

// "a\#b" -> "a#b", "\\" -> "\".
std::string unescape(std::string_view desc);

struct KernelOutput {
    bool saw_version = false;
    std::vector<Case> cases;
    std::vector<std::string> trailing_comments;
    std::optional<int> plan;
    std::optional<int> exit_status;      // from "EXIT: STATUS=n"
    std::vector<std::string> errors;     // "ERROR: ..." lines (also "# ERROR: ...")
    std::optional<std::string> bail_out; // text after "Bail out!"
    std::string last_line;               // last non-empty line before EXIT
    std::vector<std::string> backend_errors; // "BACKEND-ERROR: x" after kSerialEnd
    std::vector<std::string> tail;       // last kTailLines serial lines (log excerpt)
};

inline constexpr size_t kTailLines = 20;

// Parses a kernel's serial output. When the text holds the runner's log
// markers (kSerialBegin / kSerialEnd lines), only the lines between them are
// read, so a whole logs/<entry>.log can be passed.
inline constexpr std::string_view kSerialBegin = "==== serial output (COM1) ====";
inline constexpr std::string_view kSerialEnd = "==== end of serial output ====";
KernelOutput parse_kernel_output(std::string_view text);

// Error: the runner could not run the entry (e.g. its kernel is missing);
// skip_reason then holds the message.
enum class RunResult { Ran, Timeout, Skipped, Error };

struct EntryInfo {
    std::string name;
    RunResult result = RunResult::Ran;
    std::string skip_reason;
    int timeout_s = 0;
    std::string backend;   // e.g. "qemu-tcg", "bochs cpu=corei7_skylake_x"
    std::string log_path;  // shown in crash messages
    double duration_s = -1;
};

struct Counts {
    int passed = 0;  // ok, and ok # TODO (unexpected pass)
    int failed = 0;  // not ok without TODO, and runner-made failures
    int skipped = 0; // # SKIP
    int xfail = 0;   // not ok # TODO: known deviations
    int total() const { return passed + failed + skipped + xfail; }
    void add(Kind k);
    Counts& operator+=(const Counts& o);
};

enum class Verdict { Pass, Fail, Skip };

struct EntryReport {
    EntryInfo info;
    Verdict verdict = Verdict::Pass;
    std::string detail;       // text in parentheses on the human line
    std::vector<Case> cases;  // descriptions prefixed with "<name>: "
    std::vector<std::string> trailing_comments;
    Counts counts;
};

EntryReport evaluate(const EntryInfo& info, const KernelOutput& out);

struct Totals {
    int next = 1;        // next TAP number
    Counts counts;
    int entries_failed = 0;
    // Unexpected passes of known deviations ("ok # TODO"): "entry: case",
    // shown in the closing lines (an erratum that no longer applies).
    std::vector<std::string> xpassed;
};

std::string totals_to_string(const Totals& t);
std::optional<Totals> totals_from_string(std::string_view s);

// Renders the entry and advances the totals.
std::string render_tap(const EntryReport& r, Totals& t);
std::string render_human(const EntryReport& r, bool verbose, Totals& t);

// The backtrace comments among a case's comments: "STACK: ..." and the frame
// lines scripts/stacks.sh adds ("#0 0x... f() at file:line", "(inlined by) ...").
// render_human shows them under a failing case in verbose mode.
std::vector<std::string> stack_comments(const std::vector<std::string>& comments);

// Human: "XFAIL: ..." (only when there are known deviations), "XPASS: N -
// erratum no longer applies: ..." (only when a known deviation passed), then
// "SUMMARY: N passed, M failed, K skipped" last. TAP: the same lines as
// comments ("# SUMMARY: ..."), then the plan "1..N" last.
std::string render_summary(const Totals& t, bool tap);

// Single-quoted YAML scalar.
std::string yaml_quote(std::string_view s);

} // namespace nvmx::tap
