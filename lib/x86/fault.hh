// Exception fixups: run one instruction "safely" and get back the vector and
// error code it raised instead of crashing. The instruction's address and the
// address to resume at are recorded in the .ex_table section; the exception
// handler looks the faulting RIP up there, records the fault and resumes.
#pragma once
#include "types.hh"

// Outcome of a guarded instruction: no fault, or the vector/error code it raised.
class [[nodiscard]] Fault {
public:
    static constexpr u8 NONE = 0xff;
    constexpr Fault() = default;
    constexpr Fault(u8 vector, u32 error_code) : vector_(vector), error_code_(error_code) {}
    constexpr bool faulted() const { return vector_ != NONE; }
    constexpr explicit operator bool() const { return faulted(); }
    constexpr u8 vector() const { return vector_; }
    constexpr u32 error_code() const { return error_code_; }
    constexpr bool is(u8 vector) const { return vector_ == vector; }

private:
    u8 vector_ = NONE;
    u32 error_code_ = 0;
};

// A value together with the fault (if any) that producing it raised.
template <class T>
struct [[nodiscard]] Faultable {
    T value;
    Fault fault;
};

namespace vec {
constexpr u8 DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10,
             NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19, VE = 20,
             CP = 21;
}

// Name of an exception vector ("#GP"), or "vector" for others.
const char* exception_name(u8 vector);

// Written by the exception handler when a fixup fires.
struct FixupState {
    u64 vector;  // Fault::NONE when nothing fired
    u64 error_code;
    u64 cr2;     // CR2 at the time of a #PF
};
extern volatile FixupState g_fixup;

inline void fixup_arm() { g_fixup.vector = Fault::NONE; }
inline Fault fixup_take()
{
    return Fault(static_cast<u8>(g_fixup.vector), static_cast<u32>(g_fixup.error_code));
}
// CR2 recorded with the last fixed-up #PF.
inline u64 fixup_cr2() { return g_fixup.cr2; }

// Asm fragment: record (label 1, label 2) as (guarded instruction, resume point).
#define NVMX_EX_TABLE_ENTRY                                                                        \
    ".pushsection .ex_table, \"a\"\n\t.balign 8\n\t.quad 1b, 2b\n\t.popsection\n\t"

inline Faultable<u64> rdmsr_safe(u32 index)
{
    u32 lo = 0, hi = 0;
    fixup_arm();
    asm volatile("1: rdmsr\n2:\n\t" NVMX_EX_TABLE_ENTRY : "+a"(lo), "+d"(hi) : "c"(index) : "memory");
    return {(static_cast<u64>(hi) << 32) | lo, fixup_take()};
}

inline Fault wrmsr_safe(u32 index, u64 value)
{
    fixup_arm();
    asm volatile("1: wrmsr\n2:\n\t" NVMX_EX_TABLE_ENTRY ::"c"(index), "a"(static_cast<u32>(value)),
                 "d"(static_cast<u32>(value >> 32))
                 : "memory");
    return fixup_take();
}

// Reads *p; on a fault the value is 0 and the fault is returned.
template <class T>
inline Faultable<T> read_safe(const volatile T* p)
{
    static_assert(sizeof(T) <= 8);
    u64 v = 0;
    fixup_arm();
    if constexpr (sizeof(T) == 1)
        asm volatile("1: movzbq (%1), %0\n2:\n\t" NVMX_EX_TABLE_ENTRY : "+r"(v) : "r"(p) : "memory");
    else if constexpr (sizeof(T) == 2)
        asm volatile("1: movzwq (%1), %0\n2:\n\t" NVMX_EX_TABLE_ENTRY : "+r"(v) : "r"(p) : "memory");
    else if constexpr (sizeof(T) == 4)
        asm volatile("1: movl (%1), %k0\n2:\n\t" NVMX_EX_TABLE_ENTRY : "+r"(v) : "r"(p) : "memory");
    else
        asm volatile("1: movq (%1), %0\n2:\n\t" NVMX_EX_TABLE_ENTRY : "+r"(v) : "r"(p) : "memory");
    return {static_cast<T>(v), fixup_take()};
}

// Writes v to *p (64-bit store); returns the fault, if any.
inline Fault write_safe(volatile u64* p, u64 v)
{
    fixup_arm();
    asm volatile("1: movq %1, (%0)\n2:\n\t" NVMX_EX_TABLE_ENTRY ::"r"(p), "r"(v) : "memory");
    return fixup_take();
}

// Executes UD2 (always #UD).
inline Fault ud2_safe()
{
    fixup_arm();
    asm volatile("1: ud2\n2:\n\t" NVMX_EX_TABLE_ENTRY ::: "memory");
    return fixup_take();
}

// Executes INT3 (#BP, a trap: resumes after it either way).
inline Fault int3_safe()
{
    fixup_arm();
    asm volatile("1: int3\n2:\n\t" NVMX_EX_TABLE_ENTRY ::: "memory");
    return fixup_take();
}

// Divides num by den with DIV (den == 0 raises #DE).
inline Faultable<u64> div_safe(u64 num, u64 den)
{
    u64 q = num, r = 0;
    fixup_arm();
    asm volatile("1: divq %2\n2:\n\t" NVMX_EX_TABLE_ENTRY : "+a"(q), "+d"(r) : "r"(den) : "memory");
    return {q, fixup_take()};
}

// Writes CR4 (faults on reserved bits or invalid combinations).
inline Fault write_cr4_safe(u64 v)
{
    fixup_arm();
    asm volatile("1: mov %0, %%cr4\n2:\n\t" NVMX_EX_TABLE_ENTRY ::"r"(v) : "memory");
    return fixup_take();
}
