// ept_pae: an L2 that uses PAE paging under EPT (SDM Vol. 3C 27.3.1.6,
// 27.3.2.4, 28.3.4, 29.3.2; Vol. 3A 4.4.1).
//
// With 'enable EPT' = 1, VM entry takes the four PDPTEs from the guest-PDPTE
// fields of the VMCS (it neither reads nor checks the PDPT that CR3 points
// at) and checks those fields (reserved bits -> VM-entry failure, exit 33,
// qualification 2); VM exit saves the PDPTEs in use back to the fields. A
// MOV to CR3 in L2 loads the PDPTEs from guest-physical memory through EPT:
// EPT violations (guest linear address not valid, bit 7 = 0) and
// misconfigurations happen there, and reserved bits in a present PDPTE are
// #GP(0) in L2.
//
// L2 is a 32-bit flat protected-mode stub with CR0.PG = CR4.PAE = 1. Its
// page directories are L1's boot directories (2 MiB pages, identity map
// of 0-4 GiB); its PDPT lies at EPT_TEST_GPA, mapped with the EPT
// permissions under test. One 2 MiB region is remapped through an
// alternative directory so that the two PDPTE sets (VMCS and memory) send
// the same data address to different frames.
#include "report.hh"
#include "testcase.hh"
#include "x86/page_set.hh"
#include "x86/arch/cr.hh"
#include "x86/cpu.hh"
#include "x86/paging.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/ept_harness.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/legacy_guest.hh"
#include "x86/vmx/simulate.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

// l2_pae_stub (32-bit, PAE paging): if edi != 0, MOV edi to CR3; then
// edx <- dword at [esi], eax <- PAE_MARK, VMCALL, halt.
// l2_pae_pge_stub: toggles CR4.PGE (a MOV to CR4 that reloads the PDPTEs),
// then continues like l2_pae_stub after its MOV to CR3.
extern "C" char l2_pae_stub[], l2_pae_mov_cr3[], l2_pae_vmcall[], l2_pae_pge_stub[], l2_pae_mov_cr4[];
asm(R"(
    .text
    .code32
    .globl l2_pae_stub, l2_pae_mov_cr3, l2_pae_vmcall
l2_pae_stub:
    test %edi, %edi
    jz 1f
l2_pae_mov_cr3:
    mov %edi, %cr3
1:  mov (%esi), %edx
    mov $0x50414521, %eax
l2_pae_vmcall:
    vmcall
2:  hlt
    jmp 2b
    .globl l2_pae_pge_stub, l2_pae_mov_cr4
l2_pae_pge_stub:
    mov %cr4, %eax
    xor $0x80, %eax
l2_pae_mov_cr4:
    mov %eax, %cr4
    jmp 1b
    .code64
)");

namespace {

using F = VmcsField;
constexpr u64 R = EptEntry::R, W = EptEntry::W, X = EptEntry::X;
constexpr u32 PAE_MARK = 0x50414521;
constexpr u32 VALUE_A = 0xaaaa1111, VALUE_B = 0xbbbb2222; // frame A (memory path), frame B (VMCS path)
constexpr u64 PDPTE_P = 1;
constexpr u64 ENTRY_QUAL_PDPTE = 2; // 27.8: failure while loading PDPTEs
constexpr u64 CR4_PAE = 1ull << 5;

// Pages of one case: data (frame A), frame B, PDPT, alternative PD, PT,
// stack.
class PaePages {
public:
    [[nodiscard]] bool ok() const { return p_.ok(); }
    PhysAddr data() const { return p_[0]; }
    PhysAddr frame_b() const { return p_[1]; }
    PhysAddr pdpt() const { return p_[2]; }
    PhysAddr alt_pd() const { return p_[3]; }
    PhysAddr pt() const { return p_[4]; }
    PhysAddr stack() const { return p_[5]; }

private:
    PageSet<6> p_;
};

// The PAE structures of a case. memory[] is what the PDPT page holds (every
// directory = L1's boot directory: data -> frame A); vmcs[] differs in the
// entry for the data's GiB, whose directory sends the data's 4 KiB page to
// frame B.
struct PaeTables {
    u64 memory[4];
    u64 vmcs[4];
};

// Builds the tables in pages; false (ERROR reported) when L1's paging is
// not the 4 GiB boot identity map this relies on.
bool build_tables(const PaePages& pg, PaeTables* t)
{
    u64 data = pg.data().raw();
    if (data >> 32)
        return report_error("data page above 4 GiB (%#lx)", data), false;
    const u64* pml4 = phys_to_ptr<u64>(PhysAddr(read_cr3() & PT_ADDR_MASK));
    const u64* pdpt = phys_to_ptr<u64>(PhysAddr(pml4[0] & PT_ADDR_MASK));
    for (unsigned i = 0; i < 4; i++) {
        if (!(pdpt[i] & Pte::P) || (pdpt[i] & Pte::PS))
            return report_error("L1's PDPTE %u is not a directory", i), false;
        t->memory[i] = t->vmcs[i] = (pdpt[i] & PT_ADDR_MASK) | PDPTE_P;
    }
    unsigned gib = static_cast<unsigned>(data >> 30), pde = (data >> 21) & 511, pte = (data >> 12) & 511;
    const u64* boot_pd = phys_to_ptr<u64>(PhysAddr(t->memory[gib] & PT_ADDR_MASK));
    if (!(boot_pd[pde] & Pte::PS))
        return report_error("L1 maps the data page with 4 KiB pages"), false;
    u64* alt = phys_to_ptr<u64>(pg.alt_pd());
    u64* pt = phys_to_ptr<u64>(pg.pt());
    for (unsigned i = 0; i < 512; i++) {
        alt[i] = boot_pd[i] & ~(Pte::A | Pte::D);
        pt[i] = ((data & ~0x1fffffull) + i * PAGE_SIZE) | Pte::P | Pte::RW;
    }
    pt[pte] = pg.frame_b().raw() | Pte::P | Pte::RW;
    alt[pde] = pg.pt().raw() | Pte::P | Pte::RW;
    t->vmcs[gib] = pg.alt_pd().raw() | PDPTE_P;
    u64* mem = phys_to_ptr<u64>(pg.pdpt());
    for (unsigned i = 0; i < 4; i++)
        mem[i] = t->memory[i];
    *phys_to_ptr<u32>(pg.data()) = VALUE_A;
    *phys_to_ptr<u32>(pg.frame_b()) = VALUE_B;
    return true;
}

// An EPT guest running l2_pae_stub with PAE paging: CR3 = EPT_TEST_GPA
// (the PDPT page, mapped with pdpt_perms unless 0 = not mapped), guest
// PDPTE fields = pdptes, esi = the data page, edi = new_cr3 (0: no MOV).
class PaeGuest {
public:
    explicit PaeGuest(EptOptions options = {}) : eg_(l2_nothing_stub, 0, options) {}
    [[nodiscard]] bool setup(const char* what, const PaePages& pg, u64 pdpt_perms, const u64* pdptes, u64 new_cr3,
                             const char* rip = l2_pae_stub)
    {
        if (!eg_.ready(what))
            return false;
        if (pdpt_perms && eg_.ept().map(EPT_TEST_GPA, pg.pdpt(), pdpt_perms, 1) != WalkStatus::Ok)
            return report_error("%s: mapping the PDPT page failed", what), false;
        LegacyState s = protected_mode_state(pg.stack());
        s.rip = reinterpret_cast<u64>(rip);
        s.cr0 |= cr0::PG;
        s.cr4 |= CR4_PAE;
        if (!load_legacy_state(s) || !vmcs_write(F::GUEST_CR3, EPT_TEST_GPA.raw()))
            return false;
        for (unsigned i = 0; i < 4; i++)
            if (!vmcs_write(static_cast<F>(static_cast<u32>(F::GUEST_PDPTR0) + 2 * i), pdptes[i]))
                return false;
        GuestRegs& r = eg_.guest().regs();
        r.rsi = pg.data().raw();
        r.rdi = new_cr3;
        return true;
    }
    RunResult run()
    {
        RunResult r = eg_.run();
        EptEntry* leaf = pdpt_leaf();
        if (simulate::PDPTE_LOAD_WRITE && leaf && leaf->accessed())
            *leaf = leaf->with(EptEntry::D);
        return r;
    }
    GuestRegs& regs() { return eg_.guest().regs(); }
    // The EPT leaf of the PDPT page (nullptr when it is not mapped).
    EptEntry* pdpt_leaf() { return eg_.ept().entry(EPT_TEST_GPA, 1); }

private:
    static void l2_nothing_stub(u64) {}
    EptGuest eg_;
};

// The stub's VMCALL exit with the value it read: three lines.
bool expect_read(const RunResult& r, PaeGuest& g, u32 want, const char* what)
{
    if (!expect_exit(r, ExitReason::VMCALL, "%s: L2 runs to its VMCALL", what))
        return false;
    report_eq(r.exit.guest_rip, reinterpret_cast<u64>(l2_pae_vmcall), "%s: exit at the stub's VMCALL", what);
    return report_eq(g.regs().rdx & 0xffffffff, want, "%s: the data read went through the expected PDPTE", what);
}

// Reads the four guest-PDPTE fields.
void read_pdpte_fields(u64* out)
{
    for (unsigned i = 0; i < 4; i++)
        out[i] = vmcs_read(static_cast<F>(static_cast<u32>(F::GUEST_PDPTR0) + 2 * i));
}

#define PAE_CASE_SETUP(name)                                                                       \
    VmxOn vmx;                                                                                     \
    PaePages pg;                                                                                   \
    PaeTables t;                                                                                   \
    if (!vmx.ok())                                                                                 \
        return;                                                                                    \
    if (!pg.ok())                                                                                  \
        return report_error("%s: out of memory", name);                                            \
    if (!build_tables(pg, &t))                                                                     \
        return

// VM entry takes the PDPTEs from the VMCS (27.3.2.4): the PDPT page is not
// mapped in EPT at all (any read of it would be an EPT violation), and the
// VMCS fields point the data page at frame B.
// Expect: entry succeeds, L2 reads frame B, and the exit saves the PDPTEs
// in use (the VMCS values) back to the fields (28.3.4).
void test_pae_entry_uses_vmcs_pdptes()
{
    const char* name = "PDPT page not mapped in EPT";
    PAE_CASE_SETUP(name);
    PaeGuest g;
    if (!g.setup(name, pg, 0, t.vmcs, 0))
        return;
    RunResult r = g.run();
    if (!expect_read(r, g, VALUE_B, name))
        return;
    u64 saved[4];
    read_pdpte_fields(saved);
    for (unsigned i = 0; i < 4; i++)
        report_eq(saved[i], t.vmcs[i], "%s: VM exit saved PDPTE %u (the one in use)", name, i);
}

// The VMCS PDPTEs win over a valid PDPT in memory (27.3.2.4).
// Expect: the PDPT page is mapped readable and holds the frame-A path, the
// fields the frame-B path: L2 reads frame B.
void test_pae_vmcs_pdptes_win()
{
    const char* name = "valid PDPT in memory, other PDPTEs in the VMCS";
    PAE_CASE_SETUP(name);
    PaeGuest g;
    if (!g.setup(name, pg, R | W, t.vmcs, 0))
        return;
    expect_read(g.run(), g, VALUE_B, name);
}

// PDPTE checks at VM entry (27.3.1.6): a present guest-PDPTE field with a
// reserved bit (2:1, 8:5, 63:MAXPHYADDR; Vol. 3A 4.4.1 Table 4-8).
// Expect: VM entry fails, exit 33 with bit 31 and qualification 2; the
// same bits in a not-present PDPTE are not checked (entry succeeds).
void test_pae_vmcs_pdpte_reserved()
{
    const char* name = "guest-PDPTE field reserved bits";
    PAE_CASE_SETUP(name);
    unsigned maxphy = cpu_maxphyaddr();
    struct Bit {
        const char* what;
        u64 bit;
    } const bits[] = {{"bit 1", 1ull << 1}, {"bit 2", 1ull << 2},   {"bit 5", 1ull << 5},
                      {"bit 6", 1ull << 6}, {"bit 7", 1ull << 7},   {"bit 8", 1ull << 8},
                      {"bit 63", 1ull << 63}, {"bit MAXPHYADDR", maxphy < 52 ? 1ull << maxphy : 0}};
    // The unused PDPTE: 3 (the GiB at 3 GiB, where L2 touches nothing)
    // unless the data page lives there (then 2).
    unsigned victim = (pg.data().raw() >> 30) == 3 ? 2 : 3;
    for (const Bit& b : bits) {
        if (!b.bit) {
            report_skip("MAXPHYADDR is 52", "%s: unused PDPTE with %s", name, b.what);
            continue;
        }
        u64 pdptes[4] = {t.vmcs[0], t.vmcs[1], t.vmcs[2], t.vmcs[3]};
        pdptes[victim] |= b.bit;
        {
            PaeGuest g;
            if (!g.setup(name, pg, R | W, pdptes, 0))
                return;
            RunResult r = g.run();
            if (expect_invalid_guest(r, "present unused PDPTE with %s: entry fails (exit 33)", b.what))
                report_eq(r.exit.qualification, ENTRY_QUAL_PDPTE, "present unused PDPTE with %s: exit qualification 2 (PDPTE loading)", b.what);
        }
        {
            pdptes[victim] &= ~PDPTE_P;
            PaeGuest g;
            if (!g.setup(name, pg, R | W, pdptes, 0))
                return;
            char what[64];
            snformat(what, sizeof(what), "not-present unused PDPTE with %s", b.what);
            expect_read(g.run(), g, VALUE_B, what);
        }
    }
    // Every reserved bit alone in a present PDPTE, on one VMCS (a failed
    // entry leaves it unlaunched and unchanged), then the valid set.
    PaeGuest g;
    if (!g.setup(name, pg, R | W, t.vmcs, 0))
        return;
    F field = static_cast<F>(static_cast<u32>(F::GUEST_PDPTR0) + 2 * victim);
    for (unsigned bit = 1; bit < 64; bit++) {
        bool reserved = bit == 1 || bit == 2 || (bit >= 5 && bit <= 8) || bit >= maxphy;
        if (!reserved)
            continue;
        if (!vmcs_write(field, t.vmcs[victim] | (1ull << bit)))
            return;
        RunResult r = g.run();
        Diagnostic d{"failed entry: exit 33 (invalid guest state), qualification 0x2", r.describe()};
        report_check(r.invalid_guest_state() && r.exit.qualification == ENTRY_QUAL_PDPTE, &d, nullptr,
                     "sweep: present unused PDPTE, bit %u alone: entry fails (exit 33, qualification 2)", bit);
    }
    if (vmcs_write(field, t.vmcs[victim]))
        expect_read(g.run(), g, VALUE_B, "sweep: valid PDPTEs again on the same VMCS");
}

// MOV to CR3 in L2 loads the PDPTEs from memory through EPT (Vol. 3A
// 4.4.1; 29.3.2).
// Expect: L2 entered with the frame-B PDPTEs reloads CR3 (same value) and
// then reads frame A; the VM exit saves the memory PDPTEs to the fields.
void test_pae_mov_cr3_loads_pdptes()
{
    const char* name = "MOV to CR3 in L2";
    PAE_CASE_SETUP(name);
    PaeGuest g;
    if (!g.setup(name, pg, R, t.vmcs, EPT_TEST_GPA.raw()))
        return;
    RunResult r = g.run();
    if (!expect_read(r, g, VALUE_A, name))
        return;
    u64 saved[4];
    read_pdpte_fields(saved);
    for (unsigned i = 0; i < 4; i++)
        report_eq(saved[i], t.memory[i], "%s: VM exit saved PDPTE %u as loaded from memory", name, i);
}

// MOV to CR3 in L2 with the PDPT page's EPT permissions not allowing a
// read (none, X-only where supported, W-only = misconfiguration).
// Expect: none / X: EPT violation at the MOV, qualification: data read
// (bit 0), entry permissions as mapped, guest linear address not valid
// (bit 7 = 0: PDPTE loading by MOV CR, Table 28-7), GPA in the PDPT page.
// W-only: EPT misconfiguration (29.3.3.1) with the GPA in the PDPT page.
void test_pae_mov_cr3_ept_faults()
{
    const char* name = "MOV to CR3, PDPT not readable";
    PAE_CASE_SETUP(name);
    bool exec_only = vmx_caps().ept_vpid & ept_cap::EXEC_ONLY;
    struct Row {
        const char* what;
        u64 perms;
        bool misconfig;
    } const rows[] = {{"PDPT page not present", 0, false}, {"PDPT page X-only", X, false}, {"PDPT page W-only", W, true}};
    for (const Row& row : rows) {
        if (row.perms == X && !exec_only) {
            report_skip("execute-only EPT entries not supported (IA32_VMX_EPT_VPID_CAP[0])", "%s: %s", name, row.what);
            continue;
        }
        PaeGuest g;
        if (!g.setup(name, pg, row.perms, t.vmcs, EPT_TEST_GPA.raw()))
            return;
        RunResult r = g.run();
        if (row.misconfig) {
            if (expect_exit(r, ExitReason::EPT_MISCONFIG, "%s: EPT misconfiguration", row.what))
                report_eq(r.exit.guest_phys & ~0xfffull, EPT_TEST_GPA.raw(), "%s: GPA in the PDPT page", row.what);
            continue;
        }
        if (!expect_exit(r, ExitReason::EPT_VIOLATION, "%s: EPT violation", row.what))
            continue;
        EptViolationQual q(r.exit.qualification);
        report_eq(r.exit.guest_rip, reinterpret_cast<u64>(l2_pae_mov_cr3), "%s: exit at the MOV to CR3", row.what);
        report_eq(q.access(), EPT_ACCESS_READ, "%s: qualification access is a data read", row.what);
        report_eq(q.entry_perms(), row.perms, "%s: qualification entry permissions", row.what);
        report(!q.gla_valid(), "%s: qualification bit 7 clear (no guest linear address for PDPTE loading)", row.what);
        report_eq(r.exit.guest_phys & ~0xfffull, EPT_TEST_GPA.raw(), "%s: GPA in the PDPT page", row.what);
    }
}

// MOV to CR4 that toggles CR4.PGE while PAE paging is on reloads the
// PDPTEs from the address in CR3 (Vol. 3A 4.4.1), through EPT.
// Expect: with the PDPT page readable, L2 entered with the frame-B PDPTEs
// reads frame A after the MOV; with the page not mapped, the MOV to CR4
// causes an EPT violation (data read, GLA not valid, GPA in the page).
void test_pae_mov_cr4_loads_pdptes()
{
    const char* name = "MOV to CR4 toggling PGE";
    PAE_CASE_SETUP(name);
    {
        PaeGuest g;
        if (!g.setup(name, pg, R, t.vmcs, 0, l2_pae_pge_stub))
            return;
        expect_read(g.run(), g, VALUE_A, name);
    }
    {
        PaeGuest g;
        if (!g.setup(name, pg, 0, t.vmcs, 0, l2_pae_pge_stub))
            return;
        RunResult r = g.run();
        if (!expect_exit(r, ExitReason::EPT_VIOLATION, "%s, PDPT page not present: EPT violation", name))
            return;
        EptViolationQual q(r.exit.qualification);
        report_eq(r.exit.guest_rip, reinterpret_cast<u64>(l2_pae_mov_cr4), "%s, PDPT page not present: exit at the MOV to CR4", name);
        report_eq(q.access(), EPT_ACCESS_READ, "%s, PDPT page not present: qualification access is a data read", name);
        report(!q.gla_valid(), "%s, PDPT page not present: qualification bit 7 clear", name);
        report_eq(r.exit.guest_phys & ~0xfffull, EPT_TEST_GPA.raw(), "%s, PDPT page not present: GPA in the PDPT page", name);
    }
}

// EPT accessed flag of the PDPT page (29.3.5: set on every EPT entry used
// to translate a guest-physical address the processor accesses), with EPT
// A/D enabled and the page mapped RW with A clear.
// Expect: after a MOV to CR3 in L2 has loaded the PDPTEs, the PDPT page's
// EPT leaf has A = 1. (That the VM entry, which takes the PDPTEs from the
// VMCS, leaves A clear is not checked: A flags may be set speculatively.)
void test_pae_pdpt_accessed_flag()
{
    const char* name = "EPT accessed flag of the PDPT page";
    PAE_CASE_SETUP(name);
    {
        PaeGuest g(EptOptions{false, true});
        if (!g.setup(name, pg, R | W, t.vmcs, EPT_TEST_GPA.raw()) || !g.pdpt_leaf())
            return;
        if (expect_read(g.run(), g, VALUE_A, "A/D on, MOV to CR3"))
            report_eq(g.pdpt_leaf()->raw() & EptEntry::A, EptEntry::A, "A/D on, MOV to CR3: PDPT page accessed (EPT A set)");
    }
}

// PDPTE loading under EPT A/D (SDM Vol. 3C 29.3.3.2: with EPTP bit 6 set,
// processor accesses to guest paging-structure entries count as writes,
// except the PDPTE loads of MOV to CR for PAE paging (Vol. 3A 4.4.1), which
// are reads; 29.3.5: only a write sets an EPT dirty flag). The PDPT page is
// mapped read-only with A/D on.
// Expect: a MOV to CR3 and a MOV to CR4 (toggling PGE) load the PDPTEs
// without an EPT violation (L2 then reads frame A through them) and the
// page's EPT D flag stays clear; VM entry, which takes the PDPTEs from the
// VMCS (27.3.2.4), neither faults nor dirties the page either (L2 reads
// frame B). A hypervisor that treated the loads as paging-structure writes
// would exit with a write violation or set D.
void test_pae_pdpte_load_ad_read()
{
    const char* name = "PDPTE load under EPT A/D";
    PAE_CASE_SETUP(name);
    struct Row {
        const char* what;
        const char* rip;
        bool mov_cr3;
        u32 want;
    } const rows[] = {
        {"MOV to CR3, PDPT page R", l2_pae_stub, true, VALUE_A},
        {"MOV to CR4, PDPT page R", l2_pae_pge_stub, false, VALUE_A},
        {"VM entry only, PDPT page R", l2_pae_stub, false, VALUE_B},
    };
    for (const Row& row : rows) {
        PaeGuest g(EptOptions{.ad = true});
        if (!g.setup(name, pg, R, t.vmcs, row.mov_cr3 ? EPT_TEST_GPA.raw() : 0, row.rip) || !g.pdpt_leaf())
            return;
        if (expect_read(g.run(), g, row.want, row.what))
            report_eq(g.pdpt_leaf()->raw() & EptEntry::D, 0, "%s: PDPT page EPT D still clear (the load is a read)", row.what);
    }
}

// MOV to CR3 in L2 whose PDPT in memory has a present PDPTE with a
// reserved bit (Vol. 3A 4.4.1: MOV to CR3 checks the PDPTEs).
// Expect: #GP(0) in L2 (the exception bitmap makes it exit, reason 0,
// vector 13 with error code 0) at the MOV; CR3 and the PDPTEs are not
// changed (the VMCS fields still hold the entry's values).
void test_pae_mov_cr3_reserved()
{
    const char* name = "MOV to CR3, reserved bit in a PDPTE";
    PAE_CASE_SETUP(name);
    unsigned victim = (pg.data().raw() >> 30) == 3 ? 2 : 3;
    static constexpr unsigned kBits[] = {1, 2, 5, 8, 63};
    u64* mem = phys_to_ptr<u64>(pg.pdpt());
    for (unsigned bit : kBits) {
        mem[victim] = t.memory[victim] | (1ull << bit);
        PaeGuest g;
        if (!g.setup(name, pg, R, t.vmcs, EPT_TEST_GPA.raw()))
            return;
        RunResult r = g.run();
        if (expect_exception(r, vec::GP, true, "unused PDPTE, bit %u: #GP in L2", bit)) {
            report_eq(r.exit.intr_error, 0, "unused PDPTE, bit %u: error code 0", bit);
            report_eq(r.exit.guest_rip, reinterpret_cast<u64>(l2_pae_mov_cr3), "unused PDPTE, bit %u: at the MOV to CR3", bit);
            u64 saved[4];
            read_pdpte_fields(saved);
            report_eq(saved[victim], t.vmcs[victim], "unused PDPTE, bit %u: PDPTEs in use unchanged", bit);
        }
    }
    mem[victim] = t.memory[victim];
    // Every reserved bit alone on one guest: the #GP exit is fault-like (RIP
    // at the MOV), so each VMRESUME executes the MOV again with the next bit;
    // with the PDPTE fixed the MOV completes and L2 reads frame A.
    unsigned maxphy = cpu_maxphyaddr();
    PaeGuest g;
    if (!g.setup(name, pg, R, t.vmcs, EPT_TEST_GPA.raw()))
        return;
    for (unsigned bit = 1; bit < 64; bit++) {
        bool reserved = bit == 1 || bit == 2 || (bit >= 5 && bit <= 8) || bit >= maxphy;
        if (!reserved)
            continue;
        mem[victim] = t.memory[victim] | (1ull << bit);
        RunResult r = g.run();
        bool gp = r.exited(ExitReason::EXCEPTION_NMI) && (r.exit.intr_info & intr_info::VECTOR_MASK) == vec::GP &&
                  r.exit.intr_error == 0 && r.exit.guest_rip == reinterpret_cast<u64>(l2_pae_mov_cr3);
        Diagnostic d{"#GP(0) exit at the MOV to CR3", r.describe()};
        report_check(gp, &d, nullptr, "sweep: unused PDPTE in memory, bit %u alone: #GP(0) at the MOV to CR3", bit);
        if (!r.exited(ExitReason::EXCEPTION_NMI))
            break;
    }
    mem[victim] = t.memory[victim];
    expect_read(g.run(), g, VALUE_A, "sweep: PDPTE fixed, the MOV to CR3 completes");
}


const char* needs_ept_ad()
{
    if (const char* why = ept_unavailable_reason())
        return why;
    return vmx_caps().ept_has(ept_cap::AD) ? nullptr : "EPT accessed/dirty flags not supported (IA32_VMX_EPT_VPID_CAP[21])";
}

constexpr TestCase kCases[] = {
    {"pae_entry_uses_vmcs_pdptes", test_pae_entry_uses_vmcs_pdptes, ept_unavailable_reason},
    {"pae_vmcs_pdptes_win", test_pae_vmcs_pdptes_win, ept_unavailable_reason},
    {"pae_vmcs_pdpte_reserved", test_pae_vmcs_pdpte_reserved, ept_unavailable_reason},
    {"pae_mov_cr3_loads_pdptes", test_pae_mov_cr3_loads_pdptes, ept_unavailable_reason},
    {"pae_mov_cr3_ept_faults", test_pae_mov_cr3_ept_faults, ept_unavailable_reason},
    {"pae_mov_cr3_reserved", test_pae_mov_cr3_reserved, ept_unavailable_reason},
    {"pae_mov_cr4_loads_pdptes", test_pae_mov_cr4_loads_pdptes, ept_unavailable_reason},
    {"pae_pdpt_accessed_flag", test_pae_pdpt_accessed_flag, needs_ept_ad},
    {"pae_pdpte_load_ad_read", test_pae_pdpte_load_ad_read, needs_ept_ad},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
