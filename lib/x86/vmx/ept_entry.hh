// EPT paging-structure entries and the EPT pointer as value types (SDM Vol.
// 3C 29.3.2 and 25.6.11). Pure constexpr logic: also unit-tested on the host.
#pragma once
#include "types.hh"
#include "x86/addr.hh"

constexpr u64 EPT_ADDR_MASK = 0x000ffffffffff000ull;

// Leaf memory types (bits 5:3 of a leaf; also the EPTP's walk memory type).
enum class EptMemType : u8 { UC = 0, WC = 1, WT = 4, WP = 5, WB = 6 };

// One EPT entry at any level.
class EptEntry {
public:
    static constexpr u64 R = 1ull << 0, W = 1ull << 1, X = 1ull << 2, IGNORE_PAT = 1ull << 6,
                         LARGE = 1ull << 7, A = 1ull << 8, D = 1ull << 9, XU = 1ull << 10,
                         SUPPRESS_VE = 1ull << 63;
    static constexpr u64 PERM_MASK = R | W | X;
    static constexpr unsigned MEMTYPE_SHIFT = 3;
    static constexpr u64 MEMTYPE_MASK = 7ull << MEMTYPE_SHIFT;

    constexpr EptEntry() = default;
    constexpr explicit EptEntry(u64 raw) : raw_(raw) {}
    // A non-leaf entry pointing at a table, with all permissions.
    static constexpr EptEntry table(PhysAddr t) { return EptEntry((t.raw() & EPT_ADDR_MASK) | R | W | X); }
    // A leaf entry: perms (R/W/X bits), memory type, large-page bit for level > 1.
    static constexpr EptEntry leaf(PhysAddr pa, u64 perms, int level, EptMemType mt = EptMemType::WB)
    {
        return EptEntry((pa.raw() & EPT_ADDR_MASK) | (perms & (PERM_MASK | XU)) |
                        (static_cast<u64>(mt) << MEMTYPE_SHIFT) | (level > 1 ? LARGE : 0));
    }

    constexpr u64 raw() const { return raw_; }
    constexpr u64 perms() const { return raw_ & PERM_MASK; }
    // Present in the SDM's sense: any of bits 2:0 set (bit 10 too with MBEC).
    constexpr bool present() const { return raw_ & PERM_MASK; }
    constexpr bool readable() const { return raw_ & R; }
    constexpr bool writable() const { return raw_ & W; }
    constexpr bool executable() const { return raw_ & X; }
    constexpr bool large() const { return raw_ & LARGE; }
    constexpr bool accessed() const { return raw_ & A; }
    constexpr bool dirty() const { return raw_ & D; }
    constexpr unsigned memtype() const { return static_cast<unsigned>((raw_ & MEMTYPE_MASK) >> MEMTYPE_SHIFT); }
    constexpr PhysAddr addr() const { return PhysAddr(raw_ & EPT_ADDR_MASK); }
    constexpr EptEntry with(u64 bits) const { return EptEntry(raw_ | bits); }
    constexpr EptEntry without(u64 bits) const { return EptEntry(raw_ & ~bits); }
    constexpr EptEntry with_perms(u64 perms) const { return EptEntry((raw_ & ~PERM_MASK) | (perms & PERM_MASK)); }
    constexpr EptEntry with_memtype(unsigned mt) const
    {
        return EptEntry((raw_ & ~MEMTYPE_MASK) | (static_cast<u64>(mt & 7) << MEMTYPE_SHIFT));
    }
    constexpr EptEntry with_addr(PhysAddr pa) const { return EptEntry((raw_ & ~EPT_ADDR_MASK) | (pa.raw() & EPT_ADDR_MASK)); }

private:
    u64 raw_ = 0;
};
static_assert(sizeof(EptEntry) == 8);

// Entry format of EPT, for pt_walk (x86/pt_walk.hh).
struct EptFormat {
    static constexpr bool present(u64 e) { return e & EptEntry::PERM_MASK; }
    static constexpr bool is_large_leaf(u64 e, int level) { return level > 1 && (e & EptEntry::LARGE); }
    static constexpr u64 table_entry(PhysAddr t) { return EptEntry::table(t).raw(); }
};

// The EPT pointer (SDM 25.6.11): walk memory type 2:0, walk length - 1 in 5:3,
// A/D enable bit 6, supervisor shadow stack bit 7, root address 51:12.
class Eptp {
public:
    static constexpr u64 AD = 1ull << 6;
    constexpr Eptp() = default;
    constexpr explicit Eptp(u64 raw) : raw_(raw) {}
    static constexpr Eptp make(PhysAddr root, EptMemType mt, unsigned levels, bool ad)
    {
        return Eptp((root.raw() & EPT_ADDR_MASK) | static_cast<u64>(mt) | (static_cast<u64>(levels - 1) << 3) |
                    (ad ? AD : 0));
    }
    constexpr u64 raw() const { return raw_; }
    constexpr unsigned memtype() const { return raw_ & 7; }
    constexpr unsigned levels() const { return ((raw_ >> 3) & 7) + 1; }
    constexpr bool ad() const { return raw_ & AD; }
    constexpr PhysAddr root() const { return PhysAddr(raw_ & EPT_ADDR_MASK); }

private:
    u64 raw_ = 0;
};
static_assert(sizeof(Eptp) == 8);

// What an EPTP should be built with.
struct EptOptions {
    bool five_level = false; // 5-level walk instead of 4
    bool ad = false;         // enable accessed/dirty flags
};

// Outcome of setup_eptp: the EPTP, or why it cannot be built.
struct [[nodiscard]] EptpResult {
    bool ok;
    Eptp eptp;
    const char* reason; // nullptr when ok; names the missing capability otherwise
};

// Builds and checks an EPTP for root against IA32_VMX_EPT_VPID_CAP (ept_cap):
// the walk length must be supported (bit 6 for 4 levels, bit 7 for 5); the
// paging-structure memory type is WB when bit 14 says so, else UC (bit 8),
// else it fails; A/D is set only when asked for and bit 21 allows it (asked
// for without support is a failure). root must be 4 KiB aligned.
EptpResult setup_eptp(PhysAddr root, u64 ept_cap, EptOptions options);

// True when eptp is valid for VM entry under ept_cap (SDM 27.2.1.1).
bool eptp_valid(u64 eptp, u64 ept_cap, unsigned maxphyaddr);

// Exit qualification of an EPT violation (SDM Vol. 3C 28.2.1, Table 28-7).
class EptViolationQual {
public:
    constexpr explicit EptViolationQual(u64 raw) : raw_(raw) {}
    constexpr u64 raw() const { return raw_; }
    // Bits 2:0: the access was a data read, a data write, an instruction fetch.
    constexpr u64 access() const { return raw_ & 7; }
    // Bits 5:3: the AND of the R, W, X bits of the EPT entries used (bit 6: XU with MBEC).
    constexpr u64 entry_perms() const { return (raw_ >> 3) & 7; }
    constexpr bool gla_valid() const { return raw_ & (1ull << 7); }
    // Bit 8 (when GLA valid): 1 = access to the translated linear address,
    // 0 = access to a guest paging-structure entry.
    constexpr bool translation() const { return raw_ & (1ull << 8); }
    constexpr bool nmi_unblocking() const { return raw_ & (1ull << 12); }

private:
    u64 raw_;
};

constexpr u64 EPT_ACCESS_READ = 1, EPT_ACCESS_WRITE = 2, EPT_ACCESS_FETCH = 4;
