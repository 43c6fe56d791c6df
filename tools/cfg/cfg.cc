#include "cfg/cfg.hh"

#include <algorithm>
#include <array>
#include <map>

#include "common/strutil.hh"

namespace nvmx::cfg {

namespace {

constexpr std::array kKeys{
    "file",  "extra_params", "qemu_params", "test_args", "groups",    "timeout", "smp",
    "accel", "arch",         "check",       "requires",  "memory",    "bochs_cpu",
};

constexpr std::array kAccels{"kvm", "tcg", "bochs"};
constexpr std::array kRequirements{"vmx"};

bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

bool is_name(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), is_name_char);
}

template <size_t N>
bool one_of(const std::array<const char*, N>& set, std::string_view s)
{
    return std::any_of(set.begin(), set.end(), [&](const char* k) { return s == k; });
}

bool has_control_char(std::string_view s)
{
    return std::any_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

// The line without a trailing comment: '#' at the start or after a blank,
// outside '...' and "..." (kvm-unit-tests' unittests.cfg allows them).
std::string_view strip_comment(std::string_view l)
{
    char quote = 0;
    for (size_t i = 0; i < l.size(); i++) {
        char c = l[i];
        if (quote) {
            if (c == '\\' && quote == '"')
                i++;
            else if (c == quote)
                quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '\\') {
            i++;
        } else if (c == '#' && (i == 0 || l[i - 1] == ' ' || l[i - 1] == '\t')) {
            return l.substr(0, i);
        }
    }
    return l;
}

// State of the section being read.
struct Section {
    Entry entry;
    std::map<std::string, int> key_lines;
    std::string extra_params;
    int extra_line = 0;
    std::string test_args;
};

class Parser {
public:
    Result run(std::string_view text)
    {
        auto lines = split_lines(text);
        for (size_t i = 0; i < lines.size(); i++)
            line(static_cast<int>(i + 1), lines[i]);
        finish_section();
        std::stable_sort(result_.errors.begin(), result_.errors.end(),
                         [](const Error& a, const Error& b) { return a.line < b.line; });
        return std::move(result_);
    }

private:
    void error(int line, std::string msg) { result_.errors.push_back({line, std::move(msg)}); }

    void line(int no, std::string_view raw)
    {
        if (has_control_char(raw)) {
            error(no, "control character in line");
            return;
        }
        std::string_view l = trim(strip_comment(raw));
        if (l.empty())
            return;
        if (l.front() == '[') {
            header(no, l);
            return;
        }
        size_t eq = l.find('=');
        if (eq == std::string_view::npos) {
            error(no, "expected '[name]' or 'key = value', got '" + std::string(l) + "'");
            return;
        }
        std::string key(trim(l.substr(0, eq)));
        std::string_view value = trim(l.substr(eq + 1));
        if (!section_) {
            if (!skipping_)
                error(no, "'" + key + "' outside of any [section]");
            return;
        }
        assignment(no, key, value);
    }

    void header(int no, std::string_view l)
    {
        finish_section();
        if (l.back() != ']') {
            error(no, "malformed section header '" + std::string(l) + "' (missing ']')");
            section_.reset();
            skipping_ = true;
            return;
        }
        std::string name(trim(l.substr(1, l.size() - 2)));
        if (!is_name(name)) {
            error(no, "bad entry name '" + name + "' (use letters, digits, '_', '-', '.')");
            section_.reset();
            skipping_ = true;
            return;
        }
        if (auto it = seen_.find(name); it != seen_.end()) {
            error(no, "duplicate entry [" + name + "] (first defined at line " +
                          std::to_string(it->second) + ")");
            section_.reset();
            skipping_ = true;
            return;
        }
        seen_[name] = no;
        section_ = Section{};
        section_->entry.name = name;
        section_->entry.line = no;
        skipping_ = false;
    }

    void assignment(int no, const std::string& key, std::string_view value)
    {
        Section& s = *section_;
        if (!one_of(kKeys, key)) {
            error(no, "unknown key '" + key + "' in [" + s.entry.name + "]");
            return;
        }
        if (auto it = s.key_lines.find(key); it != s.key_lines.end()) {
            error(no, "duplicate key '" + key + "' in [" + s.entry.name + "] (first at line " +
                          std::to_string(it->second) + ")");
            return;
        }
        s.key_lines[key] = no;
        Entry& e = s.entry;
        std::string v(value);
        if (key == "file") {
            if (v.empty() || split_blanks(v).size() != 1)
                error(no, "'file' must name one kernel file, got '" + v + "'");
            else
                e.file = v;
        } else if (key == "extra_params" || key == "qemu_params") {
            if (s.extra_line) {
                error(no, "'" + key + "' and '" + (key == "qemu_params" ? "extra_params" : "qemu_params") +
                              "' are the same key (line " + std::to_string(s.extra_line) + ")");
                return;
            }
            s.extra_params = v;
            s.extra_line = no;
        } else if (key == "test_args") {
            s.test_args = v;
        } else if (key == "groups") {
            e.groups = split_blanks(v);
            for (auto& g : e.groups)
                if (!is_name(g))
                    error(no, "bad group name '" + g + "'");
        } else if (key == "timeout") {
            if (auto t = parse_duration_s(v))
                e.timeout_s = *t;
            else
                error(no, "bad timeout '" + v + "' (expected e.g. 90, 90s, 2m; 0: none)");
        } else if (key == "smp") {
            auto n = parse_uint(v);
            if (n && *n > 0 && *n <= 256)
                e.smp = *n;
            else
                error(no, "bad smp '" + v + "' (expected a CPU count 1..256)");
        } else if (key == "memory") {
            if (auto m = parse_memory_mib(v))
                e.memory_mib = *m;
            else
                error(no, "bad memory '" + v + "' (expected MiB, e.g. 256 or 1G)");
        } else if (key == "accel") {
            // One backend, or a list (kvm,tcg) the automatic choice keeps to.
            std::string list = v;
            std::replace(list.begin(), list.end(), ',', ' ');
            auto words = split_blanks(list);
            if (words.empty())
                error(no, "empty 'accel' (expected kvm, tcg, bochs or a list like kvm,tcg)");
            for (auto& a : words)
                if (!one_of(kAccels, a))
                    error(no, "bad accel '" + a + "' (expected kvm, tcg or bochs, or a list like kvm,tcg)");
            e.accel = join(words, " ");
        } else if (key == "arch") {
            if (is_name(v))
                e.arch = v;
            else
                error(no, "bad arch '" + v + "'");
        } else if (key == "check") {
            e.checks = split_blanks(v);
            if (e.checks.empty())
                error(no, "empty 'check' (expected path=value ...)");
            for (auto& c : e.checks) {
                size_t eq = c.find('=');
                if (eq == 0 || eq == std::string::npos)
                    error(no, "bad check '" + c + "' (expected path=value)");
            }
        } else if (key == "requires") {
            e.requirements = split_blanks(v);
            if (e.requirements.empty())
                error(no, "empty 'requires'");
            for (auto& r : e.requirements)
                if (!one_of(kRequirements, r))
                    error(no, "unknown requirement '" + r + "' (known: vmx)");
        } else if (key == "bochs_cpu") {
            if (is_name(v))
                e.bochs_cpu = v;
            else
                error(no, "bad bochs_cpu '" + v + "' (see bochs --help cpu)");
        }
    }

    // Takes -append, -smp and -m out of extra_params so that every backend
    // sees them; the rest stays QEMU-only.
    void split_extra(Section& s)
    {
        Entry& e = s.entry;
        std::string append;
        bool have_append = false;
        if (!s.extra_params.empty()) {
            std::string err;
            auto words = split_words(s.extra_params, &err);
            if (!words) {
                error(s.extra_line, "extra_params: " + err);
                return;
            }
            for (size_t i = 0; i < words->size(); i++) {
                const std::string& w = (*words)[i];
                bool takes_value = w == "-append" || w == "-smp" || w == "-m";
                if (w == "-kernel" || w == "-serial" || w == "-initrd") {
                    error(s.extra_line, "extra_params: '" + w + "' is set by the runner");
                    continue;
                }
                if (!takes_value) {
                    e.qemu_args.push_back(w);
                    continue;
                }
                if (i + 1 >= words->size()) {
                    error(s.extra_line, "extra_params: '" + w + "' needs a value");
                    return;
                }
                const std::string& val = (*words)[++i];
                if (w == "-append") {
                    if (have_append)
                        error(s.extra_line, "extra_params: more than one -append");
                    append = val;
                    have_append = true;
                } else if (w == "-smp") {
                    auto n = parse_uint(val);
                    if (s.key_lines.count("smp"))
                        error(s.extra_line, "extra_params: -smp conflicts with the 'smp' key");
                    else if (n && *n > 0 && *n <= 256)
                        e.smp = *n;
                    else
                        error(s.extra_line, "extra_params: bad -smp '" + val +
                                                "' (only a plain CPU count is supported)");
                } else {
                    auto m = parse_memory_mib(val);
                    if (s.key_lines.count("memory"))
                        error(s.extra_line, "extra_params: -m conflicts with the 'memory' key");
                    else if (m)
                        e.memory_mib = *m;
                    else
                        error(s.extra_line, "extra_params: bad -m '" + val + "'");
                }
            }
        }
        auto args = split_blanks(append);
        for (auto& a : split_blanks(s.test_args))
            args.push_back(a);
        e.kernel_args = join(args, " ");
    }

    void finish_section()
    {
        if (!section_)
            return;
        Section& s = *section_;
        split_extra(s);
        if (s.entry.file.empty() && !s.key_lines.count("file"))
            error(s.entry.line, "entry [" + s.entry.name + "] has no 'file' key");
        result_.entries.push_back(std::move(s.entry));
        section_.reset();
    }

    Result result_;
    std::optional<Section> section_;
    std::map<std::string, int> seen_;
    bool skipping_ = false;
};

} // namespace

Result parse(std::string_view text) { return Parser{}.run(text); }

std::string format_error(std::string_view path, const Error& e)
{
    return std::string(path) + ":" + std::to_string(e.line) + ": " + e.message;
}

std::string to_record(const Entry& e)
{
    std::string r;
    auto field = [&r](std::string_view key, const std::string& value) {
        if (!r.empty())
            r += '\t';
        r += key;
        r += '=';
        r += value;
    };
    std::vector<std::string> qemu;
    for (auto& a : e.qemu_args)
        qemu.push_back(printable(a));
    field("name", e.name);
    field("line", std::to_string(e.line));
    field("file", printable(e.file));
    field("args", printable(e.kernel_args));
    field("qemu", join(qemu, "\x1f"));
    field("groups", join(e.groups, " "));
    field("timeout", std::to_string(e.timeout_s));
    field("smp", std::to_string(e.smp));
    field("memory", std::to_string(e.memory_mib));
    field("accel", e.accel);
    field("arch", e.arch);
    field("check", printable(join(e.checks, " ")));
    field("requires", join(e.requirements, " "));
    field("bochs_cpu", e.bochs_cpu);
    return r;
}

std::optional<std::vector<std::string>> split_words(std::string_view s, std::string* err)
{
    std::vector<std::string> words;
    std::string cur;
    bool in_word = false;
    size_t i = 0;
    auto fail = [&](std::string msg) -> std::optional<std::vector<std::string>> {
        if (err)
            *err = std::move(msg);
        return std::nullopt;
    };
    while (i < s.size()) {
        char c = s[i];
        if (c == ' ' || c == '\t') {
            if (in_word)
                words.push_back(std::move(cur));
            cur.clear();
            in_word = false;
            i++;
            continue;
        }
        in_word = true;
        if (c == '\'') {
            size_t end = s.find('\'', i + 1);
            if (end == std::string_view::npos)
                return fail("unterminated single quote");
            cur.append(s.substr(i + 1, end - i - 1));
            i = end + 1;
        } else if (c == '"') {
            i++;
            for (;;) {
                if (i >= s.size())
                    return fail("unterminated double quote");
                char d = s[i];
                if (d == '"') {
                    i++;
                    break;
                }
                if (d == '\\' && i + 1 < s.size() &&
                    (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$' || s[i + 1] == '`')) {
                    cur += s[i + 1];
                    i += 2;
                    continue;
                }
                if (d == '$' || d == '`')
                    return fail(std::string("shell expansion '") + d + "' is not supported");
                cur += d;
                i++;
            }
        } else if (c == '\\') {
            if (i + 1 >= s.size())
                return fail("trailing backslash");
            cur += s[i + 1];
            i += 2;
        } else if (c == '$' || c == '`' || c == ';' || c == '|' || c == '&' || c == '<' ||
                   c == '>') {
            return fail(std::string("shell syntax '") + c + "' is not supported (quote it)");
        } else {
            cur += c;
            i++;
        }
    }
    if (in_word)
        words.push_back(std::move(cur));
    return words;
}

std::optional<int> parse_duration_s(std::string_view s)
{
    int mult = 1;
    if (!s.empty()) {
        switch (s.back()) {
        case 's': mult = 1; s.remove_suffix(1); break;
        case 'm': mult = 60; s.remove_suffix(1); break;
        case 'h': mult = 3600; s.remove_suffix(1); break;
        default: break;
        }
    }
    auto n = parse_uint(s);
    if (!n || *n > 100000)
        return std::nullopt;
    return *n * mult;
}

std::optional<int> parse_memory_mib(std::string_view s)
{
    int mult = 1;
    if (!s.empty()) {
        switch (s.back()) {
        case 'M': case 'm': mult = 1; s.remove_suffix(1); break;
        case 'G': case 'g': mult = 1024; s.remove_suffix(1); break;
        default: break;
        }
    }
    auto n = parse_uint(s);
    if (!n || *n == 0 || *n > 1024 * 1024 / mult)
        return std::nullopt;
    return *n * mult;
}

} // namespace nvmx::cfg
