// Transmit-only driver of a legacy (transitional) virtio-pci console, QEMU's
// `-device virtio-serial-pci -device virtconsole`: port 0 without MULTIPORT,
// transmitq = queue 1. Under KVM every UART byte is an exit to QEMU; here one
// notify (one outw) sends a whole line. virtio 1.x, "Legacy Interface".
#pragma once

// Finds vendor 0x1af4 device 0x1003 on PCI bus 0 and sets up its transmit
// queue (static, identity-mapped ring and buffers, no features, no
// interrupts). False, with the device untouched or reset to FAILED, when
// there is none or it does not look like the legacy device.
[[nodiscard]] bool virtio_console_init();
// True once virtio_console_init() succeeded.
[[nodiscard]] bool virtio_console_active();
// Where the console is, for a diagnostic: "virtio-console (PCI 00:SS.F, I/O 0xPORT)".
const char* virtio_console_describe();
// Appends one byte; the buffer goes to the device at a newline or when full.
// Waits for the device only when every buffer is in flight.
void virtio_console_putc(char c);
// Sends the partial buffer and waits until the device has used every buffer.
void virtio_console_drain();
