// vmx_nmi_window: NMI-window exiting (SDM Vol. 3C 26.2, 25.6.2): with
// virtual NMIs and no virtual-NMI blocking, a VM exit with reason 8 occurs
// before L2 executes any instruction, also when VM entry puts L2 in the HLT
// activity state (25.4.2; such a VM exit wakes the logical processor from
// HLT). Under KVM the HLT entry is nested_vmx_run's activity-state switch:
// L0 must not halt an L2 that an NMI window will wake.
#include "report.hh"
#include "testcase.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/guest.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;

// Guest activity states (SDM Vol. 3C 25.4.2).
enum class Activity : u32 { ACTIVE = 0, HLT = 1 };

struct Row {
    const char* name;
    Activity activity;
    const char* what;
};

constexpr Row kRows[] = {
    {"active", Activity::ACTIVE, "activity state active"},
    {"hlt", Activity::HLT, "activity state HLT"},
};

// L2 body: returns at once (an L2 that runs at all ends in VMCALL GUEST_DONE).
void l2_return(u64) {}

// The controls and activity state of row; SKIP (false) when not allowed:
// NMI-window exiting needs virtual NMIs, which need NMI exiting (26.2.1.1).
[[nodiscard]] bool setup(const Row& row)
{
    const VmxCaps& c = vmx_caps();
    if (!c.proc.allows(proc::NMI_WINDOW) || !c.pin.allows(pin::NMI_EXITING | pin::VIRTUAL_NMIS)) {
        report_skip("NMI-window exiting or virtual NMIs not allowed by IA32_VMX_(TRUE_)PINBASED/PROCBASED_CTLS",
                    "%s", row.what);
        return false;
    }
    if (row.activity == Activity::HLT && !(c.misc & vmx_misc::ACTIVITY_HLT)) {
        report_skip("IA32_VMX_MISC[6] (HLT activity state) is clear", "%s", row.what);
        return false;
    }
    return vmcs_set_bits(F::PIN_BASED_VM_EXEC_CONTROL, pin::NMI_EXITING | pin::VIRTUAL_NMIS) &&
           vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::NMI_WINDOW) &&
           vmcs_write(F::GUEST_INTERRUPTIBILITY_INFO, 0) &&
           vmcs_write(F::GUEST_ACTIVITY_STATE, static_cast<u32>(row.activity));
}

// Enters row's L2 once: the exit must be NMI window, at the entry RIP.
void check_row(const Row& row)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Guest g(l2_return);
    if (!g.ready() || !setup(row))
        return;
    u64 entry_rip = vmcs_read(F::GUEST_RIP);
    RunResult r = g.run();
    if (expect_exit(r, ExitReason::NMI_WINDOW, "%s: VM exit NMI window", row.what))
        report_eq(r.exit.guest_rip, entry_rip, "%s: exit before the first L2 instruction", row.what);
}

constexpr TestCase kCases[] = {
    {kRows[0].name, row_case<kRows, 0, check_row>, vmx_unavailable_reason},
    {kRows[1].name, row_case<kRows, 1, check_row>, vmx_unavailable_reason},
};
static_assert(array_size(kCases) == array_size(kRows));

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
