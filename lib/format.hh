// A small type-safe printf-style formatter. Each argument carries its type, so
// a conversion that does not fit its argument prints a visible marker instead
// of reading garbage. Pure logic: also built and unit-tested on the host.
#pragma once
#include "types.hh"

// Where formatted characters go.
struct Sink {
    void (*put)(void* ctx, char c);
    void* ctx;
    void operator()(char c) const { put(ctx, c); }
};

// One formatter argument with its kind.
class FmtArg {
public:
    enum class Kind : u8 { Signed, Unsigned, Char, String, Pointer, Bool };

    constexpr FmtArg(signed char v) : kind_(Kind::Signed), i_(v) {}
    constexpr FmtArg(short v) : kind_(Kind::Signed), i_(v) {}
    constexpr FmtArg(int v) : kind_(Kind::Signed), i_(v) {}
    constexpr FmtArg(long v) : kind_(Kind::Signed), i_(v) {}
    constexpr FmtArg(long long v) : kind_(Kind::Signed), i_(v) {}
    constexpr FmtArg(unsigned char v) : kind_(Kind::Unsigned), u_(v) {}
    constexpr FmtArg(unsigned short v) : kind_(Kind::Unsigned), u_(v) {}
    constexpr FmtArg(unsigned int v) : kind_(Kind::Unsigned), u_(v) {}
    constexpr FmtArg(unsigned long v) : kind_(Kind::Unsigned), u_(v) {}
    constexpr FmtArg(unsigned long long v) : kind_(Kind::Unsigned), u_(v) {}
    constexpr FmtArg(char v) : kind_(Kind::Char), u_(static_cast<u8>(v)) {}
    constexpr FmtArg(bool v) : kind_(Kind::Bool), u_(v) {}
    constexpr FmtArg(const char* v) : kind_(Kind::String), s_(v) {}
    constexpr FmtArg(char* v) : kind_(Kind::String), s_(v) {}
    FmtArg(const volatile void* v) : kind_(Kind::Pointer), u_(reinterpret_cast<uptr>(v)) {}
    // Strong address types (anything with raw()) print as unsigned numbers.
    template <class T>
        requires requires(const T& t) { static_cast<u64>(t.raw()); }
    constexpr FmtArg(const T& v) : kind_(Kind::Unsigned), u_(v.raw()) {}

    Kind kind() const { return kind_; }
    s64 as_signed() const { return i_; }
    u64 as_unsigned() const { return u_; }
    const char* as_string() const { return s_; }

private:
    Kind kind_;
    union {
        s64 i_;
        u64 u_;
        const char* s_;
    };
};

// Formats fmt with args into sink; returns the number of characters written.
// Conversions: %d %i %u %x %X %o %b %c %s %p %%; flags - 0 # +, width, .precision;
// length modifiers (h, l, ll, z, j, t) are accepted and ignored.
// Mismatches print "<bad %x:string>", missing args "<missing>", extra "<extra N>".
usize format_to(const Sink& sink, const char* fmt, const FmtArg* args, usize nargs);

// Formats into buf (always NUL-terminated when size > 0); returns the length
// the full output would have had.
usize format_buf(char* buf, usize size, const char* fmt, const FmtArg* args, usize nargs);

template <class... Args>
usize snformat(char* buf, usize size, const char* fmt, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        return format_buf(buf, size, fmt, nullptr, 0);
    } else {
        const FmtArg list[] = {FmtArg(args)...};
        return format_buf(buf, size, fmt, list, sizeof...(Args));
    }
}
