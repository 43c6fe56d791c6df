// ept_config: how EPT configuration is checked and used (SDM Vol. 3C 29.3).
// Reserved bits and reserved leaf memory types in every EPT paging-structure
// entry cause an EPT misconfiguration (29.3.3.1) while ignored bits change
// nothing (29.3.2); EPTP values are checked at VM entry (27.2.1.1); 2 MiB and
// 1 GiB leaves translate and enforce permissions like 4 KiB ones, also once
// split (29.3.2); every defined leaf memory type is accepted (29.3.7).
//
// Each probe builds a fresh EPT guest, shapes its EPT, runs INVEPT and lets
// L2 perform one access at EPT_TEST_GPA (mailbox protocol of ept_harness).
#include "console.hh"
#include "errata.hh"
#include "report.hh"
#include "string.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/cpu.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/l2.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

constexpr u64 R = EptEntry::R, W = EptEntry::W, X = EptEntry::X, RWX = R | W | X;
constexpr u64 OFFSET = 0x80; // where probes access inside a 4 KiB backing page
constexpr u64 WRITE_VALUE = 0x5555aaaa5555aaaaull;

// Bits hi:lo set.
constexpr u64 bits(unsigned hi, unsigned lo) { return (~0ull >> (63 - hi)) & ~((1ull << lo) - 1); }

// The value planted at host-physical address pa: a function of pa, so a read
// through the wrong translation shows.
u64 pattern(PhysAddr pa) { return 0x0123456789abcdefull ^ (pa.raw() * 0x9e3779b97f4a7c15ull); }
void plant(PhysAddr pa) { *phys_to_ptr<u64>(pa) = pattern(pa); }

// Offset from EPT_TEST_GPA at which backing + OFFSET appears when
// map_test_page maps backing with a leaf at level.
u64 test_offset(PhysAddr backing, int level)
{
    return backing - backing.align_down(pt_level_size(level)) + OFFSET;
}

// nullptr when a leaf at level can be built, else the missing capability.
const char* leaf_unsupported(int level)
{
    if (level == 2 && !vmx_caps().ept_has(ept_cap::PDE_2M))
        return "2 MiB EPT leaves not supported (IA32_VMX_EPT_VPID_CAP[16])";
    if (level == 3 && !vmx_caps().ept_has(ept_cap::PDPTE_1G))
        return "1 GiB EPT leaves not supported (IA32_VMX_EPT_VPID_CAP[17])";
    return nullptr;
}

// One L2 access through a freshly built and shaped EPT.
struct Probe {
    bool ran = false; // L2 ran (else a SKIP or ERROR was reported)
    RunResult r{RunStatus::VmFail, VmxResult::fail_invalid(), {}};
    u64 value = 0;        // what a read returned
    u64 addr = 0;         // the guest-physical (= linear) address accessed
    u64 first_access = 0; // GPA of L2's first memory access: its PML4 entry for RIP
};

struct NoUndo {
    void operator()() const {}
};

// Builds an EPT guest, lets shape(ept) change its EPT (false: ERROR), runs
// INVEPT and lets L2 do op at EPT_TEST_GPA + off; undo() then repairs what
// the EPT's destructor must not follow (addresses beyond MAXPHYADDR).
template <class Shape, class Undo = NoUndo>
Probe probe(const char* name, L2Op op, u64 off, Shape shape, Undo undo = {})
{
    static L2Mailbox box;
    Probe p;
    EptGuest eg(l2_access, reinterpret_cast<u64>(&box));
    if (!eg.ready(name))
        return p;
    if (!shape(eg.ept())) {
        report_error("%s: building the EPT mapping failed", name);
        undo();
        return p;
    }
    if (ept_invalidate(eg.eptp(), name)) {
        p.addr = EPT_TEST_GPA.raw() + off;
        p.first_access = (vmcs_read(VmcsField::GUEST_CR3) & EPT_ADDR_MASK) +
                         8 * pt_index(vmcs_read(VmcsField::GUEST_RIP), 4);
        box = {op, p.addr, WRITE_VALUE};
        p.r = eg.run();
        p.value = box.value;
        p.ran = true;
    }
    undo();
    return p;
}

// One check: the read completed without an exit and returned expect.
template <class... Args>
void check_read(const Probe& p, u64 expect, Here fmt, const Args&... args)
{
    if (!p.ran)
        return;
    char exp[40], act[96];
    snformat(exp, sizeof(exp), "read %#lx", expect);
    if (p.r.done())
        snformat(act, sizeof(act), "read %#lx", p.value);
    else
        snformat(act, sizeof(act), "%s", p.r.describe());
    Diagnostic d{exp, act};
    report_check(p.r.done() && p.value == expect, &d, nullptr, fmt, args...);
}

// One check: the write completed without an exit and reached host address pa.
void check_write(const Probe& p, PhysAddr pa, const char* name)
{
    if (!p.ran)
        return;
    Diagnostic d{"write reaches the host page", p.r.done() ? "the host page is unchanged" : p.r.describe()};
    report_check(p.r.done() && *phys_to_ptr<u64>(pa) == WRITE_VALUE, &d, nullptr, "%s", name);
}

// An EPT misconfiguration at gpa: the exit, then its guest-physical address.
// erratum: id in lib/errata.cc when a backend is known not to see it.
void check_misconfig(const Probe& p, u64 gpa, const char* name, const char* erratum = nullptr)
{
    if (!p.ran)
        return;
    const char* deviation = erratum ? known_deviation(erratum) : nullptr;
    bool seen = deviation ? report_xfail(deviation, p.r.exited(ExitReason::EPT_MISCONFIG), "%s: EPT misconfiguration", name)
                          : expect_exit(p.r, ExitReason::EPT_MISCONFIG, "%s: EPT misconfiguration", name);
    if (seen)
        report_eq(p.r.exit.guest_phys, gpa, "%s: guest-physical address", name);
}

// An EPT violation for access, with the leaf permissions perms.
void check_violation(const Probe& p, u64 access, u64 perms, const char* name)
{
    if (!p.ran || !expect_exit(p.r, ExitReason::EPT_VIOLATION, "%s: EPT violation", name))
        return;
    EptViolationQual q(p.r.exit.qualification);
    report_eq(q.access(), access, "%s: qualification access bits", name);
    report_eq(q.entry_perms(), perms, "%s: qualification entry permissions", name);
    report_eq(p.r.exit.guest_phys, p.addr, "%s: guest-physical address", name);
}

// ---------------------------------------------------------------------------
// EPT paging-structure entries: reserved and ignored bits (29.3.2, 29.3.3.1)

// One entry on the walk to a test mapping, with what the SDM reserves and
// ignores in it (Tables 29-1 to 29-6; bits 51:MAXPHYADDR are reserved in all).
struct EntryKind {
    const char* name;
    int level;    // 4: PML4E ... 1: PTE
    int leaf;     // level of the mapping's leaf (1: 4 KiB, 2: 2 MiB, 3: 1 GiB)
    u64 reserved; // reserved bits besides 51:MAXPHYADDR
    // Ignored with A/D flags, MBEC, #VE and the 57:60 features all off: 8, 9
    // (A/D), 10 (user execute), 11, 52..62 and 63 (suppress #VE in a leaf).
    u64 ignored;
};
constexpr u64 IGNORED = bits(11, 8) | bits(63, 52);
constexpr EntryKind kEntries[] = {
    {"PML4E", 4, 1, bits(7, 3), IGNORED},
    {"PDPTE", 3, 1, bits(6, 3), IGNORED},
    {"PDE", 2, 1, bits(6, 3), IGNORED},
    {"PTE", 1, 1, 0, IGNORED | 1ull << 7},
    {"2M PDE", 2, 2, bits(20, 12), IGNORED},
    {"1G PDPTE", 3, 3, bits(29, 12), IGNORED},
};

// The value a probe gives an entry: raw with the bits of clear cleared,
// then the bits of set set, so that set can refill a field it clears (a
// memory type). The reverse order would clear what set just wrote.
constexpr u64 shaped_entry(u64 raw, u64 set, u64 clear) { return (raw & ~clear) | set; }
// A WB RWX 4 KiB leaf shaped to memory type 7 has type 7 (not 0), and a
// reserved bit set alone keeps every other bit.
static_assert(EptEntry(shaped_entry(0x1037, 7ull << EptEntry::MEMTYPE_SHIFT, EptEntry::MEMTYPE_MASK)).memtype() == 7);
static_assert(shaped_entry(0x1037, 7ull << EptEntry::MEMTYPE_SHIFT, EptEntry::MEMTYPE_MASK) == 0x103f);
static_assert(shaped_entry(0x1037, 1ull << 51, 0) == (0x1037 | 1ull << 51));

// L2 reads the test page after the entry of kind k on its walk became
// shaped_entry(entry, set, clear).
Probe probe_entry(const EntryKind& k, PhysAddr backing, u64 set, u64 clear, const char* name)
{
    EptEntry* e = nullptr;
    EptEntry old;
    auto shape = [&](Ept& ept) {
        GuestPhysAddr gpa = map_test_page(ept, backing, RWX, k.leaf);
        e = gpa.raw() ? ept.entry(gpa, k.level) : nullptr;
        if (!e)
            return false;
        old = *e;
        *e = EptEntry(shaped_entry(e->raw(), set, clear));
        return true;
    };
    return probe(name, L2Op::Read, test_offset(backing, k.leaf), shape, [&] {
        if (e)
            *e = old;
    });
}

// Where a misconfiguration of k is seen: the PML4E also maps L1's memory, so
// L2's first access (reading its own PML4 entry for RIP) hits it.
u64 misconfig_gpa(const EntryKind& k, const Probe& p) { return k.level == 4 ? p.first_access : p.addr; }

// Expect: each reserved bit, alone, in each entry of the walk gives an EPT
// misconfiguration with the guest-physical address of the access (SDM Vol.
// 3C 29.3.3.1, 29.3.2 Tables 29-1 to 29-6), also bits 51:MAXPHYADDR.
void test_reserved_bits()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr backing = alloc_page();
    plant(backing + OFFSET);
    unsigned maxphy = cpu_maxphyaddr();
    for (const EntryKind& k : kEntries) {
        if (const char* why = leaf_unsupported(k.leaf)) {
            report_skip(why, "%s: reserved bits", k.name);
            continue;
        }
        u64 reserved = k.reserved | (maxphy < 52 ? bits(51, maxphy) : 0);
        for (unsigned b = 0; b < 64; b++) {
            if (!(reserved & (1ull << b)))
                continue;
            char name[64];
            if (b >= maxphy && b <= 51)
                snformat(name, sizeof(name), "%s bit %u (>= MAXPHYADDR)", k.name, b);
            else
                snformat(name, sizeof(name), "%s bit %u", k.name, b);
            Probe p = probe_entry(k, backing, 1ull << b, 0, name);
            check_misconfig(p, misconfig_gpa(k, p), name, k.leaf > 1 && b == 12 ? "ept.large-leaf-bit12" : nullptr);
        }
    }
    free_page(backing);
}

// Expect: bit 7 of a non-leaf PDPTE (PDE) is reserved when the CPU has no
// 1 GiB (2 MiB) EPT leaves: EPT misconfiguration (SDM Vol. 3C 29.3.2,
// 29.3.3.1). Where the leaves exist the bit makes a leaf, so SKIP.
void test_large_bit_unsupported()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr backing = alloc_page();
    const EntryKind* kinds[] = {&kEntries[1], &kEntries[2]};
    for (const EntryKind* k : kinds) {
        char name[64];
        snformat(name, sizeof(name), "%s bit 7 (large page)", k->name);
        if (!leaf_unsupported(k->level)) {
            report_skip(k->level == 3 ? "1 GiB EPT leaves supported (IA32_VMX_EPT_VPID_CAP[17]): bit 7 maps a page"
                                      : "2 MiB EPT leaves supported (IA32_VMX_EPT_VPID_CAP[16]): bit 7 maps a page",
                        "%s", name);
            continue;
        }
        Probe p = probe_entry(*k, backing, EptEntry::LARGE, 0, name);
        check_misconfig(p, p.addr, name);
    }
    free_page(backing);
}

// Expect: leaf memory types 2, 3 and 7 are reserved: EPT misconfiguration
// on a read, at 4 KiB, 2 MiB and 1 GiB leaves (SDM Vol. 3C 29.3.3.1).
void test_reserved_memtype()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr backing = alloc_page();
    const EntryKind* leaves[] = {&kEntries[3], &kEntries[4], &kEntries[5]};
    for (const EntryKind* k : leaves) {
        if (const char* why = leaf_unsupported(k->leaf)) {
            report_skip(why, "%s: reserved memory types", k->name);
            continue;
        }
        constexpr unsigned kReservedTypes[] = {2, 3, 7};
        for (unsigned mt : kReservedTypes) {
            char name[64];
            snformat(name, sizeof(name), "%s memory type %u", k->name, mt);
            Probe p = probe_entry(*k, backing, static_cast<u64>(mt) << EptEntry::MEMTYPE_SHIFT, EptEntry::MEMTYPE_MASK, name);
            check_misconfig(p, p.addr, name);
        }
    }
    free_page(backing);
}

// Expect: each ignored bit, alone, in each entry of the walk changes
// nothing: the read completes with the backing data (SDM Vol. 3C 29.3.2
// Tables 29-1 to 29-6; A/D flags, MBEC and EPT-violation #VE are off).
void test_ignored_bits()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr backing = alloc_page();
    plant(backing + OFFSET);
    for (const EntryKind& k : kEntries) {
        if (const char* why = leaf_unsupported(k.leaf)) {
            report_skip(why, "%s: ignored bits", k.name);
            continue;
        }
        for (unsigned b = 0; b < 64; b++) {
            if (!(k.ignored & (1ull << b)))
                continue;
            char name[64];
            snformat(name, sizeof(name), "%s bit %u", k.name, b);
            Probe p = probe_entry(k, backing, 1ull << b, 0, name);
            check_read(p, pattern(backing + OFFSET), "%s: ignored, the read completes", name);
        }
    }
    free_page(backing);
}

// ---------------------------------------------------------------------------
// EPTP checks at VM entry (27.2.1.1)

// VMLAUNCH with the guest's valid EPTP changed by mutate: VMfailValid(7)
// when eptp_valid() (the SDM rule as host-tested logic) says it is invalid,
// else a normal entry.
template <class Mutate>
void check_eptp(const char* name, Mutate mutate)
{
    EptGuest eg(l2_nothing, 0);
    if (!eg.ready(name))
        return;
    u64 eptp = mutate(eg.eptp().raw());
    bool valid = eptp_valid(eptp, vmx_caps().ept_vpid, cpu_maxphyaddr());
    if (valid && Eptp(eptp).levels() != 4) {
        report_skip("5-level EPT walks supported (IA32_VMX_EPT_VPID_CAP[7]): the EPTP is valid but the tables have 4 levels",
                    "%s", name);
        return;
    }
    if (!vmcs_write(VmcsField::EPT_POINTER, eptp))
        return;
    RunResult r = eg.run();
    if (valid) {
        expect_done(r, "%s: valid, the guest enters and returns", name);
        return;
    }
    char exp[64];
    snformat(exp, sizeof(exp), "VMfailValid(7) for EPTP %#lx", eptp);
    Diagnostic d{exp, r.describe()};
    report_check(r.vmfail_valid(VmxInsnError::ENTRY_INVALID_CONTROL_FIELD), &d, nullptr,
                 "%s: VMLAUNCH fails with VMfailValid(7)", name);
}

// One EPTP probe: the harness's valid EPTP (WB or UC walks, 4 levels, A/D
// off) shaped with shaped_entry(eptp, set, clear). eptp_valid() (host-tested,
// tests/host/ept_test.cc) decides per CPU whether VM entry must accept it.
struct EptpRow {
    const char* name;
    u64 set, clear;
};
constexpr u64 MT = 7, WL = 7ull << 3, AD = Eptp::AD, SSS = 1ull << 7;
constexpr u64 wl(unsigned field) { return static_cast<u64>(field) << 3; } // walk length - 1
constexpr EptpRow kEptpRows[] = {
    {"baseline", 0, 0},
    // Walk memory type (bits 2:0): only UC (CAP[8]) and WB (CAP[14]).
    {"walk memory type 0 (UC)", 0, MT}, {"walk memory type 1", 1, MT}, {"walk memory type 2", 2, MT},
    {"walk memory type 3", 3, MT}, {"walk memory type 4", 4, MT}, {"walk memory type 5", 5, MT},
    {"walk memory type 6 (WB)", 6, MT}, {"walk memory type 7", 7, MT},
    // Walk length - 1 (bits 5:3): 4 levels, 5 with CAP[7].
    {"walk-length field 0", wl(0), WL}, {"walk-length field 1", wl(1), WL}, {"walk-length field 2", wl(2), WL},
    {"walk-length field 3 (4 levels)", wl(3), WL}, {"walk-length field 4 (5 levels)", wl(4), WL},
    {"walk-length field 5", wl(5), WL}, {"walk-length field 6", wl(6), WL}, {"walk-length field 7", wl(7), WL},
    // The same lengths with UC walks: the length rule does not depend on the type.
    {"UC, walk-length field 0", wl(0), MT | WL}, {"UC, walk-length field 1", wl(1), MT | WL},
    {"UC, walk-length field 2", wl(2), MT | WL}, {"UC, walk-length field 3 (4 levels)", wl(3), MT | WL},
    {"UC, walk-length field 4 (5 levels)", wl(4), MT | WL}, {"UC, walk-length field 5", wl(5), MT | WL},
    {"UC, walk-length field 6", wl(6), MT | WL}, {"UC, walk-length field 7", wl(7), MT | WL},
    // A/D enable (bit 6): only with CAP[21]; combined with each walk memory
    // type and with 5-level walks.
    {"A/D enable (bit 6)", AD, 0},
    {"A/D, walk memory type 0 (UC)", AD | 0, MT}, {"A/D, walk memory type 1", AD | 1, MT},
    {"A/D, walk memory type 2", AD | 2, MT}, {"A/D, walk memory type 3", AD | 3, MT},
    {"A/D, walk memory type 4", AD | 4, MT}, {"A/D, walk memory type 5", AD | 5, MT},
    {"A/D, walk memory type 6 (WB)", AD | 6, MT}, {"A/D, walk memory type 7", AD | 7, MT},
    {"A/D, walk-length field 2", AD | wl(2), WL}, {"A/D, walk-length field 4 (5 levels)", AD | wl(4), WL},
    // Bit 7 enables supervisor shadow-stack control: only with CAP[23].
    {"supervisor shadow stack (bit 7)", SSS, 0}, {"supervisor shadow stack and A/D", SSS | AD, 0},
    // Bits 11:8 are reserved, alone, with A/D and together.
    {"reserved bit 8", 1ull << 8, 0}, {"reserved bit 9", 1ull << 9, 0},
    {"reserved bit 10", 1ull << 10, 0}, {"reserved bit 11", 1ull << 11, 0},
    {"A/D, reserved bit 8", AD | 1ull << 8, 0}, {"A/D, reserved bit 9", AD | 1ull << 9, 0},
    {"A/D, reserved bit 10", AD | 1ull << 10, 0}, {"A/D, reserved bit 11", AD | 1ull << 11, 0},
    {"reserved bits 11:8 together", 0xfull << 8, 0},
    // Bits 63:52 always beyond MAXPHYADDR (<= 52): all together.
    {"bits 63:52 together", 0xfffull << 52, 0},
};
// Every row names what it sets: the memory-type rows set exactly that type,
// the length rows exactly that field (shaped_entry clears first).
static_assert(Eptp(shaped_entry(0x1000 | 6 | wl(3), 1, MT)).memtype() == 1);
static_assert(Eptp(shaped_entry(0x1000 | 6 | wl(3), wl(4), MT | WL)).levels() == 5 &&
              Eptp(shaped_entry(0x1000 | 6 | wl(3), wl(4), MT | WL)).memtype() == 0);
static_assert(Eptp(shaped_entry(0x1000 | 6 | wl(3), AD | 7, MT)).ad() && Eptp(shaped_entry(0x1000 | 6, AD | 7, MT)).memtype() == 7);

// Expect: VM entry accepts the EPTP exactly when the SDM rules allow it
// under this CPU's IA32_VMX_EPT_VPID_CAP and MAXPHYADDR: walk memory types
// other than UC/WB (and those without CAP[8]/[14]), walk lengths other than
// 4 (5 with CAP[7]), A/D without CAP[21], bit 7 without CAP[23], bits 11:8
// and bits 63:MAXPHYADDR make VMLAUNCH fail with VMfailValid(7); a valid
// one enters and L2 returns, also with the root moved to a copy of the
// PML4 table (SDM Vol. 3C 27.2.1.1, 25.6.11).
void test_eptp()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    for (const EptpRow& row : kEptpRows)
        check_eptp(row.name, [&row](u64 e) { return shaped_entry(e, row.set, row.clear); });
    char name[64];
    for (unsigned b = cpu_maxphyaddr(); b < 64; b++) {
        snformat(name, sizeof(name), "bit %u (63:MAXPHYADDR)", b);
        check_eptp(name, [b](u64 e) { return e | 1ull << b; });
    }
    if (cpu_maxphyaddr() < 52)
        check_eptp("bits 51:MAXPHYADDR together", [](u64 e) { return e | bits(51, cpu_maxphyaddr()); });
    // The root is where VM entry and the walks take it from: a copy of the
    // PML4 table at another page serves as well.
    PhysAddr copy = alloc_page();
    if (!copy.raw())
        return report_error("root copy: out of memory");
    check_eptp("root moved to a copy of the PML4 table", [copy](u64 e) {
        memcpy(phys_to_ptr<u8>(copy), phys_to_ptr<u8>(Eptp(e).root()), PAGE_SIZE);
        return (e & ~EPT_ADDR_MASK) | copy.raw();
    });
    free_page(copy);
}

// ---------------------------------------------------------------------------
// Large leaves (29.3.2)

// 2 MiB of 2 MiB-aligned host memory, freed at scope end.
class LargeBacking {
public:
    LargeBacking() : base_(alloc_pages(512, LARGE_PAGE_SIZE)) {}
    ~LargeBacking()
    {
        for (u64 i = 0; base_.raw() && i < 512; i++)
            free_page(base_ + i * PAGE_SIZE);
    }
    LargeBacking(const LargeBacking&) = delete;
    LargeBacking& operator=(const LargeBacking&) = delete;
    PhysAddr base() const { return base_; }

private:
    PhysAddr base_;
};

// Offsets inside the 2 MiB backing: first and last qword, page boundaries.
constexpr u64 kLargeOffsets[] = {0x0, 0x1008, 0x7ff10, 0x100000, 0x1ffff8};

// Offset of big inside the level-sized host region that holds it.
u64 large_base_offset(const LargeBacking& big, int level)
{
    return big.base() - big.base().align_down(pt_level_size(level));
}

// Maps EPT_TEST_GPA with a leaf at level over the host region holding big
// (for 1 GiB, the first GiB of host memory), then optionally splits it once.
bool map_large(Ept& ept, const LargeBacking& big, int level, u64 perms, bool split)
{
    PhysAddr base = big.base().align_down(pt_level_size(level));
    if (ept.map(EPT_TEST_GPA, base, perms, level) != WalkStatus::Ok)
        return false;
    return !split || ept.split(EPT_TEST_GPA + large_base_offset(big, level), level);
}

// The large-leaf checks at level; with split, after Ept::split turned the
// leaf into a table of level-1 leaves.
void run_large(int level, bool split)
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    const char* what = split ? (level == 3 ? "1G split to 2M" : "2M split to 4K") : level == 3 ? "1G" : "2M";
    LargeBacking big;
    if (!big.base().raw()) {
        report_error("%s: no 2 MiB of contiguous memory", what);
        return;
    }
    u64 base_off = large_base_offset(big, level);
    for (u64 off : kLargeOffsets)
        plant(big.base() + off);

    if (split) {
        // The hypervisor must use the new level-1 leaves: the child holding
        // the probe made read-only faults on a write, with the GPA of the
        // write (the old large leaf was RWX). Ept::split itself is L1
        // bookkeeping: a child not one level lower is a setup ERROR here.
        char name[64];
        snformat(name, sizeof(name), "%s: read-only child leaf: write", what);
        u64 off = base_off + 0x1008;
        Probe ro = probe(name, L2Op::Write, off, [&](Ept& ept) {
            int got = 0;
            EptEntry* child = map_large(ept, big, level, RWX, true) ? ept.leaf(EPT_TEST_GPA + off, &got) : nullptr;
            if (!child || got != level - 1)
                return false;
            *child = child->with_perms(R);
            return true;
        });
        check_violation(ro, EPT_ACCESS_WRITE, R, name);
    }
    for (u64 off : kLargeOffsets) {
        Probe p = probe(what, L2Op::Read, base_off + off, [&](Ept& ept) { return map_large(ept, big, level, RWX, split); });
        check_read(p, pattern(big.base() + off), "%s leaf: read at backing +%#lx returns the host bytes there", what, off);
    }
    char name[64];
    snformat(name, sizeof(name), "%s leaf: write at backing +0x12340 reaches the host bytes there", what);
    Probe w = probe(name, L2Op::Write, base_off + 0x12340, [&](Ept& ept) { return map_large(ept, big, level, RWX, split); });
    check_write(w, big.base() + 0x12340, name);

    snformat(name, sizeof(name), "read-only %s leaf: write", what);
    Probe ro = probe(name, L2Op::Write, base_off + 0x1008, [&](Ept& ept) { return map_large(ept, big, level, R, split); });
    check_violation(ro, EPT_ACCESS_WRITE, R, name);
}

// Expect: a 2 MiB / 1 GiB leaf maps each guest offset to the same offset of
// the host region (reads and writes), and a read-only one gives an EPT
// violation on a write, with access = write, permissions = R and the GPA
// (SDM Vol. 3C 29.3.2, 29.3.3.2).
void test_large_2m() { run_large(2, false); }
void test_large_1g() { run_large(3, false); }

// Expect: after Ept::split the same offsets translate to the same host
// bytes and the permissions still apply (SDM Vol. 3C 29.3.2).
void test_split_2m() { run_large(2, true); }
void test_split_1g() { run_large(3, true); }

// Expect: after splitting a 2 MiB leaf, one 4 KiB child made read-only gives
// a write violation at its GPA while its neighbour stays writable (SDM Vol.
// 3C 29.3.3.2).
void test_split_child_perms()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    LargeBacking big;
    if (!big.base().raw()) {
        report_error("no 2 MiB of contiguous memory");
        return;
    }
    auto shape = [&](Ept& ept) {
        if (!map_large(ept, big, 2, RWX, true))
            return false;
        EptEntry* child = ept.entry(EPT_TEST_GPA + 0x1000, 1);
        if (!child)
            return false;
        *child = child->with_perms(R);
        return true;
    };
    Probe ro = probe("read-only child", L2Op::Write, 0x1008, shape);
    check_violation(ro, EPT_ACCESS_WRITE, R, "read-only child: write");
    Probe rw = probe("writable neighbour", L2Op::Write, 0x2008, shape);
    check_write(rw, big.base() + 0x2008, "writable neighbour: write reaches the host page");
}

// ---------------------------------------------------------------------------
// Leaf memory types (29.3.7)

struct MemTypeRow {
    EptMemType mt;
    const char* name;
};
constexpr MemTypeRow kMemTypes[] = {
    {EptMemType::UC, "UC"}, {EptMemType::WC, "WC"}, {EptMemType::WT, "WT"},
    {EptMemType::WP, "WP"}, {EptMemType::WB, "WB"},
};

// Expect: UC(0), WC(1), WT(4), WP(5) and WB(6) in a 4 KiB, 2 MiB or 1 GiB
// leaf, with and without "ignore PAT" (bit 6), are no misconfiguration: the
// read completes with the backing data (SDM Vol. 3C 29.3.3.1, 29.3.7.2).
void test_leaf_memtypes()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr backing = alloc_page();
    plant(backing + OFFSET);
    for (int level = 1; level <= 3; level++) {
        const char* size = level == 1 ? "4K" : level == 2 ? "2M" : "1G";
        if (const char* why = leaf_unsupported(level)) {
            report_skip(why, "%s leaf memory types", size);
            continue;
        }
        for (const MemTypeRow& row : kMemTypes) {
            for (u64 ipat = 0; ipat <= EptEntry::IGNORE_PAT; ipat += EptEntry::IGNORE_PAT) {
                char name[64];
                snformat(name, sizeof(name), "%s leaf %s%s", size, row.name, ipat ? " + ignore PAT" : "");
                Probe p = probe(name, L2Op::Read, test_offset(backing, level), [&](Ept& ept) {
                    GuestPhysAddr gpa = map_test_page(ept, backing, RWX, level, row.mt);
                    EptEntry* e = gpa.raw() ? ept.entry(gpa, level) : nullptr;
                    if (e)
                        *e = e->with(ipat);
                    return e != nullptr;
                });
                check_read(p, pattern(backing + OFFSET), "%s: the read completes", name);
            }
        }
    }
    free_page(backing);
}

const char* needs_ept() { return ept_unavailable_reason(); }
const char* needs_ept_2m()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return leaf_unsupported(2);
}
const char* needs_ept_1g()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return leaf_unsupported(3);
}

constexpr TestCase kCases[] = {
    {"misconfig_reserved_bits", test_reserved_bits, needs_ept},
    {"misconfig_large_bit", test_large_bit_unsupported, needs_ept},
    {"misconfig_reserved_memtype", test_reserved_memtype, needs_ept},
    {"ignored_bits", test_ignored_bits, needs_ept},
    {"eptp_entry_checks", test_eptp, needs_ept},
    {"large_2m", test_large_2m, needs_ept_2m},
    {"large_1g", test_large_1g, needs_ept_1g},
    {"split_2m", test_split_2m, needs_ept_2m},
    {"split_1g", test_split_1g, needs_ept_1g},
    {"split_child_perms", test_split_child_perms, needs_ept_2m},
    {"leaf_memtypes", test_leaf_memtypes, needs_ept},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
