// Host tests of ept_expect (lib/x86/vmx/ept_qual.cc): the AND of the
// permissions over the whole walk, not-present and misconfigured entries at
// every level, MBEC, read-modify-write and the undefined advanced bits.
#include <gtest/gtest.h>

#include "x86/vmx/ept_qual.hh"

namespace {
constexpr u64 R = 1, W = 2, X = 4, XU = 1ull << 10, LARGE = 1ull << 7, WB = 6ull << 3;
constexpr u64 RWX = R | W | X;
namespace q = ept_qual;

EptProbe probe(EptAccess a, bool user = false)
{
    EptProbe p;
    p.access = a;
    p.user_linear = user;
    return p;
}

// A 4-level walk to a 4 KiB leaf with the given permissions per level.
EptExpect walk4k(u64 pml4e, u64 pdpte, u64 pde, u64 pte, const EptProbe& p, const EptRules& r = {})
{
    const u64 walk[] = {pml4e, pdpte, pde, pte | WB};
    return ept_expect(walk, 4, 4, p, r);
}
} // namespace

TEST(EptQual, AllRwxCompletes)
{
    for (EptAccess a : {EptAccess::Read, EptAccess::Write, EptAccess::Fetch, EptAccess::ReadModifyWrite})
        EXPECT_EQ(walk4k(RWX, RWX, RWX, RWX, probe(a)).outcome, EptOutcome::Ok);
}

TEST(EptQual, PermissionsAreTheAndOfEveryLevel)
{
    // Read-only PDPTE over an RWX leaf: a write violates, bits 5:3 = R only.
    EptExpect e = walk4k(RWX, R, RWX, RWX, probe(EptAccess::Write));
    EXPECT_EQ(e.outcome, EptOutcome::Violation);
    EXPECT_EQ(e.qual, q::WRITE | q::R | q::GLA_VALID | q::TRANSLATION);
    // RX at the PML4E, RW at the leaf: only R survives; a fetch violates.
    e = walk4k(R | X, RWX, RWX, R | W, probe(EptAccess::Fetch));
    EXPECT_EQ(e.outcome, EptOutcome::Violation);
    EXPECT_EQ(e.qual & (q::R | q::W | q::X), q::R);
    // The same walk allows a read.
    EXPECT_EQ(walk4k(R | X, RWX, RWX, R | W, probe(EptAccess::Read)).outcome, EptOutcome::Ok);
}

TEST(EptQual, NotPresentAtAnyLevelClearsThePermissionBits)
{
    for (int level = 4; level >= 1; level--) {
        u64 e[4] = {RWX, RWX, RWX, RWX};
        e[4 - level] = 0;
        EptExpect x = walk4k(e[0], e[1], e[2], e[3], probe(EptAccess::Read));
        EXPECT_EQ(x.outcome, EptOutcome::Violation) << level;
        EXPECT_EQ(x.level, level);
        EXPECT_EQ(x.qual, q::READ | q::GLA_VALID | q::TRANSLATION) << level;
    }
}

TEST(EptQual, MisconfigurationAtAnyLevelWinsOverARestrictedUpperLevel)
{
    // W-only and WX are misconfigurations wherever they are.
    for (u64 bad : {W, W | X}) {
        EXPECT_EQ(walk4k(bad, RWX, RWX, RWX, probe(EptAccess::Read)).outcome, EptOutcome::Misconfig);
        EptExpect e = walk4k(R, RWX, bad, RWX, probe(EptAccess::Write));
        EXPECT_EQ(e.outcome, EptOutcome::Misconfig);
        EXPECT_EQ(e.level, 2);
    }
    // A not-present upper entry hides a misconfigured lower one.
    EXPECT_EQ(walk4k(RWX, 0, W, RWX, probe(EptAccess::Read)).outcome, EptOutcome::Violation);
}

TEST(EptQual, ExecuteOnlyNeedsTheCapability)
{
    EXPECT_EQ(walk4k(RWX, RWX, X, RWX, probe(EptAccess::Fetch)).outcome, EptOutcome::Misconfig);
    EptRules r;
    r.exec_only = true;
    EXPECT_EQ(walk4k(RWX, RWX, X, RWX, probe(EptAccess::Fetch), r).outcome, EptOutcome::Ok);
    EptExpect e = walk4k(RWX, RWX, X, RWX, probe(EptAccess::Read), r);
    EXPECT_EQ(e.outcome, EptOutcome::Violation);
    EXPECT_EQ(e.qual, q::READ | q::X | q::GLA_VALID | q::TRANSLATION);
}

TEST(EptQual, LargeLeavesEndTheWalk)
{
    const u64 walk1g[] = {RWX, R | LARGE | WB};
    EptExpect e = ept_expect(walk1g, 2, 4, probe(EptAccess::Write), {});
    EXPECT_EQ(e.outcome, EptOutcome::Violation);
    EXPECT_EQ(e.qual & (q::R | q::W | q::X), q::R);
    const u64 walk2m[] = {R | X, RWX, RWX | LARGE | WB};
    EXPECT_EQ(ept_expect(walk2m, 3, 4, probe(EptAccess::Fetch), {}).outcome, EptOutcome::Ok);
    // Reserved memory type in the leaf.
    const u64 bad_mt[] = {RWX, RWX | LARGE | (7ull << 3)};
    EXPECT_EQ(ept_expect(bad_mt, 2, 4, probe(EptAccess::Read), {}).outcome, EptOutcome::Misconfig);
}

TEST(EptQual, WithoutMbecBit10IsIgnored)
{
    // XU alone is not present; XU with RX changes nothing; bit 6 is not
    // expected set (and is undefined, masked out, without MBEC).
    EptExpect e = walk4k(RWX, RWX, XU, RWX, probe(EptAccess::Read));
    EXPECT_EQ(e.outcome, EptOutcome::Violation);
    EXPECT_EQ(e.qual, q::READ | q::GLA_VALID | q::TRANSLATION);
    e = walk4k(RWX | XU, RWX | XU, RWX | XU, R | XU, probe(EptAccess::Fetch, true));
    EXPECT_EQ(e.qual, q::FETCH | q::R | q::GLA_VALID | q::TRANSLATION);
}

TEST(EptQual, MbecUserFetchUsesXuAndBit6IsTheAndOfBit10)
{
    EptRules r;
    r.mbec = true;
    // Leaf R+XU, upper levels RWX without XU: XU of the walk is 0.
    EptExpect e = walk4k(RWX, RWX, RWX, R | XU, probe(EptAccess::Fetch, true), r);
    EXPECT_EQ(e.outcome, EptOutcome::Violation);
    EXPECT_EQ(e.qual & (q::X | q::XU), 0u);
    // XU everywhere: a user fetch completes, a supervisor fetch violates with bit 6 set.
    EXPECT_EQ(walk4k(RWX | XU, RWX | XU, RWX | XU, R | XU, probe(EptAccess::Fetch, true), r).outcome,
              EptOutcome::Ok);
    e = walk4k(RWX | XU, RWX | XU, RWX | XU, R | XU, probe(EptAccess::Fetch, false), r);
    EXPECT_EQ(e.outcome, EptOutcome::Violation);
    EXPECT_EQ(e.qual & (q::X | q::XU), q::XU);
    // XS only: user fetch violates, bit 5 set, bit 6 clear.
    e = walk4k(RWX | XU, RWX | XU, RWX | XU, R | X, probe(EptAccess::Fetch, true), r);
    EXPECT_EQ(e.outcome, EptOutcome::Violation);
    EXPECT_EQ(e.qual & (q::X | q::XU), q::X);
    // With MBEC an entry with only bit 10 set is present (user execute-only).
    EXPECT_TRUE(ept_present(XU, true));
    EXPECT_FALSE(ept_present(XU, false));
}

TEST(EptQual, MbecBit6IsDefinedForDataAccessesToo)
{
    // Table 28-7: with MBEC bit 6 is the AND of bit 10 for every violation,
    // not only fetches; bit 13 (shadow-stack access) stays 0.
    EptRules r;
    r.mbec = true;
    r.exec_only = true;
    for (bool user : {false, true}) {
        EptExpect e = walk4k(RWX | XU, RWX | XU, RWX | XU, XU, probe(EptAccess::Read, user), r);
        EXPECT_EQ(e.outcome, EptOutcome::Violation);
        EXPECT_EQ(e.qual, q::READ | q::XU | q::GLA_VALID | q::TRANSLATION) << user;
        EXPECT_FALSE(e.qual_matches(e.qual | q::SHADOW_STACK));
        // One entry without XU: bit 6 clear.
        e = walk4k(RWX, RWX | XU, RWX | XU, X | XU, probe(EptAccess::Read, user), r);
        EXPECT_EQ(e.qual & (q::X | q::XU), q::X) << user;
    }
}

TEST(EptQual, XuInBit13MatchesOnlyThatShift)
{
    EptRules r;
    r.mbec = true;
    r.exec_only = true;
    r.advanced_info = true;
    EptExpect e = walk4k(RWX | XU, RWX | XU, RWX | XU, XU, probe(EptAccess::Read), r);
    u64 moved = (e.qual & ~q::XU) | q::SHADOW_STACK;
    EXPECT_TRUE(ept_qual_xu_in_bit13(e, EptAccess::Read, r, moved));
    EXPECT_FALSE(ept_qual_xu_in_bit13(e, EptAccess::Read, r, e.qual));              // no mismatch
    EXPECT_FALSE(ept_qual_xu_in_bit13(e, EptAccess::Read, r, e.qual | q::SHADOW_STACK)); // bit 6 kept
    EXPECT_FALSE(ept_qual_xu_in_bit13(e, EptAccess::Read, r, e.qual & ~q::XU));     // bit 6 lost only
    EXPECT_FALSE(ept_qual_xu_in_bit13(e, EptAccess::Read, r, moved | q::R));        // another bit wrong
    EXPECT_FALSE(ept_qual_xu_in_bit13(e, EptAccess::Fetch, r, moved));              // fetches are right
    EptRules off = r;
    off.mbec = false;
    EXPECT_FALSE(ept_qual_xu_in_bit13(walk4k(RWX | XU, RWX | XU, RWX | XU, R, probe(EptAccess::Write), off),
                                      EptAccess::Write, off, q::WRITE | q::R | q::SHADOW_STACK | q::GLA_VALID |
                                                                 q::TRANSLATION));
    // A walk without XU: bit 6 expected 0, nothing to move.
    e = walk4k(RWX, RWX | XU, RWX | XU, XU, probe(EptAccess::Read), r);
    EXPECT_FALSE(ept_qual_xu_in_bit13(e, EptAccess::Read, r, e.qual | q::SHADOW_STACK));
    // No violation: never.
    e = walk4k(RWX | XU, RWX | XU, RWX | XU, R | XU, probe(EptAccess::Read), r);
    EXPECT_FALSE(ept_qual_xu_in_bit13(e, EptAccess::Read, r, q::SHADOW_STACK));
}

TEST(EptQual, ReadModifyWriteLeavesBit0Open)
{
    EptExpect e = walk4k(RWX, RWX, RWX, R, probe(EptAccess::ReadModifyWrite));
    EXPECT_EQ(e.outcome, EptOutcome::Violation);
    EXPECT_TRUE(e.qual_matches(q::WRITE | q::R | q::GLA_VALID | q::TRANSLATION));
    EXPECT_TRUE(e.qual_matches(q::READ | q::WRITE | q::R | q::GLA_VALID | q::TRANSLATION));
    EXPECT_FALSE(e.qual_matches(q::READ | q::R | q::GLA_VALID | q::TRANSLATION));
}

TEST(EptQual, AdvancedBitsAreUndefinedWithoutTheCapability)
{
    EptExpect e = walk4k(RWX, RWX, RWX, R, probe(EptAccess::Write, true));
    u64 base = q::WRITE | q::R | q::GLA_VALID | q::TRANSLATION;
    EXPECT_TRUE(e.qual_matches(base | q::USER_LINEAR | q::GUEST_NX));
    EptRules r;
    r.advanced_info = true;
    e = walk4k(RWX, RWX, RWX, R, probe(EptAccess::Write, true), r);
    EXPECT_TRUE(e.qual_matches(base | q::USER_LINEAR | q::GUEST_WRITABLE));
    EXPECT_FALSE(e.qual_matches(base | q::GUEST_WRITABLE));
}

TEST(EptQual, ReservedBitsMustBeZero)
{
    EptExpect e = walk4k(RWX, RWX, RWX, R, probe(EptAccess::Write));
    u64 good = q::WRITE | q::R | q::GLA_VALID | q::TRANSLATION;
    EXPECT_TRUE(e.qual_matches(good));
    for (unsigned bit : {12u, 13u, 14u, 15u, 16u, 17u, 40u, 63u})
        EXPECT_FALSE(e.qual_matches(good | (1ull << bit))) << bit;
    // Bit 6 is undefined without MBEC (Table 28-7), defined (AND of bit 10) with it.
    EXPECT_TRUE(e.qual_matches(good | q::XU));
    EptRules mbec;
    mbec.mbec = true;
    e = walk4k(RWX, RWX, RWX, R, probe(EptAccess::Write), mbec);
    EXPECT_FALSE(e.qual_matches(good | q::XU));
    // Without a valid GLA bit 8 is reserved.
    EptProbe p = probe(EptAccess::Read);
    p.gla_valid = false;
    e = walk4k(RWX, RWX, RWX, W | X, p);
    EXPECT_EQ(e.outcome, EptOutcome::Misconfig);
    e = walk4k(RWX, RWX, RWX, X | R, EptProbe{EptAccess::Write, false, false, true, true, false});
    EXPECT_EQ(e.qual, q::WRITE | q::R | q::X);
    EXPECT_FALSE(e.qual_matches(e.qual | q::TRANSLATION));
}

// The leaf-only matrix, written out from SDM 29.3.3 independently of the
// model: for each R/W/X value of the leaf (all upper entries RWX), the
// outcome of a read, a write and a fetch: '.' completes, 'v' violation,
// 'm' misconfiguration; without and with execute-only support.
TEST(EptQual, LeafMatrixMatchesTheSdmTable)
{
    struct Row {
        u64 perms;
        const char* no_exec_only;
        const char* exec_only;
    };
    static constexpr Row kRows[] = {
        {0, "vvv", "vvv"},         {R, ".vv", ".vv"},         {W, "mmm", "mmm"},         {R | W, "..v", "..v"},
        {X, "mmm", "vv."},         {R | X, ".v.", ".v."},     {W | X, "mmm", "mmm"},     {RWX, "...", "..."},
    };
    const EptAccess ops[] = {EptAccess::Read, EptAccess::Write, EptAccess::Fetch};
    for (const Row& row : kRows) {
        for (int eo = 0; eo < 2; eo++) {
            EptRules r;
            r.exec_only = eo;
            const char* want = eo ? row.exec_only : row.no_exec_only;
            for (int i = 0; i < 3; i++) {
                EptOutcome o = walk4k(RWX, RWX, RWX, row.perms, probe(ops[i]), r).outcome;
                char got = o == EptOutcome::Ok ? '.' : o == EptOutcome::Violation ? 'v' : 'm';
                EXPECT_EQ(got, want[i]) << "perms " << row.perms << " op " << i << " exec_only " << eo;
            }
        }
    }
}

// A known deviation (lib/errata.cc) covers only its exact mismatch: a
// backend that gets bit 0 wrong (ept.ad-walk-qual-read-bit) is XFAIL, one
// that gets bit 0 and anything else wrong is a FAIL.
TEST(EptQual, DeviationCoversOnlyItsExactBits)
{
    const u64 want = q::READ | q::WRITE | q::R, mask = 0x1ff;
    EXPECT_TRUE(ept_qual_deviates_only_in(q::WRITE | q::R, want, mask, q::READ));
    EXPECT_FALSE(ept_qual_deviates_only_in(q::WRITE, want, mask, q::READ));           // permissions wrong too
    EXPECT_FALSE(ept_qual_deviates_only_in(q::READ | q::R, want, mask, q::READ));     // write bit missing instead
    EXPECT_FALSE(ept_qual_deviates_only_in(want, want, mask, q::READ));               // no mismatch: no deviation
    EXPECT_FALSE(ept_qual_deviates_only_in(q::WRITE | q::R, want, mask, 0));          // no bits named
    EXPECT_TRUE(ept_qual_deviates_only_in(q::WRITE | q::R | (1ull << 40), want, mask, q::READ)); // outside the mask
}

// "No EPT violation" deviations (ept.walk-a-flag-write) cover an access that
// completed, not another exit or a VM-entry failure.
TEST(EptQual, MissedViolationOnlyWhenTheAccessCompleted)
{
    EXPECT_TRUE(ept_missed_violation_only(false, true));
    EXPECT_FALSE(ept_missed_violation_only(false, false)); // some other exit
    EXPECT_FALSE(ept_missed_violation_only(true, false));  // the violation came
}

// ept_paddr's completion line says "after RWX + INVEPT" only when that step
// ran (issue 15 item 6): not after a backend completed the access instead.
TEST(EptQual, CompletionLineNamesTheFixOnlyWhenItRan)
{
    EXPECT_TRUE(ept_completion_after_fix(true, true, true));    // violation, fix, completed
    EXPECT_FALSE(ept_completion_after_fix(true, false, true));  // completed without the violation
    EXPECT_TRUE(ept_completion_after_fix(true, false, false));  // another exit: the expected line fails
    EXPECT_FALSE(ept_completion_after_fix(false, false, true)); // no violation expected
}
