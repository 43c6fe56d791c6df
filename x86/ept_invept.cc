// ept_invept: the INVEPT instruction (SDM Vol. 3C 31.3, INVEPT) and EPT
// changes made visible by it.
//
// invept_*: outcomes of INVEPT by type, operand and operating mode (VMsucceed,
// VMfailValid(28) "invalid operand to INVEPT/INVVPID", VMfailInvalid, #UD,
// #GP, a VM exit in VMX non-root operation), then L2 seeing a new page frame
// and new permissions once L1 has changed a leaf and executed INVEPT.
// remap_*: the leaf transitions of KVM's mmu-notifier change_pte rules
// (read-only <-> read/write, same or different page frame), each made
// visible with single-context INVEPT while L2 keeps running (29.4.3.1).
#include "console.hh"
#include "errata.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/cpu.hh"
#include "x86/fault.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

constexpr u64 R = EptEntry::R, W = EptEntry::W;
constexpr u64 PATTERN_A = 0xaaaa0000aaaa0001ull; // in the first page frame
constexpr u64 PATTERN_B = 0xbbbb0000bbbb0002ull; // in the second page frame
constexpr u64 NEW_VALUE = 0x5555aaaa5555aaaaull; // what L2 writes
constexpr u64 OFFSET = 0x80;                     // where L2 accesses in the page
constexpr u32 ERR_INVALID_OPERAND = static_cast<u32>(VmxInsnError::INVALID_INVEPT_INVVPID_OPERAND);


const VmxResult kFail28 = VmxResult::fail_valid(ERR_INVALID_OPERAND);
const VmxResult kUD = VmxResult::faulted(Fault(vec::UD, 0));
const VmxResult kGP0 = VmxResult::faulted(Fault(vec::GP, 0));

// INVEPT with the descriptor at an arbitrary linear address (no VMX status).
Fault invept_at(u64 type, u64 desc_addr)
{
    fixup_arm();
    asm volatile("1: invept (%1), %0\n2:\n\t" NVMX_EX_TABLE_ENTRY ::"r"(type), "r"(desc_addr) : "cc", "memory");
    return fixup_take();
}

const char* type_name(InveptType t) { return t == InveptType::SingleContext ? "single-context" : "all-context"; }

// ---- INVEPT outcomes -----------------------------------------------------

// INVEPT before VMXON.
// Expect: #UD for every type (31.3, INVEPT: not in VMX operation).
void test_invept_outside_vmx()
{
    if (vmx_active()) {
        report_error("VMX operation left on by an earlier case");
        return;
    }
    expect_vmx(invept(1, 0), kUD, "single-context outside VMX operation: #UD");
    expect_vmx(invept(2, 0), kUD, "all-context outside VMX operation: #UD");
}

// INVEPT types in VMX root operation with a current VMCS and a valid EPTP.
// Expect: a type IA32_VMX_EPT_VPID_CAP reports (bit 25 single-context,
// bit 26 all-context) succeeds; any other type, including 0, 3 and values
// above 32 bits of the 64-bit register operand, is VMfailValid(28) (31.3).
void test_invept_types()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    EptGuest eg(l2_access, 0);
    if (!eg.ready("types"))
        return;
    const VmxCaps& c = vmx_caps();
    u64 eptp = eg.eptp().raw();
    bool single = c.ept_vpid & ept_cap::INVEPT_SINGLE, all = c.ept_vpid & ept_cap::INVEPT_ALL;
    expect_vmx(invept(1, eptp), single ? VmxResult::success() : kFail28,
               "single-context (type 1): VMsucceed with IA32_VMX_EPT_VPID_CAP[25], else VMfailValid(28)");
    expect_vmx(invept(2, eptp), all ? VmxResult::success() : kFail28,
               "all-context (type 2): VMsucceed with IA32_VMX_EPT_VPID_CAP[26], else VMfailValid(28)");
    static constexpr u64 kBadTypes[] = {0, 3, 4, 0xffffffffull, 1ull << 32 | 1, 1ull << 32 | 2, ~0ull};
    for (u64 type : kBadTypes) {
        // Bochs uses only bits 31:0 of the register operand (lib/errata.cc).
        bool low_supported = static_cast<u32>(type) == 1 || static_cast<u32>(type) == 2;
        const char* deviation = type >> 32 && low_supported ? known_deviation("invept.type-64bit") : nullptr;
        report_xfail(deviation, invept(type, eptp) == kFail28, "type %#lx: VMfailValid(28)", type);
    }
}

// Single-context INVEPT whose descriptor holds an EPTP that VM entry would
// reject (27.2.1.1), and all-context INVEPT with the same descriptor: every
// rule VM entry checks, every reserved bit on its own (bit 7 included where
// supervisor shadow stacks are not supported).
// Expect: single-context VMfailValid(28); all-context ignores the EPTP and
// succeeds (31.3, INVEPT operation).
void test_invept_bad_eptp()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    EptGuest eg(l2_access, 0);
    if (!eg.ready("bad EPTP"))
        return;
    const VmxCaps& c = vmx_caps();
    unsigned maxphy = cpu_maxphyaddr();
    u64 good = eg.eptp().raw();
    struct Bad {
        const char* what;
        u64 eptp;            // 0: cannot be built on this CPU
        const char* valid;   // why the EPTP may be valid here (SKIP reason)
    } const bad[] = {
        {"memory type 2", (good & ~7ull) | 2, "memory type 2 accepted"},
        {"memory type 7", (good & ~7ull) | 7, "memory type 7 accepted"},
        {"walk length 1", good & ~(7ull << 3), "walk length 1 accepted"},
        {"walk length 5", (good & ~(7ull << 3)) | (4ull << 3), "5-level EPT supported (IA32_VMX_EPT_VPID_CAP[7])"},
        {"reserved bit 8", good | (1ull << 8), "bit 8 accepted"},
        {"reserved bit 11", good | (1ull << 11), "bit 11 accepted"},
        {"A/D enabled", good | Eptp::AD, "EPT A/D supported (IA32_VMX_EPT_VPID_CAP[21])"},
        {"address bit MAXPHYADDR", maxphy < 52 ? good | (1ull << maxphy) : 0, "MAXPHYADDR is 52"},
    };
    // Single-context must fail, all-context must ignore the EPTP.
    auto probe = [&](const char* what, u64 eptp, const char* valid) {
        bool skip = !eptp || eptp_valid(eptp, c.ept_vpid, maxphy);
        if (skip)
            report_skip(valid, "single-context, EPTP with %s: VMfailValid(28)", what);
        else if (c.ept_vpid & ept_cap::INVEPT_SINGLE)
            expect_vmx(invept(1, eptp), kFail28, "single-context, EPTP with %s: VMfailValid(28)", what);
        else
            report_skip("single-context INVEPT not supported (IA32_VMX_EPT_VPID_CAP[25])", "single-context, EPTP with %s", what);
        if (skip)
            report_skip(valid, "all-context, EPTP with %s: VMsucceed", what);
        else if (c.ept_vpid & ept_cap::INVEPT_ALL)
            expect_vmx(invept(2, eptp), VmxResult::success(), "all-context, EPTP with %s: VMsucceed", what);
        else
            report_skip("all-context INVEPT not supported (IA32_VMX_EPT_VPID_CAP[26])", "all-context, EPTP with %s", what);
    };
    for (const Bad& b : bad)
        probe(b.what, b.eptp, b.valid);
    // Every other reserved bit VM entry rejects (ept_config's eptp case),
    // each alone: bit 7 without supervisor shadow stacks, 9, 10, and each
    // bit above MAXPHYADDR.
    probe("reserved bit 7 (supervisor shadow stack)", good | (1ull << 7),
          "supervisor shadow-stack control supported (IA32_VMX_EPT_VPID_CAP[23])");
    probe("reserved bit 9", good | (1ull << 9), "bit 9 accepted");
    probe("reserved bit 10", good | (1ull << 10), "bit 10 accepted");
    for (unsigned b = maxphy + 1; b < 64; b++) {
        char what[48];
        snformat(what, sizeof(what), "bit %u (63:MAXPHYADDR)", b);
        probe(what, good | (1ull << b), "bit accepted");
    }
}

// INVEPT in VMX root operation with no current VMCS.
// Expect: an invalid type is VMfailInvalid (VMfail without a current VMCS,
// 31.2); supported types still succeed.
void test_invept_no_current_vmcs()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr cur;
    VmxResult r = vmptrst(&cur);
    if (!r.ok() || cur.raw() != ~0ull) {
        report_error("a VMCS is current after VMXON (%#lx, %s)", cur.raw(), vmx_result_str(r));
        return;
    }
    const VmxCaps& c = vmx_caps();
    Ept ept;
    EptpResult e = setup_eptp(ept.root(), c.ept_vpid, {});
    if (!e.ok) {
        report_skip(e.reason, "no current VMCS");
        return;
    }
    expect_vmx(invept(0, e.eptp.raw()), VmxResult::fail_invalid(), "type 0, no current VMCS: VMfailInvalid");
    expect_vmx(invept(3, e.eptp.raw()), VmxResult::fail_invalid(), "type 3, no current VMCS: VMfailInvalid");
    if (c.ept_vpid & ept_cap::INVEPT_SINGLE)
        expect_vmx(invept(1, e.eptp.raw()), VmxResult::success(), "single-context, no current VMCS: VMsucceed");
    if (c.ept_vpid & ept_cap::INVEPT_ALL)
        expect_vmx(invept(2, e.eptp.raw()), VmxResult::success(), "all-context, no current VMCS: VMsucceed");
}

// INVEPT whose memory operand is not canonical.
// Expect: #GP(0) (31.3, INVEPT 64-bit mode exceptions).
void test_invept_noncanonical_operand()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Fault f = invept_at(2, 0x8000000000000000ull);
    expect_vmx(VmxResult::faulted(f), kGP0, "descriptor at a non-canonical address: #GP(0)");
    f = invept_at(2, 0x0000800000000000ull);
    expect_vmx(VmxResult::faulted(f), kGP0, "descriptor at the first non-canonical address above 47 bits: #GP(0)");
}

// L2 body: INVEPT (all-context) with the descriptor at (%rax), type in %rcx.
void l2_invept(u64)
{
    struct {
        u64 eptp, reserved;
    } desc = {0, 0};
    asm volatile("invept (%%rax), %%rcx" ::"a"(&desc), "c"(2ull) : "memory", "cc");
}

// INVEPT executed by L2.
// Expect: an unconditional VM exit with reason INVEPT (50) (26.1.2), exit
// qualification = the displacement (0), instruction length 5, and the
// instruction-information field naming RCX, base RAX, no index, DS, 64-bit
// addressing (28.2.5, Table 28-9).
void test_invept_in_l2()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    EptGuest eg(l2_invept, 0);
    if (!eg.ready("INVEPT in L2"))
        return;
    RunResult r = eg.run();
    if (!expect_exit(r, ExitReason::INVEPT, "VM exit INVEPT"))
        return;
    report_eq(r.exit.qualification, 0, "exit qualification is the displacement (0)");
    report_eq(r.exit.insn_len, 5, "instruction length");
    // Reg2 = RCX (1), base = RAX (0) valid, index invalid, DS (3), 64-bit (2).
    report_eq(r.exit.insn_info & 0xffc38380u, 0x10418100u, "instruction information");
}

// INVEPT on a CPU without 'enable EPT' or without INVEPT.
// Expect: #UD in VMX root operation (31.3, INVEPT exceptions).
void test_invept_unsupported_ud()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    // Bochs executes INVEPT on models without EPT (lib/errata.cc).
    const char* deviation = known_deviation("invept.no-ept-ud");
    report_xfail(deviation, invept(1, 0) == kUD, "single-context without EPT/INVEPT support: #UD");
    report_xfail(deviation, invept(2, 0) == kUD, "all-context without EPT/INVEPT support: #UD");
}

// ---- L2 sees EPT changes after INVEPT ------------------------------------

// Two page frames at the level's size (the test page's data at OFFSET).
class Frames {
public:
    explicit Frames(int level) : level_(level), size_(pt_level_size(level))
    {
        for (PhysAddr& f : frame_)
            f = alloc_pages(size_ / PAGE_SIZE, size_);
        if (ok()) {
            *at(0) = PATTERN_A;
            *at(1) = PATTERN_B;
        }
    }
    ~Frames()
    {
        for (PhysAddr f : frame_)
            for (u64 off = 0; f.raw() && off < size_; off += PAGE_SIZE)
                free_page(f + off);
    }
    Frames(const Frames&) = delete;
    Frames& operator=(const Frames&) = delete;
    [[nodiscard]] bool ok() const { return frame_[0].raw() && frame_[1].raw(); }
    int level() const { return level_; }
    PhysAddr frame(int i) const { return frame_[i]; }
    u64* at(int i) { return phys_to_ptr<u64>(frame_[i] + OFFSET); }

private:
    int level_;
    u64 size_;
    PhysAddr frame_[2] = {};
};

// Changes the test leaf (perms, and frame unless it is 0) and executes
// INVEPT of type: one check line, named after the new leaf.
bool change_leaf(EptStepper& s, int level, u64 perms, PhysAddr frame, InveptType type, const char* name)
{
    EptEntry* leaf = s.ept().entry(EPT_TEST_GPA, level);
    EptEntry e = leaf->with_perms(perms);
    *leaf = frame.raw() ? e.with_addr(frame) : e;
    return expect_vmx(invept(static_cast<u64>(type), s.eptp().raw()), VmxResult::success(),
                      "%s: %s INVEPT after the change to %s%s", name, type_name(type), ept_perm_name(perms),
                      frame.raw() ? " with a new frame" : "");
}

// Checks r is an EPT violation by an L2 write to the test address with the
// leaf's permissions perms: four lines.
bool expect_write_violation(const RunResult& r, u64 perms, const char* name)
{
    if (!expect_exit(r, ExitReason::EPT_VIOLATION, "%s: write: EPT violation", name))
        return false;
    EptViolationQual q(r.exit.qualification);
    report_eq(q.access(), EPT_ACCESS_WRITE, "%s: write: qualification access is a write", name);
    report_eq(q.entry_perms(), perms, "%s: write: qualification entry permissions", name);
    report_eq(r.exit.guest_phys, EPT_TEST_GPA.raw() + OFFSET, "%s: write: guest-physical address", name);
    return true;
}

// One L2 read step that must complete and load want.
bool read_step(EptStepper& s, u64 want, const char* name, const char* when)
{
    RunResult r = s.step(L2Op::Read, EPT_TEST_GPA.raw() + OFFSET);
    if (!expect_step(s, r, "%s: read %s: completes", name, when))
        return false;
    return report_eq(s.value(), want, "%s: read %s: L2 sees the right frame", name, when);
}

// Sets up an EptStepper with the test page at level mapped to frame 0 with
// perms; runs body(s, frames, name).
template <class Body>
void with_mapping(int level, u64 perms, const char* name, Body body)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Frames frames(level);
    if (!frames.ok()) {
        report_error("%s: out of memory for the page frames", name);
        return;
    }
    EptStepper s;
    if (!s.ready(name))
        return;
    if (s.ept().map(EPT_TEST_GPA, frames.frame(0), perms, level) != WalkStatus::Ok) {
        report_error("%s: mapping the test page failed", name);
        return;
    }
    body(s, frames, name);
}

// L1 moves the leaf to another frame and executes INVEPT of type.
// Expect: L2 then reads and writes the new frame, the old one is untouched
// (31.3: INVEPT invalidates the guest-physical mappings of the EPTP).
void run_new_frame(InveptType type)
{
    with_mapping(1, R | W, type_name(type), [type](EptStepper& s, Frames& f, const char* name) {
        if (!read_step(s, PATTERN_A, name, "before the change") ||
            !change_leaf(s, 1, R | W, f.frame(1), type, name) || !read_step(s, PATTERN_B, name, "after the change"))
            return;
        RunResult r = s.step(L2Op::Write, EPT_TEST_GPA.raw() + OFFSET, NEW_VALUE);
        if (expect_step(s, r, "%s: write after the change: completes", name))
            report_eq(*f.at(1), NEW_VALUE, "%s: write after the change: lands in the new frame", name);
        report_eq(*f.at(0), PATTERN_A, "%s: the old frame is untouched", name);
    });
}

// L1 write-protects the leaf and executes INVEPT of type.
// Expect: L2's next write is an EPT violation (permissions R) that leaves
// memory unchanged; after RW + INVEPT the same write completes (29.3.3.2).
void run_write_protect(InveptType type)
{
    with_mapping(1, R | W, type_name(type), [type](EptStepper& s, Frames& f, const char* name) {
        RunResult r = s.step(L2Op::Write, EPT_TEST_GPA.raw() + OFFSET, PATTERN_B);
        if (!expect_step(s, r, "%s: write before the change: completes", name) ||
            !change_leaf(s, 1, R, PhysAddr(0), type, name))
            return;
        r = s.step(L2Op::Write, EPT_TEST_GPA.raw() + OFFSET, NEW_VALUE);
        if (!expect_write_violation(r, R, name))
            return;
        report_eq(*f.at(0), PATTERN_B, "%s: the blocked write left memory unchanged", name);
        if (!change_leaf(s, 1, R | W, PhysAddr(0), type, name))
            return;
        r = s.resume();
        if (expect_step(s, r, "%s: write after RW again: completes", name))
            report_eq(*f.at(0), NEW_VALUE, "%s: write after RW again: lands", name);
    });
}

// New page frame (pfn) after INVEPT, single-context and all-context.
void test_invept_new_frame_single() { run_new_frame(InveptType::SingleContext); }
void test_invept_new_frame_all() { run_new_frame(InveptType::Global); }
// Write protection after INVEPT, single-context and all-context.
void test_invept_write_protect_single() { run_write_protect(InveptType::SingleContext); }
void test_invept_write_protect_all() { run_write_protect(InveptType::Global); }

// ---- remap transitions (single-context INVEPT) ---------------------------

constexpr auto SINGLE = InveptType::SingleContext;
const char* const kLevelName[] = {"", "4k", "2m"};

// Read-only -> read/write, same frame: the write that faulted on the
// read-only leaf completes once L1 makes it writable.
void remap_ro_rw_same(EptStepper& s, Frames& f, const char* name)
{
    if (!read_step(s, PATTERN_A, name, "on the read-only leaf"))
        return;
    RunResult r = s.step(L2Op::Write, EPT_TEST_GPA.raw() + OFFSET, NEW_VALUE);
    if (!expect_write_violation(r, R, name))
        return;
    report_eq(*f.at(0), PATTERN_A, "%s: the blocked write left the frame unchanged", name);
    if (!change_leaf(s, f.level(), R | W, PhysAddr(0), SINGLE, name))
        return;
    r = s.resume();
    if (expect_step(s, r, "%s: the write re-executes and completes", name))
        report_eq(*f.at(0), NEW_VALUE, "%s: the write lands in the same frame", name);
    read_step(s, NEW_VALUE, name, "after the write");
}

// Read-only -> read/write, new frame (copy-on-write break): the faulting
// write lands in the new frame, the old frame keeps its data.
void remap_ro_rw_new(EptStepper& s, Frames& f, const char* name)
{
    if (!read_step(s, PATTERN_A, name, "on the read-only leaf"))
        return;
    RunResult r = s.step(L2Op::Write, EPT_TEST_GPA.raw() + OFFSET, NEW_VALUE);
    if (!expect_write_violation(r, R, name))
        return;
    if (!change_leaf(s, f.level(), R | W, f.frame(1), SINGLE, name))
        return;
    r = s.resume();
    if (expect_step(s, r, "%s: the write re-executes and completes", name))
        report_eq(*f.at(1), NEW_VALUE, "%s: the write lands in the new frame", name);
    report_eq(*f.at(0), PATTERN_A, "%s: the old frame keeps its data", name);
    read_step(s, NEW_VALUE, name, "after the write");
}

// Read/write -> read-only, same frame: reads still see the frame, writes
// now cause EPT violations.
void remap_rw_ro_same(EptStepper& s, Frames& f, const char* name)
{
    RunResult r = s.step(L2Op::Write, EPT_TEST_GPA.raw() + OFFSET, PATTERN_B);
    if (!expect_step(s, r, "%s: write on the read/write leaf: completes", name))
        return;
    report_eq(*f.at(0), PATTERN_B, "%s: write on the read/write leaf: lands", name);
    if (!change_leaf(s, f.level(), R, PhysAddr(0), SINGLE, name) ||
        !read_step(s, PATTERN_B, name, "on the read-only leaf"))
        return;
    r = s.step(L2Op::Write, EPT_TEST_GPA.raw() + OFFSET, NEW_VALUE);
    if (expect_write_violation(r, R, name))
        report_eq(*f.at(0), PATTERN_B, "%s: the blocked write left the frame unchanged", name);
}

// Read-only -> read-only, new frame: reads see the new frame, writes still
// cause EPT violations and change neither frame.
void remap_ro_ro_new(EptStepper& s, Frames& f, const char* name)
{
    if (!read_step(s, PATTERN_A, name, "before the change") ||
        !change_leaf(s, f.level(), R, f.frame(1), SINGLE, name) ||
        !read_step(s, PATTERN_B, name, "after the change"))
        return;
    RunResult r = s.step(L2Op::Write, EPT_TEST_GPA.raw() + OFFSET, NEW_VALUE);
    if (!expect_write_violation(r, R, name))
        return;
    report(*f.at(0) == PATTERN_A && *f.at(1) == PATTERN_B, "%s: the blocked write changed neither frame", name);
}

using RemapFn = void (*)(EptStepper&, Frames&, const char*);

// Runs a transition with a 4 KiB and (where supported) a 2 MiB leaf.
void run_remap(RemapFn fn, u64 initial_perms)
{
    for (int level = 1; level <= 2; level++) {
        if (level == 2 && !vmx_caps().ept_has(ept_cap::PDE_2M)) {
            report_skip("2 MiB EPT leaves not supported (IA32_VMX_EPT_VPID_CAP[16])", "2m");
            continue;
        }
        with_mapping(level, initial_perms, kLevelName[level], fn);
    }
}

// Expect (each remap case): L2 sees the data of the frame the leaf maps now
// and takes an EPT violation exactly when it writes through a read-only leaf;
// a faulting write re-executes after L1 fixes the leaf (29.3.3.2, 31.3).
void test_remap_ro_to_rw_same_frame() { run_remap(remap_ro_rw_same, R); }
void test_remap_ro_to_rw_new_frame() { run_remap(remap_ro_rw_new, R); }
void test_remap_rw_to_ro_same_frame() { run_remap(remap_rw_ro_same, R | W); }
void test_remap_ro_to_ro_new_frame() { run_remap(remap_ro_ro_new, R); }

// ---- requirements ----------------------------------------------------------

const char* needs_invept()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return vmx_caps().ept_has(ept_cap::INVEPT) ? nullptr : "INVEPT not supported (IA32_VMX_EPT_VPID_CAP[20])";
}
const char* needs_single()
{
    if (const char* why = needs_invept())
        return why;
    return vmx_caps().ept_has(ept_cap::INVEPT_SINGLE) ? nullptr : "single-context INVEPT not supported (IA32_VMX_EPT_VPID_CAP[25])";
}
const char* needs_all()
{
    if (const char* why = needs_invept())
        return why;
    return vmx_caps().ept_has(ept_cap::INVEPT_ALL) ? nullptr : "all-context INVEPT not supported (IA32_VMX_EPT_VPID_CAP[26])";
}
const char* needs_no_invept()
{
    if (const char* why = vmx_unavailable_reason())
        return why;
    return needs_invept() ? nullptr : "the CPU supports EPT and INVEPT (IA32_VMX_PROCBASED_CTLS2[33], IA32_VMX_EPT_VPID_CAP[20])";
}

constexpr TestCase kCases[] = {
    {"invept_outside_vmx", test_invept_outside_vmx, vmx_unavailable_reason},
    {"invept_types", test_invept_types, needs_invept},
    {"invept_bad_eptp", test_invept_bad_eptp, needs_invept},
    {"invept_no_current_vmcs", test_invept_no_current_vmcs, needs_invept},
    {"invept_noncanonical_operand", test_invept_noncanonical_operand, needs_invept},
    {"invept_in_l2", test_invept_in_l2, needs_invept},
    {"invept_unsupported_ud", test_invept_unsupported_ud, needs_no_invept},
    {"invept_new_frame_single", test_invept_new_frame_single, needs_single},
    {"invept_new_frame_all", test_invept_new_frame_all, needs_all},
    {"invept_write_protect_single", test_invept_write_protect_single, needs_single},
    {"invept_write_protect_all", test_invept_write_protect_all, needs_all},
    {"remap_ro_to_rw_same_frame", test_remap_ro_to_rw_same_frame, needs_single},
    {"remap_ro_to_rw_new_frame", test_remap_ro_to_rw_new_frame, needs_single},
    {"remap_rw_to_ro_same_frame", test_remap_rw_to_ro_same_frame, needs_single},
    {"remap_ro_to_ro_new_frame", test_remap_ro_to_ro_new_frame, needs_single},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
