// Case selection and the guarded run loop.
#include "testcase.hh"
#include "console.hh"
#include "errata.hh"
#include "glob.hh"
#include "report.hh"
#include "string.hh"
#include "x86/exceptions.hh"
#include "x86/fault.hh"

// Prints run statistics (a console line each) before the summary. This weak
// default prints nothing; lib/x86/vmx/guest.cc overrides it with the VM-exit count.
[[gnu::weak]] void report_run_stats() {}

namespace {

RunOptions g_options;
void (*g_abort_hook)() = nullptr;

constexpr int MAX_SELECTORS = 64;

void list_cases(Span<const TestCase> cases, const char* tag)
{
    for (const TestCase& c : cases)
        printf("%s%s\n", tag, c.name);
}

bool matches_any(const char* name, const char* const* patterns, int n)
{
    for (int i = 0; i < n; i++)
        if (glob_match(patterns[i], name))
            return true;
    return false;
}

// Runs one case body under a recovery point; an unexpected exception fails it.
void run_guarded(const TestCase& c)
{
    static JmpBuf buf;
    static UnexpectedException info;
    unsigned before = report_count();
    if (nvmx_setjmp(&buf) == 0) {
        set_recovery_point(&buf, &info);
        c.body();
        clear_recovery_point();
    } else {
        char what[96];
        snformat(what, sizeof(what), "unexpected %s (error code %#lx) at rip %#lx",
                 exception_name(info.vector), info.error_code, info.rip);
        report_error("%s", what);
        if (g_abort_hook)
            g_abort_hook();
        return;
    }
    if (report_count() == before)
        report_error("case reported no result");
}

} // namespace

const RunOptions& run_options() { return g_options; }
void set_case_abort_hook(void (*hook)()) { g_abort_hook = hook; }

ExitStatus run_test_cases(Span<const TestCase> cases, int argc, char** argv)
{
    const char* include[MAX_SELECTORS];
    const char* exclude[MAX_SELECTORS];
    int n_include = 0, n_exclude = 0;
    const char* error = nullptr;
    const char* bad = nullptr;

    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
        if (strcmp(a, "--tap") == 0) {
            g_options.tap = true;
        } else if (strcmp(a, "--list") == 0) {
            g_options.list = true;
        } else if (starts_with(a, "--backend=")) {
            g_options.backend = a + strlen("--backend=");
        } else if (starts_with(a, "--")) {
            error = "unknown option", bad = a;
        } else if (a[0] == '-' && a[1]) {
            if (n_exclude < MAX_SELECTORS)
                exclude[n_exclude++] = a + 1;
        } else if (n_include < MAX_SELECTORS) {
            include[n_include++] = a;
        }
    }
    if (g_options.list) {
        list_cases(cases, "CASE: ");
        return ExitStatus::Pass;
    }
    report_begin(g_options.tap);
    if (const char* dev = console_device())
        printf("console: %s\n", dev);
    for (int i = 0; !error && i < n_include; i++) {
        bool hit = false;
        for (const TestCase& c : cases)
            hit = hit || glob_match(include[i], c.name);
        if (!hit)
            error = glob_has_wildcard(include[i]) ? "no test case matches" : "unknown test case",
            bad = include[i];
    }
    for (int i = 0; !error && i < n_exclude; i++) {
        bool hit = false;
        for (const TestCase& c : cases)
            hit = hit || glob_match(exclude[i], c.name);
        if (!hit)
            error = "exclusion matches no test case", bad = exclude[i];
    }
    if (error) {
        printf("ERROR: %s '%s'\nAvailable test cases:\n", error, bad);
        list_cases(cases, "  ");
        return ExitStatus::Error;
    }

    for (const TestCase& c : cases) {
        bool selected = (n_include == 0 || matches_any(c.name, include, n_include)) &&
                        !matches_any(c.name, exclude, n_exclude);
        if (!selected)
            continue;
        report_prefix_push(c.name);
        const char* unmet = c.unmet_requirement ? c.unmet_requirement() : nullptr;
        const char* hang = c.hangs_on ? known_hang(c.hangs_on) : nullptr;
        if (unmet)
            report_skip(unmet, "requirements");
        else if (hang)
            report_skip(hang, "not run");
        else
            run_guarded(c);
        report_prefix_pop();
    }
    report_run_stats();
    return report_summary();
}
