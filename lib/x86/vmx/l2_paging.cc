// L2 paging structures in the EPT test window.
#include "x86/vmx/l2_paging.hh"
#include "x86/alloc_phys.hh"
#include "x86/paging.hh"
#include "x86/vmx/vmcs.hh"

namespace {
// Guest-physical bases of the large guest pages (2 MiB / 1 GiB aligned,
// outside L1's RAM and the tables).
constexpr u64 LARGE_2M_GPA = EPT_TEST_GPA.raw() + (2ull << 20), LARGE_1G_GPA = 4ull << 30;
} // namespace

L2Paging::L2Paging(Ept& ept, int no_a_level, const L2PageTables* base, int guest_leaf)
    : ept_(ept), guest_leaf_(guest_leaf)
{
    constexpr u64 RWX = EptEntry::R | EptEntry::W | EptEntry::X;
    const u64 large_base = guest_leaf == 2 ? LARGE_2M_GPA : LARGE_1G_GPA;
    data_gpa_ = guest_leaf == 1 ? gpa(0) : GuestPhysAddr(large_base + (L2_WALK_LA & (pt_level_size(guest_leaf) - 1)));
    for (int l = 0; l <= 4; l++) {
        page_[l] = alloc_page();
        if (!page_[l].raw() || ept.map(l ? gpa(l) : data_gpa_, page_[l], RWX, 1) != WalkStatus::Ok)
            return;
    }
    const bool user = base && base->user();
    const u64* from = phys_to_ptr<u64>(base ? base->root() : current_page_root());
    u64* pml4 = phys_to_ptr<u64>(page_[4]);
    for (int i = 0; i < 512; i++)
        pml4[i] = Pte(from[i]).present() ? Pte(from[i]).with(Pte::A).raw() : from[i];
    for (int l = 4; l >= 1; l--) {
        u64 flags = Pte::P | Pte::RW | Pte::A | (l == guest_leaf ? Pte::D : 0) | (user ? Pte::US : 0);
        u64 next = gpa(l - 1).raw();
        if (l == guest_leaf && l > 1) {
            flags |= Pte::PS;
            next = large_base;
        }
        *entry(l) = (next | flags) & ~(l == no_a_level ? Pte::A : 0);
    }
    ok_ = vmcs_write(VmcsField::GUEST_CR3, gpa(4).raw());
}

L2Paging::~L2Paging()
{
    for (PhysAddr p : page_)
        if (p.raw())
            free_page(p);
}
