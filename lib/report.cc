// Result accounting and rendering (human lines or TAP13).
#include "report.hh"
#include "console.hh"
#include "name_set.hh"
#include "string.hh"
#include "tap.hh"

namespace {

constexpr int MAX_PREFIXES = 8;
const char* g_prefixes[MAX_PREFIXES];
int g_depth = 0;
bool g_tap = false;
unsigned g_total, g_failures, g_xfails, g_skips, g_xpasses;
NameSet g_names;       // every result name of this run, to refuse duplicates
bool g_names_full = false;

void format_description(char* buf, usize size, const char* name)
{
    usize pos = 0;
    auto append = [&](const char* s) {
        while (*s && pos + 1 < size)
            buf[pos++] = *s++;
    };
    for (int i = 0; i < g_depth; i++) {
        append(g_prefixes[i]);
        append(": ");
    }
    append(name);
    buf[pos] = '\0';
}

const char* human_tag(Outcome o)
{
    switch (o) {
    case Outcome::Pass: return "PASS";
    case Outcome::Fail: return "FAIL";
    case Outcome::Skip: return "SKIP";
    case Outcome::XFail: return "XFAIL";
    case Outcome::XPass: return "XPASS";
    case Outcome::Error: return "ERROR";
    }
    return "?";
}

} // namespace

void report_prefix_push(const char* prefix)
{
    if (g_depth < MAX_PREFIXES)
        g_prefixes[g_depth] = prefix;
    g_depth++;
}

void report_prefix_pop()
{
    if (g_depth > 0)
        g_depth--;
}

void report_begin(bool tap)
{
    g_tap = tap;
    console_set_tap(tap);
    if (tap)
        tap_version(console_raw());
}

unsigned report_count() { return g_total; }

namespace {

// Counts and prints one result with its full description desc.
void emit_result(Outcome o, const char* desc, const char* reason, const Diagnostic* diag, const char* file,
                 unsigned line)
{
    g_total++;
    switch (o) {
    case Outcome::Fail:
    case Outcome::Error: g_failures++; break;
    case Outcome::Skip: g_skips++; break;
    case Outcome::XFail: g_xfails++; break;
    case Outcome::XPass: g_xpasses++; break;
    case Outcome::Pass: break;
    }
    console_end_line();
    if (!g_tap) {
        if (reason)
            printf("%s: %s (%s)\n", human_tag(o), desc, reason);
        else
            printf("%s: %s\n", human_tag(o), desc);
        if (o == Outcome::Fail || o == Outcome::Error) {
            printf("    at %s:%u\n", file, line);
            if (diag && diag->expected)
                printf("    expected: %s\n    actual:   %s\n", diag->expected, diag->actual);
        }
        return;
    }
    const Sink& out = console_raw();
    bool ok = o == Outcome::Pass || o == Outcome::Skip || o == Outcome::XPass;
    TapDirective dir = o == Outcome::Skip                              ? TapDirective::Skip
                       : (o == Outcome::XFail || o == Outcome::XPass) ? TapDirective::Todo
                                                                       : TapDirective::None;
    tap_result(out, g_total, ok, desc, dir, reason);
    if (o == Outcome::Fail || o == Outcome::Error || o == Outcome::XFail) {
        char where[160];
        snformat(where, sizeof(where), "%s:%u", file, line);
        tap_yaml_begin(out);
        tap_yaml_field(out, "severity", o == Outcome::Error ? "error" : o == Outcome::XFail ? "todo" : "fail");
        tap_yaml_field(out, "at", where);
        if (diag && diag->expected) {
            tap_yaml_field(out, "expected", diag->expected);
            tap_yaml_field(out, "actual", diag->actual);
        }
        tap_yaml_end(out);
    }
}

} // namespace

void report_result(Outcome o, const char* name, const char* reason, const Diagnostic* diag,
                   const char* file, unsigned line)
{
    char desc[512];
    format_description(desc, sizeof(desc), name);
    emit_result(o, desc, reason, diag, file, line);
    // A name reported twice makes results ambiguous (which one failed?):
    // the second use is also an ERROR of the test itself.
    switch (g_names.insert(desc)) {
    case NameSet::Insert::New: break;
    case NameSet::Insert::Duplicate: {
        char dup[600];
        snformat(dup, sizeof(dup), "%s: duplicate check name (reported more than once)", desc);
        Diagnostic d{"a name used once in the entry", "the same name again"};
        emit_result(Outcome::Error, dup, nullptr, &d, file, line);
        break;
    }
    case NameSet::Insert::Full:
        if (!g_names_full) {
            g_names_full = true;
            emit_result(Outcome::Error, "more results than the duplicate-name check holds (lib/name_set.hh CAPACITY)",
                        nullptr, nullptr, file, line);
        }
        break;
    }
}

ExitStatus report_summary()
{
    console_end_line();
    if (g_tap)
        tap_plan(console_raw(), g_total);
    printf("SUMMARY: %u tests, %u unexpected failures, %u expected failures, %u skipped\n", g_total,
           g_failures, g_xfails, g_skips);
    if (g_xpasses)
        printf("NOTE: %u checks with a known deviation passed (XPASS)\n", g_xpasses);
    if (g_failures)
        return ExitStatus::Fail;
    if (g_total && g_skips == g_total)
        return ExitStatus::Skip;
    return ExitStatus::Pass;
}
