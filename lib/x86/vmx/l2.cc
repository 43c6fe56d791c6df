// L2 bodies (run in VMX non-root operation).
#include "x86/vmx/l2.hh"

void l2_nothing(u64) {}

void l2_vmcall(u64 arg)
{
    asm volatile("vmcall" : "+a"(arg)::"memory", "rbx", "rcx", "rdx");
}
