// L2's own 4-level paging structures, placed in the EPT test window so that
// the accesses of L2's page walks go through EPT entries a test controls
// (SDM Vol. 3C 29.3.3.2). Requires a current VMCS with EPT (EptGuest).
#pragma once
#include "types.hh"
#include "x86/addr.hh"
#include "x86/vmx/ept.hh"
#include "x86/vmx/ept_harness.hh"

// The linear address L2 reaches through its own tables: PML4 index 1 (not
// used by L1's identity map), then PDPT/PD/PT index 1, 1, 3.
constexpr u64 L2_WALK_LA = (1ull << 39) | (1ull << 30) | (1ull << 21) | (3ull << 12);

// The PML4 at EPT_TEST_GPA, then PDPT, PD, PT and the data page L2_WALK_LA
// maps to, each behind its own 4 KiB EPT leaf (RWX). The PML4 copies L1's
// entries (with A set), so L2's code, stack and mailbox stay identity-mapped.
// L1 writes the tables through their backing pages; L2 sees them at gpa(level).
// Level 0 is the data page.
class L2Paging {
public:
    // Every entry for L2_WALK_LA carries A (and the PTE D), except the entry
    // at no_a_level (1..4; 0: none), which has A clear. Loads GUEST_CR3.
    // user: every page is a user page (U/S = 1 at every level), for an L2 at
    // CPL3: instead of L1's entries the PML4 maps the first 4 GiB 1:1 with
    // 1 GiB user pages (needs CPUID.80000001H:EDX[26]).
    explicit L2Paging(Ept& ept, int no_a_level = 0, bool user = false);
    ~L2Paging();
    L2Paging(const L2Paging&) = delete;
    L2Paging& operator=(const L2Paging&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }
    static GuestPhysAddr gpa(int level) { return EPT_TEST_GPA + (4 - level) * PAGE_SIZE; }
    // The entry for L2_WALK_LA in the table at level (1..4), as L1 sees it.
    u64* entry(int level) { return phys_to_ptr<u64>(page_[level]) + pt_index(L2_WALK_LA, level); }
    // The backing page of level (0: the data page).
    PhysAddr page(int level) const { return page_[level]; }
    // The EPT leaf mapping the page of level.
    EptEntry* ept_leaf(int level) { return ept_.entry(gpa(level), 1); }
    // Sets the EPT permissions (R/W/X bits) of the page of level.
    void set_table_perms(int level, u64 perms) { *ept_leaf(level) = ept_leaf(level)->with_perms(perms); }

private:
    Ept& ept_;
    PhysAddr page_[5] = {};
    PhysAddr low_pdpt_; // user: the 1 GiB identity pages of the first 4 GiB
    bool ok_ = false;
};
