// Every VMX instruction, wrapped so that it returns a [[nodiscard]] outcome:
// success, VMfailInvalid, VMfailValid(VM-instruction error number) or a
// fault (vector, error code). Nothing here crashes on a fault.
#pragma once
#include "types.hh"
#include "x86/addr.hh"
#include "x86/fault.hh"

enum class VmxStatus : u8 { Success, FailInvalid, FailValid, Fault };

class [[nodiscard]] VmxResult {
public:
    static constexpr VmxResult success() { return VmxResult(VmxStatus::Success, 0, Fault()); }
    static constexpr VmxResult fail_invalid() { return VmxResult(VmxStatus::FailInvalid, 0, Fault()); }
    static constexpr VmxResult fail_valid(u32 error) { return VmxResult(VmxStatus::FailValid, error, Fault()); }
    static constexpr VmxResult faulted(Fault f) { return VmxResult(VmxStatus::Fault, 0, f); }

    constexpr VmxStatus status() const { return status_; }
    constexpr bool ok() const { return status_ == VmxStatus::Success; }
    constexpr u32 error() const { return error_; } // VM-instruction error (FailValid)
    constexpr Fault fault() const { return fault_; }
    constexpr bool is_fail_valid(u32 error) const { return status_ == VmxStatus::FailValid && error_ == error; }
    constexpr bool is_fault(u8 vector) const { return status_ == VmxStatus::Fault && fault_.is(vector); }
    constexpr bool operator==(const VmxResult& o) const
    {
        return status_ == o.status_ && error_ == o.error_ && fault_.vector() == o.fault_.vector() &&
               fault_.error_code() == o.fault_.error_code();
    }
    // "success", "VMfailInvalid", "VMfailValid(7: ...)", "#GP(0x0)".
    const char* describe(char* buf, usize size) const;

private:
    constexpr VmxResult(VmxStatus s, u32 e, Fault f) : status_(s), error_(e), fault_(f) {}
    VmxStatus status_;
    u32 error_;
    Fault fault_;
};

// Short-lived text of a result for report names (one static buffer per slot).
const char* vmx_result_str(const VmxResult& r);

VmxResult vmxon(PhysAddr region);
VmxResult vmxoff();
VmxResult vmclear(PhysAddr vmcs);
VmxResult vmptrld(PhysAddr vmcs);
VmxResult vmptrst(PhysAddr* out);
VmxResult vmread(u32 field, u64* out);
VmxResult vmwrite(u32 field, u64 value);
// Memory-operand VMXON/VMCLEAR/VMPTRLD with an arbitrary 64-bit operand value
// (for tests of bad addresses); same as above with PhysAddr(raw).
VmxResult vmxon_raw(u64 raw);

enum class InveptType : u64 { SingleContext = 1, Global = 2 };
enum class InvvpidType : u64 { IndividualAddress = 0, SingleContext = 1, AllContext = 2, SingleContextNonGlobal = 3 };
VmxResult invept(u64 type, u64 eptp);
VmxResult invvpid(u64 type, u16 vpid, u64 linear);
// INVVPID with the descriptor's first qword (VPID in 15:0, reserved 63:16)
// given whole, for tests of the reserved bits.
VmxResult invvpid_desc(u64 type, u64 vpid_qword, u64 linear);
// VMLAUNCH/VMRESUME executed directly, with no guest to return from: only
// for tests that expect them to fail (the engine in entry.hh runs guests).
VmxResult vmlaunch_expect_fail();
VmxResult vmresume_expect_fail();
// VMFUNC (only meaningful in VMX non-root operation; #UD in root).
VmxResult vmfunc(u32 leaf, u32 index);
// VMCALL from root operation (VMfailValid 1 expected).
VmxResult vmcall_root();
