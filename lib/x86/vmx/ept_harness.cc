// EPT harness implementation.
#include "x86/vmx/ept_harness.hh"
#include "report.hh"
#include "x86/paging.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/vmcs.hh"

void l2_access(u64 mailbox)
{
    auto* m = reinterpret_cast<volatile L2Mailbox*>(mailbox);
    switch (m->op) {
    case L2Op::Read: m->value = *reinterpret_cast<volatile u64*>(m->addr); break;
    case L2Op::Write: *reinterpret_cast<volatile u64*>(m->addr) = m->value; break;
    case L2Op::Fetch: m->value = reinterpret_cast<u64 (*)()>(m->addr)(); break;
    }
}

EptGuest::EptGuest(GuestFn fn, u64 arg, EptOptions options)
    : guest_(fn, arg), setup_{EptSetup::Status::Error, "guest VMCS not ready", Eptp()}
{
    if (guest_.ready())
        setup_ = setup_ept_and_enable(ept_, options);
}

bool EptGuest::ready(const char* what) { return guest_.ready() && check_ept_setup(setup_, what); }

L1Alias::L1Alias(GuestPhysAddr gpa) : page_(VirtAddr(ept_alias_la(gpa.raw())).align_down(PAGE_SIZE))
{
    ok_ = map_page(current_page_root(), page_, PhysAddr(gpa.align_down(PAGE_SIZE).raw()), Pte::RW) == WalkStatus::Ok;
}

L1Alias::~L1Alias()
{
    if (ok_ && !unmap_page(current_page_root(), page_))
        report_error("unmapping the L1 alias at %#lx failed", page_.raw());
}

GuestPhysAddr map_test_page(Ept& ept, PhysAddr backing, u64 perms, int level, EptMemType mt)
{
    u64 size = pt_level_size(level);
    PhysAddr base = backing.align_down(size);
    if (ept.map(EPT_TEST_GPA, base, perms, level, mt) != WalkStatus::Ok)
        return GuestPhysAddr(0);
    return EPT_TEST_GPA + (backing - base);
}

void plant_fetch_stub(u8* at, u32 value)
{
    at[0] = X86_MOV_EAX_IMM32;
    for (int i = 0; i < 4; i++)
        at[1 + i] = static_cast<u8>(value >> (8 * i));
    at[5] = X86_RET;
}

const char* l2_op_name(L2Op op)
{
    switch (op) {
    case L2Op::Read: return "read";
    case L2Op::Write: return "write";
    case L2Op::Fetch: return "fetch";
    }
    return "?";
}

const char* ept_perm_name(u64 perms)
{
    static constexpr const char* names[8] = {"none", "R", "W", "RW", "X", "RX", "WX", "RWX"};
    return names[perms & 7];
}

const char* ept_unavailable_reason()
{
    if (const char* why = vmx_unavailable_reason())
        return why;
    const VmxCaps& c = vmx_caps();
    if (!c.has_proc2(proc2::EPT))
        return "secondary control 'enable EPT' not allowed (IA32_VMX_PROCBASED_CTLS2[33])";
    if (!(c.ept_vpid & ept_cap::WALK_4))
        return "4-level EPT walks not supported (IA32_VMX_EPT_VPID_CAP[6])";
    return nullptr;
}

const char* ept_ad_unavailable_reason()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return vmx_caps().ept_has(ept_cap::AD) ? nullptr : "EPT accessed/dirty flags not supported (IA32_VMX_EPT_VPID_CAP[21])";
}

bool ept_invalidate(Eptp eptp, const char* what)
{
    InveptCall c = invept_checked(InveptType::SingleContext, eptp);
    if (!c.supported)
        c = invept_checked(InveptType::Global, eptp);
    if (!c.supported) {
        // Without INVEPT nothing makes the change certain to be seen (29.4.3.1).
        report_skip("neither single- nor all-context INVEPT supported (IA32_VMX_EPT_VPID_CAP[20,25,26])",
                    "%s: INVEPT", what);
        return false;
    }
    if (!c.result.ok()) {
        report_error("%s: INVEPT failed: %s", what, vmx_result_str(c.result));
        return false;
    }
    return true;
}

bool ept_enable_mbec(EptGuest& eg, const char* what)
{
    Ept& ept = eg.ept();
    u64 end = ept_identity_size();
    for (u64 a = 0; a < end;) {
        GuestPhysAddr gpa(a);
        int leaf_level = 0;
        if (!ept.leaf(gpa, &leaf_level)) {
            report_error("%s: no EPT leaf maps L1 memory at %#lx", what, a);
            return false;
        }
        for (int level = 4; level >= leaf_level; level--) {
            EptEntry* e = ept.entry(gpa, level);
            if (!e) {
                report_error("%s: no level-%d EPT entry on the walk of %#lx", what, level, a);
                return false;
            }
            *e = e->with(EptEntry::XU);
        }
        u64 size = pt_level_size(leaf_level);
        a = (a & ~(size - 1)) + size;
    }
    if (!vmcs_set_bits(VmcsField::SECONDARY_VM_EXEC_CONTROL, proc2::MBEC)) {
        report_error("%s: VMWRITE of the MBEC control failed", what);
        return false;
    }
    return ept_invalidate(eg.eptp(), what);
}

void l2_access_loop(u64 mailbox)
{
    for (;;) {
        l2_access(mailbox);
        u64 rax = L2_STEP;
        asm volatile("vmcall" : "+a"(rax)::"memory", "rbx", "rcx", "rdx");
    }
}

RunResult EptStepper::step(L2Op op, u64 addr, u64 value)
{
    box_ = {op, addr, value};
    if (at_step_)
        eg_.guest().skip_instruction();
    return resume();
}

RunResult EptStepper::resume()
{
    RunResult r = eg_.run();
    at_step_ = is_step(r);
    return r;
}
