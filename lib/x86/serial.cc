// COM1 driver.
#include "x86/serial.hh"
#include "x86/io.hh"

namespace {
constexpr u16 COM1 = 0x3f8;
constexpr u16 THR = 0, IER = 1, FCR = 2, IIR = 2, LCR = 3, MCR = 4, LSR = 5, DLL = 0, DLM = 1;
constexpr u8 LSR_THRE = 1 << 5, LSR_TEMT = 1 << 6, IIR_FIFO_ON = 0xc0;
constexpr usize kFifoBytes = 16;

usize g_burst = 1; // bytes written per THRE wait (1 until serial_init saw a FIFO)
char g_queue[kFifoBytes];
usize g_queued = 0;

// Waits (bounded) for LSR bits MASK: THRE = the transmit FIFO is empty.
void wait_lsr(u8 mask, unsigned max_spins)
{
    for (unsigned spins = 0; !(inb(COM1 + LSR) & mask) && spins < max_spins; spins++)
        asm volatile("pause");
}

// Sends the queue: with THRE set the FIFO takes g_burst bytes at once.
void send_queue()
{
    if (g_queued == 0)
        return;
    wait_lsr(LSR_THRE, 1000000);
    const char* p = g_queue;
    usize n = g_queued;
    asm volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(static_cast<u16>(COM1 + THR)) : "memory");
    g_queued = 0;
}
} // namespace

void serial_init()
{
    send_queue();
    outb(COM1 + IER, 0x00);
    outb(COM1 + LCR, 0x80); // DLAB on
    outb(COM1 + DLL, 0x01); // divisor 1: 115200 baud
    outb(COM1 + DLM, 0x00);
    outb(COM1 + LCR, 0x03); // 8N1, DLAB off
    outb(COM1 + FCR, 0x07); // FIFO on, clear both
    outb(COM1 + MCR, 0x03); // DTR, RTS
    g_burst = (inb(COM1 + IIR) & IIR_FIFO_ON) == IIR_FIFO_ON ? kFifoBytes : 1;
}

void serial_putc(char c)
{
    g_queue[g_queued++] = c;
    if (g_queued >= g_burst || c == '\n')
        send_queue();
}

void serial_drain()
{
    send_queue();
    wait_lsr(LSR_TEMT, 10000000);
}
