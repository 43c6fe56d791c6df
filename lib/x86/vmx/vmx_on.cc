// VMXON/VMXOFF fixture.
#include "x86/vmx/vmx_on.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/cr.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/vmx/caps.hh"

namespace {
bool g_active = false;
u64 g_saved_cr0, g_saved_cr4;
constexpr u64 FC_LOCK = 1, FC_VMXON_OUTSIDE_SMX = 1ull << 2;
} // namespace

PhysAddr alloc_vmx_region()
{
    PhysAddr p = alloc_page();
    if (p.raw())
        *phys_to_ptr<u32>(p) = vmx_caps().revision();
    return p;
}

bool vmx_prepare_cpu()
{
    const VmxCaps& c = vmx_caps();
    u64 fc = rdmsr(msr::IA32_FEATURE_CONTROL);
    if (!(fc & FC_LOCK)) {
        Fault f = wrmsr_safe(msr::IA32_FEATURE_CONTROL, fc | FC_LOCK | FC_VMXON_OUTSIDE_SMX);
        if (f) {
            report_error("cannot lock IA32_FEATURE_CONTROL: %s", exception_name(f.vector()));
            return false;
        }
    }
    u64 cr0v = (read_cr0() | c.cr0_fixed0) & c.cr0_fixed1;
    u64 cr4v = (read_cr4() | c.cr4_fixed0 | cr4::VMXE) & c.cr4_fixed1;
    write_cr0(cr0v);
    Fault f = write_cr4_safe(cr4v);
    if (f) {
        report_error("setting CR4.VMXE raised %s", exception_name(f.vector()));
        return false;
    }
    return true;
}

VmxOn::VmxOn()
{
    if (const char* why = vmx_unavailable_reason()) {
        report_skip(why, "VMX operation");
        return;
    }
    saved_cr0_ = read_cr0();
    saved_cr4_ = read_cr4();
    if (!vmx_prepare_cpu())
        return;
    region_ = alloc_vmx_region();
    VmxResult r = vmxon(region_);
    if (!r.ok()) {
        report_error("VMXON failed: %s", vmx_result_str(r));
        write_cr4(saved_cr4_);
        free_page(region_);
        return;
    }
    ok_ = true;
    g_active = true;
    g_saved_cr0 = saved_cr0_;
    g_saved_cr4 = saved_cr4_;
    set_case_abort_hook(vmx_emergency_teardown);
}

VmxOn::~VmxOn()
{
    if (!ok_)
        return;
    VmxResult r = vmxoff();
    if (!r.ok())
        report_error("VMXOFF failed: %s", vmx_result_str(r));
    write_cr4(saved_cr4_);
    write_cr0(saved_cr0_);
    free_page(region_);
    g_active = false;
}

bool vmx_active() { return g_active; }

void vmx_emergency_teardown()
{
    if (!g_active)
        return;
    VmxResult r = vmxoff();
    (void)r.ok(); // best effort: the case already failed and was reported
    write_cr4(g_saved_cr4);
    write_cr0(g_saved_cr0);
    g_active = false;
}
