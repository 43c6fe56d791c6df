// vmx_exc_bitmap: exceptions an L2 instruction raises while it executes
// (not at decode), intercepted through the exception bitmap (SDM Vol. 3C
// 25.6.3, 26.2), with the exit's interruption information and error code
// (28.2.2), its exit qualification (28.2.1: the linear address for #PF, the
// DR6-like bits for #DB) and the state a VM exit leaves as it was (28.1: a
// #PF that exits does not write CR2, a #DB that exits does not write DR6).
// The instructions (WRMSR under a zero MSR bitmap, OUTS without I/O
// exiting) are ones L1 lets L2 execute: under KVM, L0 intercepts them for
// itself, emulates them and raises the exception on L2's behalf, which is
// the path (nested_vmx_inject_exception_vmexit) the reflected hardware
// exceptions of vmx_exits do not take.
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/cr.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/fault.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/guest.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;

// Canonical, above the 4 GiB that L1's (and so L2's) page tables map:
// PML4 entry 32 is not present, so a read there is #PF with error code 0.
constexpr u64 UNMAPPED = 0x0000100000000000ull;
constexpr u64 EFER_RESERVED_BIT1 = 1ull << 1;
constexpr u64 DR6_BS = 1ull << 14;
// Values L1 leaves in CR2 and DR6 before VM entry, to see whether the
// exception wrote them (DR6: its architectural idle value, BS clear).
constexpr u64 CR2_SENTINEL = 0x00000000c2c2c000ull;
constexpr u64 DR6_IDLE = 0xffff0ff0ull;

} // namespace

// Addresses of the L2 instructions the exits must report as guest RIP
// (labels inside the L2 bodies below).
extern "C" const char l2_wrmsr_reserved_insn[], l2_outsb_insn[], l2_after_wrmsr_tf[];

namespace {

// L2: WRMSR of IA32_EFER with reserved bit 1 set: #GP(0) (SDM Vol. 4,
// IA32_EFER; WRMSR "#GP(0) if ... reserved bits"). Fault: RIP stays on WRMSR.
[[gnu::noinline]] void l2_wrmsr_efer_reserved(u64)
{
    u64 v = rdmsr(msr::IA32_EFER) | EFER_RESERVED_BIT1;
    asm volatile(".globl l2_wrmsr_reserved_insn\nl2_wrmsr_reserved_insn:\n\twrmsr"
                 ::"c"(msr::IA32_EFER), "a"(static_cast<u32>(v)), "d"(static_cast<u32>(v >> 32))
                 : "memory");
}

// L2: OUTSB to port 0x80 from linear address `addr` (a data read).
[[gnu::noinline]] void l2_outsb_from(u64 addr)
{
    asm volatile(".globl l2_outsb_insn\nl2_outsb_insn:\n\toutsb" : "+S"(addr) : "d"(0x80) : "memory");
}

// L2: sets RFLAGS.TF with POPF, then WRMSRs IA32_EFER's own value: the
// single-step trap comes after the WRMSR (the instruction after the POPF
// that set TF; SDM Vol. 3A 18.3.1.4), guest RIP at the label after it.
[[gnu::noinline]] void l2_wrmsr_efer_single_step(u64)
{
    u64 v = rdmsr(msr::IA32_EFER);
    asm volatile("pushfq\n\torq %3, (%%rsp)\n\tpopfq\n\t"
                 "wrmsr\n"
                 ".globl l2_after_wrmsr_tf\nl2_after_wrmsr_tf:\n\t"
                 "pushfq\n\tandq %4, (%%rsp)\n\tpopfq"
                 ::"c"(msr::IA32_EFER), "a"(static_cast<u32>(v)), "d"(static_cast<u32>(v >> 32)),
                   "i"(rflags::TF), "i"(~rflags::TF)
                 : "memory", "cc");
}

// One exception exit: which L2 body, the exception bitmap and #PF
// error-code mask/match L1 sets, and what the exit must carry.
struct Row {
    const char* name;
    GuestFn l2;
    u64 arg;
    u32 exception_bitmap;
    u32 pfec_mask, pfec_match;
    u8 vector;
    bool has_error_code;
    u32 error_code;
    bool qual_defined; // 28.2.1 defines the qualification (#PF, #DB)
    u64 qualification;
    const char* guest_rip;
    const char* rule;
};

constexpr Row kRows[] = {
    {"gp_wrmsr_reserved", l2_wrmsr_efer_reserved, 0, 1u << vec::GP, 0, 0, vec::GP, true, 0, false, 0,
     l2_wrmsr_reserved_insn, "#GP(0) of WRMSR, bitmap bit 13 set"},
    // 25.6.3: bit 14 set: a #PF exits iff (error code & mask) == match.
    {"pf_bit14_set_match", l2_outsb_from, UNMAPPED, 1u << vec::PF, 0, 0, vec::PF, true, 0, true, UNMAPPED,
     l2_outsb_insn, "#PF of OUTSB, bit 14 set, mask 0 == match 0"},
    // 25.6.3: bit 14 clear: a #PF exits iff (error code & mask) != match.
    {"pf_bit14_clear_mismatch", l2_outsb_from, UNMAPPED, 0, 1, 1, vec::PF, true, 0, true, UNMAPPED,
     l2_outsb_insn, "#PF of OUTSB, bit 14 clear, error code 0 & mask 1 != match 1"},
    // 28.2.1: for #DB the qualification has DR6's B0-B3, BD, BS (bit 14).
    {"db_single_step_wrmsr", l2_wrmsr_efer_single_step, 0, 1u << vec::DB, 0, 0, vec::DB, false, 0, true,
     DR6_BS, l2_after_wrmsr_tf, "single-step #DB after WRMSR, bitmap bit 1 set"},
};

// Lets L2 execute WRMSR of any MSR in the bitmaps' ranges and I/O
// instructions without exits: MSR bitmaps on (an all-zero page, freed by
// the caller), I/O exiting off. False (SKIP reported) when a control is
// not allowed.
[[nodiscard]] bool let_l2_run_wrmsr_and_io(PhysAddr msr_bitmap)
{
    const VmxCaps& c = vmx_caps();
    if (!c.proc.allows(proc::USE_MSR_BITMAPS)) {
        report_skip("'use MSR bitmaps' not allowed by IA32_VMX_(TRUE_)PROCBASED_CTLS[60]", "MSR bitmaps");
        return false;
    }
    if (!c.proc.allows_clear(proc::UNCOND_IO | proc::USE_IO_BITMAPS)) {
        report_skip("I/O exiting is must-be-one in IA32_VMX_(TRUE_)PROCBASED_CTLS", "no I/O exiting");
        return false;
    }
    return vmcs_write(F::MSR_BITMAP, msr_bitmap.raw()) &&
           vmcs_clear_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::UNCOND_IO | proc::USE_IO_BITMAPS) &&
           vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::USE_MSR_BITMAPS);
}

// Runs row r's L2 once and checks its exception exit.
void check_row(const Row& row)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr bitmap = alloc_page();
    {
        Guest g(row.l2, row.arg);
        if (g.ready() && let_l2_run_wrmsr_and_io(bitmap) &&
            vmcs_write(F::EXCEPTION_BITMAP, row.exception_bitmap) &&
            vmcs_write(F::PAGE_FAULT_ERROR_CODE_MASK, row.pfec_mask) &&
            vmcs_write(F::PAGE_FAULT_ERROR_CODE_MATCH, row.pfec_match)) {
            write_cr2(CR2_SENTINEL);
            write_dr6(DR6_IDLE);
            RunResult r = g.run();
            u64 cr2 = read_cr2(), dr6 = read_dr6();
            if (expect_exception(r, row.vector, row.has_error_code, "%s: exits, vector %u", row.rule, row.vector)) {
                if (row.has_error_code)
                    report_eq(r.exit.intr_error, row.error_code, "%s: VM-exit interruption error code", row.rule);
                if (row.qual_defined)
                    report_eq(r.exit.qualification, row.qualification, "%s: exit qualification", row.rule);
                report_eq(r.exit.guest_rip, reinterpret_cast<u64>(row.guest_rip), "%s: guest RIP", row.rule);
                if (row.vector == vec::PF)
                    report_eq(cr2, CR2_SENTINEL, "%s: CR2 not written", row.rule);
                if (row.vector == vec::DB)
                    report_eq(dr6, DR6_IDLE, "%s: DR6 not written", row.rule);
            }
        }
    }
    free_page(bitmap);
}

constexpr TestCase kCases[] = {
    {kRows[0].name, row_case<kRows, 0, check_row>, vmx_unavailable_reason},
    {kRows[1].name, row_case<kRows, 1, check_row>, vmx_unavailable_reason},
    {kRows[2].name, row_case<kRows, 2, check_row>, vmx_unavailable_reason},
    {kRows[3].name, row_case<kRows, 3, check_row>, vmx_unavailable_reason},
};
static_assert(array_size(kCases) == array_size(kRows));

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
