// ept_entry_checks: VM-entry checks tied to EPT-based features that the
// feature kernels do not probe: the PML address (SDM Vol. 3C 27.2.1.1) and
// the relaxations an unrestricted guest gets in the guest-state checks
// (27.3.1.2) and the event-injection checks (27.2.1.3).
#include "report.hh"
#include "x86/fault.hh"
#include "testcase.hh"
#include "x86/arch/cr.hh"
#include "x86/cpu.hh"
#include "x86/page_set.hh"
#include "x86/desc.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/l2.hh"
#include "x86/vmx/legacy_guest.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;

bool enable_proc2(u32 bits)
{
    return vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) &&
           vmcs_set_bits(F::SECONDARY_VM_EXEC_CONTROL, bits);
}

// ---- PML address ------------------------------------------------------------

struct BadPml {
    const char* what;
    u64 bits; // ORed into a valid, page-aligned PML address (0: not buildable here)
};

// PML addresses VM entry must reject when 'enable PML' is 1: low 12 bits
// not zero, or bits beyond MAXPHYADDR set (27.2.1.1).
void bad_pml_addresses(BadPml* out)
{
    unsigned maxphy = cpu_maxphyaddr();
    out[0] = {"bits 11:0 all set", 0xfff};
    out[1] = {"bits 11:0 and 63 set", 0xfff | 1ull << 63};
    out[2] = {"bit 11 and MAXPHYADDR-1 set", 0x800 | 1ull << (maxphy - 1)};
    out[3] = {"bit MAXPHYADDR set", maxphy < 52 ? 1ull << maxphy : 0};
    out[4] = {"bit 51 set", maxphy < 52 ? 1ull << 51 : 0};
    out[5] = {"bit 63 set", 1ull << 63};
    // (each single bad bit with PML on: the sweep in test_pml_address)
}
constexpr unsigned BAD_PML_COUNT = 6;

// PML address checks at VM entry (27.2.1.1 "If the 'enable PML'
// VM-execution control is 1 ... the PML address must satisfy ...").
// Expect: with PML on, a valid address enters; each bad address (every
// single bit of 11:0 and of 63:MAXPHYADDR, and combinations) fails with
// VMfailValid(7). With PML off the field is not checked: the same
// addresses enter and the guest returns.
void test_pml_address()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PageSet<1> log;
    if (!log.ok())
        return report_error("out of memory for the PML log");
    {
        EptGuest eg(l2_nothing, 0);
        if (!eg.ready("valid PML address") || !vmcs_write(F::PML_ADDRESS, log[0].raw()) ||
            !vmcs_write(F::GUEST_PML_INDEX, 511) || !enable_proc2(proc2::PML))
            return;
        expect_done(eg.run(), "PML on, 4 KiB-aligned address below MAXPHYADDR: enters and returns");
    }
    BadPml bad[BAD_PML_COUNT];
    bad_pml_addresses(bad);
    for (const BadPml& b : bad) {
        if (!b.bits) {
            report_skip("MAXPHYADDR is 52", "PML on, address with %s: VMfailValid(7)", b.what);
            report_skip("MAXPHYADDR is 52", "PML off, address with %s: ignored", b.what);
            continue;
        }
        {
            EptGuest eg(l2_nothing, 0);
            if (!eg.ready("bad PML address") || !vmcs_write(F::PML_ADDRESS, log[0].raw() | b.bits) ||
                !vmcs_write(F::GUEST_PML_INDEX, 511) || !enable_proc2(proc2::PML))
                return;
            expect_control_fail(eg.run(), "PML on, address with %s: VMfailValid(7)", b.what);
        }
        {
            EptGuest eg(l2_nothing, 0);
            if (!eg.ready("bad PML address, PML off") || !vmcs_write(F::PML_ADDRESS, log[0].raw() | b.bits) ||
                !vmcs_write(F::GUEST_PML_INDEX, 511))
                return;
            expect_done(eg.run(), "PML off, address with %s: ignored, enters and returns", b.what);
        }
    }
    // Every single bad bit, on one VMCS: a VMfailValid entry changes nothing,
    // so the same guest is entered again with the next address, and last
    // with the valid one (which must then enter).
    EptGuest eg(l2_nothing, 0);
    if (!eg.ready("PML address bit sweep") || !vmcs_write(F::GUEST_PML_INDEX, 511) || !enable_proc2(proc2::PML))
        return;
    unsigned maxphy = cpu_maxphyaddr();
    for (unsigned bit = 0; bit < 64; bit++) {
        if (bit >= 12 && bit < maxphy)
            continue;
        if (!vmcs_write(F::PML_ADDRESS, log[0].raw() | (1ull << bit)))
            return;
        expect_control_fail(eg.run(), "PML on, address bit %u alone set: VMfailValid(7)", bit);
    }
    if (vmcs_write(F::PML_ADDRESS, log[0].raw()))
        expect_done(eg.run(), "PML on, after the sweep the valid address enters on the same VMCS");
}

// ---- unrestricted guest: segment checks -----------------------------------------

constexpr u32 CODE16 = 0x9b, DATA16 = 0x93, DPL3 = 3u << 5;

// Runs the real-mode stub with URG after edit(state); returns the run.
template <class Edit>
RunResult run_real_mode(PhysAddr data, PhysAddr stack, bool urg, Edit edit, bool* ready)
{
    EptGuest eg(l2_nothing, 0);
    LegacyState s = real_mode_state(data, stack);
    edit(s);
    *ready = eg.ready("real mode") && (!urg || enable_proc2(proc2::UNRESTRICTED_GUEST)) && load_legacy_state(s);
    if (!*ready)
        return RunResult{RunStatus::VmFail, VmxResult::fail_invalid(), ExitInfo{}};
    return eg.run();
}

// Guest segment checks an unrestricted guest is exempt from or still bound
// by (27.3.1.2): with URG, SS.RPL need not equal CS.RPL, SS.DPL need not
// equal SS.RPL, and CS may be a read/write accessed data segment (type 3)
// with DPL 0; SS.DPL must be 0 while CR0.PE = 0; CS type 3 needs DPL 0.
// Expect: the allowed states enter and exit on the stub's VMCALL; the
// others fail with exit 33 (bit 31 set); the same 64-bit state with
// SS.RPL 3 fails without URG (the negative control).
void test_urg_segment_relaxations()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PageSet<2> pages;
    if (!pages.ok())
        return report_error("out of memory for the guest pages");
    PhysAddr data = pages[0], stack = pages[1];
    struct Row {
        const char* what;
        void (*edit)(LegacyState&);
        bool enters;
    };
    static constexpr Row kRows[] = {
        {"real mode, SS.RPL 1, CS.RPL 0", [](LegacyState& s) { s.ss.sel |= 1; }, true},
        {"real mode, SS.RPL 3, CS.RPL 0", [](LegacyState& s) { s.ss.sel |= 3; }, true},
        {"real mode, CS type 3 (data, read/write, accessed), DPL 0", [](LegacyState& s) { s.cs.ar = DATA16; }, true},
        {"real mode, CS type 3 with DPL 3", [](LegacyState& s) { s.cs.ar = DATA16 | DPL3; }, false},
        {"real mode, SS.DPL 3 with CR0.PE=0", [](LegacyState& s) { s.ss.ar = DATA16 | DPL3; }, false},
        {"real mode, CS type 11 with DPL 3 (SS.DPL 0)", [](LegacyState& s) { s.cs.ar = CODE16 | DPL3; }, false},
    };
    for (const Row& row : kRows) {
        bool ready = false;
        RunResult r = run_real_mode(data, stack, true, row.edit, &ready);
        if (!ready)
            return;
        if (row.enters)
            expect_exit(r, ExitReason::VMCALL, "URG, %s: enters, exit at the stub's VMCALL", row.what);
        else
            expect_invalid_guest(r, "URG, %s: entry fails (exit 33)", row.what);
    }
    for (int urg = 1; urg >= 0; urg--) {
        EptGuest eg(l2_nothing, 0);
        if (!eg.ready("64-bit, SS.RPL 3") || (urg && !enable_proc2(proc2::UNRESTRICTED_GUEST)) ||
            !vmcs_write(F::GUEST_SS_SELECTOR, sel::KERNEL_DS | 3))
            return;
        RunResult r = eg.run();
        if (urg)
            expect_done(r, "URG, 64-bit, SS.RPL 3 (DPL 0), CS.RPL 0: enters and returns");
        else
            expect_invalid_guest(r, "no URG, 64-bit, SS.RPL 3, CS.RPL 0: entry fails (exit 33)");
    }
}

// ---- unrestricted guest: event injection ---------------------------------------

constexpr u32 GP_EXCEPTION = intr_info::VALID | (intr_info::TYPE_HW_EXCEPTION << intr_info::TYPE_SHIFT) | vec::GP;
constexpr u64 IVT_GPA = 0x1000;    // real-mode IVT and handler (reachable by a 16-bit far pointer)
constexpr u16 HANDLER_CS = 0x100;  // base 0x1000
constexpr u16 HANDLER_IP = 0x100;  // linear 0x1100
constexpr u8 HANDLER_CODE[] = {0x0f, 0x01, 0xc1, 0xf4, 0xeb, 0xfd}; // vmcall; 1: hlt; jmp 1b

// Maps page at IVT_GPA in ept (4 KiB leaf, RWX) with a real-mode IVT whose
// #GP vector points at a VMCALL. False (ERROR reported) on failure.
bool map_ivt(Ept& ept, PhysAddr page)
{
    GuestPhysAddr gpa(IVT_GPA);
    int level = 0;
    while (ept.leaf(gpa, &level) && level > 1)
        if (!ept.split(gpa, level))
            return report_error("splitting the %d-level EPT leaf at %#lx failed", level, IVT_GPA), false;
    EptEntry* e = ept.entry(gpa, 1);
    if (!e)
        return report_error("no 4 KiB EPT entry for %#lx", IVT_GPA), false;
    *e = e->with_addr(page);
    u16* ivt = phys_to_ptr<u16>(page);
    ivt[vec::GP * 2] = HANDLER_IP;
    ivt[vec::GP * 2 + 1] = HANDLER_CS;
    u8* code = phys_to_ptr<u8>(page) + HANDLER_IP;
    for (usize i = 0; i < sizeof(HANDLER_CODE); i++)
        code[i] = HANDLER_CODE[i];
    return true;
}

// Error-code delivery rules of event injection (27.2.1.3): deliver-error-
// code must be 1 exactly when URG is 0 or CR0.PE is 1, the type is a
// hardware exception and the vector one with an error code.
// Expect: URG real mode (CR0.PE = 0), #GP with deliver-error-code = 1:
// VMfailValid(7); the same without an error code enters, the #GP goes
// through the real-mode IVT (at the guest IDTR base) to a handler whose
// VMCALL exits with CS = the IVT's selector, and the stack holds IP, CS and
// FLAGS of the interrupted stub. For #DE, #UD, #DF, #TS, #NP, #SS, #GP,
// #PF, #AC: with CR0.PE = 0 deliver-error-code = 1 is VMfailValid(7); with
// CR0.PE = 1 the opposite of the vector's own error-code rule is.
void test_urg_error_code_delivery()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PageSet<3> pages;
    if (!pages.ok())
        return report_error("out of memory for the guest pages");
    PhysAddr data = pages[0], stack = pages[1], ivt = pages[2];
    {
        EptGuest eg(l2_nothing, 0);
        LegacyState s = real_mode_state(data, stack);
        if (!eg.ready("real mode, #GP without error code") || !enable_proc2(proc2::UNRESTRICTED_GUEST) ||
            !load_legacy_state(s) || !map_ivt(eg.ept(), ivt) || !vmcs_write(F::GUEST_IDTR_BASE, IVT_GPA) ||
            !vmcs_write(F::GUEST_IDTR_LIMIT, 0x3ff) || !vmcs_write(F::VM_ENTRY_INTR_INFO_FIELD, GP_EXCEPTION))
            return;
        RunResult r = eg.run();
        if (expect_exit(r, ExitReason::VMCALL, "URG, CR0.PE=0, inject #GP without error code: delivered, handler's VMCALL exits")) {
            report_eq(vmcs_read(F::GUEST_CS_SELECTOR), HANDLER_CS, "injected #GP: CS from the real-mode IVT");
            report_eq(r.exit.guest_rip, HANDLER_IP, "injected #GP: IP from the real-mode IVT");
            const u16* sp = phys_to_ptr<u16>(stack + (r.exit.guest_rsp & 0xffff));
            report_eq(r.exit.guest_rsp & 0xffff, 0xff0 - 6, "injected #GP: three words pushed (no error code)");
            report_eq(sp[0], s.rip, "injected #GP: pushed IP is the stub's entry IP");
            report_eq(sp[1], s.cs.sel, "injected #GP: pushed CS is the stub's CS");
            report_eq(sp[2] & 0x2, 0x2, "injected #GP: pushed FLAGS (bit 1 set)");
        }
    }
    // Every vector against both modes: with CR0.PE = 0 (URG) no vector may
    // deliver an error code; with CR0.PE = 1 exactly 8, 10-14 and 17 must.
    static constexpr u8 kVectors[] = {vec::DE, vec::UD, vec::DF, vec::TS, vec::NP, vec::SS, vec::GP, vec::PF, vec::AC};
    for (u8 v : kVectors) {
        bool has_code = v == vec::DF || (v >= vec::TS && v <= vec::PF) || v == vec::AC;
        u32 info = intr_info::VALID | (intr_info::TYPE_HW_EXCEPTION << intr_info::TYPE_SHIFT) | v;
        {
            EptGuest eg(l2_nothing, 0);
            if (!eg.ready("real mode, error code") || !enable_proc2(proc2::UNRESTRICTED_GUEST) ||
                !load_legacy_state(real_mode_state(data, stack)) ||
                !vmcs_write(F::VM_ENTRY_INTR_INFO_FIELD, info | intr_info::ERROR_CODE_VALID))
                return;
            expect_control_fail(eg.run(), "URG, CR0.PE=0, inject %s with deliver-error-code=1: VMfailValid(7)", exception_name(v));
        }
        {
            EptGuest eg(l2_nothing, 0);
            if (!eg.ready("64-bit, error code") ||
                !vmcs_write(F::VM_ENTRY_INTR_INFO_FIELD, has_code ? info : info | intr_info::ERROR_CODE_VALID))
                return;
            expect_control_fail(eg.run(), "CR0.PE=1, inject %s with deliver-error-code=%d: VMfailValid(7)", exception_name(v), !has_code);
        }
    }
}

const char* needs_pml()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return vmx_caps().has_proc2(proc2::PML) ? nullptr
                                             : "secondary control 'enable PML' not allowed (IA32_VMX_PROCBASED_CTLS2[49])";
}
const char* needs_urg()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return vmx_caps().has_proc2(proc2::UNRESTRICTED_GUEST)
               ? nullptr
               : "secondary control 'unrestricted guest' not allowed (IA32_VMX_PROCBASED_CTLS2[39])";
}

constexpr TestCase kCases[] = {
    {"pml_address", test_pml_address, needs_pml},
    {"urg_segment_relaxations", test_urg_segment_relaxations, needs_urg},
    {"urg_error_code_delivery", test_urg_error_code_delivery, needs_urg},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
