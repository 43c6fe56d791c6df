// VMX instruction wrappers. Each asm block records CF/ZF right after the
// instruction; a fault resumes at the label after it (fault.hh), and the
// recorded fault takes precedence over the flags.
#include "x86/vmx/insn.hh"
#include "x86/vmx/simulate.hh"
#include "format.hh"
#include "x86/arch/vmx_exit.hh"

namespace {

constexpr u32 VM_INSTRUCTION_ERROR_FIELD = 0x4400;

// Turns the flags and fixup state after a VMX instruction into a result.
VmxResult outcome(u8 cf, u8 zf)
{
    Fault f = fixup_take();
    if (f)
        return VmxResult::faulted(f);
    if (cf)
        return VmxResult::fail_invalid();
    if (zf) {
        u64 err = 0;
        asm volatile("vmread %1, %0" : "=r"(err) : "r"(static_cast<u64>(VM_INSTRUCTION_ERROR_FIELD)) : "cc");
        return VmxResult::fail_valid(static_cast<u32>(err));
    }
    return VmxResult::success();
}

#define VMX_OP_MEM(insn, operand)                                                                  \
    u8 cf = 0, zf = 0;                                                                             \
    fixup_arm();                                                                                   \
    asm volatile("1: " insn " %2\n2:\n\t" NVMX_EX_TABLE_ENTRY "setc %0\n\tsetz %1"                \
                 : "=q"(cf), "=q"(zf)                                                              \
                 : "m"(operand)                                                                    \
                 : "cc", "memory");                                                                \
    return outcome(cf, zf)

// An instruction without operands (VMXOFF, VMLAUNCH, VMRESUME, VMCALL); the
// optional arguments are extra clobbered registers.
#define VMX_OP_NONE(insn, ...)                                                                     \
    u8 cf = 0, zf = 0;                                                                             \
    fixup_arm();                                                                                   \
    asm volatile("1: " insn "\n2:\n\t" NVMX_EX_TABLE_ENTRY "setc %0\n\tsetz %1"                  \
                 : "=q"(cf), "=q"(zf)::"cc", "memory" __VA_OPT__(, ) __VA_ARGS__);                 \
    return outcome(cf, zf)

} // namespace

const char* VmxResult::describe(char* buf, usize size) const
{
    switch (status_) {
    case VmxStatus::Success: snformat(buf, size, "success"); break;
    case VmxStatus::FailInvalid: snformat(buf, size, "VMfailInvalid"); break;
    case VmxStatus::FailValid:
        snformat(buf, size, "VMfailValid(%u: %s)", error_, vmx_insn_error_name(error_));
        break;
    case VmxStatus::Fault:
        snformat(buf, size, "%s(%#x)", exception_name(fault_.vector()), fault_.error_code());
        break;
    }
    return buf;
}

const char* vmx_result_str(const VmxResult& r)
{
    static char slots[4][96];
    static unsigned next;
    char* buf = slots[next++ % 4];
    return r.describe(buf, sizeof(slots[0]));
}

VmxResult vmxon_raw(u64 raw) { VMX_OP_MEM("vmxon", raw); }
VmxResult vmxon(PhysAddr region)
{
    u64 pa = region.raw();
    VMX_OP_MEM("vmxon", pa);
}
VmxResult vmclear(PhysAddr vmcs)
{
    u64 pa = vmcs.raw();
    VMX_OP_MEM("vmclear", pa);
}
VmxResult vmptrld(PhysAddr vmcs)
{
    u64 pa = vmcs.raw();
    VMX_OP_MEM("vmptrld", pa);
}

VmxResult vmptrst(PhysAddr* out)
{
    u64 pa = ~0ull;
    u8 cf = 0, zf = 0;
    fixup_arm();
    asm volatile("1: vmptrst %2\n2:\n\t" NVMX_EX_TABLE_ENTRY "setc %0\n\tsetz %1"
                 : "=q"(cf), "=q"(zf), "=m"(pa)
                 :
                 : "cc", "memory");
    *out = PhysAddr(pa);
    return outcome(cf, zf);
}

VmxResult vmxoff() { VMX_OP_NONE("vmxoff"); }

VmxResult vmread(u32 field, u64* out)
{
    u64 v = 0;
    u8 cf = 0, zf = 0;
    fixup_arm();
    asm volatile("1: vmread %3, %2\n2:\n\t" NVMX_EX_TABLE_ENTRY "setc %0\n\tsetz %1"
                 : "=q"(cf), "=q"(zf), "+r"(v)
                 : "r"(static_cast<u64>(field))
                 : "cc", "memory");
    *out = v;
    return outcome(cf, zf);
}

VmxResult vmwrite(u32 field, u64 value)
{
    u8 cf = 0, zf = 0;
    fixup_arm();
    asm volatile("1: vmwrite %2, %3\n2:\n\t" NVMX_EX_TABLE_ENTRY "setc %0\n\tsetz %1"
                 : "=q"(cf), "=q"(zf)
                 : "r"(value), "r"(static_cast<u64>(field))
                 : "cc", "memory");
    return outcome(cf, zf);
}

VmxResult invept(u64 type, u64 eptp)
{
    struct {
        u64 eptp, reserved;
    } desc = {eptp, 0};
    if (simulate::INVEPT_IGNORES_BIT7)
        desc.eptp &= ~(1ull << 7);
    u8 cf = 0, zf = 0;
    fixup_arm();
    asm volatile("1: invept %2, %3\n2:\n\t" NVMX_EX_TABLE_ENTRY "setc %0\n\tsetz %1"
                 : "=q"(cf), "=q"(zf)
                 : "m"(desc), "r"(type)
                 : "cc", "memory");
    return outcome(cf, zf);
}

VmxResult invvpid(u64 type, u16 vpid, u64 linear) { return invvpid_desc(type, vpid, linear); }

VmxResult invvpid_desc(u64 type, u64 vpid_qword, u64 linear)
{
    struct {
        u64 vpid, linear;
    } desc = {vpid_qword, linear};
    u8 cf = 0, zf = 0;
    fixup_arm();
    asm volatile("1: invvpid %2, %3\n2:\n\t" NVMX_EX_TABLE_ENTRY "setc %0\n\tsetz %1"
                 : "=q"(cf), "=q"(zf)
                 : "m"(desc), "r"(type)
                 : "cc", "memory");
    return outcome(cf, zf);
}

VmxResult vmlaunch_expect_fail() { VMX_OP_NONE("vmlaunch"); }

VmxResult vmresume_expect_fail() { VMX_OP_NONE("vmresume"); }

VmxResult vmfunc(u32 leaf, u32 index)
{
    u8 cf = 0, zf = 0;
    fixup_arm();
    asm volatile("1: vmfunc\n2:\n\t" NVMX_EX_TABLE_ENTRY "setc %0\n\tsetz %1"
                 : "=q"(cf), "=q"(zf)
                 : "a"(leaf), "c"(index)
                 : "cc", "memory");
    return outcome(cf, zf);
}

// KVM takes an L1 VMCALL as a hypercall even in VMX root and writes its
// status to RAX (errata vmcall.root-kvm-hypercall).
VmxResult vmcall_root() { VMX_OP_NONE("vmcall", "rax"); }
