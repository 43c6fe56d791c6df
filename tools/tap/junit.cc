#include "tap/junit.hh"

#include <cstdio>

#include "common/strutil.hh"

namespace nvmx::tap {

namespace {

constexpr size_t kMessageMax = 400;

// Length of the valid UTF-8 sequence at s[i], 0 if invalid.
size_t utf8_len(std::string_view s, size_t i)
{
    auto u = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = u(i);
    size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
        return 0;
    for (size_t k = 1; k < n; k++)
        if ((u(i + k) & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xe0 && u(i + 1) < 0xa0) || (c == 0xed && u(i + 1) >= 0xa0)))
        return 0; // overlong, or a UTF-16 surrogate
    if (n == 4 && ((c == 0xf0 && u(i + 1) < 0x90) || (c == 0xf4 && u(i + 1) >= 0x90)))
        return 0; // overlong, or above U+10FFFF
    if (n == 3 && c == 0xef && u(i + 1) == 0xbf && (u(i + 2) == 0xbe || u(i + 2) == 0xbf))
        return 0; // U+FFFE / U+FFFF are not XML characters
    return n;
}

std::string attr(std::string_view name, std::string_view value)
{
    return " " + std::string(name) + "=\"" + xml_escape(value, true) + "\"";
}

std::string attr(std::string_view name, int value) { return attr(name, std::to_string(value)); }

std::string truncated(std::string s)
{
    if (s.size() > kMessageMax) {
        size_t cut = kMessageMax;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80)
            cut--; // don't split a UTF-8 sequence
        s = s.substr(0, cut) + "...";
    }
    return s;
}

// The case's name inside its entry: the description without "<entry>: ".
std::string case_name(const EntryReport& r, const Case& c)
{
    std::string d = unescape(c.desc);
    const std::string prefix = r.info.name + ": ";
    if (d.compare(0, prefix.size(), prefix) == 0)
        return d.substr(prefix.size());
    return d;
}

// "key: value; key: value" from a YAML diagnostics block.
std::string yaml_summary(const std::vector<std::string>& yaml)
{
    std::vector<std::string> parts;
    for (auto& y : yaml) {
        std::string_view t = trim(y);
        if (t != "---" && t != "..." && !t.empty())
            parts.emplace_back(t);
    }
    return join(parts, "; ");
}

std::string failure(const EntryReport& r, const Case& c, const std::vector<std::string>& tail)
{
    std::string msg = c.from_runner ? case_name(r, c) : yaml_summary(c.yaml);
    if (msg.empty())
        msg = "not ok";
    std::string body;
    for (auto& y : c.yaml)
        body += y + "\n";
    std::vector<std::string> excerpt;
    if (c.from_runner)
        excerpt = tail;
    else
        for (auto& com : c.comments_before)
            excerpt.push_back("# " + com);
    if (!excerpt.empty()) {
        body += "--- log excerpt";
        if (!r.info.log_path.empty())
            body += " (" + r.info.log_path + ")";
        body += " ---\n";
        for (auto& l : excerpt)
            body += l + "\n";
    }
    return "      <failure" + attr("message", truncated(msg)) + attr("type", "failure") + ">" +
           xml_escape(body) + "</failure>\n";
}

} // namespace

std::string xml_escape(std::string_view s, bool in_attr)
{
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        char c = s[i];
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            size_t n = utf8_len(s, i);
            if (n == 0) {
                out += '?';
                i++;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += in_attr ? "&quot;" : "\""; break;
        case '\'': out += in_attr ? "&apos;" : "'"; break;
        case '\t': out += in_attr ? "&#9;" : "\t"; break;
        case '\n': out += in_attr ? "&#10;" : "\n"; break;
        case '\r': out += "&#13;"; break;
        default: out += (u < 0x20 || u == 0x7f) ? '?' : c; break;
        }
        i++;
    }
    return out;
}

std::string render_junit_suite(const EntryReport& r, const std::vector<std::string>& tail)
{
    const Counts& n = r.counts;
    std::string s = "  <testsuite" + attr("name", r.info.name) + attr("tests", n.total()) +
                    attr("failures", n.failed) + attr("errors", 0) +
                    attr("skipped", n.skipped + n.xfail);
    if (r.info.duration_s >= 0) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", r.info.duration_s);
        s += attr("time", buf);
    }
    s += ">\n    <properties>\n";
    s += "      <property" + attr("name", "backend") +
         attr("value", r.info.backend.empty() ? "none" : r.info.backend) + "/>\n";
    if (!r.info.log_path.empty() && r.info.result != RunResult::Skipped)
        s += "      <property" + attr("name", "log") + attr("value", r.info.log_path) + "/>\n";
    s += "    </properties>\n";
    for (const Case& c : r.cases) {
        s += "    <testcase" + attr("classname", r.info.name) + attr("name", case_name(r, c));
        switch (c.kind()) {
        case Kind::Pass:
            s += "/>\n";
            break;
        case Kind::XPass:
            s += ">\n      <system-out>" +
                 xml_escape("unexpected pass of a known deviation: " + c.reason) +
                 "</system-out>\n    </testcase>\n";
            break;
        case Kind::Skip:
            s += ">\n      <skipped" + attr("message", c.reason) + "/>\n    </testcase>\n";
            break;
        case Kind::XFail:
            s += ">\n      <skipped" + attr("message", "known deviation: " + c.reason) +
                 "/>\n    </testcase>\n";
            break;
        case Kind::Fail:
            s += ">\n" + failure(r, c, tail) + "    </testcase>\n";
            break;
        }
    }
    return s + "  </testsuite>\n";
}

std::string render_junit_document(const Totals& t, std::string_view suites)
{
    const Counts& n = t.counts;
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites" + attr("name", "nvmx-tests") +
           attr("tests", n.total()) + attr("failures", n.failed) + attr("errors", 0) +
           attr("skipped", n.skipped + n.xfail) + ">\n" + std::string(suites) + "</testsuites>\n";
}

} // namespace nvmx::tap
