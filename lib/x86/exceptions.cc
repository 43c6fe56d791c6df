// Exception dispatch and diagnostics.
#include "x86/exceptions.hh"
#include "console.hh"
#include "x86/cpu.hh"
#include "x86/exit.hh"
#include "x86/fault.hh"

volatile FixupState g_fixup = {Fault::NONE, 0, 0};

namespace {

struct ExTableEntry {
    u64 insn, resume;
};

ExceptionHandler g_handlers[32];
JmpBuf* g_recovery = nullptr;
UnexpectedException* g_recovery_info = nullptr;

extern "C" const ExTableEntry __ex_table_start[], __ex_table_end[];
extern "C" const char __kernel_start[], __kernel_end[];

// Traps (#BP, #OF) report the RIP after the instruction.
bool is_trap(u64 vector) { return vector == vec::BP || vector == vec::OF; }

bool apply_fixup(ExceptionFrame& f)
{
    for (const ExTableEntry* e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->insn == f.rip || (is_trap(f.vector) && e->resume == f.rip)) {
            g_fixup.vector = f.vector;
            g_fixup.error_code = f.error_code;
            g_fixup.cr2 = f.vector == vec::PF ? read_cr2() : 0;
            f.rip = e->resume;
            return true;
        }
    }
    return false;
}

bool plausible_frame(u64 rbp)
{
    return rbp && !(rbp & 7) && rbp < (4ull << 30) && rbp >= 0x1000;
}

} // namespace

const char* exception_name(u8 vector)
{
    static constexpr const char* names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS",
        "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
        "vector 22", "vector 23", "vector 24", "vector 25", "vector 26", "vector 27", "#HV",
        "#VC", "#SX", "vector 31"};
    return vector < 32 ? names[vector] : "vector";
}

ExceptionHandler set_exception_handler(u8 vector, ExceptionHandler handler)
{
    ExceptionHandler old = g_handlers[vector];
    g_handlers[vector] = handler;
    return old;
}

void set_recovery_point(JmpBuf* buf, UnexpectedException* info)
{
    g_recovery = buf;
    g_recovery_info = info;
}

void clear_recovery_point()
{
    g_recovery = nullptr;
    g_recovery_info = nullptr;
}

void print_backtrace(u64 rip, u64 rbp)
{
    printf("STACK: %#lx", rip);
    for (int depth = 0; depth < 24 && plausible_frame(rbp); depth++) {
        auto* frame = reinterpret_cast<const u64*>(rbp);
        u64 ret = frame[1];
        if (ret < reinterpret_cast<u64>(__kernel_start) || ret >= reinterpret_cast<u64>(__kernel_end))
            break;
        printf(" %#lx", ret);
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
    printf("\n");
}

void dump_exception_frame(const ExceptionFrame& f)
{
    auto v = static_cast<u8>(f.vector);
    printf("Unhandled exception %u (%s) error code %#lx at rip %#lx\n", v, exception_name(v),
           f.error_code, f.rip);
    printf("rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f.rax, f.rbx, f.rcx, f.rdx);
    printf("rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx\n", f.rsi, f.rdi, f.rbp, f.rsp);
    printf("r8 =%016lx r9 =%016lx r10=%016lx r11=%016lx\n", f.r8, f.r9, f.r10, f.r11);
    printf("r12=%016lx r13=%016lx r14=%016lx r15=%016lx\n", f.r12, f.r13, f.r14, f.r15);
    printf("cs=%#lx ss=%#lx rflags=%#lx cr0=%#lx cr2=%#lx cr3=%#lx cr4=%#lx\n", f.cs, f.ss,
           f.rflags, read_cr0(), read_cr2(), read_cr3(), read_cr4());
    print_backtrace(f.rip, f.rbp);
}

extern "C" void exception_dispatch(ExceptionFrame* frame)
{
    ExceptionFrame& f = *frame;
    if (apply_fixup(f))
        return;
    if (f.vector < 32 && g_handlers[f.vector] && g_handlers[f.vector](f))
        return;
    console_end_line();
    dump_exception_frame(f);
    if (g_recovery) {
        JmpBuf* buf = g_recovery;
        *g_recovery_info = {static_cast<u8>(f.vector), f.error_code, f.rip,
                            f.vector == vec::PF ? read_cr2() : 0};
        clear_recovery_point();
        nvmx_longjmp(buf, 1);
    }
    printf("FATAL: unexpected exception outside any test case\n");
    exit(ExitStatus::Error);
}
