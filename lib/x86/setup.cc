// kernel_entry: brings up the runtime (console, descriptors, allocator,
// command line) and calls the kernel's test_main().
#include "argv.hh"
#include "console.hh"
#include "string.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/desc.hh"
#include "x86/exit.hh"
#include "x86/multiboot.hh"

extern "C" void (*const __init_array_start[])();
extern "C" void (*const __init_array_end[])();

namespace {
constexpr int MAX_ARGS = 64;
char g_cmdline[4096];
char* g_argv[MAX_ARGS + 1];
} // namespace

extern "C" [[noreturn]] void kernel_entry(u32 mbinfo)
{
    console_init();
    desc_init();
    for (auto* f = __init_array_start; f < __init_array_end; f++)
        (*f)();
    if (cpuid(0x80000001).edx & cpuid_bits::EXT1_EDX_NX)
        wrmsr(msr::IA32_EFER, rdmsr(msr::IA32_EFER) | efer::NXE);

    auto* mb = reinterpret_cast<const MultibootInfo*>(static_cast<uptr>(mbinfo));
    phys_alloc_init(mb);
    if (mb->flags & mbflag::CMDLINE) {
        const char* src = reinterpret_cast<const char*>(static_cast<uptr>(mb->cmdline));
        usize n = strlen(src);
        if (n >= sizeof(g_cmdline)) {
            printf("ERROR: kernel command line longer than %u bytes\n",
                   static_cast<unsigned>(sizeof(g_cmdline) - 1));
            exit(ExitStatus::Error);
        }
        memcpy(g_cmdline, src, n + 1);
    }
    int argc = split_cmdline(g_cmdline, g_argv, MAX_ARGS);
    if (argc < 0) {
        printf("ERROR: kernel command line has an open quote or more than %d arguments\n", MAX_ARGS);
        exit(ExitStatus::Error);
    }
    exit(test_main(argc, g_argv));
}
