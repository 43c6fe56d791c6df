// vmx_msr_lists: the VM-entry MSR-load list (SDM Vol. 3C 27.4), the VM-exit
// MSR-store and MSR-load lists (28.4, 28.6) and the VM-entry failure an
// entry of the load list causes (27.8: exit reason 34 with bit 31 set, exit
// qualification = the failing entry's number, from 1). An entry is 16 bytes:
// index (bits 31:0), reserved (bits 63:32, must be 0), value (25.7.2).
#include "format.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/guest.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;

// One entry of an MSR list (SDM Vol. 3C 25.7.2, Table 25-15).
struct MsrEntry {
    u32 index;
    u32 reserved;
    u64 value;
};
static_assert(sizeof(MsrEntry) == 16);

constexpr u64 KGS_ENTRY = 0x00007a7a00001000ull; // what the entry list loads
constexpr u64 KGS_EXIT = 0x00007b7b00002000ull;  // what the exit list loads

// A VM-entry MSR-load list of up to two entries and the outcome it must give.
struct LoadRow {
    const char* name;
    MsrEntry entries[2];
    u32 count;
    u32 failing_entry; // 0: VM entry succeeds
    const char* what;
};

constexpr LoadRow kLoadRows[] = {
    {"load_kernel_gs_base", {{msr::IA32_KERNEL_GS_BASE, 0, KGS_ENTRY}, {}}, 1, 0,
     "IA32_KERNEL_GS_BASE: loaded"},
    {"load_fs_base", {{msr::IA32_FS_BASE, 0, 0}, {}}, 1, 1, "IA32_FS_BASE may not be loaded"},
    {"load_gs_base", {{msr::IA32_GS_BASE, 0, 0}, {}}, 1, 1, "IA32_GS_BASE may not be loaded"},
    {"load_reserved_set", {{msr::IA32_KERNEL_GS_BASE, 1, KGS_ENTRY}, {}}, 1, 1,
     "bits 63:32 of the entry not 0"},
    {"load_second_fails",
     {{msr::IA32_KERNEL_GS_BASE, 0, KGS_ENTRY}, {msr::IA32_FS_BASE, 0, 0}}, 2, 2,
     "entry 2 (IA32_FS_BASE) fails after entry 1 loaded"},
};

// L2 body: returns at once.
void l2_return(u64) {}

// Saves IA32_KERNEL_GS_BASE and puts it back when the case ends (the lists
// write L1's own MSR: no host-state field restores it at VM exit).
class KernelGsBaseSaved {
public:
    KernelGsBaseSaved() : saved_(rdmsr(msr::IA32_KERNEL_GS_BASE)) {}
    ~KernelGsBaseSaved() { wrmsr(msr::IA32_KERNEL_GS_BASE, saved_); }
    KernelGsBaseSaved(const KernelGsBaseSaved&) = delete;
    KernelGsBaseSaved& operator=(const KernelGsBaseSaved&) = delete;

private:
    u64 saved_;
};

// The run failed VM entry on MSR loading (27.8) at entry number `entry`.
bool expect_msr_load_fail(const RunResult& r, u32 entry, const char* what)
{
    char exp[80];
    snformat(exp, sizeof(exp), "failed entry: exit 34 (MSR loading), qualification %u", entry);
    bool pass = r.status == RunStatus::Exit && r.exit.entry_failed() && r.exit.is(ExitReason::MSR_LOAD_FAIL) &&
                r.exit.qualification == entry;
    char act[200];
    snformat(act, sizeof(act), "%s, qualification %#lx", r.describe(), r.exit.qualification);
    Diagnostic d{exp, act};
    return report_check(pass, &d, nullptr, "%s: VM entry fails, exit reason 34, qualification %u", what, entry);
}

// Enters L2 with row's VM-entry MSR-load list and checks the outcome.
void check_load_row(const LoadRow& row)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    KernelGsBaseSaved kgs;
    wrmsr(msr::IA32_KERNEL_GS_BASE, 0);
    PhysAddr list = alloc_page();
    MsrEntry* e = phys_to_ptr<MsrEntry>(list);
    for (u32 i = 0; i < row.count; i++)
        e[i] = row.entries[i];
    {
        Guest g(l2_return);
        if (g.ready() && vmcs_write(F::VM_ENTRY_MSR_LOAD_ADDR, list.raw()) &&
            vmcs_write(F::VM_ENTRY_MSR_LOAD_COUNT, row.count)) {
            RunResult r = g.run();
            if (row.failing_entry)
                expect_msr_load_fail(r, row.failing_entry, row.what);
            else if (expect_done(r, "%s: VM entry succeeds and L2 runs", row.what))
                report_eq(rdmsr(msr::IA32_KERNEL_GS_BASE), KGS_ENTRY, "%s: L1 reads the loaded value after the exit",
                          row.what);
        }
    }
    free_page(list);
}

// Entry list loads IA32_KERNEL_GS_BASE, the exit MSR-store list saves it
// (28.4: L2's value), then the exit MSR-load list loads another (28.6).
void test_exit_store_and_load()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    KernelGsBaseSaved kgs;
    PhysAddr entry_list = alloc_page(), store_list = alloc_page(), exit_list = alloc_page();
    phys_to_ptr<MsrEntry>(entry_list)[0] = {msr::IA32_KERNEL_GS_BASE, 0, KGS_ENTRY};
    phys_to_ptr<MsrEntry>(store_list)[0] = {msr::IA32_KERNEL_GS_BASE, 0, 0};
    phys_to_ptr<MsrEntry>(exit_list)[0] = {msr::IA32_KERNEL_GS_BASE, 0, KGS_EXIT};
    {
        Guest g(l2_return);
        if (g.ready() && vmcs_write(F::VM_ENTRY_MSR_LOAD_ADDR, entry_list.raw()) &&
            vmcs_write(F::VM_ENTRY_MSR_LOAD_COUNT, 1) && vmcs_write(F::VM_EXIT_MSR_STORE_ADDR, store_list.raw()) &&
            vmcs_write(F::VM_EXIT_MSR_STORE_COUNT, 1) && vmcs_write(F::VM_EXIT_MSR_LOAD_ADDR, exit_list.raw()) &&
            vmcs_write(F::VM_EXIT_MSR_LOAD_COUNT, 1)) {
            RunResult r = g.run();
            if (expect_done(r, "entry load, exit store and exit load lists: L2 runs")) {
                const volatile MsrEntry* stored = phys_to_ptr<MsrEntry>(store_list);
                report_eq(stored->value, KGS_ENTRY, "exit MSR-store list holds L2's IA32_KERNEL_GS_BASE");
                report_eq(stored->index, msr::IA32_KERNEL_GS_BASE, "exit MSR-store list: index unchanged");
                report_eq(rdmsr(msr::IA32_KERNEL_GS_BASE), KGS_EXIT, "exit MSR-load list: L1 reads its value");
            }
        }
    }
    free_page(entry_list);
    free_page(store_list);
    free_page(exit_list);
}

constexpr TestCase kCases[] = {
    {kLoadRows[0].name, row_case<kLoadRows, 0, check_load_row>, vmx_unavailable_reason},
    {kLoadRows[1].name, row_case<kLoadRows, 1, check_load_row>, vmx_unavailable_reason},
    {kLoadRows[2].name, row_case<kLoadRows, 2, check_load_row>, vmx_unavailable_reason},
    {kLoadRows[3].name, row_case<kLoadRows, 3, check_load_row>, vmx_unavailable_reason},
    {kLoadRows[4].name, row_case<kLoadRows, 4, check_load_row>, vmx_unavailable_reason},
    {"exit_store_and_load", test_exit_store_and_load, vmx_unavailable_reason},
};
static_assert(array_size(kCases) == array_size(kLoadRows) + 1);

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
