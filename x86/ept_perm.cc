// ept_perm: EPT permissions at EVERY level of the walk (SDM Vol. 3C 29.3.3.2:
// an access is allowed only if every EPT entry used to translate it allows
// it; 28.2.1 Table 28-7: qualification bits 5:3 are the AND over all those
// entries). For each placement — the leaf at 4 KiB / 2 MiB / 1 GiB, or a
// non-leaf PDE / PDPTE / PML4E above a 4 KiB, 2 MiB or 1 GiB leaf — every
// R/W/X combination x every access kind (supervisor and user-mode read,
// write, fetch). Mixed cases restrict a non-leaf entry and the leaf at once;
// xu_ignored sets bit 10 everywhere without MBEC (it must change nothing);
// mbec runs the user/supervisor execute split (XU vs XS, bits 5/6).
//
// Expected outcome and the WHOLE exit qualification come from ept_expect()
// (lib/x86/vmx/ept_qual.cc, host-tested) over the entries actually in the
// walk; undefined bits (9-11 without advanced VM-exit information, bit 0 of
// a read-modify-write) are masked, every other bit — reserved ones included —
// must match. Misconfigurations: qualification undefined, not checked.
//
// Adding a case: a row in kPlacements or kCases.
#include "errata.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/ve_info.hh"
#include "x86/paging.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/ept_window.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

constexpr u64 R = EptEntry::R, W = EptEntry::W, X = EptEntry::X, XU = EptEntry::XU;
constexpr u64 PATTERN = 0x0123456789abcdefull, WRITTEN = 0x5555aaaa5555aaaaull;
constexpr u32 FETCH_MAGIC = 0x5a5a1234;
constexpr u64 OFFSET = 0x80; // where L2 accesses inside the backing page

// What L2 does: op at addr (a fetch calls addr, which returns FETCH_MAGIC).
struct PermBox {
    EptAccess op;
    u64 addr;
    u64 value;
};

// L2 body (CPL0 or CPL3): one access, then return (VMCALL GUEST_DONE).
void l2_perm_access(u64 arg)
{
    auto* b = reinterpret_cast<volatile PermBox*>(arg);
    switch (b->op) {
    case EptAccess::Read: b->value = *reinterpret_cast<volatile u64*>(b->addr); break;
    case EptAccess::Write: *reinterpret_cast<volatile u64*>(b->addr) = b->value; break;
    case EptAccess::Fetch: b->value = reinterpret_cast<u64 (*)()>(b->addr)(); break;
    case EptAccess::ReadModifyWrite:
        asm volatile("lock addq $1, (%0)" ::"r"(b->addr) : "memory");
        break;
    }
}

PermBox g_box;

// Fills the backing page: PATTERN at OFFSET, or "mov $FETCH_MAGIC, %eax; ret".
void fill_backing(PhysAddr backing, EptAccess op)
{
    u8* p = phys_to_ptr<u8>(backing) + OFFSET;
    *reinterpret_cast<u64*>(p) = PATTERN;
    if (op == EptAccess::Fetch) {
        p[0] = 0xb8;
        *reinterpret_cast<u32*>(p + 1) = FETCH_MAGIC;
        p[5] = 0xc3;
    }
}

// Mailbox and backing page for a plain read of the window (no EPT check).
void probe_setup_read(EptWindow& w)
{
    g_box = {EptAccess::Read, w.la() + OFFSET, 0};
    w.restart();
}

const char* perm_name(u64 perms)
{
    static constexpr const char* names[16] = {"none", "R", "W", "RW", "X", "RX", "WX", "RWX",
                                              "XU", "R+XU", "W+XU", "RW+XU", "X+XU", "RX+XU", "WX+XU", "RWX+XU"};
    return names[(perms & 7) | ((perms & XU) ? 8 : 0)];
}

const char* level_name(int level)
{
    static constexpr const char* names[5] = {"?", "PTE", "PDE", "PDPTE", "PML4E"};
    return level >= 1 && level <= 4 ? names[level] : "?";
}

constexpr u16 VE_EPTP_INDEX = 5;

// Turns on EPT-violation #VE in the current VMCS, information area at ve.
bool enable_ve(PhysAddr ve)
{
    return vmcs_write(VmcsField::VE_INFORMATION_ADDRESS, ve.raw()) &&
           vmcs_write(VmcsField::EPTP_INDEX, VE_EPTP_INDEX) &&
           vmcs_set_bits(VmcsField::SECONDARY_VM_EXEC_CONTROL, proc2::EPT_VE);
}

// The whole #VE information against e (the qualification as for a VM exit,
// bit 12 undefined in the #VE copy) and the access' linear and
// guest-physical addresses.
void check_ve_info(const VeInfo& v, EptExpect e, u64 la, u64 addr, const char* label)
{
    e.qual_mask &= ~ept_qual::NMI_UNBLOCKING;
    report_eq(v.reason, static_cast<u32>(ExitReason::EPT_VIOLATION), "%s: VE info exit reason", label);
    report_eq(v.busy, 0xffffffff, "%s: VE info busy word", label);
    report_ept_qual(e, v.qualification, "%s: VE info qualification", label);
    report_eq(v.gla, la, "%s: VE info guest-linear address", label);
    report_eq(v.gpa, addr, "%s: VE info guest-physical address", label);
    char exp[48], act[48];
    snformat(exp, sizeof(exp), "%u (EPTP-index field)", VE_EPTP_INDEX);
    snformat(act, sizeof(act), "%u", v.eptp_index);
    check_known("ept.ve-eptp-index", v.eptp_index == VE_EPTP_INDEX, {exp, act}, "%s: VE info EPTP index", label);
}

// Runs one access through the window and checks it against ept_expect over
// the walk as it stands. Every check is one result line named by label.
void probe(EptWindow& w, PhysAddr backing, EptAccess op, const EptRules& rules, const char* label,
           PhysAddr ve = PhysAddr())
{
    fill_backing(backing, op);
    u64 addr = w.gpa().raw() + OFFSET, la = w.la() + OFFSET; // la != addr above bit 12
    g_box = {op, la, WRITTEN};
    u64 walk[4];
    int n = w.walk(w.gpa() + OFFSET, walk);
    EptProbe p;
    p.access = op;
    p.user_linear = w.user();
    EptExpect e = ept_expect(walk, n, 4, p, rules);

    if (ve.raw())
        *phys_to_ptr<VeInfo>(ve) = VeInfo{};
    w.restart();
    RunResult r = w.run();
    u64* mem = phys_to_ptr<u64>(backing + OFFSET);
    switch (e.outcome) {
    case EptOutcome::Ok:
        if (!expect_done(r, "%s: completes without an exit", label))
            return;
        if (op == EptAccess::Read)
            report_eq(g_box.value, PATTERN, "%s: L2 read the backing page", label);
        else if (op == EptAccess::Write)
            report_eq(*mem, WRITTEN, "%s: the write reached the backing page", label);
        else if (op == EptAccess::Fetch)
            report_eq(g_box.value, FETCH_MAGIC, "%s: L2 ran the code in the page", label);
        else
            report_eq(*mem, PATTERN + 1, "%s: the locked add reached the backing page", label);
        return;
    case EptOutcome::Misconfig:
        if (!expect_exit(r, ExitReason::EPT_MISCONFIG, "%s: EPT misconfiguration (%s)", label, level_name(e.level)))
            return;
        report_eq(r.exit.guest_phys, addr, "%s: guest-physical address", label);
        return;
    case EptOutcome::Violation:
        if (ve.raw()) {
            if (!expect_exception(r, VE_VECTOR, false, "%s: #VE (exception exit, vector 20)", label))
                return;
            check_ve_info(*phys_to_ptr<VeInfo>(ve), e, la, addr, label);
        } else {
            if (!expect_exit(r, ExitReason::EPT_VIOLATION, "%s: EPT violation", label))
                return;
            u64 q = r.exit.qualification;
            report_ept_qual_dev(e, q,
                                ept_qual_xu_in_bit13(e, op, rules, q) ? known_deviation("ept.mbec-qual-xu-bit13") : nullptr,
                                "%s: exit qualification", label);
            report_eq(r.exit.guest_phys, addr, "%s: guest-physical address", label);
            report_eq(r.exit.guest_linear, la, "%s: guest-linear address", label);
        }
        if (op == EptAccess::Fetch)
            report_eq(r.exit.guest_rip, la, "%s: guest RIP at the fetched address", label);
        if (op == EptAccess::Write || op == EptAccess::ReadModifyWrite)
            report_eq(*mem, PATTERN, "%s: memory unchanged", label);
        return;
    }
}

constexpr EptAccess kOps[] = {EptAccess::Read, EptAccess::Write, EptAccess::Fetch};
constexpr EptAccess kMbecOps[] = {EptAccess::Read, EptAccess::Fetch};

// Where the restriction sits: the entry at restrict_level of a walk whose
// leaf is at leaf_level.
struct Placement {
    const char* name;
    int leaf_level;
    int restrict_level;
};

// For each mode (supervisor, user): each of the 8 R/W/X values at the
// placement's entry (all others RWX, plus extra in every entry) x each op.
void run_placement(const Placement& pl, u64 extra = 0, bool with_ve = false)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr backing = alloc_page();
    PhysAddr ve = with_ve ? alloc_page() : PhysAddr();
    EptRules rules = ept_rules_here();
    for (int mode = 0; mode < 2; mode++) {
        bool user = mode == 1;
        EptWindow w(l2_perm_access, reinterpret_cast<u64>(&g_box), backing, pl.leaf_level, user);
        if (!w.ready(pl.name) || (with_ve && !enable_ve(ve)))
            break;
        for (int l = 4; l >= pl.leaf_level; l--)
            if (!w.set_perms(w.gpa(), l, R | W | X | extra))
                return;
        for (u64 perms = 0; perms < 8; perms++) {
            if (!w.set_perms(w.gpa(), pl.restrict_level, perms | extra))
                return;
            for (EptAccess op : kOps) {
                char label[96];
                snformat(label, sizeof(label), "%s %s: %s %s", level_name(pl.restrict_level), perm_name(perms | extra),
                         user ? "user" : "supervisor", ept_access_name(op));
                probe(w, backing, op, rules, label, ve);
            }
        }
    }
    free_page(backing);
    if (ve.raw())
        free_page(ve);
}

constexpr Placement kPlacements[] = {
    {"leaf_4k", 1, 1},       {"leaf_2m", 2, 2},       {"leaf_1g", 3, 3},
    {"pde_over_4k", 1, 2},   {"pdpte_over_4k", 1, 3}, {"pml4e_over_4k", 1, 4},
    {"pdpte_over_2m", 2, 3}, {"pml4e_over_2m", 2, 4}, {"pml4e_over_1g", 3, 4},
};

void test_leaf_4k() { run_placement(kPlacements[0]); }
void test_leaf_2m() { run_placement(kPlacements[1]); }
void test_leaf_1g() { run_placement(kPlacements[2]); }
void test_pde_over_4k() { run_placement(kPlacements[3]); }
void test_pdpte_over_4k() { run_placement(kPlacements[4]); }
void test_pml4e_over_4k() { run_placement(kPlacements[5]); }
void test_pdpte_over_2m() { run_placement(kPlacements[6]); }
void test_pml4e_over_2m() { run_placement(kPlacements[7]); }
void test_pml4e_over_1g() { run_placement(kPlacements[8]); }

// Without MBEC bit 10 is ignored in every entry: the leaf_4k and PDE
// matrices with XU set in all entries of the walk give the same outcomes.
void test_xu_ignored()
{
    run_placement({"xu_ignored", 1, 1}, XU);
    run_placement({"xu_ignored", 1, 2}, XU);
}

// The leaf_4k, pdpte_over_2m and pml4e_over_1g matrices with EPT-violation
// #VE on (SDM 26.5.7): each violation (suppress-#VE clear in every entry)
// becomes #VE in L2 — here an exception exit with vector 20 — and the #VE
// information area holds the whole qualification, GLA, GPA, EPTP index;
// misconfigurations stay VM exits.
void test_ve_leaf_4k() { run_placement(kPlacements[0], 0, true); }
void test_ve_pdpte_over_2m() { run_placement(kPlacements[6], 0, true); }
void test_ve_pml4e_over_1g() { run_placement(kPlacements[8], 0, true); }

// A restricted non-leaf level (or levels) AND a restricted leaf: each upper
// value x each leaf value x each op, supervisor and user, with MBEC on or off.
struct PairMatrix {
    const char* name;
    int upper_from, upper_to; // levels that get the upper value (4..2)
    Span<const u64> upper, leaf;
    Span<const EptAccess> ops;
    bool mbec;
};

void run_pairs(const PairMatrix& m)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr backing = alloc_page();
    EptRules rules = ept_rules_here(m.mbec);
    const char* upper_name = m.upper_from == m.upper_to ? level_name(m.upper_from) : "upper";
    for (int mode = 0; mode < 2; mode++) {
        bool user = mode == 1;
        EptWindow w(l2_perm_access, reinterpret_cast<u64>(&g_box), backing, 1, user);
        if (!w.ready(m.name))
            break;
        if (m.mbec && !ept_enable_mbec(w.eg(), m.name))
            break;
        bool ok = true;
        for (u64 upper : m.upper) {
            for (int l = m.upper_from; ok && l >= m.upper_to; l--)
                ok = w.set_perms(w.gpa(), l, upper);
            for (u64 leaf : m.leaf) {
                if (!ok || !(ok = w.set_perms(w.gpa(), 1, leaf)))
                    break;
                for (EptAccess op : m.ops) {
                    char label[96];
                    snformat(label, sizeof(label), "%s %s PTE %s: %s %s", upper_name, perm_name(upper), perm_name(leaf),
                             user ? "user" : "supervisor", ept_access_name(op));
                    probe(w, backing, op, rules, label);
                }
            }
        }
    }
    free_page(backing);
}

// Each valid (present, not misconfigured) value at the PDE x each at the PTE.
constexpr u64 kValid[] = {R, R | W, R | X, R | W | X, X};
void test_mixed() { run_pairs({"mixed", 2, 2, kValid, kValid, kOps, false}); }

// Which outcome wins when two levels disagree (29.3.3): a not-present PDE
// hides a misconfigured PTE (violation, bits 5:3 = 0); a misconfigured PTE
// under a present but restricting PDE is a misconfiguration, not a
// violation; a misconfigured PDE wins over anything below it.
constexpr u64 kPriorityUpper[] = {0, R, R | X, W, W | X};
constexpr u64 kPriorityLeaf[] = {0, R, W, W | X};
void test_priority() { run_pairs({"priority", 2, 2, kPriorityUpper, kPriorityLeaf, kOps, false}); }

// With MBEC: bit 2 grants supervisor-mode and bit 10 user-mode execute
// (for the linear address' U/S), qualification bit 5 = AND of bit 2, bit 6
// = AND of bit 10 over the walk, for reads as well as fetches (SDM Vol. 3C
// 29.3.3.2, Table 28-7). Every R/X/XU value at the leaf, with the upper
// entries RWX+XU and then RWX without XU. The user-mode L2's own code is on
// user pages too: ept_enable_mbec gives L1 memory XU so that L2 can run at
// all; only the window's walk is under test.
constexpr u64 kMbecLeaf[] = {R, R | X, R | XU, R | X | XU, XU, X | XU, R | W | XU};
constexpr u64 kMbecUpper[] = {R | W | X | XU, R | W | X};
void test_mbec() { run_pairs({"mbec", 4, 2, kMbecUpper, kMbecLeaf, kMbecOps, true}); }

// The user-mode L2 really runs at CPL3: a read of the window page after its
// guest PTE lost U/S is a #PF (exception exit) with error code P|U (bits 0, 2),
// and the guest SS.DPL saved at that exit is 3 (SDM Vol. 3A 4.6.1).
void test_cpl3()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr backing = alloc_page();
    {
        EptWindow w(l2_perm_access, reinterpret_cast<u64>(&g_box), backing, 1, true);
        if (w.ready("cpl3")) {
            VirtAddr la(w.la());
            Pte* pte = get_pte(w.tables().root(), la, PageLevel::Pte4K);
            if (!pte || !set_pte(w.tables().root(), la, PageLevel::Pte4K, pte->without(Pte::US))) {
                report_error("cpl3: guest PTE of the window not found");
            } else {
                probe_setup_read(w);
                RunResult r = w.run();
                if (expect_exit(r, ExitReason::EXCEPTION_NMI, "user read of a supervisor page: exception exit")) {
                    report_eq(r.exit.intr_info & 0xff, 14, "user read of a supervisor page: #PF");
                    report_eq(r.exit.intr_error & 5, 5, "user read of a supervisor page: error code P and U/S set");
                    report_eq((vmcs_read(VmcsField::GUEST_SS_AR_BYTES) >> 5) & 3, 3, "guest SS.DPL at the exit is 3");
                }
            }
        }
    }
    free_page(backing);
}

const char* needs_window() { return ept_window_unavailable_reason(); }
const char* needs_2m() { return ept_window_unavailable_reason(2); }
const char* needs_1g() { return ept_window_unavailable_reason(3); }
const char* needs_ve_at(int leaf_level)
{
    if (const char* why = ept_window_unavailable_reason(leaf_level))
        return why;
    return vmx_caps().has_proc2(proc2::EPT_VE)
               ? nullptr
               : "secondary control 'EPT-violation #VE' not allowed (IA32_VMX_PROCBASED_CTLS2[50])";
}
const char* needs_ve() { return needs_ve_at(1); }
const char* needs_ve_2m() { return needs_ve_at(2); }
const char* needs_ve_1g() { return needs_ve_at(3); }
const char* needs_mbec()
{
    if (const char* why = ept_window_unavailable_reason())
        return why;
    return vmx_caps().has_proc2(proc2::MBEC)
               ? nullptr
               : "secondary control 'mode-based execute control for EPT' not allowed (IA32_VMX_PROCBASED_CTLS2[54])";
}

constexpr TestCase kCases[] = {
    {"leaf_4k", test_leaf_4k, needs_window},
    {"leaf_2m", test_leaf_2m, needs_2m},
    {"leaf_1g", test_leaf_1g, needs_1g},
    {"pde_over_4k", test_pde_over_4k, needs_window},
    {"pdpte_over_4k", test_pdpte_over_4k, needs_window},
    {"pml4e_over_4k", test_pml4e_over_4k, needs_window},
    {"pdpte_over_2m", test_pdpte_over_2m, needs_2m},
    {"pml4e_over_2m", test_pml4e_over_2m, needs_2m},
    {"pml4e_over_1g", test_pml4e_over_1g, needs_1g},
    {"mixed", test_mixed, needs_window},
    {"priority", test_priority, needs_window},
    {"xu_ignored", test_xu_ignored, needs_window},
    {"mbec", test_mbec, needs_mbec},
    {"cpl3", test_cpl3, needs_window},
    {"ve_leaf_4k", test_ve_leaf_4k, needs_ve},
    {"ve_pdpte_over_2m", test_ve_pdpte_over_2m, needs_ve_2m},
    {"ve_pml4e_over_1g", test_ve_pml4e_over_1g, needs_ve_1g},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
