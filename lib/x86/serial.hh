// 16550 UART on COM1 (0x3f8), 115200 8N1, polled, sent in FIFO-sized bursts.
#pragma once

// Programs COM1: 115200 baud, 8N1, FIFOs on, interrupts off. Bursts of 16
// bytes when the UART reports a working FIFO (IIR[7:6] = 11), else 1.
void serial_init();
// Queues one byte; the queue goes out (one THRE wait, one `rep outsb`) when
// it holds a burst or the byte is a newline: one LSR read per burst instead
// of one per byte. (KVM still completes a `rep outsb` to a port with one
// exit to user space per byte; a virtio console is what avoids that, see
// lib/x86/virtio_console.hh.)
void serial_putc(char c);
// Sends what is queued and waits until the transmitter is completely idle
// (LSR.TEMT), so no byte is lost when the emulator is shut down right after.
void serial_drain();
