// CPUID, MSR, control-register and TLB accessors (unchecked; see fault.hh for
// the variants that survive a fault).
#pragma once
#include "types.hh"

struct CpuidResult {
    u32 eax, ebx, ecx, edx;
};

inline CpuidResult cpuid(u32 leaf, u32 subleaf = 0)
{
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

inline u64 rdmsr(u32 index)
{
    u32 lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index) : "memory");
    return (static_cast<u64>(hi) << 32) | lo;
}

inline void wrmsr(u32 index, u64 value)
{
    asm volatile("wrmsr" ::"c"(index), "a"(static_cast<u32>(value)), "d"(static_cast<u32>(value >> 32))
                 : "memory");
}

#define NVMX_CR_ACCESSORS(n)                                                                       \
    inline u64 read_cr##n()                                                                        \
    {                                                                                              \
        u64 v;                                                                                     \
        asm volatile("mov %%cr" #n ", %0" : "=r"(v)::"memory");                                    \
        return v;                                                                                  \
    }                                                                                              \
    inline void write_cr##n(u64 v) { asm volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
NVMX_CR_ACCESSORS(0)
NVMX_CR_ACCESSORS(2)
NVMX_CR_ACCESSORS(3)
NVMX_CR_ACCESSORS(4)
NVMX_CR_ACCESSORS(8)
#undef NVMX_CR_ACCESSORS

inline u64 read_rflags()
{
    u64 v;
    asm volatile("pushfq; popq %0" : "=r"(v)::"memory");
    return v;
}

inline void write_rflags(u64 v) { asm volatile("pushq %0; popfq" ::"r"(v) : "memory", "cc"); }

inline u64 read_dr7()
{
    u64 v;
    asm volatile("mov %%dr7, %0" : "=r"(v));
    return v;
}

inline u64 read_dr6()
{
    u64 v;
    asm volatile("mov %%dr6, %0" : "=r"(v));
    return v;
}

inline void write_dr6(u64 v) { asm volatile("mov %0, %%dr6" ::"r"(v)); }

inline void invlpg(const volatile void* va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }
inline void flush_tlb() { write_cr3(read_cr3()); }
inline void irq_disable() { asm volatile("cli" ::: "memory"); }
inline void irq_enable() { asm volatile("sti" ::: "memory"); }
inline void cpu_relax() { asm volatile("pause" ::: "memory"); }
inline u64 rdtsc()
{
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (static_cast<u64>(hi) << 32) | lo;
}

// Segment selectors and descriptor tables.
inline u16 read_cs() { u16 v; asm volatile("mov %%cs, %0" : "=r"(v)); return v; }
inline u16 read_ds() { u16 v; asm volatile("mov %%ds, %0" : "=r"(v)); return v; }
inline u16 read_es() { u16 v; asm volatile("mov %%es, %0" : "=r"(v)); return v; }
inline u16 read_ss() { u16 v; asm volatile("mov %%ss, %0" : "=r"(v)); return v; }
inline u16 read_fs() { u16 v; asm volatile("mov %%fs, %0" : "=r"(v)); return v; }
inline u16 read_gs() { u16 v; asm volatile("mov %%gs, %0" : "=r"(v)); return v; }
inline u16 read_tr() { u16 v; asm volatile("str %0" : "=r"(v)); return v; }

struct [[gnu::packed]] DescriptorTablePointer {
    u16 limit;
    u64 base;
};

inline DescriptorTablePointer read_gdtr()
{
    DescriptorTablePointer p;
    asm volatile("sgdt %0" : "=m"(p));
    return p;
}

inline DescriptorTablePointer read_idtr()
{
    DescriptorTablePointer p;
    asm volatile("sidt %0" : "=m"(p));
    return p;
}

// CPUID feature predicates used across the runtime.
namespace cpuid_bits {
constexpr u32 LEAF1_ECX_VMX = 1u << 5;
constexpr u32 LEAF1_ECX_HYPERVISOR = 1u << 31;
constexpr u32 LEAF1_EDX_MSR = 1u << 5;
constexpr u32 LEAF1_EDX_APIC = 1u << 9;
constexpr u32 EXT1_EDX_LM = 1u << 29;
constexpr u32 EXT1_EDX_PDPE1GB = 1u << 26;
constexpr u32 EXT1_EDX_NX = 1u << 20;
} // namespace cpuid_bits

// Physical address width reported by CPUID 0x80000008 (36 when absent).
inline unsigned cpu_maxphyaddr()
{
    if (cpuid(0x80000000).eax < 0x80000008)
        return 36;
    return cpuid(0x80000008).eax & 0xff;
}

// Linear address width N reported by CPUID 0x80000008 EAX[15:8] (48 when absent).
inline unsigned cpu_linear_width()
{
    if (cpuid(0x80000000).eax < 0x80000008)
        return 48;
    return (cpuid(0x80000008).eax >> 8) & 0xff;
}
