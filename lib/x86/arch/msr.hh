// Architectural MSR numbers (Intel SDM Vol. 4) used by the runtime and tests.
#pragma once
#include "types.hh"

namespace msr {
constexpr u32 IA32_APIC_BASE = 0x1b;
constexpr u32 IA32_FEATURE_CONTROL = 0x3a;
constexpr u32 IA32_TSC = 0x10;
constexpr u32 IA32_PAT = 0x277;
constexpr u32 IA32_SYSENTER_CS = 0x174;
constexpr u32 IA32_SYSENTER_ESP = 0x175;
constexpr u32 IA32_SYSENTER_EIP = 0x176;
constexpr u32 IA32_DEBUGCTL = 0x1d9;
constexpr u32 IA32_VMX_BASIC = 0x480;
constexpr u32 IA32_VMX_PINBASED_CTLS = 0x481;
constexpr u32 IA32_VMX_PROCBASED_CTLS = 0x482;
constexpr u32 IA32_VMX_EXIT_CTLS = 0x483;
constexpr u32 IA32_VMX_ENTRY_CTLS = 0x484;
constexpr u32 IA32_VMX_MISC = 0x485;
constexpr u32 IA32_VMX_CR0_FIXED0 = 0x486;
constexpr u32 IA32_VMX_CR0_FIXED1 = 0x487;
constexpr u32 IA32_VMX_CR4_FIXED0 = 0x488;
constexpr u32 IA32_VMX_CR4_FIXED1 = 0x489;
constexpr u32 IA32_VMX_VMCS_ENUM = 0x48a;
constexpr u32 IA32_VMX_PROCBASED_CTLS2 = 0x48b;
constexpr u32 IA32_VMX_EPT_VPID_CAP = 0x48c;
constexpr u32 IA32_VMX_TRUE_PINBASED_CTLS = 0x48d;
constexpr u32 IA32_VMX_TRUE_PROCBASED_CTLS = 0x48e;
constexpr u32 IA32_VMX_TRUE_EXIT_CTLS = 0x48f;
constexpr u32 IA32_VMX_TRUE_ENTRY_CTLS = 0x490;
constexpr u32 IA32_VMX_VMFUNC = 0x491;
constexpr u32 IA32_EFER = 0xc0000080;
constexpr u32 IA32_STAR = 0xc0000081;
constexpr u32 IA32_LSTAR = 0xc0000082;
constexpr u32 IA32_FMASK = 0xc0000084;
constexpr u32 IA32_FS_BASE = 0xc0000100;
constexpr u32 IA32_GS_BASE = 0xc0000101;
constexpr u32 IA32_KERNEL_GS_BASE = 0xc0000102;
// An MSR index no processor implements (inside the reserved gap below the x2APIC range).
constexpr u32 NONEXISTENT = 0x00000bad;
} // namespace msr

namespace efer {
constexpr u64 SCE = 1ull << 0;
constexpr u64 LME = 1ull << 8;
constexpr u64 LMA = 1ull << 10;
constexpr u64 NXE = 1ull << 11;
} // namespace efer
