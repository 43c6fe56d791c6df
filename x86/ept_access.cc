// ept_access: the EPT permission matrix (SDM Vol. 3C 29.3.3). Every
// permission combination x every L2 access type, with the leaf at 4 KiB,
// 2 MiB and 1 GiB: no exit, an EPT violation (with its exit qualification,
// guest-physical and guest-linear address checked) or an EPT
// misconfiguration (29.3.3.1: W without R; X-only without the capability).
//
// Adding a case: add one row to kAccessMatrix below.
#include "console.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/ept_qual.hh"
#include "x86/vmx/ept_window.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

enum class Expect : u8 { NoExit, Violation, Misconfig };

struct AccessRow {
    u64 perms;       // R/W/X bits of the leaf under test
    L2Op op;         // what L2 does at the mapped address
    Expect expect;   // the SDM outcome
    bool exec_only;  // X without R: a misconfiguration unless IA32_VMX_EPT_VPID_CAP[0]
};

constexpr u64 R = EptEntry::R, W = EptEntry::W, X = EptEntry::X;
constexpr AccessRow kAccessMatrix[] = {
    {0, L2Op::Read, Expect::Violation, false},
    {0, L2Op::Write, Expect::Violation, false},
    {0, L2Op::Fetch, Expect::Violation, false},
    {R, L2Op::Read, Expect::NoExit, false},
    {R, L2Op::Write, Expect::Violation, false},
    {R, L2Op::Fetch, Expect::Violation, false},
    {R | W, L2Op::Read, Expect::NoExit, false},
    {R | W, L2Op::Write, Expect::NoExit, false},
    {R | W, L2Op::Fetch, Expect::Violation, false},
    {R | X, L2Op::Read, Expect::NoExit, false},
    {R | X, L2Op::Write, Expect::Violation, false},
    {R | X, L2Op::Fetch, Expect::NoExit, false},
    {R | W | X, L2Op::Read, Expect::NoExit, false},
    {R | W | X, L2Op::Write, Expect::NoExit, false},
    {R | W | X, L2Op::Fetch, Expect::NoExit, false},
    {X, L2Op::Read, Expect::Violation, true},
    {X, L2Op::Write, Expect::Violation, true},
    {X, L2Op::Fetch, Expect::NoExit, true},
    {W, L2Op::Read, Expect::Misconfig, false},
    {W, L2Op::Write, Expect::Misconfig, false},
    {W, L2Op::Fetch, Expect::Misconfig, false},
    {W | X, L2Op::Read, Expect::Misconfig, false},
    {W | X, L2Op::Write, Expect::Misconfig, false},
    {W | X, L2Op::Fetch, Expect::Misconfig, false},
};

constexpr u64 PATTERN = 0x0123456789abcdefull;
constexpr u32 FETCH_RESULT = 0x5eed1234; // what the code placed for fetches returns
constexpr u64 OFFSET = 0x80; // where L2 accesses inside the backing page

// Runs one row with the leaf at level; every check is its own result line.
void run_row(const AccessRow& row, int level, PhysAddr backing)
{
    bool have_exec_only = vmx_caps().ept_vpid & ept_cap::EXEC_ONLY;
    Expect expect = row.exec_only && !have_exec_only ? Expect::Misconfig : row.expect;
    char name[96];
    snformat(name, sizeof(name), "%s %s", ept_perm_name(row.perms), l2_op_name(row.op));

    u8* page = phys_to_ptr<u8>(backing);
    *reinterpret_cast<u64*>(page + OFFSET) = PATTERN;
    if (row.op == L2Op::Fetch)
        plant_fetch_stub(page + OFFSET, FETCH_RESULT);

    static L2Mailbox box;
    EptGuest eg(l2_access, reinterpret_cast<u64>(&box));
    if (!eg.ready(name))
        return;
    GuestPhysAddr gpa = map_test_page(eg.ept(), backing, row.perms, level);
    if (!gpa.raw()) {
        report_error("%s: mapping the test page failed", name);
        return;
    }
    L1Alias alias(gpa);
    if (!alias.ok()) {
        report_error("%s: mapping the linear alias of the test page failed", name);
        return;
    }
    u64 addr = gpa.raw() + OFFSET, la = alias.la(gpa + OFFSET); // la != addr above bit 12
    box = {row.op, la, 0x5555aaaa5555aaaaull};
    RunResult r = eg.run();

    switch (expect) {
    case Expect::NoExit:
        if (!expect_done(r, "%s: completes without an exit", name))
            return;
        if (row.op == L2Op::Read)
            report_eq(box.value, PATTERN, "%s: L2 reads the backing page", name);
        else if (row.op == L2Op::Write)
            report_eq(*reinterpret_cast<u64*>(page + OFFSET), 0x5555aaaa5555aaaaull, "%s: the write reaches the backing page", name);
        else
            report_eq(box.value, FETCH_RESULT, "%s: L2 executed the code in the page (mov eax, imm32; ret)", name);
        return;
    case Expect::Misconfig:
        if (!expect_exit(r, ExitReason::EPT_MISCONFIG, "%s: EPT misconfiguration", name))
            return;
        report_eq(r.exit.guest_phys, addr, "%s: guest-physical address", name);
        return;
    case Expect::Violation: {
        if (!expect_exit(r, ExitReason::EPT_VIOLATION, "%s: EPT violation", name))
            return;
        // Every defined bit, undefined ones masked, from the walk's real
        // entries (lib/x86/vmx/ept_qual.hh): access bits, the AND of the
        // permissions, GLA valid, translated access, 0 elsewhere.
        u64 walk[4] = {};
        for (int l = 4; l >= level; l--) {
            EptEntry* e = eg.ept().entry(gpa, l);
            walk[4 - l] = e ? e->raw() : 0;
        }
        EptExpect want = ept_expect(walk, 5 - level, 4, EptProbe{.access = ept_access_of(row.op)}, ept_rules_here());
        report_eq(r.exit.qualification & want.qual_mask, want.qual, "%s: the whole qualification", name);
        report_eq(EptViolationQual(r.exit.qualification).entry_perms(), row.perms, "%s: qualification entry permissions = the leaf's", name);
        report_eq(r.exit.guest_phys, addr, "%s: guest-physical address", name);
        report_eq(r.exit.guest_linear, la, "%s: guest-linear address", name);
        return;
    }
    }
}

void run_matrix(int level)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr backing = alloc_page();
    for (const AccessRow& row : kAccessMatrix)
        run_row(row, level, backing);
    free_page(backing);
}

void test_access_4k() { run_matrix(1); }
void test_access_2m() { run_matrix(2); }
void test_access_1g() { run_matrix(3); }

const char* needs_ept() { return ept_unavailable_reason(); }
const char* needs_ept_2m()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return vmx_caps().ept_has(ept_cap::PDE_2M) ? nullptr : "2 MiB EPT leaves not supported (IA32_VMX_EPT_VPID_CAP[16])";
}
const char* needs_ept_1g()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return vmx_caps().ept_has(ept_cap::PDPTE_1G) ? nullptr : "1 GiB EPT leaves not supported (IA32_VMX_EPT_VPID_CAP[17])";
}

constexpr TestCase kCases[] = {
    {"access_4k", test_access_4k, needs_ept},
    {"access_2m", test_access_2m, needs_ept_2m},
    {"access_1g", test_access_1g, needs_ept_1g},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
