// IDT and TSS setup.
#include "x86/desc.hh"
#include "string.hh"
#include "x86/cpu.hh"

extern "C" u64 gdt64[];
extern "C" const u64 isr_table[32];

namespace {

struct [[gnu::packed]] Tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
};
static_assert(sizeof(Tss) == 104);

struct IdtGate {
    u16 offset0;
    u16 selector;
    u8 ist;
    u8 type_attr;
    u16 offset1;
    u32 offset2;
    u32 reserved;
};
static_assert(sizeof(IdtGate) == 16);

alignas(16) Tss g_tss;
alignas(16) IdtGate g_idt[256];
alignas(16) u8 g_ist_stack[16384];

void set_gate(unsigned vector, u64 handler, u8 ist)
{
    g_idt[vector] = IdtGate{static_cast<u16>(handler), sel::KERNEL_CS, ist, 0x8e,
                            static_cast<u16>(handler >> 16), static_cast<u32>(handler >> 32), 0};
}

} // namespace

void desc_init()
{
    memset(&g_tss, 0, sizeof(g_tss));
    g_tss.ist[0] = reinterpret_cast<u64>(g_ist_stack + sizeof(g_ist_stack));
    g_tss.iomap_base = sizeof(Tss);
    u64 base = reinterpret_cast<u64>(&g_tss);
    u64 limit = sizeof(Tss) - 1;
    // 64-bit available TSS descriptor (type 9, present), 16 bytes.
    gdt64[sel::TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                          (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt64[sel::TSS / 8 + 1] = base >> 32;
    asm volatile("ltr %w0" ::"r"(sel::TSS));

    for (unsigned v = 0; v < 32; v++) {
        bool needs_own_stack = v == 2 || v == 8 || v == 18; // NMI, #DF, #MC
        set_gate(v, isr_table[v], needs_own_stack ? 1 : 0);
    }
    DescriptorTablePointer idtr{sizeof(g_idt) - 1, reinterpret_cast<u64>(g_idt)};
    asm volatile("lidt %0" ::"m"(idtr));
}

u64 tss_base() { return reinterpret_cast<u64>(&g_tss); }
