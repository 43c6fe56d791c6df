// What the CPU must do when L2's own page walk goes through EPT: which
// access of the walk reaches the restricted table page, the EPT violation
// it causes (outcome and qualification from ept_expect, ept_qual.hh), and
// the guest A/D flags and EPT A/D flags after the access. Pure logic,
// unit-tested on the host (tests/host/ept_guest_walk_test.cc).
//
// SDM Vol. 3C:
// - 29.3.3.2: reads of guest paging structures during a walk are data reads;
//   the processor's writes of guest A/D flags are data writes (a locked
//   read-modify-write: bit 1 set, bit 0 implementation-specific, 28.2.1).
// - 29.3.5 / 28.2.4: with EPT A/D on (EPTP bit 6) every access to a guest
//   paging structure is treated as a write; such an access that causes an
//   EPT violation sets bits 0 and 1 of the qualification (Table 28-7 note).
// - Table 28-7: bit 7 = GLA valid, bit 8 = 0 for a paging-structure access
//   (bits 11:9 then undefined).
#pragma once
#include "types.hh"
#include "x86/vmx/ept_qual.hh"

enum class GuestAccess : u8 { Read, Write, Fetch };

// The guest A/D flags of the entries for the accessed address before the access.
enum class GuestFlags : u8 {
    Set,        // A in every entry, D in the leaf: the walk only reads
    Clear,      // A and D clear everywhere: the walk writes A (and D on a write)
    DirtyClear, // A everywhere, D clear: only a write writes (the leaf's D)
};

// One case: the EPT permissions (R/W/X bits) of the 4 KiB page holding the
// guest table at level (4: PML4 ... 1: PT); every other EPT entry RWX. The
// guest entry at guest_leaf maps the page (1: PTE, 2: 2 MiB PDE, 3: 1 GiB
// PDPTE) and holds its D flag; tables below it are not walked.
struct GuestWalkCase {
    int level;
    u64 table_perms;
    GuestAccess access;
    bool ept_ad;
    GuestFlags flags;
    int guest_leaf = 1;
};

struct GuestWalkExpect {
    // Violation (qual, qual_mask valid) or Ok; never Misconfig for valid perms.
    EptExpect ept;
    // The violation hits the walk for L2's next instruction fetch (the PML4
    // page is used by every walk), not the walk for the probed address.
    bool at_code_fetch = false;
    // After the access completes (at once, or after RWX + INVEPT):
    bool guest_d = false;      // the guest leaf's D flag (A is set in every entry walked)
    bool ept_table_ad = false; // EPT A and D set on the table page's leaf (EPT A/D on, page walked)
    bool ept_data_d = false;   // EPT D set on the data page's leaf (EPT A/D on; A always)
    bool violation() const { return ept.outcome == EptOutcome::Violation; }
};

// The expectation for c under rules (exec_only decides whether X-only is valid).
GuestWalkExpect expect_guest_walk(const GuestWalkCase& c, const EptRules& rules);

// The guest-physical address of the entry for linear address la in the
// guest table at level that lies at table_gpa.
constexpr u64 guest_entry_gpa(u64 table_gpa, u64 la, int level)
{
    return table_gpa + 8 * ((la >> (12 + 9 * (level - 1))) & 511);
}
