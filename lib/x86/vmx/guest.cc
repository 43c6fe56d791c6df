// Guest VMCS setup and the run loop around vmx_enter (entry.S).
#include "x86/vmx/guest.hh"
#include "x86/vmx/simulate.hh"
#include "console.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/desc.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/vmx_on.hh"

extern "C" int vmx_enter(GuestRegs* regs, int resume);
extern "C" char vmx_exit_entry[];
extern "C" char l2_trampoline[];

namespace {

constexpr u64 GUEST_STACK_PAGES = 4;
using F = VmcsField;

// Writes every (field, value) pair; stops at the first failure (reported).
bool write_all(const F* fields, const u64* values, usize n)
{
    for (usize i = 0; i < n; i++)
        if (!vmcs_write(fields[i], values[i]))
            return false;
    return true;
}

// VM exits taken through Guest::run (failed entries included), for the
// "vm-exits: N" line that scripts/bench.sh reads.
u64 g_vm_exits = 0;

} // namespace

// Overrides the weak default in lib/testcase.cc.
void report_run_stats()
{
    printf("vm-exits: %lu\n", g_vm_exits);
}

bool RunResult::done() const
{
    return status == RunStatus::Exit && !exit.entry_failed() && exit.is(ExitReason::VMCALL) &&
           exit.insn_len == 3 && exit_rax_done;
}

Guest::Guest(GuestFn fn, u64 arg)
{
    vmcs_ = alloc_vmx_region();
    stack_ = alloc_pages(GUEST_STACK_PAGES);
    if (!vmcs_.raw() || !stack_.raw()) {
        report_error("out of memory for a guest VMCS");
        return;
    }
    VmxResult r = vmclear(vmcs_);
    if (!r.ok()) {
        report_error("VMCLEAR of a fresh VMCS: %s", vmx_result_str(r));
        return;
    }
    r = vmptrld(vmcs_);
    if (!r.ok()) {
        report_error("VMPTRLD of a fresh VMCS: %s", vmx_result_str(r));
        return;
    }
    const VmxCaps& c = vmx_caps();
    timer_ = c.pin.allows(pin::PREEMPTION_TIMER);
    u64 ticks = (1ull << 31) >> c.preemption_rate();
    timeout_ticks_ = static_cast<u32>(ticks > 0xffffffffull ? 0xffffffffull : ticks);
    ready_ = setup_controls() && setup_host_state() && setup_guest_state(fn, arg);
}

Guest::~Guest()
{
    if (vmcs_.raw()) {
        VmxResult r = vmclear(vmcs_);
        if (!r.ok())
            report_error("VMCLEAR at guest teardown: %s", vmx_result_str(r));
        free_page(vmcs_);
    }
    for (u64 i = 0; stack_.raw() && i < GUEST_STACK_PAGES; i++)
        free_page(stack_ + i * PAGE_SIZE);
}

bool Guest::make_current()
{
    PhysAddr cur;
    VmxResult r = vmptrst(&cur);
    if (r.ok() && cur == vmcs_)
        return true;
    r = vmptrld(vmcs_);
    if (!r.ok())
        report_error("VMPTRLD %#lx: %s", vmcs_, vmx_result_str(r));
    return r.ok();
}

bool Guest::setup_controls()
{
    const VmxCaps& c = vmx_caps();
    const F fields[] = {F::PIN_BASED_VM_EXEC_CONTROL, F::CPU_BASED_VM_EXEC_CONTROL,
                        F::VM_EXIT_CONTROLS, F::VM_ENTRY_CONTROLS, F::EXCEPTION_BITMAP,
                        F::PAGE_FAULT_ERROR_CODE_MASK, F::PAGE_FAULT_ERROR_CODE_MATCH,
                        F::CR3_TARGET_COUNT, F::VM_EXIT_MSR_STORE_COUNT, F::VM_EXIT_MSR_LOAD_COUNT,
                        F::VM_ENTRY_MSR_LOAD_COUNT, F::VM_ENTRY_INTR_INFO_FIELD,
                        F::CR0_GUEST_HOST_MASK, F::CR4_GUEST_HOST_MASK, F::CR0_READ_SHADOW,
                        F::CR4_READ_SHADOW, F::VMCS_LINK_POINTER, F::TSC_OFFSET};
    const u64 values[] = {c.pin.adjust(timer_ ? pin::PREEMPTION_TIMER : 0),
                          c.proc.adjust(0),
                          c.exit.adjust(exit_ctl::HOST_ADDR_SPACE_SIZE | exit_ctl::LOAD_EFER | exit_ctl::SAVE_EFER),
                          c.entry.adjust(entry_ctl::IA32E_MODE | entry_ctl::LOAD_EFER),
                          0xffffffffu, // every L2 exception exits to L1
                          0, 0, 0, 0, 0, 0, 0, 0, 0,
                          read_cr0(), read_cr4(), ~0ull, 0};
    static_assert(array_size(fields) == array_size(values));
    return write_all(fields, values, array_size(fields));
}

bool Guest::setup_host_state()
{
    DescriptorTablePointer gdtr = read_gdtr(), idtr = read_idtr();
    const F fields[] = {F::HOST_CR0, F::HOST_CR3, F::HOST_CR4, F::HOST_ES_SELECTOR,
                        F::HOST_CS_SELECTOR, F::HOST_SS_SELECTOR, F::HOST_DS_SELECTOR,
                        F::HOST_FS_SELECTOR, F::HOST_GS_SELECTOR, F::HOST_TR_SELECTOR,
                        F::HOST_FS_BASE, F::HOST_GS_BASE, F::HOST_TR_BASE, F::HOST_GDTR_BASE,
                        F::HOST_IDTR_BASE, F::HOST_IA32_SYSENTER_CS, F::HOST_IA32_SYSENTER_ESP,
                        F::HOST_IA32_SYSENTER_EIP, F::HOST_IA32_EFER, F::HOST_RIP};
    const u64 values[] = {read_cr0(), read_cr3(), read_cr4(), sel::KERNEL_DS, sel::KERNEL_CS,
                          sel::KERNEL_DS, sel::KERNEL_DS, 0, 0, sel::TSS,
                          rdmsr(msr::IA32_FS_BASE), rdmsr(msr::IA32_GS_BASE), tss_base(),
                          gdtr.base, idtr.base, rdmsr(msr::IA32_SYSENTER_CS),
                          rdmsr(msr::IA32_SYSENTER_ESP), rdmsr(msr::IA32_SYSENTER_EIP),
                          rdmsr(msr::IA32_EFER), reinterpret_cast<u64>(vmx_exit_entry)};
    static_assert(array_size(fields) == array_size(values));
    return write_all(fields, values, array_size(fields));
}

bool Guest::setup_guest_state(GuestFn fn, u64 arg)
{
    DescriptorTablePointer gdtr = read_gdtr(), idtr = read_idtr();
    u64 stack_top = (stack_ + GUEST_STACK_PAGES * PAGE_SIZE).raw();
    const F fields[] = {
        F::GUEST_CR0, F::GUEST_CR3, F::GUEST_CR4, F::GUEST_DR7, F::GUEST_RSP, F::GUEST_RIP,
        F::GUEST_RFLAGS, F::GUEST_ES_SELECTOR, F::GUEST_CS_SELECTOR, F::GUEST_SS_SELECTOR,
        F::GUEST_DS_SELECTOR, F::GUEST_FS_SELECTOR, F::GUEST_GS_SELECTOR, F::GUEST_LDTR_SELECTOR,
        F::GUEST_TR_SELECTOR, F::GUEST_ES_BASE, F::GUEST_CS_BASE, F::GUEST_SS_BASE,
        F::GUEST_DS_BASE, F::GUEST_FS_BASE, F::GUEST_GS_BASE, F::GUEST_LDTR_BASE,
        F::GUEST_TR_BASE, F::GUEST_ES_LIMIT, F::GUEST_CS_LIMIT, F::GUEST_SS_LIMIT,
        F::GUEST_DS_LIMIT, F::GUEST_FS_LIMIT, F::GUEST_GS_LIMIT, F::GUEST_LDTR_LIMIT,
        F::GUEST_TR_LIMIT, F::GUEST_ES_AR_BYTES, F::GUEST_CS_AR_BYTES, F::GUEST_SS_AR_BYTES,
        F::GUEST_DS_AR_BYTES, F::GUEST_FS_AR_BYTES, F::GUEST_GS_AR_BYTES,
        F::GUEST_LDTR_AR_BYTES, F::GUEST_TR_AR_BYTES, F::GUEST_GDTR_BASE, F::GUEST_GDTR_LIMIT,
        F::GUEST_IDTR_BASE, F::GUEST_IDTR_LIMIT, F::GUEST_SYSENTER_CS, F::GUEST_SYSENTER_ESP,
        F::GUEST_SYSENTER_EIP, F::GUEST_IA32_EFER, F::GUEST_INTERRUPTIBILITY_INFO,
        F::GUEST_ACTIVITY_STATE, F::GUEST_PENDING_DBG_EXCEPTIONS, F::GUEST_IA32_DEBUGCTL};
    const u64 values[] = {
        read_cr0(), read_cr3(), read_cr4(), 0x400, stack_top, reinterpret_cast<u64>(l2_trampoline),
        0x2, sel::KERNEL_DS, sel::KERNEL_CS, sel::KERNEL_DS,
        sel::KERNEL_DS, sel::KERNEL_DS, sel::KERNEL_DS, 0,
        sel::TSS, 0, 0, 0,
        0, 0, 0, 0,
        tss_base(), 0xffffffff, 0xffffffff, 0xffffffff,
        0xffffffff, 0xffffffff, 0xffffffff, 0,
        0x67, seg_ar::DATA, seg_ar::CODE64, seg_ar::DATA,
        seg_ar::DATA, seg_ar::DATA, seg_ar::DATA,
        seg_ar::UNUSABLE, seg_ar::TSS64_BUSY, gdtr.base, gdtr.limit,
        idtr.base, idtr.limit, 0, 0,
        0, rdmsr(msr::IA32_EFER), 0,
        0, 0, 0};
    static_assert(array_size(fields) == array_size(values));
    regs_.rdi = reinterpret_cast<u64>(fn);
    regs_.rsi = arg;
    return write_all(fields, values, array_size(fields));
}

RunResult Guest::run()
{
    RunResult res{RunStatus::VmFail, VmxResult::fail_invalid(), ExitInfo{}};
    if (!ready_ || !make_current())
        return res;
    if (timer_ && timeout_ticks_ && !vmcs_write(F::VMX_PREEMPTION_TIMER_VALUE, timeout_ticks_))
        return res;
    int rc = vmx_enter(&regs_, launched_ ? 1 : 0);
    if (rc != 0) {
        res.vmfail = (rc & 1) ? VmxResult::fail_invalid()
                              : VmxResult::fail_valid(static_cast<u32>(vmcs_read(F::VM_INSTRUCTION_ERROR)));
        return res;
    }
    g_vm_exits++;
    res.exit = read_exit_info();
    res.exit_rax_done = regs_.rax == GUEST_DONE;
    // A failed entry (exit reason bit 31) leaves the launch state unchanged.
    if (!res.exit.entry_failed())
        launched_ = true;
    bool safety_timer = timer_ && timeout_ticks_ &&
                        (vmcs_read(F::PIN_BASED_VM_EXEC_CONTROL) & pin::PREEMPTION_TIMER);
    res.status = safety_timer && res.exit.is(ExitReason::PREEMPTION_TIMER) && !res.exit.entry_failed()
                     ? RunStatus::Timeout
                     : RunStatus::Exit;
    last_insn_len_ = res.exit.insn_len;
    return res;
}

void Guest::skip_instruction()
{
    vmcs_write(F::GUEST_RIP, vmcs_read(F::GUEST_RIP) + last_insn_len_);
}

ExitInfo read_exit_info()
{
    ExitInfo e;
    e.reason = static_cast<u32>(vmcs_read(F::VM_EXIT_REASON));
    e.qualification = vmcs_read(F::EXIT_QUALIFICATION);
    e.guest_rip = vmcs_read(F::GUEST_RIP);
    e.guest_rsp = vmcs_read(F::GUEST_RSP);
    e.insn_len = static_cast<u32>(vmcs_read(F::VM_EXIT_INSTRUCTION_LEN));
    e.insn_info = static_cast<u32>(vmcs_read(F::VMX_INSTRUCTION_INFO));
    e.intr_info = static_cast<u32>(vmcs_read(F::VM_EXIT_INTR_INFO));
    e.intr_error = static_cast<u32>(vmcs_read(F::VM_EXIT_INTR_ERROR_CODE));
    e.idt_vectoring_info = static_cast<u32>(vmcs_read(F::IDT_VECTORING_INFO_FIELD));
    e.guest_linear = vmcs_read(F::GUEST_LINEAR_ADDRESS);
    e.guest_phys = vmcs_read(F::GUEST_PHYSICAL_ADDRESS);
    if (simulate::GLA_IS_GPA && e.is(ExitReason::EPT_VIOLATION))
        e.guest_linear = e.guest_phys;
    return e;
}

const char* RunResult::describe() const
{
    static char buf[160];
    switch (status) {
    case RunStatus::VmFail: return vmx_result_str(vmfail);
    case RunStatus::Timeout: snformat(buf, sizeof(buf), "timeout (L2 never exited)"); return buf;
    case RunStatus::Exit: break;
    }
    snformat(buf, sizeof(buf), "%sexit %s (%u) qual %#lx rip %#lx%s", exit.entry_failed() ? "failed entry: " : "",
             exit_reason_name(exit.reason), exit.basic(), exit.qualification, exit.guest_rip,
             exit.is(ExitReason::EXCEPTION_NMI) ? " (exception in L2)" : "");
    return buf;
}

void print_exit_info(const ExitInfo& e)
{
    printf("VM exit: reason %u (%s)%s qualification %#lx\n", e.basic(), exit_reason_name(e.reason),
           e.entry_failed() ? " [VM-entry failure]" : "", e.qualification);
    printf("  guest rip %#lx rsp %#lx insn len %u info %#x\n", e.guest_rip, e.guest_rsp, e.insn_len,
           e.insn_info);
    printf("  intr info %#x error %#x idt-vectoring %#x\n", e.intr_info, e.intr_error, e.idt_vectoring_info);
    printf("  guest linear %#lx guest physical %#lx\n", e.guest_linear, e.guest_phys);
}
