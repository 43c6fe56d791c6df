// Console sinks over the serial port.
#include "console.hh"
#include "x86/serial.hh"

namespace {
bool g_tap = false;
bool g_line_start = true;

void raw_put(void*, char c)
{
    if (c == '\n')
        serial_putc('\r');
    serial_putc(c);
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
