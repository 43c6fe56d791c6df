// Ending a test kernel with a status the runner can read on every backend.
#pragma once
#include "types.hh"

// The kernel's exit statuses (docs/contract.md).
enum class ExitStatus : u8 {
    Pass = 0,   // everything passed, skipped or failed as a known deviation
    Fail = 1,   // at least one unexpected failure
    Error = 2,  // bad command line or broken setup
    Skip = 77,  // every selected case was skipped
};

// Prints "EXIT: STATUS=n", drains COM1, then leaves through QEMU's
// isa-debug-exit (port 0xf4) and, failing that, Bochs' shutdown port 0x8900.
[[noreturn]] void exit(ExitStatus status);
