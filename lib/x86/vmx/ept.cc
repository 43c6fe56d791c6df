// EPT table management on top of pt_walk with EptFormat.
#include "x86/vmx/ept.hh"
#include "report.hh"
#include "x86/alloc_phys.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/vmcs.hh"

Ept::Ept() : root_(alloc_page()) {}

Ept::~Ept()
{
    if (root_.raw())
        pt_free_tables<EptFormat>(root_, 4);
}

WalkStatus Ept::map(GuestPhysAddr gpa, PhysAddr pa, u64 perms, int level, EptMemType mt)
{
    u64 size = pt_level_size(level);
    if (level < 1 || level > 3 || !gpa.is_aligned(size) || !pa.is_aligned(size))
        return WalkStatus::BadLevel;
    WalkResult w = pt_walk<EptFormat>(root_, gpa.raw(), level, true);
    if (!w.ok())
        return w.status;
    *w.entry = EptEntry::leaf(pa, perms, level, mt).raw();
    return WalkStatus::Ok;
}

bool Ept::unmap(GuestPhysAddr gpa)
{
    u64* e = pt_find_leaf<EptFormat>(root_, gpa.raw(), nullptr);
    if (!e)
        return false;
    *e = 0;
    return true;
}

EptEntry* Ept::entry(GuestPhysAddr gpa, int level)
{
    WalkResult w = pt_walk<EptFormat>(root_, gpa.raw(), level, false);
    return w.ok() ? reinterpret_cast<EptEntry*>(w.entry) : nullptr;
}

EptEntry* Ept::leaf(GuestPhysAddr gpa, int* level)
{
    return reinterpret_cast<EptEntry*>(pt_find_leaf<EptFormat>(root_, gpa.raw(), level));
}

bool Ept::split(GuestPhysAddr gpa, int level)
{
    EptEntry* e = entry(gpa, level);
    if (level < 2 || !e || !e->large())
        return false;
    PhysAddr table = alloc_page();
    if (!table.raw())
        return false;
    u64 child_size = pt_level_size(level - 1);
    u64* t = phys_to_ptr<u64>(table);
    EptEntry big = *e;
    for (int i = 0; i < 512; i++) {
        EptEntry child = EptEntry::leaf(big.addr() + i * child_size, big.raw() & (EptEntry::PERM_MASK | EptEntry::XU),
                                        level - 1, static_cast<EptMemType>(big.memtype()));
        t[i] = child.raw() | (big.raw() & EptEntry::IGNORE_PAT);
    }
    *e = EptEntry::table(table);
    return true;
}

bool Ept::identity_map(u64 size, u64 perms)
{
    const VmxCaps& c = vmx_caps();
    int level = c.ept_has(ept_cap::PDPTE_1G) && size % HUGE_PAGE_SIZE == 0 ? 3
                : c.ept_has(ept_cap::PDE_2M)                                ? 2
                                                                            : 1;
    u64 step = pt_level_size(level);
    for (u64 a = 0; a < size; a += step)
        if (map(GuestPhysAddr(a), PhysAddr(a), perms, level) != WalkStatus::Ok)
            return false;
    return true;
}

u64 ept_identity_size()
{
    u64 end = phys_region_end().raw();
    return (end + LARGE_PAGE_SIZE - 1) & ~(LARGE_PAGE_SIZE - 1);
}

EptSetup setup_ept_and_enable(Ept& ept, EptOptions options)
{
    const VmxCaps& c = vmx_caps();
    if (!c.has_proc2(proc2::EPT))
        return {EptSetup::Status::Unsupported, "secondary control 'enable EPT' not allowed (IA32_VMX_PROCBASED_CTLS2[33])", Eptp()};
    if (!ept.ok())
        return {EptSetup::Status::Error, "out of memory for the EPT root", Eptp()};
    EptpResult e = setup_eptp(ept.root(), c.ept_vpid, options);
    if (!e.ok)
        return {EptSetup::Status::Unsupported, e.reason, Eptp()};
    if (!ept.identity_map(ept_identity_size(), EptEntry::R | EptEntry::W | EptEntry::X))
        return {EptSetup::Status::Error, "out of memory while identity-mapping L1 memory in EPT", Eptp()};
    if (!vmcs_write(VmcsField::EPT_POINTER, e.eptp.raw()) ||
        !vmcs_set_bits(VmcsField::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) ||
        !vmcs_set_bits(VmcsField::SECONDARY_VM_EXEC_CONTROL, proc2::EPT))
        return {EptSetup::Status::Error, "VMWRITE of the EPT controls failed", Eptp()};
    return {EptSetup::Status::Ok, nullptr, e.eptp};
}

bool check_ept_setup(const EptSetup& s, const char* what)
{
    if (s.status == EptSetup::Status::Unsupported)
        report_skip(s.reason, "%s", what);
    else if (s.status == EptSetup::Status::Error)
        report_error("%s: EPT setup failed: %s", what, s.reason);
    return s.ok();
}

InveptCall invept_checked(InveptType type, Eptp eptp)
{
    const VmxCaps& c = vmx_caps();
    u64 need = type == InveptType::SingleContext ? ept_cap::INVEPT_SINGLE : ept_cap::INVEPT_ALL;
    if (!c.ept_has(ept_cap::INVEPT | need))
        return {false, VmxResult::success()};
    return {true, invept(static_cast<u64>(type), eptp.raw())};
}
