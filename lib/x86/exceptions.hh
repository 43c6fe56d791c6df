// Exception dispatch: fixups (fault.hh) first, then per-vector handlers that
// tests may install, then the "unexpected exception" path that prints the
// vector, error code, registers and a backtrace, and either recovers to the
// running test case (see set_recovery_point) or ends the kernel.
#pragma once
#include "types.hh"
#include "x86/setjmp.hh"

// Register state pushed by isr.S; handlers may modify it before IRET.
struct ExceptionFrame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector, error_code;
    u64 rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(ExceptionFrame) == 22 * 8);

// A handler returns true when it handled the exception (the frame is resumed).
using ExceptionHandler = bool (*)(ExceptionFrame& frame);

// Installs handler for vector and returns the previous one (nullptr = none).
ExceptionHandler set_exception_handler(u8 vector, ExceptionHandler handler);

// What an unexpected exception looked like, recorded for the recovery point.
struct UnexpectedException {
    u8 vector;
    u64 error_code, rip, cr2;
};

// While set, an unexpected exception is printed, stored in *info and resumed
// at buf with nvmx_longjmp(buf, 1); the point is cleared when it fires.
void set_recovery_point(JmpBuf* buf, UnexpectedException* info);
void clear_recovery_point();

// Prints "STACK: rip ret1 ret2 ..." walking the frame-pointer chain from rbp.
void print_backtrace(u64 rip, u64 rbp);

// Prints the frame in human form (vector by name, error code, GPRs, CR2).
void dump_exception_frame(const ExceptionFrame& frame);
