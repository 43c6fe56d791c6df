/*
 * Multiboot v1 entry. The loader enters in 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = multiboot info. We zero .bss, identity-map the first
 * 4 GiB with 2 MiB pages, enter long mode and call kernel_entry(mbinfo).
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, want memory info */

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .text.boot, "ax"
    .code32
    .globl start
start:
    cli
    cld
    mov %ebx, %esi                  /* keep the multiboot info pointer */
    mov $boot_stack_top, %esp

    /* zero .bss (page tables and stacks live there) */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl

    /* PML4[0] -> PDPT; PDPT[0..3] -> 4 page directories of 2 MiB pages */
    mov $boot_pdpt, %eax
    or $0x3, %eax
    mov %eax, boot_pml4
    mov $boot_pd, %eax
    or $0x3, %eax
    xor %ecx, %ecx
1:  mov %eax, boot_pdpt(, %ecx, 8)
    add $0x1000, %eax
    inc %ecx
    cmp $4, %ecx
    jne 1b
    xor %ecx, %ecx                   /* entry index 0..2047 */
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                   /* P | RW | PS */
    mov %eax, boot_pd(, %ecx, 8)
    mov %ecx, %eax
    shr $11, %eax                    /* address bits 32+ */
    mov %eax, boot_pd + 4(, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jne 2b

    mov %cr4, %eax
    or $0x20, %eax                   /* PAE */
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx            /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    and $0x9fffffff, %eax            /* caches on: clear CD, NW */
    or $0x80010023, %eax             /* PG | WP | NE | MP | PE */
    mov %eax, %cr0

    lgdt gdt64_ptr
    ljmp $0x08, $start64

    .code64
start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov $boot_stack_top, %rsp
    xor %ebp, %ebp                   /* terminates backtraces */
    mov %esi, %edi                   /* zero-extends: mbinfo is below 4 GiB */
    call kernel_entry
3:  cli
    hlt
    jmp 3b

    .section .data
    .balign 16
    .globl gdt64
gdt64:
    .quad 0                          /* 0x00 null */
    .quad 0x00af9b000000ffff         /* 0x08 64-bit code, DPL0 */
    .quad 0x00cf93000000ffff         /* 0x10 data, DPL0 */
    .quad 0x00cf9b000000ffff         /* 0x18 32-bit code, DPL0 */
    .quad 0x008f9b000000ffff         /* 0x20 16-bit code */
    .quad 0, 0                       /* 0x28 TSS, filled by desc.cc */
    .quad 0x00affb000000ffff         /* 0x38 64-bit code, DPL3 */
    .quad 0x00cff3000000ffff         /* 0x40 data, DPL3 */
    .globl gdt64_end
gdt64_end:
    .globl gdt64_ptr
gdt64_ptr:
    .word gdt64_end - gdt64 - 1
    .quad gdt64

    .section .bss
    .balign 4096
    .globl boot_pml4
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4 * 4096
    .balign 16
boot_stack: .skip 32768
    .globl boot_stack_top
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
