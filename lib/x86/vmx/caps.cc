// Reads the capability MSRs once, through rdmsr_safe so that a CPU without
// VMX gives a clear "unavailable" rather than a crash.
#include "x86/vmx/caps.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/fault.hh"

namespace {

bool read_into(u32 index, u64& out)
{
    auto r = rdmsr_safe(index);
    out = r.fault ? 0 : r.value;
    return !r.fault;
}

VmxCaps read_caps()
{
    VmxCaps c;
    c.cpuid_vmx = cpuid(1).ecx & cpuid_bits::LEAF1_ECX_VMX;
    if (!c.cpuid_vmx)
        return c;
    u64 pin = 0, proc = 0, exit = 0, entry = 0;
    bool ok = read_into(msr::IA32_FEATURE_CONTROL, c.feature_control) &&
              read_into(msr::IA32_VMX_BASIC, c.basic) && read_into(msr::IA32_VMX_PINBASED_CTLS, pin) &&
              read_into(msr::IA32_VMX_PROCBASED_CTLS, proc) && read_into(msr::IA32_VMX_EXIT_CTLS, exit) &&
              read_into(msr::IA32_VMX_ENTRY_CTLS, entry) && read_into(msr::IA32_VMX_MISC, c.misc) &&
              read_into(msr::IA32_VMX_CR0_FIXED0, c.cr0_fixed0) &&
              read_into(msr::IA32_VMX_CR0_FIXED1, c.cr0_fixed1) &&
              read_into(msr::IA32_VMX_CR4_FIXED0, c.cr4_fixed0) &&
              read_into(msr::IA32_VMX_CR4_FIXED1, c.cr4_fixed1) &&
              read_into(msr::IA32_VMX_VMCS_ENUM, c.vmcs_enum);
    c.msrs_readable = ok;
    if (!ok)
        return c;
    c.pin_default = ControlCaps(pin);
    c.proc_default = ControlCaps(proc);
    c.exit_default = ControlCaps(exit);
    c.entry_default = ControlCaps(entry);
    c.pin = c.pin_default, c.proc = c.proc_default, c.exit = c.exit_default, c.entry = c.entry_default;
    if (c.true_controls()) {
        u64 v = 0;
        if (read_into(msr::IA32_VMX_TRUE_PINBASED_CTLS, v)) c.pin = ControlCaps(v);
        if (read_into(msr::IA32_VMX_TRUE_PROCBASED_CTLS, v)) c.proc = ControlCaps(v);
        if (read_into(msr::IA32_VMX_TRUE_EXIT_CTLS, v)) c.exit = ControlCaps(v);
        if (read_into(msr::IA32_VMX_TRUE_ENTRY_CTLS, v)) c.entry = ControlCaps(v);
    }
    if (c.proc.allows(proc::SECONDARY)) {
        u64 v = 0;
        if (read_into(msr::IA32_VMX_PROCBASED_CTLS2, v))
            c.proc2 = ControlCaps(v);
        if (c.proc2.allows(proc2::EPT) || c.proc2.allows(proc2::VPID))
            (void)read_into(msr::IA32_VMX_EPT_VPID_CAP, c.ept_vpid); // stays 0 on a fault
        if (c.proc2.allows(proc2::VMFUNC))
            (void)read_into(msr::IA32_VMX_VMFUNC, c.vmfunc); // stays 0 on a fault
    }
    return c;
}

} // namespace

const VmxCaps& vmx_caps()
{
    static bool read = false;
    static VmxCaps caps;
    if (!read) {
        caps = read_caps();
        read = true;
    }
    return caps;
}

const char* vmx_unavailable_reason()
{
    const VmxCaps& c = vmx_caps();
    if (!c.cpuid_vmx)
        return "CPUID.1:ECX.VMX[bit 5] is clear: this CPU/hypervisor offers no VMX";
    if (!c.msrs_readable)
        return "the VMX capability MSRs raise #GP";
    constexpr u64 LOCK = 1, VMXON_OUTSIDE_SMX = 1ull << 2;
    if ((c.feature_control & LOCK) && !(c.feature_control & VMXON_OUTSIDE_SMX))
        return "IA32_FEATURE_CONTROL is locked with VMXON outside SMX disabled";
    return nullptr;
}
