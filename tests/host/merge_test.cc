// nvmx-tap merge (tools/tap/merge.cc): shards' TAP/JUnit joined in cfg order.
#include <gtest/gtest.h>

#include "tap/junit.hh"
#include "tap/merge.hh"

using namespace nvmx::tap;

namespace {

const ShardText kShard1{"s1.tap", "TAP version 13\n"
                                  "# shard 1/2: 2 of 3 entries: 1=a 3=c (cost: cfg timeouts)\n"
                                  "# a: backend qemu-tcg, 0.10 s, log logs/a.log\n"
                                  "ok 1 - a: x\n"
                                  "not ok 2 - a: y # TODO errata: old\n"
                                  "# c: backend bochs-2.8 cpu=m, 1.00 s, log logs/c.log\n"
                                  "# c: a comment\n"
                                  "ok 3 - c: fixed # TODO errata: gone\n"
                                  "not ok 4 - c: broken\n"
                                  "  ---\n  at: 'x.cc:1'\n  ...\n"
                                  "1..4\n"
                                  "# XFAIL: 1 known deviation (see errata)\n"
                                  "SUMMARY: 2 passed, 1 failed, 0 skipped\n"};
const ShardText kShard2{"s2.tap", "TAP version 13\n"
                                  "# shard 2/2: 1 of 3 entries: 2=b (cost: cfg timeouts)\n"
                                  "# b: backend qemu-tcg, 0.20 s, log logs/b.log\n"
                                  "ok 1 - b # SKIP requires vmx\n"
                                  "1..1\n"
                                  "SUMMARY: 0 passed, 0 failed, 1 skipped\n"};

} // namespace

TEST(Merge, JoinsShardsInCfgOrderRenumberedWithOneSummary)
{
    std::string err;
    auto run = merge_tap_shards({kShard2, kShard1}, &err);
    ASSERT_TRUE(run) << err;
    EXPECT_EQ(run->tap, "TAP version 13\n"
                        "# a: backend qemu-tcg, 0.10 s, log logs/a.log\n"
                        "ok 1 - a: x\n"
                        "not ok 2 - a: y # TODO errata: old\n"
                        "# b: backend qemu-tcg, 0.20 s, log logs/b.log\n"
                        "ok 3 - b # SKIP requires vmx\n"
                        "# c: backend bochs-2.8 cpu=m, 1.00 s, log logs/c.log\n"
                        "# c: a comment\n"
                        "ok 4 - c: fixed # TODO errata: gone\n"
                        "not ok 5 - c: broken\n"
                        "  ---\n  at: 'x.cc:1'\n  ...\n" +
                            render_summary(run->totals, true));
    EXPECT_EQ(run->entries, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(run->totals.next, 6);
    EXPECT_EQ(run->totals.counts.passed, 2);
    EXPECT_EQ(run->totals.counts.failed, 1);
    EXPECT_EQ(run->totals.counts.skipped, 1);
    EXPECT_EQ(run->totals.counts.xfail, 1);
    EXPECT_EQ(run->totals.xpassed, (std::vector<std::string>{"c: fixed"}));
    EXPECT_EQ(run->totals.entries_failed, 1);
}

TEST(Merge, ClosingLinesAsCommentsAndPlanLast)
{
    // The same shards with the closing lines as TAP comments before a final plan.
    ShardText s1{"s1.tap", kShard1.text.substr(0, kShard1.text.find("1..4\n")) +
                               "# XFAIL: 1 known deviation (see errata)\n"
                               "# SUMMARY: 2 passed, 1 failed, 0 skipped\n1..4\n"};
    std::string err;
    auto a = merge_tap_shards({kShard1, kShard2}, &err);
    auto b = merge_tap_shards({s1, kShard2}, &err);
    ASSERT_TRUE(a && b) << err;
    EXPECT_EQ(a->tap, b->tap);
}

TEST(Merge, RefusesShardsThatDoNotMakeOneRun)
{
    std::string err;
    EXPECT_FALSE(merge_tap_shards({kShard1}, &err));
    EXPECT_EQ(err, "shard(s) 2 of 2 missing");
    EXPECT_FALSE(merge_tap_shards({kShard1, kShard1}, &err));
    EXPECT_EQ(err, "s1.tap: shard 1 given twice (also s1.tap)");
    ShardText other{"o.tap", "TAP version 13\n# shard 2/2: 1 of 4 entries: 2=b (cost: x)\n"
                             "# b: backend q, log l\nok 1 - b\n1..1\n"};
    EXPECT_FALSE(merge_tap_shards({kShard1, other}, &err));
    EXPECT_NE(err.find("does not belong to the same run"), std::string::npos) << err;
    ShardText overlap{"v.tap", "TAP version 13\n# shard 2/2: 2 of 3 entries: 2=b 3=c (cost: x)\n"
                               "# b: backend q, log l\nok 1 - b\n# c: backend q\nok 2 - c\n1..2\n"};
    EXPECT_FALSE(merge_tap_shards({kShard1, overlap}, &err));
    EXPECT_NE(err.find("entry 3 (c) is also in s1.tap"), std::string::npos) << err;
    ShardText gap{"g.tap", "TAP version 13\n# shard 2/2: 0 of 3 entries: (cost: x)\n1..0\n"};
    EXPECT_FALSE(merge_tap_shards({kShard1, gap}, &err));
    EXPECT_EQ(err, "entry 2 of 3 is in no shard: the shards did not agree on the partition");
    EXPECT_FALSE(merge_tap_shards({{"u.tap", "TAP version 13\nok 1 - a\n1..1\n"}}, &err));
    EXPECT_NE(err.find("u.tap: no shard header"), std::string::npos) << err;
    ShardText cut{"c.tap", "TAP version 13\n# shard 2/2: 1 of 3 entries: 2=b (cost: x)\n1..0\n"};
    EXPECT_FALSE(merge_tap_shards({kShard1, cut}, &err));
    EXPECT_NE(err.find("c.tap: the report of entry b is missing"), std::string::npos) << err;
}

TEST(Merge, JUnitSuitesFollowTheMergedOrder)
{
    std::string err;
    auto run = merge_tap_shards({kShard1, kShard2}, &err);
    ASSERT_TRUE(run) << err;
    auto suite = [](const char* n) {
        return std::string("  <testsuite name=\"") + n + "\" tests=\"1\">\n    <testcase/>\n  </testsuite>\n";
    };
    auto doc = [](const std::string& suites) {
        return "<?xml version=\"1.0\"?>\n<testsuites name=\"nvmx-tests\">\n" + suites + "</testsuites>\n";
    };
    auto xml = merge_junit_shards({{"1.xml", doc(suite("a") + suite("c"))}, {"2.xml", doc(suite("b"))}},
                                  *run, &err);
    ASSERT_TRUE(xml) << err;
    EXPECT_EQ(*xml, render_junit_document(run->totals, suite("a") + suite("b") + suite("c")));
    EXPECT_FALSE(merge_junit_shards({{"1.xml", doc(suite("a") + suite("c"))}}, *run, &err));
    EXPECT_EQ(err, "no JUnit testsuite for entry b (pass every shard's --junit file)");
    EXPECT_FALSE(merge_junit_shards({{"1.xml", doc(suite("a") + suite("c"))}, {"2.xml", doc(suite("b") + suite("c"))}},
                                    *run, &err));
    EXPECT_EQ(err, "2.xml: testsuite c is in two JUnit files");
}
