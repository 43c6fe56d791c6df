/*
 * VM entry/exit trampolines.
 *
 * int vmx_enter(GuestRegs *regs, int resume)
 *   Saves the host's callee-saved registers, stores RSP into HOST_RSP, loads
 *   the guest GPRs from *regs and executes VMLAUNCH (resume == 0) or
 *   VMRESUME. If the instruction fails (VMfail), it returns the flags as
 *   (CF ? 1 : 0) | (ZF ? 2 : 0). On a VM exit the CPU lands at vmx_exit_entry
 *   (HOST_RIP) with RSP = HOST_RSP; the guest GPRs are stored back into
 *   *regs and vmx_enter returns 0.
 *
 * GuestRegs layout: rax rbx rcx rdx rsi rdi rbp r8 .. r15 (8 bytes each).
 */
#define HOST_RSP_FIELD 0x6c14

    .text
    .globl vmx_enter
vmx_enter:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                       /* regs pointer, found again at exit */
    mov $HOST_RSP_FIELD, %eax
    vmwrite %rsp, %rax
    jbe 3f                          /* CF or ZF: the VMWRITE itself failed */
    mov %esi, %r15d                 /* resume flag (r15 is reloaded below) */
    mov 8(%rdi), %rbx
    mov 16(%rdi), %rcx
    mov 24(%rdi), %rdx
    mov 32(%rdi), %rsi
    mov 48(%rdi), %rbp
    mov 56(%rdi), %r8
    mov 64(%rdi), %r9
    mov 72(%rdi), %r10
    mov 80(%rdi), %r11
    mov 88(%rdi), %r12
    mov 96(%rdi), %r13
    mov 104(%rdi), %r14
    mov 0(%rdi), %rax
    test %r15d, %r15d
    mov 112(%rdi), %r15             /* mov leaves the flags alone */
    mov 40(%rdi), %rdi
    jnz 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  /* VMfail: fall through with CF/ZF set */
3:  setc %al
    setz %cl
    movzbl %al, %eax
    movzbl %cl, %ecx
    shl $1, %ecx
    or %ecx, %eax
    pop %rdi
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .globl vmx_exit_entry
vmx_exit_entry:
    push %rax                       /* guest rax */
    mov 8(%rsp), %rax               /* regs pointer */
    mov %rbx, 8(%rax)
    mov %rcx, 16(%rax)
    mov %rdx, 24(%rax)
    mov %rsi, 32(%rax)
    mov %rdi, 40(%rax)
    mov %rbp, 48(%rax)
    mov %r8, 56(%rax)
    mov %r9, 64(%rax)
    mov %r10, 72(%rax)
    mov %r11, 80(%rax)
    mov %r12, 88(%rax)
    mov %r13, 96(%rax)
    mov %r14, 104(%rax)
    mov %r15, 112(%rax)
    pop %rbx
    mov %rbx, 0(%rax)
    pop %rdi
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    xor %eax, %eax
    ret

/*
 * L2 entry: rdi = function, rsi = its argument. Calls fn(arg), then reports
 * completion with VMCALL (rax = GUEST_DONE) and halts if resumed again.
 */
#define GUEST_DONE 0x4e564d58444f4e45   /* "NVMXDONE" */
    .globl l2_trampoline
l2_trampoline:
    xor %ebp, %ebp
    mov %rdi, %rax
    mov %rsi, %rdi
    call *%rax
    movabs $GUEST_DONE, %rax
    vmcall
4:  hlt
    jmp 4b

    .section .note.GNU-stack, "", @progbits
