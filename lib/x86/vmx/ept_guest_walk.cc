// Guest page walks through EPT (see ept_guest_walk.hh).
#include "x86/vmx/ept_guest_walk.hh"

namespace {
constexpr u64 RWX = 7, WB_LEAF = 6ull << 3;

// ept_expect for one access of the walk to the table page: three RWX
// entries, then the page's 4 KiB leaf with perms (memory type WB).
EptExpect table_access(u64 perms, EptAccess a, const EptRules& rules)
{
    const u64 walk[4] = {RWX, RWX, RWX, (perms & RWX) | WB_LEAF};
    EptProbe p;
    p.access = a;
    p.translation = false; // an access to a guest paging-structure entry
    return ept_expect(walk, 4, 4, p, rules);
}
} // namespace

GuestWalkExpect expect_guest_walk(const GuestWalkCase& c, const EptRules& rules)
{
    GuestWalkExpect e;
    const bool is_write = c.access == GuestAccess::Write;
    e.guest_d = is_write || c.flags == GuestFlags::Set;
    e.ept_data_d = c.ept_ad && is_write;
    if (c.level < c.guest_leaf)
        return e; // below the guest leaf: the walk never touches this table
    // The processor writes A/D flags in the restricted table (the leaf's A
    // and D share its page).
    const bool flag_write = c.flags == GuestFlags::Clear ||
                            (c.flags == GuestFlags::DirtyClear && c.level == c.guest_leaf && is_write);
    if (c.ept_ad) {
        // Every walk access is a write: it needs R and W, and reports bits 0 and 1.
        e.ept = table_access(c.table_perms, EptAccess::ReadModifyWrite, rules);
        if (e.violation()) {
            e.ept.qual |= ept_qual::READ;
            e.ept.qual_mask |= ept_qual::READ;
        }
    } else {
        // The walk reads first; then it may write A/D flags.
        e.ept = table_access(c.table_perms, EptAccess::Read, rules);
        if (e.ept.outcome == EptOutcome::Ok && flag_write)
            e.ept = table_access(c.table_perms, EptAccess::ReadModifyWrite, rules);
    }
    // The walk for L2's own next fetch reads (and, with EPT A/D, writes) the
    // PML4 page first; its entries already carry A.
    e.at_code_fetch = c.level == 4 && e.violation() &&
                      table_access(c.table_perms, c.ept_ad ? EptAccess::ReadModifyWrite : EptAccess::Read, rules).outcome !=
                          EptOutcome::Ok;
    e.ept_table_ad = c.ept_ad;
    return e;
}
