// ept_bits: every reserved and every ignored bit of every EPT entry kind,
// with every access kind (SDM Vol. 3C 29.3.2 Tables 29-1 to 29-6, 29.3.3).
//
// reserved_*: a reserved bit in a present entry is an EPT misconfiguration
// (29.3.3.1) whatever the access; in a not-present entry (bits 2:0 = 000b)
// bits 63:3 are ignored, so the same bit gives an EPT violation (29.3.3.2)
// with permissions 0 in the qualification (28.2.1, Table 28-7); the same for
// the reserved leaf memory types 2, 3 and 7 (reserved_memtype*).
// ignored_*: an ignored bit set in an entry that has all others clear, or
// cleared in an entry that has all others set, changes nothing: the access
// completes with the right data. With EPT A/D on, the CPU's A/D update must
// keep the ignored bit (29.3.5: it writes bit 8, and bit 9 of a leaf, only).
//
// Which bit is what comes from the host-tested table lib/x86/vmx/ept_bits.hh.
// One EPT guest serves all probes of a case: flip one bit, INVEPT, let L2
// access, check, restore, INVEPT, let L2 finish the access.
#include "console.hh"
#include "errata.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/cpu.hh"
#include "x86/paging.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_bits.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/ept_qual_check.hh"
#include "x86/vmx/ept_window.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

constexpr u64 RWX = EptEntry::R | EptEntry::W | EptEntry::X;
constexpr u64 OFF_READ = 0x80, OFF_WRITE = 0x88, OFF_CODE = 0x100; // inside the backing page
constexpr u64 PATTERN = 0x0123456789abcdefull, WRITE_VALUE = 0x5555aaaa5555aaaaull;
constexpr u64 CODE_VALUE = 0x1122334455667788ull;

// The test windows: guest-physical 512 GiB and up, behind their own EPT
// PML4E (index 1), so a bit in that PML4E touches only the probe's access
// and not L2's code, stack or page tables. L2 reaches them through 4 KiB
// aliases VA = ept_alias_la(GPA) != GPA in L1's page tables (which L2
// shares), so that the guest-linear address of a violation is checked.
constexpr u64 WINDOW = EPT_FAR_GPA.raw();
constexpr u64 WINDOW_4K = WINDOW, WINDOW_2M = WINDOW + (1ull << 30), WINDOW_1G = WINDOW + (2ull << 30);

constexpr L2Op kOps[] = {L2Op::Read, L2Op::Write, L2Op::Fetch};

// The window needs a second EPT PML4 slot (ept_window.hh) and both large leaf sizes.
const char* needs_window()
{
    if (const char* why = ept_window_unavailable_reason(2))
        return why;
    return ept_window_unavailable_reason(3);
}

// An EPT guest (l2_access_loop) with one backing page mapped three times
// behind WINDOW: by a 4 KiB, a 2 MiB and a 1 GiB leaf (only the first
// max_level of them: 1 for the 4 KiB window alone).
class BitBench {
public:
    explicit BitBench(bool ad, int max_level = 3) : s_(EptOptions{.ad = ad}), backing_(alloc_page()), max_level_(max_level) {}
    ~BitBench()
    {
        for (u64 gpa : mapped_)
            if (gpa && !unmap_page(current_page_root(), VirtAddr(ept_alias_la(gpa))))
                report_error("unmapping the L1 alias at %#lx failed", ept_alias_la(gpa));
        if (backing_.raw())
            free_page(backing_);
    }
    BitBench(const BitBench&) = delete;
    BitBench& operator=(const BitBench&) = delete;

    // Maps everything; false after a SKIP or ERROR.
    [[nodiscard]] bool ready(const char* what)
    {
        if (!s_.ready(what))
            return false;
        if (!backing_.raw()) {
            report_error("%s: out of memory for the backing page", what);
            return false;
        }
        u8* page = phys_to_ptr<u8>(backing_);
        *reinterpret_cast<u64*>(page + OFF_READ) = PATTERN;
        // mov rax, CODE_VALUE; ret
        page[OFF_CODE] = 0x48;
        page[OFF_CODE + 1] = 0xb8;
        *reinterpret_cast<u64*>(page + OFF_CODE + 2) = CODE_VALUE;
        page[OFF_CODE + 10] = X86_RET;
        for (int level = 1; level <= max_level_; level++) {
            u64 size = pt_level_size(level);
            PhysAddr base = backing_.align_down(size);
            GuestPhysAddr gpa(window(level) + (backing_ - base));
            GuestPhysAddr leaf_gpa = gpa.align_down(size);
            if (s_.ept().map(leaf_gpa, base, RWX, level) != WalkStatus::Ok ||
                map_page(current_page_root(), VirtAddr(ept_alias_la(gpa.raw())), PhysAddr(gpa.raw()), Pte::RW) != WalkStatus::Ok) {
                report_error("%s: mapping the %s test window failed", what, level == 1 ? "4K" : level == 2 ? "2M" : "1G");
                return false;
            }
            mapped_[level - 1] = gpa.raw();
        }
        return true;
    }

    // The entry at level on the walk to the window of kind k (default: k's own).
    EptEntry* entry(const EptEntryKindInfo& k, int level = 0)
    {
        return s_.ept().entry(GuestPhysAddr(mapped_[k.leaf_level - 1]), level ? level : k.level);
    }
    // The guest-physical address L2 accesses for op through the window of kind k.
    u64 addr(const EptEntryKindInfo& k, L2Op op) const
    {
        return mapped_[k.leaf_level - 1] + (op == L2Op::Read ? OFF_READ : op == L2Op::Write ? OFF_WRITE : OFF_CODE);
    }
    // The linear address L2 uses for it (differs from addr() above bit 12).
    u64 la(const EptEntryKindInfo& k, L2Op op) const { return ept_alias_la(addr(k, op)); }
    // The entry of kind k becomes value; INVEPT; L2 performs op; the entry
    // is restored and check(result, entry as the access left it) runs; then
    // L2 finishes the access. False (ERROR reported) when the bench broke.
    template <class Check>
    [[nodiscard]] bool probe(const EptEntryKindInfo& k, L2Op op, EptEntry value, const char* name, Check check)
    {
        EptEntry* e = entry(k);
        EptEntry old = *e;
        *e = value;
        *phys_to_ptr<u64>(backing_ + OFF_WRITE) = 0;
        bool flushed = invalidate(name);
        RunResult r = flushed ? s_.step(op, la(k, op), WRITE_VALUE) : RunResult{RunStatus::VmFail, VmxResult::fail_invalid(), {}};
        EptEntry after = *e;
        *e = old;
        if (!flushed)
            return false;
        check(r, after);
        return finish(r, name);
    }
    // True when the step completed and did op with the right data.
    bool completed_right(L2Op op, const RunResult& r)
    {
        if (!s_.is_step(r))
            return false;
        switch (op) {
        case L2Op::Read: return s_.value() == PATTERN;
        case L2Op::Write: return *phys_to_ptr<u64>(backing_ + OFF_WRITE) == WRITE_VALUE;
        case L2Op::Fetch: return s_.value() == CODE_VALUE;
        }
        return false;
    }
private:
    // After an exit: with the entry restored, L2 finishes the access. False
    // (ERROR reported) when it does not: the bench is unusable then.
    [[nodiscard]] bool finish(const RunResult& r, const char* name)
    {
        if (s_.is_step(r))
            return true;
        if (!invalidate(name))
            return false;
        RunResult again = s_.resume();
        if (!s_.is_step(again)) {
            report_error("%s: with the entry restored L2 does not finish the access: %s", name, again.describe());
            return false;
        }
        return true;
    }

    static u64 window(int level) { return level == 1 ? WINDOW_4K : level == 2 ? WINDOW_2M : WINDOW_1G; }
    bool invalidate(const char* name) { return ept_invalidate(s_.eptp(), name); }

    EptStepper s_;
    PhysAddr backing_;
    int max_level_;
    u64 mapped_[3] = {};
};

EptBitConfig bit_config(bool ad)
{
    EptBitConfig c;
    c.maxphyaddr = cpu_maxphyaddr();
    c.ad = ad;
    c.pdpte_1g = vmx_caps().ept_has(ept_cap::PDPTE_1G);
    c.pde_2m = vmx_caps().ept_has(ept_cap::PDE_2M);
    return c;
}

// ept_expect (x86/vmx/ept_qual.hh) for op through the window of kind k
// with k's entry set to value: L1's alias is a supervisor, writable,
// executable page.
EptExpect expect_access(BitBench& b, const EptEntryKindInfo& k, EptEntry value, L2Op op)
{
    u64 walk[4];
    int n = 0;
    for (int level = 4; level >= k.leaf_level; level--)
        walk[n++] = level == k.level ? value.raw() : b.entry(k, level)->raw();
    EptProbe p;
    p.access = ept_access_of(op);
    return ept_expect(walk, n, 4, p, ept_rules_here());
}

// "PDE bit 5", "PTE bit 45 (>= MAXPHYADDR 40)".
const char* bit_name(char* buf, usize size, const EptEntryKindInfo& k, unsigned b)
{
    unsigned maxphy = cpu_maxphyaddr();
    if (b >= maxphy && b <= 51)
        snformat(buf, size, "%s bit %u (>= MAXPHYADDR %u)", k.name, b, maxphy);
    else
        snformat(buf, size, "%s bit %u", k.name, b);
    return buf;
}

// Calls fn(k, bit, op, name) for every bit of bits_of(k) of every entry
// kind, with every access kind; stops when fn returns false.
template <class BitsOf, class Fn>
void for_each_bit_probe(BitsOf bits_of, Fn fn)
{
    for (const EptEntryKindInfo& k : kEptEntryKinds) {
        u64 bits = bits_of(k.kind);
        for (unsigned bit = 0; bit < 64; bit++) {
            if (!(bits & (1ull << bit)))
                continue;
            char bname[48];
            bit_name(bname, sizeof(bname), k, bit);
            for (L2Op op : kOps) {
                char name[80];
                snformat(name, sizeof(name), "%s: %s", bname, l2_op_name(op));
                if (!fn(k, bit, op, name))
                    return;
            }
        }
    }
}

// The reserved-bit probes: each reserved bit of each entry kind, each access.
// present: the entry keeps its permissions (misconfiguration expected);
// else bits 2:0 are cleared (violation expected).
void run_reserved(bool present)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    BitBench b(false);
    if (!b.ready("reserved bits"))
        return;
    const EptBitConfig cfg = bit_config(false);
    auto reserved = [&](EptEntryKind k) { return ept_reserved_bits(k, cfg); };
    for_each_bit_probe(reserved, [&](const EptEntryKindInfo& k, unsigned bit, L2Op op, const char* name) {
        EptEntry old = *b.entry(k);
        EptEntry value((present ? old.raw() : old.raw() & ~RWX) | 1ull << bit);
        u64 a = b.addr(k, op);
        return b.probe(k, op, value, name, [&](const RunResult& r, EptEntry) {
            if (present) {
                const char* deviation = k.leaf_level > 1 && bit == 12 ? known_deviation("ept.large-leaf-bit12") : nullptr;
                char exp[64];
                snformat(exp, sizeof(exp), "EPT misconfiguration at GPA %#lx", a);
                Diagnostic d{exp, r.describe()};
                report_check(r.exited(ExitReason::EPT_MISCONFIG) && r.exit.guest_phys == a, &d, deviation,
                             "%s: EPT misconfiguration at the access's GPA", name);
            } else {
                // A not-present entry ends the walk: permissions 0.
                check_violation(r, expect_access(b, k, value, op), b.la(k, op), a, nullptr, "%s (not present): EPT violation", name);
            }
        });
    });
}

// The reserved memory types in each leaf kind, each access; present or not
// (bits 2:0 cleared).
void run_reserved_memtype(bool present)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    BitBench b(false);
    if (!b.ready("reserved memory types"))
        return;
    for (const EptEntryKindInfo& k : kEptEntryKinds) {
        if (!ept_kind_is_leaf(k.kind))
            continue;
        for (unsigned mt : kEptReservedMemTypes) {
            for (L2Op op : kOps) {
                char name[80];
                snformat(name, sizeof(name), "%s memory type %u: %s", k.name, mt, l2_op_name(op));
                EptEntry old = *b.entry(k);
                EptEntry value = old.with_memtype(mt);
                if (!present)
                    value = value.with_perms(0);
                u64 a = b.addr(k, op);
                bool ok = b.probe(k, op, value, name, [&](const RunResult& r, EptEntry) {
                    if (present) {
                        char exp[64];
                        snformat(exp, sizeof(exp), "EPT misconfiguration at GPA %#lx", a);
                        Diagnostic d{exp, r.describe()};
                        report_check(r.exited(ExitReason::EPT_MISCONFIG) && r.exit.guest_phys == a, &d, nullptr,
                                     "%s: EPT misconfiguration at the access's GPA", name);
                    } else {
                        check_violation(r, expect_access(b, k, value, op), b.la(k, op), a, nullptr,
                                        "%s (not present): EPT violation", name);
                    }
                });
                if (!ok)
                    return;
            }
        }
    }
}

// Expect: memory type 2, 3 or 7 in a present 4 KiB, 2 MiB or 1 GiB leaf is
// an EPT misconfiguration at the access's GPA for a read, a write and a
// fetch; in a not-present leaf it is ignored: EPT violation, permissions 0
// (SDM Vol. 3C 29.3.3.1, 29.3.2).
void test_reserved_memtype() { run_reserved_memtype(true); }
void test_reserved_memtype_not_present() { run_reserved_memtype(false); }

// Expect: each reserved bit of each present entry kind, with a read, a write
// and a fetch, gives an EPT misconfiguration whose guest-physical address is
// the access's (SDM Vol. 3C 29.3.3.1; Tables 29-1 to 29-6: PML4E 7:3, PDPTE
// and PDE 6:3, 2 MiB leaf 20:12, 1 GiB leaf 29:12, all 51:MAXPHYADDR).
void test_reserved_present() { run_reserved(true); }

// Expect: the same bits in a not-present entry (bits 2:0 = 000b) are
// ignored: EPT violation with the access bit, permissions 0, GLA valid,
// bit 8 set (access to the translation), GPA = the access's address, GLA = its linear alias
// (SDM Vol. 3C 29.3.2, 29.3.3.2; 28.2.1 Table 28-7).
void test_reserved_not_present() { run_reserved(false); }

// Bit 7 set in a present entry of kind (PML4E, or a PDPTE where it is
// reserved) whose other bits are those of a page of that size: address 0
// (aligned to 512 GiB / 1 GiB), RWX, memory type 0 (UC) and nothing else
// reserved. A hypervisor that took bit 7 as a page size would map the
// access to host address 0 + offset and complete it; the SDM makes the
// entry a misconfiguration (29.3.3.1) for every access.
void run_bit7_page_shaped(EptEntryKind kind)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    BitBench b(false, 1);
    if (!b.ready("bit 7 page-shaped"))
        return;
    const EptEntryKindInfo* k = nullptr;
    for (const EptEntryKindInfo& i : kEptEntryKinds)
        if (i.kind == kind)
            k = &i;
    for (L2Op op : kOps) {
        char name[80];
        snformat(name, sizeof(name), "%s bit 7, address 0, RWX: %s", k->name, l2_op_name(op));
        u64 a = b.addr(*k, op);
        bool ok = b.probe(*k, op, EptEntry(EptEntry::LARGE | RWX), name, [&](const RunResult& r, EptEntry) {
            char exp[64];
            snformat(exp, sizeof(exp), "EPT misconfiguration at GPA %#lx", a);
            Diagnostic d{exp, r.describe()};
            report_check(r.exited(ExitReason::EPT_MISCONFIG) && r.exit.guest_phys == a, &d, nullptr,
                         "%s: EPT misconfiguration at the access's GPA", name);
        });
        if (!ok)
            return;
    }
}

// Expect: bit 7 of a PML4E is reserved whatever else the entry holds (SDM
// Vol. 3C 29.3.2 Table 29-1; 29.3.3.1): with an address aligned to 512 GiB,
// RWX and memory type UC, as if it mapped a 512 GiB page, a read, a write
// and a fetch are each an EPT misconfiguration at the access's GPA.
void test_pml4e_bit7_page_shaped() { run_bit7_page_shaped(EptEntryKind::Pml4e); }
// Expect: on a CPU without 1 GiB EPT pages (IA32_VMX_EPT_VPID_CAP[17] = 0)
// bit 7 of a PDPTE is reserved (Table 29-3): the same with an address
// aligned to 1 GiB is an EPT misconfiguration for every access.
void test_pdpte_bit7_page_shaped() { run_bit7_page_shaped(EptEntryKind::Pdpte); }

// The ignored-bit probes under EPT A/D ad: each ignored bit set alone
// (cleared = false) or cleared from an entry with every ignored bit set.
void run_ignored(bool ad, bool cleared)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    BitBench b(ad);
    if (!b.ready("ignored bits"))
        return;
    const EptBitConfig cfg = bit_config(ad);
    auto ignored = [&](EptEntryKind k) { return ept_ignored_bits(k, cfg); };
    for_each_bit_probe(ignored, [&](const EptEntryKindInfo& k, unsigned bit, L2Op op, const char* name) {
        EptEntry old = *b.entry(k);
        EptEntry value = cleared ? EptEntry((old.raw() | ignored(k.kind)) & ~(1ull << bit)) : old.with(1ull << bit);
        return b.probe(k, op, value, name, [&](const RunResult& r, EptEntry after) {
            bool right = b.completed_right(op, r);
            // With EPT A/D the CPU writes bit 8 (and bit 9 of a leaf) only;
            // without, nothing: every other bit stays as L1 wrote it.
            u64 cpu_bits = ad ? EptEntry::A | (ept_kind_is_leaf(k.kind) ? EptEntry::D : 0) : 0;
            bool kept = (after.raw() & ~cpu_bits) == (value.raw() & ~cpu_bits);
            char act[128];
            snformat(act, sizeof(act), "%s; entry %#lx -> %#lx", r.describe(), value.raw(), after.raw());
            Diagnostic d{"the access completes with the right data, entry unchanged but for A/D", act};
            report_check(right && kept, &d, nullptr, "%s: ignored, the access completes", name);
        });
    });
}

// Expect: each ignored bit (EPT A/D off: 11:8 and 63:52, bit 7 of a PTE;
// MBEC, #VE, SSS, SPP off so bits 10, 57, 58, 60, 61, 63 are ignored too),
// set alone, lets a read, a write and a fetch complete with the right data
// (SDM Vol. 3C 29.3.2, Tables 29-1 to 29-6).
void test_ignored_set() { run_ignored(false, false); }
// Expect: the same with the bit cleared in an entry with all ignored bits set.
void test_ignored_cleared() { run_ignored(false, true); }
// Expect: with EPT A/D on (EPTP bit 6) bit 8 is the accessed flag and bit 9
// the dirty flag of a leaf; the remaining ignored bits (9 in non-leaf
// entries, 10, 11, 63:52, 7 of a PTE) change nothing, and the CPU's A/D
// update keeps them (SDM Vol. 3C 29.3.5).
void test_ignored_set_ad() { run_ignored(true, false); }
void test_ignored_cleared_ad() { run_ignored(true, true); }

const char* needs_ad()
{
    if (const char* why = needs_window())
        return why;
    return ept_ad_unavailable_reason();
}

// The 4 KiB window alone (ept_window.hh) suffices for the bit-7 probes.
const char* needs_4k_window() { return ept_window_unavailable_reason(1); }
const char* needs_no_1g()
{
    if (const char* why = needs_4k_window())
        return why;
    return vmx_caps().ept_has(ept_cap::PDPTE_1G)
               ? "1 GiB EPT pages supported (IA32_VMX_EPT_VPID_CAP[17]): bit 7 of a PDPTE maps a page, it is not reserved"
               : nullptr;
}

constexpr TestCase kCases[] = {
    {"pml4e_bit7_page_shaped", test_pml4e_bit7_page_shaped, needs_4k_window},
    {"pdpte_bit7_page_shaped", test_pdpte_bit7_page_shaped, needs_no_1g},
    {"reserved_present", test_reserved_present, needs_window},
    {"reserved_not_present", test_reserved_not_present, needs_window},
    {"reserved_memtype", test_reserved_memtype, needs_window},
    {"reserved_memtype_not_present", test_reserved_memtype_not_present, needs_window},
    {"ignored_set", test_ignored_set, needs_window},
    {"ignored_cleared", test_ignored_cleared, needs_window},
    {"ignored_set_ad", test_ignored_set_ad, needs_ad},
    {"ignored_cleared_ad", test_ignored_cleared_ad, needs_ad},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
