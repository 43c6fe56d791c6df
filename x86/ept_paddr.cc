// ept_paddr: L2's own page walk through EPT, table page by table page.
//
// L2 runs on its own 4-level tables (x86/vmx/l2_paging.hh), each table in a
// page behind its own EPT leaf. For the page holding the PML4, PDPT, PD or
// PT, every EPT permission that is no misconfiguration (none, R, RW, X with
// the execute-only capability, RX, RWX) x a read, a write and a fetch of the
// address the tables map x the guest A/D flags set, clear, or only D clear x
// EPT A/D off or on: the exit (or completion), the whole qualification, the
// GLA and the GPA of the guest entry, and after the access the guest A/D
// flags the CPU set and, with EPT A/D, the EPT A/D flags of both pages.
// Expectations come from the host-tested model x86/vmx/ept_guest_walk.hh
// (SDM Vol. 3C 29.3.3.2, 29.3.5, 28.2.1 Table 28-7).
//
// Every walk starts at the PML4 page, also the walks for L2's own code: when
// the PML4 page denies the walk, the violation hits L2's next instruction
// fetch (GLA = its RIP), whatever access was asked for.
#include "console.hh"
#include "errata.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/cpu.hh"
#include "x86/paging.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_guest_walk.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/ept_qual_check.hh"
#include "x86/vmx/ept_window.hh"
#include "x86/vmx/l2_paging.hh"
#include "x86/vmx/l2_user.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

constexpr u64 R = EptEntry::R, W = EptEntry::W, X = EptEntry::X, RWX = R | W | X;
constexpr u64 OFF_READ = 0x80, OFF_WRITE = 0x88, OFF_CODE = 0x100; // inside the data page
constexpr u64 PATTERN = 0x0123456789abcdefull, NEW_VALUE = 0x5555aaaa5555aaaaull;
constexpr u64 CODE_VALUE = 0x1122334455667788ull;
constexpr u64 EPT_AD = EptEntry::A | EptEntry::D;

constexpr u64 kPerms[] = {0, R, R | W, X, R | X, RWX};
constexpr GuestAccess kAccesses[] = {GuestAccess::Read, GuestAccess::Write, GuestAccess::Fetch};
const char* const kTable[] = {"data", "PT", "PD", "PDPT", "PML4"};

L2Op op_of(GuestAccess a) { return a == GuestAccess::Read ? L2Op::Read : a == GuestAccess::Write ? L2Op::Write : L2Op::Fetch; }
u64 offset_of(GuestAccess a) { return a == GuestAccess::Read ? OFF_READ : a == GuestAccess::Write ? OFF_WRITE : OFF_CODE; }

// An EptStepper whose L2 runs on L2Paging, with the probe set-up in between.
class WalkBench {
public:
    WalkBench(EptStepper& s, L2Paging& pt) : s_(s), pt_(pt) {}

    // Data page contents, then one access with everything RWX so that every
    // probe starts at a step boundary. False after an ERROR.
    [[nodiscard]] bool start()
    {
        u8* page = phys_to_ptr<u8>(pt_.page(0));
        *reinterpret_cast<u64*>(page + OFF_READ) = PATTERN;
        page[OFF_CODE] = 0x48; // mov rax, CODE_VALUE; ret
        page[OFF_CODE + 1] = 0xb8;
        *reinterpret_cast<u64*>(page + OFF_CODE + 2) = CODE_VALUE;
        page[OFF_CODE + 10] = X86_RET;
        last_ = s_.step(L2Op::Read, L2_WALK_LA + OFF_READ);
        if (!s_.is_step(last_) || s_.value() != PATTERN) {
            report_error("L2 cannot read through its own tables with everything RWX: %s", last_.describe());
            return false;
        }
        return true;
    }

    // Sets up c (guest flags, permissions, clear EPT A/D flags), INVEPTs and
    // runs the access. False after an ERROR.
    [[nodiscard]] bool run(const GuestWalkCase& c, const char* name)
    {
        for (int l = 0; l <= 4; l++)
            *pt_.ept_leaf(l) = pt_.ept_leaf(l)->with_perms(RWX).without(EPT_AD);
        for (int l = 1; l <= 4; l++) {
            u64 flags = c.flags == GuestFlags::Clear ? 0 : Pte::A;
            if (l == pt_.guest_leaf() && c.flags == GuestFlags::Set)
                flags |= Pte::D;
            *pt_.entry(l) = (*pt_.entry(l) & ~(Pte::A | Pte::D)) | flags;
        }
        *data(OFF_WRITE) = 0;
        pt_.set_table_perms(c.level, c.table_perms);
        if (!invalidate(name))
            return false;
        resume_rip_ = last_.exit.guest_rip + last_.exit.insn_len;
        last_ = s_.step(op_of(c.access), L2_WALK_LA + offset_of(c.access), NEW_VALUE);
        return true;
    }
    // After a violation: the table page RWX, INVEPT, L2 resumes.
    [[nodiscard]] bool fix_and_resume(int level, const char* name)
    {
        pt_.set_table_perms(level, RWX);
        if (!invalidate(name))
            return false;
        last_ = s_.resume();
        return true;
    }

    const RunResult& result() const { return last_; }
    u64 resume_rip() const { return resume_rip_; }
    bool at_step() { return s_.is_step(last_); }
    // True when the last step did access a with the right data.
    bool completed_right(GuestAccess a)
    {
        if (!at_step())
            return false;
        switch (a) {
        case GuestAccess::Read: return s_.value() == PATTERN;
        case GuestAccess::Write: return *data(OFF_WRITE) == NEW_VALUE;
        case GuestAccess::Fetch: return s_.value() == CODE_VALUE;
        }
        return false;
    }
    L2Paging& pt() { return pt_; }

private:
    u64* data(u64 off) { return phys_to_ptr<u64>(pt_.page(0) + off); }
    bool invalidate(const char* name) { return ept_invalidate(s_.eptp(), name); }

    EptStepper& s_;
    L2Paging& pt_;
    RunResult last_{RunStatus::VmFail, VmxResult::fail_invalid(), {}};
    u64 resume_rip_ = 0;
};

// One probe: c's checks (user: L2 runs at CPL3). False when the bench is no
// longer usable.
bool probe(WalkBench& b, const GuestWalkCase& c, bool user)
{
    char name[64];
    snformat(name, sizeof(name), "%s page %s: %s%s", kTable[c.level], ept_perm_name(c.table_perms), user ? "user " : "",
             c.access == GuestAccess::Read ? "read" : c.access == GuestAccess::Write ? "write" : "fetch");
    if (!b.run(c, name))
        return false;
    const GuestWalkExpect e = expect_guest_walk(c, ept_rules_here());
    const RunResult& r = b.result();
    bool fixed = false; // the RWX + INVEPT step after a violation ran
    if (e.violation()) {
        u64 gla = e.at_code_fetch ? b.resume_rip() : L2_WALK_LA + offset_of(c.access);
        u64 gpa = guest_entry_gpa(L2Paging::gpa(c.level).raw(), gla, c.level);
        // Bochs writes guest A/D flags without an EPT write check (lib/errata.cc).
        const bool flag_write_only = !c.ept_ad && (c.table_perms & R);
        ViolationDeviations dev;
        if (flag_write_only && b.at_step())
            dev.exit = "ept.walk-a-flag-write";
        if (c.ept_ad) {
            dev.qual = "ept.ad-walk-qual-read-bit";
            dev.qual_bits = ept_qual::READ;
        }
        if (check_violation(r, e.ept, gla, gpa, &dev, "%s: EPT violation on the %s entry", name,
                            e.at_code_fetch ? "code fetch's PML4" : kTable[c.level])) {
            if (!b.fix_and_resume(c.level, name))
                return false;
            fixed = true;
        }
    }
    char act[128];
    snformat(act, sizeof(act), "%s", b.result().describe());
    Diagnostic d{"the access completes with the right data", act};
    // After a violation the line says "after RWX + INVEPT" only when that
    // step ran; a backend that completed the access instead (the XFAIL
    // above) gets the plain completion check.
    const bool after_fix = ept_completion_after_fix(e.violation(), fixed, b.at_step());
    report_check(b.completed_right(c.access), &d, nullptr, "%s: %s", name,
                 after_fix ? "after RWX + INVEPT the access completes" : "the access completes");
    // An unexpected exit already failed above: with the page RWX, L2 must
    // finish the access for the next probe.
    if (!b.at_step() && (!b.fix_and_resume(c.level, name) || !b.at_step())) {
        report_error("%s: L2 did not finish the access; stopping this case", name);
        return false;
    }
    // The guest flags: A in every entry of the walk (bit l for level l), D
    // (bit 0) in the guest leaf as expected.
    const int g = c.guest_leaf;
    u64 got = 0, want = 0;
    for (int l = g; l <= 4; l++) {
        got |= (*b.pt().entry(l) & Pte::A) ? 1u << l : 0;
        want |= 1u << l;
    }
    got |= (*b.pt().entry(g) & Pte::D) ? 1 : 0;
    want |= e.guest_d ? 1 : 0;
    char fexp[48], fact[48];
    snformat(fexp, sizeof(fexp), "A levels|D = %#lx", want);
    snformat(fact, sizeof(fact), "%#lx", got);
    Diagnostic fd{fexp, fact};
    report_check(got == want, &fd, nullptr, "%s: guest A flags set, %s D %s", name, g == 1 ? "PTE" : g == 2 ? "PDE" : "PDPTE",
                 e.guest_d ? "set" : "clear");
    if (c.ept_ad) {
        u64 table = b.pt().ept_leaf(c.level)->raw() & EPT_AD, data = b.pt().ept_leaf(0)->raw() & EPT_AD;
        u64 want_table = e.ept_table_ad ? EPT_AD : 0, want_data = EptEntry::A | (e.ept_data_d ? EptEntry::D : 0);
        char aexp[64], aact[64];
        snformat(aexp, sizeof(aexp), "table %#lx data %#lx", want_table, want_data);
        snformat(aact, sizeof(aact), "table %#lx data %#lx", table, data);
        Diagnostic ad{aexp, aact};
        report_check(table == want_table && data == want_data, &ad, nullptr, "%s: EPT A+D %s the table page, A%s on the data page",
                     name, e.ept_table_ad ? "on" : "not on", e.ept_data_d ? "+D" : "");
    }
    return true;
}

// Every level x permission x access for one flag state and EPT A/D setting;
// levels: the guest table levels to restrict (bit l for level l). user: L2
// runs at CPL3 and only fetches (the user fetch of the matrix).
// guest_leaf: L2_WALK_LA mapped by a 4 KiB, 2 MiB or 1 GiB guest page; the
// tables below the leaf are only probed without any EPT permission.
void run_walks(bool ad, GuestFlags flags, unsigned levels, bool user = false, int guest_leaf = 1)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    EptStepper s(EptOptions{.ad = ad});
    if (!s.ready("guest walk"))
        return;
    L2PageTables user_tables(true); // L2's code, stack and mailbox as user pages
    L2Paging pt(s.ept(), 0, user ? &user_tables : nullptr, guest_leaf);
    if (!pt.ok() || (user && !(user_tables.ok() && l2_enter_user_mode()))) {
        report_error("building L2's paging structures%s failed", user ? " or its CPL3 state" : "");
        return;
    }
    WalkBench b(s, pt);
    if (!b.start())
        return;
    if (user) {
        // CPL = SS.DPL (bits 6:5 of the access rights) as the CPU saved it at the exit.
        u64 dpl = (vmcs_read(VmcsField::GUEST_SS_AR_BYTES) >> 5) & 3;
        report_eq(dpl, 3, "L2 runs at CPL3 (SS.DPL saved at the VM exit)");
    }
    for (int level = 4; level >= 1; level--) {
        if (!(levels & (1u << level)))
            continue;
        for (u64 perms : kPerms) {
            if (level < guest_leaf && perms)
                continue;
            if (ept_perms_misconfigured(perms, ept_rules_here())) {
                report_skip("execute-only EPT entries not supported (IA32_VMX_EPT_VPID_CAP[0])", "%s page X", kTable[level]);
                continue;
            }
            for (GuestAccess a : kAccesses)
                if ((!user || a == GuestAccess::Fetch) && !probe(b, {level, perms, a, ad, flags, guest_leaf}, user))
                    return;
        }
    }
}

constexpr unsigned ALL_LEVELS = 0x1e, PT_ONLY = 0x2;

// Guest A/D flags already set: the walk only reads the tables.
// Expect: without R on a table page the walk's read faults: EPT violation,
// qualification read only (bit 0), permissions = the page's, GLA valid, bit
// 8 clear, GLA = the address translated, GPA = the guest entry (29.3.3.2,
// Table 28-7); R suffices for a read, a write and a fetch.
void test_flags_set() { run_walks(false, GuestFlags::Set, ALL_LEVELS); }
// Guest A/D flags clear: the walk writes A in every entry (and D on a write).
// Expect: a page with R but not W faults on that write: bit 1 set (bit 0
// implementation-specific), permissions = the page's (29.3.3.2).
void test_flags_clear() { run_walks(false, GuestFlags::Clear, ALL_LEVELS); }
// Only the PTE's D clear, the PT page restricted.
// Expect: a write needs the D-flag write and faults on a read-only PT page;
// a read and a fetch do not write the PTE and complete (29.3.3.2).
void test_dirty_clear() { run_walks(false, GuestFlags::DirtyClear, PT_ONLY); }
// The same with EPT A/D on.
// Expect: every access to a guest table is a write (29.3.5): a page without
// W faults with bits 0 and 1 set (Table 28-7 note), also for a not-present
// page; afterwards the table page's EPT leaf has A and D, the data page's A
// (and D after a write).
void test_flags_set_ad() { run_walks(true, GuestFlags::Set, ALL_LEVELS); }
void test_flags_clear_ad() { run_walks(true, GuestFlags::Clear, ALL_LEVELS); }
void test_dirty_clear_ad() { run_walks(true, GuestFlags::DirtyClear, PT_ONLY); }

// L2 at CPL3 fetching through its own tables.
// Expect: the same as for a supervisor fetch: the walk's accesses are
// supervisor-independent reads (and A/D writes) of the tables (29.3.3.2).
void test_user_flags_set() { run_walks(false, GuestFlags::Set, ALL_LEVELS, true); }
void test_user_flags_clear() { run_walks(false, GuestFlags::Clear, ALL_LEVELS, true); }
void test_user_flags_set_ad() { run_walks(true, GuestFlags::Set, ALL_LEVELS, true); }
void test_user_flags_clear_ad() { run_walks(true, GuestFlags::Clear, ALL_LEVELS, true); }

// L2_WALK_LA through a 2 MiB (PD page: every permission, PT page: none) or
// 1 GiB guest page (PDPT page: every permission, PD and PT pages: none).
// Expect: the tables below the guest leaf are not walked (no exit however
// little EPT allows on them; no EPT A/D on their pages); the leaf's D flag
// is written in the PD / PDPT page, so a write with D clear needs W there
// (29.3.3.2; Vol. 3A 4.8).
void test_large_2m() { run_walks(false, GuestFlags::Set, 0x6, false, 2); }
void test_large_2m_clear() { run_walks(false, GuestFlags::Clear, 0x4, false, 2); }
void test_large_2m_dirty() { run_walks(false, GuestFlags::DirtyClear, 0x4, false, 2); }
void test_large_1g() { run_walks(false, GuestFlags::Set, 0xe, false, 3); }
void test_large_1g_clear() { run_walks(false, GuestFlags::Clear, 0x8, false, 3); }
void test_large_1g_dirty() { run_walks(false, GuestFlags::DirtyClear, 0x8, false, 3); }
void test_large_2m_ad() { run_walks(true, GuestFlags::Set, 0x6, false, 2); }
void test_large_2m_dirty_ad() { run_walks(true, GuestFlags::DirtyClear, 0x4, false, 2); }
void test_large_1g_ad() { run_walks(true, GuestFlags::Set, 0xe, false, 3); }
void test_large_1g_dirty_ad() { run_walks(true, GuestFlags::DirtyClear, 0x8, false, 3); }

const char* needs_ept() { return ept_unavailable_reason(); }
const char* needs_1g_guest_pages()
{
    if (cpuid(0x80000000).eax < 0x80000001 || !(cpuid(0x80000001).edx & cpuid_bits::EXT1_EDX_PDPE1GB))
        return "1 GiB guest pages not supported (CPUID.80000001H:EDX[26])";
    return nullptr;
}
const char* needs_ept_1g() { if (const char* why = needs_ept()) return why; return needs_1g_guest_pages(); }
const char* needs_ad_1g() { if (const char* why = ept_ad_unavailable_reason()) return why; return needs_1g_guest_pages(); }
const char* needs_ad() { return ept_ad_unavailable_reason(); }

constexpr TestCase kCases[] = {
    {"flags_set", test_flags_set, needs_ept},
    {"flags_clear", test_flags_clear, needs_ept},
    {"dirty_clear", test_dirty_clear, needs_ept},
    {"flags_set_ad", test_flags_set_ad, needs_ad},
    {"flags_clear_ad", test_flags_clear_ad, needs_ad},
    {"dirty_clear_ad", test_dirty_clear_ad, needs_ad},
    {"user_flags_set", test_user_flags_set, needs_ept},
    {"user_flags_clear", test_user_flags_clear, needs_ept},
    {"user_flags_set_ad", test_user_flags_set_ad, needs_ad},
    {"user_flags_clear_ad", test_user_flags_clear_ad, needs_ad},
    {"large_2m", test_large_2m, needs_ept},
    {"large_2m_clear", test_large_2m_clear, needs_ept},
    {"large_2m_dirty", test_large_2m_dirty, needs_ept},
    {"large_1g", test_large_1g, needs_ept_1g},
    {"large_1g_clear", test_large_1g_clear, needs_ept_1g},
    {"large_1g_dirty", test_large_1g_dirty, needs_ept_1g},
    {"large_2m_ad", test_large_2m_ad, needs_ad},
    {"large_2m_dirty_ad", test_large_2m_dirty_ad, needs_ad},
    {"large_1g_ad", test_large_1g_ad, needs_ad_1g},
    {"large_1g_dirty_ad", test_large_1g_dirty_ad, needs_ad_1g},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
