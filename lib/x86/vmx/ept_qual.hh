// Expected outcome of one guest-physical access through an EPT walk: no exit,
// EPT misconfiguration or EPT violation with its full exit qualification.
// Pure constexpr-free logic over raw entry values (also unit-tested on the
// host, tests/host/ept_qual_test.cc).
//
// SDM Vol. 3C 29.3.2 (present entries; bit 10 with MBEC), 29.3.3.1
// (misconfigurations: W without R, X-only without IA32_VMX_EPT_VPID_CAP[0],
// reserved leaf memory type), 29.3.3.2 (violations: the permissions of ALL
// entries of the walk count), 28.2.1 Table 28-7 (the qualification: bits 5:3
// and 6 are the AND over every entry of the walk, 0 when an entry is not
// present; bits 9-11 defined only with advanced VM-exit information; a
// read-modify-write sets bit 1, bit 0 implementation-specific; 63:17 and the
// features we never turn on read as 0).
#pragma once
#include "types.hh"

// What the access does (for the qualification's bits 2:0).
enum class EptAccess : u8 { Read, Write, Fetch, ReadModifyWrite };

// One access L2 makes.
struct EptProbe {
    EptAccess access = EptAccess::Read;
    // The linear address is user-mode (U/S = 1 at every guest paging level):
    // selects XU instead of XS for fetches under MBEC; bit 9 with advanced info.
    bool user_linear = false;
    bool gla_valid = true;    // bit 7 (false only for PAE PDPTE loads by MOV CR)
    bool translation = true;  // bit 8: access to the translated address, not a guest paging entry
    bool guest_writable = true; // guest paging R/W of the page (bit 10 with advanced info)
    bool guest_nx = false;      // guest paging XD of the page (bit 11 with advanced info)
};

// The CPU / VMCS settings that change the rules.
struct EptRules {
    bool mbec = false;          // secondary control "mode-based execute control for EPT"
    bool exec_only = false;     // IA32_VMX_EPT_VPID_CAP[0]: X-only entries allowed
    bool advanced_info = false; // IA32_VMX_EPT_VPID_CAP[22]: bits 9-11 of the qualification
};

enum class EptOutcome : u8 { Ok, Violation, Misconfig };

struct EptExpect {
    EptOutcome outcome = EptOutcome::Ok;
    // Walk level (4 = PML4E ... 1 = PTE) of the entry that was not present
    // or misconfigured; 0 when the walk completed.
    int level = 0;
    u64 qual = 0;      // expected qualification (Violation only)
    u64 qual_mask = 0; // its defined bits: pass iff (actual & qual_mask) == qual
    // True when (actual & qual_mask) == qual.
    bool qual_matches(u64 actual) const { return (actual & qual_mask) == qual; }
};

// Qualification bits (Table 28-7).
namespace ept_qual {
constexpr u64 READ = 1ull << 0, WRITE = 1ull << 1, FETCH = 1ull << 2, R = 1ull << 3, W = 1ull << 4,
              X = 1ull << 5, XU = 1ull << 6, GLA_VALID = 1ull << 7, TRANSLATION = 1ull << 8,
              USER_LINEAR = 1ull << 9, GUEST_WRITABLE = 1ull << 10, GUEST_NX = 1ull << 11,
              NMI_UNBLOCKING = 1ull << 12, SHADOW_STACK = 1ull << 13;
// Bits 11:9: undefined without advanced VM-exit information.
constexpr u64 ADVANCED = USER_LINEAR | GUEST_WRITABLE | GUEST_NX;
} // namespace ept_qual

// True when the entry is present: any of bits 2:0, or bit 10 with MBEC.
bool ept_present(u64 entry, bool mbec);

// True when a present entry's permission bits are a misconfiguration:
// W without R (010b, 110b), or execute-only without the capability (100b;
// with MBEC also 000b + XU, which grants execute only).
bool ept_perms_misconfigured(u64 entry, const EptRules& rules);

// True for leaf memory types 2, 3, 7 (reserved).
bool ept_memtype_reserved(u64 leaf);

// The expectation for probe through walk[0..count): walk[0] is the PML4E
// (or PML5E for 5-level walks), walk[count-1] the leaf (or the entry at
// which the walk stopped). levels is the level of walk[0] (4 or 5).
EptExpect ept_expect(const u64* walk, int count, int levels, const EptProbe& probe, const EptRules& rules);

// True when actual is exactly e's qualification (under e.qual_mask) with
// bit 6 moved to bit 13: a data access (not a fetch) under MBEC whose walk
// allows user-mode execute (e.qual has bit 6), reported with bit 6 clear and
// bit 13 (shadow-stack access) set instead. The known deviation
// ept.mbec-qual-xu-bit13 (lib/errata.cc); false for every other mismatch.
bool ept_qual_xu_in_bit13(const EptExpect& e, EptAccess access, const EptRules& rules, u64 actual);

// Bits 2:0 for an access kind (ReadModifyWrite: bit 1).
u64 ept_qual_access_bits(EptAccess a);

// Narrowing of a known qualification deviation (lib/errata.cc): true when
// actual differs from expected, under mask, in exactly the bits `bits` and
// nowhere else. Any other mismatch is an ordinary failure.
constexpr bool ept_qual_deviates_only_in(u64 actual, u64 expected, u64 mask, u64 bits)
{
    return bits && ((actual ^ expected) & mask) == bits;
}

// Narrowing of a known "no EPT violation" deviation: the backend let the
// access complete (L2 reached its next step) instead of exiting; any other
// outcome (another exit, a VM-entry failure, a wrong violation) is not it.
constexpr bool ept_missed_violation_only(bool violation_seen, bool access_completed)
{
    return !violation_seen && access_completed;
}

// The completion line after a probe names the "RWX + INVEPT" fix only when
// that step can have run: a violation was expected and either the fix ran
// or the access did not simply complete (a failing exit keeps the expected
// name, so names stay stable). A backend that completed the access instead
// of the violation (a known deviation) gets the plain completion line.
constexpr bool ept_completion_after_fix(bool violation_expected, bool fix_ran, bool access_completed)
{
    return violation_expected && (fix_ran || !access_completed);
}

// "read", "write", "fetch", "read-modify-write".
const char* ept_access_name(EptAccess a);
