// ept_features: the VMX features built on EPT. Unrestricted guest (real mode
// and unpaged protected mode in L2), page-modification logging, EPT-violation
// #VE, VMFUNC EPTP switching and mode-based execute control. Each case
// checks what the SDM says the feature does, and the VM-entry checks that
// tie it to EPT (SDM Vol. 3C 27.2.1.1: each needs 'enable EPT').
//
// Adding a case: write a body that builds its guest with EptGuest (one per
// scenario, so no state leaks between checks) and add a row to kCases.
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/cr.hh"
#include "x86/arch/ve_info.hh"
#include "x86/cpu.hh"
#include "x86/paging.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/ept_qual.hh"
#include "x86/vmx/ept_window.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/insn.hh"
#include "x86/vmx/l2.hh"
#include "x86/vmx/l2_paging.hh"
#include "x86/vmx/legacy_guest.hh"
#include "x86/vmx/pml_model.hh"
#include "x86/vmx/simulate.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;
constexpr u64 R = EptEntry::R, W = EptEntry::W, X = EptEntry::X;

// A zeroed page, freed when the scope ends.
struct ScratchPage {
    PhysAddr pa = alloc_page();
    ScratchPage() = default;
    ~ScratchPage() { if (pa.raw()) free_page(pa); }
    ScratchPage(const ScratchPage&) = delete;
    ScratchPage& operator=(const ScratchPage&) = delete;
    template <class T = u64>
    T* ptr() const { return phys_to_ptr<T>(pa); }
};

// Names a missing secondary control: "secondary control 'x' not allowed (...)".
const char* needs_proc2(u32 bit, const char* why)
{
    if (const char* e = ept_unavailable_reason())
        return e;
    return vmx_caps().has_proc2(bit) ? nullptr : why;
}

bool enable_proc2(u32 bits)
{
    return vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) &&
           vmcs_set_bits(F::SECONDARY_VM_EXEC_CONTROL, bits);
}

// ---------------------------------------------------------------------------
// Unrestricted guest

constexpr u32 REAL_DATA = 0xbeef, PROT_DATA = 0xfeedf00d;

// Unrestricted guest (SDM 27.3.1.1, 26.6 "unrestricted guest"; 27.2.1.1).
// Expect: with EPT + URG, a real-mode guest (CR0.PE=0, PG=0, 16-bit code at
// CS.base+IP) runs and exits on VMCALL with its registers as the stub left
// them, and VMRESUME continues it; an unpaged 32-bit protected-mode guest
// does the same; CR0.PG=1 with PE=0 fails entry with exit 33 (bit 31) both
// from real-mode and from 64-bit state; without URG, CR0.PE=0 fails entry;
// URG relaxes only PE and PG (CR0.NE from FIXED0 still required); URG
// without EPT is VMfailValid(7).
void test_unrestricted_guest()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    ScratchPage data, stack;
    if (!data.pa.raw() || !stack.pa.raw())
        return report_error("out of memory for the guest pages");
    *data.ptr<u32>() = REAL_DATA;

    {
        EptGuest eg(l2_nothing, 0);
        if (!eg.ready("64-bit guest with URG") || !enable_proc2(proc2::UNRESTRICTED_GUEST))
            return;
        expect_done(eg.run(), "64-bit guest with URG on enters and returns");
    }
    {
        EptGuest eg(l2_nothing, 0);
        LegacyState s = real_mode_state(data.pa, stack.pa);
        if (!eg.ready("real mode") || !enable_proc2(proc2::UNRESTRICTED_GUEST) || !load_legacy_state(s))
            return;
        eg.guest().regs().rax = 0;
        RunResult r = eg.run();
        if (expect_exit(r, ExitReason::VMCALL, "real mode (PE=0, PG=0): enters and exits on VMCALL")) {
            const GuestRegs& g = eg.guest().regs();
            report_eq(g.rax & 0xffff, 0x1234, "real mode: AX as set by the 16-bit stub");
            report_eq(g.rbx & 0xffff, s.cs.sel, "real mode: BX = CS selector (MOV from CS)");
            report_eq(g.rcx & (cr0::PE | cr0::PG), 0, "real mode: MOV from CR0 reads PE=0, PG=0");
            report_eq(g.rdx & 0xffff, REAL_DATA, "real mode: DX read through DS.base");
            report_eq(r.exit.guest_rip, reinterpret_cast<u64>(l2_real_vmcall) - s.cs.base, "real mode: exit RIP is the VMCALL's IP (CS-relative)");
            report_eq(r.exit.insn_len, 3, "real mode: VMCALL instruction length");
            report_eq(vmcs_read(F::VM_ENTRY_CONTROLS) & entry_ctl::IA32E_MODE, 0, "real mode: IA-32e mode guest still 0 after the exit");
            report_eq(vmcs_read(F::GUEST_CR0) & (cr0::PE | cr0::PG), 0, "real mode: guest CR0 saved with PE=0, PG=0");
            eg.guest().skip_instruction();
            RunResult r2 = eg.run();
            if (expect_exit(r2, ExitReason::VMCALL, "real mode: VMRESUME continues to the second VMCALL"))
                report_eq(r2.exit.guest_rip, reinterpret_cast<u64>(l2_real_vmcall2) - s.cs.base, "real mode: AX incremented, exit at the second VMCALL");
        }
    }
    {
        EptGuest eg(l2_nothing, 0);
        if (!eg.ready("protected mode") || !enable_proc2(proc2::UNRESTRICTED_GUEST) ||
            !load_legacy_state(protected_mode_state(stack.pa)))
            return;
        *data.ptr<u32>() = PROT_DATA;
        eg.guest().regs().rsi = data.pa.raw();
        RunResult r = eg.run();
        if (expect_exit(r, ExitReason::VMCALL, "protected mode without paging (PE=1, PG=0): enters and exits on VMCALL")) {
            const GuestRegs& g = eg.guest().regs();
            report_eq(g.rax & 0xffffffff, 0x5678abcd, "protected mode: EAX as set by the 32-bit stub");
            report_eq(g.rcx & (cr0::PE | cr0::PG), cr0::PE, "protected mode: MOV from CR0 reads PE=1, PG=0");
            report_eq(g.rdx & 0xffffffff, PROT_DATA, "protected mode: EDX read at a flat physical address");
            report_eq(r.exit.guest_rip, reinterpret_cast<u64>(l2_prot_vmcall), "protected mode: exit RIP is the VMCALL");
        }
        *data.ptr<u32>() = REAL_DATA;
    }
    {
        EptGuest eg(l2_nothing, 0);
        LegacyState s = real_mode_state(data.pa, stack.pa);
        s.cs.sel |= 1;
        if (!eg.ready("real mode, CS.RPL 1") || !enable_proc2(proc2::UNRESTRICTED_GUEST) || !load_legacy_state(s))
            return;
        RunResult r = eg.run();
        check_known("entry.urg-cs-rpl", r.exited(ExitReason::VMCALL), {"exit VMCALL", r.describe()},
                    "real mode with CS selector RPL 1 (DPL 0 = SS.DPL): enters and exits on VMCALL");
    }
    {
        EptGuest eg(l2_nothing, 0);
        LegacyState s = real_mode_state(data.pa, stack.pa);
        s.cr0 |= cr0::PG;
        if (!eg.ready("PG without PE") || !enable_proc2(proc2::UNRESTRICTED_GUEST) || !load_legacy_state(s))
            return;
        if (expect_invalid_guest(eg.run(), "real-mode state with CR0.PG=1, PE=0: entry fails (exit 33)"))
            expect_still_clear(eg.guest(), "real-mode state with CR0.PG=1, PE=0: the VMCS stays clear (VMLAUNCH fails the same way)");
    }
    {
        EptGuest eg(l2_nothing, 0);
        if (!eg.ready("PG without PE, 64-bit") || !enable_proc2(proc2::UNRESTRICTED_GUEST) ||
            !vmcs_write(F::GUEST_CR0, read_cr0() & ~cr0::PE))
            return;
        expect_invalid_guest(eg.run(), "64-bit state with CR0.PE cleared (PG=1): entry fails (exit 33)");
    }
    {
        EptGuest eg(l2_nothing, 0);
        if (!eg.ready("real mode without URG") || !load_legacy_state(real_mode_state(data.pa, stack.pa)))
            return;
        expect_invalid_guest(eg.run(), "real mode without URG: CR0.PE=0 breaks CR0 FIXED0, entry fails (exit 33)");
    }
    if (vmx_caps().cr0_fixed0 & cr0::NE) {
        EptGuest eg(l2_nothing, 0);
        LegacyState s = real_mode_state(data.pa, stack.pa);
        s.cr0 &= ~cr0::NE;
        if (!eg.ready("real mode, NE=0") || !enable_proc2(proc2::UNRESTRICTED_GUEST) || !load_legacy_state(s))
            return;
        expect_invalid_guest(eg.run(), "URG relaxes only PE/PG: real mode with CR0.NE=0 fails entry (exit 33)");
    } else {
        report_skip("CR0.NE is not in IA32_VMX_CR0_FIXED0", "URG relaxes only PE/PG: real mode with CR0.NE=0");
    }
    {
        Guest g(l2_nothing);
        if (!g.ready() || !vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) ||
            !vmcs_write(F::SECONDARY_VM_EXEC_CONTROL, proc2::UNRESTRICTED_GUEST))
            return;
        expect_control_fail(g.run(), "URG without EPT: VMfailValid(7)");
    }
}

// ---------------------------------------------------------------------------
// Page-modification logging

constexpr unsigned PML_PAGES = 4;        // pages L2 writes
constexpr u64 PML_MARK = 0x5a5a5a5a5a5a5a5aull; // fill of unused log entries

struct WriteBox {
    u64 base;      // first page; L2 writes 0x1000 + i at base + i * 4 KiB
    u64 count;
    u64 read_addr; // then reads here (0: no read)
};

void l2_write_pages(u64 arg)
{
    auto* b = reinterpret_cast<volatile WriteBox*>(arg);
    for (u64 i = 0; i < b->count; i++)
        *reinterpret_cast<volatile u64*>(b->base + i * PAGE_SIZE) = 0x1000 + i;
    if (b->read_addr)
        (void)*reinterpret_cast<volatile u64*>(b->read_addr);
}

// Presets EPT A and D on every leaf of ept's identity map of L1 memory, so
// that L2's stack, page-table and mailbox writes log nothing. False after an
// ERROR under what.
bool pml_identity_dirty(Ept& ept, const char* what)
{
    for (u64 a = 0; a < ept_identity_size();) {
        int level = 0;
        EptEntry* e = ept.leaf(GuestPhysAddr(a), &level);
        if (!e) {
            report_error("%s: identity map hole at %#lx", what, a);
            return false;
        }
        *e = e->with(EptEntry::A | EptEntry::D);
        a += pt_level_size(level);
    }
    return true;
}

// Fills log with PML_MARK and turns PML on in the current VMCS with log as
// the page-modification log, PML index 511.
bool pml_enable(const ScratchPage& log)
{
    if (!log.pa.raw())
        return false;
    for (unsigned i = 0; i < 512; i++)
        log.ptr()[i] = PML_MARK;
    return vmcs_write(F::PML_ADDRESS, log.pa.raw()) && vmcs_write(F::GUEST_PML_INDEX, 511) &&
           enable_proc2(proc2::PML);
}

// An EPT guest with A/D on, PML on, and PML_PAGES test pages mapped RW plus
// one mapped R after them at EPT_TEST_GPA (4 KiB leaves, A/D clear). The identity map of L1 memory
// gets A and D preset so that L2's stack, page-table and mailbox writes log
// nothing: only first writes to the test pages do.
class PmlGuest {
public:
    explicit PmlGuest(WriteBox* box) : eg_(l2_write_pages, reinterpret_cast<u64>(box), EptOptions{false, true}) {}
    ~PmlGuest()
    {
        for (PhysAddr p : pages_)
            if (p.raw())
                free_page(p);
    }
    bool ready(const char* what)
    {
        if (!eg_.ready(what) || !pml_identity_dirty(eg_.ept(), what))
            return false;
        Ept& ept = eg_.ept();
        for (unsigned i = 0; i <= PML_PAGES; i++) {
            pages_[i] = alloc_page();
            // Pages 0..PML_PAGES-1 are written; the last one is only read, so
            // it is mapped read-only (a write to it would be a violation).
            u64 perms = i == PML_PAGES ? R : R | W;
            if (!pages_[i].raw() || ept.map(gpa(i), pages_[i], perms, 1) != WalkStatus::Ok) {
                report_error("%s: mapping test page %u failed", what, i);
                return false;
            }
        }
        return pml_enable(log_);
    }
    static GuestPhysAddr gpa(unsigned i) { return EPT_TEST_GPA + i * PAGE_SIZE; }
    EptEntry* leaf(unsigned i) { return eg_.ept().entry(gpa(i), 1); }
    u64 data(unsigned i) const { return *phys_to_ptr<u64>(pages_[i]); }
    u64 log(unsigned index) const { return log_.ptr()[index]; }
    RunResult run() { return eg_.run(); }

private:
    EptGuest eg_;
    PhysAddr pages_[PML_PAGES + 1] = {};
    ScratchPage log_;
};

// Page-modification logging (SDM 29.3.6 "Page-Modification Logging"; 28.2.5
// in older SDMs). Expect: each write that sets an EPT dirty flag from 0 to 1
// logs its 4 KiB-aligned GPA at the PML index, which then decrements; reads
// and writes to already-dirty pages log nothing; with the index outside
// 0-511 a write that would set a dirty flag causes a PML-full exit (62)
// instead of happening, and leaves D clear; PML needs EPT and a 4 KiB-aligned
// PML address (27.2.1.1, else VMfailValid(7)).
void test_pml()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    static WriteBox box;
    {
        PmlGuest pg(&box);
        if (!pg.ready("pml logging"))
            return;
        box = {PmlGuest::gpa(0).raw(), PML_PAGES, PmlGuest::gpa(PML_PAGES).raw() + 8};
        if (!expect_done(pg.run(), "L2 writes %u pages and reads one", PML_PAGES))
            return;
        for (unsigned i = 0; i < PML_PAGES; i++)
            report_eq(pg.log(511 - i), PmlGuest::gpa(i).raw(), "first write to page %u logged at index %u", i, 511 - i);
        report_eq(vmcs_read(F::GUEST_PML_INDEX), 511 - PML_PAGES, "PML index decremented once per logged page");
        report_eq(pg.log(511 - PML_PAGES), PML_MARK, "the read-only page is not logged");
        bool dirty = true;
        for (unsigned i = 0; i < PML_PAGES; i++)
            dirty = dirty && pg.leaf(i)->dirty();
        report(dirty, "EPT D flag set on every written page");
        EptEntry* rd = pg.leaf(PML_PAGES);
        report_eq(rd->raw() & (EptEntry::A | EptEntry::D), EptEntry::A, "read page: EPT A set, D clear");
    }
    {
        PmlGuest pg(&box);
        if (!pg.ready("pml already dirty"))
            return;
        for (unsigned i = 0; i < PML_PAGES; i++)
            *pg.leaf(i) = pg.leaf(i)->with(EptEntry::A | EptEntry::D);
        box = {PmlGuest::gpa(0).raw(), PML_PAGES, 0};
        if (!expect_done(pg.run(), "L2 writes %u pages whose D flags are already set", PML_PAGES))
            return;
        report_eq(vmcs_read(F::GUEST_PML_INDEX), 511, "writes to already-dirty pages log nothing (index stays 511)");
        report_eq(pg.log(511), PML_MARK, "log entry 511 untouched");
    }
    {
        PmlGuest pg(&box);
        if (!pg.ready("pml full") || !vmcs_write(F::GUEST_PML_INDEX, 1))
            return;
        box = {PmlGuest::gpa(0).raw(), 3, 0};
        RunResult r = pg.run();
        if (!expect_exit(r, ExitReason::PML_FULL, "index 1, three page writes: PML-full exit at the third"))
            return;
        report_eq(pg.log(1), PmlGuest::gpa(0).raw(), "PML full: page 0 logged at index 1");
        report_eq(pg.log(0), PmlGuest::gpa(1).raw(), "PML full: page 1 logged at index 0");
        report_eq(vmcs_read(F::GUEST_PML_INDEX), 0xffff, "PML full: index went from 0 to 0xffff");
        report_eq(r.exit.qualification & ~(1ull << 12), 0, "PML full: exit qualification 0 except NMI unblocking");
        report(!pg.leaf(2)->dirty(), "PML full: page 2's D flag not set");
        report_eq(pg.data(2), 0, "PML full: the triggering write did not occur");
        if (!vmcs_write(F::GUEST_PML_INDEX, 511))
            return;
        if (expect_done(pg.run(), "index reset to 511: VMRESUME completes the write")) {
            report_eq(pg.log(511), PmlGuest::gpa(2).raw(), "after resume: page 2 logged at index 511");
            report_eq(pg.data(2), 0x1002, "after resume: the write reached page 2");
        }
    }
    {
        PmlGuest pg(&box);
        if (!pg.ready("pml unaligned address") || !vmcs_write(F::PML_ADDRESS, vmcs_read(F::PML_ADDRESS) | 0x800))
            return;
        box = {PmlGuest::gpa(0).raw(), 1, 0};
        expect_control_fail(pg.run(), "PML address not 4 KiB aligned: VMfailValid(7)");
    }
    {
        ScratchPage log;
        Guest g(l2_nothing);
        if (!g.ready() || !vmcs_write(F::PML_ADDRESS, log.pa.raw()) || !vmcs_write(F::GUEST_PML_INDEX, 511) ||
            !enable_proc2(proc2::PML))
            return;
        expect_control_fail(g.run(), "PML without EPT: VMfailValid(7)");
    }
}

// The log entries written since the PML index was from, down to now
// (oldest first), into out, at most max; returns their count. A test build
// that simulates a hypervisor logging a page twice (simulate.hh) repeats the
// newest entry here.
unsigned pml_entries_since(const ScratchPage& log, u64 from, u64 now, u64* out, unsigned max)
{
    unsigned n = 0;
    for (u64 i = from; i > now && i <= 511 && n < max; i--)
        out[n++] = log.ptr()[i];
    if (simulate::PML_TWICE && n && n < max)
        out[n] = out[n - 1], n++;
    return n;
}

// One check: the entries logged since the PML index was from match the
// model's entries from `first` on (pml_compare: each once, page-aligned,
// nothing else). A mismatch that is exactly Bochs <= 2.7's page offset in
// the entries (errata ept.pml-offset) is that deviation.
template <class... Args>
bool check_pml_log(const ScratchPage& log, u64 from, const PmlModel& m, unsigned first, Here fmt, const Args&... args)
{
    u64 now = vmcs_read(F::GUEST_PML_INDEX) & 0xffff;
    u64 got[PmlModel::MAX], pages[PmlModel::MAX];
    unsigned n = pml_entries_since(log, from, now, got, PmlModel::MAX);
    PmlMismatch mm = pml_compare(got, n, m, first);
    for (unsigned k = 0; k < n; k++)
        pages[k] = PmlModel::page(got[k]);
    const char* deviation =
        mm == PmlMismatch::NotAligned && pml_compare(pages, n, m, first) == PmlMismatch::None ? known_deviation("ept.pml-offset") : nullptr;
    char exp[160], act[200];
    usize at = snformat(exp, sizeof(exp), "%u entries:", m.count() - first);
    for (unsigned k = first; k < m.count() && at < sizeof(exp); k++)
        at += snformat(exp + at, sizeof(exp) - at, " %#lx", m.entry(k));
    at = snformat(act, sizeof(act), "%s; index %lu -> %lu:", pml_mismatch_name(mm), from, now);
    for (unsigned k = 0; k < n && at < sizeof(act); k++)
        at += snformat(act + at, sizeof(act) - at, " %#lx", got[k]);
    Diagnostic d{exp, act};
    return report_check(mm == PmlMismatch::None, &d, deviation, fmt, args...);
}

// PML precisely (SDM Vol. 3C 29.3.6 "Page-Modification Logging", 29.3.5
// "Accessed and Dirty Flags for EPT"; 28.2.5 / 28.2.4 in older SDMs). L2
// runs on its own paging structures in the EPT test window (L2Paging: PML4,
// PDPT, PD, PT pages and the data page, each behind a 4 KiB EPT leaf with A
// and D clear; L1's memory preset dirty) and accesses the data page at
// L2_WALK_LA + 0x238: the linear address differs from the GPA and the
// access is inside the page. Expect, against the host-tested model
// (pml_model.hh): each EPT D flag going 0 -> 1 logs the GPA with bits 11:0
// clear (29.3.6); with EPT A/D on the walk's accesses to the guest paging
// structures count as writes (29.3.5), so the first access logs the four
// table pages; the read sets A only on the data page and logs nothing; the
// first write logs the data page once (also when it sets the guest PTE's D:
// the PT page is dirty already); the second write to it logs nothing.
void test_pml_precise()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    constexpr u64 OFF = 0x238, OFF2 = 0x640;
    EptStepper s(EptOptions{.ad = true});
    ScratchPage log;
    if (!s.ready("pml precise") || !pml_identity_dirty(s.ept(), "pml precise"))
        return;
    if (!pml_enable(log))
        return report_error("pml precise: turning PML on failed");
    L2Paging pt(s.ept());
    if (!pt.ok())
        return report_error("pml precise: building L2's paging structures failed");
    *pt.entry(1) &= ~Pte::D; // the first write sets the guest PTE's D flag
    const u64 data = pt.data_gpa().raw();
    PmlModel m;
    RunResult r = s.step(L2Op::Read, L2_WALK_LA + OFF);
    if (!expect_step(s, r, "read at L2_WALK_LA + %#lx completes", OFF))
        return;
    for (int level = 4; level >= 1; level--)
        m.access(L2Paging::gpa(level).raw() + 8 * pt_index(L2_WALK_LA, level), PmlAccess::PagingStructure);
    m.access(data + OFF, PmlAccess::Read);
    check_pml_log(log, 511, m, 0, "after the read: the 4 guest paging-structure pages logged, each once, page-aligned");
    report_eq(pt.ept_leaf(0)->raw() & (EptEntry::A | EptEntry::D), EptEntry::A, "after the read: data page EPT A set, D clear");

    u64 index = vmcs_read(F::GUEST_PML_INDEX) & 0xffff;
    unsigned before = m.count();
    r = s.step(L2Op::Write, L2_WALK_LA + OFF, 0x1234);
    if (!expect_step(s, r, "write at L2_WALK_LA + %#lx completes", OFF))
        return;
    m.access(L2Paging::gpa(1).raw() + 8 * pt_index(L2_WALK_LA, 1), PmlAccess::PagingStructure);
    m.access(data + OFF, PmlAccess::Write);
    check_pml_log(log, index, m, before, "first write after the read: the data page logged once, page-aligned");
    report_eq(*pt.entry(1) & Pte::D, Pte::D, "first write: the guest PTE's D flag set (a write to the dirty PT page)");
    report_eq(pt.ept_leaf(0)->raw() & EptEntry::D, EptEntry::D, "first write: data page EPT D set");

    index = vmcs_read(F::GUEST_PML_INDEX) & 0xffff;
    before = m.count();
    r = s.step(L2Op::Write, L2_WALK_LA + OFF2, 0x5678);
    if (!expect_step(s, r, "second write at L2_WALK_LA + %#lx completes", OFF2))
        return;
    m.access(data + OFF2, PmlAccess::Write);
    check_pml_log(log, index, m, before, "second write (D already set): nothing logged");
    report_eq(*phys_to_ptr<u64>(pt.page(0) + OFF2), 0x5678, "second write reached the data page");
}

// ---------------------------------------------------------------------------
// EPT-violation #VE

constexpr u16 VE_EPTP_INDEX = 3;
constexpr u64 QUAL_NMI_UNBLOCKING = 1ull << 12; // undefined in the #VE copy
// L2 reaches the test page through this linear alias (an extra mapping in
// L1's page tables, which L2 shares), so that the guest-linear and the
// guest-physical address of a violation differ and each is checked in its
// own place.
constexpr u64 VE_ALIAS_LA = 0x0000004000000000ull; // 256 GiB, unused by the kernels
static_assert(VE_ALIAS_LA != EPT_TEST_GPA.raw());

// An EPT guest running l2_access with #VE on: the VE information area,
// EPTP_INDEX = VE_EPTP_INDEX, and a test page mapped at perms (4 KiB leaf,
// suppress-#VE clear) at EPT_TEST_GPA, which L2 reaches at VE_ALIAS_LA.
class VeGuest {
public:
    explicit VeGuest(L2Mailbox* box) : eg_(l2_access, reinterpret_cast<u64>(box)) {}
    ~VeGuest()
    {
        if (aliased_)
            (void)unmap_page(current_page_root(), VirtAddr(VE_ALIAS_LA));
    }
    VeGuest(const VeGuest&) = delete;
    VeGuest& operator=(const VeGuest&) = delete;
    bool ready(const char* what, u64 perms, bool enable_ve = true)
    {
        if (!eg_.ready(what))
            return false;
        gpa_ = map_test_page(eg_.ept(), backing_.pa, perms, 1);
        aliased_ = gpa_.raw() && map_page(current_page_root(), VirtAddr(VE_ALIAS_LA), PhysAddr(gpa_.raw()),
                                          Pte::P | Pte::RW) == WalkStatus::Ok;
        if (!aliased_ || !ve_.pa.raw()) {
            report_error("%s: mapping the test page failed", what);
            return false;
        }
        return vmcs_write(F::VE_INFORMATION_ADDRESS, ve_.pa.raw()) && vmcs_write(F::EPTP_INDEX, VE_EPTP_INDEX) &&
               enable_proc2(enable_ve ? proc2::EPT_VE : 0);
    }
    VeInfo& ve() { return *ve_.ptr<VeInfo>(); }
    u8* ve_bytes() { return ve_.ptr<u8>(); }
    u64 la() const { return VE_ALIAS_LA + 0x80; }      // what L2 accesses
    u64 gpa() const { return gpa_.raw() + 0x80; }       // its guest-physical address
    u64 backing_word() const { return backing_.ptr()[0x80 / 8]; }
    EptEntry* leaf() { return eg_.ept().entry(gpa_, 1); }
    // What ept_expect() (lib/x86/vmx/ept_qual.hh) derives from the real
    // entries of the walk to the test page (PML4E .. PTE) for access.
    EptExpect expect(EptAccess access)
    {
        u64 walk[4] = {};
        for (int level = 4; level >= 1; level--) {
            EptEntry* e = eg_.ept().entry(gpa_, level);
            walk[4 - level] = e ? e->raw() : 0;
        }
        return ept_expect(walk, 4, 4, EptProbe{.access = access}, ept_rules_here());
    }
    Eptp eptp() const { return eg_.eptp(); }
    RunResult run() { return eg_.run(); }

private:
    EptGuest eg_;
    ScratchPage backing_, ve_;
    GuestPhysAddr gpa_;
    bool aliased_ = false;
};

// Reads the little-endian value of size bytes at offset of the VE area.
u64 ve_field(VeGuest& vg, unsigned offset, unsigned size)
{
    u64 v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= static_cast<u64>(vg.ve_bytes()[offset + i]) << (8 * i);
    return v;
}

// Each field of the information area at its SDM offset (26.5.7.2): exit
// reason at 0, the word at 4, the whole qualification at 8 (as ept_expect
// derives it from the walk, bit 12 undefined there), guest-linear address at
// 16, guest-physical address at 24, EPTP index at 32 (16 bits).
void check_ve_info(VeGuest& vg, EptAccess access, const char* what)
{
    EptExpect e = vg.expect(access);
    u64 mask = e.qual_mask & ~QUAL_NMI_UNBLOCKING;
    report_eq(ve_field(vg, 0, 4), static_cast<u32>(ExitReason::EPT_VIOLATION), "%s: VE info offset 0: exit reason 48", what);
    report_eq(ve_field(vg, 4, 4), 0xffffffff, "%s: VE info offset 4: set to 0xffffffff", what);
    report_eq(ve_field(vg, 8, 8) & mask, e.qual & mask, "%s: VE info offset 8: the whole qualification", what);
    report_eq(ve_field(vg, 16, 8), vg.la(), "%s: VE info offset 16: guest-linear address", what);
    report_eq(ve_field(vg, 24, 8), vg.gpa(), "%s: VE info offset 24: guest-physical address", what);
    u64 index = ve_field(vg, 32, 2);
    char exp[48], act[48];
    snformat(exp, sizeof(exp), "%u (EPTP-index field)", VE_EPTP_INDEX);
    snformat(act, sizeof(act), "%lu (field reads %lu)", index, vmcs_read(F::EPTP_INDEX));
    check_known("ept.ve-eptp-index", index == VE_EPTP_INDEX, {exp, act},
                "%s: VE info offset 32: EPTP index = the EPTP-index field", what);
}

// EPT-violation #VE (SDM 26.5.7; 29.3.3.2 for the suppress-#VE bit). Expect:
// an EPT violation on a leaf with suppress-#VE (bit 63) clear, while the VE
// info word at offset 4 is 0, becomes #VE (vector 20) in L2 (here an
// exception exit, bitmap bit 20 set) after the info area receives exit
// reason, qualification, GLA, GPA (L2 uses a linear alias, so they differ)
// and EPTP index and the word becomes 0xffffffff; the access does not
// happen; with the word non-zero, with suppress-#VE set, or with the control
// off, the violation is a VM exit (48) with the GLA and GPA in the exit
// fields; VM entry checks the #VE information address: bits 11:0 zero, no
// bit at or above MAXPHYADDR (27.2.1.1), else VMfailValid(7).
void test_ept_ve()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    static L2Mailbox box;
    {
        VeGuest vg(&box);
        if (!vg.ready("#VE write", R))
            return;
        box = {L2Op::Write, vg.la(), 0x1111222233334444ull};
        RunResult r = vg.run();
        if (!expect_exception(r, VE_VECTOR, false, "write to an R page: #VE, exception exit with vector 20"))
            return;
        check_ve_info(vg, EptAccess::Write, "write");
        report_eq(vg.backing_word(), 0, "write: the write did not reach the page");
        vg.ve().reason = 0x5a5a;
        r = vg.run();
        if (expect_exit(r, ExitReason::EPT_VIOLATION, "VE info word not 0: the violation is a VM exit (48)")) {
            EptExpect e = vg.expect(EptAccess::Write);
            report_eq(r.exit.qualification & e.qual_mask, e.qual, "exit after #VE: the whole qualification");
            report_eq(r.exit.guest_linear, vg.la(), "exit after #VE: guest-linear address field");
            report_eq(r.exit.guest_phys, vg.gpa(), "exit after #VE: guest-physical address field");
            report_eq(vg.ve().reason, 0x5a5a, "exit after #VE: the VE info area is not rewritten");
        }
        vg.ve().busy = 0;
        *vg.leaf() = vg.leaf()->with(EptEntry::SUPPRESS_VE);
        InveptCall inv = invept_checked(InveptType::SingleContext, vg.eptp());
        if (inv.supported && !inv.result.ok())
            return report_error("INVEPT single-context: %s", vmx_result_str(inv.result));
        r = vg.run();
        expect_exit(r, ExitReason::EPT_VIOLATION, "suppress-#VE set: the violation is a VM exit (48)");
        report_eq(vg.ve().busy, 0, "suppress-#VE set: the VE info word stays 0");
    }
    {
        VeGuest vg(&box);
        if (!vg.ready("#VE read", 0))
            return;
        box = {L2Op::Read, vg.la(), 0};
        if (expect_exception(vg.run(), VE_VECTOR, false, "read of a not-present page (bit 63 clear): #VE"))
            check_ve_info(vg, EptAccess::Read, "read");
    }
    {
        VeGuest vg(&box);
        if (!vg.ready("#VE control off", R, false))
            return;
        box = {L2Op::Write, vg.la(), 1};
        expect_exit(vg.run(), ExitReason::EPT_VIOLATION, "'EPT-violation #VE' off: the violation is a VM exit (48)");
        report_eq(vg.ve().busy, 0, "'EPT-violation #VE' off: the VE info area is not written");
    }
    struct BadAddress {
        u64 (*address)(u64 valid);
        const char* what;
    };
    constexpr BadAddress bad[] = {
        {[](u64 a) { return a | 0x800; }, "#VE information address not 4 KiB aligned: VMfailValid(7)"},
        {[](u64 a) { return a | 1ull << cpu_maxphyaddr(); }, "#VE information address beyond MAXPHYADDR: VMfailValid(7)"},
    };
    for (const BadAddress& b : bad) {
        VeGuest vg(&box);
        if (!vg.ready(b.what, R) ||
            !vmcs_write(F::VE_INFORMATION_ADDRESS, b.address(vmcs_read(F::VE_INFORMATION_ADDRESS))))
            return;
        box = {L2Op::Read, vg.la(), 0};
        expect_control_fail(vg.run(), "%s", b.what);
    }
}

// ---------------------------------------------------------------------------
// VMFUNC EPTP switching

constexpr u64 PATTERN_A = 0xaaaa0000aaaa0000ull, PATTERN_B = 0xbbbb1111bbbb1111ull;

struct VmfuncBox {
    u32 leaf, index;
    u64 addr;          // read before and after VMFUNC
    u64 before, after;
};

void l2_vmfunc(u64 arg)
{
    auto* b = reinterpret_cast<volatile VmfuncBox*>(arg);
    b->before = *reinterpret_cast<volatile u64*>(b->addr);
    asm volatile("vmfunc" ::"a"(b->leaf), "c"(b->index) : "memory");
    b->after = *reinterpret_cast<volatile u64*>(b->addr);
}

// EPTP-list entries that are not valid EPTPs (27.2.1.1 rules, also
// host-tested in eptp_valid), built from the valid second EPTP.
struct BadListEntry {
    unsigned index; // where it sits in the list
    u64 (*make)(u64 valid);
    const char* what;
};
constexpr BadListEntry kBadListEntries[] = {
    {2, [](u64) { return 0ull; }, "VMFUNC(0, 2): list entry 0 (walk length 1)"},
    {3, [](u64 e) { return e | 1ull << 8; }, "VMFUNC(0, 3): list entry with reserved bit 8"},
    {4, [](u64 e) { return (e & ~(7ull << 3)) | 2ull << 3; }, "VMFUNC(0, 4): list entry with walk length 3"},
    {5, [](u64 e) { return (e & ~7ull) | 1; }, "VMFUNC(0, 5): list entry with memory type 1"},
    {6, [](u64 e) { return e | 1ull << cpu_maxphyaddr(); }, "VMFUNC(0, 6): list entry with the bit at MAXPHYADDR set"},
};

// The EPTP list and the page right after it, contiguous, freed when the
// scope ends: a hypervisor that read entry 512 would read offset 0 of the
// second page.
struct EptpListPages {
    PhysAddr pa = alloc_pages(2);
    EptpListPages() = default;
    ~EptpListPages()
    {
        if (pa.raw()) {
            free_page(pa);
            free_page(pa + PAGE_SIZE);
        }
    }
    EptpListPages(const EptpListPages&) = delete;
    EptpListPages& operator=(const EptpListPages&) = delete;
    u64* ptr() const { return phys_to_ptr<u64>(pa); }
};

// An EPT guest with VM functions on and EPTP switching enabled. EPTP list:
// [0] the guest's EPTP (EPT_TEST_GPA -> page A), [1] and [511] a second EPT
// (identity map too, EPT_TEST_GPA -> page B), the invalid EPTPs of
// kBadListEntries, every other entry 0; the second EPT's EPTP also sits
// right after the list (where an index of 512 would point), so a hypervisor
// that reads past the list switches visibly instead of exiting. The EPTP-index field is written
// (0) only where it exists: with the 1-setting of 'EPT-violation #VE'
// allowed (SDM Vol. 3C 25.6.20 / 26.5.6.3).
class VmfuncGuest {
public:
    explicit VmfuncGuest(VmfuncBox* box) : eg_(l2_vmfunc, reinterpret_cast<u64>(box)) {}
    static bool has_index_field() { return vmx_caps().has_proc2(proc2::EPT_VE); }
    bool ready(const char* what, bool enable_vmfunc = true)
    {
        if (!eg_.ready(what))
            return false;
        *a_.ptr() = PATTERN_A;
        *b_.ptr() = PATTERN_B;
        GuestPhysAddr ga = map_test_page(eg_.ept(), a_.pa, R | W, 1);
        GuestPhysAddr gb = map_test_page(ept2_, b_.pa, R | W, 1);
        EptpResult e2 = setup_eptp(ept2_.root(), vmx_caps().ept_vpid, {});
        if (!ga.raw() || !gb.raw() || !list_.pa.raw() || !e2.ok || !ept2_.identity_map(ept_identity_size(), R | W | X)) {
            report_error("%s: building the second EPT failed", what);
            return false;
        }
        addr_ = ga.raw();
        eptp2_ = e2.eptp;
        list_.ptr()[0] = eg_.eptp().raw();
        list_.ptr()[1] = eptp2_.raw();
        list_.ptr()[511] = eptp2_.raw();
        list_.ptr()[512] = eptp2_.raw(); // offset 0 of the page after the list
        for (const BadListEntry& b : kBadListEntries) {
            list_.ptr()[b.index] = b.make(eptp2_.raw());
            if (eptp_valid(list_.ptr()[b.index], vmx_caps().ept_vpid, cpu_maxphyaddr())) {
                report_error("%s: %s is a valid EPTP here", what, b.what);
                return false;
            }
        }
        return vmcs_write(F::EPTP_LIST_ADDRESS, list_.pa.raw()) && vmcs_write(F::VM_FUNCTION_CONTROL, 1) &&
               (!has_index_field() || vmcs_write(F::EPTP_INDEX, 0)) && enable_proc2(enable_vmfunc ? proc2::VMFUNC : 0);
    }
    u64 addr() const { return addr_; }
    Eptp eptp() const { return eg_.eptp(); }
    Eptp eptp2() const { return eptp2_; }
    Guest& guest() { return eg_.guest(); }
    RunResult run() { return eg_.run(); }

private:
    EptGuest eg_;
    Ept ept2_;
    ScratchPage a_, b_;
    EptpListPages list_;
    u64 addr_ = 0;
    Eptp eptp2_;
};

// The EPTP-index field after a VMFUNC: want where the field exists; where it
// does not, VMREAD of it fails with VMfailValid(12) (unsupported component).
void check_eptp_index(u64 want, const char* what)
{
    if (VmfuncGuest::has_index_field()) {
        report_eq(vmcs_read(F::EPTP_INDEX), want, "%s: EPTP-index field", what);
        return;
    }
    u64 v = 0;
    expect_vmx(vmread(static_cast<u32>(F::EPTP_INDEX), &v), VmxResult::fail_valid(static_cast<u32>(VmxInsnError::UNSUPPORTED_VMCS_COMPONENT)),
               "%s: no EPTP-index field without 'EPT-violation #VE': VMREAD fails with VMfailValid(12)", what);
}

// VMFUNC (SDM 26.5.6, 26.5.6.3; Vol. 2B VMFUNC; 27.2.1.1). Expect: leaf 0
// with index 1 or 511 (the last entry) loads that EPTP list entry into the
// EPT pointer and, where the field exists, the index into the EPTP-index
// field, without an exit, so L2 reads page B at the address that showed
// page A; an index >= 512 (also with a valid EPTP right after the list,
// where entry 512 would be), a list entry that is not a valid EPTP (0,
// reserved bit, walk length 3, memory type 1, bit at MAXPHYADDR), a leaf
// whose VM-function control bit is 0 each cause a VM exit with reason VMFUNC
// (59) that leaves the EPTP and the index unchanged; EAX >= 64, or 'enable
// VM functions' off, is #UD (Vol. 2B VMFUNC); EPTP switching needs EPT and a
// 4 KiB-aligned EPTP list address, and only VM-function bits IA32_VMX_VMFUNC
// allows (else VMfailValid(7)).
void test_vmfunc()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    static VmfuncBox box;
    struct GoodCall {
        u32 index;
        const char* what;
    };
    constexpr GoodCall good[] = {{1, "VMFUNC(0, 1)"}, {511, "VMFUNC(0, 511): the last list entry"}};
    for (const GoodCall& c : good) {
        VmfuncGuest vg(&box);
        if (!vg.ready(c.what))
            return;
        box = {0, c.index, vg.addr(), 0, 0};
        if (expect_done(vg.run(), "%s: no VM exit", c.what)) {
            report_eq(box.before, PATTERN_A, "%s: before the switch L2 reads page A (list entry 0)", c.what);
            report_eq(box.after, PATTERN_B, "%s: after the switch L2 reads page B", c.what);
            report_eq(vmcs_read(F::EPT_POINTER), vg.eptp2().raw(), "%s: EPT pointer field = the list entry", c.what);
            check_eptp_index(c.index, c.what);
        }
    }
    struct BadCall {
        u32 leaf, index;
        const char* what;
    };
    BadCall bad[3 + array_size(kBadListEntries)] = {
        {0, 512, "VMFUNC(0, 512): index beyond the list"}, // a valid EPTP sits right after it
        {0, 0xffffffff, "VMFUNC(0, 0xffffffff): index beyond the list"},
        {1, 0, "VMFUNC(1, 0): VM-function control bit 1 is 0"},
    };
    for (unsigned i = 0; i < array_size(kBadListEntries); i++)
        bad[3 + i] = {0, kBadListEntries[i].index, kBadListEntries[i].what};
    for (const BadCall& c : bad) {
        VmfuncGuest vg(&box);
        if (!vg.ready(c.what))
            return;
        box = {c.leaf, c.index, vg.addr(), 0, 0};
        RunResult r = vg.run();
        if (!expect_exit(r, ExitReason::VMFUNC, "%s: VM exit 59", c.what))
            continue;
        report_eq(vmcs_read(F::EPT_POINTER), vg.eptp().raw(), "%s: EPT pointer unchanged", c.what);
        check_eptp_index(0, c.what);
        if (c.index == 512) {
            vg.guest().skip_instruction();
            if (expect_done(vg.run(), "%s: L2 continues after the instruction", c.what))
                report_eq(box.after, PATTERN_A, "%s: L2 still reads page A", c.what);
        }
    }
    {
        VmfuncGuest vg(&box);
        if (!vg.ready("vmfunc leaf 64"))
            return;
        box = {64, 0, vg.addr(), 0, 0};
        expect_exception(vg.run(), 6, false, "VMFUNC(64, 0): EAX >= 64 raises #UD, no VMFUNC exit");
    }
    {
        VmfuncGuest vg(&box);
        if (!vg.ready("vmfunc disabled", false))
            return;
        box = {0, 1, vg.addr(), 0, 0};
        expect_exception(vg.run(), 6, false, "'enable VM functions' off: VMFUNC raises #UD");
    }
    {
        VmfuncGuest vg(&box);
        if (!vg.ready("vmfunc list unaligned") || !vmcs_write(F::EPTP_LIST_ADDRESS, vmcs_read(F::EPTP_LIST_ADDRESS) | 0x8))
            return;
        expect_control_fail(vg.run(), "EPTP list address not 4 KiB aligned: VMfailValid(7)");
    }
    if (u64 bad_bit = ~vmx_caps().vmfunc & ~1ull) {
        VmfuncGuest vg(&box);
        bad_bit &= -bad_bit; // lowest VM-function control the CPU does not allow
        if (!vg.ready("vmfunc bad control") || !vmcs_write(F::VM_FUNCTION_CONTROL, 1 | bad_bit))
            return;
        expect_control_fail(vg.run(), "lowest VM-function control IA32_VMX_VMFUNC does not allow: VMfailValid(7)");
    } else {
        report_skip("IA32_VMX_VMFUNC allows every bit", "lowest VM-function control IA32_VMX_VMFUNC does not allow");
    }
    {
        ScratchPage list;
        Guest g(l2_nothing);
        if (!g.ready() || !vmcs_write(F::EPTP_LIST_ADDRESS, list.pa.raw()) || !vmcs_write(F::VM_FUNCTION_CONTROL, 1) ||
            !enable_proc2(proc2::VMFUNC))
            return;
        expect_control_fail(g.run(), "EPTP switching without EPT: VMfailValid(7)");
    }
}

// ---------------------------------------------------------------------------
// Mode-based execute control

// Mode-based execute control for EPT (SDM 29.3.3.2, 27.2.1.1). L2 runs at
// CPL 0 on L1's page tables, whose leaves are supervisor (U/S=0), so its
// fetches are supervisor-mode linear accesses: with MBEC, EPT bit 2 grants
// them (XS) and bit 10 (XU) does not. Expect: the outcome and the whole
// qualification that ept_expect() (lib/x86/vmx/ept_qual.hh, host-tested)
// derives from the walk's real entries: a fetch from an R+XS page and a read
// of an R+XU page complete (L2 gets the value the code returns), a fetch
// from an R+XU page is an EPT violation whose bit 6 is the AND of bit 10
// over every entry (0 under our non-leaf entries, 1 once they set bit 10
// too); MBEC without EPT is VMfailValid(7). User-mode (CPL 3) fetches, where
// XU decides, are covered by ept_perm's user-mode L2.
void test_mbec()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    {
        Guest g(l2_nothing);
        if (!g.ready() || !vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) ||
            !vmcs_write(F::SECONDARY_VM_EXEC_CONTROL, proc2::MBEC))
            return;
        expect_control_fail(g.run(), "MBEC without EPT: VMfailValid(7)");
    }
    struct Row {
        u64 perms;
        bool tables_xu; // the non-leaf entries of the walk also get bit 10
        L2Op op;
        const char* what;
    };
    const Row rows[] = {
        {R | X, false, L2Op::Fetch, "supervisor fetch from R+XS"},
        {R | EptEntry::XU, false, L2Op::Fetch, "supervisor fetch from R+XU"},
        {R | EptEntry::XU, true, L2Op::Fetch, "supervisor fetch from R+XU, tables with XU"},
        {R | EptEntry::XU, false, L2Op::Read, "read from R+XU"},
    };
    static L2Mailbox box;
    ScratchPage backing;
    plant_fetch_stub(backing.ptr<u8>() + 0x80, 0x3bec);
    for (const Row& row : rows) {
        EptGuest eg(l2_access, reinterpret_cast<u64>(&box));
        if (!eg.ready(row.what) || !enable_proc2(proc2::MBEC))
            return;
        GuestPhysAddr gpa = map_test_page(eg.ept(), backing.pa, row.perms, 1);
        if (!gpa.raw())
            return report_error("%s: mapping the test page failed", row.what);
        u64 walk[4] = {};
        for (int level = 4; level >= 1; level--) {
            EptEntry* e = eg.ept().entry(gpa, level);
            if (!e)
                return report_error("%s: no level-%d entry on the walk", row.what, level);
            if (row.tables_xu && level > 1)
                *e = e->with(EptEntry::XU);
            walk[4 - level] = e->raw();
        }
        if (!ept_invalidate(eg.eptp(), row.what))
            return;
        box = {row.op, gpa.raw() + 0x80, 0};
        RunResult r = eg.run();
        EptProbe access{.access = ept_access_of(row.op)};
        EptExpect e = ept_expect(walk, 4, 4, access, ept_rules_here(true));
        if (e.outcome == EptOutcome::Ok) {
            if (expect_done(r, "%s: completes without an exit", row.what) && row.op == L2Op::Fetch)
                report_eq(box.value, 0x3bec, "%s: L2 executed the code in the page", row.what);
            continue;
        }
        if (!expect_exit(r, ExitReason::EPT_VIOLATION, "%s: EPT violation", row.what))
            continue;
        report_eq(r.exit.qualification & e.qual_mask, e.qual,
                  "%s: the whole qualification (bit 6 = AND of bit 10 over the walk)", row.what);
    }
}

const char* needs_urg()
{
    return needs_proc2(proc2::UNRESTRICTED_GUEST,
                       "secondary control 'unrestricted guest' not allowed (IA32_VMX_PROCBASED_CTLS2[39], secondary bit 7)");
}
const char* needs_pml()
{
    if (const char* why = needs_proc2(proc2::PML, "secondary control 'enable PML' not allowed (IA32_VMX_PROCBASED_CTLS2[49], secondary bit 17)"))
        return why;
    return vmx_caps().ept_has(ept_cap::AD) ? nullptr : "EPT accessed/dirty flags not supported (IA32_VMX_EPT_VPID_CAP[21])";
}
const char* needs_ve()
{
    return needs_proc2(proc2::EPT_VE, "secondary control 'EPT-violation #VE' not allowed (IA32_VMX_PROCBASED_CTLS2[50], secondary bit 18)");
}
const char* needs_vmfunc()
{
    if (const char* why = needs_proc2(proc2::VMFUNC, "secondary control 'enable VM functions' not allowed (IA32_VMX_PROCBASED_CTLS2[45], secondary bit 13)"))
        return why;
    return vmx_caps().vmfunc & 1 ? nullptr : "VM function 0 'EPTP switching' not allowed (IA32_VMX_VMFUNC[0])";
}
const char* needs_mbec()
{
    return needs_proc2(proc2::MBEC, "secondary control 'mode-based execute control for EPT' not allowed (IA32_VMX_PROCBASED_CTLS2[54], secondary bit 22)");
}

constexpr TestCase kCases[] = {
    {"unrestricted_guest", test_unrestricted_guest, needs_urg},
    {"pml", test_pml, needs_pml},
    {"pml_precise", test_pml_precise, needs_pml},
    {"ept_ve", test_ept_ve, needs_ve},
    {"vmfunc_eptp_switch", test_vmfunc, needs_vmfunc},
    {"mbec", test_mbec, needs_mbec},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
