// Backend patterns of the errata rows: '@'-layers, globs, version ranges.
#include "backend_match.hh"
#include "glob.hh"

namespace {

// A [begin, end) piece of a C string.
struct Span {
    const char* b;
    const char* e;
    [[nodiscard]] unsigned long size() const { return static_cast<unsigned long>(e - b); }
};

constexpr unsigned kMaxWord = 96;

// Copies s into buf as a C string; false when it does not fit.
[[nodiscard]] bool to_cstr(Span s, char (&buf)[kMaxWord])
{
    if (s.size() >= kMaxWord)
        return false;
    for (unsigned long i = 0; i < s.size(); i++)
        buf[i] = s.b[i];
    buf[s.size()] = '\0';
    return true;
}

// The next piece of [p, end) up to sep (or end); p moves past the separator.
Span next_piece(const char*& p, const char* end, char sep)
{
    const char* b = p;
    while (p < end && *p != sep)
        ++p;
    Span s{b, p};
    if (p < end)
        ++p;
    return s;
}

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_op(char c) { return c == '<' || c == '>' || c == '='; }

// Splits a backend layer "kvm-6.12.118" into name "kvm" and version
// "6.12.118" (the name ends at the first '-' followed by a digit); no such
// '-': the whole layer is the name, the version is empty.
void split_layer(Span layer, Span& name, Span& ver)
{
    for (const char* p = layer.b; p + 1 < layer.e; ++p) {
        if (*p == '-' && is_digit(p[1])) {
            name = {layer.b, p};
            ver = {p + 1, layer.e};
            return;
        }
    }
    name = layer;
    ver = {layer.e, layer.e};
}

[[nodiscard]] bool same(Span a, Span b)
{
    if (a.size() != b.size())
        return false;
    for (unsigned long i = 0; i < a.size(); i++)
        if (a.b[i] != b.b[i])
            return false;
    return true;
}

// A version-range pattern layer "NAME<op>VER[<op>VER...]" against a backend
// layer; false when pat is not one (no operator) via *is_range.
[[nodiscard]] bool range_match(Span pat, Span layer, bool* is_range)
{
    const char* op = pat.b;
    while (op < pat.e && !is_op(*op))
        ++op;
    *is_range = op < pat.e && op > pat.b;
    if (!*is_range)
        return false;
    Span pname{pat.b, op}, name{}, ver{};
    split_layer(layer, name, ver);
    if (!same(pname, name))
        return false;
    if (ver.size() == 0)
        return true; // version unknown: the row applies
    while (op < pat.e) {
        const char* o = op;
        while (op < pat.e && is_op(*op))
            ++op;
        const char* v = op;
        while (op < pat.e && !is_op(*op))
            ++op;
        int c = version_compare(ver.b, ver.e, v, op);
        unsigned long n = static_cast<unsigned long>(v - o);
        bool ok = false;
        if (n == 1 && o[0] == '<')
            ok = c < 0;
        else if (n == 1 && o[0] == '>')
            ok = c > 0;
        else if (n == 2 && o[0] == '<' && o[1] == '=')
            ok = c <= 0;
        else if (n == 2 && o[0] == '>' && o[1] == '=')
            ok = c >= 0;
        else if ((n == 1 || n == 2) && o[0] == '=' && (n == 1 || o[1] == '='))
            ok = c == 0;
        if (!ok)
            return false;
    }
    return true;
}

// One pattern layer against one backend layer.
[[nodiscard]] bool layer_match(Span pat, Span layer)
{
    bool is_range = false;
    bool r = range_match(pat, layer, &is_range);
    if (is_range)
        return r;
    char p[kMaxWord], l[kMaxWord];
    if (!to_cstr(pat, p) || !to_cstr(layer, l))
        return false;
    if (glob_match(p, l))
        return true;
    // A versionless backend layer "bochs" matches every glob "bochs-..."
    // (its version is unknown: the row is taken to apply).
    Span name{}, ver{};
    split_layer(layer, name, ver);
    return ver.size() == 0 && pat.size() > layer.size() && pat.b[layer.size()] == '-' &&
           same(Span{pat.b, pat.b + layer.size()}, layer);
}

// One pattern ('@'-layers) against the backend: layer by layer from the top;
// the backend may have more layers than the pattern, not fewer.
[[nodiscard]] bool pattern_match(Span pat, Span backend)
{
    const char* pp = pat.b;
    const char* bp = backend.b;
    bool more = true; // the backend has a layer at this place
    while (pp < pat.e) {
        if (!more)
            return false;
        Span pl = next_piece(pp, pat.e, '@');
        Span bl = next_piece(bp, backend.e, '@');
        more = bl.e < backend.e;
        if (!layer_match(pl, bl))
            return false;
    }
    return true;
}

[[nodiscard]] Span span_of(const char* s)
{
    const char* e = s;
    while (*e)
        ++e;
    return {s, e};
}

} // namespace

int version_compare(const char* a, const char* a_end, const char* b, const char* b_end)
{
    // Parts compare as numbers; a missing or non-numeric part counts as 0 and
    // ends the comparison of that side.
    bool a_on = true, b_on = true;
    while (a_on || b_on) {
        unsigned long x = 0, y = 0;
        bool xd = a_on && a < a_end && is_digit(*a), yd = b_on && b < b_end && is_digit(*b);
        if (!xd)
            a_on = false;
        if (!yd)
            b_on = false;
        if (!a_on && !b_on)
            break;
        while (a_on && a < a_end && is_digit(*a))
            x = x * 10 + static_cast<unsigned long>(*a++ - '0');
        while (b_on && b < b_end && is_digit(*b))
            y = y * 10 + static_cast<unsigned long>(*b++ - '0');
        if (x != y)
            return x < y ? -1 : 1;
        if (a_on && a < a_end && *a == '.')
            ++a;
        else
            a_on = false;
        if (b_on && b < b_end && *b == '.')
            ++b;
        else
            b_on = false;
    }
    return 0;
}

bool backend_in_list(const char* patterns, const char* backend)
{
    Span all = span_of(patterns);
    Span be = span_of(backend);
    // The hand-run name of the kvm-in-bochs backend: KVM and Bochs of unknown versions.
    static const char kHand[] = "kvm@bochs";
    if (same(be, Span{"kvm-in-bochs", "kvm-in-bochs" + 12}))
        be = Span{kHand, kHand + sizeof(kHand) - 1};
    const char* p = all.b;
    while (p < all.e) {
        Span pat = next_piece(p, all.e, ' ');
        if (pat.size() && pattern_match(pat, be))
            return true;
    }
    return false;
}
