// Unit tests for the TAP merger behind nvmx-tap (tools/tap/tapmerge.cc).
#include <gtest/gtest.h>

#include "tap/tapmerge.hh"

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
    return i;
}

EntryReport run(const char* name, const char* serial)
{
    return evaluate(ran(name), parse_kernel_output(serial));
}

const char* kGood = "TAP version 13\n"
                    "# hello\n"
                    "ok 1 - a: one\n"
                    "not ok 2 - a: two # TODO errata: bochs lacks it\n"
                    "ok 3 - a: three # SKIP no ept\n"
                    "1..3\n"
                    "EXIT: STATUS=0\n";

} // namespace

TEST(TapLine, ParsesResultLines)
{
    auto c = parse_result_line("ok 12 - pre: name # SKIP no x2apic");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->ok);
    EXPECT_EQ(c->desc, "pre: name");
    EXPECT_EQ(c->directive, Directive::Skip);
    EXPECT_EQ(c->reason, "no x2apic");
    EXPECT_EQ(c->kind(), Kind::Skip);

    c = parse_result_line("not ok 3 - x \\# y # todo known");
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->ok);
    EXPECT_EQ(c->desc, "x \\# y");
    EXPECT_EQ(unescape(c->desc), "x # y");
    EXPECT_EQ(c->kind(), Kind::XFail);

    c = parse_result_line("ok 4 - fine # a comment, no directive");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->directive, Directive::None);
    EXPECT_EQ(c->kind(), Kind::Pass);

    c = parse_result_line("not ok");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind(), Kind::Fail);

    EXPECT_FALSE(parse_result_line("okay"));
    EXPECT_FALSE(parse_result_line("# ok 1"));
    EXPECT_FALSE(parse_result_line("notok 1"));
}

TEST(TapKernel, ParsesAStream)
{
    KernelOutput k = parse_kernel_output("garbage\r\nTAP version 13\r\nok 1 - x\r\nnot ok 2 - y\n"
                                         "  ---\n  line: 4\n  ...\n# tail\n1..2\nEXIT: STATUS=1\n"
                                         "after exit\n");
    EXPECT_TRUE(k.saw_version);
    ASSERT_EQ(k.cases.size(), 2u);
    EXPECT_EQ(k.cases[1].yaml, (std::vector<std::string>{"  ---", "  line: 4", "  ..."}));
    EXPECT_EQ(k.trailing_comments, std::vector<std::string>{"tail"});
    EXPECT_EQ(k.plan, 2);
    EXPECT_EQ(k.exit_status, 1);
}

TEST(TapKernel, OnlyReadsBetweenLogMarkers)
{
    std::string log = "# header\nok 1 - not kernel output\n" + std::string(kSerialBegin) +
                      "\nok 1 - a\n1..1\nEXIT: STATUS=0\n" + std::string(kSerialEnd) +
                      "\nnot ok 9 - backend noise\n";
    KernelOutput k = parse_kernel_output(log);
    ASSERT_EQ(k.cases.size(), 1u);
    EXPECT_EQ(k.cases[0].desc, "a");
}

TEST(TapEvaluate, PassWithSkipsAndKnownDeviations)
{
    EntryReport r = run("selftest", kGood);
    EXPECT_EQ(r.verdict, Verdict::Pass);
    EXPECT_EQ(r.counts.passed, 1);
    EXPECT_EQ(r.counts.xfail, 1);
    EXPECT_EQ(r.counts.skipped, 1);
    EXPECT_EQ(r.counts.failed, 0);
    EXPECT_EQ(r.detail, "3 tests, 1 skipped, 1 xfail");
    EXPECT_EQ(r.cases[0].desc, "selftest: a: one");
}

TEST(TapEvaluate, CrashWithoutExitLine)
{
    EntryReport r = run("t", "TAP version 13\nok 1 - a\n");
    EXPECT_EQ(r.verdict, Verdict::Fail);
    ASSERT_EQ(r.cases.size(), 2u);
    EXPECT_EQ(r.cases[1].desc, "t: crash (no EXIT line; see logs/t.log)");
    EXPECT_EQ(r.counts.passed, 1);
    EXPECT_EQ(r.counts.failed, 1);
    EXPECT_EQ(run("t", "").verdict, Verdict::Fail);
}

TEST(TapEvaluate, CrashShowsBackendError)
{
    std::string log = std::string(kSerialBegin) + "\nok 1 - a\n" + std::string(kSerialEnd) +
                      "\nBACKEND-ERROR: KVM internal error\n";
    EntryReport r = run("k", log.c_str());
    EXPECT_EQ(r.detail, "crash: KVM internal error; see logs/k.log");
    ASSERT_EQ(r.cases.size(), 2u);
    EXPECT_EQ(r.cases[1].yaml[2], "  backend_error: 'KVM internal error'");
}

TEST(TapEvaluate, Timeout)
{
    EntryInfo i = ran("h");
    i.result = RunResult::Timeout;
    EntryReport r = evaluate(i, parse_kernel_output("TAP version 13\n"));
    EXPECT_EQ(r.verdict, Verdict::Fail);
    ASSERT_EQ(r.cases.size(), 1u);
    EXPECT_EQ(r.cases[0].desc, "h: timeout after 5s");
    EXPECT_EQ(r.detail, "timeout after 5s");
}

TEST(TapEvaluate, BadSelectionShowsTheError)
{
    EntryReport r = run("e", "TAP version 13\nERROR: no case matches 'zz'\nEXIT: STATUS=2\n");
    EXPECT_EQ(r.verdict, Verdict::Fail);
    ASSERT_EQ(r.cases.size(), 1u);
    EXPECT_EQ(r.cases[0].desc, "e: error (EXIT: STATUS=2): ERROR: no case matches 'zz'");
    EXPECT_EQ(r.detail, "ERROR: no case matches 'zz'");
}

// In TAP mode the kernel prints its ERROR line as a TAP comment.
TEST(TapEvaluate, BadSelectionShowsTheTapCommentError)
{
    EntryReport r = run("e", "TAP version 13\n# ERROR: unknown test case 'zz'\n"
                             "# Available test cases:\n#   a\nEXIT: STATUS=2\n");
    EXPECT_EQ(r.verdict, Verdict::Fail);
    ASSERT_EQ(r.cases.size(), 1u);
    EXPECT_EQ(r.cases[0].desc, "e: error (EXIT: STATUS=2): ERROR: unknown test case 'zz'");
    EXPECT_EQ(r.detail, "ERROR: unknown test case 'zz'");
}

TEST(TapEvaluate, DuplicateCaseNamesFail)
{
    EntryReport r = run("d", "ok 1 - a\nok 2 - b\nok 3 - a\n1..3\nEXIT: STATUS=0\n");
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.detail, "duplicate case name 'a' (case names must be unique within an entry)");
    EXPECT_EQ(run("d", "ok 1 - a\nok 2 - b\n1..2\nEXIT: STATUS=0\n").verdict, Verdict::Pass);
}

TEST(TapEvaluate, ExitStatusMustAgreeWithResults)
{
    EXPECT_EQ(run("x", "ok 1 - a\n1..1\nEXIT: STATUS=1\n").verdict, Verdict::Fail);
    EXPECT_EQ(run("x", "EXIT: STATUS=0\n").verdict, Verdict::Fail);          // no results
    EXPECT_EQ(run("x", "ok 1 - a\nEXIT: STATUS=0\n").verdict, Verdict::Fail); // no plan
    EXPECT_EQ(run("x", "ok 1 - a\n1..2\nEXIT: STATUS=0\n").verdict, Verdict::Fail);
    EXPECT_EQ(run("x", "ok 1 - a\n1..1\nEXIT: STATUS=9\n").verdict, Verdict::Fail);
    EXPECT_EQ(run("x", "ok 1 - a\nBail out! broken\n1..1\nEXIT: STATUS=0\n").verdict,
              Verdict::Fail);
    EXPECT_EQ(run("x", "ok 1 - a\n1..1\nEXIT: STATUS=0\n").verdict, Verdict::Pass);
}

TEST(TapEvaluate, AllSkipped)
{
    EntryReport r = run("s", "ok 1 - a # SKIP none\n1..1\nEXIT: STATUS=77\n");
    EXPECT_EQ(r.verdict, Verdict::Skip);
    r = run("s", "EXIT: STATUS=77\n");
    EXPECT_EQ(r.verdict, Verdict::Skip);
    EXPECT_EQ(r.counts.skipped, 1);
}

TEST(TapEvaluate, SkippedEntryAndRunnerError)
{
    EntryInfo i = ran("v");
    i.result = RunResult::Skipped;
    i.skip_reason = "no VMX-capable backend";
    EntryReport r = evaluate(i, {});
    EXPECT_EQ(r.verdict, Verdict::Skip);
    EXPECT_EQ(r.detail, "no VMX-capable backend");
    Totals t;
    EXPECT_EQ(render_tap(r, t), "# v: backend qemu-tcg\nok 1 - v # SKIP no VMX-capable backend\n");

    i.result = RunResult::Error;
    i.skip_reason = "kernel x.flat not found";
    r = evaluate(i, {});
    EXPECT_EQ(r.verdict, Verdict::Fail);
    EXPECT_EQ(r.counts.failed, 1);
}

TEST(TapRender, NumbersAcrossEntriesAndSummarises)
{
    Totals t;
    std::string a = render_tap(run("one", kGood), t);
    std::string b = render_tap(run("two", "ok 1 - z\nnot ok 2 - y\n  ---\n  k: v\n  ...\n1..2\n"
                                          "EXIT: STATUS=1\n"),
                               t);
    EXPECT_NE(a.find("# one: hello\nok 1 - one: a: one\n"), std::string::npos) << a;
    EXPECT_NE(a.find("not ok 2 - one: a: two # TODO errata: bochs lacks it\n"), std::string::npos);
    EXPECT_NE(a.find("ok 3 - one: a: three # SKIP no ept\n"), std::string::npos);
    EXPECT_NE(b.find("ok 4 - two: z\nnot ok 5 - two: y\n  ---\n  k: v\n  ...\n"),
              std::string::npos)
        << b;
    EXPECT_EQ(t.next, 6);
    EXPECT_EQ(t.entries_failed, 1);
    EXPECT_EQ(render_summary(t, true), "# XFAIL: 1 known deviation (see errata)\n"
                                       "# SUMMARY: 2 passed, 1 failed, 1 skipped\n1..5\n");
    EXPECT_EQ(render_summary(t, false), "XFAIL: 1 known deviation (see errata)\n"
                                        "SUMMARY: 2 passed, 1 failed, 1 skipped\n");
}

TEST(TapRender, HumanLines)
{
    Totals t;
    EXPECT_EQ(render_human(run("one", kGood), false, t), "PASS one (3 tests, 1 skipped, 1 xfail)\n");
    std::string v = render_human(run("two", "ok 1 - a \\# b\n1..1\nEXIT: STATUS=0\n"), true, t);
    EXPECT_EQ(v, "PASS two (1 test)\n  backend qemu-tcg, log logs/two.log\n  PASS: two: a # b\n");
}

TEST(TapState, RoundTrips)
{
    Totals t;
    t.next = 7;
    t.counts.passed = 3;
    t.counts.failed = 1;
    t.counts.skipped = 2;
    t.counts.xfail = 4;
    t.entries_failed = 1;
    auto back = totals_from_string(totals_to_string(t));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->next, 7);
    EXPECT_EQ(back->counts.xfail, 4);
    EXPECT_EQ(back->entries_failed, 1);
    EXPECT_FALSE(totals_from_string("next=1 bogus=2"));
}

TEST(TapRender, UnexpectedPassOfAnErratumIsNamedInTheClosingLines)
{
    Totals t;
    const char* fixed = "ok 1 - urg-cs-rpl # TODO errata: Bochs <= 2.7 (SDM)\n"
                        "not ok 2 - still # TODO errata: Bochs 2.7-3.0\n1..2\nEXIT: STATUS=0\n";
    EXPECT_EQ(render_human(run("feat", fixed), false, t), "PASS feat (2 tests, 1 xfail, 1 xpass)\n");
    ASSERT_EQ(t.xpassed.size(), 1u);
    EXPECT_EQ(t.xpassed[0], "feat: urg-cs-rpl");
    EXPECT_EQ(render_summary(t, false), "XFAIL: 1 known deviation (see errata)\n"
                                        "XPASS: 1 - erratum no longer applies: feat: urg-cs-rpl\n"
                                        "SUMMARY: 1 passed, 0 failed, 0 skipped\n");
    auto back = totals_from_string(totals_to_string(t));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->xpassed, t.xpassed);
    EXPECT_NE(render_summary(*back, true).find("# XPASS: 1 - erratum no longer applies: feat: urg-cs-rpl\n"),
              std::string::npos);
    EXPECT_FALSE(totals_from_string("next=1 passed=0 failed=0 skipped=0 xfail=0 entries_failed=0\nbogus\n"));
}

TEST(TapYaml, Quotes)
{
    EXPECT_EQ(yaml_quote("it's"), "'it''s'");
    EXPECT_EQ(yaml_quote("a\x01" "b"), "'a?b'");
}

TEST(TapRender, VerboseShowsBacktracesOfFailures)
{
    const char* serial = "TAP version 13\n"
                         "# Unhandled exception 14 (#PF)\n"
                         "# STACK: 0x401000 0x402000\n"
                         "#   #0 0x401000 f() at x86/a.cc:3\n"
                         "#   (inlined by) g() at x86/a.cc:9\n"
                         "# #1 0x402000 h() at lib/b.cc:7\n"
                         "not ok 1 - a: dies\n"
                         "# STACK: 0x401000\n"
                         "ok 2 - a: fine\n"
                         "1..2\n"
                         "EXIT: STATUS=1\n";
    Totals t;
    std::string s = render_human(run("st", serial), true, t);
    EXPECT_NE(s.find("  FAIL: st: a: dies\n    STACK: 0x401000 0x402000\n"
                     "    #0 0x401000 f() at x86/a.cc:3\n    (inlined by) g() at x86/a.cc:9\n"
                     "    #1 0x402000 h() at lib/b.cc:7\n  PASS: st: a: fine\n"),
              std::string::npos)
        << s;
    EXPECT_EQ(s.find("Unhandled"), std::string::npos) << s;

    // A crash: the dump after the last result goes with the crash case.
    s = render_human(run("cr", "TAP version 13\nok 1 - a\n# STACK: 0x401000\n# #0 0x401000 f() at x.cc:1\n"),
                     true, t);
    EXPECT_NE(s.find("crash (no EXIT line; see logs/cr.log)\n"), std::string::npos) << s;
    EXPECT_NE(s.find("    STACK: 0x401000\n    #0 0x401000 f() at x.cc:1\n"), std::string::npos) << s;
}
