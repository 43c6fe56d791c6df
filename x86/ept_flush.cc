// ept_flush: INVEPT that really invalidates (SDM Vol. 3C 29.4.3, 31.3).
//
// With 'enable VPID' on, VM entries and exits need not invalidate cached
// EPT-derived translations (29.4.3.3), so a hypervisor whose INVEPT does
// nothing can no longer hide behind a flush on every VM entry. Each case
// lets L2 cache the translation of a test page, changes the EPT leaf
// without INVEPT (L2 may then still use the old translation, 29.4.3.2:
// both outcomes are allowed and only printed as diagnostics, not cases),
// executes INVEPT, and
// requires the new translation from then on. INVEPT at CPL 3 is #GP(0).
#include "console.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/page_set.hh"
#include "x86/alloc_phys.hh"
#include "x86/cpl3.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;
constexpr u64 R = EptEntry::R, W = EptEntry::W;
constexpr u64 PATTERN_A = 0xa1a1a1a1a1a1a1a1ull, PATTERN_B = 0xb2b2b2b2b2b2b2b2ull;
constexpr u64 NEW_VALUE = 0x5e5e5e5e5e5e5e5eull;
constexpr u64 OFFSET = 0x40;
constexpr u16 VPID = 1;
const VmxResult kOk = VmxResult::success();

const char* type_name(InveptType t) { return t == InveptType::SingleContext ? "single-context" : "all-context"; }

// Drops every cached translation (all-context INVEPT where supported, and
// INVVPID all-context), so that no case sees a previous case's entries.
void flush_everything()
{
    const VmxCaps& c = vmx_caps();
    if (c.ept_vpid & ept_cap::INVEPT_ALL)
        (void)invept(static_cast<u64>(InveptType::Global), 0);
    if (c.ept_vpid & ept_cap::INVVPID_ALL)
        (void)invvpid(static_cast<u64>(InvvpidType::AllContext), 0, 0);
}

// Two page frames holding PATTERN_A and PATTERN_B at OFFSET.
class TwoFrames {
public:
    TwoFrames()
    {
        if (ok()) {
            *at(0) = PATTERN_A;
            *at(1) = PATTERN_B;
        }
    }
    [[nodiscard]] bool ok() const { return p_.ok(); }
    PhysAddr frame(int i) const { return p_[i]; }
    volatile u64* at(int i) const { return phys_to_ptr<volatile u64>(frame(i) + OFFSET); }

private:
    PageSet<2> p_;
};

// An EptStepper with VPID on (VPID 1), the test page at EPT_TEST_GPA
// mapped to frame 0 with perms (4 KiB leaf), and nothing cached yet.
class FlushFixture {
public:
    explicit FlushFixture(u64 perms) : perms_(perms) {}
    ~FlushFixture() { flush_everything(); }
    FlushFixture(const FlushFixture&) = delete;
    FlushFixture& operator=(const FlushFixture&) = delete;

    [[nodiscard]] bool ready(const char* what)
    {
        if (!frames_.ok())
            return report_error("%s: out of memory for the page frames", what), false;
        if (!s_.ready(what))
            return false;
        if (!vmcs_set_bits(F::SECONDARY_VM_EXEC_CONTROL, proc2::VPID) || !vmcs_write(F::VIRTUAL_PROCESSOR_ID, VPID))
            return false;
        if (s_.ept().map(EPT_TEST_GPA, frames_.frame(0), perms_, 1) != WalkStatus::Ok)
            return report_error("%s: mapping the test page failed", what), false;
        flush_everything();
        return true;
    }
    EptStepper& s() { return s_; }
    TwoFrames& frames() { return frames_; }
    EptEntry* leaf() { return s_.ept().entry(EPT_TEST_GPA, 1); }
    u64 addr() const { return EPT_TEST_GPA.raw() + OFFSET; }

private:
    u64 perms_;
    TwoFrames frames_;
    EptStepper s_;
};

// L2 reads the test address; one line: the step completes and loads want.
bool read_is(FlushFixture& f, u64 want, const char* name, const char* when)
{
    RunResult r = f.s().step(L2Op::Read, f.addr());
    if (!expect_step(f.s(), r, "%s: read %s: completes", name, when))
        return false;
    return report_eq(f.s().value(), want, "%s: read %s: the new translation is used", name, when);
}

// L2 reads the test address with a stale translation allowed: one line
// (the step completes: both translations allow the read); which frame it
// saw is a diagnostic (29.4.3.2 lets the CPU use either, so it is no case).
bool read_either(FlushFixture& f, const char* name)
{
    RunResult r = f.s().step(L2Op::Read, f.addr());
    if (!expect_step(f.s(), r, "%s: read after the change without INVEPT: completes", name))
        return false;
    u64 v = f.s().value();
    printf("%s: without INVEPT L2 read %s\n", name,
           v == PATTERN_A ? "the old frame (stale translation kept)" : v == PATTERN_B ? "the new frame (nothing cached)" : "neither frame");
    return true;
}

// Moves the leaf to frame 1 and, between the two reads, executes INVEPT
// of type. Expect: before INVEPT either frame (a diagnostic); after it frame 1 for reads
// and writes, frame 0 untouched (31.3: INVEPT invalidates the mappings
// derived from the EPTP; 29.4.3.3: VPID keeps them across VM entries).
void run_new_frame(InveptType type)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    FlushFixture f(R | W);
    const char* name = type_name(type);
    if (!f.ready(name) || !read_is(f, PATTERN_A, name, "before the change"))
        return;
    *f.leaf() = f.leaf()->with_addr(f.frames().frame(1));
    if (!read_either(f, name))
        return;
    if (!expect_vmx(invept(static_cast<u64>(type), f.s().eptp().raw()), kOk, "%s: INVEPT succeeds", name) ||
        !read_is(f, PATTERN_B, name, "after INVEPT"))
        return;
    RunResult r = f.s().step(L2Op::Write, f.addr(), NEW_VALUE);
    if (expect_step(f.s(), r, "%s: write after INVEPT: completes", name))
        report_eq(*f.frames().at(1), NEW_VALUE, "%s: write after INVEPT lands in the new frame", name);
    report_eq(*f.frames().at(0), PATTERN_A, "%s: the old frame is untouched", name);
}

// Write-protects the leaf (RW -> R) with a cached writable translation.
// Expect: a write before INVEPT may complete (stale) or cause an EPT
// violation; after INVEPT of type the write must cause an EPT violation
// with qualification "write, entry permissions R" and leave memory
// unchanged (29.3.3.2, 31.3).
void run_write_protect(InveptType type)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    FlushFixture f(R | W);
    const char* name = type_name(type);
    if (!f.ready(name))
        return;
    RunResult r = f.s().step(L2Op::Write, f.addr(), PATTERN_B);
    if (!expect_step(f.s(), r, "%s: write before the change: completes", name))
        return;
    *f.leaf() = f.leaf()->with_perms(R);
    r = f.s().step(L2Op::Write, f.addr(), NEW_VALUE);
    bool stale = f.s().is_step(r);
    printf("%s: write to the write-protected page without INVEPT %s\n", name,
           stale ? "completed (stale writable translation)" : "exited");
    // Both outcomes are allowed (29.4.3.2): no case, unless it is neither.
    if (!stale && !r.exited(ExitReason::EPT_VIOLATION)) {
        Diagnostic d{"VMCALL ending the step, or EPT violation", r.describe()};
        report_check(false, &d, nullptr, "%s: write without INVEPT: completes (stale) or EPT violation", name);
        return;
    }
    if (!expect_vmx(invept(static_cast<u64>(type), f.s().eptp().raw()), kOk, "%s: INVEPT succeeds", name))
        return;
    *f.frames().at(0) = PATTERN_A;
    r = stale ? f.s().step(L2Op::Write, f.addr(), NEW_VALUE) : f.s().resume();
    if (!expect_exit(r, ExitReason::EPT_VIOLATION, "%s: write after INVEPT: EPT violation", name))
        return;
    EptViolationQual q(r.exit.qualification);
    report_eq(q.access(), EPT_ACCESS_WRITE, "%s: write after INVEPT: qualification access is a write", name);
    report_eq(q.entry_perms(), R, "%s: write after INVEPT: qualification entry permissions R", name);
    report_eq(*f.frames().at(0), PATTERN_A, "%s: write after INVEPT: memory unchanged", name);
}

void test_flush_new_frame_single() { run_new_frame(InveptType::SingleContext); }
void test_flush_new_frame_all() { run_new_frame(InveptType::Global); }
void test_flush_write_protect_single() { run_write_protect(InveptType::SingleContext); }
void test_flush_write_protect_all() { run_write_protect(InveptType::Global); }

// Single-context INVEPT of an EPTP that is not the one in the current
// VMCS: L2 caches the test page through EPTP 1, L1 moves EPTP 1's leaf,
// switches the VMCS to EPTP 2 (its own tables, the test page on frame 0),
// lets L2 read through it, executes single-context INVEPT with EPTP 1 in
// the descriptor and switches back.
// Expect: through EPTP 2 L2 reads frame 0 (EPTP 2's own mapping); back on
// EPTP 1 after the INVEPT, frame 1 (31.3: single-context invalidates the
// mappings of the EP4TA in the descriptor, whatever the VMCS holds).
void test_flush_single_other_eptp()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    const char* name = "single-context, EPTP not in the VMCS";
    FlushFixture f(R | W);
    Ept ept2;
    if (!f.ready(name) || !ept2.ok())
        return;
    EptpResult e2 = setup_eptp(ept2.root(), vmx_caps().ept_vpid, {});
    if (!e2.ok)
        return report_skip(e2.reason, "%s", name);
    if (!ept2.identity_map(ept_identity_size(), EptEntry::R | W | EptEntry::X) ||
        ept2.map(EPT_TEST_GPA, f.frames().frame(0), R | W, 1) != WalkStatus::Ok)
        return report_error("%s: building the second EPT failed", name);
    if (!read_is(f, PATTERN_A, name, "through EPTP 1"))
        return;
    *f.leaf() = f.leaf()->with_addr(f.frames().frame(1));
    if (!vmcs_write(F::EPT_POINTER, e2.eptp.raw()) || !read_is(f, PATTERN_A, name, "through EPTP 2 (its own leaf, frame 0)"))
        return;
    if (!expect_vmx(invept(static_cast<u64>(InveptType::SingleContext), f.s().eptp().raw()), kOk,
                    "%s: INVEPT of EPTP 1 while EPTP 2 is in the VMCS succeeds", name))
        return;
    if (!vmcs_write(F::EPT_POINTER, f.s().eptp().raw()))
        return;
    read_is(f, PATTERN_B, name, "through EPTP 1 again after its INVEPT");
}

// Structural changes: the 4 KiB leaf's page table is replaced by a 2 MiB
// leaf (a 2 MiB-aligned region with PATTERN_B at the test offset), then the
// original table is put back.
// Expect: after each change and single-context INVEPT, L2 reads through the
// new structure (PATTERN_B, then PATTERN_A again) (31.3; 29.4.3.1: INVEPT
// also invalidates paging-structure caches derived from the EPTP).
void test_flush_leaf_size_change()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    const char* name = "4 KiB table <-> 2 MiB leaf";
    FlushFixture f(R | W);
    PhysAddr big = alloc_pages(512, 512 * PAGE_SIZE);
    if (!big.raw())
        return report_error("%s: out of memory for a 2 MiB region", name);
    *phys_to_ptr<volatile u64>(big + OFFSET) = PATTERN_B;
    EptEntry* pde = nullptr;
    EptEntry table{};
    if (f.ready(name) && read_is(f, PATTERN_A, name, "through the 4 KiB leaf")) {
        pde = f.s().ept().entry(EPT_TEST_GPA, 2);
        table = *pde;
        *pde = EptEntry::leaf(big, R | W, 2);
        if (expect_vmx(invept(static_cast<u64>(InveptType::SingleContext), f.s().eptp().raw()), kOk,
                       "%s: INVEPT after the table became a 2 MiB leaf succeeds", name) &&
            read_is(f, PATTERN_B, name, "through the 2 MiB leaf after INVEPT")) {
            *pde = table;
            if (expect_vmx(invept(static_cast<u64>(InveptType::SingleContext), f.s().eptp().raw()), kOk,
                           "%s: INVEPT after the table came back succeeds", name))
                read_is(f, PATTERN_A, name, "through the 4 KiB leaf again after INVEPT");
        }
        *pde = table; // Ept frees the page table it owns
    }
    for (u64 i = 0; i < 512; i++)
        free_page(big + i * PAGE_SIZE);
}

// INVEPT at CPL 3 in VMX root operation.
// Expect: #GP(0) for both types and an unsupported one (31.3: CPL > 0 is
// checked before the type).
void test_invept_cpl3()
{
    VmxOn vmx;
    EptGuest eg(l2_access, 0);
    if (!vmx.ok() || !eg.ready("INVEPT at CPL 3"))
        return;
    static constexpr u64 kTypes[] = {1, 2, 3};
    for (u64 type : kTypes) {
        Cpl3Result r = run_invept_at_cpl3(type, eg.eptp().raw());
        if (!r.ran)
            return report_error("could not run code at CPL 3");
        expect_vmx(VmxResult::faulted(r.fault), VmxResult::faulted(Fault(vec::GP, 0)), "type %lu at CPL 3: #GP(0)", type);
    }
}

const char* needs_vpid()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    const VmxCaps& c = vmx_caps();
    if (!c.has_proc2(proc2::VPID))
        return "secondary control 'enable VPID' not allowed (IA32_VMX_PROCBASED_CTLS2[37])";
    return c.ept_has(ept_cap::INVEPT) ? nullptr : "INVEPT not supported (IA32_VMX_EPT_VPID_CAP[20])";
}
const char* needs_single()
{
    if (const char* why = needs_vpid())
        return why;
    return vmx_caps().ept_vpid & ept_cap::INVEPT_SINGLE ? nullptr : "single-context INVEPT not supported (IA32_VMX_EPT_VPID_CAP[25])";
}
const char* needs_single_2m()
{
    if (const char* why = needs_single())
        return why;
    return vmx_caps().ept_has(ept_cap::PDE_2M) ? nullptr : "2 MiB EPT leaves not supported (IA32_VMX_EPT_VPID_CAP[16])";
}
const char* needs_all()
{
    if (const char* why = needs_vpid())
        return why;
    return vmx_caps().ept_vpid & ept_cap::INVEPT_ALL ? nullptr : "all-context INVEPT not supported (IA32_VMX_EPT_VPID_CAP[26])";
}
const char* needs_invept()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return vmx_caps().ept_has(ept_cap::INVEPT) ? nullptr : "INVEPT not supported (IA32_VMX_EPT_VPID_CAP[20])";
}

constexpr TestCase kCases[] = {
    {"flush_new_frame_single", test_flush_new_frame_single, needs_single},
    {"flush_new_frame_all", test_flush_new_frame_all, needs_all},
    {"flush_write_protect_single", test_flush_write_protect_single, needs_single},
    {"flush_write_protect_all", test_flush_write_protect_all, needs_all},
    {"flush_single_other_eptp", test_flush_single_other_eptp, needs_single},
    {"flush_leaf_size_change", test_flush_leaf_size_change, needs_single_2m},
    {"invept_cpl3", test_invept_cpl3, needs_invept},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
