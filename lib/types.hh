// Fixed-width integer names for the freestanding runtime (also built on the host).
#pragma once

using u8 = unsigned char;
using u16 = unsigned short;
using u32 = unsigned int;
using u64 = unsigned long long;
using s8 = signed char;
using s16 = short;
using s32 = int;
using s64 = long long;
using usize = __SIZE_TYPE__;
using uptr = __UINTPTR_TYPE__;

static_assert(sizeof(u64) == 8 && sizeof(u32) == 4 && sizeof(u16) == 2);
static_assert(sizeof(uptr) == 8, "x86-64 only");

// Number of elements of a C array.
template <class T, usize N>
constexpr usize array_size(const T (&)[N]) { return N; }

// A non-owning view of a contiguous array (freestanding stand-in for std::span).
template <class T>
class Span {
public:
    constexpr Span() = default;
    constexpr Span(T* data, usize size) : data_(data), size_(size) {}
    template <usize N>
    constexpr Span(T (&array)[N]) : data_(array), size_(N) {}
    constexpr T* begin() const { return data_; }
    constexpr T* end() const { return data_ + size_; }
    constexpr usize size() const { return size_; }
    constexpr T& operator[](usize i) const { return data_[i]; }

private:
    T* data_ = nullptr;
    usize size_ = 0;
};
