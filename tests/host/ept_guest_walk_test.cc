// Host tests of the guest-page-walk model (lib/x86/vmx/ept_guest_walk.cc):
// rows worked out by hand from SDM Vol. 3C 29.3.3.2, 29.3.5 and Table 28-7.
#include <gtest/gtest.h>

#include "x86/vmx/ept_guest_walk.hh"

namespace {
constexpr u64 R = 1, W = 2, X = 4;
constexpr u64 GLA = 1ull << 7;
// Bits 11:9 are undefined for an access to a guest paging-structure entry.
// Bits 11:9 without advanced VM-exit information, bit 6 without MBEC.
constexpr u64 UNDEFINED = 7ull << 9 | 1ull << 6;

GuestWalkExpect walk(int level, u64 perms, GuestAccess a, bool ad, GuestFlags f, bool exec_only = true)
{
    EptRules rules;
    rules.exec_only = exec_only;
    return expect_guest_walk({level, perms, a, ad, f}, rules);
}
} // namespace

TEST(GuestWalk, NoReadPermissionFaultsTheWalkRead)
{
    GuestWalkExpect e = walk(2, 0, GuestAccess::Write, false, GuestFlags::Set);
    EXPECT_TRUE(e.violation());
    EXPECT_FALSE(e.at_code_fetch);
    // The walk's read faults, whatever the access was: bit 0 only.
    EXPECT_EQ(e.ept.qual, 1u | GLA);
    EXPECT_EQ(e.ept.qual_mask, ~UNDEFINED);
    e = walk(3, X, GuestAccess::Fetch, false, GuestFlags::Set);
    EXPECT_EQ(e.ept.qual, 1u | X << 3 | GLA);
}

TEST(GuestWalk, Pml4PageFaultsAtTheNextInstructionFetch)
{
    EXPECT_TRUE(walk(4, 0, GuestAccess::Read, false, GuestFlags::Set).at_code_fetch);
    EXPECT_TRUE(walk(4, R, GuestAccess::Read, true, GuestFlags::Set).at_code_fetch);
    // A readable PML4 page only faults on the A-flag write of the probed entry.
    GuestWalkExpect e = walk(4, R, GuestAccess::Read, false, GuestFlags::Clear);
    EXPECT_TRUE(e.violation());
    EXPECT_FALSE(e.at_code_fetch);
    EXPECT_FALSE(walk(4, R | W, GuestAccess::Read, true, GuestFlags::Clear).violation());
}

TEST(GuestWalk, ReadOnlyTablesServeWalksThatOnlyRead)
{
    for (GuestAccess a : {GuestAccess::Read, GuestAccess::Write, GuestAccess::Fetch})
        for (u64 perms : {R, R | X})
            EXPECT_FALSE(walk(1, perms, a, false, GuestFlags::Set).violation());
    GuestWalkExpect e = walk(1, R, GuestAccess::Write, false, GuestFlags::Set);
    EXPECT_TRUE(e.guest_d);
    EXPECT_FALSE(e.ept_table_ad);
}

TEST(GuestWalk, FlagWritesNeedWritePermission)
{
    // The D flag of the PTE, through a read-only PT page.
    GuestWalkExpect e = walk(1, R, GuestAccess::Write, false, GuestFlags::DirtyClear);
    EXPECT_TRUE(e.violation());
    EXPECT_EQ(e.ept.qual, W | R << 3 | GLA);
    EXPECT_EQ(e.ept.qual_mask, ~UNDEFINED & ~1ull); // bit 0: read-modify-write
    // A read with D clear writes nothing; a D-clear PD page is not written.
    EXPECT_FALSE(walk(1, R, GuestAccess::Read, false, GuestFlags::DirtyClear).violation());
    EXPECT_FALSE(walk(2, R, GuestAccess::Write, false, GuestFlags::DirtyClear).violation());
    // A clear A flag is written by every access.
    EXPECT_TRUE(walk(3, R | X, GuestAccess::Fetch, false, GuestFlags::Clear).violation());
    EXPECT_FALSE(walk(3, R | W, GuestAccess::Fetch, false, GuestFlags::Clear).violation());
    EXPECT_FALSE(walk(3, R | W, GuestAccess::Fetch, false, GuestFlags::Clear).guest_d);
    // No read permission: the read faults before any write.
    EXPECT_EQ(walk(3, X, GuestAccess::Fetch, false, GuestFlags::Clear).ept.qual, 1u | X << 3 | GLA);
}

TEST(GuestWalk, EptAdMakesEveryWalkAccessAWrite)
{
    GuestWalkExpect e = walk(2, R | X, GuestAccess::Read, true, GuestFlags::Set);
    EXPECT_TRUE(e.violation());
    EXPECT_EQ(e.ept.qual, R | W | (R | X) << 3 | GLA); // bits 0 and 1 (Table 28-7 note)
    EXPECT_EQ(e.ept.qual_mask, ~UNDEFINED);
    // A not-present table page with A/D on: still both bits.
    EXPECT_EQ(walk(1, 0, GuestAccess::Fetch, true, GuestFlags::Clear).ept.qual, R | W | GLA);
    e = walk(1, R | W, GuestAccess::Write, true, GuestFlags::Clear);
    EXPECT_FALSE(e.violation());
    EXPECT_TRUE(e.ept_table_ad);
    EXPECT_TRUE(e.ept_data_d);
    EXPECT_FALSE(walk(1, R | W | X, GuestAccess::Fetch, true, GuestFlags::Set).ept_data_d);
}

TEST(GuestWalk, InvalidPermissionsAreMisconfigurations)
{
    EXPECT_EQ(walk(1, W, GuestAccess::Read, false, GuestFlags::Set).ept.outcome, EptOutcome::Misconfig);
    EXPECT_EQ(walk(2, X, GuestAccess::Read, false, GuestFlags::Set, false).ept.outcome, EptOutcome::Misconfig);
    EXPECT_EQ(walk(2, X, GuestAccess::Read, false, GuestFlags::Set, true).ept.outcome, EptOutcome::Violation);
}

TEST(GuestWalk, LargeGuestPages)
{
    EptRules rules;
    // A 2 MiB guest page: the PT is not walked, whatever its EPT permissions.
    GuestWalkExpect e = expect_guest_walk({1, 0, GuestAccess::Write, true, GuestFlags::Clear, 2}, rules);
    EXPECT_FALSE(e.violation());
    EXPECT_FALSE(e.ept_table_ad);
    EXPECT_TRUE(e.guest_d);
    // Its D flag lives in the PDE: a write through a read-only PD page faults.
    e = expect_guest_walk({2, R, GuestAccess::Write, false, GuestFlags::DirtyClear, 2}, rules);
    EXPECT_TRUE(e.violation());
    EXPECT_EQ(e.ept.qual, W | R << 3 | GLA);
    EXPECT_FALSE(expect_guest_walk({2, R, GuestAccess::Read, false, GuestFlags::DirtyClear, 2}, rules).violation());
    // A 1 GiB guest page: the PD is not walked; the PDPT holds D.
    EXPECT_FALSE(expect_guest_walk({2, 0, GuestAccess::Read, false, GuestFlags::Set, 3}, rules).violation());
    EXPECT_TRUE(expect_guest_walk({3, R, GuestAccess::Write, false, GuestFlags::DirtyClear, 3}, rules).violation());
}

TEST(GuestWalk, EntryAddress)
{
    EXPECT_EQ(guest_entry_gpa(0x1000, (1ull << 39) | (3ull << 12), 4), 0x1008u);
    EXPECT_EQ(guest_entry_gpa(0x1000, (1ull << 39) | (3ull << 12), 1), 0x1018u);
}
