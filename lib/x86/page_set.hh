// A fixed number of zeroed 4 KiB pages owned by one scope: allocated by the
// constructor, freed by the destructor (check ok() before use).
#pragma once
#include "x86/alloc_phys.hh"

template <unsigned N>
class PageSet {
public:
    PageSet()
    {
        for (PhysAddr& p : pages_)
            p = alloc_page();
    }
    ~PageSet()
    {
        for (PhysAddr p : pages_)
            if (p.raw())
                free_page(p);
    }
    PageSet(const PageSet&) = delete;
    PageSet& operator=(const PageSet&) = delete;

    // True when every page was allocated.
    [[nodiscard]] bool ok() const
    {
        for (PhysAddr p : pages_)
            if (!p.raw())
                return false;
        return true;
    }
    PhysAddr operator[](unsigned i) const { return pages_[i]; }

private:
    PhysAddr pages_[N] = {};
};
