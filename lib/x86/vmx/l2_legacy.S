/*
 * L2 code for legacy-mode guests (unrestricted guest tests): a 16-bit
 * real-mode stub and a 32-bit protected-mode stub. Both are position
 * independent: the real-mode stub runs with CS.base at (or below) its
 * address, the protected-mode stub with flat segments at its address.
 *
 * l2_real_stub (16-bit, CR0.PE=0):
 *   ax <- 0x1234, bx <- cs, ecx <- cr0, dx <- word at DS:0,
 *   VMCALL (l2_real_vmcall), then ax += 1 and VMCALL again, then hlt.
 * l2_prot_stub (32-bit, CR0.PE=1, PG=0), esi = a flat data address:
 *   eax <- 0x5678abcd, ecx <- cr0, edx <- dword at [esi],
 *   VMCALL (l2_prot_vmcall), then hlt.
 */
    .text
    .code16
    .globl l2_real_stub, l2_real_vmcall, l2_real_vmcall2
l2_real_stub:
    mov $0x1234, %ax
    mov %cs, %bx
    mov %cr0, %ecx
    mov %ds:0, %dx
l2_real_vmcall:
    vmcall
    inc %ax
l2_real_vmcall2:
    vmcall
1:  hlt
    jmp 1b

    .code32
    .globl l2_prot_stub, l2_prot_vmcall
l2_prot_stub:
    mov $0x5678abcd, %eax
    mov %cr0, %ecx
    mov (%esi), %edx
l2_prot_vmcall:
    vmcall
2:  hlt
    jmp 2b
    .code64

    .section .note.GNU-stack, "", @progbits
