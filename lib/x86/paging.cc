// Kernel paging helpers on top of pt_walk.
#include "x86/paging.hh"
#include "x86/cpu.hh"

PhysAddr current_page_root() { return PhysAddr(read_cr3() & PT_ADDR_MASK); }

WalkStatus map_page(PhysAddr root, VirtAddr va, PhysAddr pa, u64 flags, PageLevel level)
{
    int l = static_cast<int>(level);
    if (l > 3 || !va.is_aligned(pt_level_size(l)) || !pa.is_aligned(pt_level_size(l)))
        return WalkStatus::BadLevel;
    WalkResult w = pt_walk<PagingFormat>(root, va.raw(), l, true);
    if (!w.ok())
        return w.status;
    *w.entry = Pte::make(pa, flags | Pte::P | (l > 1 ? Pte::PS : 0)).raw();
    invlpg(virt_to_ptr(va));
    return WalkStatus::Ok;
}

bool unmap_page(PhysAddr root, VirtAddr va)
{
    u64* leaf = pt_find_leaf<PagingFormat>(root, va.raw(), nullptr);
    if (!leaf)
        return false;
    *leaf = 0;
    invlpg(virt_to_ptr(va));
    return true;
}

Pte* get_pte(PhysAddr root, VirtAddr va, PageLevel level)
{
    WalkResult w = pt_walk<PagingFormat>(root, va.raw(), static_cast<int>(level), false);
    return w.ok() ? reinterpret_cast<Pte*>(w.entry) : nullptr;
}

bool set_pte(PhysAddr root, VirtAddr va, PageLevel level, Pte value)
{
    Pte* e = get_pte(root, va, level);
    if (!e)
        return false;
    *e = value;
    invlpg(virt_to_ptr(va));
    return true;
}

PhysAddr translate(PhysAddr root, VirtAddr va)
{
    int level = 0;
    u64* leaf = pt_find_leaf<PagingFormat>(root, va.raw(), &level);
    if (!leaf)
        return PhysAddr(~0ull);
    u64 size = pt_level_size(level);
    u64 base = *leaf & PT_ADDR_MASK & ~(size - 1);
    return PhysAddr(base | (va.raw() & (size - 1)));
}
