// Host tests of the kernel's TAP13 writer (lib/tap.cc).
#include <gtest/gtest.h>
#include <string>

#include "tap.hh"

namespace {
struct Capture {
    std::string text;
    Sink sink{[](void* ctx, char c) { static_cast<std::string*>(ctx)->push_back(c); }, &text};
};
} // namespace

TEST(Tap, VersionAndPlan)
{
    Capture c;
    tap_version(c.sink);
    tap_plan(c.sink, 42);
    EXPECT_EQ(c.text, "TAP version 13\n1..42\n");
}

TEST(Tap, Results)
{
    Capture c;
    tap_result(c.sink, 1, true, "vmx: vmxon");
    tap_result(c.sink, 2, false, "ept: read");
    tap_result(c.sink, 3, true, "ept: mbec", TapDirective::Skip, "no MBEC");
    tap_result(c.sink, 4, false, "x", TapDirective::Todo, "errata: y");
    tap_result(c.sink, 5, true, "");
    EXPECT_EQ(c.text, "ok 1 - vmx: vmxon\n"
                      "not ok 2 - ept: read\n"
                      "ok 3 - ept: mbec # SKIP no MBEC\n"
                      "not ok 4 - x # TODO errata: y\n"
                      "ok 5\n");
}

TEST(Tap, DescriptionsAreEscapedAndOneLine)
{
    Capture c;
    tap_result(c.sink, 7, true, "#GP on a\\b\nnext");
    EXPECT_EQ(c.text, "ok 7 - \\#GP on a\\\\b next\n");
}

TEST(Tap, YamlBlock)
{
    Capture c;
    tap_yaml_begin(c.sink);
    tap_yaml_field(c.sink, "at", "x86/vmx.cc:42");
    tap_yaml_field(c.sink, "expected", "0x10");
    tap_yaml_field(c.sink, "note", "say \"hi\"");
    tap_yaml_field(c.sink, "empty", "");
    tap_yaml_end(c.sink);
    EXPECT_EQ(c.text, "  ---\n"
                      "  at: \"x86/vmx.cc:42\"\n"
                      "  expected: 0x10\n"
                      "  note: \"say \\\"hi\\\"\"\n"
                      "  empty: \"\"\n"
                      "  ...\n");
}

TEST(Tap, Comments)
{
    Capture c;
    tap_comment(c.sink, "one\ntwo");
    tap_comment(c.sink, "");
    EXPECT_EQ(c.text, "# one\n# two\n# \n");
}
