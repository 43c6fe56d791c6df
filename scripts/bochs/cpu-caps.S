/* Multiboot probe for scripts/bochs/cpu-caps.sh: prints CPUID.1:ECX and the
 * VMX capability MSRs the CPU model advertises as "NAME=HIGH:LOW" lines on COM1,
 * then "EXIT: STATUS=0" and shuts Bochs down. No IDT: it only reads MSRs that the
 * CPUID/VMX bits say exist. */
	.code32
	.section .mbh, "a"
	.align 4
	.long 0x1BADB002, 0, -0x1BADB002

	.text
	.globl _start
_start:
	mov $0x90000, %esp
	/* COM1: 115200 8N1 (Bochs' UART starts with 5 data bits) */
	mov $0x3fb, %dx; mov $0x80, %al; out %al, %dx
	mov $0x3f8, %dx; mov $1, %al; out %al, %dx
	mov $0x3f9, %dx; xor %al, %al; out %al, %dx
	mov $0x3fb, %dx; mov $3, %al; out %al, %dx

	mov $1, %eax; xor %ecx, %ecx; cpuid
	xor %edx, %edx; mov %ecx, %eax
	lea s_cpuid, %esi; call kv
	bt $5, %ecx; jnc done
	mov $0x480, %ecx; lea s_basic, %esi; call msr
	mov $0x481, %ecx; lea s_pin, %esi; call msr
	mov $0x482, %ecx; lea s_proc, %esi; call msr
	bt $31, %edx; jnc done
	mov $0x48b, %ecx; lea s_proc2, %esi; call msr
	test $0x22, %edx; jz done
	mov $0x48c, %ecx; lea s_ept, %esi; call msr
done:
	lea s_exit, %esi; call puts
	mov $0x3fd, %dx
1:	in %dx, %al; test $0x40, %al; jz 1b
	mov $0x8900, %dx; lea s_sd, %esi; mov $8, %ecx; rep outsb
2:	cli; hlt; jmp 2b

msr:	push %ecx
	push %esi
	rdmsr
	pop %esi
	call kv
	pop %ecx
	ret
/* prints "<esi>=EDX:EAX\n"; preserves ecx, edx */
kv:	push %edx
	push %eax
	call puts
	mov $'=', %al; call putc
	mov 4(%esp), %eax; call hex
	mov $':', %al; call putc
	mov (%esp), %eax; call hex
	mov $'\n', %al; call putc
	pop %eax
	pop %edx
	ret
hex:	push %ecx
	push %ebx
	mov %eax, %ebx
	mov $8, %ecx
3:	rol $4, %ebx
	mov %bl, %al
	and $15, %al
	add $'0', %al
	cmp $'9', %al
	jbe 4f
	add $7, %al
4:	call putc
	loop 3b
	pop %ebx
	pop %ecx
	ret
puts:	lodsb
	test %al, %al
	jz 5f
	call putc
	jmp puts
5:	ret
putc:	push %edx
	push %eax
	mov $0x3fd, %dx
6:	in %dx, %al
	test $0x20, %al
	jz 6b
	pop %eax
	mov $0x3f8, %dx
	out %al, %dx
	pop %edx
	ret

	.data
s_cpuid: .asciz "CPUID1_ECX"
s_basic: .asciz "VMX_BASIC"
s_pin:   .asciz "VMX_PINBASED"
s_proc:  .asciz "VMX_PROCBASED"
s_proc2: .asciz "VMX_PROCBASED2"
s_ept:   .asciz "VMX_EPT_VPID_CAP"
s_exit:  .asciz "EXIT: STATUS=0\n"
s_sd:    .ascii "Shutdown"
