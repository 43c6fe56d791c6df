// PCI configuration mechanism #1 (0xCF8 address, 0xCFC data).
#include "x86/pci.hh"
#include "x86/io.hh"

namespace {
constexpr u16 CONFIG_ADDRESS = 0xcf8, CONFIG_DATA = 0xcfc;

// Selects the dword of function f holding byte off (bus 0).
void select(PciFunction f, u8 off)
{
    outl(CONFIG_ADDRESS, 0x80000000u | u32(f.slot) << 11 | u32(f.func) << 8 | (off & 0xfcu));
}
} // namespace

u32 pci_read32(PciFunction f, u8 off)
{
    select(f, off);
    return inl(CONFIG_DATA);
}

u16 pci_read16(PciFunction f, u8 off)
{
    select(f, off);
    return inw(static_cast<u16>(CONFIG_DATA + (off & 2)));
}

void pci_write16(PciFunction f, u8 off, u16 v)
{
    select(f, off);
    outw(static_cast<u16>(CONFIG_DATA + (off & 2)), v);
}

bool pci_find(u16 vendor, u16 device, PciFunction* out)
{
    for (u8 slot = 0; slot < 32; slot++) {
        PciFunction f0{slot, 0};
        u32 id = pci_read32(f0, pci::VENDOR_ID);
        if ((id & 0xffff) == 0xffff)
            continue;
        u8 nfunc = (pci_read16(f0, pci::HEADER_TYPE) & 0x80) ? 8 : 1;
        for (u8 func = 0; func < nfunc; func++) {
            PciFunction f{slot, func};
            id = func == 0 ? id : pci_read32(f, pci::VENDOR_ID);
            if ((id & 0xffff) == vendor && (id >> 16) == device) {
                *out = f;
                return true;
            }
        }
    }
    return false;
}
