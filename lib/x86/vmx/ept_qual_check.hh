// Checks of an EPT violation against an expectation from the pure models
// (ept_expect, x86/vmx/ept_qual.hh): the exit with its GLA and GPA, then the
// whole qualification (defined bits compared, undefined bits ignored).
#pragma once
#include "errata.hh"
#include "format.hh"
#include "report.hh"
#include "x86/vmx/ept_qual.hh"
#include "x86/vmx/guest.hh"

// Known backend deviations (ids in lib/errata.cc) a violation check may meet:
// exit: the backend completes the access instead of exiting (applied only
// when the caller saw exactly that); qual: exactly the qualification bits
// qual_bits are wrong, nothing else.
struct ViolationDeviations {
    const char* exit = nullptr;
    const char* qual = nullptr;
    u64 qual_bits = 0;
};

// Two checks: r is an EPT violation at gla/gpa; its qualification matches
// q.qual under q.qual_mask. Returns false when the exit was not the expected
// violation.
template <class... Args>
bool check_violation(const RunResult& r, const EptExpect& q, u64 gla, u64 gpa, const ViolationDeviations* dev,
                     Here fmt, const Args&... args)
{
    char name[REPORT_NAME_MAX];
    report_format_name(name, sizeof(name), fmt.fmt, args...);
    char exp[96];
    snformat(exp, sizeof(exp), "EPT violation GLA %#lx GPA %#lx", gla, gpa);
    char act[160];
    snformat(act, sizeof(act), "%s GLA %#lx GPA %#lx", r.describe(), r.exit.guest_linear, r.exit.guest_phys);
    Diagnostic d{exp, act};
    bool seen = r.exited(ExitReason::EPT_VIOLATION);
    const char* exit_dev = dev && dev->exit ? known_deviation(dev->exit) : nullptr;
    if (!report_check(seen && r.exit.guest_linear == gla && r.exit.guest_phys == gpa, &d, exit_dev, "%s", name))
        return false;
    u64 actual = r.exit.qualification;
    const char* deviation = nullptr;
    if (dev && dev->qual && ept_qual_deviates_only_in(actual, q.qual, q.qual_mask, dev->qual_bits))
        deviation = known_deviation(dev->qual);
    char qexp[64], qact[48];
    snformat(qexp, sizeof(qexp), "%#lx under mask %#lx", q.qual, q.qual_mask);
    snformat(qact, sizeof(qact), "%#lx", actual);
    Diagnostic qd{qexp, qact};
    report_check(q.qual_matches(actual), &qd, deviation, "%s: qualification", name);
    return true;
}
