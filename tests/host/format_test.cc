// Host tests of the kernel's type-safe formatter (lib/format.cc).
#include <gtest/gtest.h>
#include <string>

#include "format.hh"

namespace {
template <class... Args>
std::string fmt(const char* f, const Args&... args)
{
    char buf[256];
    snformat(buf, sizeof(buf), f, args...);
    return buf;
}
} // namespace

TEST(Format, Integers)
{
    EXPECT_EQ(fmt("%d", -42), "-42");
    EXPECT_EQ(fmt("%i", 0), "0");
    EXPECT_EQ(fmt("%u", 4000000000u), "4000000000");
    EXPECT_EQ(fmt("%d", static_cast<long long>(-9223372036854775807LL - 1)), "-9223372036854775808");
    EXPECT_EQ(fmt("%u", 18446744073709551615ull), "18446744073709551615");
    EXPECT_EQ(fmt("%+d", 5), "+5");
}

TEST(Format, HexOctalBinary)
{
    EXPECT_EQ(fmt("%x", 0xbeefu), "beef");
    EXPECT_EQ(fmt("%X", 0xbeefu), "BEEF");
    EXPECT_EQ(fmt("%#x", 255), "0xff");
    EXPECT_EQ(fmt("%lx", 0xfedcba9876543210ull), "fedcba9876543210");
    EXPECT_EQ(fmt("%o", 8), "10");
    EXPECT_EQ(fmt("%#b", 5), "0b101");
    EXPECT_EQ(fmt("%#x", -1), "0xffffffffffffffff"); // sign-extended to 64 bits
}

TEST(Format, WidthFlagsPrecision)
{
    EXPECT_EQ(fmt("%08x", 0x1234), "00001234");
    EXPECT_EQ(fmt("%5d|", 42), "   42|");
    EXPECT_EQ(fmt("%-5d|", 42), "42   |");
    EXPECT_EQ(fmt("%#010x", 0xab), "0x000000ab");
    EXPECT_EQ(fmt("%.3s", "abcdef"), "abc");
    EXPECT_EQ(fmt("%-4s|", "ab"), "ab  |");
    EXPECT_EQ(fmt("%05s", "ab"), "   ab"); // zero flag ignored for strings
    EXPECT_EQ(fmt("%.4d", 7), "0007");
}

TEST(Format, StringsCharsBoolsPointers)
{
    EXPECT_EQ(fmt("%s", "hi"), "hi");
    EXPECT_EQ(fmt("%s", static_cast<const char*>(nullptr)), "(null)");
    EXPECT_EQ(fmt("%c", 'z'), "z");
    EXPECT_EQ(fmt("%c", 65), "A");
    EXPECT_EQ(fmt("%s", true), "true");
    EXPECT_EQ(fmt("%d", false), "0");
    EXPECT_EQ(fmt("%p", reinterpret_cast<const void*>(0x1000)), "0x1000");
    EXPECT_EQ(fmt("100%%"), "100%");
}

TEST(Format, MismatchesAreVisible)
{
    EXPECT_EQ(fmt("%s", 5), "<bad %s:int>");
    EXPECT_EQ(fmt("%d", "x"), "<bad %d:string>");
    EXPECT_EQ(fmt("%x", "x"), "<bad %x:string>");
    EXPECT_EQ(fmt("%c", "x"), "<bad %c:string>");
    EXPECT_EQ(fmt("%d %d", 1), "1 <missing>");
    EXPECT_EQ(fmt("%d", 1, 2, 3), "1<extra 2>");
    EXPECT_EQ(fmt("%q", 1), "<bad %q><extra 1>");
    EXPECT_EQ(fmt("abc%"), "abc<bad format>");
}

TEST(Format, StrongAddressTypesPrintAsNumbers)
{
    struct Addr {
        unsigned long long v;
        unsigned long long raw() const { return v; }
    };
    EXPECT_EQ(fmt("%#lx", Addr{0x2000}), "0x2000");
}

TEST(Format, TruncationKeepsNulAndReturnsFullLength)
{
    char buf[4];
    EXPECT_EQ(snformat(buf, sizeof(buf), "%s", "truncate"), 8u);
    EXPECT_STREQ(buf, "tru");
    char one[1];
    EXPECT_EQ(snformat(one, sizeof(one), "%d", 12345), 5u);
    EXPECT_STREQ(one, "");
}
