// One 4-level page-table walker for both ordinary paging and EPT: the entry
// format (what "present" and "large leaf" mean, where the address sits, what
// a freshly made non-leaf entry holds) is a policy class.
#pragma once
#include "x86/addr.hh"
#include "x86/alloc_phys.hh"

constexpr u64 PT_ADDR_MASK = 0x000ffffffffff000ull;

enum class WalkStatus : u8 { Ok, NotPresent, LargePageInTheWay, OutOfMemory, BadLevel };

struct [[nodiscard]] WalkResult {
    WalkStatus status;
    u64* entry; // the entry at the requested level when status == Ok

    bool ok() const { return status == WalkStatus::Ok; }
};

// Index of addr in a table at level (1 = 4 KiB PTE ... 4 = PML4).
constexpr unsigned pt_index(u64 addr, int level) { return (addr >> (12 + 9 * (level - 1))) & 511; }

// Size mapped by one entry at level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB).
constexpr u64 pt_level_size(int level) { return 1ull << (12 + 9 * (level - 1)); }

// Walks from root to the entry for addr at level. With create, missing
// tables are allocated and linked with Format::table_entry(); without it the
// walk stops at the first non-present entry. A large leaf above level stops
// the walk (LargePageInTheWay); the caller may split it first.
template <class Format>
WalkResult pt_walk(PhysAddr root, u64 addr, int level, bool create)
{
    if (level < 1 || level > 4)
        return {WalkStatus::BadLevel, nullptr};
    u64* table = phys_to_ptr<u64>(root);
    for (int l = 4; l > level; l--) {
        u64& e = table[pt_index(addr, l)];
        if (!Format::present(e)) {
            if (!create)
                return {WalkStatus::NotPresent, nullptr};
            PhysAddr fresh = alloc_page();
            if (!fresh.raw())
                return {WalkStatus::OutOfMemory, nullptr};
            e = Format::table_entry(fresh);
        } else if (Format::is_large_leaf(e, l)) {
            return {WalkStatus::LargePageInTheWay, &e};
        }
        table = phys_to_ptr<u64>(PhysAddr(e & PT_ADDR_MASK));
    }
    return {WalkStatus::Ok, &table[pt_index(addr, level)]};
}

// Finds the leaf entry mapping addr (any level); level_out gets its level.
template <class Format>
u64* pt_find_leaf(PhysAddr root, u64 addr, int* level_out)
{
    u64* table = phys_to_ptr<u64>(root);
    for (int l = 4; l >= 1; l--) {
        u64& e = table[pt_index(addr, l)];
        if (!Format::present(e))
            return nullptr;
        if (l == 1 || Format::is_large_leaf(e, l)) {
            if (level_out)
                *level_out = l;
            return &e;
        }
        table = phys_to_ptr<u64>(PhysAddr(e & PT_ADDR_MASK));
    }
    return nullptr;
}

// Frees the table at level (4 = PML4 ... 1 = PT) and every table below it
// (large leaves and the pages leaves point at are not freed).
template <class Format>
void pt_free_tables(PhysAddr table, int level)
{
    if (level > 1) {
        u64* t = phys_to_ptr<u64>(table);
        for (int i = 0; i < 512; i++)
            if (Format::present(t[i]) && !Format::is_large_leaf(t[i], level))
                pt_free_tables<Format>(PhysAddr(t[i] & PT_ADDR_MASK), level - 1);
    }
    free_page(table);
}
