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
    Diagnostic d{"VMfailValid(7)", r.describe()};
    return report_check(r.vmfail_valid(VmxInsnError::ENTRY_INVALID_CONTROL_FIELD), &d, nullptr, fmt, args...);
}

// VM entry failed on guest state: exit 33 with bit 31 set (SDM 27.8).
template <class... Args>
bool expect_invalid_guest(const RunResult& r, Here fmt, const Args&... args)
{
    Diagnostic d{"failed entry: exit 33 (invalid guest state)", r.describe()};
    return report_check(r.invalid_guest_state(), &d, nullptr, fmt, args...);
}

// L2 took hardware exception vector (with or without an error code) and,
// its exception-bitmap bit being set, that exited (exit reason 0).
template <class... Args>
bool expect_exception(const RunResult& r, u32 vector, bool error_code, Here fmt, const Args&... args)
{
    char exp[80], act[200];
    u32 want = intr_info::VALID | (intr_info::TYPE_HW_EXCEPTION << intr_info::TYPE_SHIFT) | vector |
               (error_code ? intr_info::ERROR_CODE_VALID : 0);
    constexpr u32 mask = intr_info::VALID | intr_info::TYPE_MASK | intr_info::ERROR_CODE_VALID | intr_info::VECTOR_MASK;
    bool pass = r.exited(ExitReason::EXCEPTION_NMI) && (r.exit.intr_info & mask) == want;
    snformat(exp, sizeof(exp), "exception exit, intr info %#x", want);
    snformat(act, sizeof(act), "%s, intr info %#x", r.describe(), r.exit.intr_info);
    Diagnostic d{exp, act};
    return report_check(pass, &d, nullptr, fmt, args...);
}

// A check that the running backend may fail as known deviation erratum
// (lib/errata.cc): XFAIL/XPASS there, PASS/FAIL elsewhere; failures show d.
template <class... Args>
bool check_known(const char* erratum, bool pass, Diagnostic d, Here fmt, const Args&... args)
{
    return report_check(pass, &d, known_deviation(erratum), fmt, args...);
}

// One check that a VMX instruction's outcome got is want.
template <class... Args>
bool expect_vmx(VmxResult got, VmxResult want, Here fmt, const Args&... args)
{
    Diagnostic d{vmx_result_str(want), vmx_result_str(got)};
    return report_check(got == want, &d, nullptr, fmt, args...);
}

// After an entry of g failed on guest state (exit 33 with bit 31), asks the
// CPU whether the VMCS stayed clear (SDM 27.8: a failed entry does not
// change the launch state): VMLAUNCH again must fail the same way; a
// launched VMCS would make it VMfailValid(4) (VMLAUNCH with non-clear VMCS).
// The guest state is still broken, so the check never enters L2.
template <class... Args>
bool expect_still_clear(Guest& g, Here fmt, const Args&... args)
{
    RunResult again = g.launched() ? RunResult{RunStatus::VmFail, VmxResult::fail_invalid(), {}} : g.run();
    Diagnostic d{"VMLAUNCH fails again with exit 33 (VMCS clear)", g.launched() ? "the harness already marked the VMCS launched" : again.describe()};
    return report_check(again.invalid_guest_state(), &d, nullptr, fmt, args...);
}
