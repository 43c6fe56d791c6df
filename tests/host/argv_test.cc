// Host tests of the kernel command-line splitter (lib/argv.cc).
#include <gtest/gtest.h>
#include <cstring>
#include <string>
#include <vector>

#include "argv.hh"

namespace {
// Splits a copy of line; returns the arguments, or {"<error>"} on -1.
std::vector<std::string> split(const char* line, int max_args = 16)
{
    std::vector<char> buf(line, line + std::strlen(line) + 1);
    std::vector<char*> argv(max_args + 1);
    int argc = split_cmdline(buf.data(), argv.data(), max_args);
    if (argc < 0)
        return {"<error>"};
    EXPECT_EQ(argv[argc], nullptr);
    return std::vector<std::string>(argv.begin(), argv.begin() + argc);
}
using V = std::vector<std::string>;
} // namespace

TEST(Argv, Blanks)
{
    EXPECT_EQ(split(""), V{});
    EXPECT_EQ(split("   \t\n"), V{});
    EXPECT_EQ(split("k.flat"), V{"k.flat"});
    EXPECT_EQ(split("  k.flat   --tap\tcase_a \n"), (V{"k.flat", "--tap", "case_a"}));
}

TEST(Argv, Quotes)
{
    EXPECT_EQ(split("a 'b c' d"), (V{"a", "b c", "d"}));
    EXPECT_EQ(split("\"x y\"z"), V{"x yz"});
    EXPECT_EQ(split("'it\"s'"), V{"it\"s"});
    EXPECT_EQ(split("''"), V{""});
}

TEST(Argv, Errors)
{
    EXPECT_EQ(split("a 'b"), V{"<error>"});
    EXPECT_EQ(split("1 2 3", 2), V{"<error>"});
    EXPECT_EQ(split("1 2", 2), (V{"1", "2"}));
}

TEST(Argv, SelectorsAndExclusions)
{
    EXPECT_EQ(split("k.flat ept_* -ept_access_x"), (V{"k.flat", "ept_*", "-ept_access_x"}));
}
