// More one-line checks on a RunResult, beside expect_exit/expect_done
// (guest.hh): VM-entry failures, exceptions L2 took, and checks a backend
// may fail as a known deviation. Each reports exactly one result, with the
// expected and actual outcome shown on failure.
#pragma once
#include "errata.hh"
#include "report.hh"
#include "x86/arch/vmx_ctrl.hh"
#include "x86/vmx/guest.hh"

// VM entry failed with VMfailValid(7), invalid control field (SDM 27.2.1).
template <class... Args>
bool expect_control_fail(const RunResult& r, Here fmt, const Args&... args)
{
    char name[REPORT_NAME_MAX];
    report_format_name(name, sizeof(name), fmt.fmt, args...);
    bool pass = r.status == RunStatus::VmFail &&
                r.vmfail.is_fail_valid(static_cast<u32>(VmxInsnError::ENTRY_INVALID_CONTROL_FIELD));
    Diagnostic d{"VMfailValid(7)", r.describe()};
    report_result(pass ? Outcome::Pass : Outcome::Fail, name, nullptr, &d, fmt.file, fmt.line);
    return pass;
}

// VM entry failed on guest state: exit 33 with bit 31 set (SDM 27.8).
template <class... Args>
bool expect_invalid_guest(const RunResult& r, Here fmt, const Args&... args)
{
    char name[REPORT_NAME_MAX];
    report_format_name(name, sizeof(name), fmt.fmt, args...);
    bool pass = r.status == RunStatus::Exit && r.exit.entry_failed() && r.exit.is(ExitReason::INVALID_GUEST_STATE);
    Diagnostic d{"failed entry: exit 33 (invalid guest state)", r.describe()};
    report_result(pass ? Outcome::Pass : Outcome::Fail, name, nullptr, &d, fmt.file, fmt.line);
    return pass;
}

// L2 took hardware exception vector (with or without an error code) and,
// its exception-bitmap bit being set, that exited (exit reason 0).
template <class... Args>
bool expect_exception(const RunResult& r, u32 vector, bool error_code, Here fmt, const Args&... args)
{
    char name[REPORT_NAME_MAX], exp[80], act[200];
    report_format_name(name, sizeof(name), fmt.fmt, args...);
    u32 want = intr_info::VALID | (intr_info::TYPE_HW_EXCEPTION << intr_info::TYPE_SHIFT) | vector |
               (error_code ? intr_info::ERROR_CODE_VALID : 0);
    constexpr u32 mask = intr_info::VALID | intr_info::TYPE_MASK | intr_info::ERROR_CODE_VALID | intr_info::VECTOR_MASK;
    bool pass = r.exited(ExitReason::EXCEPTION_NMI) && (r.exit.intr_info & mask) == want;
    snformat(exp, sizeof(exp), "exception exit, intr info %#x", want);
    snformat(act, sizeof(act), "%s, intr info %#x", r.describe(), r.exit.intr_info);
    Diagnostic d{exp, act};
    report_result(pass ? Outcome::Pass : Outcome::Fail, name, nullptr, &d, fmt.file, fmt.line);
    return pass;
}

// A check that the running backend may fail as known deviation erratum
// (lib/errata.cc): XFAIL/XPASS there, PASS/FAIL elsewhere; failures show d.
template <class... Args>
bool check_known(const char* erratum, bool pass, Diagnostic d, Here fmt, const Args&... args)
{
    char name[REPORT_NAME_MAX];
    report_format_name(name, sizeof(name), fmt.fmt, args...);
    const char* deviation = known_deviation(erratum);
    Outcome o = deviation ? (pass ? Outcome::XPass : Outcome::XFail) : (pass ? Outcome::Pass : Outcome::Fail);
    report_result(o, name, deviation, &d, fmt.file, fmt.line);
    return pass;
}
