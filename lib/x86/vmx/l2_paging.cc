// L2 paging structures in the EPT test window.
#include "x86/vmx/l2_paging.hh"
#include "x86/alloc_phys.hh"
#include "x86/paging.hh"
#include "x86/vmx/vmcs.hh"

L2Paging::L2Paging(Ept& ept, int no_a_level, bool user) : ept_(ept)
{
    constexpr u64 RWX = EptEntry::R | EptEntry::W | EptEntry::X;
    for (int l = 0; l <= 4; l++) {
        page_[l] = alloc_page();
        if (!page_[l].raw() || ept.map(gpa(l), page_[l], RWX, 1) != WalkStatus::Ok)
            return;
    }
    u64* pml4 = phys_to_ptr<u64>(page_[4]);
    if (user) {
        low_pdpt_ = alloc_page();
        if (!low_pdpt_.raw())
            return;
        u64* pdpt = phys_to_ptr<u64>(low_pdpt_);
        for (u64 g = 0; g < 4; g++)
            pdpt[g] = Pte::make(PhysAddr(g << 30), Pte::P | Pte::RW | Pte::US | Pte::A | Pte::D | Pte::PS).raw();
        pml4[0] = Pte::make(low_pdpt_, Pte::P | Pte::RW | Pte::US | Pte::A).raw();
    } else {
        const u64* l1 = phys_to_ptr<u64>(current_page_root());
        for (int i = 0; i < 512; i++)
            pml4[i] = Pte(l1[i]).present() ? Pte(l1[i]).with(Pte::A).raw() : l1[i];
    }
    for (int l = 4; l >= 1; l--) {
        u64 flags = Pte::P | Pte::RW | Pte::A | (l == 1 ? Pte::D : 0) | (user ? Pte::US : 0);
        *entry(l) = (gpa(l - 1).raw() | flags) & ~(l == no_a_level ? Pte::A : 0);
    }
    ok_ = vmcs_write(VmcsField::GUEST_CR3, gpa(4).raw());
}

L2Paging::~L2Paging()
{
    for (PhysAddr p : page_)
        if (p.raw())
            free_page(p);
    if (low_pdpt_.raw())
        free_page(low_pdpt_);
}
