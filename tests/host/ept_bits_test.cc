// Host tests of the EPT entry bit classification (lib/x86/vmx/ept_bits.hh)
// against the SDM's entry formats (Vol. 3C 29.3.2, Tables 29-1 to 29-6),
// written out here as masks, one row per table.
#include <gtest/gtest.h>

#include "x86/vmx/ept_bits.hh"
#include "x86/vmx/ept_qual.hh"

namespace {
constexpr u64 B(unsigned hi, unsigned lo) { return ept_bit_range(hi, lo); }
constexpr u64 bit(unsigned b) { return 1ull << b; }

EptBitConfig base(unsigned maxphy = 40)
{
    EptBitConfig c;
    c.maxphyaddr = maxphy;
    return c;
}

struct Row {
    EptEntryKind kind;
    u64 reserved, ignored, address;
};
// Every optional feature off, MAXPHYADDR 40.
constexpr Row kTables[] = {
    // Table 29-1: PML4E. 7:3 reserved, 11:8 ignored, 63:52 ignored.
    {EptEntryKind::Pml4e, B(7, 3) | B(51, 40), B(11, 8) | B(63, 52), B(39, 12)},
    // Table 29-3: PDPTE referencing a page directory: 6:3 reserved, 7 = PS.
    {EptEntryKind::Pdpte, B(6, 3) | B(51, 40), B(11, 8) | B(63, 52), B(39, 12)},
    // Table 29-5: PDE referencing a page table.
    {EptEntryKind::Pde, B(6, 3) | B(51, 40), B(11, 8) | B(63, 52), B(39, 12)},
    // Table 29-6: PTE. 5:3 memory type, 6 ignore PAT, 7 ignored.
    {EptEntryKind::Pte, B(51, 40), B(11, 7) | B(63, 52), B(39, 12)},
    // Table 29-4: PDE mapping 2 MiB: 20:12 reserved.
    {EptEntryKind::Pde2M, B(20, 12) | B(51, 40), B(11, 8) | B(63, 52), B(39, 21)},
    // Table 29-2: PDPTE mapping 1 GiB: 29:12 reserved.
    {EptEntryKind::Pdpte1G, B(29, 12) | B(51, 40), B(11, 8) | B(63, 52), B(39, 30)},
};
} // namespace

TEST(EptBits, TablesWithEveryFeatureOff)
{
    for (const Row& r : kTables) {
        SCOPED_TRACE(static_cast<int>(r.kind));
        EXPECT_EQ(ept_reserved_bits(r.kind, base()), r.reserved);
        EXPECT_EQ(ept_ignored_bits(r.kind, base()), r.ignored);
        EXPECT_EQ(ept_bits_of_class(r.kind, EptBitClass::Address, base()), r.address);
        EXPECT_EQ(ept_bits_of_class(r.kind, EptBitClass::Permission, base()), B(2, 0));
    }
}

TEST(EptBits, EveryBitHasOneClass)
{
    for (const EptEntryKindInfo& k : kEptEntryKinds) {
        u64 all = 0;
        for (int c = 0; c <= static_cast<int>(EptBitClass::Ignored); c++) {
            u64 m = ept_bits_of_class(k.kind, static_cast<EptBitClass>(c), base());
            EXPECT_EQ(all & m, 0u);
            all |= m;
        }
        EXPECT_EQ(all, ~0ull);
    }
}

TEST(EptBits, CountsAtMaxphyaddr40)
{
    unsigned reserved = 0, ignored = 0;
    for (const EptEntryKindInfo& k : kEptEntryKinds) {
        reserved += __builtin_popcountll(ept_reserved_bits(k.kind, base()));
        ignored += __builtin_popcountll(ept_ignored_bits(k.kind, base()));
    }
    EXPECT_EQ(reserved, 112u);
    EXPECT_EQ(ignored, 97u);
}

TEST(EptBits, AccessedDirtyFlags)
{
    EptBitConfig c = base();
    c.ad = true;
    // Bit 8 is the accessed flag everywhere, bit 9 the dirty flag of leaves only.
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pml4e, 8, c), EptBitClass::Defined);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pml4e, 9, c), EptBitClass::Ignored);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pde, 9, c), EptBitClass::Ignored);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pte, 9, c), EptBitClass::Defined);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pde2M, 9, c), EptBitClass::Defined);
    EXPECT_EQ(ept_ignored_bits(EptEntryKind::Pte, c), bit(7) | B(11, 10) | B(63, 52));
    EXPECT_EQ(ept_ignored_bits(EptEntryKind::Pdpte, c), B(11, 9) | B(63, 52));
}

TEST(EptBits, OptionalFeaturesTakeTheirBits)
{
    EptBitConfig c = base();
    c.mbec = c.ve = c.sss = c.spp = c.gpv = c.paging_write = true;
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pde, 10, c), EptBitClass::Permission);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pte, 63, c), EptBitClass::Defined);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pml4e, 63, c), EptBitClass::Ignored); // only leaves
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pde2M, 60, c), EptBitClass::Defined);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pte, 61, c), EptBitClass::Defined);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pde2M, 61, c), EptBitClass::Ignored); // SPP: 4 KiB only
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pte, 57, c), EptBitClass::Defined);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pte, 58, c), EptBitClass::Defined);
    EXPECT_EQ(ept_ignored_bits(EptEntryKind::Pte, c), B(9, 7) | bit(11) | B(56, 52) | bit(59) | bit(62)); // A/D off
}

TEST(EptBits, LargePageBitWithoutLargePages)
{
    EptBitConfig c = base();
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pdpte, 7, c), EptBitClass::Defined);
    c.pdpte_1g = false;
    c.pde_2m = false;
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pdpte, 7, c), EptBitClass::Reserved);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pde, 7, c), EptBitClass::Reserved);
    EXPECT_EQ(ept_bit_class(EptEntryKind::Pte, 7, c), EptBitClass::Ignored);
}

TEST(EptBits, Maxphyaddr52HasNoReservedAddressBits)
{
    EXPECT_EQ(ept_reserved_bits(EptEntryKind::Pte, base(52)), 0u);
    EXPECT_EQ(ept_bits_of_class(EptEntryKind::Pte, EptBitClass::Address, base(52)), B(51, 12));
    EXPECT_EQ(ept_reserved_bits(EptEntryKind::Pde2M, base(46)), B(20, 12) | B(51, 46));
}

TEST(EptBits, ReservedMemoryTypesTableMatchesTheRule)
{
    unsigned listed = 0;
    for (unsigned mt = 0; mt < 8; mt++) {
        bool in_table = false;
        for (unsigned r : kEptReservedMemTypes)
            in_table |= r == mt;
        EXPECT_EQ(in_table, ept_memtype_reserved(u64{mt} << 3)) << mt;
        listed += in_table;
    }
    EXPECT_EQ(listed, 3u);
}
