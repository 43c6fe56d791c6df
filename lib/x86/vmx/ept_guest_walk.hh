// What the CPU must do when L2's own page walk goes through EPT: which
// access of the walk faults (if any), the EPT-violation qualification it
// gives, and the guest A/D flags and EPT A/D flags after the access.
// Pure constexpr logic, unit-tested on the host (tests/host/ept_guest_walk_test.cc).
//
// SDM Vol. 3C:
// - 29.3.3.2: reads of guest paging structures during a walk are data reads;
//   the processor's writes of guest A/D flags are data writes.
// - 29.3.5 / 28.2.4: with EPT A/D on (EPTP bit 6) every access to a guest
//   paging structure is treated as a write; such an access that causes an
//   EPT violation sets bits 0 and 1 of the qualification (Table 28-7 note).
// - 28.2.1, Table 28-7: bits 5:3 are the AND of the R/W/X bits of the EPT
//   entries used; bit 7 = GLA valid; bit 8 = 0 for a paging-structure access;
//   a read-modify-write sets bit 1 and bit 0 is implementation-specific;
//   bit 6 is undefined without MBEC; bits 11:9 are defined only for bit 8 = 1
//   with advanced VM-exit information (IA32_VMX_EPT_VPID_CAP[22]); bit 14 is
//   undefined without EPTP bit 7; bits 12, 13, 15, 16 are 0 here (no IRET,
//   no shadow stack, no guest-paging verification, no asynchronous access)
//   and bits 63:17 are reserved (0).
#pragma once
#include "types.hh"

// Exit-qualification bits of an EPT violation (Table 28-7).
namespace vq {
constexpr u64 READ = 1ull << 0, WRITE = 1ull << 1, FETCH = 1ull << 2, PERM_SHIFT = 3, XU = 1ull << 6,
              GLA_VALID = 1ull << 7, TRANSLATION = 1ull << 8, ADVANCED = 7ull << 9, SSS = 1ull << 14;
} // namespace vq

// An expected qualification: the defined bits and their values.
struct QualExpect {
    u64 value = 0;
    u64 defined = ~0ull;
    constexpr bool matches(u64 actual) const { return (actual & defined) == value; }
};

// The defined bits of a violation qualification in an EPT guest without MBEC
// and without EPTP bit 7 (see the header comment).
constexpr u64 ept_qual_defined_bits(bool translation, bool advanced_info)
{
    u64 undefined = vq::XU | vq::SSS;
    if (!(translation && advanced_info))
        undefined |= vq::ADVANCED;
    return ~undefined;
}

// The qualification of a violation by an access with bits 2:0 = access,
// permissions AND perms (bits 2:0 of the entries), GLA valid, bit 8 =
// translation. With advanced information the guest page is supervisor,
// writable, executable (the harness' identity map): bits 11:9 = 010b.
constexpr QualExpect ept_violation_qual(u64 access, u64 perms, bool gla_valid, bool translation, bool advanced_info)
{
    QualExpect q;
    q.defined = ept_qual_defined_bits(translation, advanced_info);
    q.value = (access & 7) | (perms & 7) << vq::PERM_SHIFT | (gla_valid ? vq::GLA_VALID : 0) |
              (gla_valid && translation ? vq::TRANSLATION : 0);
    if (translation && advanced_info)
        q.value |= 1ull << 10;
    q.value &= q.defined;
    return q;
}

// ---- guest page walks ------------------------------------------------------

enum class GuestAccess : u8 { Read, Write, Fetch };

// The guest A/D flags of the entries for the accessed address before the access.
enum class GuestFlags : u8 {
    Set,        // A in every entry, D in the PTE: the walk only reads
    Clear,      // A and D clear everywhere: the walk writes A (and D on a write)
    DirtyClear, // A everywhere, D clear: only a write writes (the PTE's D)
};

// One case: the EPT permissions (R/W/X bits) of the 4 KiB page holding the
// guest table at level (4: PML4 ... 1: PT), every other page RWX.
struct GuestWalkCase {
    int level;
    u64 table_perms;
    GuestAccess access;
    bool ept_ad;
    GuestFlags flags;
};

struct GuestWalkExpect {
    bool violation = false;
    // The violation hits the walk for L2's next instruction fetch (the PML4
    // page is used by every walk), not the walk for the probed address.
    bool at_code_fetch = false;
    QualExpect qual; // for a violation
    // After the access completes (at once, or after RWX + INVEPT):
    bool guest_d = false;     // the PTE's D flag (A is set in every entry)
    bool ept_table_ad = false; // EPT A and D set on the table page's leaf (EPT A/D on)
    bool ept_data_d = false;   // EPT D set on the data page's leaf (EPT A/D on; A always)
};

// True when table_perms is no EPT misconfiguration (29.3.3.1): not W
// without R, and X-only only with the capability.
constexpr bool ept_perms_valid(u64 perms, bool exec_only)
{
    perms &= 7;
    if ((perms & 3) == 2)
        return false;
    return perms != 4 || exec_only;
}

constexpr GuestWalkExpect expect_guest_walk(const GuestWalkCase& c)
{
    constexpr u64 R = 1, W = 2;
    GuestWalkExpect e;
    const bool is_write = c.access == GuestAccess::Write;
    // A/D flags the processor writes in the restricted table (same page for
    // the PTE's A and D).
    const bool flag_write = c.flags == GuestFlags::Clear ||
                            (c.flags == GuestFlags::DirtyClear && c.level == 1 && is_write);
    const bool walk_ok = c.ept_ad ? (c.table_perms & W) && (c.table_perms & R) : (c.table_perms & R);
    const bool flags_ok = c.ept_ad || !flag_write || (c.table_perms & W);
    e.violation = !walk_ok || !flags_ok;
    e.at_code_fetch = !walk_ok && c.level == 4;
    if (e.violation) {
        u64 access = c.ept_ad || walk_ok ? vq::WRITE : vq::READ;
        if (c.ept_ad && !walk_ok)
            access = vq::READ | vq::WRITE;
        e.qual = ept_violation_qual(access, c.table_perms, true, false, false);
        if (walk_ok) // the A/D update is a read-modify-write: bit 0 implementation-specific
            e.qual.defined &= ~vq::READ;
    }
    e.guest_d = is_write || c.flags == GuestFlags::Set;
    e.ept_table_ad = c.ept_ad;
    e.ept_data_d = c.ept_ad && is_write;
    return e;
}

// The guest-physical address of the entry for linear address la in the
// guest table at level that lies at table_gpa.
constexpr u64 guest_entry_gpa(u64 table_gpa, u64 la, int level)
{
    return table_gpa + 8 * ((la >> (12 + 9 * (level - 1))) & 511);
}
