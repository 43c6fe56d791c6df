// vmx_checks: VM-entry checks. Each case breaks one rule of SDM Vol. 3C 27.2
// (controls, host state) or 27.3 (guest state) in an otherwise valid VMCS
// and checks how VM entry fails: VMfailValid(7) for control fields,
// VMfailValid(8) for host state, an exit with reason 33 | bit 31 for guest state.
#include "errata.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/cr.hh"
#include "x86/cpu.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/guest.hh"
#include "x86/vmx/l2.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;
using E = VmxInsnError;
enum class Expect : u8 { ControlFail, HostFail, GuestFail };

// One rule: how to break the VMCS, and what the SDM says VM entry does.
struct EntryRule {
    const char* name;
    Expect expect;
    // Breaks one field of the current (valid) VMCS; returns false to SKIP
    // with *why set when the CPU makes the rule untestable.
    bool (*apply)(const char** why);
    const char* erratum = nullptr; // id in lib/errata.cc, if a backend deviates
};

u32 first_disallowed(ControlCaps c)
{
    for (u32 bit = 0; bit < 32; bit++)
        if (!c.allows(1u << bit))
            return 1u << bit;
    return 0;
}
u32 first_required(ControlCaps c)
{
    for (u32 bit = 0; bit < 32; bit++)
        if (!c.allows_clear(1u << bit))
            return 1u << bit;
    return 0;
}

bool set_bit_or_skip(F field, u32 bit, const char** why, const char* none)
{
    if (!bit) {
        *why = none;
        return false;
    }
    return vmcs_set_bits(field, bit);
}

bool clear_bit_or_skip(F field, u32 bit, const char** why, const char* none)
{
    if (!bit) {
        *why = none;
        return false;
    }
    return vmcs_clear_bits(field, bit);
}

constexpr EntryRule kRules[] = {
    {"pin-based control with a must-be-zero bit set", Expect::ControlFail,
     [](const char** why) { return set_bit_or_skip(F::PIN_BASED_VM_EXEC_CONTROL, first_disallowed(vmx_caps().pin), why, "every pin-based bit may be 1"); }},
    {"pin-based control with a must-be-one bit clear", Expect::ControlFail,
     [](const char** why) { return clear_bit_or_skip(F::PIN_BASED_VM_EXEC_CONTROL, first_required(vmx_caps().pin), why, "no pin-based bit is must-be-one"); }},
    {"processor-based control with a must-be-zero bit set", Expect::ControlFail,
     [](const char** why) { return set_bit_or_skip(F::CPU_BASED_VM_EXEC_CONTROL, first_disallowed(vmx_caps().proc), why, "every processor-based bit may be 1"); }},
    {"processor-based control with a must-be-one bit clear", Expect::ControlFail,
     [](const char** why) { return clear_bit_or_skip(F::CPU_BASED_VM_EXEC_CONTROL, first_required(vmx_caps().proc), why, "no processor-based bit is must-be-one"); }},
    {"VM-exit control with a must-be-zero bit set", Expect::ControlFail,
     [](const char** why) { return set_bit_or_skip(F::VM_EXIT_CONTROLS, first_disallowed(vmx_caps().exit), why, "every VM-exit bit may be 1"); }},
    {"VM-exit control with a must-be-one bit clear", Expect::ControlFail,
     [](const char** why) { return clear_bit_or_skip(F::VM_EXIT_CONTROLS, first_required(vmx_caps().exit), why, "no VM-exit bit is must-be-one"); }},
    {"VM-entry control with a must-be-zero bit set", Expect::ControlFail,
     [](const char** why) { return set_bit_or_skip(F::VM_ENTRY_CONTROLS, first_disallowed(vmx_caps().entry), why, "every VM-entry bit may be 1"); }},
    {"VM-entry control with a must-be-one bit clear", Expect::ControlFail,
     [](const char** why) { return clear_bit_or_skip(F::VM_ENTRY_CONTROLS, first_required(vmx_caps().entry), why, "no VM-entry bit is must-be-one"); }},
    {"secondary control with a must-be-zero bit set", Expect::ControlFail,
     [](const char** why) {
         if (!vmx_caps().has_secondary()) { *why = "no secondary controls"; return false; }
         return vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) &&
                set_bit_or_skip(F::SECONDARY_VM_EXEC_CONTROL, first_disallowed(vmx_caps().proc2), why, "every secondary bit may be 1");
     }},
    {"CR3-target count above the supported number", Expect::ControlFail,
     [](const char**) { return vmcs_write(F::CR3_TARGET_COUNT, vmx_caps().cr3_target_count() + 1); }},
    {"I/O bitmap A not page aligned", Expect::ControlFail,
     [](const char** why) {
         if (!vmx_caps().proc.allows(proc::USE_IO_BITMAPS)) { *why = "I/O bitmaps not allowed"; return false; }
         return vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::USE_IO_BITMAPS) && vmcs_write(F::IO_BITMAP_A, 0x1008) && vmcs_write(F::IO_BITMAP_B, 0x2000);
     }},
    {"MSR bitmap address beyond MAXPHYADDR", Expect::ControlFail,
     [](const char** why) {
         if (!vmx_caps().proc.allows(proc::USE_MSR_BITMAPS)) { *why = "MSR bitmaps not allowed"; return false; }
         return vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::USE_MSR_BITMAPS) && vmcs_write(F::MSR_BITMAP, 1ull << cpu_maxphyaddr());
     }},
    {"NMI-window exiting without virtual NMIs", Expect::ControlFail,
     [](const char** why) {
         if (!vmx_caps().proc.allows(proc::NMI_WINDOW) || !vmx_caps().pin.allows_clear(pin::VIRTUAL_NMIS)) { *why = "NMI-window exiting not allowed"; return false; }
         return vmcs_clear_bits(F::PIN_BASED_VM_EXEC_CONTROL, pin::VIRTUAL_NMIS | pin::NMI_EXITING) && vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::NMI_WINDOW);
     }},
    {"virtual NMIs without NMI exiting", Expect::ControlFail,
     [](const char** why) {
         if (!vmx_caps().pin.allows(pin::VIRTUAL_NMIS)) { *why = "virtual NMIs not allowed"; return false; }
         return vmcs_clear_bits(F::PIN_BASED_VM_EXEC_CONTROL, pin::NMI_EXITING) && vmcs_set_bits(F::PIN_BASED_VM_EXEC_CONTROL, pin::VIRTUAL_NMIS);
     }},
    {"unrestricted guest without EPT", Expect::ControlFail,
     [](const char** why) {
         if (!vmx_caps().has_proc2(proc2::UNRESTRICTED_GUEST)) { *why = "unrestricted guest not allowed"; return false; }
         return vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) && vmcs_write(F::SECONDARY_VM_EXEC_CONTROL, proc2::UNRESTRICTED_GUEST);
     }},
    {"VPID enabled with VPID 0", Expect::ControlFail,
     [](const char** why) {
         if (!vmx_caps().has_proc2(proc2::VPID)) { *why = "VPID not allowed"; return false; }
         return vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) && vmcs_write(F::SECONDARY_VM_EXEC_CONTROL, proc2::VPID) &&
                vmcs_write(F::VIRTUAL_PROCESSOR_ID, 0);
     }},
    {"VM-entry interruption info with reserved type 1", Expect::ControlFail,
     [](const char**) { return vmcs_write(F::VM_ENTRY_INTR_INFO_FIELD, intr_info::VALID | (1u << intr_info::TYPE_SHIFT) | 32); }},
    {"VM-entry MSR-load address not 16-byte aligned", Expect::ControlFail,
     [](const char**) { return vmcs_write(F::VM_ENTRY_MSR_LOAD_COUNT, 1) && vmcs_write(F::VM_ENTRY_MSR_LOAD_ADDR, 0x100008); }},
    {"host CR0 without PE (CR0 FIXED0)", Expect::HostFail,
     [](const char**) { return vmcs_write(F::HOST_CR0, read_cr0() & ~cr0::PE); }},
    {"host CR4 without VMXE", Expect::HostFail,
     [](const char**) { return vmcs_write(F::HOST_CR4, read_cr4() & ~cr4::VMXE); }},
    {"host CS selector 0", Expect::HostFail,
     [](const char**) { return vmcs_write(F::HOST_CS_SELECTOR, 0); }},
    {"host TR selector 0", Expect::HostFail,
     [](const char**) { return vmcs_write(F::HOST_TR_SELECTOR, 0); }},
    {"host SS selector with RPL 3", Expect::HostFail,
     [](const char**) { return vmcs_write(F::HOST_SS_SELECTOR, 0x13); }},
    // Bit N-1 set, bits 63:N clear: not canonical (27.2.4: host RIP must be).
    {"host RIP not canonical", Expect::HostFail,
     [](const char**) { return vmcs_write(F::HOST_RIP, 1ull << (cpu_linear_width() - 1)); }},
    {"64-bit host without 'host address-space size'", Expect::HostFail,
     [](const char** why) {
         if (!vmx_caps().exit.allows_clear(exit_ctl::HOST_ADDR_SPACE_SIZE)) { *why = "host address-space size is must-be-one"; return false; }
         return vmcs_clear_bits(F::VM_EXIT_CONTROLS, exit_ctl::HOST_ADDR_SPACE_SIZE);
     }},
    {"guest RFLAGS bit 1 clear", Expect::GuestFail,
     [](const char**) { return vmcs_write(F::GUEST_RFLAGS, 0); }},
    {"guest CR0 with PG but not PE", Expect::GuestFail,
     [](const char**) { return vmcs_write(F::GUEST_CR0, read_cr0() & ~cr0::PE); }},
    {"guest CR4 without VMXE (CR4 FIXED0)", Expect::GuestFail,
     [](const char**) { return vmcs_write(F::GUEST_CR4, read_cr4() & ~cr4::VMXE); }},
    {"guest activity state 4 (reserved)", Expect::GuestFail,
     [](const char**) { return vmcs_write(F::GUEST_ACTIVITY_STATE, 4); }},
    {"guest VMCS link pointer not ~0 and not valid", Expect::GuestFail,
     [](const char**) { return vmcs_write(F::VMCS_LINK_POINTER, 0x1008); }},
    {"guest TR unusable", Expect::GuestFail,
     [](const char**) { return vmcs_write(F::GUEST_TR_AR_BYTES, seg_ar::UNUSABLE); }},
    {"guest CS with L=1 and D=1 in IA-32e mode", Expect::GuestFail,
     [](const char**) { return vmcs_write(F::GUEST_CS_AR_BYTES, seg_ar::CODE64 | (1u << 14)); }},
    // 27.3.1.4: for a 64-bit guest only bits 63:N must be identical (RIP
    // need not be canonical: bit N-1 alone passes the check, see the rule
    // below), so bit N set with bits 63:N+1 clear breaks it.
    {"guest RIP bits 63:N not identical", Expect::GuestFail,
     [](const char** why) {
         if (cpu_linear_width() >= 64) { *why = "64 linear-address bits: no guest RIP check applies"; return false; }
         return vmcs_write(F::GUEST_RIP, 1ull << cpu_linear_width());
     }, "entry.guest-rip-canonical"},
    {"IA-32e mode guest without EFER.LMA", Expect::GuestFail,
     [](const char**) { return vmcs_write(F::GUEST_IA32_EFER, rdmsr(0xc0000080) & ~(1ull << 10)); }},
    {"guest interruptibility with reserved bits", Expect::GuestFail,
     [](const char**) { return vmcs_write(F::GUEST_INTERRUPTIBILITY_INFO, 1u << 31); }},
};

const char* expect_text(Expect e)
{
    switch (e) {
    case Expect::ControlFail: return "VMfailValid(7)";
    case Expect::HostFail: return "VMfailValid(8)";
    case Expect::GuestFail: return "exit 33 (invalid guest state) with bit 31";
    }
    return "?";
}

// Runs every rule on a fresh guest; also checks the same guest enters fine
// once the broken field is restored, so a failure is attributable to the rule.
void test_entry_rules()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    for (const EntryRule& rule : kRules) {
        Guest g(l2_nothing);
        if (!g.ready())
            return;
        const char* why = nullptr;
        if (!rule.apply(&why)) {
            if (why)
                report_skip(why, "%s", rule.name);
            continue;
        }
        RunResult r = g.run();
        bool pass = false;
        switch (rule.expect) {
        case Expect::ControlFail: pass = r.vmfail_valid(E::ENTRY_INVALID_CONTROL_FIELD); break;
        case Expect::HostFail: pass = r.vmfail_valid(E::ENTRY_INVALID_HOST_STATE_FIELD); break;
        case Expect::GuestFail: pass = r.invalid_guest_state(); break;
        }
        Diagnostic d{expect_text(rule.expect), r.describe()};
        report_check(pass, &d, rule.erratum ? known_deviation(rule.erratum) : nullptr, "%s", rule.name);
        if (rule.expect == Expect::GuestFail && r.invalid_guest_state())
            expect_still_clear(g, "%s: the failed entry leaves the VMCS clear (VMLAUNCH fails the same way)", rule.name);
    }
}

// The baseline VMCS the rules start from enters and exits normally.
void test_baseline()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Guest g(l2_nothing);
    if (!g.ready())
        return;
    expect_done(g.run(), "the unmodified guest enters and returns");
}

// The other side of the guest-RIP rule: with bit N-1 set and bits 63:N
// clear the RIP is not canonical, yet bits 63:N are identical, so VM entry
// succeeds (SDM Vol. 3C 27.3.1.4: the guest RIP need not be canonical) and
// L2's first instruction fetch raises #GP(0) (Vol. 3A 3.3.7.1), which exits
// (every exception bit is set) with that RIP.
void test_guest_rip_below_n()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    unsigned n = cpu_linear_width();
    if (n >= 64)
        return report_skip("64 linear-address bits: every RIP is canonical", "guest RIP bit N-1 set");
    Guest g(l2_nothing);
    u64 rip = 1ull << (n - 1);
    if (!g.ready() || !vmcs_write(F::GUEST_RIP, rip))
        return;
    RunResult r = g.run();
    if (expect_exception(r, 13, true, "guest RIP bit N-1 set (N = linear-address width): entry succeeds, the first fetch raises #GP")) {
        report_eq(r.exit.guest_rip, rip, "guest RIP bit N-1 set: exit RIP is the non-canonical RIP");
        report_eq(r.exit.intr_error, 0, "guest RIP bit N-1 set: #GP error code 0");
    }
}

constexpr TestCase kCases[] = {
    {"baseline", test_baseline, vmx_unavailable_reason},
    {"entry_rules", test_entry_rules, vmx_unavailable_reason},
    {"guest_rip_not_canonical_enters", test_guest_rip_below_n, vmx_unavailable_reason},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
