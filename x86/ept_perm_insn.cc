// ept_perm_insn: EPT permissions against accesses a real guest makes (SDM
// Vol. 3C 29.3.3.2, 28.2.1 Table 28-7, 27.2.1 for the address fields):
// - a locked read-modify-write (lock add) and XCHG on a read-only page are
//   writes: EPT violation with bit 1 (bit 0 implementation-specific), the
//   memory unchanged;
// - a misaligned read/write crossing from an allowed page into a forbidden
//   one: the violation names the second page (GPA and GLA of its first
//   byte), a write changes neither page;
// - an instruction crossing into a non-executable page: fetch violation at
//   the second page, guest RIP = the instruction's start;
// - rep movsb from an allowed into a forbidden page: the exit comes at the
//   page boundary, RCX/RSI/RDI show exactly the iterations done (the string
//   instruction is restartable), bytes before the boundary are copied;
// - the same accesses through KVM's instruction emulator, where the
//   hypervisor offers the forced-emulation prefix (ud2; .ascii "kvm").
// Expected outcome and qualification come from ept_expect (ept_qual.hh)
// over the EPT walk of the page the access must fault on.
#include "errata.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/fault.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_window.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

constexpr u64 R = EptEntry::R, W = EptEntry::W, X = EptEntry::X;
constexpr u64 RWX = R | W | X;
constexpr u64 PATTERN = 0x0123456789abcdefull, WRITTEN = 0x5555aaaa5555aaaaull;
constexpr u32 FETCH_MAGIC = 0x5a5a1234;

enum class Op : u8 { LockAdd, Xchg, Read, Write, Call, RepMovsb, FepRead, FepWrite, FepLockAdd };

struct InsnBox {
    Op op;
    u64 addr;
    u64 value;
    u64 src;   // RepMovsb source
    u64 count; // RepMovsb byte count
};
InsnBox g_box;
constexpr Op kFepOps[] = {Op::FepRead, Op::FepWrite, Op::FepLockAdd};

// L2 body (CPL0 or CPL3): the instruction under test at g_box.addr.
void l2_insn(u64 arg)
{
    auto* b = reinterpret_cast<volatile InsnBox*>(arg);
    u64 addr = b->addr;
    switch (b->op) {
    case Op::LockAdd: asm volatile("lock addq $1, (%0)" ::"r"(addr) : "memory"); break;
    case Op::Xchg: {
        u64 v = b->value;
        asm volatile("xchgq %0, (%1)" : "+r"(v) : "r"(addr) : "memory");
        b->value = v;
        break;
    }
    case Op::Read: {
        u64 v;
        asm volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
        b->value = v;
        break;
    }
    case Op::Write: asm volatile("movq %0, (%1)" ::"r"(b->value), "r"(addr) : "memory"); break;
    case Op::Call: b->value = reinterpret_cast<u64 (*)()>(addr)(); break;
    case Op::RepMovsb: {
        u64 d = addr, s = b->src, c = b->count;
        asm volatile("cld; rep movsb" : "+D"(d), "+S"(s), "+c"(c)::"memory");
        break;
    }
    case Op::FepRead: {
        u64 v;
        asm volatile("ud2; .ascii \"kvm\"; movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
        b->value = v;
        break;
    }
    case Op::FepWrite: asm volatile("ud2; .ascii \"kvm\"; movq %0, (%1)" ::"r"(b->value), "r"(addr) : "memory"); break;
    case Op::FepLockAdd: asm volatile("ud2; .ascii \"kvm\"; lock addq $1, (%0)" ::"r"(addr) : "memory"); break;
    }
}

// Two pages A (at w.gpa()) and B (right after it), each with its own 4 KiB
// EPT leaf; L2 runs l2_insn at CPL0 or CPL3.
struct TwoPages {
    PhysAddr a = alloc_page(), b = alloc_page();
    ~TwoPages()
    {
        free_page(a);
        free_page(b);
    }
    u8* pa() { return phys_to_ptr<u8>(a); }
    u8* pb() { return phys_to_ptr<u8>(b); }
    void fill()
    {
        for (u64 i = 0; i < PAGE_SIZE; i++) {
            pa()[i] = static_cast<u8>(i * 7 + 1);
            pb()[i] = static_cast<u8>(i * 13 + 5);
        }
    }
};

// For a supervisor-mode and then a user-mode L2 on pages A and B of pg: for
// each value of perms in the 4 KiB leaf of page A (page = 0) or B (page = 1)
// — X-only only where IA32_VMX_EPT_VPID_CAP[0] allows it — resets both pages
// (pg.fill) and runs body(w, user, perms, label) with label naming the mode,
// what and the value. Stops at a setup failure (reported).
template <class Body>
void for_each_setting(TwoPages& pg, const char* what, int page, Span<const u64> perms, Body body)
{
    for (int mode = 0; mode < 2; mode++) {
        bool user = mode == 1;
        EptWindow w(l2_insn, reinterpret_cast<u64>(&g_box), pg.a, 1, user, pg.b);
        if (!w.ready(what))
            return;
        for (u64 p : perms) {
            if (p == X && !(vmx_caps().ept_vpid & ept_cap::EXEC_ONLY))
                continue;
            if (!w.set_perms(w.gpa() + page * PAGE_SIZE, 1, p))
                return;
            char label[80];
            snformat(label, sizeof(label), "%s %s %s", user ? "user" : "supervisor", what, ept_perm_name(p));
            pg.fill();
            body(w, p, label);
        }
    }
}


// The guest-physical address check of an EPT exit. Through KVM's emulator
// (emulated = true) the known deviation applies only to the shape it names:
// the right page with bits 11:0 cleared.
void check_exit_gpa(const RunResult& r, u64 want, bool emulated, const char* label)
{
    const char* dev = emulated && r.exit.guest_phys == (want & ~0xfffull) && r.exit.guest_phys != want
                          ? known_deviation("kvm.emulator-ept-gpa-page")
                          : nullptr;
    report_eq_dev(r.exit.guest_phys, want, dev, "%s: guest-physical address", label);
}

// Checks an exit against the expectation for an access of kind at the
// walk of fault_gpa, whose linear alias is w.la(fault_gpa). Returns true
// when it was a violation whose checks all ran. emulated: the access went
// through KVM's instruction emulator (forced-emulation prefix), whose known
// deviations apply, each only to the bits it names.
bool check_violation(EptWindow& w, const RunResult& r, GuestPhysAddr fault_gpa, EptAccess kind, const char* label,
                     bool emulated = false)
{
    u64 walk[4];
    int n = w.walk(fault_gpa, walk);
    EptProbe p;
    p.access = kind;
    p.user_linear = w.user();
    EptExpect e = ept_expect(walk, n, 4, p, ept_rules_here());
    if (e.outcome != EptOutcome::Violation) {
        report_error("%s: the set-up walk does not give a violation", label);
        return false;
    }
    if (!expect_exit(r, ExitReason::EPT_VIOLATION, "%s: EPT violation", label))
        return false;
    u64 q = r.exit.qualification;
    // Only the access bits 1:0 wrong: the emulator's access-kind erratum.
    u64 wrong = (q ^ e.qual) & e.qual_mask;
    bool only_access_bits = wrong && (wrong & ~3ull) == 0;
    report_ept_qual_dev(e, q, emulated && only_access_bits ? known_deviation("kvm.emulator-ept-qual-access") : nullptr,
                    "%s: exit qualification", label);
    check_exit_gpa(r, fault_gpa.raw(), emulated, label);
    u64 gla = w.la(fault_gpa);
    bool stale_gla = emulated && r.exit.guest_linear != gla;
    report_eq_dev(r.exit.guest_linear, gla, stale_gla ? known_deviation("kvm.emulator-ept-gla") : nullptr,
                  "%s: guest-linear address", label);
    return true;
}

// lock add / xchg on page A with A's leaf perms: allowed with RW, a write
// violation (RMW) with R or RX; memory unchanged after a violation.
constexpr u64 kRmwPerms[] = {R, R | X, R | W, RWX};
void run_rmw(Op op)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    TwoPages pg;
    const char* what = op == Op::LockAdd ? "lock add on" : "xchg on";
    for_each_setting(pg, what, 0, kRmwPerms, [&](EptWindow& w, u64 perms, const char* label) {
        u64* mem = reinterpret_cast<u64*>(pg.pa() + 0x40);
        *mem = PATTERN;
        g_box = {op, w.la() + 0x40, WRITTEN, 0, 0};
        w.restart();
        RunResult r = w.run();
        if (!(perms & W)) {
            if (check_violation(w, r, w.gpa() + 0x40, EptAccess::ReadModifyWrite, label))
                report_eq(*mem, PATTERN, "%s: memory unchanged", label);
            return;
        }
        if (!expect_done(r, "%s: completes", label))
            return;
        if (op == Op::LockAdd) {
            report_eq(*mem, PATTERN + 1, "%s: memory incremented", label);
        } else {
            report_eq(*mem, WRITTEN, "%s: memory holds the new value", label);
            report_eq(g_box.value, PATTERN, "%s: register holds the old value", label);
        }
    });
}

void test_lock_add() { run_rmw(Op::LockAdd); }
void test_xchg() { run_rmw(Op::Xchg); }

// Page B's values for the crossing cases (A stays RWX).
constexpr u64 kCrossPerms[] = {0, R, R | W, R | X, RWX, X};

// 8-byte read or write at A+4092 (4 bytes in A, 4 in B).
void run_split_data(Op op)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    TwoPages pg;
    const char* what = op == Op::Read ? "read crossing into" : "write crossing into";
    for_each_setting(pg, what, 1, kCrossPerms, [&](EptWindow& w, u64 perms, const char* label) {
        u32* in_a = reinterpret_cast<u32*>(pg.pa() + 4092);
        u32* in_b = reinterpret_cast<u32*>(pg.pb());
        u64 before_a = *in_a, before_b = *in_b;
        g_box = {op, w.la() + 4092, WRITTEN, 0, 0};
        w.restart();
        RunResult r = w.run();
        bool allowed = op == Op::Read ? (perms & R) : (perms & W);
        if (!allowed) {
            EptAccess kind = op == Op::Read ? EptAccess::Read : EptAccess::Write;
            if (check_violation(w, r, w.gpa() + PAGE_SIZE, kind, label) && op == Op::Write)
                report(*in_a == before_a && *in_b == before_b, "%s: neither page written", label);
            return;
        }
        if (!expect_done(r, "%s: completes", label))
            return;
        if (op == Op::Read)
            report_eq(g_box.value, before_a | (before_b << 32), "%s: value from both pages", label);
        else
            report(*in_a == static_cast<u32>(WRITTEN) && *in_b == static_cast<u32>(WRITTEN >> 32),
                   "%s: both pages written", label);
    });
}

void test_split_read() { run_split_data(Op::Read); }
void test_split_write() { run_split_data(Op::Write); }

// "mov $FETCH_MAGIC, %eax" starting 3 bytes before the end of A (its last 2
// bytes in B), "ret" in B: runs when B is executable, else a fetch
// violation at B with RIP at the instruction.
void test_split_fetch()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    TwoPages pg;
    for_each_setting(pg, "instruction crossing into", 1, kCrossPerms, [&](EptWindow& w, u64 perms, const char* label) {
        u8 code[6] = {0xb8, 0, 0, 0, 0, 0xc3};
        *reinterpret_cast<u32*>(code + 1) = FETCH_MAGIC;
        for (int i = 0; i < 3; i++) {
            pg.pa()[4093 + i] = code[i];
            pg.pb()[i] = code[3 + i];
        }
        u64 start = w.la() + 4093;
        g_box = {Op::Call, start, 0, 0, 0};
        w.restart();
        RunResult r = w.run();
        if (!(perms & X)) {
            if (check_violation(w, r, w.gpa() + PAGE_SIZE, EptAccess::Fetch, label))
                report_eq(r.exit.guest_rip, start, "%s: guest RIP at the instruction", label);
        } else if (expect_done(r, "%s: completes", label)) {
            report_eq(g_box.value, FETCH_MAGIC, "%s: L2 ran the instruction", label);
        }
    });
}

// rep movsb of 64 bytes whose destination (into_b) or source crosses from
// A into B at its 17th byte; the other operand is at A+0x100. B without the
// needed permission: a write (read) violation at B's first byte with
// RCX = 48 and RSI/RDI 16 bytes on (the string instruction is restartable,
// the 16 bytes before the boundary are copied, nothing after); with it, all
// 64 bytes copied.
constexpr u64 kMovsIntoPerms[] = {0, R, R | X, R | W};
constexpr u64 kMovsFromPerms[] = {0, X, R, R | X};
void run_rep_movs(bool into_b)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    TwoPages pg;
    constexpr u64 COUNT = 64, IN_A = 16, NEAR = 0x100, CROSS = PAGE_SIZE - IN_A;
    Span<const u64> perms_list = into_b ? Span<const u64>(kMovsIntoPerms) : Span<const u64>(kMovsFromPerms);
    const char* what = into_b ? "rep movsb into" : "rep movsb from";
    for_each_setting(pg, what, 1, perms_list, [&](EptWindow& w, u64 perms, const char* label) {
        u64 src_off = into_b ? NEAR : CROSS, dst_off = into_b ? CROSS : NEAR;
        u8 before[2 * PAGE_SIZE];
        for (u64 i = 0; i < PAGE_SIZE; i++) {
            before[i] = pg.pa()[i];
            before[PAGE_SIZE + i] = pg.pb()[i];
        }
        // Byte i of the two pages as one 8 KiB range (A then B).
        auto at = [&](u64 i) { return i < PAGE_SIZE ? pg.pa()[i] : pg.pb()[i - PAGE_SIZE]; };
        u64 src = w.la() + src_off, dst = w.la() + dst_off;
        g_box = {Op::RepMovsb, dst, 0, src, COUNT};
        w.restart();
        RunResult r = w.run();
        bool head_copied = true, all_copied = true, tail_untouched = true;
        for (u64 i = 0; i < COUNT; i++) {
            bool copied = at(dst_off + i) == before[src_off + i];
            all_copied &= copied;
            if (i < IN_A)
                head_copied &= copied;
            else
                tail_untouched &= at(dst_off + i) == before[dst_off + i];
        }
        bool allowed = into_b ? (perms & W) : (perms & R);
        if (allowed) {
            if (expect_done(r, "%s: completes", label))
                report(all_copied, "%s: all bytes copied", label);
            return;
        }
        GuestPhysAddr gb = w.gpa() + PAGE_SIZE;
        if (!check_violation(w, r, gb, into_b ? EptAccess::Write : EptAccess::Read, label))
            return;
        const GuestRegs& g = w.eg().guest().regs();
        report_eq(g.rcx, COUNT - IN_A, "%s: RCX counts the bytes not yet copied", label);
        report_eq(g.rsi, src + IN_A, "%s: RSI at the next source byte", label);
        report_eq(g.rdi, dst + IN_A, "%s: RDI at the next destination byte", label);
        report(head_copied, "%s: the bytes before the boundary were copied", label);
        report(tail_untouched, "%s: nothing written past them", label);
    });
}

void test_rep_movs_into() { run_rep_movs(true); }
void test_rep_movs_from() { run_rep_movs(false); }

// nullptr when KVM's forced-emulation prefix works for L1 (ud2; "kvm"
// executes the next instruction), else why not.
const char* fep_unavailable_reason()
{
    u64 v = 0;
    fixup_arm();
    asm volatile("1: ud2; .ascii \"kvm\"; movq $1, %0\n2:\n\t" NVMX_EX_TABLE_ENTRY : "+r"(v)::"memory");
    Fault f = fixup_take();
    if (f.faulted() || v != 1)
        return "KVM forced-emulation prefix absent: ud2; .ascii \"kvm\" raised #UD in L1 (not KVM, or "
               "kvm.force_emulation_prefix=0)";
    return nullptr;
}

// Through the emulator: read, write and lock add at every R/W/X value of a
// 4 KiB leaf, supervisor and user, with #UD not intercepted by L1 so that L0
// emulates L2's prefixed instruction and must apply L1's EPT (violation or
// misconfiguration to L1, same qualification as without the emulator).
constexpr u64 kAllPerms[] = {0, R, W, R | W, X, R | X, W | X, RWX};
void test_emulated()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    TwoPages pg;
    EptRules rules = ept_rules_here();
    for_each_setting(pg, "emulated access to", 0, kAllPerms, [&](EptWindow& w, u64, const char* setting) {
        if (!vmcs_write(VmcsField::EXCEPTION_BITMAP, vmcs_read(VmcsField::EXCEPTION_BITMAP) & ~(1u << vec::UD)))
            return;
        for (Op op : kFepOps) {
            EptAccess kind = op == Op::FepRead    ? EptAccess::Read
                             : op == Op::FepWrite ? EptAccess::Write
                                                  : EptAccess::ReadModifyWrite;
            char label[96];
            snformat(label, sizeof(label), "%s: %s", setting, ept_access_name(kind));
            u64* mem = reinterpret_cast<u64*>(pg.pa() + 0x40);
            *mem = PATTERN;
            g_box = {op, w.la() + 0x40, WRITTEN, 0, 0};
            u64 walk[4];
            int n = w.walk(w.gpa(), walk);
            EptProbe p;
            p.access = kind;
            p.user_linear = w.user();
            EptExpect e = ept_expect(walk, n, 4, p, rules);
            w.restart();
            RunResult r = w.run();
            if (e.outcome == EptOutcome::Ok) {
                if (!expect_done(r, "%s: completes", label))
                    continue;
                u64 want = op == Op::FepRead ? PATTERN : op == Op::FepWrite ? WRITTEN : PATTERN + 1;
                report_eq(op == Op::FepRead ? g_box.value : *mem, want, "%s: value", label);
            } else if (e.outcome == EptOutcome::Misconfig) {
                if (expect_exit(r, ExitReason::EPT_MISCONFIG, "%s: EPT misconfiguration", label))
                    check_exit_gpa(r, w.gpa().raw() + 0x40, true, label);
            } else if (check_violation(w, r, w.gpa() + 0x40, kind, label, true)) {
                report_eq(*mem, PATTERN, "%s: memory unchanged", label);
            }
        }
    });
}

const char* needs_window() { return ept_window_unavailable_reason(); }
const char* needs_fep()
{
    if (const char* why = ept_window_unavailable_reason())
        return why;
    return fep_unavailable_reason();
}

constexpr TestCase kCases[] = {
    {"lock_add", test_lock_add, needs_window},     {"xchg", test_xchg, needs_window},
    {"split_read", test_split_read, needs_window},
    {"split_write", test_split_write, needs_window}, {"split_fetch", test_split_fetch, needs_window},
    {"rep_movs_into", test_rep_movs_into, needs_window},
    {"rep_movs_from", test_rep_movs_from, needs_window},     {"emulated", test_emulated, needs_fep},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
