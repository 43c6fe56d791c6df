// One immutable snapshot of the VMX capabilities, read once at first use:
// feature control, IA32_VMX_BASIC, the (TRUE_) control MSRs as
// {must-be-one, may-be-one}, MISC, CR0/CR4 fixed bits, EPT/VPID caps, VMFUNC.
#pragma once
#include "types.hh"
#include "x86/arch/vmx_ctrl.hh"

// A VMX control capability MSR: bits 31:0 must be 1, bits 63:32 may be 1.
class ControlCaps {
public:
    constexpr ControlCaps() = default;
    constexpr explicit ControlCaps(u64 msr) : must_be_one_(static_cast<u32>(msr)), may_be_one_(static_cast<u32>(msr >> 32)) {}
    constexpr u32 must_be_one() const { return must_be_one_; }
    constexpr u32 may_be_one() const { return may_be_one_; }
    // True when every bit of bits may be set.
    constexpr bool allows(u32 bits) const { return (may_be_one_ & bits) == bits; }
    // True when every bit of bits may be cleared.
    constexpr bool allows_clear(u32 bits) const { return (must_be_one_ & bits) == 0; }
    // want with the must-be-one bits set and the must-be-zero bits cleared.
    constexpr u32 adjust(u32 want) const { return (want | must_be_one_) & may_be_one_; }
    // True when value is a legal setting.
    constexpr bool valid(u32 value) const { return (value & must_be_one_) == must_be_one_ && (value & ~may_be_one_) == 0; }

private:
    u32 must_be_one_ = 0;
    u32 may_be_one_ = 0;
};

struct VmxCaps {
    bool cpuid_vmx = false;       // CPUID.1:ECX.VMX
    bool msrs_readable = false;   // the capability MSRs could be read
    u64 feature_control = 0;
    u64 basic = 0;
    ControlCaps pin, proc, exit, entry;            // effective (TRUE_ ones when basic says so)
    ControlCaps pin_default, proc_default, exit_default, entry_default; // non-TRUE MSRs
    ControlCaps proc2;                             // zero when secondary controls are absent
    u64 misc = 0;
    u64 cr0_fixed0 = 0, cr0_fixed1 = 0, cr4_fixed0 = 0, cr4_fixed1 = 0;
    u64 vmcs_enum = 0;
    u64 ept_vpid = 0;  // zero when neither EPT nor VPID may be enabled
    u64 vmfunc = 0;    // zero when VMFUNC may not be enabled

    constexpr u32 revision() const { return static_cast<u32>(basic & vmx_basic::REVISION_MASK); }
    constexpr u32 vmcs_size() const { return static_cast<u32>((basic >> vmx_basic::VMCS_SIZE_SHIFT) & vmx_basic::VMCS_SIZE_MASK); }
    constexpr u32 vmcs_memtype() const { return static_cast<u32>((basic >> vmx_basic::MEMTYPE_SHIFT) & 0xf); }
    constexpr bool true_controls() const { return basic & vmx_basic::TRUE_CTLS; }
    constexpr bool has_secondary() const { return proc.allows(proc::SECONDARY); }
    constexpr bool has_proc2(u32 bits) const { return has_secondary() && proc2.allows(bits); }
    constexpr bool ept_has(u64 bits) const { return has_proc2(proc2::EPT) && (ept_vpid & bits) == bits; }
    constexpr unsigned max_vmcs_index() const { return static_cast<unsigned>((vmcs_enum >> 1) & 0x1ff); }
    constexpr unsigned preemption_rate() const { return static_cast<unsigned>(misc & vmx_misc::PREEMPTION_RATE_MASK); }
    constexpr unsigned cr3_target_count() const { return static_cast<unsigned>((misc >> vmx_misc::CR3_TARGETS_SHIFT) & vmx_misc::CR3_TARGETS_MASK); }
};

// The snapshot (read on first call; later calls return the same object).
const VmxCaps& vmx_caps();

// nullptr when VMX can be used here, else why not (for SKIP reasons).
const char* vmx_unavailable_reason();
