// Host tests of the errata backend matcher (lib/backend_match.cc): globs,
// '@' layers (KVM on Bochs), KVM version ranges, the hand-run name.
#include <gtest/gtest.h>

#include <cstring>

#include "backend_match.hh"

namespace {
int vc(const char* a, const char* b) { return version_compare(a, a + strlen(a), b, b + strlen(b)); }
} // namespace

TEST(BackendMatch, Globs)
{
    EXPECT_TRUE(backend_in_list("bochs bochs-*", "bochs-2.7"));
    EXPECT_TRUE(backend_in_list("bochs bochs-*", "bochs"));
    EXPECT_FALSE(backend_in_list("bochs-2.4* bochs-2.7*", "bochs-3.0"));
    EXPECT_TRUE(backend_in_list("qemu-tcg", "qemu-tcg"));
    EXPECT_FALSE(backend_in_list("qemu-tcg", "qemu-kvm"));
    EXPECT_FALSE(backend_in_list("", "bochs"));
    // A Bochs row does not apply to KVM on Bochs (its own rows do).
    EXPECT_FALSE(backend_in_list("bochs bochs-*", "kvm-6.1.192@bochs-2.7"));
}

TEST(BackendMatch, Layers)
{
    EXPECT_TRUE(backend_in_list("kvm-*", "kvm-6.1.192@bochs-2.7"));
    EXPECT_TRUE(backend_in_list("kvm-*@bochs-2.7*", "kvm-6.12.118@bochs-2.7"));
    EXPECT_FALSE(backend_in_list("kvm-*@bochs-2.7*", "kvm-6.12.118@bochs-3.0"));
    EXPECT_FALSE(backend_in_list("kvm-6.1.*", "kvm-6.12.118@bochs-2.7"));
    EXPECT_TRUE(backend_in_list("kvm-6.1.*", "kvm-6.1.192@bochs-2.7"));
    // The pattern names a layer the backend does not have.
    EXPECT_FALSE(backend_in_list("kvm-*@bochs-*", "kvm-6.1.192"));
    EXPECT_FALSE(backend_in_list("bochs-*@x", "bochs-2.7"));
}

TEST(BackendMatch, VersionRanges)
{
    EXPECT_TRUE(backend_in_list("kvm<6.10", "kvm-6.1.192@bochs-2.7"));
    EXPECT_FALSE(backend_in_list("kvm<6.10", "kvm-6.12.118@bochs-2.7"));
    EXPECT_TRUE(backend_in_list("kvm>=6.10", "kvm-6.12.118@bochs-2.7"));
    EXPECT_TRUE(backend_in_list("kvm>=6.1<6.12", "kvm-6.1.192@bochs-2.7"));
    EXPECT_FALSE(backend_in_list("kvm>=6.1<6.12", "kvm-6.12.0@bochs-2.7"));
    EXPECT_TRUE(backend_in_list("kvm<=6.12.118", "kvm-6.12.118"));
    EXPECT_FALSE(backend_in_list("kvm<6.12.118", "kvm-6.12.118"));
    EXPECT_TRUE(backend_in_list("kvm=6.12.118", "kvm-6.12.118"));
    EXPECT_TRUE(backend_in_list("kvm>6.1@bochs-2.7*", "kvm-6.1.1@bochs-2.7"));
    EXPECT_FALSE(backend_in_list("kvm>6.1@bochs-2.7*", "kvm-6.1.1@bochs-3.0"));
    EXPECT_TRUE(backend_in_list("kvm-*@bochs<3", "kvm-6.1.1@bochs-2.7"));
    EXPECT_TRUE(backend_in_list("kvm-*@bochs>=3", "kvm-6.1.1@bochs-3.0.devel"));
    // The range names another layer.
    EXPECT_FALSE(backend_in_list("bochs<3", "kvm-6.1.192@bochs-2.7"));
    EXPECT_TRUE(backend_in_list("qemu-tcg kvm<6.10", "kvm-6.9.0"));
}

TEST(BackendMatch, HandRunName)
{
    // --backend=kvm-in-bochs: KVM and Bochs of unknown versions; every KVM
    // row and every pass-through row applies (as before the version keying).
    EXPECT_TRUE(backend_in_list("kvm-*", "kvm-in-bochs"));
    EXPECT_TRUE(backend_in_list("kvm<6.10", "kvm-in-bochs"));
    EXPECT_TRUE(backend_in_list("kvm-*@bochs-2.7*", "kvm-in-bochs"));
    EXPECT_FALSE(backend_in_list("bochs-*", "kvm-in-bochs"));
    EXPECT_FALSE(backend_in_list("qemu-kvm", "kvm-in-bochs"));
}

TEST(BackendMatch, VersionCompare)
{
    EXPECT_LT(vc("6.1.192", "6.10"), 0);
    EXPECT_GT(vc("6.12.118", "6.12"), 0);
    EXPECT_EQ(vc("6.12", "6.12.0"), 0);
    EXPECT_EQ(vc("3.0.devel", "3.0"), 0);
    EXPECT_LT(vc("2.7", "3"), 0);
    EXPECT_GT(vc("10", "9.99"), 0);
}
