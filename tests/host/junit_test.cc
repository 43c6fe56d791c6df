// Unit tests for the JUnit writer behind run_tests.sh --junit (tools/tap/junit.cc).
#include <gtest/gtest.h>

#include "tap/junit.hh"

using namespace nvmx::tap;

namespace {

EntryInfo ran(const char* name)
{
    EntryInfo i;
    i.name = name;
    i.result = RunResult::Ran;
    i.timeout_s = 5;
    i.backend = "qemu-tcg";
    i.log_path = std::string("logs/") + name + ".log";
    i.duration_s = 1.5;
    return i;
}

std::string suite(const char* name, const char* serial)
{
    KernelOutput out = parse_kernel_output(serial);
    return render_junit_suite(evaluate(ran(name), out), out.tail);
}

size_t count(const std::string& s, const std::string& what)
{
    size_t n = 0;
    for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1))
        n++;
    return n;
}

} // namespace

TEST(JunitEscape, EscapesMarkupAndBadBytes)
{
    EXPECT_EQ(xml_escape("a<b>&c"), "a&lt;b&gt;&amp;c");
    EXPECT_EQ(xml_escape("\"q'"), "\"q'");
    EXPECT_EQ(xml_escape("\"q'", true), "&quot;q&apos;");
    EXPECT_EQ(xml_escape("x\ny", true), "x&#10;y");
    EXPECT_EQ(xml_escape("x\ny"), "x\ny");
    EXPECT_EQ(xml_escape(std::string("\x01\x1b[0m\x7f", 6)), "??[0m?");
    EXPECT_EQ(xml_escape("caf\xc3\xa9"), "caf\xc3\xa9");       // valid UTF-8 kept
    EXPECT_EQ(xml_escape("bad\xff\xc3"), "bad??");             // invalid bytes replaced
    EXPECT_EQ(xml_escape("\xed\xa0\x80"), "???");               // surrogate
    EXPECT_EQ(xml_escape("\xef\xbf\xbf"), "???");               // U+FFFF
}

TEST(JunitSuite, OneTestcasePerTapCase)
{
    std::string s = suite("ept", "TAP version 13\n"
                                 "ok 1 - a: one\n"
                                 "# before two <context>\n"
                                 "not ok 2 - a: two & more\n"
                                 "  ---\n"
                                 "  file: x86/ept.cc\n"
                                 "  line: 42\n"
                                 "  expected: '0x10'\n"
                                 "  ...\n"
                                 "ok 3 - a: three # SKIP no \"ept\"\n"
                                 "not ok 4 - a: four \\# hash # TODO errata: bochs (SDM 28.2)\n"
                                 "ok 5 - a: five # TODO fixed now\n"
                                 "1..5\n"
                                 "EXIT: STATUS=1\n");
    EXPECT_EQ(count(s, "<testcase "), 5u);
    EXPECT_NE(s.find("<testsuite name=\"ept\" tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"2\" "
                     "time=\"1.50\">"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("<property name=\"backend\" value=\"qemu-tcg\"/>"), std::string::npos);
    EXPECT_NE(s.find("<testcase classname=\"ept\" name=\"a: one\"/>"), std::string::npos) << s;
    EXPECT_NE(s.find("name=\"a: two &amp; more\""), std::string::npos);
    EXPECT_NE(s.find("<failure message=\"file: x86/ept.cc; line: 42; expected: &apos;0x10&apos;\""),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("  ...\n--- log excerpt (logs/ept.log) ---\n# before two &lt;context&gt;\n"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("<skipped message=\"no &quot;ept&quot;\"/>"), std::string::npos) << s;
    EXPECT_NE(s.find("name=\"a: four # hash\""), std::string::npos) << s;
    EXPECT_NE(s.find("<skipped message=\"known deviation: errata: bochs (SDM 28.2)\"/>"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("<system-out>unexpected pass of a known deviation: fixed now</system-out>"),
              std::string::npos);
    EXPECT_EQ(count(s, "<failure"), 1u);
    EXPECT_EQ(count(s, "<skipped"), 2u);
}

TEST(JunitSuite, CrashIsAFailingTestcaseWithTheLastLines)
{
    std::string s = suite("boom", "TAP version 13\nok 1 - a\n# STACK: 0x401000 0x402000\n"
                                  "# #0 0x401000 f() at x86/a.cc:3\n");
    EXPECT_EQ(count(s, "<testcase "), 2u);
    EXPECT_NE(s.find("name=\"crash (no EXIT line; see logs/boom.log)\""), std::string::npos) << s;
    EXPECT_NE(s.find("<failure message=\"crash (no EXIT line; see logs/boom.log)\""),
              std::string::npos);
    EXPECT_NE(s.find("--- log excerpt (logs/boom.log) ---\nTAP version 13\nok 1 - a\n"
                     "# STACK: 0x401000 0x402000\n# #0 0x401000 f() at x86/a.cc:3\n"),
              std::string::npos)
        << s;
}

TEST(JunitSuite, TailKeepsTheLastLines)
{
    std::string serial;
    for (int i = 0; i < 50; i++)
        serial += "# line " + std::to_string(i) + "\n";
    KernelOutput out = parse_kernel_output(serial);
    ASSERT_EQ(out.tail.size(), kTailLines);
    EXPECT_EQ(out.tail.back(), "# line 49");
    EXPECT_EQ(out.tail.front(), "# line 30");
}

TEST(JunitSuite, SkippedEntryAndRunnerError)
{
    EntryInfo i = ran("vmx");
    i.result = RunResult::Skipped;
    i.skip_reason = "requires vmx: <none>";
    i.backend.clear();
    std::string s = render_junit_suite(evaluate(i, {}), {});
    EXPECT_NE(s.find("<testcase classname=\"vmx\" name=\"vmx\">\n      <skipped message=\"requires "
                     "vmx: &lt;none&gt;\"/>"),
              std::string::npos)
        << s;
    EXPECT_EQ(s.find("name=\"log\""), std::string::npos);

    i = ran("gone");
    i.result = RunResult::Error;
    i.skip_reason = "kernel x86/gone.flat not found (run make)";
    s = render_junit_suite(evaluate(i, {}), {});
    EXPECT_NE(s.find("<failure message=\"kernel x86/gone.flat not found (run make)\""),
              std::string::npos)
        << s;
}

TEST(JunitDocument, WrapsSuitesWithTotals)
{
    Totals t;
    t.counts.passed = 3;
    t.counts.failed = 1;
    t.counts.skipped = 1;
    t.counts.xfail = 2;
    std::string d = render_junit_document(t, "  <testsuite/>\n");
    EXPECT_EQ(d, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<testsuites name=\"nvmx-tests\" tests=\"7\" failures=\"1\" errors=\"0\" "
                 "skipped=\"3\">\n  <testsuite/>\n</testsuites>\n");
}
