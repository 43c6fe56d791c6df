// Strong address types: a host-physical address, an L2 guest-physical
// address and a virtual address never convert into each other implicitly.
#pragma once
#include "types.hh"

template <class Tag>
class Address {
public:
    constexpr Address() = default;
    constexpr explicit Address(u64 raw) : raw_(raw) {}
    constexpr u64 raw() const { return raw_; }
    constexpr Address operator+(u64 off) const { return Address(raw_ + off); }
    constexpr Address operator-(u64 off) const { return Address(raw_ - off); }
    constexpr u64 operator-(Address other) const { return raw_ - other.raw_; }
    constexpr bool is_aligned(u64 align) const { return (raw_ & (align - 1)) == 0; }
    constexpr Address align_down(u64 align) const { return Address(raw_ & ~(align - 1)); }
    constexpr bool operator==(const Address&) const = default;
    constexpr bool operator<(Address o) const { return raw_ < o.raw_; }
    constexpr bool operator>(Address o) const { return raw_ > o.raw_; }
    constexpr bool operator<=(Address o) const { return raw_ <= o.raw_; }
    constexpr bool operator>=(Address o) const { return raw_ >= o.raw_; }

private:
    u64 raw_ = 0;
};

struct PhysTag;
struct GuestPhysTag;
struct VirtTag;
using PhysAddr = Address<PhysTag>;          // host (L1) physical
using GuestPhysAddr = Address<GuestPhysTag>; // L2 guest-physical (translated by EPT)
using VirtAddr = Address<VirtTag>;          // linear address

constexpr u64 PAGE_SIZE = 4096;
constexpr u64 LARGE_PAGE_SIZE = 2ull << 20;
constexpr u64 HUGE_PAGE_SIZE = 1ull << 30;

// The kernel identity-maps the first 4 GiB: these convert only inside it.
constexpr u64 IDENTITY_LIMIT = 4ull << 30;

// Pointer to identity-mapped physical memory (addr below IDENTITY_LIMIT).
template <class T = void>
inline T* phys_to_ptr(PhysAddr addr)
{
    return reinterpret_cast<T*>(static_cast<uptr>(addr.raw()));
}

// Physical address of identity-mapped kernel memory.
inline PhysAddr ptr_to_phys(const volatile void* p)
{
    return PhysAddr(reinterpret_cast<uptr>(p));
}

inline VirtAddr ptr_to_virt(const volatile void* p) { return VirtAddr(reinterpret_cast<uptr>(p)); }
template <class T = void>
inline T* virt_to_ptr(VirtAddr v)
{
    return reinterpret_cast<T*>(static_cast<uptr>(v.raw()));
}
