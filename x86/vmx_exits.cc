// vmx_exits: VM exits caused by L2 instructions under the execution controls
// (SDM Vol. 3C 26.1-26.2, exit qualifications 28.2.1): VMCALL, CPUID, HLT,
// RDTSC/RDTSCP, CR3 load/store, CR0/CR4 guest/host masks and read shadows,
// I/O bitmaps, MSR bitmaps, the exception bitmap, the preemption timer and
// external-interrupt exiting with a local-APIC timer interrupt.
#include "console.hh"
#include "report.hh"
#include "string.hh"
#include "testcase.hh"
#include "errata.hh"
#include "x86/alloc_phys.hh"
#include "x86/apic.hh"
#include "x86/arch/cr.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/io.hh"
#include "x86/fault.hh"
#include "x86/io.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/guest.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using F = VmcsField;
// Values L2 reports back through memory shared with L1 (identity-mapped).
volatile u64 g_l2_out[8];

// Enables bits of a primary control if allowed; false (SKIP reported) if not.
bool enable_proc(u32 bits, const char* what)
{
    if (!vmx_caps().proc.allows(bits)) {
        report_skip("control not allowed by IA32_VMX_(TRUE_)PROCBASED_CTLS", "%s", what);
        return false;
    }
    return vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, bits);
}

// Clears bits of a primary control if the CPU lets them be 0.
bool disable_proc(u32 bits, const char* what)
{
    if (!vmx_caps().proc.allows_clear(bits)) {
        report_skip("control is must-be-one here", "%s", what);
        return false;
    }
    return vmcs_clear_bits(F::CPU_BASED_VM_EXEC_CONTROL, bits);
}

// Enables secondary controls (and the primary 'activate secondary' bit).
bool enable_proc2(u32 bits, const char* what)
{
    if (!vmx_caps().has_proc2(bits)) {
        report_skip("secondary control not allowed by IA32_VMX_PROCBASED_CTLS2", "%s", what);
        return false;
    }
    return vmcs_set_bits(F::CPU_BASED_VM_EXEC_CONTROL, proc::SECONDARY) &&
           vmcs_set_bits(F::SECONDARY_VM_EXEC_CONTROL, bits);
}

// ---- L2 bodies --------------------------------------------------------------

void l2_gpr_pattern(u64)
{
    // Sets every GPR but rsp to a pattern, VMCALLs, then stores what it sees.
    asm volatile("mov $0x1111, %%rbx\n\t"
                 "mov $0x2222, %%rcx\n\t"
                 "mov $0x3333, %%rdx\n\t"
                 "mov $0x4444, %%rsi\n\t"
                 "mov $0x5555, %%rdi\n\t"
                 "mov $0x8888, %%r8\n\t"
                 "mov $0x9999, %%r9\n\t"
                 "mov $0xaaaa, %%r10\n\t"
                 "mov $0xbbbb, %%r11\n\t"
                 "mov $0xcccc, %%r12\n\t"
                 "mov $0xdddd, %%r13\n\t"
                 "mov $0xeeee, %%r14\n\t"
                 "mov $0xffff, %%r15\n\t"
                 "mov $0x7777, %%rax\n\t"
                 "vmcall\n\t"
                 "mov %%rbx, %0\n\t"
                 "mov %%r15, %1\n\t"
                 : "=m"(g_l2_out[0]), "=m"(g_l2_out[1])
                 :
                 : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
                   "r14", "r15", "memory");
}

void l2_cpuid(u64)
{
    CpuidResult r = cpuid(0x4e564d58);
    g_l2_out[0] = r.eax;
    g_l2_out[1] = r.ebx;
    g_l2_out[2] = r.ecx;
    g_l2_out[3] = r.edx;
}

void l2_hlt(u64) { asm volatile("hlt"); }
void l2_rdtsc(u64) { g_l2_out[0] = rdtsc(); }
void l2_rdtscp(u64)
{
    u32 lo, hi, aux;
    asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
    g_l2_out[0] = (static_cast<u64>(hi) << 32) | lo;
}
void l2_write_cr3(u64) { write_cr3(read_cr3()); }
// MOV from CR3 into RBX (register 3), so the exit qualification's GPR
// field (bits 11:8) has one right value.
void l2_read_cr3(u64)
{
    u64 v;
    asm volatile("mov %%cr3, %0" : "=b"(v));
    g_l2_out[0] = v;
}
void l2_read_cr0(u64) { g_l2_out[0] = read_cr0(); }
void l2_read_cr4(u64) { g_l2_out[0] = read_cr4(); }
void l2_write_cr0(u64 v) { write_cr0(v); }
void l2_write_cr4(u64 v) { write_cr4(v); }
void l2_out(u64 port) { asm volatile("outb %%al, %%dx" ::"a"(0x42), "d"(port)); }
void l2_in(u64 port)
{
    u8 v;
    asm volatile("inb %%dx, %%al" : "=a"(v) : "d"(port));
    g_l2_out[0] = v;
}
void l2_rdmsr(u64 index) { g_l2_out[0] = rdmsr(static_cast<u32>(index)); }
void l2_wrmsr(u64 index) { wrmsr(static_cast<u32>(index), rdmsr(static_cast<u32>(index))); }
void l2_ud2(u64) { asm volatile("ud2"); }
void l2_int3(u64) { asm volatile("int3"); }
void l2_spin(u64)
{
    for (;;)
        asm volatile("pause");
}

// ---- tests --------------------------------------------------------------------

// VMCALL exits unconditionally; GPRs survive the round trip both ways (SDM 26.1.2).
void test_vmcall()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Guest g(l2_gpr_pattern);
    if (!g.ready())
        return;
    RunResult r = g.run();
    if (!expect_exit(r, ExitReason::VMCALL, "VMCALL exits"))
        return;
    report_eq(r.exit.insn_len, 3, "instruction length 3");
    GuestRegs& gr = g.regs();
    report(gr.rax == 0x7777 && gr.rbx == 0x1111 && gr.rcx == 0x2222 && gr.rdx == 0x3333 && gr.rsi == 0x4444 &&
               gr.rdi == 0x5555 && gr.r8 == 0x8888 && gr.r9 == 0x9999 && gr.r10 == 0xaaaa && gr.r11 == 0xbbbb &&
               gr.r12 == 0xcccc && gr.r13 == 0xdddd && gr.r14 == 0xeeee && gr.r15 == 0xffff,
           "L1 sees L2's GPRs at the exit");
    gr.rbx = 0xb0b0;
    gr.r15 = 0xf0f0;
    g.skip_instruction();
    r = g.run();
    expect_done(r, "guest resumes after the VMCALL");
    report(g_l2_out[0] == 0xb0b0 && g_l2_out[1] == 0xf0f0, "L2 sees GPRs changed by L1");
}

// CPUID exits unconditionally; L1 emulates it (SDM 26.1.2).
void test_cpuid()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Guest g(l2_cpuid);
    if (!g.ready())
        return;
    RunResult r = g.run();
    if (!expect_exit(r, ExitReason::CPUID, "CPUID exits"))
        return;
    report_eq(r.exit.insn_len, 2, "instruction length 2");
    report_eq(g.regs().rax, 0x4e564d58, "leaf in rax at the exit");
    g.regs().rax = 1, g.regs().rbx = 2, g.regs().rcx = 3, g.regs().rdx = 4;
    g.skip_instruction();
    r = g.run();
    expect_done(r, "guest resumes");
    report(g_l2_out[0] == 1 && g_l2_out[1] == 2 && g_l2_out[2] == 3 && g_l2_out[3] == 4,
           "L2 gets L1's emulated CPUID values");
}

// HLT exiting (SDM 26.1.3).
void test_hlt()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Guest g(l2_hlt);
    if (!g.ready() || !enable_proc(proc::HLT, "HLT exiting"))
        return;
    RunResult r = g.run();
    expect_exit(r, ExitReason::HLT, "HLT exits with HLT exiting");
    report_eq(r.exit.insn_len, 1, "instruction length 1");
    g.skip_instruction();
    expect_done(g.run(), "guest resumes after HLT");
}

// RDTSC exiting and TSC offsetting (SDM 26.1.3, 27.3).
void test_rdtsc()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    {
        Guest g(l2_rdtsc);
        if (!g.ready() || !enable_proc(proc::RDTSC, "RDTSC exiting"))
            return;
        RunResult r = g.run();
        expect_exit(r, ExitReason::RDTSC, "RDTSC exits with RDTSC exiting");
        report_eq(r.exit.insn_len, 2, "instruction length 2");
        g.regs().rax = 0x1234, g.regs().rdx = 0x5;
        g.skip_instruction();
        expect_done(g.run(), "guest resumes");
        report_eq(g_l2_out[0], 0x500001234ull, "L2 reads L1's emulated TSC");
    }
    {
        Guest g(l2_rdtsc);
        if (!g.ready() || !disable_proc(proc::RDTSC, "RDTSC without exiting"))
            return;
        if (!enable_proc(proc::USE_TSC_OFFSETTING, "TSC offsetting"))
            return;
        constexpr u64 OFFSET = 1ull << 60;
        vmcs_write(F::TSC_OFFSET, OFFSET);
        u64 before = rdtsc();
        expect_done(g.run(), "RDTSC without exiting runs to completion");
        report_value(g_l2_out[0] >= before + OFFSET, g_l2_out[0], "L2's TSC includes the offset");
    }
}

// RDTSCP: #UD unless enabled; with RDTSC exiting it exits as RDTSCP (SDM 26.1.3, 26.3).
void test_rdtscp()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    if (!(cpuid(0x80000001).edx & (1u << 27))) {
        report_skip("CPUID.80000001H:EDX.RDTSCP[27] is clear", "RDTSCP");
        return;
    }
    {
        Guest g(l2_rdtscp);
        if (!g.ready())
            return;
        RunResult r = g.run();
        bool ud = r.exited(ExitReason::EXCEPTION_NMI) && (r.exit.intr_info & 0xff) == vec::UD;
        // Without secondary controls the CPU acts as if they were all 0 (SDM
        // 25.6.2): 'enable RDTSCP' is then clear too, so #UD either way.
        Diagnostic d{"exception exit, #UD", r.describe()};
        report_check(ud, &d, nullptr, "RDTSCP with 'enable RDTSCP' clear: #UD");
    }
    {
        Guest g(l2_rdtscp);
        if (!g.ready() || !enable_proc2(proc2::RDTSCP, "enable RDTSCP") || !enable_proc(proc::RDTSC, "RDTSC exiting"))
            return;
        RunResult r = g.run();
        expect_exit(r, ExitReason::RDTSCP, "RDTSCP exits with RDTSC exiting");
        report_eq(r.exit.insn_len, 3, "instruction length 3");
    }
}

// CR3-load/store exiting and CR3-target values (SDM 26.1.3, qualification 28.2.1 Table 28-3).
void test_cr3()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    {
        Guest g(l2_write_cr3);
        if (!g.ready() || !enable_proc(proc::CR3_LOAD, "CR3-load exiting"))
            return;
        vmcs_write(F::CR3_TARGET_COUNT, 0);
        RunResult r = g.run();
        expect_exit(r, ExitReason::CR_ACCESS, "MOV to CR3 exits");
        report_eq(r.exit.qualification & 0xf, 3, "qualification: control register 3");
        report_eq((r.exit.qualification >> 4) & 3, 0, "qualification: access type MOV to CR");
        g.skip_instruction();
        // L1 does not emulate the load: the guest's CR3 is still the shared one.
        expect_done(g.run(), "guest resumes after the CR3 exit");
    }
    {
        Guest g(l2_read_cr3);
        if (!g.ready() || !enable_proc(proc::CR3_STORE, "CR3-store exiting"))
            return;
        RunResult r = g.run();
        expect_exit(r, ExitReason::CR_ACCESS, "MOV from CR3 exits");
        report_eq((r.exit.qualification >> 4) & 3, 1, "qualification: access type MOV from CR");
        report_eq(r.exit.qualification & 0xf, 3, "MOV from CR3: qualification: control register 3");
        report_eq((r.exit.qualification >> 8) & 0xf, 3, "qualification: destination GPR is RBX (3)");
    }
    {
        Guest g(l2_write_cr3);
        if (!g.ready() || !disable_proc(proc::CR3_LOAD | proc::CR3_STORE, "no CR3 exiting"))
            return;
        expect_done(g.run(), "no CR3 exits with both controls clear");
    }
    if (vmx_caps().cr3_target_count() == 0) {
        report_skip("IA32_VMX_MISC reports 0 CR3-target values", "CR3-target value");
        return;
    }
    {
        Guest g(l2_write_cr3);
        if (!g.ready() || !enable_proc(proc::CR3_LOAD, "CR3-load exiting with a target"))
            return;
        vmcs_write(F::CR3_TARGET_VALUE0, read_cr3());
        vmcs_write(F::CR3_TARGET_COUNT, 1);
        expect_done(g.run(), "MOV to CR3 of a CR3-target value does not exit");
    }
}

// CR0/CR4 guest/host masks and read shadows (SDM 26.1.3, 27.3 "CR0/CR4 shadows").
void test_cr_shadows()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    u64 cr0v = read_cr0(), cr4v = read_cr4();
    {
        Guest g(l2_read_cr0);
        if (!g.ready())
            return;
        vmcs_write(F::CR0_GUEST_HOST_MASK, cr0::TS);
        vmcs_write(F::CR0_READ_SHADOW, cr0v | cr0::TS);
        expect_done(g.run(), "MOV from CR0 never exits");
        report(g_l2_out[0] & cr0::TS, "owned bit TS reads from the shadow");
        report_eq(g_l2_out[0] & ~cr0::TS, cr0v & ~cr0::TS, "other bits read from the guest CR0");
    }
    {
        Guest g(l2_write_cr0, cr0v);
        if (!g.ready())
            return;
        vmcs_write(F::CR0_GUEST_HOST_MASK, cr0::TS);
        vmcs_write(F::CR0_READ_SHADOW, cr0v | cr0::TS);
        RunResult r = g.run();
        expect_exit(r, ExitReason::CR_ACCESS, "writing an owned bit unlike its shadow exits");
        report_eq(r.exit.qualification & 0xf, 0, "qualification: control register 0");
    }
    {
        Guest g(l2_write_cr0, cr0v | cr0::TS);
        if (!g.ready())
            return;
        vmcs_write(F::CR0_GUEST_HOST_MASK, cr0::TS);
        vmcs_write(F::CR0_READ_SHADOW, cr0v | cr0::TS);
        expect_done(g.run(), "writing an owned bit equal to its shadow does not exit");
    }
    {
        Guest g(l2_read_cr4);
        if (!g.ready())
            return;
        vmcs_write(F::CR4_GUEST_HOST_MASK, cr4::PGE);
        vmcs_write(F::CR4_READ_SHADOW, cr4v | cr4::PGE);
        expect_done(g.run(), "MOV from CR4 never exits");
        report(g_l2_out[0] & cr4::PGE, "owned CR4.PGE reads from the shadow");
        report(g_l2_out[0] & cr4::VMXE, "unowned CR4.VMXE reads from the guest CR4");
    }
    {
        Guest g(l2_write_cr4, cr4v);
        if (!g.ready())
            return;
        vmcs_write(F::CR4_GUEST_HOST_MASK, cr4::PGE);
        vmcs_write(F::CR4_READ_SHADOW, cr4v | cr4::PGE);
        RunResult r = g.run();
        expect_exit(r, ExitReason::CR_ACCESS, "writing owned CR4.PGE unlike its shadow exits");
        report_eq(r.exit.qualification & 0xf, 4, "qualification: control register 4");
    }
}

// I/O bitmaps and unconditional I/O exiting (SDM 26.1.3, qualification Table 28-5).
void test_io()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr bitmap_a = alloc_page(), bitmap_b = alloc_page();
    phys_to_ptr<u8>(bitmap_a)[0x80 / 8] |= 1 << (0x80 % 8);
    {
        Guest g(l2_out, 0x80);
        if (!g.ready() || !enable_proc(proc::USE_IO_BITMAPS, "I/O bitmaps"))
            return;
        vmcs_write(F::IO_BITMAP_A, bitmap_a.raw());
        vmcs_write(F::IO_BITMAP_B, bitmap_b.raw());
        RunResult r = g.run();
        expect_exit(r, ExitReason::IO_INSTRUCTION, "OUT to a port set in bitmap A exits");
        u64 q = r.exit.qualification;
        report_eq(q & 7, 0, "qualification: size 1 byte");
        report_eq((q >> 3) & 1, 0, "qualification: direction OUT");
        report_eq((q >> 4) & 1, 0, "qualification: not a string instruction");
        report_eq((q >> 6) & 1, 0, "qualification: port in DX");
        report_eq(q >> 16, 0x80, "qualification: port 0x80");
        report_eq(r.exit.insn_len, 1, "instruction length 1");
    }
    {
        Guest g(l2_in, 0x81);
        if (!g.ready() || !enable_proc(proc::USE_IO_BITMAPS, "I/O bitmaps"))
            return;
        vmcs_write(F::IO_BITMAP_A, bitmap_a.raw());
        vmcs_write(F::IO_BITMAP_B, bitmap_b.raw());
        expect_done(g.run(), "IN from a port clear in the bitmap does not exit");
    }
    {
        phys_to_ptr<u8>(bitmap_b)[(0x8900 - 0x8000) / 8] |= 1 << (0x8900 % 8);
        Guest g(l2_in, 0x8900);
        if (!g.ready() || !enable_proc(proc::USE_IO_BITMAPS, "I/O bitmaps"))
            return;
        vmcs_write(F::IO_BITMAP_A, bitmap_a.raw());
        vmcs_write(F::IO_BITMAP_B, bitmap_b.raw());
        RunResult r = g.run();
        expect_exit(r, ExitReason::IO_INSTRUCTION, "IN from a port set in bitmap B exits");
        report_eq((r.exit.qualification >> 3) & 1, 1, "qualification: direction IN");
        report_eq(r.exit.qualification >> 16, 0x8900, "qualification: port 0x8900");
    }
    {
        Guest g(l2_in, 0x81);
        if (!g.ready() || !disable_proc(proc::USE_IO_BITMAPS, "unconditional I/O exiting") ||
            !enable_proc(proc::UNCOND_IO, "unconditional I/O exiting"))
            return;
        expect_exit(g.run(), ExitReason::IO_INSTRUCTION, "unconditional I/O exiting: any port exits");
    }
    free_page(bitmap_a);
    free_page(bitmap_b);
}

// MSR bitmaps (SDM 26.1.3, 25.6.9): read/write bitmaps for low and high MSRs.
void test_msr_bitmap()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr bitmap = alloc_page();
    u8* b = phys_to_ptr<u8>(bitmap);
    // Read-low at 0, read-high at 1024, write-low at 2048, write-high at 3072.
    auto set_bit = [&](u32 base, u32 index) { b[base + index / 8] |= static_cast<u8>(1u << (index % 8)); };
    set_bit(0, msr::IA32_SYSENTER_CS);
    set_bit(2048, msr::IA32_SYSENTER_ESP);
    set_bit(1024, msr::IA32_KERNEL_GS_BASE - 0xc0000000u);
    struct Case {
        GuestFn fn;
        u32 index;
        bool exits;
        ExitReason reason;
        const char* what;
    };
    const Case cases[] = {
        {l2_rdmsr, msr::IA32_SYSENTER_CS, true, ExitReason::MSR_READ, "RDMSR with its read bit set exits"},
        {l2_rdmsr, msr::IA32_SYSENTER_ESP, false, ExitReason::MSR_READ, "RDMSR with its read bit clear does not exit"},
        {l2_wrmsr, msr::IA32_SYSENTER_ESP, true, ExitReason::MSR_WRITE, "WRMSR with its write bit set exits"},
        {l2_wrmsr, msr::IA32_SYSENTER_EIP, false, ExitReason::MSR_WRITE, "WRMSR with its write bit clear does not exit"},
        {l2_rdmsr, msr::IA32_KERNEL_GS_BASE, true, ExitReason::MSR_READ, "RDMSR of a high MSR uses the read-high bitmap"},
        {l2_rdmsr, 0x40000000, true, ExitReason::MSR_READ, "RDMSR outside both ranges always exits"},
    };
    for (const Case& c : cases) {
        Guest g(c.fn, c.index);
        if (!g.ready() || !enable_proc(proc::USE_MSR_BITMAPS, "MSR bitmaps"))
            break;
        vmcs_write(F::MSR_BITMAP, bitmap.raw());
        RunResult r = g.run();
        if (c.exits) {
            if (expect_exit(r, c.reason, "%s", c.what))
                report_eq(g.regs().rcx, c.index, "exit for MSR %#x carries the index in rcx", c.index);
        } else {
            expect_done(r, "%s", c.what);
        }
    }
    {
        Guest g(l2_rdmsr, msr::IA32_SYSENTER_EIP);
        if (g.ready() && disable_proc(proc::USE_MSR_BITMAPS, "no MSR bitmaps"))
            expect_exit(g.run(), ExitReason::MSR_READ, "without MSR bitmaps every RDMSR exits");
    }
    free_page(bitmap);
}

// Exception bitmap: #UD and #BP in L2 exit with interruption information (SDM 26.2, 28.2.2).
void test_exception_bitmap()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    {
        Guest g(l2_ud2);
        if (!g.ready())
            return;
        vmcs_write(F::EXCEPTION_BITMAP, 1u << vec::UD);
        RunResult r = g.run();
        expect_exit(r, ExitReason::EXCEPTION_NMI, "#UD with its bitmap bit exits");
        u32 info = r.exit.intr_info;
        report_eq(info & intr_info::VECTOR_MASK, vec::UD, "interruption info: vector 6");
        report_eq((info & intr_info::TYPE_MASK) >> intr_info::TYPE_SHIFT, intr_info::TYPE_HW_EXCEPTION,
                  "interruption info: hardware exception");
        report(info & intr_info::VALID, "interruption info: valid");
        report(!(info & intr_info::ERROR_CODE_VALID), "interruption info: no error code for #UD");
    }
    {
        Guest g(l2_int3);
        if (!g.ready())
            return;
        vmcs_write(F::EXCEPTION_BITMAP, 1u << vec::BP);
        RunResult r = g.run();
        expect_exit(r, ExitReason::EXCEPTION_NMI, "#BP with its bitmap bit exits");
        report_eq((r.exit.intr_info & intr_info::TYPE_MASK) >> intr_info::TYPE_SHIFT, intr_info::TYPE_SW_EXCEPTION,
                  "interruption info: software exception");
        report_eq(r.exit.insn_len, 1, "instruction length of INT3 is 1");
    }
}

// VMX-preemption timer: a spinning L2 exits when the timer reaches 0 (SDM 26.5.1).
void test_preemption_timer()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    if (!vmx_caps().pin.allows(pin::PREEMPTION_TIMER)) {
        report_skip("pin-based 'activate VMX-preemption timer' not allowed", "preemption timer");
        return;
    }
    Guest g(l2_spin);
    if (!g.ready())
        return;
    g.set_timeout_ticks(0); // the test owns the timer
    vmcs_set_bits(F::PIN_BASED_VM_EXEC_CONTROL, pin::PREEMPTION_TIMER);
    vmcs_write(F::VMX_PREEMPTION_TIMER_VALUE, 1000);
    RunResult r = g.run();
    expect_exit(r, ExitReason::PREEMPTION_TIMER, "a spinning guest exits when the timer expires");
    report_eq(r.exit.qualification, 0, "qualification is 0");
}

// The engine's safety net: an L2 that never exits is reported as a timeout.
void test_timeout_safety_net()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    if (!vmx_caps().pin.allows(pin::PREEMPTION_TIMER)) {
        report_skip("no VMX-preemption timer: a spinning L2 would hang the run", "safety net");
        return;
    }
    Guest g(l2_spin);
    if (!g.ready())
        return;
    g.set_timeout_ticks(5000);
    RunResult r = g.run();
    report(r.status == RunStatus::Timeout, "a spinning L2 is stopped and reported as a timeout (%s)", r.describe());
}


// ---- external-interrupt exiting -----------------------------------------------

constexpr u8 TIMER_VECTOR = 0xec;
// Iterations of l2_bounded_spin: long enough for a timer started just before
// VM entry to fire inside it, short enough that an L2 that is never
// interrupted still returns (and does not depend on the preemption timer).
constexpr u64 SPIN_ITERATIONS = 200000;

// Spins a bounded number of times, then returns (VMCALL GUEST_DONE).
void l2_bounded_spin(u64 iterations)
{
    for (u64 i = 0; i < iterations; i++)
        asm volatile("pause" ::: "memory");
}

// Masks every line of both 8259 PICs (OCW1 to ports 0x21 and 0xa1) while in
// scope and restores the masks after. The firmware leaves the PIT's IRQ 0
// unmasked (SeaBIOS under QEMU: vector 8), and an ExtINT request goes to the
// core without the APIC's IRR/ISR priority (SDM Vol. 3A 11.8.1), so
// 'acknowledge interrupt on exit' may take it instead of the timer (KVM does:
// arch/x86/kvm/irq.c kvm_cpu_get_interrupt() asks the PIC first). The timer
// must be the only source of external interrupts.
class LegacyPicMasked {
public:
    LegacyPicMasked() : master_(inb(0x21)), slave_(inb(0xa1))
    {
        outb(0x21, 0xff);
        outb(0xa1, 0xff);
    }
    ~LegacyPicMasked()
    {
        outb(0xa1, slave_);
        outb(0x21, master_);
    }
    LegacyPicMasked(const LegacyPicMasked&) = delete;
    LegacyPicMasked& operator=(const LegacyPicMasked&) = delete;

private:
    u8 master_, slave_;
};

// A guest with 'external-interrupt exiting' (and 'acknowledge interrupt on
// exit' when ack and the CPU allows it) and guest RFLAGS.IF = if_flag.
bool setup_ext_intr_guest(Guest& g, bool if_flag, bool ack)
{
    if (!g.ready())
        return false;
    constexpr u64 RFLAGS_IF = 1ull << 9;
    return vmcs_set_bits(F::PIN_BASED_VM_EXEC_CONTROL, pin::EXT_INTR) &&
           (!ack || vmcs_set_bits(F::VM_EXIT_CONTROLS, exit_ctl::ACK_INTR)) &&
           vmcs_write(F::GUEST_RFLAGS, rflags::FIXED1 | (if_flag ? RFLAGS_IF : 0));
}

// The exit was an external interrupt and, with ack, carries the timer's
// vector as a valid external-interrupt event (SDM 28.2.2); one line.
bool ext_intr_exited(const RunResult& r, bool ack)
{
    u32 want = intr_info::VALID | (intr_info::TYPE_EXT_INTR << intr_info::TYPE_SHIFT) | TIMER_VECTOR;
    return r.exited(ExitReason::EXTERNAL_INTERRUPT) && (!ack || r.exit.intr_info == want);
}

// Takes a still-pending timer interrupt out of the IRR: enters an L2 with
// IF = 1 and 'acknowledge interrupt on exit', then EOI. Not a check.
void drain_timer_interrupt()
{
    if (!apic_irr_has(TIMER_VECTOR))
        return;
    Guest g(l2_bounded_spin, SPIN_ITERATIONS);
    if (setup_ext_intr_guest(g, true, true)) {
        RunResult r = g.run();
        if (!ext_intr_exited(r, true))
            printf("drain: the pending timer interrupt did not exit (%s)\n", r.describe());
    }
    apic_write(apic_reg::EOI, 0);
}

// Checks one run that must end in an external-interrupt exit: exit reason 1
// (known deviation erratum, or none), then with ack the interruption
// information, and EOI. Falls back to drain_timer_interrupt when it did not
// exit. Returns whether it exited.
bool expect_ext_intr_exit(const RunResult& r, bool ack, const char* erratum, const char* what)
{
    char exp[96];
    snformat(exp, sizeof(exp), "exit EXTERNAL_INTERRUPT%s", ack ? ", intr info 0x800000ec" : "");
    char act[200];
    snformat(act, sizeof(act), "%s, intr info %#x, vector %s in the IRR after the run", r.describe(), r.exit.intr_info,
             apic_irr_has(TIMER_VECTOR) ? "still" : "not");
    bool pass = ext_intr_exited(r, ack);
    Diagnostic d{exp, act};
    report_check(pass, &d, erratum ? known_deviation(erratum) : nullptr, "%s: VM exit external interrupt", what);
    if (r.exited(ExitReason::EXTERNAL_INTERRUPT) && ack)
        apic_write(apic_reg::EOI, 0);
    drain_timer_interrupt();
    return pass;
}

// External-interrupt exiting (SDM Vol. 3C 26.2, 25.6.1; interruption
// information 28.2.2; 27.7.1 "acknowledge interrupt on exit"): a local-APIC
// timer interrupt makes L2 exit with reason 1 whatever L2's RFLAGS.IF, both
// when it is pending at VM entry and when it arrives while L2 runs. With
// 'acknowledge interrupt on exit' the exit carries the vector (valid,
// type 0) and the APIC moved it from IRR to ISR; without, the
// interruption-information field is invalid and the interrupt stays
// requested in the IRR. L2 spins a bounded number of iterations, so the run
// ends even where the interrupt never exits.
// Bochs 2.7 (erratum exit.ext-intr-if0): VMLAUNCH (cpu/vmx.cc) runs
// VMenterLoadCheckGuestState, whose setEFlags(guest.rflags) calls
// handleInterruptMaskChange (cpu/flag_ctrl_pro.cc) while in_vmx_guest is
// still false, so BX_EVENT_PENDING_INTR/LAPIC_INTR are masked as for IF = 0
// outside VMX; in_vmx_guest = true is set only after that.
void test_ext_intr_exiting()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    bool ack_ok = vmx_caps().exit.allows(exit_ctl::ACK_INTR);
    LegacyPicMasked pic;
    ApicTimer timer(TIMER_VECTOR);
    {
        Guest g(l2_bounded_spin, SPIN_ITERATIONS);
        if (!setup_ext_intr_guest(g, true, ack_ok))
            return;
        if (!timer.make_pending())
            return report_error("the APIC timer interrupt never became pending in the IRR");
        u64 entry_rip = vmcs_read(F::GUEST_RIP);
        RunResult r = g.run();
        expect_ext_intr_exit(r, ack_ok, nullptr, "IF=1, interrupt pending at VM entry");
        report_eq(r.exit.guest_rip, entry_rip, "IF=1, interrupt pending at VM entry: exit before the first L2 instruction");
    }
    if (ack_ok) {
        Guest g(l2_bounded_spin, SPIN_ITERATIONS);
        if (!setup_ext_intr_guest(g, true, false))
            return;
        if (!timer.make_pending())
            return report_error("the APIC timer interrupt never became pending in the IRR");
        RunResult r = g.run();
        report(r.exited(ExitReason::EXTERNAL_INTERRUPT), "IF=1, no acknowledge on exit: VM exit external interrupt (%s)", r.describe());
        report_eq(r.exit.intr_info & intr_info::VALID, 0, "IF=1, no acknowledge on exit: interruption information invalid");
        report(apic_irr_has(TIMER_VECTOR), "IF=1, no acknowledge on exit: the interrupt is still requested in the IRR");
        drain_timer_interrupt();
        report(!apic_irr_has(TIMER_VECTOR), "acknowledge on exit takes the interrupt out of the IRR");
    } else {
        report_skip("VM-exit control 'acknowledge interrupt on exit' not allowed (IA32_VMX_EXIT_CTLS[47])", "IF=1, no acknowledge on exit");
    }
    {
        Guest g(l2_bounded_spin, SPIN_ITERATIONS);
        if (!setup_ext_intr_guest(g, false, ack_ok))
            return;
        if (!timer.make_pending())
            return report_error("the APIC timer interrupt never became pending in the IRR");
        RunResult r = g.run();
        expect_ext_intr_exit(r, ack_ok, "exit.ext-intr-if0", "IF=0, interrupt pending at VM entry");
    }
    {
        Guest g(l2_bounded_spin, SPIN_ITERATIONS);
        if (!setup_ext_intr_guest(g, false, ack_ok))
            return;
        timer.start(20000);
        RunResult r = g.run();
        expect_ext_intr_exit(r, ack_ok, "exit.ext-intr-if0", "IF=0, interrupt arrives while L2 runs");
    }
}

const char* needs_apic()
{
    if (const char* why = vmx_unavailable_reason())
        return why;
    return apic_unavailable_reason();
}

constexpr TestCase kCases[] = {
    {"vmcall", test_vmcall, vmx_unavailable_reason},
    {"cpuid", test_cpuid, vmx_unavailable_reason},
    {"hlt", test_hlt, vmx_unavailable_reason},
    {"rdtsc", test_rdtsc, vmx_unavailable_reason},
    {"rdtscp", test_rdtscp, vmx_unavailable_reason},
    {"cr3", test_cr3, vmx_unavailable_reason},
    {"cr_shadows", test_cr_shadows, vmx_unavailable_reason},
    {"io_bitmap", test_io, vmx_unavailable_reason},
    {"msr_bitmap", test_msr_bitmap, vmx_unavailable_reason},
    {"exception_bitmap", test_exception_bitmap, vmx_unavailable_reason},
    // Under KVM on Bochs 2.7 the emulated preemption timer never fires for an
    // IF=0 L2: both would hang L1 (errata kvm.preemption-timer-if0).
    {"preemption_timer", test_preemption_timer, vmx_unavailable_reason, "kvm.preemption-timer-if0"},
    {"timeout_safety_net", test_timeout_safety_net, vmx_unavailable_reason, "kvm.preemption-timer-if0"},
    {"ext_intr_exiting", test_ext_intr_exiting, needs_apic},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
