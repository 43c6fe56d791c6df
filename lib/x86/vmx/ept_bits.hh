// What each bit of a present EPT paging-structure entry means, per entry
// kind and per configuration (SDM Vol. 3C 29.3.2, Tables 29-1 to 29-6;
// misconfigurations 29.3.3.1). Pure constexpr data and logic: the ept_bits
// kernel iterates it, tests/host/ept_bits_test.cc checks it bit by bit.
//
// A present entry (bits 2:0 not 000b; bit 10 too with MBEC) that has a
// reserved bit set causes an EPT misconfiguration. A not-present entry is
// ignored above bit 2 (29.3.2: "the logical processor ignores bits 63:3"),
// so the same bits give an EPT violation instead.
#pragma once
#include "types.hh"

// The six kinds of entries a 4-level walk can use.
enum class EptEntryKind : u8 { Pml4e, Pdpte, Pde, Pte, Pde2M, Pdpte1G };

struct EptEntryKindInfo {
    EptEntryKind kind;
    const char* name;
    int level;      // 4: PML4E ... 1: PTE
    int leaf_level; // level of the leaf that ends the walk (1: 4 KiB, 2: 2 MiB, 3: 1 GiB)
};
constexpr EptEntryKindInfo kEptEntryKinds[] = {
    {EptEntryKind::Pml4e, "PML4E", 4, 1},  {EptEntryKind::Pdpte, "PDPTE", 3, 1},
    {EptEntryKind::Pde, "PDE", 2, 1},      {EptEntryKind::Pte, "PTE", 1, 1},
    {EptEntryKind::Pde2M, "2M PDE", 2, 2}, {EptEntryKind::Pdpte1G, "1G PDPTE", 3, 3},
};

constexpr bool ept_kind_is_leaf(EptEntryKind k)
{
    return k == EptEntryKind::Pte || k == EptEntryKind::Pde2M || k == EptEntryKind::Pdpte1G;
}

// The settings that give ignored bits a meaning. All false: every optional
// feature off, which is how the harness builds its EPT guests.
struct EptBitConfig {
    unsigned maxphyaddr = 52; // CPUID.80000008H:EAX[7:0]
    bool ad = false;          // EPTP bit 6: bit 8 = accessed, bit 9 = dirty (leaves)
    bool mbec = false;        // "mode-based execute control for EPT": bit 10 = user execute
    bool ve = false;          // "EPT-violation #VE": bit 63 of a leaf = suppress #VE
    bool sss = false;         // EPTP bit 7: bit 60 of a leaf = supervisor shadow stack
    bool spp = false;         // "sub-page write permissions": bit 61 of a PTE
    bool gpv = false;         // "guest-paging verification": bit 57 of a leaf
    bool paging_write = false; // "EPT paging-write control": bit 58 of a leaf
    bool pdpte_1g = true;     // IA32_VMX_EPT_VPID_CAP[17]: bit 7 of a PDPTE maps 1 GiB
    bool pde_2m = true;       // IA32_VMX_EPT_VPID_CAP[16]: bit 7 of a PDE maps 2 MiB
};

enum class EptBitClass : u8 {
    Permission, // 2:0 (and 10 with MBEC)
    Address,    // the physical address of the next table or page
    MemType,    // 5:3 of a leaf (types 2, 3, 7 are reserved: a value rule, not a bit rule)
    Defined,    // a meaning in this configuration: PS, ignore PAT, A/D, SSS, SPP, ...
    Reserved,   // must be 0 in a present entry: EPT misconfiguration
    Ignored,    // no effect
};

// Bits hi:lo set.
constexpr u64 ept_bit_range(unsigned hi, unsigned lo) { return (~0ull >> (63 - hi)) & ~((1ull << lo) - 1); }

// The class of bit in a present entry of kind k under c.
constexpr EptBitClass ept_bit_class(EptEntryKind k, unsigned bit, const EptBitConfig& c)
{
    const bool leaf = ept_kind_is_leaf(k);
    if (bit <= 2)
        return EptBitClass::Permission;
    if (bit <= 5)
        return leaf ? EptBitClass::MemType : EptBitClass::Reserved;
    if (bit == 6)
        return leaf ? EptBitClass::Defined : EptBitClass::Reserved; // ignore PAT
    if (bit == 7) {
        switch (k) {
        case EptEntryKind::Pml4e: return EptBitClass::Reserved;
        case EptEntryKind::Pte: return EptBitClass::Ignored;
        case EptEntryKind::Pdpte: return c.pdpte_1g ? EptBitClass::Defined : EptBitClass::Reserved;
        case EptEntryKind::Pde: return c.pde_2m ? EptBitClass::Defined : EptBitClass::Reserved;
        default: return EptBitClass::Defined; // must be 1 in a large leaf
        }
    }
    if (bit == 8)
        return c.ad ? EptBitClass::Defined : EptBitClass::Ignored;
    if (bit == 9)
        return c.ad && leaf ? EptBitClass::Defined : EptBitClass::Ignored;
    if (bit == 10)
        return c.mbec ? EptBitClass::Permission : EptBitClass::Ignored;
    if (bit == 11)
        return EptBitClass::Ignored;
    if (bit <= 51) {
        if (bit >= c.maxphyaddr)
            return EptBitClass::Reserved;
        if (k == EptEntryKind::Pde2M && bit <= 20)
            return EptBitClass::Reserved;
        if (k == EptEntryKind::Pdpte1G && bit <= 29)
            return EptBitClass::Reserved;
        return EptBitClass::Address;
    }
    if (!leaf)
        return EptBitClass::Ignored; // 63:52 of a non-leaf entry
    switch (bit) {
    case 57: return c.gpv ? EptBitClass::Defined : EptBitClass::Ignored;
    case 58: return c.paging_write ? EptBitClass::Defined : EptBitClass::Ignored;
    case 60: return c.sss ? EptBitClass::Defined : EptBitClass::Ignored;
    case 61: return c.spp && k == EptEntryKind::Pte ? EptBitClass::Defined : EptBitClass::Ignored;
    case 63: return c.ve ? EptBitClass::Defined : EptBitClass::Ignored;
    default: return EptBitClass::Ignored;
    }
}

// Every bit of class cls in an entry of kind k under c.
constexpr u64 ept_bits_of_class(EptEntryKind k, EptBitClass cls, const EptBitConfig& c)
{
    u64 mask = 0;
    for (unsigned b = 0; b < 64; b++)
        if (ept_bit_class(k, b, c) == cls)
            mask |= 1ull << b;
    return mask;
}

constexpr u64 ept_reserved_bits(EptEntryKind k, const EptBitConfig& c)
{
    return ept_bits_of_class(k, EptBitClass::Reserved, c);
}
constexpr u64 ept_ignored_bits(EptEntryKind k, const EptBitConfig& c)
{
    return ept_bits_of_class(k, EptBitClass::Ignored, c);
}

// Leaf memory types (bits 5:3) that are reserved: an EPT misconfiguration in
// a present leaf (29.3.3.1; 29.3.7: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB are defined;
// the rule itself: ept_memtype_reserved, ept_qual.hh).
constexpr unsigned kEptReservedMemTypes[] = {2, 3, 7};
