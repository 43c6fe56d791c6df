// nvmx-tap merge: joins the reports of the shards of one run
// (`run_tests.sh -t --shard I/N`, scripts/runner-shard.sh) into the report of
// the unsharded run: entries back in cfg order, renumbered, one plan and the
// closing lines; the shards' JUnit files into one document in the same order.
//
// Each shard's TAP names its entries and their positions in the unsharded
// run in a header comment after the version line:
//   # shard 2/3: 2 of 5 entries: 2=vmx 5=ept_ad (cost: ...)
// The merge refuses shards of different runs, a missing or doubled shard and
// an entry in two shards (a partition the shards did not agree on).
//
// Pure logic except merge_main; tests/host/merge_test.cc covers it.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tap/tapmerge.hh"

namespace nvmx::tap {

struct ShardText {
    std::string name; // file name, for messages
    std::string text;
};

struct MergedRun {
    std::string tap;                  // the whole TAP13 stream
    Totals totals;
    std::vector<std::string> entries; // entry names in cfg order
};

// The merged TAP of the shards' TAP reports; nullopt with *error set when
// they do not add up to one run.
[[nodiscard]] std::optional<MergedRun> merge_tap_shards(const std::vector<ShardText>& shards,
                                                        std::string* error);

// One JUnit document from the shards' documents (render_junit_document), its
// suites in run.entries order; nullopt with *error set when a suite is
// missing, doubled or unknown.
[[nodiscard]] std::optional<std::string> merge_junit_shards(const std::vector<ShardText>& docs,
                                                            const MergedRun& run,
                                                            std::string* error);

// `nvmx-tap merge [--junit OUT] [--junit-shard FILE]... SHARD.tap...`: prints
// the merged TAP; exit 0 when nothing failed, 1 otherwise, 2 on bad input.
int merge_main(int argc, char** argv);

} // namespace nvmx::tap
