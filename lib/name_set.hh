// The names reported so far in one run, so that the report library can
// refuse a check name used twice (case names are stable and unique within
// an entry, docs/contract.md). Pure logic, also unit-tested on the host.
#pragma once
#include "types.hh"

class NameSet {
public:
    // Most names one run can hold; beyond that insert() answers Full.
    static constexpr usize CAPACITY = 12288;
    enum class Insert : u8 { New, Duplicate, Full };

    // Records name; Duplicate when the same name was inserted before.
    Insert insert(const char* name);
    usize size() const { return count_; }
    void clear();

private:
    // 64-bit FNV-1a hashes (0 = empty slot) in an open-addressing table a
    // third larger than CAPACITY, so probes stay short.
    static constexpr usize SLOTS = 16384;
    static_assert(SLOTS > CAPACITY && (SLOTS & (SLOTS - 1)) == 0);
    u64 slots_[SLOTS] = {};
    usize count_ = 0;
};

// 64-bit FNV-1a hash of a NUL-terminated string, never 0.
u64 name_hash(const char* name);
