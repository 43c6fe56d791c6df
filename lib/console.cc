// Console sinks over the virtio console when there is one (QEMU with
// virtio-serial-pci + virtconsole), else the serial port.
#include "console.hh"
#include "x86/serial.hh"
#include "x86/virtio_console.hh"

namespace {
bool g_tap = false;
bool g_line_start = true;

// One byte to the console device.
void device_put(char c)
{
    if (virtio_console_active())
        virtio_console_putc(c);
    else
        serial_putc(c);
}

void raw_put(void*, char c)
{
    if (c == '\n')
        device_put('\r');
    device_put(c);
    g_line_start = c == '\n';
}

void text_put(void*, char c)
{
    if (g_tap && g_line_start) {
        raw_put(nullptr, '#');
        raw_put(nullptr, ' ');
    }
    raw_put(nullptr, c);
}

const Sink raw_sink{raw_put, nullptr};
const Sink text_sink{text_put, nullptr};
} // namespace

void console_init()
{
    serial_init();
    // Bytes queued for the UART go out before the switch, so they stay first.
    serial_drain();
    (void)virtio_console_init();
}

const char* console_device()
{
    return virtio_console_active() ? virtio_console_describe() : nullptr;
}

void console_drain()
{
    virtio_console_drain();
    serial_drain();
}

void console_set_tap(bool on) { g_tap = on; }
bool console_tap() { return g_tap; }
const Sink& console_raw() { return raw_sink; }
const Sink& console_text() { return text_sink; }

void puts(const char* s)
{
    while (*s)
        text_put(nullptr, *s++);
}

void console_end_line()
{
    if (!g_line_start)
        raw_put(nullptr, '\n');
}
