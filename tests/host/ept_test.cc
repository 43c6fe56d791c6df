// Host tests of EPT entry math and EPTP construction/validation
// (lib/x86/vmx/ept_entry.hh, lib/x86/vmx/eptp.cc).
#include <gtest/gtest.h>

#include "x86/vmx/ept_entry.hh"

namespace {
constexpr u64 WALK4 = 1ull << 6, WALK5 = 1ull << 7, UC = 1ull << 8, WB = 1ull << 14, AD = 1ull << 21;
const PhysAddr ROOT(0x123000);
} // namespace

TEST(EptEntry, LeafAndTableEncoding)
{
    EptEntry leaf = EptEntry::leaf(PhysAddr(0x200000), EptEntry::R | EptEntry::X, 2, EptMemType::WT);
    EXPECT_EQ(leaf.raw(), 0x200000ull | 0x5 | (4ull << 3) | (1ull << 7));
    EXPECT_TRUE(leaf.large());
    EXPECT_TRUE(leaf.readable());
    EXPECT_FALSE(leaf.writable());
    EXPECT_TRUE(leaf.executable());
    EXPECT_EQ(leaf.memtype(), 4u);
    EXPECT_EQ(leaf.addr(), PhysAddr(0x200000));
    EXPECT_EQ(EptEntry::table(PhysAddr(0x5000)).raw(), 0x5007ull);
    EXPECT_FALSE(EptEntry::leaf(PhysAddr(0x1000), EptEntry::R, 1).large());
}

TEST(EptEntry, Modifiers)
{
    EptEntry e = EptEntry::leaf(PhysAddr(0x1000), EptEntry::R | EptEntry::W | EptEntry::X, 1);
    EXPECT_EQ(e.with_perms(EptEntry::R).perms(), EptEntry::R);
    EXPECT_EQ(e.with_memtype(2).memtype(), 2u);
    EXPECT_EQ(e.with_addr(PhysAddr(0xabc000)).addr(), PhysAddr(0xabc000));
    EXPECT_FALSE(e.with_perms(0).present());
    EXPECT_TRUE(e.with(EptEntry::A | EptEntry::D).accessed());
    EXPECT_EQ(e.with(EptEntry::A).without(EptEntry::A).raw(), e.raw());
    // The address mask keeps bits 51:12 only.
    EXPECT_EQ(e.with_addr(PhysAddr(0xffff000000001fffull)).addr(), PhysAddr(0x000f000000001000ull));
}

TEST(EptFormat, PresentAndLarge)
{
    EXPECT_FALSE(EptFormat::present(0));
    EXPECT_TRUE(EptFormat::present(EptEntry::X));
    EXPECT_TRUE(EptFormat::is_large_leaf(EptEntry::R | EptEntry::LARGE, 2));
    EXPECT_FALSE(EptFormat::is_large_leaf(EptEntry::R | EptEntry::LARGE, 1)); // bit 7 ignored in a PTE
}

TEST(SetupEptp, PrefersWbThenUc)
{
    EptpResult wb = setup_eptp(ROOT, WALK4 | WB | UC, {});
    ASSERT_TRUE(wb.ok);
    EXPECT_EQ(wb.eptp.raw(), 0x123000ull | 6 | (3ull << 3));
    EptpResult uc = setup_eptp(ROOT, WALK4 | UC, {});
    ASSERT_TRUE(uc.ok);
    EXPECT_EQ(uc.eptp.memtype(), 0u);
    EptpResult none = setup_eptp(ROOT, WALK4, {});
    EXPECT_FALSE(none.ok);
    EXPECT_NE(std::string(none.reason).find("[14,8]"), std::string::npos);
}

TEST(SetupEptp, WalkLength)
{
    EXPECT_FALSE(setup_eptp(ROOT, WB, {}).ok);
    EptpResult five = setup_eptp(ROOT, WALK4 | WALK5 | WB, {.five_level = true});
    ASSERT_TRUE(five.ok);
    EXPECT_EQ(five.eptp.levels(), 5u);
    EptpResult no5 = setup_eptp(ROOT, WALK4 | WB, {.five_level = true});
    EXPECT_FALSE(no5.ok);
    EXPECT_NE(std::string(no5.reason).find("[7]"), std::string::npos);
}

TEST(SetupEptp, AccessedDirty)
{
    EptpResult ad = setup_eptp(ROOT, WALK4 | WB | AD, {.ad = true});
    ASSERT_TRUE(ad.ok);
    EXPECT_TRUE(ad.eptp.ad());
    EXPECT_FALSE(setup_eptp(ROOT, WALK4 | WB | AD, {}).eptp.ad());
    EptpResult no = setup_eptp(ROOT, WALK4 | WB, {.ad = true});
    EXPECT_FALSE(no.ok);
    EXPECT_NE(std::string(no.reason).find("[21]"), std::string::npos);
}

TEST(SetupEptp, RejectsBadRoot)
{
    EXPECT_FALSE(setup_eptp(PhysAddr(0x123008), WALK4 | WB, {}).ok);
    EXPECT_FALSE(setup_eptp(PhysAddr(0), WALK4 | WB, {}).ok);
}

TEST(EptpValid, Rules)
{
    const u64 caps = WALK4 | WB | UC | AD;
    EXPECT_TRUE(eptp_valid(0x123000 | 6 | (3 << 3), caps, 39));
    EXPECT_TRUE(eptp_valid(0x123000 | 0 | (3 << 3), caps, 39));
    EXPECT_FALSE(eptp_valid(0x123000 | 1 | (3 << 3), caps, 39));         // WC walk type
    EXPECT_FALSE(eptp_valid(0x123000 | 6 | (3 << 3), WALK4 | UC, 39));  // WB not offered
    EXPECT_FALSE(eptp_valid(0x123000 | 6 | (2 << 3), caps, 39));         // 3-level walk
    EXPECT_FALSE(eptp_valid(0x123000 | 6 | (4 << 3), caps, 39));         // 5-level unsupported
    EXPECT_TRUE(eptp_valid(0x123000 | 6 | (3 << 3) | (1 << 6), caps, 39));
    EXPECT_FALSE(eptp_valid(0x123000 | 6 | (3 << 3) | (1 << 6), WALK4 | WB, 39));
    EXPECT_FALSE(eptp_valid(0x123000 | 6 | (3 << 3) | (1 << 8), caps, 39)); // reserved 11:8
    EXPECT_FALSE(eptp_valid((1ull << 39) | 6 | (3 << 3), caps, 39));       // beyond MAXPHYADDR
    EXPECT_FALSE(eptp_valid(0x123000 | 6 | (3 << 3) | (1 << 7), caps, 39)); // SSS without cap
}
