#include "tap/tapmerge.hh"

#include <cstdio>
#include <set>

#include "common/strutil.hh"

namespace nvmx::tap {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view ltrim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    return s;
}

// Escapes '#' and '\' for a TAP description.
std::string escape(std::string_view s)
{
    std::string out;
    for (char c : s) {
        if (c == '#' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

std::string plural(int n, std::string_view one, std::string_view many)
{
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

Case runner_case(const EntryInfo& info, bool ok, std::string_view what)
{
    Case c;
    c.ok = ok;
    c.desc = escape(info.name) + ": " + escape(what);
    c.from_runner = true;
    return c;
}

Case runner_failure(const EntryInfo& info, std::string_view what,
                    std::vector<std::pair<std::string, std::string>> yaml = {})
{
    Case c = runner_case(info, false, what);
    if (!yaml.empty()) {
        c.yaml.push_back("  ---");
        for (auto& [k, v] : yaml)
            c.yaml.push_back("  " + k + ": " + yaml_quote(v));
        c.yaml.push_back("  ...");
    }
    return c;
}

// The first case description that an earlier case already has ("" if none).
std::string first_duplicate_desc(const std::vector<Case>& cases)
{
    std::set<std::string> seen;
    for (const Case& c : cases)
        if (!seen.insert(c.desc).second)
            return c.desc;
    return "";
}

std::string format_duration(double s)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f s", s);
    return buf;
}

} // namespace

Kind Case::kind() const
{
    if (directive == Directive::Skip)
        return Kind::Skip;
    if (directive == Directive::Todo)
        return ok ? Kind::XPass : Kind::XFail;
    return ok ? Kind::Pass : Kind::Fail;
}

void Counts::add(Kind k)
{
    switch (k) {
    case Kind::Pass:
    case Kind::XPass: passed++; break;
    case Kind::Fail: failed++; break;
    case Kind::Skip: skipped++; break;
    case Kind::XFail: xfail++; break;
    }
}

Counts& Counts::operator+=(const Counts& o)
{
    passed += o.passed;
    failed += o.failed;
    skipped += o.skipped;
    xfail += o.xfail;
    return *this;
}

std::optional<Case> parse_result_line(std::string_view line)
{
    Case c;
    std::string_view s = line;
    if (starts_with(s, "not ok")) {
        s.remove_prefix(6);
    } else if (starts_with(s, "ok")) {
        c.ok = true;
        s.remove_prefix(2);
    } else {
        return std::nullopt;
    }
    if (!s.empty() && s.front() != ' ' && s.front() != '\t')
        return std::nullopt;
    s = ltrim(s);
    while (!s.empty() && s.front() >= '0' && s.front() <= '9')
        s.remove_prefix(1);
    s = ltrim(s);
    if (s == "-")
        s = {};
    else if (starts_with(s, "- "))
        s.remove_prefix(2);
    size_t hash = std::string_view::npos;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '#') {
            hash = i;
            break;
        }
    }
    if (hash != std::string_view::npos) {
        std::string_view dir = trim(s.substr(hash + 1));
        std::string low = lower(dir.substr(0, 4));
        size_t word_end = dir.find_first_of(" \t");
        std::string_view rest =
            word_end == std::string_view::npos ? std::string_view{} : trim(dir.substr(word_end));
        if (low == "skip") {
            c.directive = Directive::Skip;
        } else if (low == "todo" && (dir.size() == 4 || dir[4] == ' ' || dir[4] == '\t')) {
            c.directive = Directive::Todo;
        }
        if (c.directive != Directive::None) {
            c.reason = std::string(rest);
            s = s.substr(0, hash);
        }
    }
    c.desc = std::string(trim(s));
    return c;
}

std::string unescape(std::string_view desc)
{
    std::string out;
    for (size_t i = 0; i < desc.size(); i++) {
        if (desc[i] == '\\' && i + 1 < desc.size() && (desc[i + 1] == '#' || desc[i + 1] == '\\'))
            i++;
        out += desc[i];
    }
    return out;
}

KernelOutput parse_kernel_output(std::string_view text)
{
    KernelOutput out;
    auto lines = split_lines(text);
    size_t begin = 0, end = lines.size();
    for (size_t i = 0; i < lines.size(); i++) {
        if (lines[i] == kSerialBegin) {
            begin = i + 1;
            for (size_t j = begin; j < lines.size(); j++)
                if (lines[j] == kSerialEnd) {
                    end = j;
                    break;
                }
            for (size_t j = end; j < lines.size(); j++)
                if (starts_with(lines[j], "BACKEND-ERROR: "))
                    out.backend_errors.push_back(printable(lines[j].substr(15)));
            break;
        }
    }
    std::vector<std::string> pending;
    bool in_yaml = false;
    for (size_t i = begin; i < end; i++) {
        // The coverage stream of a coverage build (lib/coverage.cc) is data
        // for scripts/coverage.sh, not kernel output.
        if (starts_with(lines[i], "# GCOV"))
            continue;
        std::string line = printable(lines[i]);
        std::string_view t = trim(line);
        if (out.tail.size() == kTailLines)
            out.tail.erase(out.tail.begin());
        out.tail.push_back(line);
        if (in_yaml) {
            out.cases.back().yaml.push_back(line);
            if (t == "...")
                in_yaml = false;
            continue;
        }
        if (starts_with(t, "EXIT: STATUS=")) {
            auto n = parse_uint(trim(t.substr(13)));
            out.exit_status = n ? *n : -1;
            break;
        }
        if (!t.empty())
            out.last_line = std::string(t);
        if (starts_with(t, "TAP version")) {
            out.saw_version = true;
        } else if (auto c = parse_result_line(line)) {
            c->comments_before = std::move(pending);
            pending.clear();
            out.cases.push_back(std::move(*c));
        } else if (t == "---" && line.front() == ' ' && !out.cases.empty() &&
                   out.cases.back().yaml.empty()) {
            in_yaml = true;
            out.cases.back().yaml.push_back(line);
        } else if (starts_with(line, "1..")) {
            if (auto n = parse_uint(trim(std::string_view(line).substr(3))))
                out.plan = *n;
        } else if (starts_with(line, "#")) {
            std::string_view text = trim(std::string_view(line).substr(1));
            // In TAP mode a kernel prints its ERROR line as a comment.
            if (starts_with(text, "ERROR:"))
                out.errors.emplace_back(text);
            pending.emplace_back(text);
        } else if (starts_with(t, "Bail out!")) {
            out.bail_out = std::string(trim(t.substr(9)));
        } else if (starts_with(t, "ERROR:")) {
            out.errors.emplace_back(t);
        }
    }
    if (in_yaml)
        out.cases.back().yaml.push_back("  ...");
    out.trailing_comments = std::move(pending);
    return out;
}

EntryReport evaluate(const EntryInfo& info, const KernelOutput& out)
{
    EntryReport r;
    r.info = info;
    if (info.result == RunResult::Skipped) {
        Case c;
        c.ok = true;
        c.desc = escape(info.name);
        c.directive = Directive::Skip;
        c.reason = info.skip_reason;
        r.cases.push_back(c);
        r.counts.add(Kind::Skip);
        r.verdict = Verdict::Skip;
        r.detail = info.skip_reason;
        return r;
    }
    if (info.result == RunResult::Error) {
        r.cases.push_back(runner_failure(info, info.skip_reason));
        r.counts.add(Kind::Fail);
        r.verdict = Verdict::Fail;
        r.detail = info.skip_reason;
        return r;
    }
    const std::string prefix = escape(info.name) + ": ";
    for (const Case& k : out.cases) {
        Case c = k;
        c.desc = prefix + k.desc;
        r.cases.push_back(std::move(c));
    }
    r.trailing_comments = out.trailing_comments;
    const int reported = static_cast<int>(out.cases.size());
    std::string duplicate = first_duplicate_desc(out.cases);
    int kernel_failed = 0;
    for (const Case& c : out.cases)
        kernel_failed += c.kind() == Kind::Fail;

    std::string special;
    if (out.bail_out) {
        r.cases.push_back(runner_failure(info, "Bail out! " + *out.bail_out));
        special = "Bail out! " + *out.bail_out;
    }
    if (info.result == RunResult::Timeout) {
        std::string what = "timeout after " + std::to_string(info.timeout_s) + "s";
        r.cases.push_back(runner_failure(info, what, {{"log", info.log_path}}));
        special = what;
        if (reported)
            special += ", " + plural(reported, "test", "tests") + " before it";
    } else if (!out.exit_status) {
        std::string what = "crash (no EXIT line; see " + info.log_path + ")";
        std::vector<std::pair<std::string, std::string>> yaml;
        if (!out.last_line.empty())
            yaml.emplace_back("last_output", out.last_line);
        for (auto& e : out.backend_errors)
            yaml.emplace_back("backend_error", e);
        r.cases.push_back(runner_failure(info, what, yaml));
        special = "crash: no EXIT line; see " + info.log_path;
        if (!out.backend_errors.empty())
            special = "crash: " + out.backend_errors[0] + "; see " + info.log_path;
    } else {
        int st = *out.exit_status;
        if (st == 2) {
            std::string first = out.errors.empty() ? "ERROR: (no ERROR line)" : out.errors[0];
            std::string all = join(out.errors, "; ");
            r.cases.push_back(runner_failure(info, "error (EXIT: STATUS=2): " + first,
                                             {{"message", all.empty() ? first : all},
                                              {"log", info.log_path}}));
            special = first;
        } else if (st != 0 && st != 1 && st != 77) {
            std::string what = "unexpected exit status " +
                               (st < 0 ? std::string("(unreadable)") : std::to_string(st));
            r.cases.push_back(runner_failure(info, what, {{"log", info.log_path}}));
            special = what;
        } else {
            if (!out.plan && !(st == 77 && reported == 0)) {
                r.cases.push_back(runner_failure(info, "no TAP plan (1..N) before EXIT"));
                special = "no TAP plan";
            } else if (out.plan && *out.plan != reported) {
                std::string what = "plan 1.." + std::to_string(*out.plan) + " but " +
                                   std::to_string(reported) + " results";
                r.cases.push_back(runner_failure(info, what));
                special = what;
            }
            if (!duplicate.empty()) {
                std::string what = "duplicate case name '" + unescape(duplicate) +
                                   "' (case names must be unique within an entry)";
                r.cases.push_back(runner_failure(info, what));
                special = what;
            }
            if (st == 1 && kernel_failed == 0) {
                r.cases.push_back(runner_failure(info, "EXIT: STATUS=1 but no case failed"));
                special = "EXIT: STATUS=1 but no case failed";
            } else if (st == 0 && reported == 0) {
                r.cases.push_back(runner_failure(info, "no test results (EXIT: STATUS=0)"));
                special = "no test results";
            } else if (st == 77 && reported == 0) {
                Case c;
                c.ok = true;
                c.desc = escape(info.name);
                c.directive = Directive::Skip;
                c.reason = "kernel skipped every case (EXIT: STATUS=77)";
                r.cases.push_back(c);
            }
        }
    }

    for (const Case& c : r.cases)
        r.counts.add(c.kind());
    const Counts& n = r.counts;
    if (n.failed) {
        r.verdict = Verdict::Fail;
        if (!special.empty())
            r.detail = special;
        else
            r.detail = plural(n.total(), "test", "tests") + ", " + std::to_string(n.failed) +
                       " failed";
    } else if (n.passed + n.xfail == 0) {
        r.verdict = Verdict::Skip;
        r.detail = n.total() == 1 && !r.cases.empty() && r.cases[0].desc == escape(info.name)
                       ? r.cases[0].reason
                       : plural(n.total(), "test", "tests") + ", all skipped";
    } else {
        r.verdict = Verdict::Pass;
        r.detail = plural(n.total(), "test", "tests");
        if (n.skipped)
            r.detail += ", " + std::to_string(n.skipped) + " skipped";
        if (n.xfail)
            r.detail += ", " + std::to_string(n.xfail) + " xfail";
        int xpass = 0;
        for (const Case& c : r.cases)
            xpass += c.kind() == Kind::XPass;
        if (xpass)
            r.detail += ", " + std::to_string(xpass) + " xpass";
    }
    return r;
}

namespace {

// One "xpass <entry: case>" line per unexpected pass, after the counters.
std::string xpassed_lines(const Totals& t)
{
    std::string s;
    for (const std::string& x : t.xpassed)
        s += "xpass " + printable(x) + "\n";
    return s;
}

} // namespace

std::string totals_to_string(const Totals& t)
{
    return "next=" + std::to_string(t.next) + " passed=" + std::to_string(t.counts.passed) +
           " failed=" + std::to_string(t.counts.failed) +
           " skipped=" + std::to_string(t.counts.skipped) +
           " xfail=" + std::to_string(t.counts.xfail) +
           " entries_failed=" + std::to_string(t.entries_failed) + "\n" + xpassed_lines(t);
}

std::optional<Totals> totals_from_string(std::string_view s)
{
    Totals t;
    int seen = 0;
    auto lines = split_lines(s);
    for (size_t i = 1; i < lines.size(); i++) {
        if (starts_with(lines[i], "xpass "))
            t.xpassed.push_back(lines[i].substr(6));
        else if (!lines[i].empty())
            return std::nullopt;
    }
    for (auto& kv : split_blanks(lines.empty() ? std::string_view{} : lines[0])) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos)
            return std::nullopt;
        auto v = parse_uint(std::string_view(kv).substr(eq + 1));
        if (!v)
            return std::nullopt;
        std::string k = kv.substr(0, eq);
        if (k == "next") t.next = *v;
        else if (k == "passed") t.counts.passed = *v;
        else if (k == "failed") t.counts.failed = *v;
        else if (k == "skipped") t.counts.skipped = *v;
        else if (k == "xfail") t.counts.xfail = *v;
        else if (k == "entries_failed") t.entries_failed = *v;
        else return std::nullopt;
        seen++;
    }
    if (seen != 6)
        return std::nullopt;
    return t;
}

namespace {

void account(const EntryReport& r, Totals& t)
{
    t.counts += r.counts;
    for (const Case& c : r.cases)
        if (c.kind() == Kind::XPass)
            t.xpassed.push_back(unescape(c.desc));
    if (r.verdict == Verdict::Fail)
        t.entries_failed++;
}

std::string backend_note(const EntryReport& r)
{
    std::string s = "backend " + (r.info.backend.empty() ? "none" : r.info.backend);
    if (r.info.duration_s >= 0)
        s += ", " + format_duration(r.info.duration_s);
    if (!r.info.log_path.empty() && r.info.result != RunResult::Skipped)
        s += ", log " + r.info.log_path;
    return s;
}

} // namespace

std::string render_tap(const EntryReport& r, Totals& t)
{
    std::string s;
    const std::string name = r.info.name;
    s += "# " + name + ": " + backend_note(r) + "\n";
    for (const Case& c : r.cases) {
        for (auto& com : c.comments_before)
            s += "# " + name + ": " + com + "\n";
        s += (c.ok ? "ok " : "not ok ") + std::to_string(t.next++) + " - " + c.desc;
        if (c.directive != Directive::None) {
            s += c.directive == Directive::Skip ? " # SKIP" : " # TODO";
            if (!c.reason.empty())
                s += " " + c.reason;
        }
        s += "\n";
        for (auto& y : c.yaml)
            s += y + "\n";
    }
    for (auto& com : r.trailing_comments)
        s += "# " + name + ": " + com + "\n";
    account(r, t);
    return s;
}

std::vector<std::string> stack_comments(const std::vector<std::string>& comments)
{
    std::vector<std::string> out;
    for (const std::string& c : comments) {
        bool frame = c.size() > 1 && c[0] == '#' && c[1] >= '0' && c[1] <= '9';
        if (starts_with(c, "STACK: ") || frame || starts_with(c, "(inlined by) "))
            out.push_back(c);
    }
    return out;
}

std::string render_human(const EntryReport& r, bool verbose, Totals& t)
{
    static constexpr const char* kVerdict[] = {"PASS", "FAIL", "SKIP"};
    std::string s = std::string(kVerdict[static_cast<int>(r.verdict)]) + " " + r.info.name;
    if (!r.detail.empty())
        s += " (" + r.detail + ")";
    s += "\n";
    if (verbose) {
        s += "  " + backend_note(r) + "\n";
        for (const Case& c : r.cases) {
            static constexpr const char* kKind[] = {"PASS", "FAIL", "SKIP", "XFAIL", "XPASS"};
            if (r.verdict == Verdict::Skip && r.info.result == RunResult::Skipped)
                break;
            s += std::string("  ") + kKind[static_cast<int>(c.kind())] + ": " + unescape(c.desc);
            if (!c.reason.empty())
                s += " (" + c.reason + ")";
            s += "\n";
            for (auto& y : c.yaml)
                s += "  " + y + "\n";
            // Backtraces (symbolized by scripts/stacks.sh) of a failure.
            if (c.kind() == Kind::Fail)
                for (auto& l : stack_comments(c.from_runner ? r.trailing_comments : c.comments_before))
                    s += "    " + l + "\n";
        }
    }
    account(r, t);
    return s;
}

std::string render_summary(const Totals& t, bool tap)
{
    std::string s;
    const Counts& c = t.counts;
    // TAP: the closing lines are comments and the plan ends the stream, so
    // that the output is exactly TAP; human: SUMMARY is the last line.
    const std::string pre = tap ? "# " : "";
    if (c.xfail)
        s += pre + "XFAIL: " + plural(c.xfail, "known deviation", "known deviations") +
             " (see errata)\n";
    if (!t.xpassed.empty()) {
        // A backend version that fixed an erratum: its check passes now.
        const size_t shown = 3;
        std::string names;
        for (size_t i = 0; i < t.xpassed.size() && i < shown; i++)
            names += (i ? "; " : "") + t.xpassed[i];
        if (t.xpassed.size() > shown)
            names += "; ...";
        s += pre + "XPASS: " + std::to_string(t.xpassed.size()) +
             (t.xpassed.size() == 1 ? " - erratum no longer applies: " : " - errata no longer apply: ") +
             names + "\n";
    }
    s += pre + "SUMMARY: " + std::to_string(c.passed) + " passed, " +
         std::to_string(c.failed) + " failed, " + std::to_string(c.skipped) + " skipped\n";
    if (tap)
        s += "1.." + std::to_string(t.next - 1) + "\n";
    return s;
}

std::string yaml_quote(std::string_view s)
{
    std::string out = "'";
    for (char c : printable(s)) {
        if (c == '\'')
            out += '\'';
        out += c;
    }
    return out + "'";
}

} // namespace nvmx::tap
