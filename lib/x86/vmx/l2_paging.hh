// L2's own 4-level paging structures, placed in the EPT test window so that
// the accesses of L2's page walks go through EPT entries a test controls
// (SDM Vol. 3C 29.3.3.2). Requires a current VMCS with EPT (EptGuest).
#pragma once
#include "types.hh"
#include "x86/addr.hh"
#include "x86/vmx/ept.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/l2_user.hh"

// The linear address L2 reaches through its own tables: PML4 index 1 (not
// used by L1's identity map), then PDPT/PD/PT index 1, 1, 3.
constexpr u64 L2_WALK_LA = (1ull << 39) | (1ull << 30) | (1ull << 21) | (3ull << 12);

// The PML4 at EPT_TEST_GPA, then PDPT, PD, PT and the data page L2_WALK_LA
// maps to, each behind its own 4 KiB EPT leaf (RWX). The PML4 copies L1's
// entries (with A set), so L2's code, stack and mailbox stay identity-mapped.
// L1 writes the tables through their backing pages; L2 sees them at gpa(level).
// Level 0 is the data page. With a 2 MiB or 1 GiB guest leaf the PD or PDPT
// entry maps a large guest page (the tables below it stay unused), in whose
// guest-physical range the data page appears at data_gpa().
class L2Paging {
public:
    // Every entry for L2_WALK_LA carries A (and the PTE D), except the entry
    // at no_a_level (1..4; 0: none), which has A clear. Loads GUEST_CR3.
    // The PML4 copies L1's entries, or with base those of base's tables; a
    // user base (for an L2 at CPL3, l2_user.hh) makes the entries for
    // L2_WALK_LA user entries too (U/S = 1).
    // guest_leaf: level of the guest entry that maps L2_WALK_LA (1: 4 KiB
    // PTE, 2: 2 MiB PDE, 3: 1 GiB PDPTE; that entry carries D).
    explicit L2Paging(Ept& ept, int no_a_level = 0, const L2PageTables* base = nullptr, int guest_leaf = 1);
    ~L2Paging();
    L2Paging(const L2Paging&) = delete;
    L2Paging& operator=(const L2Paging&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }
    static GuestPhysAddr gpa(int level) { return EPT_TEST_GPA + (4 - level) * PAGE_SIZE; }
    // The entry for L2_WALK_LA in the table at level (1..4), as L1 sees it.
    u64* entry(int level) { return phys_to_ptr<u64>(page_[level]) + pt_index(L2_WALK_LA, level); }
    // The backing page of level (0: the data page).
    PhysAddr page(int level) const { return page_[level]; }
    // Where L2 reaches the data page through L2_WALK_LA.
    GuestPhysAddr data_gpa() const { return data_gpa_; }
    int guest_leaf() const { return guest_leaf_; }
    // The EPT leaf mapping the page of level.
    EptEntry* ept_leaf(int level) { return ept_.entry(level ? gpa(level) : data_gpa_, 1); }
    // Sets the EPT permissions (R/W/X bits) of the page of level.
    void set_table_perms(int level, u64 perms) { *ept_leaf(level) = ept_leaf(level)->with_perms(perms); }

private:
    Ept& ept_;
    PhysAddr page_[5] = {};
    GuestPhysAddr data_gpa_;
    int guest_leaf_;
    bool ok_ = false;
};
