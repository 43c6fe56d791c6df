// Entering and leaving VMX operation as an RAII fixture: VmxOn sets up
// IA32_FEATURE_CONTROL (if unlocked), CR0/CR4 per the FIXED MSRs and CR4.VMXE,
// allocates a VMXON region with the right revision and executes VMXON; its
// destructor executes VMXOFF and restores CR0/CR4.
#pragma once
#include "x86/addr.hh"
#include "x86/vmx/insn.hh"

// A page with the VMCS revision identifier in its first dword (VMXON region
// or VMCS); the caller frees it with free_page().
[[nodiscard]] PhysAddr alloc_vmx_region();

// Prepares CR0/CR4/feature control for VMXON; false (with a report) if it can't.
[[nodiscard]] bool vmx_prepare_cpu();

class VmxOn {
public:
    VmxOn();
    ~VmxOn();
    VmxOn(const VmxOn&) = delete;
    VmxOn& operator=(const VmxOn&) = delete;
    // True when VMXON succeeded (else an ERROR or SKIP was reported).
    [[nodiscard]] bool ok() const { return ok_; }
    PhysAddr region() const { return region_; }

private:
    bool ok_ = false;
    PhysAddr region_;
    u64 saved_cr0_ = 0, saved_cr4_ = 0;
};

// True while the CPU is in VMX operation through a VmxOn.
bool vmx_active();

// Leaves VMX operation after an aborted case (registered as the case abort hook).
void vmx_emergency_teardown();
