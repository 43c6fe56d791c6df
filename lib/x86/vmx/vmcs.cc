// Checked VMCS accessors.
#include "x86/vmx/vmcs.hh"
#include "report.hh"

u64 vmcs_read(VmcsField f)
{
    u64 v = 0;
    VmxResult r = vmcs_try_read(f, &v);
    if (!r.ok()) {
        report_error("vmread(%s) failed: %s", vmcs_field_name(f), vmx_result_str(r));
        return 0;
    }
    return v;
}

bool vmcs_write(VmcsField f, u64 value)
{
    VmxResult r = vmcs_try_write(f, value);
    if (!r.ok())
        report_error("vmwrite(%s, %#lx) failed: %s", vmcs_field_name(f), value, vmx_result_str(r));
    return r.ok();
}

bool vmcs_set_bits(VmcsField f, u64 bits) { return vmcs_write(f, vmcs_read(f) | bits); }
bool vmcs_clear_bits(VmcsField f, u64 bits) { return vmcs_write(f, vmcs_read(f) & ~bits); }
