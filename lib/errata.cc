// The errata table. Add a row when a backend deviates from the SDM; keep the
// check itself unchanged.
#include "errata.hh"
#include "backend_match.hh"
#include "format.hh"
#include "string.hh"
#include "testcase.hh"

constexpr Erratum kErrata[] = {
    {"qemu-tcg", "msr.unimplemented-gp",
     "SDM Vol. 2B, RDMSR/WRMSR: #GP(0) if ECX specifies a reserved or unimplemented MSR",
     "QEMU TCG reads 0 from and ignores writes to unimplemented MSRs"},
    {"bochs bochs-*", "entry.guest-rip-canonical",
     "SDM Vol. 3C 27.3.1.4: for a 64-bit guest (IA-32e mode, CS.L=1) bits 63:N of guest RIP must be identical (N = linear-address width; RIP need not be canonical)",
     "Bochs 2.7-3.0 enters a guest whose RIP has bit N set and raises #GP on the first fetch instead of failing the entry",
     "cpu/vmx.cc VMenterLoadCheckGuestState(): the only RIP check is `if (!x86_64_guest || !CS.l) if (GET32H(guest.rip) != 0) fail`; "
     "nothing checks bits 63:N of a 64-bit guest. Test value: x86/vmx_checks.cc writes 1 << N (N from CPUID 0x80000008 EAX[15:8])"},
    {"bochs bochs-2.4* bochs-2.5* bochs-2.6* bochs-2.7*", "entry.urg-cs-rpl",
     "SDM Vol. 3C 27.3.1.2: a non-conforming CS needs DPL = SS.DPL; CS.RPL is not checked",
     "Bochs <= 2.7 still requires CS.DPL = CS.RPL (pre-URG rule) and fails entry of a real-mode guest with CS.RPL != 0",
     "cpu/vmx.cc VMenterLoadCheckGuestState(), CS checks: `case BX_CODE_EXEC_ONLY_ACCESSED: case BX_CODE_EXEC_READ_ACCESSED: "
     "if (CS.selector.rpl != CS.cache.dpl) fail` (\"non-conforming CS.RPL <> CS.DPL\"), also with 'unrestricted guest' = 1. "
     "Test value: lib/x86/vmx/legacy_guest.cc CODE16 = 0x9b (type 11, DPL 0), x86/ept_features.cc sets selector RPL 1"},
    {"bochs bochs-*", "ept.ve-eptp-index",
     "SDM Vol. 3C 26.5.7.2: #VE info offset 32 = the EPTP-index VM-execution control field",
     "Bochs 2.7-3.0 writes an internal EPTP index that VM entry never loads from the VMCS (0 unless VMFUNC switched EPTPs)",
     "cpu/vmexit.cc Virtualization_Exception() writes vm->eptp_index at offset 32; cpu/vmx.cc VMenterLoadCheckVmControls() "
     "loads only ve_info_addr for 'EPT-violation #VE' and never VMCS_16BIT_CONTROL_EPTP_INDEX; vm->eptp_index is set only by "
     "cpu/vmfunc.cc vmfunc_eptp_switching(). Test value: the failure diagnostic shows the field read back with VMREAD"},
    {"bochs bochs-*", "ept.walk-a-flag-write",
     "SDM Vol. 3C 29.3.3.2: processor writes of guest paging-structure A/D flags are data writes",
     "Bochs 2.7-3.0 sets guest A/D flags without checking EPT write permission (no EPT violation)",
     "cpu/paging.cc translate_linear_long_mode(): each guest paging entry's address is translated with "
     "translate_guest_physical(..., BX_READ) and update_access_dirty() then writes A/D with access_write_physical() to the host "
     "address, with no EPT write check (only EPT A/D on turns the walk into a write). Test value: x86/ept_ad.cc clears A only "
     "in the restricted level's entry, its table page EPT R"},
    {"bochs bochs-*", "ept.ad-walk-qual-read-bit",
     "SDM Vol. 3C 28.2.1, Table 28-7 note: with EPT A/D a violating guest paging-structure access sets bits 0 and 1",
     "Bochs 2.7-3.0 sets only bit 1 (write) in the exit qualification",
     "cpu/paging.cc translate_guest_physical(): `if (BX_VMX_EPT_ACCESS_DIRTY_ENABLED && is_page_walk && guest_laddr_valid) "
     "rw = BX_WRITE;` so `if ((rw & 3) == BX_READ) access_mask |= BX_EPT_READ` never adds bit 0 and the qualification is "
     "`access_mask | (combined_access << 3)`"},
    {"bochs bochs-*", "invept.type-64bit",
     "SDM Vol. 2B INVEPT / Vol. 3C 31.3: in 64-bit mode the type register operand has 64 bits; a type above 2^32 is unsupported (VMfail)",
     "Bochs 2.7-3.0 uses only bits 31:0 of the type register (0x100000001 acts as single-context)",
     "cpu/vmx.cc INVEPT(): `type = i->os64L() ? BX_READ_64BIT_REG(i->dst()) : BX_READ_32BIT_REG(i->dst())`; os64L() needs REX.W, "
     "which INVEPT does not take. Test value: lib/x86/vmx/insn.cc invept() passes the type in a 64-bit register, encoded "
     "66 0F 38 80 /r without REX.W (objdump of build/lib/x86/vmx/insn.o)"},
    {"bochs bochs-*", "invept.no-ept-ud",
     "SDM Vol. 3C 31.3, INVEPT: #UD if the processor does not support EPT (IA32_VMX_PROCBASED_CTLS2[33]=0)",
     "Bochs 2.7-3.0 executes INVEPT (VMfail/VMsucceed) on CPU models without EPT",
     "cpu/vmx.cc INVEPT(): #UD only for `!in_vmx || !protected_mode() || cpu_mode == BX_MODE_LONG_COMPAT`; "
     "it never tests BX_SUPPORT_VMX_EXTENSION(BX_VMX_EPT) (INVVPID likewise for VPID)"},
    {"bochs bochs-*", "ept.large-leaf-bit12",
     "SDM Vol. 3C 29.3.2, 29.3.3.1: bits 20:12 (2 MiB) / 29:12 (1 GiB) of a large EPT leaf are reserved",
     "Bochs 2.7-3.0 ignores bit 12 of a large EPT leaf (no misconfiguration)",
     "cpu/paging.cc translate_guest_physical(), large leaf: `ppf &= BX_CONST64(0x000fffffffffe000); if (ppf & offset_mask) "
     "misconfig` masks bit 12 off before the reserved-bit test (the guest-paging PAT-bit mask). Test value: x86/ept_config.cc "
     "shaped_entry() sets bit 12 alone in a 2M/1G leaf (static_asserts there)"},
    {"bochs bochs-2.4* bochs-2.5* bochs-2.6* bochs-2.7*", "ept.pml-offset",
     "SDM Vol. 3C 29.3.6 (Page-Modification Logging): bits 11:0 of a page-modification log entry are always 0",
     "Bochs <= 2.7 logs the full guest-physical address of the access, page offset included",
     "cpu/vmexit.cc vmx_page_modification_logging(Bit64u guest_paddr, unsigned dirty_update): "
     "`access_write_physical(pAddr, 8, &guest_paddr)` writes guest_paddr unmasked (pre-3.0 source as indexed by the "
     "search tool; Bochs 3.0 cpu/vmexit.cc writes LPFOf(guest_paddr)). Test value: x86/ept_features.cc pml_precise "
     "writes at L2_WALK_LA + 0x238; a walk's accesses log the entry's address (page + 8 * index)"},
    // Not under KVM: L1's (the test kernel's) APIC timer is KVM's, and KVM
    // synthesizes that exit for vmcs12 itself (nested.c vmx_check_nested_events()
    // -> nested_vmx_vmexit(EXIT_REASON_EXTERNAL_INTERRUPT)); measured: both IF=0
    // checks pass under kvm-6.1.192@bochs-2.7 with the PICs masked.
    {"bochs bochs-*", "exit.ext-intr-if0",
     "SDM Vol. 3C 26.2: with external-interrupt exiting, RFLAGS.IF does not block the exit",
     "Bochs 2.7-3.0 never exits for an external interrupt while the guest runs with RFLAGS.IF=0",
     "cpu/vmx.cc VMenterLoadCheckGuestState(): `setEFlags((Bit32u) guest.rflags)` runs before VMLAUNCH() sets `in_vmx_guest = true`, "
     "so handleInterruptMaskChange() (cpu/flag_ctrl_pro.cc) masks BX_EVENT_PENDING_INTR/LAPIC_INTR as for IF=0 outside VMX. "
     "Test value: x86/vmx_exits.cc setup_ext_intr_guest() writes GUEST_RFLAGS 0x2 with pin-based bit 0 set"},
    {"bochs bochs-*", "invvpid.type-64bit",
     "SDM Vol. 2B INVVPID / Vol. 3C 31.3: in 64-bit mode the type register has 64 bits; a type above 2^32 is unsupported (VMfail)",
     "Bochs 2.7-3.0 uses only bits 31:0 of the INVVPID type register (0x100000002 acts as all-context)",
     "cpu/vmx.cc INVVPID(): `type = i->os64L() ? BX_READ_64BIT_REG(i->dst()) : BX_READ_32BIT_REG(i->dst())`; os64L() needs REX.W, "
     "which INVVPID does not take. Test value: lib/x86/vmx/insn.cc invvpid_desc() passes the type in a 64-bit register"},
    {"bochs bochs-2.8* bochs-2.9* bochs-3*", "ept.mbec-qual-xu-bit13",
     "SDM Vol. 3C 28.2.1, Table 28-7 (Table 29-7 in later editions): with 'mode-based execute control for EPT' = 1, "
     "bit 6 is the AND of bit 10 over the walk for every EPT violation; bit 13 is set only for a shadow-stack access",
     "Bochs 3.0 (MBEC models) puts the AND of bit 10 in bit 13 instead of bit 6 for data accesses (fetches are right)",
     "cpu/paging.cc translate_guest_physical() (3.0: lines 1938, 2073-2074): combined_access gets BX_EPT_MBE_USER_EXECUTE "
     "(0x400) under MBE_CTRL and the qualification is `access_mask | (combined_access << 3)`, which lands bit 10 on bit 13; "
     "only `if (vm->vmexec_ctrls2.MBE_CTRL() && (rw == BX_EXECUTE))` then masks to bits 5:0 and sets bit 6. A 2021 (2.7-era) "
     "copy of the function has the same statements, but 2.7 offers MBEC on no model. Test value: x86/ept_perm.cc mbec, upper RWX+XU over PTE XU / X+XU, read"},
    // Linux KVM nested VMX (ACCEL=kvm-in-bochs: --backend=kvm-<Linux version>@bochs-<version>,
    // e.g. kvm-6.12.118@bochs-2.7). "kvm-*": every KVM version read so far has it (the
    // cause cites each); "kvm<6.10": fixed in 6.10 (a newer KVM shows PASS; a row still
    // "kvm-*" on a fixed KVM shows XPASS). Rows "kvm-*@bochs-..." are Bochs CPU deviations
    // that pass through KVM to L1; the cause names both layers.
    {"kvm-*@bochs-*", "kvm.preemption-timer-if0",
     "SDM Vol. 3C 26.5.1: the VMX-preemption timer counts down in VMX non-root operation and causes a VM exit at 0",
     "KVM's emulated preemption timer needs an L0 timer interrupt to exit vmcs02, which Bochs never delivers to an "
     "IF=0 L2 (row exit.ext-intr-if0): L1 hangs",
     "Linux arch/x86/kvm/vmx/nested.c (6.1 and 6.12) nested_vmx_enter_non_root_mode() -> vmx_start_preemption_timer(): "
     "`hrtimer_start(&vmx->nested.preemption_timer, ...)`; vmx_preemption_timer_fn() only sets preemption_timer_expired and "
     "kicks the vCPU, which needs that interrupt's exit from vmcs02. Bochs cpu/vmx.cc VMenterLoadCheckGuestState(): "
     "`setEFlags((Bit32u) guest.rflags)` before `in_vmx_guest = true` (row exit.ext-intr-if0). Test value: "
     "lib/x86/vmx/guest.cc setup_guest_state() writes GUEST_RFLAGS 0x2 (IF=0) and L2 spins until the timer exit",
     true},
    {"kvm-*", "vmcall.root-kvm-hypercall",
     "SDM Vol. 3C 31.3, VMCALL: in VMX root operation outside SMM without the dual-monitor treatment, VMfail; VMfailInvalid when there is no current VMCS",
     "KVM (Linux 6.1.192, 6.12.118) takes every VMCALL of L1 as a KVM hypercall, also in (virtual) VMX root operation: RAX gets the hypercall status, no VMfail",
     "arch/x86/kvm/vmx/vmx.c kvm_vmx_exit_handlers[]: `[EXIT_REASON_VMCALL] = kvm_emulate_hypercall,` (6.1.192 line 6046, 6.12.118 line 6112); "
     "arch/x86/kvm/x86.c kvm_emulate_hypercall() checks Xen/Hyper-V, the CPL and the hypercall number, never vmx->nested.vmxon or the current "
     "VMCS. Test value: x86/vmx.cc test_vmxoff(), VMCALL right after VMXON"},
    // KVM's instruction emulator on an L2 access that L1's EPT denies (seen
    // with kvm.force_emulation_prefix=1, ept_perm_insn: emulated).
    {"kvm-*", "kvm.emulator-ept-gpa-page",
     "SDM Vol. 3C 28.2.1 / 27.2.1: the guest-physical address field holds the address of the access that caused the EPT violation or misconfiguration",
     "KVM (Linux 6.1.192, 6.12.118) reports the GPA with bits 11:0 cleared when its emulator hits L1's EPT",
     "arch/x86/kvm/mmu/paging_tmpl.h FNAME(walk_addr_generic)(): the data page goes through L1's EPT as "
     "`real_gpa = kvm_translate_gpa(vcpu, mmu, gfn_to_gpa(gfn), access, ...)` (6.1.192 line 433; 6.12.118 line 457, access | "
     "PFERR_GUEST_FINAL_MASK), a page-aligned address, and vmx/nested.c nested_ept_inject_page_fault() writes "
     "`vmcs12->guest_physical_address = fault->address;` (6.1.192 line 405, 6.12.118 line 484). Test value: x86/ept_perm_insn.cc "
     "accesses offset 0x40 of the page"},
    {"kvm-*", "kvm.emulator-ept-gla",
     "SDM Vol. 3C 27.2.1: with qualification bit 7 set, the guest-linear address field holds the linear address of the access",
     "KVM (Linux 6.1.192, 6.12.118) leaves a stale guest-linear address when its emulator injects the EPT violation",
     "arch/x86/kvm/vmx/nested.c nested_ept_inject_page_fault() sets the exit reason, qualification and GPA of vmcs12 only; the "
     "GLA field comes from sync_vmcs02_to_vmcs12(): `vmcs12->guest_linear_address = vmcs_readl(GUEST_LINEAR_ADDRESS);` "
     "(6.1.192 line 4432, 6.12.118 line 4635), last written by the hardware exit that started the emulation (here the #UD of "
     "the forced-emulation prefix). Test value: L2 accesses its window at the linear alias GPA + 0x1000005000 (ept_alias_la)"},
    {"kvm-*", "kvm.emulator-ept-qual-access",
     "SDM Vol. 3C 28.2.1, Table 28-7: bits 2:0 give the access kind (bit 0 only for data reads; a read-modify-write sets bit 1)",
     "KVM (Linux 6.1.192, 6.12.118) sets bit 0 for every emulated access, and reports a locked read-modify-write that faults as a read",
     "arch/x86/kvm/x86.c translate_nested_gpa(): `access |= PFERR_USER_MASK;` (\"NPT walks are always user-walks\"; 6.1.192 line "
     "7217, 6.12.118 line 7132) for every L1-EPT walk of the emulator, and mmu/paging_tmpl.h FNAME(walk_addr_generic)(): "
     "`if (user_fault) ... |= EPT_VIOLATION_ACC_READ;` (6.1.192 line 492 into vcpu->arch.exit_qualification, 6.12.118 line 517 "
     "into walker->fault.exit_qualification); the emulator reads the operand of `lock add` before it writes, so the walk "
     "that faults is a read. Only a mismatch in bits 1:0 is taken for this row"},
    {"kvm-*", "vmcs.field-without-feature",
     "SDM Vol. 3D Appendix B: a field tied to a feature exists only on processors that support the 1-setting of its control; "
     "VMREAD/VMWRITE of a field that does not exist fail with VMfailValid(12) (Vol. 3C 31.3)",
     "KVM (Linux 6.1.192, 6.12.118) reads and writes every field of its vmcs12 layout, also those whose feature it does not offer L1 "
     "(seen on kvm-6.1.192@bochs-2.7 corei7_skylake_x: POSTED_INTR_NV, POSTED_INTR_DESC_ADDR, XSS_EXIT_BITMAP, "
     "ENCLS_EXITING_BITMAP, GUEST_IA32_BNDCFGS; on corei7_haswell_4770 also TSC_MULTIPLIER, index 25, above the "
     "IA32_VMX_VMCS_ENUM highest index 23 that KVM reports)",
     "arch/x86/kvm/vmx/nested.c handle_vmread() and handle_vmwrite(): `offset = get_vmcs12_field_offset(field); if (offset < 0) "
     "return nested_vmx_fail(vcpu, VMXERR_UNSUPPORTED_VMCS_COMPONENT);` (6.1.192 lines 5436-5438 and 5560-5562, 6.12.118 lines "
     "5631-5633 and 5755-5757) is the only existence test: any field in vmcs12.c's vmcs12_field_offsets[] (6.1.192 lines 13, 42, "
     "52, 53, 64 for the fields seen) exists whatever nested_vmx_setup_ctls_msrs() offers. Applied only when VMREAD and "
     "VMWRITE of such a field both succeed"},
    {"kvm-*", "vmcs.field-missing",
     "SDM Vol. 3D Appendix B (B.2.1 executive-VMCS pointer, B.3.3 guest SMBASE, B.4.1 CR3-target values 0-3, B.4.2 I/O RCX/RSI/RDI/RIP): "
     "fields without a feature condition exist on every VMX processor; Vol. 3C 25.6.7: the VMCS has 4 CR3-target values",
     "KVM (Linux 6.1.192, 6.12.118) fails VMREAD and VMWRITE of EXECUTIVE_VMCS_POINTER, GUEST_SMBASE, CR3_TARGET_VALUE0-3, "
     "IO_RCX, IO_RSI, IO_RDI and IO_RIP with VMfailValid(12)",
     "arch/x86/kvm/vmx/vmcs12.c vmcs12_field_offsets[] has no row for these encodings (vmcs12.h line 85 in 6.1.192 and 6.12.118: "
     "`natural_width dead_space[4]; /* Last remnants of cr3_target_value[0-3]. */`), so get_vmcs12_field_offset() returns -ENOENT "
     "and nested.c handle_vmread()/handle_vmwrite() `return nested_vmx_fail(vcpu, VMXERR_UNSUPPORTED_VMCS_COMPONENT);` "
     "(6.1.192 lines 5438 and 5562, 6.12.118 lines 5633 and 5757). Applied only to these fields (x86/vmx.cc "
     "kKvmVmcs12Missing) when VMREAD and VMWRITE both fail with 12"},
    {"kvm-*@bochs-*", "ept.walk-a-flag-write",
     "SDM Vol. 3C 29.3.3.2: processor writes of guest paging-structure A/D flags are data writes",
     "Bochs 2.7 deviation passed through KVM: no EPT violation for an A/D write to a read-only guest paging page",
     "KVM's shadow EPT (vmcs02) maps the page read-only like L1's EPT12; L2's walk and A/D write are done by the Bochs CPU, "
     "which does not check EPT write permission (Bochs row ept.walk-a-flag-write), so no EPT violation reaches KVM or L1"},
    {"kvm-*@bochs-*", "ept.ad-walk-qual-read-bit",
     "SDM Vol. 3C 28.2.1, Table 28-7 note: with EPT A/D a violating guest paging-structure access sets bits 0 and 1",
     "Bochs 2.7 deviation passed through KVM: only bit 1 (write) in L1's exit qualification",
     "Linux vmx.c handle_ept_violation() turns the hardware qualification's access bits into the page-fault error code and "
     "mmu/paging_tmpl.h walk_addr_generic() builds L1's qualification from it; the hardware (Bochs, row ept.ad-walk-qual-read-bit) "
     "reported only bit 1"},
    {"kvm-*@bochs-*", "entry.guest-rip-canonical",
     "SDM Vol. 3C 27.3.1.4: for a 64-bit guest (IA-32e mode, CS.L=1) bits 63:N of guest RIP must be identical",
     "Bochs 2.7 deviation passed through KVM: the entry succeeds and L2 takes #GP on its first fetch",
     "KVM checks guest RIP of vmcs12 only by the hardware entry of vmcs02 (nested.c nested_vmx_check_guest_state() has no RIP "
     "check, kvm_intel nested_early_check=N); the hardware is Bochs (row entry.guest-rip-canonical), which enters"},
    {"kvm-*@bochs-2.7*", "entry.urg-cs-rpl",
     "SDM Vol. 3C 27.3.1.2: a non-conforming CS needs DPL = SS.DPL; CS.RPL is not checked",
     "Bochs 2.7 deviation passed through KVM: entry of a real-mode guest with CS.RPL != 0 fails (exit 33)",
     "KVM checks the segment registers of vmcs12 only by the hardware entry of vmcs02 (kvm_intel nested_early_check=N; "
     "nested.c nested_vmx_check_guest_state() has no segment checks) and reflects that failed entry to L1; the hardware is "
     "Bochs (row entry.urg-cs-rpl)"},
};
constexpr unsigned kErrataCount = array_size(kErrata);

namespace {
// True when a blank-separated backend list has a pattern that starts with
// word ("bochs...", "kvm..."; "kvm-*@bochs-2.7*" starts with kvm).
constexpr bool names_backend(const char* list, const char* word)
{
    for (const char* p = list; *p; ++p) {
        if (p != list && p[-1] != ' ')
            continue;
        const char* w = word;
        const char* q = p;
        while (*w && *q == *w)
            ++q, ++w;
        if (!*w && (*q == '-' || *q == '<' || *q == '>' || *q == '=' || *q == '@' || *q == ' ' || !*q))
            return true;
    }
    return false;
}
// Every Bochs row names the Bochs source that causes it, every KVM row the
// Linux source (per version read).
constexpr bool rows_have_causes(const char* word)
{
    for (const Erratum& e : kErrata)
        if (names_backend(e.backends, word) && (!e.cause || !*e.cause))
            return false;
    return true;
}
static_assert(names_backend("bochs-2.7*", "bochs") && names_backend("qemu-kvm bochs", "bochs") &&
              !names_backend("kvm-*@bochs-2.7*", "bochs") && names_backend("kvm<6.10", "kvm") &&
              !names_backend("qemu-kvm", "kvm"));
static_assert(rows_have_causes("bochs"), "a Bochs erratum needs its Bochs 2.7 source cause (Erratum::cause)");
static_assert(rows_have_causes("kvm"), "a KVM erratum needs its Linux source cause per version (Erratum::cause)");
} // namespace

const char* known_deviation(const char* id)
{
    static char text[256];
    const char* backend = run_options().backend;
    if (!backend)
        return nullptr;
    for (const Erratum& e : kErrata) {
        if (strcmp(e.id, id) == 0 && backend_in_list(e.backends, backend)) {
            snformat(text, sizeof(text), "errata: %s (%s)", e.what, e.sdm);
            return text;
        }
    }
    return nullptr;
}

const char* known_hang(const char* id)
{
    static char text[320];
    const char* backend = run_options().backend;
    if (!backend)
        return nullptr;
    for (const Erratum& e : kErrata) {
        if (e.hangs && strcmp(e.id, id) == 0 && backend_in_list(e.backends, backend)) {
            snformat(text, sizeof(text), "known hang, errata %s: %s (%s)", e.id, e.what, e.sdm);
            return text;
        }
    }
    return nullptr;
}

