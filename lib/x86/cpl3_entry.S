/*
 * CPL 3 trampolines for lib/x86/cpl3.cc (cpl3.hh).
 *
 * u64 cpl3_enter(u64 rip, u64 user_rsp, u64 arg0, u64 arg1)
 *   Saves the callee-saved registers, stores RSP in cpl3_kernel_rsp (the
 *   caller has set TSS.RSP0 below it) and IRETQs to rip at CPL 3 with
 *   rdi = arg0, rsi = arg1. The #UD handler of cpl3.cc resumes at
 *   cpl3_return (CPL 0), which reloads the saved state and returns.
 *
 * User stubs (CPL 3): rdi = type, rsi = descriptor address; the VMX
 * instruction is guarded by the exception table (label 1 -> 2), then UD2
 * at cpl3_stub_done returns to CPL 0.
 */
#define USER_CS 0x3b
#define USER_DS 0x43
#define KERNEL_DS 0x10

    .text
    .globl cpl3_enter, cpl3_return, cpl3_kernel_rsp
cpl3_enter:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, cpl3_kernel_rsp(%rip)
    pushq $USER_DS
    pushq %rsi                      /* user rsp */
    pushq $0x2                      /* RFLAGS: IF = 0 */
    pushq $USER_CS
    pushq %rdi                      /* user rip */
    mov %rdx, %rdi
    mov %rcx, %rsi
    iretq
cpl3_return:
    mov cpl3_kernel_rsp(%rip), %rsp
    mov $KERNEL_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .globl cpl3_invvpid, cpl3_invept, cpl3_stub_done
    .balign 64
cpl3_invvpid:
1:  invvpid (%rsi), %rdi
2:  jmp cpl3_stub_done
    .pushsection .ex_table, "a"
    .balign 8
    .quad 1b, 2b
    .popsection
cpl3_invept:
1:  invept (%rsi), %rdi
2:  jmp cpl3_stub_done
    .pushsection .ex_table, "a"
    .balign 8
    .quad 1b, 2b
    .popsection
cpl3_stub_done:
    ud2

    .bss
    .balign 8
cpl3_kernel_rsp:
    .quad 0

    .section .note.GNU-stack, "", @progbits
