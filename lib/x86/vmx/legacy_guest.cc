// Legacy-mode (non-IA-32e) L2 guest state.
#include "x86/vmx/legacy_guest.hh"
#include "x86/arch/cr.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/desc.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/vmcs.hh"

namespace {
constexpr u64 EFER_LME = 1ull << 8, EFER_LMA = 1ull << 10;
u64 legacy_cr4() { return vmx_caps().cr4_fixed0 | cr4::VMXE; }
u16 real_sel(u64 base) { return static_cast<u16>((base >> 4) & 0xfffc); }
} // namespace

LegacyState real_mode_state(PhysAddr data, PhysAddr stack)
{
    u64 stub = reinterpret_cast<u64>(l2_real_stub), code = stub & ~0x3full;
    constexpr u32 CODE16 = 0x9b, DATA16 = 0x93; // present, S=1, DPL 0, accessed
    return {read_cr0() & ~(cr0::PE | cr0::PG), legacy_cr4(), stub - code, 0xff0,
            {real_sel(code), code, 0xffff, CODE16},
            {real_sel(stack.raw()), stack.raw(), 0xffff, DATA16},
            {real_sel(data.raw()), data.raw(), 0xffff, DATA16}};
}

LegacyState protected_mode_state(PhysAddr stack)
{
    constexpr u32 CODE32 = 0xc09b, DATA32 = 0xc093; // G=1, D/B=1
    return {read_cr0() & ~cr0::PG, legacy_cr4(), reinterpret_cast<u64>(l2_prot_stub), stack.raw() + 0xff0,
            {sel::KERNEL_CS32, 0, 0xffffffff, CODE32},
            {sel::KERNEL_DS, 0, 0xffffffff, DATA32},
            {sel::KERNEL_DS, 0, 0xffffffff, DATA32}};
}

bool load_legacy_state(const LegacyState& s)
{
    using F = VmcsField;
    const F fields[] = {
        F::GUEST_CR0, F::GUEST_CR4, F::GUEST_RIP, F::GUEST_RSP, F::GUEST_RFLAGS,
        F::GUEST_CS_SELECTOR, F::GUEST_CS_BASE, F::GUEST_CS_LIMIT, F::GUEST_CS_AR_BYTES,
        F::GUEST_SS_SELECTOR, F::GUEST_SS_BASE, F::GUEST_SS_LIMIT, F::GUEST_SS_AR_BYTES,
        F::GUEST_DS_SELECTOR, F::GUEST_DS_BASE, F::GUEST_DS_LIMIT, F::GUEST_DS_AR_BYTES,
        F::GUEST_ES_SELECTOR, F::GUEST_ES_BASE, F::GUEST_ES_LIMIT, F::GUEST_ES_AR_BYTES,
        F::GUEST_FS_SELECTOR, F::GUEST_FS_BASE, F::GUEST_FS_LIMIT, F::GUEST_FS_AR_BYTES,
        F::GUEST_GS_SELECTOR, F::GUEST_GS_BASE, F::GUEST_GS_LIMIT, F::GUEST_GS_AR_BYTES};
    const u64 values[] = {
        s.cr0, s.cr4, s.rip, s.rsp, rflags::FIXED1,
        s.cs.sel, s.cs.base, s.cs.limit, s.cs.ar,
        s.ss.sel, s.ss.base, s.ss.limit, s.ss.ar,
        s.ds.sel, s.ds.base, s.ds.limit, s.ds.ar,
        s.ds.sel, s.ds.base, s.ds.limit, s.ds.ar,
        s.ds.sel, s.ds.base, s.ds.limit, s.ds.ar,
        s.ds.sel, s.ds.base, s.ds.limit, s.ds.ar};
    static_assert(array_size(fields) == array_size(values));
    for (usize i = 0; i < array_size(fields); i++)
        if (!vmcs_write(fields[i], values[i]))
            return false;
    if (!vmcs_clear_bits(F::VM_ENTRY_CONTROLS, entry_ctl::IA32E_MODE))
        return false;
    if (vmcs_read(F::VM_ENTRY_CONTROLS) & entry_ctl::LOAD_EFER)
        return vmcs_write(F::GUEST_IA32_EFER, rdmsr(msr::IA32_EFER) & ~(EFER_LME | EFER_LMA));
    return true;
}
