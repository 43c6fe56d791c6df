// IA-32e 4-level paging helpers for the kernel's own address space: typed
// PTEs, map/unmap at 4 KiB/2 MiB/1 GiB, get/set the entry at a level.
#pragma once
#include "x86/addr.hh"
#include "x86/pt_walk.hh"

// A paging-structure entry (SDM Vol. 3A, 4.5).
class Pte {
public:
    static constexpr u64 P = 1ull << 0, RW = 1ull << 1, US = 1ull << 2, PWT = 1ull << 3,
                         PCD = 1ull << 4, A = 1ull << 5, D = 1ull << 6, PS = 1ull << 7,
                         G = 1ull << 8, NX = 1ull << 63;

    constexpr Pte() = default;
    constexpr explicit Pte(u64 raw) : raw_(raw) {}
    static constexpr Pte make(PhysAddr pa, u64 flags) { return Pte((pa.raw() & PT_ADDR_MASK) | flags); }

    constexpr u64 raw() const { return raw_; }
    constexpr bool present() const { return raw_ & P; }
    constexpr bool writable() const { return raw_ & RW; }
    constexpr bool user() const { return raw_ & US; }
    constexpr bool accessed() const { return raw_ & A; }
    constexpr bool dirty() const { return raw_ & D; }
    constexpr bool large() const { return raw_ & PS; }
    constexpr bool nx() const { return raw_ & NX; }
    constexpr PhysAddr addr() const { return PhysAddr(raw_ & PT_ADDR_MASK); }
    constexpr Pte with(u64 flags) const { return Pte(raw_ | flags); }
    constexpr Pte without(u64 flags) const { return Pte(raw_ & ~flags); }

private:
    u64 raw_ = 0;
};
static_assert(sizeof(Pte) == 8);

// Entry format of ordinary paging, for pt_walk.
struct PagingFormat {
    static constexpr bool present(u64 e) { return e & Pte::P; }
    static constexpr bool is_large_leaf(u64 e, int level) { return level > 1 && (e & Pte::PS); }
    static constexpr u64 table_entry(PhysAddr t) { return Pte::make(t, Pte::P | Pte::RW | Pte::US).raw(); }
};

enum class PageLevel : int { Pte4K = 1, Pde2M = 2, Pdpte1G = 3, Pml4e = 4 };

// Root of the address space the CPU uses now (CR3).
PhysAddr current_page_root();

// Maps va -> pa with a leaf at level (4 KiB, 2 MiB or 1 GiB; both addresses
// aligned to it), creating tables as needed, then flushes va. Fails if a
// larger leaf already covers va or memory runs out.
[[nodiscard]] WalkStatus map_page(PhysAddr root, VirtAddr va, PhysAddr pa, u64 flags,
                                  PageLevel level = PageLevel::Pte4K);

// Clears the leaf that maps va (any level) and flushes va; false if unmapped.
[[nodiscard]] bool unmap_page(PhysAddr root, VirtAddr va);

// The entry at level for va, or nullptr if the walk does not reach it.
Pte* get_pte(PhysAddr root, VirtAddr va, PageLevel level);

// Replaces the entry at level for va and flushes va; false if not reachable.
[[nodiscard]] bool set_pte(PhysAddr root, VirtAddr va, PageLevel level, Pte value);

// Translates va through root's tables in software; PhysAddr(~0) if unmapped.
PhysAddr translate(PhysAddr root, VirtAddr va);
