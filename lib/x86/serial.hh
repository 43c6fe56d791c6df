// 16550 UART on COM1 (0x3f8), 115200 8N1, polled.
#pragma once

// Programs COM1: 115200 baud, 8N1, FIFOs on, interrupts off.
void serial_init();
// Sends one byte, waiting for the transmit holding register to empty.
void serial_putc(char c);
// Waits until the transmitter is completely idle (LSR.TEMT), so no byte is
// lost when the emulator is shut down right after.
void serial_drain();
