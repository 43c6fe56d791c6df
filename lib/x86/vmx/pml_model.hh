// Which guest-physical addresses the page-modification log must hold after
// a sequence of guest-physical accesses under EPT A/D (SDM Vol. 3C 29.3.6
// "Page-Modification Logging", 29.3.5 "Accessed and Dirty Flags for EPT";
// 28.2.5 / 28.2.4 in older SDMs). Pure logic, host-tested
// (tests/host/pml_model_test.cc):
// - an access that sets an EPT dirty flag from 0 to 1 logs the GPA of the
//   access with bits 11:0 cleared; nothing else logs;
// - a data write sets D; a read does not (it sets A only);
// - with EPT A/D on, a processor access to a guest paging-structure entry
//   is treated as a write (29.3.5, 29.3.3.2), so it sets D on the page
//   holding the guest paging structure and logs that page;
// - a PAE PDPTE load by MOV to CR / VM entry is a read (29.3.3.2, 4.4.1).
#pragma once
#include "types.hh"

enum class PmlAccess : u8 { Read, Write, PagingStructure, PdpteLoad };

// The log as the model predicts it: pages whose EPT D flag is set (the
// preset ones and those the accesses dirtied) and the entries, in order.
class PmlModel {
public:
    static constexpr unsigned MAX = 32;

    // The page holding gpa starts with its EPT D flag set (logs nothing).
    void preset_dirty(u64 gpa) { add(dirty_, ndirty_, page(gpa)); }
    // One access at gpa (any offset).
    void access(u64 gpa, PmlAccess a)
    {
        bool sets_d = a == PmlAccess::Write || a == PmlAccess::PagingStructure;
        if (!sets_d || contains(dirty_, ndirty_, page(gpa)))
            return;
        add(dirty_, ndirty_, page(gpa));
        add(log_, nlog_, page(gpa));
    }
    unsigned count() const { return nlog_; }
    u64 entry(unsigned i) const { return log_[i]; }

    static constexpr u64 page(u64 gpa) { return gpa & ~0xfffull; }

private:
    static bool contains(const u64* set, unsigned n, u64 v)
    {
        for (unsigned i = 0; i < n; i++)
            if (set[i] == v)
                return true;
        return false;
    }
    static void add(u64* set, unsigned& n, u64 v)
    {
        if (n < MAX)
            set[n++] = v;
    }
    u64 dirty_[MAX] = {};
    u64 log_[MAX] = {};
    unsigned ndirty_ = 0, nlog_ = 0;
};

// What the real log holds against the model: entries[0..n) are the log
// entries written since the last check, oldest first (the CPU fills the log
// from the PML index downwards). Order between entries is not compared (the
// SDM does not order the flag updates of one instruction); each model entry
// must appear exactly once and nothing else may.
enum class PmlMismatch : u8 { None, Count, NotAligned, Missing, Duplicate };

[[nodiscard]] inline PmlMismatch pml_compare(const u64* entries, unsigned n, const PmlModel& m, unsigned from = 0)
{
    if (n != m.count() - from)
        return PmlMismatch::Count;
    for (unsigned i = 0; i < n; i++)
        if (entries[i] & 0xfff)
            return PmlMismatch::NotAligned;
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            if (entries[i] == entries[j])
                return PmlMismatch::Duplicate;
    for (unsigned k = from; k < m.count(); k++) {
        bool found = false;
        for (unsigned i = 0; i < n; i++)
            found = found || entries[i] == m.entry(k);
        if (!found)
            return PmlMismatch::Missing;
    }
    return PmlMismatch::None;
}

inline const char* pml_mismatch_name(PmlMismatch m)
{
    switch (m) {
    case PmlMismatch::None: return "matches the model";
    case PmlMismatch::Count: return "wrong number of entries";
    case PmlMismatch::NotAligned: return "an entry with bits 11:0 not 0";
    case PmlMismatch::Missing: return "a GPA the model logs is missing";
    case PmlMismatch::Duplicate: return "a page logged twice";
    }
    return "?";
}
