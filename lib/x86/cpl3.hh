// Running one instruction at CPL 3 in L1 (for the #GP(0) checks of VMX
// instructions at CPL > 0). For the duration of the call the pages of the
// stub and of a user stack get U/S = 1 along their whole walk, CR4.SMEP/SMAP
// are cleared and TSS.RSP0 points at the current kernel stack; all of it is
// restored before returning. The stub ends in UD2, whose #UD (from CPL 3)
// brings the CPU back to CPL 0. Assumes L1's identity paging and IF = 0.
#pragma once
#include "types.hh"
#include "x86/fault.hh"

struct [[nodiscard]] Cpl3Result {
    bool ran;    // false: the user mapping could not be set up
    Fault fault; // what the instruction raised (none if it completed)
};

// INVVPID type, {vpid, linear} executed at CPL 3.
Cpl3Result run_invvpid_at_cpl3(u64 type, u16 vpid, u64 linear);
// INVEPT type, {eptp, 0} executed at CPL 3.
Cpl3Result run_invept_at_cpl3(u64 type, u64 eptp);
