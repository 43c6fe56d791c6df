// Descriptor tables: the boot GDT (boot.S), a TSS with an IST stack for
// double faults/NMIs, and the IDT with the exception stubs of isr.S.
#pragma once
#include "types.hh"

namespace sel {
constexpr u16 KERNEL_CS = 0x08, KERNEL_DS = 0x10, KERNEL_CS32 = 0x18, KERNEL_CS16 = 0x20,
              TSS = 0x28, USER_CS = 0x3b, USER_DS = 0x43;
}

// Loads the TSS and IDT. Assumes the boot GDT is live.
void desc_init();

// Base address of the TSS (for VMCS host state).
u64 tss_base();
