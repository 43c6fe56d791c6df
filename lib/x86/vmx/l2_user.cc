// User-mode L2 guests: guest page tables and CPL3 guest state.
#include "x86/vmx/l2_user.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/cr.hh"
#include "x86/desc.hh"
#include "x86/pt_walk.hh"
#include "x86/vmx/vmcs.hh"

L2PageTables::L2PageTables(bool user) : root_(alloc_page()), user_(user)
{
    if (!root_.raw())
        return;
    u64 us = user ? Pte::US : 0;
    for (u64 a = 0; a < IDENTITY_LIMIT; a += LARGE_PAGE_SIZE) {
        WalkResult w = pt_walk<PagingFormat>(root_, a, 2, true);
        if (!w.ok())
            return;
        *w.entry = Pte::make(PhysAddr(a), Pte::P | Pte::RW | Pte::PS | us).raw();
    }
    ok_ = true;
}

L2PageTables::~L2PageTables()
{
    if (root_.raw())
        pt_free_tables<PagingFormat>(root_, 4);
}

bool L2PageTables::map(VirtAddr la, GuestPhysAddr gpa, u64 flags)
{
    if (la.raw() < IDENTITY_LIMIT || !la.is_aligned(PAGE_SIZE) || !gpa.is_aligned(PAGE_SIZE))
        return false;
    WalkResult w = pt_walk<PagingFormat>(root_, la.raw(), 1, true);
    if (!w.ok())
        return false;
    *w.entry = (gpa.raw() & PT_ADDR_MASK) | flags | Pte::P | (user_ ? Pte::US : 0);
    return true;
}

bool L2PageTables::install() const { return ok_ && vmcs_write(VmcsField::GUEST_CR3, root_.raw()); }

bool l2_enter_user_mode()
{
    using F = VmcsField;
    const F selectors[] = {F::GUEST_SS_SELECTOR, F::GUEST_DS_SELECTOR, F::GUEST_ES_SELECTOR,
                           F::GUEST_FS_SELECTOR, F::GUEST_GS_SELECTOR};
    const F ars[] = {F::GUEST_SS_AR_BYTES, F::GUEST_DS_AR_BYTES, F::GUEST_ES_AR_BYTES,
                     F::GUEST_FS_AR_BYTES, F::GUEST_GS_AR_BYTES};
    if (!vmcs_write(F::GUEST_CS_SELECTOR, sel::USER_CS) || !vmcs_write(F::GUEST_CS_AR_BYTES, seg_ar_user::CODE64))
        return false;
    for (usize i = 0; i < array_size(selectors); i++)
        if (!vmcs_write(selectors[i], sel::USER_DS) || !vmcs_write(ars[i], seg_ar_user::DATA))
            return false;
    u64 cr4v = vmcs_read(F::GUEST_CR4) & ~(cr4::SMEP | cr4::SMAP);
    return vmcs_write(F::GUEST_CR4, cr4v);
}
