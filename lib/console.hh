// Console output: the virtio console when QEMU has one, else COM1. In TAP
// mode, free text is turned into TAP comment lines ("# ...") so that the
// stream stays valid TAP13; report lines are written raw through
// console_raw().
#pragma once
#include "format.hh"

// Programs COM1, then switches to a virtio console if there is one
// (lib/x86/virtio_console.hh). Runs once, first thing at boot.
void console_init();
// The virtio console's description when output goes there, else nullptr
// (COM1, as on Bochs).
[[nodiscard]] const char* console_device();
// Waits until every byte written so far has left the guest (before exit).
void console_drain();

// Selects TAP mode: every line of free text gets a "# " prefix.
void console_set_tap(bool on);
bool console_tap();

// Sink for raw, unprefixed output (TAP result lines).
const Sink& console_raw();

// Sink for free text (prefixed with "# " at line starts in TAP mode).
const Sink& console_text();

template <class... Args>
void printf(const char* fmt, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        format_to(console_text(), fmt, nullptr, 0);
    } else {
        const FmtArg list[] = {FmtArg(args)...};
        format_to(console_text(), fmt, list, sizeof...(Args));
    }
}

void puts(const char* s);

// Ends the current line if something was printed on it.
void console_end_line();
