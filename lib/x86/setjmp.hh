// Non-local return for recovering from an unexpected exception in a test case.
#pragma once
#include "types.hh"

struct JmpBuf {
    u64 regs[8];
};

extern "C" {
// Returns 0 when saving, the longjmp value (never 0) when resumed.
[[gnu::returns_twice]] int nvmx_setjmp(JmpBuf* buf);
[[noreturn]] void nvmx_longjmp(JmpBuf* buf, int value);
}
