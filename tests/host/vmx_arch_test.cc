// Host tests of the VMX hardware-ABI tables (lib/x86/arch/vmcs_fields.hh, vmx_exit.hh).
#include <gtest/gtest.h>
#include <set>
#include <string>

#include "x86/arch/vmcs_fields.hh"
#include "x86/arch/vmx_ctrl.hh"
#include "x86/arch/vmx_exit.hh"

namespace {
// True when s starts with prefix.
bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Fields named GUEST_* that are not guest-state fields (exit data and one control).
const std::set<std::string> kGuestNamedNonGuest = {
    "GUEST_PHYSICAL_ADDRESS", "GUEST_LINEAR_ADDRESS", "GUEST_DEADLINE_SHADOW"};
// Guest-state fields whose names do not start with GUEST_.
const std::set<std::string> kGuestStateUnprefixed = {"VMCS_LINK_POINTER",
                                                     "VMX_PREEMPTION_TIMER_VALUE"};
} // namespace

TEST(VmcsFields, UniqueEncodingsAndNames)
{
    std::set<u32> encodings;
    std::set<std::string> names;
    for (const VmcsFieldInfo& info : kVmcsFields) {
        EXPECT_TRUE(encodings.insert(vmcs_encoding(info.field)).second) << info.name;
        EXPECT_TRUE(names.insert(info.name).second) << info.name;
    }
    EXPECT_EQ(encodings.size(), array_size(kVmcsFields));
}

TEST(VmcsFields, SortedByEncoding)
{
    for (usize i = 1; i < array_size(kVmcsFields); ++i)
        EXPECT_LT(vmcs_encoding(kVmcsFields[i - 1].field), vmcs_encoding(kVmcsFields[i].field))
            << kVmcsFields[i].name;
}

TEST(VmcsFields, WellFormedEncodings)
{
    for (const VmcsFieldInfo& info : kVmcsFields) {
        const u32 enc = vmcs_encoding(info.field);
        EXPECT_FALSE(vmcs_field_is_high(info.field)) << info.name; // full access type only
        EXPECT_EQ(enc & (1u << 12), 0u) << info.name;             // reserved bit
        EXPECT_EQ(enc >> 15, 0u) << info.name;                    // bits 31:15 reserved
    }
}

TEST(VmcsFields, NamePrefixMatchesType)
{
    for (const VmcsFieldInfo& info : kVmcsFields) {
        const std::string name = info.name;
        const VmcsFieldType type = vmcs_field_type(info.field);
        // HOST_* is exactly the host-state fields.
        EXPECT_EQ(starts_with(name, "HOST_"), type == VmcsFieldType::HostState) << name;
        if (starts_with(name, "GUEST_") && !kGuestNamedNonGuest.count(name)) {
            EXPECT_EQ(type, VmcsFieldType::GuestState) << name;
        }
        if (type == VmcsFieldType::GuestState && !starts_with(name, "GUEST_")) {
            EXPECT_TRUE(kGuestStateUnprefixed.count(name)) << name;
        }
    }
    for (const std::string& name : kGuestNamedNonGuest) {
        bool found = false;
        for (const VmcsFieldInfo& info : kVmcsFields)
            if (name == info.name) {
                found = true;
                EXPECT_NE(vmcs_field_type(info.field), VmcsFieldType::GuestState) << name;
            }
        EXPECT_TRUE(found) << name;
    }
}

TEST(VmcsFields, KnownEncodings)
{
    EXPECT_EQ(vmcs_encoding(VmcsField::VIRTUAL_PROCESSOR_ID), 0x0000u);
    EXPECT_EQ(vmcs_encoding(VmcsField::POSTED_INTR_NV), 0x0002u);
    EXPECT_EQ(vmcs_encoding(VmcsField::GUEST_ES_SELECTOR), 0x0800u);
    EXPECT_EQ(vmcs_encoding(VmcsField::HOST_TR_SELECTOR), 0x0c0cu);
    EXPECT_EQ(vmcs_encoding(VmcsField::IO_BITMAP_A), 0x2000u);
    EXPECT_EQ(vmcs_encoding(VmcsField::PML_ADDRESS), 0x200eu);
    EXPECT_EQ(vmcs_encoding(VmcsField::VM_FUNCTION_CONTROL), 0x2018u);
    EXPECT_EQ(vmcs_encoding(VmcsField::EPT_POINTER), 0x201au);
    EXPECT_EQ(vmcs_encoding(VmcsField::EPTP_LIST_ADDRESS), 0x2024u);
    EXPECT_EQ(vmcs_encoding(VmcsField::VE_INFORMATION_ADDRESS), 0x202au);
    EXPECT_EQ(vmcs_encoding(VmcsField::TERTIARY_VM_EXEC_CONTROL), 0x2034u);
    EXPECT_EQ(vmcs_encoding(VmcsField::GUEST_PHYSICAL_ADDRESS), 0x2400u);
    EXPECT_EQ(vmcs_encoding(VmcsField::VMCS_LINK_POINTER), 0x2800u);
    EXPECT_EQ(vmcs_encoding(VmcsField::GUEST_IA32_EFER), 0x2806u);
    EXPECT_EQ(vmcs_encoding(VmcsField::HOST_IA32_EFER), 0x2c02u);
    EXPECT_EQ(vmcs_encoding(VmcsField::PIN_BASED_VM_EXEC_CONTROL), 0x4000u);
    EXPECT_EQ(vmcs_encoding(VmcsField::SECONDARY_VM_EXEC_CONTROL), 0x401eu);
    EXPECT_EQ(vmcs_encoding(VmcsField::VM_INSTRUCTION_ERROR), 0x4400u);
    EXPECT_EQ(vmcs_encoding(VmcsField::VMX_PREEMPTION_TIMER_VALUE), 0x482eu);
    EXPECT_EQ(vmcs_encoding(VmcsField::HOST_IA32_SYSENTER_CS), 0x4c00u);
    EXPECT_EQ(vmcs_encoding(VmcsField::CR0_GUEST_HOST_MASK), 0x6000u);
    EXPECT_EQ(vmcs_encoding(VmcsField::EXIT_QUALIFICATION), 0x6400u);
    EXPECT_EQ(vmcs_encoding(VmcsField::GUEST_LINEAR_ADDRESS), 0x640au);
    EXPECT_EQ(vmcs_encoding(VmcsField::GUEST_CR0), 0x6800u);
    EXPECT_EQ(vmcs_encoding(VmcsField::HOST_RIP), 0x6c16u);
}

TEST(VmcsFields, Widths)
{
    EXPECT_EQ(vmcs_field_width(VmcsField::VIRTUAL_PROCESSOR_ID), VmcsWidth::W16);
    EXPECT_EQ(vmcs_field_width(VmcsField::GUEST_CS_SELECTOR), VmcsWidth::W16);
    EXPECT_EQ(vmcs_field_width(VmcsField::EPT_POINTER), VmcsWidth::W64);
    EXPECT_EQ(vmcs_field_width(VmcsField::GUEST_PHYSICAL_ADDRESS), VmcsWidth::W64);
    EXPECT_EQ(vmcs_field_width(VmcsField::HOST_IA32_PAT), VmcsWidth::W64);
    EXPECT_EQ(vmcs_field_width(VmcsField::EXCEPTION_BITMAP), VmcsWidth::W32);
    EXPECT_EQ(vmcs_field_width(VmcsField::GUEST_CS_AR_BYTES), VmcsWidth::W32);
    EXPECT_EQ(vmcs_field_width(VmcsField::HOST_IA32_SYSENTER_CS), VmcsWidth::W32);
    EXPECT_EQ(vmcs_field_width(VmcsField::CR4_READ_SHADOW), VmcsWidth::Natural);
    EXPECT_EQ(vmcs_field_width(VmcsField::GUEST_RFLAGS), VmcsWidth::Natural);
    EXPECT_EQ(vmcs_field_width(VmcsField::HOST_RSP), VmcsWidth::Natural);
    EXPECT_EQ(vmcs_field_bytes(VmcsField::HOST_ES_SELECTOR), 2u);
    EXPECT_EQ(vmcs_field_bytes(VmcsField::TSC_OFFSET), 8u);
    EXPECT_EQ(vmcs_field_bytes(VmcsField::VM_EXIT_REASON), 4u);
    EXPECT_EQ(vmcs_field_bytes(VmcsField::GUEST_RIP), 8u);
}

TEST(VmcsFields, TypesAndIndex)
{
    EXPECT_EQ(vmcs_field_type(VmcsField::EPT_POINTER), VmcsFieldType::Control);
    EXPECT_EQ(vmcs_field_type(VmcsField::VM_EXIT_INTR_INFO), VmcsFieldType::ReadOnlyData);
    EXPECT_EQ(vmcs_field_type(VmcsField::IO_RIP), VmcsFieldType::ReadOnlyData);
    EXPECT_EQ(vmcs_field_type(VmcsField::GUEST_ACTIVITY_STATE), VmcsFieldType::GuestState);
    EXPECT_EQ(vmcs_field_type(VmcsField::HOST_CR3), VmcsFieldType::HostState);
    EXPECT_EQ(vmcs_field_index(VmcsField::VIRTUAL_PROCESSOR_ID), 0u);
    EXPECT_EQ(vmcs_field_index(VmcsField::GUEST_TR_SELECTOR), 7u);
    EXPECT_EQ(vmcs_field_index(VmcsField::HOST_RIP), 11u);
}

TEST(VmcsFields, HighEncoding)
{
    EXPECT_EQ(vmcs_encoding(vmcs_field_high(VmcsField::EPT_POINTER)), 0x201bu);
    EXPECT_TRUE(vmcs_field_is_high(vmcs_field_high(VmcsField::VMCS_LINK_POINTER)));
    EXPECT_EQ(vmcs_field_index(vmcs_field_high(VmcsField::EPT_POINTER)),
              vmcs_field_index(VmcsField::EPT_POINTER));
    EXPECT_EQ(vmcs_field_width(vmcs_field_high(VmcsField::EPT_POINTER)), VmcsWidth::W64);
}

TEST(VmcsFields, NameLookup)
{
    for (const VmcsFieldInfo& info : kVmcsFields) {
        EXPECT_STREQ(vmcs_field_name(info.field), info.name);
        ASSERT_NE(vmcs_field_info(vmcs_encoding(info.field)), nullptr) << info.name;
        EXPECT_EQ(vmcs_field_info(vmcs_encoding(info.field))->field, info.field);
    }
    EXPECT_STREQ(vmcs_field_name(VmcsField::EPT_POINTER), "EPT_POINTER");
    EXPECT_STREQ(vmcs_field_name(VmcsField::GUEST_INTERRUPTIBILITY_INFO),
                 "GUEST_INTERRUPTIBILITY_INFO");
    EXPECT_STREQ(vmcs_field_name(vmcs_field_high(VmcsField::EPT_POINTER)), "unknown");
    EXPECT_STREQ(vmcs_field_name(static_cast<VmcsField>(0x482c)), "unknown");
    EXPECT_EQ(vmcs_field_info(0x6c1e), nullptr);
    static_assert(vmcs_field_name(VmcsField::HOST_CR0)[0] == 'H');
}

TEST(ExitReasons, UniqueAndSorted)
{
    std::set<std::string> names;
    for (usize i = 0; i < array_size(kExitReasons); ++i) {
        EXPECT_TRUE(names.insert(kExitReasons[i].name).second) << kExitReasons[i].name;
        if (i > 0) {
            EXPECT_LT(static_cast<u16>(kExitReasons[i - 1].reason),
                      static_cast<u16>(kExitReasons[i].reason))
                << kExitReasons[i].name;
        }
        EXPECT_STREQ(exit_reason_name(static_cast<u16>(kExitReasons[i].reason)),
                     kExitReasons[i].name);
    }
}

TEST(ExitReasons, Names)
{
    EXPECT_STREQ(exit_reason_name(0), "EXCEPTION_NMI");
    EXPECT_STREQ(exit_reason_name(10), "CPUID");
    EXPECT_STREQ(exit_reason_name(18), "VMCALL");
    EXPECT_STREQ(exit_reason_name(48), "EPT_VIOLATION");
    EXPECT_STREQ(exit_reason_name(49), "EPT_MISCONFIG");
    EXPECT_STREQ(exit_reason_name(52), "PREEMPTION_TIMER");
    EXPECT_STREQ(exit_reason_name(62), "PML_FULL");
    EXPECT_STREQ(exit_reason_name(64), "XRSTORS");
    EXPECT_STREQ(exit_reason_name(35), "unknown");
    EXPECT_STREQ(exit_reason_name(71), "unknown");
    EXPECT_STREQ(exit_reason_name(0xffff), "unknown");
    // Flag bits are masked off.
    EXPECT_STREQ(exit_reason_name(exit_reason::ENTRY_FAILURE | 33), "INVALID_GUEST_STATE");
    EXPECT_STREQ(exit_reason_name(exit_reason::ENCLAVE_MODE | 48), "EPT_VIOLATION");
    EXPECT_TRUE(exit_reason_is_entry_failure(0x80000022));
    EXPECT_FALSE(exit_reason_is_entry_failure(0x00000022));
    EXPECT_EQ(exit_reason_basic(0x80000022), ExitReason::MSR_LOAD_FAIL);
}

TEST(ExitReasons, FlagBits)
{
    EXPECT_EQ(exit_reason::ENCLAVE_MODE, 0x08000000u);
    EXPECT_EQ(exit_reason::PENDING_MTF, 0x10000000u);
    EXPECT_EQ(exit_reason::FROM_VMX_ROOT, 0x20000000u);
    EXPECT_EQ(exit_reason::ENTRY_FAILURE, 0x80000000u);
    EXPECT_EQ(exit_reason::BASIC_MASK & (exit_reason::SHADOW_STACK_BUSY |
                                          exit_reason::BUS_LOCK_ASSERTED),
              0u);
}

TEST(VmxInsnErrors, UniqueAndNamed)
{
    std::set<u32> numbers;
    std::set<std::string> names;
    for (const VmxInsnErrorInfo& info : kVmxInsnErrors) {
        EXPECT_TRUE(numbers.insert(static_cast<u32>(info.error)).second) << info.name;
        EXPECT_TRUE(names.insert(info.name).second) << info.name;
        EXPECT_STREQ(vmx_insn_error_name(static_cast<u32>(info.error)), info.name);
    }
    EXPECT_EQ(numbers.size(), 25u); // 1..28 less the reserved 14, 21 and 27
}

TEST(VmxInsnErrors, Names)
{
    EXPECT_STREQ(vmx_insn_error_name(1), "VMCALL_IN_VMX_ROOT");
    EXPECT_STREQ(vmx_insn_error_name(7), "ENTRY_INVALID_CONTROL_FIELD");
    EXPECT_STREQ(vmx_insn_error_name(8), "ENTRY_INVALID_HOST_STATE_FIELD");
    EXPECT_STREQ(vmx_insn_error_name(12), "UNSUPPORTED_VMCS_COMPONENT");
    EXPECT_STREQ(vmx_insn_error_name(13), "VMWRITE_READ_ONLY_COMPONENT");
    EXPECT_STREQ(vmx_insn_error_name(26), "ENTRY_EVENTS_BLOCKED_BY_MOV_SS");
    EXPECT_STREQ(vmx_insn_error_name(28), "INVALID_INVEPT_INVVPID_OPERAND");
    EXPECT_STREQ(vmx_insn_error_name(0), "unknown");
    EXPECT_STREQ(vmx_insn_error_name(14), "unknown");
    EXPECT_STREQ(vmx_insn_error_name(29), "unknown");
}

// IA32_VMX_BASIC[53:50]: a CPU may report UC (0) or WB (6) for the VMCS
// (SDM Vol. 3D A.1); vmx.cc caps_basic accepts both and nothing else.
TEST(VmxBasic, VmcsMemoryTypeIsUcOrWb)
{
    EXPECT_TRUE(vmx_basic::memtype_valid(0));
    EXPECT_TRUE(vmx_basic::memtype_valid(6));
    for (u32 t : {1u, 2u, 3u, 4u, 5u, 7u, 15u})
        EXPECT_FALSE(vmx_basic::memtype_valid(t)) << t;
}
