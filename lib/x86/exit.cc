// The one place that maps ExitStatus to each backend's exit mechanism.
#include "x86/exit.hh"
#include "console.hh"
#include "x86/io.hh"

void coverage_dump(); // weak hook, provided by coverage builds

[[gnu::weak]] void coverage_dump() {}

void exit(ExitStatus status)
{
    asm volatile("cli");
    coverage_dump();
    auto code = static_cast<unsigned>(status);
    // Always raw: the marker must start a line even in TAP mode.
    console_end_line();
    const FmtArg args[] = {FmtArg(code)};
    format_to(console_raw(), "EXIT: STATUS=%u\n", args, 1);
    console_drain(); // the virtio queue, then the UART
    outl(0xf4, code); // QEMU: isa-debug-exit -> exit((code << 1) | 1)
    for (const char* p = "Shutdown"; *p; p++)
        outb(0x8900, static_cast<u8>(*p)); // Bochs
    for (;;)
        asm volatile("cli; hlt");
}
