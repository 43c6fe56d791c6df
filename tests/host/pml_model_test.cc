// Host tests of the page-modification-log model (lib/x86/vmx/pml_model.hh)
// and of pml_compare: right logs pass, each kind of wrong log fails.
#include <gtest/gtest.h>

#include "x86/vmx/pml_model.hh"

namespace {
constexpr u64 DATA = 0xc0004000, PT = 0xc0003000, PD = 0xc0002000;

// The scenario of ept_features' pml_precise: the walk touches PD and PT
// (treated as writes), then L2 reads, writes and writes again the data page.
PmlModel after_read()
{
    PmlModel m;
    m.access(PD + 0x8, PmlAccess::PagingStructure);
    m.access(PT + 0x18, PmlAccess::PagingStructure);
    m.access(DATA + 0x238, PmlAccess::Read);
    return m;
}
} // namespace

TEST(PmlModel, ReadLogsNothingWalkLogsTablePages)
{
    PmlModel m = after_read();
    ASSERT_EQ(m.count(), 2u);
    EXPECT_EQ(m.entry(0), PD);
    EXPECT_EQ(m.entry(1), PT);
}

TEST(PmlModel, FirstWriteLogsPageAlignedOnceSecondNot)
{
    PmlModel m = after_read();
    m.access(PT + 0x18, PmlAccess::PagingStructure); // walk again: already dirty
    m.access(DATA + 0x238, PmlAccess::Write);
    m.access(DATA + 0x640, PmlAccess::Write);
    ASSERT_EQ(m.count(), 3u);
    EXPECT_EQ(m.entry(2), DATA); // bits 11:0 zero although written at 0x238
}

TEST(PmlModel, PresetDirtyAndPdpteLoadLogNothing)
{
    PmlModel m;
    m.preset_dirty(DATA);
    m.access(DATA + 8, PmlAccess::Write);
    m.access(PT, PmlAccess::PdpteLoad);
    EXPECT_EQ(m.count(), 0u);
}

TEST(PmlCompare, RightLogInAnyOrderMatches)
{
    PmlModel m = after_read();
    const u64 log[] = {PT, PD};
    EXPECT_EQ(pml_compare(log, 2, m), PmlMismatch::None);
}

TEST(PmlCompare, WrongLogsFail)
{
    PmlModel m = after_read();
    m.access(DATA + 0x238, PmlAccess::Write);
    const u64 offset[] = {PD, PT, DATA + 0x238};   // GPA with its page offset
    const u64 twice[] = {PD, PT, DATA, DATA};      // logged at the read and the write
    const u64 missing[] = {PD, DATA};              // paging-structure page not logged
    const u64 other[] = {PD, PT + 0x10000, DATA};  // wrong page
    const u64 gla[] = {PD, PT, 0x8040203000ull};   // the linear address logged
    EXPECT_EQ(pml_compare(offset, 3, m), PmlMismatch::NotAligned);
    EXPECT_EQ(pml_compare(twice, 4, m), PmlMismatch::Count);
    EXPECT_EQ(pml_compare(missing, 2, m), PmlMismatch::Count);
    EXPECT_EQ(pml_compare(other, 3, m), PmlMismatch::Missing);
    EXPECT_EQ(pml_compare(gla, 3, m), PmlMismatch::Missing);
    const u64 dup[] = {PD, PD, DATA};
    EXPECT_EQ(pml_compare(dup, 3, m), PmlMismatch::Duplicate);
}

TEST(PmlCompare, FromSkipsEntriesCheckedBefore)
{
    PmlModel m = after_read();
    m.access(DATA + 0x238, PmlAccess::Write);
    const u64 since[] = {DATA};
    EXPECT_EQ(pml_compare(since, 1, m, 2), PmlMismatch::None);
    const u64 read_logged[] = {DATA, DATA};
    EXPECT_NE(pml_compare(read_logged, 2, m, 2), PmlMismatch::None);
}
