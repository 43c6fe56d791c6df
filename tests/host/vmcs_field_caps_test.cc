// Host tests of the VMCS field-existence expectation (lib/x86/vmx/vmcs_field_caps.hh):
// which fields the capability MSRs require, so that a hypervisor that
// advertises a feature but lacks its field fails x86/vmx.cc vmcs_fields.
#include <gtest/gtest.h>

#include "x86/vmx/vmcs_field_caps.hh"

namespace {
// Capabilities that allow nothing optional: every control may only be 0.
VmxCaps bare()
{
    VmxCaps c;
    c.pin = c.proc = c.exit = c.entry = c.proc2 = ControlCaps(0);
    return c;
}
// c with the secondary controls activated and bits allowed in them.
VmxCaps with_proc2(VmxCaps c, u32 bits)
{
    c.proc = ControlCaps(static_cast<u64>(c.proc.may_be_one() | proc::SECONDARY) << 32);
    c.proc2 = ControlCaps(static_cast<u64>(bits) << 32);
    return c;
}
} // namespace

TEST(VmcsFieldCaps, AlwaysFieldsMustExistEverywhere)
{
    EXPECT_EQ(vmcs_field_expect(VmcsField::GUEST_RIP, bare()), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::IO_BITMAP_A, bare()), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::EXIT_QUALIFICATION, bare()), FieldExpect::MustExist);
}

TEST(VmcsFieldCaps, EptFieldsFollowEnableEpt)
{
    EXPECT_EQ(vmcs_field_expect(VmcsField::EPT_POINTER, bare()), FieldExpect::NoFeature);
    VmxCaps c = with_proc2(bare(), proc2::EPT);
    EXPECT_EQ(vmcs_field_expect(VmcsField::EPT_POINTER, c), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::GUEST_PHYSICAL_ADDRESS, c), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::GUEST_PDPTR3, c), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::VIRTUAL_PROCESSOR_ID, c), FieldExpect::NoFeature);
    EXPECT_EQ(vmcs_field_expect(VmcsField::PML_ADDRESS, c), FieldExpect::NoFeature);
}

// Secondary controls that may not be activated count as 0 (SDM 25.6.2).
TEST(VmcsFieldCaps, SecondaryBitsNeedTheActivateControl)
{
    VmxCaps c = bare();
    c.proc2 = ControlCaps(static_cast<u64>(proc2::EPT | proc2::VPID) << 32);
    EXPECT_EQ(vmcs_field_expect(VmcsField::EPT_POINTER, c), FieldExpect::NoFeature);
    EXPECT_EQ(vmcs_field_expect(VmcsField::SECONDARY_VM_EXEC_CONTROL, c), FieldExpect::NoFeature);
    c = with_proc2(bare(), 0);
    EXPECT_EQ(vmcs_field_expect(VmcsField::SECONDARY_VM_EXEC_CONTROL, c), FieldExpect::MustExist);
}

TEST(VmcsFieldCaps, EachGateKind)
{
    VmxCaps c = bare();
    c.pin = ControlCaps(static_cast<u64>(pin::PREEMPTION_TIMER) << 32);
    EXPECT_EQ(vmcs_field_expect(VmcsField::VMX_PREEMPTION_TIMER_VALUE, c), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::POSTED_INTR_DESC_ADDR, c), FieldExpect::NoFeature);
    c.proc = ControlCaps(static_cast<u64>(proc::TPR_SHADOW) << 32);
    EXPECT_EQ(vmcs_field_expect(VmcsField::TPR_THRESHOLD, c), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::VIRTUAL_APIC_PAGE_ADDR, c), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::MSR_BITMAP, c), FieldExpect::NoFeature);
    // Guest IA32_PAT: "load IA32_PAT" on entry OR "save IA32_PAT" on exit.
    EXPECT_EQ(vmcs_field_expect(VmcsField::GUEST_IA32_PAT, c), FieldExpect::NoFeature);
    c.exit = ControlCaps(static_cast<u64>(exit_ctl::SAVE_PAT) << 32);
    EXPECT_EQ(vmcs_field_expect(VmcsField::GUEST_IA32_PAT, c), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::HOST_IA32_PAT, c), FieldExpect::NoFeature); // needs "load IA32_PAT" on exit
    c.exit = ControlCaps(0);
    c.entry = ControlCaps(static_cast<u64>(entry_ctl::LOAD_PAT) << 32);
    EXPECT_EQ(vmcs_field_expect(VmcsField::GUEST_IA32_PAT, c), FieldExpect::MustExist);
    c.entry = ControlCaps(static_cast<u64>(entry_ctl::LOAD_CET) << 32);
    EXPECT_EQ(vmcs_field_expect(VmcsField::GUEST_SSP, c), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::HOST_SSP, c), FieldExpect::NoFeature);
}

// The EPTP-list address needs VMFUNC and its EPTP-switching function (bit 0).
TEST(VmcsFieldCaps, EptpListFollowsVmfuncBit0)
{
    VmxCaps c = with_proc2(bare(), proc2::VMFUNC);
    EXPECT_EQ(vmcs_field_expect(VmcsField::VM_FUNCTION_CONTROL, c), FieldExpect::MustExist);
    EXPECT_EQ(vmcs_field_expect(VmcsField::EPTP_LIST_ADDRESS, c), FieldExpect::NoFeature);
    c.vmfunc = 1;
    EXPECT_EQ(vmcs_field_expect(VmcsField::EPTP_LIST_ADDRESS, c), FieldExpect::MustExist);
    c = with_proc2(bare(), 0);
    c.vmfunc = 1; // the MSR alone does not allow VM functions
    EXPECT_EQ(vmcs_field_expect(VmcsField::EPTP_LIST_ADDRESS, c), FieldExpect::NoFeature);
}

TEST(VmcsFieldCaps, UnknownEnumerationsAreOpen)
{
    VmxCaps c = with_proc2(bare(), ~0u);
    EXPECT_EQ(vmcs_field_expect(VmcsField::HLAT_POINTER, c), FieldExpect::Open);
    EXPECT_EQ(vmcs_field_expect(VmcsField::GUEST_IA32_FRED_CONFIG, c), FieldExpect::Open);
}

// Every row names a field of the encoding table.
TEST(VmcsFieldCaps, RowsNameKnownFields)
{
    for (const FieldNeed& n : kVmcsFieldNeeds)
        EXPECT_NE(vmcs_field_info(vmcs_encoding(n.field)), nullptr) << vmcs_encoding(n.field);
}
