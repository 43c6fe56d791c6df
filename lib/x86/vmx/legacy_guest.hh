// Guest state for an L2 outside IA-32e mode, for unrestricted-guest tests
// (SDM Vol. 3C 27.3.1): real mode (CR0.PE=0, PG=0) running the 16-bit stub
// l2_real_stub, and unpaged protected mode (PE=1, PG=0) running the 32-bit
// stub l2_prot_stub (both in l2_legacy.S).
#pragma once
#include "types.hh"
#include "x86/addr.hh"

extern "C" char l2_real_stub[], l2_real_vmcall[], l2_real_vmcall2[];
extern "C" char l2_prot_stub[], l2_prot_vmcall[];

struct Seg {
    u16 sel;
    u64 base;
    u32 limit;
    u32 ar; // VMCS access-rights format
};

// CR0/CR4, RIP/RSP, CS, SS and one data segment used for DS/ES/FS/GS.
struct LegacyState {
    u64 cr0, cr4, rip, rsp;
    Seg cs, ss, ds;
};

// Real mode running l2_real_stub: CS.base is the stub's 64-byte-aligned
// paragraph (IP = the stub's offset in it), SS:SP = stack:0xff0, DS = data;
// selectors are base >> 4 with RPL 0 (outside virtual-8086 mode VM entry
// does not tie base and selector together, 27.3.1.2). CR0 is L1's with PE
// and PG cleared, CR4 only what VMX operation requires (FIXED0).
LegacyState real_mode_state(PhysAddr data, PhysAddr stack);

// Unpaged 32-bit protected mode running l2_prot_stub with flat 4 GiB
// segments (CS 0x18, data 0x10) and RSP at the top of stack.
LegacyState protected_mode_state(PhysAddr stack);

// Writes s into the current VMCS, clears the 'IA-32e mode guest' entry
// control and, where the VMCS loads IA32_EFER, the guest EFER.LME/LMA.
// False (with an ERROR reported) when a VMWRITE fails.
[[nodiscard]] bool load_legacy_state(const LegacyState& s);
