// Physical page allocator over the largest free RAM region the multiboot
// memory map reports above the kernel (and below 4 GiB, so that every page is
// reachable through the identity map). Pages come back zeroed.
#pragma once
#include "x86/addr.hh"
#include "x86/multiboot.hh"

// Takes the free region from the multiboot map. Assumes it runs once at boot.
void phys_alloc_init(const MultibootInfo* mb);

// One zeroed 4 KiB page, or PhysAddr(0) when memory is exhausted.
[[nodiscard]] PhysAddr alloc_page();

// count contiguous zeroed pages aligned to align bytes (a power of two,
// >= 4096), or PhysAddr(0). Used for 2 MiB-aligned backing of large pages.
[[nodiscard]] PhysAddr alloc_pages(u64 count, u64 align = PAGE_SIZE);

// Returns a page to the allocator.
void free_page(PhysAddr page);

// Free-page count and the managed region (for tests and diagnostics).
u64 phys_free_pages();
PhysAddr phys_region_start();
PhysAddr phys_region_end();
// Total RAM the memory map reports (bytes).
u64 phys_ram_size();
