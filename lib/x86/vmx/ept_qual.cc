// Expected EPT outcome and exit qualification of one access (see ept_qual.hh).
#include "x86/vmx/ept_qual.hh"

namespace {
constexpr u64 E_R = 1ull << 0, E_W = 1ull << 1, E_X = 1ull << 2, E_XU = 1ull << 10;
constexpr u64 E_LARGE = 1ull << 7;
} // namespace

bool ept_present(u64 entry, bool mbec)
{
    return (entry & (E_R | E_W | E_X)) || (mbec && (entry & E_XU));
}

bool ept_perms_misconfigured(u64 entry, const EptRules& rules)
{
    bool r = entry & E_R, w = entry & E_W, x = entry & E_X, xu = rules.mbec && (entry & E_XU);
    if (w && !r)
        return true;
    if (!r && (x || xu) && !rules.exec_only)
        return true;
    return false;
}

bool ept_memtype_reserved(u64 leaf)
{
    unsigned mt = (leaf >> 3) & 7;
    return mt == 2 || mt == 3 || mt == 7;
}

u64 ept_qual_access_bits(EptAccess a)
{
    switch (a) {
    case EptAccess::Read: return ept_qual::READ;
    case EptAccess::Write: return ept_qual::WRITE;
    case EptAccess::Fetch: return ept_qual::FETCH;
    case EptAccess::ReadModifyWrite: return ept_qual::WRITE;
    }
    return 0;
}

bool ept_qual_xu_in_bit13(const EptExpect& e, EptAccess access, const EptRules& rules, u64 actual)
{
    if (!rules.mbec || access == EptAccess::Fetch || e.outcome != EptOutcome::Violation || !(e.qual & ept_qual::XU))
        return false;
    u64 shifted = (e.qual & ~ept_qual::XU) | ept_qual::SHADOW_STACK;
    return (actual & e.qual_mask) == shifted;
}

const char* ept_access_name(EptAccess a)
{
    switch (a) {
    case EptAccess::Read: return "read";
    case EptAccess::Write: return "write";
    case EptAccess::Fetch: return "fetch";
    case EptAccess::ReadModifyWrite: return "read-modify-write";
    }
    return "?";
}

EptExpect ept_expect(const u64* walk, int count, int levels, const EptProbe& probe, const EptRules& rules)
{
    EptExpect e;
    u64 combined = E_R | E_W | E_X | E_XU;
    bool complete = false;
    for (int i = 0; i < count; i++) {
        int level = levels - i;
        u64 entry = walk[i];
        if (!ept_present(entry, rules.mbec)) {
            e.outcome = EptOutcome::Violation;
            e.level = level;
            combined = 0; // bits 6:3 are 0 when an entry of the walk is not present
            break;
        }
        if (ept_perms_misconfigured(entry, rules)) {
            e.outcome = EptOutcome::Misconfig;
            e.level = level;
            return e;
        }
        combined &= entry;
        bool leaf = level == 1 || (level <= 3 && (entry & E_LARGE));
        if (leaf) {
            if (ept_memtype_reserved(entry)) {
                e.outcome = EptOutcome::Misconfig;
                e.level = level;
                return e;
            }
            complete = true;
            break;
        }
    }
    if (complete) {
        bool allowed = true;
        switch (probe.access) {
        case EptAccess::Read: allowed = combined & E_R; break;
        case EptAccess::Write: allowed = combined & E_W; break;
        case EptAccess::ReadModifyWrite: allowed = (combined & E_R) && (combined & E_W); break;
        case EptAccess::Fetch:
            allowed = rules.mbec && probe.user_linear ? (combined & E_XU) : (combined & E_X);
            break;
        }
        if (allowed) {
            e.outcome = EptOutcome::Ok;
            return e;
        }
        e.outcome = EptOutcome::Violation;
    } else if (e.outcome != EptOutcome::Violation) {
        // The walk array ended before a leaf: treat the missing entry as not present.
        e.outcome = EptOutcome::Violation;
        e.level = levels - count;
        combined = 0;
    }

    u64 q = ept_qual_access_bits(probe.access);
    q |= (combined & (E_R | E_W | E_X)) << 3;
    u64 mask = ~0ull;
    if (rules.mbec) {
        if (combined & E_XU)
            q |= ept_qual::XU;
    } else {
        // SDM Vol. 3C Table 28-7: bit 6 is undefined while "mode-based
        // execute control for EPT" is 0.
        mask &= ~ept_qual::XU;
    }
    if (probe.access == EptAccess::ReadModifyWrite)
        mask &= ~ept_qual::READ; // whether bit 0 is set too is implementation-specific
    if (probe.gla_valid) {
        q |= ept_qual::GLA_VALID;
        if (probe.translation)
            q |= ept_qual::TRANSLATION;
    }
    if (probe.gla_valid && probe.translation && rules.advanced_info) {
        if (probe.user_linear)
            q |= ept_qual::USER_LINEAR;
        if (probe.guest_writable)
            q |= ept_qual::GUEST_WRITABLE;
        if (probe.guest_nx)
            q |= ept_qual::GUEST_NX;
    } else {
        mask &= ~ept_qual::ADVANCED; // undefined
    }
    // Bit 12 (NMI unblocking), 13 (shadow stack), 14 (SSS), 15 (paging
    // verification), 16 (asynchronous) and 63:17 are 0 for our accesses.
    e.qual = q;
    e.qual_mask = mask;
    return e;
}
