// The VM entry/exit engine: a Guest owns one VMCS prepared for a 64-bit L2
// that runs fn(arg) on its own stack, with host state taken from L1's
// current state. run() does VMLAUNCH the first time and VMRESUME after,
// saves/restores the GPRs, and decodes the exit (or the entry failure).
// An L2 that never exits is stopped by the VMX-preemption timer where the
// CPU has one, and the run is reported as a timeout.
#pragma once
#include "report.hh"
#include "types.hh"
#include "x86/addr.hh"
#include "x86/arch/vmx_exit.hh"
#include "x86/vmx/insn.hh"
#include "x86/vmx/vmcs.hh"

struct GuestRegs {
    u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
static_assert(sizeof(GuestRegs) == 15 * 8);

using GuestFn = void (*)(u64 arg);

// rax value with which l2_trampoline's VMCALL says "fn returned".
constexpr u64 GUEST_DONE = 0x4e564d58444f4e45ull;

// Exit information read from the VMCS after a VM exit.
struct ExitInfo {
    u32 reason = 0;              // full exit-reason field
    u64 qualification = 0;
    u64 guest_rip = 0, guest_rsp = 0;
    u32 insn_len = 0, insn_info = 0;
    u32 intr_info = 0, intr_error = 0;
    u32 idt_vectoring_info = 0;
    u64 guest_linear = 0, guest_phys = 0;

    u16 basic() const { return static_cast<u16>(reason & 0xffff); }
    bool entry_failed() const { return reason & (1u << 31); }
    bool is(ExitReason r) const { return basic() == static_cast<u16>(r); }
};

enum class RunStatus : u8 {
    Exit,         // a VM exit (see ExitInfo; may be a failed entry with bit 31)
    VmFail,       // VMLAUNCH/VMRESUME failed (VMfailInvalid/VMfailValid)
    Timeout,      // the safety VMX-preemption timer fired
};

struct [[nodiscard]] RunResult {
    RunStatus status;
    VmxResult vmfail; // for VmFail
    ExitInfo exit;    // for Exit / Timeout
    bool exit_rax_done = false; // guest rax held GUEST_DONE at the exit

    bool exited(ExitReason r) const { return status == RunStatus::Exit && !exit.entry_failed() && exit.is(r); }
    // VMLAUNCH/VMRESUME failed with VMfailValid(error).
    bool vmfail_valid(VmxInsnError error) const
    {
        return status == RunStatus::VmFail && vmfail.is_fail_valid(static_cast<u32>(error));
    }
    // VM entry failed on guest state: exit 33 with bit 31 set (SDM 27.8).
    bool invalid_guest_state() const
    {
        return status == RunStatus::Exit && exit.entry_failed() && exit.is(ExitReason::INVALID_GUEST_STATE);
    }
    // The guest function returned (VMCALL with rax == GUEST_DONE).
    bool done() const;
    // "exit VMCALL (18) qual 0x0 rip ...", "VMfailValid(7: ...)", "timeout".
    const char* describe() const;
};

class Guest {
public:
    // Allocates and loads a VMCS for fn(arg). Check ready() before use.
    explicit Guest(GuestFn fn, u64 arg = 0);
    ~Guest();
    Guest(const Guest&) = delete;
    Guest& operator=(const Guest&) = delete;

    // True when the VMCS was set up (else an ERROR was reported).
    [[nodiscard]] bool ready() const { return ready_; }
    // Makes this VMCS current (VMPTRLD) if another one was loaded since.
    [[nodiscard]] bool make_current();

    // Enters L2 and returns at the next VM exit or entry failure.
    RunResult run();
    // Advances the guest RIP past the instruction that caused the last exit.
    void skip_instruction();

    GuestRegs& regs() { return regs_; }
    PhysAddr vmcs() const { return vmcs_; }
    bool launched() const { return launched_; }
    // Forgets the launch state after a VMCLEAR done by a test.
    void mark_cleared() { launched_ = false; }
    // Sets the safety preemption timer value (0 disables the safety net).
    void set_timeout_ticks(u32 ticks) { timeout_ticks_ = ticks; }

private:
    bool setup_controls();
    bool setup_host_state();
    bool setup_guest_state(GuestFn fn, u64 arg);

    PhysAddr vmcs_;
    PhysAddr stack_;
    GuestRegs regs_{};
    bool ready_ = false;
    bool launched_ = false;
    bool timer_ = false;
    u32 timeout_ticks_ = 0;
    u32 last_insn_len_ = 0;
};

// Reads the exit information fields of the current VMCS.
ExitInfo read_exit_info();

// Prints an exit (reason by name, qualification, addresses) as comment text.
void print_exit_info(const ExitInfo& e);

// One check that r is an exit with reason; on failure shows what happened.
template <class... Args>
bool expect_exit(const RunResult& r, ExitReason reason, Here fmt, const Args&... args)
{
    char exp[64];
    snformat(exp, sizeof(exp), "exit %s", exit_reason_name(static_cast<u32>(reason)));
    Diagnostic d{exp, r.describe()};
    bool pass = report_check(r.exited(reason), &d, nullptr, fmt, args...);
    if (!pass && r.status != RunStatus::VmFail)
        print_exit_info(r.exit);
    return pass;
}

// One check that fn returned in L2 (VMCALL GUEST_DONE).
template <class... Args>
bool expect_done(const RunResult& r, Here fmt, const Args&... args)
{
    Diagnostic d{"guest function returned", r.describe()};
    bool pass = report_check(r.done(), &d, nullptr, fmt, args...);
    if (!pass && r.status != RunStatus::VmFail)
        print_exit_info(r.exit);
    return pass;
}
