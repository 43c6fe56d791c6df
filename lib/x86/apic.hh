// The local APIC as an interrupt source for tests: register access in xAPIC
// (MMIO at IA32_APIC_BASE) or x2APIC mode (MSRs 0x800+), and a one-shot
// timer fixture. Never clears IA32_APIC_BASE.EN (Bochs ignores every later
// write to it, docs in /work/shared/BACKENDS.md); software enable (SVR bit 8)
// is set while a fixture lives and restored after.
#pragma once
#include "types.hh"

namespace apic_reg {
constexpr u32 TPR = 0x80, EOI = 0xb0, SVR = 0xf0, IRR = 0x200, LVT_TIMER = 0x320,
              TIMER_INITIAL = 0x380, TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3e0;
constexpr u32 SVR_ENABLE = 1u << 8, LVT_MASKED = 1u << 16, DIVIDE_BY_1 = 0xb;
} // namespace apic_reg

// nullptr when a local APIC is usable here (CPUID.1:EDX.APIC and
// IA32_APIC_BASE.EN), else why not (SKIP reason).
const char* apic_unavailable_reason();

u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 value);

// True when vector's bit is set in the APIC's interrupt request register.
bool apic_irr_has(u8 vector);

// A one-shot local-APIC timer on vector. Constructor: software-enables the
// APIC, TPR 0, timer masked; destructor: masks the timer, restores SVR,
// TPR and the LVT timer entry. Assumes RFLAGS.IF = 0 in L1 throughout.
class ApicTimer {
public:
    explicit ApicTimer(u8 vector);
    ~ApicTimer();
    ApicTimer(const ApicTimer&) = delete;
    ApicTimer& operator=(const ApicTimer&) = delete;

    // Starts the timer: it fires after count ticks of the APIC clock / 1.
    void start(u32 count);
    // Starts the timer with count 1 and polls the IRR until vector is
    // pending; false if it did not become pending within max_polls reads.
    [[nodiscard]] bool make_pending(u32 max_polls = 1000000);
    u8 vector() const { return vector_; }

private:
    u8 vector_;
    u32 saved_svr_, saved_tpr_, saved_lvt_;
};
