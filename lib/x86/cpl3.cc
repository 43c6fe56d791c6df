// CPL 3 execution of single VMX instructions (see cpl3.hh).
#include "x86/cpl3.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/cr.hh"
#include "x86/cpu.hh"
#include "x86/desc.hh"
#include "x86/exceptions.hh"
#include "x86/paging.hh"

extern "C" u64 cpl3_enter(u64 rip, u64 user_rsp, u64 arg0, u64 arg1);
extern "C" char cpl3_return[], cpl3_invvpid[], cpl3_invept[], cpl3_stub_done[];

namespace {

constexpr u64 CR4_SMEP = 1ull << 20, CR4_SMAP = 1ull << 21;
constexpr unsigned TSS_RSP0_OFFSET = 4;
constexpr unsigned MAX_SAVED = 3 * 4; // three pages, up to four levels each

// Entries given U/S = 1, with their old values.
struct SavedEntry {
    Pte* entry;
    Pte old;
};

// Sets U/S on every entry of the walk of va (down to its leaf); appends
// the old values to saved. False if va is not mapped.
bool make_user(VirtAddr va, SavedEntry* saved, unsigned* n)
{
    PhysAddr root = current_page_root();
    for (int level = 4; level >= 1; level--) {
        Pte* e = get_pte(root, va, static_cast<PageLevel>(level));
        if (!e || !e->present() || *n >= MAX_SAVED)
            return false;
        saved[(*n)++] = {e, *e};
        *e = e->with(Pte::US);
        if (level > 1 && e->large())
            break;
    }
    return true;
}

// #UD at cpl3_stub_done from CPL 3: continue at cpl3_return at CPL 0.
bool back_to_cpl0(ExceptionFrame& f)
{
    if ((f.cs & 3) != 3 || f.rip != reinterpret_cast<u64>(cpl3_stub_done))
        return false;
    f.rip = reinterpret_cast<u64>(cpl3_return);
    f.cs = sel::KERNEL_CS;
    f.ss = sel::KERNEL_DS;
    f.rflags = 0x2;
    return true; // cpl3_return reloads RSP itself
}

// Runs stub at CPL 3 with rdi = type, rsi = address of a 16-byte
// descriptor {lo, hi} on the user stack page.
Cpl3Result run_stub(char* stub, u64 type, u64 lo, u64 hi)
{
    PhysAddr stack = alloc_page();
    if (!stack.raw())
        return {false, Fault()};
    u64* desc = phys_to_ptr<u64>(stack);
    desc[0] = lo;
    desc[1] = hi;
    SavedEntry saved[MAX_SAVED];
    unsigned n = 0;
    bool ok = make_user(VirtAddr(reinterpret_cast<u64>(stub)), saved, &n) &&
              make_user(VirtAddr(reinterpret_cast<u64>(cpl3_stub_done)), saved, &n) &&
              make_user(VirtAddr(stack.raw()), saved, &n);
    Fault fault;
    if (ok) {
        u64 cr4 = read_cr4();
        write_cr4(cr4 & ~(CR4_SMEP | CR4_SMAP));
        flush_tlb();
        volatile u64* rsp0 = reinterpret_cast<volatile u64*>(tss_base() + TSS_RSP0_OFFSET);
        u64 old_rsp0 = *rsp0;
        u64 here;
        asm volatile("mov %%rsp, %0" : "=r"(here));
        *rsp0 = (here - 256) & ~0xfull; // below everything cpl3_enter pushes
        ExceptionHandler old = set_exception_handler(vec::UD, back_to_cpl0);
        fixup_arm();
        cpl3_enter(reinterpret_cast<u64>(stub), stack.raw() + PAGE_SIZE - 64, type, stack.raw());
        fault = fixup_take();
        set_exception_handler(vec::UD, old);
        *rsp0 = old_rsp0;
        write_cr4(cr4);
    }
    for (unsigned i = n; i-- > 0;)
        *saved[i].entry = saved[i].old;
    flush_tlb();
    free_page(stack);
    return {ok, fault};
}

} // namespace

Cpl3Result run_invvpid_at_cpl3(u64 type, u16 vpid, u64 linear) { return run_stub(cpl3_invvpid, type, vpid, linear); }

Cpl3Result run_invept_at_cpl3(u64 type, u64 eptp) { return run_stub(cpl3_invept, type, eptp, 0); }
