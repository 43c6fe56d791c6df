// A bump pointer over one region plus a free list threaded through freed pages.
#include "x86/alloc_phys.hh"
#include "string.hh"

extern "C" const char __kernel_end[];

namespace {
u64 g_start, g_end, g_bump, g_free_list, g_free_count, g_ram;

void zero_page(PhysAddr page) { memset(phys_to_ptr(page), 0, PAGE_SIZE); }
} // namespace

void phys_alloc_init(const MultibootInfo* mb)
{
    u64 kernel_end = (reinterpret_cast<u64>(__kernel_end) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    u64 best_start = 0, best_end = 0;
    if (mb->flags & mbflag::MMAP) {
        u64 p = mb->mmap_addr, end = p + mb->mmap_length;
        while (p < end) {
            auto* e = reinterpret_cast<const MultibootMmapEntry*>(p);
            if (e->type == 1) {
                g_ram += e->len;
                u64 s = e->addr < kernel_end ? kernel_end : e->addr;
                u64 t = e->addr + e->len;
                if (t > IDENTITY_LIMIT)
                    t = IDENTITY_LIMIT;
                s = (s + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
                t &= ~(PAGE_SIZE - 1);
                if (t > s && t - s > best_end - best_start)
                    best_start = s, best_end = t;
            }
            p += e->size + 4;
        }
    } else if (mb->flags & mbflag::MEM) {
        best_start = kernel_end;
        best_end = (1ull << 20) + static_cast<u64>(mb->mem_upper) * 1024;
        g_ram = best_end;
    }
    g_start = g_bump = best_start;
    g_end = best_end;
}

PhysAddr alloc_page()
{
    if (g_free_list) {
        PhysAddr page(g_free_list);
        g_free_list = *phys_to_ptr<u64>(page);
        g_free_count--;
        zero_page(page);
        return page;
    }
    return alloc_pages(1);
}

PhysAddr alloc_pages(u64 count, u64 align)
{
    u64 start = (g_bump + align - 1) & ~(align - 1);
    if (count == 0 || start >= g_end || count > (g_end - start) / PAGE_SIZE)
        return PhysAddr(0);
    // Pages skipped for alignment go to the free list.
    for (u64 p = g_bump; p < start; p += PAGE_SIZE)
        free_page(PhysAddr(p));
    g_bump = start + count * PAGE_SIZE;
    memset(phys_to_ptr(PhysAddr(start)), 0, count * PAGE_SIZE);
    return PhysAddr(start);
}

void free_page(PhysAddr page)
{
    *phys_to_ptr<u64>(page) = g_free_list;
    g_free_list = page.raw();
    g_free_count++;
}

u64 phys_free_pages() { return g_free_count + (g_end - g_bump) / PAGE_SIZE; }
PhysAddr phys_region_start() { return PhysAddr(g_start); }
PhysAddr phys_region_end() { return PhysAddr(g_end); }
u64 phys_ram_size() { return g_ram; }
