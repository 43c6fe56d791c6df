# probe.flat: booted by run_tests.sh to learn whether a backend really runs a
# kernel (KVM, and KVM with nested VMX). Prints what the guest's CPUID says.
    .include "mini.inc"

main:
    mov $msg_head, %esi
    call puts
    call probe_exceptions       # a backend that can't deliver #BP/#UD crashes here
    mov $msg_exc, %esi
    call puts
    xor %ecx, %ecx
    mov $1, %eax
    cpuid
    mov $msg_vmx0, %esi
    test $0x20, %ecx            # CPUID.01H:ECX.VMX[bit 5]
    jz 1f
    mov $msg_vmx1, %esi
1:  call puts
    mov $msg_tail, %esi
    call puts
    xor %al, %al
    jmp exit_with

# Installs IDT gates for #BP (trap: IRET resumes after INT3) and #UD (the
# handler skips the 2-byte UD2) on the current CS, then raises both. Test
# kernels rely on exception delivery from their first case on, so "KVM runs
# a kernel" must include it (a paravirtual KVM seen here dies on INT3).
probe_exceptions:
    mov %cs, %ax
    movzwl %ax, %eax
    shl $16, %eax
    mov $probe_bp, %edx
    mov %edx, %ecx
    and $0xffff, %edx
    or %eax, %edx
    mov %edx, probe_idt + 3 * 8
    and $0xffff0000, %ecx
    or $0x8e00, %ecx
    mov %ecx, probe_idt + 3 * 8 + 4
    mov $probe_ud, %edx
    mov %edx, %ecx
    and $0xffff, %edx
    or %eax, %edx
    mov %edx, probe_idt + 6 * 8
    and $0xffff0000, %ecx
    or $0x8e00, %ecx
    mov %ecx, probe_idt + 6 * 8 + 4
    lidt probe_idt_ptr
    int3
    ud2
    ret
probe_bp:
    iret
probe_ud:
    addl $2, (%esp)
    iret

    .data
    .align 8
probe_idt:
    .fill 16, 8, 0
probe_idt_ptr:
    .word 16 * 8 - 1
    .long probe_idt
msg_exc: .asciz "# probe: exceptions=ok\n"
msg_head: .asciz "TAP version 13\n# nvmx probe kernel\n"
msg_vmx0: .asciz "# probe: vmx=0\n"
msg_vmx1: .asciz "# probe: vmx=1\n"
msg_tail: .asciz "ok 1 - probe: boot\n1..1\n"
