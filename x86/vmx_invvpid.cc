// vmx_invvpid: the INVVPID instruction (SDM Vol. 3C 31.3, INVVPID; types
// reported in IA32_VMX_EPT_VPID_CAP bits 40-43, Appendix A.10).
//
// invvpid_*: outcomes by type and operand: VMsucceed, VMfailValid(28)
// "invalid operand to INVEPT/INVVPID" (unsupported type, descriptor bits
// 63:16 set, VPID 0 for types 0/1/3, a non-canonical address for type 0),
// VMfailInvalid without a current VMCS, #UD outside VMX operation or
// without VPID support, #GP(0) for a non-canonical memory operand or at
// CPL > 0, and the unconditional VM exit in VMX non-root operation.
#include "errata.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/cpl3.hh"
#include "x86/fault.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/guest.hh"
#include "x86/vmx/l2.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

constexpr u32 ERR_INVALID_OPERAND = static_cast<u32>(VmxInsnError::INVALID_INVEPT_INVVPID_OPERAND);
const VmxResult kFail28 = VmxResult::fail_valid(ERR_INVALID_OPERAND);
const VmxResult kUD = VmxResult::faulted(Fault(vec::UD, 0));
const VmxResult kGP0 = VmxResult::faulted(Fault(vec::GP, 0));
const VmxResult kOk = VmxResult::success();

constexpr u16 VPID = 1;
constexpr u64 LINEAR = 0x400000; // canonical; any mapping is fine for INVVPID
constexpr u64 NONCANONICAL[] = {0x0000800000000000ull, 0x0001000000000000ull, 0x00ff000000000000ull,
                                0x7fff800000000000ull, 0x8000000000000000ull, 0xfffe000000000000ull,
                                0xffff7fffffffffffull, 0xaaaaaaaaaaaaaaaaull};

struct TypeInfo {
    u64 type;
    u64 cap;          // IA32_VMX_EPT_VPID_CAP bit
    const char* name;
    bool needs_vpid;  // VPID 0 is an invalid operand
};
constexpr TypeInfo kTypes[] = {
    {0, ept_cap::INVVPID_ADDR, "individual-address (type 0, CAP[40])", true},
    {1, ept_cap::INVVPID_SINGLE, "single-context (type 1, CAP[41])", true},
    {2, ept_cap::INVVPID_ALL, "all-context (type 2, CAP[42])", false},
    {3, ept_cap::INVVPID_SINGLE_NONGLOBAL, "single-context non-global (type 3, CAP[43])", true},
};

bool supported(const TypeInfo& t) { return vmx_caps().ept_vpid & t.cap; }

// Reports "name: ..." as SKIP when t is not supported; true when it is.
bool need_type(const TypeInfo& t, const char* what)
{
    if (supported(t))
        return true;
    report_skip("INVVPID type not supported (IA32_VMX_EPT_VPID_CAP)", "%s: %s", t.name, what);
    return false;
}

// INVVPID with the descriptor at an arbitrary linear address (no VMX status).
Fault invvpid_at(u64 type, u64 desc_addr)
{
    fixup_arm();
    asm volatile("1: invvpid (%1), %0\n2:\n\t" NVMX_EX_TABLE_ENTRY ::"r"(type), "r"(desc_addr) : "cc", "memory");
    return fixup_take();
}

// INVVPID before VMXON.
// Expect: #UD for every type (31.3: not in VMX operation).
void test_invvpid_outside_vmx()
{
    if (vmx_active())
        return report_error("VMX operation left on by an earlier case");
    for (const TypeInfo& t : kTypes)
        expect_vmx(invvpid(t.type, VPID, LINEAR), kUD, "%s outside VMX operation: #UD", t.name);
}

// Every INVVPID type with a valid descriptor (VPID 1, canonical address),
// and types no CPU defines.
// Expect: VMsucceed where the capability bit is set, else VMfailValid(28);
// types 4 and above always VMfailValid(28), also those whose bits 31:0
// name a supported type (31.3: in 64-bit mode the register operand has
// 64 bits, whatever REX.W).
void test_invvpid_types()
{
    VmxOn vmx;
    Guest g(l2_nothing);
    if (!vmx.ok() || !g.ready())
        return;
    for (const TypeInfo& t : kTypes) {
        bool ok = supported(t);
        expect_vmx(invvpid(t.type, VPID, LINEAR), ok ? kOk : kFail28, "%s, CAP bit %d: %s", t.name, ok,
                   ok ? "VMsucceed" : "VMfailValid(28)");
    }
    // Every type 4-255 and the edges of the 32- and 64-bit register.
    static constexpr u64 kBadTypes[] = {0x100, 0x7fffffffull, 0x80000000ull, 0xffffffffull, 1ull << 32, 1ull << 32 | 2, 1ull << 63, ~0ull};
    for (u64 type = 4; type < 0x100; type++)
        expect_vmx(invvpid(type, VPID, LINEAR), kFail28, "undefined type %#lx: VMfailValid(28)", type);
    for (u64 type : kBadTypes) {
        // Bochs 2.7 uses bits 31:0 of the type register without REX.W (lib/errata.cc).
        bool low_supported = (type >> 32) && static_cast<u32>(type) < 4 && supported(kTypes[static_cast<u32>(type)]);
        VmxResult got = invvpid(type, VPID, LINEAR);
        Diagnostic d{vmx_result_str(kFail28), vmx_result_str(got)};
        report_check(got == kFail28, &d, low_supported ? known_deviation("invvpid.type-64bit") : nullptr,
                     "undefined type %#lx: VMfailValid(28)", type);
    }
}

// VPID 0 in the descriptor.
// Expect: VMfailValid(28) for types 0, 1 and 3; all-context ignores the
// VPID and succeeds (31.3, INVVPID operation).
void test_invvpid_vpid_zero()
{
    VmxOn vmx;
    Guest g(l2_nothing);
    if (!vmx.ok() || !g.ready())
        return;
    for (const TypeInfo& t : kTypes)
        if (need_type(t, "VPID 0"))
            expect_vmx(invvpid(t.type, 0, LINEAR), t.needs_vpid ? kFail28 : kOk, "%s, VPID 0: %s", t.name,
                       t.needs_vpid ? "VMfailValid(28)" : "VMsucceed");
    for (const TypeInfo& t : kTypes)
        if (t.needs_vpid && need_type(t, "VPID 0xffff"))
            expect_vmx(invvpid(t.type, 0xffff, LINEAR), kOk, "%s, VPID 0xffff: VMsucceed", t.name);
}

// Descriptor bits 63:16 (reserved, must be zero) set one at a time, and
// each VPID bit 15:0 alone.
// Expect: VMfailValid(28) for every reserved bit and supported type,
// all-context included (31.3: the check precedes the type-specific ones);
// every non-zero 16-bit VPID succeeds.
void test_invvpid_reserved_bits()
{
    VmxOn vmx;
    Guest g(l2_nothing);
    if (!vmx.ok() || !g.ready())
        return;
    for (const TypeInfo& t : kTypes) {
        if (!need_type(t, "descriptor reserved bits"))
            continue;
        for (unsigned bit = 16; bit < 64; bit++)
            expect_vmx(invvpid_desc(t.type, VPID | (1ull << bit), LINEAR), kFail28,
                       "%s, descriptor bit %u set: VMfailValid(28)", t.name, bit);
        for (unsigned bit = 0; bit < 16; bit++)
            expect_vmx(invvpid_desc(t.type, 1ull << bit, LINEAR), kOk, "%s, VPID bit %u alone: VMsucceed", t.name, bit);
    }
}

// A non-canonical linear address in the descriptor.
// Expect: VMfailValid(28) for individual-address invalidation; the other
// types ignore the address and succeed (31.3).
void test_invvpid_noncanonical_address()
{
    VmxOn vmx;
    Guest g(l2_nothing);
    if (!vmx.ok() || !g.ready())
        return;
    for (const TypeInfo& t : kTypes) {
        if (!need_type(t, "non-canonical address"))
            continue;
        for (u64 la : NONCANONICAL)
            expect_vmx(invvpid(t.type, VPID, la), t.type == 0 ? kFail28 : kOk, "%s, address %#lx: %s", t.name, la,
                       t.type == 0 ? "VMfailValid(28)" : "VMsucceed");
    }
}

// INVVPID in VMX root operation with no current VMCS.
// Expect: a failing operand is VMfailInvalid (31.2: VMfail without a
// current VMCS); a valid one still succeeds.
void test_invvpid_no_current_vmcs()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    PhysAddr cur;
    VmxResult r = vmptrst(&cur);
    if (!r.ok() || cur.raw() != ~0ull)
        return report_error("a VMCS is current after VMXON (%#lx, %s)", cur.raw(), vmx_result_str(r));
    expect_vmx(invvpid(4, VPID, LINEAR), VmxResult::fail_invalid(), "undefined type 4, no current VMCS: VMfailInvalid");
    const TypeInfo& single = kTypes[1];
    if (need_type(single, "no current VMCS")) {
        expect_vmx(invvpid(1, 0, LINEAR), VmxResult::fail_invalid(), "%s, VPID 0, no current VMCS: VMfailInvalid", single.name);
        expect_vmx(invvpid(1, VPID, LINEAR), kOk, "%s, no current VMCS: VMsucceed", single.name);
    }
}

// INVVPID whose memory operand is not canonical.
// Expect: #GP(0) (31.3, 64-bit mode exceptions).
void test_invvpid_noncanonical_operand()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    for (u64 addr : NONCANONICAL)
        expect_vmx(VmxResult::faulted(invvpid_at(2, addr)), kGP0, "descriptor at %#lx: #GP(0)", addr);
}

// INVVPID whose memory operand goes through SS (base RBP) at a
// non-canonical address, or through DS at a canonical but unmapped one.
// Expect: #SS(0) and #PF (not present, read) respectively (31.3, 64-bit
// mode exceptions).
void test_invvpid_operand_faults()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    for (u64 addr : NONCANONICAL) {
        fixup_arm();
        asm volatile("push %%rbp\n\tmov %1, %%rbp\n1: invvpid (%%rbp), %0\n2:\n\t" NVMX_EX_TABLE_ENTRY "pop %%rbp"
                     ::"r"(2ull), "r"(addr) : "cc", "memory");
        expect_vmx(VmxResult::faulted(fixup_take()), VmxResult::faulted(Fault(vec::SS, 0)),
                   "descriptor at %#lx through SS: #SS(0)", addr);
    }
    // Canonical, above the 4 GiB L1 maps (PML4 entry 32 is not present).
    constexpr u64 UNMAPPED = 0x0000100000000000ull;
    Fault f = invvpid_at(2, UNMAPPED);
    expect_vmx(VmxResult::faulted(f), VmxResult::faulted(Fault(vec::PF, 0)), "descriptor at an unmapped address: #PF (error code 0)");
    report_eq(fixup_cr2(), UNMAPPED, "descriptor at an unmapped address: CR2 is the descriptor address");
}

// INVVPID at CPL 3 in VMX root operation.
// Expect: #GP(0) for every type, before the type is looked at (31.3).
void test_invvpid_cpl3()
{
    VmxOn vmx;
    Guest g(l2_nothing);
    if (!vmx.ok() || !g.ready())
        return;
    static constexpr u64 kCpl3Types[] = {0, 1, 2, 3, 4};
    for (u64 type : kCpl3Types) {
        Cpl3Result r = run_invvpid_at_cpl3(type, VPID, LINEAR);
        if (!r.ran)
            return report_error("could not run code at CPL 3");
        expect_vmx(VmxResult::faulted(r.fault), kGP0, "type %lu at CPL 3: #GP(0)", type);
    }
}

// L2 body: INVVPID (all-context) with the descriptor at (%rax), type in %rcx.
void l2_invvpid(u64)
{
    struct {
        u64 vpid, linear;
    } desc = {VPID, 0};
    asm volatile("invvpid (%%rax), %%rcx" ::"a"(&desc), "c"(2ull) : "memory", "cc");
}

// INVVPID executed by L2.
// Expect: an unconditional VM exit with reason INVVPID (53) (26.1.2),
// qualification = displacement 0, instruction length 5, and the
// instruction-information field naming RCX, base RAX, no index, DS, 64-bit
// addressing (28.2.5, Table 28-9).
void test_invvpid_in_l2()
{
    VmxOn vmx;
    Guest g(l2_invvpid);
    if (!vmx.ok() || !g.ready())
        return;
    RunResult r = g.run();
    if (!expect_exit(r, ExitReason::INVVPID, "VM exit INVVPID"))
        return;
    report_eq(r.exit.qualification, 0, "exit qualification is the displacement (0)");
    report_eq(r.exit.insn_len, 5, "instruction length");
    report_eq(r.exit.insn_info & 0xffc38380u, 0x10418100u, "instruction information");
}

// INVVPID on a CPU without VPID or without INVVPID.
// Expect: #UD in VMX root operation (31.3 exceptions).
void test_invvpid_unsupported_ud()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    for (const TypeInfo& t : kTypes)
        expect_vmx(invvpid(t.type, VPID, LINEAR), kUD, "%s without VPID/INVVPID support: #UD", t.name);
}

const char* needs_invvpid()
{
    if (const char* why = vmx_unavailable_reason())
        return why;
    const VmxCaps& c = vmx_caps();
    if (!c.has_proc2(proc2::VPID))
        return "secondary control 'enable VPID' not allowed (IA32_VMX_PROCBASED_CTLS2[37])";
    return c.ept_vpid & ept_cap::INVVPID ? nullptr : "INVVPID not supported (IA32_VMX_EPT_VPID_CAP[32])";
}
const char* needs_no_invvpid()
{
    if (const char* why = vmx_unavailable_reason())
        return why;
    return needs_invvpid() ? nullptr : "the CPU supports VPID and INVVPID (IA32_VMX_PROCBASED_CTLS2[37], IA32_VMX_EPT_VPID_CAP[32])";
}

constexpr TestCase kCases[] = {
    {"invvpid_outside_vmx", test_invvpid_outside_vmx, vmx_unavailable_reason},
    {"invvpid_types", test_invvpid_types, needs_invvpid},
    {"invvpid_vpid_zero", test_invvpid_vpid_zero, needs_invvpid},
    {"invvpid_reserved_bits", test_invvpid_reserved_bits, needs_invvpid},
    {"invvpid_noncanonical_address", test_invvpid_noncanonical_address, needs_invvpid},
    {"invvpid_no_current_vmcs", test_invvpid_no_current_vmcs, needs_invvpid},
    {"invvpid_noncanonical_operand", test_invvpid_noncanonical_operand, needs_invvpid},
    {"invvpid_operand_faults", test_invvpid_operand_faults, needs_invvpid},
    {"invvpid_cpl3", test_invvpid_cpl3, needs_invvpid},
    {"invvpid_in_l2", test_invvpid_in_l2, needs_invvpid},
    {"invvpid_unsupported_ud", test_invvpid_unsupported_ud, needs_no_invvpid},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
