// VMX basic exit reasons (Intel SDM Vol. 3D, Appendix C), the flag bits of the exit-reason
// field (Vol. 3C, 29.2.1) and the VM-instruction error numbers (Vol. 3C, 31.4), each with a
// name table.
#pragma once
#include "types.hh"

// Basic exit reasons, X(NAME, number). Numbers the SDM leaves unused (35, 38, 42, 71, 82, 83)
// have no entry. 78-85 come from recent SDM / ISE revisions.
// clang-format off
#define NVMX_EXIT_REASON_LIST(X)                                                              \
    X(EXCEPTION_NMI,              0)                                                          \
    X(EXTERNAL_INTERRUPT,         1)                                                          \
    X(TRIPLE_FAULT,               2)                                                          \
    X(INIT_SIGNAL,                3)                                                          \
    X(SIPI_SIGNAL,                4)                                                          \
    X(IO_SMI,                     5)                                                          \
    X(OTHER_SMI,                  6)                                                          \
    X(INTERRUPT_WINDOW,           7)                                                          \
    X(NMI_WINDOW,                 8)                                                          \
    X(TASK_SWITCH,                9)                                                          \
    X(CPUID,                      10)                                                         \
    X(GETSEC,                     11)                                                         \
    X(HLT,                        12)                                                         \
    X(INVD,                       13)                                                         \
    X(INVLPG,                     14)                                                         \
    X(RDPMC,                      15)                                                         \
    X(RDTSC,                      16)                                                         \
    X(RSM,                        17)                                                         \
    X(VMCALL,                     18)                                                         \
    X(VMCLEAR,                    19)                                                         \
    X(VMLAUNCH,                   20)                                                         \
    X(VMPTRLD,                    21)                                                         \
    X(VMPTRST,                    22)                                                         \
    X(VMREAD,                     23)                                                         \
    X(VMRESUME,                   24)                                                         \
    X(VMWRITE,                    25)                                                         \
    X(VMXOFF,                     26)                                                         \
    X(VMXON,                      27)                                                         \
    X(CR_ACCESS,                  28)                                                         \
    X(DR_ACCESS,                  29)                                                         \
    X(IO_INSTRUCTION,             30)                                                         \
    X(MSR_READ,                   31)                                                         \
    X(MSR_WRITE,                  32)                                                         \
    X(INVALID_GUEST_STATE,        33) /* VM-entry failure */                                 \
    X(MSR_LOAD_FAIL,              34) /* VM-entry failure */                                 \
    X(MWAIT_INSTRUCTION,          36)                                                         \
    X(MONITOR_TRAP_FLAG,          37)                                                         \
    X(MONITOR_INSTRUCTION,        39)                                                         \
    X(PAUSE_INSTRUCTION,          40)                                                         \
    X(MCE_DURING_VMENTRY,         41) /* VM-entry failure */                                 \
    X(TPR_BELOW_THRESHOLD,        43)                                                         \
    X(APIC_ACCESS,                44)                                                         \
    X(EOI_INDUCED,                45)                                                         \
    X(GDTR_IDTR,                  46)                                                         \
    X(LDTR_TR,                    47)                                                         \
    X(EPT_VIOLATION,              48)                                                         \
    X(EPT_MISCONFIG,              49)                                                         \
    X(INVEPT,                     50)                                                         \
    X(RDTSCP,                     51)                                                         \
    X(PREEMPTION_TIMER,           52)                                                         \
    X(INVVPID,                    53)                                                         \
    X(WBINVD,                     54)                                                         \
    X(XSETBV,                     55)                                                         \
    X(APIC_WRITE,                 56)                                                         \
    X(RDRAND,                     57)                                                         \
    X(INVPCID,                    58)                                                         \
    X(VMFUNC,                     59)                                                         \
    X(ENCLS,                      60)                                                         \
    X(RDSEED,                     61)                                                         \
    X(PML_FULL,                   62)                                                         \
    X(XSAVES,                     63)                                                         \
    X(XRSTORS,                    64)                                                         \
    X(PCONFIG,                    65)                                                         \
    X(SPP_EVENT,                  66)                                                         \
    X(UMWAIT,                     67)                                                         \
    X(TPAUSE,                     68)                                                         \
    X(LOADIWKEY,                  69)                                                         \
    X(ENCLV,                      70)                                                         \
    X(ENQCMD_PASID_FAIL,          72)                                                         \
    X(ENQCMDS_PASID_FAIL,         73)                                                         \
    X(BUS_LOCK,                   74)                                                         \
    X(NOTIFY,                     75) /* SDM: instruction timeout */                         \
    X(SEAMCALL,                   76)                                                         \
    X(TDCALL,                     77)                                                         \
    X(RDMSRLIST,                  78)                                                         \
    X(WRMSRLIST,                  79)                                                         \
    X(URDMSR,                     80)                                                         \
    X(UWRMSR,                     81)                                                         \
    X(MSR_READ_IMM,               84)                                                         \
    X(MSR_WRITE_IMM,              85)
// clang-format on

#define NVMX_EXIT_ENUMERATOR(name, num) name = num,
enum class ExitReason : u16 { NVMX_EXIT_REASON_LIST(NVMX_EXIT_ENUMERATOR) };
#undef NVMX_EXIT_ENUMERATOR

// Bits of the 32-bit exit-reason VMCS field besides the basic reason.
namespace exit_reason {
constexpr u32 BASIC_MASK = 0xffff;          // bits 15:0: basic exit reason
constexpr u32 SHADOW_STACK_BUSY = 1u << 25; // a shadow stack was left prematurely busy
constexpr u32 BUS_LOCK_ASSERTED = 1u << 26; // a bus lock was asserted (bus-lock detection)
constexpr u32 ENCLAVE_MODE = 1u << 27;      // the exit was incident to enclave mode
constexpr u32 PENDING_MTF = 1u << 28;       // a pending MTF VM exit (SMM monitor)
constexpr u32 FROM_VMX_ROOT = 1u << 29;     // exit from VMX root operation (SMM monitor)
constexpr u32 ENTRY_FAILURE = 1u << 31;     // VM-entry failure
} // namespace exit_reason

// The basic exit reason (bits 15:0) of a raw exit-reason field.
constexpr ExitReason exit_reason_basic(u32 raw)
{
    return static_cast<ExitReason>(raw & exit_reason::BASIC_MASK);
}

// True when the raw exit-reason field reports a VM-entry failure (bit 31).
constexpr bool exit_reason_is_entry_failure(u32 raw)
{
    return (raw & exit_reason::ENTRY_FAILURE) != 0;
}

// One row of the exit-reason name table.
struct ExitReasonInfo {
    ExitReason reason;
    const char* name;
};

#define NVMX_EXIT_INFO(name, num) {ExitReason::name, #name},
// Every ExitReason enumerator exactly once, in numeric order.
constexpr ExitReasonInfo kExitReasons[] = {NVMX_EXIT_REASON_LIST(NVMX_EXIT_INFO)};
#undef NVMX_EXIT_INFO

// Name of the basic exit reason of a raw exit-reason field (flag bits 31:16 are ignored),
// or "unknown".
constexpr const char* exit_reason_name(u32 raw)
{
    const ExitReason basic = exit_reason_basic(raw);
    for (const ExitReasonInfo& info : kExitReasons)
        if (info.reason == basic)
            return info.name;
    return "unknown";
}

static_assert(static_cast<u16>(ExitReason::EPT_VIOLATION) == 48);
static_assert(static_cast<u16>(ExitReason::PREEMPTION_TIMER) == 52);
static_assert(static_cast<u16>(ExitReason::XRSTORS) == 64);
static_assert(exit_reason_basic(exit_reason::ENTRY_FAILURE | 33) ==
              ExitReason::INVALID_GUEST_STATE);

// VM-instruction error numbers, X(NAME, number). 14, 21 and 27 are reserved.
// clang-format off
#define NVMX_INSN_ERROR_LIST(X)                                                               \
    X(VMCALL_IN_VMX_ROOT,                       1)                                            \
    X(VMCLEAR_INVALID_ADDRESS,                  2)                                            \
    X(VMCLEAR_VMXON_POINTER,                    3)                                            \
    X(VMLAUNCH_NONCLEAR_VMCS,                   4)                                            \
    X(VMRESUME_NONLAUNCHED_VMCS,                5)                                            \
    X(VMRESUME_AFTER_VMXOFF,                    6)                                            \
    X(ENTRY_INVALID_CONTROL_FIELD,              7)                                            \
    X(ENTRY_INVALID_HOST_STATE_FIELD,           8)                                            \
    X(VMPTRLD_INVALID_ADDRESS,                  9)                                            \
    X(VMPTRLD_VMXON_POINTER,                    10)                                           \
    X(VMPTRLD_INCORRECT_REVISION_ID,            11)                                           \
    X(UNSUPPORTED_VMCS_COMPONENT,               12)                                           \
    X(VMWRITE_READ_ONLY_COMPONENT,              13)                                           \
    X(VMXON_IN_VMX_ROOT,                        15)                                           \
    X(ENTRY_INVALID_EXECUTIVE_VMCS_POINTER,     16)                                           \
    X(ENTRY_NONLAUNCHED_EXECUTIVE_VMCS,         17)                                           \
    X(ENTRY_EXECUTIVE_VMCS_NOT_VMXON_POINTER,   18)                                           \
    X(VMCALL_NONCLEAR_VMCS,                     19)                                           \
    X(VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS,    20)                                           \
    X(VMCALL_INCORRECT_MSEG_REVISION_ID,        22)                                           \
    X(VMXOFF_UNDER_DUAL_MONITOR,                23)                                           \
    X(VMCALL_INVALID_SMM_MONITOR_FEATURES,      24)                                           \
    X(ENTRY_INVALID_EXECUTIVE_VMCS_CONTROLS,    25)                                           \
    X(ENTRY_EVENTS_BLOCKED_BY_MOV_SS,           26)                                           \
    X(INVALID_INVEPT_INVVPID_OPERAND,           28)
// clang-format on

#define NVMX_INSN_ERROR_ENUMERATOR(name, num) name = num,
enum class VmxInsnError : u32 { NVMX_INSN_ERROR_LIST(NVMX_INSN_ERROR_ENUMERATOR) };
#undef NVMX_INSN_ERROR_ENUMERATOR

// One row of the VM-instruction error name table.
struct VmxInsnErrorInfo {
    VmxInsnError error;
    const char* name;
};

#define NVMX_INSN_ERROR_INFO(name, num) {VmxInsnError::name, #name},
// Every VmxInsnError enumerator exactly once, in numeric order.
constexpr VmxInsnErrorInfo kVmxInsnErrors[] = {NVMX_INSN_ERROR_LIST(NVMX_INSN_ERROR_INFO)};
#undef NVMX_INSN_ERROR_INFO

// Name of a VM-instruction error number (the VM_INSTRUCTION_ERROR field), or "unknown"
// (also for 0, "no error").
constexpr const char* vmx_insn_error_name(u32 number)
{
    for (const VmxInsnErrorInfo& info : kVmxInsnErrors)
        if (static_cast<u32>(info.error) == number)
            return info.name;
    return "unknown";
}

static_assert(static_cast<u32>(VmxInsnError::ENTRY_INVALID_CONTROL_FIELD) == 7);
static_assert(static_cast<u32>(VmxInsnError::INVALID_INVEPT_INVVPID_OPERAND) == 28);
