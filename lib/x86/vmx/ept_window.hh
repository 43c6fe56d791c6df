// A guest-physical test window in its own EPT PML4 slot, for cases that
// restrict EPT permissions at ANY level of the walk (PML4E, PDPTE, PDE, leaf)
// without touching the entries that map L1's memory, with L2 on page tables
// of its own (supervisor or user pages, l2_user.hh) so that it can run at
// CPL0 or CPL3. L2 reaches the window at a linear alias (la(),
// ept_alias_la) that differs from its guest-physical address in bits 12 and
// up, so that a guest-linear address reported as the GPA is caught.
#pragma once
#include "report.hh"
#include "types.hh"
#include "x86/addr.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/ept_qual.hh"
#include "x86/vmx/l2_user.hh"

// 512 GiB: EPT PML4 slot 1 (L1's RAM is in slot 0). Needs MAXPHYADDR >= 40.
constexpr GuestPhysAddr EPT_FAR_GPA(0x8000000000ull);

// nullptr when EptWindow can run here with a leaf at leaf_level (2 MiB and
// 1 GiB leaves need IA32_VMX_EPT_VPID_CAP[16]/[17]), else why not.
const char* ept_window_unavailable_reason(int leaf_level = 1);

class EptWindow {
public:
    // An EptGuest running fn(arg) (CPL3 when user) on its own L2 page tables.
    // The page backing appears at gpa() through an EPT leaf at leaf_level
    // (1: 4 KiB, 2: 2 MiB, 3: 1 GiB, covering backing's level-sized region);
    // with a 4 KiB leaf, next (if given) is mapped by a second leaf right
    // after it. Every EPT entry of the window starts RWX. Check ready().
    EptWindow(GuestFn fn, u64 arg, PhysAddr backing, int leaf_level, bool user, PhysAddr next = PhysAddr(),
              EptOptions options = {});
    // True when set up; else a SKIP/ERROR naming why was reported under what.
    [[nodiscard]] bool ready(const char* what);

    GuestPhysAddr gpa() const { return gpa_; }
    // The linear address at which L2 sees gpa() (ept_alias_la), and that of
    // any guest-physical address g of the window's two pages.
    u64 la() const { return ept_alias_la(gpa_.raw()); }
    u64 la(GuestPhysAddr g) const { return ept_alias_la(g.raw()); }
    int leaf_level() const { return leaf_level_; }
    bool user() const { return tables_.user(); }
    L2PageTables& tables() { return tables_; }
    EptGuest& eg() { return eg_; }
    Ept& ept() { return eg_.ept(); }

    // The EPT entry at level (4..1) of the walk for gpa, following the
    // tables' addresses whatever the permission bits say (nullptr below a
    // leaf or outside the window).
    EptEntry* entry(GuestPhysAddr gpa, int level);
    // The raw walk for gpa, PML4E first, down to the leaf: returns the count.
    int walk(GuestPhysAddr gpa, u64 out[4]);
    // Replaces bits R/W/X/XU of the entry at level for gpa (INVEPT after).
    [[nodiscard]] bool set_perms(GuestPhysAddr gpa, int level, u64 perms);
    // INVEPT single-context (else all-context) for this EPTP.
    [[nodiscard]] bool flush();

    // Puts L2 back at the start of fn(arg) (RIP, RSP, RFLAGS, GPRs) so that
    // the next run() is a fresh call, whatever the last exit was.
    void restart();
    RunResult run() { return eg_.run(); }

private:
    EptGuest eg_;
    L2PageTables tables_;
    GuestPhysAddr gpa_;
    int leaf_level_;
    bool ok_ = false;
    const char* why_ = "EPT window setup failed"; // the step that failed
    u64 rip0_ = 0, rsp0_ = 0, rflags0_ = 0;
    GuestRegs regs0_{};
};

// The rules of ept_expect for the current CPU (exec-only, advanced info);
// mbec as given.
EptRules ept_rules_here(bool mbec = false);

// One check of an EPT-violation exit qualification (or its #VE copy)
// against e: (actual & e.qual_mask) == e.qual; a failure shows both and
// the mask. deviation: a known deviation of the backend (errata.hh) the
// caller found to match exactly this mismatch, or nullptr.
template <class... Args>
bool report_ept_qual_dev(const EptExpect& e, u64 actual, const char* deviation, Here fmt, const Args&... args)
{
    char exp[64], act[32];
    snformat(exp, sizeof(exp), "%#lx (mask %#lx)", e.qual, e.qual_mask);
    snformat(act, sizeof(act), "%#lx", actual);
    Diagnostic d{exp, act};
    return report_check(e.qual_matches(actual), &d, deviation, fmt, args...);
}

template <class... Args>
bool report_ept_qual(const EptExpect& e, u64 actual, Here fmt, const Args&... args)
{
    return report_ept_qual_dev(e, actual, nullptr, fmt, args...);
}
