// Host tests of the set that makes the report library refuse duplicate
// check names (lib/name_set.cc).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "name_set.hh"

TEST(NameSet, SecondUseOfANameIsADuplicate)
{
    auto s = std::make_unique<NameSet>();
    EXPECT_EQ(s->insert("invept_types: type 0x3: VMfailValid(28)"), NameSet::Insert::New);
    EXPECT_EQ(s->insert("invept_types: type 0x4: VMfailValid(28)"), NameSet::Insert::New);
    EXPECT_EQ(s->insert("invept_types: type 0x3: VMfailValid(28)"), NameSet::Insert::Duplicate);
    EXPECT_EQ(s->size(), 2u);
}

TEST(NameSet, NamesDifferingInOneCharacterOrPrefixAreDistinct)
{
    auto s = std::make_unique<NameSet>();
    EXPECT_EQ(s->insert("a"), NameSet::Insert::New);
    EXPECT_EQ(s->insert("a "), NameSet::Insert::New);
    EXPECT_EQ(s->insert("b"), NameSet::Insert::New);
    EXPECT_EQ(s->insert(""), NameSet::Insert::New);
    EXPECT_EQ(s->insert(""), NameSet::Insert::Duplicate);
}

TEST(NameSet, ClearForgetsEverything)
{
    auto s = std::make_unique<NameSet>();
    EXPECT_EQ(s->insert("x"), NameSet::Insert::New);
    s->clear();
    EXPECT_EQ(s->size(), 0u);
    EXPECT_EQ(s->insert("x"), NameSet::Insert::New);
}

TEST(NameSet, ManyDistinctNamesThenFull)
{
    auto s = std::make_unique<NameSet>();
    for (usize i = 0; i < NameSet::CAPACITY; i++)
        ASSERT_EQ(s->insert(("case: check " + std::to_string(i)).c_str()), NameSet::Insert::New) << i;
    EXPECT_EQ(s->insert("case: check 17"), NameSet::Insert::Duplicate);
    EXPECT_EQ(s->insert("one more"), NameSet::Insert::Full);
}

TEST(NameSet, HashIsNeverZero)
{
    EXPECT_NE(name_hash(""), 0u);
    EXPECT_NE(name_hash("abc"), name_hash("abd"));
}
