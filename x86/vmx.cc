// vmx: VMX operation, the VMX instructions' success and failure rules, the
// capability MSRs' consistency, VMREAD/VMWRITE of every VMCS field, and the
// launch-state lifecycle. SDM Vol. 3C chapters 24-26 and 31, Vol. 3D App. A-B.
#include "console.hh"
#include "report.hh"
#include "testcase.hh"
#include "x86/alloc_phys.hh"
#include "x86/arch/cr.hh"
#include "x86/arch/msr.hh"
#include "x86/cpu.hh"
#include "x86/vmx/caps.hh"
#include "x86/vmx/expect.hh"
#include "x86/vmx/vmcs_field_caps.hh"
#include "x86/vmx/guest.hh"
#include "x86/vmx/l2.hh"
#include "x86/vmx/vmcs.hh"
#include "x86/vmx/vmx_on.hh"

namespace {

using E = VmxInsnError;
constexpr u32 err(E e) { return static_cast<u32>(e); }
constexpr u64 INVALID_VMCS_PTR = ~0ull;

// A physical address with bits set beyond the CPU's MAXPHYADDR.
u64 beyond_maxphyaddr() { return 1ull << cpu_maxphyaddr(); }

// A page holding a VMCS/VMXON revision id, freed when the scope ends.
struct VmxPage {
    PhysAddr pa = alloc_vmx_region();
    ~VmxPage() { free_page(pa); }
};


// IA32_FEATURE_CONTROL: locked with VMXON outside SMX once VMX is prepared (SDM 24.7).
void test_feature_control()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    u64 fc = rdmsr(msr::IA32_FEATURE_CONTROL);
    report_value(fc & 1, fc, "lock bit set");
    report(fc & (1ull << 2), "VMXON outside SMX enabled");
    Fault f = wrmsr_safe(msr::IA32_FEATURE_CONTROL, fc);
    Diagnostic d{"#GP", f ? exception_name(f.vector()) : "none"};
    report_check(f.is(vec::GP), &d, nullptr, "write to the locked MSR: #GP");
}

// IA32_VMX_BASIC fields (SDM Vol. 3D, A.1).
void test_caps_basic()
{
    const VmxCaps& c = vmx_caps();
    report_value(c.revision() != 0 && !(c.basic & (1ull << 31)), c.basic, "revision id non-zero, bit 31 clear");
    report_value(c.vmcs_size() > 0 && c.vmcs_size() <= 4096, c.vmcs_size(), "VMCS region size in (0, 4096]");
    // A.1: bits 53:50 report UC (0) or WB (6); other values are not used.
    report_value(vmx_basic::memtype_valid(c.vmcs_memtype()), c.vmcs_memtype(), "VMCS memory type is UC (0) or WB (6)");
    report(!(c.basic & vmx_basic::PHYS_ADDR_32BIT), "bit 48 clear on a 64-bit CPU");
    report_value((c.basic & (0x7ull << 45)) == 0 && (c.basic & (0x7full << 57)) == 0, c.basic,
                 "reserved bits 47:45 and 63:57 clear");
}

// One control MSR: allowed-0 settings are a subset of allowed-1 settings.
void check_control_pair(const char* name, ControlCaps c)
{
    report((c.must_be_one() & ~c.may_be_one()) == 0, "%s: must-be-one %#x within may-be-one %#x", name,
           c.must_be_one(), c.may_be_one());
}

// Default1 classes (SDM Vol. 3D, A.2-A.5): the non-TRUE MSRs report them as
// must-be-one; the TRUE MSRs may only relax, never add, must-be-one bits.
void test_caps_controls()
{
    const VmxCaps& c = vmx_caps();
    check_control_pair("pin-based", c.pin_default);
    check_control_pair("primary processor-based", c.proc_default);
    check_control_pair("VM-exit", c.exit_default);
    check_control_pair("VM-entry", c.entry_default);
    constexpr u32 PIN_DEFAULT1 = 0x16, PROC_DEFAULT1 = 0x0401e172, EXIT_DEFAULT1 = 0x00036dff,
                  ENTRY_DEFAULT1 = 0x000011ff;
    report((c.pin_default.must_be_one() & PIN_DEFAULT1) == PIN_DEFAULT1, "pin-based default1 bits are must-be-one");
    report((c.proc_default.must_be_one() & PROC_DEFAULT1) == PROC_DEFAULT1, "processor-based default1 bits are must-be-one");
    report((c.exit_default.must_be_one() & EXIT_DEFAULT1) == EXIT_DEFAULT1, "VM-exit default1 bits are must-be-one");
    report((c.entry_default.must_be_one() & ENTRY_DEFAULT1) == ENTRY_DEFAULT1, "VM-entry default1 bits are must-be-one");
    if (!c.true_controls()) {
        report_skip("IA32_VMX_BASIC[55] clear: no TRUE control MSRs", "TRUE controls");
        return;
    }
    check_control_pair("TRUE pin-based", c.pin);
    check_control_pair("TRUE processor-based", c.proc);
    check_control_pair("TRUE VM-exit", c.exit);
    check_control_pair("TRUE VM-entry", c.entry);
    report((c.pin.must_be_one() & ~c.pin_default.must_be_one()) == 0 && c.pin.may_be_one() == c.pin_default.may_be_one(),
           "TRUE pin-based: relaxes only default1 bits, same allowed-1");
    report((c.proc.must_be_one() & ~c.proc_default.must_be_one()) == 0 && c.proc.may_be_one() == c.proc_default.may_be_one(),
           "TRUE processor-based: relaxes only default1 bits, same allowed-1");
    report((c.exit.must_be_one() & ~c.exit_default.must_be_one()) == 0 && c.exit.may_be_one() == c.exit_default.may_be_one(),
           "TRUE VM-exit: relaxes only default1 bits, same allowed-1");
    report((c.entry.must_be_one() & ~c.entry_default.must_be_one()) == 0 && c.entry.may_be_one() == c.entry_default.may_be_one(),
           "TRUE VM-entry: relaxes only default1 bits, same allowed-1");
    if (c.has_secondary())
        check_control_pair("secondary processor-based", c.proc2);
    else
        report_skip("no secondary controls", "secondary processor-based");
}

// VMX_MISC, CR0/CR4 fixed bits and VMCS_ENUM (SDM Vol. 3D, A.6-A.9).
void test_caps_misc()
{
    const VmxCaps& c = vmx_caps();
    report_eq(c.cr0_fixed0 & ~c.cr0_fixed1, 0, "CR0 FIXED0 within FIXED1");
    report_eq(c.cr4_fixed0 & ~c.cr4_fixed1, 0, "CR4 FIXED0 within FIXED1");
    report((c.cr0_fixed0 & (cr0::PE | cr0::NE | cr0::PG)) == (cr0::PE | cr0::NE | cr0::PG),
           "CR0 FIXED0 requires PE, NE and PG");
    report(c.cr4_fixed0 & cr4::VMXE, "CR4 FIXED0 requires VMXE");
    report_value(c.max_vmcs_index() > 0, c.max_vmcs_index(), "VMCS_ENUM highest index non-zero");
    report_value(c.cr3_target_count() <= 256, c.cr3_target_count(), "CR3-target count at most 256");
}

// EPT/VPID capabilities are self-consistent when EPT is allowed (SDM Vol. 3D, A.10).
void test_caps_ept_vpid()
{
    const VmxCaps& c = vmx_caps();
    if (!c.has_proc2(proc2::EPT)) {
        report_skip("secondary control 'enable EPT' not allowed", "EPT capabilities");
        return;
    }
    report(c.ept_vpid & ept_cap::WALK_4, "4-level EPT walks supported");
    report(c.ept_vpid & (ept_cap::WB | ept_cap::UC), "WB or UC EPT paging-structure memory type");
    report(!(c.ept_vpid & ept_cap::INVEPT) || (c.ept_vpid & (ept_cap::INVEPT_SINGLE | ept_cap::INVEPT_ALL)),
           "INVEPT supports at least one type when present");
    report(!(c.ept_vpid & ept_cap::INVVPID) || (c.ept_vpid & (ept_cap::INVVPID_ADDR | ept_cap::INVVPID_SINGLE |
                                                                ept_cap::INVVPID_ALL | ept_cap::INVVPID_SINGLE_NONGLOBAL)),
           "INVVPID supports at least one type when present");
}

// VMXON: success, then the rules for bad operands (SDM Vol. 3C 31.3, VMXON).
void test_vmxon()
{
    if (!vmx_prepare_cpu())
        return;
    VmxPage region;
    u64 cr4v = read_cr4();
    write_cr4(cr4v & ~cr4::VMXE);
    expect_vmx(vmxon(region.pa), VmxResult::faulted(Fault(vec::UD, 0)), "CR4.VMXE=0: #UD");
    write_cr4(cr4v);
    u64 cr0v = read_cr0();
    write_cr0(cr0v & ~cr0::NE);
    expect_vmx(vmxon(region.pa), VmxResult::faulted(Fault(vec::GP, 0)), "CR0.NE=0 (FIXED0): #GP(0)");
    write_cr0(cr0v);
    expect_vmx(vmxon_raw(region.pa.raw() + 8), VmxResult::fail_invalid(), "unaligned region: VMfailInvalid");
    expect_vmx(vmxon_raw(beyond_maxphyaddr()), VmxResult::fail_invalid(), "beyond MAXPHYADDR: VMfailInvalid");
    *phys_to_ptr<u32>(region.pa) = vmx_caps().revision() ^ 1;
    expect_vmx(vmxon(region.pa), VmxResult::fail_invalid(), "wrong revision id: VMfailInvalid");
    *phys_to_ptr<u32>(region.pa) = vmx_caps().revision();
    expect_vmx(vmxon(region.pa), VmxResult::success(), "valid region: success");
    PhysAddr cur;
    expect_vmx(vmptrst(&cur), VmxResult::success(), "VMPTRST after VMXON succeeds");
    report_eq(cur.raw(), INVALID_VMCS_PTR, "no current VMCS after VMXON");
    expect_vmx(vmxon(region.pa), VmxResult::fail_invalid(), "VMXON in VMX root, no current VMCS: VMfailInvalid");
    {
        VmxPage vmcs;
        VmxResult r = vmptrld(vmcs.pa);
        if (r.ok()) {
            expect_vmx(vmxon(region.pa), VmxResult::fail_valid(err(E::VMXON_IN_VMX_ROOT)),
                          "VMXON in VMX root with a current VMCS: VMfailValid(15)");
            expect_vmx(vmclear(vmcs.pa), VmxResult::success(), "VMCLEAR the scratch VMCS");
        } else {
            report_error("VMPTRLD of a scratch VMCS: %s", vmx_result_str(r));
        }
    }
    expect_vmx(vmxoff(), VmxResult::success(), "VMXOFF");
    write_cr4(cr4v & ~cr4::VMXE);
}

// VMXOFF and VMX instructions outside VMX operation (SDM 31.3).
void test_vmxoff()
{
    expect_vmx(vmxoff(), VmxResult::faulted(Fault(vec::UD, 0)), "VMXOFF outside VMX operation: #UD");
    u64 v;
    expect_vmx(vmread(static_cast<u32>(VmcsField::GUEST_RIP), &v), VmxResult::faulted(Fault(vec::UD, 0)),
                  "VMREAD outside VMX operation: #UD");
    {
        VmxOn vmx;
        if (!vmx.ok())
            return;
        VmxResult got = vmcall_root();
        check_known("vmcall.root-kvm-hypercall", got == VmxResult::fail_invalid(),
                    Diagnostic{vmx_result_str(VmxResult::fail_invalid()), vmx_result_str(got)},
                    "VMCALL in VMX root, no current VMCS: VMfailInvalid");
    }
    report(!(read_cr4() & cr4::VMXE), "CR4.VMXE restored after leaving VMX operation");
}

// VMCLEAR rules (SDM 31.3, VMCLEAR); a current VMCS makes failures VMfailValid.
void test_vmclear()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    VmxPage a, b;
    expect_vmx(vmptrld(a.pa), VmxResult::success(), "VMPTRLD a VMCS");
    expect_vmx(vmclear(PhysAddr(b.pa.raw() + 0x10)), VmxResult::fail_valid(err(E::VMCLEAR_INVALID_ADDRESS)),
                  "unaligned: VMfailValid(2)");
    expect_vmx(vmclear(PhysAddr(beyond_maxphyaddr())), VmxResult::fail_valid(err(E::VMCLEAR_INVALID_ADDRESS)),
                  "beyond MAXPHYADDR: VMfailValid(2)");
    expect_vmx(vmclear(vmx.region()), VmxResult::fail_valid(err(E::VMCLEAR_VMXON_POINTER)),
                  "the VMXON region: VMfailValid(3)");
    expect_vmx(vmclear(b.pa), VmxResult::success(), "another VMCS: success");
    PhysAddr cur;
    expect_vmx(vmptrst(&cur), VmxResult::success(), "VMPTRST");
    report_eq(cur.raw(), a.pa.raw(), "clearing another VMCS keeps the current one");
    expect_vmx(vmclear(a.pa), VmxResult::success(), "the current VMCS: success");
    expect_vmx(vmptrst(&cur), VmxResult::success(), "VMPTRST after clearing the current VMCS");
    report_eq(cur.raw(), INVALID_VMCS_PTR, "clearing the current VMCS invalidates the current pointer");
    expect_vmx(vmclear(PhysAddr(b.pa.raw() + 0x10)), VmxResult::fail_invalid(),
                  "unaligned without a current VMCS: VMfailInvalid");
}

// VMPTRLD / VMPTRST rules (SDM 31.3).
void test_vmptrld()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    VmxPage a, bad;
    expect_vmx(vmptrld(a.pa), VmxResult::success(), "valid VMCS: success");
    PhysAddr cur;
    expect_vmx(vmptrst(&cur), VmxResult::success(), "VMPTRST");
    report_eq(cur.raw(), a.pa.raw(), "VMPTRST returns the loaded VMCS");
    expect_vmx(vmptrld(PhysAddr(a.pa.raw() + 8)), VmxResult::fail_valid(err(E::VMPTRLD_INVALID_ADDRESS)),
                  "unaligned: VMfailValid(9)");
    expect_vmx(vmptrld(PhysAddr(beyond_maxphyaddr())), VmxResult::fail_valid(err(E::VMPTRLD_INVALID_ADDRESS)),
                  "beyond MAXPHYADDR: VMfailValid(9)");
    expect_vmx(vmptrld(vmx.region()), VmxResult::fail_valid(err(E::VMPTRLD_VMXON_POINTER)),
                  "the VMXON region: VMfailValid(10)");
    *phys_to_ptr<u32>(bad.pa) = vmx_caps().revision() ^ 1;
    expect_vmx(vmptrld(bad.pa), VmxResult::fail_valid(err(E::VMPTRLD_INCORRECT_REVISION_ID)),
                  "wrong revision id: VMfailValid(11)");
    if (!vmx_caps().has_proc2(proc2::VMCS_SHADOWING)) {
        *phys_to_ptr<u32>(bad.pa) = vmx_caps().revision() | (1u << 31);
        expect_vmx(vmptrld(bad.pa), VmxResult::fail_valid(err(E::VMPTRLD_INCORRECT_REVISION_ID)),
                      "shadow-VMCS indicator without VMCS shadowing: VMfailValid(11)");
    } else {
        report_skip("VMCS shadowing is supported", "shadow-VMCS indicator without VMCS shadowing");
    }
    expect_vmx(vmptrst(&cur), VmxResult::success(), "VMPTRST after failed loads");
    report_eq(cur.raw(), a.pa.raw(), "failed VMPTRLDs keep the current VMCS");
    expect_vmx(vmclear(a.pa), VmxResult::success(), "VMCLEAR");
}

// A test pattern for a field of width w.
u64 pattern_for(VmcsWidth w, u32 salt)
{
    switch (w) {
    case VmcsWidth::W16: return 0x5a5a ^ (salt & 0xff);
    case VmcsWidth::W32: return 0x5a5a5a5a ^ salt;
    default: return 0x5a5a5a5aa5a5a5a5ull ^ salt;
    }
}

// Bits a VMWRITE/VMREAD round trip must preserve for f: segment access rights
// keep bits 7:0, 15:12 and 16 only (SDM 25.4.1 leaves the rest reserved).
u64 roundtrip_mask(VmcsField f, VmcsWidth w)
{
    u32 enc = static_cast<u32>(f);
    if (enc >= static_cast<u32>(VmcsField::GUEST_ES_AR_BYTES) && enc <= static_cast<u32>(VmcsField::GUEST_TR_AR_BYTES))
        return 0x1f0ff;
    switch (w) {
    case VmcsWidth::W16: return 0xffff;
    case VmcsWidth::W32: return 0xffffffff;
    default: return ~0ull;
    }
}

// The fields every VMX processor has (Appendix B, no feature condition) that
// KVM's vmcs12 layout leaves out (Linux arch/x86/kvm/vmx/vmcs12.c); errata
// row vmcs.field-missing applies to these only, when VMREAD and VMWRITE both
// fail with error 12.
constexpr VmcsField kKvmVmcs12Missing[] = {
    VmcsField::EXECUTIVE_VMCS_POINTER, VmcsField::GUEST_SMBASE,      VmcsField::CR3_TARGET_VALUE0,
    VmcsField::CR3_TARGET_VALUE1,      VmcsField::CR3_TARGET_VALUE2, VmcsField::CR3_TARGET_VALUE3,
    VmcsField::IO_RCX,                 VmcsField::IO_RSI,            VmcsField::IO_RDI,
    VmcsField::IO_RIP,
};

// True when f is one of kKvmVmcs12Missing.
constexpr bool kvm_vmcs12_lacks(VmcsField f)
{
    for (VmcsField m : kKvmVmcs12Missing)
        if (m == f)
            return true;
    return false;
}

// Every field of the SDM's table: supported fields round-trip (read-only ones
// refuse VMWRITE with error 13 unless VMX_MISC[29]); unsupported ones fail
// VMREAD and VMWRITE alike with error 12 (SDM 31.3, VMREAD/VMWRITE; 25.11.2).
// A field exists iff its feature can be enabled (Appendix B,
// lib/x86/vmx/vmcs_field_caps.hh): a missing field whose feature the
// capability MSRs allow fails its round-trip line; a field whose feature
// they do not allow must fail VMREAD and VMWRITE with error 12. Fields whose
// enumeration is not read here (tertiary controls, FRED...) may be either.
// Measured values go to the diagnostics, not the names.
void test_vmcs_fields()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    VmxPage vmcs;
    if (!vmptrld(vmcs.pa).ok()) {
        report_error("VMPTRLD of the scratch VMCS failed");
        return;
    }
    const VmxCaps& c = vmx_caps();
    bool write_any = c.misc & vmx_misc::VMWRITE_ANY_FIELD;
    const VmcsFieldInfo* above_enum = nullptr; // a supported field beyond VMCS_ENUM's highest index
    // The same, but a field whose feature IA32_VMX_* do not allow: it should
    // not exist at all (erratum vmcs.field-without-feature where it does).
    const VmcsFieldInfo* above_enum_no_feature = nullptr;
    for (const VmcsFieldInfo& info : kVmcsFields) {
        VmcsField f = info.field;
        VmcsWidth w = vmcs_field_width(f);
        const FieldExpect expect = vmcs_field_expect(f, c);
        const bool must_exist = expect == FieldExpect::MustExist;
        const bool read_only = vmcs_field_type(f) == VmcsFieldType::ReadOnlyData && !write_any;
        u64 old = 0;
        VmxResult rd = vmcs_try_read(f, &old);
        if (rd.ok() && vmcs_field_index(f) > c.max_vmcs_index()) {
            const VmcsFieldInfo*& first = expect == FieldExpect::NoFeature ? above_enum_no_feature : above_enum;
            if (!first)
                first = &info;
        }
        if (expect == FieldExpect::NoFeature) {
            // Appendix B: the field exists only where its feature can be enabled.
            VmxResult wr = vmcs_try_write(f, 0);
            char act[96];
            snformat(act, sizeof(act), "VMREAD %s, VMWRITE %s", vmx_result_str(rd), vmx_result_str(wr));
            Diagnostic d{"VMfailValid(12) for both", act};
            const bool absent = rd.is_fail_valid(err(E::UNSUPPORTED_VMCS_COMPONENT)) &&
                                wr.is_fail_valid(err(E::UNSUPPORTED_VMCS_COMPONENT));
            // The erratum is the field working in full: VMREAD and VMWRITE succeed.
            report_check(absent, &d, rd.ok() && wr.ok() ? known_deviation("vmcs.field-without-feature") : nullptr,
                         "%s: feature not allowed, VMREAD and VMWRITE VMfailValid(12)", info.name);
            continue;
        }
        if (rd.is_fail_valid(err(E::UNSUPPORTED_VMCS_COMPONENT))) {
            VmxResult wr = vmcs_try_write(f, 0);
            if (must_exist) {
                char act[96];
                snformat(act, sizeof(act), "VMREAD VMfailValid(12), VMWRITE %s", vmx_result_str(wr));
                Diagnostic d{"the field exists: IA32_VMX_* allow its feature (SDM Appendix B)", act};
                const bool kvm_gap = kvm_vmcs12_lacks(f) && wr.is_fail_valid(err(E::UNSUPPORTED_VMCS_COMPONENT));
                report_check(false, &d, kvm_gap ? known_deviation("vmcs.field-missing") : nullptr,
                             read_only ? "%s: read-only, VMWRITE VMfailValid(13)" : "%s: VMWRITE reads back", info.name);
                continue;
            }
            Diagnostic d{"VMfailValid(12)", vmx_result_str(wr)};
            report_check(wr.is_fail_valid(err(E::UNSUPPORTED_VMCS_COMPONENT)), &d, nullptr,
                         "%s: unsupported, VMWRITE also VMfailValid(12)", info.name);
            continue;
        }
        if (!rd.ok()) {
            Diagnostic d{"VMsucceed or VMfailValid(12)", vmx_result_str(rd)};
            report_check(false, &d, nullptr, "%s: VMREAD", info.name);
            continue;
        }
        u64 want = pattern_for(w, static_cast<u32>(f));
        VmxResult wr = vmcs_try_write(f, want);
        if (read_only) {
            Diagnostic d{"VMfailValid(13)", vmx_result_str(wr)};
            report_check(wr.is_fail_valid(err(E::VMWRITE_READ_ONLY_COMPONENT)), &d, nullptr,
                         "%s: read-only, VMWRITE VMfailValid(13)", info.name);
            continue;
        }
        u64 got = 0;
        VmxResult rd2 = vmcs_try_read(f, &got);
        u64 mask = roundtrip_mask(f, w);
        char exp[48], act[96];
        snformat(exp, sizeof(exp), "%#lx", want & mask);
        snformat(act, sizeof(act), "%#lx (VMWRITE %s, VMREAD %s)", got & mask, vmx_result_str(wr), vmx_result_str(rd2));
        Diagnostic d{exp, act};
        report_check(wr.ok() && rd2.ok() && (got & mask) == (want & mask), &d, nullptr, "%s: VMWRITE reads back", info.name);
    }
    // A.9: IA32_VMX_VMCS_ENUM[9:1] is the highest index of any field.
    char enum_exp[48];
    snformat(enum_exp, sizeof(enum_exp), "every index <= %u", c.max_vmcs_index());
    const VmcsFieldInfo* above = above_enum ? above_enum : above_enum_no_feature;
    Diagnostic ed{enum_exp, above ? above->name : "none above"};
    // Only fields that should not exist at all lie above: that deviation.
    const char* enum_dev = !above_enum && above_enum_no_feature ? known_deviation("vmcs.field-without-feature") : nullptr;
    report_check(!above, &ed, enum_dev, "every supported field's index is at most IA32_VMX_VMCS_ENUM[9:1]");
    u64 v = 0;
    VmxResult bogus = vmread(0x7ffe, &v);
    Diagnostic bd{"VMfailValid(12)", vmx_result_str(bogus)};
    report_check(bogus.is_fail_valid(err(E::UNSUPPORTED_VMCS_COMPONENT)), &bd, nullptr, "encoding 0x7ffe: VMfailValid(12)");
    VmxResult lo = vmcs_try_write(VmcsField::TSC_OFFSET, 0x1111111122222222ull);
    VmxResult hi = vmwrite(static_cast<u32>(VmcsField::TSC_OFFSET) | 1, 0x33333333);
    u64 full = 0, high = 0;
    VmxResult r1 = vmcs_try_read(VmcsField::TSC_OFFSET, &full);
    VmxResult r2 = vmread(static_cast<u32>(VmcsField::TSC_OFFSET) | 1, &high);
    report(lo.ok() && hi.ok() && r1.ok() && r2.ok() && full == 0x3333333322222222ull && high == 0x33333333,
           "64-bit field: the high access type reads and writes bits 63:32");
    report_eq(high, full >> 32, "64-bit field: the high access reads what the full access sees in bits 63:32");
    expect_vmx(vmclear(vmcs.pa), VmxResult::success(), "VMCLEAR the scratch VMCS");
}

// Launch state: VMLAUNCH needs a clear VMCS, VMRESUME a launched one (SDM 31.3).
void test_launch_state()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    expect_vmx(vmlaunch_expect_fail(), VmxResult::fail_invalid(), "VMLAUNCH without a current VMCS: VMfailInvalid");
    Guest g(l2_vmcall, 1);
    if (!g.ready())
        return;
    expect_vmx(vmresume_expect_fail(), VmxResult::fail_valid(err(E::VMRESUME_NONLAUNCHED_VMCS)),
                  "VMRESUME of a clear VMCS: VMfailValid(5)");
    RunResult r = g.run();
    expect_exit(r, ExitReason::VMCALL, "VMLAUNCH of a clear VMCS enters the guest");
    expect_vmx(vmlaunch_expect_fail(), VmxResult::fail_valid(err(E::VMLAUNCH_NONCLEAR_VMCS)),
                  "VMLAUNCH of a launched VMCS: VMfailValid(4)");
    g.skip_instruction();
    r = g.run();
    expect_done(r, "VMRESUME of the launched VMCS runs the guest to its end");
    expect_vmx(vmclear(g.vmcs()), VmxResult::success(), "VMCLEAR makes it clear again");
    g.mark_cleared();
    Guest again(l2_nothing);
    if (!again.ready())
        return;
    r = again.run();
    expect_done(r, "a second guest launches after the first was cleared");
}

// The smallest L2: returns at once; VMCALL is its only exit.
void test_null_guest()
{
    VmxOn vmx;
    if (!vmx.ok())
        return;
    Guest g(l2_nothing);
    if (!g.ready())
        return;
    RunResult r = g.run();
    expect_done(r, "guest runs and returns");
    report_eq(r.exit.insn_len, 3, "VMCALL exit instruction length");
    report_eq(r.exit.qualification, 0, "VMCALL exit qualification is 0");
}

constexpr TestCase kCases[] = {
    {"feature_control", test_feature_control, vmx_unavailable_reason},
    {"caps_basic", test_caps_basic, vmx_unavailable_reason},
    {"caps_controls", test_caps_controls, vmx_unavailable_reason},
    {"caps_misc", test_caps_misc, vmx_unavailable_reason},
    {"caps_ept_vpid", test_caps_ept_vpid, vmx_unavailable_reason},
    {"vmxon", test_vmxon, vmx_unavailable_reason},
    {"vmxoff", test_vmxoff, vmx_unavailable_reason},
    {"vmclear", test_vmclear, vmx_unavailable_reason},
    {"vmptrld", test_vmptrld, vmx_unavailable_reason},
    {"vmcs_fields", test_vmcs_fields, vmx_unavailable_reason},
    {"launch_state", test_launch_state, vmx_unavailable_reason},
    {"null_guest", test_null_guest, vmx_unavailable_reason},
};

} // namespace

ExitStatus test_main(int argc, char** argv) { return run_test_cases(kCases, argc, argv); }
