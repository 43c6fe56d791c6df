// nvmx-tap: turns each entry's kernel output into the run's report, one entry
// at a time in cfg order, keeping running totals in a small state file.
//
//   nvmx-tap entry --state FILE [--tap] [--verbose] --name NAME
//            --result ran|timeout|skip|error|interrupted [--reason TEXT] [--timeout SECONDS]
//            [--backend TEXT] [--log PATH] [--duration SECONDS] [--junit-part FILE]
//       Reads PATH (the entry's log; only the lines between the serial
//       markers count) for ran/timeout, prints the entry's TAP lines
//       (--tap) or its human line(s), and updates FILE.
//   nvmx-tap summary --state FILE [--tap]
//       Prints the plan (--tap), the XFAIL line and the SUMMARY line.
//       Exit 0 when nothing failed, 1 otherwise.
//   nvmx-tap merge [--junit OUT] [--junit-shard FILE]... SHARD.tap...
//       Joins the shards of a run_tests.sh --shard run (tap/merge.hh).
//
// Usage errors exit 2.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "tap/junit.hh"
#include "tap/merge.hh"
#include "tap/tapmerge.hh"
#include "common/strutil.hh"

namespace {

using namespace nvmx::tap;

int usage(const std::string& msg)
{
    std::cerr << "nvmx-tap: " << msg << "\n"
              << "usage: nvmx-tap entry --state FILE [--tap] [--verbose] --name NAME\n"
              << "                --result ran|timeout|skip|error|interrupted [--reason TEXT]\n"
              << "                [--timeout S]\n"
              << "                [--backend TEXT] [--log PATH] [--duration S] [--junit-part FILE]\n"
              << "       nvmx-tap summary --state FILE [--tap] [--junit-part FILE --junit OUT]\n"
              << "       nvmx-tap merge [--junit OUT] [--junit-shard FILE]... SHARD.tap...\n";
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
        return usage("missing command");
    std::string cmd = argv[1];
    if (cmd == "merge")
        return merge_main(argc - 2, argv + 2);
    std::map<std::string, std::string> opt;
    bool tap = false, verbose = false;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--tap") {
            tap = true;
        } else if (a == "--verbose") {
            verbose = true;
        } else if (a.rfind("--", 0) == 0 && i + 1 < argc) {
            opt[a.substr(2)] = argv[++i];
        } else {
            return usage("bad argument '" + a + "'");
        }
    }
    if (!opt.count("state"))
        return usage("--state is required");
    const std::string state_path = opt["state"];
    Totals totals;
    std::string state_text;
    if (nvmx::read_whole_file(state_path, &state_text) && !state_text.empty()) {
        auto t = totals_from_string(state_text);
        if (!t) {
            std::cerr << "nvmx-tap: " << state_path << ": corrupt state\n";
            return 2;
        }
        totals = *t;
    }

    if (cmd == "summary") {
        if (opt.count("junit")) {
            std::string suites;
            if (opt.count("junit-part"))
                nvmx::read_whole_file(opt["junit-part"], &suites); // none: no entry ran
            std::ofstream j(opt["junit"], std::ios::trunc | std::ios::binary);
            j << render_junit_document(totals, suites);
            if (!j) {
                std::cerr << "nvmx-tap: cannot write " << opt["junit"] << "\n";
                return 2;
            }
        }
        std::cout << render_summary(totals, tap);
        return totals.counts.failed || totals.entries_failed ? 1 : 0;
    }
    if (cmd != "entry")
        return usage("unknown command '" + cmd + "'");

    EntryInfo info;
    info.name = opt["name"];
    if (info.name.empty())
        return usage("--name is required");
    const std::string result = opt["result"];
    if (result == "ran")
        info.result = RunResult::Ran;
    else if (result == "timeout")
        info.result = RunResult::Timeout;
    else if (result == "skip")
        info.result = RunResult::Skipped;
    else if (result == "error" || result == "interrupted")
        info.result = RunResult::Error;
    else
        return usage("--result must be ran, timeout, skip, error or interrupted");
    info.skip_reason = opt["reason"];
    if (result == "interrupted" && info.skip_reason.empty())
        info.skip_reason = "interrupted";
    info.timeout_s = std::atoi(opt["timeout"].c_str());
    info.backend = opt["backend"];
    info.log_path = opt["log"];
    if (opt.count("duration"))
        info.duration_s = std::atof(opt["duration"].c_str());

    KernelOutput out;
    if (info.result == RunResult::Ran || info.result == RunResult::Timeout) {
        std::string text;
        if (!info.log_path.empty() && !nvmx::read_whole_file(info.log_path, &text)) {
            std::cerr << "nvmx-tap: cannot read " << info.log_path << "\n";
            // An unreadable log is reported as a crash by evaluate().
        }
        out = parse_kernel_output(text);
    }
    EntryReport report = evaluate(info, out);
    if (opt.count("junit-part")) {
        std::ofstream j(opt["junit-part"], std::ios::app | std::ios::binary);
        j << render_junit_suite(report, out.tail);
        if (!j) {
            std::cerr << "nvmx-tap: cannot write " << opt["junit-part"] << "\n";
            return 2;
        }
    }
    std::cout << (tap ? render_tap(report, totals) : render_human(report, verbose, totals));
    std::ofstream st(state_path, std::ios::trunc);
    st << totals_to_string(totals);
    if (!st) {
        std::cerr << "nvmx-tap: cannot write " << state_path << "\n";
        return 2;
    }
    return 0;
}
