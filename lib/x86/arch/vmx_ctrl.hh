// VMX control bits, capability-MSR layouts and EPT/VPID capability bits
// (Intel SDM Vol. 3C, chapters 25-26 and Vol. 3D Appendix A), as constexpr data.
#pragma once
#include "types.hh"

namespace pin {
constexpr u32 EXT_INTR = 1u << 0, NMI_EXITING = 1u << 3, VIRTUAL_NMIS = 1u << 5,
              PREEMPTION_TIMER = 1u << 6, POSTED_INTR = 1u << 7;
}

namespace proc {
constexpr u32 INTR_WINDOW = 1u << 2, USE_TSC_OFFSETTING = 1u << 3, HLT = 1u << 7, INVLPG = 1u << 9,
              MWAIT = 1u << 10, RDPMC = 1u << 11, RDTSC = 1u << 12, CR3_LOAD = 1u << 15,
              CR3_STORE = 1u << 16, TERTIARY = 1u << 17, CR8_LOAD = 1u << 19, CR8_STORE = 1u << 20,
              TPR_SHADOW = 1u << 21, NMI_WINDOW = 1u << 22, MOV_DR = 1u << 23, UNCOND_IO = 1u << 24,
              USE_IO_BITMAPS = 1u << 25, MTF = 1u << 27, USE_MSR_BITMAPS = 1u << 28,
              MONITOR = 1u << 29, PAUSE = 1u << 30, SECONDARY = 1u << 31;
}

namespace proc2 {
constexpr u32 VIRT_APIC_ACCESSES = 1u << 0, EPT = 1u << 1, DESC_TABLE = 1u << 2, RDTSCP = 1u << 3,
              VIRT_X2APIC = 1u << 4, VPID = 1u << 5, WBINVD = 1u << 6, UNRESTRICTED_GUEST = 1u << 7,
              APIC_REG_VIRT = 1u << 8, VIRT_INTR_DELIVERY = 1u << 9, PAUSE_LOOP = 1u << 10,
              RDRAND = 1u << 11, INVPCID = 1u << 12, VMFUNC = 1u << 13, VMCS_SHADOWING = 1u << 14,
              ENCLS = 1u << 15, RDSEED = 1u << 16, PML = 1u << 17, EPT_VE = 1u << 18,
              CONCEAL_VMX = 1u << 19, XSAVES = 1u << 20, MBEC = 1u << 22, SPP = 1u << 23,
              PT_USE_GPA = 1u << 24, TSC_SCALING = 1u << 25, UMWAIT = 1u << 26, PCONFIG = 1u << 27,
              ENCLV = 1u << 28, INSN_TIMEOUT = 1u << 31;
}

namespace exit_ctl {
constexpr u32 SAVE_DEBUG = 1u << 2, HOST_ADDR_SPACE_SIZE = 1u << 9, LOAD_PERF_GLOBAL = 1u << 12,
              ACK_INTR = 1u << 15, SAVE_PAT = 1u << 18, LOAD_PAT = 1u << 19, SAVE_EFER = 1u << 20,
              LOAD_EFER = 1u << 21, SAVE_PREEMPTION_TIMER = 1u << 22, CLEAR_BNDCFGS = 1u << 23,
              CLEAR_RTIT_CTL = 1u << 25, CLEAR_LBR_CTL = 1u << 26, CLEAR_UINV = 1u << 27,
              LOAD_CET = 1u << 28, LOAD_PKRS = 1u << 29, SAVE_PERF_GLOBAL = 1u << 30, SECONDARY = 1u << 31;
}

namespace entry_ctl {
constexpr u32 LOAD_DEBUG = 1u << 2, IA32E_MODE = 1u << 9, SMM = 1u << 10, DEACT_DUAL = 1u << 11,
              LOAD_PERF_GLOBAL = 1u << 13, LOAD_PAT = 1u << 14, LOAD_EFER = 1u << 15,
              LOAD_BNDCFGS = 1u << 16, LOAD_RTIT_CTL = 1u << 18, LOAD_UINV = 1u << 19, LOAD_CET = 1u << 20,
              LOAD_LBR_CTL = 1u << 21, LOAD_PKRS = 1u << 22;
}

// IA32_VMX_BASIC (SDM Vol. 3D, A.1).
namespace vmx_basic {
constexpr u64 REVISION_MASK = 0x7fffffff;
constexpr unsigned VMCS_SIZE_SHIFT = 32;
constexpr u64 VMCS_SIZE_MASK = 0x1fff;
constexpr u64 PHYS_ADDR_32BIT = 1ull << 48;
constexpr u64 DUAL_MONITOR = 1ull << 49;
constexpr unsigned MEMTYPE_SHIFT = 50;
constexpr u64 INS_OUTS_INFO = 1ull << 54;
constexpr u64 TRUE_CTLS = 1ull << 55;
constexpr u64 NO_HW_ERRCODE_CHECK = 1ull << 56;
// Bits 53:50, the VMCS memory type: UC (0) or WB (6); the SDM uses no other.
constexpr bool memtype_valid(u32 type) { return type == 0 || type == 6; }
} // namespace vmx_basic

// IA32_VMX_MISC (SDM Vol. 3D, A.6).
namespace vmx_misc {
constexpr u64 PREEMPTION_RATE_MASK = 0x1f;
constexpr u64 SAVES_EFER_LMA = 1ull << 5;
constexpr u64 ACTIVITY_HLT = 1ull << 6, ACTIVITY_SHUTDOWN = 1ull << 7, ACTIVITY_SIPI = 1ull << 8;
constexpr unsigned CR3_TARGETS_SHIFT = 16;
constexpr u64 CR3_TARGETS_MASK = 0x1ff;
constexpr u64 VMWRITE_ANY_FIELD = 1ull << 29;
constexpr u64 ZERO_LEN_INJECTION = 1ull << 30;
constexpr unsigned MAX_INDEX_SHIFT = 1; // IA32_VMX_VMCS_ENUM bits 9:1
} // namespace vmx_misc

// IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D, A.10).
namespace ept_cap {
constexpr u64 EXEC_ONLY = 1ull << 0, WALK_4 = 1ull << 6, WALK_5 = 1ull << 7, UC = 1ull << 8,
              WB = 1ull << 14, PDE_2M = 1ull << 16, PDPTE_1G = 1ull << 17, INVEPT = 1ull << 20,
              AD = 1ull << 21, ADV_EXIT_INFO = 1ull << 22, SSS = 1ull << 23,
              INVEPT_SINGLE = 1ull << 25, INVEPT_ALL = 1ull << 26, INVVPID = 1ull << 32,
              INVVPID_ADDR = 1ull << 40, INVVPID_SINGLE = 1ull << 41, INVVPID_ALL = 1ull << 42,
              INVVPID_SINGLE_NONGLOBAL = 1ull << 43;
}

// VM-exit interruption information (SDM Vol. 3C, 25.9.2).
namespace intr_info {
constexpr u32 VECTOR_MASK = 0xff, TYPE_SHIFT = 8, TYPE_MASK = 0x7 << 8, ERROR_CODE_VALID = 1u << 11,
              NMI_UNBLOCKING = 1u << 12, VALID = 1u << 31;
constexpr u32 TYPE_EXT_INTR = 0, TYPE_NMI = 2, TYPE_HW_EXCEPTION = 3, TYPE_SW_INTR = 4,
              TYPE_PRIV_SW_EXCEPTION = 5, TYPE_SW_EXCEPTION = 6;
} // namespace intr_info

// Segment access-rights encoding used in the VMCS (SDM Vol. 3C, 25.4.1).
namespace seg_ar {
constexpr u32 CODE64 = 0xa09b, DATA = 0xc093, TSS64_BUSY = 0x008b, LDT = 0x0082,
              UNUSABLE = 1u << 16;
}
