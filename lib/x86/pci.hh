// PCI configuration space through the legacy ports 0xCF8/0xCFC (mechanism
// #1), bus 0 only: enough to find a device QEMU puts on its root bus.
#pragma once
#include "types.hh"

// One PCI function on bus 0.
struct PciFunction {
    u8 slot = 0; // 0..31
    u8 func = 0; // 0..7
};

namespace pci {
constexpr u8 VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, HEADER_TYPE = 0x0e, BAR0 = 0x10;
constexpr u16 CMD_IO = 1 << 0, CMD_BUS_MASTER = 1 << 2;
constexpr u32 BAR_IO = 1 << 0;
} // namespace pci

// Config reads/writes of function f at byte offset off (naturally aligned).
[[nodiscard]] u32 pci_read32(PciFunction f, u8 off);
[[nodiscard]] u16 pci_read16(PciFunction f, u8 off);
void pci_write16(PciFunction f, u8 off, u16 v);

// Finds the first function on bus 0 with vendor:device. Reads each slot's
// vendor ID (all ones where nothing answers, also on a machine without PCI).
[[nodiscard]] bool pci_find(u16 vendor, u16 device, PciFunction* out);
