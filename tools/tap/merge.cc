#include "tap/merge.hh"

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "common/strutil.hh"
#include "tap/junit.hh"

namespace nvmx::tap {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "# shard I/N: K of T entries: p=name ... (cost: ...)".
struct ShardHeader {
    int index = 0, count = 0, total = 0;
    std::vector<std::pair<int, std::string>> entries; // position (1-based), name
};

std::optional<ShardHeader> parse_header(std::string_view line)
{
    constexpr std::string_view kPrefix = "# shard ";
    if (!starts_with(line, kPrefix))
        return std::nullopt;
    auto words = split_blanks(line.substr(kPrefix.size()));
    // words: "I/N:" "K" "of" "T" "entries:" "p=name"... "(cost:" ...
    if (words.size() < 5 || words[2] != "of" || words[4] != "entries:")
        return std::nullopt;
    ShardHeader h;
    std::string in = words[0];
    size_t slash = in.find('/');
    if (slash == std::string::npos || in.back() != ':')
        return std::nullopt;
    auto i = parse_uint(std::string_view(in).substr(0, slash));
    auto n = parse_uint(std::string_view(in).substr(slash + 1, in.size() - slash - 2));
    auto k = parse_uint(words[1]);
    auto t = parse_uint(words[3]);
    if (!i || !n || !k || !t || *i < 1 || *i > *n)
        return std::nullopt;
    h.index = *i, h.count = *n, h.total = *t;
    for (size_t w = 5; w < words.size() && words[w] != "(cost:"; w++) {
        size_t eq = words[w].find('=');
        auto pos = eq == std::string::npos ? std::nullopt
                                           : parse_uint(std::string_view(words[w]).substr(0, eq));
        if (!pos || *pos < 1 || *pos > h.total || eq + 1 == words[w].size())
            return std::nullopt;
        h.entries.emplace_back(*pos, words[w].substr(eq + 1));
    }
    if (static_cast<int>(h.entries.size()) != *k)
        return std::nullopt;
    return h;
}

// Lines after the last entry's block: the plan and the closing lines.
bool ends_blocks(std::string_view line)
{
    for (std::string_view p : {"1..", "# XFAIL: ", "# XPASS: ", "# SUMMARY: ", "XFAIL: ", "XPASS: ",
                               "SUMMARY: "})
        if (starts_with(line, p))
            return true;
    return false;
}

// "ok 12 - x" -> "ok <n> - x" (same for "not ok").
std::string renumber(std::string_view line, int n)
{
    size_t at = starts_with(line, "not ok") ? 6 : 2;
    std::string out(line.substr(0, at));
    std::string_view rest = line.substr(at);
    size_t d = 0;
    while (d < rest.size() && rest[d] == ' ')
        d++;
    size_t e = d;
    while (e < rest.size() && rest[e] >= '0' && rest[e] <= '9')
        e++;
    return out + " " + std::to_string(n) + std::string(rest.substr(e));
}

struct Block {
    std::string name;
    std::string from; // the shard's file
    std::vector<std::string> lines;
};

} // namespace

std::optional<MergedRun> merge_tap_shards(const std::vector<ShardText>& shards, std::string* error)
{
    auto fail = [&](const std::string& msg) -> std::optional<MergedRun> {
        *error = msg;
        return std::nullopt;
    };
    if (shards.empty())
        return fail("no shard reports given");
    std::map<int, Block> by_pos;         // position -> the entry's lines
    std::map<int, std::string> shard_of; // shard index -> file
    int count = 0, total = 0;
    for (const ShardText& s : shards) {
        auto lines = split_lines(s.text);
        size_t l = 0;
        if (l < lines.size() && starts_with(lines[l], "TAP version"))
            l++;
        std::optional<ShardHeader> h = l < lines.size() ? parse_header(lines[l]) : std::nullopt;
        if (!h)
            return fail(s.name + ": no shard header ('# shard I/N: ...' after the version line; "
                                 "run_tests.sh -t --shard I/N writes it)");
        l++;
        if (count == 0) {
            count = h->count, total = h->total;
        } else if (h->count != count || h->total != total) {
            return fail(s.name + ": shard " + std::to_string(h->index) + "/" +
                        std::to_string(h->count) + " of " + std::to_string(h->total) +
                        " entries does not belong to the same run as " + shard_of.begin()->second +
                        " (" + std::to_string(count) + " shards, " + std::to_string(total) +
                        " entries)");
        }
        if (auto [it, fresh] = shard_of.emplace(h->index, s.name); !fresh)
            return fail(s.name + ": shard " + std::to_string(h->index) + " given twice (also " +
                        it->second + ")");
        for (size_t e = 0; e < h->entries.size(); e++) {
            auto& [pos, name] = h->entries[e];
            const std::string start = "# " + name + ": backend ";
            for (; l < lines.size() && trim(lines[l]).empty(); l++) {
            }
            if (l == lines.size() || !starts_with(lines[l], start))
                return fail(s.name + ": the report of entry " + name + " is missing (expected '" +
                            start + "...' at line " + std::to_string(l + 1) + ")");
            if (by_pos.count(pos))
                return fail(s.name + ": entry " + std::to_string(pos) + " (" + name +
                            ") is also in " + by_pos[pos].from +
                            ": the shards did not agree on the partition (same NVMX_SHARD_TIMES "
                            "and TIMEOUT for every shard?)");
            Block b;
            b.name = name;
            b.from = s.name;
            const std::string next =
                e + 1 < h->entries.size() ? "# " + h->entries[e + 1].second + ": backend " : "";
            for (b.lines.push_back(lines[l++]); l < lines.size(); l++) {
                if (ends_blocks(lines[l]) || (!next.empty() && starts_with(lines[l], next)))
                    break;
                b.lines.push_back(lines[l]);
            }
            by_pos.emplace(pos, std::move(b));
        }
    }
    std::string missing;
    for (int i = 1; i <= count; i++)
        if (!shard_of.count(i))
            missing += (missing.empty() ? "" : ", ") + std::to_string(i);
    if (!missing.empty())
        return fail("shard(s) " + missing + " of " + std::to_string(count) + " missing");
    for (int p = 1; p <= total; p++)
        if (!by_pos.count(p))
            return fail("entry " + std::to_string(p) + " of " + std::to_string(total) +
                        " is in no shard: the shards did not agree on the partition");

    MergedRun run;
    run.tap = "TAP version 13\n";
    for (auto& [pos, b] : by_pos) {
        run.entries.push_back(b.name);
        bool failed = false;
        for (const std::string& line : b.lines) {
            auto c = starts_with(line, "ok") || starts_with(line, "not ok") ? parse_result_line(line)
                                                                            : std::nullopt;
            if (!c) {
                run.tap += line + "\n";
                continue;
            }
            run.tap += renumber(line, run.totals.next++) + "\n";
            Kind k = c->kind();
            run.totals.counts.add(k);
            failed |= k == Kind::Fail;
            if (k == Kind::XPass)
                run.totals.xpassed.push_back(unescape(c->desc));
        }
        run.totals.entries_failed += failed;
    }
    run.tap += render_summary(run.totals, true);
    return run;
}

std::optional<std::string> merge_junit_shards(const std::vector<ShardText>& docs, const MergedRun& run,
                                              std::string* error)
{
    std::map<std::string, std::string> suites; // escaped name -> element
    for (const ShardText& d : docs) {
        auto lines = split_lines(d.text);
        for (size_t l = 0; l < lines.size(); l++) {
            if (!starts_with(lines[l], "  <testsuite "))
                continue;
            constexpr std::string_view kName = "  <testsuite name=\"";
            size_t q = lines[l].find('"', kName.size());
            if (!starts_with(lines[l], kName) || q == std::string::npos) {
                *error = d.name + ":" + std::to_string(l + 1) + ": a testsuite without a name";
                return std::nullopt;
            }
            std::string name = lines[l].substr(kName.size(), q - kName.size());
            std::string element;
            for (; l < lines.size(); l++) {
                element += lines[l] + "\n";
                if (lines[l] == "  </testsuite>")
                    break;
            }
            if (!suites.emplace(name, element).second) {
                *error = d.name + ": testsuite " + name + " is in two JUnit files";
                return std::nullopt;
            }
        }
    }
    std::string body;
    for (const std::string& e : run.entries) {
        auto it = suites.find(xml_escape(e, true));
        if (it == suites.end()) {
            *error = "no JUnit testsuite for entry " + e + " (pass every shard's --junit file)";
            return std::nullopt;
        }
        body += it->second;
        suites.erase(it);
    }
    if (!suites.empty()) {
        *error = "JUnit testsuite " + suites.begin()->first + " belongs to no shard's TAP report";
        return std::nullopt;
    }
    return render_junit_document(run.totals, body);
}

namespace {

int merge_usage(const std::string& msg)
{
    std::cerr << "nvmx-tap merge: " << msg << "\n"
              << "usage: nvmx-tap merge [--junit OUT.xml] [--junit-shard SHARD.xml]... SHARD.tap...\n";
    return 2;
}

} // namespace

int merge_main(int argc, char** argv)
{
    std::vector<ShardText> taps, junits;
    std::string junit_out;
    for (int i = 0; i < argc; i++) {
        std::string a = argv[i];
        if ((a == "--junit" || a == "--junit-shard") && i + 1 < argc) {
            std::string v = argv[++i];
            if (a == "--junit")
                junit_out = v;
            else
                junits.push_back({v, ""});
        } else if (a.rfind("--", 0) == 0) {
            return merge_usage("bad argument '" + a + "'");
        } else {
            taps.push_back({a, ""});
        }
    }
    if (taps.empty())
        return merge_usage("no shard TAP reports given");
    if (!junits.empty() && junit_out.empty())
        return merge_usage("--junit-shard needs --junit OUT.xml");
    for (auto* list : {&taps, &junits})
        for (ShardText& s : *list)
            if (!nvmx::read_whole_file(s.name, &s.text)) {
                std::cerr << "nvmx-tap merge: cannot read " << s.name << "\n";
                return 2;
            }
    std::string error;
    auto run = merge_tap_shards(taps, &error);
    if (!run) {
        std::cerr << "nvmx-tap merge: " << error << "\n";
        return 2;
    }
    if (!junit_out.empty()) {
        auto doc = merge_junit_shards(junits, *run, &error);
        if (!doc) {
            std::cerr << "nvmx-tap merge: " << error << "\n";
            return 2;
        }
        std::ofstream j(junit_out, std::ios::trunc | std::ios::binary);
        j << *doc;
        if (!j) {
            std::cerr << "nvmx-tap merge: cannot write " << junit_out << "\n";
            return 2;
        }
    }
    std::cout << run->tap;
    return run->totals.counts.failed || run->totals.entries_failed ? 1 : 0;
}

} // namespace nvmx::tap
