// vmx_insn_exits: instructions that exit only under their own execution
// control (SDM Vol. 3C 26.1.3; controls 25.6.2): PAUSE (PAUSE exiting),
// WBINVD (WBINVD exiting, secondary), MONITOR and MWAIT (MONITOR/MWAIT
// exiting; CPUID.01H:ECX.MONITOR[3] must be set, else they are #UD). Each
// row: the exit reason and the instruction length (28.2.5).
#include "report.hh"
#include "testcase.hh"
#include "x86/cpu.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/guest.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;

// A monitored line for MONITOR (identity-mapped L1 data, shared with L2).
volatile u64 g_monitored;

void l2_pause(u64) { asm volatile("pause"); }
void l2_wbinvd(u64) { asm volatile("wbinvd" ::: "memory"); }
void l2_monitor(u64) { asm volatile("monitor" ::"a"(&g_monitored), "c"(0), "d"(0)); }
void l2_mwait(u64) { asm volatile("mwait" ::"a"(0), "c"(0)); }

// CPUID.01H:ECX.MONITOR[3]: MONITOR/MWAIT exist.
const char* needs_monitor()
{
    if (const char* why = vmx_unavailable_reason())
        return why;
    return (cpuid(1).ecx & (1u << 3)) ? nullptr : "CPUID.01H:ECX.MONITOR[3] is clear (MONITOR/MWAIT are #UD)";
}

struct Row {
    const char* name;
    GuestFn l2;
    u32 proc_bits;  // primary processor-based controls to set
    u32 proc2_bits; // secondary ones (with 'activate secondary controls')
    ExitReason reason;
    u32 insn_len;
    const char* what;
};

constexpr Row kRows[] = {
    {"pause", l2_pause, proc::PAUSE, 0, ExitReason::PAUSE_INSTRUCTION, 2, "PAUSE with PAUSE exiting"},
    {"wbinvd", l2_wbinvd, 0, proc2::WBINVD, ExitReason::WBINVD, 2, "WBINVD with WBINVD exiting"},
    {"monitor", l2_monitor, proc::MONITOR, 0, ExitReason::MONITOR_INSTRUCTION, 3, "MONITOR with MONITOR exiting"},
    {"mwait", l2_mwait, proc::MWAIT, 0, ExitReason::MWAIT_INSTRUCTION, 3, "MWAIT with MWAIT exiting"},
};

// Sets row's controls; SKIP (false) when IA32_VMX_* do not allow them.
[[nodiscard]] bool enable_controls(const Row& row)
{
    const VmxCaps& c = vmx_caps();
    if (row.proc_bits && !c.proc.allows(row.proc_bits)) {
        report_skip("control not allowed by IA32_VMX_(TRUE_)PROCBASED_CTLS", "%s", row.what);
        return false;
    }
    if (row.proc2_bits && !c.has_proc2(row.proc2_bits)) {
        report_skip("secondary control not allowed by IA32_VMX_PROCBASED_CTLS2", "%s", row.what);
        return false;
    }
    return (!row.proc_bits || vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, row.proc_bits)) &&
           (!row.proc2_bits || (vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) &&
                                vmcs_set_bits(F::SECONDARY_VM_EXEC_CONTROL, row.proc2_bits)));
}

// Runs row's L2 once with its control set: the exit and its length.
void check_row(const Row& row)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Guest g(row.l2);
    if (!g.ready() || !enable_controls(row))
        return;
    RunResult r = g.run();
    if (expect_exit(r, row.reason, "%s exits", row.what))
        report_eq(r.exit.insn_len, row.insn_len, "%s: instruction length %u", row.what, row.insn_len);
}

constexpr TestCase kCases[] = {
    {kRows[0].name, row_case<kRows, 0, check_row>, vmx_unavailable_reason},
    {kRows[1].name, row_case<kRows, 1, check_row>, vmx_unavailable_reason},
    {kRows[2].name, row_case<kRows, 2, check_row>, needs_monitor},
    {kRows[3].name, row_case<kRows, 3, check_row>, needs_monitor},
};
static_assert(array_size(kCases) == array_size(kRows));

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
