// The virtualization-exception information area written for an EPT
// violation converted into #VE (Intel SDM Vol. 3C 26.5.7.2), and the #VE
// vector. Hardware layout only.
#pragma once
#include "types.hh"

struct VeInfo {
    u32 reason; // 48 (EPT violation)
    u32 busy;   // set to 0xffffffff when written; a violation becomes #VE only while it is 0
    u64 qualification;
    u64 gla;
    u64 gpa;
    u16 eptp_index;
};
static_assert(__builtin_offsetof(VeInfo, qualification) == 8 && __builtin_offsetof(VeInfo, gla) == 16 &&
              __builtin_offsetof(VeInfo, gpa) == 24 && __builtin_offsetof(VeInfo, eptp_index) == 32);

constexpr u8 VE_VECTOR = 20;
