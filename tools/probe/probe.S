# probe.flat: booted by run_tests.sh to learn whether a backend really runs a
# kernel (KVM, and KVM with nested VMX). Prints what the guest's CPUID says.
    .include "mini.inc"

main:
    mov $msg_head, %esi
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

    .data
msg_head: .asciz "TAP version 13\n# nvmx probe kernel\n"
msg_vmx0: .asciz "# probe: vmx=0\n"
msg_vmx1: .asciz "# probe: vmx=1\n"
msg_tail: .asciz "ok 1 - probe: boot\n1..1\n"
