// The formatter's engine: parses one conversion at a time and renders it.
#include "format.hh"

namespace {

struct Spec {
    bool left = false, zero = false, alt = false, plus = false;
    int width = 0;
    int precision = -1;
    char conv = 0;
};

class Writer {
public:
    explicit Writer(const Sink& sink) : sink_(sink) {}
    void put(char c) { sink_(c); count_++; }
    void puts(const char* s) { while (*s) put(*s++); }
    void pad(char c, int n) { while (n-- > 0) put(c); }
    usize count() const { return count_; }

private:
    const Sink& sink_;
    usize count_ = 0;
};

const char* kind_name(FmtArg::Kind k)
{
    switch (k) {
    case FmtArg::Kind::Signed: return "int";
    case FmtArg::Kind::Unsigned: return "unsigned";
    case FmtArg::Kind::Char: return "char";
    case FmtArg::Kind::String: return "string";
    case FmtArg::Kind::Pointer: return "pointer";
    case FmtArg::Kind::Bool: return "bool";
    }
    return "?";
}

// Renders body (with an optional sign/prefix) honouring width and flags.
void emit_padded(Writer& w, const Spec& s, const char* prefix, const char* body, int body_len)
{
    int prefix_len = 0;
    while (prefix[prefix_len])
        prefix_len++;
    int fill = s.width - prefix_len - body_len;
    if (!s.left && !s.zero)
        w.pad(' ', fill);
    w.puts(prefix);
    if (!s.left && s.zero)
        w.pad('0', fill);
    for (int i = 0; i < body_len; i++)
        w.put(body[i]);
    if (s.left)
        w.pad(' ', fill);
}

void emit_number(Writer& w, const Spec& s, u64 magnitude, bool negative, unsigned base, bool upper)
{
    char digits[72];
    int n = 0;
    const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[n++] = set[magnitude % base];
        magnitude /= base;
    } while (magnitude);
    while (n < s.precision && n < 64)
        digits[n++] = '0';
    char body[72];
    for (int i = 0; i < n; i++)
        body[i] = digits[n - 1 - i];
    const char* prefix = "";
    if (negative)
        prefix = "-";
    else if (s.plus && base == 10)
        prefix = "+";
    else if (s.alt && base == 16)
        prefix = upper ? "0X" : "0x";
    else if (s.alt && base == 2)
        prefix = "0b";
    else if (s.alt && base == 8)
        prefix = "0";
    emit_padded(w, s, prefix, body, n);
}

void emit_mismatch(Writer& w, char conv, FmtArg::Kind kind)
{
    w.puts("<bad %");
    w.put(conv);
    w.put(':');
    w.puts(kind_name(kind));
    w.put('>');
}

void emit_arg(Writer& w, const Spec& s, const FmtArg& a)
{
    using K = FmtArg::Kind;
    bool integral = a.kind() == K::Signed || a.kind() == K::Unsigned || a.kind() == K::Char ||
                    a.kind() == K::Bool;
    switch (s.conv) {
    case 'd':
    case 'i':
    case 'u':
        if (!integral)
            return emit_mismatch(w, s.conv, a.kind());
        if (a.kind() == K::Signed) {
            s64 v = a.as_signed();
            u64 mag = v < 0 ? 0 - static_cast<u64>(v) : static_cast<u64>(v);
            return emit_number(w, s, mag, v < 0, 10, false);
        }
        return emit_number(w, s, a.as_unsigned(), false, 10, false);
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
        if (!integral && a.kind() != K::Pointer)
            return emit_mismatch(w, s.conv, a.kind());
        unsigned base = s.conv == 'o' ? 8 : s.conv == 'b' ? 2 : 16;
        return emit_number(w, s, a.as_unsigned(), false, base, s.conv == 'X');
    }
    case 'p': {
        if (a.kind() != K::Pointer && a.kind() != K::Unsigned)
            return emit_mismatch(w, s.conv, a.kind());
        Spec p = s;
        p.alt = true;
        return emit_number(w, p, a.as_unsigned(), false, 16, false);
    }
    case 'c': {
        if (a.kind() != K::Char && a.kind() != K::Signed && a.kind() != K::Unsigned)
            return emit_mismatch(w, s.conv, a.kind());
        char c = static_cast<char>(a.as_unsigned());
        return emit_padded(w, s, "", &c, 1);
    }
    case 's': {
        if (a.kind() == K::Bool) {
            const char* t = a.as_unsigned() ? "true" : "false";
            int len = 0;
            while (t[len])
                len++;
            return emit_padded(w, s, "", t, len);
        }
        if (a.kind() != K::String)
            return emit_mismatch(w, s.conv, a.kind());
        const char* str = a.as_string() ? a.as_string() : "(null)";
        int len = 0;
        while (str[len] && (s.precision < 0 || len < s.precision))
            len++;
        Spec plain = s;
        plain.zero = false;
        return emit_padded(w, plain, "", str, len);
    }
    }
}

// Parses the conversion after '%'; returns the pointer past it or nullptr.
const char* parse_spec(const char* p, Spec& s)
{
    for (;; p++) {
        if (*p == '-') s.left = true;
        else if (*p == '0') s.zero = true;
        else if (*p == '#') s.alt = true;
        else if (*p == '+') s.plus = true;
        else break;
    }
    while (*p >= '0' && *p <= '9')
        s.width = s.width * 10 + (*p++ - '0');
    if (*p == '.') {
        s.precision = 0;
        p++;
        while (*p >= '0' && *p <= '9')
            s.precision = s.precision * 10 + (*p++ - '0');
    }
    while (*p == 'h' || *p == 'l' || *p == 'z' || *p == 'j' || *p == 't')
        p++;
    if (!*p)
        return nullptr;
    s.conv = *p;
    return p + 1;
}

struct BufCtx {
    char* buf;
    usize size;
    usize pos;
};

void buf_put(void* ctx, char c)
{
    auto* b = static_cast<BufCtx*>(ctx);
    if (b->pos + 1 < b->size)
        b->buf[b->pos] = c;
    b->pos++;
}

} // namespace

usize format_to(const Sink& sink, const char* fmt, const FmtArg* args, usize nargs)
{
    Writer w(sink);
    usize next = 0;
    for (const char* p = fmt; *p;) {
        if (*p != '%') {
            w.put(*p++);
            continue;
        }
        if (p[1] == '%') {
            w.put('%');
            p += 2;
            continue;
        }
        Spec s;
        const char* after = parse_spec(p + 1, s);
        if (!after) {
            w.puts("<bad format>");
            break;
        }
        p = after;
        if (s.conv != 'd' && s.conv != 'i' && s.conv != 'u' && s.conv != 'x' && s.conv != 'X' &&
            s.conv != 'o' && s.conv != 'b' && s.conv != 'c' && s.conv != 's' && s.conv != 'p') {
            w.puts("<bad %");
            w.put(s.conv);
            w.put('>');
            continue;
        }
        if (next >= nargs) {
            w.puts("<missing>");
            continue;
        }
        emit_arg(w, s, args[next++]);
    }
    if (next < nargs) {
        FmtArg extra(static_cast<u64>(nargs - next));
        Spec s;
        s.conv = 'u';
        w.puts("<extra ");
        emit_arg(w, s, extra);
        w.put('>');
    }
    return w.count();
}

usize format_buf(char* buf, usize size, const char* fmt, const FmtArg* args, usize nargs)
{
    BufCtx ctx{buf, size, 0};
    Sink sink{buf_put, &ctx};
    format_to(sink, fmt, args, nargs);
    if (size)
        buf[ctx.pos < size ? ctx.pos : size - 1] = '\0';
    return ctx.pos;
}
