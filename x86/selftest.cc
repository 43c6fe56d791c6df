// selftest: checks of the runtime itself (command line, formatter, glob,
// allocator, paging, exception fixups, CPU accessors). Runs on every backend.
#include "argv.hh"
#include "errata.hh"
#include "console.hh"
#include "glob.hh"
#include "report.hh"
#include "string.hh"
#include "tap.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/cr.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/desc.hh"
#include "x86/exceptions.hh"
#include "x86/fault.hh"
#include "x86/paging.hh"
#include "x86/setjmp.hh"

namespace {

int g_argc;
char** g_argv;

// A canonical virtual address far from the identity map (PML4 slot 1).
constexpr VirtAddr TEST_VA(0x0000008000000000ull);

// The real command line: argv[0] is the kernel's name, then the arguments.
void test_cmdline()
{
    const char* argv0 = g_argc >= 1 ? g_argv[0] : "(none)";
    report(ends_with(argv0, "selftest.flat"), "argv[0] names the kernel (%s)", argv0);
    bool sane = g_argv[g_argc] == nullptr;
    for (int i = 0; i < g_argc; i++)
        sane = sane && g_argv[i] && g_argv[i][0];
    report(sane, "%d arguments, none empty, argv[argc] is null", g_argc);
}

// split_cmdline on fixed strings: blanks, quotes, limits.
void test_argv_split()
{
    char buf[] = "  k.flat --tap  'a b'  \"c\"d -x ";
    char* argv[8];
    int argc = split_cmdline(buf, argv, 7);
    report_eq(argc, 5, "argc of a line with quotes");
    report(argc == 5 && strcmp(argv[0], "k.flat") == 0 && strcmp(argv[1], "--tap") == 0 &&
               strcmp(argv[2], "a b") == 0 && strcmp(argv[3], "cd") == 0 &&
               strcmp(argv[4], "-x") == 0 && argv[5] == nullptr,
           "tokens, quotes removed, argv[argc] is null");
    char open[] = "a 'b";
    report_eq(static_cast<u64>(split_cmdline(open, argv, 7)), static_cast<u64>(-1),
              "an open quote is an error");
    char many[] = "1 2 3 4";
    report_eq(static_cast<u64>(split_cmdline(many, argv, 3)), static_cast<u64>(-1),
              "too many arguments is an error");
}

// The formatter in the kernel renders what the host tests check too.
void test_format()
{
    char buf[64];
    snformat(buf, sizeof(buf), "%d|%u|%x|%#x|%08x|%-4s|%c|%%", -42, 7u, 0xbeefu, 255, 0x1234, "ab", 'z');
    report_streq(buf, "-42|7|beef|0xff|00001234|ab  |z|%", "integers, strings, padding");
    snformat(buf, sizeof(buf), "%s %d", 5, "x");
    report_streq(buf, "<bad %s:int> <bad %d:string>", "type mismatches are visible");
    snformat(buf, sizeof(buf), "%d %d", 1);
    report_streq(buf, "1 <missing>", "a missing argument is visible");
    usize n = snformat(buf, 4, "%s", "truncate");
    report(n == 8 && strcmp(buf, "tru") == 0, "truncation keeps the NUL and the full length");
    snformat(buf, sizeof(buf), "%lx %p", 0xfedcba9876543210ull, PhysAddr(0x1000));
    report_streq(buf, "fedcba9876543210 0x1000", "64-bit values and strong addresses");
}

void test_glob()
{
    report(glob_match("ept_*", "ept_access_r") && !glob_match("ept_*", "vmx_basic"), "star");
    report(glob_match("vmx_?ase", "vmx_base") && !glob_match("vmx_?ase", "vmx_ase"), "question mark");
    report(glob_match("*a*b*c", "xxaxxbxxc") && !glob_match("*a*b*c", "xxaxxcxxb"), "backtracking");
}

// TAP13 lines as the kernel writes them.
void test_tap_writer()
{
    struct Buf {
        char data[128];
        usize pos;
    } b{{}, 0};
    Sink s{[](void* ctx, char c) {
               auto* bb = static_cast<Buf*>(ctx);
               if (bb->pos + 1 < sizeof(bb->data))
                   bb->data[bb->pos++] = c;
           },
           &b};
    tap_result(s, 3, false, "a # b", TapDirective::Todo, "errata: x");
    b.data[b.pos] = 0;
    report_streq(b.data, "not ok 3 - a \\# b # TODO errata: x\n", "TAP result escapes '#'");
}

void test_alloc()
{
    u64 before = phys_free_pages();
    PhysAddr a = alloc_page(), b = alloc_page();
    report_value(a.raw() && b.raw() && a != b, b.raw(), "two pages are distinct");
    report(a.is_aligned(PAGE_SIZE) && b.is_aligned(PAGE_SIZE), "pages are 4 KiB aligned");
    bool zero = true;
    for (usize i = 0; i < PAGE_SIZE / 8; i++)
        zero = zero && phys_to_ptr<u64>(b)[i] == 0;
    report(zero, "pages come back zeroed");
    report(a >= phys_region_start() && b < phys_region_end(), "pages lie in the managed region");
    phys_to_ptr<u64>(a)[5] = 0xdead;
    free_page(a);
    PhysAddr c = alloc_page();
    report(c == a && phys_to_ptr<u64>(c)[5] == 0, "a freed page is reused, zeroed");
    free_page(b);
    free_page(c);
    report_eq(phys_free_pages(), before, "free count restored after freeing");
    PhysAddr big = alloc_pages(512, LARGE_PAGE_SIZE);
    report_value(big.raw() && big.is_aligned(LARGE_PAGE_SIZE), big.raw(), "2 MiB aligned contiguous run");
    for (u64 i = 0; i < 512; i++)
        free_page(big + i * PAGE_SIZE);
}

// Paging changes made through the helpers are seen by the CPU.
void test_paging()
{
    PhysAddr root = current_page_root();
    PhysAddr p1 = alloc_page(), p2 = alloc_page();
    phys_to_ptr<u64>(p1)[0] = 0x1111;
    phys_to_ptr<u64>(p2)[0] = 0x2222;
    auto* va = virt_to_ptr<volatile u64>(TEST_VA);

    report(map_page(root, TEST_VA, p1, Pte::RW) == WalkStatus::Ok, "map a 4 KiB page");
    report_eq(*va, 0x1111, "read through the new mapping");
    *va = 0x3333;
    report_eq(phys_to_ptr<u64>(p1)[0], 0x3333, "write through the mapping reaches the frame");
    report_eq(translate(root, TEST_VA + 8).raw(), (p1 + 8).raw(), "software walk agrees");

    Pte* pte = get_pte(root, TEST_VA, PageLevel::Pte4K);
    report(pte && pte->present() && pte->addr() == p1 && pte->accessed() && pte->dirty(),
           "the CPU set A and D in the PTE");
    report(set_pte(root, TEST_VA, PageLevel::Pte4K, Pte::make(p2, Pte::P | Pte::RW)), "set the PTE");
    report_eq(*va, 0x2222, "remapped page is seen after invlpg");

    report(set_pte(root, TEST_VA, PageLevel::Pte4K, Pte::make(p2, Pte::P)), "make it read-only");
    Fault f = write_safe(va, 1);
    report(f.is(vec::PF) && f.error_code() == 0x3, "write to read-only page: #PF, error code P|W (%s %#x)",
           exception_name(f.vector()), f.error_code());
    report_eq(fixup_cr2(), TEST_VA.raw(), "CR2 holds the faulting address");

    report(unmap_page(root, TEST_VA), "unmap");
    auto r = read_safe(va + 1);
    report_value(r.fault.is(vec::PF) && r.fault.error_code() == 0, r.fault.error_code(),
                 "read of unmapped page: #PF, error code 0");
    report_eq(fixup_cr2(), TEST_VA.raw() + 8, "CR2 of the not-present fault");

    PhysAddr big = alloc_pages(512, LARGE_PAGE_SIZE);
    VirtAddr big_va = TEST_VA + LARGE_PAGE_SIZE * 4;
    phys_to_ptr<u64>(big + 0x12340)[0] = 0x4444;
    report(map_page(root, big_va, big, Pte::RW, PageLevel::Pde2M) == WalkStatus::Ok, "map a 2 MiB page");
    report_eq(*virt_to_ptr<volatile u64>(big_va + 0x12340), 0x4444, "read through the 2 MiB page");
    report(map_page(root, big_va + PAGE_SIZE, p1, Pte::RW) == WalkStatus::LargePageInTheWay,
           "a 4 KiB map inside a 2 MiB leaf is refused");
    report(unmap_page(root, big_va), "unmap the 2 MiB page");
    free_page(p1);
    free_page(p2);
}

void test_exceptions()
{
    const char* deviation = known_deviation("msr.unimplemented-gp");
    auto bad = rdmsr_safe(msr::NONEXISTENT);
    report_xfail(deviation, bad.fault.is(vec::GP) && bad.fault.error_code() == 0,
                 "rdmsr of an unimplemented MSR: #GP(0)");
    Fault w = wrmsr_safe(msr::NONEXISTENT, 0);
    report_xfail(deviation, w.is(vec::GP) && w.error_code() == 0,
                 "wrmsr of an unimplemented MSR: #GP(0)");
    auto efer_val = rdmsr_safe(msr::IA32_EFER);
    report_value(!efer_val.fault && (efer_val.value & efer::LMA) && (efer_val.value & efer::LME), efer_val.value,
                 "rdmsr of EFER succeeds with LME|LMA");
    report(ud2_safe().is(vec::UD), "ud2 raises #UD");
    report(int3_safe().is(vec::BP), "int3 raises #BP and resumes");
    auto q = div_safe(10, 0);
    report(q.fault.is(vec::DE), "divide by zero raises #DE");
    auto q2 = div_safe(10, 3);
    report(!q2.fault && q2.value == 3, "a good divide does not fault");
    auto nc = read_safe(reinterpret_cast<const volatile u64*>(0x8000000000000000ull));
    report(nc.fault.is(vec::GP) && nc.fault.error_code() == 0, "non-canonical load: #GP(0)");
}

// An unexpected exception inside a guarded region returns control with its state.
void test_recovery()
{
    static JmpBuf buf;
    static UnexpectedException info;
    volatile bool came_back = false;
    printf("an exception dump for a #PF at %#lx is expected next\n", TEST_VA.raw() + 0x10000 * PAGE_SIZE);
    if (nvmx_setjmp(&buf) == 0) {
        set_recovery_point(&buf, &info);
        (void)*virt_to_ptr<volatile u64>(TEST_VA + 0x10000 * PAGE_SIZE);
        clear_recovery_point();
    } else {
        came_back = true;
    }
    report(came_back && info.vector == vec::PF && info.cr2 == TEST_VA.raw() + 0x10000 * PAGE_SIZE,
           "unexpected #PF recovers to the case with its CR2");
}

void test_cpu()
{
    auto leaf0 = cpuid(0);
    report_value(leaf0.eax >= 1 && leaf0.ebx != 0, leaf0.eax, "CPUID leaf 0: max leaf at least 1, vendor present");
    auto leaf1 = cpuid(1);
    report((leaf1.edx & cpuid_bits::LEAF1_EDX_MSR) && (leaf1.edx & cpuid_bits::LEAF1_EDX_APIC),
           "CPUID.1:EDX reports MSR and APIC");
    report(cpuid(0x80000001).edx & cpuid_bits::EXT1_EDX_LM, "CPUID reports long mode");
    u64 c0 = read_cr0(), c4 = read_cr4();
    report((c0 & cr0::PG) && (c0 & cr0::PE) && (c4 & cr4::PAE), "CR0.PG|PE and CR4.PAE are set");
    write_cr4(c4 ^ cr4::PGE);
    bool toggled = read_cr4() == (c4 ^ cr4::PGE);
    write_cr4(c4);
    report(toggled && read_cr4() == c4, "CR4.PGE round-trips");
    report_eq(read_tr(), sel::TSS, "TR holds the TSS selector");
    report_eq(read_cs(), sel::KERNEL_CS, "CS is the 64-bit kernel code selector");
    unsigned w = cpu_maxphyaddr();
    report_value(w >= 36 && w <= 52, w, "MAXPHYADDR is in [36, 52]");
}

constexpr TestCase kCases[] = {
    {"cmdline", test_cmdline},
    {"argv_split", test_argv_split},
    {"format", test_format},
    {"glob", test_glob},
    {"tap_writer", test_tap_writer},
    {"alloc", test_alloc},
    {"paging", test_paging},
    {"exceptions", test_exceptions},
    {"recovery", test_recovery},
    {"cpu", test_cpu},
};

} // namespace

ExitStatus test_main(int argc, char** argv)
{
    g_argc = argc;
    g_argv = argv;
    return run_test_cases(kCases, argc, argv);
}
