// COM1 driver.
#include "x86/serial.hh"
#include "x86/io.hh"

namespace {
constexpr u16 COM1 = 0x3f8;
constexpr u16 THR = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5, DLL = 0, DLM = 1;
constexpr u8 LSR_THRE = 1 << 5, LSR_TEMT = 1 << 6;
} // namespace

void serial_init()
{
    outb(COM1 + IER, 0x00);
    outb(COM1 + LCR, 0x80); // DLAB on
    outb(COM1 + DLL, 0x01); // divisor 1: 115200 baud
    outb(COM1 + DLM, 0x00);
    outb(COM1 + LCR, 0x03); // 8N1, DLAB off
    outb(COM1 + FCR, 0x07); // FIFO on, clear both
    outb(COM1 + MCR, 0x03); // DTR, RTS
}

void serial_putc(char c)
{
    for (unsigned spins = 0; !(inb(COM1 + LSR) & LSR_THRE) && spins < 1000000; spins++)
        asm volatile("pause");
    outb(COM1 + THR, static_cast<u8>(c));
}

void serial_drain()
{
    for (unsigned spins = 0; !(inb(COM1 + LSR) & LSR_TEMT) && spins < 10000000; spins++)
        asm volatile("pause");
}
