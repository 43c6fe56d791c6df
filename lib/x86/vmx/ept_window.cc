// EPT test window in its own PML4 slot (see ept_window.hh).
#include "x86/vmx/ept_window.hh"
#include "report.hh"
#include "x86/cpu.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/vmcs.hh"

const char* ept_window_unavailable_reason(int leaf_level)
{
    if (const char* why = ept_unavailable_reason())
        return why;
    if (cpu_maxphyaddr() < 40)
        return "MAXPHYADDR < 40 (CPUID.80000008H:EAX[7:0]): no guest-physical address outside EPT PML4 slot 0";
    if (!vmx_caps().ept_has(ept_cap::INVEPT) ||
        !(vmx_caps().ept_vpid & (ept_cap::INVEPT_SINGLE | ept_cap::INVEPT_ALL)))
        return "INVEPT single/all-context not supported (IA32_VMX_EPT_VPID_CAP[20,25,26])";
    if (leaf_level == 2 && !vmx_caps().ept_has(ept_cap::PDE_2M))
        return "2 MiB EPT leaves not supported (IA32_VMX_EPT_VPID_CAP[16])";
    if (leaf_level == 3 && !vmx_caps().ept_has(ept_cap::PDPTE_1G))
        return "1 GiB EPT leaves not supported (IA32_VMX_EPT_VPID_CAP[17])";
    return nullptr;
}

EptRules ept_rules_here(bool mbec)
{
    EptRules r;
    r.mbec = mbec;
    r.exec_only = vmx_caps().ept_vpid & ept_cap::EXEC_ONLY;
    r.advanced_info = vmx_caps().ept_vpid & ept_cap::ADV_EXIT_INFO;
    return r;
}

EptWindow::EptWindow(GuestFn fn, u64 arg, PhysAddr backing, int leaf_level, bool user, PhysAddr next,
                     EptOptions options)
    : eg_(fn, arg, options), tables_(user), leaf_level_(leaf_level)
{
    if (!eg_.guest().ready())
        return;
    why_ = "out of memory for L2's page tables";
    if (!tables_.ok())
        return;
    u64 size = pt_level_size(leaf_level);
    PhysAddr base = backing.align_down(size);
    gpa_ = EPT_FAR_GPA + (backing - base);
    why_ = "mapping the window in EPT failed";
    if (ept().map(EPT_FAR_GPA, base, EptEntry::R | EptEntry::W | EptEntry::X, leaf_level) != WalkStatus::Ok)
        return;
    if (next.raw() && leaf_level == 1 &&
        ept().map(EPT_FAR_GPA + PAGE_SIZE, next, EptEntry::R | EptEntry::W | EptEntry::X, 1) != WalkStatus::Ok)
        return;
    why_ = "mapping the window in L2's page tables (or GUEST_CR3) failed";
    VirtAddr la(ept_alias_la(gpa_.raw()));
    if (!tables_.map(la, gpa_) || !tables_.map(la + PAGE_SIZE, gpa_ + PAGE_SIZE) || !tables_.install())
        return;
    why_ = "VMWRITE of the CPL3 guest state failed";
    if (user && !l2_enter_user_mode())
        return;
    rip0_ = vmcs_read(VmcsField::GUEST_RIP);
    rsp0_ = vmcs_read(VmcsField::GUEST_RSP);
    rflags0_ = vmcs_read(VmcsField::GUEST_RFLAGS);
    regs0_ = eg_.guest().regs();
    ok_ = true;
}

bool EptWindow::ready(const char* what)
{
    if (!eg_.ready(what))
        return false;
    if (!ok_)
        report_error("%s: %s", what, why_);
    return ok_;
}

EptEntry* EptWindow::entry(GuestPhysAddr gpa, int level)
{
    u64* table = phys_to_ptr<u64>(ept().root());
    for (int l = 4; l >= level; l--) {
        u64* e = &table[pt_index(gpa.raw(), l)];
        if (l == level)
            return reinterpret_cast<EptEntry*>(e);
        if (l <= 3 && (*e & EptEntry::LARGE))
            return nullptr;
        if (!(*e & EPT_ADDR_MASK))
            return nullptr;
        table = phys_to_ptr<u64>(PhysAddr(*e & EPT_ADDR_MASK));
    }
    return nullptr;
}

int EptWindow::walk(GuestPhysAddr gpa, u64 out[4])
{
    int n = 0;
    for (int l = 4; l >= 1; l--) {
        EptEntry* e = entry(gpa, l);
        if (!e)
            break;
        out[n++] = e->raw();
        if (l == 1 || (l <= 3 && e->large()))
            break;
    }
    return n;
}

bool EptWindow::set_perms(GuestPhysAddr gpa, int level, u64 perms)
{
    EptEntry* e = entry(gpa, level);
    if (!e)
        return false;
    constexpr u64 mask = EptEntry::PERM_MASK | EptEntry::XU;
    *e = EptEntry((e->raw() & ~mask) | (perms & mask));
    return flush();
}

bool EptWindow::flush()
{
    InveptCall c = invept_checked(InveptType::SingleContext, eg_.eptp());
    if (!c.supported)
        c = invept_checked(InveptType::Global, eg_.eptp());
    if (!c.supported || !c.result.ok()) {
        report_error("INVEPT after an EPT change: %s", c.supported ? vmx_result_str(c.result) : "not supported");
        return false;
    }
    return true;
}

void EptWindow::restart()
{
    vmcs_write(VmcsField::GUEST_RIP, rip0_);
    vmcs_write(VmcsField::GUEST_RSP, rsp0_);
    vmcs_write(VmcsField::GUEST_RFLAGS, rflags0_);
    vmcs_write(VmcsField::GUEST_INTERRUPTIBILITY_INFO, 0);
    eg_.guest().regs() = regs0_;
}
