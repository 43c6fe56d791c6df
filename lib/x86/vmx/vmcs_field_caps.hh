// Which VMCS fields exist, derived from the VMX capability MSRs (SDM Vol.
// 3D, Appendix B: "this field exists only on processors that support the
// 1-setting of ..."; Vol. 3C 25.6-25.8 for the controls). A field exists iff
// its feature can be enabled (x86/vmx.cc vmcs_fields checks both halves).
// Pure logic over a VmxCaps value, also unit-tested on the host (tests/host/vmcs_field_caps_test.cc).
#pragma once
#include "types.hh"
#include "x86/arch/vmcs_fields.hh"
#include "x86/vmx/caps.hh"

// What decides whether a field exists.
enum class FieldGate : u8 {
    Always,  // every VMX processor has it
    Pin,     // some bit of `bits` may be 1 in the pin-based controls
    Proc,    // ... primary processor-based controls
    Proc2,   // ... secondary controls (and those may be activated)
    Exit,    // ... VM-exit controls
    Entry,   // ... VM-entry controls
    ExitOrEntry, // bits of the exit controls (low 32) or entry controls (high 32)
    Vmfunc,  // VM functions may be enabled and IA32_VMX_VMFUNC allows a bit of `bits`
    Unknown, // its enumeration is not read here (tertiary controls, FRED, ...): no requirement
};

// One row: the field and its gate.
struct FieldNeed {
    VmcsField field;
    FieldGate gate;
    u64 bits = 0;
};

// Packs an exit-control and an entry-control mask for FieldGate::ExitOrEntry.
constexpr u64 exit_or_entry(u32 exit_bits, u32 entry_bits) { return exit_bits | (static_cast<u64>(entry_bits) << 32); }

// Every field that is not FieldGate::Always (SDM Appendix B), in encoding order.
constexpr FieldNeed kVmcsFieldNeeds[] = {
    {VmcsField::VIRTUAL_PROCESSOR_ID, FieldGate::Proc2, proc2::VPID},
    {VmcsField::POSTED_INTR_NV, FieldGate::Pin, pin::POSTED_INTR},
    {VmcsField::EPTP_INDEX, FieldGate::Proc2, proc2::EPT_VE},
    {VmcsField::HLAT_PREFIX_SIZE, FieldGate::Unknown},
    {VmcsField::LAST_PID_POINTER_INDEX, FieldGate::Unknown},
    {VmcsField::VIRTUAL_TIMER_VECTOR, FieldGate::Unknown},
    {VmcsField::GUEST_INTR_STATUS, FieldGate::Proc2, proc2::VIRT_INTR_DELIVERY},
    {VmcsField::GUEST_PML_INDEX, FieldGate::Proc2, proc2::PML},
    {VmcsField::GUEST_UINV, FieldGate::ExitOrEntry, exit_or_entry(exit_ctl::CLEAR_UINV, entry_ctl::LOAD_UINV)},
    {VmcsField::MSR_BITMAP, FieldGate::Proc, proc::USE_MSR_BITMAPS},
    {VmcsField::PML_ADDRESS, FieldGate::Proc2, proc2::PML},
    {VmcsField::VIRTUAL_APIC_PAGE_ADDR, FieldGate::Proc, proc::TPR_SHADOW},
    {VmcsField::APIC_ACCESS_ADDR, FieldGate::Proc2, proc2::VIRT_APIC_ACCESSES},
    {VmcsField::POSTED_INTR_DESC_ADDR, FieldGate::Pin, pin::POSTED_INTR},
    {VmcsField::VM_FUNCTION_CONTROL, FieldGate::Proc2, proc2::VMFUNC},
    {VmcsField::EPT_POINTER, FieldGate::Proc2, proc2::EPT},
    {VmcsField::EOI_EXIT_BITMAP0, FieldGate::Proc2, proc2::VIRT_INTR_DELIVERY},
    {VmcsField::EOI_EXIT_BITMAP1, FieldGate::Proc2, proc2::VIRT_INTR_DELIVERY},
    {VmcsField::EOI_EXIT_BITMAP2, FieldGate::Proc2, proc2::VIRT_INTR_DELIVERY},
    {VmcsField::EOI_EXIT_BITMAP3, FieldGate::Proc2, proc2::VIRT_INTR_DELIVERY},
    {VmcsField::EPTP_LIST_ADDRESS, FieldGate::Vmfunc, 1}, // VM function 0, EPTP switching
    {VmcsField::VMREAD_BITMAP, FieldGate::Proc2, proc2::VMCS_SHADOWING},
    {VmcsField::VMWRITE_BITMAP, FieldGate::Proc2, proc2::VMCS_SHADOWING},
    {VmcsField::VE_INFORMATION_ADDRESS, FieldGate::Proc2, proc2::EPT_VE},
    {VmcsField::XSS_EXIT_BITMAP, FieldGate::Proc2, proc2::XSAVES},
    {VmcsField::ENCLS_EXITING_BITMAP, FieldGate::Proc2, proc2::ENCLS},
    {VmcsField::SPPT_POINTER, FieldGate::Proc2, proc2::SPP},
    {VmcsField::TSC_MULTIPLIER, FieldGate::Proc2, proc2::TSC_SCALING},
    {VmcsField::TERTIARY_VM_EXEC_CONTROL, FieldGate::Proc, proc::TERTIARY},
    {VmcsField::ENCLV_EXITING_BITMAP, FieldGate::Proc2, proc2::ENCLV},
    {VmcsField::LOW_PASID_DIRECTORY_ADDR, FieldGate::Unknown},
    {VmcsField::HIGH_PASID_DIRECTORY_ADDR, FieldGate::Unknown},
    {VmcsField::SHARED_EPT_POINTER, FieldGate::Unknown},
    {VmcsField::PCONFIG_EXITING_BITMAP, FieldGate::Proc2, proc2::PCONFIG},
    {VmcsField::HLAT_POINTER, FieldGate::Unknown},
    {VmcsField::PID_POINTER_TABLE_ADDR, FieldGate::Unknown},
    {VmcsField::SECONDARY_VM_EXIT_CONTROLS, FieldGate::Exit, exit_ctl::SECONDARY},
    {VmcsField::IA32_SPEC_CTRL_MASK, FieldGate::Unknown},
    {VmcsField::IA32_SPEC_CTRL_SHADOW, FieldGate::Unknown},
    {VmcsField::GUEST_DEADLINE_SHADOW, FieldGate::Unknown},
    {VmcsField::INJECTED_EVENT_DATA, FieldGate::Unknown},
    {VmcsField::GUEST_PHYSICAL_ADDRESS, FieldGate::Proc2, proc2::EPT},
    {VmcsField::ORIGINAL_EVENT_DATA, FieldGate::Unknown},
    {VmcsField::GUEST_IA32_PAT, FieldGate::ExitOrEntry, exit_or_entry(exit_ctl::SAVE_PAT, entry_ctl::LOAD_PAT)},
    {VmcsField::GUEST_IA32_EFER, FieldGate::ExitOrEntry, exit_or_entry(exit_ctl::SAVE_EFER, entry_ctl::LOAD_EFER)},
    {VmcsField::GUEST_IA32_PERF_GLOBAL_CTRL, FieldGate::ExitOrEntry,
     exit_or_entry(exit_ctl::SAVE_PERF_GLOBAL, entry_ctl::LOAD_PERF_GLOBAL)},
    {VmcsField::GUEST_PDPTR0, FieldGate::Proc2, proc2::EPT},
    {VmcsField::GUEST_PDPTR1, FieldGate::Proc2, proc2::EPT},
    {VmcsField::GUEST_PDPTR2, FieldGate::Proc2, proc2::EPT},
    {VmcsField::GUEST_PDPTR3, FieldGate::Proc2, proc2::EPT},
    {VmcsField::GUEST_IA32_BNDCFGS, FieldGate::ExitOrEntry, exit_or_entry(exit_ctl::CLEAR_BNDCFGS, entry_ctl::LOAD_BNDCFGS)},
    {VmcsField::GUEST_IA32_RTIT_CTL, FieldGate::ExitOrEntry, exit_or_entry(exit_ctl::CLEAR_RTIT_CTL, entry_ctl::LOAD_RTIT_CTL)},
    {VmcsField::GUEST_IA32_LBR_CTL, FieldGate::ExitOrEntry, exit_or_entry(exit_ctl::CLEAR_LBR_CTL, entry_ctl::LOAD_LBR_CTL)},
    {VmcsField::GUEST_IA32_PKRS, FieldGate::Entry, entry_ctl::LOAD_PKRS},
    {VmcsField::GUEST_IA32_FRED_CONFIG, FieldGate::Unknown},
    {VmcsField::GUEST_IA32_FRED_RSP1, FieldGate::Unknown},
    {VmcsField::GUEST_IA32_FRED_RSP2, FieldGate::Unknown},
    {VmcsField::GUEST_IA32_FRED_RSP3, FieldGate::Unknown},
    {VmcsField::GUEST_IA32_FRED_STKLVLS, FieldGate::Unknown},
    {VmcsField::GUEST_IA32_FRED_SSP1, FieldGate::Unknown},
    {VmcsField::GUEST_IA32_FRED_SSP2, FieldGate::Unknown},
    {VmcsField::GUEST_IA32_FRED_SSP3, FieldGate::Unknown},
    {VmcsField::GUEST_IA32_SPEC_CTRL, FieldGate::Unknown},
    {VmcsField::GUEST_DEADLINE, FieldGate::Unknown},
    {VmcsField::HOST_IA32_PAT, FieldGate::Exit, exit_ctl::LOAD_PAT},
    {VmcsField::HOST_IA32_EFER, FieldGate::Exit, exit_ctl::LOAD_EFER},
    {VmcsField::HOST_IA32_PERF_GLOBAL_CTRL, FieldGate::Exit, exit_ctl::LOAD_PERF_GLOBAL},
    {VmcsField::HOST_IA32_PKRS, FieldGate::Exit, exit_ctl::LOAD_PKRS},
    {VmcsField::HOST_IA32_FRED_CONFIG, FieldGate::Unknown},
    {VmcsField::HOST_IA32_FRED_RSP1, FieldGate::Unknown},
    {VmcsField::HOST_IA32_FRED_RSP2, FieldGate::Unknown},
    {VmcsField::HOST_IA32_FRED_RSP3, FieldGate::Unknown},
    {VmcsField::HOST_IA32_FRED_STKLVLS, FieldGate::Unknown},
    {VmcsField::HOST_IA32_FRED_SSP1, FieldGate::Unknown},
    {VmcsField::HOST_IA32_FRED_SSP2, FieldGate::Unknown},
    {VmcsField::HOST_IA32_FRED_SSP3, FieldGate::Unknown},
    {VmcsField::HOST_IA32_SPEC_CTRL, FieldGate::Unknown},
    {VmcsField::TPR_THRESHOLD, FieldGate::Proc, proc::TPR_SHADOW},
    {VmcsField::SECONDARY_VM_EXEC_CONTROL, FieldGate::Proc, proc::SECONDARY},
    {VmcsField::PLE_GAP, FieldGate::Proc2, proc2::PAUSE_LOOP},
    {VmcsField::PLE_WINDOW, FieldGate::Proc2, proc2::PAUSE_LOOP},
    {VmcsField::NOTIFY_WINDOW, FieldGate::Proc2, proc2::INSN_TIMEOUT},
    {VmcsField::VMX_PREEMPTION_TIMER_VALUE, FieldGate::Pin, pin::PREEMPTION_TIMER},
    {VmcsField::GUEST_S_CET, FieldGate::Entry, entry_ctl::LOAD_CET},
    {VmcsField::GUEST_SSP, FieldGate::Entry, entry_ctl::LOAD_CET},
    {VmcsField::GUEST_INTR_SSP_TABLE, FieldGate::Entry, entry_ctl::LOAD_CET},
    {VmcsField::HOST_S_CET, FieldGate::Exit, exit_ctl::LOAD_CET},
    {VmcsField::HOST_SSP, FieldGate::Exit, exit_ctl::LOAD_CET},
    {VmcsField::HOST_INTR_SSP_TABLE, FieldGate::Exit, exit_ctl::LOAD_CET},
};

// The gate of f: its row, or Always for a field without one.
constexpr FieldNeed vmcs_field_need(VmcsField f)
{
    for (const FieldNeed& n : kVmcsFieldNeeds)
        if (n.field == f)
            return n;
    return {f, FieldGate::Always, 0};
}

// True when some bit of bits may be 1 in c.
constexpr bool may_set_any(ControlCaps c, u64 bits) { return (c.may_be_one() & bits) != 0; }

// What the capabilities say about f's existence.
enum class FieldExpect : u8 {
    MustExist, // its feature can be enabled (or it always exists)
    NoFeature, // its feature cannot be enabled: the field does not exist
    Open,      // not decided here (FieldGate::Unknown)
};

// The expectation for f under the capabilities c.
constexpr FieldExpect vmcs_field_expect(VmcsField f, const VmxCaps& c)
{
    const FieldNeed n = vmcs_field_need(f);
    bool can = false;
    switch (n.gate) {
    case FieldGate::Always: return FieldExpect::MustExist;
    case FieldGate::Unknown: return FieldExpect::Open;
    case FieldGate::Pin: can = may_set_any(c.pin, n.bits); break;
    case FieldGate::Proc: can = may_set_any(c.proc, n.bits); break;
    case FieldGate::Proc2: can = c.has_secondary() && may_set_any(c.proc2, n.bits); break;
    case FieldGate::Exit: can = may_set_any(c.exit, n.bits); break;
    case FieldGate::Entry: can = may_set_any(c.entry, n.bits); break;
    case FieldGate::ExitOrEntry: can = may_set_any(c.exit, n.bits & 0xffffffff) || may_set_any(c.entry, n.bits >> 32); break;
    case FieldGate::Vmfunc: can = c.has_proc2(proc2::VMFUNC) && (c.vmfunc & n.bits) != 0; break;
    }
    return can ? FieldExpect::MustExist : FieldExpect::NoFeature;
}

// Every row names a field of the table once, in encoding order.
constexpr bool vmcs_field_needs_sorted()
{
    for (usize i = 1; i < sizeof(kVmcsFieldNeeds) / sizeof(kVmcsFieldNeeds[0]); i++)
        if (vmcs_encoding(kVmcsFieldNeeds[i - 1].field) >= vmcs_encoding(kVmcsFieldNeeds[i].field))
            return false;
    return true;
}
static_assert(vmcs_field_needs_sorted(), "kVmcsFieldNeeds: one row per field, in encoding order");
