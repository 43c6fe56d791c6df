// vmx_inject_vectoring: an exception L1 injects through the VM-entry
// interruption-information field (SDM Vol. 3C 27.6.1) whose delivery in L2
// faults: with L2's IDT limit 0 the IDT lookup raises #GP (error code: the
// vector's IDT index, IDT = 1, EXT = 1 for a hardware exception; Vol. 3A
// 6.13), which L1 intercepts; the exit's IDT-vectoring information and
// error code then describe the injected event (28.2.4). The two events are
// benign then contributory: delivered serially, no #DF (Vol. 3A Table 6-5).
// Under KVM, L0 requeues the injected event and writes it back to vmcs12
// (vmcs12_save_pending_event).
#include "format.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/arch/vmx_ctrl.hh"
#include "x86/fault.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/guest.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;

// One injected hardware exception (type 3) and whether it carries an error
// code (27.2.1.3: in protected mode exactly vectors 8, 10-14, 17, 21 do).
struct Row {
    const char* name;
    u8 vector;
    bool error_code;
    u32 code;
    const char* what;
};

constexpr Row kRows[] = {
    {"ud", vec::UD, false, 0, "injected #UD"},
    {"ac", vec::AC, true, 0, "injected #AC(0)"},
};

// L2 body: never runs (the injected event's delivery exits first).
void l2_return(u64) {}

// The interruption information of row's injected event.
constexpr u32 event_info(const Row& row)
{
    return intr_info::VALID | (intr_info::TYPE_HW_EXCEPTION << intr_info::TYPE_SHIFT) | row.vector |
           (row.error_code ? intr_info::ERROR_CODE_VALID : 0);
}

// Injects row's event into an L2 whose IDT limit is 0, #GP intercepted.
void check_row(const Row& row)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Guest g(l2_return);
    if (!g.ready() || !vmcs_write(F::GUEST_IDTR_LIMIT, 0) || !vmcs_write(F::EXCEPTION_BITMAP, 1u << vec::GP) ||
        !vmcs_write(F::VM_ENTRY_INTR_INFO_FIELD, event_info(row)) ||
        !vmcs_write(F::VM_ENTRY_EXCEPTION_ERROR_CODE, row.code))
        return;
    RunResult r = g.run();
    if (!expect_exception(r, vec::GP, true, "%s: delivery through IDT limit 0 exits with #GP", row.what))
        return;
    constexpr u32 IDT = 1u << 1, EXT = 1u << 0;
    report_eq(r.exit.intr_error, (static_cast<u32>(row.vector) << 3) | IDT | EXT,
              "%s: #GP error code names IDT entry %u, IDT and EXT set", row.what, row.vector);
    constexpr u32 mask = intr_info::VALID | intr_info::TYPE_MASK | intr_info::ERROR_CODE_VALID | intr_info::VECTOR_MASK;
    report_eq(r.exit.idt_vectoring_info & mask, event_info(row), "%s: IDT-vectoring information is the injected event",
              row.what);
    if (row.error_code)
        report_eq(vmcs_read(F::IDT_VECTORING_ERROR_CODE), row.code, "%s: IDT-vectoring error code", row.what);
}

constexpr TestCase kCases[] = {
    {kRows[0].name, row_case<kRows, 0, check_row>, vmx_unavailable_reason},
    {kRows[1].name, row_case<kRows, 1, check_row>, vmx_unavailable_reason},
};
static_assert(array_size(kCases) == array_size(kRows));

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
