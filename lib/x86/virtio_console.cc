// Legacy virtio-pci console, transmit queue only (see virtio_console.hh).
#include "x86/virtio_console.hh"
#include "format.hh"
#include "virtq_tx.hh"
#include "x86/addr.hh"
#include "x86/io.hh"
#include "x86/pci.hh"

namespace {
constexpr u16 VENDOR = 0x1af4, DEVICE_CONSOLE = 0x1003;
// Legacy I/O BAR registers (no MSI-X, so the device config follows at 0x14).
constexpr u16 HOST_FEATURES = 0x00, GUEST_FEATURES = 0x04, QUEUE_PFN = 0x08, QUEUE_NUM = 0x0c,
              QUEUE_SEL = 0x0e, QUEUE_NOTIFY = 0x10, STATUS = 0x12;
constexpr u8 S_ACKNOWLEDGE = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_FAILED = 0x80;
constexpr u16 TRANSMITQ = 1; // port 0's transmitq without VIRTIO_CONSOLE_F_MULTIPORT
constexpr u16 AVAIL_F_NO_INTERRUPT = 1;
constexpr u16 MAX_QUEUE = 256; // the ring below holds up to 256 entries
constexpr u16 BUFFERS = 8;
constexpr u32 BUFFER_BYTES = 1024;

struct Desc {
    u64 addr;
    u32 len;
    u16 flags;
    u16 next;
};
static_assert(sizeof(Desc) == 16);
struct UsedElem {
    u32 id;
    u32 len;
};
static_assert(sizeof(UsedElem) == 8);

// Legacy split ring, 4 KiB alignment: descriptors, avail ring, then the used
// ring on the next page. For 256 entries: 4 KiB + 518 B, used at 8 KiB.
constexpr usize RING_BYTES = 3 * PAGE_SIZE;
alignas(PAGE_SIZE) u8 g_ring[RING_BYTES];
alignas(64) char g_buf[BUFFERS][BUFFER_BYTES];

struct State {
    u16 io = 0;
    u16 qsize = 0;
    volatile Desc* desc = nullptr;
    volatile u16* avail = nullptr; // flags, idx, ring[qsize]
    volatile u16* used = nullptr;  // flags, idx, then UsedElem ring[qsize]
    VirtqTx ring{0, 0};
    int filling = -1; // buffer being filled, or -1
    u32 fill = 0;     // its bytes
    bool active = false;
    char name[64] = {};
};
State g;

// Compiler barrier: shared ring stores are not moved across it. x86 (TSO)
// keeps stores in order and loads in order, so this is all the driver needs
// between writing a ring entry and publishing its index, and between reading
// used.idx and the used elements it covers.
inline void barrier() { asm volatile("" ::: "memory"); }

volatile UsedElem* used_ring() { return reinterpret_cast<volatile UsedElem*>(g.used + 2); }

// Frees every buffer the device has returned. A used id that names no buffer
// in flight means the device (or the ring memory) is broken: stop using it.
void reap()
{
    u16 n = g.ring.new_used(g.used[1]);
    barrier();
    for (; n > 0; n--) {
        if (!g.ring.reap(used_ring()[g.ring.next_used_slot()].id)) {
            g.active = false;
            return;
        }
    }
}

// One poll step while the device holds every buffer: a port read, so that
// under KVM each step is an exit and L1 gets to run QEMU (with ioeventfd a
// notify only kicks QEMU's main loop; a guest spinning on memory alone,
// without PAUSE-loop exiting, kept Bochs' L1 from ever running it).
void poll_step() { (void)inb(static_cast<u16>(g.io + STATUS)); }

// Waits until a buffer is free.
void wait_free()
{
    for (reap(); g.active && !g.ring.has_free(); reap())
        poll_step();
}

// Hands the buffer being filled to the device: descriptor length, avail
// entry, avail.idx, then one notify.
void submit()
{
    if (g.filling < 0)
        return;
    u16 b = static_cast<u16>(g.filling);
    g.desc[b].len = g.fill;
    u16 slot = g.ring.publish(b);
    g.avail[2 + slot] = b;
    barrier();
    g.avail[1] = g.ring.avail_idx();
    barrier();
    outw(static_cast<u16>(g.io + QUEUE_NOTIFY), TRANSMITQ);
    g.filling = -1;
    g.fill = 0;
}

// Sets up ring memory for qsize entries: descriptor b -> buffer b, no
// interrupts wanted.
void setup_ring(u16 qsize)
{
    for (u8& byte : g_ring)
        byte = 0;
    g.qsize = qsize;
    g.desc = reinterpret_cast<volatile Desc*>(g_ring);
    g.avail = reinterpret_cast<volatile u16*>(g_ring + 16 * qsize);
    usize used_off = (16 * qsize + 6 + 2 * qsize + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    g.used = reinterpret_cast<volatile u16*>(g_ring + used_off);
    for (u16 b = 0; b < BUFFERS; b++) {
        g.desc[b].addr = ptr_to_phys(g_buf[b]).raw();
        g.desc[b].len = 0;
        g.desc[b].flags = 0; // device-readable, no next
        g.desc[b].next = 0;
    }
    g.avail[0] = AVAIL_F_NO_INTERRUPT;
    g.ring = VirtqTx(qsize, BUFFERS);
}
} // namespace

bool virtio_console_init()
{
    PciFunction f;
    if (!pci_find(VENDOR, DEVICE_CONSOLE, &f))
        return false;
    u32 bar = pci_read32(f, pci::BAR0);
    if (!(bar & pci::BAR_IO) || (bar & ~3u) == 0 || (bar & ~3u) > 0xffff)
        return false; // no legacy I/O BAR (a modern-only device)
    u16 io = static_cast<u16>(bar & ~3u);
    pci_write16(f, pci::COMMAND, pci_read16(f, pci::COMMAND) | pci::CMD_IO | pci::CMD_BUS_MASTER);

    outb(io + STATUS, 0); // reset
    outb(io + STATUS, S_ACKNOWLEDGE);
    outb(io + STATUS, S_ACKNOWLEDGE | S_DRIVER);
    (void)inl(io + HOST_FEATURES);
    outl(io + GUEST_FEATURES, 0); // no MULTIPORT, no EVENT_IDX, nothing
    outw(io + QUEUE_SEL, TRANSMITQ);
    u16 qsize = inw(io + QUEUE_NUM);
    static_assert(16 * MAX_QUEUE + 6 + 2 * MAX_QUEUE <= 2 * PAGE_SIZE && 6 + 8 * MAX_QUEUE <= PAGE_SIZE);
    if (qsize > MAX_QUEUE || inl(io + QUEUE_PFN) != 0 || !VirtqTx(qsize, BUFFERS).valid()) {
        outb(io + STATUS, S_FAILED);
        return false;
    }
    setup_ring(qsize);
    g.io = io;
    barrier();
    outl(io + QUEUE_PFN, static_cast<u32>(ptr_to_phys(g_ring).raw() >> 12));
    outb(io + STATUS, S_ACKNOWLEDGE | S_DRIVER | S_DRIVER_OK);
    snformat(g.name, sizeof(g.name), "virtio-console (PCI 00:%02x.%u, I/O %#x, %u entries)", unsigned(f.slot),
             unsigned(f.func), unsigned(io), unsigned(qsize));
    g.active = true;
    return true;
}

bool virtio_console_active() { return g.active; }
const char* virtio_console_describe() { return g.name; }

void virtio_console_putc(char c)
{
    if (g.filling < 0) {
        wait_free();
        if (!g.active)
            return;
        g.filling = g.ring.take_free();
    }
    g_buf[g.filling][g.fill++] = c;
    if (c == '\n' || g.fill == BUFFER_BYTES)
        submit();
}

void virtio_console_drain()
{
    if (!g.active)
        return;
    submit();
    for (reap(); g.active && !g.ring.idle(); reap())
        poll_step();
}
