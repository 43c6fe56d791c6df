// Small L2 guest bodies shared by the VMX test kernels.
#pragma once
#include "types.hh"

// Does nothing: the guest returns at once (VMCALL GUEST_DONE).
void l2_nothing(u64);
// Executes VMCALL with rax = arg, then returns.
void l2_vmcall(u64 arg);
