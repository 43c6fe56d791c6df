// Host tests of the case-selection glob matcher (lib/glob.cc).
#include <gtest/gtest.h>

#include "glob.hh"

TEST(Glob, Literal)
{
    EXPECT_TRUE(glob_match("vmx_basic", "vmx_basic"));
    EXPECT_FALSE(glob_match("vmx_basic", "vmx_basics"));
    EXPECT_FALSE(glob_match("vmx_basic", "vmx_basi"));
    EXPECT_TRUE(glob_match("", ""));
    EXPECT_FALSE(glob_match("", "a"));
}

TEST(Glob, Star)
{
    EXPECT_TRUE(glob_match("*", ""));
    EXPECT_TRUE(glob_match("*", "anything"));
    EXPECT_TRUE(glob_match("ept_*", "ept_access_r"));
    EXPECT_TRUE(glob_match("ept_*", "ept_"));
    EXPECT_FALSE(glob_match("ept_*", "vmx_ept"));
    EXPECT_TRUE(glob_match("*_r", "ept_access_r"));
    EXPECT_TRUE(glob_match("a**b", "ab"));
}

TEST(Glob, QuestionMark)
{
    EXPECT_TRUE(glob_match("vmx_?ase", "vmx_base"));
    EXPECT_FALSE(glob_match("vmx_?ase", "vmx_ase"));
    EXPECT_FALSE(glob_match("?", ""));
    EXPECT_TRUE(glob_match("??", "ab"));
}

TEST(Glob, Backtracking)
{
    EXPECT_TRUE(glob_match("*a*b*c", "xxaxxbxxc"));
    EXPECT_FALSE(glob_match("*a*b*c", "xxaxxcxxb"));
    EXPECT_TRUE(glob_match("*aab", "aaaab"));
    EXPECT_TRUE(glob_match("a*a*a", "aaa"));
    EXPECT_FALSE(glob_match("a*a*a", "aa"));
}

TEST(Glob, HasWildcard)
{
    EXPECT_TRUE(glob_has_wildcard("ept_*"));
    EXPECT_TRUE(glob_has_wildcard("a?"));
    EXPECT_FALSE(glob_has_wildcard("plain"));
}
