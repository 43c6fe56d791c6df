// Test reporting: every check is exactly one reported line. Human mode prints
// PASS:/FAIL:/SKIP:/XFAIL:/XPASS:/ERROR: lines; TAP mode prints one TAP13
// result per check, with a YAML block (file:line, expected/actual) on failures.
#pragma once
#include "format.hh"
#include "x86/exit.hh"

// A format string together with the file:line of the call that passed it.
struct Here {
    const char* fmt;
    const char* file;
    unsigned line;
    constexpr Here(const char* f, const char* file_ = __builtin_FILE(), unsigned line_ = __builtin_LINE())
        : fmt(f), file(file_), line(line_) {}
};

enum class Outcome : u8 { Pass, Fail, Skip, XFail, XPass, Error };

// Optional expected/actual text shown with a failure.
struct Diagnostic {
    const char* expected = nullptr;
    const char* actual = nullptr;
};

// Records one result. name is the already-formatted check name; reason is the
// skip reason or the known deviation.
void report_result(Outcome outcome, const char* name, const char* reason, const Diagnostic* diag,
                   const char* file, unsigned line);

// Formats a check name into buf (helper for the templates below).
template <class... Args>
const char* report_format_name(char* buf, usize size, const char* fmt, const Args&... args)
{
    snformat(buf, size, fmt, args...);
    return buf;
}

constexpr usize REPORT_NAME_MAX = 256;

// PASS/FAIL, or XPASS/XFAIL when the check hits a known deviation.
constexpr Outcome check_outcome(bool pass, const char* deviation)
{
    if (deviation)
        return pass ? Outcome::XPass : Outcome::XFail;
    return pass ? Outcome::Pass : Outcome::Fail;
}

// The one primitive behind every pass/fail check: reports pass as PASS/FAIL
// (XPASS/XFAIL with a deviation, see errata.hh), showing diag (may be null)
// on failure. Returns pass.
template <class... Args>
bool report_check(bool pass, const Diagnostic* diag, const char* deviation, Here fmt, const Args&... args)
{
    char name[REPORT_NAME_MAX];
    report_format_name(name, sizeof(name), fmt.fmt, args...);
    report_result(check_outcome(pass, deviation), name, deviation, diag, fmt.file, fmt.line);
    return pass;
}

// One check: PASS when pass is true, FAIL otherwise. Returns pass.
template <class... Args>
bool report(bool pass, Here fmt, const Args&... args)
{
    return report_check(pass, nullptr, nullptr, fmt, args...);
}

// One check comparing two integers; a failure shows both in hex.
// deviation: a known deviation of the backend (errata.hh) the caller found
// to match this mismatch exactly, or nullptr.
template <class... Args>
bool report_eq_dev(u64 actual, u64 expected, const char* deviation, Here fmt, const Args&... args)
{
    char exp[32], act[32];
    snformat(exp, sizeof(exp), "%#lx", expected);
    snformat(act, sizeof(act), "%#lx", actual);
    Diagnostic d{exp, act};
    return report_check(actual == expected, &d, deviation, fmt, args...);
}

template <class... Args>
bool report_eq(u64 actual, u64 expected, Here fmt, const Args&... args)
{
    return report_eq_dev(actual, expected, nullptr, fmt, args...);
}

// One check of a measured value: the value goes to the failure diagnostic
// (actual, in hex), never into the check's name, so names stay stable.
template <class... Args>
bool report_value(bool pass, u64 value, Here fmt, const Args&... args)
{
    char act[32];
    snformat(act, sizeof(act), "%#lx", value);
    Diagnostic d{nullptr, act};
    return report_check(pass, &d, nullptr, fmt, args...);
}

// One check whose expected and actual values are strings.
template <class... Args>
bool report_streq(const char* actual, const char* expected, Here fmt, const Args&... args)
{
    const char *a = actual, *e = expected;
    while (*a && *a == *e)
        a++, e++;
    Diagnostic d{expected, actual};
    return report_check(*a == *e, &d, nullptr, fmt, args...);
}

// A check that cannot run here, with the reason (a missing capability...).
template <class... Args>
void report_skip(const char* reason, Here fmt, const Args&... args)
{
    char name[REPORT_NAME_MAX];
    report_format_name(name, sizeof(name), fmt.fmt, args...);
    report_result(Outcome::Skip, name, reason, nullptr, fmt.file, fmt.line);
}

// A check with a known deviation of the backend (deviation != nullptr): a
// failure is XFAIL (TAP "# TODO deviation"), a pass is XPASS (still shown).
// With deviation == nullptr it is an ordinary check.
template <class... Args>
bool report_xfail(const char* deviation, bool pass, Here fmt, const Args&... args)
{
    return report_check(pass, nullptr, deviation, fmt, args...);
}

// The test or its setup is broken (not the hypervisor): counted as a failure.
template <class... Args>
void report_error(Here fmt, const Args&... args)
{
    char name[REPORT_NAME_MAX];
    report_format_name(name, sizeof(name), fmt.fmt, args...);
    report_result(Outcome::Error, name, nullptr, nullptr, fmt.file, fmt.line);
}

// Prefix stack: results are named "prefix1: prefix2: name".
void report_prefix_push(const char* prefix);
void report_prefix_pop();

// Starts TAP output ("TAP version 13") when tap is true.
void report_begin(bool tap);

// Number of results reported so far (any outcome).
unsigned report_count();

// Prints the plan (TAP) and the SUMMARY line; returns the exit status.
[[nodiscard]] ExitStatus report_summary();
