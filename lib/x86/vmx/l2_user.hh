// User-mode (CPL3) L2 guests: guest page tables of L2's own, with U/S = 1 at
// every level when asked for, and the VMCS guest state of a 64-bit CPL3 guest.
//
// A Guest (guest.hh) runs on L1's CR3 at CPL0. For user-mode accesses L2
// needs its code, stack and data on user pages: L2PageTables identity-maps
// the first 4 GiB (L1's RAM, the harness' EPT test window) with 2 MiB pages
// and can add 4 KiB mappings anywhere else (e.g. a guest-physical page in
// another EPT PML4 slot). install() + l2_enter_user_mode() turn the current
// VMCS's guest into a CPL3 guest on those tables; exceptions still exit to L1
// (Guest's exception bitmap), and VMCALL exits at any CPL (SDM Vol. 3C 26.1.2).
#pragma once
#include "types.hh"
#include "x86/addr.hh"
#include "x86/paging.hh"

class L2PageTables {
public:
    // Builds the identity map; user selects U/S = 1 (user pages) or 0 for
    // every leaf. Check ok().
    explicit L2PageTables(bool user);
    // Frees every table page.
    ~L2PageTables();
    L2PageTables(const L2PageTables&) = delete;
    L2PageTables& operator=(const L2PageTables&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }
    PhysAddr root() const { return root_; }
    bool user() const { return user_; }

    // Maps the 4 KiB page at linear la to gpa (guest-physical, held in the
    // guest PTE as is) with flags | P (| U/S when user()). la must not lie in
    // the identity-mapped first 4 GiB. Fails when out of memory.
    [[nodiscard]] bool map(VirtAddr la, GuestPhysAddr gpa, u64 flags = Pte::RW);

    // Writes GUEST_CR3 of the current VMCS with root().
    [[nodiscard]] bool install() const;

private:
    PhysAddr root_;
    bool user_;
    bool ok_ = false;
};

// VMCS access-rights of the 64-bit user code and data segments (DPL 3).
namespace seg_ar_user {
constexpr u32 CODE64 = 0xa0fb, DATA = 0xc0f3;
}

// Makes the current VMCS's guest a CPL3 guest: CS = USER_CS (64-bit code,
// DPL 3), SS/DS/ES/FS/GS = USER_DS (DPL 3). Guest CR4.SMEP/SMAP are cleared
// (the tables' pages are all user pages). Use with L2PageTables(true).
[[nodiscard]] bool l2_enter_user_mode();
